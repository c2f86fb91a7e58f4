import { describe, expect, it } from 'vitest';
import { Asm, CONFIGS, Pair } from '../../../test/helpers/lockstep.js';
import { B_SELF } from '../../../test/helpers/machine.js';
import { COND, t16 as br16 } from '../encode/branch.js';
import { t16 as dp16 } from '../encode/dataProcessing.js';
import { overwrittenSlots, withoutDeadWrites } from './deadFlags.js';

const sorted = (s: Set<string>) => [...s].sort();

describe('dead flag writes between register-only instructions', () => {
  it('a slot counts as overwritten only when its first use is a write every path runs', () => {
    // FC is written from AC (AC's old value is read: not overwritten; FC's is).
    expect(sorted(overwrittenSlots('FN = a >>> 31 ; FZ = a === 0 ? 1 : 0 ; FC = AC ;'))).toEqual([
      'FC',
      'FN',
      'FZ',
    ]);
    expect(sorted(overwrittenSlots('AC = x > 1 ? 1 : 0 ; FC = AC ;'))).toEqual(['AC', 'FC']);
    expect(sorted(overwrittenSlots('V = FC ; FC = 1 ;'))).toEqual([]); // read first
    expect(sorted(overwrittenSlots('if ( x ) { FN = 1 ; } FZ = 0 ;'))).toEqual(['FZ']);
    expect(sorted(overwrittenSlots('if ( x ) FN = 1 ; FZ = 0 ;'))).toEqual(['FZ']);
    expect(sorted(overwrittenSlots('H : { if ( x ) break H ; FN = 1 ; } FZ = 0 ;'))).toEqual([
      'FZ',
    ]);
    expect(sorted(overwrittenSlots('H : { V = 1 ; break H ; } FN = 1 ;'))).toEqual(['FN']);
    expect(sorted(overwrittenSlots('x = ( FN = 1 ) ; FZ = f ( ) ;'))).toEqual([]);
    expect(sorted(overwrittenSlots('FN = FN ^ 1 ;'))).toEqual([]);
    expect(sorted(overwrittenSlots('FV = cpu . FV ;'))).toEqual(['FV']);
  });

  it('drops the dead writes with pure values, and the scratch nothing reads any more', () => {
    const text = 'AC = x > 1 ? 1 : 0 ; AV = y ; FN = r >>> 31 ; FC = AC ; FV = AV ; R0 = r ;';
    expect(withoutDeadWrites(text, new Set(['FN', 'FC', 'AC', 'AV']))).toBe(
      '; AV = y ; ; ; FV = AV ; R0 = r ;', // AC's only reader went with FC; AV is still read
    );
    expect(withoutDeadWrites('FN = f ( x ) ;', new Set(['FN']))).toBeNull();
    expect(withoutDeadWrites('if ( c ) FN = 1 ; else FN = 0 ;', new Set(['FN']))).toBe(
      'if ( c ) ; else ;',
    );
    expect(withoutDeadWrites('R1 = 2 ;', new Set(['FN']))).toBeNull();
  });

  it('a run of flag-setting instructions, flags read in between and at the end, is exact', () => {
    // adds/eors/lsls set the flags, most of them dead; ADC reads C, a conditional branch reads
    // Z; a batch limit inside the run exposes the flags there.
    const a = new Asm();
    a.emit(dp16.movImm(0, 0), dp16.movImm(1, 1), dp16.movImm(2, 0));
    a.label('loop');
    a.emit(dp16.addImm8(0, 37), dp16.eor(1, 0), dp16.lslImm(3, 1, 3), dp16.subImm8(2, 1));
    a.emit(dp16.adc(3, 0), dp16.addImm8(0, 200), dp16.lsrImm(4, 0, 1), dp16.cmpImm(4, 7));
    a.branch('loop', (o) => br16.bCond(COND.ne, o));
    a.emit(B_SELF);
    const code = a.link();
    for (const options of CONFIGS) {
      const p = new Pair({ code }, options);
      p.both((m) => m.run(4000), 'run');
      let seed = 7;
      for (let i = 0; i < 200; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const k = 1 + (seed % 13);
        p.both((m) => m.cpu.executeBatch(m.cpu.instructions + k, Infinity), `batch ${i}`);
      }
    }
  });
});
