/**
 * The command's engine tuning (engine.ts): work run inside the translator's hook leaves V8's
 * optimising compiler alone, the rest of the program is optimised as before; while the guest
 * runs, nothing is optimised by on-stack replacement. Checked in a child Node that can ask V8 how
 * each function runs (--allow-natives-syntax), on the built module (npm test builds), and
 * through the command with V8's trace of its optimising compilations.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { optimizerChosenByUser, osrChosenByUser } from './engine.js';

const BUILT = fileURLToPath(new URL('../../dist/src/host/engine.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/f4emu.js', import.meta.url));
const QSORT = fileURLToPath(new URL('../../firmware/prebuilt/bench/qsort.elf', import.meta.url));
const MEMOPS = fileURLToPath(new URL('../../firmware/prebuilt/bench/memops.elf', import.meta.url));

/** The optimising compilations (`[compiling method ...`) V8 traces in a command's run. */
function compilations(flags: string[], elf: string): string[] {
  const out = execFileSync(
    process.execPath,
    [...flags, '--trace-opt', CLI, 'run', elf, '--semihosting'],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  return out.split('\n').filter((l) => l.startsWith('[compiling method'));
}

/** V8's OptimizationStatus bit for a function with optimised code (TurboFan or Maglev). */
const OPTIMIZED = 1 << 4;

describe('the translator runs without the optimising compiler', () => {
  it('a function made hot inside the hook stays unoptimised; the same made hot outside is not', () => {
    expect(fs.existsSync(BUILT), `${BUILT} (npm run build)`).toBe(true);
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-engine-')), 't.mjs');
    // Two functions with the same code (each its own compiled function), called as often; V8
    // is then made to finish its background compilations before it is asked.
    fs.writeFileSync(
      script,
      `const { withoutOptimizer } = await import(${JSON.stringify(BUILT)});
const make = () => new Function('a', 'let s = 0; for (let i = 0; i < 20; i++) s = (s + a * i) | 0; return s;');
const inside = make(), outside = make();
withoutOptimizer(() => { for (let i = 0; i < 300000; i++) inside(i); });
for (let i = 0; i < 300000; i++) outside(i);
%WaitForBackgroundOptimization();
for (let i = 0; i < 10; i++) { inside(i); outside(i); }
console.log(JSON.stringify({ inside: %GetOptimizationStatus(inside), outside: %GetOptimizationStatus(outside) }));
`,
    );
    try {
      const out = execFileSync(process.execPath, ['--allow-natives-syntax', script], {
        encoding: 'utf8',
      });
      const status = JSON.parse(out) as { inside: number; outside: number };
      expect(status.outside & OPTIMIZED, 'the control is optimised').toBe(OPTIMIZED);
      expect(status.inside & OPTIMIZED, 'made hot inside the hook').toBe(0);
    } finally {
      fs.rmSync(path.dirname(script), { recursive: true, force: true });
    }
  });

  it('the command translates with it: no translator function is optimised in a run', () => {
    // V8's own trace of its optimising compilations (--trace-opt) over a bench program whose
    // blocks are translated; a run with --turbofan (an option on the optimiser: the switch is
    // then left alone) is the control that shows the trace would name them.
    const translator =
      /<JSFunction (inlineCalls|foldStatement|hoistTemporaries|unaliasRegisters|overwrittenSlots|blockSource) /;
    const compiled = (flags: string[]): string[] => compilations(flags, QSORT);
    const switched = compiled([]);
    expect(
      switched.some((l) => /<JSFunction block_/.test(l)),
      'blocks are optimised',
    ).toBe(true);
    expect(switched.filter((l) => translator.test(l))).toEqual([]);
    const control = compiled(['--turbofan']);
    expect(
      control.some((l) => translator.test(l)),
      'control: the translator optimised',
    ).toBe(true);
  });

  it('is not used when the user chose how the engine optimises', () => {
    expect(optimizerChosenByUser([], undefined)).toBe(false);
    expect(optimizerChosenByUser(['--v8-pool-size=0'], '--max-old-space-size=4096')).toBe(false);
    expect(optimizerChosenByUser(['--optimize-for-size'], undefined)).toBe(false);
    expect(optimizerChosenByUser(['--jitless'], undefined)).toBe(true);
    expect(optimizerChosenByUser([], '--max-old-space-size=4096 --no-opt')).toBe(true);
    expect(optimizerChosenByUser(['--no-turbofan'], undefined)).toBe(true);
    expect(optimizerChosenByUser(['--max-opt=1'], undefined)).toBe(true);
    expect(optimizerChosenByUser(['--turbofan'], undefined)).toBe(true);
  });
});

describe('no on-stack replacement while the guest runs', () => {
  it('a loop run long in one call is not optimised in place after withoutOsr; it is before', () => {
    expect(fs.existsSync(BUILT), `${BUILT} (npm run build)`).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-osr-'));
    const script = path.join(dir, 't.mjs');
    // One call each of two functions with the same long loop: V8 would replace the running
    // loop with optimised code (its trace says OSR); the second runs after withoutOsr.
    fs.writeFileSync(
      script,
      `const { withoutOsr } = await import(${JSON.stringify(BUILT)});
const make = (name) => new Function('n', \`return function \${name}(n) { let s = 0; for (let i = 0; i < n; i++) s = (s + i * 7) | 0; return s; };\`)();
make('loopBefore')(30000000);
const restore = withoutOsr();
make('loopAfter')(30000000);
restore();
make('loopRestored')(30000000);
`,
    );
    try {
      const out = execFileSync(process.execPath, ['--trace-opt', script], { encoding: 'utf8' });
      const osr = (name: string): boolean =>
        out.split('\n').some((l) => l.includes(`<JSFunction ${name} `) && l.includes('OSR'));
      expect(osr('loopBefore'), 'control: OSR before').toBe(true);
      expect(osr('loopAfter'), 'no OSR after withoutOsr').toBe(false);
      expect(osr('loopRestored'), 'OSR again once restored').toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the command runs the guest without it: no block is optimised by OSR', () => {
    // memops loops inside its blocks (memcpy's unrolled copy, memset, memcmp); with --use-osr
    // (the user's choice: left alone) V8 optimises some of them in place.
    const osrBlocks = (flags: string[]): number =>
      compilations(flags, MEMOPS).filter((l) => /<JSFunction block_/.test(l) && / OSR/.test(l))
        .length;
    const plain = compilations([], MEMOPS);
    expect(
      plain.some((l) => /<JSFunction block_/.test(l)),
      'blocks are optimised',
    ).toBe(true);
    expect(osrBlocks([])).toBe(0);
    expect(osrBlocks(['--use-osr']), 'control: OSR with --use-osr').toBeGreaterThan(0);
  });

  it('is not used when the user chose how the engine does OSR', () => {
    expect(osrChosenByUser([], undefined)).toBe(false);
    expect(osrChosenByUser(['--v8-pool-size=0'], '--max-old-space-size=4096')).toBe(false);
    expect(osrChosenByUser(['--use-osr'], undefined)).toBe(true);
    expect(osrChosenByUser([], '--no-use-osr')).toBe(true);
    expect(osrChosenByUser(['--always-osr'], undefined)).toBe(true);
    expect(osrChosenByUser(['--no-concurrent-osr'], undefined)).toBe(true);
    expect(osrChosenByUser(['--jitless'], undefined)).toBe(true);
    expect(osrChosenByUser(['--use-osr-x'], undefined)).toBe(false);
  });
});
