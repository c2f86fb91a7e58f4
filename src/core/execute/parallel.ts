/**
 * Parallel add/subtract (ARMv7-M ARM A5.3.14, A5.3.15) and the other DSP data operations:
 * QADD/QSUB/QDADD/QDSUB, SEL, PKHBT/PKHTB. One function per instruction, named after it.
 *
 * Prefixes: S and U set APSR.GE per lane; Q and UQ saturate each lane (without touching APSR.Q);
 * SH and UH halve each lane's 17- or 9-bit result. The decoder has rejected SP/PC operands, so
 * results go straight into `cpu.r`.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';

// ---- lanes ----

function sLo(x: number): number {
  return (x << 16) >> 16;
}
function sHi(x: number): number {
  return x >> 16;
}
function uLo(x: number): number {
  return x & 0xffff;
}
function uHi(x: number): number {
  return x >>> 16;
}
function pack16(lo: number, hi: number): number {
  return (hi << 16) | (lo & 0xffff);
}
function sat16(x: number): number {
  return x > 0x7fff ? 0x7fff : x < -0x8000 ? -0x8000 : x;
}
function usat16(x: number): number {
  return x > 0xffff ? 0xffff : x < 0 ? 0 : x;
}

// Finishing steps per prefix for the halfword forms, given the two lanes' exact results.

function finishS16(cpu: Cpu, i: Insn, x0: number, x1: number): void {
  cpu.r[i.rd] = pack16(x0, x1);
  cpu.ge = (x0 >= 0 ? 0b0011 : 0) | (x1 >= 0 ? 0b1100 : 0);
}
function finishQ16(cpu: Cpu, i: Insn, x0: number, x1: number): void {
  cpu.r[i.rd] = pack16(sat16(x0), sat16(x1));
}
function finishSH16(cpu: Cpu, i: Insn, x0: number, x1: number): void {
  cpu.r[i.rd] = pack16(x0 >> 1, x1 >> 1);
}
/**
 * Unsigned GE is the carry out of each lane: sum >= 0x10000, or for a difference "no borrow".
 * Callers pass differences biased by +0x10000 (a + NOT(b) + 1, as AddWithCarry sees it), which
 * leaves the low 16 bits alone and makes `>= 0x10000` the test for both.
 */
function finishU16(cpu: Cpu, i: Insn, x0: number, x1: number): void {
  cpu.r[i.rd] = pack16(x0, x1);
  cpu.ge = (x0 >= 0x10000 ? 0b0011 : 0) | (x1 >= 0x10000 ? 0b1100 : 0);
}
function finishUQ16(cpu: Cpu, i: Insn, x0: number, x1: number): void {
  cpu.r[i.rd] = pack16(usat16(x0), usat16(x1));
}
function finishUH16(cpu: Cpu, i: Insn, x0: number, x1: number): void {
  cpu.r[i.rd] = pack16(x0 >> 1, x1 >> 1);
}

// ---- signed halfword forms ----

export function sadd16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishS16(cpu, i, sLo(n) + sLo(m), sHi(n) + sHi(m));
}
export function sasx(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishS16(cpu, i, sLo(n) - sHi(m), sHi(n) + sLo(m));
}
export function ssax(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishS16(cpu, i, sLo(n) + sHi(m), sHi(n) - sLo(m));
}
export function ssub16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishS16(cpu, i, sLo(n) - sLo(m), sHi(n) - sHi(m));
}
export function qadd16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishQ16(cpu, i, sLo(n) + sLo(m), sHi(n) + sHi(m));
}
export function qasx(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishQ16(cpu, i, sLo(n) - sHi(m), sHi(n) + sLo(m));
}
export function qsax(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishQ16(cpu, i, sLo(n) + sHi(m), sHi(n) - sLo(m));
}
export function qsub16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishQ16(cpu, i, sLo(n) - sLo(m), sHi(n) - sHi(m));
}
export function shadd16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishSH16(cpu, i, sLo(n) + sLo(m), sHi(n) + sHi(m));
}
export function shasx(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishSH16(cpu, i, sLo(n) - sHi(m), sHi(n) + sLo(m));
}
export function shsax(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishSH16(cpu, i, sLo(n) + sHi(m), sHi(n) - sLo(m));
}
export function shsub16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishSH16(cpu, i, sLo(n) - sLo(m), sHi(n) - sHi(m));
}

