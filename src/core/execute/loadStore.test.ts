import { describe, expect, it } from 'vitest';
import {
  CODE,
  NOP,
  STACK_TOP,
  handlerAddress,
  machineWithVectors,
  place,
  svc,
} from '../../../test/helpers/machine.js';
import { decodeRaw } from '../decode/cache.js';
import { t16 as b16 } from '../encode/branch.js';
import { t16, t32, type T32 } from '../encode/loadStore.js';
import type { Machine } from '../../machine/machine.js';

const DATA = 0x20002000;
const SHCSR = 0xe000ed24;
const CFSR = 0xe000ed28;
const CCR = 0xe000ed14;
const UNDEFINSTR = 1 << 16;
const INVSTATE = 1 << 17;
const UNALIGNED = 1 << 24;
const PRECISERR = 1 << 9;

type Code = number | T32;

/** A machine running `code` at CODE with UsageFault/BusFault enabled and `regs` preset. */
function setup(code: Code[], regs: Record<number, number> = {}): Machine {
  const m = machineWithVectors(code.flatMap((c) => (typeof c === 'number' ? [c] : c)));
  m.bus.write32(SHCSR, (1 << 18) | (1 << 17));
  for (const [r, v] of Object.entries(regs)) m.cpu.r[Number(r)] = v;
  return m;
}

function run(m: Machine, n: number): Machine {
  for (let k = 0; k < n; k++) m.cpu.step();
  return m;
}

/** Runs one instruction and expects it to raise a UsageFault with `bit` in the CFSR. */
function expectUsageFault(m: Machine, bit: number): void {
  m.cpu.step();
  expect(m.cpu.ipsr).toBe(6);
  expect(m.bus.read32(CFSR) & bit).toBe(bit);
}

const r = (m: Machine, n: number) => m.cpu.r[n]!;

