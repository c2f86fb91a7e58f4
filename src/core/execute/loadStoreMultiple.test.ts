import { describe, expect, it } from 'vitest';
import { CODE, STACK_TOP, machineWithVectors, svc } from '../../../test/helpers/machine.js';
import { t32, type T32 } from '../encode/loadStore.js';
import type { Machine } from '../../machine/machine.js';

const DATA = 0x20002000;
const SHCSR = 0xe000ed24;
const CFSR = 0xe000ed28;
const UNDEFINSTR = 1 << 16;
const UNALIGNED = 1 << 24;

/** A machine running `code` at CODE with UsageFault enabled and `regs` preset. */
function setup(code: (number | T32)[], regs: Record<number, number> = {}): Machine {
  const m = machineWithVectors(code.flatMap((c) => (typeof c === 'number' ? [c] : c)));
  m.bus.write32(SHCSR, 1 << 18);
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

const r = (m: Machine, n: number) => m.cpu.r[n]!;

describe('32-bit load/store multiple', () => {
  it('STM/LDM (IA) with and without writeback', () => {
    const m = setup(
      [t32.stm(0, [1, 2, 9], false), t32.stm(0, [1, 2, 9]), t32.ldm(0, [3, 4, 10], false)],
      { 0: DATA, 1: 1, 2: 2, 9: 9 },
    );
    run(m, 2);
    expect(r(m, 0)).toBe(DATA + 12);
    expect([0, 4, 8].map((o) => m.bus.read32(DATA + o))).toEqual([1, 2, 9]);
    m.cpu.r[0] = DATA;
    run(m, 1);
    expect([r(m, 0), r(m, 3), r(m, 4), r(m, 10)]).toEqual([DATA, 1, 2, 9]);
  });

  it('STMDB/LDMDB, PUSH.W/POP.W, LDM with PC', () => {
    const m = setup(
      [
        t32.push([4, 5, 14]),
        t32.stmdb(0, [6, 7]),
        t32.ldmdb(1, [8, 9], false),
        t32.pop([4, 5, 15]),
      ],
      { 0: DATA + 8, 1: DATA + 8, 4: 4, 5: 5, 6: 6, 7: 7, 14: 0x20000401 },
    );
    run(m, 1);
    expect(r(m, 13)).toBe(STACK_TOP - 12);
    expect(m.bus.read32(STACK_TOP - 4)).toBe(0x20000401);
    run(m, 2);
    expect(r(m, 0)).toBe(DATA);
    expect([r(m, 8), r(m, 9), r(m, 1)]).toEqual([6, 7, DATA + 8]);
    m.cpu.r[4] = 0;
    m.cpu.r[5] = 0;
    run(m, 1);
    expect([r(m, 4), r(m, 5), r(m, 13)]).toEqual([4, 5, STACK_TOP]);
    expect(m.cpu.pc).toBe(0x20000400);
  });

  it('LDMDB with writeback', () => {
    const m = setup([t32.ldmdb(0, [1, 2])], { 0: DATA + 8 });
    m.bus.write32(DATA, 11);
    m.bus.write32(DATA + 4, 22);
    run(m, 1);
    expect([r(m, 0), r(m, 1), r(m, 2)]).toEqual([DATA, 11, 22]);
  });

  it('costs 1 + N cycles', () => {
    const m = setup([t32.stm(0, [1, 2, 3, 4, 5], false)], { 0: DATA });
    const before = m.clock.cycles;
    run(m, 1);
    expect(m.clock.cycles - before).toBe(6);
  });

  it('UNPREDICTABLE forms raise UNDEFINSTR', () => {
    for (const code of [
      t32.ldm(0, [0, 1]), // writeback with Rn in the list
      t32.stm(0, [1, 13]), // SP in the list
      t32.ldm(0, [1, 14, 15]), // LR and PC
      t32.stm(0, [1]), // one register
    ]) {
      expectUsageFault(setup([code], { 0: DATA }), UNDEFINSTR);
    }
  });
});

describe('LDRD/STRD', () => {
  it('offset, pre-indexed, post-indexed and literal', () => {
    const m = setup(
      [
        t32.strd(0, 1, 2, 8),
        t32.ldrd(3, 4, 2, 8, { wback: true }),
        t32.strd(0, 1, 2, -8, { index: false }),
        t32.ldrd(5, 6, 2, 0),
        t32.ldrdLit(7, 8, 8),
      ],
      { 0: 0xaaaa0000, 1: 0xbbbb1111, 2: DATA },
    );
    run(m, 2);
    expect([m.bus.read32(DATA + 8), m.bus.read32(DATA + 12)]).toEqual([0xaaaa0000, 0xbbbb1111]);
    expect([r(m, 3), r(m, 4), r(m, 2)]).toEqual([0xaaaa0000, 0xbbbb1111, DATA + 8]);
    run(m, 1);
    expect(r(m, 2)).toBe(DATA);
    m.bus.write32(DATA, 5);
    m.bus.write32(DATA + 4, 6);
    run(m, 1);
    expect([r(m, 5), r(m, 6)]).toEqual([5, 6]);
    // LDRD literal at CODE + 16: Align(PC, 4) = CODE + 20, + 8.
    m.bus.write32(CODE + 28, 77);
    m.bus.write32(CODE + 32, 88);
    run(m, 1);
    expect([r(m, 7), r(m, 8)]).toEqual([77, 88]);
  });

  it('LDRD with Rt = Rt2 is UNPREDICTABLE', () => {
    expectUsageFault(setup([t32.ldrd(3, 3, 2, 0)], { 2: DATA }), UNDEFINSTR);
  });
});

describe('exclusives', () => {
  it('LDREX then STREX succeeds (Rd = 0) and stores', () => {
    const m = setup([t32.ldrex(0, 1, 4), t32.strex(2, 3, 1, 4)], { 1: DATA, 3: 99 });
    m.bus.write32(DATA + 4, 42);
    run(m, 2);
    expect(r(m, 0)).toBe(42);
    expect(r(m, 2)).toBe(0);
    expect(m.bus.read32(DATA + 4)).toBe(99);
    expect(m.cpu.exclusiveAddr).toBe(-1);
  });

  it('STREX without a reservation fails (Rd = 1) and does not store', () => {
    const m = setup([t32.strex(2, 3, 1)], { 1: DATA, 2: 7, 3: 99 });
    run(m, 1);
    expect(r(m, 2)).toBe(1);
    expect(m.bus.read32(DATA)).toBe(0);
  });

  it('CLREX, a STREX to another address, or an exception clear the monitor', () => {
    const a = setup([t32.ldrex(0, 1), t32.clrex(), t32.strex(2, 3, 1)], { 1: DATA, 3: 5 });
    run(a, 3);
    expect(r(a, 2)).toBe(1);
    const b = setup([t32.ldrex(0, 1), t32.strex(2, 3, 1, 4), t32.strex(4, 3, 1)], {
      1: DATA,
      3: 5,
    });
    run(b, 3);
    expect([r(b, 2), r(b, 4)]).toEqual([1, 1]); // the failed STREX cleared the monitor too
    expect(b.bus.read32(DATA + 4)).toBe(0);
    const c = setup([t32.ldrex(0, 1), svc(0), t32.strex(2, 3, 1)], { 1: DATA, 3: 5 });
    run(c, 5); // ldrex, svc, handler nop + bx lr, strex
    expect(c.cpu.pc).toBe(CODE + 10);
    expect(r(c, 2)).toBe(1);
  });

  it('byte and halfword exclusives', () => {
    const m = setup(
      [t32.ldrexb(0, 1), t32.strexb(2, 3, 1), t32.ldrexh(4, 5), t32.strexh(6, 3, 5)],
      { 1: DATA + 1, 3: 0x12345678, 5: DATA + 2 },
    );
    m.bus.write32(DATA, 0xa1b2c3d4);
    run(m, 4);
    expect(r(m, 0)).toBe(0xc3);
    expect(r(m, 4)).toBe(0xa1b2);
    expect([r(m, 2), r(m, 6)]).toEqual([0, 0]);
    expect(m.bus.read32(DATA)).toBe(0x567878d4);
  });

  it('STREX to an unaligned address faults even without a reservation', () => {
    expectUsageFault(setup([t32.strex(2, 3, 1)], { 1: DATA + 2 }), UNALIGNED);
  });
});
