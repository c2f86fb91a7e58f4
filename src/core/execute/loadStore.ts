/**
 * Semantics of the single-register loads and stores (ARMv7-M ARM A7.7: LDR, LDRB, LDRSB, LDRH,
 * LDRSH, STR, STRB, STRH and their unprivileged T forms; PLD/PLI). One function per width and
 * addressing mode so the hot forms carry no mode tests:
 *   Off  [Rn, #imm]          i.imm is the signed offset (16-bit imm5, SP-relative, imm12, imm8)
 *   Idx  [Rn, #imm]! / [Rn], #imm   i.index (pre-indexed), i.wback; i.imm signed
 *   Reg  [Rn, Rm, LSL #i.shiftN]
 *   Lit  [PC, #imm]          Align(PC, 4) + i.imm
 *   T    [Rn, #imm] accessed as unprivileged (LDRT...)
 * Word accesses are MemU (unaligned allowed unless CCR.UNALIGN_TRP), bytes never fault on
 * alignment. The decoders reject every UNPREDICTABLE register combination except the ones that
 * depend on exec-time state (PC loads inside an IT block, unaligned PC loads).
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { inItNotLast, unpredictableAtRuntime } from './branch.js';

// ---- PC and SP as load destinations (LDR word only) ----

/** LoadWritePC checks: word-aligned address, last in an IT block (else UNPREDICTABLE). */
function checkPcLoad(cpu: Cpu, addr: number): void {
  if ((addr & 3) !== 0 || inItNotLast(cpu.it)) throw unpredictableAtRuntime();
}

/** R[t] = data for t = 13, 14, 15 (15: LoadWritePC, a branch with interworking). */
function loadHigh(cpu: Cpu, t: number, v: number, addr: number): void {
  if (t === 15) {
    checkPcLoad(cpu, addr);
    cpu.loadWritePC(v);
    cpu.clock.cycles += 2;
  } else if (t === 13) cpu.r[13] = v & ~3;
  else cpu.r[t] = v;
}

/** Writes back an index register (SP keeps its low two bits clear). */
function writeBack(cpu: Cpu, n: number, v: number): void {
  cpu.r[n] = n === 13 ? v & ~3 : v;
}

function idxAddress(cpu: Cpu, i: Insn): number {
  return i.index ? (cpu.r[i.rn]! + i.imm) >>> 0 : cpu.r[i.rn]!;
}
function regAddress(cpu: Cpu, i: Insn): number {
  return (cpu.r[i.rn]! + cpu.r[i.rm]! * (1 << i.shiftN)) >>> 0;
}
function litAddress(cpu: Cpu, i: Insn): number {
  return ((cpu.r[15]! & ~3) + i.imm) >>> 0;
}

// ---- LDR (word) ----

export function ldrOff(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  const v = cpu.memU32(addr);
  if (i.rt < 13) cpu.r[i.rt] = v;
  else loadHigh(cpu, i.rt, v, addr);
}
export function ldrIdx(cpu: Cpu, i: Insn): void {
  const addr = idxAddress(cpu, i);
  if (i.rt === 15) checkPcLoad(cpu, addr); // before the writeback changes state
  const v = cpu.memU32(addr);
  if (i.wback) writeBack(cpu, i.rn, cpu.r[i.rn]! + i.imm);
  if (i.rt < 13) cpu.r[i.rt] = v;
  else loadHigh(cpu, i.rt, v, addr);
}
export function ldrReg(cpu: Cpu, i: Insn): void {
  const addr = regAddress(cpu, i);
  const v = cpu.memU32(addr);
  if (i.rt < 13) cpu.r[i.rt] = v;
  else loadHigh(cpu, i.rt, v, addr);
}
export function ldrLit(cpu: Cpu, i: Insn): void {
  const addr = litAddress(cpu, i);
  const v = cpu.memU32(addr);
  if (i.rt < 13) cpu.r[i.rt] = v;
  else loadHigh(cpu, i.rt, v, addr);
}
export function ldrT(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  cpu.setUnprivilegedAccess(true);
  try {
    cpu.r[i.rt] = cpu.memU32(addr);
  } finally {
    cpu.setUnprivilegedAccess(false);
  }
}

// ---- LDRB ----

export function ldrbOff(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = cpu.memU8((cpu.r[i.rn]! + i.imm) >>> 0);
}
export function ldrbIdx(cpu: Cpu, i: Insn): void {
  const v = cpu.memU8(idxAddress(cpu, i));
  if (i.wback) writeBack(cpu, i.rn, cpu.r[i.rn]! + i.imm);
  cpu.r[i.rt] = v;
}
export function ldrbReg(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = cpu.memU8(regAddress(cpu, i));
}
export function ldrbLit(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = cpu.memU8(litAddress(cpu, i));
}
export function ldrbT(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  cpu.setUnprivilegedAccess(true);
  try {
    cpu.r[i.rt] = cpu.memU8(addr);
  } finally {
    cpu.setUnprivilegedAccess(false);
  }
}

// ---- LDRSB ----