// ---- unsigned halfword forms ----

export function uadd16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishU16(cpu, i, uLo(n) + uLo(m), uHi(n) + uHi(m));
}
export function uasx(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishU16(cpu, i, uLo(n) - uHi(m) + 0x10000, uHi(n) + uLo(m));
}
export function usax(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishU16(cpu, i, uLo(n) + uHi(m), uHi(n) - uLo(m) + 0x10000);
}
export function usub16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishU16(cpu, i, uLo(n) - uLo(m) + 0x10000, uHi(n) - uHi(m) + 0x10000);
}
export function uqadd16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishUQ16(cpu, i, uLo(n) + uLo(m), uHi(n) + uHi(m));
}
export function uqasx(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishUQ16(cpu, i, uLo(n) - uHi(m), uHi(n) + uLo(m));
}
export function uqsax(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishUQ16(cpu, i, uLo(n) + uHi(m), uHi(n) - uLo(m));
}
export function uqsub16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishUQ16(cpu, i, uLo(n) - uLo(m), uHi(n) - uHi(m));
}
export function uhadd16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishUH16(cpu, i, uLo(n) + uLo(m), uHi(n) + uHi(m));
}
export function uhasx(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishUH16(cpu, i, uLo(n) - uHi(m), uHi(n) + uLo(m));
}
export function uhsax(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishUH16(cpu, i, uLo(n) + uHi(m), uHi(n) - uLo(m));
}
export function uhsub16(cpu: Cpu, i: Insn): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  finishUH16(cpu, i, uLo(n) - uLo(m), uHi(n) - uHi(m));
}

// ---- byte forms: `sign` is +1 for ADD8, -1 for SUB8 ----

function sLane8(x: number, s: number): number {
  return (x << (24 - s)) >> 24;
}
function uLane8(x: number, s: number): number {
  return (x >>> s) & 0xff;
}

function s8(cpu: Cpu, i: Insn, sign: number): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  let result = 0;
  let ge = 0;
  for (let s = 0; s < 32; s += 8) {
    const x = sLane8(n, s) + sign * sLane8(m, s);
    result |= (x & 0xff) << s;
    if (x >= 0) ge |= 1 << (s >>> 3);
  }
  cpu.r[i.rd] = result;
  cpu.ge = ge;
}
function q8(cpu: Cpu, i: Insn, sign: number): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  let result = 0;
  for (let s = 0; s < 32; s += 8) {
    const x = sLane8(n, s) + sign * sLane8(m, s);
    result |= ((x > 0x7f ? 0x7f : x < -0x80 ? -0x80 : x) & 0xff) << s;
  }
  cpu.r[i.rd] = result;
}
function sh8(cpu: Cpu, i: Insn, sign: number): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  let result = 0;
  for (let s = 0; s < 32; s += 8) {
    result |= (((sLane8(n, s) + sign * sLane8(m, s)) >> 1) & 0xff) << s;
  }
  cpu.r[i.rd] = result;
}
function u8(cpu: Cpu, i: Insn, sign: number): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  let result = 0;
  let ge = 0;
  for (let s = 0; s < 32; s += 8) {
    const x = uLane8(n, s) + sign * uLane8(m, s);
    result |= (x & 0xff) << s;
    // ADD8: carry out of the byte; SUB8: no borrow.
    if (sign > 0 ? x >= 0x100 : x >= 0) ge |= 1 << (s >>> 3);
  }
  cpu.r[i.rd] = result;
  cpu.ge = ge;
}
function uq8(cpu: Cpu, i: Insn, sign: number): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  let result = 0;
  for (let s = 0; s < 32; s += 8) {
    const x = uLane8(n, s) + sign * uLane8(m, s);
    result |= (x > 0xff ? 0xff : x < 0 ? 0 : x) << s;
  }
  cpu.r[i.rd] = result;
}
function uh8(cpu: Cpu, i: Insn, sign: number): void {
  const n = cpu.r[i.rn]!;
  const m = cpu.r[i.rm]!;
  let result = 0;
  for (let s = 0; s < 32; s += 8) {
    result |= (((uLane8(n, s) + sign * uLane8(m, s)) >> 1) & 0xff) << s;
  }
  cpu.r[i.rd] = result;
}

