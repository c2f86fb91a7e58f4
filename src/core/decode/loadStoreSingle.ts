/**
 * Encodings of the single-register loads and stores: 16-bit A5.2.4 (plus LDR (literal) T1 and
 * the SP-relative forms), 32-bit A5.3.7 (load word), A5.3.8 (load halfword, unallocated memory
 * hints), A5.3.9 (load byte, PLD, PLI) and A5.3.10 (store single). Semantics in
 * ../execute/loadStore.ts.
 *
 * The 32-bit forms share one layout: hw1 = 1111100 S X sz L Rn, with S = signed, X = 1 for the
 * imm12 forms (and the literal forms' U bit), sz = 00 byte / 01 halfword / 10 word, L = load.
 * Rn == 1111 means the literal form for loads (UNDEFINED for stores) and Rt == 1111 a memory
 * hint for the byte and halfword loads; those cases are redirected explicitly in the decoders.
 */
import {
  enc,
  undefinedEncoding,
  unpredictable,
  type Encoding,
  type ExecFn,
  type Insn,
} from '../insn.js';
import * as x from '../execute/loadStore.js';
import { redirect, reg } from './loadStoreAsm.js';

// ---- field extraction (32-bit: raw = hw1 << 16 | hw2) ----

const rn32 = (raw: number) => (raw >>> 16) & 15;
const rt32 = (raw: number) => (raw >>> 12) & 15;

/** '[r1, #4]', '[r1]' (32-bit with offset 0), '[r1, #-4]'. */
function offText(i: Insn): string {
  return i.imm === 0 && i.size === 4 ? `[${reg(i.rn)}]` : `[${reg(i.rn)}, #${i.imm}]`;
}
function idxText(i: Insn): string {
  return i.index ? `[${reg(i.rn)}, #${i.imm}]!` : `[${reg(i.rn)}], #${i.imm}`;
}
function regText(i: Insn): string {
  const sh = i.shiftN === 0 ? '' : `, lsl #${i.shiftN}`;
  return `[${reg(i.rn)}, ${reg(i.rm)}${sh}]`;
}
function litText(i: Insn): string {
  return `[pc, #${i.imm}]`;
}

// ---- memory hints (Rt == 1111 in the byte and halfword load spaces) ----

interface HintForms {
  imm12: Encoding;
  imm8: Encoding;
  reg: Encoding;
  lit: Encoding;
}

/** PLD (s = 0) / PLI (s = 1) in the byte space; unallocated hints (NOPs) in the halfword space. */
function hintForms(mn: string, s: string, sz: string): HintForms {
  const name = (form: string, t: string) =>
    mn === 'nop.w' ? `Unallocated memory hint (${form})` : `${mn.toUpperCase()} (${form}) ${t}`;
  const text = (addr: string) => (mn === 'nop.w' ? 'nop.w' : `${mn} ${addr}`);
  const lit = enc(
    name('literal', 'T1'),
    `1111100${s} u ${sz}1 1111 1111 iiiiiiiiiiii`,
    (raw, i) => {
      i.rn = 15;
      i.imm = raw & 0x800000 ? raw & 0xfff : -(raw & 0xfff);
    },
    x.preload,
    (i) => text(litText(i)),
  );
  const baseIsPc = (raw: number, i: Insn): boolean => {
    if (rn32(raw) !== 15) return false;
    redirect(lit, raw, i);
    return true;
  };
  return {
    lit,
    imm12: enc(
      name('immediate', 'T1'),
      `1111100${s}1${sz}1 nnnn 1111 iiiiiiiiiiii`,
      (raw, i) => {
        if (baseIsPc(raw, i)) return;
        i.rn = rn32(raw);
        i.imm = raw & 0xfff;
      },
      x.preload,
      (i) => text(offText(i)),
    ),
    imm8: enc(
      name('immediate', 'T2'),
      `1111100${s}0${sz}1 nnnn 1111 1100 iiiiiiii`,
      (raw, i) => {
        if (baseIsPc(raw, i)) return;
        i.rn = rn32(raw);
        i.imm = -(raw & 0xff);
      },
      x.preload,
      (i) => text(offText(i)),
    ),
    reg: enc(
      name('register', 'T1'),
      `1111100${s}0${sz}1 nnnn 1111 000000 ii mmmm`,
      (raw, i) => {
        if (baseIsPc(raw, i)) return;
        i.rn = rn32(raw);
        i.rm = raw & 15;
        i.shiftN = (raw >>> 4) & 3;
        if (i.rm === 13 || i.rm === 15) unpredictable('memory hint with Rm = SP or PC');
      },
      x.preload,
      (i) => text(regText(i)),
    ),
  };
}

