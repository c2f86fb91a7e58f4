/**
 * The translator when code changes under it, in lockstep with the interpreter (see
 * test/helpers/lockstep.ts): debugger breakpoints and code hooks set after a block was
 * translated, self-modifying code (stores into translated code, code rewritten over and over,
 * a 32-bit instruction straddling a 64 KB page boundary).
 */
import { describe, expect, it } from 'vitest';
import { Asm, CONFIGS, itLoop, Pair, type Setup } from '../../../test/helpers/lockstep.js';
import { B_SELF, BX_LR, NOP } from '../../../test/helpers/machine.js';
import type { Machine } from '../../machine/machine.js';
import { COND, t16 as br16, t32 as br32 } from '../encode/branch.js';
import { t16 as dp16, t32 as dp32 } from '../encode/dataProcessing.js';
import { t16 as ls16 } from '../encode/loadStore.js';

describe('debugger breakpoints and code hooks set after translation', () => {
  it('a breakpoint in the middle of a translated block stops there, every time', () => {
    for (const options of CONFIGS) {
      const { asm, expected } = itLoop();
      const p = new Pair({ code: asm.link() }, options);
      p.both((m) => m.run(300), 'warm-up');
      if (options.hotEntries === 1) expect(p.stats.translated).toBeGreaterThan(0);
      const bp = asm.at('lsls');
      p.both((m) => m.cpu.addBreakpoint(bp));
      for (let hit = 0; hit < 5; hit++) {
        const reason = p.both((m) => m.run(10000), `run to breakpoint ${hit}`);
        expect(reason).toBe('breakpoint');
        expect(p.jit.cpu.pc).toBe(bp);
        // Resume as the GDB server does: execute the instruction under the breakpoint once.
        p.both((m) => {
          m.cpu.suspendBreakpoint(bp, true);
          const r = m.step();
          m.cpu.suspendBreakpoint(bp, false);
          return r;
        }, `resume ${hit}`);
      }
      p.both((m) => m.cpu.removeBreakpoint(bp));
      p.both((m) => m.run(10000), 'to the end');
      expected(p.jit);
    }
  });

  it('a breakpoint on an IT instruction whose condition fails stops too', () => {
    const { asm, expected } = itLoop();
    const p = new Pair({ code: asm.link() }, { hotEntries: 1 });
    p.both((m) => m.run(300), 'warm-up');
    const bp = asm.at('subeq'); // on odd r0 its condition fails
    p.both((m) => m.cpu.addBreakpoint(bp));
    const pcs: number[] = [];
    for (let hit = 0; hit < 6; hit++) {
      expect(p.both((m) => m.run(10000), `hit ${hit}`)).toBe('breakpoint');
      pcs.push(p.jit.cpu.r[0]!);
      p.both((m) => {
        m.cpu.suspendBreakpoint(bp, true);
        m.step();
        m.cpu.suspendBreakpoint(bp, false);
      });
    }
    // Every iteration stops there, whatever r0's parity.
    expect(pcs).toEqual(pcs.map((_, i) => pcs[0]! + i));
    p.both((m) => m.cpu.removeBreakpoint(bp));
    p.both((m) => m.run(10000), 'to the end');
    expected(p.jit);
  });

  it('a code hook added after translation fires every time, with the same state', () => {
    for (const options of CONFIGS) {
      const { asm, expected } = itLoop();
      const p = new Pair({ code: asm.link() }, options);
      p.both((m) => m.run(200), 'warm-up');
      const seen = new Map<Machine, string[]>([
        [p.ref, []],
        [p.jit, []],
      ]);
      p.both((m) => {
        const log = seen.get(m)!;
        m.cpu.addCodeHook(asm.at('lsls'), (cpu) =>
          log.push(`lsls r0=${cpu.r[0]} n=${cpu.instructions} c=${m.clock.cycles}`),
        );
        // Conditional: hooks run only when its IT condition passes (odd r0).
        m.cpu.addCodeHook(asm.at('addne'), (cpu) => log.push(`addne r0=${cpu.r[0]}`));
        // One that removes itself from inside (at r0 = 71): its block is translated again.
        const remove = m.cpu.addCodeHook(asm.at('cmpne'), (cpu) => {
          log.push(`cmpne r0=${cpu.r[0]}`);
          if (cpu.r[0] === 71) remove();
        });
      });
      p.both((m) => m.run(10000), 'hooked run');
      expected(p.jit);
      const log = seen.get(p.jit)!;
      expect(log).toEqual(seen.get(p.ref));
      const r0s = log
        .filter((l) => l.startsWith('lsls'))
        .map((l) => Number(/r0=(\d+)/.exec(l)![1]));
      // From the iteration the hook was set in to the last: every one, once.
      expect(r0s.length).toBeGreaterThan(50);
      expect(r0s).toEqual(r0s.map((_, i) => r0s[0]! + i));
      expect(r0s.at(-1)).toBe(100);
      const odd = log.filter((l) => l.startsWith('addne')).map((l) => Number(l.slice(9)));
      expect(odd).toEqual(r0s.filter((r) => r % 2 === 1));
      const cmps = log.filter((l) => l.startsWith('cmpne')).map((l) => Number(l.slice(9)));
      expect(cmps).toEqual(odd.filter((r) => r <= 71));
    }
  });
});

