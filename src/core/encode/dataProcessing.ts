/**
 * Encoders for the data-processing instructions, for tests: `t16.*` return one halfword,
 * `t32.*` return [first halfword, second halfword]. Arguments follow the UAL operand order;
 * shifted-register operands take a shift built with `lsl(n)`, `lsr(n)`, `asr(n)`, `ror(n)` or
 * `RRX`. Values that do not fit an encoding throw.
 */

export type T32 = [number, number];

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`cannot encode: ${what}`);
}
function low(r: number): number {
  check(r >= 0 && r < 8, `r${r} is not a low register`);
  return r;
}
function reg(r: number): number {
  check(r >= 0 && r < 16, `r${r}`);
  return r;
}
function u(v: number, bits: number, what: string): number {
  check(Number.isInteger(v) && v >= 0 && v < 2 ** bits, `${what} ${v} out of range`);
  return v;
}

// ---- shifts for shifted-register operands: packed type << 5 | imm5 ----

export type Shift = number;
export const lsl = (n: number): Shift => (0 << 5) | u(n, 5, 'lsl');
export const lsr = (n: number): Shift => (1 << 5) | (check(n >= 1 && n <= 32, 'lsr'), n & 31);
export const asr = (n: number): Shift => (2 << 5) | (check(n >= 1 && n <= 32, 'asr'), n & 31);
export const ror = (n: number): Shift => (3 << 5) | (check(n >= 1 && n <= 31, 'ror'), n);
export const RRX: Shift = 3 << 5;
const NO_SHIFT: Shift = 0;

/** The imm12 (i:imm3:imm8) of ThumbExpandImm that yields `value`. */
export function modImm(value: number): number {
  value >>>= 0;
  const b = value & 0xff;
  if (value === b) return b;
  if (value === ((b << 16) | b) >>> 0) return 0x100 | b;
  const b1 = (value >>> 8) & 0xff;
  if (value === ((b1 << 24) | (b1 << 8)) >>> 0) return 0x200 | b1;
  if (value === ((b << 24) | (b << 16) | (b << 8) | b) >>> 0) return 0x300 | b;
  for (let rot = 8; rot < 32; rot++) {
    // value = ROR(0x80 | imm7, rot)  <=>  ROL(value, rot) = 0x80 | imm7
    const unrot = ((value << rot) | (value >>> (32 - rot))) >>> 0;
    if (unrot >= 0x80 && unrot <= 0xff) return (rot << 7) | (unrot & 0x7f);
  }
  throw new Error(`cannot encode: 0x${value.toString(16)} is not a modified immediate`);
}

// ---- 16-bit ----

const shiftImm16 = (op: number, rd: number, rm: number, imm5: number) =>
  (op << 11) | (u(imm5, 5, 'shift') << 6) | (low(rm) << 3) | low(rd);
const reg3 = (op: number, rd: number, rn: number, rm: number) =>
  (op << 9) | (low(rm) << 6) | (low(rn) << 3) | low(rd);
const imm8 = (op: number, rd: number, imm: number) =>
  (op << 11) | (low(rd) << 8) | u(imm, 8, 'imm8');
const dp16 = (op: number, rdn: number, rm: number) =>
  0x4000 | (op << 6) | (low(rm) << 3) | low(rdn);
const hi = (op: number, rd: number, rm: number) =>
  0x4400 | (op << 8) | ((reg(rd) & 8) << 4) | (reg(rm) << 3) | (rd & 7);
const unary16 = (op: number, rd: number, rm: number) => op | (low(rm) << 3) | low(rd);

