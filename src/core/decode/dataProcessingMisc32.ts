/**
 * 32-bit data processing (plain binary immediate, A5.3.3: ADDW/SUBW/ADR/MOVW/MOVT, saturation,
 * bitfields) and the register forms of A5.3.12 (register-controlled shifts, extends with
 * rotation) and A5.3.12 miscellaneous (REV, REV16, RBIT, REVSH, CLZ). QADD/SEL, the parallel
 * add/subtract and PKH are in the DSP group.
 */
import { SRType_ASR, SRType_LSL } from '../alu.js';
import * as dp from '../execute/dataProcessing.js';
import * as misc from '../execute/dataProcessingMisc.js';
import { enc, unpredictable, type Encoding, type ExecFn, type Insn } from '../insn.js';
import { immText, mnem, reg, rotSuffix, sfx } from './dataProcessingAsm.js';

function badReg(r: number): boolean {
  return r === 13 || r === 15;
}

/** i:imm3:imm8 */
function imm12Of(raw: number): number {
  return ((raw >>> 15) & 0x800) | ((raw >>> 4) & 0x700) | (raw & 0xff);
}

/** imm3:imm2 (a shift amount or an lsb). */
function imm5Of(raw: number): number {
  return ((raw >>> 10) & 0x1c) | ((raw >>> 6) & 3);
}

/** ADDW/SUBW and their SP and PC (ADR) forms: `op Rd, Rn, #imm12`. */
function wide(
  name: string,
  mnemonic: string,
  bits: string,
  exec: ExecFn,
  dForbidSp: boolean,
): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rn = (raw >>> 16) & 15;
      i.rd = (raw >>> 8) & 15;
      i.imm = imm12Of(raw);
      i.setflags = 0;
      if (i.rd === 15 || (dForbidSp && i.rd === 13)) unpredictable(`Rd = ${reg(i.rd)}`);
    },
    exec,
    (i) => `${mnemonic}\t${reg(i.rd)}, ${reg(i.rn)}, ${immText(i.imm)}`,
  );
}

/** ADR T2 (subtract) and T3 (add): Rd = Align(PC, 4) -/+ imm12. */
function adrWide(name: string, bits: string, sign: 1 | -1): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = (raw >>> 8) & 15;
      i.imm = sign * imm12Of(raw);
      if (badReg(i.rd)) unpredictable(`Rd = ${reg(i.rd)}`);
    },
    dp.adr,
    (i) => `${i.imm < 0 ? 'subw' : 'addw'}\t${reg(i.rd)}, pc, ${immText(Math.abs(i.imm))}`,
  );
}

/** MOVW / MOVT: imm16 = imm4:i:imm3:imm8. */
function move16(name: string, mnemonic: string, bits: string, exec: ExecFn): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = (raw >>> 8) & 15;
      i.imm = ((raw >>> 4) & 0xf000) | imm12Of(raw);
      i.setflags = 0;
      i.immCarry = -1;
      if (badReg(i.rd)) unpredictable(`Rd = ${reg(i.rd)}`);
    },
    exec,
    (i) => `${mnemonic}\t${reg(i.rd)}, ${immText(i.imm)}`,
  );
}

/** SSAT/USAT: saturate_to = sat_imm (+1 when signed), shift LSL or ASR by imm3:imm2. */
function saturate(name: string, mnemonic: string, bits: string, signed: boolean): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = (raw >>> 8) & 15;
      i.rn = (raw >>> 16) & 15;
      i.imm = (raw & 31) + (signed ? 1 : 0);
      const sh = (raw >>> 21) & 1;
      const imm5 = imm5Of(raw);
      // sh = 1 with a zero amount is the 16-bit-lane form, which fixes more bits and wins.
      if (sh === 1 && imm5 === 0) unpredictable('ASR #0');
      i.shiftType = sh === 1 ? SRType_ASR : SRType_LSL;
      i.shiftN = imm5;
      if (badReg(i.rd) || badReg(i.rn)) unpredictable('BadReg');
    },
    signed ? misc.ssat : misc.usat,
    (i) => {
      const sh =
        i.shiftN === 0 ? '' : `, ${i.shiftType === SRType_ASR ? 'asr' : 'lsl'} #${i.shiftN}`;
      return `${mnemonic}\t${reg(i.rd)}, #${i.imm}, ${reg(i.rn)}${sh}`;
    },
  );
}

