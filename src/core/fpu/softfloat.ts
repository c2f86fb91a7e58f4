/**
 * Exact binary32 arithmetic after the ARMv7-M ARM pseudocode (A2.5, FPAdd, FPMul, FPMulAdd,
 * FPDiv, FPSqrt, FPCompare): FPUnpack with flush-to-zero of inputs (IDC), FPProcessNaNs,
 * default NaN, and one FPRound (round.ts) from an exactly known value:
 * - add/sub: the two-sum of two binary32 values held in doubles gives s + e exactly;
 * - mul: the 48-bit product is exact in a double;
 * - fused multiply-add: exact product, then a two-sum with the addend: one rounding;
 * - div, sqrt: integer quotient / square root of the significands with a remainder bit.
 *
 * Every function takes the raw operand bits and the FPSCR value and leaves its result in
 * `fpr.r` and the cumulative flags to OR into FPSCR in `fpr.f` (reset by each call).
 */
import {
  FPSCR_DN,
  FPSCR_DZC,
  FPSCR_FZ,
  FPSCR_IDC,
  FPSCR_IOC,
  FPSCR_IXC,
  RMODE_RM,
  fpRound,
  fpRoundDouble,
  fpr,
  roundNearestFast,
} from './round.js';

export { fpr } from './round.js';

export const T_ZERO = 0;
export const T_NONZERO = 1;
export const T_INF = 2;
export const T_QNAN = 3;
export const T_SNAN = 4;

export const DEFAULT_NAN = 0x7fc00000;
const POS_INF = 0x7f800000;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary32 value of `bits` as a double (finite, non-NaN inputs). */
export function toDouble(bits: number): number {
  u32[0] = bits;
  return f32[0]!;
}

/** FPUnpack's type; flushes a denormal to zero under FPSCR.FZ, signalling IDC in fpr.f. */
export function fpType(bits: number, fpscr: number): number {
  const e = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (e === 0) {
    if (frac === 0) return T_ZERO;
    if ((fpscr & FPSCR_FZ) !== 0) {
      fpr.f |= FPSCR_IDC;
      return T_ZERO;
    }
    return T_NONZERO;
  }
  if (e === 0xff) {
    if (frac === 0) return T_INF;
    return (frac & 0x400000) !== 0 ? T_QNAN : T_SNAN;
  }
  return T_NONZERO;
}

/** The operand's value after FPUnpack (a flushed denormal is ±0). */
function value(bits: number, type: number): number {
  return type === T_ZERO ? 0 : toDouble(bits);
}

/** FPProcessNaN. */
function processNaN(type: number, bits: number, fpscr: number): void {
  if (type === T_SNAN) fpr.f |= FPSCR_IOC;
  fpr.r = (fpscr & FPSCR_DN) !== 0 ? DEFAULT_NAN : (bits | 0x400000) >>> 0;
}

/** FPProcessNaNs: returns true (result in fpr.r) when either operand is a NaN. */
function processNaNs(t1: number, t2: number, a: number, b: number, fpscr: number): boolean {
  if (t1 === T_SNAN) processNaN(t1, a, fpscr);
  else if (t2 === T_SNAN) processNaN(t2, b, fpscr);
  else if (t1 === T_QNAN) processNaN(t1, a, fpscr);
  else if (t2 === T_QNAN) processNaN(t2, b, fpscr);
  else return false;
  return true;
}

function zeroOf(sign: number): number {
  return sign ? 0x80000000 : 0;
}
function infOf(sign: number): number {
  return (sign ? 0xff800000 : POS_INF) >>> 0;
}
function invalid(): void {
  fpr.r = DEFAULT_NAN;
  fpr.f |= FPSCR_IOC;
}

/** Exact zero result whose sign the rounding mode decides. */
function exactZero(fpscr: number): number {
  return ((fpscr >>> 22) & 3) === RMODE_RM ? 0x80000000 : 0;
}

/** Rounds the exact sum x + y of two doubles whose sum is not overflowing (two-sum). */
function roundSum(x: number, y: number, fpscr: number): void {
  const s = x + y;
  if (s === 0) {
    fpr.r = exactZero(fpscr);
    return;
  }
  const bb = s - x;
  const err = x - (s - bb) + (y - bb);
  fpRoundDouble(s, err > 0 ? 1 : err < 0 ? -1 : 0, fpscr);
}

