/**
 * Multiply, long multiply and divide: encoder vs the GNU assembler, disassembly, hand-computed
 * edge cases, and a sweep over edge operands against a BigInt model of the ARM ARM pseudocode
 * (written here, independent of execute/multiply.ts).
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.js';
import { decodeRaw } from '../decode/cache.js';
import * as E from '../encode/multiply.js';
import type { Halfwords } from '../encode/multiply.js';

const BASE = 0x20000000;
const CCR = 0xe000ed14;
const SHCSR = 0xe000ed24;
const CFSR = 0xe000ed28;
const HFSR = 0xe000ed2c;

const machine = new Machine();

/** Runs one instruction on a shared machine with the given registers (and Q/GE). */
function run(hw: Halfwords, regs: Record<number, number>, q = 0, m = machine): Machine {
  m.bus.write16(BASE, hw[0]);
  m.bus.write16(BASE + 2, hw[1]);
  m.cpu.setPc(BASE);
  m.cpu.r.fill(0, 0, 13);
  m.cpu.r[13] = BASE + 0x1000;
  for (const [k, v] of Object.entries(regs)) m.cpu.r[Number(k)] = v;
  m.cpu.q = q;
  m.cpu.ipsr = 0;
  m.cpu.step();
  return m;
}

const hex = (x: number): string => '0x' + (x >>> 0).toString(16).padStart(8, '0');
const raw = (hw: Halfwords): number => ((hw[0] << 16) | hw[1]) >>> 0;

describe('encodings agree with the GNU assembler and disassemble like objdump', () => {
  // arm-none-eabi-as -mcpu=cortex-m4 -mthumb; arm-none-eabi-objdump -d
  const cases: [Halfwords, number, string][] = [
    [E.mul(0, 1, 2), 0xfb01f002, 'mul.w\tr0, r1, r2'],
    [E.mla(0, 1, 2, 3), 0xfb013002, 'mla\tr0, r1, r2, r3'],
    [E.mls(0, 1, 2, 3), 0xfb013012, 'mls\tr0, r1, r2, r3'],
    [E.smla('bb', 0, 1, 2, 3), 0xfb113002, 'smlabb\tr0, r1, r2, r3'],
    [E.smla('bt', 0, 1, 2, 3), 0xfb113012, 'smlabt\tr0, r1, r2, r3'],
    [E.smla('tb', 0, 1, 2, 3), 0xfb113022, 'smlatb\tr0, r1, r2, r3'],
    [E.smul('tt', 0, 1, 2), 0xfb11f032, 'smultt\tr0, r1, r2'],
    [E.smlad(0, 1, 2, 3), 0xfb213002, 'smlad\tr0, r1, r2, r3'],
    [E.smlad(0, 1, 2, 3, true), 0xfb213012, 'smladx\tr0, r1, r2, r3'],
    [E.smuad(0, 1, 2), 0xfb21f002, 'smuad\tr0, r1, r2'],
    [E.smuad(0, 1, 2, true), 0xfb21f012, 'smuadx\tr0, r1, r2'],
    [E.smlaw('b', 0, 1, 2, 3), 0xfb313002, 'smlawb\tr0, r1, r2, r3'],
    [E.smlaw('t', 0, 1, 2, 3), 0xfb313012, 'smlawt\tr0, r1, r2, r3'],
    [E.smulw('t', 0, 1, 2), 0xfb31f012, 'smulwt\tr0, r1, r2'],
    [E.smlsd(0, 1, 2, 3), 0xfb413002, 'smlsd\tr0, r1, r2, r3'],
    [E.smlsd(0, 1, 2, 3, true), 0xfb413012, 'smlsdx\tr0, r1, r2, r3'],
    [E.smusd(0, 1, 2), 0xfb41f002, 'smusd\tr0, r1, r2'],
    [E.smusd(0, 1, 2, true), 0xfb41f012, 'smusdx\tr0, r1, r2'],
    [E.smmla(0, 1, 2, 3), 0xfb513002, 'smmla\tr0, r1, r2, r3'],
    [E.smmla(0, 1, 2, 3, true), 0xfb513012, 'smmlar\tr0, r1, r2, r3'],
    [E.smmul(0, 1, 2), 0xfb51f002, 'smmul\tr0, r1, r2'],
    [E.smmul(0, 1, 2, true), 0xfb51f012, 'smmulr\tr0, r1, r2'],
    [E.smmls(0, 1, 2, 3), 0xfb613002, 'smmls\tr0, r1, r2, r3'],
    [E.smmls(0, 1, 2, 3, true), 0xfb613012, 'smmlsr\tr0, r1, r2, r3'],
    [E.usad8(0, 1, 2), 0xfb71f002, 'usad8\tr0, r1, r2'],
    [E.usada8(0, 1, 2, 3), 0xfb713002, 'usada8\tr0, r1, r2, r3'],
    [E.smull(0, 1, 2, 3), 0xfb820103, 'smull\tr0, r1, r2, r3'],
    [E.umull(0, 1, 2, 3), 0xfba20103, 'umull\tr0, r1, r2, r3'],
    [E.smlal(0, 1, 2, 3), 0xfbc20103, 'smlal\tr0, r1, r2, r3'],
    [E.umlal(0, 1, 2, 3), 0xfbe20103, 'umlal\tr0, r1, r2, r3'],
    [E.smlalxy('bb', 0, 1, 2, 3), 0xfbc20183, 'smlalbb\tr0, r1, r2, r3'],
    [E.smlalxy('tt', 0, 1, 2, 3), 0xfbc201b3, 'smlaltt\tr0, r1, r2, r3'],
    [E.smlald(0, 1, 2, 3), 0xfbc201c3, 'smlald\tr0, r1, r2, r3'],
    [E.smlald(0, 1, 2, 3, true), 0xfbc201d3, 'smlaldx\tr0, r1, r2, r3'],
    [E.smlsld(0, 1, 2, 3), 0xfbd201c3, 'smlsld\tr0, r1, r2, r3'],
    [E.smlsld(0, 1, 2, 3, true), 0xfbd201d3, 'smlsldx\tr0, r1, r2, r3'],
    [E.umaal(0, 1, 2, 3), 0xfbe20163, 'umaal\tr0, r1, r2, r3'],
    [E.sdiv(0, 1, 2), 0xfb91f0f2, 'sdiv\tr0, r1, r2'],
    [E.udiv(0, 1, 2), 0xfbb1f0f2, 'udiv\tr0, r1, r2'],
    [E.mla(14, 12, 11, 10), 0xfb0cae0b, 'mla\tlr, r12, r11, r10'],
    [E.smlal(12, 14, 10, 11), 0xfbcace0b, 'smlal\tr12, lr, r10, r11'],
  ];
  it.each(cases.map(([hw, want, text]) => [text, hw, want] as const))('%s', (text, hw, want) => {
    expect(hex(raw(hw))).toBe(hex(want));
    const insn = decodeRaw(want, 4);
    expect(insn.encoding.asm(insn)).toBe(text);
  });
});

