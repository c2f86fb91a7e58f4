/*
 * The Node side of the torture harness: host tools, the c-torture sources from Debian's
 * gcc-arm-none-eabi-source tarball, cached builds, and guest runs with a time limit.
 */

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { exitVerdict, type Verdict } from './report.js';

export const GCC = 'arm-none-eabi-gcc';
export const QEMU = 'qemu-system-arm';
const TARBALL_DIR = '/usr/src';
const OUTPUT_TAIL = 4096;

/** A failure the harness reports as one line and exit status 2. */
export class SetupError extends Error {}

export interface ProcessResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The last few KB of stdout and stderr, interleaved. */
  output: string;
  /** Set when the program could not be started at all (ENOENT...). */
  spawnError: string | null;
}

export function runProcess(
  cmd: string,
  args: readonly string[],
  timeoutMs: number,
  cwd?: string,
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    let spawnError: string | null = null;
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('latin1');
      if (output.length > 2 * OUTPUT_TAIL) output = output.slice(-OUTPUT_TAIL);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      spawnError = err.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output: output.slice(-OUTPUT_TAIL), spawnError });
    });
  });
}

/** Check the host tools; throws SetupError naming the Debian package to install. */
export async function checkTools(needQemu: boolean): Promise<{ gccVersion: string }> {
  const gcc = await runProcess(GCC, ['-dumpfullversion'], 30_000);
  if (gcc.spawnError || gcc.code !== 0) {
    throw new SetupError(`${GCC} not found (apt-get install gcc-arm-none-eabi)`);
  }
  const specs = await runProcess(GCC, ['-print-file-name=rdimon.specs'], 30_000);
  if (!path.isAbsolute(specs.output.trim())) {
    throw new SetupError('rdimon.specs not found (apt-get install libnewlib-arm-none-eabi)');
  }
  const tar = await runProcess('xz', ['--version'], 30_000);
  if (tar.spawnError) throw new SetupError('xz not found (apt-get install xz-utils)');
  if (needQemu) {
    const qemu = await runProcess(QEMU, ['--version'], 30_000);
    if (qemu.spawnError || qemu.code !== 0) {
      throw new SetupError(`${QEMU} not found (apt-get install qemu-system-arm)`);
    }
  }
  return { gccVersion: gcc.output.trim() };
}

async function findTarball(): Promise<string> {
  const names = existsSync(TARBALL_DIR) ? await readdir(TARBALL_DIR) : [];
  const hit = names.filter((n) => /^gcc-arm-none-eabi.*\.tar\.(xz|gz|bz2)$/.test(n)).sort()[0];
  if (hit === undefined) {
    throw new SetupError(
      `no gcc-arm-none-eabi source tarball under ${TARBALL_DIR} (apt-get install gcc-arm-none-eabi-source)`,
    );
  }
  return path.join(TARBALL_DIR, hit);
}

/**
 * Extract execute/*.c, *.h and execute/ieee/*.c, *.x into srcDir, once per tarball version
 * (a stamp file remembers which). Only these files: the rest of GCC's testsuite is not needed.
 */
export async function ensureSources(srcDir: string): Promise<void> {
  const tarball = await findTarball();
  const st = await stat(tarball);
  const stampFile = path.join(srcDir, '.extracted-from');
  const stamp = `${tarball} ${st.size} ${st.mtimeMs}\n`;
  if (existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === stamp) return;
  await rm(srcDir, { recursive: true, force: true });
  await mkdir(srcDir, { recursive: true });
  const prefix = './gcc/testsuite/gcc.c-torture/execute';
  const result = await runProcess(
    'tar',
    [
      '-xf',
      tarball,
      '-C',
      srcDir,
      '--strip-components=5',
      '--wildcards',
      '--no-wildcards-match-slash',
      `${prefix}/*.[ch]`,
      `${prefix}/ieee/*.[cx]`,
    ],
    600_000,
  );
  if (result.spawnError || result.code !== 0) {
    const why = result.spawnError ?? result.output.trim().split('\n').pop();
    throw new SetupError(`extracting c-torture sources from ${tarball} failed: ${why}`);
  }
  await writeFile(stampFile, stamp);
}

