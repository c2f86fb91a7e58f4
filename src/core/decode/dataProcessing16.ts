/**
 * 16-bit data-processing encodings (ARMv7-M ARM A5.2.1 shift/add/subtract/move/compare,
 * A5.2.2 data processing, A5.2.3 special data, and from A5.2.5 ADR, ADD/SUB SP, the extends
 * and the byte reversals). The low-register forms set flags only outside an IT block.
 */
import { SRType_ASR, SRType_LSL, SRType_LSR, SRType_ROR } from '../alu.js';
import * as dp from '../execute/dataProcessing.js';
import * as misc from '../execute/dataProcessingMisc.js';
import {
  enc,
  SETFLAGS_ALWAYS,
  SETFLAGS_NEVER,
  SETFLAGS_OUTSIDE_IT,
  unpredictable,
  type Encoding,
  type ExecFn,
  type Insn,
} from '../insn.js';
import { immText, reg, sfx } from './dataProcessingAsm.js';

/** Cycles for an ALU instruction that writes the PC (a branch: pipeline refill). */
const PC_WRITE_CYCLES = 3;

/** Rd = bits 2:0, Rm = bits 5:3, LSL #0; setflags outside IT. */
function rdRm(raw: number, i: Insn): void {
  i.rd = raw & 7;
  i.rm = (raw >>> 3) & 7;
  i.shiftType = SRType_LSL;
  i.shiftN = 0;
  i.setflags = SETFLAGS_OUTSIDE_IT;
}

/** Shift (immediate) T1: `op Rd, Rm, #imm5` = MOV with a shifted register. */
function shiftImm(name: string, mnemonic: string, bits: string, type: number): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      rdRm(raw, i);
      const imm5 = (raw >>> 6) & 31;
      i.shiftType = type;
      i.shiftN = type !== SRType_LSL && imm5 === 0 ? 32 : imm5;
    },
    dp.movReg,
    (i) => `${mnemonic}${sfx(i)}\t${reg(i.rd)}, ${reg(i.rm)}, #${i.shiftN}`,
  );
}

/** ADD/SUB (register) T1: `op Rd, Rn, Rm`. */
function reg3(name: string, mnemonic: string, bits: string, exec: ExecFn): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = raw & 7;
      i.rn = (raw >>> 3) & 7;
      i.rm = (raw >>> 6) & 7;
      i.shiftType = SRType_LSL;
      i.shiftN = 0;
      i.setflags = SETFLAGS_OUTSIDE_IT;
    },
    exec,
    (i) => `${mnemonic}${sfx(i)}\t${reg(i.rd)}, ${reg(i.rn)}, ${reg(i.rm)}`,
  );
}

/** ADD/SUB (immediate) T1: `op Rd, Rn, #imm3`. */
function imm3(name: string, mnemonic: string, bits: string, exec: ExecFn): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = raw & 7;
      i.rn = (raw >>> 3) & 7;
      i.imm = (raw >>> 6) & 7;
      i.setflags = SETFLAGS_OUTSIDE_IT;
    },
    exec,
    (i) => `${mnemonic}${sfx(i)}\t${reg(i.rd)}, ${reg(i.rn)}, ${immText(i.imm)}`,
  );
}

/** MOV/CMP/ADD/SUB (immediate) with Rdn = bits 10:8 and imm8. */
function imm8(name: string, mnemonic: string, bits: string, exec: ExecFn, compare = false) {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = (raw >>> 8) & 7;
      i.rn = i.rd;
      i.imm = raw & 0xff;
      i.immCarry = -1;
      i.setflags = compare ? SETFLAGS_ALWAYS : SETFLAGS_OUTSIDE_IT;
    },
    exec,
    (i) => `${mnemonic}${compare ? '' : sfx(i)}\t${reg(i.rd)}, ${immText(i.imm)}`,
  );
}

/** Data processing (register) `010000 op Rm Rdn`: `op Rdn, Rm` = `op Rdn, Rdn, Rm`. */
function dpReg(name: string, mnemonic: string, op: string, exec: ExecFn, compare = false) {
  return enc(
    name,
    `010000 ${op} mmm ddd`,
    (raw, i) => {
      rdRm(raw, i);
      i.rn = i.rd;
      if (compare) i.setflags = SETFLAGS_ALWAYS;
    },
    exec,
    (i) =>
      compare
        ? `${mnemonic}\t${reg(i.rn)}, ${reg(i.rm)}`
        : `${mnemonic}${sfx(i)}\t${reg(i.rd)}, ${reg(i.rm)}`,
  );
}

