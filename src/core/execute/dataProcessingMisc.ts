/**
 * The rest of the data-processing group (ARMv7-M ARM A7.7): MOVT, saturation (SSAT, USAT and
 * the 16-bit-lane forms), bitfields (SBFX, UBFX, BFI, BFC), extends with rotation
 * (SXTB ... UXTAB16), byte/bit reversal (REV, REV16, REVSH, RBIT) and CLZ. None of these sets
 * N Z C V; the saturating ones set Q.
 *
 * Operand fields: `i.rd`, `i.rn`, `i.rm`; extends take the rotation in `i.shiftN`; SSAT/USAT
 * take the shift in `i.shiftType`/`i.shiftN` and the saturation width in `i.imm`; bitfields
 * take lsb in `i.imm`, width-1 in `i.imm2` (SBFX/UBFX) or the field mask in `i.extra` (BFI/BFC).
 */
import { alu, ror, shiftC, signedSat, unsignedSat } from '../alu.js';
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';

/** MOVT: R[d]<31:16> = imm16. */
export function movt(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = ((i.imm << 16) | (cpu.r[i.rd]! & 0xffff)) >>> 0;
}

// ---- saturation ----

/** SSAT: SignedSatQ(SInt(Shift(R[n], shift_t, shift_n)), saturate_to). */
export function ssat(cpu: Cpu, i: Insn): void {
  const operand = shiftC(cpu.r[i.rn]!, i.shiftType, i.shiftN, cpu.c) | 0;
  const result = signedSat(operand, i.imm);
  cpu.r[i.rd] = result >>> 0;
  if (alu.sat) cpu.q = 1;
}

/** USAT: UnsignedSatQ(SInt(Shift(R[n], shift_t, shift_n)), saturate_to). */
export function usat(cpu: Cpu, i: Insn): void {
  const operand = shiftC(cpu.r[i.rn]!, i.shiftType, i.shiftN, cpu.c) | 0;
  const result = unsignedSat(operand, i.imm);
  cpu.r[i.rd] = result >>> 0;
  if (alu.sat) cpu.q = 1;
}

/** SSAT16: each signed halfword saturated to `i.imm` bits. */
export function ssat16(cpu: Cpu, i: Insn): void {
  const x = cpu.r[i.rn]!;
  const lo = signedSat((x << 16) >> 16, i.imm);
  const satLo = alu.sat;
  const hi = signedSat(x >> 16, i.imm);
  cpu.r[i.rd] = ((hi << 16) | (lo & 0xffff)) >>> 0;
  if (satLo || alu.sat) cpu.q = 1;
}

/** USAT16: each signed halfword saturated to `i.imm` bits unsigned. */
export function usat16(cpu: Cpu, i: Insn): void {
  const x = cpu.r[i.rn]!;
  const lo = unsignedSat((x << 16) >> 16, i.imm);
  const satLo = alu.sat;
  const hi = unsignedSat(x >> 16, i.imm);
  cpu.r[i.rd] = ((hi << 16) | lo) >>> 0;
  if (satLo || alu.sat) cpu.q = 1;
}

// ---- bitfields ----

/** SBFX: R[d] = SignExtend(R[n]<msbit:lsbit>). */
export function sbfx(cpu: Cpu, i: Insn): void {
  const msbit = i.imm + i.imm2;
  cpu.r[i.rd] = ((cpu.r[i.rn]! << (31 - msbit)) >> (31 - i.imm2)) >>> 0;
}

/** UBFX: R[d] = ZeroExtend(R[n]<msbit:lsbit>). */
export function ubfx(cpu: Cpu, i: Insn): void {
  const msbit = i.imm + i.imm2;
  cpu.r[i.rd] = (cpu.r[i.rn]! << (31 - msbit)) >>> (31 - i.imm2);
}

/** BFI: R[d]<msbit:lsbit> = R[n]<msbit-lsbit:0>. */
export function bfi(cpu: Cpu, i: Insn): void {
  const mask = i.extra;
  cpu.r[i.rd] = ((cpu.r[i.rd]! & ~mask) | ((cpu.r[i.rn]! << i.imm) & mask)) >>> 0;
}

