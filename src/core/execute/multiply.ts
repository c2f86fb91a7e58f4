/**
 * Multiply, multiply-accumulate, long multiply and divide semantics (ARMv7-M ARM A7.7, the
 * MUL/MLA/SMLA../SMULL../SDIV/UDIV pages). Each function is named after its instruction and
 * follows the pseudocode; the decoder (decode/multiply.ts) has already rejected the
 * UNPREDICTABLE register choices (SP, PC, RdLo == RdHi), so results are written to `cpu.r`
 * directly. The Uint32Array store does the `<31:0>` truncation of every result.
 *
 * 64-bit products are computed exactly without BigInt: the low word with Math.imul, the high
 * word from two 16×32-bit partial products, which stay below 2^53 and so are exact in a double.
 *
 * Operand fields (see decode/multiply.ts):
 * - `imm`, `imm2`: left shift that brings the selected half of Rn / Rm to the top (0 = top half,
 *   16 = bottom half); `(x << s) >> 16` then sign-extends it.
 * - `extra`: rotation of Rm (16 for the X "exchange" forms, else 0).
 * - `imm` for SMMUL/SMMLA/SMMLS: the rounding constant (0x80000000 for the R forms, else 0).
 * - long multiplies: `rt` = RdLo, `rt2` = RdHi.
 */
import type { Cpu } from '../cpu.js';
import { CFSR_DIVBYZERO, CpuFault, EXC_USAGEFAULT } from '../faults.js';
import type { Insn } from '../insn.js';

const TWO32 = 4294967296;

/** A 64-bit value as two unsigned 32-bit halves; the output of the helpers below. */
export const wide = { lo: 0, hi: 0 };

/** wide = SInt(a) * SInt(b), exact. */
export function signedMul64(a: number, b: number): void {
  a |= 0;
  b |= 0;
  wide.lo = Math.imul(a, b) >>> 0;
  // a = (a >> 16) * 2^16 + (a & 0xffff); floor(p / 2^32) = floor((hi16 + floor(lo16 / 2^16)) / 2^16).
  wide.hi = Math.floor(((a >> 16) * b + Math.floor(((a & 0xffff) * b) / 65536)) / 65536) >>> 0;
}

/** wide = UInt(a) * UInt(b), exact. */
export function unsignedMul64(a: number, b: number): void {
  a >>>= 0;
  b >>>= 0;
  wide.lo = Math.imul(a, b) >>> 0;
  wide.hi = Math.floor(((a >>> 16) * b + Math.floor(((a & 0xffff) * b) / 65536)) / 65536) >>> 0;
}

/** wide += hi:lo (modulo 2^64); lo and hi are 32-bit values (signed or unsigned). */
function addWide(lo: number, hi: number): void {
  const sum = wide.lo + (lo >>> 0);
  wide.lo = sum >>> 0;
  wide.hi = (wide.hi + hi + (sum >= TWO32 ? 1 : 0)) >>> 0;
}

/** wide += SInt(x) for an integer |x| < 2^53 (a sign-extended small product or sum). */
function addWideSigned(x: number): void {
  addWide(x >>> 0, x < 0 ? 0xffffffff : 0);
}

/** Selected signed halfword of x: `shift` 0 takes the top half, 16 the bottom half. */
function half(x: number, shift: number): number {
  return (x << shift) >> 16;
}

/** ROR(x, 16) for the exchange (X) forms, identity for rot = 0. */
function exchange(x: number, rot: number): number {
  return (x >>> rot) | (x << (32 - rot));
}

// ---- 32-bit results ----

export function mul(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = Math.imul(r[i.rn]!, r[i.rm]!);
}

export function mla(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = Math.imul(r[i.rn]!, r[i.rm]!) + r[i.ra]!;
}

export function mls(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = r[i.ra]! - Math.imul(r[i.rn]!, r[i.rm]!);
}

/** SMLA<x><y>: 16×16 product plus Ra; Q set on signed overflow. */
export function smlaxy(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const result = half(r[i.rn]!, i.imm) * half(r[i.rm]!, i.imm2) + (r[i.ra]! | 0);
  r[i.rd] = result;
  if (result !== (result | 0)) cpu.q = 1;
}

