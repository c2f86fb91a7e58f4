/**
 * Backtraces of firmware/prebuilt/diag/backtrace.elf (source: firmware/diag/backtrace.c) running
 * on a Machine: stopped by debugger breakpoints at functions' first instructions and by the
 * program's own BKPT 0x42 inside an interrupt handler, the Unwinder must give the call chain
 * in order — through the exception frame back into thread code, on MSP and on PSP.
 * Rebuild the ELF with `make -C firmware build/diag-backtrace.elf` and copy it to
 * firmware/prebuilt/diag/backtrace.elf.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Unwinder,
  debugInfoFromSections,
  formatBacktrace,
  type Frame,
  type UnwindResult,
} from '../src/diagnostics/unwind.js';
import { ArmExidx } from '../src/loader/armExidx.js';
import { DebugFrame } from '../src/loader/debugFrame.js';
import { findSection, readElfSections } from '../src/loader/elfSections.js';
import { parseImage } from '../src/loader/image.js';
import { boot } from '../src/machine/firmware.js';
import { Machine } from '../src/machine/machine.js';
import { ConsoleOnlyHost } from '../src/machine/semihosting.js';

const ROOT = path.resolve(__dirname, '..');
const ELF = path.join(ROOT, 'firmware/prebuilt/diag/backtrace.elf');
const bytes = new Uint8Array(fs.readFileSync(ELF));
const image = parseImage(bytes, 'backtrace.elf');
const symbols = image.symbols;
const sections = readElfSections(bytes);
const info = debugInfoFromSections(sections, symbols);
const cfiOnly = new Unwinder({
  debugFrame: DebugFrame.parse(findSection(sections, '.debug_frame')!.data),
  symbols,
});
const exidxOnly = new Unwinder({
  exidx: ArmExidx.parse(findSection(sections, '.ARM.exidx')!, findSection(sections, '.ARM.extab')),
  symbols,
});
const addr = (name: string) => symbols.lookup(name)!.value & ~1;

const source = fs.readFileSync(path.join(ROOT, 'firmware/diag/backtrace.c'), 'utf8').split('\n');
/** Line number of the source line carrying `marker`. */
const line = (marker: string) => source.findIndex((l) => l.includes(marker)) + 1;

interface Stop {
  /** Where the core stopped: a function's first instruction, or 'bkpt' for BKPT 0x42. */
  at: string;
  /** One unwind per table choice: both, .debug_frame only, .ARM.exidx only. */
  results: [UnwindResult, UnwindResult, UnwindResult];
  formatted: string[];
  pspTop: number;
}

/** Runs the program to its exit, unwinding at every stop; returns the stops and the output. */
function runProgram(bkptInHandler: boolean): {
  stops: Stop[];
  stdout: string;
  code: number | null;
} {
  const m = new Machine({ warn: () => {} });
  let stdout = '';
  const host = new ConsoleOnlyHost((_fd, d) => (stdout += Buffer.from(d).toString('utf8')));
  const booted = boot(m, image, { semihosting: host });
  const read32 = (a: number) => {
    try {
      return m.bus.read32(a);
    } catch {
      return undefined; // unmapped: the unwinder stops there
    }
  };
  const stops: Stop[] = [];
  const unwindHere = (at: string) => {
    const r = Array.from(m.cpu.r);
    r[15] = m.cpu.pc;
    const regs = { r, otherSp: m.cpu.otherSp };
    const mem = { read32 };
    const results = [info.unwinder, cfiOnly, exidxOnly].map((u) =>
      u.unwind(regs, mem),
    ) as Stop['results'];
    stops.push({
      at,
      results,
      formatted: formatBacktrace(results[0].frames, symbols, info.lines),
      pspTop: addr('psp_stack') + 1020,
    });
  };
  if (bkptInHandler) {
    const semihosting = m.cpu.bkptHandler;
    m.cpu.bkptHandler = (cpu, imm) => {
      if (imm !== 0x42) return semihosting !== null && semihosting(cpu, imm);
      unwindHere('bkpt'); // at the BKPT itself, in the middle of handler_leaf
      return true; // handled: execution continues after it
    };
  }
  // With bkptInHandler, only main: crt0 clears .bss, so the flag is set once main starts.
  const targets = bkptInHandler
    ? ['main']
    : ['probe', '_malloc_r', 'Default_IRQHandler', 'handler_leaf'];
  const byAddress = new Map(targets.map((t) => [addr(t), t]));
  for (const a of byAddress.keys()) m.cpu.addBreakpoint(a);
  for (let i = 0; i < 50; i++) {
    const reason = m.run(20_000_000);
    if (reason !== 'breakpoint') break;
    const pc = m.cpu.pc;
    if (bkptInHandler) m.bus.write32(addr('bkpt_in_handler'), 1);
    else unwindHere(byAddress.get(pc) ?? `0x${pc.toString(16)}`);
    m.cpu.suspendBreakpoint(pc, true);
    m.step();
    m.cpu.suspendBreakpoint(pc, false);
  }
  const code = booted.semihosting?.exitStatus?.code ?? null;
  return { stops, stdout, code };
}

const names = (frames: Frame[]) => frames.map((f) => symbols.describe(f.pc)?.replace(/\+.*/, ''));

