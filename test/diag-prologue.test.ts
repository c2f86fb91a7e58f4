/**
 * Prologue analysis (src/diagnostics/prologue.ts) against the unwind tables on real programs,
 * single-stepped from reset to their end: an Unwinder given only the symbol table (.debug_frame
 * and .ARM.exidx ignored) must give the same frames — PC, SP, exception entries — as the one with
 * both tables wherever the innermost PC has a .debug_frame row. GCC's .debug_frame describes
 * every instruction, epilogues included, so there it is the oracle (elsewhere both unwinders fall
 * back to the analysis: newlib has no tables of its own). Where the analysis cannot be sure it
 * may stop early; it must never give a different frame.
 *  - firmware/prebuilt/diag/backtrace.elf (firmware/diag/backtrace.c): recursion, a 600-byte
 *    frame, a VLA with an r7 frame pointer, interrupts on MSP and on PSP with an FP frame, and
 *    a BKPT in the middle of a handler. Every instruction must match.
 *  - firmware/prebuilt/diag/mutex.elf (firmware/diag/mutex.c): tasks of the diag OS switched by
 *    PendSV; its hand-written context switch and the OS start code are where the analysis
 *    refuses rather than guess.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Unwinder,
  debugInfoFromSections,
  type Frame,
  type UnwindResult,
} from '../src/diagnostics/unwind.js';
import { DebugFrame } from '../src/loader/debugFrame.js';
import { findSection, readElfSections } from '../src/loader/elfSections.js';
import { parseImage } from '../src/loader/image.js';
import { boot } from '../src/machine/firmware.js';
import { Machine } from '../src/machine/machine.js';
import { ConsoleOnlyHost } from '../src/machine/semihosting.js';

interface Sample {
  pc: number;
  tables: UnwindResult;
  code: UnwindResult;
}

/**
 * Steps `name`.elf to its end; before each instruction whose PC has a .debug_frame row, unwinds
 * with the tables and with the code alone. `beforeStep` may poke the machine first.
 */
function stepProgram(
  name: string,
  setup?: (m: Machine, addr: (s: string) => number) => (pc: number) => void,
) {
  const bytes = new Uint8Array(
    fs.readFileSync(path.resolve(__dirname, `../firmware/prebuilt/diag/${name}.elf`)),
  );
  const image = parseImage(bytes, `${name}.elf`);
  const symbols = image.symbols;
  const sections = readElfSections(bytes);
  const withTables = debugInfoFromSections(sections, symbols).unwinder;
  const byCode = new Unwinder({ symbols });
  const debugFrame = DebugFrame.parse(findSection(sections, '.debug_frame')!.data);
  const addr = (s: string) => symbols.lookup(s)!.value & ~1;
  const m = new Machine({ warn: () => {} });
  let stdout = '';
  const host = new ConsoleOnlyHost((_fd, d) => (stdout += Buffer.from(d).toString('utf8')));
  const booted = boot(m, image, { semihosting: host });
  const beforeStep = setup?.(m, addr);
  const mem = {
    read32: (a: number) => {
      try {
        return m.bus.read32(a);
      } catch {
        return undefined;
      }
    },
  };
  const samples: Sample[] = [];
  let steps = 0;
  for (; steps < 100_000; steps++) {
    const pc = m.cpu.pc;
    beforeStep?.(pc);
    if (debugFrame.rowAt(pc) !== undefined) {
      const r = Array.from(m.cpu.r);
      r[15] = pc;
      const regs = { r, otherSp: m.cpu.otherSp };
      samples.push({ pc, tables: withTables.unwind(regs, mem), code: byCode.unwind(regs, mem) });
    }
    if (m.step() !== 'limit') break;
  }
  const names = (frames: Frame[]) => frames.map((f) => symbols.describe(f.pc)?.replace(/\+.*/, ''));
  return {
    samples,
    stdout,
    steps,
    addr,
    names,
    exit: booted.semihosting?.exitStatus?.code ?? null,
  };
}

