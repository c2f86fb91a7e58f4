/**
 * The DWT comparators (ARMv7-M ARM C1.8) as watchpoints: registers as the Cortex-M4 has them,
 * data read/write and PC matches with MASK, FUNCTION.MATCHED, the debug event they raise
 * (a halting debugger, DebugMonitor with DFSR.DWTTRAP, or nothing), DEMCR.TRCENA gating, CYCCNT
 * matching, and the bus watch list shared with the debugger's watchpoints.
 */
import { describe, expect, it } from 'vitest';
import {
  B_SELF,
  CODE,
  handlerAddress,
  machineWithVectors,
  movs,
  NOP,
} from '../../../test/helpers/machine.js';
import type { Machine } from '../../machine/machine.js';
import { EXC_DEBUGMONITOR } from '../faults.js';
import { DWT_WATCHPOINT_IMM } from './debugMonitor.js';

const DWT_CTRL = 0xe0001000;
const DWT_CYCCNT = 0xe0001004;
const comp = (n: number) => 0xe0001020 + 16 * n;
const maskReg = (n: number) => 0xe0001024 + 16 * n;
const fn = (n: number) => 0xe0001028 + 16 * n;
const DEMCR = 0xe000edfc;
const DFSR = 0xe000ed30;
const HFSR = 0xe000ed2c;
const MON_EN = 1 << 16;
const TRCENA = 1 << 24;
const MATCHED = 1 << 24;
const DWTTRAP = 1 << 2;
const DATA = 0x20002000;
// CODE: ldr r0,[r1]; movs r2,#1; str r0,[r1,#4]; movs r3,#2; b .
const LDR_R0_R1 = 0x6808;
const STR_R0_R1_4 = 0x6048;
const PROGRAM = [LDR_R0_R1, movs(2, 1), STR_R0_R1_4, movs(3, 2), B_SELF];

function machine(demcr = TRCENA | MON_EN): Machine {
  const m = machineWithVectors(PROGRAM);
  m.bus.write32(DATA, 0x12345678);
  m.cpu.r[1] = DATA;
  m.bus.write32(DEMCR, demcr);
  return m;
}

/** Comparator n watches [address masked by `mask` bits] with FUNCTION `f`. */
function watch(m: Machine, n: number, address: number, f: number, mask = 0): void {
  m.bus.write32(comp(n), address);
  m.bus.write32(maskReg(n), mask);
  m.bus.write32(fn(n), f);
}

function steps(m: Machine, n: number): void {
  for (let i = 0; i < n; i++) m.cpu.step();
}

const stackedPc = (m: Machine) => m.bus.read32(m.cpu.r[13]! + 24);

describe('DWT registers', () => {
  it('DWT_CTRL: NUMCOMP 4 and every unit present; only the control fields are writable', () => {
    const m = machine();
    expect(m.bus.read32(DWT_CTRL)).toBe(0x40000000);
    m.bus.write32(DWT_CTRL, 0xffffffff);
    expect(m.bus.read32(DWT_CTRL)).toBe(0x407f1fff);
    m.bus.write32(DWT_CTRL, 0);
    expect(m.bus.read32(DWT_CTRL)).toBe(0x40000000);
  });

  it('COMP, MASK and FUNCTION keep their fields: CYCMATCH on comparator 0, value matching on 1', () => {
    const m = machine();
    expect([0, 1, 2, 3].map((n) => m.bus.read32(fn(n)))).toEqual([0, 0x200, 0, 0]); // LNK1ENA
    for (let n = 0; n < 4; n++) {
      m.bus.write32(comp(n), 0xffffffff);
      m.bus.write32(maskReg(n), 0xffffffff);
      m.bus.write32(fn(n), 0xffffffff & ~0xf); // FUNCTION 0: disabled
      expect(m.bus.read32(comp(n))).toBe(0xffffffff);
      expect(m.bus.read32(maskReg(n))).toBe(0xf);
      expect(m.bus.read32(fn(n))).toBe([0xa0, 0x33f20, 0x20, 0x20][n]);
    }
    expect(m.bus.read32(comp(4))).toBe(0); // no comparator 4
    m.reset();
    expect(m.bus.read32(fn(0))).toBe(0);
    expect(m.bus.read32(fn(1))).toBe(0x200);
    expect(m.bus.read32(comp(1))).toBe(0);
  });
});

