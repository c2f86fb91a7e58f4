/**
 * The unwinder on the tables of firmware/prebuilt/diag/backtrace.elf with hand-made stacks (the
 * emulator runs of the same program are in test/diag-backtrace.test.ts and, for prologue
 * analysis, test/diag-prologue.test.ts; the analysis itself is in prologue.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArmExidx } from '../loader/armExidx.js';
import { DebugFrame } from '../loader/debugFrame.js';
import { lineTableFromSections } from '../loader/dwarfLine.js';
import { parseElf } from '../loader/elf.js';
import { findSection, readElfSections } from '../loader/elfSections.js';
import {
  Unwinder,
  formatBacktrace,
  isExcReturn,
  symbolize,
  type Frame,
  type UnwindMemory,
} from './unwind.js';

const ELF = path.resolve(__dirname, '../../firmware/prebuilt/diag/backtrace.elf');
const bytes = new Uint8Array(fs.readFileSync(ELF));
const elf = parseElf(bytes);
const symbols = elf.symbols;
const sections = readElfSections(bytes);
const lines = lineTableFromSections(sections);
const debugFrame = DebugFrame.parse(findSection(sections, '.debug_frame')!.data);
const exidx = ArmExidx.parse(
  findSection(sections, '.ARM.exidx')!,
  findSection(sections, '.ARM.extab'),
);
const full = Unwinder.fromSections(sections, symbols);
const cfiOnly = new Unwinder({ debugFrame, symbols });
const exidxOnly = new Unwinder({ exidx, symbols });
const addr = (name: string) => symbols.lookup(name)!.value & ~1;
/** A return address into `name` (Thumb bit set, as BL leaves it in LR). */
const ret = (name: string, offset: number) => (addr(name) + offset) | 1;

/** Memory holding `words` from `base` upwards; everything else is unreadable. */
function stack(base: number, words: number[]): UnwindMemory {
  return {
    read32: (a) =>
      a >= base && a < base + 4 * words.length && a % 4 === 0 ? words[(a - base) / 4] : undefined,
  };
}
function regsAt(pc: number, sp: number, lr: number, extra: Record<number, number> = {}) {
  const r = new Array<number>(16).fill(0);
  r[13] = sp;
  r[14] = lr;
  r[15] = pc;
  for (const [k, v] of Object.entries(extra)) r[Number(k)] = v;
  return { r };
}
/** `stackMem` plus the ELF's loaded code and data, readable as a debugger reads them. */
function withImage(stackMem: UnwindMemory): UnwindMemory {
  return {
    read32: (a) => {
      for (const seg of elf.segments) {
        const off = a - seg.address;
        if (off >= 0 && off + 4 <= seg.data.length) {
          const d = seg.data;
          return (d[off]! | (d[off + 1]! << 8) | (d[off + 2]! << 16) | (d[off + 3]! << 24)) >>> 0;
        }
      }
      return stackMem.read32(a);
    },
  };
}
const names = (frames: Frame[]) => frames.map((f) => symbols.describe(f.pc)?.replace(/\+.*/, ''));

const S = 0x2000_8000;
/**
 * Stopped at probe's first instruction, called from recurse(0) <- recurse(1) <- big_frame <-
 * main: recurse pushes {r4, lr}; big_frame {r4, lr} and 600 bytes; main {r3, r4, r5, lr}.
 */
const probeStack = [
  0x44, // recurse(0): r4
  ret('recurse', 0xc), // its lr: into recurse(1)
  0x45, // recurse(1): r4
  ret('big_frame', 0x12),
  ...new Array(150).fill(0xeeeeeeee), // big_frame's 600-byte array
  0x46, // big_frame: r4
  ret('main', 0xe),
  0x3, // main: r3, r4, r5, lr
  0x4,
  0x5,
  ret('_start', 0xbe),
];