const PLD = hintForms('pld', '0', '00');
const PLI = hintForms('pli', '1', '00');
const HINT_H = hintForms('nop.w', '0', '01');
const HINT_SH = hintForms('nop.w', '1', '01');

// ---- 32-bit single loads and stores ----

interface Kind {
  mn: string;
  /** hw1 bit 8 (signed), bits 6:5 (size), bit 4 (load). */
  s: string;
  sz: string;
  l: string;
  /** Encoding numbers of the imm12, imm8, register and literal forms in the ARM ARM. */
  t: [string, string, string, string];
  /** Rt may be SP (word forms) / PC (LDR: LoadWritePC). */
  spOk: boolean;
  pcOk: boolean;
  off: ExecFn;
  idx: ExecFn;
  reg: ExecFn;
  unpriv: ExecFn;
  lit?: ExecFn;
  hint?: HintForms;
}

const RT_SP = 1;
const RT_PC = 2;

const semantics = x as unknown as Record<string, ExecFn | undefined>;

/** The semantics named `${mn}Off`, `${mn}Idx`... in ../execute/loadStore.ts. */
function exec(mn: string, form: string): ExecFn {
  const f = semantics[mn + form];
  if (f === undefined) throw new Error(`no semantics ${mn}${form}`);
  return f;
}

/**
 * `bits`: 'S sz L'; `t`: the ARM ARM's encoding numbers of the imm12, imm8, register and literal
 * forms; `rt`: RT_SP / RT_PC when Rt may be SP / PC; `hint`: the Rt == 1111 encodings.
 */
function kind(mn: string, bits: string, t: string, rt: number, hint?: HintForms): Kind {
  const [s, sz, l] = bits.split(' ') as [string, string, string];
  return {
    mn,
    s,
    sz,
    l,
    t: t.split(' ') as [string, string, string, string],
    spOk: (rt & RT_SP) !== 0,
    pcOk: (rt & RT_PC) !== 0,
    off: exec(mn, 'Off'),
    idx: exec(mn, 'Idx'),
    reg: exec(mn, 'Reg'),
    unpriv: exec(mn, 'T'),
    lit: l === '1' ? exec(mn, 'Lit') : undefined,
    hint,
  };
}

const KINDS: Kind[] = [
  kind('ldr', '0 10 1', 'T3 T4 T2 T2', RT_SP | RT_PC),
  kind('ldrb', '0 00 1', 'T2 T3 T2 T1', 0, PLD),
  kind('ldrsb', '1 00 1', 'T1 T2 T2 T1', 0, PLI),
  kind('ldrh', '0 01 1', 'T2 T3 T2 T1', 0, HINT_H),
  kind('ldrsh', '1 01 1', 'T1 T2 T2 T1', 0, HINT_SH),
  kind('str', '0 10 0', 'T3 T4 T2 -', RT_SP),
  kind('strb', '0 00 0', 'T2 T3 T2 -', 0),
  kind('strh', '0 01 0', 'T2 T3 T2 -', 0),
];

