/**
 * Where --stack-check learns the task stacks, on firmware/prebuilt/diag/stackover.elf (the diag
 * OS publishes g_tcbinfo and its DWARF describes struct tcb_s, firmware/diag/os/tcb.h), run
 * in-process with the image's g_tcbinfo hidden (as in NuttX releases before it existed) and then
 * with the DWARF gone too:
 * - from DWARF: the layout agrees with g_tcbinfo field by field, the task list read with it is
 *   the same, and the overflow is found with the same message and backtrace;
 * - from the heap block the scheduler's PSP lands in: the same overflow in the same stack, which
 *   is named by its allocation (the malloc in nxtask_setup, firmware/diag/os/task.c); the clean
 *   twin reports no overflow, and the stack's high-water mark when the block is freed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { attachDiagnostics } from '../src/diagnostics/attach.js';
import { busMemory } from '../src/diagnostics/guestMemory.js';
import { noDiagnostics } from '../src/diagnostics/options.js';
import { TaskList } from '../src/diagnostics/tasks.js';
import { dwarfLayout, tcbinfoLayout } from '../src/diagnostics/tcbLayout.js';
import { debugInfoFromSections } from '../src/diagnostics/unwind.js';
import { structLayouts } from '../src/loader/dwarfMembers.js';
import type { SymbolTable } from '../src/loader/elf.js';
import { readElfSections } from '../src/loader/elfSections.js';
import { parseImage } from '../src/loader/image.js';
import { boot } from '../src/machine/firmware.js';
import { Machine } from '../src/machine/machine.js';
import { ConsoleOnlyHost } from '../src/machine/semihosting.js';
import { ROOT } from './helpers/cli.js';

const STACKOVER = path.join(ROOT, 'firmware/prebuilt/diag/stackover.elf');
const bytes = new Uint8Array(fs.readFileSync(STACKOVER));
const image = parseImage(bytes, 'stackover.elf');
const sections = readElfSections(bytes);
const debug = debugInfoFromSections(sections, image.symbols);
const noDwarf = sections.filter((s) => s.name !== '.debug_info');
const MAX_INSTRUCTIONS = 50_000_000;

/** The image's symbols with some names hidden. */
function hiding(symbols: SymbolTable, names: string[]): SymbolTable {
  const hidden: SymbolTable = Object.create(symbols);
  hidden.lookup = (name) => (names.includes(name) ? undefined : symbols.lookup(name));
  return hidden;
}
const withoutTcbinfo = hiding(image.symbols, ['g_tcbinfo']);

