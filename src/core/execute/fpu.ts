/**
 * FPv4-SP instruction semantics (ARMv7-M ARM A7.7, the V* pages). Each function starts with
 * fpCheck (ExecuteFPCheck); arithmetic is in ../fpu/ (exact binary32 after the pseudocode),
 * which leaves its result in `fpr` and the cumulative flags to OR into FPSCR.
 *
 * Operand fields (see decode/fpu.ts): `rd`, `rn`, `rm` = S register numbers (D numbers for the
 * double-register forms), `rt`, `rt2` = core registers, `imm` = immediate / offset / count,
 * `extra` = variant selector documented per function.
 */
import type { Cpu } from '../cpu.js';
import { CpuFault, CFSR_NOCP, EXC_USAGEFAULT } from '../faults.js';
import type { Insn } from '../insn.js';
import { FPHalfToSingle, FPSingleToHalf, FPToFixed, FixedToFP } from '../fpu/convert.js';
import { FPSCR_MASK } from '../fpu/round.js';
import { FPAdd, FPCompare, FPDiv, FPMul, FPMulAdd, FPNeg, FPSqrt, fpr } from '../fpu/softfloat.js';

/**
 * ExecuteFPCheck: NOCP UsageFault unless CPACR grants CP10 access (full, or privileged-only
 * from privileged code). Lazy FP state preservation hooks in here.
 */
export function fpCheck(cpu: Cpu): void {
  const scb = cpu.exc.scb;
  const access = (scb.cpacr >>> 20) & 3;
  if (access !== 3 && !(access === 1 && cpu.privileged)) {
    throw new CpuFault(EXC_USAGEFAULT, CFSR_NOCP);
  }
  // Lazy preservation pending (FPCCR.LSPACT) or no FP context yet (CONTROL.FPCA clear).
  if ((scb.fpccr & 1) !== 0 || (cpu.control & 4) === 0) cpu.exc.fpContextCheck();
}

// ---- data processing ----

export function vadd(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const s = cpu.s;
  FPAdd(s[i.rn]!, s[i.rm]!, cpu.fpscr);
  s[i.rd] = fpr.r;
  cpu.fpscr |= fpr.f;
}

export function vsub(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const s = cpu.s;
  FPAdd(s[i.rn]!, s[i.rm]!, cpu.fpscr, true);
  s[i.rd] = fpr.r;
  cpu.fpscr |= fpr.f;
}

export function vmul(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const s = cpu.s;
  FPMul(s[i.rn]!, s[i.rm]!, cpu.fpscr);
  s[i.rd] = fpr.r;
  cpu.fpscr |= fpr.f;
}

export function vnmul(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const s = cpu.s;
  FPMul(s[i.rn]!, s[i.rm]!, cpu.fpscr);
  s[i.rd] = FPNeg(fpr.r);
  cpu.fpscr |= fpr.f;
}

export function vdiv(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const s = cpu.s;
  FPDiv(s[i.rn]!, s[i.rm]!, cpu.fpscr);
  s[i.rd] = fpr.r;
  cpu.fpscr |= fpr.f;
}

/**
 * Chained multiply-accumulate, two roundings. `extra` bit 0: negate the product (VMLS,
 * VNMLA), bit 1: negate Sd (VNMLS, VNMLA).
 */
export function vmla(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const s = cpu.s;
  const fpscr = cpu.fpscr;
  FPMul(s[i.rn]!, s[i.rm]!, fpscr);
  let flags = fpr.f;
  const product = i.extra & 1 ? FPNeg(fpr.r) : fpr.r;
  const acc = i.extra & 2 ? FPNeg(s[i.rd]!) : s[i.rd]!;
  FPAdd(acc, product, fpscr);
  flags |= fpr.f;
  s[i.rd] = fpr.r;
  cpu.fpscr |= flags;
}

/**
 * Fused multiply-accumulate, one rounding. `extra` bit 0: negate Sn (VFMS, VFNMA), bit 1:
 * negate Sd (VFNMS, VFNMA).
 */
