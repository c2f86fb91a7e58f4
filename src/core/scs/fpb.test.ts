/**
 * The Flash Patch and Breakpoint unit (ARMv7-M ARM C1.11) and the DebugMonitor exception (B1.5,
 * C1.6 DEMCR): registers as the Cortex-M4 has them, and breakpoints that halt a debugger, take
 * DebugMonitor (DEMCR.MON_EN) or escalate to HardFault, also on code decoded before.
 */
import { describe, expect, it } from 'vitest';
import {
  bkpt,
  handlerAddress,
  machineWithVectors,
  movs,
  STACK_TOP,
} from '../../../test/helpers/machine.js';
import type { Machine } from '../../machine/machine.js';
import { EXC_DEBUGMONITOR, EXC_HARDFAULT } from '../faults.js';
import { FPB_BASE, FPB_BREAKPOINT_IMM } from './fpb.js';

const FP_CTRL = FPB_BASE;
const FP_REMAP = FPB_BASE + 4;
const fpComp = (n: number) => FPB_BASE + 8 + 4 * n;
const DEMCR = 0xe000edfc;
const DFSR = 0xe000ed30;
const HFSR = 0xe000ed2c;
const SHCSR = 0xe000ed24;
const SHPR3 = 0xe000ed20;
const MON_EN = 1 << 16;
const MON_PEND = 1 << 17;
const FLASH = 0x08000000;
// movs r0,#1; movs r1,#2; movs r2,#3; b back to the first movs
const LOOP = [movs(0, 1), movs(1, 2), movs(2, 3), 0xe7fb];

/** A machine running LOOP from flash (the FPB matches the Code region only). */
function flashMachine(code: number[] = LOOP): Machine {
  const m = machineWithVectors([]);
  code.forEach((hw, i) => {
    m.flash.bytes[2 * i] = hw & 0xff;
    m.flash.bytes[2 * i + 1] = hw >>> 8;
  });
  m.cpu.setPc(FLASH);
  return m;
}

/** FP_COMPn as a breakpoint on the halfword at `addr` (REPLACE 01 lower, 10 upper). */
function breakOn(m: Machine, n: number, addr: number): void {
  const replace = (addr & 2) !== 0 ? 2 : 1;
  m.bus.write32(fpComp(n), ((replace << 30) | (addr & 0x1ffffffc) | 1) >>> 0);
  m.bus.write32(FP_CTRL, 3); // KEY | ENABLE
}

function steps(m: Machine, n: number): void {
  for (let i = 0; i < n; i++) m.cpu.step();
}

describe('FPB registers', () => {
  it('FP_CTRL: six code and two literal comparators, ENABLE written only with KEY', () => {
    const m = flashMachine();
    expect(m.bus.read32(FP_CTRL)).toBe(0x260);
    m.bus.write32(FP_CTRL, 1); // no KEY: ignored
    expect(m.bus.read32(FP_CTRL)).toBe(0x260);
    m.bus.write32(FP_CTRL, 0xfffffff3); // read-only fields keep their values
    expect(m.bus.read32(FP_CTRL)).toBe(0x261);
    m.bus.write32(FP_CTRL, 2);
    expect(m.bus.read32(FP_CTRL)).toBe(0x260);
  });

  it('FP_REMAP shows remap support; FP_COMPn keep REPLACE, COMP and ENABLE', () => {
    const m = flashMachine();
    m.bus.write32(FP_REMAP, 0xffffffff);
    expect(m.bus.read32(FP_REMAP)).toBe(0x3fffffe0); // RMPSPT (bit 29) reads 1, REMAP[28:5]
    for (let n = 0; n < 8; n++) {
      m.bus.write32(fpComp(n), 0xffffffff);
      expect(m.bus.read32(fpComp(n))).toBe(0xdffffffd);
    }
    m.bus.write8(fpComp(0), 0x00); // a byte store changes one byte lane
    expect(m.bus.read32(fpComp(0))).toBe(0xdfffff00);
    expect(m.bus.read32(fpComp(8))).toBe(0); // FP_COMP8 does not exist
    m.reset();
    expect(m.bus.read32(fpComp(0))).toBe(0);
    expect(m.bus.read32(FP_REMAP)).toBe(0x20000000);
  });

  it('CoreSight IDs are the Cortex-M4 FPB ones', () => {
    const m = flashMachine();
    const ids = [];
    for (let a = 0xfd0; a < 0x1000; a += 4) ids.push(m.bus.read32(FPB_BASE + a));
    expect(ids).toEqual([0x04, 0, 0, 0, 0x03, 0xb0, 0x2b, 0x00, 0x0d, 0xe0, 0x05, 0xb1]);
  });

  it('unprivileged accesses are bus errors', () => {
    const m = flashMachine();
    m.cpu.control = 1; // nPRIV in thread mode
    expect(() => m.bus.read32(FP_CTRL)).toThrow();
    expect(() => m.bus.write32(FP_CTRL, 3)).toThrow();
  });
});