/**
 * The fast paths below take operands that are normal numbers or zeros under round to nearest: no
 * NaN, infinity or denormal to unpack, so FZ, DN and IDC play no part; a zero product is exact,
 * and any other exactly known result goes to roundNearestFast. Whatever that declines goes the
 * full way.
 */
const RMODE_BITS = 0x00c00000;

/** A normal number: exponent field 1..254. */
function isNormal(bits: number): boolean {
  return (((bits >>> 23) & 0xff) - 1) >>> 0 < 254;
}
/** A normal number or ±0. */
function isNormalOrZero(bits: number): boolean {
  return (bits & 0x7fffffff) === 0 || (((bits >>> 23) & 0xff) - 1) >>> 0 < 254;
}

/** FPAdd(a, b); with `subtract`, FPSub(a, b). */
export function FPAdd(a: number, b: number, fpscr: number, subtract = false): void {
  if ((fpscr & RMODE_BITS) === 0 && isNormalOrZero(a) && isNormalOrZero(b)) {
    const x = toDouble(a);
    const y = subtract ? -toDouble(b) : toDouble(b);
    const s = x + y;
    const bb = s - x;
    fpr.f = 0;
    if (roundNearestFast(s, x - (s - bb) + (y - bb))) return;
  }
  FPAddFull(a, b, fpscr, subtract);
}

/** FPAdd the full way: FPUnpack, FPProcessNaNs, infinities, zeros, one FPRound. */
export function FPAddFull(a: number, b: number, fpscr: number, subtract: boolean): void {
  fpr.f = 0;
  const t1 = fpType(a, fpscr);
  const t2 = fpType(b, fpscr);
  if (processNaNs(t1, t2, a, b, fpscr)) return;
  const s1 = a >>> 31;
  const s2 = (b >>> 31) ^ (subtract ? 1 : 0);
  if (t1 === T_INF && t2 === T_INF && s1 !== s2) invalid();
  else if ((t1 === T_INF && s1 === 0) || (t2 === T_INF && s2 === 0)) fpr.r = POS_INF;
  else if (t1 === T_INF || t2 === T_INF) fpr.r = infOf(1);
  else if (t1 === T_ZERO && t2 === T_ZERO && s1 === s2) fpr.r = zeroOf(s1);
  else {
    const v2 = value(b, t2);
    roundSum(value(a, t1), subtract ? -v2 : v2, fpscr);
  }
}

export function FPSub(a: number, b: number, fpscr: number): void {
  FPAdd(a, b, fpscr, true);
}

/** FPMul(a, b). */
export function FPMul(a: number, b: number, fpscr: number): void {
  // The product of two binary32 significands (48 bits) is exact in a double.
  if ((fpscr & RMODE_BITS) === 0 && isNormalOrZero(a) && isNormalOrZero(b)) {
    fpr.f = 0;
    if ((a & 0x7fffffff) === 0 || (b & 0x7fffffff) === 0) {
      fpr.r = zeroOf((a ^ b) >>> 31); // exact
      return;
    }
    if (roundNearestFast(toDouble(a) * toDouble(b), 0)) return;
  }
  FPMulFull(a, b, fpscr);
}

/** FPMul the full way (the reference its fast path must agree with, as for FPAdd, FPMulAdd). */
export function FPMulFull(a: number, b: number, fpscr: number): void {
  fpr.f = 0;
  const t1 = fpType(a, fpscr);
  const t2 = fpType(b, fpscr);
  if (processNaNs(t1, t2, a, b, fpscr)) return;
  const sign = (a ^ b) >>> 31;
  if ((t1 === T_INF && t2 === T_ZERO) || (t1 === T_ZERO && t2 === T_INF)) invalid();
  else if (t1 === T_INF || t2 === T_INF) fpr.r = infOf(sign);
  else if (t1 === T_ZERO || t2 === T_ZERO) fpr.r = zeroOf(sign);
  else fpRoundDouble(toDouble(a) * toDouble(b), 0, fpscr);
}

