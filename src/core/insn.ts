/**
 * A decoded instruction. Every Insn has the same shape (one hidden class for V8): the decode
 * function of its encoding fills the operand fields it needs, the executor reads them. Decoded
 * once per address and kept in the core's predecode cache.
 */
import type { Cpu } from './cpu.js';

export type ExecFn = (cpu: Cpu, i: Insn) => void;

/** `setflags` values: 16-bit data-processing forms set flags only outside an IT block. */
export const SETFLAGS_NEVER = 0;
export const SETFLAGS_ALWAYS = 1;
export const SETFLAGS_OUTSIDE_IT = 2;

export class Insn {
  exec: ExecFn;
  encoding: Encoding;
  /** Raw encoding: a halfword, or (hw1 << 16 | hw2) >>> 0 for 32-bit instructions. */
  raw = 0;
  /** Address the instruction was decoded at. */
  addr = 0;
  size: 2 | 4 = 2;
  /** Base cost in core cycles. */
  cycles = 1;
  rd = 0;
  rn = 0;
  rm = 0;
  rt = 0;
  rt2 = 0;
  ra = 0;
  rs = 0;
  imm = 0;
  imm2 = 0;
  /** Carry out of ThumbExpandImm_C: -1 when the carry flag is left unchanged. */
  immCarry = -1;
  shiftType = 0;
  shiftN = 0;
  setflags = 0;
  cond = 14;
  /** Register list for LDM/STM/PUSH/POP. */
  list = 0;
  add = true;
  index = true;
  wback = false;
  /** Spare operand for encodings that need one more (e.g. a rotation, a width). */
  extra = 0;

  constructor(encoding: Encoding, exec: ExecFn) {
    this.encoding = encoding;
    this.exec = exec;
    // Both hold large values now and then (a 32-bit encoding, an immediate such as
    // 0xFFFFFFFF). Started as general fields, they keep the usual small ones unboxed in V8, as
    // the core's PC does (cpu.ts): the interpreter reads them on every instruction.
    this.imm = this.raw = null as unknown as number;
    this.imm = this.raw = 0;
  }
}

/** Thrown by a decode function for an UNDEFINED or UNPREDICTABLE encoding. */
export class DecodeError {
  constructor(
    readonly kind: 'UNDEFINED' | 'UNPREDICTABLE',
    readonly why: string,
  ) {}
}

export function undefinedEncoding(why: string): never {
  throw new DecodeError('UNDEFINED', why);
}
/**
 * UNPREDICTABLE encodings: the Cortex-M4 behaviour is not architected; f4emu raises
 * UNDEFINSTR (what the M4 does for most of them) so a firmware bug shows up as a fault.
 */
export function unpredictable(why: string): never {
  throw new DecodeError('UNPREDICTABLE', why);
}

export interface Encoding {
  /** Mnemonic and encoding name as in the ARMv7-M ARM, e.g. 'ADD (register) T2'. */
  name: string;
  /** 16 or 32 bit encoding. */
  size: 16 | 32;
  /** Bit pattern as written in the ARM ARM, e.g. '010001 00 d mmmm ddd'. 0/1 are fixed bits. */
  pattern?: string;
  mask: number;
  value: number;
  /** Fills the operand fields of `i` from `raw`; may throw DecodeError. */
  decode: (raw: number, i: Insn) => void;
  exec: ExecFn;
  /** Assembly text for the disassembler and traces. */
  asm: (i: Insn) => string;
}

/**
 * Builds mask/value from an ARM-ARM style pattern: '0', '1' are fixed bits, any other
 * character is a field bit; spaces are ignored. 16 characters for a 16-bit encoding,
 * 32 for a 32-bit one (first halfword first).
 */
export function pattern(p: string): { mask: number; value: number; size: 16 | 32 } {
  const bits = p.replace(/\s+/g, '');
  if (bits.length !== 16 && bits.length !== 32) {
    throw new Error(`encoding pattern '${p}' has ${bits.length} bits`);
  }
  let mask = 0;
  let value = 0;
  for (const ch of bits) {
    mask = mask * 2 + (ch === '0' || ch === '1' ? 1 : 0);
    value = value * 2 + (ch === '1' ? 1 : 0);
  }
  return { mask: mask >>> 0, value: value >>> 0, size: bits.length as 16 | 32 };
}

/** Declares an encoding from its pattern string. */
export function enc(
  name: string,
  bits: string,
  decode: (raw: number, i: Insn) => void,
  exec: ExecFn,
  asm: (i: Insn) => string,
): Encoding {
  const { mask, value, size } = pattern(bits);
  return { name, size, pattern: bits, mask, value, decode, exec, asm };
}

const REGISTER_NAMES = [
  ...['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12'],
  ...['sp', 'lr', 'pc'],
];

/** UAL name of core register n (r0-r12, sp, lr, pc), for assembly text and reports. */
export function reg(n: number): string {
  return REGISTER_NAMES[n & 15]!;
}