function saturate16(name: string, mnemonic: string, bits: string, signed: boolean): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = (raw >>> 8) & 15;
      i.rn = (raw >>> 16) & 15;
      i.imm = (raw & 15) + (signed ? 1 : 0);
      if (badReg(i.rd) || badReg(i.rn)) unpredictable('BadReg');
    },
    signed ? misc.ssat16 : misc.usat16,
    (i) => `${mnemonic}\t${reg(i.rd)}, #${i.imm}, ${reg(i.rn)}`,
  );
}

/** SBFX/UBFX: lsb in i.imm, width-1 in i.imm2. */
function extract(name: string, mnemonic: string, bits: string, exec: ExecFn): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = (raw >>> 8) & 15;
      i.rn = (raw >>> 16) & 15;
      i.imm = imm5Of(raw);
      i.imm2 = raw & 31;
      if (badReg(i.rd) || badReg(i.rn)) unpredictable('BadReg');
      if (i.imm + i.imm2 > 31) unpredictable('msbit > 31');
    },
    exec,
    (i) => `${mnemonic}\t${reg(i.rd)}, ${reg(i.rn)}, #${i.imm}, #${i.imm2 + 1}`,
  );
}

/** BFI/BFC: lsb in i.imm, the field mask in i.extra. */
function bitfieldInsert(name: string, bits: string, clear: boolean): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = (raw >>> 8) & 15;
      i.rn = (raw >>> 16) & 15;
      const lsb = imm5Of(raw);
      const msb = raw & 31;
      if (badReg(i.rd) || (!clear && i.rn === 13)) unpredictable('BadReg');
      if (msb < lsb) unpredictable('msbit < lsbit');
      const width = msb - lsb + 1;
      i.imm = lsb;
      i.imm2 = width;
      i.extra = width === 32 ? -1 : ((1 << width) - 1) << lsb;
    },
    clear ? misc.bfc : misc.bfi,
    (i) =>
      clear
        ? `bfc\t${reg(i.rd)}, #${i.imm}, #${i.imm2}`
        : `bfi\t${reg(i.rd)}, ${reg(i.rn)}, #${i.imm}, #${i.imm2}`,
  );
}

/** LSL/LSR/ASR/ROR (register) T2: `op Rd, Rn, Rm`. */
function shiftReg(name: string, mnemonic: string, type: string, shiftType: number): Encoding {
  return enc(
    name,
    `11111010 0 ${type} s nnnn 1111 dddd 0000 mmmm`,
    (raw, i) => {
      i.rn = (raw >>> 16) & 15;
      i.rd = (raw >>> 8) & 15;
      i.rm = raw & 15;
      i.setflags = (raw >>> 20) & 1;
      i.shiftType = shiftType;
      if (badReg(i.rd) || badReg(i.rn) || badReg(i.rm)) unpredictable('BadReg');
    },
    dp.shiftReg,
    (i) => `${mnem(mnemonic, sfx(i), true)}${reg(i.rd)}, ${reg(i.rn)}, ${reg(i.rm)}`,
  );
}

/**
 * Extend with rotation `11111010 0 op Rn 1111 Rd 1 (0) rotate Rm`: with `accumulate` the
 * SXTA.../UXTA... form (Rn a field), else the plain form (Rn = 1111).
 */
function extend(
  name: string,
  mnemonic: string,
  op: string,
  accumulate: boolean,
  exec: ExecFn,
): Encoding {
  return enc(
    name,
    `11111010 0 ${op} ${accumulate ? 'nnnn' : '1111'} 1111 dddd 1 0 rr mmmm`,
    (raw, i) => {
      i.rn = (raw >>> 16) & 15;
      i.rd = (raw >>> 8) & 15;
      i.rm = raw & 15;
      i.shiftN = ((raw >>> 4) & 3) << 3;
      if (badReg(i.rd) || badReg(i.rm) || (accumulate && i.rn === 13)) {
        unpredictable('BadReg');
      }
    },
    exec,
    (i) =>
      accumulate
        ? `${mnemonic}\t${reg(i.rd)}, ${reg(i.rn)}, ${reg(i.rm)}${rotSuffix(i)}`
        : `${mnem(mnemonic, '', true)}${reg(i.rd)}, ${reg(i.rm)}${rotSuffix(i)}`,
  );
}

/** REV/REV16/RBIT/REVSH/CLZ T1/T2: `11111010 1 op1 Rm 1111 Rd 10 op2 Rm` (Rm twice). */
function unary(name: string, mnemonic: string, op1: string, op2: string, exec: ExecFn): Encoding {
  return enc(
    name,
    `11111010 1 ${op1} mmmm 1111 dddd 10 ${op2} mmmm`,
    (raw, i) => {
      i.rd = (raw >>> 8) & 15;
      i.rm = raw & 15;
      if (((raw >>> 16) & 15) !== i.rm) unpredictable('Rm fields differ');
      if (badReg(i.rd) || badReg(i.rm)) unpredictable('BadReg');
    },
    exec,
    (i) => `${mnem(mnemonic, '', true)}${reg(i.rd)}, ${reg(i.rm)}`,
  );
}

