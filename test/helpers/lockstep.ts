/**
 * Lockstep harness of the translator's exactness tests: a tiny Thumb assembler, a machine with a
 * vector table and handlers in SRAM, and a Pair — the interpreter alone and the JIT on the same
 * program, driven the same way, their whole visible core state compared after each drive.
 */
import { expect } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { COND, t16 as br16 } from '../../src/core/encode/branch.js';
import { t16 as dp16, t32 as dp32 } from '../../src/core/encode/dataProcessing.js';
import type { JitOptions } from '../../src/core/jit/jit.js';
import { B_SELF, BX_LR, CODE, handlerAddress, NOP, place, STACK_TOP, VECTORS } from './machine.js';

export type Code = number | readonly number[];

/**
 * A tiny assembler: halfwords at `base`, labels, and branches resolved in a second pass (the
 * encoder is called with the final offset; its size must not depend on the offset).
 */
export class Asm {
  readonly hw: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: { index: number; label: string; encode: (off: number) => Code }[] = [];

  constructor(readonly base = CODE) {}

  get here(): number {
    return this.base + 2 * this.hw.length;
  }

  emit(...code: Code[]): this {
    for (const c of code) {
      if (typeof c === 'number') this.hw.push(c);
      else this.hw.push(...c);
    }
    return this;
  }

  label(name: string): this {
    this.labels.set(name, this.here);
    return this;
  }

  /** A branch to `label`: `encode(offset)` with offset = target - (address + 4). */
  branch(label: string, encode: (offset: number) => Code): this {
    const probe = encode(0);
    this.fixups.push({ index: this.hw.length, label, encode });
    return this.emit(probe);
  }

  at(name: string): number {
    const a = this.labels.get(name);
    if (a === undefined) throw new Error(`no label ${name}`);
    return a;
  }

  /** Resolves the branches; returns the halfwords. */
  link(): number[] {
    for (const f of this.fixups) {
      const addr = this.base + 2 * f.index;
      const code = f.encode(this.at(f.label) - (addr + 4));
      const words = typeof code === 'number' ? [code] : code;
      words.forEach((w, k) => (this.hw[f.index + k] = w));
    }
    return this.hw;
  }
}

/** MOVW/MOVT of a 32-bit constant. */
export function mov32(rd: number, value: number): Code[] {
  return [dp32.movw(rd, value & 0xffff), dp32.movt(rd, value >>> 16)];
}

export const CFSR = 0xe000ed28;
export const HFSR = 0xe000ed2c;
export const BFAR = 0xe000ed38;
export const CCR = 0xe000ed14;
export const ICSR = 0xe000ed04;

export interface Setup {
  /** Halfwords at `base` (default CODE), where execution starts. */
  code: number[];
  base?: number;
  /** Handlers by exception number (default `nop; bx lr`). */
  handlers?: Record<number, number[]>;
  /** Registers preset before the first instruction. */
  regs?: Record<number, number>;
  /** Anything else before the run (SCS registers...). */
  prepare?: (m: Machine) => void;
}

/** A machine with a vector table in SRAM (VTOR), the given handlers and code at CODE. */
export function build(setup: Setup, jit: false | JitOptions): Machine {
  const m = new Machine({ warn: () => {}, jit });
  m.scb.vtor = VECTORS;
  m.bus.write32(VECTORS, STACK_TOP);
  m.bus.write32(VECTORS + 4, CODE | 1);
  for (let n = 2; n < 98; n++) {
    m.bus.write32(VECTORS + 4 * n, handlerAddress(n) | 1);
    place(m, handlerAddress(n), setup.handlers?.[n] ?? [NOP, BX_LR]);
  }
  place(m, setup.base ?? CODE, setup.code);
  m.cpu.r[13] = STACK_TOP;
  m.cpu.setPc(setup.base ?? CODE);
  for (const [r, v] of Object.entries(setup.regs ?? {})) m.cpu.r[Number(r)] = v;
  setup.prepare?.(m);
  return m;
}

export const hex = (v: number) => '0x' + (v >>> 0).toString(16);

/**
 * Everything about the core a test can see (and the fault status registers). Not r[15]: between
 * instructions it holds whatever the last exec needed (the instruction's address + 4 during
 * exec), which translated code sets only where an instruction reads it; the PC is `pc`.
 */
export function coreState(m: Machine): Record<string, unknown> {
  const c = m.cpu;
  return {
    r: Array.from(c.r.subarray(0, 15), hex).join(' '),
    pc: hex(c.pc),
    xpsr: hex(c.xpsr),
    it: c.it,
    instructions: c.instructions,
    cycles: m.clock.cycles,
    masks: [c.primask, c.faultmask, c.basepri, c.control, hex(c.otherSp)].join(' '),
    cfsr: hex(m.bus.read32(CFSR)),
    hfsr: hex(m.bus.read32(HFSR)),
    bfar: hex(m.bus.read32(BFAR)),
    stopReason: c.stopReason,
    sleeping: c.sleeping,
  };
}

