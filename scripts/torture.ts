/*
 * npm run torture -- [--opt O0,O2,Os] [--float soft|hard] [--jobs N] [--filter substr]
 *                    [--qemu-only] [--spawn] [--rebuild] [--report FILE]
 *
 * Runs GCC's c-torture execute suite (from Debian's gcc-arm-none-eabi-source) under f4emu and
 * under QEMU (mps2-an386, the same ELF) and compares verdicts: pass is guest exit status 0.
 * Sources are extracted to firmware/build/torture/src, ELFs are built once per flag set into
 * firmware/build/torture/<opt>-<float>-<hash>/ (git-ignored), QEMU verdicts are cached beside
 * them. f4emu runs in --jobs long-lived workers (scripts/torture/f4emuWorker.ts: Node started and
 * the emulator loaded once, each test through the CLI's main() as `f4emu run` does); --spawn
 * starts `f4emu run` as a new process per test instead. Writes torture-report.json (shape: scripts/torture/report.ts), ends with the line
 * `torture: N passed, M failed` and exits 1 when f4emu and QEMU disagree on any test, 2 when the
 * harness cannot run.
 */

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { planTest, type FloatAbi } from './torture/directives.js';
import { parseTortureArgs, selectTests, USAGE, type TortureOptions } from './torture/options.js';
import {
  exitVerdict,
  finalLine,
  formatSummary,
  hasDisagreements,
  reportJson,
  summarize,
  type OptReport,
  type Outcome,
  type Verdict,
} from './torture/report.js';
import {
  buildTest,
  cachedVerdict,
  checkTools,
  ensureSources,
  listTests,
  pool,
  QEMU,
  runGuest,
  SetupError,
  shortHash,
  writeLog,
} from './torture/toolchain.js';
import { WorkerPool, type PoolResult } from './torture/workerPool.js';

/** Stack promised to tests (-DSTACK_SIZE, dg-require-stack-size): half of the 128 KB SRAM. */
const STACK_SIZE = 0x10000;
const QEMU_TIMEOUT_S = 10;
/** f4emu limits itself with --timeout 20; this is the harness's backstop. */
const F4EMU_TIMEOUT_S = 60;
const PROGRESS_EVERY = 50;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE_DIR = path.join(ROOT, 'firmware', 'build', 'torture');
const SRC_DIR = path.join(CACHE_DIR, 'src');
const STARTUP = path.join(ROOT, 'firmware', 'common', 'startup.S');
const LINKER_SCRIPT = path.join(ROOT, 'firmware', 'common', 'cm4.ld');
const F4EMU_BIN = path.join(ROOT, 'bin', 'f4emu.js');
const F4EMU_MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const F4EMU_WORKER = path.join(ROOT, 'dist', 'scripts', 'torture', 'f4emuWorker.js');
/** The f4emu command line for one test, after the program name. */
// --jit-hot 100: these short tests would otherwise run interpreted only (the default threshold
// is 10000 entries); at 100 their hot loops run translated, and the comparison covers the
// translator as well.
const f4emuArgs = (elf: string) => [
  'run',
  elf,
  '--jit-hot',
  '100',
  '--semihosting',
  '--max-instructions',
  '200000000',
  '--timeout',
  '20',
];

interface Built {
  name: string;
  elf: string;
}

type BuildOutcome = Outcome | { name: string; status: 'built'; elf: string };