/** FPMulAdd(addend, op1, op2) = addend + op1 * op2 with a single rounding (VFMA and friends). */
export function FPMulAdd(addend: number, op1: number, op2: number, fpscr: number): void {
  if (
    (fpscr & RMODE_BITS) === 0 &&
    isNormalOrZero(op1) &&
    isNormalOrZero(op2) &&
    isNormalOrZero(addend)
  ) {
    if ((op1 & 0x7fffffff) === 0 || (op2 & 0x7fffffff) === 0) {
      // A zero product: the addend exactly; two zeros of opposite signs sum to +0.
      fpr.f = 0;
      fpr.r = (addend & 0x7fffffff) !== 0 || addend >>> 31 === (op1 ^ op2) >>> 31 ? addend : 0;
      return;
    }
    const x = toDouble(addend);
    const p = toDouble(op1) * toDouble(op2); // exact
    const s = x + p;
    const bb = s - x;
    fpr.f = 0;
    if (roundNearestFast(s, x - (s - bb) + (p - bb))) return;
  }
  FPMulAddFull(addend, op1, op2, fpscr);
}

/** FPMulAdd the full way. */
export function FPMulAddFull(addend: number, op1: number, op2: number, fpscr: number): void {
  fpr.f = 0;
  const tA = fpType(addend, fpscr);
  const t1 = fpType(op1, fpscr);
  const t2 = fpType(op2, fpscr);
  const inf1 = t1 === T_INF;
  const inf2 = t2 === T_INF;
  const zero1 = t1 === T_ZERO;
  const zero2 = t2 === T_ZERO;
  // FPProcessNaNs3: signalling NaNs first, in operand order, then quiet ones.
  if (tA === T_SNAN) processNaN(tA, addend, fpscr);
  else if (t1 === T_SNAN) processNaN(t1, op1, fpscr);
  else if (t2 === T_SNAN) processNaN(t2, op2, fpscr);
  else if (tA === T_QNAN) {
    processNaN(tA, addend, fpscr);
    // A quiet NaN addend does not hide the invalid 0 × ∞.
    if ((inf1 && zero2) || (zero1 && inf2)) invalid();
  } else if (t1 === T_QNAN) processNaN(t1, op1, fpscr);
  else if (t2 === T_QNAN) processNaN(t2, op2, fpscr);
  else {
    const sA = addend >>> 31;
    const sP = (op1 ^ op2) >>> 31;
    const infA = tA === T_INF;
    const infP = inf1 || inf2;
    const zeroP = zero1 || zero2;
    if ((inf1 && zero2) || (zero1 && inf2) || (infA && infP && sA !== sP)) invalid();
    else if ((infA && sA === 0) || (infP && sP === 0)) fpr.r = POS_INF;
    else if (infA || infP) fpr.r = infOf(1);
    else if (tA === T_ZERO && zeroP && sA === sP) fpr.r = zeroOf(sA);
    else {
      const p = zeroP ? 0 : toDouble(op1) * toDouble(op2);
      roundSum(value(addend, tA), p, fpscr);
    }
  }
}

/** Normalised significand (in [2^23, 2^24)) and exponent of a nonzero finite binary32. */
let nm = 0;
let ne = 0;
function normalise(bits: number): void {
  const e = (bits >>> 23) & 0xff;
  let m = bits & 0x7fffff;
  let ex: number;
  if (e === 0) {
    const s = Math.clz32(m) - 8;
    m <<= s;
    ex = -149 - s;
  } else {
    m |= 0x800000;
    ex = e - 150;
  }
  nm = m;
  ne = ex;
}

/** FPDiv(a, b). */
export function FPDiv(a: number, b: number, fpscr: number): void {
  if ((fpscr & RMODE_BITS) === 0 && isNormal(a) && isNormal(b)) {
    const x = toDouble(a);
    const y = toDouble(b);
    // The binary32 nearest the double quotient, unless that is halfway between two (an exact
    // quotient never is: told it may be inexact, roundNearestFast declines). Exact when the
    // remainder x - r·y is 0: the product of two binary32 values is exact, and so is the
    // difference of two values this close (Sterbenz).
    fpr.f = 0;
    if (roundNearestFast(x / y, 1)) {
      fpr.f = x - toDouble(fpr.r) * y === 0 ? 0 : FPSCR_IXC;
      return;
    }
  }
  FPDivFull(a, b, fpscr);
}

