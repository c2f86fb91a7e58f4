/**
 * Calls and returns in translated blocks: BX, BLX (register) and a PC load (POP {.., pc}) write
 * nextPc in line with the block's registers kept in locals; an exception return (EXC_RETURN in
 * Handler mode) and a target with bit 0 clear (EPSR.T = 0) run the core's own method with the
 * locals stored before it and reloaded after it. Each program runs in lockstep against the
 * interpreter (test/helpers/lockstep.ts) under every option set.
 */
import { describe, expect, it } from 'vitest';
import {
  Asm,
  CFSR,
  CONFIGS,
  Pair,
  sramWord,
  startSysTick,
} from '../../../test/helpers/lockstep.js';
import { B_SELF, BX_LR } from '../../../test/helpers/machine.js';
import { COND, t16 as br16, t32 as br32 } from '../encode/branch.js';
import { t16 as dp16 } from '../encode/dataProcessing.js';
import { t16 as ls16 } from '../encode/loadStore.js';
import type { JitOptions } from './jit.js';

/** Sources of the blocks the JIT compiled, collected through `onSource`. */
function withSources(options: JitOptions): { options: JitOptions; sources: string[] } {
  const sources: string[] = [];
  return { options: { ...options, onSource: (_, s) => sources.push(s) }, sources };
}

/**
 * A loop that calls two subroutines: one through `blx r3` that returns with `bx lr`, one
 * through `bl` that saves LR and returns with `pop {r4, pc}`. Both change registers the caller
 * keeps in locals. After `swapAt` iterations r3 is replaced by r2 (when given).
 */
function callLoop(swapAt = 0): Asm {
  const a = new Asm();
  a.emit(dp16.movImm(0, 0), dp16.movImm(1, 0), dp16.movImm(4, 9), dp16.movImm(5, 0));
  a.label('loop');
  a.emit(dp16.addImm8(0, 1));
  if (swapAt !== 0) a.emit(dp16.cmpImm(0, swapAt), br16.it(COND.eq), dp16.movHi(3, 2));
  a.emit(br16.blx(3));
  a.branch('sub2', (o) => br32.bl(o));
  a.emit(dp16.addImm8(5, 2), dp16.cmpImm(0, 200));
  a.branch('loop', (o) => br16.bCond(COND.ne, o));
  a.emit(B_SELF);
  a.label('sub1').emit(dp16.addImm8(1, 3), BX_LR);
  a.label('sub2').emit(ls16.push([4, 14]), dp16.movImm(4, 0), dp16.addImm8(5, 1));
  a.emit(ls16.pop([4, 15]));
  return a;
}