export function ldrsbOff(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = (cpu.memU8((cpu.r[i.rn]! + i.imm) >>> 0) << 24) >> 24;
}
export function ldrsbIdx(cpu: Cpu, i: Insn): void {
  const v = (cpu.memU8(idxAddress(cpu, i)) << 24) >> 24;
  if (i.wback) writeBack(cpu, i.rn, cpu.r[i.rn]! + i.imm);
  cpu.r[i.rt] = v;
}
export function ldrsbReg(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = (cpu.memU8(regAddress(cpu, i)) << 24) >> 24;
}
export function ldrsbLit(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = (cpu.memU8(litAddress(cpu, i)) << 24) >> 24;
}
export function ldrsbT(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  cpu.setUnprivilegedAccess(true);
  try {
    cpu.r[i.rt] = (cpu.memU8(addr) << 24) >> 24;
  } finally {
    cpu.setUnprivilegedAccess(false);
  }
}

// ---- LDRH ----

export function ldrhOff(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = cpu.memU16((cpu.r[i.rn]! + i.imm) >>> 0);
}
export function ldrhIdx(cpu: Cpu, i: Insn): void {
  const v = cpu.memU16(idxAddress(cpu, i));
  if (i.wback) writeBack(cpu, i.rn, cpu.r[i.rn]! + i.imm);
  cpu.r[i.rt] = v;
}
export function ldrhReg(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = cpu.memU16(regAddress(cpu, i));
}
export function ldrhLit(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = cpu.memU16(litAddress(cpu, i));
}
export function ldrhT(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  cpu.setUnprivilegedAccess(true);
  try {
    cpu.r[i.rt] = cpu.memU16(addr);
  } finally {
    cpu.setUnprivilegedAccess(false);
  }
}

// ---- LDRSH ----

export function ldrshOff(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = (cpu.memU16((cpu.r[i.rn]! + i.imm) >>> 0) << 16) >> 16;
}
export function ldrshIdx(cpu: Cpu, i: Insn): void {
  const v = (cpu.memU16(idxAddress(cpu, i)) << 16) >> 16;
  if (i.wback) writeBack(cpu, i.rn, cpu.r[i.rn]! + i.imm);
  cpu.r[i.rt] = v;
}
export function ldrshReg(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = (cpu.memU16(regAddress(cpu, i)) << 16) >> 16;
}
export function ldrshLit(cpu: Cpu, i: Insn): void {
  cpu.r[i.rt] = (cpu.memU16(litAddress(cpu, i)) << 16) >> 16;
}
export function ldrshT(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  cpu.setUnprivilegedAccess(true);
  try {
    cpu.r[i.rt] = (cpu.memU16(addr) << 16) >> 16;
  } finally {
    cpu.setUnprivilegedAccess(false);
  }
}

// ---- STR (word) ----

export function strOff(cpu: Cpu, i: Insn): void {
  cpu.writeU32((cpu.r[i.rn]! + i.imm) >>> 0, cpu.r[i.rt]!);
}
export function strIdx(cpu: Cpu, i: Insn): void {
  cpu.writeU32(idxAddress(cpu, i), cpu.r[i.rt]!);
  if (i.wback) writeBack(cpu, i.rn, cpu.r[i.rn]! + i.imm);
}
export function strReg(cpu: Cpu, i: Insn): void {
  cpu.writeU32(regAddress(cpu, i), cpu.r[i.rt]!);
}
export function strT(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  cpu.setUnprivilegedAccess(true);
  try {
    cpu.writeU32(addr, cpu.r[i.rt]!);
  } finally {
    cpu.setUnprivilegedAccess(false);
  }
}

// ---- STRB ----

export function strbOff(cpu: Cpu, i: Insn): void {
  cpu.writeU8((cpu.r[i.rn]! + i.imm) >>> 0, cpu.r[i.rt]! & 0xff);
}
export function strbIdx(cpu: Cpu, i: Insn): void {
  cpu.writeU8(idxAddress(cpu, i), cpu.r[i.rt]! & 0xff);
  if (i.wback) writeBack(cpu, i.rn, cpu.r[i.rn]! + i.imm);
}
export function strbReg(cpu: Cpu, i: Insn): void {
  cpu.writeU8(regAddress(cpu, i), cpu.r[i.rt]! & 0xff);
}
export function strbT(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  cpu.setUnprivilegedAccess(true);
  try {
    cpu.writeU8(addr, cpu.r[i.rt]! & 0xff);
  } finally {
    cpu.setUnprivilegedAccess(false);
  }
}

// ---- STRH ----

export function strhOff(cpu: Cpu, i: Insn): void {
  cpu.writeU16((cpu.r[i.rn]! + i.imm) >>> 0, cpu.r[i.rt]! & 0xffff);
}
export function strhIdx(cpu: Cpu, i: Insn): void {
  cpu.writeU16(idxAddress(cpu, i), cpu.r[i.rt]! & 0xffff);
  if (i.wback) writeBack(cpu, i.rn, cpu.r[i.rn]! + i.imm);
}
export function strhReg(cpu: Cpu, i: Insn): void {
  cpu.writeU16(regAddress(cpu, i), cpu.r[i.rt]! & 0xffff);
}
export function strhT(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  cpu.setUnprivilegedAccess(true);
  try {
    cpu.writeU16(addr, cpu.r[i.rt]! & 0xffff);
  } finally {
    cpu.setUnprivilegedAccess(false);
  }
}

// ---- hints ----

/** PLD, PLI and the unallocated memory hints: no cache to preload, so a NOP. */
export function preload(): void {}

/**
 * The names this module's semantics use that are not exported, for the block translator, which
 * inlines them resolving each name in this module (src/core/jit/inline.ts, semantics.ts).
 */
export const jitScope = {
  inItNotLast,
  unpredictableAtRuntime,
  checkPcLoad,
  loadHigh,
  writeBack,
  idxAddress,
  regAddress,
  litAddress,
};
