/**
 * Encoders for the multiply, divide and DSP instructions, for tests: each returns the two
 * halfwords of the 32-bit Thumb encoding, first halfword first. Written from the ARM ARM
 * encoding diagrams with plain shifts (not from decode/multiply.ts's patterns) so a test
 * checks the decoder against an independent statement of the encoding; the GNU assembler
 * agrees with the hex constants in multiply.test.ts.
 */

export type Halfwords = [number, number];
export type Half = 'b' | 't';
export type HalfPair = 'bb' | 'bt' | 'tb' | 'tt';

const bit = (b: boolean): number => (b ? 1 : 0);

/** A5.3.16: 11111 0110 op1 Rn | Ra Rd 00 op2 Rm. */
function multiplyAccumulate(
  op1: number,
  op2: number,
  rd: number,
  rn: number,
  rm: number,
  ra: number,
): Halfwords {
  return [0xfb00 | (op1 << 4) | rn, (ra << 12) | (rd << 8) | (op2 << 4) | rm];
}

/** A5.3.17: 11111 0111 op1 Rn | RdLo RdHi op2 Rm. */
function longMultiply(
  op1: number,
  op2: number,
  rdLo: number,
  rdHi: number,
  rn: number,
  rm: number,
): Halfwords {
  return [0xfb80 | (op1 << 4) | rn, (rdLo << 12) | (rdHi << 8) | (op2 << 4) | rm];
}

function nm(halves: HalfPair): number {
  return (bit(halves[0] === 't') << 1) | bit(halves[1] === 't');
}

export const mul = (rd: number, rn: number, rm: number): Halfwords =>
  multiplyAccumulate(0, 0, rd, rn, rm, 15);
export const mla = (rd: number, rn: number, rm: number, ra: number): Halfwords =>
  multiplyAccumulate(0, 0, rd, rn, rm, ra);
export const mls = (rd: number, rn: number, rm: number, ra: number): Halfwords =>
  multiplyAccumulate(0, 1, rd, rn, rm, ra);
export const smla = (h: HalfPair, rd: number, rn: number, rm: number, ra: number): Halfwords =>
  multiplyAccumulate(1, nm(h), rd, rn, rm, ra);
export const smul = (h: HalfPair, rd: number, rn: number, rm: number): Halfwords =>
  multiplyAccumulate(1, nm(h), rd, rn, rm, 15);
export const smlad = (rd: number, rn: number, rm: number, ra: number, x = false): Halfwords =>
  multiplyAccumulate(2, bit(x), rd, rn, rm, ra);
export const smuad = (rd: number, rn: number, rm: number, x = false): Halfwords =>
  multiplyAccumulate(2, bit(x), rd, rn, rm, 15);
export const smlaw = (y: Half, rd: number, rn: number, rm: number, ra: number): Halfwords =>
  multiplyAccumulate(3, bit(y === 't'), rd, rn, rm, ra);
export const smulw = (y: Half, rd: number, rn: number, rm: number): Halfwords =>
  multiplyAccumulate(3, bit(y === 't'), rd, rn, rm, 15);
export const smlsd = (rd: number, rn: number, rm: number, ra: number, x = false): Halfwords =>
  multiplyAccumulate(4, bit(x), rd, rn, rm, ra);
export const smusd = (rd: number, rn: number, rm: number, x = false): Halfwords =>
  multiplyAccumulate(4, bit(x), rd, rn, rm, 15);
export const smmla = (rd: number, rn: number, rm: number, ra: number, r = false): Halfwords =>
  multiplyAccumulate(5, bit(r), rd, rn, rm, ra);
export const smmul = (rd: number, rn: number, rm: number, r = false): Halfwords =>
  multiplyAccumulate(5, bit(r), rd, rn, rm, 15);
export const smmls = (rd: number, rn: number, rm: number, ra: number, r = false): Halfwords =>
  multiplyAccumulate(6, bit(r), rd, rn, rm, ra);
export const usada8 = (rd: number, rn: number, rm: number, ra: number): Halfwords =>
  multiplyAccumulate(7, 0, rd, rn, rm, ra);
export const usad8 = (rd: number, rn: number, rm: number): Halfwords =>
  multiplyAccumulate(7, 0, rd, rn, rm, 15);

export const smull = (rdLo: number, rdHi: number, rn: number, rm: number): Halfwords =>
  longMultiply(0, 0, rdLo, rdHi, rn, rm);
export const umull = (rdLo: number, rdHi: number, rn: number, rm: number): Halfwords =>
  longMultiply(2, 0, rdLo, rdHi, rn, rm);
export const smlal = (rdLo: number, rdHi: number, rn: number, rm: number): Halfwords =>
  longMultiply(4, 0, rdLo, rdHi, rn, rm);
