/**
 * Lets each test worker's event loop turn between tests. Most tests here are synchronous and
 * CPU-bound, and Vitest goes from one to the next on promise continuations alone, so a worker's
 * I/O (the replies to its progress reports to the main process) waits until the whole file is
 * done. On a loaded machine a file such as jit-both-ways.test.ts then outlasts Vitest's 60 s
 * RPC timeout and the run ends with "Timeout calling onTaskUpdate" although every test passed.
 */
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
