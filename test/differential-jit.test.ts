/**
 * The committed Unicorn vectors (test/vectors/*.jsonl) through the block translator: every
 * vector with single-instruction blocks, and the sequence vectors (test/vectors/seq-sample.jsonl,
 * K straight-line instructions from one state, `scripts/unicorn_vectors.py --seq K`) and the IT
 * vectors as multi-instruction blocks. Each vector must match Unicorn's result and must really
 * have run in translated blocks (the Jit's translatedInstructions), with the cycles the
 * interpreter counts. The full run against a live oracle is `npm run differential -- --jit ...`.
 */
import { describe, expect, it } from 'vitest';
import {
  describeMismatch,
  Replayer,
  type Mismatch,
  type Vector,
} from '../scripts/differential-replay.js';
import { committedVectorsByClass } from './helpers/vectors.js';

const byClass = committedVectorsByClass();

/**
 * Translated blocks a vector's code must run in: one, plus one after each instruction that
 * raises attention and is not the last: ISB (the run loop looks at the core again; an MSR to
 * the APSR, the only MSR in the vectors, does not).
 */
function expectedBlocks(code: string): number {
  const hw: number[] = [];
  for (let i = 0; i + 4 <= code.length; i += 4) {
    hw.push(parseInt(code.slice(i + 2, i + 4) + code.slice(i, i + 2), 16));
  }
  let blocks = 1;
  for (let k = 0; k < hw.length;) {
    const h1 = hw[k]!;
    const wide = h1 >>> 11 >= 0x1d;
    const h2 = wide ? (hw[k + 1] ?? 0) : 0;
    k += wide ? 2 : 1;
    const isb = h1 === 0xf3bf && (h2 & 0xfff0) === 0x8f60;
    if (isb && k < hw.length) blocks++;
  }
  return blocks;
}

/**
 * Replays `vectors`; returns the mismatches, counting as one a vector that did not run
 * translated as `expectTranslated` says (all its instructions, or at least its first).
 */
function replayAll(
  replayer: Replayer,
  vectors: { vector: Vector; line: number }[],
  expectTranslated: 'all' | 'first',
  oneBlock = false, // as few blocks as the code allows (expectedBlocks)
): Mismatch[] {
  const mismatches: Mismatch[] = [];
  for (const { vector, line } of vectors) {
    const problems = replayer.replay(vector);
    const steps = vector.steps ?? 1;
    const translated = replayer.lastTranslated;
    if (expectTranslated === 'all' ? translated !== steps : translated < 1) {
      problems.push(`${translated} of ${steps} instructions ran translated`);
    }
    if (oneBlock && replayer.lastBlockEntries !== expectedBlocks(vector.code)) {
      problems.push(
        `ran in ${replayer.lastBlockEntries} translated blocks, not ${expectedBlocks(vector.code)}`,
      );
    }
    if (problems.length) mismatches.push({ vector, line, problems });
  }
  return mismatches;
}

function report(mismatches: Mismatch[]): string {
  const first = mismatches.slice(0, 5).map(describeMismatch).join('\n');
  return `${mismatches.length} mismatches, first ones:\n${first}`;
}

describe('differential vectors through the block translator, single-instruction blocks', () => {
  const replayer = new Replayer('jit-single');
  for (const [cls, vectors] of [...byClass].sort(([a], [b]) => a.localeCompare(b))) {
    // An IT block's body runs interpreted (a block never starts inside an IT block).
    const expectTranslated = cls === 'it-block' ? 'first' : 'all';
    it(`${cls}: ${vectors.length} vectors match, translated (${expectTranslated})`, () => {
      const mismatches = replayAll(replayer, vectors, expectTranslated);
      expect(mismatches.length, report(mismatches)).toBe(0);
    });
  }
});

describe('differential vectors through the block translator, multi-instruction blocks', () => {
  const replayer = new Replayer('jit-multi');

  it('has sequence vectors of at least 8 instructions', () => {
    const seq = byClass.get('seq') ?? [];
    expect(seq.length).toBeGreaterThanOrEqual(200);
    expect(Math.min(...seq.map(({ vector }) => vector.steps ?? 1))).toBeGreaterThanOrEqual(8);
  });

  for (const cls of ['seq', 'it-block']) {
    const vectors = byClass.get(cls) ?? [];
    it(`${cls}: ${vectors.length} vectors match, as few translated blocks as can be`, () => {
      const mismatches = replayAll(replayer, vectors, 'all', true);
      expect(mismatches.length, report(mismatches)).toBe(0);
    });
  }

  it('reports a wrong expectation (the comparison can fail)', () => {
    const { vector } = byClass.get('seq')![0]!;
    const wrong: Vector = structuredClone(vector);
    wrong.post.r[0] = (wrong.post.r[0]! ^ 1) >>> 0;
    expect(replayer.replay(vector)).toEqual([]);
    expect(replayer.replay(wrong).join('\n')).toMatch(/^r0: expected/);
    expect(replayer.lastTranslated).toBe(vector.steps);
  });
});