function single32(k: Kind): Encoding[] {
  const MN = k.mn.toUpperCase();
  const hw1 = (x7: string) => `1111100${k.s}${x7}${k.sz}${k.l} nnnn tttt`;
  const w = `${k.mn}.w`;

  const checkRt = (t: number): void => {
    if ((t === 15 && !k.pcOk) || (t === 13 && !k.spOk)) unpredictable(`${MN} with Rt = ${t}`);
  };

  const lit =
    k.lit &&
    enc(
      `${MN} (literal) ${k.t[3]}`,
      `1111100${k.s} u ${k.sz}1 1111 tttt iiiiiiiiiiii`,
      (raw, i) => {
        const t = rt32(raw);
        if (t === 15 && k.hint) return redirect(k.hint.lit, raw, i);
        checkRt(t);
        i.rt = t;
        i.rn = 15;
        i.imm = raw & 0x800000 ? raw & 0xfff : -(raw & 0xfff);
        i.cycles = 2;
      },
      k.lit,
      (i) => `${w} ${reg(i.rt)}, ${litText(i)}`,
    );

  /** Rn == 1111: SEE the literal form (loads), UNDEFINED (stores). True when redirected. */
  const baseIsPc = (raw: number, i: Insn): boolean => {
    if (rn32(raw) !== 15) return false;
    if (!lit) undefinedEncoding(`${MN} with Rn = PC`);
    redirect(lit, raw, i);
    return true;
  };

  const fields = (raw: number, i: Insn): void => {
    i.rn = rn32(raw);
    i.rt = rt32(raw);
    i.cycles = 2;
  };

  const out: Encoding[] = [
    enc(
      `${MN} (immediate) ${k.t[0]}`,
      hw1('1') + ' iiiiiiiiiiii',
      (raw, i) => {
        if (baseIsPc(raw, i)) return;
        if (rt32(raw) === 15 && k.hint) return redirect(k.hint.imm12, raw, i);
        fields(raw, i);
        checkRt(i.rt);
        i.imm = raw & 0xfff;
      },
      k.off,
      (i) => `${w} ${reg(i.rt)}, ${offText(i)}`,
    ),
    enc(
      `${MN} (immediate) ${k.t[1]}`,
      hw1('0') + ' 1100 iiiiiiii',
      (raw, i) => {
        if (baseIsPc(raw, i)) return;
        if (rt32(raw) === 15 && k.hint) return redirect(k.hint.imm8, raw, i);
        fields(raw, i);
        checkRt(i.rt);
        i.imm = -(raw & 0xff);
      },
      k.off,
      (i) => `${w} ${reg(i.rt)}, ${offText(i)}`,
    ),
    enc(
      `${MN} (immediate) ${k.t[1]}`,
      hw1('0') + ' 1 p u 1 iiiiiiii',
      (raw, i) => {
        if (baseIsPc(raw, i)) return;
        fields(raw, i);
        checkRt(i.rt); // also rejects Rt = PC for the byte and halfword loads (no hint here)
        if (i.rn === i.rt) unpredictable(`${MN} with writeback and Rn = Rt`);
        i.index = (raw & 0x400) !== 0;
        i.add = (raw & 0x200) !== 0;
        i.wback = true;
        i.imm = i.add ? raw & 0xff : -(raw & 0xff);
      },
      k.idx,
      (i) => `${w} ${reg(i.rt)}, ${idxText(i)}`,
    ),
    enc(
      `${MN} (register) ${k.t[2]}`,
      hw1('0') + ' 000000 ii mmmm',
      (raw, i) => {
        if (baseIsPc(raw, i)) return;
        if (rt32(raw) === 15 && k.hint) return redirect(k.hint.reg, raw, i);
        fields(raw, i);
        checkRt(i.rt);
        i.rm = raw & 15;
        i.shiftN = (raw >>> 4) & 3;
        if (i.rm === 13 || i.rm === 15) unpredictable(`${MN} with Rm = SP or PC`);
      },
      k.reg,
      (i) => `${w} ${reg(i.rt)}, ${regText(i)}`,
    ),
    enc(
      `${MN}T T1`,
      hw1('0') + ' 1110 iiiiiiii',
      (raw, i) => {
        if (baseIsPc(raw, i)) return;
        fields(raw, i);
        if (i.rt === 13 || i.rt === 15) unpredictable(`${MN}T with Rt = SP or PC`);
        i.imm = raw & 0xff;
      },
      k.unpriv,
      (i) => `${k.mn}t ${reg(i.rt)}, ${offText(i)}`,
    ),
  ];
  if (lit) out.push(lit);
  return out;
}

