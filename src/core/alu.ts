/**
 * Shared semantics from the ARMv7-M ARM pseudocode (A2.2, A2.3, A5.3.2, A7.3). Functions that
 * produce more than one value leave the extra outputs in `alu` (a per-module scratch record:
 * the interpreter is single-threaded and the values are consumed immediately).
 */
import type { Cpu } from './cpu.js';

export const SRType_LSL = 0;
export const SRType_LSR = 1;
export const SRType_ASR = 2;
export const SRType_ROR = 3;
export const SRType_RRX = 4;

/** Second outputs of the functions below. */
export const alu = { carry: 0, overflow: 0, sat: false };

/** AddWithCarry(x, y, carry_in): returns the result; carry and overflow in `alu`. */
export function addWithCarry(x: number, y: number, carryIn: number): number {
  const ux = x >>> 0;
  const uy = y >>> 0;
  const usum = ux + uy + carryIn;
  const result = usum >>> 0;
  alu.carry = usum > 0xffffffff ? 1 : 0;
  const ssum = (x | 0) + (y | 0) + carryIn;
  alu.overflow = ssum !== (result | 0) ? 1 : 0;
  return result;
}

/** DecodeImmShift(type, imm5) → sets shiftType/shiftN via the returned packed value. */
export function decodeImmShift(type: number, imm5: number): { t: number; n: number } {
  switch (type) {
    case 0:
      return { t: SRType_LSL, n: imm5 };
    case 1:
      return { t: SRType_LSR, n: imm5 === 0 ? 32 : imm5 };
    case 2:
      return { t: SRType_ASR, n: imm5 === 0 ? 32 : imm5 };
    default:
      return imm5 === 0 ? { t: SRType_RRX, n: 1 } : { t: SRType_ROR, n: imm5 };
  }
}

/** Shift_C(value, type, amount, carry_in): result; carry out in `alu.carry`. */
export function shiftC(value: number, type: number, amount: number, carryIn: number): number {
  value >>>= 0;
  if (amount === 0) {
    alu.carry = carryIn;
    return value;
  }
  switch (type) {
    case SRType_LSL:
      if (amount < 32) {
        alu.carry = (value >>> (32 - amount)) & 1;
        return (value << amount) >>> 0;
      }
      alu.carry = amount === 32 ? value & 1 : 0;
      return 0;
    case SRType_LSR:
      if (amount < 32) {
        alu.carry = (value >>> (amount - 1)) & 1;
        return value >>> amount;
      }
      alu.carry = amount === 32 ? value >>> 31 : 0;
      return 0;
    case SRType_ASR:
      if (amount < 32) {
        alu.carry = ((value | 0) >> (amount - 1)) & 1;
        return ((value | 0) >> amount) >>> 0;
      }
      alu.carry = value >>> 31;
      return ((value | 0) >> 31) >>> 0;
    case SRType_ROR: {
      const m = amount & 31;
      const result = m === 0 ? value : ((value >>> m) | (value << (32 - m))) >>> 0;
      alu.carry = result >>> 31;
      return result;
    }
    default: {
      // RRX
      alu.carry = value & 1;
      return ((carryIn << 31) | (value >>> 1)) >>> 0;
    }
  }
}

/** Shift(value, type, amount, carry_in) without the carry. */
export function shift(value: number, type: number, amount: number, carryIn: number): number {
  return shiftC(value, type, amount, carryIn);
}

/** ROR(x, n). */
export function ror(x: number, n: number): number {
  n &= 31;
  return n === 0 ? x >>> 0 : ((x >>> n) | (x << (32 - n))) >>> 0;
}

/**
 * ThumbExpandImm_C(imm12, carry_in): the modified immediate; `alu.carry` is the carry out, or
 * -1 when the encoding leaves the carry flag unchanged (no rotation).
 */
export function thumbExpandImmC(imm12: number): number {
  const imm8 = imm12 & 0xff;
  if (imm12 >>> 10 === 0) {
    alu.carry = -1;
    switch ((imm12 >>> 8) & 3) {
      case 0:
        return imm8;
      case 1:
        return ((imm8 << 16) | imm8) >>> 0;
      case 2:
        return ((imm8 << 24) | (imm8 << 8)) >>> 0;
      default:
        return ((imm8 << 24) | (imm8 << 16) | (imm8 << 8) | imm8) >>> 0;
    }
  }
  const unrotated = 0x80 | (imm12 & 0x7f);
  const result = ror(unrotated, imm12 >>> 7);
  alu.carry = result >>> 31;
  return result;
}

/** ConditionPassed for a 4-bit condition code against the core's flags. */
export function conditionPassed(cpu: Cpu, cond: number): boolean {
  switch (cond >>> 1) {
    case 0:
      return (cpu.z === 1) !== ((cond & 1) === 1);
    case 1:
      return (cpu.c === 1) !== ((cond & 1) === 1);
    case 2:
      return (cpu.n === 1) !== ((cond & 1) === 1);
    case 3:
      return (cpu.v === 1) !== ((cond & 1) === 1);
    case 4:
      return (cpu.c === 1 && cpu.z === 0) !== ((cond & 1) === 1);
    case 5:
      return (cpu.n === cpu.v) !== ((cond & 1) === 1);
    case 6:
      return (cpu.n === cpu.v && cpu.z === 0) !== ((cond & 1) === 1);
    default:
      return true; // AL (and 0b1111, treated as AL where it is legal)
  }
}

/** SignedSatQ(i, N): saturated value; `alu.sat` tells whether it saturated. */
export function signedSat(i: number, n: number): number {
  const max = 2 ** (n - 1) - 1;
  const min = -(2 ** (n - 1));
  if (i > max) {
    alu.sat = true;
    return max;
  }
  if (i < min) {
    alu.sat = true;
    return min;
  }
  alu.sat = false;
  return i;
}

/** UnsignedSatQ(i, N). */
export function unsignedSat(i: number, n: number): number {
  const max = 2 ** n - 1;
  if (i > max) {
    alu.sat = true;
    return max;
  }
  if (i < 0) {
    alu.sat = true;
    return 0;
  }
  alu.sat = false;
  return i;
}

/** Sign-extends the low `bits` bits of x. */
export function signExtend(x: number, bits: number): number {
  const s = 32 - bits;
  return (x << s) >> s;
}