/** LSL/LSR/ASR/ROR (register) T1: `op Rdn, Rm` shifts Rdn by Rm<7:0>. */
function shiftRegT1(name: string, mnemonic: string, op: string, type: number): Encoding {
  return enc(
    name,
    `010000 ${op} mmm ddd`,
    (raw, i) => {
      rdRm(raw, i);
      i.rn = i.rd;
      i.shiftType = type;
    },
    dp.shiftReg,
    (i) => `${mnemonic}${sfx(i)}\t${reg(i.rd)}, ${reg(i.rm)}`,
  );
}

/** SXTH/SXTB/UXTH/UXTB T1 and REV/REV16/REVSH T1: `op Rd, Rm`. */
function unary(name: string, mnemonic: string, bits: string, exec: ExecFn): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = raw & 7;
      i.rm = (raw >>> 3) & 7;
      i.shiftN = 0;
    },
    exec,
    (i) => `${mnemonic}\t${reg(i.rd)}, ${reg(i.rm)}`,
  );
}

/** ADD (SP plus immediate) T2 / SUB (SP minus immediate) T1: `op SP, SP, #imm7:'00'`. */
function spImm7(name: string, mnemonic: string, bits: string, exec: ExecFn): Encoding {
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rd = 13;
      i.rn = 13;
      i.imm = (raw & 0x7f) << 2;
      i.setflags = SETFLAGS_NEVER;
    },
    exec,
    (i) => `${mnemonic}\tsp, ${immText(i.imm)}`,
  );
}

