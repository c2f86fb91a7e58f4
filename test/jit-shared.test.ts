/**
 * Instructions that differ only in their registers share their translation (src/core/jit/
 * shared.ts): every block of the prebuilt firmware must get the same source with sharing as
 * without it, but for the numbering of the labels and temporaries each instruction's code names
 * for itself (fresh names count on from whatever was inlined before, so they differ between the
 * two runs: they are renumbered in order of appearance within each instruction's code before
 * comparing), and for the order of the module bindings declared before the function and any
 * the function does not use (inlining declares a helper's name before folding may drop its
 * call, and a cached expansion declares only what it kept): the bindings the function uses must
 * be declared in both.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseImage } from '../src/loader/image.js';
import { boot } from '../src/machine/firmware.js';
import { Machine } from '../src/machine/machine.js';
import { ConsoleOnlyHost } from '../src/machine/semihosting.js';

const PREBUILT = path.join(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
  'firmware',
  'prebuilt',
);

function elfs(kind: string): string[] {
  const dir = path.join(PREBUILT, kind);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.elf'))
    .sort()
    .map((f) => `${kind}/${f}`);
}

/** Each translated block's source, by start address, in the order translated. */
function sources(file: string, share: boolean, instructions: number) {
  const got: [number, string][] = [];
  const m = new Machine({
    warn: () => {},
    jit: { hotEntries: 2, share, onSource: (start, source) => got.push([start, source]) },
  });
  const image = parseImage(fs.readFileSync(path.join(PREBUILT, file)), file);
  boot(m, image, { semihosting: new ConsoleOnlyHost(() => {}) });
  m.run(instructions);
  return { got, shared: m.cpu.jit!.stats.shared, insns: m.cpu.jit!.stats.blockInstructions };
}

/** The function's text, fresh names renumbered in order of appearance within each instruction. */
function normalized(source: string): string {
  return body(source)
    .split(/(?=\n {2}\/\/ 0x[0-9a-f]+: )/)
    .map((part) => {
      const names = new Map<string, string>();
      return part.replace(/(?<![\w$])(H|t|a|SW)\$\d+(?![\w$])/g, (name, prefix: string) => {
        if (!names.has(name)) names.set(name, `${prefix}$${names.size}`);
        return names.get(name)!;
      });
    })
    .join('');
}

function body(source: string): string {
  return source.slice(source.indexOf('return function'));
}

/** The module bindings (`const $2_shiftC = B[3];`) the function uses. */
function usedBindings(source: string): string[] {
  const fn = body(source);
  return [...source.matchAll(/^const (\$\d+_\w+) = B\[\d+\];$/gm)]
    .map((m) => m[1]!)
    .filter((alias) => fn.includes(alias))
    .sort();
}

const programs = [
  ...elfs('tests').map((f) => [f, 20_000_000] as const),
  ...elfs('periph').map((f) => [f, 20_000_000] as const),
  ...elfs('fpu').map((f) => [f, 20_000_000] as const),
  ...elfs('bench').map((f) => [f, 1_000_000] as const),
];

describe('shared translation', () => {
  it.each(programs)('%s: the same blocks with sharing and without', (file, instructions) => {
    const withSharing = sources(file, true, instructions);
    const without = sources(file, false, instructions);
    expect(without.shared).toBe(0);
    expect(withSharing.got.map(([start]) => start)).toEqual(without.got.map(([start]) => start));
    withSharing.got.forEach(([start, source], k) => {
      const other = without.got[k]![1];
      const what = `block at 0x${start.toString(16)}`;
      expect(normalized(source), what).toBe(normalized(other));
      expect(usedBindings(source), what).toEqual(usedBindings(other));
    });
  });
  it('shares most of the block instructions of qsort (the comparison above is not vacuous)', () => {
    const q = sources('bench/qsort.elf', true, 1_000_000);
    expect(q.shared / q.insns).toBeGreaterThan(0.5);
  });
});
