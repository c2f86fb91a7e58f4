import { describe, expect, it } from 'vitest';
import {
  BX_LR,
  B_SELF,
  CODE,
  CPSID_I,
  NOP,
  STACK_TOP,
  WFI,
  bkpt,
  handlerAddress,
  machineWithVectors,
  movs,
  place,
  stepUntil,
  svc,
} from '../../test/helpers/machine.js';
import { Machine } from '../machine/machine.js';

const ICSR = 0xe000ed04;
const AIRCR = 0xe000ed0c;
const SHCSR = 0xe000ed24;
const CFSR = 0xe000ed28;
const HFSR = 0xe000ed2c;

describe('reset', () => {
  it('loads SP and PC from the vector table in flash (boot alias at 0)', () => {
    const m = new Machine();
    const words = [0x20001000, 0x08000101];
    words.forEach((w, i) => {
      for (let b = 0; b < 4; b++) m.bus.poke8(0x08000000 + 4 * i + b, (w >>> (8 * b)) & 0xff);
    });
    m.reset();
    expect(m.cpu.r[13]).toBe(0x20001000);
    expect(m.cpu.pc).toBe(0x08000100);
    expect(m.cpu.t).toBe(1);
    expect(m.cpu.xpsr).toBe(0x01000000);
    expect(m.cpu.r[14]).toBe(0xffffffff);
  });

  it('blank flash (all ones) locks up instead of running away', () => {
    const m = new Machine({ warn: () => {} });
    m.reset();
    expect(m.run(1000)).toBe('lockup');
  });
});

describe('exception entry and return', () => {
  it('SVC stacks an 8-word frame, enters the handler with EXC_RETURN and returns after SVC', () => {
    const m = machineWithVectors([movs(0, 7), movs(1, 9), svc(3), movs(2, 1), B_SELF]);
    m.cpu.r[12] = 0x1234;
    m.cpu.r[14] = 0xabcd0001;
    m.cpu.step();
    m.cpu.step();
    m.cpu.step(); // svc
    expect(m.cpu.ipsr).toBe(11);
    expect(m.cpu.pc).toBe(handlerAddress(11));
    expect(m.cpu.r[14]).toBe(0xfffffff9);
    const sp = m.cpu.r[13]!;
    expect(sp).toBe(STACK_TOP - 32);
    const frame = [0, 4, 8, 12, 16, 20, 24, 28].map((o) => m.bus.read32(sp + o));
    expect(frame).toEqual([7, 9, 0, 0, 0x1234, 0xabcd0001, CODE + 6, 0x01000000]);
    m.cpu.step(); // nop
    m.cpu.step(); // bx lr
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.pc).toBe(CODE + 6);
    expect(m.cpu.r[13]).toBe(STACK_TOP);
    m.cpu.step();
    expect(m.cpu.r[2]).toBe(1);
  });

  it('aligns the frame to 8 bytes (CCR.STKALIGN) and restores the original SP', () => {
    const m = machineWithVectors([svc(0), NOP]);
    m.cpu.r[13] = STACK_TOP - 4;
    m.cpu.step();
    expect(m.cpu.r[13]).toBe(STACK_TOP - 8 - 32);
    expect(m.bus.read32(m.cpu.r[13]! + 28) & (1 << 9)).toBe(1 << 9);
    m.cpu.step();
    m.cpu.step();
    expect(m.cpu.r[13]).toBe(STACK_TOP - 4);
  });

  it('stacks on PSP in thread mode with SPSEL and returns with 0xFFFFFFFD', () => {
    const m = machineWithVectors([svc(0), NOP]);
    m.cpu.setModeAndControl(0, 2);
    m.cpu.r[13] = 0x20002000; // PSP
    m.cpu.otherSp = STACK_TOP; // MSP
    m.cpu.step();
    expect(m.cpu.r[14]).toBe(0xfffffffd);
    expect(m.cpu.psp).toBe(0x20002000 - 32);
    expect(m.cpu.r[13]).toBe(STACK_TOP); // handler runs on MSP
    m.cpu.step();
    m.cpu.step();
    expect(m.cpu.usingPsp).toBe(true);
    expect(m.cpu.r[13]).toBe(0x20002000);
  });

  it('SVC with PRIMASK set escalates to HardFault (HFSR.FORCED)', () => {
    const m = machineWithVectors([CPSID_I, svc(0)]);
    m.cpu.step();
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(3);
    expect(m.bus.read32(HFSR) >>> 0).toBe(0x40000000);
  });

  it('an undefined instruction is a UsageFault when enabled, else a forced HardFault', () => {
    const m = machineWithVectors([0xde00]);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(3);
    expect(m.bus.read32(CFSR)).toBe(1 << 16);
    const m2 = machineWithVectors([0xde00]);
    m2.bus.write32(SHCSR, 1 << 18);
    m2.cpu.step();
    expect(m2.cpu.ipsr).toBe(6);
    expect(m2.bus.read32(m2.cpu.r[13]! + 24)).toBe(CODE); // return address = faulting insn
  });

  it('a fault inside HardFault locks up', () => {
    const m = machineWithVectors([0xde00]);
    place(m, handlerAddress(3), [0xde01]);
    expect(m.run(100)).toBe('lockup');
    expect(m.exc.lockup?.pc).toBe(handlerAddress(3));
  });

  it('an invalid EXC_RETURN raises INVPC', () => {
    const m = machineWithVectors([svc(0)]);
    m.bus.write32(SHCSR, 1 << 18);
    m.bus.write32(0xe000ed1c, 0x80 << 24); // SVCall below UsageFault so the fault can preempt
    m.cpu.step();
    m.cpu.step(); // nop
    m.cpu.r[14] = 0xfffffff5; // reserved encoding
    m.cpu.step(); // bx lr
    expect(m.cpu.ipsr).toBe(6);
    expect(m.bus.read32(CFSR) & (1 << 18)).toBe(1 << 18);
  });

  it('BKPT with no debugger escalates to HardFault with DEBUGEVT', () => {
    const m = machineWithVectors([bkpt(1)]);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(3);
    expect(m.bus.read32(HFSR) >>> 0).toBe(0x80000000);
  });
});

