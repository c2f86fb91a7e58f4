/**
 * The block translator is exact: small hand-assembled programs run on two machines, one with
 * the interpreter only (`jit: false`) and one with the JIT (blocks translated at their first
 * entry unless a test says otherwise), driven the same way, and the core's whole visible state
 * — registers, flags, ITSTATE, PC, instruction and cycle counts, fault status, memory — must be
 * identical after each step of the drive. Covered: IT blocks inside hot loops, faults in the
 * middle of a translated block, batch cycle and instruction limits that fall inside a block,
 * the cache's source cap, an MPU enabled from inside a block, interrupts. (Code that changes
 * under the translator: codeChanges.test.ts; calls and returns: branches.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import {
  Asm,
  build,
  CCR,
  CFSR,
  CONFIGS,
  ICSR,
  itLoop,
  mov32,
  Pair,
  sramWord,
  type Setup,
  startSysTick,
} from '../../../test/helpers/lockstep.js';
import { B_SELF, BX_LR, handlerAddress, NOP } from '../../../test/helpers/machine.js';
import type { Machine } from '../../machine/machine.js';
import { COND, t16 as br16, t32 as br32 } from '../encode/branch.js';
import { t16 as dp16, t32 as dp32 } from '../encode/dataProcessing.js';
import { t16 as ls16, t32 as ls32 } from '../encode/loadStore.js';
import { udiv } from '../encode/multiply.js';

// ---- programs ----

/** A loop whose block has loads, a divide and ALU ops: instructions of different cycle costs. */
function mixedCostLoop(): Asm {
  const a = new Asm();
  a.emit(...mov32(5, 0x20001000), dp16.movImm(0, 0), dp16.movImm(1, 7), dp16.movImm(6, 3));
  a.label('loop');
  a.emit(
    dp16.addImm8(0, 1),
    ls16.strImm(0, 5, 0),
    ls16.ldrImm(2, 5, 0),
    dp16.addReg(1, 1, 2),
    udiv(3, 1, 6),
    dp16.eor(3, 1),
    ls16.strImm(3, 5, 4),
    ls16.ldrImm(4, 5, 4),
    dp16.lslImm(4, 4, 3),
    dp32.addImm(7, 4, 0x100, true),
    dp16.mul(7, 0),
    dp16.cmpImm(0, 250),
  );
  a.branch('loop', (o) => br16.bCond(COND.ne, o));
  a.emit(dp16.movImm(0, 0));
  a.branch('loop', (o) => br16.b(o));
  return a;
}