describe('16-bit loads and stores', () => {
  it('STR/LDR (immediate) T1: word at Rn + imm5 * 4', () => {
    const m = setup([t16.strImm(1, 2, 124), t16.ldrImm(3, 2, 124)], {
      1: 0xdeadbeef,
      2: DATA,
    });
    run(m, 2);
    expect(m.bus.read32(DATA + 124)).toBe(0xdeadbeef);
    expect(r(m, 3)).toBe(0xdeadbeef);
    expect(m.cpu.pc).toBe(CODE + 4);
  });

  it('STRB/LDRB and STRH/LDRH (immediate) T1 truncate and zero-extend', () => {
    const m = setup(
      [t16.strbImm(1, 2, 31), t16.ldrbImm(3, 2, 31), t16.strhImm(1, 2, 62), t16.ldrhImm(4, 2, 62)],
      { 1: 0x12345687, 2: DATA },
    );
    run(m, 4);
    expect(m.bus.read8(DATA + 31)).toBe(0x87);
    expect(r(m, 3)).toBe(0x87);
    expect(m.bus.read16(DATA + 62)).toBe(0x5687);
    expect(r(m, 4)).toBe(0x5687);
  });

  it('STR/LDR (immediate) T2: SP-relative', () => {
    const m = setup([t16.strSp(5, 1020), t16.ldrSp(6, 1020)], { 5: 0xcafe0001 });
    m.cpu.r[13] = DATA;
    run(m, 2);
    expect(m.bus.read32(DATA + 1020)).toBe(0xcafe0001);
    expect(r(m, 6)).toBe(0xcafe0001);
  });

  it('LDR (literal) T1 reads from Align(PC, 4) + imm', () => {
    // At CODE + 2, PC = CODE + 6, Align(PC, 4) = CODE + 4: the word at CODE + 8 is imm 4.
    const m = setup([NOP, t16.ldrLit(0, 4), NOP, NOP, 0x5678, 0x1234]);
    run(m, 2);
    expect(r(m, 0)).toBe(0x12345678);
  });

  it('register forms: all eight, with sign extension', () => {
    const m = setup(
      [
        t16.strReg(0, 1, 2),
        t16.strhReg(0, 1, 3),
        t16.strbReg(0, 1, 4),
        t16.ldrReg(5, 1, 2),
        t16.ldrhReg(6, 1, 3),
        t16.ldrbReg(7, 1, 4),
        t16.ldrsbReg(5, 1, 4),
        t16.ldrshReg(6, 1, 3),
      ],
      { 0: 0x8000f0f0, 1: DATA, 2: 8, 3: 16, 4: 24 },
    );
    run(m, 6);
    expect(m.bus.read32(DATA + 8)).toBe(0x8000f0f0);
    expect(r(m, 5)).toBe(0x8000f0f0);
    expect(r(m, 6)).toBe(0xf0f0);
    expect(r(m, 7)).toBe(0xf0);
    run(m, 2);
    expect(r(m, 5)).toBe(0xfffffff0);
    expect(r(m, 6)).toBe(0xfffff0f0);
  });

  it('PUSH stores the lowest register lowest; POP with PC branches with interworking', () => {
    const m = setup([t16.push([0, 4, 14]), t16.pop([1, 2, 15])], {
      0: 10,
      4: 40,
      14: 0x20000101,
    });
    m.cpu.step();
    expect(r(m, 13)).toBe(STACK_TOP - 12);
    expect(m.bus.read32(STACK_TOP - 12)).toBe(10);
    expect(m.bus.read32(STACK_TOP - 8)).toBe(40);
    expect(m.bus.read32(STACK_TOP - 4)).toBe(0x20000101);
    m.cpu.step();
    expect(r(m, 1)).toBe(10);
    expect(r(m, 2)).toBe(40);
    expect(m.cpu.pc).toBe(0x20000100);
    expect(m.cpu.t).toBe(1);
    expect(r(m, 13)).toBe(STACK_TOP);
  });

  it('POP {pc} of an even address clears T: the next instruction raises INVSTATE', () => {
    const m = setup([t16.pop([15])]);
    m.cpu.r[13] = DATA;
    m.bus.write32(DATA, 0x20000100);
    m.cpu.step();
    expect(m.cpu.t).toBe(0);
    expectUsageFault(m, INVSTATE);
  });

  it('POP {pc} of EXC_RETURN in a handler returns from the exception (SP written back first)', () => {
    const m = setup([svc(0), NOP]);
    place(m, handlerAddress(11), [t16.push([4, 14]), t16.pop([4, 15])]);
    m.cpu.step(); // svc
    expect(m.cpu.ipsr).toBe(11);
    run(m, 2);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.pc).toBe(CODE + 2);
    expect(r(m, 13)).toBe(STACK_TOP);
  });

  it('STM T1 writes back; LDM T1 writes back unless Rn is in the list', () => {
    const m = setup([t16.stm(0, [1, 2, 3]), t16.ldm(4, [5, 6]), t16.ldm(7, [6, 7])], {
      0: DATA,
      1: 1,
      2: 2,
      3: 3,
      4: DATA,
      7: DATA + 4,
    });
    const before = m.clock.cycles;
    run(m, 2);
    expect(r(m, 0)).toBe(DATA + 12);
    expect([0, 4, 8].map((o) => m.bus.read32(DATA + o))).toEqual([1, 2, 3]);
    expect([r(m, 4), r(m, 5), r(m, 6)]).toEqual([DATA + 8, 1, 2]);
    expect(m.clock.cycles - before).toBe(4 + 3); // 1 + N each
    run(m, 1);
    expect([r(m, 6), r(m, 7)]).toEqual([2, 3]); // r7 loaded, no writeback
  });
});

