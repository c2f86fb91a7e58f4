/**
 * Encoders for the FPv4-SP instructions, for tests: each returns the two halfwords of the
 * 32-bit Thumb encoding. Written from the ARM ARM encoding diagrams with plain shifts (not
 * from decode/fpu.ts's patterns); fpu.test.ts checks them against the GNU assembler.
 */
export type Halfwords = [number, number];

const HI = 0xee00;

/** Vx:X split of an S register number: [Vx, X]. */
const sSplit = (s: number): [number, number] => [s >>> 1, s & 1];
/** D register: [Vx, X] with X the top bit. */
const dSplit = (d: number): [number, number] => [d & 15, d >>> 4];

/** VFP data-processing: 11101110 opc1(hi bit) D opc1 Vn | Vd 101 0 N opc3 M 0 Vm. */
function dp(opc1: number, opc3: number, d: number, n: number, m: number): Halfwords {
  const [vd, D] = sSplit(d);
  const [vn, N] = sSplit(n);
  const [vm, M] = sSplit(m);
  return [
    HI | ((opc1 >> 2) << 7) | (D << 6) | ((opc1 & 3) << 4) | vn,
    (vd << 12) | 0xa00 | (N << 7) | (opc3 << 6) | (M << 5) | vm,
  ];
}

export const vmla = (d: number, n: number, m: number) => dp(0, 0, d, n, m);
export const vmls = (d: number, n: number, m: number) => dp(0, 1, d, n, m);
export const vnmls = (d: number, n: number, m: number) => dp(1, 0, d, n, m);
export const vnmla = (d: number, n: number, m: number) => dp(1, 1, d, n, m);
export const vmul = (d: number, n: number, m: number) => dp(2, 0, d, n, m);
export const vnmul = (d: number, n: number, m: number) => dp(2, 1, d, n, m);
export const vadd = (d: number, n: number, m: number) => dp(3, 0, d, n, m);
export const vsub = (d: number, n: number, m: number) => dp(3, 1, d, n, m);
export const vdiv = (d: number, n: number, m: number) => dp(4, 0, d, n, m);
export const vfnms = (d: number, n: number, m: number) => dp(5, 0, d, n, m);
export const vfnma = (d: number, n: number, m: number) => dp(5, 1, d, n, m);
export const vfma = (d: number, n: number, m: number) => dp(6, 0, d, n, m);
export const vfms = (d: number, n: number, m: number) => dp(6, 1, d, n, m);

/** Other data-processing: opc1 = 1x11, opc2 in Vn, opc3 = op:1. */
function other(opc2: number, op: number, d: number, m: number): Halfwords {
  const [vd, D] = sSplit(d);
  const [vm, M] = sSplit(m);
  return [HI | 0x80 | (D << 6) | 0x30 | opc2, (vd << 12) | 0xa40 | (op << 7) | (M << 5) | vm];
}

export const vmovReg = (d: number, m: number) => other(0, 0, d, m);
export const vabs = (d: number, m: number) => other(0, 1, d, m);
export const vneg = (d: number, m: number) => other(1, 0, d, m);
export const vsqrt = (d: number, m: number) => other(1, 1, d, m);
export const vcvtbF32F16 = (d: number, m: number) => other(2, 0, d, m);
export const vcvttF32F16 = (d: number, m: number) => other(2, 1, d, m);
export const vcvtbF16F32 = (d: number, m: number) => other(3, 0, d, m);
export const vcvttF16F32 = (d: number, m: number) => other(3, 1, d, m);
export const vcmp = (d: number, m: number) => other(4, 0, d, m);
export const vcmpe = (d: number, m: number) => other(4, 1, d, m);
export const vcmpZero = (d: number, e = false): Halfwords => other(5, e ? 1 : 0, d, 0);
/** VCVT.F32.S32 / .U32. */
export const vcvtF32Int = (d: number, m: number, signed: boolean) => other(8, signed ? 1 : 0, d, m);
/** VCVT{R}.S32.F32 / .U32.F32: `r` = the VCVTR form (FPSCR rounding). */
export const vcvtIntF32 = (d: number, m: number, signed: boolean, r = false) =>
  other(signed ? 13 : 12, r ? 0 : 1, d, m);

