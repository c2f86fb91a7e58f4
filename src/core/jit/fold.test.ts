import { describe, expect, it } from 'vitest';
import { fold } from './fold.js';

/** Runs `code` on a fresh register array and inputs; returns what it leaves. */
function run(code: string, inputs: number[]): { r: number[]; out: unknown } {
  const r = Array.from({ length: 16 }, (_, k) => k * 0x1111);
  const fn = new Function('r', 'x', 'y', `let out = 0; ${code}; return out;`) as (
    r: number[],
    x: number,
    y: number,
  ) => unknown;
  const out = fn(r, inputs[0]!, inputs[1]!);
  return { r, out };
}

/** `code` folded must leave the same registers and result as `code`, for several inputs. */
function expectSameMeaning(code: string, folded: string): void {
  for (const inputs of [
    [0, 0],
    [1, 2],
    [0xffffffff, 7],
    [0x80000000, 0x7fffffff],
    [12345, 0xdead],
  ])
    expect(run(folded, inputs), `${inputs}`).toEqual(run(code, inputs));
}

/** LDM's loop over a decoded register list (loadStoreMultiple.ts's loadList). */
const ldmLoop = (list: number) =>
  `let a = x; for ( let l = ${list} ; l !== 0 ; l &= l - 1 ) ` +
  `{ const k = 31 - Math . clz32 ( l & - l ) ; r [ k ] = a ^ y ; a = ( a + 4 ) >>> 0 ; }`;

describe('fold: loops over constants, and constants declared', () => {
  it('unrolls a loop over a register list: each register a constant index, same meaning', () => {
    for (const list of [0b1, 0b1010, 0x40f0, 0x5ff0, 0x7fff]) {
      const code = ldmLoop(list);
      const folded = fold(code);
      expect(folded).not.toMatch(/\bfor\b/);
      expect(folded).not.toMatch(/\br \[ k \]/);
      const indices = [...folded.matchAll(/r \[ (\d+) \]/g)].map((m) => Number(m[1]));
      const expected = [...Array(16).keys()].filter((k) => (list >>> k) & 1);
      expect(indices).toEqual(expected);
      expectSameMeaning(code, folded);
    }
  });

  it('unrolls counting loops (VLDM, the byte lanes of UADD8) and folds what the count decides', () => {
    const lanes =
      'let res = 0 ; for ( let s = 0 ; s < 32 ; s += 8 ) ' +
      '{ const v = ( ( x >>> s ) & 0xff ) + ( ( y >>> s ) & 0xff ) ; res |= ( v & 0xff ) << s ; ' +
      'if ( s === 8 ) out = v ; } r [ 0 ] = res >>> 0 ;';
    const folded = fold(lanes);
    expect(folded).not.toMatch(/\bfor\b|\bif\b/);
    expectSameMeaning(lanes, folded);
    const counted = 'for ( let k = 0 ; k < 3 ; k ++ ) { r [ 4 + k ] = x + k ; }';
    expect(fold(counted)).not.toMatch(/\bfor\b/);
    expectSameMeaning(counted, fold(counted));
  });

  it('leaves loops it cannot know or must not copy', () => {
    const kept = [
      // The bound is not a constant.
      'for ( let k = 0 ; k < ( x & 7 ) ; k ++ ) { r [ k & 15 ] = 1 ; }',
      // More iterations than the limit.
      'for ( let k = 0 ; k < 17 ; k ++ ) { r [ k & 15 ] += 1 ; }',
      // The body breaks, continues, or changes the loop variable.
      'for ( let k = 0 ; k < 4 ; k ++ ) { if ( r [ k ] === y ) break ; r [ k ] = 0 ; }',
      'for ( let k = 0 ; k < 4 ; k ++ ) { if ( r [ k ] === y ) continue ; r [ k ] = 0 ; }',
      'for ( let k = 0 ; k < 8 ; k ++ ) { r [ k ] = 1 ; k ++ ; }',
      // A closure would see one binding per iteration either way, but is not worth the risk.
      'for ( let k = 0 ; k < 2 ; k ++ ) { out = ( ( ) => k ) ( ) ; }',
    ];
    for (const code of kept) {
      expect(fold(code), code).toMatch(/\bfor\b/);
      expectSameMeaning(code, fold(code));
    }
  });

  it('substitutes a known constant into what follows, except where the name means another', () => {
    const simple = 'const n = 3 + 4 ; if ( n > 5 ) { r [ n ] = x ; } else { r [ 0 ] = y ; }';
    expect(fold(simple)).toBe('{ r [ 7 ] = x ; }');
    expectSameMeaning(simple, fold(simple));
    const negative = 'const d = 0 - 4 ; r [ 1 ] = ( x + d ) >>> 0 ;';
    expect(fold(negative)).toBe('r [ 1 ] = ( x + ( - 4 ) ) >>> 0 ;');
    expectSameMeaning(negative, fold(negative));
    // Declared again in an inner block, a property of the same name, the rest kept as is.
    const shadowed = 'const n = 2 ; { let n = x ; r [ 1 ] = n ; } r [ n ] = y ;';
    expect(fold(shadowed)).toMatch(/^const n = 2 ;/);
    expectSameMeaning(shadowed, fold(shadowed));
    const property = 'const list = 5 ; const o = { list : x } ; r [ list ] = o . list ;';
    expect(fold(property)).toMatch(/^const list = 5 ;/);
    expectSameMeaning(property, fold(property));
    // A value that is not a known integer stays a name.
    const unknown = 'const n = x + 1 ; r [ 2 ] = n ;';
    expect(fold(unknown)).toBe(unknown);
  });
});