describe('calls and returns inside translated blocks', () => {
  it('BLX and BX, BL and POP {pc}: nextPc in line, registers kept in locals', () => {
    const asm = callLoop();
    const code = asm.link();
    for (const base of CONFIGS) {
      const { options, sources } = withSources(base);
      const p = new Pair({ code, regs: { 3: asm.at('sub1') | 1 } }, options);
      p.both((m) => m.run(20000), 'run');
      expect(p.ref.cpu.r[0]).toBe(200);
      expect(p.ref.cpu.r[1]).toBe(600);
      expect(p.ref.cpu.r[4]).toBe(9);
      expect(p.ref.cpu.r[5]).toBe(600);
      p.expectSameMemory();
      if (base.hotEntries !== undefined) {
        // The returns' fast path was generated (a BX that needs the core keeps its method).
        expect(sources.some((s) => s.includes('cpu . ipsr === 0'))).toBe(true);
      }
    }
  });

  it('BLX to an address with bit 0 clear: INVSTATE at the target, as the interpreter', () => {
    const asm = callLoop(150);
    const code = asm.link();
    for (const options of CONFIGS) {
      const regs = { 3: asm.at('sub1') | 1, 2: asm.at('sub1') };
      const p = new Pair({ code, regs, handlers: { 3: [B_SELF] } }, options);
      p.both((m) => m.run(20000), 'to the fault');
      expect(p.ref.cpu.ipsr).toBe(3); // UsageFault escalated to HardFault
      expect(p.ref.bus.read32(CFSR)).toBe(1 << 17); // INVSTATE
      expect(sramWord(p.ref, p.ref.cpu.r[13]! + 24)).toBe(asm.at('sub1'));
      expect(p.ref.cpu.r[0]).toBe(150);
      p.expectSameMemory('stacked frame');
    }
  });

  it('BX LR returning from a handler whose block changed stacked registers in locals', () => {
    // SysTick's handler changes R0 and R2 (stacked: the return restores them) and R6 (not
    // stacked) before its BX LR, in one translated block: the return must see the stores, and
    // the block must not write its older locals over what the return unstacked.
    const a = new Asm();
    a.emit(dp16.movImm(0, 0), dp16.movImm(2, 5), dp16.movImm(6, 0));
    a.label('loop');
    a.emit(dp16.addImm8(0, 1), dp16.addImm8(2, 1), dp16.cmpImm(0, 250));
    a.branch('loop', (o) => br16.bCond(COND.ne, o));
    a.emit(B_SELF);
    const handler = [dp16.movImm(0, 77), dp16.movImm(2, 99), dp16.addImm8(6, 1), BX_LR];
    for (const options of CONFIGS) {
      const p = new Pair(
        {
          code: a.link(),
          handlers: { 15: handler },
          prepare: (m) => startSysTick(m, 29),
        },
        options,
      );
      p.both((m) => m.run(3000), 'run');
      // Out of the handler the run may have stopped in.
      p.both((m) => {
        while (m.cpu.ipsr !== 0) m.cpu.step();
      }, 'return');
      expect(p.ref.cpu.r[0]).toBe(250);
      expect(p.ref.cpu.r[2]).toBe(255);
      expect(p.ref.cpu.r[6]).toBeGreaterThan(10);
      p.expectSameMemory();
    }
  });

  it('a subroutine reached through a register keeps the caller exact under step and limits', () => {
    const asm = callLoop();
    const p = new Pair({ code: asm.link(), regs: { 3: asm.at('sub1') | 1 } }, { hotEntries: 1 });
    p.both((m) => m.run(500), 'warm-up');
    for (let i = 0; i < 60; i++) p.both((m) => m.cpu.step(), `step ${i}`);
    for (let k = 1; k < 40; k++) {
      p.both((m) => m.cpu.executeBatch(m.cpu.instructions + k, Infinity), `batch of ${k}`);
    }
    expect(p.stats.translatedInstructions).toBeGreaterThan(0);
  });

  it('BX to the next instruction with bit 0 clear: INVSTATE there, not a block running on', () => {
    // `bx r7` normally jumps to the instruction after it (r7 = its address | 1), so the block's
    // successor check alone would let the block go on; with r7's bit 0 clear the core must take
    // INVSTATE at that address instead.
    const a = new Asm();
    a.emit(dp16.movImm(0, 0), dp16.movImm(1, 0));
    a.label('loop');
    a.emit(dp16.addImm8(0, 1), dp16.cmpImm(0, 120), br16.it(COND.eq), dp16.movHi(7, 2));
    a.emit(br16.bx(7));
    a.label('next').emit(dp16.addImm8(1, 1), dp16.cmpImm(0, 200));
    a.branch('loop', (o) => br16.bCond(COND.ne, o));
    a.emit(B_SELF);
    const code = a.link();
    for (const options of CONFIGS) {
      const regs = { 7: a.at('next') | 1, 2: a.at('next') };
      const p = new Pair({ code, regs, handlers: { 3: [B_SELF] } }, options);
      p.both((m) => m.run(20000), 'to the fault');
      expect(p.ref.cpu.ipsr).toBe(3);
      expect(p.ref.bus.read32(CFSR)).toBe(1 << 17);
      expect(sramWord(p.ref, p.ref.cpu.r[13]! + 24)).toBe(a.at('next'));
      expect(p.ref.cpu.r[1]).toBe(119);
      p.expectSameMemory('stacked frame');
    }
  });
});