export const dataProcessingMisc32: Encoding[] = [
  // ---- A5.3.3 data processing (plain binary immediate) ----
  wide('ADD (immediate) T4', 'addw', '11110 i 1 0000 0 nnnn 0 iii dddd iiiiiiii', dp.addImm, true),
  wide(
    'ADD (SP plus immediate) T4',
    'addw',
    '11110 i 1 0000 0 1101 0 iii dddd iiiiiiii',
    dp.addImm,
    false,
  ),
  adrWide('ADR T3', '11110 i 1 0000 0 1111 0 iii dddd iiiiiiii', 1),
  move16('MOV (immediate) T3', 'movw', '11110 i 1 0010 0 iiii 0 iii dddd iiiiiiii', dp.movImm),
  wide('SUB (immediate) T4', 'subw', '11110 i 1 0101 0 nnnn 0 iii dddd iiiiiiii', dp.subImm, true),
  wide(
    'SUB (SP minus immediate) T3',
    'subw',
    '11110 i 1 0101 0 1101 0 iii dddd iiiiiiii',
    dp.subImm,
    false,
  ),
  adrWide('ADR T2', '11110 i 1 0101 0 1111 0 iii dddd iiiiiiii', -1),
  move16('MOVT T1', 'movt', '11110 i 1 0110 0 iiii 0 iii dddd iiiiiiii', misc.movt),
  saturate('SSAT T1', 'ssat', '11110 0 1 100 s 0 nnnn 0 iii dddd ii 0 iiiii', true),
  saturate16('SSAT16 T1', 'ssat16', '11110 0 1 100 1 0 nnnn 0 000 dddd 00 0 0 iiii', true),
  extract('SBFX T1', 'sbfx', '11110 0 1 1010 0 nnnn 0 iii dddd ii 0 iiiii', misc.sbfx),
  bitfieldInsert('BFI T1', '11110 0 1 1011 0 nnnn 0 iii dddd ii 0 iiiii', false),
  bitfieldInsert('BFC T1', '11110 0 1 1011 0 1111 0 iii dddd ii 0 iiiii', true),
  saturate('USAT T1', 'usat', '11110 0 1 110 s 0 nnnn 0 iii dddd ii 0 iiiii', false),
  saturate16('USAT16 T1', 'usat16', '11110 0 1 110 1 0 nnnn 0 000 dddd 00 0 0 iiii', false),
  extract('UBFX T1', 'ubfx', '11110 0 1 1110 0 nnnn 0 iii dddd ii 0 iiiii', misc.ubfx),

  // ---- A5.3.12 register-controlled shifts and extends ----
  shiftReg('LSL (register) T2', 'lsl', '00', 0),
  shiftReg('LSR (register) T2', 'lsr', '01', 1),
  shiftReg('ASR (register) T2', 'asr', '10', 2),
  shiftReg('ROR (register) T2', 'ror', '11', 3),
  extend('SXTAH T1', 'sxtah', '000', true, misc.sxtah),
  extend('SXTH T2', 'sxth', '000', false, misc.sxth),
  extend('UXTAH T1', 'uxtah', '001', true, misc.uxtah),
  extend('UXTH T2', 'uxth', '001', false, misc.uxth),
  extend('SXTAB16 T1', 'sxtab16', '010', true, misc.sxtab16),
  extend('SXTB16 T1', 'sxtb16', '010', false, misc.sxtb16),
  extend('UXTAB16 T1', 'uxtab16', '011', true, misc.uxtab16),
  extend('UXTB16 T1', 'uxtb16', '011', false, misc.uxtb16),
  extend('SXTAB T1', 'sxtab', '100', true, misc.sxtab),
  extend('SXTB T2', 'sxtb', '100', false, misc.sxtb),
  extend('UXTAB T1', 'uxtab', '101', true, misc.uxtab),
  extend('UXTB T2', 'uxtb', '101', false, misc.uxtb),

  // ---- A5.3.12 miscellaneous operations (part) ----
  unary('REV T2', 'rev', '001', '00', misc.rev),
  unary('REV16 T2', 'rev16', '001', '01', misc.rev16),
  unary('RBIT T1', 'rbit', '001', '10', misc.rbit),
  unary('REVSH T2', 'revsh', '001', '11', misc.revsh),
  unary('CLZ T1', 'clz', '011', '00', misc.clz),
];