describe('FPB breakpoints', () => {
  it('with DEMCR.MON_EN take DebugMonitor before the instruction, DFSR.BKPT set', () => {
    const m = flashMachine();
    m.bus.write32(DEMCR, MON_EN);
    breakOn(m, 0, FLASH + 2);
    steps(m, 2);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(m.cpu.pc).toBe(handlerAddress(EXC_DEBUGMONITOR));
    expect(m.cpu.r[1]).toBe(0); // movs r1,#2 did not execute
    expect(m.bus.read32(m.cpu.r[13]! + 24)).toBe(FLASH + 2); // return address
    expect(m.bus.read32(DFSR) & 2).toBe(2);
    expect(m.bus.read32(SHCSR) & (1 << 8)).toBe(1 << 8); // MONITORACT
    expect(m.bus.read32(HFSR)).toBe(0);
  });

  it('catch code decoded before the comparator was set; the upper halfword too', () => {
    const m = flashMachine();
    m.bus.write32(DEMCR, MON_EN);
    steps(m, 8); // two turns of the loop: all decoded
    breakOn(m, 3, FLASH + 6); // the branch, upper halfword of its word
    steps(m, 4);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(m.bus.read32(m.cpu.r[13]! + 24)).toBe(FLASH + 6);
  });

  it('do nothing while FP_CTRL.ENABLE is clear, or once the comparator is disabled', () => {
    const m = flashMachine();
    m.bus.write32(DEMCR, MON_EN);
    breakOn(m, 0, FLASH + 2);
    m.bus.write32(FP_CTRL, 2); // KEY, ENABLE clear
    steps(m, 8);
    expect(m.cpu.ipsr).toBe(0);
    m.bus.write32(FP_CTRL, 3);
    m.bus.write32(fpComp(0), 0);
    steps(m, 8);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.codeHookCount).toBe(0);
  });

  it('escalate to HardFault (HFSR.DEBUGEVT) without a debugger or monitor', () => {
    const m = flashMachine();
    breakOn(m, 1, FLASH + 4);
    steps(m, 3);
    expect(m.cpu.ipsr).toBe(EXC_HARDFAULT);
    expect(m.bus.read32(HFSR) >>> 31).toBe(1);
    expect(m.bus.read32(DFSR) & 2).toBe(2);
    expect(m.cpu.r[2]).toBe(0);
  });

  it('escalate to HardFault when DebugMonitor cannot preempt (priority)', () => {
    const m = flashMachine();
    m.bus.write32(DEMCR, MON_EN);
    m.bus.write32(SHPR3, 0x80); // DebugMonitor at priority 0x80
    m.cpu.basepri = 0x40; // execution priority above it
    breakOn(m, 0, FLASH + 2);
    steps(m, 2);
    expect(m.cpu.ipsr).toBe(EXC_HARDFAULT);
  });

  it('halt a debugger (PC at the breakpoint); resuming runs the instruction once', () => {
    const m = flashMachine();
    m.bus.write32(DEMCR, MON_EN); // a halting debugger comes first
    const imms: number[] = [];
    m.cpu.bkptHandler = (c, imm) => {
      imms.push(imm);
      c.nextPc = c.pc;
      c.stopReason = 'breakpoint';
      c.requestAttention();
      return true;
    };
    breakOn(m, 0, FLASH + 2);
    m.cpu.attention = 0; // the register writes asked for it
    m.cpu.executeBatch(100, Infinity);
    expect(m.cpu.stopReason).toBe('breakpoint');
    expect(m.cpu.pc).toBe(FLASH + 2);
    expect(m.cpu.r[1]).toBe(0);
    expect(m.cpu.ipsr).toBe(0);
    m.cpu.stopReason = null;
    m.cpu.attention = 0;
    m.cpu.executeBatch(100, Infinity);
    expect(m.cpu.r[1]).toBe(2); // executed, then the loop came back to the breakpoint
    expect(m.cpu.stopReason).toBe('breakpoint');
    expect(m.cpu.pc).toBe(FLASH + 2);
    expect(imms).toEqual([FPB_BREAKPOINT_IMM, FPB_BREAKPOINT_IMM]);
  });
});

describe('DebugMonitor', () => {
  it('a BKPT with DEMCR.MON_EN takes DebugMonitor instead of HardFault', () => {
    const m = flashMachine([movs(0, 1), bkpt(7), movs(1, 2)]);
    m.bus.write32(DEMCR, MON_EN);
    steps(m, 2);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(m.bus.read32(m.cpu.r[13]! + 24)).toBe(FLASH + 2);
    expect(m.bus.read32(HFSR)).toBe(0);
  });

  it('DEMCR.MON_PEND pends it (also with MON_EN clear) and reads back its pending state', () => {
    const m = flashMachine();
    m.bus.write32(SHPR3, 0x20);
    m.cpu.basepri = 0x20; // masked for now
    m.bus.write32(DEMCR, MON_PEND);
    steps(m, 1);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.bus.read32(DEMCR) & MON_PEND).toBe(MON_PEND);
    m.bus.write32(DEMCR, 0); // cleared again
    m.cpu.basepri = 0;
    steps(m, 1);
    expect(m.cpu.ipsr).toBe(0);
    m.bus.write32(DEMCR, MON_PEND);
    steps(m, 1);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(m.bus.read32(DEMCR) & MON_PEND).toBe(0); // taken: no longer pending
    expect(m.cpu.r[13]).toBe(STACK_TOP - 32);
  });
});