describe('Unwinder.backtrace on a hand-made stack', () => {
  const regs = regsAt(addr('probe'), S, ret('recurse', 0x1a));
  const expected = ['probe', 'recurse', 'recurse', 'big_frame', 'main', '_start'];

  for (const [label, u] of [
    ['both tables', full],
    ['.debug_frame only', cfiOnly],
    ['.ARM.exidx only', exidxOnly],
  ] as const) {
    it(`gives the call chain from a function's first instruction (${label})`, () => {
      const result = u.unwind(regs, stack(S, probeStack));
      expect(names(result.frames)).toEqual(expected);
      expect(result.frames.map((f) => f.pc)).toEqual(
        [
          addr('probe'),
          ret('recurse', 0x1a),
          ret('recurse', 0xc),
          ret('big_frame', 0x12),
          ret('main', 0xe),
          ret('_start', 0xbe),
        ].map((a) => a & ~1),
      );
    });
  }

  it('records the SP of each frame: the CFA of the frame it returned from', () => {
    const frames = full.backtrace(regs, stack(S, probeStack));
    expect(frames.map((f) => f.sp - S)).toEqual([0, 0, 8, 16, 624, 640]);
  });

  it('stops at the function marked EXIDX_CANTUNWIND (_start), the frame still listed', () => {
    const result = full.unwind(regs, stack(S, probeStack));
    expect(result.stop).toBe('cantunwind');
    expect(result.frames.at(-1)!.pc).toBe(addr('_start') + 0xbe);
  });

  it('stops after max frames', () => {
    const result = full.unwind(regs, stack(S, probeStack), 3);
    expect(result.frames.length).toBe(3);
    expect(result.stop).toBe('max-frames');
  });

  it('gives the same frames from the code alone (prologue analysis, no tables)', () => {
    const byCode = new Unwinder({ symbols });
    const mem = withImage(stack(S, probeStack));
    expect(byCode.backtrace(regs, mem)).toEqual(full.backtrace(regs, mem));
    // ... but needs the code: without it the first return address is as far as it gets.
    const blind = byCode.unwind(regs, stack(S, probeStack));
    expect(blind.frames.length).toBe(2);
    expect(blind.detail).toMatch(/prologue analysis of recurse: code at 0x[0-9a-f]+ is unreadable/);
  });

  it('prefers the tables: code that cannot be decoded does not matter where they hold', () => {
    // Every halfword of code reads as 0xb800, which decodes to nothing.
    const mem: UnwindMemory = {
      read32: (a) => (a < 0x2000_0000 ? 0xb800b800 : stack(S, probeStack).read32(a)),
    };
    expect(names(full.backtrace(regs, mem))).toEqual(expected);
    const byCode = new Unwinder({ symbols }).unwind(regs, mem);
    expect(byCode.frames.length).toBe(2);
    expect(byCode.detail).toMatch(/undecodable instruction/);
  });

  it('stops at unreadable memory with the frames so far', () => {
    const result = full.unwind(regs, stack(S, probeStack.slice(0, 3)));
    expect(names(result.frames)).toEqual(['probe', 'recurse', 'recurse']);
    expect(result.stop).toBe('unreadable');
  });
});

