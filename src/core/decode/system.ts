/**
 * System group: MRS, MSR, CPS, SVC, BKPT, hints (NOP YIELD WFE WFI SEV DBG), barriers and UDF
 * (ARMv7-M ARM A5.2.5, A5.3.4, B5.2). Semantics in ../execute/system.ts.
 */
import { enc, unpredictable, type Encoding, type Insn } from '../insn.js';
import * as x from '../execute/system.js';

const SYSM_NAMES: Record<number, string> = {
  0: 'APSR',
  1: 'IAPSR',
  2: 'EAPSR',
  3: 'XPSR',
  5: 'IPSR',
  6: 'EPSR',
  7: 'IEPSR',
  8: 'MSP',
  9: 'PSP',
  16: 'PRIMASK',
  17: 'BASEPRI',
  18: 'BASEPRI_MAX',
  19: 'FAULTMASK',
  20: 'CONTROL',
};

function sysm(v: number): number {
  if (SYSM_NAMES[v] === undefined) unpredictable(`SYSm ${v}`);
  return v;
}

const bad = (r: number): boolean => r === 13 || r === 15;
const HINTS = ['nop', 'yield', 'wfe', 'wfi', 'sev'];
const hintExec = [x.nop, x.yieldHint, x.wfe, x.wfi, x.sev];
const BARRIERS: Record<number, string> = { 4: 'dsb', 5: 'dmb', 6: 'isb' };

function hint16(op: number): Encoding {
  return enc(
    `${HINTS[op]!.toUpperCase()} T1`,
    `10111111 ${op.toString(2).padStart(4, '0')} 0000`,
    () => {},
    hintExec[op]!,
    () => HINTS[op]!,
  );
}

function hint32(op: number): Encoding {
  return enc(
    `${HINTS[op]!.toUpperCase()} T2`,
    `1111001110101111 10000000 ${op.toString(2).padStart(8, '0')}`,
    () => {},
    hintExec[op]!,
    () => `${HINTS[op]!}.w`,
  );
}

function barrier(op: number): Encoding {
  const name = BARRIERS[op]!;
  return enc(
    `${name.toUpperCase()} T1`,
    `1111001110111111 10001111 ${op.toString(2).padStart(4, '0')} xxxx`,
    (raw, i) => {
      i.imm = raw & 0xf;
    },
    name === 'isb' ? x.isb : x.nop,
    (i) => (i.imm === 15 ? name : `${name} #${i.imm}`),
  );
}

export const systemEncodings: Encoding[] = [
  enc(
    'MRS T1',
    '11110011111011111000 dddd ssssssss',
    (raw, i: Insn) => {
      i.rd = (raw >>> 8) & 0xf;
      i.imm = sysm(raw & 0xff);
      if (bad(i.rd)) unpredictable('MRS Rd');
    },
    x.mrs,
    (i) => `mrs r${i.rd}, ${SYSM_NAMES[i.imm]}`,
  ),
  enc(
    'MSR T1',
    '111100111000nnnn 10 0 0 mm 00 ssssssss',
    (raw, i) => {
      i.rn = (raw >>> 16) & 0xf;
      i.imm = sysm(raw & 0xff);
      i.extra = (raw >>> 10) & 3; // mask<1:0>: bit1 = nzcvq, bit0 = g
      if (bad(i.rn)) unpredictable('MSR Rn');
      if (i.imm < 8 && i.extra === 0) unpredictable('MSR APSR with mask 00');
      if (i.imm >= 8 && i.extra !== 2) unpredictable('MSR mask for a non-APSR register');
    },
    x.msr,
    (i) =>
      `msr ${SYSM_NAMES[i.imm]}${i.imm < 8 ? ['', '_g', '_nzcvq', '_nzcvqg'][i.extra] : ''}, r${i.rn}`,
  ),
  enc(
    'CPS T1',
    '10110110011 m 0 0 i f',
    (raw, i) => {
      i.extra = (raw >>> 4) & 1; // 1 = disable (CPSID)
      i.imm = raw & 3; // bit1 I (PRIMASK), bit0 F (FAULTMASK)
      if (i.imm === 0) unpredictable('CPS with no flags');
    },
    x.cps,
    (i) => `cps${i.extra ? 'id' : 'ie'} ${i.imm & 2 ? 'i' : ''}${i.imm & 1 ? 'f' : ''}`,
  ),
  enc(
    'SVC T1',
    '11011111 iiiiiiii',
    (raw, i) => {
      i.imm = raw & 0xff;
    },
    x.svc,
    (i) => `svc #${i.imm}`,
  ),
  enc(
    'BKPT T1',
    '10111110 iiiiiiii',
    (raw, i) => {
      i.imm = raw & 0xff;
    },
    x.bkpt,
    (i) => `bkpt #${i.imm}`,
  ),
  enc(
    'UDF T1',
    '11011110 iiiiiiii',
    (raw, i) => {
      i.imm = raw & 0xff;
    },
    x.udf,
    (i) => `udf #${i.imm}`,
  ),
  enc(
    'UDF T2',
    '111101111111iiii 1010iiiiiiiiiiii',
    (raw, i) => {
      i.imm = ((raw >>> 4) & 0xf000) | (raw & 0xfff);
    },
    x.udf,
    (i) => `udf.w #${i.imm}`,
  ),
  ...[0, 1, 2, 3, 4].map(hint16),
  ...[0, 1, 2, 3, 4].map(hint32),
  enc(
    'hint (unallocated, executes as NOP)',
    '1111001110101111 10000000 xxxxxxxx',
    (raw, i) => {
      i.imm = raw & 0xff;
    },
    x.nop,
    (i) => `nop.w ; hint #${i.imm}`,
  ),
  enc(
    'DBG T1',
    '1111001110101111 10000000 1111 oooo',
    (raw, i) => {
      i.imm = raw & 0xf;
    },
    x.nop,
    (i) => `dbg #${i.imm}`,
  ),
  ...[4, 5, 6].map(barrier),
  enc(
    'coprocessor space',
    '111x11xxxxxxxxxx xxxxxxxxxxxxxxxx',
    (raw, i) => {
      i.imm = (raw >>> 8) & 0xf; // coprocessor number
    },
    x.coprocessor,
    (i) => `<coprocessor p${i.imm} instruction 0x${i.raw.toString(16)}>`,
  ),
];
