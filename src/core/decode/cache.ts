/**
 * Predecoded-instruction cache: one slot per halfword address, 64 KB pages allocated on first
 * use. The bus flags pages holding decoded code so a store there invalidates the slots.
 */
import type { Cpu } from '../cpu.js';
import { CpuFault, CFSR_UNDEFINSTR, EXC_USAGEFAULT } from '../faults.js';
import { DecodeError, Insn, type Encoding } from '../insn.js';
import { lookup } from './table.js';

export interface DecodeCache {
  pages: ((Insn | undefined)[] | null)[];
}

/** True when the halfword starts a 32-bit Thumb-2 instruction. */
export function isThumb32(hw1: number): boolean {
  return hw1 >>> 11 >= 0b11101;
}

const undefinedEncoding: Encoding = {
  name: 'UNDEFINED',
  size: 16,
  mask: 0,
  value: 0,
  decode: () => {},
  exec: () => {
    throw new CpuFault(EXC_USAGEFAULT, CFSR_UNDEFINSTR);
  },
  asm: (i) =>
    `.inst 0x${i.raw.toString(16)} ; ${i.encoding === undefinedEncoding ? 'undefined' : ''}`,
};

/** Decodes a raw encoding into a fresh Insn (undefined encodings execute as UNDEFINSTR). */
export function decodeRaw(raw: number, size: 2 | 4, addr = 0): Insn {
  const e = lookup(raw, size === 4 ? 32 : 16);
  let insn: Insn;
  if (e === undefined) insn = new Insn(undefinedEncoding, undefinedEncoding.exec);
  else {
    insn = new Insn(e, e.exec);
    insn.raw = raw;
    insn.size = size;
    insn.addr = addr;
    try {
      e.decode(raw, insn);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      insn = new Insn(undefinedEncoding, undefinedEncoding.exec);
    }
  }
  insn.raw = raw;
  insn.size = size;
  insn.addr = addr;
  return insn;
}

export function decodeAt(cpu: Cpu, pc: number): Insn {
  const hw1 = cpu.bus.read16(pc);
  let insn: Insn;
  if (isThumb32(hw1)) {
    const hw2 = cpu.bus.read16((pc + 2) >>> 0);
    insn = decodeRaw(((hw1 << 16) | hw2) >>> 0, 4, pc);
  } else {
    insn = decodeRaw(hw1, 2, pc);
  }
  const pageIndex = pc >>> 16;
  let page = cpu.cache.pages[pageIndex];
  if (page == null) {
    page = new Array<Insn | undefined>(32768);
    cpu.cache.pages[pageIndex] = page;
    cpu.bus.codePages[pageIndex] = 1;
    // A 32-bit instruction at the end of a page spans into the next one.
    if (pageIndex < 65535) cpu.bus.codePages[pageIndex + 1] = 1;
  }
  page[(pc & 0xffff) >>> 1] = insn;
  return insn;
}