/** VCVT between F32 and fixed point, in place on Sd. */
export function vcvtFixed(
  d: number,
  toFixed: boolean,
  unsigned: boolean,
  size: 16 | 32,
  fbits: number,
): Halfwords {
  const imm5 = size - fbits;
  const [vd, D] = sSplit(d);
  const opc2 = 0b1010 | (toFixed ? 4 : 0) | (unsigned ? 1 : 0);
  return [
    HI | 0x80 | (D << 6) | 0x30 | opc2,
    (vd << 12) | 0xa40 | ((size === 32 ? 1 : 0) << 7) | ((imm5 & 1) << 5) | (imm5 >> 1),
  ];
}

/** VMOV.F32 Sd, #imm8 (the raw 8-bit immediate). */
export function vmovImm(d: number, imm8: number): Halfwords {
  const [vd, D] = sSplit(d);
  return [HI | 0x80 | (D << 6) | 0x30 | (imm8 >> 4), (vd << 12) | 0xa00 | (imm8 & 15)];
}

/** VMOV Sn, Rt (toCore false) / VMOV Rt, Sn. */
export function vmovCoreS(n: number, t: number, toCore: boolean): Halfwords {
  const [vn, N] = sSplit(n);
  return [HI | ((toCore ? 1 : 0) << 4) | vn, (t << 12) | 0xa10 | (N << 7)];
}

/** VMOV Sm, Sm+1, Rt, Rt2 / VMOV Rt, Rt2, Sm, Sm+1. */
export function vmov2CoreS(m: number, t: number, t2: number, toCore: boolean): Halfwords {
  const [vm, M] = sSplit(m);
  return [0xec40 | ((toCore ? 1 : 0) << 4) | t2, (t << 12) | 0xa10 | (M << 5) | vm];
}

/** VMOV Dm, Rt, Rt2 / VMOV Rt, Rt2, Dm. */
export function vmov2CoreD(dmReg: number, t: number, t2: number, toCore: boolean): Halfwords {
  const [vm, M] = dSplit(dmReg);
  return [0xec40 | ((toCore ? 1 : 0) << 4) | t2, (t << 12) | 0xb10 | (M << 5) | vm];
}

/** VMOV.32 Dd[x], Rt (toCore false) / VMOV.32 Rt, Dn[x]. */
export function vmovScalar(dReg: number, x: number, t: number, toCore: boolean): Halfwords {
  const [vd, D] = dSplit(dReg);
  return [HI | (x << 5) | ((toCore ? 1 : 0) << 4) | vd, (t << 12) | 0xb10 | (D << 7)];
}

export const vmrs = (t: number): Halfwords => [0xeef1, (t << 12) | 0xa10];
export const vmsr = (t: number): Halfwords => [0xeee1, (t << 12) | 0xa10];

/** VLDR/VSTR Sd or Dd, [Rn, #±imm] (imm a multiple of 4). */
export function vldrVstr(
  load: boolean,
  double: boolean,
  d: number,
  n: number,
  imm: number,
): Halfwords {
  const [vd, D] = double ? dSplit(d) : sSplit(d);
  const u = imm >= 0 || Object.is(imm, 0) ? 1 : 0;
  return [
    0xed00 | (u << 7) | (D << 6) | ((load ? 1 : 0) << 4) | n,
    (vd << 12) | (double ? 0xb00 : 0xa00) | (Math.abs(imm) >> 2),
  ];
}

/** VLDM/VSTM{IA,DB} Rn{!}, {first..first+count-1} (S or D registers). */
export function vldmVstm(
  load: boolean,
  double: boolean,
  n: number,
  first: number,
  count: number,
  db: boolean,
  wback: boolean,
): Halfwords {
  const [vd, D] = double ? dSplit(first) : sSplit(first);
  const p = db ? 1 : 0;
  const u = db ? 0 : 1;
  return [
    0xec00 | (p << 8) | (u << 7) | (D << 6) | ((wback ? 1 : 0) << 5) | ((load ? 1 : 0) << 4) | n,
    (vd << 12) | (double ? 0xb00 : 0xa00) | (double ? count * 2 : count),
  ];
}

export const vpush = (double: boolean, first: number, count: number) =>
  vldmVstm(false, double, 13, first, count, true, true);
export const vpop = (double: boolean, first: number, count: number) =>
  vldmVstm(true, double, 13, first, count, false, true);
