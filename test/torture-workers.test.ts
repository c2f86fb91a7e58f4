/**
 * The torture harness's persistent f4emu workers (scripts/torture/workerPool.ts and
 * f4emuWorker.ts): the pool with a stand-in worker (normal results, a crash, a hang past the
 * timeout, a worker that cannot start), then the real worker against `f4emu run` as a process
 * on the same ELFs: the same exit codes, stdout and stderr, and nothing left behind by a run.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { parseTortureArgs, USAGE } from '../scripts/torture/options.js';
import { WorkerPool, type PoolResult } from '../scripts/torture/workerPool.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FAKE = path.join(ROOT, 'test', 'helpers', 'torture-fake-worker.mjs');
const WORKER = path.join(ROOT, 'dist', 'scripts', 'torture', 'f4emuWorker.js');
const BIN = path.join(ROOT, 'bin', 'f4emu.js');
const PREBUILT = path.join(ROOT, 'firmware', 'prebuilt');

const job = (...argv: string[]) => ({ argv, cwd: ROOT, timeoutMs: 20_000 });
const pidOf = (r: PoolResult) => r.stderr.replace(/^pid /, '');

describe('torture --spawn', () => {
  it('keeps the process-per-test mode behind --spawn; workers are the default', () => {
    expect(parseTortureArgs([], 2).spawn).toBe(false);
    expect(parseTortureArgs(['--spawn'], 2).spawn).toBe(true);
    expect(USAGE).toMatch(/--spawn +run each f4emu test as a new `f4emu run` process/);
  });
});

describe('WorkerPool (stand-in worker)', () => {
  it('runs jobs in at most `size` workers, each job with its own output and code', async () => {
    const pool = new WorkerPool({ size: 2, script: FAKE });
    const results = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => pool.run(job('ok', `out ${i}\nno newline ${i}`, String(i)))),
    );
    await pool.close();
    results.forEach((r, i) => {
      expect(r.workerError).toBeNull();
      expect(r.code).toBe(i);
      expect(r.stdout).toBe(`out ${i}\nno newline ${i}`);
      expect(r.stderr).toMatch(/^pid \d+$/);
      expect(r.output).toContain(`no newline ${i}`);
    });
    expect(new Set(results.map(pidOf)).size).toBe(2);
    expect(pool.started).toBe(2);
  });

  it('finds the end marker when it arrives in pieces', async () => {
    const pool = new WorkerPool({ size: 1, script: FAKE });
    const r = await pool.run(job('split', 'before the marker', '7'));
    const next = await pool.run(job('ok', 'next', '0'));
    await pool.close();
    expect(r).toMatchObject({
      code: 7,
      stdout: 'before the marker',
      stderr: '',
      workerError: null,
    });
    expect(next.stdout).toBe('next');
  });

  it('fails a job whose worker crashes, and serves the next job from a new worker', async () => {
    const pool = new WorkerPool({ size: 1, script: FAKE });
    const before = await pool.run(job('ok', 'a', '0'));
    const crashed = await pool.run(job('crash'));
    const exited = await pool.run(job('exit'));
    const after = await pool.run(job('ok', 'b', '0'));
    await pool.close();
    expect(crashed.code).toBeNull();
    expect(crashed.signal).toBe('SIGSEGV');
    expect(crashed.workerError).toBe('f4emu worker died: killed by SIGSEGV');
    expect(exited.workerError).toBe('f4emu worker died: exit status 3');
    expect(after).toMatchObject({ code: 0, stdout: 'b', workerError: null });
    expect(pidOf(after)).not.toBe(pidOf(before));
    expect(pool.started).toBe(3);
  });

  it('kills a worker that hangs past the timeout and records a timeout', async () => {
    const pool = new WorkerPool({ size: 2, script: FAKE });
    const start = Date.now();
    const [hung, fine] = await Promise.all([
      pool.run({ argv: ['hang'], cwd: ROOT, timeoutMs: 1500 }),
      pool.run(job('ok', 'meanwhile', '0')),
    ]);
    const after = await pool.run(job('ok', 'after', '0'));
    await pool.close();
    expect(Date.now() - start).toBeLessThan(15_000);
    expect(hung).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: true });
    expect(hung.workerError).toBe('timeout after 1.5 s (f4emu worker killed)');
    expect(fine).toMatchObject({ code: 0, stdout: 'meanwhile', timedOut: false });
    expect(after).toMatchObject({ code: 0, stdout: 'after' });
  });

  it('gives up with a clear error when workers cannot start at all', async () => {
    const pool = new WorkerPool({ size: 1, script: FAKE, args: ['nostart'] });
    const first = await pool.run(job('ok'));
    expect(first.workerError).toMatch(/^f4emu worker died: exit status 1 \(Error: cannot load/);
    await pool.run(job('ok'));
    await pool.run(job('ok'));
    await expect(pool.run(job('ok'))).rejects.toThrow(
      /f4emu workers cannot start \(exit status 1: Error: cannot load the CLI \(stand-in\)\)/,
    );
    await pool.close();
  });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `f4emu ARGV` as a new process, as the harness's --spawn mode starts it (stdin /dev/null). */