export function smulxy(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = half(r[i.rn]!, i.imm) * half(r[i.rm]!, i.imm2);
}

/** SMLAD{X}: dual 16×16 products added to Ra; Q set on signed overflow. */
export function smlad(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const n = r[i.rn]!;
  const m = exchange(r[i.rm]!, i.extra);
  const result = half(n, 16) * half(m, 16) + (n >> 16) * (m >> 16) + (r[i.ra]! | 0);
  r[i.rd] = result;
  if (result !== (result | 0)) cpu.q = 1;
}

/** SMUAD{X}: overflows only for 0x8000 * 0x8000 twice (Q set). */
export function smuad(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const n = r[i.rn]!;
  const m = exchange(r[i.rm]!, i.extra);
  const result = half(n, 16) * half(m, 16) + (n >> 16) * (m >> 16);
  r[i.rd] = result;
  if (result !== (result | 0)) cpu.q = 1;
}

/** SMLSD{X}: difference of the dual products plus Ra; Q set on signed overflow. */
export function smlsd(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const n = r[i.rn]!;
  const m = exchange(r[i.rm]!, i.extra);
  const result = half(n, 16) * half(m, 16) - (n >> 16) * (m >> 16) + (r[i.ra]! | 0);
  r[i.rd] = result;
  if (result !== (result | 0)) cpu.q = 1;
}

/** SMUSD{X}: cannot overflow. */
export function smusd(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const n = r[i.rn]!;
  const m = exchange(r[i.rm]!, i.extra);
  r[i.rd] = half(n, 16) * half(m, 16) - (n >> 16) * (m >> 16);
}

/** SMLAW<y>: (Rn * half(Rm) + (Ra << 16))<47:16>; Q set when that does not fit. */
export function smlawy(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  // |Rn * half| <= 2^46, |Ra * 2^16| <= 2^47: the sum is exact.
  const result = Math.floor(
    ((r[i.rn]! | 0) * half(r[i.rm]!, i.imm2) + (r[i.ra]! | 0) * 65536) / 65536,
  );
  r[i.rd] = result;
  if (result !== (result | 0)) cpu.q = 1;
}

export function smulwy(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = Math.floor(((r[i.rn]! | 0) * half(r[i.rm]!, i.imm2)) / 65536);
}

/** SMMUL{R}: top word of the signed product, optionally rounded. */
export function smmul(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  signedMul64(r[i.rn]!, r[i.rm]!);
  r[i.rd] = wide.hi + (wide.lo + i.imm >= TWO32 ? 1 : 0);
}

/** SMMLA{R}: top word of (Ra << 32) + product (+ 0x80000000). */
export function smmla(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  signedMul64(r[i.rn]!, r[i.rm]!);
  r[i.rd] = r[i.ra]! + wide.hi + (wide.lo + i.imm >= TWO32 ? 1 : 0);
}

/** SMMLS{R}: top word of (Ra << 32) - product (+ 0x80000000). */
export function smmls(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  signedMul64(r[i.rn]!, r[i.rm]!);
  // (Ra - hi) * 2^32 + (round - lo): a borrow from the low word when lo > round.
  r[i.rd] = r[i.ra]! - wide.hi - (wide.lo > i.imm ? 1 : 0);
}

function absDiff8(n: number, m: number): number {
  let sum = 0;
  for (let s = 0; s < 32; s += 8) {
    const d = ((n >>> s) & 0xff) - ((m >>> s) & 0xff);
    sum += d < 0 ? -d : d;
  }
  return sum;
}

export function usad8(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = absDiff8(r[i.rn]!, r[i.rm]!);
}

export function usada8(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  r[i.rd] = absDiff8(r[i.rn]!, r[i.rm]!) + r[i.ra]!;
}

// ---- 64-bit results (rt = RdLo, rt2 = RdHi) ----

export function smull(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  signedMul64(r[i.rn]!, r[i.rm]!);
  r[i.rt2] = wide.hi;
  r[i.rt] = wide.lo;
}

export function umull(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  unsignedMul64(r[i.rn]!, r[i.rm]!);
  r[i.rt2] = wide.hi;
  r[i.rt] = wide.lo;
}

