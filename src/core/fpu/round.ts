/**
 * FPRound (ARMv7-M ARM A2.5.3 / pseudocode FPRound) for binary32 and binary16 results, from an
 * exactly known unrounded value. The value is handed over as `m * 2^e0` (m a non-negative
 * integer below 2^53, so exact in a double) plus the sign `t` of a residual smaller than one
 * unit of m's last place: exact = (m + t·ε) · 2^e0 with 0 < ε < 1. Producers guarantee at least
 * one bit of m below the result's last place whenever t ≠ 0, which is all rounding needs.
 *
 * Results go to the scratch record `fpr` (no allocation): `fpr.r` result bits, `fpr.f` FPSCR
 * cumulative flags to OR in.
 */

export const FPSCR_IOC = 1 << 0;
export const FPSCR_DZC = 1 << 1;
export const FPSCR_OFC = 1 << 2;
export const FPSCR_UFC = 1 << 3;
export const FPSCR_IXC = 1 << 4;
export const FPSCR_IDC = 1 << 7;
export const FPSCR_FZ = 1 << 24;
export const FPSCR_DN = 1 << 25;
export const FPSCR_AHP = 1 << 26;
/** FPSCR bits that exist on the Cortex-M4 FPU. */
export const FPSCR_MASK = 0xf7c0009f;

export const RMODE_RN = 0;
export const RMODE_RP = 1;
export const RMODE_RM = 2;
export const RMODE_RZ = 3;

/** Scratch result of every FP operation: result bits and flags to OR into FPSCR. */
export const fpr = { r: 0, f: 0 };

const TWO32 = 4294967296;
/** 2^k for k in [-1100, 1100], exact. */
const POW2 = new Float64Array(2201);
for (let k = -1100; k <= 1100; k++) POW2[k + 1100] = Math.pow(2, k);
export function pow2(k: number): number {
  return POW2[k + 1100]!;
}

/** Number of significant bits of a positive integer below 2^53. */
export function bitLength(m: number): number {
  if (m >= TWO32) return 64 - Math.clz32(Math.floor(m / TWO32));
  return 32 - Math.clz32(m);
}

/**
 * FPRound(sign, m·2^e0 (+ t·ε), fpscr) to binary32 (`half` false) or binary16. m > 0.
 * Writes fpr.r and ORs flags into fpr.f.
 */
export function fpRound(
  sign: number,
  m: number,
  e0: number,
  t: number,
  fpscr: number,
  half: boolean,
): void {
  // A power of two with a negative residual lies in the binade below.
  if (t < 0 && m === 4503599627370496) {
    m = 9007199254740991;
    e0 -= 1;
    t = 1;
  }
  const F = half ? 10 : 23;
  const minExp = half ? -14 : -126;
  const E = e0 + bitLength(m) - 1; // value in [2^E, 2^(E+1))
  const signBit = sign ? (half ? 0x8000 : 0x80000000) : 0;
  if (!half && (fpscr & FPSCR_FZ) !== 0 && E < minExp) {
    fpr.r = signBit >>> 0;
    fpr.f |= FPSCR_UFC;
    return;
  }
  let biased: number;
  let sh: number; // bits of m dropped
  if (E < minExp) {
    biased = 0;
    sh = minExp - F - e0;
  } else {
    biased = E - minExp + 1;
    sh = E - F - e0;
  }
  let q: number;
  let cmp = 0; // remainder compared with half an ulp: -1 below, 0 equal, 1 above
  let inexact = false;
  if (sh <= 0) {
    q = m * pow2(-sh);
  } else {
    const p = pow2(sh);
    q = Math.floor(m / p);
    let r = m - q * p;
    if (r === 0 && t < 0) {
      q -= 1;
      r = p;
    }
    inexact = r !== 0 || t !== 0;
    const h = p / 2;
    cmp = r > h ? 1 : r < h ? -1 : t;
  }
  if (inexact) {
    let up = false;
    switch ((fpscr >>> 22) & 3) {
      case RMODE_RN:
        up = cmp > 0 || (cmp === 0 && q % 2 === 1);
        break;
      case RMODE_RP:
        up = sign === 0;
        break;
      case RMODE_RM:
        up = sign !== 0;
        break;
    }
    if (biased === 0) fpr.f |= FPSCR_UFC;
    if (up) q += 1;
  }
  // q is the significand including the hidden bit; a carry out of it bumps the exponent.
  const oneF = half ? 1024 : 8388608;
  if (biased > 0) {
    if (q >= 2 * oneF) {
      q /= 2; // only when q === 2^(F+1), exact
      biased += 1;
    }
    q -= oneF;
  } else if (q >= oneF) {
    q -= oneF;
    biased = 1;
  }
  const maxBiased = half ? ((fpscr & FPSCR_AHP) !== 0 ? 32 : 31) : 255;
  if (biased >= maxBiased) {
    if (half && (fpscr & FPSCR_AHP) !== 0) {
      fpr.r = signBit | 0x7fff;
      fpr.f |= FPSCR_IOC;
      return;
    }
    const mode = (fpscr >>> 22) & 3;
    const toInf =
      mode === RMODE_RN || (mode === RMODE_RP && sign === 0) || (mode === RMODE_RM && sign !== 0);
    if (half) fpr.r = signBit | (toInf ? 0x7c00 : 0x7bff);
    else fpr.r = (signBit | (toInf ? 0x7f800000 : 0x7f7fffff)) >>> 0;
    fpr.f |= FPSCR_OFC | FPSCR_IXC;
    return;
  }
  fpr.r = (signBit + biased * (half ? 1024 : 8388608) + q) >>> 0;
  if (inexact) fpr.f |= FPSCR_IXC;
}