function spawned(argv: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Command lines covering passes, failures, faults, limits and usage errors. */
function commandLines(): string[][] {
  const tests = fs
    .readdirSync(path.join(PREBUILT, 'tests'))
    .filter((f) => f.endsWith('.elf'))
    .sort()
    .map((f) => path.join(PREBUILT, 'tests', f));
  const torture = (args: string[]) => [
    ...args,
    '--max-instructions',
    '200000000',
    '--timeout',
    '20',
  ];
  const lines = tests.map((elf) => torture(['run', elf, '--semihosting']));
  // The instruction limit (exit 4), a semihosting call without --semihosting (lockup, exit 3,
  // fault report), an image that does not exist (exit 2).
  lines.push(
    ['run', path.join(PREBUILT, 'demo.elf'), '--max-instructions', '300000'],
    ['run', tests[0]!, '--max-instructions', '5000000'],
    ['run', path.join(ROOT, 'no-such-image.elf'), '--semihosting'],
  );
  return lines;
}

describe('the f4emu worker against f4emu run as a process', () => {
  it('gives identical exit codes and output for the same command lines', async () => {
    expect(fs.existsSync(WORKER), 'dist/ not built: npm run build').toBe(true);
    const lines = commandLines();
    const viaProcess: Ran[] = [];
    for (const argv of lines) viaProcess.push(await spawned(argv, PREBUILT));
    const pool = new WorkerPool({ size: 2, script: WORKER });
    // Twice through the same workers: a second run of an ELF sees nothing of the first.
    const viaWorker = await Promise.all(
      [...lines, ...lines].map((argv) => pool.run({ argv, cwd: PREBUILT, timeoutMs: 120_000 })),
    );
    await pool.close();
    expect(pool.started).toBe(2);
    const codes = new Set(viaProcess.map((r) => r.code));
    expect([...codes].sort()).toEqual(expect.arrayContaining([0, 2, 3, 4]));
    viaWorker.forEach((w, i) => {
      const p = viaProcess[i % lines.length]!;
      const what = lines[i % lines.length]!.join(' ');
      expect(w.workerError, what).toBeNull();
      expect({ code: w.code, stdout: w.stdout, stderr: w.stderr }, what).toEqual(p);
    });
    // Nothing accumulates in a worker: the same handles and process listeners after every run.
    const answers = viaWorker.map((w) => w.answer!);
    const handles = (a: (typeof answers)[number]) =>
      a.resources.filter((r) => r !== 'CloseReq').sort();
    for (const a of answers) {
      expect(handles(a)).toEqual(handles(answers[0]!));
      expect(a.listeners).toEqual(answers[0]!.listeners);
    }
    expect(handles(answers[0]!)).not.toContain('Timeout');
  }, 180_000);
});