describe('32-bit single loads and stores', () => {
  it('imm12 forms of every width, with sign extension', () => {
    const m = setup(
      [
        t32.imm12('str', 0, 1, 4088),
        t32.imm12('strh', 0, 1, 2),
        t32.imm12('strb', 0, 1, 4095),
        t32.imm12('ldr', 2, 1, 4088),
        t32.imm12('ldrh', 3, 1, 2),
        t32.imm12('ldrsh', 4, 1, 2),
        t32.imm12('ldrb', 5, 1, 4095),
        t32.imm12('ldrsb', 6, 1, 4095),
      ],
      { 0: 0x89abcdef, 1: DATA },
    );
    run(m, 8);
    expect(m.bus.read32(DATA + 4088)).toBe(0x89abcdef);
    expect(m.bus.read16(DATA + 2)).toBe(0xcdef);
    expect(m.bus.read8(DATA + 4095)).toBe(0xef);
    expect(r(m, 2)).toBe(0x89abcdef);
    expect(r(m, 3)).toBe(0xcdef);
    expect(r(m, 4)).toBe(0xffffcdef);
    expect(r(m, 5)).toBe(0xef);
    expect(r(m, 6)).toBe(0xffffffef);
    expect(m.cpu.pc).toBe(CODE + 32);
  });

  it('imm8: negative offset, pre-indexed with writeback, post-indexed', () => {
    const m = setup(
      [
        t32.imm8('str', 0, 1, -4), // [r1, #-4]
        t32.imm8('ldr', 2, 1, -4, { wback: true }), // [r1, #-4]!
        t32.imm8('strh', 0, 3, 6, { index: false }), // [r3], #6
        t32.imm8('ldrsb', 4, 5, -1, { index: false }), // [r5], #-1
        t32.imm8('ldrb', 6, 7, 255, { wback: true }), // [r7, #255]!
      ],
      { 0: 0x1234f687, 1: DATA + 16, 3: DATA + 32, 5: DATA + 32, 7: DATA - 255 },
    );
    run(m, 2);
    expect(m.bus.read32(DATA + 12)).toBe(0x1234f687);
    expect(r(m, 2)).toBe(0x1234f687);
    expect(r(m, 1)).toBe(DATA + 12);
    run(m, 1);
    expect(m.bus.read16(DATA + 32)).toBe(0xf687);
    expect(r(m, 3)).toBe(DATA + 38);
    run(m, 1);
    expect(r(m, 4)).toBe(0xffffff87);
    expect(r(m, 5)).toBe(DATA + 31);
    m.bus.write8(DATA, 0x9c);
    run(m, 1);
    expect(r(m, 6)).toBe(0x9c);
    expect(r(m, 7)).toBe(DATA);
  });

  it('imm8 stores of every width with writeback', () => {
    const m = setup(
      [
        t32.imm8('str', 0, 1, 4, { wback: true }),
        t32.imm8('strh', 0, 1, 4, { wback: true }),
        t32.imm8('strb', 0, 1, -1, { index: false }),
        t32.imm8('ldrh', 2, 3, 2, { index: false }),
        t32.imm8('ldrsh', 4, 3, -2, { wback: true }),
      ],
      { 0: 0xa1b2c3d4, 1: DATA, 3: DATA + 8 },
    );
    run(m, 3);
    expect(m.bus.read32(DATA + 4)).toBe(0xa1b2c3d4);
    expect(m.bus.read16(DATA + 8)).toBe(0xc3d4);
    expect(m.bus.read8(DATA + 8)).toBe(0xd4);
    expect(r(m, 1)).toBe(DATA + 7);
    run(m, 2);
    expect(r(m, 2)).toBe(0xc3d4);
    expect(r(m, 3)).toBe(DATA + 8);
    expect(r(m, 4)).toBe(0xffffc3d4);
  });

  it('register forms with LSL #0-3', () => {
    const code: Code[] = [];
    for (let s = 0; s < 4; s++) code.push(t32.reg('str', s, 8, 9, s));
    code.push(t32.reg('ldr', 4, 8, 9, 3));
    code.push(t32.reg('ldrsh', 5, 8, 9, 2));
    code.push(t32.reg('ldrsb', 6, 8, 9, 1));
    code.push(t32.reg('strb', 3, 8, 9, 0), t32.reg('ldrb', 7, 8, 9, 0));
    code.push(t32.reg('strh', 3, 8, 9, 1), t32.reg('ldrh', 10, 8, 9, 1));
    const m = setup(code, { 0: 100, 1: 101, 2: 0xffff8000, 3: 0xffffff80, 8: DATA, 9: 4 });
    run(m, 4);
    expect([4, 8, 16, 32].map((o) => m.bus.read32(DATA + o))).toEqual([
      100, 101, 0xffff8000, 0xffffff80,
    ]);
    run(m, 3);
    expect(r(m, 4)).toBe(0xffffff80);
    expect(r(m, 5)).toBe(0xffff8000);
    expect(r(m, 6)).toBe(101);
    run(m, 4);
    expect(r(m, 7)).toBe(0x80);
    expect(r(m, 10)).toBe(0xff80);
  });

  it('literal forms with positive and negative offsets', () => {
    // Code at BASE; data words at BASE + 0x40 and BASE - 0x40. Instruction k is at BASE + 4k,
    // where PC = Align(PC, 4) = BASE + 4k + 4.
    const BASE = CODE + 0x100;
    const m = setup([]);
    place(
      m,
      BASE,
      [
        t32.lit('ldr', 0, 0x40 - 4),
        t32.lit('ldrsb', 1, -0x40 + 3 - 8),
        t32.lit('ldrh', 2, 0x42 - 12),
        t32.lit('ldrsh', 3, -0x40 + 2 - 16),
        t32.lit('ldrb', 4, 0x41 - 20),
      ].flat(),
    );
    m.cpu.setPc(BASE);
    m.bus.write32(BASE + 0x40, 0x8182f384);
    m.bus.write32(BASE - 0x40, 0x91f2a394);
    run(m, 5);
    expect(r(m, 0)).toBe(0x8182f384);
    expect(r(m, 1)).toBe(0xffffff91);
    expect(r(m, 2)).toBe(0x8182);
    expect(r(m, 3)).toBe(0xffff91f2);
    expect(r(m, 4)).toBe(0xf3);
  });

  it('unprivileged forms access memory with cpu.unprivilegedAccess set, cleared after', () => {
    const m = setup(
      [
        t32.unpriv('str', 0, 1, 4),
        t32.unpriv('ldr', 2, 1, 4),
        t32.unpriv('strb', 0, 1, 8),
        t32.unpriv('ldrsb', 3, 1, 8),
        t32.unpriv('strh', 0, 1, 12),
        t32.unpriv('ldrsh', 4, 1, 12),
        t32.unpriv('ldrb', 5, 1, 12),
        t32.unpriv('ldrh', 6, 1, 12),
      ],
      { 0: 0x7654fedc, 1: DATA },
    );
    const seen: boolean[] = [];
    const bus = m.bus;
    const spy = (a: number) => {
      if (a >= DATA && a < DATA + 0x100) seen.push(m.cpu.unprivilegedAccess);
      return a;
    };
    // The core's data accesses go through its port (coreRead*/coreWrite*).
    const [r32, r16, r8] = [
      bus.coreRead32.bind(bus),
      bus.coreRead16.bind(bus),
      bus.coreRead8.bind(bus),
    ];
    const [w32, w16, w8] = [
      bus.coreWrite32.bind(bus),
      bus.coreWrite16.bind(bus),
      bus.coreWrite8.bind(bus),
    ];
    bus.coreRead32 = (a) => r32(spy(a));
    bus.coreRead16 = (a) => r16(spy(a));
    bus.coreRead8 = (a) => r8(spy(a));
    bus.coreWrite32 = (a, v) => w32(spy(a), v);
    bus.coreWrite16 = (a, v) => w16(spy(a), v);
    bus.coreWrite8 = (a, v) => w8(spy(a), v);
    run(m, 8);
    expect(seen).toEqual(new Array(8).fill(true));
    expect(m.cpu.unprivilegedAccess).toBe(false);
    expect([r(m, 2), r(m, 3), r(m, 4), r(m, 5), r(m, 6)]).toEqual([
      0x7654fedc, 0xffffffdc, 0xfffffedc, 0xdc, 0xfedc,
    ]);
  });

  it('an unprivileged access that faults still clears cpu.unprivilegedAccess', () => {
    const m = setup([t32.unpriv('ldr', 0, 1, 0)], { 1: 0x60000000 });
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(5);
    expect(m.cpu.unprivilegedAccess).toBe(false);
  });

  it('PLD and PLI are NOPs, even for unmapped addresses', () => {
    const m = setup([t32.pld(1, 4), t32.pld(1, -4), t32.pli(1, 0), t32.pli(1, -255)], {
      1: 0x60000000,
    });
    run(m, 4);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.pc).toBe(CODE + 16);
    const names = [
      decodeRaw(0xf891f004, 4).encoding.name,
      decodeRaw(0xf811fc04, 4).encoding.name,
      decodeRaw(0xf81ff004, 4).encoding.name, // Rn = PC: literal
      decodeRaw(0xf811f022, 4).encoding.name,
      decodeRaw(0xf99ff004, 4).encoding.name,
    ];
    expect(names).toEqual([
      'PLD (immediate) T1',
      'PLD (immediate) T2',
      'PLD (literal) T1',
      'PLD (register) T1',
      'PLI (literal) T1',
    ]);
  });

  it('Rt = PC in the halfword load space is an unallocated memory hint (NOP)', () => {
    const m = setup([t32.imm12('ldrh', 15, 1, 2), t32.imm8('ldrsh', 15, 1, -2)], {
      1: 0x60000000,
    });
    run(m, 2);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.pc).toBe(CODE + 8);
  });

  it('LDR PC (imm12, POP T3 form) branches with interworking', () => {
    const m = setup(
      [t32.imm12('ldr', 15, 1, 0), NOP, NOP, t32.imm8('ldr', 15, 13, 4, { index: false })],
      {
        1: DATA,
      },
    );
    m.bus.write32(DATA, CODE + 8 + 1);
    m.cpu.r[13] = DATA + 16;
    m.bus.write32(DATA + 16, 0x20000201);
    m.cpu.step();
    expect(m.cpu.pc).toBe(CODE + 8);
    m.cpu.step();
    expect(m.cpu.pc).toBe(0x20000200);
    expect(r(m, 13)).toBe(DATA + 20);
  });

  it('LDR PC from an unaligned address is UNPREDICTABLE (UNDEFINSTR)', () => {
    const m = setup([t32.imm12('ldr', 15, 1, 2)], { 1: DATA });
    expectUsageFault(m, UNDEFINSTR);
  });

  it('LDR PC inside an IT block: only as the last instruction', () => {
    const a = setup([b16.it(14), t32.imm12('ldr', 15, 1, 0)], { 1: DATA });
    a.bus.write32(DATA, 0x20000301);
    run(a, 2);
    expect(a.cpu.pc).toBe(0x20000300);
    const b = setup([b16.it(14, 't'), t32.imm12('ldr', 15, 1, 0), NOP], { 1: DATA });
    b.bus.write32(DATA, 0x20000301);
    b.cpu.step();
    expectUsageFault(b, UNDEFINSTR);
  });

  it('LDR to SP and STR from SP', () => {
    const m = setup([t32.imm12('str', 13, 1, 0), t32.imm12('ldr', 13, 1, 4)], { 1: DATA });
    m.bus.write32(DATA + 4, 0x20001003);
    run(m, 2);
    expect(m.bus.read32(DATA)).toBe(STACK_TOP);
    expect(r(m, 13)).toBe(0x20001000);
  });
});

