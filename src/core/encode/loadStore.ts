/**
 * Encoders for the load/store instructions, for tests: `t16.*` return one halfword, `t32.*`
 * return [first halfword, second halfword]. Register lists are arrays of register numbers;
 * signed offsets select the U bit. Values that do not fit an encoding throw.
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
function scaled(v: number, scale: number, bits: number, what: string): number {
  check(v % scale === 0, `${what} ${v} is not a multiple of ${scale}`);
  return u(v / scale, bits, what);
}
/** Register list bit mask. */
export function list(regs: number[]): number {
  let m = 0;
  for (const r of regs) m |= 1 << reg(r);
  return m;
}

// ---- 16-bit ----

const imm5 = (op: number, rt: number, rn: number, imm: number, scale: number) =>
  (op << 11) | (scaled(imm, scale, 5, 'imm5') << 6) | (low(rn) << 3) | low(rt);
const reg3 = (opB: number, rt: number, rn: number, rm: number) =>
  0x5000 | (opB << 9) | (low(rm) << 6) | (low(rn) << 3) | low(rt);

export const t16 = {
  strImm: (rt: number, rn: number, imm: number) => imm5(0b01100, rt, rn, imm, 4),
  ldrImm: (rt: number, rn: number, imm: number) => imm5(0b01101, rt, rn, imm, 4),
  strbImm: (rt: number, rn: number, imm: number) => imm5(0b01110, rt, rn, imm, 1),
  ldrbImm: (rt: number, rn: number, imm: number) => imm5(0b01111, rt, rn, imm, 1),
  strhImm: (rt: number, rn: number, imm: number) => imm5(0b10000, rt, rn, imm, 2),
  ldrhImm: (rt: number, rn: number, imm: number) => imm5(0b10001, rt, rn, imm, 2),
  /** STR Rt, [SP, #imm]. */
  strSp: (rt: number, imm: number) => 0x9000 | (low(rt) << 8) | scaled(imm, 4, 8, 'imm'),
  /** LDR Rt, [SP, #imm]. */
  ldrSp: (rt: number, imm: number) => 0x9800 | (low(rt) << 8) | scaled(imm, 4, 8, 'imm'),
  /** LDR Rt, [PC, #imm] (from Align(PC, 4)). */
  ldrLit: (rt: number, imm: number) => 0x4800 | (low(rt) << 8) | scaled(imm, 4, 8, 'imm'),
  strReg: (rt: number, rn: number, rm: number) => reg3(0b000, rt, rn, rm),
  strhReg: (rt: number, rn: number, rm: number) => reg3(0b001, rt, rn, rm),
  strbReg: (rt: number, rn: number, rm: number) => reg3(0b010, rt, rn, rm),
  ldrsbReg: (rt: number, rn: number, rm: number) => reg3(0b011, rt, rn, rm),
  ldrReg: (rt: number, rn: number, rm: number) => reg3(0b100, rt, rn, rm),
  ldrhReg: (rt: number, rn: number, rm: number) => reg3(0b101, rt, rn, rm),
  ldrbReg: (rt: number, rn: number, rm: number) => reg3(0b110, rt, rn, rm),
  ldrshReg: (rt: number, rn: number, rm: number) => reg3(0b111, rt, rn, rm),
  /** PUSH {r0-r7, lr}. */
  push: (regs: number[]) => {
    const l = list(regs);
    check((l & ~0x40ff) === 0 && l !== 0, 'push list');
    return 0xb400 | ((l >>> 14) << 8) | (l & 0xff);
  },
  /** POP {r0-r7, pc}. */
  pop: (regs: number[]) => {
    const l = list(regs);
    check((l & ~0x80ff) === 0 && l !== 0, 'pop list');
    return 0xbc00 | ((l >>> 15) << 8) | (l & 0xff);
  },
  /** STMIA Rn!, {low registers}. */
  stm: (rn: number, regs: number[]) => {
    const l = list(regs);
    check((l & ~0xff) === 0 && l !== 0, 'stm list');
    return 0xc000 | (low(rn) << 8) | l;
  },
  /** LDMIA Rn{!}, {low registers} (writeback unless Rn is in the list). */
  ldm: (rn: number, regs: number[]) => {
    const l = list(regs);
    check((l & ~0xff) === 0 && l !== 0, 'ldm list');
    return 0xc800 | (low(rn) << 8) | l;
  },
};

// ---- 32-bit single loads and stores ----

export type Single = 'ldr' | 'ldrb' | 'ldrsb' | 'ldrh' | 'ldrsh' | 'str' | 'strb' | 'strh';

/** hw1 bits 8 (signed), 6:5 (size), 4 (load). */
const SINGLE: Record<Single, number> = {
  ldr: 0b0_0_10_1,
  ldrb: 0b0_0_00_1,
  ldrsb: 0b1_0_00_1,
  ldrh: 0b0_0_01_1,
  ldrsh: 0b1_0_01_1,
  str: 0b0_0_10_0,
  strb: 0b0_0_00_0,
  strh: 0b0_0_01_0,
};

function hw1(mn: Single, rn: number, imm12Form: boolean): number {
  const k = SINGLE[mn];
  return 0xf800 | ((k >>> 4) << 8) | (imm12Form ? 0x80 : 0) | ((k & 0xf) << 4) | reg(rn);
}

export interface Indexing {
  /** Pre-indexed (default true). */
  index?: boolean;
  /** Write the offset address back to Rn (default false). */
  wback?: boolean;
}

function dualOrSingleFlags(imm: number, ix: Indexing): { p: number; w: number; uBit: number } {
  const p = ix.index === false ? 0 : 1;
  const w = ix.wback || ix.index === false ? 1 : 0;
  return { p, w, uBit: imm < 0 || Object.is(imm, -0) ? 0 : 1 };
}

