/**
 * 32-bit plain binary immediate (ADDW, SUBW, ADR, MOVW, MOVT, saturation, bitfields), extends
 * with rotation, REV/RBIT/CLZ, and the UNPREDICTABLE encodings that decode as UNDEFINED.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.js';
import { decodeRaw } from '../decode/cache.js';
import { asr, lsl, t16, t32 } from '../encode/dataProcessing.js';

const BASE = 0x20000000;
const C = 0x20000000;

const machine = new Machine();

/** Runs one instruction with the given registers (r0-r12 = 0, SP = BASE + 0x1000). */
function run(code: readonly number[], regs: Record<number, number> = {}, at = BASE, q = 0) {
  const m = machine;
  code.forEach((hw, k) => m.bus.write16(at + 2 * k, hw));
  m.cpu.setPc(at);
  m.cpu.r.fill(0, 0, 13);
  m.cpu.r[13] = BASE + 0x1000;
  for (const [k, v] of Object.entries(regs)) m.cpu.r[Number(k)] = v;
  m.cpu.apsr = C;
  m.cpu.q = q;
  m.cpu.it = 0;
  m.cpu.ipsr = 0;
  m.cpu.step();
  expect(m.cpu.ipsr, 'no exception taken').toBe(0);
  // None of these instructions touches N Z C V.
  expect(m.cpu.apsr & 0xf0000000).toBe(C);
  return m.cpu;
}

const hex = (x: number): string => '0x' + (x >>> 0).toString(16).padStart(8, '0');
const r1 = (code: readonly number[], regs: Record<number, number> = {}, at = BASE): string =>
  hex(run(code, regs, at).r[1]!);

describe('plain binary immediate', () => {
  it('ADDW/SUBW, also with SP', () => {
    expect(r1(t32.addw(1, 2, 0xfff), { 2: 1 })).toBe('0x00001000');
    expect(r1(t32.addw(1, 13, 0xabc))).toBe(hex(BASE + 0x1000 + 0xabc));
    expect(r1(t32.subw(1, 2, 0xfff), { 2: 0xffe })).toBe('0xffffffff');
    expect(hex(run(t32.subw(13, 13, 0x10)).r[13]!)).toBe(hex(BASE + 0x1000 - 0x10));
  });

  it('ADR.W (T3 add, T2 subtract) uses Align(PC, 4)', () => {
    expect(r1(t32.adr(1, 0xabc))).toBe(hex(BASE + 4 + 0xabc));
    expect(r1(t32.adr(1, 0xabc), {}, BASE + 2)).toBe(hex(BASE + 4 + 0xabc));
    expect(r1(t32.adr(1, -0x10), {}, BASE + 0x102)).toBe(hex(BASE + 0x104 - 0x10));
  });

  it('MOVW zero-extends; MOVT keeps the low half', () => {
    expect(r1(t32.movw(1, 0xabcd), { 1: 0xffffffff })).toBe('0x0000abcd');
    expect(r1(t32.movt(1, 0xabcd), { 1: 0x12345678 })).toBe('0xabcd5678');
  });
});

describe('saturation', () => {
  it('SSAT saturates to the signed range and sets Q', () => {
    let cpu = run(t32.ssat(1, 8, 2), { 2: 200 });
    expect([cpu.r[1], cpu.q]).toEqual([127, 1]);
    cpu = run(t32.ssat(1, 8, 2), { 2: 0xffffff00 });
    expect([hex(cpu.r[1]!), cpu.q]).toEqual(['0xffffff80', 1]);
    cpu = run(t32.ssat(1, 8, 2), { 2: 0xffffff80 });
    expect([hex(cpu.r[1]!), cpu.q]).toEqual(['0xffffff80', 0]);
    cpu = run(t32.ssat(1, 8, 2), { 2: 5 }, BASE, 1);
    expect([cpu.r[1], cpu.q]).toEqual([5, 1]); // Q is sticky
  });

  it('SSAT with shifts; #32 never saturates; #1 gives -1..0', () => {
    let cpu = run(t32.ssat(1, 16, 2, lsl(8)), { 2: 0x100 });
    expect([hex(cpu.r[1]!), cpu.q]).toEqual(['0x00007fff', 1]);
    cpu = run(t32.ssat(1, 16, 2, asr(31)), { 2: 0x80000000 });
    expect([hex(cpu.r[1]!), cpu.q]).toEqual(['0xffffffff', 0]);
    cpu = run(t32.ssat(1, 32, 2, lsl(3)), { 2: 0x30000000 });
    expect([hex(cpu.r[1]!), cpu.q]).toEqual(['0x80000000', 0]);
    cpu = run(t32.ssat(1, 1, 2), { 2: 1 });
    expect([cpu.r[1], cpu.q]).toEqual([0, 1]);
  });

  it('USAT clamps negatives to 0 and large values to 2^n - 1', () => {
    let cpu = run(t32.usat(1, 8, 2), { 2: 0xffffffff });
    expect([cpu.r[1], cpu.q]).toEqual([0, 1]);
    cpu = run(t32.usat(1, 8, 2), { 2: 256 });
    expect([cpu.r[1], cpu.q]).toEqual([255, 1]);
    cpu = run(t32.usat(1, 8, 2), { 2: 255 });
    expect([cpu.r[1], cpu.q]).toEqual([255, 0]);
    cpu = run(t32.usat(1, 31, 2, asr(4)), { 2: 0x80000000 });
    expect([cpu.r[1], cpu.q]).toEqual([0, 1]);
    cpu = run(t32.usat(1, 0, 2), { 2: 1 });
    expect([cpu.r[1], cpu.q]).toEqual([0, 1]);
  });

  it('SSAT16/USAT16 saturate each halfword', () => {
    let cpu = run(t32.ssat16(1, 8, 2), { 2: 0x0100ff00 });
    expect([hex(cpu.r[1]!), cpu.q]).toEqual(['0x007fff80', 1]);
    cpu = run(t32.ssat16(1, 16, 2), { 2: 0x80007fff });
    expect([hex(cpu.r[1]!), cpu.q]).toEqual(['0x80007fff', 0]);
    cpu = run(t32.usat16(1, 8, 2), { 2: 0x8000017f });
    expect([hex(cpu.r[1]!), cpu.q]).toEqual(['0x000000ff', 1]);
    cpu = run(t32.usat16(1, 15, 2), { 2: 0x00017fff });
    expect([hex(cpu.r[1]!), cpu.q]).toEqual(['0x00017fff', 0]);
  });
});