describe('alignment', () => {
  it('unaligned LDR/STR/LDRH are allowed by default', () => {
    const m = setup([t32.imm12('str', 0, 1, 1), t16.ldrImm(2, 1, 0), t16.ldrhImm(3, 4, 0)], {
      0: 0x11223344,
      1: DATA + 1,
      4: DATA + 3,
    });
    m.cpu.r[1] = DATA;
    run(m, 1);
    expect(m.bus.read32(DATA) >>> 8).toBe(0x223344);
    m.cpu.r[1] = DATA + 1;
    run(m, 2);
    expect(r(m, 2)).toBe(0x11223344);
    expect(r(m, 3)).toBe(0x1122);
  });

  it('CCR.UNALIGN_TRP makes unaligned LDR fault', () => {
    const m = setup([t16.ldrImm(2, 1, 0)], { 1: DATA + 2 });
    m.bus.write32(CCR, m.bus.read32(CCR) | 8);
    expectUsageFault(m, UNALIGNED);
  });

  it('LDM, STM, LDRD, STRD, LDREX need word alignment regardless of CCR', () => {
    for (const code of [
      t16.ldm(1, [2, 3]),
      t32.stm(1, [2, 3]),
      t32.ldrd(2, 3, 1, 0),
      t32.strd(2, 3, 1, 0),
      t32.ldrex(2, 1),
    ]) {
      const m = setup([code], { 1: DATA + 2 });
      expectUsageFault(m, UNALIGNED);
    }
  });
});