describe('JIT exactness on hand-assembled programs', () => {
  describe.each(CONFIGS.map((c) => [JSON.stringify(c), c] as const))('jit %s', (_, options) => {
    it('a loop with an IT block inside (flags changed inside the block)', () => {
      const { asm, expected } = itLoop();
      const p = new Pair({ code: asm.link() }, options);
      p.both((m) => m.run(5000), 'run');
      expected(p.ref);
      expected(p.jit);
      if (options.hotEntries !== undefined) {
        expect(p.stats.translated).toBeGreaterThan(0);
        expect(p.stats.translatedInstructions).toBeGreaterThan(0);
      }
    });

    it('a batch cycle limit that falls inside a block stops at the same instruction', () => {
      const p = new Pair({ code: mixedCostLoop().link() }, options);
      p.both((m) => m.run(3000), 'warm-up');
      const before = p.stats.translatedInstructions;
      let seed = 12345;
      for (let i = 0; i < 400; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const k = 1 + (seed % 37);
        p.both((m) => m.cpu.executeBatch(Infinity, m.clock.cycles + k), `batch ${i} (+${k})`);
      }
      p.expectSameMemory();
      if (options.hotEntries !== undefined) {
        expect(p.stats.translatedInstructions).toBeGreaterThan(before);
      }
    });

    it('an instruction limit inside hot code: single steps and short batches', () => {
      const p = new Pair({ code: mixedCostLoop().link() }, options);
      p.both((m) => m.run(3000), 'warm-up');
      for (let i = 0; i < 100; i++) p.both((m) => m.cpu.step(), `step ${i}`);
      let seed = 99;
      const before = p.stats.translatedInstructions;
      for (let i = 0; i < 300; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const k = 1 + (seed % 41);
        p.both(
          (m) => m.cpu.executeBatch(m.cpu.instructions + k, Infinity),
          `batch ${i} (${k} instructions)`,
        );
      }
      for (let i = 0; i < 50; i++) p.both((m) => m.step(), `machine step ${i}`);
      p.expectSameMemory();
      if (options.hotEntries !== undefined && (options.maxBlockInsns ?? 64) <= 41) {
        expect(p.stats.translatedInstructions).toBeGreaterThan(before);
      }
    });
  });

  describe('instructions that read the PC, inside a block', () => {
    /**
     * Each reads R15 (its own address + 4, or Align(PC, 4)) after other instructions of the
     * same block: ADR, LDR (literal), MOV and ADD from the PC, ADR.W, LDR.W (literal), BL's
     * return address. With and without a halfword of padding (Align(PC, 4) then differs).
     */
    function pcReaders(pad: boolean) {
      const a = new Asm();
      const at: Record<string, number> = {};
      a.emit(dp16.movImm(0, 0));
      if (pad) a.emit(NOP);
      a.label('loop');
      a.emit(dp16.addImm8(0, 1));
      at.adr = a.here;
      a.emit(dp16.adr(1, 4)); // adr r1, Align(PC, 4) + 4
      at.ldrLit = a.here;
      a.emit(ls16.ldrLit(2, 8)); // ldr r2, [Align(PC, 4) + 8]
      at.movPc = a.here;
      a.emit(dp16.movHi(4, 15)); // mov r4, pc
      a.emit(dp16.movImm(3, 1));
      at.addPc = a.here;
      a.emit(dp16.addHi(3, 15)); // add r3, pc
      at.adrW = a.here;
      a.emit(dp32.adr(5, 8)); // adr.w r5, Align(PC, 4) + 8
      at.ldrW = a.here;
      a.emit(ls32.lit('ldr', 6, 4)); // ldr.w r6, [Align(PC, 4) + 4]
      at.bl = a.here;
      a.branch('next', (o) => br32.bl(o));
      a.label('next');
      a.emit(dp16.cmpImm(0, 50));
      a.branch('loop', (o) => br16.bCond(COND.ne, o));
      a.emit(B_SELF);
      return { code: a.link(), at };
    }

    for (const pad of [false, true]) {
      it(`ADR, LDR literal, MOV/ADD from PC, BL${pad ? ' (shifted by a halfword)' : ''}`, () => {
        const { code, at } = pcReaders(pad);
        const align = (x: number) => (x + 4) & ~3;
        for (const options of CONFIGS) {
          const p = new Pair({ code }, options);
          p.both((m) => m.run(2000), 'run');
          const r = p.ref.cpu.r;
          expect(r[0]).toBe(50);
          expect(r[1]).toBe(align(at.adr!) + 4);
          expect(r[2]).toBe(sramWord(p.ref, align(at.ldrLit!) + 8));
          expect(r[4]).toBe(at.movPc! + 4);
          expect(r[3]).toBe(1 + at.addPc! + 4);
          expect(r[5]).toBe(align(at.adrW!) + 8);
          expect(r[6]).toBe(sramWord(p.ref, align(at.ldrW!) + 4));
          expect(r[14]).toBe((at.bl! + 4) | 1);
        }
      });
    }
  });

  describe('a fault in the middle of a translated block', () => {
    /**
     * The loop's block does `ldr r4, [r5, r6]`, `udiv r3, r1, r6` or reaches `udf` halfway;
     * on iteration 40 (r6 made bad by an IT-conditional move) it faults; the HardFault handler
     * repairs r6 (not stacked) or steps over the UDF and returns, and the loop carries on.
     */
    function faultingLoop(kind: 'bus' | 'divide' | 'udf'): Setup & { faultAt: number } {
      const a = new Asm();
      a.emit(dp16.movImm(0, 0), dp16.movImm(1, 0), dp16.movImm(2, 0));
      a.emit(...mov32(5, 0x20001000));
      a.emit(...(kind === 'bus' ? mov32(6, 0) : mov32(6, 1)));
      a.emit(...(kind === 'bus' ? mov32(7, 0x40000000) : mov32(7, 0)));
      a.label('loop');
      a.emit(dp16.addImm8(0, 1), dp16.cmpImm(0, 40), br16.it(COND.eq), dp16.movHi(6, 7));
      a.emit(dp16.addImm8(1, 1));
      if (kind === 'bus') a.label('fault').emit(ls16.ldrReg(4, 5, 6));
      else if (kind === 'divide') a.label('fault').emit(udiv(3, 1, 6));
      else {
        a.emit(dp16.cmpImm(0, 40));
        a.branch('skip', (o) => br16.bCond(COND.ne, o));
        a.label('fault').emit(0xde00 | 0x42); // udf #0x42
        a.label('skip');
      }
      a.emit(dp16.addImm8(2, 1), ls16.strImm(0, 5, 0), dp16.cmpImm(0, 100));
      a.branch('loop', (o) => br16.bCond(COND.ne, o));
      a.emit(B_SELF);
      const repair =
        kind === 'udf'
          ? // ldr r3, [sp, #24]; adds r3, #2; str r3, [sp, #24]; bx lr
            [ls16.ldrSp(3, 24), dp16.addImm8(3, 2), ls16.strSp(3, 24), BX_LR]
          : [kind === 'bus' ? dp16.movImm(6, 0) : dp16.movImm(6, 1), BX_LR];
      return {
        code: a.link(),
        faultAt: a.at('fault'),
        handlers: { 3: repair },
        prepare: (m) => {
          if (kind === 'divide') m.bus.write32(CCR, m.bus.read32(CCR) | (1 << 4)); // DIV_0_TRP
        },
      };
    }

    for (const kind of ['bus', 'divide', 'udf'] as const) {
      it.each(CONFIGS.map((c) => [JSON.stringify(c), c] as const))(
        `${kind} fault, jit %s`,
        (_, options) => {
          // With a HardFault handler that spins: the state at the fault.
          const handler = handlerAddress(3);
          const spin = faultingLoop(kind);
          const p = new Pair({ ...spin, handlers: { 3: [B_SELF] } }, options);
          p.both((m) => m.run(3000), 'to the fault');
          expect(p.ref.cpu.pc).toBe(handler);
          expect(p.ref.cpu.ipsr).toBe(3);
          const cfsr = p.ref.bus.read32(CFSR);
          if (kind === 'bus')
            expect(cfsr & 0x8200).toBe(0x8200); // PRECISERR, BFARVALID
          else if (kind === 'divide')
            expect(cfsr).toBe(1 << 25); // DIVBYZERO
          else expect(cfsr).toBe(1 << 16); // UNDEFINSTR
          // The stacked frame: the faulting instruction is the return address; r0 = 40.
          const sp = p.ref.cpu.r[13]!;
          expect(sramWord(p.ref, sp + 24)).toBe(spin.faultAt);
          expect(sramWord(p.ref, sp)).toBe(40);
          p.expectSameMemory('stacked frame');
          if (options.hotEntries === 1 && (options.maxBlockInsns ?? 64) > 5) {
            expect(p.stats.translatedInstructions).toBeGreaterThan(0);
          }
          // With the repairing handler: the loop carries on to the end.
          const q = new Pair(faultingLoop(kind), options);
          q.both((m) => m.run(5000), 'to the end');
          expect(q.ref.cpu.r[0]).toBe(100);
          expect(q.ref.cpu.r[2]).toBe(100);
          q.expectSameMemory();
        },
      );
    }
  });

  it('an LDM that faults after loading its first register leaves it loaded', () => {
    // The LDM runs on locals (fold.ts unrolls its register list), with R1 changed in a local
    // just before it. Its first load lands in R2's local, its second faults: the block's catch
    // stores both, so the core has the first load (as the interpreter's loadList leaves it) and
    // R1's new value.
    const a = new Asm();
    a.emit(dp16.movImm(0, 0), dp16.movImm(1, 0));
    a.emit(...mov32(5, 0x20001000), ...mov32(7, 0x2001fffc)); // the last word of SRAM
    a.label('loop');
    a.emit(dp16.addImm8(0, 1), dp16.cmpImm(0, 40), br16.it(COND.eq), dp16.movHi(5, 7));
    a.emit(dp16.addImm8(1, 3), dp16.movHi(4, 5));
    a.label('fault').emit(0xc800 | (4 << 8) | 0b1100); // ldmia r4!, {r2, r3}
    a.emit(dp16.addImm8(2, 1), dp16.cmpImm(0, 100)); // R2 a local of the block too
    a.branch('loop', (o) => br16.bCond(COND.ne, o));
    a.emit(B_SELF);
    const code = a.link();
    for (const options of CONFIGS) {
      const prepare = (m: Machine) => m.bus.write32(0x2001fffc, 0x12345678);
      const p = new Pair({ code, handlers: { 3: [B_SELF] }, prepare }, options);
      p.both((m) => m.run(3000), 'to the fault');
      expect(p.ref.cpu.ipsr).toBe(3);
      expect(sramWord(p.ref, p.ref.cpu.r[13]! + 24)).toBe(a.at('fault'));
      expect(p.ref.cpu.r[1]).toBe(120);
      expect(p.ref.cpu.r[2]).toBe(0x12345678);
      p.expectSameMemory('stacked frame');
    }
  });

  it('the cache source cap flushes the cache and results stay identical', () => {
    const programs = [itLoop().asm.link(), mixedCostLoop().link()];
    for (const code of programs) {
      // The cap: half of what the cache holds after a run without one.
      const probe = build({ code }, { hotEntries: 1 });
      probe.run(2000);
      const full = probe.cpu.jit!.stats.cacheChars;
      expect(full).toBeGreaterThan(0);
      const cap = Math.floor(full / 2);
      const p = new Pair({ code }, { hotEntries: 1, maxSourceChars: cap });
      p.both((m) => m.run(2000), `cap ${cap}`);
      expect(p.stats.flushes).toBeGreaterThan(0);
      expect(p.stats.cacheChars).toBeLessThanOrEqual(cap);
      expect(p.stats.translatedInstructions).toBeGreaterThan(0);
      for (let i = 0; i < 100; i++)
        p.both((m) => m.cpu.executeBatch(Infinity, m.clock.cycles + 13), `batch ${i}`);
      p.expectSameMemory();
    }
  });

  it("the host's hook runs around each translation; results stay identical", () => {
    // Node's command switches the engine's optimiser off there (host/engine.ts).
    let inside = false;
    let calls = 0;
    const compiledInside: boolean[] = [];
    const hook = (translate: () => void): void => {
      calls++;
      inside = true;
      try {
        translate();
      } finally {
        inside = false;
      }
    };
    const p = new Pair(
      { code: mixedCostLoop().link() },
      { hotEntries: 1, aroundTranslation: hook, onSource: () => compiledInside.push(inside) },
    );
    p.both((m) => m.run(2000), 'hooked');
    expect(p.stats.translated).toBeGreaterThan(1);
    expect(calls).toBe(p.stats.translated);
    expect(compiledInside).toEqual(Array(calls).fill(true));
    p.expectSameMemory();
  });

  it('an MPU enabled from inside a block: the next fetch is checked', () => {
    // PRIVDEFENA clear and no region: with the MPU on, nothing is executable. On iteration 30
    // the loop's store turns it on; the next instruction's fetch faults (MemManage IACCVIOL,
    // escalated to HardFault), as the interpreter fetches (and checks) every instruction.
    const a = new Asm();
    a.emit(...mov32(0, 0xe000ed94), dp16.movImm(1, 0), dp16.movImm(2, 0), dp16.movImm(4, 0));
    a.label('loop');
    a.emit(dp16.addImm8(4, 1), dp16.cmpImm(4, 30), br16.it(COND.eq), dp16.movImm(1, 1));
    a.emit(ls16.strImm(1, 0, 0)); // MPU_CTRL = r1
    a.emit(dp16.addImm8(2, 5), dp16.addImm8(3, 1)); // must not run once the MPU is on
    a.branch('loop', (o) => br16.b(o));
    for (const options of CONFIGS) {
      const p = new Pair({ code: a.link(), handlers: { 3: [B_SELF] } }, options);
      p.both((m) => m.run(2000), 'run');
      expect(p.ref.cpu.pc).toBe(handlerAddress(3)); // the MemManage escalated to HardFault
      expect(p.ref.bus.read32(CFSR) & 1).toBe(1); // IACCVIOL
      expect(p.ref.cpu.r[2]).toBe(5 * 29);
      expect(p.ref.cpu.r[3]).toBe(29); // (stacking faults too: MSTKERR, no frame to look at)
      p.expectSameMemory();
    }
  });

  it('reads of the cycle counters inside a block see the same values', () => {
    // DWT_CYCCNT and SYST_CVR read twice per iteration, halfway through the loop's block.
    const a = new Asm();
    a.label('loop');
    a.emit(ls16.ldrImm(1, 5, 0), dp16.addImm8(0, 1), ls16.ldrImm(2, 6, 0));
    a.emit(ls16.strImm(1, 7, 0), ls16.strImm(2, 7, 4), dp16.addImm8(7, 8), udiv(3, 1, 0));
    a.emit(ls16.ldrImm(4, 5, 0), dp16.subReg(4, 4, 1), ls16.strImm(4, 7, 0), dp16.cmpImm(0, 200));
    a.branch('loop', (o) => br16.bCond(COND.ne, o));
    a.emit(B_SELF);
    const setup: Setup = {
      code: a.link(),
      regs: { 0: 0, 5: 0xe0001004, 6: 0xe000e018, 7: 0x20002000 },
      prepare: (m) => {
        m.bus.write32(0xe000edfc, 1 << 24); // DEMCR.TRCENA
        m.bus.write32(0xe0001000, 1); // DWT_CTRL.CYCCNTENA
        m.bus.write32(0xe000e014, 0xffffff); // SYST_RVR
        m.bus.write32(0xe000e010, 5); // SYST_CSR: processor clock, ENABLE, no interrupt
      },
    };
    for (const options of CONFIGS) {
      const p = new Pair(setup, options);
      p.both((m) => m.run(5000), 'run');
      expect(p.ref.cpu.r[0]).toBe(200);
      const cyccnt = (i: number) => p.ref.bus.read32(0x20002000 + 8 * i);
      expect(cyccnt(10)).toBeGreaterThan(cyccnt(9)); // the counter runs
      p.expectSameMemory();
    }
  });

  it('a loop polling memory only an interrupt changes is fast-forwarded, exactly', () => {
    // while (flag == 0); three times over, the flag (the word at r5) set by each SysTick.
    const program = () => {
      const a = new Asm();
      a.emit(dp16.movImm(6, 0));
      a.label('wait');
      a.emit(ls16.ldrImm(2, 5, 0), dp16.cmpImm(2, 0));
      a.branch('wait', (o) => br16.bCond(COND.eq, o));
      a.emit(dp16.addImm8(6, 1), ls16.strImm(7, 5, 0)); // r7 = 0: wait again
      a.emit(dp16.cmpImm(6, 3));
      a.branch('wait', (o) => br16.bCond(COND.ne, o));
      a.emit(B_SELF);
      return a;
    };
    for (const options of CONFIGS) {
      const a = program();
      // SysTick counts its ticks in r3 and sets the flag (r4 = 1) at each one.
      const p = new Pair(
        {
          code: a.link(),
          handlers: { 15: [dp16.addImm8(3, 1), ls16.strImm(4, 5, 0), BX_LR] },
          regs: { 3: 0, 4: 1, 5: 0x20001000, 7: 0 },
          prepare: (m) => {
            m.bus.write32(0x20001000, 0);
            m.bus.write32(0xe000e014, 4999); // SYST_RVR: a tick every 5000 cycles
            m.bus.write32(0xe000e018, 0);
            m.bus.write32(0xe000e010, 7);
          },
        },
        options,
      );
      p.both((m) => m.run(200000), 'run');
      expect(p.ref.cpu.r[6]).toBe(3);
      p.expectSameMemory();
      // With the loop translated, most of the waiting was skipped, not spun (at the default
      // threshold this short run never makes it hot: it is interpreted, and spins).
      if (options.hotEntries !== undefined && (options.maxBlockInsns ?? 64) >= 3) {
        expect(p.stats.fastForwarded).toBeGreaterThan(1000);
      }
    }
  });

  it('interrupts (SysTick, a pended PendSV) arrive at the same instruction', () => {
    for (const options of CONFIGS) {
      const { asm } = itLoop(200);
      const p = new Pair(
        {
          code: asm.link(),
          // SysTick: adds r7, #1; PendSV: adds r6, #1 (neither register is stacked).
          handlers: { 14: [dp16.addImm8(6, 1), BX_LR], 15: [dp16.addImm8(7, 1), BX_LR] },
          regs: { 6: 0, 7: 0 },
          prepare: (m) => startSysTick(m, 37),
        },
        options,
      );
      p.both((m) => m.run(700), 'first part');
      p.both((m) => m.bus.write32(ICSR, 1 << 28)); // PENDSVSET, from the host
      p.both((m) => m.run(100000), 'rest');
      expect(p.ref.cpu.r[7]).toBeGreaterThan(10);
      expect(p.ref.cpu.r[6]).toBe(1);
      p.expectSameMemory();
    }
  });
});
