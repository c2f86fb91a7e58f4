/**
 * 32-bit data processing with a modified immediate (ARMv7-M ARM A5.3.1) or a shifted register
 * (A5.3.11, minus PKHBT/PKHTB which belong to the DSP group). The compare aliases (TST, TEQ,
 * CMN, CMP with Rd = 1111 and S = 1), the MOV/MVN aliases (Rn = 1111) and the SP forms
 * (Rn = 1101) fix more bits than the encoding they are carved from, so the table tries them first.
 */
import { alu, decodeImmShift, SRType_LSL, thumbExpandImmC } from '../alu.js';
import * as dp from '../execute/dataProcessing.js';
import { enc, unpredictable, type Encoding, type ExecFn, type Insn } from '../insn.js';
import { immText, mnem, reg, sfx, shiftSuffix } from './dataProcessingAsm.js';

/** Register sets for the UNPREDICTABLE checks: bit r set = register r not allowed. */
const NONE = 0;
const SP = 1 << 13;
const PC = 1 << 15;
/** BadReg(): SP or PC. */
const BAD = SP | PC;

/** How the operands are written: `op Rd, Rn, <op2>`, `op Rd, <op2>` or `op Rn, <op2>`. */
type Form = 'dn' | 'd' | 'n';

interface Rules {
  /** Forbidden destinations, first operands and (register forms) second operands. */
  d: number;
  n: number;
  m?: number;
}

function check(i: Insn, rules: Rules, form: Form): void {
  if (form !== 'n' && ((rules.d >>> i.rd) & 1) !== 0) unpredictable(`Rd = ${reg(i.rd)}`);
  if (form !== 'd' && ((rules.n >>> i.rn) & 1) !== 0) unpredictable(`Rn = ${reg(i.rn)}`);
  if (rules.m !== undefined && ((rules.m >>> i.rm) & 1) !== 0) {
    unpredictable(`Rm = ${reg(i.rm)}`);
  }
}

/** The Rn, Rd and S fields of a form: fixed bits for the aliases, fields otherwise. */
function fields(form: Form, rn = 'nnnn'): { s: string; n: string; d: string } {
  switch (form) {
    case 'dn':
      return { s: 's', n: rn, d: 'dddd' };
    case 'd':
      return { s: 's', n: '1111', d: 'dddd' };
    default:
      return { s: '1', n: rn, d: '1111' };
  }
}

function operands(i: Insn, form: Form): string {
  switch (form) {
    case 'dn':
      return `${reg(i.rd)}, ${reg(i.rn)}`;
    case 'd':
      return reg(i.rd);
    default:
      return reg(i.rn);
  }
}

/** Decodes i:imm3:imm8 with ThumbExpandImm_C; the carry out goes to `i.immCarry`. */
function decodeModImm(raw: number, i: Insn): void {
  const imm12 = ((raw >>> 15) & 0x800) | ((raw >>> 4) & 0x700) | (raw & 0xff);
  i.imm = thumbExpandImmC(imm12);
  i.immCarry = alu.carry;
}

/**
 * Data processing (modified immediate) `11110 i 0 op S Rn 0 imm3 Rd imm8`. `rn` fixes Rn for
 * the SP forms.
 */
function modImm(
  name: string,
  mnemonic: string,
  op: string,
  form: Form,
  exec: ExecFn,
  rules: Rules,
  rn?: string,
): Encoding {
  const f = fields(form, rn);
  return enc(
    name,
    `11110 i 0 ${op} ${f.s} ${f.n} 0 iii ${f.d} iiiiiiii`,
    (raw, i) => {
      i.rn = (raw >>> 16) & 15;
      i.rd = (raw >>> 8) & 15;
      i.setflags = (raw >>> 20) & 1;
      decodeModImm(raw, i);
      check(i, rules, form);
    },
    exec,
    (i) =>
      `${mnem(mnemonic, form === 'n' ? '' : sfx(i), true)}${operands(i, form)}, ${immText(i.imm)}`,
  );
}

