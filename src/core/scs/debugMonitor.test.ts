/**
 * DEMCR.MON_STEP and MON_REQ (ARMv7-M ARM C1.6.5): a return from DebugMonitor with MON_EN and
 * MON_STEP set executes one instruction, then DebugMonitor is taken again with DFSR.HALTED;
 * MON_REQ is a semaphore with no effect on the hardware.
 */
import { describe, expect, it } from 'vitest';
import {
  B_SELF,
  CODE,
  handlerAddress,
  machineWithVectors,
  movs,
} from '../../../test/helpers/machine.js';
import type { Machine } from '../../machine/machine.js';
import { EXC_DEBUGMONITOR } from '../faults.js';
import {
  DEMCR_MON_EN,
  DEMCR_MON_PEND,
  DEMCR_MON_REQ,
  DEMCR_MON_STEP,
  DFSR_HALTED,
} from './debugMonitor.js';

const DEMCR = 0xe000edfc;
const DFSR = 0xe000ed30;
const PROGRAM = [movs(0, 1), movs(1, 2), movs(2, 3), movs(3, 4), B_SELF];

function steps(m: Machine, n: number): void {
  for (let i = 0; i < n; i++) m.cpu.step();
}

/** Enters DebugMonitor (through MON_PEND) and runs its `nop; bx lr` up to the return. */
function monitorRound(m: Machine): void {
  steps(m, 2); // nop; bx lr
}

describe('DEMCR.MON_STEP', () => {
  it('steps one instruction per return from DebugMonitor, DFSR.HALTED set', () => {
    const m = machineWithVectors(PROGRAM);
    m.bus.write32(DEMCR, DEMCR_MON_EN | DEMCR_MON_STEP | DEMCR_MON_PEND);
    steps(m, 1); // DebugMonitor taken (pending), its first instruction runs
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    m.bus.write32(DFSR, 0x1f);
    steps(m, 1); // bx lr: back to thread mode at CODE
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.pc).toBe(CODE);
    steps(m, 1); // movs r0,#1, then DebugMonitor again
    expect(m.cpu.r[0]).toBe(1);
    expect(m.cpu.r[1]).toBe(0);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(m.cpu.pc).toBe(handlerAddress(EXC_DEBUGMONITOR));
    expect(m.bus.read32(m.cpu.r[13]! + 24)).toBe(CODE + 2);
    expect(m.bus.read32(DFSR) & DFSR_HALTED).toBe(DFSR_HALTED);
    monitorRound(m);
    steps(m, 1); // movs r1,#2, then DebugMonitor
    expect(m.cpu.r[1]).toBe(2);
    expect(m.cpu.r[2]).toBe(0);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    expect(m.bus.read32(m.cpu.r[13]! + 24)).toBe(CODE + 4);
    // The monitor clears MON_STEP: the program runs on.
    m.bus.write32(DEMCR, DEMCR_MON_EN);
    monitorRound(m);
    steps(m, 3);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.r[3]).toBe(4);
  });

  it('does nothing without MON_EN', () => {
    const m = machineWithVectors(PROGRAM);
    m.bus.write32(DEMCR, DEMCR_MON_STEP | DEMCR_MON_PEND);
    steps(m, 2);
    expect(m.cpu.ipsr).toBe(0);
    steps(m, 4);
    expect(m.cpu.r[3]).toBe(4);
    expect(m.cpu.codeHookCount).toBe(0);
  });

  it('does not step when the return is to a priority DebugMonitor cannot preempt', () => {
    const m = machineWithVectors(PROGRAM);
    m.bus.write8(0xe000ed18 + EXC_DEBUGMONITOR - 4, 0x80);
    m.bus.write32(DEMCR, DEMCR_MON_EN | DEMCR_MON_STEP | DEMCR_MON_PEND);
    steps(m, 1);
    expect(m.cpu.ipsr).toBe(EXC_DEBUGMONITOR);
    m.cpu.basepri = 0x80; // the thread returned to runs masked
    steps(m, 4);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.r[2]).toBe(3);
  });
});

describe('DEMCR.MON_REQ', () => {
  it('is stored and read back, with no effect', () => {
    const m = machineWithVectors(PROGRAM);
    m.bus.write32(DEMCR, DEMCR_MON_REQ);
    expect(m.bus.read32(DEMCR)).toBe(DEMCR_MON_REQ);
    steps(m, 4);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.r[3]).toBe(4);
    m.bus.write32(DEMCR, 0);
    expect(m.bus.read32(DEMCR)).toBe(0);
  });
});
