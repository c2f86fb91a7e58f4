/**
 * The fast paths of FPAdd, FPMul, FPMulAdd, FPDiv and FPSqrt (normal operands, round to
 * nearest: a double computation and Math.fround):
 * - against the full pseudocode path they skip (itself checked against Unicorn and QEMU:
 *   docs/differential.md), the same result bits and cumulative flags over random operands
 *   biased to the edges (close exponents, the ends of the normal range, zeros, denormals,
 *   infinities, NaNs) under every FPSCR mode. Both paths end in the same rounding
 *   (round.ts, roundNearestFast), so this checks which operands take the fast path and the
 *   arithmetic before the rounding;
 * - the rounding itself against values worked out by hand, on the cases built to break it: a
 *   double sum halfway between two binary32 values with the exact value off it, an exact value
 *   just below 2^-126 (UFC), exact and inexact quotients and roots (IXC).
 */
import { describe, expect, it } from 'vitest';
import {
  FPAdd,
  FPAddFull,
  FPDiv,
  FPDivFull,
  FPMul,
  FPMulAdd,
  FPMulAddFull,
  FPMulFull,
  FPSqrt,
  FPSqrtFull,
  fpr,
} from './softfloat.js';

const IXC = 1 << 4;
const UFC = 1 << 3;
const MODES = [0, 1 << 22, 2 << 22, 3 << 22, 1 << 24, 1 << 25, (1 << 24) | (1 << 25)];

/** A small deterministic generator (xorshift32), so a failure names its case. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Operand bits: mostly normals with an exponent near `near`, sometimes the special kinds. */
function operand(next: () => number, near: number): number {
  const r = next();
  const sign = (r & 1) << 31;
  switch ((r >>> 1) % 16) {
    case 0:
      return sign >>> 0; // ±0
    case 1:
      return (sign | (next() & 0x7fffff)) >>> 0; // denormal (or 0)
    case 2:
      return (sign | 0x7f800000) >>> 0; // infinity
    case 3:
      return (sign | 0x7f800000 | (next() & 0x7fffff) | 1) >>> 0; // NaN, quiet or signalling
    case 4:
      return (sign | ((1 + (next() % 3)) << 23) | (next() & 0x7fffff)) >>> 0; // near 2^-126
    case 5:
      return (sign | ((252 + (next() % 3)) << 23) | (next() & 0x7fffff)) >>> 0; // near the top
    default: {
      const e = Math.min(254, Math.max(1, near + ((next() % 61) - 30)));
      return (sign | (e << 23) | (next() & 0x7fffff)) >>> 0;
    }
  }
}

function result(run: () => void): [number, number] {
  fpr.r = -1;
  fpr.f = -1;
  run();
  return [fpr.r >>> 0, fpr.f];
}

describe('FP fast paths agree with the full pseudocode', () => {
  it('flags a quotient or a square root inexact by its remainder', () => {
    const f = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;
    expect(result(() => FPDiv(f(6), f(3), 0))).toEqual([f(2), 0]);
    expect(result(() => FPDiv(f(7), f(0.5), 0))).toEqual([f(14), 0]);
    expect(result(() => FPDiv(f(1), f(3), 0))).toEqual([f(1 / 3), IXC]);
    expect(result(() => FPDiv(f(2), f(7), 0))).toEqual([f(2 / 7), IXC]);
    expect(result(() => FPSqrt(f(2.25), 0))).toEqual([f(1.5), 0]);
    expect(result(() => FPSqrt(f(2), 0))).toEqual([f(Math.SQRT2), IXC]);
  });

  it('on random operands under every FPSCR mode', () => {
    const next = rng(0x5eed1234);
    let checked = 0;
    for (let i = 0; i < 60000; i++) {
      const near = 1 + (next() % 254);
      const a = operand(next, near);
      const b = operand(next, near);
      const c = operand(next, near);
      const mode = MODES[next() % MODES.length]!;
      const cases: [string, () => void, () => void][] = [
        ['add', () => FPAdd(a, b, mode), () => FPAddFull(a, b, mode, false)],
        ['sub', () => FPAdd(a, b, mode, true), () => FPAddFull(a, b, mode, true)],
        ['mul', () => FPMul(a, b, mode), () => FPMulFull(a, b, mode)],
        ['fma', () => FPMulAdd(c, a, b, mode), () => FPMulAddFull(c, a, b, mode)],
        ['div', () => FPDiv(a, b, mode), () => FPDivFull(a, b, mode)],
        ['sqrt', () => FPSqrt(a, mode), () => FPSqrtFull(a, mode)],
      ];
      for (const [name, fast, full] of cases) {
        const got = result(fast);
        const want = result(full);
        if (got[0] !== want[0] || got[1] !== want[1]) {
          const h = (x: number): string => '0x' + (x >>> 0).toString(16);
          expect(`${name} ${h(c)} ${h(a)} ${h(b)} mode ${h(mode)}: ${got.map(h)}`).toBe(
            `${name} ${h(c)} ${h(a)} ${h(b)} mode ${h(mode)}: ${want.map(h)}`,
          );
        }
        checked++;
      }
    }
    expect(checked).toBe(360000);
  });

  it('rounds by the exact value where the double sum is halfway between two binary32 values', () => {
    // 1 + 2^-23 + 2^-24(1 + 2^-18)(1 - 2^-18) = 1 + 2^-23 + 2^-24 - 2^-60: the double sum is the
    // halfway point 1 + 2^-23 + 2^-24, ties-to-even would give 1 + 2^-22; the exact value is
    // below it, so the result is 1 + 2^-23, inexact.
    const c = 0x3f800001;
    const a = 0x33800020; // 2^-24 (1 + 2^-18)
    const b = 0x3f7fffc0; // 1 - 2^-18
    expect(result(() => FPMulAdd(c, a, b, 0))).toEqual([0x3f800001, IXC]);
    expect(result(() => FPMulAddFull(c, a, b, 0))).toEqual([0x3f800001, IXC]);
  });

  it('flags underflow where the exact value is just below 2^-126 and the double sum is not', () => {
    // 2^-126 - 2^-190: the double sum is 2^-126 exactly; the exact value is tiny.
    const c = 0x00800000;
    const a = 0x10000000; // 2^-95
    const b = 0x90000000; // -2^-95
    expect(result(() => FPMulAdd(c, a, b, 0))).toEqual([0x00800000, UFC | IXC]);
    expect(result(() => FPMulAddFull(c, a, b, 0))).toEqual([0x00800000, UFC | IXC]);
  });
});