/** Data processing (shifted register) `1110101 op S Rn (0) imm3 Rd imm2 type Rm`. */
function shiftedReg(
  name: string,
  mnemonic: string,
  op: string,
  form: Form,
  exec: ExecFn,
  rules: Rules,
  rn?: string,
  extraCheck?: (i: Insn) => void,
): Encoding {
  const f = fields(form, rn);
  return enc(
    name,
    `1110101 ${op} ${f.s} ${f.n} 0 iii ${f.d} ii tt mmmm`,
    (raw, i) => {
      i.rn = (raw >>> 16) & 15;
      i.rd = (raw >>> 8) & 15;
      i.rm = raw & 15;
      i.setflags = (raw >>> 20) & 1;
      decodeShift(raw, i);
      check(i, rules, form);
      extraCheck?.(i);
    },
    exec,
    (i) =>
      `${mnem(mnemonic, form === 'n' ? '' : sfx(i), true)}${operands(i, form)}, ${reg(i.rm)}${shiftSuffix(i)}`,
  );
}

/** DecodeImmShift(type, imm3:imm2) into i.shiftType / i.shiftN. */
function decodeShift(raw: number, i: Insn): void {
  const s = decodeImmShift((raw >>> 4) & 3, ((raw >>> 10) & 0x1c) | ((raw >>> 6) & 3));
  i.shiftType = s.t;
  i.shiftN = s.n;
}

/** ADD/SUB (SP plus/minus register): d == 13 only with LSL #0-3. */
function spShiftCheck(i: Insn): void {
  if (i.rd === 13 && (i.shiftType !== SRType_LSL || i.shiftN > 3)) {
    unpredictable('SP destination with a shift other than LSL #0-3');
  }
}

/**
 * The shift-by-immediate aliases of ORR with Rn = 1111: MOV (register) T3 (type LSL, amount 0),
 * LSL/LSR/ASR/ROR (immediate) T2/T1 and RRX (type ROR, amount 0).
 */
function movShift(name: string, mnemonic: string, typeImm: string): Encoding {
  return enc(
    name,
    `1110101 0010 s 1111 0 ${typeImm.slice(0, 3)} dddd ${typeImm.slice(3)} mmmm`,
    (raw, i) => {
      i.rd = (raw >>> 8) & 15;
      i.rm = raw & 15;
      i.setflags = (raw >>> 20) & 1;
      decodeShift(raw, i);
      const d = i.rd;
      const m = i.rm;
      if (mnemonic !== 'mov' || i.setflags !== 0) {
        if (d === 13 || d === 15 || m === 13 || m === 15) unpredictable('BadReg');
      } else if (d === 15 || m === 15 || (d === 13 && m === 13)) {
        unpredictable('MOV.W with PC, or SP to SP');
      }
    },
    dp.movReg,
    // objdump prints the shift aliases as MOV with a shifted register.
    (i) => `${mnem('mov', sfx(i), true)}${reg(i.rd)}, ${reg(i.rm)}${shiftSuffix(i)}`,
  );
}

