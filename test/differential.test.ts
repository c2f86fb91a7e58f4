/**
 * Replays the committed sample of Unicorn differential vectors (test/vectors/*.jsonl, made by
 * scripts/unicorn_vectors.py; see docs/differential.md) on f4emu: every class, no Unicorn
 * needed. The full run against a live oracle is `npm run differential`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  describeMismatch,
  parseVector,
  Replayer,
  type Mismatch,
  type Vector,
} from '../scripts/differential-replay.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'vectors');
const byClass = new Map<string, { vector: Vector; line: number; file: string }[]>();
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.jsonl'))
  .sort()) {
  readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (!text.trim()) return;
      const vector = parseVector(text);
      const list = byClass.get(vector.cls) ?? [];
      byClass.set(vector.cls, list);
      list.push({ vector, line: i + 1, file });
    });
}

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