/** The source line holding `text` in a firmware file (1-based). */
function lineOf(file: string, text: string): number {
  const lines = fs.readFileSync(path.join(ROOT, 'firmware', file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${text} not in ${file}`);
  return i + 1;
}

function bootStackover(clean: boolean) {
  const m = new Machine({ warn: () => {} });
  let stdout = '';
  const host = new ConsoleOnlyHost((_fd, data) => (stdout += Buffer.from(data).toString()));
  boot(m, image, { semihosting: host, cmdline: clean ? 'clean' : '' });
  return { m, stdout: () => stdout };
}

/** stackover under --stack-check, with the image's symbols and DWARF as given. */
function run(opts: { symbols: SymbolTable; dwarf: boolean; clean?: boolean }) {
  const { m, stdout } = bootStackover(opts.clean === true);
  const lines: string[] = [];
  const diag = attachDiagnostics(
    m,
    { ...image, symbols: opts.symbols },
    { ...noDiagnostics(), stackCheck: true },
    { line: (t) => lines.push(t) },
    debug,
    opts.dwarf ? sections : noDwarf,
  );
  const reason = m.run(MAX_INSTRUCTIONS);
  const end = diag.finish();
  return { reason, findings: diag.findings.list, lines, end, stdout: stdout() };
}

const published = run({ symbols: image.symbols, dwarf: true });
const overflow = published.findings[0]!;

describe('the overflow with the task list from g_tcbinfo (the reference)', () => {
  it('is found in task parser', () => {
    expect(published.reason).toBe('breakpoint');
    expect(published.findings).toHaveLength(1);
    expect(overflow.message).toMatch(
      /^stack overflow in task parser \(pid 2\): 4-byte store at 0x[0-9a-f]{8}, 4 bytes below its stack .* at parse_list \(diag\/stackover\.c:\d+\)$/,
    );
  });
});

describe('--stack-check with the TCB layout from DWARF', () => {
  it('reads the same offsets from struct tcb_s as g_tcbinfo publishes', () => {
    const { m } = bootStackover(false);
    const fromInfo = tcbinfoLayout(image.symbols, busMemory(m.bus))!;
    const fromDwarf = dwarfLayout(sections, image.symbols)!.layout;
    expect(fromInfo.source).toBe('g_tcbinfo');
    expect(fromDwarf.source).toBe('DWARF');
    const fields = ['pid', 'state', 'priority', 'name', 'stackSize', 'regs'] as const;
    for (const f of fields) expect([f, fromDwarf[f]]).toEqual([f, fromInfo[f]]);
    expect(fromDwarf.regsInline).toBe(false); // xcp.regs is a pointer, as g_tcbinfo implies
    // The stack: NuttX's g_tcbinfo gives stack_base_ptr, the diag OS's stack_alloc_ptr (tcb.h);
    // it sets both to the same block, so the two fields are the same stack.
    const tcb = structLayouts(sections, ['struct tcb_s']).get('struct tcb_s')!;
    expect(fromInfo.stack).toBe(tcb.member('stack_alloc_ptr')!.offset);
    expect(fromDwarf.stack).toBe(tcb.member('stack_base_ptr')!.offset);
    // What g_tcbinfo cannot say: the members' sizes.
    expect(fromDwarf.pidSize).toBe(4);
    expect(fromDwarf.nameSize).toBe(16);
  });

  it('lists the same tasks (pid, name, state, stack) as g_tcbinfo', () => {
    const { m } = bootStackover(true);
    const mem = busMemory(m.bus);
    const fromInfo = TaskList.detect(image.symbols, mem)!;
    const fromDwarf = TaskList.detect(withoutTcbinfo, mem, sections)!;
    expect(fromInfo.source).toBe('g_tcbinfo');
    expect(fromDwarf.source).toBe('DWARF');
    expect(TaskList.detect(withoutTcbinfo, mem)).toBeNull(); // without the DWARF: nothing
    // Stopped inside the parser task: main, the idle task and the parser exist.
    const parser = image.symbols.lookup('parse_list')!.value;
    m.cpu.addBreakpoint(parser & ~1);
    expect(m.run(MAX_INSTRUCTIONS)).toBe('breakpoint');
    const tasks = fromInfo.tasks();
    expect(tasks.map((t) => t.name)).toEqual(['Idle Task', 'main', 'parser']);
    expect(fromDwarf.tasks()).toEqual(tasks);
    expect(fromDwarf.current()).toEqual(fromInfo.current());
    expect(fromDwarf.current()?.name).toBe('parser');
  });

  it('finds the same overflow with the same message and backtrace', () => {
    const r = run({ symbols: withoutTcbinfo, dwarf: true });
    expect(r.lines[0]).toBe(
      'stack-check: the image has no g_tcbinfo: task stacks from the DWARF of struct tcb_s',
    );
    expect(r.reason).toBe('breakpoint');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]!.message).toBe(overflow.message);
    expect(r.findings[0]!.backtrace).toEqual(overflow.backtrace);
    expect(r.findings[0]!.task).toBe('parser (pid 2)');
  });
});

describe('--stack-check with neither g_tcbinfo nor DWARF: the heap block holding the SP', () => {
  const stackMalloc = lineOf('diag/os/task.c', 'malloc(stack_size)');
  const data = overflow.data as { stackBase: number; stackSize: number; sp: number };
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const name = `stack 0x${hex(data.stackBase)} (allocated at nxtask_setup (diag/os/task.c:${stackMalloc}))`;

  it('stops at the same store in the parser task’s stack, named by its allocation', () => {
    const r = run({ symbols: withoutTcbinfo, dwarf: false });
    expect(r.lines[0]).toBe(
      'stack-check: no task list in the image (no g_tcbinfo, no DWARF for struct tcb_s): ' +
        'a task stack is the heap block its SP is in when the scheduler switches to it',
    );
    expect(r.reason).toBe('breakpoint');
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    // The same store, stack bounds, SP and PC as with the task list; only the stack's name differs.
    expect(f.message).toBe(overflow.message.replace('task parser (pid 2)', name));
    expect(f.task).toBe(name);
    expect(f.backtrace).toEqual(overflow.backtrace);
    expect(f.data).toEqual(overflow.data);
    expect(data.stackSize).toBe(1024); // the parser's stack_size (stackover.c's PARSER_STACK)
  });

  it('reports no overflow on the clean twin, and the stack’s high-water mark when freed', () => {
    const r = run({ symbols: withoutTcbinfo, dwarf: false, clean: true });
    expect(r.reason).toBe('exit');
    expect(r.findings).toEqual([]);
    expect(r.end).toContain('stack-check: 0 overflow(s)');
    // The program's own figure for the parser's stack use, and the check's from the coloration.
    const used = /parser used (\d+) of 1024 stack bytes/.exec(r.stdout)?.[1];
    expect(used).toBeDefined();
    const marks = r.lines.filter((l) => l.includes(' used '));
    expect(marks).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^stack-check: stack 0x[0-9a-f]{8} \\(allocated at nxtask_setup \\(diag/os/task\\.c:${stackMalloc}\\)\\) used ${used} of 1024 bytes of its stack`,
        ),
      ),
    );
  });
});