export const dataProcessing32: Encoding[] = [
  // ---- A5.3.1 data processing (modified immediate) ----
  modImm('AND (immediate) T1', 'and', '0000', 'dn', dp.andImm, { d: BAD, n: BAD }),
  modImm('TST (immediate) T1', 'tst', '0000', 'n', dp.tstImm, { d: NONE, n: BAD }),
  modImm('BIC (immediate) T1', 'bic', '0001', 'dn', dp.bicImm, { d: BAD, n: BAD }),
  modImm('ORR (immediate) T1', 'orr', '0010', 'dn', dp.orrImm, { d: BAD, n: SP }),
  modImm('MOV (immediate) T2', 'mov', '0010', 'd', dp.movImm, { d: BAD, n: NONE }),
  modImm('ORN (immediate) T1', 'orn', '0011', 'dn', dp.ornImm, { d: BAD, n: SP }),
  modImm('MVN (immediate) T1', 'mvn', '0011', 'd', dp.mvnImm, { d: BAD, n: NONE }),
  modImm('EOR (immediate) T1', 'eor', '0100', 'dn', dp.eorImm, { d: BAD, n: BAD }),
  modImm('TEQ (immediate) T1', 'teq', '0100', 'n', dp.teqImm, { d: NONE, n: BAD }),
  modImm('ADD (immediate) T3', 'add', '1000', 'dn', dp.addImm, { d: BAD, n: PC }),
  modImm('ADD (SP plus immediate) T3', 'add', '1000', 'dn', dp.addImm, { d: PC, n: NONE }, '1101'),
  modImm('CMN (immediate) T1', 'cmn', '1000', 'n', dp.cmnImm, { d: NONE, n: PC }),
  modImm('ADC (immediate) T1', 'adc', '1010', 'dn', dp.adcImm, { d: BAD, n: BAD }),
  modImm('SBC (immediate) T1', 'sbc', '1011', 'dn', dp.sbcImm, { d: BAD, n: BAD }),
  modImm('SUB (immediate) T3', 'sub', '1101', 'dn', dp.subImm, { d: BAD, n: PC }),
  modImm('SUB (SP minus immediate) T2', 'sub', '1101', 'dn', dp.subImm, { d: PC, n: NONE }, '1101'),
  modImm('CMP (immediate) T2', 'cmp', '1101', 'n', dp.cmpImm, { d: NONE, n: PC }),
  modImm('RSB (immediate) T2', 'rsb', '1110', 'dn', dp.rsbImm, { d: BAD, n: BAD }),

  // ---- A5.3.11 data processing (shifted register) ----
  shiftedReg('AND (register) T2', 'and', '0000', 'dn', dp.andReg, { d: BAD, n: BAD, m: BAD }),
  shiftedReg('TST (register) T2', 'tst', '0000', 'n', dp.tstReg, { d: NONE, n: BAD, m: BAD }),
  shiftedReg('BIC (register) T2', 'bic', '0001', 'dn', dp.bicReg, { d: BAD, n: BAD, m: BAD }),
  shiftedReg('ORR (register) T2', 'orr', '0010', 'dn', dp.orrReg, { d: BAD, n: SP, m: BAD }),
  movShift('MOV (register) T3', 'mov', '0000000'),
  movShift('LSL (immediate) T2', 'lsl', 'iiiii00'),
  movShift('LSR (immediate) T2', 'lsr', 'iiiii01'),
  movShift('ASR (immediate) T2', 'asr', 'iiiii10'),
  movShift('ROR (immediate) T1', 'ror', 'iiiii11'),
  movShift('RRX T1', 'rrx', '0000011'),
  shiftedReg('ORN (register) T1', 'orn', '0011', 'dn', dp.ornReg, { d: BAD, n: SP, m: BAD }),
  shiftedReg('MVN (register) T2', 'mvn', '0011', 'd', dp.mvnReg, { d: BAD, n: NONE, m: BAD }),
  shiftedReg('EOR (register) T2', 'eor', '0100', 'dn', dp.eorReg, { d: BAD, n: BAD, m: BAD }),
  shiftedReg('TEQ (register) T1', 'teq', '0100', 'n', dp.teqReg, { d: NONE, n: BAD, m: BAD }),
  shiftedReg('ADD (register) T3', 'add', '1000', 'dn', dp.addReg, { d: BAD, n: PC, m: BAD }),
  shiftedReg(
    'ADD (SP plus register) T3',
    'add',
    '1000',
    'dn',
    dp.addReg,
    { d: PC, n: NONE, m: BAD },
    '1101',
    spShiftCheck,
  ),
  shiftedReg('CMN (register) T2', 'cmn', '1000', 'n', dp.cmnReg, { d: NONE, n: PC, m: BAD }),
  shiftedReg('ADC (register) T2', 'adc', '1010', 'dn', dp.adcReg, { d: BAD, n: BAD, m: BAD }),
  shiftedReg('SBC (register) T2', 'sbc', '1011', 'dn', dp.sbcReg, { d: BAD, n: BAD, m: BAD }),
  shiftedReg('SUB (register) T2', 'sub', '1101', 'dn', dp.subReg, { d: BAD, n: PC, m: BAD }),
  shiftedReg(
    'SUB (SP minus register) T1',
    'sub',
    '1101',
    'dn',
    dp.subReg,
    { d: PC, n: NONE, m: BAD },
    '1101',
    spShiftCheck,
  ),
  shiftedReg('CMP (register) T3', 'cmp', '1101', 'n', dp.cmpReg, { d: NONE, n: PC, m: BAD }),
  shiftedReg('RSB (register) T1', 'rsb', '1110', 'dn', dp.rsbReg, { d: BAD, n: BAD, m: BAD }),
];