export const dataProcessing16: Encoding[] = [
  // ---- A5.2.1 shift (immediate), add, subtract, move, and compare ----
  /* MOVS Rd, Rm: LSL #0; UNPREDICTABLE in an IT block, where it behaves as LSL #0 does */
  enc(
    'MOV (register) T2',
    '0000000000 mmm ddd',
    rdRm,
    dp.movReg,
    (i) => `movs\t${reg(i.rd)}, ${reg(i.rm)}`,
  ),
  shiftImm('LSL (immediate) T1', 'lsl', '00000 iiiii mmm ddd', SRType_LSL),
  shiftImm('LSR (immediate) T1', 'lsr', '00001 iiiii mmm ddd', SRType_LSR),
  shiftImm('ASR (immediate) T1', 'asr', '00010 iiiii mmm ddd', SRType_ASR),
  reg3('ADD (register) T1', 'add', '0001100 mmm nnn ddd', dp.addReg),
  reg3('SUB (register) T1', 'sub', '0001101 mmm nnn ddd', dp.subReg),
  imm3('ADD (immediate) T1', 'add', '0001110 iii nnn ddd', dp.addImm),
  imm3('SUB (immediate) T1', 'sub', '0001111 iii nnn ddd', dp.subImm),
  imm8('MOV (immediate) T1', 'mov', '00100 ddd iiiiiiii', dp.movImm),
  imm8('CMP (immediate) T1', 'cmp', '00101 nnn iiiiiiii', dp.cmpImm, true),
  imm8('ADD (immediate) T2', 'add', '00110 ddd iiiiiiii', dp.addImm),
  imm8('SUB (immediate) T2', 'sub', '00111 ddd iiiiiiii', dp.subImm),

  // ---- A5.2.2 data processing (register) ----
  dpReg('AND (register) T1', 'and', '0000', dp.andReg),
  dpReg('EOR (register) T1', 'eor', '0001', dp.eorReg),
  shiftRegT1('LSL (register) T1', 'lsl', '0010', SRType_LSL),
  shiftRegT1('LSR (register) T1', 'lsr', '0011', SRType_LSR),
  shiftRegT1('ASR (register) T1', 'asr', '0100', SRType_ASR),
  dpReg('ADC (register) T1', 'adc', '0101', dp.adcReg),
  dpReg('SBC (register) T1', 'sbc', '0110', dp.sbcReg),
  shiftRegT1('ROR (register) T1', 'ror', '0111', SRType_ROR),
  dpReg('TST (register) T1', 'tst', '1000', dp.tstReg, true),
  /* RSBS Rd, Rn, #0 (NEG) */
  enc(
    'RSB (immediate) T1',
    '010000 1001 nnn ddd',
    (raw, i) => {
      i.rd = raw & 7;
      i.rn = (raw >>> 3) & 7;
      i.imm = 0;
      i.setflags = SETFLAGS_OUTSIDE_IT;
    },
    dp.rsbImm,
    (i) => `neg${sfx(i)}\t${reg(i.rd)}, ${reg(i.rn)}`,
  ),
  dpReg('CMP (register) T1', 'cmp', '1010', dp.cmpReg, true),
  dpReg('CMN (register) T1', 'cmn', '1011', dp.cmnReg, true),
  dpReg('ORR (register) T1', 'orr', '1100', dp.orrReg),
  /* MULS Rdm, Rn, Rdm */
  enc(
    'MUL T1',
    '010000 1101 nnn ddd',
    (raw, i) => {
      i.rd = raw & 7;
      i.rn = (raw >>> 3) & 7;
      i.rm = i.rd;
      i.setflags = SETFLAGS_OUTSIDE_IT;
    },
    dp.mul,
    (i) => `mul${sfx(i)}\t${reg(i.rd)}, ${reg(i.rn)}`,
  ),
  dpReg('BIC (register) T1', 'bic', '1110', dp.bicReg),
  enc(
    'MVN (register) T1',
    '010000 1111 mmm ddd',
    rdRm,
    dp.mvnReg,
    (i) => `mvn${sfx(i)}\t${reg(i.rd)}, ${reg(i.rm)}`,
  ),

  // ---- A5.2.3 special data instructions (BX/BLX are in the branch group) ----
  /* ADD Rdn, Rm with high registers; also ADD (SP plus register) T1/T2 (same semantics) */
  enc(
    'ADD (register) T2',
    '01000100 d mmmm ddd',
    (raw, i) => {
      i.rd = ((raw >>> 4) & 8) | (raw & 7);
      i.rn = i.rd;
      i.rm = (raw >>> 3) & 15;
      i.shiftType = SRType_LSL;
      i.shiftN = 0;
      i.setflags = SETFLAGS_NEVER;
      if (i.rn === 15 && i.rm === 15) unpredictable('ADD PC, PC');
      if (i.rd === 15) i.cycles = PC_WRITE_CYCLES;
    },
    dp.addReg,
    (i) => `add\t${reg(i.rd)}, ${reg(i.rm)}`,
  ),
  enc(
    'CMP (register) T2',
    '01000101 n mmmm nnn',
    (raw, i) => {
      i.rn = ((raw >>> 4) & 8) | (raw & 7);
      i.rm = (raw >>> 3) & 15;
      i.shiftType = SRType_LSL;
      i.shiftN = 0;
      i.setflags = SETFLAGS_ALWAYS;
      if (i.rn < 8 && i.rm < 8) unpredictable('CMP T2 with two low registers');
      if (i.rn === 15 || i.rm === 15) unpredictable('CMP T2 with PC');
    },
    dp.cmpReg,
    (i) => `cmp\t${reg(i.rn)}, ${reg(i.rm)}`,
  ),
  enc(
    'MOV (register) T1',
    '01000110 d mmmm ddd',
    (raw, i) => {
      i.rd = ((raw >>> 4) & 8) | (raw & 7);
      i.rm = (raw >>> 3) & 15;
      i.shiftType = SRType_LSL;
      i.shiftN = 0;
      i.setflags = SETFLAGS_NEVER;
      if (i.rd === 15) i.cycles = PC_WRITE_CYCLES;
    },
    dp.movReg,
    (i) => `mov\t${reg(i.rd)}, ${reg(i.rm)}`,
  ),

  // ---- A5.2.5 (part): ADR, SP arithmetic, extends, byte reversal ----
  enc(
    'ADR T1',
    '10100 ddd iiiiiiii',
    (raw, i) => {
      i.rd = (raw >>> 8) & 7;
      i.imm = (raw & 0xff) << 2;
    },
    dp.adr,
    (i) => `add\t${reg(i.rd)}, pc, ${immText(i.imm)}`,
  ),
  enc(
    'ADD (SP plus immediate) T1',
    '10101 ddd iiiiiiii',
    (raw, i) => {
      i.rd = (raw >>> 8) & 7;
      i.rn = 13;
      i.imm = (raw & 0xff) << 2;
      i.setflags = SETFLAGS_NEVER;
    },
    dp.addImm,
    (i) => `add\t${reg(i.rd)}, sp, ${immText(i.imm)}`,
  ),
  spImm7('ADD (SP plus immediate) T2', 'add', '101100000 iiiiiii', dp.addImm),
  spImm7('SUB (SP minus immediate) T1', 'sub', '101100001 iiiiiii', dp.subImm),
  unary('SXTH T1', 'sxth', '1011001000 mmm ddd', misc.sxth),
  unary('SXTB T1', 'sxtb', '1011001001 mmm ddd', misc.sxtb),
  unary('UXTH T1', 'uxth', '1011001010 mmm ddd', misc.uxth),
  unary('UXTB T1', 'uxtb', '1011001011 mmm ddd', misc.uxtb),
  unary('REV T1', 'rev', '1011101000 mmm ddd', misc.rev),
  unary('REV16 T1', 'rev16', '1011101001 mmm ddd', misc.rev16),
  unary('REVSH T1', 'revsh', '1011101011 mmm ddd', misc.revsh),
];