describe('self-modifying code', () => {
  /**
   * Each iteration writes `movs r1, #r0` (or the imm8 of `movw r1, #r0`) over an instruction
   * that runs later: in the same block, or in a called function (another block).
   */
  function selfModifying(where: 'same block' | 'other block' | 'second halfword', n: number) {
    const a = new Asm();
    a.emit(dp16.movImm(0, 0), dp16.movImm(2, 0));
    a.label('loop');
    a.emit(dp16.addImm8(0, 1));
    if (where === 'second halfword') {
      a.emit(dp16.movImm(3, 0x01), dp16.lslImm(3, 3, 8), dp16.orr(3, 0)); // hw2 of movw r1
      a.emit(ls16.strhImm(3, 5, 2));
    } else {
      a.emit(dp16.movImm(3, 0x21), dp16.lslImm(3, 3, 8), dp16.orr(3, 0)); // movs r1, #r0
      a.emit(ls16.strhImm(3, 5, 0));
    }
    if (where === 'other block') a.branch('func', (o) => br32.bl(o));
    else {
      a.label('patch');
      a.emit(where === 'second halfword' ? dp32.movw(1, 0) : dp16.movImm(1, 0));
    }
    a.emit(dp16.addReg(2, 2, 1), dp16.cmpImm(0, n));
    a.branch('loop', (o) => br16.bCond(COND.ne, o));
    a.emit(B_SELF);
    if (where === 'other block') {
      a.label('func');
      a.label('patch');
      a.emit(dp16.movImm(1, 0), BX_LR);
    }
    const code = a.link();
    return { code, regs: { 5: a.at('patch') } };
  }

  for (const where of ['same block', 'other block', 'second halfword'] as const) {
    it(`a store rewrites an instruction that runs later (${where})`, () => {
      for (const options of CONFIGS) {
        const n = 60;
        const p = new Pair(selfModifying(where, n), options);
        p.both((m) => m.run(5000), 'run');
        // Each iteration executed the instruction as just written: r2 = 1 + 2 + ... + n.
        expect(p.jit.cpu.r[2]).toBe((n * (n + 1)) / 2);
        p.expectSameMemory();
        // Single steps through the rewriting too.
        const q = new Pair(selfModifying(where, n), options);
        q.both((m) => m.run(100), 'warm-up');
        for (let i = 0; i < 200; i++) q.both((m) => m.cpu.step(), `step ${i}`);
        q.both((m) => m.run(5000), 'to the end');
        expect(q.jit.cpu.r[2]).toBe((n * (n + 1)) / 2);
      }
    });
  }

  it('an address rewritten over and over stops being translated', () => {
    // The invalidations are bounded by the retranslation limits per block start near the
    // rewritten halfword (8 for a superblock that follows a call, then plain blocks; 16 for a
    // block's own start), not by the iterations: twice the iterations, the same count.
    //  - other block: superblocks that follow the call into the function, the function's block;
    //  - same block: the loop, the rest of it from the rewritten instruction, the first block.
    const n = 120;
    for (const [where, bound] of [
      ['other block', 64],
      ['same block', 48],
    ] as const) {
      const p = new Pair(selfModifying(where, n), { hotEntries: 1 });
      p.both((m) => m.run(20000), `${where}: run`);
      expect(p.jit.cpu.r[2]).toBe((n * (n + 1)) / 2);
      expect(p.stats.invalidated, where).toBeGreaterThan(0);
      expect(p.stats.invalidated, where).toBeLessThanOrEqual(bound);
      const longer = new Pair(selfModifying(where, 2 * n), { hotEntries: 1 });
      longer.both((m) => m.run(40000), `${where}: longer run`);
      expect(longer.stats.invalidated, where).toBe(p.stats.invalidated);
      // The loop itself stays translated.
      if (where === 'other block') expect(p.stats.translatedInstructions).toBeGreaterThan(n * 4);
    }
  });

  it('a loop across a 64 KB page boundary, its 32-bit instruction straddling it, rewritten', () => {
    // At 0x2000fffe an ADDW whose second halfword (imm8 = r0) is in the next page; each
    // iteration rewrites that halfword first. The stack moves out of the way.
    const base = 0x2000fff0;
    const a = new Asm(base);
    a.label('loop');
    a.emit(dp16.addImm8(0, 1), dp16.movImm(6, 3), dp16.lslImm(6, 6, 8), dp16.orr(6, 0));
    a.emit(ls16.strhImm(6, 5, 0), NOP, NOP); // strh r6, [r5] (r5 = 0x20010000)
    expect(a.here).toBe(0x2000fffe);
    a.emit(dp32.addw(3, 3, 0), dp16.addImm8(4, 1), dp16.cmpImm(0, 60));
    a.branch('loop', (o) => br16.bCond(COND.ne, o));
    a.emit(B_SELF);
    const setup: Setup = { code: a.link(), base, regs: { 5: 0x20010000, 13: 0x20003000 } };
    for (const options of CONFIGS) {
      const p = new Pair(setup, options);
      p.both((m) => m.run(3000), 'run');
      expect([p.ref.cpu.r[3], p.ref.cpu.r[4]]).toEqual([(60 * 61) / 2, 60]);
      const q = new Pair(setup, options);
      q.both((m) => m.run(200), 'warm-up');
      for (let i = 0; i < 100; i++) q.both((m) => m.cpu.step(), `step ${i}`);
      for (let i = 0; i < 100; i++) {
        q.both((m) => m.cpu.executeBatch(Infinity, m.clock.cycles + 1 + (i % 9)), `batch ${i}`);
      }
      q.expectSameMemory();
    }
  });
});