export function smlal(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  signedMul64(r[i.rn]!, r[i.rm]!);
  addWide(r[i.rt]!, r[i.rt2]!);
  r[i.rt2] = wide.hi;
  r[i.rt] = wide.lo;
}

export function umlal(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  unsignedMul64(r[i.rn]!, r[i.rm]!);
  addWide(r[i.rt]!, r[i.rt2]!);
  r[i.rt2] = wide.hi;
  r[i.rt] = wide.lo;
}

/** UMAAL: Rn * Rm + RdLo + RdHi, which cannot exceed 2^64 - 1. */
export function umaal(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  unsignedMul64(r[i.rn]!, r[i.rm]!);
  const sum = wide.lo + r[i.rt]! + r[i.rt2]!; // < 3 * 2^32
  r[i.rt2] = wide.hi + Math.floor(sum / TWO32);
  r[i.rt] = sum;
}

/** SMLAL<x><y>: 16×16 product sign-extended and added to RdHi:RdLo. */
export function smlalxy(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  wide.lo = r[i.rt]!;
  wide.hi = r[i.rt2]!;
  addWideSigned(half(r[i.rn]!, i.imm) * half(r[i.rm]!, i.imm2));
  r[i.rt2] = wide.hi;
  r[i.rt] = wide.lo;
}

/** SMLALD{X}: sum of the dual products (|sum| <= 2^31) added to RdHi:RdLo. */
export function smlald(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const n = r[i.rn]!;
  const m = exchange(r[i.rm]!, i.extra);
  wide.lo = r[i.rt]!;
  wide.hi = r[i.rt2]!;
  addWideSigned(half(n, 16) * half(m, 16) + (n >> 16) * (m >> 16));
  r[i.rt2] = wide.hi;
  r[i.rt] = wide.lo;
}

export function smlsld(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const n = r[i.rn]!;
  const m = exchange(r[i.rm]!, i.extra);
  wide.lo = r[i.rt]!;
  wide.hi = r[i.rt2]!;
  addWideSigned(half(n, 16) * half(m, 16) - (n >> 16) * (m >> 16));
  r[i.rt2] = wide.hi;
  r[i.rt] = wide.lo;
}

// ---- divide ----

/**
 * Extra cycles of a divide beyond the base 2: the Cortex-M4 divider stops early when the
 * operands are close in size; charge one cycle per 3 quotient bits (2..12 in total).
 */
export function divideExtraCycles(dividend: number, divisor: number): number {
  const bits = Math.clz32(divisor) - Math.clz32(dividend);
  return bits > 0 ? (bits / 3) | 0 : 0;
}

function divideByZero(cpu: Cpu, i: Insn): void {
  if (cpu.exc.divideByZeroTrap) throw new CpuFault(EXC_USAGEFAULT, CFSR_DIVBYZERO);
  cpu.r[i.rd] = 0;
}

/** SDIV: RoundTowardsZero; INT_MIN / -1 gives 2^31, i.e. 0x80000000 after truncation. */
export function sdiv(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const n = r[i.rn]! | 0;
  const m = r[i.rm]! | 0;
  if (m === 0) {
    divideByZero(cpu, i);
    return;
  }
  // The quotient of two int32 doubles is never rounded across an integer, and the Uint32Array
  // store truncates toward zero (ToUint32): RoundTowardsZero without Math.trunc.
  r[i.rd] = n / m;
  cpu.clock.cycles += divideExtraCycles(Math.abs(n), Math.abs(m));
}

export function udiv(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const n = r[i.rn]!;
  const m = r[i.rm]!;
  if (m === 0) {
    divideByZero(cpu, i);
    return;
  }
  r[i.rd] = n / m;
  cpu.clock.cycles += divideExtraCycles(n, m);
}

/**
 * The names this module's semantics use that are not exported, for the block translator, which
 * inlines them resolving each name in this module (src/core/jit/inline.ts, semantics.ts).
 */
export const jitScope = {
  CFSR_DIVBYZERO,
  CpuFault,
  EXC_USAGEFAULT,
  TWO32,
  addWide,
  addWideSigned,
  half,
  exchange,
  absDiff8,
  divideByZero,
};