describe('Unwinder.backtrace edge cases', () => {
  it('unwinds mid-function, with the frame pointer of a variable-length array', () => {
    // In with_vla after its call to big_frame: CFA = r7 + 16, r3 r4 r7 lr saved below it.
    const r7 = S + 0x40;
    const mem = stack(r7, [0x3, 0x4, 0x77, ret('scale', 0xa), 0, ret('level1', 0x18)]);
    for (const u of [full, exidxOnly, cfiOnly]) {
      const frames = u.backtrace(regsAt(addr('with_vla') + 0x2a, S, 0, { 7: r7 }), mem, 3);
      expect(names(frames)).toEqual(['with_vla', 'scale', 'level1']);
      expect(frames[1]!.sp).toBe(r7 + 16);
    }
  });

  it('refuses a frame whose SP would go down', () => {
    const r7 = S - 0x100; // a frame pointer below SP: garbage
    const mem = stack(r7, [0, 0, 0, ret('scale', 0xa)]);
    const result = full.unwind(regsAt(addr('with_vla') + 0x2a, S, 0, { 7: r7 }), mem);
    expect(result.frames.length).toBe(1);
    expect(result.stop).toBe('sp-not-increasing');
  });

  it('takes the return address from LR in frame 0 without unwind info, then stops', () => {
    const bare = new Unwinder({});
    const result = bare.unwind(regsAt(0x1234, S, 0x5679), stack(S, []));
    expect(result.frames.map((f) => f.pc)).toEqual([0x1234, 0x5678]);
    expect(result.stop).toBe('no-unwind-info');
  });

  it("unwinds newlib's _malloc_r (EXIDX_CANTUNWIND, no FDE) by its code", () => {
    // At its first instruction nothing is pushed: LR, no code needed.
    const atEntry = full.unwind(regsAt(addr('_malloc_r'), S, ret('level1', 0xa)), stack(S, []));
    expect(names(atEntry.frames)).toEqual(['_malloc_r', 'level1']);
    // After its STMDB SP!, {r4-r11, lr}: the code says where LR went.
    const frames = [
      ...[4, 5, 6, 7, 8, 9, 10, 11],
      ret('level1', 0xa),
      ...[0x3, 0x4, 0x5, ret('main', 0xe)], // level1: push {r3, r4, r5, lr}
      ...[0x3, 0x4, 0x5, ret('_start', 0xbe)], // main: the same
    ];
    const regs = regsAt(addr('_malloc_r') + 4, S, 0);
    const inside = full.unwind(regs, withImage(stack(S, frames)));
    expect(names(inside.frames)).toEqual(['_malloc_r', 'level1', 'main', '_start']);
    expect(inside.frames[1]!.sp).toBe(S + 36);
    // Without the code, the table's EXIDX_CANTUNWIND has the last word.
    const blind = full.unwind(regs, stack(S, frames));
    expect(blind.frames.length).toBe(1);
    expect(blind.stop).toBe('cantunwind');
    expect(blind.detail).toMatch(/EXIDX_CANTUNWIND; prologue analysis of _malloc_r: code at/);
  });

  it('stops at PC 0', () => {
    const result = new Unwinder({}).unwind(regsAt(0x1234, S, 0), stack(S, []));
    expect(result.frames.length).toBe(1);
    expect(result.stop).toBe('pc-zero');
  });
});

describe('exception frames', () => {
  const xpsr = 0x0100_0000;
  /** r0-r3, r12, lr, pc, xPSR as the hardware stacks them. */
  const hwFrame = (lr: number, pc: number, psr = xpsr) => [0, 1, 2, 3, 12, lr, pc, psr];
  // raise_irq is a leaf: interrupted at +0xe, its return address is still in LR.
  const interrupted = hwFrame(ret('main', 0x1a), addr('raise_irq') + 0xe);
  const mainFrame = [0x3, 0x4, 0x5, ret('_start', 0xbe)];

  it('continues on MSP from a handler through EXC_RETURN 0xFFFFFFF9', () => {
    const mem = stack(S, [...interrupted, ...mainFrame]);
    const regs = regsAt(addr('Default_IRQHandler'), S, 0xfffffff9);
    // At the handler's first instruction the .ARM.exidx opcodes (pop {r3}, pop {r14}) do not
    // hold yet: the unwinder must take LR there whichever table it has.
    for (const u of [cfiOnly, exidxOnly])
      expect(u.backtrace(regs, mem)).toEqual(full.backtrace(regs, mem));
    const frames = full.backtrace(regs, mem);
    expect(names(frames)).toEqual(['Default_IRQHandler', 'raise_irq', 'main', '_start']);
    expect(frames[1]).toEqual({
      pc: addr('raise_irq') + 0xe,
      sp: S + 0x20,
      exact: true,
      excReturn: 0xfffffff9,
    });
  });

  it('skips the alignment word when the stacked xPSR has bit 9 set', () => {
    const mem = stack(S, [
      ...hwFrame(ret('main', 0x1a), addr('raise_irq') + 0xe, xpsr | 0x200),
      0,
      ...mainFrame,
    ]);
    const frames = full.backtrace(regsAt(addr('Default_IRQHandler'), S, 0xfffffff9), mem);
    expect(names(frames)).toEqual(['Default_IRQHandler', 'raise_irq', 'main', '_start']);
    expect(frames[1]!.sp).toBe(S + 0x24);
  });

  it('takes the frame from PSP (otherSp) with FP state for EXC_RETURN 0xFFFFFFED', () => {
    const P = 0x2000_4000;
    const psp = stack(P, [...interrupted, ...new Array(18).fill(0), ...mainFrame]);
    const mem: UnwindMemory = {
      read32: (a) => (a >= P && a < P + 0x100 ? psp.read32(a) : undefined),
    };
    const result = full.unwind(
      { ...regsAt(addr('Default_IRQHandler'), S, 0xffffffed), otherSp: P },
      mem,
    );
    expect(names(result.frames)).toEqual(['Default_IRQHandler', 'raise_irq', 'main', '_start']);
    expect(result.frames[1]!.sp).toBe(P + 0x68);
  });

  it('stops cleanly when EXC_RETURN names PSP and its value is not given', () => {
    const result = full.unwind(regsAt(addr('Default_IRQHandler'), S, 0xfffffffd), stack(S, []));
    expect(result.frames.length).toBe(1);
    expect(result.stop).toBe('bad-exc-return');
  });

  it('knows the EXC_RETURN values', () => {
    for (const v of [0xffffffe1, 0xffffffe9, 0xffffffed, 0xfffffff1, 0xfffffff9, 0xfffffffd]) {
      expect(isExcReturn(v)).toBe(true);
    }
    expect(isExcReturn(0xfffffff5)).toBe(false);
    expect(isExcReturn(0x0800_0001)).toBe(false);
  });
});