describe('bitfields', () => {
  it('SBFX / UBFX', () => {
    expect(r1(t32.sbfx(1, 2, 4, 8), { 2: 0x00000f80 })).toBe('0xfffffff8');
    expect(r1(t32.sbfx(1, 2, 4, 8), { 2: 0x000007f0 })).toBe('0x0000007f');
    expect(r1(t32.sbfx(1, 2, 31, 1), { 2: 0x80000000 })).toBe('0xffffffff');
    expect(r1(t32.ubfx(1, 2, 4, 8), { 2: 0x00000f80 })).toBe('0x000000f8');
    expect(r1(t32.ubfx(1, 2, 0, 32), { 2: 0x87654321 })).toBe('0x87654321');
    expect(r1(t32.sbfx(1, 2, 0, 32), { 2: 0x87654321 })).toBe('0x87654321');
  });

  it('BFI / BFC', () => {
    expect(r1(t32.bfi(1, 2, 4, 8), { 1: 0xffffffff, 2: 0x12345600 })).toBe('0xfffff00f');
    expect(r1(t32.bfi(1, 2, 0, 32), { 1: 0xffffffff, 2: 0x12345678 })).toBe('0x12345678');
    expect(r1(t32.bfi(1, 2, 31, 1), { 1: 0, 2: 0xffffffff })).toBe('0x80000000');
    expect(r1(t32.bfc(1, 4, 8), { 1: 0xffffffff })).toBe('0xfffff00f');
    expect(r1(t32.bfc(1, 0, 32), { 1: 0xffffffff })).toBe('0x00000000');
  });
});

describe('extends with rotation', () => {
  const x = 0x80ff7f01;
  it('SXTB/SXTH/UXTB/UXTH.W with rotation', () => {
    expect(r1(t32.sxtb(1, 3), { 3: x })).toBe('0x00000001');
    expect(r1(t32.sxtb(1, 3, 16), { 3: x })).toBe('0xffffffff');
    expect(r1(t32.sxtb(1, 3, 24), { 3: x })).toBe('0xffffff80');
    expect(r1(t32.sxth(1, 3, 8), { 3: x })).toBe('0xffffff7f');
    expect(r1(t32.uxtb(1, 3, 8), { 3: x })).toBe('0x0000007f');
    expect(r1(t32.uxth(1, 3, 16), { 3: x })).toBe('0x000080ff');
    expect(r1(t32.uxth(1, 3, 24), { 3: x })).toBe('0x00000180');
  });

  it('SXTAB/SXTAH/UXTAB/UXTAH add to Rn (mod 2^32)', () => {
    expect(r1(t32.sxtab(1, 2, 3, 24), { 2: 0x100, 3: x })).toBe('0x00000080');
    expect(r1(t32.sxtah(1, 2, 3, 16), { 2: 0, 3: x })).toBe('0xffff80ff');
    expect(r1(t32.uxtab(1, 2, 3, 16), { 2: 0xffffff01, 3: x })).toBe('0x00000000');
    expect(r1(t32.uxtah(1, 2, 3), { 2: 0xffff0000, 3: x })).toBe('0xffff7f01');
  });

  it('SXTB16/UXTB16/SXTAB16/UXTAB16 work on the two halfwords', () => {
    expect(r1(t32.sxtb16(1, 3), { 3: x })).toBe('0xffff0001');
    expect(r1(t32.sxtb16(1, 3, 8), { 3: x })).toBe('0xff80007f');
    expect(r1(t32.uxtb16(1, 3, 8), { 3: x })).toBe('0x0080007f');
    // halfword adds wrap independently: 0xffff + 0x0001 does not carry into the top half
    expect(r1(t32.sxtab16(1, 2, 3), { 2: 0x0001ffff, 3: 0x00ff0001 })).toBe('0x00000000');
    expect(r1(t32.uxtab16(1, 2, 3), { 2: 0x0001ffff, 3: 0x00ff0001 })).toBe('0x01000000');
  });
});