describe('DWT data watchpoints', () => {
  it('a read takes DebugMonitor once the load completed: DFSR.DWTTRAP, the next PC stacked', () => {
    const m = machine();
    watch(m, 0, DATA, 5);
    steps(m, 1);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(m.cpu.pc).toBe(handlerAddress(EXC_DEBUGMONITOR));
    expect(m.cpu.r[0]).toBe(0x12345678); // the load completed
    expect(stackedPc(m)).toBe(CODE + 2);
    expect(m.bus.read32(DFSR) & DWTTRAP).toBe(DWTTRAP);
    expect(m.bus.read32(HFSR)).toBe(0);
    expect(m.bus.read32(fn(0))).toBe(MATCHED | 5);
    expect(m.bus.read32(fn(0))).toBe(5); // MATCHED cleared by the read
  });

  it('a write watchpoint ignores reads and matches the store', () => {
    const m = machine();
    watch(m, 2, DATA + 4, 6);
    steps(m, 2);
    expect(m.cpu.ipsr).toBe(0);
    steps(m, 1); // str r0,[r1,#4]
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(m.bus.read32(DATA + 4)).toBe(0x12345678);
    expect(stackedPc(m)).toBe(CODE + 6);
    expect(m.bus.read32(fn(2)) & MATCHED).toBe(MATCHED);
  });

  it('MASK ignores the low address bits; an access matches when any of its bytes is inside', () => {
    const m = machine();
    watch(m, 1, DATA + 7, 7, 3); // [DATA, DATA + 8), reads and writes
    steps(m, 1);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    const n = machine();
    watch(n, 1, DATA + 8, 7, 2); // [DATA + 8, DATA + 12): neither access
    steps(n, 4);
    expect(n.cpu.ipsr).toBe(0);
    expect(n.bus.read32(fn(1)) & MATCHED).toBe(0);
    const o = machine();
    watch(o, 1, DATA + 3, 5); // the last byte of the word read
    steps(o, 1);
    expect(o.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
  });

  it('without MON_EN or a debugger the event is ignored (MATCHED still set); nothing escalates', () => {
    const m = machine(TRCENA);
    watch(m, 0, DATA, 7);
    steps(m, 4);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.r[3]).toBe(2);
    expect(m.bus.read32(HFSR)).toBe(0);
    expect(m.bus.read32(DFSR)).toBe(0);
    expect(m.bus.read32(fn(0)) & MATCHED).toBe(MATCHED);
  });

  it('ignored when DebugMonitor cannot preempt the execution priority', () => {
    const m = machine();
    m.bus.write8(0xe000ed18 + EXC_DEBUGMONITOR - 4, 0x80);
    m.cpu.basepri = 0x40;
    watch(m, 0, DATA, 5);
    steps(m, 2);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.nvic.pending[EXC_DEBUGMONITOR]).toBe(0);
    expect(m.bus.read32(fn(0)) & MATCHED).toBe(MATCHED);
  });

  it('do nothing while DEMCR.TRCENA is clear', () => {
    const m = machine(MON_EN);
    watch(m, 0, DATA, 7);
    steps(m, 4);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.bus.read32(fn(0)) & MATCHED).toBe(0);
  });

  it('an instruction fetch is not a data read', () => {
    const m = machine();
    watch(m, 0, CODE + 4, 5, 2); // the str's word, not yet decoded
    steps(m, 4);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.bus.read32(fn(0)) & MATCHED).toBe(0);
  });

  it('a write to a device register matches too', () => {
    const m = machine();
    const odr = 0x40020c14; // GPIOD_ODR
    m.cpu.r[1] = odr - 4;
    m.bus.write32(0x40023830, 1 << 3); // RCC_AHB1ENR.GPIODEN
    watch(m, 3, odr, 6);
    steps(m, 3);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(m.bus.read32(fn(3)) & MATCHED).toBe(MATCHED);
  });

  it('a halting debugger stops after the access; the instruction is not run again', () => {
    const m = machine();
    const imms: number[] = [];
    m.cpu.bkptHandler = (c, imm) => {
      imms.push(imm);
      c.nextPc = c.pc;
      c.stopReason = 'breakpoint';
      c.requestAttention();
      return true;
    };
    watch(m, 0, DATA, 5);
    expect(m.run(100)).toBe('breakpoint');
    expect(m.cpu.pc).toBe(CODE + 2);
    expect(m.cpu.r[0]).toBe(0x12345678);
    expect(m.cpu.ipsr).toBe(0);
    expect(imms).toEqual([DWT_WATCHPOINT_IMM]);
    expect(m.run(3)).toBe('limit');
    expect(m.cpu.r[3]).toBe(2);
  });

  it("shares the bus watch list with the debugger's watchpoints, neither wiping the other", () => {
    const m = machine();
    let debuggerHits = 0;
    m.bus.onWatchHit = () => debuggerHits++;
    watch(m, 0, DATA + 4, 6);
    m.bus.setWatchpoints([{ address: DATA, length: 4, kind: 'read' }]); // the debugger's
    watch(m, 1, 0x20003000, 6); // rearming the DWT keeps them
    expect(m.bus.watchpointList.length).toBe(3);
    steps(m, 1);
    expect(debuggerHits).toBe(1);
    m.bus.setWatchpoints([]); // the debugger clears its own only
    expect(m.bus.watchpointList.length).toBe(2);
    steps(m, 2);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(debuggerHits).toBe(1);
  });
});