export const t16 = {
  /** MOVS Rd, Rm (MOV (register) T2 = LSLS Rd, Rm, #0). */
  movs: (rd: number, rm: number) => shiftImm16(0, rd, rm, 0),
  lslImm: (rd: number, rm: number, n: number) => shiftImm16(0, rd, rm, n),
  lsrImm: (rd: number, rm: number, n: number) => shiftImm16(1, rd, rm, n & 31),
  asrImm: (rd: number, rm: number, n: number) => shiftImm16(2, rd, rm, n & 31),
  addReg: (rd: number, rn: number, rm: number) => reg3(0b0001100, rd, rn, rm),
  subReg: (rd: number, rn: number, rm: number) => reg3(0b0001101, rd, rn, rm),
  addImm3: (rd: number, rn: number, imm: number) => reg3(0b0001110, rd, rn, u(imm, 3, 'imm3')),
  subImm3: (rd: number, rn: number, imm: number) => reg3(0b0001111, rd, rn, u(imm, 3, 'imm3')),
  movImm: (rd: number, imm: number) => imm8(0b00100, rd, imm),
  cmpImm: (rn: number, imm: number) => imm8(0b00101, rn, imm),
  addImm8: (rdn: number, imm: number) => imm8(0b00110, rdn, imm),
  subImm8: (rdn: number, imm: number) => imm8(0b00111, rdn, imm),
  and: (rdn: number, rm: number) => dp16(0b0000, rdn, rm),
  eor: (rdn: number, rm: number) => dp16(0b0001, rdn, rm),
  lslReg: (rdn: number, rm: number) => dp16(0b0010, rdn, rm),
  lsrReg: (rdn: number, rm: number) => dp16(0b0011, rdn, rm),
  asrReg: (rdn: number, rm: number) => dp16(0b0100, rdn, rm),
  adc: (rdn: number, rm: number) => dp16(0b0101, rdn, rm),
  sbc: (rdn: number, rm: number) => dp16(0b0110, rdn, rm),
  rorReg: (rdn: number, rm: number) => dp16(0b0111, rdn, rm),
  tst: (rn: number, rm: number) => dp16(0b1000, rn, rm),
  /** RSBS Rd, Rn, #0 (NEG). */
  rsb: (rd: number, rn: number) => dp16(0b1001, rd, rn),
  /** CMP Rn, Rm: T1 for two low registers, T2 otherwise. */
  cmp: (rn: number, rm: number) => (rn < 8 && rm < 8 ? dp16(0b1010, rn, rm) : hi(1, rn, rm)),
  cmn: (rn: number, rm: number) => dp16(0b1011, rn, rm),
  orr: (rdn: number, rm: number) => dp16(0b1100, rdn, rm),
  /** MULS Rdm, Rn, Rdm. */
  mul: (rdm: number, rn: number) => dp16(0b1101, rdm, rn),
  bic: (rdn: number, rm: number) => dp16(0b1110, rdn, rm),
  mvn: (rd: number, rm: number) => dp16(0b1111, rd, rm),
  /** ADD Rdn, Rm (T2, any registers; also ADD (SP plus register)). */
  addHi: (rdn: number, rm: number) => hi(0, rdn, rm),
  /** CMP Rn, Rm (T2) even for low registers (that form is UNPREDICTABLE). */
  cmpHi: (rn: number, rm: number) => hi(1, rn, rm),
  /** MOV Rd, Rm (T1, any registers). */
  movHi: (rd: number, rm: number) => hi(2, rd, rm),
  /** ADR Rd, PC + imm (imm a multiple of 4). */
  adr: (rd: number, imm: number) => imm8(0b10100, rd, u(imm, 10, 'adr') >>> 2),
  /** ADD Rd, SP, #imm. */
  addSpImm: (rd: number, imm: number) => imm8(0b10101, rd, u(imm, 10, 'imm') >>> 2),
  /** ADD SP, SP, #imm. */
  addSp: (imm: number) => 0xb000 | (u(imm, 9, 'imm') >>> 2),
  /** SUB SP, SP, #imm. */
  subSp: (imm: number) => 0xb080 | (u(imm, 9, 'imm') >>> 2),
  sxth: (rd: number, rm: number) => unary16(0xb200, rd, rm),
  sxtb: (rd: number, rm: number) => unary16(0xb240, rd, rm),
  uxth: (rd: number, rm: number) => unary16(0xb280, rd, rm),
  uxtb: (rd: number, rm: number) => unary16(0xb2c0, rd, rm),
  rev: (rd: number, rm: number) => unary16(0xba00, rd, rm),
  rev16: (rd: number, rm: number) => unary16(0xba40, rd, rm),
  revsh: (rd: number, rm: number) => unary16(0xbac0, rd, rm),
};

// ---- 32-bit ----

