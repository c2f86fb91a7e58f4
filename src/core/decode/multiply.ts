/**
 * Multiply, divide and DSP encodings (ARMv7-M ARM A5.3.16 multiply / multiply-accumulate /
 * absolute difference, A5.3.17 long multiply / divide, A5.3.14-A5.3.15 parallel add/subtract,
 * the QADD/SEL rows of A5.3.16 miscellaneous operations, and PKHBT/PKHTB from A5.3.11).
 * The 16-bit MUL and SSAT/USAT belong to the data-processing group.
 *
 * Where the ARM ARM carves one instruction out of another (MLA with Ra = 1111 is MUL, SMLAD
 * with Ra = 1111 is SMUAD, ...) the carved-out encoding has the fixed 1111 in its pattern and
 * wins the lookup by having more fixed bits. Pattern letters are field names: n = Rn, d = Rd,
 * m = Rm, a = Ra, l = RdLo, h = RdHi, N/M/X/R = operand selectors, i = immediate, (1)/(0)
 * should-be bits are written as s and checked at decode.
 */
import { reg } from '../insn.js';
import * as ex from '../execute/multiply.js';
import * as par from '../execute/parallel.js';
import { enc, unpredictable, type Encoding, type ExecFn, type Insn } from '../insn.js';

function noSpPc(r: number, what: string): void {
  if (r === 13 || r === 15) unpredictable(`${what} is SP or PC`);
}

// ---- field decoders ----

/** Rd, Rn, Rm (none of them SP or PC). */
function dnm(raw: number, i: Insn): void {
  i.rd = (raw >>> 8) & 15;
  i.rn = (raw >>> 16) & 15;
  i.rm = raw & 15;
  noSpPc(i.rd, 'Rd');
  noSpPc(i.rn, 'Rn');
  noSpPc(i.rm, 'Rm');
}

/** Rd, Rn, Rm, Ra. */
function dnma(raw: number, i: Insn): void {
  dnm(raw, i);
  i.ra = (raw >>> 12) & 15;
  noSpPc(i.ra, 'Ra');
}

/** Bits 5:4 select the halves of Rn (N) and Rm (M): left shift 0 = top half, 16 = bottom. */
function halves(raw: number, i: Insn): void {
  i.imm = raw & 0x20 ? 0 : 16;
  i.imm2 = raw & 0x10 ? 0 : 16;
}
/** Bit 4 = X: exchange the halves of Rm. */
function exchange(raw: number, i: Insn): void {
  i.extra = raw & 0x10 ? 16 : 0;
}
/** Bit 4 = R: round the most significant word. */
function round(raw: number, i: Insn): void {
  i.imm = raw & 0x10 ? 0x80000000 : 0;
}

/** RdLo (rt), RdHi (rt2), Rn, Rm of the long multiplies. */
function long(raw: number, i: Insn): void {
  i.rt = (raw >>> 12) & 15;
  i.rt2 = (raw >>> 8) & 15;
  i.rn = (raw >>> 16) & 15;
  i.rm = raw & 15;
  noSpPc(i.rt, 'RdLo');
  noSpPc(i.rt2, 'RdHi');
  noSpPc(i.rn, 'Rn');
  noSpPc(i.rm, 'Rm');
  if (i.rt === i.rt2) unpredictable('RdLo == RdHi');
}

// ---- assembly text ----

const halfName = (shift: number): string => (shift === 0 ? 't' : 'b');
const xSuffix = (i: Insn): string => (i.extra ? 'x' : '');
const rSuffix = (i: Insn): string => (i.imm ? 'r' : '');

function asmDNM(mn: string | ((i: Insn) => string)) {
  return (i: Insn): string =>
    `${typeof mn === 'string' ? mn : mn(i)}\t${reg(i.rd)}, ${reg(i.rn)}, ${reg(i.rm)}`;
}
function asmDNMA(mn: string | ((i: Insn) => string)) {
  return (i: Insn): string =>
    `${typeof mn === 'string' ? mn : mn(i)}\t${reg(i.rd)}, ${reg(i.rn)}, ${reg(i.rm)}, ${reg(i.ra)}`;
}
function asmLong(mn: string | ((i: Insn) => string)) {
  return (i: Insn): string =>
    `${typeof mn === 'string' ? mn : mn(i)}\t${reg(i.rt)}, ${reg(i.rt2)}, ${reg(i.rn)}, ${reg(i.rm)}`;
}

// ---- A5.3.16: 11111 0110 op1 Rn | Ra Rd 00 op2 Rm ----

