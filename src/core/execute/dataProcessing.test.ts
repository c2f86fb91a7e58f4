/**
 * Data-processing semantics, one test (at least) per encoding form, with hand-computed flag
 * edge cases: carry/overflow boundaries, shifts by 0/32/>32, RRX, modified-immediate carry and
 * the 16-bit forms' IT-block setflags rule. Encoding bits are checked against the GNU assembler
 * in dataProcessingEncodings.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.js';
import { asr, lsl, lsr, ror, RRX, t16, t32 } from '../encode/dataProcessing.js';

const BASE = 0x20000000;
const C = 0x20000000;
const V = 0x10000000;
const NZCV = 0xf0000000;

const machine = new Machine();

interface Opts {
  /** APSR value before the instruction (default 0). */
  apsr?: number;
  /** ITSTATE before the instruction (default 0: outside an IT block). */
  it?: number;
  /** Where the instruction is placed (default BASE). */
  at?: number;
}

/** Runs one instruction with the given registers; r0-r12 start at 0, SP at BASE + 0x1000. */
function run(code: number | readonly number[], regs: Record<number, number> = {}, o: Opts = {}) {
  const m = machine;
  const at = o.at ?? BASE;
  const hws = typeof code === 'number' ? [code] : code;
  hws.forEach((hw, k) => m.bus.write16(at + 2 * k, hw));
  m.cpu.setPc(at);
  m.cpu.r.fill(0, 0, 13);
  m.cpu.r[13] = BASE + 0x1000;
  m.cpu.r[14] = 0xffffffff;
  for (const [k, v] of Object.entries(regs)) m.cpu.r[Number(k)] = v;
  m.cpu.apsr = o.apsr ?? 0;
  m.cpu.it = o.it ?? 0;
  m.cpu.ipsr = 0;
  const cycles = m.clock.cycles;
  m.cpu.step();
  expect(m.cpu.ipsr, 'no exception taken').toBe(0);
  return { cpu: m.cpu, r: m.cpu.r, cycles: m.clock.cycles - cycles, flags: flags(m) };
}

/** 'NZCV' with clear flags in lower case, e.g. 'nZCv'. */
function flags(m: Machine): string {
  const c = m.cpu;
  return (c.n ? 'N' : 'n') + (c.z ? 'Z' : 'z') + (c.c ? 'C' : 'c') + (c.v ? 'V' : 'v');
}

const hex = (x: number): string => '0x' + (x >>> 0).toString(16).padStart(8, '0');