describe('REV, REV16, REVSH, RBIT, CLZ (32-bit)', () => {
  it('byte and bit reversal', () => {
    expect(r1(t32.rev(1, 3), { 3: 0x12345678 })).toBe('0x78563412');
    expect(r1(t32.rev16(1, 3), { 3: 0x12345678 })).toBe('0x34127856');
    expect(r1(t32.revsh(1, 3), { 3: 0x00001280 })).toBe('0xffff8012');
    expect(r1(t32.rbit(1, 3), { 3: 0x00000001 })).toBe('0x80000000');
    expect(r1(t32.rbit(1, 3), { 3: 0x12345678 })).toBe('0x1e6a2c48');
  });

  it('CLZ', () => {
    expect(run(t32.clz(1, 3), { 3: 0 }).r[1]).toBe(32);
    expect(run(t32.clz(1, 3), { 3: 1 }).r[1]).toBe(31);
    expect(run(t32.clz(1, 3), { 3: 0x80000000 }).r[1]).toBe(0);
  });
});

describe('UNPREDICTABLE encodings decode as UNDEFINED', () => {
  const raw = (hw: number | readonly number[]): [number, 2 | 4] =>
    typeof hw === 'number' ? [hw, 2] : [((hw[0]! << 16) | hw[1]!) >>> 0, 4];
  const cases: [string, number | readonly number[]][] = [
    ['ADD PC, PC (16-bit)', t16.addHi(15, 15)],
    ['CMP T2 with two low registers', t16.cmpHi(1, 2)],
    ['CMP T2 with PC', t16.cmpHi(15, 8)],
    ['AND.W SP, r1, #1', t32.andImm(13, 1, 1)],
    ['ORR.W r1, SP, #1', t32.orrImm(1, 13, 1)],
    ['MOV.W PC, #1', t32.movImm(15, 1)],
    ['ADD.W PC, r1, #1 (S = 0)', t32.addImm(15, 1, 1)],
    ['ADD.W r1, PC, #1', t32.addImm(1, 15, 1)],
    ['SUB.W SP, r1, #1', t32.subImm(13, 1, 1)],
    ['CMP.W PC, #1', t32.cmpImm(15, 1)],
    ['TST.W SP, #1', t32.tstImm(13, 1)],
    ['ADDW PC, SP, #1', t32.addw(15, 13, 1)],
    ['MOVW SP, #1', t32.movw(13, 1)],
    ['ADR.W PC', t32.adr(15, 4)],
    ['AND.W r1, r2, SP', t32.and(1, 2, 13)],
    ['ADD.W r1, PC, r2', t32.add(1, 15, 2)],
    ['ADD.W SP, SP, r1, LSL #4', t32.add(13, 13, 1, false, lsl(4))],
    ['SUB.W SP, SP, r1, ASR #1', t32.sub(13, 13, 1, false, asr(1))],
    ['MOV.W SP, SP', t32.mov(13, 13)],
    ['MOVS.W SP, r1', t32.mov(13, 1, true)],
    ['LSL.W r1, SP, #1', t32.mov(1, 13, false, lsl(1))],
    ['LSL.W r1, r2, SP', t32.lslReg(1, 2, 13)],
    ['SSAT SP', t32.ssat(13, 8, 1)],
    ['SBFX with lsb + width > 32', t32.sbfx(1, 2, 30, 4)],
    ['BFI with msb < lsb', t32.bfi(1, 2, 4, 0)],
    ['BFI from SP', t32.bfi(1, 13, 4, 4)],
    ['SXTAB r1, SP, r2', t32.sxtab(1, 13, 2)],
    ['UXTB.W PC, r2', t32.uxtb(15, 2)],
    ['REV.W with two different Rm fields', [0xfa93, 0xf182]],
    ['CLZ r1, PC', t32.clz(1, 15)],
  ];
  it.each(cases)('%s', (_name, hw) => {
    const [bits, size] = raw(hw);
    expect(decodeRaw(bits, size).encoding.name).toBe('UNDEFINED');
  });

  it('the allowed SP forms decode', () => {
    const ok: (number | readonly number[])[] = [
      t32.add(13, 13, 1, false, lsl(3)),
      t32.mov(13, 1),
      t32.mov(1, 13),
      t32.addSpImm(13, 4),
      t32.cmpImm(13, 4),
      t32.addw(13, 13, 4),
    ];
    for (const hw of ok) {
      const [bits, size] = raw(hw);
      expect(decodeRaw(bits, size).encoding.name).not.toBe('UNDEFINED');
    }
  });
});
