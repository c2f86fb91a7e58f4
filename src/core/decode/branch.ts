/**
 * Encodings of the branch group: B (T1-T4), BL, BX, BLX (register), CBZ/CBNZ, IT (A5.2.3,
 * A5.2.5, A5.2.6, A5.3.4) and TBB/TBH (A5.3.6). Semantics in ../execute/branch.ts.
 */
import { signExtend } from '../alu.js';
import { enc, undefinedEncoding, unpredictable, type Encoding, type Insn } from '../insn.js';
import * as x from '../execute/branch.js';
import { cond, redirect, reg } from './loadStoreAsm.js';

/** Branch target for the assembly text: PC (address + 4) + offset. */
function target(i: Insn): string {
  return `0x${((i.addr + 4 + i.imm) >>> 0).toString(16)}`;
}

/** imm32 of B T4 / BL: SignExtend(S:I1:I2:imm10:imm11:'0'), I1 = NOT(J1 XOR S). */
function imm25(raw: number): number {
  const s = (raw >>> 26) & 1;
  const i1 = ~(((raw >>> 13) & 1) ^ s) & 1;
  const i2 = ~(((raw >>> 11) & 1) ^ s) & 1;
  const v =
    (s << 24) | (i1 << 23) | (i2 << 22) | (((raw >>> 16) & 0x3ff) << 12) | ((raw & 0x7ff) << 1);
  return signExtend(v, 25);
}

/** IT's suffix: 't'/'e' for each further instruction, from the mask bits above the last 1. */
function itText(i: Insn): string {
  const firstcond = i.imm >>> 4;
  const mask = i.imm & 15;
  let suffix = '';
  for (let k = 3; k > 31 - Math.clz32(mask & -mask); k--) {
    suffix += ((mask >>> k) & 1) === (firstcond & 1) ? 't' : 'e';
  }
  return `it${suffix} ${cond(firstcond)}`;
}

/** IT with mask 0000 is the hint space; encodings without a hint of their own execute as NOP. */
const unallocatedHint = enc(
  'Unallocated hint T1',
  '10111111 xxxx 0000',
  (raw, i) => {
    i.imm = (raw >>> 4) & 15;
  },
  x.hintNop,
  (i) => `hint #${i.imm}`,
);

/** TBB / TBH: 111010001101 Rn | (1)(1)(1)(1)(0)(0)(0)(0) 000 H Rm. */
function tableBranch(h: boolean): Encoding {
  return enc(
    h ? 'TBH T1' : 'TBB T1',
    `111010001101 nnnn xxxxxxxx 000 ${h ? 1 : 0} mmmm`,
    (raw, i) => {
      i.rn = (raw >>> 16) & 15;
      i.rm = raw & 15;
      if (((raw >>> 8) & 0xff) !== 0xf0) unpredictable('TBB/TBH should-be bits');
      if (i.rn === 13 || i.rm === 13 || i.rm === 15) unpredictable('TBB/TBH registers');
      i.cycles = 2;
    },
    h ? x.tbh : x.tbb,
    (i) => (h ? `tbh [${reg(i.rn)}, ${reg(i.rm)}, lsl #1]` : `tbb [${reg(i.rn)}, ${reg(i.rm)}]`),
  );
}

export const branchEncodings: Encoding[] = [
  enc(
    'B T1',
    '1101 cccc iiiiiiii',
    (raw, i) => {
      i.cond = (raw >>> 8) & 15;
      // 1110 is UDF, 1111 SVC: more specific encodings normally take these first.
      if (i.cond >= 14) undefinedEncoding('B T1 with cond 111x');
      i.imm = signExtend((raw & 0xff) << 1, 9);
    },
    x.bCond,
    (i) => `b${cond(i.cond)}.n ${target(i)}`,
  ),
  enc(
    'B T2',
    '11100 iiiiiiiiiii',
    (raw, i) => {
      i.imm = signExtend((raw & 0x7ff) << 1, 12);
    },
    x.b,
    (i) => `b.n ${target(i)}`,
  ),
  enc(
    'B T3',
    '11110 s cccc iiiiii 10 j 0 j iiiiiiiiiii',
    (raw, i) => {
      i.cond = (raw >>> 22) & 15;
      // cond 111x is the miscellaneous control space (MSR, hints, barriers...).
      if (i.cond >= 14) undefinedEncoding('B T3 with cond 111x');
      const v =
        (((raw >>> 26) & 1) << 20) |
        (((raw >>> 11) & 1) << 19) |
        (((raw >>> 13) & 1) << 18) |
        (((raw >>> 16) & 0x3f) << 12) |
        ((raw & 0x7ff) << 1);
      i.imm = signExtend(v, 21);
    },
    x.bCond,
    (i) => `b${cond(i.cond)}.w ${target(i)}`,
  ),
  enc(
    'B T4',
    '11110 s iiiiiiiiii 10 j 1 j iiiiiiiiiii',
    (raw, i) => {
      i.imm = imm25(raw);
    },
    x.b,
    (i) => `b.w ${target(i)}`,
  ),
  enc(
    'BL T1',
    '11110 s iiiiiiiiii 11 j 1 j iiiiiiiiiii',
    (raw, i) => {
      i.imm = imm25(raw);
    },
    x.bl,
    (i) => `bl ${target(i)}`,
  ),
  enc(
    'BX T1',
    '010001110 mmmm xxx',
    (raw, i) => {
      i.rm = (raw >>> 3) & 15;
      if ((raw & 7) !== 0) unpredictable('BX should-be-zero bits');
    },
    x.bx,
    (i) => `bx ${reg(i.rm)}`,
  ),
  enc(
    'BLX (register) T1',
    '010001111 mmmm xxx',
    (raw, i) => {
      i.rm = (raw >>> 3) & 15;
      if ((raw & 7) !== 0) unpredictable('BLX should-be-zero bits');
      if (i.rm === 15) unpredictable('BLX PC');
    },
    x.blx,
    (i) => `blx ${reg(i.rm)}`,
  ),
  enc(
    'CBZ/CBNZ T1',
    '1011 o 0 i 1 iiiii nnn',
    (raw, i) => {
      i.rn = raw & 7;
      i.imm = ((raw >>> 2) & 0x3e) | ((raw >>> 3) & 0x40); // i:imm5:'0'
      i.extra = (raw >>> 11) & 1;
    },
    x.cbz,
    (i) => `${i.extra ? 'cbnz' : 'cbz'} ${reg(i.rn)}, ${target(i)}`,
  ),
  enc(
    'IT T1',
    '10111111 cccc mmmm',
    (raw, i) => {
      const firstcond = (raw >>> 4) & 15;
      const mask = raw & 15;
      if (mask === 0) return redirect(unallocatedHint, raw, i);
      if (firstcond === 15) unpredictable('IT with firstcond 1111');
      if (firstcond === 14 && (mask & (mask - 1)) !== 0) unpredictable('IT AL with an else');
      i.imm = raw & 0xff;
    },
    x.it,
    itText,
  ),
  tableBranch(false),
  tableBranch(true),
];
