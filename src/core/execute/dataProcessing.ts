/**
 * Data-processing semantics (ARMv7-M ARM A7.7): the logical and arithmetic operations with an
 * immediate or a shifted-register operand, register-controlled shifts and 16-bit MUL. One small
 * function per operation and operand kind, shared by the 16-bit and 32-bit encodings:
 *
 * - `i.rd`, `i.rn` registers; the immediate forms use `i.imm` (and `i.immCarry`, -1 when
 *   ThumbExpandImm_C leaves the carry flag alone); the register forms shift `R[i.rm]` by
 *   `i.shiftType`/`i.shiftN` (DecodeImmShift already applied).
 * - `i.setflags` is SETFLAGS_NEVER/ALWAYS/OUTSIDE_IT; the compare forms always set flags.
 * - Nothing here allocates: Shift_C and AddWithCarry leave their second outputs in `alu`.
 */
import { addWithCarry, alu, shiftC } from '../alu.js';
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';

/** setflags of this execution: the 16-bit forms set flags only outside an IT block. */
export function setsFlags(cpu: Cpu, i: Insn): boolean {
  return i.setflags === 1 || (i.setflags === 2 && (cpu.it & 0xf) === 0);
}

/** R[d] = value, with the SP alignment and ALUWritePC of the pseudocode for d = 13, 15. */
function writeReg(cpu: Cpu, d: number, value: number): void {
  if (d < 13) cpu.r[d] = value;
  else cpu.setReg(d, value);
}

/** APSR.N, APSR.Z from a result (uint32), APSR.C from a carry unless it is -1. */
function setNZC(cpu: Cpu, result: number, carry: number): void {
  cpu.n = result >>> 31;
  cpu.z = result === 0 ? 1 : 0;
  if (carry >= 0) cpu.c = carry;
}

/** APSR.NZCV from an AddWithCarry result and `alu`. */
function setNZCV(cpu: Cpu, result: number): void {
  cpu.n = result >>> 31;
  cpu.z = result === 0 ? 1 : 0;
  cpu.c = alu.carry;
  cpu.v = alu.overflow;
}

/** Shift_C(R[m], shift_t, shift_n, APSR.C): the shifted-register operand; carry in `alu`. */
function shiftedRm(cpu: Cpu, i: Insn): number {
  return shiftC(cpu.r[i.rm]!, i.shiftType, i.shiftN, cpu.c);
}

// ---- logical, immediate operand (A7.7.8 AND, BIC, ORR, ORN, EOR, MOV, MVN, TST, TEQ) ----

export function andImm(cpu: Cpu, i: Insn): void {
  const result = (cpu.r[i.rn]! & i.imm) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, i.immCarry);
}

export function bicImm(cpu: Cpu, i: Insn): void {
  const result = (cpu.r[i.rn]! & ~i.imm) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, i.immCarry);
}

export function orrImm(cpu: Cpu, i: Insn): void {
  const result = (cpu.r[i.rn]! | i.imm) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, i.immCarry);
}

export function ornImm(cpu: Cpu, i: Insn): void {
  const result = (cpu.r[i.rn]! | ~i.imm) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, i.immCarry);
}

export function eorImm(cpu: Cpu, i: Insn): void {
  const result = (cpu.r[i.rn]! ^ i.imm) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, i.immCarry);
}

/** MOV (immediate); also MOVW (imm16, never sets flags). */
export function movImm(cpu: Cpu, i: Insn): void {
  const result = i.imm;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, i.immCarry);
}

export function mvnImm(cpu: Cpu, i: Insn): void {
  const result = ~i.imm >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, i.immCarry);
}

export function tstImm(cpu: Cpu, i: Insn): void {
  setNZC(cpu, (cpu.r[i.rn]! & i.imm) >>> 0, i.immCarry);
}

export function teqImm(cpu: Cpu, i: Insn): void {
  setNZC(cpu, (cpu.r[i.rn]! ^ i.imm) >>> 0, i.immCarry);
}

// ---- logical, shifted-register operand ----

export function andReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  const result = (cpu.r[i.rn]! & op) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, alu.carry);
}

export function bicReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  const result = (cpu.r[i.rn]! & ~op) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, alu.carry);
}

export function orrReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  const result = (cpu.r[i.rn]! | op) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, alu.carry);
}

export function ornReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  const result = (cpu.r[i.rn]! | ~op) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, alu.carry);
}

export function eorReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  const result = (cpu.r[i.rn]! ^ op) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, alu.carry);
}

/**
 * MOV (register) and the shift-by-immediate instructions LSL/LSR/ASR/ROR/RRX (immediate),
 * which the ARM ARM defines as MOV with a shifted register. The 16-bit MOV T1 may write SP
 * or PC (ALUWritePC).
 */
export function movReg(cpu: Cpu, i: Insn): void {
  const result = shiftedRm(cpu, i);
  if (setsFlags(cpu, i)) setNZC(cpu, result, alu.carry);
  writeReg(cpu, i.rd, result);
}

export function mvnReg(cpu: Cpu, i: Insn): void {
  const result = ~shiftedRm(cpu, i) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, alu.carry);
}

export function tstReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  setNZC(cpu, (cpu.r[i.rn]! & op) >>> 0, alu.carry);
}

