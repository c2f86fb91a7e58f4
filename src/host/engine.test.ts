/**
 * The translator's engine hook (engine.ts): work run inside it leaves V8's optimising compiler
 * alone, the rest of the program is optimised as before. Checked in a child Node that can ask
 * V8 how each function runs (--allow-natives-syntax), on the built module (npm test builds), and
 * through the command with V8's trace of its optimising compilations.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { optimizerChosenByUser } from './engine.js';

const BUILT = fileURLToPath(new URL('../../dist/src/host/engine.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/f4emu.js', import.meta.url));
const QSORT = fileURLToPath(new URL('../../firmware/prebuilt/bench/qsort.elf', import.meta.url));

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
    const compiled = (flags: string[]): string[] => {
      const out = execFileSync(
        process.execPath,
        [...flags, '--trace-opt', CLI, 'run', QSORT, '--semihosting'],
        { encoding: 'utf8', maxBuffer: 64 << 20 },
      );
      return out.split('\n').filter((l) => l.startsWith('[compiling method'));
    };
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