export function vfma(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const s = cpu.s;
  const op1 = i.extra & 1 ? FPNeg(s[i.rn]!) : s[i.rn]!;
  const acc = i.extra & 2 ? FPNeg(s[i.rd]!) : s[i.rd]!;
  FPMulAdd(acc, op1, s[i.rm]!, cpu.fpscr);
  s[i.rd] = fpr.r;
  cpu.fpscr |= fpr.f;
}

export function vsqrt(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  FPSqrt(cpu.s[i.rm]!, cpu.fpscr);
  cpu.s[i.rd] = fpr.r;
  cpu.fpscr |= fpr.f;
}

export function vabs(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  cpu.s[i.rd] = cpu.s[i.rm]! & 0x7fffffff;
}

export function vneg(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  cpu.s[i.rd] = cpu.s[i.rm]! ^ 0x80000000;
}

export function vmovReg(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  cpu.s[i.rd] = cpu.s[i.rm]!;
}

/** VMOV (immediate): `imm` = VFPExpandImm(imm8). */
export function vmovImm(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  cpu.s[i.rd] = i.imm;
}

/** VCMP{E}: `extra` = 1 for VCMPE; `imm` = 1 to compare with +0.0. */
export function vcmp(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const nzcv = FPCompare(cpu.s[i.rd]!, i.imm ? 0 : cpu.s[i.rm]!, i.extra === 1, cpu.fpscr);
  cpu.fpscr = ((cpu.fpscr & 0x0fffffff) | (nzcv << 28) | fpr.f) >>> 0;
}

/** VCVT{R}.{S,U}32.F32: `extra` bit 0 unsigned, bit 1 round towards zero. */
export function vcvtToInt(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  FPToFixed(cpu.s[i.rm]!, 32, 0, (i.extra & 1) !== 0, (i.extra & 2) !== 0, cpu.fpscr);
  cpu.s[i.rd] = fpr.r;
  cpu.fpscr |= fpr.f;
}

/** VCVT.F32.{S,U}32: `extra` bit 0 unsigned. */
export function vcvtFromInt(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  FixedToFP(cpu.s[i.rm]!, 32, 0, (i.extra & 1) !== 0, false, cpu.fpscr);
  cpu.s[i.rd] = fpr.r;
  cpu.fpscr |= fpr.f;
}

/**
 * VCVT between F32 and fixed point, in place on Sd: `imm` = fraction bits, `imm2` = size
 * (16 or 32), `extra` bit 0 unsigned, bit 1 to fixed.
 */
export function vcvtFixed(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const unsigned = (i.extra & 1) !== 0;
  if (i.extra & 2) FPToFixed(cpu.s[i.rd]!, i.imm2, i.imm, unsigned, true, cpu.fpscr);
  // AArch32 fixed-point to float always rounds to nearest (FixedToFP's round_to_nearest is
  // TRUE here, unlike VCVT.F32.S32/U32, which honours FPSCR.RMode).
  else FixedToFP(cpu.s[i.rd]!, i.imm2, i.imm, unsigned, true, cpu.fpscr);
  cpu.s[i.rd] = fpr.r;
  cpu.fpscr |= fpr.f;
}

/** VCVTB/VCVTT.F32.F16: `extra` = 16 for the top half (T), 0 for the bottom (B). */
export function vcvtFromHalf(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  FPHalfToSingle((cpu.s[i.rm]! >>> i.extra) & 0xffff, cpu.fpscr);
  cpu.s[i.rd] = fpr.r;
  cpu.fpscr |= fpr.f;
}

/** VCVTB/VCVTT.F16.F32: writes one half of Sd, keeping the other. */
export function vcvtToHalf(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  FPSingleToHalf(cpu.s[i.rm]!, cpu.fpscr);
  const keep = i.extra ? 0x0000ffff : 0xffff0000;
  cpu.s[i.rd] = (cpu.s[i.rd]! & keep) | (fpr.r << i.extra);
  cpu.fpscr |= fpr.f;
}

// ---- transfers between core and FP registers ----

/** VMOV Sn <-> Rt: `extra` = 1 to the core register. */
export function vmovCoreSingle(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  if (i.extra) cpu.r[i.rt] = cpu.s[i.rn]!;
  else cpu.s[i.rn] = cpu.r[i.rt]!;
}

/**
 * VMOV Sm, Sm1 <-> Rt, Rt2 (and Dm <-> Rt, Rt2, where rm = 2·Dm): `extra` = 1 to the core
 * registers.
 */