/** FPDiv the full way. */
export function FPDivFull(a: number, b: number, fpscr: number): void {
  fpr.f = 0;
  const t1 = fpType(a, fpscr);
  const t2 = fpType(b, fpscr);
  if (processNaNs(t1, t2, a, b, fpscr)) return;
  const sign = (a ^ b) >>> 31;
  if ((t1 === T_INF && t2 === T_INF) || (t1 === T_ZERO && t2 === T_ZERO)) invalid();
  else if (t1 === T_INF || t2 === T_ZERO) {
    fpr.r = infOf(sign);
    if (t1 !== T_INF) fpr.f |= FPSCR_DZC;
  } else if (t1 === T_ZERO || t2 === T_INF) fpr.r = zeroOf(sign);
  else {
    normalise(a);
    const ma = nm;
    const ea = ne;
    normalise(b);
    const n = ma * 268435456; // ma · 2^28 < 2^52
    let q = Math.floor(n / nm);
    let rem = n - q * nm;
    if (rem < 0) {
      q -= 1;
      rem += nm;
    } else if (rem >= nm) {
      q += 1;
      rem -= nm;
    }
    fpRound(sign, q, ea - ne - 28, rem > 0 ? 1 : 0, fpscr, false);
  }
}

/** FPSqrt(a). */
export function FPSqrt(a: number, fpscr: number): void {
  if ((fpscr & RMODE_BITS) === 0 && isNormal(a) && a >>> 31 === 0) {
    const x = toDouble(a);
    // As FPDiv: exact when the result squared (exact) is the operand; never halfway exactly.
    fpr.f = 0;
    if (roundNearestFast(Math.sqrt(x), 1)) {
      const r = toDouble(fpr.r);
      fpr.f = r * r === x ? 0 : FPSCR_IXC;
      return;
    }
  }
  FPSqrtFull(a, fpscr);
}

/** FPSqrt the full way. */
export function FPSqrtFull(a: number, fpscr: number): void {
  fpr.f = 0;
  const t = fpType(a, fpscr);
  const sign = a >>> 31;
  if (t === T_QNAN || t === T_SNAN) processNaN(t, a, fpscr);
  else if (t === T_ZERO) fpr.r = zeroOf(sign);
  else if (t === T_INF && sign === 0) fpr.r = POS_INF;
  else if (sign !== 0) invalid();
  else {
    normalise(a);
    const k = (ne - 28) % 2 === 0 ? 28 : 29;
    const big = nm * (k === 28 ? 268435456 : 536870912);
    let s = Math.floor(Math.sqrt(big));
    while (s * s > big) s -= 1;
    while ((s + 1) * (s + 1) <= big) s += 1;
    fpRound(0, s, (ne - k) / 2, s * s < big ? 1 : 0, fpscr, false);
  }
}

/**
 * FPCompare(a, b, quiet_nan_exc): returns the NZCV nibble (bits 31:28 of FPSCR) and leaves
 * the flags in fpr.f.
 */
export function FPCompare(a: number, b: number, quietNanExc: boolean, fpscr: number): number {
  fpr.f = 0;
  const t1 = fpType(a, fpscr);
  const t2 = fpType(b, fpscr);
  if (t1 >= T_QNAN || t2 >= T_QNAN) {
    if (t1 === T_SNAN || t2 === T_SNAN || quietNanExc) fpr.f |= FPSCR_IOC;
    return 0b0011;
  }
  const v1 = t1 === T_INF ? (a >>> 31 ? -Infinity : Infinity) : value(a, t1);
  const v2 = t2 === T_INF ? (b >>> 31 ? -Infinity : Infinity) : value(b, t2);
  if (v1 === v2) return 0b0110;
  return v1 < v2 ? 0b1000 : 0b0010;
}

/** FPNeg, FPAbs: sign bit only, no exceptions, NaNs untouched otherwise. */
export function FPNeg(a: number): number {
  return (a ^ 0x80000000) >>> 0;
}
export function FPAbs(a: number): number {
  return a & 0x7fffffff;
}
