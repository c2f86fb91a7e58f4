/**
 * Code hooks (Cpu.addCodeHook): run before a hooked instruction, without changing what it
 * does, its cycles or the decode cache of unhooked code; removable, also from inside a hook;
 * combined with debugger breakpoints and with code written at run time.
 */
import { describe, expect, it } from 'vitest';
import { BX_LR, CODE, machineWithVectors, movs, NOP, place } from '../../test/helpers/machine.js';

// movs r0,#1; movs r1,#2; adds r2,r0,r1 (0x1842); nop; nop; b .
const ADDS_R2_R0_R1 = 0x1842;
const PROGRAM = [movs(0, 1), movs(1, 2), ADDS_R2_R0_R1, NOP, NOP, 0xe7fe];

function run(m: ReturnType<typeof machineWithVectors>, steps: number) {
  for (let i = 0; i < steps; i++) m.cpu.step();
}

describe('code hooks', () => {
  it('run before the instruction with the state it will see, once per execution', () => {
    const m = machineWithVectors(PROGRAM);
    const seen: Array<[number, number, number]> = [];
    m.cpu.addCodeHook(CODE + 4, (cpu) => seen.push([cpu.pc, cpu.r[0]!, cpu.r[2]!]));
    run(m, 5);
    expect(seen).toEqual([[CODE + 4, 1, 0]]);
    expect(m.cpu.r[2]).toBe(3);
  });

  it('leave results, cycles and instruction counts as they were', () => {
    const plain = machineWithVectors(PROGRAM);
    const hooked = machineWithVectors(PROGRAM);
    let calls = 0;
    for (let a = CODE; a <= CODE + 10; a += 2) hooked.cpu.addCodeHook(a, () => calls++);
    run(plain, 8);
    run(hooked, 8);
    expect(calls).toBe(8); // five instructions, then `b .` three times
    expect([...hooked.cpu.r]).toEqual([...plain.cpu.r]);
    expect(hooked.clock.cycles).toBe(plain.clock.cycles);
    expect(hooked.cpu.instructions).toBe(plain.cpu.instructions);
  });

  it('can be added on decoded code and removed, also by the hook itself', () => {
    // A loop: movs r0,#1; adds r2,r0,r1; b back to the adds (0xe7fd)
    const m = machineWithVectors([movs(0, 1), ADDS_R2_R0_R1, 0xe7fd]);
    run(m, 3); // decoded before any hook exists
    let calls = 0;
    const remove = m.cpu.addCodeHook(CODE + 2, () => {
      calls++;
      if (calls === 3) remove();
    });
    run(m, 20);
    expect(calls).toBe(3);
    expect(m.cpu.codeHookCount).toBe(0);
    const removeAgain = m.cpu.addCodeHook(CODE + 2, () => calls++);
    run(m, 4);
    expect(calls).toBe(5);
    removeAgain();
    run(m, 4);
    expect(calls).toBe(5);
  });

  it('several hooks at one address run in order; one added inside another fires next time', () => {
    const m = machineWithVectors([movs(0, 1), ADDS_R2_R0_R1, 0xe7fd]);
    const order: string[] = [];
    m.cpu.addCodeHook(CODE + 2, () => {
      order.push('a');
      if (order.length === 1) m.cpu.addCodeHook(CODE + 2, () => order.push('c'));
    });
    m.cpu.addCodeHook(CODE + 2, () => order.push('b'));
    run(m, 5); // movs, adds, b, adds, b
    expect(order).toEqual(['a', 'b', 'a', 'b', 'c']);
  });

  it('a breakpoint at a hooked address stops first; resuming runs the hook and the instruction', () => {
    const m = machineWithVectors(PROGRAM);
    let calls = 0;
    m.cpu.addCodeHook(CODE + 4, () => calls++);
    m.cpu.addBreakpoint(CODE + 4);
    run(m, 3);
    expect(m.cpu.stopReason).toBe('breakpoint');
    expect(m.cpu.pc).toBe(CODE + 4);
    expect(calls).toBe(0);
    m.cpu.stopReason = null;
    m.cpu.suspendBreakpoint(CODE + 4, true);
    m.cpu.step();
    m.cpu.suspendBreakpoint(CODE + 4, false);
    expect(calls).toBe(1);
    expect(m.cpu.r[2]).toBe(3);
  });

  it('survive the hooked code being rewritten: the new instruction runs, still hooked', () => {
    const m = machineWithVectors(PROGRAM);
    let calls = 0;
    m.cpu.addCodeHook(CODE + 4, () => calls++);
    run(m, 3);
    place(m, CODE + 4, [movs(2, 9)]); // a store to decoded code invalidates it
    m.cpu.setPc(CODE + 4);
    m.cpu.step();
    expect(calls).toBe(2);
    expect(m.cpu.r[2]).toBe(9);
  });

  it('do not run for an instruction whose IT condition fails', () => {
    // movs r0,#0 (flags Z=1); it ne; movne r1... (adds r2,r0,r1 in the IT block); nop
    const IT_NE = 0xbf18;
    const m = machineWithVectors([0x2000, IT_NE, ADDS_R2_R0_R1, NOP, BX_LR]);
    let calls = 0;
    m.cpu.addCodeHook(CODE + 4, () => calls++);
    run(m, 3);
    expect(calls).toBe(0);
    expect(m.cpu.pc).toBe(CODE + 6);
  });
});