export const t32 = {
  /** <mn>.W Rt, [Rn, #imm12] (imm12 form: 0..4095). */
  imm12: (mn: Single, rt: number, rn: number, imm: number): T32 => [
    hw1(mn, rn, true),
    (reg(rt) << 12) | u(imm, 12, 'imm12'),
  ],
  /** <mn>.W Rt, [Rn, #±imm8]{!} or [Rn], #±imm8 (imm8 form). */
  imm8: (mn: Single, rt: number, rn: number, imm: number, ix: Indexing = {}): T32 => {
    const { p, w, uBit } = dualOrSingleFlags(imm, ix);
    return [
      hw1(mn, rn, false),
      (reg(rt) << 12) | 0x800 | (p << 10) | (uBit << 9) | (w << 8) | u(Math.abs(imm), 8, 'imm8'),
    ];
  },
  /** <mn>.W Rt, [Rn, Rm, LSL #shift]. */
  reg: (mn: Single, rt: number, rn: number, rm: number, shift = 0): T32 => [
    hw1(mn, rn, false),
    (reg(rt) << 12) | (u(shift, 2, 'shift') << 4) | reg(rm),
  ],
  /** <mn>T Rt, [Rn, #imm8] (unprivileged). */
  unpriv: (mn: Single, rt: number, rn: number, imm: number): T32 => [
    hw1(mn, rn, false),
    (reg(rt) << 12) | 0xe00 | u(imm, 8, 'imm8'),
  ],
  /** <mn>.W Rt, [PC, #±imm12] (loads only). */
  lit: (mn: Single, rt: number, imm: number): T32 => {
    check(SINGLE[mn] & 1 ? true : false, `${mn} has no literal form`);
    return [
      hw1(mn, 15, imm >= 0 && !Object.is(imm, -0)),
      (reg(rt) << 12) | u(Math.abs(imm), 12, 'imm12'),
    ];
  },
  pld: (rn: number, imm: number): T32 =>
    imm >= 0 ? t32.imm12('ldrb', 15, rn, imm) : t32.imm8('ldrb', 15, rn, imm),
  pli: (rn: number, imm: number): T32 =>
    imm >= 0 ? t32.imm12('ldrsb', 15, rn, imm) : t32.imm8('ldrsb', 15, rn, imm),

  // ---- multiple ----

  /** STMIA.W Rn{!}, {list}. */
  stm: (rn: number, regs: number[], wback = true): T32 => multiple(0b01, false, rn, regs, wback),
  /** LDMIA.W Rn{!}, {list}. */
  ldm: (rn: number, regs: number[], wback = true): T32 => multiple(0b01, true, rn, regs, wback),
  stmdb: (rn: number, regs: number[], wback = true): T32 => multiple(0b10, false, rn, regs, wback),
  ldmdb: (rn: number, regs: number[], wback = true): T32 => multiple(0b10, true, rn, regs, wback),
  /** PUSH.W = STMDB SP!. */
  push: (regs: number[]): T32 => multiple(0b10, false, 13, regs, true),
  /** POP.W = LDMIA SP!. */
  pop: (regs: number[]): T32 => multiple(0b01, true, 13, regs, true),

  // ---- dual ----

  ldrd: (rt: number, rt2: number, rn: number, imm: number, ix: Indexing = {}): T32 =>
    dual(true, rt, rt2, rn, imm, ix),
  strd: (rt: number, rt2: number, rn: number, imm: number, ix: Indexing = {}): T32 =>
    dual(false, rt, rt2, rn, imm, ix),
  /** LDRD Rt, Rt2, [PC, #±imm]. */
  ldrdLit: (rt: number, rt2: number, imm: number): T32 => dual(true, rt, rt2, 15, imm, {}),

  // ---- exclusive ----

  ldrex: (rt: number, rn: number, imm = 0): T32 => [
    0xe850 | reg(rn),
    (reg(rt) << 12) | 0xf00 | scaled(imm, 4, 8, 'imm'),
  ],
  strex: (rd: number, rt: number, rn: number, imm = 0): T32 => [
    0xe840 | reg(rn),
    (reg(rt) << 12) | (reg(rd) << 8) | scaled(imm, 4, 8, 'imm'),
  ],
  ldrexb: (rt: number, rn: number): T32 => [0xe8d0 | reg(rn), (reg(rt) << 12) | 0xf4f],
  ldrexh: (rt: number, rn: number): T32 => [0xe8d0 | reg(rn), (reg(rt) << 12) | 0xf5f],
  strexb: (rd: number, rt: number, rn: number): T32 => [
    0xe8c0 | reg(rn),
    (reg(rt) << 12) | 0xf40 | reg(rd),
  ],
  strexh: (rd: number, rt: number, rn: number): T32 => [
    0xe8c0 | reg(rn),
    (reg(rt) << 12) | 0xf50 | reg(rd),
  ],
  clrex: (): T32 => [0xf3bf, 0x8f2f],
};

function multiple(op: number, load: boolean, rn: number, regs: number[], wback: boolean): T32 {
  return [0xe800 | (op << 7) | (wback ? 0x20 : 0) | (load ? 0x10 : 0) | reg(rn), list(regs)];
}

function dual(load: boolean, rt: number, rt2: number, rn: number, imm: number, ix: Indexing): T32 {
  const { p, w, uBit } = dualOrSingleFlags(imm, ix);
  return [
    0xe840 | (p << 8) | (uBit << 7) | (w << 5) | (load ? 0x10 : 0) | reg(rn),
    (reg(rt) << 12) | (reg(rt2) << 8) | scaled(Math.abs(imm), 4, 8, 'imm'),
  ];
}
