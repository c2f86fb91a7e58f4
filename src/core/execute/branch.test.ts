import { describe, expect, it } from 'vitest';
import { CODE, NOP, machineWithVectors, place } from '../../../test/helpers/machine.js';
import { decodeRaw } from '../decode/cache.js';
import { COND, t16, t32 } from '../encode/branch.js';
import { t16 as dp16 } from '../encode/dataProcessing.js';
import type { T32 } from '../encode/loadStore.js';
import type { Machine } from '../../machine/machine.js';

const DATA = 0x20002000;
const SHCSR = 0xe000ed24;
const CFSR = 0xe000ed28;
const UNDEFINSTR = 1 << 16;
const INVSTATE = 1 << 17;

type Code = number | T32;
const flat = (code: Code[]) => code.flatMap((c) => (typeof c === 'number' ? [c] : c));

function setup(code: Code[], regs: Record<number, number> = {}): Machine {
  const m = machineWithVectors(flat(code));
  m.bus.write32(SHCSR, 1 << 18); // UsageFault enabled
  for (const [r, v] of Object.entries(regs)) m.cpu.r[Number(r)] = v;
  return m;
}

function run(m: Machine, n: number): Machine {
  for (let k = 0; k < n; k++) m.cpu.step();
  return m;
}

function expectUsageFault(m: Machine, bit: number): void {
  m.cpu.step();
  expect(m.cpu.ipsr).toBe(6);
  expect(m.bus.read32(CFSR) & bit).toBe(bit);
}

/** The ARM ARM's condition table, written out independently of alu.ts. */
function passes(cond: number, n: number, z: number, c: number, v: number): boolean {
  const table = [
    z === 1,
    z === 0,
    c === 1,
    c === 0,
    n === 1,
    n === 0,
    v === 1,
    v === 0,
    c === 1 && z === 0,
    c === 0 || z === 1,
    n === v,
    n !== v,
    z === 0 && n === v,
    z === 1 || n !== v,
    true,
  ];
  return table[cond]!;
}

function setFlags(m: Machine, flags: number): void {
  m.cpu.n = (flags >> 3) & 1;
  m.cpu.z = (flags >> 2) & 1;
  m.cpu.c = (flags >> 1) & 1;
  m.cpu.v = flags & 1;
}

describe('B', () => {
  it('B T1 and B T3 branch exactly when the condition passes', () => {
    const m = setup([]);
    for (let cond = 0; cond < 14; cond++) {
      for (const wide of [false, true]) {
        place(m, CODE, flat([wide ? t32.bCond(cond, -0x1000) : t16.bCond(cond, -4)]));
        for (let flags = 0; flags < 16; flags++) {
          m.cpu.setPc(CODE);
          setFlags(m, flags);
          const before = m.clock.cycles;
          m.cpu.step();
          const taken = passes(
            cond,
            (flags >> 3) & 1,
            (flags >> 2) & 1,
            (flags >> 1) & 1,
            flags & 1,
          );
          const target = wide ? CODE + 4 - 0x1000 : CODE;
          expect(m.cpu.pc).toBe(taken ? target : CODE + (wide ? 4 : 2));
          expect(m.clock.cycles - before).toBe(taken ? 3 : 1);
        }
      }
    }
  });

  it('B T1 / T2 / T3 / T4 reach their full ranges', () => {
    const cases: [Code, number][] = [
      [t16.bCond(COND.le, 254), CODE + 4 + 254], // LE passes with Z set
      [t16.bCond(COND.le, -256), CODE + 4 - 256],
      [t16.b(2046), CODE + 4 + 2046],
      [t16.b(-2048), CODE + 4 - 2048],
      [t32.bCond(COND.le, 1048574), CODE + 4 + 1048574],
      [t32.bCond(COND.le, -1048576), CODE + 4 - 1048576],
      [t32.b(16777214), CODE + 4 + 16777214],
      [t32.b(-16777216), (CODE + 4 - 16777216) >>> 0],
      [t32.b(0x123456), CODE + 4 + 0x123456],
    ];
    for (const [code, target] of cases) {
      const m = setup([code]);
      m.cpu.z = 1;
      m.cpu.step();
      expect(m.cpu.pc).toBe(target);
    }
  });

  it('BL sets LR to the next instruction | 1', () => {
    const m = setup([NOP, t32.bl(-0x2000)]);
    run(m, 2);
    expect(m.cpu.pc).toBe(CODE + 6 - 0x2000);
    expect(m.cpu.r[14]).toBe((CODE + 6) | 1);
    const far = setup([t32.bl(-16777216)]);
    far.cpu.step();
    expect(far.cpu.pc).toBe((CODE + 4 - 16777216) >>> 0);
  });
});

