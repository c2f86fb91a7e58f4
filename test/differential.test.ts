/**
 * Replays the committed sample of Unicorn differential vectors (test/vectors/*.jsonl, made by
 * scripts/unicorn_vectors.py; see docs/differential.md) on f4emu: every class, no Unicorn
 * needed. The full run against a live oracle is `npm run differential`.
 */
import { describe, expect, it } from 'vitest';
import { describeMismatch, Replayer, type Mismatch } from '../scripts/differential-replay.js';
import { committedVectorsByClass } from './helpers/vectors.js';

const byClass = committedVectorsByClass();

describe('differential vectors (Unicorn oracle, committed sample)', () => {
  it('has a sample for every class', () => {
    expect(byClass.size).toBeGreaterThanOrEqual(30);
  });

  const replayer = new Replayer();
  for (const [cls, vectors] of [...byClass].sort(([a], [b]) => a.localeCompare(b))) {
    it(`${cls}: ${vectors.length} vectors match`, () => {
      const mismatches: Mismatch[] = [];
      for (const { vector, line } of vectors) {
        const problems = replayer.replay(vector);
        if (problems.length) mismatches.push({ vector, line, problems });
      }
      const report = mismatches.slice(0, 5).map(describeMismatch).join('\n');
      expect(mismatches.length, `${mismatches.length} mismatches, first ones:\n${report}`).toBe(0);
    });
  }
});