const multiplyAccumulate: Encoding[] = [
  enc('MUL T2', '11111 0110 000 nnnn 1111 dddd 0000 mmmm', dnm, ex.mul, asmDNM('mul.w')),
  enc('MLA T1', '11111 0110 000 nnnn aaaa dddd 0000 mmmm', dnma, ex.mla, asmDNMA('mla')),
  enc('MLS T1', '11111 0110 000 nnnn aaaa dddd 0001 mmmm', dnma, ex.mls, asmDNMA('mls')),
  enc(
    'SMUL<x><y> T1',
    '11111 0110 001 nnnn 1111 dddd 00NM mmmm',
    (raw, i) => (dnm(raw, i), halves(raw, i)),
    ex.smulxy,
    asmDNM((i) => `smul${halfName(i.imm)}${halfName(i.imm2)}`),
  ),
  enc(
    'SMLA<x><y> T1',
    '11111 0110 001 nnnn aaaa dddd 00NM mmmm',
    (raw, i) => (dnma(raw, i), halves(raw, i)),
    ex.smlaxy,
    asmDNMA((i) => `smla${halfName(i.imm)}${halfName(i.imm2)}`),
  ),
  enc(
    'SMUAD T1',
    '11111 0110 010 nnnn 1111 dddd 000X mmmm',
    (raw, i) => (dnm(raw, i), exchange(raw, i)),
    ex.smuad,
    asmDNM((i) => `smuad${xSuffix(i)}`),
  ),
  enc(
    'SMLAD T1',
    '11111 0110 010 nnnn aaaa dddd 000X mmmm',
    (raw, i) => (dnma(raw, i), exchange(raw, i)),
    ex.smlad,
    asmDNMA((i) => `smlad${xSuffix(i)}`),
  ),
  enc(
    'SMULW<y> T1',
    '11111 0110 011 nnnn 1111 dddd 000M mmmm',
    (raw, i) => (dnm(raw, i), halves(raw, i)),
    ex.smulwy,
    asmDNM((i) => `smulw${halfName(i.imm2)}`),
  ),
  enc(
    'SMLAW<y> T1',
    '11111 0110 011 nnnn aaaa dddd 000M mmmm',
    (raw, i) => (dnma(raw, i), halves(raw, i)),
    ex.smlawy,
    asmDNMA((i) => `smlaw${halfName(i.imm2)}`),
  ),
  enc(
    'SMUSD T1',
    '11111 0110 100 nnnn 1111 dddd 000X mmmm',
    (raw, i) => (dnm(raw, i), exchange(raw, i)),
    ex.smusd,
    asmDNM((i) => `smusd${xSuffix(i)}`),
  ),
  enc(
    'SMLSD T1',
    '11111 0110 100 nnnn aaaa dddd 000X mmmm',
    (raw, i) => (dnma(raw, i), exchange(raw, i)),
    ex.smlsd,
    asmDNMA((i) => `smlsd${xSuffix(i)}`),
  ),
  enc(
    'SMMUL T1',
    '11111 0110 101 nnnn 1111 dddd 000R mmmm',
    (raw, i) => (dnm(raw, i), round(raw, i)),
    ex.smmul,
    asmDNM((i) => `smmul${rSuffix(i)}`),
  ),
  enc(
    'SMMLA T1',
    '11111 0110 101 nnnn aaaa dddd 000R mmmm',
    (raw, i) => (dnma(raw, i), round(raw, i)),
    ex.smmla,
    asmDNMA((i) => `smmla${rSuffix(i)}`),
  ),
  enc(
    'SMMLS T1',
    '11111 0110 110 nnnn aaaa dddd 000R mmmm',
    (raw, i) => (dnma(raw, i), round(raw, i)),
    ex.smmls,
    asmDNMA((i) => `smmls${rSuffix(i)}`),
  ),
  enc('USAD8 T1', '11111 0110 111 nnnn 1111 dddd 0000 mmmm', dnm, ex.usad8, asmDNM('usad8')),
  enc('USADA8 T1', '11111 0110 111 nnnn aaaa dddd 0000 mmmm', dnma, ex.usada8, asmDNMA('usada8')),
];

// ---- A5.3.17: 11111 0111 op1 Rn | RdLo RdHi op2 Rm ----

/** SDIV/UDIV: Ra field is (1)(1)(1)(1); base cost 2 cycles, exec adds the early-out part. */
function divide(raw: number, i: Insn): void {
  dnm(raw, i);
  if (((raw >>> 12) & 15) !== 15) unpredictable('SDIV/UDIV bits 15:12 not 1111');
  i.cycles = 2;
}

