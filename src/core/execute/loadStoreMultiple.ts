/**
 * Semantics of the multiple-register and exclusive memory instructions (ARMv7-M ARM A7.7: LDM,
 * LDMDB, STM, STMDB, PUSH, POP, LDRD, STRD, LDREX*, STREX*, CLREX). All use MemA: an unaligned
 * address raises an UNALIGNED UsageFault whatever CCR.UNALIGN_TRP says.
 *
 * i.list is the register list, i.imm = 4 * BitCount(list), i.wback the writeback flag (already
 * cleared by the decoder when LDM's base is in the list).
 */
import type { Cpu } from '../cpu.js';
import { CpuFault, CFSR_UNALIGNED, EXC_USAGEFAULT } from '../faults.js';
import type { Insn } from '../insn.js';
import { inItNotLast, unpredictableAtRuntime } from './branch.js';

/** Stores R[k] for each k in `list` (no PC) upwards from `addr`. */
function storeList(cpu: Cpu, list: number, addr: number): void {
  const r = cpu.r;
  for (let l = list; l !== 0; l &= l - 1) {
    const k = 31 - Math.clz32(l & -l);
    cpu.writeA32(addr, r[k]!);
    addr = (addr + 4) >>> 0;
  }
}

/**
 * Loads each register of `list` upwards from `addr`; PC last and after the writeback (so a POP
 * that performs an exception return unstacks from the updated SP).
 */
function loadList(cpu: Cpu, i: Insn, addr: number, newBase: number): void {
  const r = cpu.r;
  const list = i.list;
  if (list & 0x8000 && inItNotLast(cpu.it)) throw unpredictableAtRuntime();
  for (let l = list & 0x7fff; l !== 0; l &= l - 1) {
    const k = 31 - Math.clz32(l & -l);
    r[k] = cpu.memA32(addr);
    addr = (addr + 4) >>> 0;
  }
  if (list & 0x8000) {
    const pc = cpu.memA32(addr);
    if (i.wback) r[i.rn] = newBase;
    cpu.loadWritePC(pc);
    cpu.clock.cycles += 2;
  } else if (i.wback) r[i.rn] = newBase;
}

/** STM / STMIA / STMEA (16-bit T1, 32-bit T2). */
export function stm(cpu: Cpu, i: Insn): void {
  const base = cpu.r[i.rn]!;
  storeList(cpu, i.list, base);
  if (i.wback) cpu.r[i.rn] = base + i.imm;
}

/** STMDB / STMFD, and PUSH (STMDB SP!). */
export function stmdb(cpu: Cpu, i: Insn): void {
  const start = (cpu.r[i.rn]! - i.imm) >>> 0;
  storeList(cpu, i.list, start);
  if (i.wback) cpu.r[i.rn] = start;
}

/** LDM / LDMIA / LDMFD, and POP (LDM SP!). */
export function ldm(cpu: Cpu, i: Insn): void {
  const base = cpu.r[i.rn]!;
  loadList(cpu, i, base, base + i.imm);
}

/** LDMDB / LDMEA. */
export function ldmdb(cpu: Cpu, i: Insn): void {
  const start = (cpu.r[i.rn]! - i.imm) >>> 0;
  loadList(cpu, i, start, start);
}

// ---- LDRD / STRD: i.imm signed offset, i.index, i.wback ----

export function ldrd(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const base = r[i.rn]!;
  const offsetAddr = (base + i.imm) >>> 0;
  const addr = i.index ? offsetAddr : base;
  const lo = cpu.memA32(addr);
  const hi = cpu.memA32((addr + 4) >>> 0);
  if (i.wback) r[i.rn] = offsetAddr;
  r[i.rt] = lo;
  r[i.rt2] = hi;
}

export function ldrdLit(cpu: Cpu, i: Insn): void {
  const addr = ((cpu.r[15]! & ~3) + i.imm) >>> 0;
  const lo = cpu.memA32(addr);
  cpu.r[i.rt2] = cpu.memA32((addr + 4) >>> 0);
  cpu.r[i.rt] = lo;
}

export function strd(cpu: Cpu, i: Insn): void {
  const r = cpu.r;
  const base = r[i.rn]!;
  const offsetAddr = (base + i.imm) >>> 0;
  const addr = i.index ? offsetAddr : base;
  cpu.writeA32(addr, r[i.rt]!);
  cpu.writeA32((addr + 4) >>> 0, r[i.rt2]!);
  if (i.wback) r[i.rn] = offsetAddr;
}

// ---- exclusives: the local monitor is cpu.exclusiveAddr (-1 = open access) ----

export function ldrex(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  const v = cpu.memA32(addr);
  cpu.exclusiveAddr = addr;
  cpu.r[i.rt] = v;
}
export function ldrexb(cpu: Cpu, i: Insn): void {
  const addr = cpu.r[i.rn]!;
  const v = cpu.memU8(addr);
  cpu.exclusiveAddr = addr;
  cpu.r[i.rt] = v;
}
export function ldrexh(cpu: Cpu, i: Insn): void {
  const addr = cpu.r[i.rn]!;
  const v = cpu.memA16(addr);
  cpu.exclusiveAddr = addr;
  cpu.r[i.rt] = v;
}

/**
 * ExclusiveMonitorsPass(address, size): checks alignment first (a fault even when the monitor
 * would fail), then whether the monitor holds `addr`; clears the monitor either way.
 */
function monitorPass(cpu: Cpu, addr: number, size: number): boolean {
  if ((addr & (size - 1)) !== 0) throw new CpuFault(EXC_USAGEFAULT, CFSR_UNALIGNED);
  const pass = cpu.exclusiveAddr === addr;
  cpu.exclusiveAddr = -1;
  return pass;
}

/** STREX: R[d] = 0 and the store happens when the monitor passes, else R[d] = 1. */
export function strex(cpu: Cpu, i: Insn): void {
  const addr = (cpu.r[i.rn]! + i.imm) >>> 0;
  if (monitorPass(cpu, addr, 4)) {
    cpu.writeA32(addr, cpu.r[i.rt]!);
    cpu.r[i.rd] = 0;
  } else cpu.r[i.rd] = 1;
}
export function strexb(cpu: Cpu, i: Insn): void {
  const addr = cpu.r[i.rn]!;
  if (monitorPass(cpu, addr, 1)) {
    cpu.writeU8(addr, cpu.r[i.rt]! & 0xff);
    cpu.r[i.rd] = 0;
  } else cpu.r[i.rd] = 1;
}
export function strexh(cpu: Cpu, i: Insn): void {
  const addr = cpu.r[i.rn]!;
  if (monitorPass(cpu, addr, 2)) {
    cpu.writeA16(addr, cpu.r[i.rt]! & 0xffff);
    cpu.r[i.rd] = 0;
  } else cpu.r[i.rd] = 1;
}

/** CLREX: ClearExclusiveLocal. */
export function clrex(cpu: Cpu): void {
  cpu.exclusiveAddr = -1;
}

/**
 * The names this module's semantics use that are not exported, for the block translator, which
 * inlines them resolving each name in this module (src/core/jit/inline.ts, semantics.ts).
 */
export const jitScope = {
  CpuFault,
  CFSR_UNALIGNED,
  EXC_USAGEFAULT,
  inItNotLast,
  unpredictableAtRuntime,
  storeList,
  loadList,
  monitorPass,
};