describe('DWT data value match (comparator 1)', () => {
  const DATAVMATCH = 1 << 8;
  /** Comparator 1 matches `value` of `bytes` in comparator 2's range (linked by DATAVADDR0/1). */
  function valueWatch(m: Machine, value: number, bytes: number, f: number): void {
    watch(m, 2, DATA + 4, 0); // the linked address comparator itself does nothing
    const size = bytes === 4 ? 2 : bytes === 2 ? 1 : 0;
    m.bus.write32(comp(1), value);
    m.bus.write32(fn(1), f | DATAVMATCH | (size << 10) | (2 << 12) | (2 << 16));
  }

  it('matches a store of the value at the linked address, not another value', () => {
    const m = machine();
    valueWatch(m, 0x12345678, 4, 6);
    steps(m, 3); // ldr r0 (0x12345678), movs, str r0,[r1,#4]
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(stackedPc(m)).toBe(CODE + 6);
    expect(m.bus.read32(fn(1)) & MATCHED).toBe(MATCHED);
    const n = machine();
    valueWatch(n, 0x12345679, 4, 6);
    steps(n, 4);
    expect(n.cpu.ipsr).toBe(0);
    expect(n.bus.read32(fn(1)) & MATCHED).toBe(0);
  });

  it('needs an access of DATAVSIZE; a byte value compares the byte accessed', () => {
    const m = machine();
    m.bus.write32(DATA + 4, 0x000000aa);
    valueWatch(m, 0xaaaaaaaa, 1, 5); // byte reads of 0xaa
    expect(m.bus.read32(DATA + 4)).toBe(0xaa); // a word read: DATAVSIZE is a byte
    expect(m.bus.read32(fn(1)) & MATCHED).toBe(0);
    m.bus.write32(DEMCR, TRCENA); // no monitor: only MATCHED
    expect(m.bus.read8(DATA + 5)).toBe(0);
    expect(m.bus.read32(fn(1)) & MATCHED).toBe(0);
    expect(m.bus.read8(DATA + 4)).toBe(0xaa);
    expect(m.bus.read32(fn(1)) & MATCHED).toBe(MATCHED);
    expect(m.bus.read8(DATA)).toBe(0x78); // outside the linked range
    expect(m.bus.read32(fn(1)) & MATCHED).toBe(0);
  });
});