const f64 = new Float64Array(1);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const MIN_NORMAL = 1.1754943508222875e-38; // 2^-126
const MAX_FINITE = 3.4028234663852886e38; // (2 - 2^-23) * 2^127
const u64 = new Uint32Array(f64.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/**
 * The common case of fpRoundDouble, small enough for the engine to inline into its callers (so
 * `x` and `err` stay unboxed): round to nearest (FPSCR.RMode 0, checked by the caller) of
 * x + err, where x is a double and err the exact residual of a two-sum (|err| at most half an
 * ulp of x; 0 when x is exact; only its sign matters), into the binary32 normal range. Writes
 * fpr.r, ORs IXC into fpr.f and returns true; false (fpr untouched) leaves the case to the full
 * rounding (fpRound):
 * - |x| at or below 2^-126, where the exact value may be tiny (UFC) or the result denormal;
 * - |x| above the largest finite binary32, where it may overflow;
 * - err nonzero and x exactly halfway between two binary32 values: the residual's sign, not
 *   ties-to-even, decides there. Anywhere else rounding x equals rounding x + err, since no
 *   halfway point (itself a double) lies strictly between x and the exact value of which x is
 *   the nearest double.
 */
export function roundNearestFast(x: number, err: number): boolean {
  const ax = x < 0 ? -x : x;
  if (!(ax > MIN_NORMAL && ax <= MAX_FINITE)) return false;
  if (err !== 0) {
    f64[0] = x;
    // The 29 fraction bits a binary32 drops are 1000...0: a halfway point.
    if ((u64[LO]! & 0x1fffffff) === 0x10000000) return false;
    f32[0] = x;
    fpr.f |= FPSCR_IXC;
  } else {
    f32[0] = x;
    if (f32[0]! !== x) fpr.f |= FPSCR_IXC;
  }
  fpr.r = u32[0]!;
  return true;
}

/**
 * FPRound of a nonzero finite double `x` plus a residual of sign `t` (|residual| below half an
 * ulp of x, as an exact two-sum gives) to binary32.
 */
export function fpRoundDouble(x: number, t: number, fpscr: number): void {
  if ((fpscr & 0x00c00000) === 0 && roundNearestFast(x, t)) return;
  f64[0] = x;
  const hi = u64[HI]!;
  const lo = u64[LO]!;
  const sign = hi >>> 31;
  const ex = (hi >>> 20) & 0x7ff;
  let m = (hi & 0xfffff) * TWO32 + lo;
  let e0: number;
  if (ex === 0) e0 = -1074;
  else {
    m += 4503599627370496;
    e0 = ex - 1075;
  }
  if (sign) t = -t;
  fpRound(sign, m, e0, t, fpscr, false);
}
