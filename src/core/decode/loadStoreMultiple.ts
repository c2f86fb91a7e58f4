/**
 * Encodings of the multiple-register, dual and exclusive memory instructions: 16-bit STM, LDM,
 * PUSH, POP (A5.2.5, A6.7), 32-bit A5.3.5 (load/store multiple) and A5.3.6 (dual, exclusive;
 * TBB/TBH are in ./branch.ts), and CLREX from the miscellaneous control space (A5.3.4).
 * Semantics in ../execute/loadStoreMultiple.ts.
 */
import { enc, unpredictable, type Encoding, type ExecFn, type Insn } from '../insn.js';
import * as x from '../execute/loadStoreMultiple.js';
import { popcount, redirect, reg, regList } from './loadStoreAsm.js';

/** Sets the list, its byte size and the 1 + N cycle cost. */
function setList(i: Insn, list: number): void {
  i.list = list;
  const n = popcount(list);
  i.imm = 4 * n;
  i.cycles = 1 + n;
}

// ---- 16-bit ----

const multiple16: Encoding[] = [
  enc(
    'STM T1',
    '11000 nnn rrrrrrrr',
    (raw, i) => {
      i.rn = (raw >>> 8) & 7;
      if ((raw & 0xff) === 0) unpredictable('STM with an empty list');
      setList(i, raw & 0xff);
      i.wback = true;
    },
    x.stm,
    (i) => `stmia ${reg(i.rn)}!, ${regList(i.list)}`,
  ),
  enc(
    'LDM T1',
    '11001 nnn rrrrrrrr',
    (raw, i) => {
      i.rn = (raw >>> 8) & 7;
      if ((raw & 0xff) === 0) unpredictable('LDM with an empty list');
      setList(i, raw & 0xff);
      i.wback = (i.list & (1 << i.rn)) === 0;
    },
    x.ldm,
    (i) => `ldmia ${reg(i.rn)}${i.wback ? '!' : ''}, ${regList(i.list)}`,
  ),
  enc(
    'PUSH T1',
    '1011010 m rrrrrrrr',
    (raw, i) => {
      const list = ((raw & 0x100) << 6) | (raw & 0xff);
      if (list === 0) unpredictable('PUSH with an empty list');
      i.rn = 13;
      setList(i, list);
      i.wback = true;
    },
    x.stmdb,
    (i) => `push ${regList(i.list)}`,
  ),
  enc(
    'POP T1',
    '1011110 p rrrrrrrr',
    (raw, i) => {
      const list = ((raw & 0x100) << 7) | (raw & 0xff);
      if (list === 0) unpredictable('POP with an empty list');
      i.rn = 13;
      setList(i, list);
      i.wback = true;
    },
    x.ldm,
    (i) => `pop ${regList(i.list)}`,
  ),
];

// ---- 32-bit LDM/STM: 1110100 op 0 W L Rn | P M (0) register_list ----

/** As objdump prints them: PUSH.W / POP.W show as 'stmdb sp!' / 'ldmia.w sp!'. */
function multiple32(name: string, mn: string, bits: string, load: boolean, exec: ExecFn) {
  const wide = mn === 'stmia' || mn === 'ldmia' ? `${mn}.w` : mn;
  return enc(
    name,
    `${bits} w ${load ? 1 : 0} nnnn rrrrrrrrrrrrrrrr`,
    (raw, i) => {
      const list = raw & 0xffff;
      i.rn = (raw >>> 16) & 15;
      i.wback = (raw & 0x200000) !== 0;
      if (list & 0x2000) unpredictable(`${name} with SP in the list`);
      if (!load && list & 0x8000) unpredictable(`${name} with PC in the list`);
      if (load && (list & 0xc000) === 0xc000) unpredictable(`${name} with both LR and PC`);
      if (i.rn === 15 || popcount(list) < 2) unpredictable(`${name} Rn = PC or < 2 registers`);
      if (i.wback && list & (1 << i.rn)) unpredictable(`${name} with writeback and Rn listed`);
      setList(i, list);
    },
    exec,
    (i) => `${wide} ${reg(i.rn)}${i.wback ? '!' : ''}, ${regList(i.list)}`,
  );
}

const multiple32Encodings: Encoding[] = [
  multiple32('STM T2', 'stmia', '1110100010', false, x.stm),
  multiple32('LDM T2', 'ldmia', '1110100010', true, x.ldm),
  multiple32('STMDB T1', 'stmdb', '1110100100', false, x.stmdb),
  multiple32('LDMDB T1', 'ldmdb', '1110100100', true, x.ldmdb),
];

// ---- LDRD / STRD: 1110100 P U 1 W L Rn | Rt Rt2 imm8 ----

function dualText(mn: string, i: Insn): string {
  const rn = reg(i.rn);
  const addr = !i.index
    ? `[${rn}], #${i.imm}`
    : i.wback
      ? `[${rn}, #${i.imm}]!`
      : i.imm === 0
        ? `[${rn}]`
        : `[${rn}, #${i.imm}]`;
  return `${mn} ${reg(i.rt)}, ${reg(i.rt2)}, ${addr}`;
}

