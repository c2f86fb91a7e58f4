/**
 * Checks a block makes once (semantics.ts ONCE_PER_BLOCK: the FP instructions' FPU-enabled
 * check) are made again after anything that could change their answer: here a store to CPACR
 * inside the block that disables the FPU between two FP instructions of the same block. Both
 * machines of each Pair (interpreter alone, translator) must stay identical and fault at the
 * same instruction.
 */
import { describe, expect, it } from 'vitest';
import { Asm, CFSR, CONFIGS, mov32, Pair, sramWord } from '../../../test/helpers/lockstep.js';
import { B_SELF, handlerAddress } from '../../../test/helpers/machine.js';
import { COND, t16 as br16 } from '../encode/branch.js';
import { t16 as dp16 } from '../encode/dataProcessing.js';
import { vadd } from '../encode/fpu.js';
import { t16 as ls16 } from '../encode/loadStore.js';

const CPACR = 0xe000ed88;
const NOCP = 1 << 19;

/**
 * Enables the FPU (CPACR CP10/CP11 full access), then loops: `adds r0, #1; vadd s0, s0, s1;
 * cmp r0, #K; it eq; streq r7, [r5] (CPACR = 0); vadd s2, s2, s1; cmp r0, #200; bne loop`.
 */
function disablingLoop(k: number) {
  const a = new Asm();
  a.emit(...mov32(5, CPACR), ...mov32(6, 0x00f00000), ls16.strImm(6, 5, 0));
  a.emit(...mov32(7, 0), dp16.movImm(0, 0));
  a.label('loop');
  a.emit(dp16.addImm8(0, 1), vadd(0, 0, 1), dp16.cmpImm(0, k), br16.it(COND.eq));
  a.emit(ls16.strImm(7, 5, 0));
  a.label('second');
  a.emit(vadd(2, 2, 1), dp16.cmpImm(0, 200));
  a.branch('loop', (o) => br16.bCond(COND.ne, o));
  a.emit(B_SELF);
  return { code: a.link(), second: a.at('second') };
}

describe('checks made once per block', () => {
  it.each(CONFIGS.map((c) => [JSON.stringify(c), c] as const))(
    'a store disabling the FPU inside a block: the next FP instruction faults, jit %s',
    (_, options) => {
      const { code, second } = disablingLoop(150);
      const p = new Pair({ code, handlers: { 3: [B_SELF] } }, options);
      p.both((m) => m.run(3000), 'to the fault');
      expect(p.ref.cpu.pc).toBe(handlerAddress(3)); // NOCP escalated to HardFault
      expect(p.ref.bus.read32(CFSR)).toBe(NOCP);
      const sp = p.ref.cpu.r[13]!;
      expect(sramWord(p.ref, sp + 24)).toBe(second); // the second VADD's return address
      expect(sramWord(p.ref, sp)).toBe(150); // r0
      p.expectSameMemory('stacked frame');
      if (options.hotEntries !== undefined) expect(p.stats.translated).toBeGreaterThan(0);
    },
  );
});