describe('backtraces of diag/backtrace.elf on the emulator', () => {
  const run = runProgram(false);

  it('runs to completion with its breakpoints', () => {
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('backtrace: chain 39');
    expect(run.stdout).toContain('backtrace: irq on psp, count 2, result 42');
    expect(run.stops.map((s) => s.at)).toEqual(
      expect.arrayContaining(['probe', '_malloc_r', 'Default_IRQHandler', 'handler_leaf']),
    );
  });

  it('unwinds from probe through recursion, a 600-byte frame, a VLA and a float argument', () => {
    const stop = run.stops.find((s) => s.at === 'probe')!;
    for (const r of stop.results) {
      expect(names(r.frames)).toEqual([
        'probe',
        'recurse',
        'recurse',
        'recurse',
        'recurse',
        'big_frame',
        'with_vla',
        'scale',
        'level1',
        'main',
        '_start',
      ]);
    }
    // newlib's crt0 has no unwind information: EXIDX_CANTUNWIND, and no FDE.
    expect(stop.results.map((r) => r.stop)).toEqual(['cantunwind', 'no-unwind-info', 'cantunwind']);
    // Each table gives the same frames.
    expect(stop.results[1].frames).toEqual(stop.results[0].frames);
    expect(stop.results[2].frames).toEqual(stop.results[0].frames);
    // Line of probe's first statement: GCC gives the first instruction that line, not the brace's.
    expect(stop.formatted[0]).toBe(
      `#0 0x${addr('probe').toString(16).padStart(8, '0')} probe (diag/backtrace.c:${line('sink += v;')})`,
    );
    expect(stop.formatted[1]).toMatch(
      new RegExp(
        `^#1 0x[0-9a-f]{8} recurse\\+0x[0-9a-f]+ \\(diag/backtrace.c:${line('return probe(7)')}\\)$`,
      ),
    );
    expect(stop.formatted[2]).toContain(`(diag/backtrace.c:${line('int r = recurse(n - 1)')})`);
    expect(stop.formatted[5]).toContain(
      `big_frame+0x12 (diag/backtrace.c:${line('return recurse(n) + buf[n]')})`,
    );
    expect(stop.formatted[9]).toContain(`main+0xe (diag/backtrace.c:${line('level1(12)')})`);
  });

  it("unwinds from _malloc_r's first instruction (newlib, CANTUNWIND) through LR", () => {
    // The first stops come from printf's buffer; the one from level1 is the one to check.
    const stop = run.stops.find(
      (s) => s.at === '_malloc_r' && names(s.results[0].frames)[1] === 'level1',
    )!;
    expect(stop).toBeDefined();
    for (const r of stop.results)
      expect(names(r.frames)).toEqual(['_malloc_r', 'level1', 'main', '_start']);
    expect(stop.formatted[1]).toContain(`(diag/backtrace.c:${line('malloc(32)')})`);
  });

  const irqStops = () =>
    run.stops.filter((s) => s.at === 'Default_IRQHandler' || s.at === 'handler_leaf');

  it('unwinds an interrupt on MSP back into the interrupted thread code (EXC_RETURN 0xFFFFFFF9)', () => {
    const [entry, leaf] = irqStops();
    for (const r of entry!.results) {
      expect(names(r.frames)).toEqual(['Default_IRQHandler', 'raise_irq', 'main', '_start']);
      expect(r.frames[1]!.excReturn).toBe(0xfffffff9);
    }
    for (const r of leaf!.results) {
      expect(names(r.frames)).toEqual([
        'handler_leaf',
        'handler_work',
        'Default_IRQHandler',
        'raise_irq',
        'main',
        '_start',
      ]);
    }
    // The interrupted instruction is exact: its own line, not the one before.
    expect(leaf!.formatted[3]).toContain(
      `raise_irq+0xe (diag/backtrace.c:${line('taken right after this store') + 1})`,
    );
    expect(leaf!.formatted[3]).toContain('<exception, EXC_RETURN 0xfffffff9>');
  });

  it('unwinds an interrupt on PSP with an extended, padded frame (EXC_RETURN 0xFFFFFFED)', () => {
    const [, , entry, leaf] = irqStops();
    for (const stop of [entry!, leaf!]) {
      for (const r of stop.results) {
        const n = names(r.frames);
        expect(n.slice(n.indexOf('raise_irq'))).toEqual([
          'raise_irq',
          'thread_fp',
          'run_on_psp',
          'main',
          '_start',
        ]);
        const irq = r.frames.find((f) => f.excReturn !== undefined)!;
        expect(irq.excReturn).toBe(0xffffffed);
        // thread_fp pushed 8 bytes below a PSP top that is 4 mod 8: the hardware padded the
        // 0x68-byte frame by 4 and the unwinder must land exactly on the interrupted SP.
        expect(irq.sp).toBe(stop.pspTop - 8);
        // A frame's SP is the CFA of the one it returned from: run_on_psp's is the PSP top.
        expect(r.frames[n.indexOf('run_on_psp')]!.sp).toBe(stop.pspTop);
      }
    }
  });
});

describe('a backtrace at BKPT 0x42 in the middle of a handler', () => {
  const run = runProgram(true);

  it('unwinds from the BKPT through both exception frames', () => {
    expect(run.code).toBe(0);
    const bkpts = run.stops.filter((s) => s.at === 'bkpt');
    expect(bkpts.length).toBe(2);
    for (const stop of bkpts) {
      for (const r of stop.results) {
        expect(names(r.frames).slice(0, 4)).toEqual([
          'handler_leaf',
          'handler_work',
          'Default_IRQHandler',
          'raise_irq',
        ]);
        expect(r.frames).toEqual(stop.results[0].frames);
      }
    }
    expect(names(bkpts[0]!.results[0].frames).slice(4)).toEqual(['main', '_start']);
    expect(names(bkpts[1]!.results[0].frames).slice(4)).toEqual([
      'thread_fp',
      'run_on_psp',
      'main',
      '_start',
    ]);
    expect(bkpts[0]!.formatted[0]).toMatch(
      new RegExp(
        `^#0 0x[0-9a-f]{8} handler_leaf\\+0xc \\(diag/backtrace.c:${line('bkpt 0x42')}\\)$`,
      ),
    );
  });
});
