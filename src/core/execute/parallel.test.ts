/**
 * Parallel add/subtract, QADD/QSUB/QDADD/QDSUB, SEL and PKH: encoder vs the GNU assembler,
 * hand-computed lanes and GE bits, and a sweep against a lane-by-lane model of the ARM ARM
 * pseudocode written here (independent of execute/parallel.ts).
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.js';
import { decodeRaw } from '../decode/cache.js';
import * as E from '../encode/multiply.js';
import type { Halfwords, ParallelMnemonic } from '../encode/multiply.js';

const BASE = 0x20000000;
const SHCSR = 0xe000ed24;
const CFSR = 0xe000ed28;
const machine = new Machine();

function run(hw: Halfwords, regs: Record<number, number>, ge = 0, q = 0, m = machine): Machine {
  m.bus.write16(BASE, hw[0]);
  m.bus.write16(BASE + 2, hw[1]);
  m.cpu.setPc(BASE);
  m.cpu.r.fill(0, 0, 13);
  m.cpu.r[13] = BASE + 0x1000;
  for (const [k, v] of Object.entries(regs)) m.cpu.r[Number(k)] = v;
  m.cpu.ge = ge;
  m.cpu.q = q;
  m.cpu.ipsr = 0;
  m.cpu.step();
  return m;
}

const hex = (x: number): string => '0x' + (x >>> 0).toString(16).padStart(8, '0');
const raw = (hw: Halfwords): number => ((hw[0] << 16) | hw[1]) >>> 0;

const PREFIXES = ['s', 'q', 'sh', 'u', 'uq', 'uh'] as const;
const OPS = ['add16', 'asx', 'sax', 'sub16', 'add8', 'sub8'] as const;
const MNEMONICS: ParallelMnemonic[] = PREFIXES.flatMap((p) =>
  OPS.map((o): ParallelMnemonic => `${p}${o}`),
);

describe('encodings agree with the GNU assembler and disassemble like objdump', () => {
  // arm-none-eabi-as -mcpu=cortex-m4 -mthumb; arm-none-eabi-objdump -d (op r0, r1, r2)
  const GNU: Record<string, number> = {
    sadd16: 0xfa91f002,
    sasx: 0xfaa1f002,
    ssax: 0xfae1f002,
    ssub16: 0xfad1f002,
    sadd8: 0xfa81f002,
    ssub8: 0xfac1f002,
    qadd16: 0xfa91f012,
    qasx: 0xfaa1f012,
    qsax: 0xfae1f012,
    qsub16: 0xfad1f012,
    qadd8: 0xfa81f012,
    qsub8: 0xfac1f012,
    shadd16: 0xfa91f022,
    shasx: 0xfaa1f022,
    shsax: 0xfae1f022,
    shsub16: 0xfad1f022,
    shadd8: 0xfa81f022,
    shsub8: 0xfac1f022,
    uadd16: 0xfa91f042,
    uasx: 0xfaa1f042,
    usax: 0xfae1f042,
    usub16: 0xfad1f042,
    uadd8: 0xfa81f042,
    usub8: 0xfac1f042,
    uqadd16: 0xfa91f052,
    uqasx: 0xfaa1f052,
    uqsax: 0xfae1f052,
    uqsub16: 0xfad1f052,
    uqadd8: 0xfa81f052,
    uqsub8: 0xfac1f052,
    uhadd16: 0xfa91f062,
    uhasx: 0xfaa1f062,
    uhsax: 0xfae1f062,
    uhsub16: 0xfad1f062,
    uhadd8: 0xfa81f062,
    uhsub8: 0xfac1f062,
  };
  it.each(MNEMONICS)('%s', (mn) => {
    const hw = E.parallel(mn, 0, 1, 2);
    expect(hex(raw(hw))).toBe(hex(GNU[mn]!));
    const insn = decodeRaw(raw(hw), 4);
    expect(insn.encoding.name).toBe(`${mn.toUpperCase()} T1`);
    expect(insn.encoding.asm(insn)).toBe(`${mn}\tr0, r1, r2`);
  });

  const misc: [Halfwords, number, string][] = [
    [E.qadd(0, 1, 2), 0xfa82f081, 'qadd\tr0, r1, r2'],
    [E.qsub(0, 1, 2), 0xfa82f0a1, 'qsub\tr0, r1, r2'],
    [E.qdadd(0, 1, 2), 0xfa82f091, 'qdadd\tr0, r1, r2'],
    [E.qdsub(0, 1, 2), 0xfa82f0b1, 'qdsub\tr0, r1, r2'],
    [E.sel(0, 1, 2), 0xfaa1f082, 'sel\tr0, r1, r2'],
    [E.pkhbt(0, 1, 2), 0xeac10002, 'pkhbt\tr0, r1, r2'],
    [E.pkhbt(0, 1, 2, 15), 0xeac130c2, 'pkhbt\tr0, r1, r2, lsl #15'],
    [E.pkhbt(0, 1, 2, 31), 0xeac170c2, 'pkhbt\tr0, r1, r2, lsl #31'],
    [E.pkhtb(0, 1, 2, 1), 0xeac10062, 'pkhtb\tr0, r1, r2, asr #1'],
    [E.pkhtb(0, 1, 2, 16), 0xeac14022, 'pkhtb\tr0, r1, r2, asr #16'],
    [E.pkhtb(0, 1, 2, 32), 0xeac10022, 'pkhtb\tr0, r1, r2, asr #32'],
  ];
  it.each(misc.map(([hw, want, text]) => [text, hw, want] as const))('%s', (_t, hw, want) => {
    expect(hex(raw(hw))).toBe(hex(want));
    const insn = decodeRaw(want, 4);
    expect(insn.encoding.asm(insn)).toBe(_t);
  });
});

describe('parallel add/subtract (hand-computed)', () => {
  const p = (mn: ParallelMnemonic, n: number, m: number, ge = 0): [string, number] => {
    const mach = run(E.parallel(mn, 0, 1, 2), { 1: n, 2: m }, ge);
    return [hex(mach.cpu.r[0]!), mach.cpu.ge];
  };

  it('S forms set GE per lane from the signed result', () => {
    expect(p('sadd16', 0x7fff8000, 0x00018000)).toEqual(['0x80000000', 0b1100]);
    expect(p('ssub16', 0x00000001, 0x00010001)).toEqual(['0xffff0000', 0b0011]);
    expect(p('sasx', 0x00050003, 0x00020001)).toEqual(['0x00060001', 0b1111]);
    expect(p('ssax', 0x00050003, 0x00020001)).toEqual(['0x00040005', 0b1111]);
    expect(p('sasx', 0x80000000, 0x00010001)).toEqual(['0x8001ffff', 0b0000]);
    expect(p('sadd8', 0x7f80ff01, 0x01800101)).toEqual(['0x80000002', 0b1011]);
    expect(p('ssub8', 0x80007f00, 0x01010101)).toEqual(['0x7fff7eff', 0b0010]);
  });

  it('U forms set GE from carry (add) or no borrow (subtract)', () => {
    expect(p('uadd16', 0xffff0001, 0x0001ffff)).toEqual(['0x00000000', 0b1111]);
    expect(p('uadd16', 0xfffe0001, 0x00010001)).toEqual(['0xffff0002', 0b0000]);
    expect(p('usub16', 0x00010000, 0x00000001)).toEqual(['0x0001ffff', 0b1100]);
    expect(p('usub16', 0x00000000, 0x00000000, 0)).toEqual(['0x00000000', 0b1111]);
    expect(p('uasx', 0x00050003, 0x00040001)).toEqual(['0x0006ffff', 0b0000]);
    expect(p('uasx', 0xffff0003, 0x00010001, 0)).toEqual(['0x00000002', 0b1111]);
    expect(p('usax', 0x0000ffff, 0x00010001)).toEqual(['0xffff0000', 0b0011]);
    expect(p('uadd8', 0x7f80ff01, 0x01800101)).toEqual(['0x80000002', 0b0110]);
    expect(p('usub8', 0x00ff0102, 0x01fe0201)).toEqual(['0xff01ff01', 0b0101]);
  });

  it('Q and UQ forms saturate each lane and leave GE and Q alone', () => {
    expect(p('qadd16', 0x7fff8000, 0x0001ffff, 0b1010)).toEqual(['0x7fff8000', 0b1010]);
    expect(p('qsub16', 0x80007fff, 0x0001ffff, 0b0101)).toEqual(['0x80007fff', 0b0101]);
    expect(p('qasx', 0x7fff8000, 0x00010001)).toEqual(['0x7fff8000', 0]);
    expect(p('qsax', 0x80007fff, 0x00010001)).toEqual(['0x80007fff', 0]);
    expect(p('qadd8', 0x7f80017f, 0x01ff0280)).toEqual(['0x7f8003ff', 0]);
    expect(p('qsub8', 0x807f0000, 0x01ff7f80)).toEqual(['0x807f817f', 0]);
    expect(p('uqadd16', 0xffff1234, 0x00010001)).toEqual(['0xffff1235', 0]);
    expect(p('uqsub16', 0x00001234, 0x00010235)).toEqual(['0x00000fff', 0]);
    expect(p('uqasx', 0x00000001, 0xffff0002)).toEqual(['0x00020000', 0]);
    expect(p('uqsax', 0xfffe0003, 0x00050005)).toEqual(['0xfff90008', 0]);
    expect(p('uqadd8', 0xff80017f, 0x01800280)).toEqual(['0xffff03ff', 0]);
    expect(p('uqsub8', 0x00807f01, 0x01810002)).toEqual(['0x00007f00', 0]);
    expect(run(E.parallel('qadd16', 0, 1, 2), { 1: 0x7fff7fff, 2: 0x00010001 }).cpu.q).toBe(0);
  });

  it('SH and UH forms halve the exact lane result', () => {
    expect(p('shadd16', 0x7fff7fff, 0x7fff7fff)).toEqual(['0x7fff7fff', 0]);
    expect(p('shsub16', 0x80000000, 0x7fff0001)).toEqual(['0x8000ffff', 0]);
    expect(p('shasx', 0x00040006, 0x00020002)).toEqual(['0x00030002', 0]);
    expect(p('shsax', 0x00040006, 0x00020002)).toEqual(['0x00010004', 0]);
    expect(p('shadd8', 0x80807f01, 0x80ff7f01)).toEqual(['0x80bf7f01', 0]);
    expect(p('shsub8', 0x7f80007f, 0x807f0180)).toEqual(['0x7f80ff7f', 0]);
    expect(p('uhadd16', 0xffff0001, 0xffff0000)).toEqual(['0xffff0000', 0]);
    expect(p('uhsub16', 0x00000001, 0x00010000)).toEqual(['0xffff0000', 0]);
    expect(p('uhasx', 0x00040006, 0x00020002)).toEqual(['0x00030002', 0]);
    expect(p('uhsax', 0x00000000, 0x00020002)).toEqual(['0xffff0001', 0]);
    expect(p('uhadd8', 0xff01fe00, 0xff0101ff)).toEqual(['0xff017f7f', 0]);
    expect(p('uhsub8', 0x00ff0102, 0x01000201)).toEqual(['0xff7fff00', 0]);
  });
});

describe('QADD/QSUB/QDADD/QDSUB, SEL, PKH (hand-computed)', () => {
  // Assembly order: Rd, Rm, Rn with Rm in r1, Rn in r2.
  const q = (hw: Halfwords, m: number, n: number, qin = 0): [string, number] => {
    const mach = run(hw, { 1: m, 2: n }, 0b1010, qin);
    expect(mach.cpu.ge).toBe(0b1010);
    return [hex(mach.cpu.r[0]!), mach.cpu.q];
  };
  it('QADD/QSUB saturate and set Q', () => {
    expect(q(E.qadd(0, 1, 2), 1, 2)).toEqual(['0x00000003', 0]);
    expect(q(E.qadd(0, 1, 2), 0x7fffffff, 1)).toEqual(['0x7fffffff', 1]);
    expect(q(E.qadd(0, 1, 2), 0x80000000, 0xffffffff)).toEqual(['0x80000000', 1]);
    expect(q(E.qadd(0, 1, 2), 0x80000000, 0x7fffffff)).toEqual(['0xffffffff', 0]);
    expect(q(E.qadd(0, 1, 2), 1, 2, 1)).toEqual(['0x00000003', 1]); // sticky
    expect(q(E.qsub(0, 1, 2), 5, 7)).toEqual(['0xfffffffe', 0]);
    expect(q(E.qsub(0, 1, 2), 0x80000000, 1)).toEqual(['0x80000000', 1]);
    expect(q(E.qsub(0, 1, 2), 0, 0x80000000)).toEqual(['0x7fffffff', 1]);
    expect(q(E.qsub(0, 1, 2), 0xffffffff, 0x80000000)).toEqual(['0x7fffffff', 0]);
  });
  it('QDADD/QDSUB saturate the doubling too', () => {
    expect(q(E.qdadd(0, 1, 2), 1, 0x20000000)).toEqual(['0x40000001', 0]);
    expect(q(E.qdadd(0, 1, 2), 0, 0x40000000)).toEqual(['0x7fffffff', 1]);
    expect(q(E.qdadd(0, 1, 2), 0xffffffff, 0x40000000)).toEqual(['0x7ffffffe', 1]);
    expect(q(E.qdadd(0, 1, 2), 0x80000000, 0xc0000000)).toEqual(['0x80000000', 1]);
    expect(q(E.qdadd(0, 1, 2), 0x7fffffff, 0xc0000000)).toEqual(['0xffffffff', 0]);
    expect(q(E.qdsub(0, 1, 2), 0, 0xc0000000)).toEqual(['0x7fffffff', 1]);
    expect(q(E.qdsub(0, 1, 2), 0xffffffff, 0xc0000000)).toEqual(['0x7fffffff', 0]);
    expect(q(E.qdsub(0, 1, 2), 0, 0x80000000)).toEqual(['0x7fffffff', 1]);
    expect(q(E.qdsub(0, 1, 2), 10, 3)).toEqual(['0x00000004', 0]);
  });
  it('SEL picks bytes by GE', () => {
    const sel = (ge: number): string =>
      hex(run(E.sel(0, 1, 2), { 1: 0x11223344, 2: 0xaabbccdd }, ge).cpu.r[0]!);
    expect(sel(0b0101)).toBe('0xaa22cc44');
    expect(sel(0b1111)).toBe('0x11223344');
    expect(sel(0b0000)).toBe('0xaabbccdd');
    expect(sel(0b1000)).toBe('0x11bbccdd');
    expect(sel(0b0110)).toBe('0xaa2233dd');
  });
  it('PKHBT/PKHTB pack halves (ASR #32 is imm 0)', () => {
    const pk = (hw: Halfwords, n: number, m: number): string =>
      hex(run(hw, { 1: n, 2: m }).cpu.r[0]!);
    expect(pk(E.pkhbt(0, 1, 2), 0x11112222, 0x33334444)).toBe('0x33332222');
    expect(pk(E.pkhbt(0, 1, 2, 16), 0x11112222, 0x00003333)).toBe('0x33332222');
    expect(pk(E.pkhbt(0, 1, 2, 4), 0x11112222, 0x0abcdef0)).toBe('0xabcd2222');
    expect(pk(E.pkhbt(0, 1, 2, 31), 0x11112222, 0x00000001)).toBe('0x80002222');
    expect(pk(E.pkhtb(0, 1, 2, 16), 0x11112222, 0x80000000)).toBe('0x11118000');
    expect(pk(E.pkhtb(0, 1, 2, 1), 0x11112222, 0x8000fffe)).toBe('0x11117fff');
    expect(pk(E.pkhtb(0, 1, 2, 31), 0x11112222, 0x80000000)).toBe('0x1111ffff');
    expect(pk(E.pkhtb(0, 1, 2, 32), 0x11112222, 0x80000000)).toBe('0x1111ffff');
    expect(pk(E.pkhtb(0, 1, 2, 32), 0x11112222, 0x7fffffff)).toBe('0x11110000');
  });
});

describe('UNPREDICTABLE and UNDEFINED encodings fault as UNDEFINSTR', () => {
  const cases: [string, Halfwords][] = [
    ['sadd16 rd=sp', E.parallel('sadd16', 13, 1, 2)],
    ['uhsub8 rn=pc', E.parallel('uhsub8', 0, 15, 2)],
    ['qadd rn=sp', E.qadd(0, 1, 13)],
    ['sel rm=pc', E.sel(0, 1, 15)],
    ['pkhbt rd=sp', E.pkhbt(13, 1, 2)],
    ['pkhtb bit 15 set', [0xeac1, 0x8022]],
    ['pkh T bit set', [0xeac1, 0x0012]],
    ['sadd16 bits 15:12 not 1111', [0xfa91, 0x7002]],
    ['parallel op1 111', [0xfaf1, 0xf002]],
    ['parallel prefix 11', [0xfa91, 0xf032]],
  ];
  it.each(cases)('%s', (_name, hw) => {
    const m = new Machine();
    m.bus.write32(SHCSR, 1 << 18);
    run(hw, { 0: 0x1234, 1: 6, 2: 3 }, 0, 0, m);
    expect(m.cpu.ipsr).toBe(6);
    expect(m.bus.read32(CFSR) >>> 0).toBe(1 << 16);
    expect(m.cpu.r[0]).toBe(0x1234);
  });
});

// ---- lane model of the pseudocode, for the sweep ----

/** One parallel operation on exact lane values: [Rd, GE] (GE undefined when unchanged). */
function model(mn: ParallelMnemonic, n: number, m: number): [number, number | undefined] {
  const [, prefix, op] = /^(s|q|sh|u|uq|uh)(add16|asx|sax|sub16|add8|sub8)$/.exec(mn)!;
  const width = op!.endsWith('8') ? 8 : 16;
  const lanes = 32 / width;
  const signed = !prefix!.startsWith('u');
  const lane = (x: number, k: number): number => {
    const v = Math.floor(x / 2 ** (k * width)) % 2 ** width;
    return signed && v >= 2 ** (width - 1) ? v - 2 ** width : v;
  };
  let result = 0;
  let ge = 0;
  for (let k = 0; k < lanes; k++) {
    // ASX: lane 0 = n0 - m1, lane 1 = n1 + m0; SAX: lane 0 = n0 + m1, lane 1 = n1 - m0.
    const cross = op === 'asx' || op === 'sax';
    const b = lane(m, cross ? 1 - k : k);
    const add = op!.startsWith('add') || (op === 'asx' && k === 1) || (op === 'sax' && k === 0);
    const x = lane(n, k) + (add ? b : -b);
    let v: number;
    let g: boolean;
    switch (prefix) {
      case 's':
        v = x;
        g = x >= 0;
        break;
      case 'u':
        v = x;
        g = add ? x >= 2 ** width : x >= 0;
        break;
      case 'q':
        v = Math.min(Math.max(x, -(2 ** (width - 1))), 2 ** (width - 1) - 1);
        g = false;
        break;
      case 'uq':
        v = Math.min(Math.max(x, 0), 2 ** width - 1);
        g = false;
        break;
      default: // sh, uh
        v = Math.floor(x / 2);
        g = false;
    }
    const bits = ((v % 2 ** width) + 2 ** width) % 2 ** width;
    result += bits * 2 ** (k * width);
    if (g) ge |= (width === 16 ? 0b11 : 0b1) << (k * (width / 8));
  }
  return [result, prefix === 's' || prefix === 'u' ? ge : undefined];
}

const EDGES = [
  0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
  0x80808080, 0x7f7f7f7f, 0x01010101, 0xff00ff00, 0x80008000, 0x7fff7fff, 0x807f01fe, 0x12345678,
];

describe('sweep against the lane model', () => {
  it.each(MNEMONICS)('%s', (mn) => {
    let s = 0x9e3779b9;
    const next = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return s >>> 0;
    };
    const pairs: [number, number][] = EDGES.flatMap((n) =>
      EDGES.map((m): [number, number] => [n, m]),
    );
    for (let k = 0; k < 300; k++) pairs.push([next(), next()]);
    for (const [n, m] of pairs) {
      const geIn = next() & 15;
      const mach = run(E.parallel(mn, 0, 1, 2), { 1: n, 2: m }, geIn);
      const [want, ge] = model(mn, n, m);
      const ctx = `${mn} ${hex(n)} ${hex(m)}`;
      expect(hex(mach.cpu.r[0]!), ctx).toBe(hex(want));
      expect(mach.cpu.ge, ctx).toBe(ge ?? geIn);
      expect(mach.cpu.q, ctx).toBe(0);
    }
  });
});