describe('edge cases (hand-computed)', () => {
  it('MUL/MLA/MLS keep the low 32 bits', () => {
    expect(run(E.mul(0, 1, 2), { 1: 0xffffffff, 2: 0xffffffff }).cpu.r[0]).toBe(1);
    expect(run(E.mul(0, 1, 2), { 1: 0x80000000, 2: 0x80000000 }).cpu.r[0]).toBe(0);
    expect(run(E.mul(0, 1, 2), { 1: 0x12345678, 2: 0x9abcdef0 }).cpu.r[0]).toBe(0x242d2080);
    expect(run(E.mla(0, 1, 2, 3), { 1: 0x80000000, 2: 2, 3: 1 }).cpu.r[0]).toBe(1);
    expect(run(E.mla(0, 1, 2, 3), { 1: 0xffffffff, 2: 1, 3: 0xffffffff }).cpu.r[0]).toBe(
      0xfffffffe,
    );
    expect(run(E.mls(0, 1, 2, 3), { 1: 1, 2: 1, 3: 0 }).cpu.r[0]).toBe(0xffffffff);
    expect(run(E.mls(0, 1, 2, 3), { 1: 3, 2: 0xffffffff, 3: 5 }).cpu.r[0]).toBe(8);
    // MUL/MLA do not touch the flags.
    const m = run(E.mul(0, 1, 2), { 1: 0, 2: 5 });
    expect([m.cpu.n, m.cpu.z]).toEqual([0, 0]);
  });

  it('SMLA<x><y> sets Q on overflow; SMUL<x><y> cannot overflow', () => {
    let m = run(E.smla('bb', 0, 1, 2, 3), { 1: 0x8000, 2: 0x8000, 3: 0x40000000 });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x80000000', 1]);
    m = run(E.smla('tt', 0, 1, 2, 3), { 1: 0x7fff0000, 2: 0x80000000, 3: 0x3fff8000 });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x00000000', 0]); // -0x3fff8000 + 0x3fff8000
    m = run(E.smla('tb', 0, 1, 2, 3), { 1: 0xffff0000, 2: 0x0000ffff, 3: 5 });
    expect([m.cpu.r[0], m.cpu.q]).toEqual([6, 0]); // -1 * -1 + 5
    m = run(E.smla('bt', 0, 1, 2, 3), { 1: 0x00000002, 2: 0x80000000, 3: 0x80000000 }, 0);
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x7fff0000', 1]); // -2^31 - 2^16 wraps
    m = run(E.smla('bb', 0, 1, 2, 3), { 1: 1, 2: 1, 3: 1 }, 1);
    expect(m.cpu.q).toBe(1); // sticky
    m = run(E.smul('tt', 0, 1, 2), { 1: 0x80000000, 2: 0x80000000 });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x40000000', 0]);
    m = run(E.smul('bt', 0, 1, 2), { 1: 0x0000ffff, 2: 0x7fff0000 });
    expect(hex(m.cpu.r[0]!)).toBe('0xffff8001');
  });

  it('SMLAD/SMUAD set Q only when the sum overflows; X exchanges Rm', () => {
    let m = run(E.smuad(0, 1, 2), { 1: 0x80008000, 2: 0x80008000 });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x80000000', 1]);
    m = run(E.smuad(0, 1, 2), { 1: 0x80007fff, 2: 0x80008000 });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x00008000', 0]);
    m = run(E.smlad(0, 1, 2, 3), { 1: 0x00020003, 2: 0x00050007, 3: 100 });
    expect(m.cpu.r[0]).toBe(100 + 3 * 7 + 2 * 5);
    m = run(E.smlad(0, 1, 2, 3, true), { 1: 0x00020003, 2: 0x00050007, 3: 100 });
    expect(m.cpu.r[0]).toBe(100 + 3 * 5 + 2 * 7);
    m = run(E.smuad(0, 1, 2, true), { 1: 0xffff0001, 2: 0x00030004 });
    expect(m.cpu.r[0]).toBe(1 * 3 - 1 * 4 + 0x100000000);
    m = run(E.smlad(0, 1, 2, 3), { 1: 0x40004000, 2: 0x00010001, 3: 0x7fff8000 });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x80000000', 1]);
    m = run(E.smlad(0, 1, 2, 3), { 1: 0x80008000, 2: 0x80008000, 3: 0xffffffff });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x7fffffff', 0]); // 2^31 - 1 fits
  });

  it('SMLSD sets Q on overflow, SMUSD never does', () => {
    let m = run(E.smlsd(0, 1, 2, 3), { 1: 0x00018000, 2: 0x00018000, 3: 0x40000000 });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x7fffffff', 0]); // 2^30 - 1 + 2^30
    m = run(E.smlsd(0, 1, 2, 3), { 1: 0x00018000, 2: 0x00018000, 3: 0x40000001 });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x80000000', 1]);
    m = run(E.smusd(0, 1, 2), { 1: 0x80008000, 2: 0x7fff8000 });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0x7fff8000', 0]); // 2^30 + 32768 * 32767
    m = run(E.smusd(0, 1, 2, true), { 1: 0x00030002, 2: 0x00050007 });
    expect(m.cpu.r[0]).toBe(2 * 5 - 3 * 7 + 0x100000000);
  });

  it('SMLAW<y>/SMULW<y> keep bits 47:16 of the 48-bit product', () => {
    let m = run(E.smulw('b', 0, 1, 2), { 1: 0x80000000, 2: 0x8000 });
    expect(hex(m.cpu.r[0]!)).toBe('0x40000000');
    m = run(E.smulw('t', 0, 1, 2), { 1: 0xffffffff, 2: 0x00010000 });
    expect(hex(m.cpu.r[0]!)).toBe('0xffffffff'); // -1 >> 16 rounds toward -infinity
    m = run(E.smlaw('b', 0, 1, 2, 3), { 1: 0x7fffffff, 2: 0x7fff, 3: 0x7fffffff });
    expect([hex(m.cpu.r[0]!), m.cpu.q]).toEqual(['0xbfff7ffe', 1]);
    m = run(E.smlaw('t', 0, 1, 2, 3), { 1: 0x00030000, 2: 0x00050000, 3: 7 });
    expect([m.cpu.r[0], m.cpu.q]).toEqual([22, 0]);
  });

  it('SMMUL/SMMLA/SMMLS take the top word, R rounds half up', () => {
    expect(run(E.smmul(0, 1, 2), { 1: 0x40000000, 2: 3 }).cpu.r[0]).toBe(0);
    expect(run(E.smmul(0, 1, 2, true), { 1: 0x40000000, 2: 3 }).cpu.r[0]).toBe(1);
    expect(run(E.smmul(0, 1, 2), { 1: 0x40000000, 2: 2 }).cpu.r[0]).toBe(0);
    expect(run(E.smmul(0, 1, 2, true), { 1: 0x40000000, 2: 2 }).cpu.r[0]).toBe(1); // exactly .5
    expect(run(E.smmul(0, 1, 2), { 1: 0xffffffff, 2: 1 }).cpu.r[0]).toBe(0xffffffff);
    expect(run(E.smmul(0, 1, 2, true), { 1: 0xffffffff, 2: 1 }).cpu.r[0]).toBe(0);
    expect(run(E.smmul(0, 1, 2, true), { 1: 0x80000000, 2: 1 }).cpu.r[0]).toBe(0); // -0.5 → 0
    expect(run(E.smmul(0, 1, 2, true), { 1: 0x80000001, 2: 1 }).cpu.r[0]).toBe(0); // -0.49999
    expect(run(E.smmul(0, 1, 2, true), { 1: 3, 2: 0xd5555555 }).cpu.r[0]).toBe(0xffffffff); // -0.50000
    expect(hex(run(E.smmul(0, 1, 2), { 1: 0x80000000, 2: 0x80000000 }).cpu.r[0]!)).toBe(
      '0x40000000',
    );
    expect(
      hex(run(E.smmla(0, 1, 2, 3), { 1: 0x80000000, 2: 0x80000000, 3: 0xc0000000 }).cpu.r[0]!),
    ).toBe('0x00000000');
    expect(run(E.smmla(0, 1, 2, 3, true), { 1: 0x40000000, 2: 2, 3: 0xffffffff }).cpu.r[0]).toBe(0);
    expect(run(E.smmls(0, 1, 2, 3), { 1: 1, 2: 1, 3: 0 }).cpu.r[0]).toBe(0xffffffff);
    expect(run(E.smmls(0, 1, 2, 3, true), { 1: 1, 2: 1, 3: 0 }).cpu.r[0]).toBe(0);
    expect(run(E.smmls(0, 1, 2, 3), { 1: 0xffffffff, 2: 1, 3: 5 }).cpu.r[0]).toBe(5); // 5<<32 + 1
    expect(run(E.smmls(0, 1, 2, 3, true), { 1: 0x80000000, 2: 1, 3: 5 }).cpu.r[0]).toBe(6);
    expect(run(E.smmls(0, 1, 2, 3), { 1: 0, 2: 0, 3: 0x80000000 }).cpu.r[0]).toBe(0x80000000);
  });

  it('USAD8/USADA8 sum absolute byte differences', () => {
    expect(run(E.usad8(0, 1, 2), { 1: 0x00ff00ff, 2: 0xff00ff00 }).cpu.r[0]).toBe(1020);
    expect(run(E.usad8(0, 1, 2), { 1: 0x01020304, 2: 0x04030201 }).cpu.r[0]).toBe(8);
    expect(
      run(E.usada8(0, 1, 2, 3), { 1: 0x00ff00ff, 2: 0xff00ff00, 3: 0xffffffff }).cpu.r[0],
    ).toBe(1019);
  });

  it('SMULL/UMULL give exact 64-bit products', () => {
    let m = run(E.smull(3, 4, 1, 2), { 1: 0x80000000, 2: 0x80000000 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0x00000000', '0x40000000']);
    m = run(E.smull(3, 4, 1, 2), { 1: 0xffffffff, 2: 0x80000000 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0x80000000', '0x00000000']);
    m = run(E.smull(3, 4, 1, 2), { 1: 0x7fffffff, 2: 0x80000000 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0x80000000', '0xc0000000']);
    m = run(E.umull(3, 4, 1, 2), { 1: 0xffffffff, 2: 0xffffffff });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0x00000001', '0xfffffffe']);
    m = run(E.umull(3, 4, 1, 2), { 1: 0x12345678, 2: 0x9abcdef0 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0x242d2080', '0x0b00ea4e']);
    // Rn/Rm may be RdLo/RdHi: the operands are read first.
    m = run(E.umull(1, 2, 1, 2), { 1: 0x10000, 2: 0x10000 });
    expect([m.cpu.r[1], m.cpu.r[2]]).toEqual([0, 1]);
  });

  it('SMLAL/UMLAL/UMAAL carry between the halves', () => {
    let m = run(E.smlal(3, 4, 1, 2), { 1: 1, 2: 1, 3: 0xffffffff, 4: 0 });
    expect([m.cpu.r[3], m.cpu.r[4]]).toEqual([0, 1]);
    m = run(E.smlal(3, 4, 1, 2), { 1: 0xffffffff, 2: 1, 3: 0, 4: 0 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0xffffffff', '0xffffffff']);
    m = run(E.smlal(3, 4, 1, 2), { 1: 0x80000000, 2: 0x80000000, 3: 0, 4: 0xc0000000 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0x00000000', '0x00000000']);
    m = run(E.umlal(3, 4, 1, 2), { 1: 1, 2: 1, 3: 0xffffffff, 4: 0xffffffff });
    expect([m.cpu.r[3], m.cpu.r[4]]).toEqual([0, 0]);
    m = run(E.umlal(3, 4, 1, 2), { 1: 0xffffffff, 2: 0xffffffff, 3: 0xffffffff, 4: 1 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0x00000000', '0x00000000']);
    m = run(E.umaal(3, 4, 1, 2), { 1: 0xffffffff, 2: 0xffffffff, 3: 0xffffffff, 4: 0xffffffff });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0xffffffff', '0xffffffff']);
    m = run(E.umaal(3, 4, 1, 2), { 1: 0, 2: 0, 3: 0xffffffff, 4: 0xffffffff });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0xfffffffe', '0x00000001']);
    expect(m.cpu.q).toBe(0);
  });

  it('SMLAL<x><y>/SMLALD/SMLSLD sign-extend into 64 bits', () => {
    let m = run(E.smlalxy('bb', 3, 4, 1, 2), { 1: 0x8000, 2: 0x7fff });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0xc0008000', '0xffffffff']);
    m = run(E.smlalxy('tb', 3, 4, 1, 2), { 1: 0xffff0000, 2: 1, 3: 0, 4: 1 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0xffffffff', '0x00000000']);
    m = run(E.smlalxy('bt', 3, 4, 1, 2), { 1: 2, 2: 0x00030000, 3: 0xfffffffe, 4: 7 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0x00000004', '0x00000008']);
    m = run(E.smlald(3, 4, 1, 2), { 1: 0x80008000, 2: 0x80008000 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!), m.cpu.q]).toEqual(['0x80000000', '0x00000000', 0]);
    m = run(E.smlald(3, 4, 1, 2, true), {
      1: 0x00020003,
      2: 0x00050007,
      3: 0xffffffff,
      4: 0xffffffff,
    });
    expect([m.cpu.r[3], m.cpu.r[4]]).toEqual([28, 0]); // -1 + 3*5 + 2*7
    m = run(E.smlsld(3, 4, 1, 2), { 1: 0x7fff8000, 2: 0x80007fff });
    // -32768*32767 - 32767*-32768 = 0
    expect([m.cpu.r[3], m.cpu.r[4]]).toEqual([0, 0]);
    m = run(E.smlsld(3, 4, 1, 2), { 1: 0x80000001, 2: 0x7fff0001 });
    // 1*1 - (-32768*32767) = 1073709057
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0x3fff8001', '0x00000000']);
    m = run(E.smlsld(3, 4, 1, 2, true), { 1: 0x00010000, 2: 0x00000001, 3: 0, 4: 0 });
    expect([hex(m.cpu.r[3]!), hex(m.cpu.r[4]!)]).toEqual(['0xffffffff', '0xffffffff']); // 0 - 1*1
  });

  it('SDIV rounds toward zero; INT_MIN / -1 = INT_MIN; /0 = 0 without the trap', () => {
    const sdiv = (n: number, d: number): number => run(E.sdiv(0, 1, 2), { 1: n, 2: d }).cpu.r[0]!;
    expect(hex(sdiv(7, -2 >>> 0))).toBe('0xfffffffd');
    expect(hex(sdiv(-7 >>> 0, 2))).toBe('0xfffffffd');
    expect(sdiv(-7 >>> 0, -2 >>> 0)).toBe(3);
    expect(hex(sdiv(0x80000000, 0xffffffff))).toBe('0x80000000');
    expect(hex(sdiv(0x80000000, 1))).toBe('0x80000000');
    expect(sdiv(0x7fffffff, 0x80000000)).toBe(0);
    expect(sdiv(0x80000000, 0x80000000)).toBe(1);
    expect(sdiv(5, 0)).toBe(0);
    expect(run(E.sdiv(0, 1, 2), { 0: 99, 1: 5, 2: 0 }).cpu.ipsr).toBe(0);
  });

  it('UDIV truncates; /0 = 0 without the trap', () => {
    const udiv = (n: number, d: number): number => run(E.udiv(0, 1, 2), { 1: n, 2: d }).cpu.r[0]!;
    expect(hex(udiv(0xffffffff, 1))).toBe('0xffffffff');
    expect(udiv(0xffffffff, 0x10000)).toBe(0xffff);
    expect(udiv(0x80000000, 0xffffffff)).toBe(0);
    expect(udiv(0xfffffffe, 0x7fffffff)).toBe(2);
    expect(udiv(5, 0)).toBe(0);
  });

  it('divide by zero with CCR.DIV_0_TRP raises UsageFault DIVBYZERO', () => {
    for (const [name, hw] of [
      ['sdiv', E.sdiv(0, 1, 2)],
      ['udiv', E.udiv(0, 1, 2)],
    ] as const) {
      const m = new Machine();
      m.bus.write32(CCR, m.bus.read32(CCR) | 0x10);
      m.bus.write32(SHCSR, 1 << 18); // USGFAULTENA
      run(hw, { 0: 99, 1: 5, 2: 0 }, 0, m);
      expect(m.cpu.ipsr, name).toBe(6);
      expect(m.bus.read32(CFSR) >>> 0).toBe(1 << 25);
      expect(m.cpu.r[0]).toBe(99); // the destination is not written
      // A non-zero divisor still divides.
      run(hw, { 1: 10, 2: 3 }, 0, m);
      expect(m.cpu.r[0]).toBe(3);
      // With UsageFault disabled it escalates to HardFault (HFSR.FORCED).
      const h = new Machine();
      h.bus.write32(CCR, h.bus.read32(CCR) | 0x10);
      run(hw, { 1: 5, 2: 0 }, 0, h);
      expect(h.cpu.ipsr).toBe(3);
      expect(h.bus.read32(HFSR) >>> 0).toBe(0x40000000);
      expect(h.bus.read32(CFSR) >>> 0).toBe(1 << 25);
    }
  });

  it('divides take 2-12 cycles, more for larger quotients', () => {
    const cycles = (hw: Halfwords, n: number, d: number): number => {
      const before = machine.clock.cycles;
      run(hw, { 1: n, 2: d });
      return machine.clock.cycles - before;
    };
    for (const hw of [E.sdiv(0, 1, 2), E.udiv(0, 1, 2)]) {
      const small = cycles(hw, 7, 3);
      const large = cycles(hw, 0x7fffffff, 1);
      expect(small).toBe(2);
      expect(large).toBeGreaterThan(small);
      expect(large).toBeLessThanOrEqual(12);
      expect(cycles(hw, 5, 0)).toBeGreaterThanOrEqual(2);
    }
    expect(cycles(E.smull(3, 4, 1, 2), 0xffffffff, 0xffffffff)).toBe(1);
    expect(cycles(E.mla(0, 1, 2, 3), 0xffffffff, 0xffffffff)).toBe(1);
  });
});

describe('UNPREDICTABLE register choices are UNDEFINSTR', () => {
  const cases: [string, Halfwords][] = [
    ['mul rd=sp', E.mul(13, 1, 2)],
    ['mla rn=pc', E.mla(0, 15, 2, 3)],
    ['mls ra=sp', E.mls(0, 1, 2, 13)],
    ['smlabb rm=sp', E.smla('bb', 0, 1, 13, 3)],
    ['smmls ra=pc', E.smmls(0, 1, 2, 15)],
    ['usada8 ra=sp', E.usada8(0, 1, 2, 13)],
    ['smull rdlo=rdhi', E.smull(3, 3, 1, 2)],
    ['umlal rdhi=pc', E.umlal(3, 15, 1, 2)],
    ['umaal rdlo=rdhi', E.umaal(5, 5, 1, 2)],
    ['smlald rdlo=sp', E.smlald(13, 4, 1, 2)],
    ['sdiv rd=pc', E.sdiv(15, 1, 2)],
    ['udiv rm=sp', E.udiv(0, 1, 13)],
    ['sdiv bits 15:12 not 1111', [0xfb91, 0x70f2]],
  ];
  it.each(cases)('%s', (_name, hw) => {
    const m = new Machine();
    m.bus.write32(SHCSR, 1 << 18);
    run(hw, { 0: 0x1234, 1: 6, 2: 3 }, 0, m);
    expect(m.cpu.ipsr).toBe(6);
    expect(m.bus.read32(CFSR) >>> 0).toBe(1 << 16); // UNDEFINSTR
    expect(m.cpu.r[0]).toBe(0x1234);
  });
});

// ---- BigInt model of the pseudocode, for the sweep ----

const S = (x: number): bigint => BigInt.asIntN(32, BigInt(x >>> 0));
const U = (x: number): bigint => BigInt(x >>> 0);
const H = (x: number, top: boolean): bigint =>
  BigInt.asIntN(16, BigInt(top ? x >>> 16 : x & 0xffff));
const low32 = (x: bigint): number => Number(BigInt.asUintN(32, x));
const high32 = (x: bigint): number => Number(BigInt.asUintN(32, x >> 32n));
const overflows = (x: bigint): boolean => x !== BigInt.asIntN(32, x);
const swap = (x: number): number => ((x >>> 16) | (x << 16)) >>> 0;
const wide = (lo: number, hi: number): bigint => (U(hi) << 32n) | U(lo);

/** Reference result of a 32-bit-result form: [Rd, Q set]. */
type Short = (n: number, m: number, a: number) => [bigint, boolean];
const dual = (n: number, m: number, sub: boolean): bigint =>
  H(n, false) * H(m, false) + (sub ? -1n : 1n) * H(n, true) * H(m, true);

const shortForms: [string, Halfwords, Short][] = [
  ['mul', E.mul(0, 1, 2), (n, m) => [S(n) * S(m), false]],
  ['mla', E.mla(0, 1, 2, 3), (n, m, a) => [S(n) * S(m) + S(a), false]],
  ['mls', E.mls(0, 1, 2, 3), (n, m, a) => [S(a) - S(n) * S(m), false]],
  ...(['bb', 'bt', 'tb', 'tt'] as const).flatMap((h): [string, Halfwords, Short][] => {
    const p = (n: number, m: number): bigint => H(n, h[0] === 't') * H(m, h[1] === 't');
    return [
      [`smla${h}`, E.smla(h, 0, 1, 2, 3), (n, m, a) => [p(n, m) + S(a), overflows(p(n, m) + S(a))]],
      [`smul${h}`, E.smul(h, 0, 1, 2), (n, m) => [p(n, m), false]],
    ];
  }),
  ...[false, true].flatMap((x): [string, Halfwords, Short][] => {
    const mm = (m: number): number => (x ? swap(m) : m);
    const sfx = x ? 'x' : '';
    return [
      [
        `smlad${sfx}`,
        E.smlad(0, 1, 2, 3, x),
        (n, m, a) => {
          const r = dual(n, mm(m), false) + S(a);
          return [r, overflows(r)];
        },
      ],
      [
        `smuad${sfx}`,
        E.smuad(0, 1, 2, x),
        (n, m) => [dual(n, mm(m), false), overflows(dual(n, mm(m), false))],
      ],
      [
        `smlsd${sfx}`,
        E.smlsd(0, 1, 2, 3, x),
        (n, m, a) => {
          const r = dual(n, mm(m), true) + S(a);
          return [r, overflows(r)];
        },
      ],
      [`smusd${sfx}`, E.smusd(0, 1, 2, x), (n, m) => [dual(n, mm(m), true), false]],
    ];
  }),
  ...(['b', 't'] as const).flatMap((y): [string, Halfwords, Short][] => [
    [
      `smlaw${y}`,
      E.smlaw(y, 0, 1, 2, 3),
      (n, m, a) => {
        const r = (S(n) * H(m, y === 't') + (S(a) << 16n)) >> 16n;
        return [r, overflows(r)];
      },
    ],
    [`smulw${y}`, E.smulw(y, 0, 1, 2), (n, m) => [(S(n) * H(m, y === 't')) >> 16n, false]],
  ]),
  ...[false, true].flatMap((r): [string, Halfwords, Short][] => {
    const rnd = r ? 0x80000000n : 0n;
    const sfx = r ? 'r' : '';
    return [
      [`smmul${sfx}`, E.smmul(0, 1, 2, r), (n, m) => [(S(n) * S(m) + rnd) >> 32n, false]],
      [
        `smmla${sfx}`,
        E.smmla(0, 1, 2, 3, r),
        (n, m, a) => [((S(a) << 32n) + S(n) * S(m) + rnd) >> 32n, false],
      ],
      [
        `smmls${sfx}`,
        E.smmls(0, 1, 2, 3, r),
        (n, m, a) => [((S(a) << 32n) - S(n) * S(m) + rnd) >> 32n, false],
      ],
    ];
  }),
  ['usad8', E.usad8(0, 1, 2), (n, m) => [absDiff(n, m), false]],
  ['usada8', E.usada8(0, 1, 2, 3), (n, m, a) => [absDiff(n, m) + U(a), false]],
];

function absDiff(n: number, m: number): bigint {
  let s = 0;
  for (let k = 0; k < 4; k++) s += Math.abs(((n >>> (8 * k)) & 0xff) - ((m >>> (8 * k)) & 0xff));
  return BigInt(s);
}

/** Reference of a long form: new RdHi:RdLo from Rn, Rm and the old RdHi:RdLo. */
type Long = (n: number, m: number, acc: bigint, lo: number, hi: number) => bigint;
const longForms: [string, Halfwords, Long][] = [
  ['smull', E.smull(3, 4, 1, 2), (n, m) => S(n) * S(m)],
  ['umull', E.umull(3, 4, 1, 2), (n, m) => U(n) * U(m)],
  ['smlal', E.smlal(3, 4, 1, 2), (n, m, acc) => S(n) * S(m) + acc],
  ['umlal', E.umlal(3, 4, 1, 2), (n, m, acc) => U(n) * U(m) + acc],
  ['umaal', E.umaal(3, 4, 1, 2), (n, m, _acc, lo, hi) => U(n) * U(m) + U(lo) + U(hi)],
  ...(['bb', 'bt', 'tb', 'tt'] as const).map((h): [string, Halfwords, Long] => [
    `smlal${h}`,
    E.smlalxy(h, 3, 4, 1, 2),
    (n, m, acc) => H(n, h[0] === 't') * H(m, h[1] === 't') + acc,
  ]),
  ...[false, true].flatMap((x): [string, Halfwords, Long][] => [
    [
      `smlald${x ? 'x' : ''}`,
      E.smlald(3, 4, 1, 2, x),
      (n, m, acc) => dual(n, x ? swap(m) : m, false) + acc,
    ],
    [
      `smlsld${x ? 'x' : ''}`,
      E.smlsld(3, 4, 1, 2, x),
      (n, m, acc) => dual(n, x ? swap(m) : m, true) + acc,
    ],
  ]),
];

const EDGES = [
  0, 1, 2, 3, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe,
  0xffffffff, 0x80008000, 0x7fff7fff, 0xffff0000, 0x7fff8000, 0x80007fff, 0x00ff00ff, 0x12345678,
];

/** Deterministic operand stream: every edge pair, then xorshift values. */
function* operands(count: number): Generator<[number, number, number, number]> {
  let s = 0x2545f491;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  for (const n of EDGES) for (const m of EDGES) yield [n, m, EDGES[next() % EDGES.length]!, next()];
  for (let k = 0; k < count; k++) yield [next(), next(), next(), next()];
}

describe('sweep against the BigInt model', () => {
  it.each(shortForms)('%s', (_name, hw, ref) => {
    for (const [n, m, a] of operands(300)) {
      for (const q of [0, 1]) {
        const mach = run(hw, { 1: n, 2: m, 3: a }, q);
        const [want, sat] = ref(n, m, a);
        const ctx = `n=${hex(n)} m=${hex(m)} a=${hex(a)}`;
        expect(hex(mach.cpu.r[0]!), ctx).toBe(hex(low32(want)));
        expect(mach.cpu.q, ctx).toBe(q | (sat ? 1 : 0));
        expect([mach.cpu.r[1], mach.cpu.r[2], mach.cpu.r[3]]).toEqual([n, m, a]);
      }
    }
  });

  it.each(longForms)('%s', (_name, hw, ref) => {
    for (const [n, m, lo, hi] of operands(300)) {
      const mach = run(hw, { 1: n, 2: m, 3: lo, 4: hi });
      const want = ref(n, m, wide(lo, hi), lo, hi);
      const ctx = `n=${hex(n)} m=${hex(m)} acc=${hex(hi)}:${hex(lo)}`;
      expect([hex(mach.cpu.r[3]!), hex(mach.cpu.r[4]!)], ctx).toEqual([
        hex(low32(want)),
        hex(high32(want)),
      ]);
      expect(mach.cpu.q).toBe(0);
    }
  });

  it('sdiv/udiv', () => {
    for (const [n, m] of operands(500)) {
      const s = run(E.sdiv(0, 1, 2), { 1: n, 2: m }).cpu.r[0]!;
      const sw = m === 0 ? 0n : S(n) / S(m); // BigInt division truncates toward zero
      expect(hex(s), `sdiv ${hex(n)} ${hex(m)}`).toBe(hex(low32(sw)));
      const u = run(E.udiv(0, 1, 2), { 1: n, 2: m }).cpu.r[0]!;
      expect(hex(u), `udiv ${hex(n)} ${hex(m)}`).toBe(hex(m === 0 ? 0 : low32(U(n) / U(m))));
    }
  });
});