/** Test names: 'foo' for execute/foo.c, 'ieee/bar' for execute/ieee/bar.c when wanted. */
export async function listTests(srcDir: string, withIeee: boolean): Promise<string[]> {
  const top = (await readdir(srcDir)).filter((n) => n.endsWith('.c')).map((n) => n.slice(0, -2));
  const ieee = withIeee
    ? (await readdir(path.join(srcDir, 'ieee')))
        .filter((n) => n.endsWith('.c'))
        .map((n) => `ieee/${n.slice(0, -2)}`)
    : [];
  return [...top.sort(), ...ieee.sort()];
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

export interface BuildJob {
  name: string;
  source: string;
  elf: string;
  /** Full argument list for arm-none-eabi-gcc. */
  args: string[];
  /** Files the ELF must be newer than besides the source (startup.S, the linker script). */
  inputs: string[];
}

export type BuildResult = { ok: true; cached: boolean } | { ok: false; reason: string };

async function mtime(file: string): Promise<number | null> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * Compile and link one test unless a previous build with the same command line is newer than
 * every input. A failed build is cached the same way (its .err file), so unsupported tests do
 * not cost a compiler run each time.
 */
export async function buildTest(job: BuildJob, force: boolean): Promise<BuildResult> {
  if (!existsSync(job.source)) throw vanished(job.source);
  const cmdFile = `${job.elf}.cmd`;
  const errFile = `${job.elf}.err`;
  const cmd = [GCC, ...job.args].join(' ') + '\n';
  const newestInput = Math.max(
    ...(await Promise.all([job.source, ...job.inputs].map(async (f) => (await mtime(f)) ?? 0))),
  );
  const sameCmd = existsSync(cmdFile) && (await readFile(cmdFile, 'utf8')) === cmd;
  if (!force && sameCmd) {
    const elfTime = await mtime(job.elf);
    if (elfTime !== null && elfTime > newestInput) return { ok: true, cached: true };
    const errTime = await mtime(errFile);
    if (errTime !== null && errTime > newestInput) {
      return { ok: false, reason: firstErrorLine(await readFile(errFile, 'utf8')) };
    }
  }
  await mkdir(path.dirname(job.elf), { recursive: true });
  await rm(job.elf, { force: true });
  await rm(errFile, { force: true });
  await writeFile(cmdFile, cmd);
  const r = await runProcess(GCC, job.args, 300_000);
  if (r.spawnError) throw new SetupError(`${GCC}: ${r.spawnError}`);
  if (r.code === 0 && existsSync(job.elf)) return { ok: true, cached: false };
  const text = r.timedOut ? 'compiler timed out\n' : r.output || `exit ${r.code}\n`;
  await writeFile(errFile, text);
  return { ok: false, reason: firstErrorLine(text) };
}

/** Something deleted the cache under a running harness (`make -C firmware clean` does). */
function vanished(file: string): SetupError {
  return new SetupError(`${file} vanished during the run (was firmware/build cleaned?); run again`);
}

function firstErrorLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return (lines.find((l) => /error|undefined reference/i.test(l)) ?? lines[0] ?? 'failed').trim();
}

export interface GuestRun {
  /** Argument list after the program name. */
  cmd: string;
  args: string[];
  /** Harness-side limit; the guest counts as timed out after it. */
  timeoutSeconds: number;
}

/** Run a guest to completion and judge it: pass is exit status 0. */
export async function runGuest(
  run: GuestRun,
  elf: string,
  cwd: string,
): Promise<Verdict & { log: string }> {
  if (!existsSync(elf)) throw vanished(elf);
  const r = await runProcess(run.cmd, run.args, run.timeoutSeconds * 1000, cwd);
  if (r.spawnError) throw new SetupError(`${run.cmd}: ${r.spawnError}`);
  const verdict = exitVerdict(r.code, r.signal, r.timedOut ? run.timeoutSeconds : null);
  return { ...verdict, log: r.output };
}

/**
 * QEMU's verdict for an ELF, remembered beside it: QEMU is the fixed reference, so rerunning it
 * only matters when the ELF changes.
 */
export async function cachedVerdict(
  file: string,
  elf: string,
  force: boolean,
  compute: () => Promise<Verdict & { log: string }>,
): Promise<Verdict> {
  const elfTime = await mtime(elf);
  if (!force && existsSync(file)) {
    try {
      const saved = JSON.parse(await readFile(file, 'utf8')) as Verdict & { elfTime: number };
      if (saved.elfTime === elfTime) return { pass: saved.pass, detail: saved.detail };
    } catch {
      // Unreadable cache entry: run again.
    }
  }
  const v = await compute();
  await writeFile(file, JSON.stringify({ pass: v.pass, detail: v.detail, elfTime }) + '\n');
  await writeLog(`${file.replace(/\.json$/, '')}.log`, v);
  return { pass: v.pass, detail: v.detail };
}

/** Keep the output of failing runs for whoever investigates them; drop it for passing ones. */
export async function writeLog(file: string, v: Verdict & { log: string }): Promise<void> {
  if (v.pass) await rm(file, { force: true });
  else await writeFile(file, `${v.detail}\n${v.log}`);
}

/** Run fn over items with at most `jobs` in flight; onDone is called after each item. */
export async function pool<T, R>(
  items: readonly T[],
  jobs: number,
  fn: (item: T) => Promise<R>,
  onDone: (done: number) => void,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
      onDone(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}