/** Data processing (modified immediate): `11110 i 0 op S Rn | 0 imm3 Rd imm8`. */
function modImmOp(op: number, s: boolean, rn: number, rd: number, value: number): T32 {
  const imm12 = modImm(value);
  return [
    0xf000 | ((imm12 >>> 11) << 10) | (op << 5) | (s ? 0x10 : 0) | reg(rn),
    ((imm12 & 0x700) << 4) | (reg(rd) << 8) | (imm12 & 0xff),
  ];
}

/** Data processing (shifted register): `1110101 op S Rn | 0 imm3 Rd imm2 type Rm`. */
function shiftOp(op: number, s: boolean, rn: number, rd: number, rm: number, sh: Shift): T32 {
  const imm5 = sh & 31;
  const type = sh >>> 5;
  return [
    0xea00 | (op << 5) | (s ? 0x10 : 0) | reg(rn),
    ((imm5 >>> 2) << 12) | (reg(rd) << 8) | ((imm5 & 3) << 6) | (type << 4) | reg(rm),
  ];
}

/** Plain binary immediate: `11110 i 1 op Rn | 0 imm3 Rd imm8` with a 12-bit i:imm3:imm8. */
function plainImm(op: number, rn: number, rd: number, imm12: number): T32 {
  u(imm12, 12, 'imm12');
  return [
    0xf200 | ((imm12 >>> 11) << 10) | (op << 4) | reg(rn),
    ((imm12 & 0x700) << 4) | (reg(rd) << 8) | (imm12 & 0xff),
  ];
}

/** Plain binary immediate with the imm3:imm2 field and a 5-bit low field (SSAT, BFI ...). */
function plainBits(op: number, rn: number, rd: number, imm5: number, low5: number): T32 {
  return [
    0xf300 | (op << 4) | reg(rn),
    ((imm5 >>> 2) << 12) | (reg(rd) << 8) | ((imm5 & 3) << 6) | low5,
  ];
}

const move16 = (op: number, rd: number, imm16: number): T32 => {
  u(imm16, 16, 'imm16');
  const [hw1, hw2] = plainImm(op, imm16 >>> 12, rd, imm16 & 0xfff);
  return [hw1, hw2];
};

/** Register ops `11111010 op1 Rn | 1111 Rd op2 Rm`. */
const regOp = (op1: number, rn: number, rd: number, op2: number, rm: number): T32 => [
  0xfa00 | (op1 << 4) | reg(rn),
  0xf000 | (reg(rd) << 8) | (op2 << 4) | reg(rm),
];

const PC = 15;
const SP = 13;

