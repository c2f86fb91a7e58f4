/** The Runner's host in Node: the monotonic clock, timers, and setImmediate between slices. */
import type { RunnerHost } from '../machine/runner.js';

export const nodeRunnerHost: RunnerHost = {
  now: () => performance.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  yield: () => new Promise<void>((resolve) => setImmediate(resolve)),
};