describe('priorities, masking and tail-chaining', () => {
  it('PendSV set through ICSR is taken at once and RETTOBASE/VECTACTIVE read back', () => {
    const m = machineWithVectors([NOP, NOP, NOP]);
    m.bus.write32(ICSR, 1 << 28);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(14);
    const icsr = m.bus.read32(ICSR);
    expect(icsr & 0x1ff).toBe(14);
    expect(icsr & (1 << 11)).toBe(1 << 11);
  });

  it('BASEPRI masks interrupts of equal or lower priority; BASEPRI_MAX only raises', () => {
    const m = machineWithVectors([NOP, NOP, NOP, NOP]);
    m.bus.write8(0xe000e400 + 5, 0x80); // IRQ5 priority 0x80
    m.bus.write32(0xe000e100, 1 << 5); // enable
    m.cpu.basepri = 0x80;
    m.bus.write32(0xe000e200, 1 << 5); // pend
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(0);
    m.cpu.basepri = 0x90;
    m.cpu.requestAttention();
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(16 + 5);
  });

  it('IPR implements the top 4 bits only', () => {
    const m = new Machine();
    m.bus.write32(0xe000e400, 0xffffffff);
    expect(m.bus.read32(0xe000e400) >>> 0).toBe(0xf0f0f0f0);
  });

  it('tail-chains two pending interrupts without returning to thread mode', () => {
    const m = machineWithVectors([NOP, NOP, NOP, NOP]);
    m.bus.write32(0xe000e100, 0b11); // IRQ0, IRQ1
    m.bus.write8(0xe000e400, 0x40);
    m.bus.write8(0xe000e401, 0x40);
    m.bus.write32(0xe000e200, 0b11);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      m.cpu.step();
      seen.push(m.cpu.ipsr);
    }
    // IRQ0 handler (nop; bx lr) → IRQ1 handler directly → thread.
    expect(seen).toEqual([16, 17, 17, 0, 0]);
  });

  it('tail-chaining takes the pending interrupt on the same frame: nothing popped or pushed', () => {
    const m = machineWithVectors([NOP, NOP]);
    m.bus.write32(0xe000e100, 0b11);
    m.bus.write32(0xe000e200, 0b01);
    m.cpu.step(); // IRQ0 entered (its nop runs); its frame is below STACK_TOP
    const frame = m.cpu.r[13]!;
    expect(frame).toBe(STACK_TOP - 0x20);
    m.bus.write32(0xe000e200, 0b10); // IRQ1 pends while IRQ0 runs (same priority: no preemption)
    const stores: number[] = [];
    m.bus.setWriteGuards([{ address: frame, length: 0x20 }]);
    m.bus.onGuardWrite = (a) => stores.push(a);
    m.cpu.step(); // bx lr: tail-chains into IRQ1
    expect(m.cpu.ipsr).toBe(17);
    expect(m.cpu.r[13]).toBe(frame);
    expect(m.cpu.r[14]).toBe(0xfffffff9);
    expect(stores).toEqual([]);
    m.cpu.step();
    m.cpu.step(); // IRQ1 returns to thread mode, popping the frame IRQ0 was entered with
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.r[13]).toBe(STACK_TOP);
    expect(m.cpu.pc).toBe(CODE);
  });

  it('groups priorities by AIRCR.PRIGROUP: same group does not preempt', () => {
    const m = machineWithVectors([NOP]);
    m.bus.write32(AIRCR, 0x05fa0000 | (5 << 8)); // group = bits 7:6, subpriority 5:0
    expect(m.bus.read32(AIRCR) >>> 0).toBe(0xfa050500);
    m.bus.write32(0xe000e100, 0b11);
    m.bus.write8(0xe000e400, 0x60); // IRQ0: group 0x40, sub 0x20
    m.bus.write8(0xe000e401, 0x40); // IRQ1: group 0x40, sub 0
    place(m, handlerAddress(16), [NOP, NOP, BX_LR]);
    m.bus.write32(0xe000e200, 0b01);
    m.cpu.step(); // into IRQ0
    expect(m.cpu.ipsr).toBe(16);
    m.bus.write32(0xe000e200, 0b10);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(16); // same group: no preemption
  });

  it('SYSRESETREQ resets the machine', () => {
    const m = machineWithVectors([NOP, NOP]);
    m.bus.write32(AIRCR, 0x05fa0004);
    m.run(10);
    // After reset the vector table at 0 is blank flash: the core locks up there.
    expect(m.scb.vtor).toBe(0);
  });
});