export function teqReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  setNZC(cpu, (cpu.r[i.rn]! ^ op) >>> 0, alu.carry);
}

/** LSL/LSR/ASR/ROR (register): shift R[n] by R[m]<7:0> (`i.shiftType` holds the type). */
export function shiftReg(cpu: Cpu, i: Insn): void {
  const result = shiftC(cpu.r[i.rn]!, i.shiftType, cpu.r[i.rm]! & 0xff, cpu.c);
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) setNZC(cpu, result, alu.carry);
}

/** MUL T1 (16-bit MULS): N and Z only; C and V are unchanged on ARMv7-M. */
export function mul(cpu: Cpu, i: Insn): void {
  const result = Math.imul(cpu.r[i.rn]!, cpu.r[i.rm]!) >>> 0;
  cpu.r[i.rd] = result;
  if (setsFlags(cpu, i)) {
    cpu.n = result >>> 31;
    cpu.z = result === 0 ? 1 : 0;
  }
}

// ---- arithmetic, immediate operand (ADD, ADC, SUB, SBC, RSB, CMP, CMN) ----
// The destination may be SP (ADD/SUB SP forms) or PC (never here: those are UNPREDICTABLE or
// the compare aliases), so results go through writeReg.

/** ADD (immediate), ADD (SP plus immediate), ADDW. */
export function addImm(cpu: Cpu, i: Insn): void {
  const result = addWithCarry(cpu.r[i.rn]!, i.imm, 0);
  if (setsFlags(cpu, i)) setNZCV(cpu, result);
  writeReg(cpu, i.rd, result);
}

export function adcImm(cpu: Cpu, i: Insn): void {
  const result = addWithCarry(cpu.r[i.rn]!, i.imm, cpu.c);
  if (setsFlags(cpu, i)) setNZCV(cpu, result);
  cpu.r[i.rd] = result;
}

/** SUB (immediate), SUB (SP minus immediate), SUBW. */
export function subImm(cpu: Cpu, i: Insn): void {
  const result = addWithCarry(cpu.r[i.rn]!, ~i.imm, 1);
  if (setsFlags(cpu, i)) setNZCV(cpu, result);
  writeReg(cpu, i.rd, result);
}

export function sbcImm(cpu: Cpu, i: Insn): void {
  const result = addWithCarry(cpu.r[i.rn]!, ~i.imm, cpu.c);
  if (setsFlags(cpu, i)) setNZCV(cpu, result);
  cpu.r[i.rd] = result;
}

/** RSB (immediate); the 16-bit form is RSBS Rd, Rn, #0 (NEG). */
export function rsbImm(cpu: Cpu, i: Insn): void {
  const result = addWithCarry(~cpu.r[i.rn]!, i.imm, 1);
  if (setsFlags(cpu, i)) setNZCV(cpu, result);
  cpu.r[i.rd] = result;
}

export function cmpImm(cpu: Cpu, i: Insn): void {
  setNZCV(cpu, addWithCarry(cpu.r[i.rn]!, ~i.imm, 1));
}

export function cmnImm(cpu: Cpu, i: Insn): void {
  setNZCV(cpu, addWithCarry(cpu.r[i.rn]!, i.imm, 0));
}

/** ADR: Align(PC, 4) + imm32 (`i.imm` is negative for the subtracting T2 form). */
export function adr(cpu: Cpu, i: Insn): void {
  cpu.r[i.rd] = ((cpu.r[15]! & ~3) + i.imm) >>> 0;
}

// ---- arithmetic, shifted-register operand ----

/** ADD (register), ADD (SP plus register); the 16-bit T2 form may write SP or PC. */
export function addReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  const result = addWithCarry(cpu.r[i.rn]!, op, 0);
  if (setsFlags(cpu, i)) setNZCV(cpu, result);
  writeReg(cpu, i.rd, result);
}

export function adcReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  const result = addWithCarry(cpu.r[i.rn]!, op, cpu.c);
  if (setsFlags(cpu, i)) setNZCV(cpu, result);
  cpu.r[i.rd] = result;
}

/** SUB (register), SUB (SP minus register). */
export function subReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  const result = addWithCarry(cpu.r[i.rn]!, ~op, 1);
  if (setsFlags(cpu, i)) setNZCV(cpu, result);
  writeReg(cpu, i.rd, result);
}

export function sbcReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  const result = addWithCarry(cpu.r[i.rn]!, ~op, cpu.c);
  if (setsFlags(cpu, i)) setNZCV(cpu, result);
  cpu.r[i.rd] = result;
}

export function rsbReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  const result = addWithCarry(~cpu.r[i.rn]!, op, 1);
  if (setsFlags(cpu, i)) setNZCV(cpu, result);
  cpu.r[i.rd] = result;
}

export function cmpReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  setNZCV(cpu, addWithCarry(cpu.r[i.rn]!, ~op, 1));
}

export function cmnReg(cpu: Cpu, i: Insn): void {
  const op = shiftedRm(cpu, i);
  setNZCV(cpu, addWithCarry(cpu.r[i.rn]!, op, 0));
}

/**
 * The names this module's semantics use that are not exported, for the block translator, which
 * inlines them resolving each name in this module (src/core/jit/inline.ts, semantics.ts).
 */
export const jitScope = { addWithCarry, alu, shiftC, writeReg, setNZC, setNZCV, shiftedRm };