function log(line: string): void {
  process.stdout.write(line + '\n');
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** gcc options up to the optimisation level and harness defines; hashed into the build dir. */
function baseFlags(opt: string, float: FloatAbi): string[] {
  return [
    '-mcpu=cortex-m4',
    '-mthumb',
    ...(float === 'hard' ? ['-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'] : []),
    `-${opt}`,
    '-fno-diagnostics-show-caret',
    '-fdiagnostics-color=never',
    `-DSTACK_SIZE=${STACK_SIZE}`,
  ];
}

async function buildAll(
  tests: readonly string[],
  opt: string,
  options: TortureOptions,
  buildDir: string,
): Promise<BuildOutcome[]> {
  const base = baseFlags(opt, options.float);
  let unsupported = 0;
  let skipped = 0;
  const build = async (name: string): Promise<BuildOutcome> => {
    const source = path.join(SRC_DIR, `${name}.c`);
    const xFile = path.join(SRC_DIR, `${name}.x`);
    const text = await readFile(source, 'latin1');
    const x = existsSync(xFile) ? await readFile(xFile, 'latin1') : undefined;
    const ctx = { opt: `-${opt}`, float: options.float, stackSize: STACK_SIZE };
    const plan = planTest(text, ctx, x);
    if (plan.skip !== null) {
      skipped++;
      return { name, status: 'skipped', reason: plan.skip };
    }
    const elf = path.join(buildDir, `${name}.elf`);
    const ieee = name.startsWith('ieee/') ? ['-fno-inline'] : [];
    const args = [
      ...base,
      ...ieee,
      ...plan.flags,
      '--specs=rdimon.specs',
      '-T',
      LINKER_SCRIPT,
      STARTUP,
      source,
      '-o',
      elf,
      '-lm',
      '-w',
    ];
    const job = { name, source, elf, args, inputs: [STARTUP, LINKER_SCRIPT] };
    const r = await buildTest(job, options.rebuild);
    if (!r.ok) {
      unsupported++;
      return { name, status: 'unsupported', reason: r.reason };
    }
    return { name, status: 'built', elf };
  };
  return pool(tests, options.jobs, build, (done) => {
    if (done % PROGRESS_EVERY === 0 || done === tests.length) {
      log(
        `torture: -${opt} build ${done}/${tests.length} (${unsupported} unsupported, ${skipped} skipped)`,
      );
    }
  });
}

/** One test in a persistent f4emu worker; judged as runGuest judges a process. */
async function inWorker(
  workers: WorkerPool,
  elf: string,
  cwd: string,
): Promise<Verdict & { log: string }> {
  if (!existsSync(elf)) throw new SetupError(`${elf} vanished during the run; run again`);
  let r: PoolResult;
  try {
    r = await workers.run({ argv: f4emuArgs(elf), cwd, timeoutMs: F4EMU_TIMEOUT_S * 1000 });
  } catch (e) {
    throw new SetupError(`${(e as Error).message}; is dist/ built (npm run build)?`);
  }
  if (r.workerError !== null) return { pass: false, detail: r.workerError, log: r.output };
  return { ...exitVerdict(r.code, r.signal, null), log: r.output };
}

async function runAll(built: readonly Built[], opt: string, options: TortureOptions) {
  const workers =
    options.qemuOnly || options.spawn
      ? null
      : new WorkerPool({ size: options.jobs, script: F4EMU_WORKER });
  let qemuPassed = 0;
  let f4emuPassed = 0;
  const run = async ({ name, elf }: Built): Promise<Outcome> => {
    const cwd = path.dirname(elf);
    const qemuArgs = [
      '-M',
      'mps2-an386',
      '-nographic',
      '-monitor',
      'none',
      '-serial',
      'none',
      '-semihosting-config',
      'enable=on,target=native',
      '-kernel',
      elf,
    ];
    const qemu = await cachedVerdict(`${elf}.qemu.json`, elf, options.rebuild, () =>
      runGuest({ cmd: QEMU, args: qemuArgs, timeoutSeconds: QEMU_TIMEOUT_S }, elf, cwd),
    );
    let f4emu: Verdict | null = null;
    if (!options.qemuOnly) {
      const v = workers
        ? await inWorker(workers, elf, cwd)
        : await runGuest(
            {
              cmd: process.execPath,
              args: [F4EMU_BIN, ...f4emuArgs(elf)],
              timeoutSeconds: F4EMU_TIMEOUT_S,
            },
            elf,
            cwd,
          );
      await writeLog(`${elf}.f4emu.log`, v);
      f4emu = { pass: v.pass, detail: v.detail };
    }
    // Counted only once both runs are done, so progress lines stay consistent.
    if (qemu.pass) qemuPassed++;
    if (f4emu?.pass) f4emuPassed++;
    return { name, status: 'ran', qemu, f4emu };
  };
  try {
    return await pool(built, options.jobs, run, (done) => {
      if (done % PROGRESS_EVERY === 0 || done === built.length) {
        const f4 = options.qemuOnly ? '' : `, f4emu pass ${f4emuPassed}`;
        log(`torture: -${opt} run ${done}/${built.length} (qemu pass ${qemuPassed}${f4})`);
      }
    });
  } finally {
    if (workers) {
      await workers.close();
      if (workers.started > options.jobs) {
        log(`torture: -${opt} ${workers.started - options.jobs} f4emu worker(s) replaced`);
      }
    }
  }
}

async function runOpt(
  tests: readonly string[],
  opt: string,
  options: TortureOptions,
  gccVersion: string,
): Promise<OptReport> {
  const base = baseFlags(opt, options.float);
  const hash = shortHash(JSON.stringify({ gccVersion, base, tail: ['rdimon.specs', '-lm', '-w'] }));
  const buildDir = path.join(CACHE_DIR, `${opt}-${options.float}-${hash}`);
  await mkdir(buildDir, { recursive: true });

  const buildStart = Date.now();
  const builds = await buildAll(tests, opt, options, buildDir);
  const buildMs = Date.now() - buildStart;

  const built: Built[] = [];
  const outcomes: Outcome[] = [];
  for (const b of builds) {
    if (b.status === 'built') built.push({ name: b.name, elf: b.elf });
    else outcomes.push(b);
  }
  const runStart = Date.now();
  outcomes.push(...(await runAll(built, opt, options)));
  const runMs = Date.now() - runStart;

  const report = summarize(opt, options.float, outcomes, options.qemuOnly);
  log(formatSummary(report));
  log(`torture: -${opt} build ${seconds(buildMs)}, run ${seconds(runMs)} (${buildDir})`);
  return report;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: TortureOptions;
  try {
    options = parseTortureArgs(argv, availableParallelism());
  } catch (err) {
    process.stderr.write(`torture: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    log(USAGE);
    return 0;
  }
  try {
    for (const f of [STARTUP, LINKER_SCRIPT]) {
      if (!existsSync(f)) throw new SetupError(`${path.relative(ROOT, f)} is missing`);
    }
    if (!options.qemuOnly && !existsSync(options.spawn ? F4EMU_MAIN : F4EMU_WORKER)) {
      throw new SetupError(
        `f4emu not built (${path.relative(ROOT, options.spawn ? F4EMU_MAIN : F4EMU_WORKER)} missing: npm run build); use --qemu-only to check QEMU alone`,
      );
    }
    const { gccVersion } = await checkTools(true);
    await ensureSources(SRC_DIR);
    const all = await listTests(SRC_DIR, options.float === 'hard');
    const tests = selectTests(all, options.filters);
    if (tests.length === 0) throw new SetupError(`no test matches --filter ${options.filters}`);
    log(
      `torture: ${tests.length} tests, -${options.opts.join(',-')}, ${options.float} float, ${options.jobs} jobs, ` +
        (options.qemuOnly
          ? 'QEMU only'
          : options.spawn
            ? 'f4emu as a process per test (--spawn)'
            : 'f4emu in persistent workers'),
    );

    const reports: OptReport[] = [];
    for (const opt of options.opts) reports.push(await runOpt(tests, opt, options, gccVersion));
    await writeFile(path.resolve(options.reportPath), reportJson(reports));
    log(finalLine(reports));
    return hasDisagreements(reports) ? 1 : 0;
  } catch (err) {
    if (err instanceof SetupError) {
      process.stderr.write(`torture: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`torture: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(70);
  },
);