// ---- 16-bit ----

/** LDR/STR{B,H} (immediate) T1: imm5 scaled by the access size. */
function imm5(name: string, mn: string, bits: string, scale: number, exec: ExecFn): Encoding {
  return enc(
    `${name} (immediate) T1`,
    `${bits} iiiii nnn ttt`,
    (raw, i) => {
      i.rt = raw & 7;
      i.rn = (raw >>> 3) & 7;
      i.imm = ((raw >>> 6) & 31) * scale;
      i.cycles = 2;
    },
    exec,
    (i) => `${mn} ${reg(i.rt)}, [${reg(i.rn)}, #${i.imm}]`,
  );
}

/** LDR/STR (immediate) T2: SP-relative, imm8 words. */
function spRel(name: string, mn: string, bits: string, exec: ExecFn): Encoding {
  return enc(
    `${name} (immediate) T2`,
    `${bits} ttt iiiiiiii`,
    (raw, i) => {
      i.rt = (raw >>> 8) & 7;
      i.rn = 13;
      i.imm = (raw & 0xff) * 4;
      i.cycles = 2;
    },
    exec,
    (i) => `${mn} ${reg(i.rt)}, [sp, #${i.imm}]`,
  );
}

/** The 16-bit register-offset forms: 0101 opB Rm Rn Rt. */
function reg16(name: string, mn: string, opB: string, exec: ExecFn): Encoding {
  return enc(
    `${name} (register) T1`,
    `0101 ${opB} mmm nnn ttt`,
    (raw, i) => {
      i.rt = raw & 7;
      i.rn = (raw >>> 3) & 7;
      i.rm = (raw >>> 6) & 7;
      i.shiftN = 0;
      i.cycles = 2;
    },
    exec,
    (i) => `${mn} ${reg(i.rt)}, [${reg(i.rn)}, ${reg(i.rm)}]`,
  );
}

const single16: Encoding[] = [
  imm5('STR', 'str', '01100', 4, x.strOff),
  imm5('LDR', 'ldr', '01101', 4, x.ldrOff),
  imm5('STRB', 'strb', '01110', 1, x.strbOff),
  imm5('LDRB', 'ldrb', '01111', 1, x.ldrbOff),
  imm5('STRH', 'strh', '10000', 2, x.strhOff),
  imm5('LDRH', 'ldrh', '10001', 2, x.ldrhOff),
  spRel('STR', 'str', '10010', x.strOff),
  spRel('LDR', 'ldr', '10011', x.ldrOff),
  enc(
    'LDR (literal) T1',
    '01001 ttt iiiiiiii',
    (raw, i) => {
      i.rt = (raw >>> 8) & 7;
      i.rn = 15;
      i.imm = (raw & 0xff) * 4;
      i.cycles = 2;
    },
    x.ldrLit,
    (i) => `ldr ${reg(i.rt)}, [pc, #${i.imm}]`,
  ),
  reg16('STR', 'str', '000', x.strReg),
  reg16('STRH', 'strh', '001', x.strhReg),
  reg16('STRB', 'strb', '010', x.strbReg),
  reg16('LDRSB', 'ldrsb', '011', x.ldrsbReg),
  reg16('LDR', 'ldr', '100', x.ldrReg),
  reg16('LDRH', 'ldrh', '101', x.ldrhReg),
  reg16('LDRB', 'ldrb', '110', x.ldrbReg),
  reg16('LDRSH', 'ldrsh', '111', x.ldrshReg),
];

function hints(h: HintForms): Encoding[] {
  return [h.imm12, h.imm8, h.reg, h.lit];
}

export const loadStoreSingleEncodings: Encoding[] = [
  ...single16,
  ...KINDS.flatMap(single32),
  ...hints(PLD),
  ...hints(PLI),
  ...hints(HINT_H),
  ...hints(HINT_SH),
];