describe('the unwinder never throws', () => {
  it('on random registers and memory, including memory that throws', () => {
    let seed = 12345;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const text = addr('main') + 0x60;
    for (let i = 0; i < 3000; i++) {
      const r = new Array<number>(16).fill(0).map(() => (rand() & 1 ? rand() % text : rand()));
      if (i % 3 === 0) r[14] = [0xfffffff9, 0xffffffed, 0xffffffe1][i % 9 === 0 ? 0 : 1]!;
      const mem: UnwindMemory = {
        read32: (a) => {
          if (a % 7 === 3) throw new Error('bus error');
          return a % 5 === 1 ? undefined : rand() & 1 ? rand() % text : rand();
        },
      };
      const result = full.unwind({ r, otherSp: rand() }, mem, 16);
      // The catch-all in unwind() is a safety net; no input should need it.
      expect(result.detail).not.toMatch(/^unwinder error/);
      const frames = result.frames;
      expect(frames.length).toBeGreaterThanOrEqual(1);
      expect(frames.length).toBeLessThanOrEqual(16);
    }
  });
});

describe('symbolize and formatBacktrace', () => {
  it('names function+offset and file:line', () => {
    expect(symbolize(addr('probe'), symbols, lines)).toBe('probe (diag/backtrace.c:41)');
    expect(symbolize(addr('recurse') + 0x1a, symbols, lines, true)).toBe(
      'recurse+0x1a (diag/backtrace.c:46)',
    );
    expect(symbolize(addr('run_on_psp') + 0x18, symbols, lines, true)).toBe('run_on_psp+0x18');
    expect(symbolize(0x0fff_fff0, symbols, lines)).toBe('??');
    expect(symbolize(addr('probe'))).toBe('??');
  });

  it('looks a return address up at the call: the end of one function is not the next', () => {
    // A return address equal to recurse's start belongs to the call at the end of probe.
    expect(symbolize(addr('recurse'), symbols, lines, true)).toMatch(/^probe\+0x10 /);
    expect(symbolize(addr('recurse'), symbols, lines)).toBe('recurse (diag/backtrace.c:45)');
  });

  it('formats one line per frame, marking exception entries', () => {
    const mem = stack(S, [
      ...[0, 1, 2, 3, 12, ret('main', 0x1a), addr('raise_irq') + 0xe, 0x0100_0000],
      ...[0x3, 0x4, 0x5, ret('_start', 0xbe)],
    ]);
    const frames = full.backtrace(regsAt(addr('Default_IRQHandler'), S, 0xfffffff9), mem);
    const at = (name: string, offset: number) =>
      `0x${(addr(name) + offset).toString(16).padStart(8, '0')} ${name}`;
    expect(formatBacktrace(frames, symbols, lines)).toEqual([
      `#0 ${at('Default_IRQHandler', 0)} (diag/backtrace.c:91)`,
      `#1 ${at('raise_irq', 0xe)}+0xe (diag/backtrace.c:99) <exception, EXC_RETURN 0xfffffff9>`,
      `#2 ${at('main', 0x1a)}+0x1a (diag/backtrace.c:154)`,
      `#3 ${at('_start', 0xbe)}+0xbe (../../../../../../../libgloss/arm/crt0.S:545)`,
    ]);
  });
});
