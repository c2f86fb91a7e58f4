/**
 * The system group, and hand tests for the cases the Unicorn differential cannot cover
 * (docs/differential.md): YIELD, SP writes with low bits set, SLEEPONEXIT, MRS/MSR, CPS.
 */
import { describe, expect, it } from 'vitest';
import {
  B_SELF,
  CODE,
  CPSID_I,
  CPSIE_I,
  NOP,
  WFI,
  machineWithVectors,
} from '../../../test/helpers/machine.js';
import { disassemble } from '../disassembler.js';

const MRS = (rd: number, sysm: number) => [0xf3ef, 0x8000 | (rd << 8) | sysm];
const MSR = (rn: number, sysm: number, mask = 2) => [0xf380 | rn, 0x8000 | (mask << 10) | sysm];
const YIELD = 0xbf10;
const YIELD_W = [0xf3af, 0x8001];
const MOV_SP_R0 = 0x4685; // mov sp, r0

describe('system instructions', () => {
  it('YIELD (16 and 32-bit) executes as a NOP', () => {
    const m = machineWithVectors([YIELD, ...YIELD_W, B_SELF]);
    const before = Array.from(m.cpu.r);
    m.cpu.step();
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.pc).toBe(0x20000006);
    expect(Array.from(m.cpu.r).slice(0, 15)).toEqual(before.slice(0, 15));
  });

  it('a write to SP clears bits [1:0] (SP is word-aligned)', () => {
    const m = machineWithVectors([MOV_SP_R0]);
    m.cpu.r[0] = 0x20003007;
    m.cpu.step();
    expect(m.cpu.r[13]).toBe(0x20003004);
  });

  it('MRS/MSR move MSP, PSP, PRIMASK, BASEPRI, BASEPRI_MAX, FAULTMASK and CONTROL', () => {
    const m = machineWithVectors([
      ...MSR(0, 9), // psp = r0
      ...MRS(1, 9),
      ...MSR(2, 17), // basepri = r2
      ...MSR(3, 18), // basepri_max = r3 (only raises priority)
      ...MRS(4, 17),
      ...MSR(5, 20), // control = r5 (SPSEL)
      ...MRS(6, 20),
      B_SELF,
    ]);
    m.cpu.r[0] = 0x20002000;
    m.cpu.r[2] = 0x80;
    m.cpu.r[3] = 0xa0; // lower priority than 0x80: ignored
    m.cpu.r[5] = 2;
    for (let i = 0; i < 7; i++) m.cpu.step();
    expect(m.cpu.r[1]).toBe(0x20002000);
    expect(m.cpu.r[4]).toBe(0x80);
    expect(m.cpu.r[6]).toBe(2);
    expect(m.cpu.usingPsp).toBe(true);
    expect(m.cpu.r[13]).toBe(0x20002000);
  });

  it('MSR BASEPRI/PRIMASK and CPS I stop the batch only when an exception is pending', () => {
    // A critical section as NuttX writes it: mask, work, unmask; then CPSID/CPSIE.
    const code = [...MSR(0, 17), NOP, ...MSR(1, 17), CPSID_I, CPSIE_I, ...MSR(1, 16), NOP, B_SELF];
    const m = machineWithVectors(code);
    m.cpu.jit = null; // the interpreter's batch (the translator's blocks check the same flag)
    m.cpu.r[0] = 0x80;
    m.cpu.r[1] = 0;
    m.cpu.executeBatch(7, Infinity);
    expect(m.cpu.instructions).toBe(7); // one batch: nothing ended it
    expect(m.cpu.attention).toBe(0);
    // IRQ5 (priority 0x80) pending under BASEPRI 0x80: the MSR that lowers the mask ends the
    // batch, and the interrupt is taken after it, its return address the next instruction.
    const n = machineWithVectors(code);
    n.cpu.jit = null;
    n.bus.write8(0xe000e400 + 5, 0x80);
    n.bus.write32(0xe000e100, 1 << 5);
    n.cpu.r[0] = 0x80;
    n.cpu.r[1] = 0;
    n.cpu.step(); // basepri = 0x80
    n.bus.write32(0xe000e200, 1 << 5); // pend IRQ5: masked
    n.run(1); // nop
    expect(n.cpu.ipsr).toBe(0);
    n.cpu.executeBatch(n.cpu.instructions + 5, Infinity);
    expect(n.cpu.pc).toBe(CODE + 10); // stopped after the unmasking MSR
    n.run(1);
    expect(n.cpu.ipsr).toBe(16 + 5);
    expect(n.bus.read32(n.cpu.r[13]! + 24)).toBe(CODE + 10); // stacked return address
  });

  it('unprivileged MSR to special registers is ignored; APSR writes still work', () => {
    const m = machineWithVectors([...MSR(0, 16), ...MSR(1, 0, 2), B_SELF]);
    m.cpu.setModeAndControl(0, 1); // nPRIV
    m.cpu.r[0] = 1;
    m.cpu.r[1] = 0xf8000000;
    m.cpu.step();
    m.cpu.step();
    expect(m.cpu.primask).toBe(0);
    expect(m.cpu.apsr >>> 0).toBe(0xf8000000);
  });

  it('SLEEPONEXIT sleeps on return to thread mode; the next interrupt runs without the thread', () => {
    const m = machineWithVectors([NOP, NOP, B_SELF]);
    m.bus.write32(0xe000ed10, 2); // SCR.SLEEPONEXIT
    m.bus.write32(0xe000e100, 1);
    m.bus.write32(0xe000e200, 1);
    m.cpu.step(); // IRQ0: nop
    m.cpu.step(); // bx lr → sleep
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.sleeping).toBe(true);
    expect(m.run(100)).toBe('sleep');
    expect(m.cpu.pc).toBe(0x20000000); // the thread did not run
  });

  it('WFE returns at once when the event register is set (SEV)', () => {
    const m = machineWithVectors([0xbf40, 0xbf20, NOP]); // sev; wfe; nop
    m.cpu.step();
    m.cpu.step();
    expect(m.cpu.sleeping).toBe(false);
    m.cpu.step();
    expect(m.cpu.pc).toBe(0x20000006);
  });

  it('disassembles from the same table', () => {
    const m = machineWithVectors([...MRS(3, 8), WFI, 0xb672, 0xdf05, 0xbeab]);
    const text = disassemble(0x20000000, 5, (a) => m.bus.read16(a)).map((d) => d.text);
    expect(text).toEqual(['mrs r3, MSP', 'wfi', 'cpsid i', 'svc #5', 'bkpt #171']);
  });
});