describe('16-bit shift (immediate), add, subtract, move, compare', () => {
  it('MOVS Rd, Rm (MOV T2) sets N Z and leaves C V', () => {
    let s = run(t16.movs(1, 2), { 2: 0 }, { apsr: C | V });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCV']);
    s = run(t16.movs(1, 2), { 2: 0x80000000 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'Nzcv']);
  });

  it('LSLS #imm: carry is the last bit shifted out', () => {
    let s = run(t16.lslImm(1, 2, 1), { 2: 0x80000001 });
    expect([s.r[1], s.flags]).toEqual([2, 'nzCv']);
    s = run(t16.lslImm(1, 2, 31), { 2: 3 }, { apsr: C });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'NzCv']);
    s = run(t16.lslImm(1, 2, 4), { 2: 0x0fffffff }, { apsr: C | V });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xfffffff0', 'NzcV']);
  });

  it('LSRS #imm: #32 (imm5 = 0) gives 0 with carry = bit 31', () => {
    let s = run(t16.lsrImm(1, 2, 32), { 2: 0x80000000 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t16.lsrImm(1, 2, 32), { 2: 0x7fffffff }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([0, 'nZcv']);
    s = run(t16.lsrImm(1, 2, 4), { 2: 0x18 });
    expect([s.r[1], s.flags]).toEqual([1, 'nzCv']);
  });

  it('ASRS #imm: sign fill; #32 gives 0 or -1 with carry = sign', () => {
    let s = run(t16.asrImm(1, 2, 32), { 2: 0x80000000 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'NzCv']);
    s = run(t16.asrImm(1, 2, 32), { 2: 0x40000000 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([0, 'nZcv']);
    s = run(t16.asrImm(1, 2, 7), { 2: 0x80000040 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xff000000', 'NzCv']);
  });

  it('ADDS Rd, Rn, Rm: signed overflow and unsigned carry', () => {
    let s = run(t16.addReg(1, 2, 3), { 2: 0x7fffffff, 3: 1 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'NzcV']);
    s = run(t16.addReg(1, 2, 3), { 2: 0xffffffff, 3: 1 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t16.addReg(1, 2, 3), { 2: 0x80000000, 3: 0x80000000 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCV']);
  });

  it('SUBS Rd, Rn, Rm: C is NOT borrow', () => {
    let s = run(t16.subReg(1, 2, 3), { 2: 0, 3: 1 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'Nzcv']);
    s = run(t16.subReg(1, 2, 3), { 2: 5, 3: 5 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t16.subReg(1, 2, 3), { 2: 0x80000000, 3: 1 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x7fffffff', 'nzCV']);
  });

  it('ADDS/SUBS Rd, Rn, #imm3', () => {
    let s = run(t16.addImm3(1, 2, 7), { 2: 0xfffffffa });
    expect([s.r[1], s.flags]).toEqual([1, 'nzCv']);
    s = run(t16.subImm3(1, 2, 7), { 2: 7 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t16.subImm3(1, 2, 0), { 2: 0x80000000 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'NzCv']);
  });

  it('MOVS Rd, #imm8 leaves C and V', () => {
    let s = run(t16.movImm(5, 200), {}, { apsr: C | V });
    expect([s.r[5], s.flags]).toEqual([200, 'nzCV']);
    s = run(t16.movImm(5, 0), { 5: 9 });
    expect([s.r[5], s.flags]).toEqual([0, 'nZcv']);
  });

  it('CMP Rn, #imm8', () => {
    expect(run(t16.cmpImm(5, 200), { 5: 200 }).flags).toBe('nZCv');
    expect(run(t16.cmpImm(5, 201), { 5: 200 }).flags).toBe('Nzcv');
    expect(run(t16.cmpImm(5, 1), { 5: 0x80000000 }).flags).toBe('nzCV');
  });

  it('ADDS/SUBS Rdn, #imm8', () => {
    let s = run(t16.addImm8(5, 255), { 5: 0xffffff01 });
    expect([s.r[5], s.flags]).toEqual([0, 'nZCv']);
    s = run(t16.subImm8(5, 255), { 5: 0 });
    expect([hex(s.r[5]!), s.flags]).toEqual(['0xffffff01', 'Nzcv']);
  });
});

describe('16-bit data processing (register)', () => {
  it('ANDS/EORS/ORRS/BICS/MVNS set N Z, leave C V', () => {
    let s = run(t16.and(1, 2), { 1: 0xf0f0f0f0, 2: 0x0f0f0f0f }, { apsr: C | V });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCV']);
    s = run(t16.eor(1, 2), { 1: 0xff00ff00, 2: 0x0ff00ff0 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xf0f0f0f0', 'Nzcv']);
    s = run(t16.orr(1, 2), { 1: 0x12, 2: 0x21 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([0x33, 'nzCv']);
    s = run(t16.bic(1, 2), { 1: 0xff, 2: 0x0f });
    expect([s.r[1], s.flags]).toEqual([0xf0, 'nzcv']);
    s = run(t16.mvn(1, 2), { 2: 0xffffffff }, { apsr: V });
    expect([s.r[1], s.flags]).toEqual([0, 'nZcV']);
  });

  it('LSLS Rdn, Rm: amounts 0, 1, 32, 33 and only Rm<7:0> counts', () => {
    let s = run(t16.lslReg(1, 2), { 1: 0x80000001, 2: 0 }, { apsr: C });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000001', 'NzCv']);
    s = run(t16.lslReg(1, 2), { 1: 0x80000001, 2: 1 });
    expect([s.r[1], s.flags]).toEqual([2, 'nzCv']);
    s = run(t16.lslReg(1, 2), { 1: 0x00000001, 2: 32 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t16.lslReg(1, 2), { 1: 0xffffffff, 2: 33 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([0, 'nZcv']);
    s = run(t16.lslReg(1, 2), { 1: 1, 2: 0x101 });
    expect([s.r[1], s.flags]).toEqual([2, 'nzcv']);
  });

  it('LSRS Rdn, Rm: 32 gives carry = bit 31, more than 32 clears it', () => {
    let s = run(t16.lsrReg(1, 2), { 1: 0x80000000, 2: 32 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t16.lsrReg(1, 2), { 1: 0x80000000, 2: 200 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([0, 'nZcv']);
    s = run(t16.lsrReg(1, 2), { 1: 0x3, 2: 1 });
    expect([s.r[1], s.flags]).toEqual([1, 'nzCv']);
  });

  it('ASRS Rdn, Rm: 32 and more fill with the sign, carry = sign', () => {
    let s = run(t16.asrReg(1, 2), { 1: 0x80000000, 2: 40 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'NzCv']);
    s = run(t16.asrReg(1, 2), { 1: 0x7fffffff, 2: 255 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([0, 'nZcv']);
    s = run(t16.asrReg(1, 2), { 1: 0x80000000, 2: 0 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'Nzcv']);
  });

  it('RORS Rdn, Rm: 0 leaves C, 32 keeps the value with carry = bit 31', () => {
    let s = run(t16.rorReg(1, 2), { 1: 0x80000001, 2: 0 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000001', 'Nzcv']);
    s = run(t16.rorReg(1, 2), { 1: 0x80000001, 2: 32 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000001', 'NzCv']);
    s = run(t16.rorReg(1, 2), { 1: 0x80000001, 2: 36 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x18000000', 'nzcv']);
    s = run(t16.rorReg(1, 2), { 1: 0x10, 2: 5 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'NzCv']);
  });

  it('ADCS/SBCS use the carry flag', () => {
    let s = run(t16.adc(1, 2), { 1: 0xffffffff, 2: 0 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t16.adc(1, 2), { 1: 0x7fffffff, 2: 0 }, { apsr: C });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'NzcV']);
    s = run(t16.adc(1, 2), { 1: 2, 2: 3 });
    expect([s.r[1], s.flags]).toEqual([5, 'nzcv']);
    s = run(t16.sbc(1, 2), { 1: 5, 2: 3 });
    expect([s.r[1], s.flags]).toEqual([1, 'nzCv']);
    s = run(t16.sbc(1, 2), { 1: 5, 2: 3 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([2, 'nzCv']);
    s = run(t16.sbc(1, 2), { 1: 0, 2: 0 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'Nzcv']);
  });

  it('TST, CMP, CMN (T1)', () => {
    expect(run(t16.tst(1, 2), { 1: 0xf0, 2: 0x0f }, { apsr: C | V }).flags).toBe('nZCV');
    expect(run(t16.tst(1, 2), { 1: 0x80000000, 2: 0x80000000 }).flags).toBe('Nzcv');
    expect(run(t16.cmp(1, 2), { 1: 3, 2: 5 }).flags).toBe('Nzcv');
    expect(run(t16.cmp(1, 2), { 1: 5, 2: 3 }).flags).toBe('nzCv');
    expect(run(t16.cmp(1, 2), { 1: 0x7fffffff, 2: 0xffffffff }).flags).toBe('NzcV');
    expect(run(t16.cmn(1, 2), { 1: 0xffffffff, 2: 1 }).flags).toBe('nZCv');
    expect(run(t16.cmn(1, 2), { 1: 0x7fffffff, 2: 1 }).flags).toBe('NzcV');
  });

  it('NEGS Rd, Rn (RSB #0)', () => {
    let s = run(t16.rsb(1, 2), { 2: 0 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t16.rsb(1, 2), { 2: 1 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'Nzcv']);
    s = run(t16.rsb(1, 2), { 2: 0x80000000 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'NzcV']);
  });

  it('MULS sets N Z only', () => {
    let s = run(t16.mul(1, 2), { 1: 0x10000, 2: 0x10000 }, { apsr: C | V });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCV']);
    s = run(t16.mul(1, 2), { 1: 0xffffffff, 2: 3 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xfffffffd', 'Nzcv']);
  });
});

describe('16-bit special data instructions', () => {
  it('ADD Rdn, Rm with high registers and PC as an operand; flags untouched', () => {
    let s = run(t16.addHi(9, 12), { 9: 0xffffffff, 12: 2 });
    expect([s.r[9], s.flags]).toEqual([1, 'nzcv']);
    s = run(t16.addHi(1, 15), { 1: 0x10 });
    expect(hex(s.r[1]!)).toBe(hex(BASE + 4 + 0x10));
  });

  it('ADD PC, Rm branches (bit 0 ignored) and costs 3 cycles', () => {
    const s = run(t16.addHi(15, 1), { 1: 0x101 });
    expect(hex(s.cpu.pc)).toBe(hex(BASE + 4 + 0x100));
    expect(s.cycles).toBe(3);
  });

  it('ADD (SP plus register): ADD SP, Rm and ADD Rdm, SP, Rdm', () => {
    let s = run(t16.addHi(13, 1), { 1: 0x20 });
    expect(hex(s.r[13]!)).toBe(hex(BASE + 0x1020));
    s = run(t16.addHi(2, 13), { 2: 8 });
    expect(hex(s.r[2]!)).toBe(hex(BASE + 0x1008));
  });

  it('CMP Rn, Rm (T2) with a high register', () => {
    expect(run(t16.cmp(10, 2), { 10: 7, 2: 7 }).flags).toBe('nZCv');
    expect(run(t16.cmp(1, 9), { 1: 0, 9: 1 }).flags).toBe('Nzcv');
  });

  it('MOV Rd, Rm (T1): high registers, SP, and MOV PC, Rm', () => {
    let s = run(t16.movHi(8, 1), { 1: 0x80000000 }, { apsr: C });
    expect([hex(s.r[8]!), s.flags]).toEqual(['0x80000000', 'nzCv']);
    s = run(t16.movHi(0, 13));
    expect(hex(s.r[0]!)).toBe(hex(BASE + 0x1000));
    s = run(t16.movHi(13, 0), { 0: BASE + 0x803 });
    expect(hex(s.r[13]!)).toBe(hex(BASE + 0x800));
    s = run(t16.movHi(15, 14), { 14: BASE + 0x41 });
    expect([hex(s.cpu.pc), s.cycles]).toEqual([hex(BASE + 0x40), 3]);
  });
});

describe('16-bit ADR, SP arithmetic, extends, reversal', () => {
  it('ADR uses Align(PC, 4)', () => {
    expect(hex(run(t16.adr(3, 16)).r[3]!)).toBe(hex(BASE + 4 + 16));
    expect(hex(run(t16.adr(3, 1020), {}, { at: BASE + 2 }).r[3]!)).toBe(hex(BASE + 4 + 1020));
  });

  it('ADD Rd, SP, #imm; ADD SP, #imm; SUB SP, #imm', () => {
    expect(hex(run(t16.addSpImm(3, 1020)).r[3]!)).toBe(hex(BASE + 0x1000 + 1020));
    expect(hex(run(t16.addSp(508)).r[13]!)).toBe(hex(BASE + 0x1000 + 508));
    const s = run(t16.subSp(16), {}, { apsr: 0 });
    expect([hex(s.r[13]!), s.flags]).toEqual([hex(BASE + 0x1000 - 16), 'nzcv']);
  });

  it('SXTH SXTB UXTH UXTB', () => {
    expect(hex(run(t16.sxth(1, 2), { 2: 0x12348765 }).r[1]!)).toBe('0xffff8765');
    expect(hex(run(t16.sxtb(1, 2), { 2: 0x12345680 }).r[1]!)).toBe('0xffffff80');
    expect(hex(run(t16.sxtb(1, 2), { 2: 0xffffff7f }).r[1]!)).toBe('0x0000007f');
    expect(hex(run(t16.uxth(1, 2), { 2: 0x12348765 }).r[1]!)).toBe('0x00008765');
    expect(hex(run(t16.uxtb(1, 2), { 2: 0x12345680 }).r[1]!)).toBe('0x00000080');
  });

  it('REV REV16 REVSH', () => {
    expect(hex(run(t16.rev(1, 2), { 2: 0x12345678 }).r[1]!)).toBe('0x78563412');
    expect(hex(run(t16.rev16(1, 2), { 2: 0x12345678 }).r[1]!)).toBe('0x34127856');
    expect(hex(run(t16.revsh(1, 2), { 2: 0x12345680 }).r[1]!)).toBe('0xffff8056');
    expect(hex(run(t16.revsh(1, 2), { 2: 0xffff7f12 }).r[1]!)).toBe('0x0000127f');
  });
});

describe('16-bit setflags inside an IT block', () => {
  const IT_AL = 0xe8; // IT AL: firstcond 1110, mask 1000
  const IT_EQ = 0x08;

  it('ADDS/MOVS/LSLS/ANDS/NEGS/MULS do not set flags in an IT block', () => {
    let s = run(t16.addReg(1, 2, 3), { 2: 0xffffffff, 3: 1 }, { it: IT_AL });
    expect([s.r[1], s.flags, s.cpu.it]).toEqual([0, 'nzcv', 0]);
    s = run(t16.movImm(1, 0), { 1: 5 }, { it: IT_AL });
    expect([s.r[1], s.flags]).toEqual([0, 'nzcv']);
    s = run(t16.lslImm(1, 2, 1), { 2: 0x80000000 }, { it: IT_AL, apsr: V });
    expect([s.r[1], s.flags]).toEqual([0, 'nzcV']);
    s = run(t16.and(1, 2), { 1: 1, 2: 2 }, { it: IT_AL });
    expect([s.r[1], s.flags]).toEqual([0, 'nzcv']);
    s = run(t16.rsb(1, 2), { 2: 0 }, { it: IT_AL });
    expect([s.r[1], s.flags]).toEqual([0, 'nzcv']);
    s = run(t16.mul(1, 2), { 1: 0, 2: 3 }, { it: IT_AL });
    expect([s.r[1], s.flags]).toEqual([0, 'nzcv']);
  });

  it('CMP/CMN/TST always set flags', () => {
    expect(run(t16.cmpImm(1, 0), {}, { it: IT_AL }).flags).toBe('nZCv');
    expect(run(t16.cmn(1, 2), { 1: 0xffffffff, 2: 1 }, { it: IT_AL }).flags).toBe('nZCv');
    expect(run(t16.tst(1, 2), {}, { it: IT_AL }).flags).toBe('nZcv');
  });

  it('a failed condition skips the instruction', () => {
    let s = run(t16.movImm(1, 7), { 1: 3 }, { it: IT_EQ });
    expect([s.r[1], s.cpu.it]).toEqual([3, 0]);
    s = run(t16.movImm(1, 7), { 1: 3 }, { it: IT_EQ, apsr: 0x40000000 });
    expect([s.r[1], s.flags]).toEqual([7, 'nZcv']);
  });

  it('32-bit S forms set flags inside an IT block', () => {
    const s = run(t32.add(1, 2, 3, true), { 2: 0xffffffff, 3: 1 }, { it: IT_AL });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
  });
});

describe('32-bit data processing (modified immediate)', () => {
  it('ANDS: the carry comes from ThumbExpandImm_C when the constant is rotated', () => {
    // 0x80000000 = ROR(0x80, 8): carry out = bit 31 = 1
    let s = run(t32.andImm(1, 2, 0x80000000, true), { 2: 0xffffffff });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'NzCv']);
    // 0x3fc = ROR(0xff, 30): carry out = 0
    s = run(t32.andImm(1, 2, 0x3fc, true), { 2: 0x3 }, { apsr: C | V });
    expect([s.r[1], s.flags]).toEqual([0, 'nZcV']);
    // 0xff00ff00 is a replicated pattern: carry unchanged
    s = run(t32.andImm(1, 2, 0xff00ff00, true), { 2: 0x0f0f0f0f }, { apsr: C });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x0f000f00', 'nzCv']);
    s = run(t32.andImm(1, 2, 0xff), { 2: 0x1234 }, { apsr: NZCV });
    expect([s.r[1], s.flags]).toEqual([0x34, 'NZCV']);
  });

  it('TST/TEQ (immediate)', () => {
    expect(run(t32.tstImm(2, 0x80000000), { 2: 0x7fffffff }).flags).toBe('nZCv');
    expect(run(t32.tstImm(2, 0xff), { 2: 0x80 }, { apsr: C }).flags).toBe('nzCv');
    expect(run(t32.teqImm(2, 0xff000000), { 2: 0xff000000 }).flags).toBe('nZCv');
    expect(run(t32.teqImm(2, 1), { 2: 0x80000000 }).flags).toBe('Nzcv');
  });

  it('BIC/ORR/ORN/EOR (immediate)', () => {
    expect(hex(run(t32.bicImm(1, 2, 0x11111111), { 2: 0xffffffff }).r[1]!)).toBe('0xeeeeeeee');
    expect(hex(run(t32.orrImm(1, 2, 0x00ab00ab), { 2: 0x1100 }).r[1]!)).toBe('0x00ab11ab');
    expect(hex(run(t32.ornImm(1, 2, 0x7f), { 2: 0x1 }).r[1]!)).toBe('0xffffff81');
    const s = run(t32.eorImm(1, 2, 0xab000000, true), { 2: 0xab000001 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([1, 'nzCv']); // ROR(0xab, 8): carry = bit 31 = 1
  });

  it('MOV/MVN (immediate)', () => {
    let s = run(t32.movImm(11, 0x12000, true), {}, { apsr: C });
    expect([s.r[11], s.flags]).toEqual([0x12000, 'nzcv']);
    s = run(t32.movImm(1, 0), { 1: 5 }, { apsr: V });
    expect([s.r[1], s.flags]).toEqual([0, 'nzcV']);
    s = run(t32.mvnImm(1, 0xff, true), {}, { apsr: C });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffff00', 'NzCv']);
  });

  it('ADD/ADC/SUB/SBC/RSB (immediate)', () => {
    let s = run(t32.addImm(1, 2, 0x100, true), { 2: 0xffffff00 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t32.addImm(12, 11, 0x80000000, true), { 11: 0x80000000 });
    expect([s.r[12], s.flags]).toEqual([0, 'nZCV']);
    s = run(t32.adcImm(1, 2, 1, true), { 2: 0x7ffffffe }, { apsr: C });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'NzcV']);
    s = run(t32.subImm(1, 2, 0x100, true), { 2: 0xff });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'Nzcv']);
    s = run(t32.sbcImm(1, 2, 1, true), { 2: 1 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'Nzcv']);
    s = run(t32.sbcImm(1, 2, 1, true), { 2: 1 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t32.rsbImm(1, 2, 0x100, true), { 2: 0x101 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'Nzcv']);
    s = run(t32.rsbImm(1, 2, 0, true), { 2: 0x80000000 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'NzcV']);
  });

  it('CMN/CMP (immediate)', () => {
    expect(run(t32.cmnImm(2, 0x100), { 2: 0xffffff00 }).flags).toBe('nZCv');
    expect(run(t32.cmpImm(2, 0x100), { 2: 0x100 }).flags).toBe('nZCv');
    expect(run(t32.cmpImm(2, 0x80000000), { 2: 0 }).flags).toBe('NzcV');
    expect(run(t32.cmpImm(13, 0x1000), {}).flags).toBe('nzCv'); // CMP SP is allowed
  });

  it('ADD/SUB SP, SP, #imm and ADDS Rd, SP, #imm', () => {
    expect(hex(run(t32.addSpImm(13, 0x100)).r[13]!)).toBe(hex(BASE + 0x1100));
    expect(hex(run(t32.subSpImm(13, 0x100)).r[13]!)).toBe(hex(BASE + 0xf00));
    const s = run(t32.subSpImm(3, 0x1000, true));
    expect([hex(s.r[3]!), s.flags]).toEqual([hex(BASE), 'nzCv']);
  });
});

describe('32-bit data processing (shifted register)', () => {
  it('ANDS with LSR #32: carry is bit 31 of Rm', () => {
    let s = run(t32.and(1, 2, 3, true, lsr(32)), { 2: 0xffffffff, 3: 0x80000000 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t32.and(1, 2, 3, true, lsl(3)), { 2: 0xffffffff, 3: 0x20000001 }, { apsr: V });
    expect([s.r[1], s.flags]).toEqual([8, 'nzCV']);
    s = run(t32.and(1, 2, 3), { 2: 0xf0, 3: 0x3c }, { apsr: NZCV });
    expect([s.r[1], s.flags]).toEqual([0x30, 'NZCV']);
  });

  it('TST/TEQ (register) with shifts', () => {
    expect(run(t32.tst(2, 3, asr(5)), { 2: 0x80000000, 3: 0x80000010 }).flags).toBe('NzCv');
    expect(run(t32.teq(2, 3, ror(4)), { 2: 0x10000000, 3: 0x1 }).flags).toBe('nZcv');
  });

  it('ORR with RRX: carry in to bit 31, bit 0 to carry', () => {
    let s = run(t32.orr(1, 2, 3, true, RRX), { 2: 0, 3: 0x3 }, { apsr: C });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000001', 'NzCv']);
    s = run(t32.orr(1, 2, 3, true, RRX), { 2: 0, 3: 0x2 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x00000001', 'nzcv']);
  });

  it('BIC/ORN/EOR/MVN (register)', () => {
    expect(hex(run(t32.bic(1, 2, 3, false, ror(4)), { 2: 0xff, 3: 0xf0 }).r[1]!)).toBe(
      '0x000000f0',
    );
    expect(hex(run(t32.orn(1, 2, 3), { 2: 0x1, 3: 0xffff0000 }).r[1]!)).toBe('0x0000ffff');
    expect(hex(run(t32.eor(1, 2, 3, false, lsl(16)), { 2: 0x1, 3: 0x1 }).r[1]!)).toBe('0x00010001');
    const s = run(t32.mvn(1, 3, true, lsr(1)), { 3: 1 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'NzCv']);
  });

  it('MOV.W and the shift-by-immediate aliases', () => {
    let s = run(t32.mov(1, 3, true), { 3: 0 }, { apsr: C | V });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCV']);
    s = run(t32.mov(13, 3), { 3: BASE + 0x204 });
    expect(hex(s.r[13]!)).toBe(hex(BASE + 0x204));
    s = run(t32.mov(1, 3, true, lsl(4)), { 3: 0x1800000f });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x800000f0', 'NzCv']);
    s = run(t32.mov(1, 3, true, lsr(32)), { 3: 0x80000000 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t32.mov(1, 3, true, asr(32)), { 3: 0x80000000 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'NzCv']);
    s = run(t32.mov(1, 3, true, ror(1)), { 3: 0x1 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'NzCv']);
    s = run(t32.mov(1, 3, true, RRX), { 3: 0x1 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t32.mov(1, 3, false, RRX), { 3: 0x1 }, { apsr: C });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000000', 'nzCv']);
  });

  it('ADD/ADC/SUB/SBC/RSB (register) with shifts', () => {
    let s = run(t32.add(1, 2, 3, true, lsl(31)), { 2: 0x80000000, 3: 1 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCV']);
    s = run(t32.adc(1, 2, 3, true), { 2: 0xffffffff, 3: 0xffffffff }, { apsr: C });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'NzCv']);
    s = run(t32.sub(1, 2, 3, true, asr(1)), { 2: 0, 3: 0x80000000 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x40000000', 'nzcv']);
    s = run(t32.sbc(1, 2, 3, true), { 2: 0x80000000, 3: 0 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x7fffffff', 'nzCV']);
    s = run(t32.rsb(1, 2, 3, true, lsl(1)), { 2: 2, 3: 1 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
  });

  it('CMN/CMP (register) with shifts', () => {
    expect(run(t32.cmn(2, 3, lsl(1)), { 2: 0xfffffffe, 3: 1 }).flags).toBe('nZCv');
    expect(run(t32.cmp(2, 3, lsr(1)), { 2: 1, 3: 2 }).flags).toBe('nZCv');
    expect(run(t32.cmp(2, 3), { 2: 0x80000000, 3: 1 }).flags).toBe('nzCV');
  });

  it('ADD/SUB (SP plus/minus register)', () => {
    expect(hex(run(t32.add(1, 13, 3), { 3: 0x10 }).r[1]!)).toBe(hex(BASE + 0x1010));
    expect(hex(run(t32.sub(13, 13, 3, false, lsl(2)), { 3: 0x10 }).r[13]!)).toBe(
      hex(BASE + 0x1000 - 0x40),
    );
    expect(hex(run(t32.add(13, 13, 3, false, lsl(3)), { 3: 1 }).r[13]!)).toBe(hex(BASE + 0x1008));
  });
});

describe('32-bit register-controlled shifts', () => {
  it('LSL.W: amount 0 keeps C; 32 carries bit 0; >32 gives 0, C = 0', () => {
    let s = run(t32.lslReg(1, 2, 3, true), { 2: 0x1, 3: 0 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([1, 'nzCv']);
    s = run(t32.lslReg(1, 2, 3, true), { 2: 0x1, 3: 32 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t32.lslReg(1, 2, 3, true), { 2: 0xffffffff, 3: 33 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([0, 'nZcv']);
    s = run(t32.lslReg(1, 2, 3), { 2: 0x3, 3: 0xffffff01 }, { apsr: C });
    expect([s.r[1], s.flags]).toEqual([0x6, 'nzCv']); // only Rm<7:0>; S clear: flags kept
  });

  it('LSRS.W / ASR.W / ROR.W', () => {
    let s = run(t32.lsrReg(1, 2, 3, true), { 2: 0x80000000, 3: 32 });
    expect([s.r[1], s.flags]).toEqual([0, 'nZCv']);
    s = run(t32.lsrReg(1, 2, 3, true), { 2: 0x80000000, 3: 31 });
    expect([s.r[1], s.flags]).toEqual([1, 'nzcv']);
    s = run(t32.asrReg(1, 2, 3, true), { 2: 0x80000000, 3: 100 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0xffffffff', 'NzCv']);
    s = run(t32.rorReg(1, 2, 3, true), { 2: 0x80000001, 3: 64 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x80000001', 'NzCv']);
    s = run(t32.rorReg(1, 2, 3, true), { 2: 0x12345678, 3: 8 });
    expect([hex(s.r[1]!), s.flags]).toEqual(['0x78123456', 'nzcv']);
  });
});