describe('BX, BLX', () => {
  it('BX to an odd address branches in Thumb state', () => {
    const m = setup([t16.bx(3)], { 3: 0x20000401 });
    m.cpu.step();
    expect(m.cpu.pc).toBe(0x20000400);
    expect(m.cpu.t).toBe(1);
  });

  it('BX to an even address clears T: the next instruction raises INVSTATE', () => {
    const m = setup([t16.bx(3)], { 3: 0x20000400 });
    m.cpu.step();
    expect(m.cpu.t).toBe(0);
    expectUsageFault(m, INVSTATE);
  });

  it('BLX (register) sets LR = next instruction | 1 and interworks', () => {
    const m = setup([NOP, t16.blx(14)], { 14: 0x20000501 });
    run(m, 2);
    expect(m.cpu.pc).toBe(0x20000500);
    expect(m.cpu.r[14]).toBe((CODE + 4) | 1);
    const even = setup([t16.blx(2)], { 2: 0x20000500 });
    even.cpu.step();
    expect(even.cpu.r[14]).toBe((CODE + 2) | 1);
    expectUsageFault(even, INVSTATE);
  });

  it('BLX PC and BX with non-zero low bits are UNPREDICTABLE', () => {
    expectUsageFault(setup([t16.blx(15)]), UNDEFINSTR);
    expectUsageFault(setup([t16.bx(1) | 1]), UNDEFINSTR);
  });
});

describe('CBZ, CBNZ', () => {
  it('branch forward on zero / non-zero', () => {
    for (const [code, r0, taken] of [
      [t16.cbz(0, 126), 0, true],
      [t16.cbz(0, 126), 1, false],
      [t16.cbnz(0, 64), 1, true],
      [t16.cbnz(0, 64), 0, false],
    ] as [number, number, boolean][]) {
      const m = setup([code], { 0: r0 });
      m.cpu.step();
      const offset = decodeRaw(code, 2).imm;
      expect(m.cpu.pc).toBe(taken ? CODE + 4 + offset : CODE + 2);
    }
  });

  it('is UNPREDICTABLE inside an IT block', () => {
    const m = setup([t16.it(COND.al), t16.cbz(0, 0)]);
    m.cpu.step();
    expectUsageFault(m, UNDEFINSTR);
  });
});