describe('decode rules', () => {
  it('UNPREDICTABLE and UNDEFINED single-register forms raise UNDEFINSTR', () => {
    for (const code of [
      t32.imm8('ldr', 1, 1, 4, { wback: true }), // writeback with Rn = Rt
      t32.imm12('str', 0, 15, 0), // store with Rn = PC: UNDEFINED
      t32.imm12('strb', 13, 1, 0), // STRB from SP
      t32.imm12('ldrh', 13, 1, 0), // LDRH to SP
      t32.reg('ldr', 0, 1, 13), // Rm = SP
      t32.unpriv('ldr', 15, 1, 0), // LDRT to PC
      [0xf851, 0x0800] as T32, // imm8 form with P = 0, W = 0: UNDEFINED
    ]) {
      expectUsageFault(setup([code], { 1: DATA }), UNDEFINSTR);
    }
  });

  it('Rn = PC selects the literal form even where the unprivileged pattern is as specific', () => {
    // LDRT's pattern with Rn = 1111 is LDR (literal) with U = 0.
    const i = decodeRaw(0xf85f0e10, 4, CODE);
    expect(i.encoding.name).toBe('LDR (literal) T2');
    expect(i.imm).toBe(-0xe10);
    expect(decodeRaw(0xf81f1003, 4).encoding.name).toBe('LDRB (literal) T1');
  });

  it('a bus error during a load is a precise BusFault', () => {
    const m = setup([t16.ldrImm(0, 1, 0)], { 1: 0x60000000 });
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(5);
    expect(m.bus.read32(CFSR) & PRECISERR).toBe(PRECISERR);
    expect(m.bus.read32(m.cpu.r[13]! + 24)).toBe(CODE);
  });

  it('single loads and stores cost 2 cycles', () => {
    const m = setup([t16.ldrImm(0, 1, 0)], { 1: DATA });
    const before = m.clock.cycles;
    run(m, 1);
    expect(m.clock.cycles - before).toBe(2);
  });
});