const longMultiplyDivide: Encoding[] = [
  enc('SMULL T1', '11111 0111 000 nnnn llll hhhh 0000 mmmm', long, ex.smull, asmLong('smull')),
  enc('UMULL T1', '11111 0111 010 nnnn llll hhhh 0000 mmmm', long, ex.umull, asmLong('umull')),
  enc('SMLAL T1', '11111 0111 100 nnnn llll hhhh 0000 mmmm', long, ex.smlal, asmLong('smlal')),
  enc('UMLAL T1', '11111 0111 110 nnnn llll hhhh 0000 mmmm', long, ex.umlal, asmLong('umlal')),
  enc('UMAAL T1', '11111 0111 110 nnnn llll hhhh 0110 mmmm', long, ex.umaal, asmLong('umaal')),
  enc(
    'SMLAL<x><y> T1',
    '11111 0111 100 nnnn llll hhhh 10NM mmmm',
    (raw, i) => (long(raw, i), halves(raw, i)),
    ex.smlalxy,
    asmLong((i) => `smlal${halfName(i.imm)}${halfName(i.imm2)}`),
  ),
  enc(
    'SMLALD T1',
    '11111 0111 100 nnnn llll hhhh 110X mmmm',
    (raw, i) => (long(raw, i), exchange(raw, i)),
    ex.smlald,
    asmLong((i) => `smlald${xSuffix(i)}`),
  ),
  enc(
    'SMLSLD T1',
    '11111 0111 101 nnnn llll hhhh 110X mmmm',
    (raw, i) => (long(raw, i), exchange(raw, i)),
    ex.smlsld,
    asmLong((i) => `smlsld${xSuffix(i)}`),
  ),
  enc('SDIV T1', '11111 0111 001 nnnn ssss dddd 1111 mmmm', divide, ex.sdiv, asmDNM('sdiv')),
  enc('UDIV T1', '11111 0111 011 nnnn ssss dddd 1111 mmmm', divide, ex.udiv, asmDNM('udiv')),
];

// ---- A5.3.14 / A5.3.15: 11111 010 1 op1 Rn | 1111 Rd 0 U op2 Rm ----

const PARALLEL_OPS: [string, string][] = [
  ['add16', '001'],
  ['asx', '010'],
  ['sax', '110'],
  ['sub16', '101'],
  ['add8', '000'],
  ['sub8', '100'],
];
/** Prefix → bits 7:4 of the second halfword (bit 6 = unsigned, bits 5:4 = kind). */
const PARALLEL_PREFIXES: [string, string][] = [
  ['s', '0000'],
  ['q', '0001'],
  ['sh', '0010'],
  ['u', '0100'],
  ['uq', '0101'],
  ['uh', '0110'],
];
const parallelExec = par as unknown as Record<string, ExecFn | undefined>;

const parallel: Encoding[] = PARALLEL_PREFIXES.flatMap(([prefix, bits74]) =>
  PARALLEL_OPS.map(([op, op1]) => {
    const mn = prefix + op;
    const exec = parallelExec[mn];
    if (exec === undefined) throw new Error(`no semantics for ${mn}`);
    const bits = `11111 010 1 ${op1} nnnn 1111 dddd ${bits74} mmmm`;
    return enc(`${mn.toUpperCase()} T1`, bits, dnm, exec, asmDNM(mn));
  }),
);

// ---- A5.3.16 miscellaneous (QADD.., SEL) and A5.3.11 PKH ----

/** QADD-style operand order: the assembly is `Rd, Rm, Rn`. */
function asmDMN(mn: string) {
  return (i: Insn): string => `${mn}\t${reg(i.rd)}, ${reg(i.rm)}, ${reg(i.rn)}`;
}

/** PKH: Rd, Rn, Rm, imm3:imm2; bit 15 is (0). */
function pkh(tb: boolean) {
  return (raw: number, i: Insn): void => {
    dnm(raw, i);
    if (raw & 0x8000) unpredictable('PKH bit 15 not 0');
    const imm5 = (((raw >>> 12) & 7) << 2) | ((raw >>> 6) & 3);
    i.shiftN = tb && imm5 === 0 ? 32 : imm5; // DecodeImmShift: ASR #0 means ASR #32
    i.shiftType = tb ? 2 : 0;
  };
}
function asmPkh(mn: string, shift: string) {
  return (i: Insn): string =>
    `${mn}\t${reg(i.rd)}, ${reg(i.rn)}, ${reg(i.rm)}` +
    (i.shiftN === 0 ? '' : `, ${shift} #${i.shiftN}`);
}

const misc: Encoding[] = [
  enc('QADD T1', '11111 010 1000 nnnn 1111 dddd 1000 mmmm', dnm, par.qadd, asmDMN('qadd')),
  enc('QDADD T1', '11111 010 1000 nnnn 1111 dddd 1001 mmmm', dnm, par.qdadd, asmDMN('qdadd')),
  enc('QSUB T1', '11111 010 1000 nnnn 1111 dddd 1010 mmmm', dnm, par.qsub, asmDMN('qsub')),
  enc('QDSUB T1', '11111 010 1000 nnnn 1111 dddd 1011 mmmm', dnm, par.qdsub, asmDMN('qdsub')),
  enc('SEL T1', '11111 010 1010 nnnn 1111 dddd 1000 mmmm', dnm, par.sel, asmDNM('sel')),
  enc(
    'PKHBT T1',
    '11101 01 0110 0 nnnn s iii dddd ii 00 mmmm',
    pkh(false),
    par.pkhbt,
    asmPkh('pkhbt', 'lsl'),
  ),
  enc(
    'PKHTB T1',
    '11101 01 0110 0 nnnn s iii dddd ii 10 mmmm',
    pkh(true),
    par.pkhtb,
    asmPkh('pkhtb', 'asr'),
  ),
];

export const multiplyEncodings: Encoding[] = [
  ...multiplyAccumulate,
  ...longMultiplyDivide,
  ...parallel,
  ...misc,
];
