/**
 * ExceptionUnit.onExceptionReturn: called once per completed exception return with the full
 * EXC_RETURN value, after the frame is popped (so cpu.r[13] is the SP returned to); never for an
 * invalid return; and a machine without it (null, the default) runs exactly as one with it.
 */
import { describe, expect, it } from 'vitest';
import {
  B_SELF,
  CODE,
  handlerAddress,
  machineWithVectors,
  movs,
  NOP,
  place,
  STACK_TOP,
  svc,
} from '../../test/helpers/machine.js';

const PSP_TOP = 0x20002000;
// Thread code: svc; movs r0,#1; svc; movs r1,#2; b .
const PROGRAM = [svc(0), movs(0, 1), svc(1), movs(1, 2), B_SELF];

/** A machine in thread mode on the process stack (CONTROL.SPSEL), MSP for handlers. */
function onPsp() {
  const m = machineWithVectors(PROGRAM);
  m.cpu.setModeAndControl(0, 2);
  m.cpu.r[13] = PSP_TOP;
  m.cpu.otherSp = STACK_TOP;
  return m;
}

describe('ExceptionUnit.onExceptionReturn', () => {
  it('fires once per return with EXC_RETURN and the SP returned to', () => {
    const m = onPsp();
    const seen: Array<[number, number, number]> = [];
    m.exc.onExceptionReturn = (excReturn) => seen.push([excReturn, m.cpu.ipsr, m.cpu.r[13]!]);
    for (let i = 0; i < 8; i++) m.cpu.step();
    // Two SVCs from thread mode on PSP: each returns with 0xFFFFFFFD to thread mode, PSP restored.
    expect(seen).toEqual([
      [0xfffffffd, 0, PSP_TOP],
      [0xfffffffd, 0, PSP_TOP],
    ]);
  });

  it('gives 0xFFFFFFF9 for a return to thread mode on the main stack', () => {
    const m = machineWithVectors(PROGRAM);
    const seen: number[] = [];
    m.exc.onExceptionReturn = (excReturn) => seen.push(excReturn);
    for (let i = 0; i < 4; i++) m.cpu.step(); // svc, nop, bx lr, movs
    expect(seen).toEqual([0xfffffff9]);
  });

  it('does not fire for an invalid EXC_RETURN (INVPC instead)', () => {
    const m = machineWithVectors([svc(0), NOP]);
    m.bus.write32(0xe000ed24, 1 << 18); // SHCSR.USGFAULTENA
    m.bus.write32(0xe000ed1c, 0x80 << 24); // SVCall below UsageFault so the fault can preempt
    // SVC handler: ldr r0, [pc, #0]; bx r0; .word 0xfffffff0 (not a valid EXC_RETURN)
    place(m, handlerAddress(11), [0x4800, 0x4700, 0xfff0, 0xffff]);
    const seen: number[] = [];
    m.exc.onExceptionReturn = (excReturn) => seen.push(excReturn);
    for (let i = 0; i < 3; i++) m.cpu.step(); // svc, ldr, bx r0 -> INVPC
    expect(m.cpu.ipsr).toBe(6);
    expect(seen).toEqual([]);
  });

  it('costs nothing when null: identical registers, cycles and instruction counts', () => {
    const plain = onPsp();
    const hooked = onPsp();
    let calls = 0;
    hooked.exc.onExceptionReturn = () => calls++;
    expect(plain.exc.onExceptionReturn).toBeNull();
    // The handlers (nop; bx lr) are at handlerAddress(11); run both through both SVCs.
    expect(plain.run(40)).toBe('limit');
    expect(hooked.run(40)).toBe('limit');
    expect(calls).toBe(2);
    expect([...hooked.cpu.r]).toEqual([...plain.cpu.r]);
    expect(hooked.cpu.pc).toBe(plain.cpu.pc);
    expect(hooked.cpu.pc).toBe(CODE + 8); // at the b .
    expect(hooked.clock.cycles).toBe(plain.clock.cycles);
    expect(hooked.cpu.instructions).toBe(plain.cpu.instructions);
  });
});