export function vmovCoreTwo(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  if (i.extra) {
    cpu.r[i.rt] = cpu.s[i.rm]!;
    cpu.r[i.rt2] = cpu.s[i.rm + 1]!;
  } else {
    cpu.s[i.rm] = cpu.r[i.rt]!;
    cpu.s[i.rm + 1] = cpu.r[i.rt2]!;
  }
}

/** VMOV.32 Dd[x], Rt / Rt, Dn[x]: `rn` = the S register (2·D + x), `extra` = 1 to core. */
export function vmovScalar(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  if (i.extra) cpu.r[i.rt] = cpu.s[i.rn]!;
  else cpu.s[i.rn] = cpu.r[i.rt]!;
}

/** VMRS Rt, FPSCR; Rt = 15 is VMRS APSR_nzcv, FPSCR. */
export function vmrs(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const v = cpu.fpscr;
  if (i.rt === 15) {
    cpu.n = v >>> 31;
    cpu.z = (v >>> 30) & 1;
    cpu.c = (v >>> 29) & 1;
    cpu.v = (v >>> 28) & 1;
  } else cpu.r[i.rt] = v;
}

export function vmsr(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  cpu.fpscr = (cpu.r[i.rt]! & FPSCR_MASK) >>> 0;
}

// ---- loads and stores ----

/** Base address: Rn, or Align(PC, 4) for Rn = 15. */
function base(cpu: Cpu, n: number): number {
  return n === 15 ? cpu.r[15]! & ~3 : cpu.r[n]!;
}

/** VLDR: `imm` = signed offset, `imm2` = 2 for a D register (rd = first S register). */
export function vldr(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const b = base(cpu, i.rn);
  const addr = (b + i.imm) >>> 0;
  const w0 = cpu.memA32(addr);
  if (i.imm2 === 2) {
    const w1 = cpu.memA32((addr + 4) >>> 0);
    cpu.s[i.rd + 1] = w1;
  }
  cpu.s[i.rd] = w0;
}

export function vstr(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const b = base(cpu, i.rn);
  const addr = (b + i.imm) >>> 0;
  cpu.writeA32(addr, cpu.s[i.rd]!);
  if (i.imm2 === 2) cpu.writeA32((addr + 4) >>> 0, cpu.s[i.rd + 1]!);
}

/**
 * VLDM/VSTM (VPUSH/VPOP): `rd` = first S register, `list` = number of S registers moved,
 * `imm` = bytes the base moves by (imm8·4; FLDMX/FSTMX's odd imm8 moves one word more),
 * `add` = increment after, `wback`.
 */
export function vldm(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const rn = cpu.r[i.rn]!;
  let addr = i.add ? rn : (rn - i.imm) >>> 0;
  const s = cpu.s;
  for (let k = 0; k < i.list; k++) {
    s[i.rd + k] = cpu.memA32(addr);
    addr = (addr + 4) >>> 0;
  }
  if (i.wback) cpu.setReg(i.rn, i.add ? rn + i.imm : rn - i.imm);
}

export function vstm(cpu: Cpu, i: Insn): void {
  fpCheck(cpu);
  const rn = cpu.r[i.rn]!;
  let addr = i.add ? rn : (rn - i.imm) >>> 0;
  const s = cpu.s;
  for (let k = 0; k < i.list; k++) {
    cpu.writeA32(addr, s[i.rd + k]!);
    addr = (addr + 4) >>> 0;
  }
  if (i.wback) cpu.setReg(i.rn, i.add ? rn + i.imm : rn - i.imm);
}

/**
 * The names this module's semantics use that are not exported, for the block translator, which
 * inlines them resolving each name in this module (src/core/jit/inline.ts, semantics.ts).
 */
export const jitScope = {
  CpuFault,
  CFSR_NOCP,
  EXC_USAGEFAULT,
  FPHalfToSingle,
  FPSingleToHalf,
  FPToFixed,
  FixedToFP,
  FPSCR_MASK,
  FPAdd,
  FPCompare,
  FPDiv,
  FPMul,
  FPMulAdd,
  FPNeg,
  FPSqrt,
  fpr,
  base,
};