export const umlal = (rdLo: number, rdHi: number, rn: number, rm: number): Halfwords =>
  longMultiply(6, 0, rdLo, rdHi, rn, rm);
export const umaal = (rdLo: number, rdHi: number, rn: number, rm: number): Halfwords =>
  longMultiply(6, 0b0110, rdLo, rdHi, rn, rm);
export const smlalxy = (
  h: HalfPair,
  rdLo: number,
  rdHi: number,
  rn: number,
  rm: number,
): Halfwords => longMultiply(4, 0b1000 | nm(h), rdLo, rdHi, rn, rm);
export const smlald = (rdLo: number, rdHi: number, rn: number, rm: number, x = false): Halfwords =>
  longMultiply(4, 0b1100 | bit(x), rdLo, rdHi, rn, rm);
export const smlsld = (rdLo: number, rdHi: number, rn: number, rm: number, x = false): Halfwords =>
  longMultiply(5, 0b1100 | bit(x), rdLo, rdHi, rn, rm);
export const sdiv = (rd: number, rn: number, rm: number): Halfwords =>
  longMultiply(1, 0b1111, 15, rd, rn, rm);
export const udiv = (rd: number, rn: number, rm: number): Halfwords =>
  longMultiply(3, 0b1111, 15, rd, rn, rm);

export type ParallelOp = 'add16' | 'asx' | 'sax' | 'sub16' | 'add8' | 'sub8';
export type ParallelPrefix = 's' | 'q' | 'sh' | 'u' | 'uq' | 'uh';
export type ParallelMnemonic = `${ParallelPrefix}${ParallelOp}`;

const PARALLEL_OP1: Record<ParallelOp, number> = {
  add8: 0,
  add16: 1,
  asx: 2,
  sub8: 4,
  sub16: 5,
  sax: 6,
};
const PARALLEL_OP2: Record<ParallelPrefix, number> = { s: 0, q: 1, sh: 2, u: 4, uq: 5, uh: 6 };

/** A5.3.14/A5.3.15: 11111 010 1 op1 Rn | 1111 Rd 0 U op2 Rm, e.g. parallel('uqsub8', 0, 1, 2). */
export function parallel(
  mnemonic: ParallelMnemonic,
  rd: number,
  rn: number,
  rm: number,
): Halfwords {
  const m = /^(s|q|sh|u|uq|uh)(add16|asx|sax|sub16|add8|sub8)$/.exec(mnemonic);
  if (m === null) throw new Error(`not a parallel add/subtract: ${mnemonic}`);
  const op1 = PARALLEL_OP1[m[2] as ParallelOp];
  const op2 = PARALLEL_OP2[m[1] as ParallelPrefix];
  return [0xfa80 | (op1 << 4) | rn, 0xf000 | (rd << 8) | (op2 << 4) | rm];
}

/** A5.3.16 miscellaneous: 11111 010 10 op1 Rn | 1111 Rd 10 op2 Rm. Assembly order Rd, Rm, Rn. */
function misc(op1: number, op2: number, rd: number, rn: number, rm: number): Halfwords {
  return [0xfa80 | (op1 << 4) | rn, 0xf080 | (rd << 8) | (op2 << 4) | rm];
}
export const qadd = (rd: number, rm: number, rn: number): Halfwords => misc(0, 0, rd, rn, rm);
export const qdadd = (rd: number, rm: number, rn: number): Halfwords => misc(0, 1, rd, rn, rm);
export const qsub = (rd: number, rm: number, rn: number): Halfwords => misc(0, 2, rd, rn, rm);
export const qdsub = (rd: number, rm: number, rn: number): Halfwords => misc(0, 3, rd, rn, rm);
export const sel = (rd: number, rn: number, rm: number): Halfwords => misc(2, 0, rd, rn, rm);

/** PKHBT/PKHTB T1: 11101 01 0110 0 Rn | 0 imm3 Rd imm2 tb 0 Rm; PKHTB's ASR #32 is imm 0. */
function pkh(tb: boolean, rd: number, rn: number, rm: number, imm5: number): Halfwords {
  const imm = imm5 & 31;
  return [0xeac0 | rn, ((imm >>> 2) << 12) | (rd << 8) | ((imm & 3) << 6) | (bit(tb) << 5) | rm];
}
export const pkhbt = (rd: number, rn: number, rm: number, lsl = 0): Halfwords =>
  pkh(false, rd, rn, rm, lsl);
/** asr is 1..32. */
export const pkhtb = (rd: number, rn: number, rm: number, asr: number): Halfwords =>
  pkh(true, rd, rn, rm, asr);