describe('DWT PC match', () => {
  it('takes DebugMonitor before the instruction executes, its address stacked', () => {
    const m = machine();
    steps(m, 2); // decoded already: caught all the same
    m.cpu.setPc(CODE);
    watch(m, 0, CODE + 2, 4);
    steps(m, 2);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(stackedPc(m)).toBe(CODE + 2);
    expect(m.bus.read32(DFSR) & DWTTRAP).toBe(DWTTRAP);
    expect(m.bus.read32(fn(0)) & MATCHED).toBe(MATCHED);
  });

  it('with MASK covers a range of instructions; ignored without MON_EN', () => {
    const m = machine();
    watch(m, 0, CODE + 4, 4, 2); // CODE+4 and CODE+6
    steps(m, 3);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(stackedPc(m)).toBe(CODE + 4);
    const n = machine(TRCENA);
    watch(n, 0, CODE + 2, 4);
    steps(n, 4);
    expect(n.cpu.ipsr).toBe(0);
    expect(n.cpu.r[3]).toBe(2);
    expect(n.bus.read32(fn(0)) & MATCHED).toBe(MATCHED);
  });

  it('a halting debugger stops before the instruction; resuming runs it once', () => {
    const m = machine();
    m.cpu.bkptHandler = (c) => {
      c.nextPc = c.pc;
      c.stopReason = 'breakpoint';
      c.requestAttention();
      return true;
    };
    watch(m, 0, CODE + 2, 4);
    expect(m.run(100)).toBe('breakpoint');
    expect(m.cpu.pc).toBe(CODE + 2);
    expect(m.cpu.r[2]).toBe(0);
    expect(m.run(2)).toBe('limit');
    expect(m.cpu.r[2]).toBe(1);
    expect(m.cpu.pc).toBe(CODE + 6);
  });

  it('removing the function removes its code hooks', () => {
    const m = machine();
    watch(m, 0, CODE, 4, 4);
    expect(m.cpu.codeHookCount).toBe(8);
    m.bus.write32(maskReg(0), 0x1f); // MASK 15 at most: 32 KB, 16384 halfwords
    expect(m.cpu.codeHookCount).toBe(16384);
    m.bus.write32(fn(0), 0);
    expect(m.cpu.codeHookCount).toBe(0);
  });
});

describe('DWT cycle count match', () => {
  it('comparator 0 with CYCMATCH raises the event when CYCCNT reaches COMP0', () => {
    const m = machineWithVectors(new Array(40).fill(NOP));
    m.bus.write32(DEMCR, TRCENA | MON_EN);
    m.bus.write32(DWT_CYCCNT, 0);
    m.bus.write32(DWT_CTRL, 1);
    m.bus.write32(comp(0), 10);
    m.bus.write32(fn(0), (1 << 7) | 4);
    m.run(9);
    expect(m.cpu.ipsr).toBe(0);
    m.run(2);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(stackedPc(m)).toBe(CODE + 20);
    expect(m.bus.read32(fn(0)) & MATCHED).toBe(MATCHED);
  });

  it('TRCENA cleared stops CYCCNT and its match; set again, both go on from where they were', () => {
    const m = machineWithVectors(new Array(60).fill(NOP));
    m.bus.write32(DEMCR, TRCENA | MON_EN);
    m.bus.write32(DWT_CYCCNT, 0);
    m.bus.write32(DWT_CTRL, 1);
    m.bus.write32(comp(0), 10);
    m.bus.write32(fn(0), (1 << 7) | 4);
    m.run(5);
    const at = m.bus.read32(DWT_CYCCNT);
    m.bus.write32(DEMCR, MON_EN); // TRCENA off: the DWT stops
    m.run(20);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.bus.read32(DEMCR) & TRCENA).toBe(0);
    m.bus.write32(DEMCR, TRCENA | MON_EN);
    expect(m.bus.read32(DWT_CYCCNT)).toBe(at);
    m.run(10 - at - 1);
    expect(m.cpu.ipsr).toBe(0);
    m.run(2);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
  });
});
