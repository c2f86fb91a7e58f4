/**
 * Encoders for the branch instructions, for tests. Offsets are relative to PC = the branch's
 * address + 4 (target = address + 4 + offset). `t16.*` return a halfword, `t32.*` a pair.
 */
import type { T32 } from './loadStore.js';

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`cannot encode: ${what}`);
}
function signedFits(v: number, bits: number, scale: number, what: string): number {
  check(v % scale === 0, `${what} ${v} is not a multiple of ${scale}`);
  check(v >= -(2 ** (bits - 1)) && v < 2 ** (bits - 1), `${what} ${v} out of range`);
  return v;
}

export const COND = {
  eq: 0,
  ne: 1,
  cs: 2,
  cc: 3,
  mi: 4,
  pl: 5,
  vs: 6,
  vc: 7,
  hi: 8,
  ls: 9,
  ge: 10,
  lt: 11,
  gt: 12,
  le: 13,
  al: 14,
} as const;

/** S:I1:I2:imm10:imm11 → the hw1/hw2 fields of B T4 / BL (J1 = NOT(I1) XOR S...). */
function imm25Fields(offset: number): { hw1: number; hw2: number } {
  const v = signedFits(offset, 25, 2, 'offset') >>> 1;
  const s = (v >>> 23) & 1;
  const i1 = (v >>> 22) & 1;
  const i2 = (v >>> 21) & 1;
  const j1 = (~i1 ^ s) & 1;
  const j2 = (~i2 ^ s) & 1;
  return {
    hw1: (s << 10) | ((v >>> 11) & 0x3ff),
    hw2: (j1 << 13) | (j2 << 11) | (v & 0x7ff),
  };
}

export const t16 = {
  /** B<cond> T1. */
  bCond: (cond: number, offset: number) =>
    0xd000 | (cond << 8) | ((signedFits(offset, 9, 2, 'offset') >>> 1) & 0xff),
  /** B T2. */
  b: (offset: number) => 0xe000 | ((signedFits(offset, 12, 2, 'offset') >>> 1) & 0x7ff),
  bx: (rm: number) => 0x4700 | (rm << 3),
  blx: (rm: number) => 0x4780 | (rm << 3),
  cbz: (rn: number, offset: number) => cb(false, rn, offset),
  cbnz: (rn: number, offset: number) => cb(true, rn, offset),
  /**
   * IT<xyz> firstcond: `then` lists the further instructions, e.g. it(COND.eq, 'te') is
   * ITTE EQ (then, then, else).
   */
  it: (firstcond: number, then = '') => {
    check(then.length <= 3 && /^[te]*$/.test(then), `IT pattern ${then}`);
    let mask = 1 << (3 - then.length);
    for (let k = 0; k < then.length; k++) {
      const bit = then[k] === 't' ? firstcond & 1 : ~firstcond & 1;
      mask |= bit << (3 - k);
    }
    return 0xbf00 | (firstcond << 4) | mask;
  },
};

function cb(nonzero: boolean, rn: number, offset: number): number {
  check(offset >= 0 && offset <= 126 && offset % 2 === 0, `cbz offset ${offset}`);
  check(rn >= 0 && rn < 8, `r${rn}`);
  const v = offset >>> 1;
  return 0xb100 | (nonzero ? 0x800 : 0) | ((v >>> 5) << 9) | ((v & 31) << 3) | rn;
}

export const t32 = {
  /** B<cond>.W T3. */
  bCond: (cond: number, offset: number): T32 => {
    const v = signedFits(offset, 21, 2, 'offset') >>> 1;
    const s = (v >>> 19) & 1;
    const j2 = (v >>> 18) & 1;
    const j1 = (v >>> 17) & 1;
    return [
      0xf000 | (s << 10) | (cond << 6) | ((v >>> 11) & 0x3f),
      0x8000 | (j1 << 13) | (j2 << 11) | (v & 0x7ff),
    ];
  },
  /** B.W T4. */
  b: (offset: number): T32 => {
    const f = imm25Fields(offset);
    return [0xf000 | f.hw1, 0x9000 | f.hw2];
  },
  bl: (offset: number): T32 => {
    const f = imm25Fields(offset);
    return [0xf000 | f.hw1, 0xd000 | f.hw2];
  },
  tbb: (rn: number, rm: number): T32 => [0xe8d0 | rn, 0xf000 | rm],
  tbh: (rn: number, rm: number): T32 => [0xe8d0 | rn, 0xf010 | rm],
};
