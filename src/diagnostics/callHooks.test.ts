/** Call hooks: arguments at entry, the return value at return, by symbol, bounded. */
import { describe, expect, it } from 'vitest';
import { BX_LR, CODE, machineWithVectors, movs, place } from '../../test/helpers/machine.js';
import { t32 } from '../core/encode/branch.js';
import { SymbolTable } from '../loader/elf.js';
import { CallHooks, type Return } from './callHooks.js';

const FUNC = CODE + 0x20;
const ADDS_R0_1 = 0x3001;
const MOV_R4_R0 = 0x4604;
const B_SELF = 0xe7fe;

/** movs r0,#5; bl func; mov r4,r0; bl func; b .   func: adds r0,#1; bx lr */
function program() {
  const m = machineWithVectors([
    movs(0, 5),
    ...t32.bl(FUNC - (CODE + 2 + 4)),
    MOV_R4_R0,
    ...t32.bl(FUNC - (CODE + 8 + 4)),
    B_SELF,
  ]);
  place(m, FUNC, [ADDS_R0_1, BX_LR]);
  const symbols = new SymbolTable([{ name: 'func', value: FUNC | 1, size: 4, type: 2 }]);
  return { m, hooks: new CallHooks(m.cpu, symbols) };
}

function run(m: ReturnType<typeof machineWithVectors>, steps: number) {
  for (let i = 0; i < steps; i++) m.cpu.step();
}

describe('call hooks', () => {
  it('see each call’s arguments and return value, and leave the program unchanged', () => {
    const { m, hooks } = program();
    const log: string[] = [];
    expect(
      hooks.hook('func', (call) => {
        log.push(`func(${call.arg(0)}) from 0x${(call.lr & ~1).toString(16)}`);
        return (ret: Return) => log.push(`= ${ret.r0}`);
      }),
    ).toBe(true);
    run(m, 12);
    expect(log).toEqual([
      `func(5) from 0x${(CODE + 6).toString(16)}`,
      '= 6',
      `func(6) from 0x${(CODE + 12).toString(16)}`,
      '= 7',
    ]);
    expect(m.cpu.r[4]).toBe(6);
    expect(m.cpu.r[0]).toBe(7);
    expect(hooks.pendingReturns).toBe(0);
    const plain = program().m;
    run(plain, 12);
    expect(m.clock.cycles).toBe(plain.clock.cycles);
  });

  it('gives each of two hooks on one function its own return (two checks on malloc)', () => {
    const { m, hooks } = program();
    const log: string[] = [];
    for (const who of ['a', 'b']) {
      hooks.hook('func', (call) => {
        log.push(`${who}: func(${call.arg(0)})`);
        return (ret: Return) => log.push(`${who}: = ${ret.r0}`);
      });
    }
    run(m, 12);
    // Returns innermost first: the hook set last sees the return first.
    expect(log).toEqual([
      'a: func(5)',
      'b: func(5)',
      'b: = 6',
      'a: = 6',
      'a: func(6)',
      'b: func(6)',
      'b: = 7',
      'a: = 7',
    ]);
    expect(hooks.pendingReturns).toBe(0);
  });

  it('reads stack arguments beyond r3 and says when a symbol is missing', () => {
    const { m, hooks } = program();
    m.bus.write32(m.cpu.r[13]!, 0x11223344);
    m.bus.write32(m.cpu.r[13]! + 4, 0x55667788);
    let fifth = 0;
    let sixth = 0;
    hooks.hook('func', (call) => {
      fifth = call.arg(4);
      sixth = call.arg(5);
    });
    expect(hooks.hook('no_such_function', () => {})).toBe(false);
    run(m, 3);
    expect(fifth).toBe(0x11223344);
    expect(sixth).toBe(0x55667788);
  });

  it('dispose removes every hook and pending return', () => {
    const { m, hooks } = program();
    let calls = 0;
    hooks.hook('func', () => {
      calls++;
      return () => calls++;
    });
    run(m, 3); // inside func: a return pending
    expect(hooks.pendingReturns).toBe(1);
    hooks.dispose();
    run(m, 10);
    expect(calls).toBe(1);
    expect(m.cpu.codeHookCount).toBe(0);
  });
});