export const sadd8 = (cpu: Cpu, i: Insn): void => s8(cpu, i, 1);
export const ssub8 = (cpu: Cpu, i: Insn): void => s8(cpu, i, -1);
export const qadd8 = (cpu: Cpu, i: Insn): void => q8(cpu, i, 1);
export const qsub8 = (cpu: Cpu, i: Insn): void => q8(cpu, i, -1);
export const shadd8 = (cpu: Cpu, i: Insn): void => sh8(cpu, i, 1);
export const shsub8 = (cpu: Cpu, i: Insn): void => sh8(cpu, i, -1);
export const uadd8 = (cpu: Cpu, i: Insn): void => u8(cpu, i, 1);
export const usub8 = (cpu: Cpu, i: Insn): void => u8(cpu, i, -1);
export const uqadd8 = (cpu: Cpu, i: Insn): void => uq8(cpu, i, 1);
export const uqsub8 = (cpu: Cpu, i: Insn): void => uq8(cpu, i, -1);
export const uhadd8 = (cpu: Cpu, i: Insn): void => uh8(cpu, i, 1);
export const uhsub8 = (cpu: Cpu, i: Insn): void => uh8(cpu, i, -1);

// ---- saturating word arithmetic: Q set on saturation ----

function sat32(cpu: Cpu, x: number): number {
  if (x > 0x7fffffff) {
    cpu.q = 1;
    return 0x7fffffff;
  }
  if (x < -0x80000000) {
    cpu.q = 1;
    return -0x80000000;
  }
  return x;
}

/** QADD Rd, Rm, Rn: SignedSat(R[m] + R[n], 32). */
export function qadd(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = sat32(cpu, (r[i.rm]! | 0) + (r[i.rn]! | 0));
}
export function qsub(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = sat32(cpu, (r[i.rm]! | 0) - (r[i.rn]! | 0));
}
/** QDADD Rd, Rm, Rn: SignedSat(R[m] + SignedSat(2 * R[n], 32), 32). */
export function qdadd(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = sat32(cpu, (r[i.rm]! | 0) + sat32(cpu, 2 * (r[i.rn]! | 0)));
}
export function qdsub(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = sat32(cpu, (r[i.rm]! | 0) - sat32(cpu, 2 * (r[i.rn]! | 0)));
}

// ---- SEL, PKH ----

/** Byte mask selecting Rn's bytes for each GE value. */
const SEL_MASK = new Uint32Array(16);
for (let ge = 0; ge < 16; ge++) {
  for (let b = 0; b < 4; b++) if (ge & (1 << b)) SEL_MASK[ge]! |= 0xff << (8 * b);
}

export function sel(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const mask = SEL_MASK[cpu.ge]!;
  r[i.rd] = (r[i.rn]! & mask) | (r[i.rm]! & ~mask);
}

/** PKHBT Rd, Rn, Rm, LSL #shiftN: bottom half from Rn, top half from the shifted Rm. */
export function pkhbt(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = (r[i.rn]! & 0xffff) | ((r[i.rm]! << i.shiftN) & 0xffff0000);
}

/** PKHTB Rd, Rn, Rm, ASR #shiftN (1..32): top half from Rn, bottom from the shifted Rm. */
export function pkhtb(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  // ASR #32 and ASR #31 give the same 32 bits (all copies of the sign bit).
  const m = (r[i.rm]! | 0) >> (i.shiftN > 31 ? 31 : i.shiftN);
  r[i.rd] = (r[i.rn]! & 0xffff0000) | (m & 0xffff);
}

/**
 * The names this module's semantics use that are not exported, for the block translator, which
 * inlines them resolving each name in this module (src/core/jit/inline.ts, semantics.ts).
 */
export const jitScope = {
  sLo,
  sHi,
  uLo,
  uHi,
  pack16,
  sat16,
  usat16,
  finishS16,
  finishQ16,
  finishSH16,
  finishU16,
  finishUQ16,
  finishUH16,
  sLane8,
  uLane8,
  s8,
  q8,
  sh8,
  u8,
  uq8,
  uh8,
  sat32,
  SEL_MASK,
};