export const t32 = {
  // modified immediate: imm is the 32-bit value (encoded with modImm)
  andImm: (rd: number, rn: number, imm: number, s = false) => modImmOp(0, s, rn, rd, imm),
  tstImm: (rn: number, imm: number) => modImmOp(0, true, rn, PC, imm),
  bicImm: (rd: number, rn: number, imm: number, s = false) => modImmOp(1, s, rn, rd, imm),
  orrImm: (rd: number, rn: number, imm: number, s = false) => modImmOp(2, s, rn, rd, imm),
  movImm: (rd: number, imm: number, s = false) => modImmOp(2, s, PC, rd, imm),
  ornImm: (rd: number, rn: number, imm: number, s = false) => modImmOp(3, s, rn, rd, imm),
  mvnImm: (rd: number, imm: number, s = false) => modImmOp(3, s, PC, rd, imm),
  eorImm: (rd: number, rn: number, imm: number, s = false) => modImmOp(4, s, rn, rd, imm),
  teqImm: (rn: number, imm: number) => modImmOp(4, true, rn, PC, imm),
  addImm: (rd: number, rn: number, imm: number, s = false) => modImmOp(8, s, rn, rd, imm),
  cmnImm: (rn: number, imm: number) => modImmOp(8, true, rn, PC, imm),
  adcImm: (rd: number, rn: number, imm: number, s = false) => modImmOp(10, s, rn, rd, imm),
  sbcImm: (rd: number, rn: number, imm: number, s = false) => modImmOp(11, s, rn, rd, imm),
  subImm: (rd: number, rn: number, imm: number, s = false) => modImmOp(13, s, rn, rd, imm),
  cmpImm: (rn: number, imm: number) => modImmOp(13, true, rn, PC, imm),
  rsbImm: (rd: number, rn: number, imm: number, s = false) => modImmOp(14, s, rn, rd, imm),

  // plain binary immediate
  addw: (rd: number, rn: number, imm12: number) => plainImm(0b00000, rn, rd, imm12),
  subw: (rd: number, rn: number, imm12: number) => plainImm(0b01010, rn, rd, imm12),
  /** ADR.W Rd, Align(PC,4) + offset: T3 for offset >= 0, T2 (subtract) otherwise. */
  adr: (rd: number, offset: number) =>
    offset >= 0 ? plainImm(0b00000, PC, rd, offset) : plainImm(0b01010, PC, rd, -offset),
  movw: (rd: number, imm16: number) => move16(0b00100, rd, imm16),
  movt: (rd: number, imm16: number) => move16(0b01100, rd, imm16),
  /** SSAT Rd, #sat (1-32), Rn {, lsl #n | asr #n} — shift as lsl(n)/asr(n). */
  ssat: (rd: number, sat: number, rn: number, sh: Shift = NO_SHIFT) => {
    check(sat >= 1 && sat <= 32 && (sh >>> 5 === 0 || sh >>> 5 === 2), 'ssat');
    return plainBits(0b00000 | (sh >>> 5 === 2 ? 0b10 : 0), rn, rd, sh & 31, sat - 1);
  },
  usat: (rd: number, sat: number, rn: number, sh: Shift = NO_SHIFT) => {
    check(sat >= 0 && sat <= 31 && (sh >>> 5 === 0 || sh >>> 5 === 2), 'usat');
    return plainBits(0b01000 | (sh >>> 5 === 2 ? 0b10 : 0), rn, rd, sh & 31, sat);
  },
  ssat16: (rd: number, sat: number, rn: number) =>
    plainBits(0b00010, rn, rd, 0, u(sat - 1, 4, 'ssat16')),
  usat16: (rd: number, sat: number, rn: number) =>
    plainBits(0b01010, rn, rd, 0, u(sat, 4, 'usat16')),
  sbfx: (rd: number, rn: number, lsb: number, width: number) =>
    plainBits(0b00100, rn, rd, u(lsb, 5, 'lsb'), u(width - 1, 5, 'width')),
  ubfx: (rd: number, rn: number, lsb: number, width: number) =>
    plainBits(0b01100, rn, rd, u(lsb, 5, 'lsb'), u(width - 1, 5, 'width')),
  bfi: (rd: number, rn: number, lsb: number, width: number) =>
    plainBits(0b00110, rn, rd, u(lsb, 5, 'lsb'), u(lsb + width - 1, 5, 'msb')),
  bfc: (rd: number, lsb: number, width: number) =>
    plainBits(0b00110, PC, rd, u(lsb, 5, 'lsb'), u(lsb + width - 1, 5, 'msb')),

  // shifted register
  and: (rd: number, rn: number, rm: number, s = false, sh = NO_SHIFT) =>
    shiftOp(0, s, rn, rd, rm, sh),
  tst: (rn: number, rm: number, sh = NO_SHIFT) => shiftOp(0, true, rn, PC, rm, sh),
  bic: (rd: number, rn: number, rm: number, s = false, sh = NO_SHIFT) =>
    shiftOp(1, s, rn, rd, rm, sh),
  orr: (rd: number, rn: number, rm: number, s = false, sh = NO_SHIFT) =>
    shiftOp(2, s, rn, rd, rm, sh),
  /** MOV.W Rd, Rm and the shift-by-immediate aliases (LSL/LSR/ASR/ROR #n, RRX). */
  mov: (rd: number, rm: number, s = false, sh = NO_SHIFT) => shiftOp(2, s, PC, rd, rm, sh),
  orn: (rd: number, rn: number, rm: number, s = false, sh = NO_SHIFT) =>
    shiftOp(3, s, rn, rd, rm, sh),
  mvn: (rd: number, rm: number, s = false, sh = NO_SHIFT) => shiftOp(3, s, PC, rd, rm, sh),
  eor: (rd: number, rn: number, rm: number, s = false, sh = NO_SHIFT) =>
    shiftOp(4, s, rn, rd, rm, sh),
  teq: (rn: number, rm: number, sh = NO_SHIFT) => shiftOp(4, true, rn, PC, rm, sh),
  add: (rd: number, rn: number, rm: number, s = false, sh = NO_SHIFT) =>
    shiftOp(8, s, rn, rd, rm, sh),
  cmn: (rn: number, rm: number, sh = NO_SHIFT) => shiftOp(8, true, rn, PC, rm, sh),
  adc: (rd: number, rn: number, rm: number, s = false, sh = NO_SHIFT) =>
    shiftOp(10, s, rn, rd, rm, sh),
  sbc: (rd: number, rn: number, rm: number, s = false, sh = NO_SHIFT) =>
    shiftOp(11, s, rn, rd, rm, sh),
  sub: (rd: number, rn: number, rm: number, s = false, sh = NO_SHIFT) =>
    shiftOp(13, s, rn, rd, rm, sh),
  cmp: (rn: number, rm: number, sh = NO_SHIFT) => shiftOp(13, true, rn, PC, rm, sh),
  rsb: (rd: number, rn: number, rm: number, s = false, sh = NO_SHIFT) =>
    shiftOp(14, s, rn, rd, rm, sh),

  // register-controlled shifts: op Rd, Rn, Rm
  lslReg: (rd: number, rn: number, rm: number, s = false) => regOp(s ? 1 : 0, rn, rd, 0, rm),
  lsrReg: (rd: number, rn: number, rm: number, s = false) => regOp(s ? 3 : 2, rn, rd, 0, rm),
  asrReg: (rd: number, rn: number, rm: number, s = false) => regOp(s ? 5 : 4, rn, rd, 0, rm),
  rorReg: (rd: number, rn: number, rm: number, s = false) => regOp(s ? 7 : 6, rn, rd, 0, rm),

  // extends: rotation 0, 8, 16 or 24; the non-accumulating forms have Rn = PC
  sxtah: (rd: number, rn: number, rm: number, rot = 0) => extendOp(0, rn, rd, rm, rot),
  sxth: (rd: number, rm: number, rot = 0) => extendOp(0, PC, rd, rm, rot),
  uxtah: (rd: number, rn: number, rm: number, rot = 0) => extendOp(1, rn, rd, rm, rot),
  uxth: (rd: number, rm: number, rot = 0) => extendOp(1, PC, rd, rm, rot),
  sxtab16: (rd: number, rn: number, rm: number, rot = 0) => extendOp(2, rn, rd, rm, rot),
  sxtb16: (rd: number, rm: number, rot = 0) => extendOp(2, PC, rd, rm, rot),
  uxtab16: (rd: number, rn: number, rm: number, rot = 0) => extendOp(3, rn, rd, rm, rot),
  uxtb16: (rd: number, rm: number, rot = 0) => extendOp(3, PC, rd, rm, rot),
  sxtab: (rd: number, rn: number, rm: number, rot = 0) => extendOp(4, rn, rd, rm, rot),
  sxtb: (rd: number, rm: number, rot = 0) => extendOp(4, PC, rd, rm, rot),
  uxtab: (rd: number, rn: number, rm: number, rot = 0) => extendOp(5, rn, rd, rm, rot),
  uxtb: (rd: number, rm: number, rot = 0) => extendOp(5, PC, rd, rm, rot),

  // miscellaneous
  rev: (rd: number, rm: number) => regOp(0b1001, rm, rd, 0b1000, rm),
  rev16: (rd: number, rm: number) => regOp(0b1001, rm, rd, 0b1001, rm),
  rbit: (rd: number, rm: number) => regOp(0b1001, rm, rd, 0b1010, rm),
  revsh: (rd: number, rm: number) => regOp(0b1001, rm, rd, 0b1011, rm),
  clz: (rd: number, rm: number) => regOp(0b1011, rm, rd, 0b1000, rm),

  /** ADD.W / SUB.W with SP as the first operand (the SP forms). */
  addSpImm: (rd: number, imm: number, s = false) => modImmOp(8, s, SP, rd, imm),
  subSpImm: (rd: number, imm: number, s = false) => modImmOp(13, s, SP, rd, imm),
};

function extendOp(op: number, rn: number, rd: number, rm: number, rot: number): T32 {
  check(rot === 0 || rot === 8 || rot === 16 || rot === 24, `rotation ${rot}`);
  return regOp(op, rn, rd, 0b1000 | (rot >>> 3), rm);
}