/** The frames as compared: everything the unwinder reports about each. */
const key = (frames: Frame[]) => JSON.stringify(frames);

describe('prologue analysis on diag/backtrace.elf, every instruction', () => {
  const run = stepProgram('backtrace', (m, addr) => {
    // As test/diag-backtrace.test.ts does: handler_leaf's BKPT 0x42 runs, a mid-function stop.
    const semihosting = m.cpu.bkptHandler;
    m.cpu.bkptHandler = (cpu, imm) =>
      imm === 0x42 || (semihosting !== null && semihosting(cpu, imm));
    // bkpt_in_handler is in .bss, which crt0 clears: set it once main runs.
    return (pc) => {
      if (pc === addr('main')) m.bus.write32(addr('bkpt_in_handler'), 1);
    };
  });
  const at = (name: string) => run.samples.filter((s) => s.pc === run.addr(name));

  it('runs the program to its end', () => {
    expect(run.exit).toBe(0);
    expect(run.stdout).toContain('backtrace: irq on psp, count 2, result 42');
    expect(run.samples.length).toBeGreaterThan(200);
  });

  it('gives the tables’ frames at every instruction of the program’s functions', () => {
    const differing = run.samples
      .filter((s) => key(s.code.frames) !== key(s.tables.frames))
      .map((s) => `${run.names([{ pc: s.pc, sp: 0 }])[0]} ${s.pc.toString(16)}: ${s.code.detail}`);
    expect(differing).toEqual([]);
  });

  it('gives the chain from probe through recursion, the 600-byte frame and the VLA', () => {
    const [stop] = at('probe');
    expect(run.names(stop!.code.frames)).toEqual([
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
    // _start moves SP to a stack it computes: the analysis refuses there, as it should.
    expect(stop!.code.stop).toBe('no-unwind-info');
    expect(stop!.code.detail).toMatch(/prologue analysis of _start: SP is not tracked/);
  });

  it('unwinds interrupts on MSP and on PSP, and the BKPT in the middle of the handler', () => {
    const leaf = at('handler_leaf');
    expect(leaf.length).toBe(2);
    const bkpt = run.samples.filter((s) => s.pc === run.addr('handler_leaf') + 0xc);
    expect(bkpt.length).toBe(2);
    for (const [msp, psp] of [leaf, bkpt]) {
      expect(run.names(msp!.code.frames)).toEqual([
        'handler_leaf',
        'handler_work',
        'Default_IRQHandler',
        'raise_irq',
        'main',
        '_start',
      ]);
      expect(msp!.code.frames[3]!.excReturn).toBe(0xfffffff9);
      expect(run.names(psp!.code.frames)).toEqual([
        'handler_leaf',
        'handler_work',
        'Default_IRQHandler',
        'raise_irq',
        'thread_fp',
        'run_on_psp',
        'main',
        '_start',
      ]);
      expect(psp!.code.frames[3]!.excReturn).toBe(0xffffffed);
    }
  });
});

describe('prologue analysis on diag/mutex.elf, tasks switched by PendSV', () => {
  const run = stepProgram('mutex');

  it('reaches the deadlock the program is built to show', () => {
    expect(run.stdout).toContain('mutex: counter-a is pid 2, counter-b is pid 3');
    expect(run.steps).toBeGreaterThan(20_000);
  });

  it('never gives another frame than the tables; where it stops early, it says why', () => {
    let same = 0;
    for (const s of run.samples) {
      const t = s.tables.frames;
      const c = s.code.frames;
      if (key(c) === key(t)) {
        same++;
        continue;
      }
      expect(c.length).toBeLessThan(t.length);
      expect(key(c)).toBe(key(t.slice(0, c.length)));
      expect(s.code.detail).toMatch(/prologue analysis of \S+: /);
    }
    expect(same).toBeGreaterThan(0.99 * run.samples.length);
  });
});
