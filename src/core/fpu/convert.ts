/**
 * Conversions after the ARMv7-M ARM pseudocode: FPToFixed, FixedToFP (VCVT between
 * floating-point and integer / fixed-point) and FPHalfToSingle / FPSingleToHalf (VCVTB,
 * VCVTT, with FPSCR.AHP). Results in `fpr` like softfloat.ts.
 */
import {
  FPSCR_AHP,
  FPSCR_DN,
  FPSCR_IOC,
  FPSCR_IXC,
  RMODE_RN,
  RMODE_RP,
  RMODE_RM,
  fpRound,
  fpr,
  pow2,
} from './round.js';
import { DEFAULT_NAN, T_INF, T_QNAN, T_SNAN, T_ZERO, fpType, toDouble } from './softfloat.js';

/**
 * FPToFixed(op, N, fbits, unsigned, round_zero): fpr.r = the N-bit result (sign- or
 * zero-extended to 32 bits, as VCVT writes it).
 */
export function FPToFixed(
  op: number,
  n: number,
  fbits: number,
  unsigned: boolean,
  roundZero: boolean,
  fpscr: number,
): void {
  fpr.f = 0;
  const mode = roundZero ? 3 : (fpscr >>> 22) & 3;
  const type = fpType(op, fpscr);
  let v: number;
  if (type === T_QNAN || type === T_SNAN) {
    fpr.f |= FPSCR_IOC;
    fpr.r = 0;
    return;
  }
  if (type === T_INF) v = op >>> 31 ? -Infinity : Infinity;
  else if (type === T_ZERO) v = 0;
  else v = toDouble(op) * pow2(fbits);
  let ir = Math.floor(v);
  const err = v - ir; // exact for finite v; NaN for infinities (no rounding needed)
  let up = false;
  switch (mode) {
    case RMODE_RN:
      up = err > 0.5 || (err === 0.5 && ir % 2 !== 0);
      break;
    case RMODE_RP:
      up = err !== 0 && err === err;
      break;
    case RMODE_RM:
      break;
    default:
      up = err !== 0 && err === err && ir < 0;
  }
  if (up) ir += 1;
  const max = unsigned ? pow2(n) - 1 : pow2(n - 1) - 1;
  const min = unsigned ? 0 : -pow2(n - 1);
  if (ir > max || ir < min) {
    ir = ir > max ? max : min;
    fpr.f |= FPSCR_IOC;
  } else if (err !== 0) fpr.f |= FPSCR_IXC;
  fpr.r = ir >>> 0;
}

/**
 * FixedToFP(op<N-1:0>, N, fbits, unsigned, round_to_nearest): converts the low N bits of `op`.
 */
export function FixedToFP(
  op: number,
  n: number,
  fbits: number,
  unsigned: boolean,
  roundNearest: boolean,
  fpscr: number,
): void {
  fpr.f = 0;
  let v: number;
  if (n === 16) v = unsigned ? op & 0xffff : (op << 16) >> 16;
  else v = unsigned ? op >>> 0 : op | 0;
  if (v === 0) {
    fpr.r = 0;
    return;
  }
  const sign = v < 0 ? 1 : 0;
  const m = Math.abs(v);
  fpRound(sign, m, -fbits, 0, roundNearest ? fpscr & ~(3 << 22) : fpscr, false);
}

/** FPHalfToSingle(op<15:0>). */
export function FPHalfToSingle(op: number, fpscr: number): void {
  fpr.f = 0;
  const sign = (op >>> 15) & 1;
  const e = (op >>> 10) & 0x1f;
  const frac = op & 0x3ff;
  const signBit = sign ? 0x80000000 : 0;
  if (e === 0x1f && (fpscr & FPSCR_AHP) === 0) {
    if (frac === 0) {
      fpr.r = (signBit | 0x7f800000) >>> 0;
      return;
    }
    if ((frac & 0x200) === 0) fpr.f |= FPSCR_IOC;
    fpr.r =
      (fpscr & FPSCR_DN) !== 0
        ? DEFAULT_NAN
        : (signBit | 0x7fc00000 | ((frac & 0x1ff) << 13)) >>> 0;
    return;
  }
  if (e === 0 && frac === 0) {
    fpr.r = signBit >>> 0;
    return;
  }
  // Exact: a binary16 value (AHP or not) is a normal binary32 value.
  const m = e === 0 ? frac : frac | 0x400;
  const e0 = e === 0 ? -24 : e - 25;
  fpRound(sign, m, e0, 0, fpscr, false);
}

/** FPSingleToHalf(op): fpr.r = the 16-bit result. */
export function FPSingleToHalf(op: number, fpscr: number): void {
  fpr.f = 0;
  const type = fpType(op, fpscr);
  const sign = op >>> 31;
  const signBit = sign ? 0x8000 : 0;
  const ahp = (fpscr & FPSCR_AHP) !== 0;
  if (type === T_QNAN || type === T_SNAN) {
    if (ahp) fpr.r = signBit;
    else if ((fpscr & FPSCR_DN) !== 0) fpr.r = 0x7e00;
    else fpr.r = signBit | 0x7e00 | ((op >>> 13) & 0x1ff);
    if (type === T_SNAN || ahp) fpr.f |= FPSCR_IOC;
  } else if (type === T_INF) {
    if (ahp) {
      fpr.r = signBit | 0x7fff;
      fpr.f |= FPSCR_IOC;
    } else fpr.r = signBit | 0x7c00;
  } else if (type === T_ZERO) fpr.r = signBit;
  else {
    const e = (op >>> 23) & 0xff;
    const m = e === 0 ? op & 0x7fffff : (op & 0x7fffff) | 0x800000;
    fpRound(sign, m, e === 0 ? -149 : e - 150, 0, fpscr, true);
  }
}