/** BFC: R[d]<msbit:lsbit> = 0. */
export function bfc(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = (cpu.r[i.rd]! & ~i.extra) >>> 0;
}

// ---- extends (rotation in i.shiftN: 0, 8, 16 or 24) ----

export function sxtb(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = ((ror(cpu.r[i.rm]!, i.shiftN) << 24) >> 24) >>> 0;
}

export function sxth(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = ((ror(cpu.r[i.rm]!, i.shiftN) << 16) >> 16) >>> 0;
}

export function uxtb(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = ror(cpu.r[i.rm]!, i.shiftN) & 0xff;
}

export function uxth(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = ror(cpu.r[i.rm]!, i.shiftN) & 0xffff;
}

export function sxtab(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = (cpu.r[i.rn]! + ((ror(cpu.r[i.rm]!, i.shiftN) << 24) >> 24)) >>> 0;
}

export function sxtah(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = (cpu.r[i.rn]! + ((ror(cpu.r[i.rm]!, i.shiftN) << 16) >> 16)) >>> 0;
}

export function uxtab(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = (cpu.r[i.rn]! + (ror(cpu.r[i.rm]!, i.shiftN) & 0xff)) >>> 0;
}

export function uxtah(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = (cpu.r[i.rn]! + (ror(cpu.r[i.rm]!, i.shiftN) & 0xffff)) >>> 0;
}

/** SXTB16: both halfwords = SignExtend(byte 0 / byte 2 of the rotated value). */
export function sxtb16(cpu: Cpu, i: Insn): void {
  const x = ror(cpu.r[i.rm]!, i.shiftN);
  cpu.r[i.rd] = ((((x << 8) >> 24) << 16) | (((x << 24) >> 24) & 0xffff)) >>> 0;
}

export function uxtb16(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = (ror(cpu.r[i.rm]!, i.shiftN) & 0x00ff00ff) >>> 0;
}

export function sxtab16(cpu: Cpu, i: Insn): void {
  const x = ror(cpu.r[i.rm]!, i.shiftN);
  const n = cpu.r[i.rn]!;
  const lo = (n + ((x << 24) >> 24)) & 0xffff;
  const hi = ((n >>> 16) + ((x << 8) >> 24)) & 0xffff;
  cpu.r[i.rd] = ((hi << 16) | lo) >>> 0;
}

export function uxtab16(cpu: Cpu, i: Insn): void {
  const x = ror(cpu.r[i.rm]!, i.shiftN);
  const n = cpu.r[i.rn]!;
  const lo = (n + (x & 0xff)) & 0xffff;
  const hi = ((n >>> 16) + ((x >>> 16) & 0xff)) & 0xffff;
  cpu.r[i.rd] = ((hi << 16) | lo) >>> 0;
}

// ---- reversal and counting ----

export function rev(cpu: Cpu, i: Insn): void {
  const x = cpu.r[i.rm]!;
  cpu.r[i.rd] = ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

export function rev16(cpu: Cpu, i: Insn): void {
  const x = cpu.r[i.rm]!;
  cpu.r[i.rd] = (((x & 0x00ff00ff) << 8) | ((x >>> 8) & 0x00ff00ff)) >>> 0;
}

/** REVSH: result<31:8> = SignExtend(R[m]<7:0>), result<7:0> = R[m]<15:8>. */
export function revsh(cpu: Cpu, i: Insn): void {
  const x = cpu.r[i.rm]!;
  cpu.r[i.rd] = (((x << 24) >> 16) | ((x >>> 8) & 0xff)) >>> 0;
}

export function rbit(cpu: Cpu, i: Insn): void {
  let x = cpu.r[i.rm]!;
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  cpu.r[i.rd] = ((x >>> 16) | (x << 16)) >>> 0;
}

export function clz(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = Math.clz32(cpu.r[i.rm]!);
}

/**
 * The names this module's semantics use that are not exported, for the block translator, which
 * inlines them resolving each name in this module (src/core/jit/inline.ts, semantics.ts).
 */
export const jitScope = { alu, ror, shiftC, signedSat, unsignedSat };
