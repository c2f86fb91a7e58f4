/**
 * How the command tunes Node's engine for the block translator: V8's optimising compiler
 * (TurboFan) is switched off while a block is translated (the hook, JitOptions.
 * aroundTranslation), so the translator's own code is never optimised; and on-stack replacement
 * is off while the guest runs (withoutOsr, below).
 *
 * Why: TurboFan compiles on background threads, one on a two-core machine (bin/f4emu sizes the
 * pool). Measured on qsort, the translator's functions (the inliner, folder, lexer: large and
 * hot while blocks are translated) took 474 ms of that thread's 670 ms in a 0.73 s run, and the
 * blocks waited behind them; until a block is optimised it runs in the engine's interpreter or
 * baseline code, about twice as slow as f4emu's own interpreter (all blocks kept unoptimised:
 * qsort 4.0 s, `--no-jit` 2.1 s). The translator itself gains nothing in a run from being
 * optimised: each translation is mostly first-time work (qsort's total translation time was the
 * same with only blocks optimised). Functions are marked for optimisation when their budget runs
 * out, and the flag is read then: marks made while translating are refused, the rest of the
 * program is untouched. The guest's results are the same either way.
 *
 * Node documents v8.setFlagsFromString as something that may misbehave after start; this flag
 * is a plain switch read at each decision (Node keeps flags unfrozen). It is left alone when the
 * engine runs without TurboFan already (`--jitless`, `--no-opt`, `--max-opt`...): switching it
 * on there could enable a compiler the user turned off.
 */
import v8 from 'node:v8';

/** True when Node was started (command line or NODE_OPTIONS) with an option `option` matches. */
function givenToNode(
  option: RegExp,
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => option.test(a));
}

/** True when Node was started with options that change whether TurboFan runs. */
export function optimizerChosenByUser(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): boolean {
  return givenToNode(
    /^--(no-opt|no-turbofan|opt|turbofan|jitless|max-opt)(=|$)/,
    execArgv,
    nodeOptions,
  );
}

/** Runs `work` with TurboFan switched off (see the file comment). */
export function withoutOptimizer(work: () => void): void {
  v8.setFlagsFromString('--no-turbofan');
  try {
    work();
  } finally {
    v8.setFlagsFromString('--turbofan');
  }
}

/**
 * The translator hook for this process, or undefined when the user chose the optimiser or this
 * Node refuses flags after start (setting the flag as it is first: a no-op where it works).
 */
export function translationHook(): ((translate: () => void) => void) | undefined {
  if (optimizerChosenByUser(process.execArgv, process.env['NODE_OPTIONS'])) return undefined;
  try {
    v8.setFlagsFromString('--turbofan');
  } catch {
    return undefined;
  }
  return withoutOptimizer;
}

/** True when Node was started with an option on on-stack replacement (or on no optimiser). */
export function osrChosenByUser(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): boolean {
  return givenToNode(
    /^--(no-)?(use-osr|always-osr|concurrent-osr|jitless)(=|$)/,
    execArgv,
    nodeOptions,
  );
}

/**
 * Switches V8's on-stack replacement (OSR) off while the guest runs; returns what puts it back.
 *
 * Why: a block whose code loops in its function (a loop translated whole, such as memcpy's
 * unrolled copy) runs long in one call, so V8 optimises the running loop first (OSR) and the
 * function itself again at a later call: two compilations of the largest functions on the one
 * background compiler thread the other new blocks wait for, while they run unoptimised. Without
 * OSR such a block is optimised once, from its next call; every block returns to the run loop at
 * least once per batch. The loader and the start-up before the run keep OSR. The guest's results
 * are the same either way. Left alone when the user gave an option on OSR or runs without the
 * optimiser, and when this Node refuses the flag after start.
 */
export function withoutOsr(): () => void {
  const none = (): void => {};
  if (osrChosenByUser(process.execArgv, process.env['NODE_OPTIONS'])) return none;
  try {
    v8.setFlagsFromString('--no-use-osr');
  } catch {
    return none;
  }
  return () => v8.setFlagsFromString('--use-osr');
}