describe('IT', () => {
  const patterns = ['', 't', 'e', 'tt', 'te', 'et', 'ee', 'ttt', 'tte', 'tet', 'tee'];
  patterns.push('ett', 'ete', 'eet', 'eee');

  it('executes and skips the right instructions for every mask', () => {
    for (const firstcond of [COND.eq, COND.ne, COND.gt, COND.le]) {
      for (const then of patterns) {
        const n = then.length + 1;
        const code: Code[] = [t16.it(firstcond, then)];
        for (let k = 0; k < n; k++) code.push(dp16.movImm(k, k + 1));
        const m = setup(code, { 0: 0xff, 1: 0xff, 2: 0xff, 3: 0xff });
        m.cpu.z = 1; // EQ and LE pass, NE and GT fail
        m.cpu.step();
        const mask = (code[0] as number) & 15;
        expect(m.cpu.it).toBe((firstcond << 4) | mask);
        run(m, n);
        expect(m.cpu.it).toBe(0);
        expect(m.cpu.pc).toBe(CODE + 2 + 2 * n);
        const cond = firstcond === COND.eq || firstcond === COND.le;
        for (let k = 0; k < n; k++) {
          const executes = (k === 0 || then[k - 1] === 't') === cond;
          expect(m.cpu.r[k], `IT${then} ${firstcond} instruction ${k}`).toBe(
            executes ? k + 1 : 0xff,
          );
        }
        // MOVS inside the block is MOV: Z (set before) is unchanged.
        expect(m.cpu.z).toBe(1);
      }
    }
  });

  it('16-bit flag-setting instructions set flags again after the block', () => {
    const m = setup([t16.it(COND.eq), dp16.movImm(0, 1), dp16.movImm(1, 2)]);
    m.cpu.z = 1;
    run(m, 2);
    expect(m.cpu.z).toBe(1);
    m.cpu.step();
    expect(m.cpu.z).toBe(0);
  });

  it('IT AL with only "then" instructions runs them all', () => {
    const m = setup([t16.it(COND.al, 'ttt'), ...[0, 1, 2, 3].map((k) => dp16.movImm(k, 9))]);
    run(m, 5);
    expect([0, 1, 2, 3].map((k) => m.cpu.r[k])).toEqual([9, 9, 9, 9]);
  });

  it('UNPREDICTABLE forms: firstcond 1111, AL with an else, IT inside IT', () => {
    expectUsageFault(setup([0xbff8, NOP]), UNDEFINSTR);
    expectUsageFault(setup([0xbfec, NOP, NOP]), UNDEFINSTR); // ITE AL
    const m = setup([t16.it(COND.al, 't'), t16.it(COND.al), NOP, NOP]);
    m.cpu.step();
    expectUsageFault(m, UNDEFINSTR);
  });

  it('mask 0000 is the hint space: unallocated hints execute as NOPs', () => {
    const m = setup([0xbf50, 0xbff0, NOP]);
    run(m, 2);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.it).toBe(0);
    expect(m.cpu.pc).toBe(CODE + 4);
  });

  it('B T1 inside an IT block is UNPREDICTABLE', () => {
    const m = setup([t16.it(COND.al), t16.bCond(COND.eq, 0)]);
    m.cpu.step();
    expectUsageFault(m, UNDEFINSTR);
  });

  it('B T2 / BL / BX as the last instruction of an IT block are conditional', () => {
    for (const [z, taken] of [
      [1, true],
      [0, false],
    ] as [number, boolean][]) {
      const m = setup([t16.it(COND.eq, 't'), NOP, t16.b(0x100)]);
      m.cpu.z = z;
      run(m, 3);
      expect(m.cpu.pc).toBe(taken ? CODE + 8 + 0x100 : CODE + 6);
      const bl = setup([t16.it(COND.eq), t32.bl(0x100)], { 14: 0 });
      bl.cpu.z = z;
      run(bl, 2);
      expect(bl.cpu.pc).toBe(taken ? CODE + 6 + 0x100 : CODE + 6);
      expect(bl.cpu.r[14]).toBe(taken ? (CODE + 6) | 1 : 0);
    }
  });

  it('B T2 / B T4 / BX not last in an IT block are UNPREDICTABLE', () => {
    for (const branch of [t16.b(0x100), t32.b(0x100), t16.bx(14)]) {
      const m = setup([t16.it(COND.al, 't'), branch, NOP]);
      m.cpu.step();
      expectUsageFault(m, UNDEFINSTR);
    }
  });
});

describe('TBB, TBH', () => {
  it('TBB [PC, Rm] branches by twice the table byte', () => {
    // The table follows the TBB at CODE + 4 (= PC).
    const m = setup([t32.tbb(15, 1), 0x0302, 0x0504], { 1: 2 });
    m.cpu.step();
    expect(m.cpu.pc).toBe(CODE + 4 + 2 * 4);
  });

  it('TBH [Rn, Rm, LSL #1] branches by twice the table halfword', () => {
    const m = setup([t32.tbh(0, 1)], { 0: DATA, 1: 3 });
    m.bus.write16(DATA + 6, 0x1234);
    const before = m.clock.cycles;
    m.cpu.step();
    expect(m.cpu.pc).toBe(CODE + 4 + 2 * 0x1234);
    expect(m.clock.cycles - before).toBe(4);
  });

  it('Rm = SP or PC, Rn = SP are UNPREDICTABLE', () => {
    expectUsageFault(setup([t32.tbb(0, 13)]), UNDEFINSTR);
    expectUsageFault(setup([t32.tbh(13, 0)]), UNDEFINSTR);
  });
});

describe('assembly text', () => {
  it('prints targets and IT patterns as objdump does', () => {
    const text = (raw: number, size: 2 | 4, addr = 0) => {
      const i = decodeRaw(raw, size, addr);
      return i.encoding.asm(i);
    };
    expect(text(0xd0fe, 2)).toBe('beq.n 0x0');
    expect(text(0xf000fc08, 4, 0x12)).toBe('bl 0x826');
    expect(text(0xbf06, 2)).toBe('itte eq');
    expect(text(0xbf4b, 2)).toBe('itete mi');
    expect(text(0xb987, 2, 0x22)).toBe('cbnz r7, 0x46');
    expect(text(0xe8dff012, 4)).toBe('tbh [pc, r2, lsl #1]');
  });
});
