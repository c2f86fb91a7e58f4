/**
 * The committed Unicorn differential vectors (test/vectors/*.jsonl), by class, with the file and
 * line each came from: shared by the interpreter's and the block translator's replays.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseVector, type Vector } from '../../scripts/differential-replay.js';

export interface VectorAt {
  vector: Vector;
  line: number;
  file: string;
}

export function committedVectorsByClass(): Map<string, VectorAt[]> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');
  const byClass = new Map<string, VectorAt[]>();
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
  return byClass;
}
