/** Assembly-text helpers for the data-processing encodings (UAL syntax, as GNU objdump). */
import { reg } from '../insn.js';

export { reg };
import { SRType_RRX } from '../alu.js';
import type { Insn } from '../insn.js';

const SHIFT_NAMES = ['lsl', 'lsr', 'asr', 'ror'];

/** ', lsl #3' etc. for a shifted-register operand; '' for LSL #0. */
export function shiftSuffix(i: Insn): string {
  if (i.shiftType === SRType_RRX) return ', rrx';
  if (i.shiftN === 0) return '';
  return `, ${SHIFT_NAMES[i.shiftType]!} #${i.shiftN}`;
}

/** 's' when the instruction sets flags (the 16-bit forms: outside an IT block). */
export function sfx(i: Insn): string {
  return i.setflags !== 0 ? 's' : '';
}

/** An immediate as objdump prints it: '#imm'. */
export function immText(v: number): string {
  return `#${v >>> 0}`;
}

/** ', ror #8' for the extend rotation. */
export function rotSuffix(i: Insn): string {
  return i.shiftN === 0 ? '' : `, ror #${i.shiftN}`;
}

/** Mnemonics that also have 16-bit encodings: objdump marks their 32-bit forms '.w'. */
const HAS_NARROW = new Set([
  'and',
  'tst',
  'bic',
  'orr',
  'mov',
  'mvn',
  'eor',
  'add',
  'cmn',
  'adc',
  'sbc',
  'sub',
  'cmp',
  'lsl',
  'lsr',
  'asr',
  'ror',
  'sxth',
  'uxth',
  'sxtb',
  'uxtb',
  'rev',
  'rev16',
  'revsh',
]);

/** 'mnemonic{s}{.w}' and the tab before the operands, as objdump prints them. */
export function mnem(mnemonic: string, s: string, thumb32: boolean): string {
  return `${mnemonic}${s}${thumb32 && HAS_NARROW.has(mnemonic) ? '.w' : ''}\t`;
}
