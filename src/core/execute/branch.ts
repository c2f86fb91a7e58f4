/**
 * Semantics of the branch group (ARMv7-M ARM A7.7: B, BL, BLX, BX, CBZ/CBNZ, IT, TBB/TBH).
 * During exec r[15] holds the instruction address + 4 (the pseudocode's PC). Branches cost one
 * cycle in `i.cycles` and two more when taken (pipeline refill).
 */
import type { Cpu } from '../cpu.js';
import { CpuFault, CFSR_UNDEFINSTR, EXC_USAGEFAULT } from '../faults.js';
import type { Insn } from '../insn.js';

/**
 * An UNPREDICTABLE case that depends on state only known at exec time (IT block position,
 * a loaded address): f4emu raises UNDEFINSTR, as for UNPREDICTABLE encodings.
 */
export function unpredictableAtRuntime(): CpuFault {
  return new CpuFault(EXC_USAGEFAULT, CFSR_UNDEFINSTR);
}

/**
 * InITBlock() && !LastInITBlock() for ITSTATE `it`: where a branch or PC load is UNPREDICTABLE.
 * (Given the ITSTATE, not the core: the translator then keeps the caller's registers in locals.)
 */
export function inItNotLast(it: number): boolean {
  const mask = it & 0xf;
  return mask !== 0 && mask !== 0b1000;
}

/** B T1, B T3: conditional branches, UNPREDICTABLE inside an IT block. */
export function bCond(cpu: Cpu, i: Insn): void {
  if (cpu.it !== 0) throw unpredictableAtRuntime();
  if (cpu.conditionPassed(i.cond)) {
    cpu.branchWritePC(cpu.r[15]! + i.imm);
    cpu.clock.cycles += 2;
  }
}

/** B T2, B T4: unconditional (conditional only as the last instruction of an IT block). */
export function b(cpu: Cpu, i: Insn): void {
  if (inItNotLast(cpu.it)) throw unpredictableAtRuntime();
  cpu.branchWritePC(cpu.r[15]! + i.imm);
  cpu.clock.cycles += 2;
}

/** BL T1: LR = address of the next instruction with bit 0 set. */
export function bl(cpu: Cpu, i: Insn): void {
  if (inItNotLast(cpu.it)) throw unpredictableAtRuntime();
  const pc = cpu.r[15]!;
  cpu.r[14] = pc | 1;
  cpu.branchWritePC(pc + i.imm);
  cpu.clock.cycles += 2;
}

/** BX T1: interworking branch; an EXC_RETURN value in Handler mode returns from the exception. */
export function bx(cpu: Cpu, i: Insn): void {
  if (inItNotLast(cpu.it)) throw unpredictableAtRuntime();
  cpu.bxWritePC(cpu.r[i.rm]!);
  cpu.clock.cycles += 2;
}

/** BLX (register) T1: LR = (PC - 2) | 1, the address after this 16-bit instruction. */
export function blx(cpu: Cpu, i: Insn): void {
  if (inItNotLast(cpu.it)) throw unpredictableAtRuntime();
  const target = cpu.r[i.rm]!;
  cpu.r[14] = (cpu.r[15]! - 2) | 1;
  cpu.blxWritePC(target);
  cpu.clock.cycles += 2;
}

/** CBZ / CBNZ (i.extra = 1 for CBNZ). */
export function cbz(cpu: Cpu, i: Insn): void {
  if (cpu.it !== 0) throw unpredictableAtRuntime();
  if ((cpu.r[i.rn] === 0) !== (i.extra === 1)) {
    cpu.branchWritePC(cpu.r[15]! + i.imm);
    cpu.clock.cycles += 2;
  }
}

/** IT: ITSTATE = firstcond:mask (i.imm). The core loop advances it after each instruction. */
export function it(cpu: Cpu, i: Insn): void {
  if (cpu.it !== 0) throw unpredictableAtRuntime();
  cpu.it = i.imm;
}

/** Unallocated 16-bit hints (IT with mask 0000 and a firstcond no hint uses): NOP. */
export function hintNop(): void {}

/** TBB: branch forward by twice the byte at Rn + Rm. */
export function tbb(cpu: Cpu, i: Insn): void {
  if (inItNotLast(cpu.it)) throw unpredictableAtRuntime();
  const r = cpu.r;
  const halfwords = cpu.memU8((r[i.rn]! + r[i.rm]!) >>> 0);
  cpu.branchWritePC(r[15]! + 2 * halfwords);
  cpu.clock.cycles += 2;
}

/** TBH: branch forward by twice the halfword at Rn + Rm * 2. */
export function tbh(cpu: Cpu, i: Insn): void {
  if (inItNotLast(cpu.it)) throw unpredictableAtRuntime();
  const r = cpu.r;
  const halfwords = cpu.memU16((r[i.rn]! + r[i.rm]! * 2) >>> 0);
  cpu.branchWritePC(r[15]! + 2 * halfwords);
  cpu.clock.cycles += 2;
}

/**
 * The names this module's semantics use that are not exported, for the block translator, which
 * inlines them resolving each name in this module (src/core/jit/inline.ts, semantics.ts).
 */
export const jitScope = { CpuFault, CFSR_UNDEFINSTR, EXC_USAGEFAULT };