/** A word of SRAM as stored (no bus, no MPU). */
export function sramWord(m: Machine, addr: number): number {
  const b = m.sram.bytes;
  const o = addr - 0x20000000;
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** The first SRAM byte where the two machines differ, or null. */
export function sramDifference(a: Machine, b: Machine): string | null {
  const x = a.sram.bytes;
  const y = b.sram.bytes;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) return `${hex(0x20000000 + i)}: interpreter ${x[i]}, jit ${y[i]}`;
  }
  return null;
}

/** The interpreter and the JIT on the same program, driven in lockstep. */
export class Pair {
  readonly ref: Machine;
  readonly jit: Machine;
  constructor(
    setup: Setup,
    readonly options: JitOptions = { hotEntries: 1 },
  ) {
    this.ref = build(setup, false);
    this.jit = build(setup, options);
    expect(this.ref.cpu.jit).toBeNull();
    expect(this.jit.cpu.jit).not.toBeNull();
  }

  get stats() {
    return this.jit.cpu.jit!.stats;
  }

  /** Runs `drive` on both machines; their results and states must be identical. */
  both<T>(drive: (m: Machine) => T, what = ''): T {
    const a = drive(this.ref);
    const b = drive(this.jit);
    const label = `${what} (jit ${JSON.stringify(this.options)})`;
    expect(b, label).toEqual(a);
    this.expectSame(label);
    return a;
  }

  expectSame(label = ''): void {
    expect(coreState(this.jit), label).toEqual(coreState(this.ref));
  }

  expectSameMemory(label = ''): void {
    expect(sramDifference(this.ref, this.jit), label).toBeNull();
  }
}

/** Option sets every exactness test runs under: whole blocks, short blocks, one-insn blocks. */
export const CONFIGS: JitOptions[] = [
  { hotEntries: 1 },
  { hotEntries: 1, maxBlockInsns: 3 },
  { hotEntries: 1, maxBlockInsns: 1 },
  { hotEntries: 3, maxBlockInsns: 5 },
  {},
];

/** Starts SysTick on the processor clock with its interrupt: every `reload + 1` cycles. */
export function startSysTick(m: Machine, reload: number): void {
  m.bus.write32(0xe000e014, reload); // SYST_RVR
  m.bus.write32(0xe000e018, 0); // SYST_CVR
  m.bus.write32(0xe000e010, 7); // SYST_CSR: processor clock, TICKINT, ENABLE
}

/**
 * A counting loop with an ITETE block whose third instruction (CMP) changes the flags the
 * fourth one's condition reads; the loop closes with `it ne; b loop`.
 */
export function itLoop(iterations = 100): { asm: Asm; expected: (m: Machine) => void } {
  const a = new Asm();
  a.emit(dp16.movImm(0, 0), dp16.movImm(1, 0), dp16.movImm(2, 0), dp16.movImm(4, 0));
  a.label('loop');
  a.emit(dp16.addImm8(0, 1)); // adds r0, #1
  a.label('lsls');
  a.emit(dp16.lslImm(3, 0, 31)); // lsls r3, r0, #31: Z = !(r0 & 1)
  a.emit(br16.it(COND.ne, 'ete')); // itete ne
  a.label('addne');
  a.emit(dp16.addReg(1, 1, 0)); // addne r1, r1, r0
  a.label('subeq');
  a.emit(dp16.subReg(2, 2, 0)); // subeq r2, r2, r0
  a.label('cmpne');
  a.emit(dp16.cmpImm(0, 51)); // cmpne r0, #51
  a.emit(dp16.addReg(4, 4, 0)); // addeq r4, r4, r0 (flags from the cmp when it ran)
  a.emit(dp16.cmpImm(0, iterations)); // cmp r0, #N
  a.emit(br16.it(COND.ne));
  a.branch('loop', (o) => br16.b(o)); // bne loop (B T2 as the IT block's last)
  a.label('end');
  a.emit(B_SELF);
  const expected = (m: Machine) => {
    let r1 = 0;
    let r2 = 0;
    let r4 = 0;
    for (let r0 = 1; r0 <= iterations; r0++) {
      if (r0 & 1) {
        r1 += r0;
        if (r0 === 51) r4 += r0; // cmp r0, #51 set Z
      } else {
        r2 -= r0;
        r4 += r0;
      }
    }
    expect([m.cpu.r[0], m.cpu.r[1], m.cpu.r[2], m.cpu.r[4]]).toEqual([
      iterations,
      r1,
      r2 >>> 0,
      r4,
    ]);
    expect(m.cpu.pc).toBe(a.at('end'));
  };
  return { asm: a, expected };
}
