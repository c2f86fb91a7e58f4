/** Disassembly from the same encoding table the decoder uses. */
import { decodeRaw, isThumb32 } from './decode/cache.js';

export interface Disassembled {
  address: number;
  size: 2 | 4;
  raw: number;
  text: string;
}

/** Disassembles the instruction at `address` given a halfword reader. */
export function disassembleAt(address: number, readHalf: (addr: number) => number): Disassembled {
  const hw1 = readHalf(address);
  if (isThumb32(hw1)) {
    const raw = ((hw1 << 16) | readHalf(address + 2)) >>> 0;
    const insn = decodeRaw(raw, 4, address);
    return { address, size: 4, raw, text: insn.encoding.asm(insn) };
  }
  const insn = decodeRaw(hw1, 2, address);
  return { address, size: 2, raw: hw1, text: insn.encoding.asm(insn) };
}

/** Disassembles `count` instructions starting at `address`. */
export function disassemble(
  address: number,
  count: number,
  readHalf: (addr: number) => number,
): Disassembled[] {
  const out: Disassembled[] = [];
  for (let i = 0; i < count; i++) {
    const d = disassembleAt(address, readHalf);
    out.push(d);
    address += d.size;
  }
  return out;
}