describe('SysTick and sleep', () => {
  it('fires after RVR+1 cycles on the core clock and wakes WFI', () => {
    const m = machineWithVectors([WFI, B_SELF]);
    m.bus.write32(0xe000e014, 99); // RVR
    m.bus.write32(0xe000e018, 0);
    m.bus.write32(0xe000e010, 7); // enable, tickint, core clock
    const start = m.clock.cycles;
    let entered = -1;
    place(m, handlerAddress(15), [B_SELF]);
    m.run(Infinity, 500);
    // WFI at cycle 0 sleeps until the counter reaches zero at cycle 100; then the handler spins.
    entered = m.cpu.ipsr;
    expect(entered).toBe(15);
    expect(m.clock.cycles - start).toBeGreaterThanOrEqual(500);
    expect(m.clock.cycles - start).toBeLessThan(510);
    expect(m.bus.read32(0xe000e010) & (1 << 16)).toBe(1 << 16);
    expect(m.bus.read32(0xe000e010) & (1 << 16)).toBe(0); // COUNTFLAG clears on read
  });

  it('reports sleep when WFI has nothing to wake it', () => {
    const m = machineWithVectors([WFI, NOP]);
    expect(m.run(100)).toBe('sleep');
  });

  it('CVR counts down from RVR', () => {
    const m = machineWithVectors([B_SELF]);
    m.bus.write32(0xe000e014, 999);
    m.bus.write32(0xe000e018, 0);
    m.bus.write32(0xe000e010, 5); // enable, core clock, no interrupt
    m.run(Infinity, 100);
    const v = m.bus.read32(0xe000e018);
    expect(v).toBeLessThan(1000);
    expect(v).toBeGreaterThan(880);
    expect(m.cpu.ipsr).toBe(0);
  });
});

describe('system control space', () => {
  it('reads CPUID of a Cortex-M4 r0p1 and the reset value of CCR', () => {
    const m = new Machine();
    expect(m.bus.read32(0xe000ed00) >>> 0).toBe(0x410fc241);
    expect(m.bus.read32(0xe000ed14)).toBe(0x200);
    expect(m.bus.read32(0xe000ed90)).toBe(0x800); // MPU_TYPE
  });

  it('STIR pends an interrupt; ICER disables it', () => {
    const m = new Machine();
    m.bus.write32(0xe000e100, 1 << 3);
    expect(m.bus.read32(0xe000e100)).toBe(1 << 3);
    m.bus.write32(0xe000ef00, 3);
    expect(m.bus.read32(0xe000e200)).toBe(1 << 3);
    m.bus.write32(0xe000e180, 1 << 3);
    expect(m.bus.read32(0xe000e100)).toBe(0);
  });

  it('DWT CYCCNT counts cycles once TRCENA and CYCCNTENA are set', () => {
    const m = machineWithVectors([NOP, NOP, NOP, NOP, B_SELF]);
    m.bus.write32(0xe0001000, 1);
    m.run(2);
    expect(m.bus.read32(0xe0001004)).toBe(0); // TRCENA clear: not counting
    m.bus.write32(0xe000edfc, 1 << 24);
    m.bus.write32(0xe0001000, 1);
    const before = m.bus.read32(0xe0001004);
    m.run(2);
    expect(m.bus.read32(0xe0001004) - before).toBe(2);
  });
});