const ldrdLiteral = enc(
  'LDRD (literal) T1',
  '11101001 u 1 0 1 1111 tttt ssss iiiiiiii',
  (raw, i) => {
    i.rn = 15;
    i.rt = (raw >>> 12) & 15;
    i.rt2 = (raw >>> 8) & 15;
    i.imm = raw & 0x800000 ? (raw & 0xff) * 4 : -(raw & 0xff) * 4;
    i.index = true;
    i.cycles = 3;
    if (i.rt === i.rt2) unpredictable('LDRD with Rt = Rt2');
    if (i.rt === 13 || i.rt === 15 || i.rt2 === 13 || i.rt2 === 15) {
      unpredictable('LDRD with SP or PC');
    }
  },
  x.ldrdLit,
  (i) => dualText('ldrd', i),
);

function dual(load: boolean, bits: string): Encoding {
  const name = load ? 'LDRD (immediate) T1' : 'STRD (immediate) T1';
  return enc(
    name,
    `${bits} nnnn tttt ssss iiiiiiii`,
    (raw, i) => {
      i.rn = (raw >>> 16) & 15;
      i.index = (raw & 0x1000000) !== 0;
      i.wback = (raw & 0x200000) !== 0;
      if (i.rn === 15) {
        if (load && i.index && !i.wback) return redirect(ldrdLiteral, raw, i);
        unpredictable(`${name} with Rn = PC`);
      }
      i.rt = (raw >>> 12) & 15;
      i.rt2 = (raw >>> 8) & 15;
      i.imm = raw & 0x800000 ? (raw & 0xff) * 4 : -(raw & 0xff) * 4;
      i.cycles = 3;
      if (i.wback && (i.rn === i.rt || i.rn === i.rt2)) {
        unpredictable(`${name} with writeback and Rn = Rt or Rt2`);
      }
      if (i.rt === 13 || i.rt === 15 || i.rt2 === 13 || i.rt2 === 15) {
        unpredictable(`${name} with SP or PC`);
      }
      if (load && i.rt === i.rt2) unpredictable('LDRD with Rt = Rt2');
    },
    load ? x.ldrd : x.strd,
    (i) => dualText(load ? 'ldrd' : 'strd', i),
  );
}

const dualEncodings: Encoding[] = [
  dual(false, '11101001 u 1 w 0'),
  dual(false, '11101000 u 1 1 0'),
  dual(true, '11101001 u 1 w 1'),
  dual(true, '11101000 u 1 1 1'),
  ldrdLiteral,
];

// ---- exclusives ----

const badReg = (r: number): boolean => r === 13 || r === 15;

function exclusiveStore(name: string, mn: string, bits: string, exec: ExecFn): Encoding {
  const word = mn === 'strex';
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rn = (raw >>> 16) & 15;
      i.rt = (raw >>> 12) & 15;
      if (word) {
        i.rd = (raw >>> 8) & 15;
        i.imm = (raw & 0xff) * 4;
      } else {
        i.rd = raw & 15;
        if (((raw >>> 8) & 15) !== 15) unpredictable(`${name} should-be-one bits`);
      }
      i.cycles = 2;
      if (badReg(i.rd) || badReg(i.rt) || i.rn === 15) unpredictable(`${name} registers`);
      if (i.rd === i.rn || i.rd === i.rt) unpredictable(`${name} with Rd = Rn or Rt`);
    },
    exec,
    (i) => `${mn} ${reg(i.rd)}, ${reg(i.rt)}, [${reg(i.rn)}${i.imm ? `, #${i.imm}` : ''}]`,
  );
}

function exclusiveLoad(name: string, mn: string, bits: string, exec: ExecFn): Encoding {
  const word = mn === 'ldrex';
  return enc(
    name,
    bits,
    (raw, i) => {
      i.rn = (raw >>> 16) & 15;
      i.rt = (raw >>> 12) & 15;
      if (((raw >>> 8) & 15) !== 15) unpredictable(`${name} should-be-one bits`);
      if (word) i.imm = (raw & 0xff) * 4;
      else if ((raw & 15) !== 15) unpredictable(`${name} should-be-one bits`);
      i.cycles = 2;
      if (badReg(i.rt) || i.rn === 15) unpredictable(`${name} registers`);
    },
    exec,
    (i) => `${mn} ${reg(i.rt)}, [${reg(i.rn)}${i.imm ? `, #${i.imm}` : ''}]`,
  );
}

const exclusiveEncodings: Encoding[] = [
  exclusiveStore('STREX T1', 'strex', '111010000100 nnnn tttt dddd iiiiiiii', x.strex),
  exclusiveLoad('LDREX T1', 'ldrex', '111010000101 nnnn tttt xxxx iiiiiiii', x.ldrex),
  exclusiveStore('STREXB T1', 'strexb', '111010001100 nnnn tttt xxxx 0100 dddd', x.strexb),
  exclusiveStore('STREXH T1', 'strexh', '111010001100 nnnn tttt xxxx 0101 dddd', x.strexh),
  exclusiveLoad('LDREXB T1', 'ldrexb', '111010001101 nnnn tttt xxxx 0100 xxxx', x.ldrexb),
  exclusiveLoad('LDREXH T1', 'ldrexh', '111010001101 nnnn tttt xxxx 0101 xxxx', x.ldrexh),
  enc(
    'CLREX T1',
    '1111001110111111 1000 1111 0010 1111',
    () => {},
    x.clrex,
    () => 'clrex',
  ),
];

export const loadStoreMultipleEncodings: Encoding[] = [
  ...multiple16,
  ...multiple32Encodings,
  ...dualEncodings,
  ...exclusiveEncodings,
];
