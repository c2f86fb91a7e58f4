/**
 * CPU benchmarks: runs every prebuilt benchmark ELF (firmware/prebuilt/bench/*.elf) on f4emu
 * through its command (bin/f4emu), and on QEMU (mps2-an386) when qemu-system-arm is on PATH, checks that
 * both print the same output (and the recorded .expected output), and prints a table of
 * instructions, f4emu seconds and MIPS (with the block translator, the default), MIPS with
 * --no-jit (the interpreter alone; same output and instruction count required; --no-interp
 * leaves it out), QEMU seconds and the f4emu/QEMU time ratio, and the medians.
 *
 *   npm run bench [-- --json] [-- --only NAME[,NAME...]] [-- --no-qemu] [-- --no-net]
 *                 [-- --no-interp] [-- --runs N] [-- --timeout S]
 *
 * --runs N runs each workload N times (f4emu, --no-jit and QEMU in turn, so a drift in the
 * machine's speed touches all three alike) and reports the medians, with the range of f4emu's
 * seconds: on a noisy machine one run can be 10-15% off.
 *
 * Then the network figures (./benchNet.ts, unless --no-net or --only): the board demo's web
 * server through --net hostfwd, requests per second and MB/s.
 *
 * --json also writes bench-report.json: {workloads: [{name, instructions, seconds, mips,
 * interpMips, qemuSeconds}], medianMips}. f4emu's seconds and MIPS come from its `--stats` line (guest run
 * time only); QEMU's seconds are wall time of the whole process, startup included.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchNetwork, type NetBench } from './benchNet.js';

interface Options {
  json: boolean;
  only: string[];
  qemu: boolean;
  net: boolean;
  interp: boolean;
  runs: number;
  timeoutSeconds: number;
}

interface Workload {
  name: string;
  instructions: number;
  seconds: number;
  mips: number;
  /** MIPS with --no-jit (the interpreter alone), unless --no-interp. */
  interpMips: number | null;
  qemuSeconds: number | null;
  /** Every run's figures (one each without --runs). */
  samples: { seconds: number[]; mips: number[]; interpMips: number[]; qemuSeconds: number[] };
}

class BenchError extends Error {}

const USAGE =
  'usage: npm run bench [-- --json] [-- --only NAME[,NAME...]] [-- --no-qemu] [-- --no-net] [-- --no-interp] [-- --runs N] [-- --timeout S]';

const QEMU = 'qemu-system-arm';
const QEMU_ARGS = [
  '-M',
  'mps2-an386',
  '-nographic',
  '-monitor',
  'none',
  '-serial',
  'none',
  '-semihosting-config',
  'enable=on,target=native',
];

/** The repository root: the nearest folder above this script that holds package.json. */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new BenchError('cannot find the repository root (package.json)');
    dir = up;
  }
  return dir;
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    json: false,
    only: [],
    qemu: true,
    net: true,
    interp: true,
    runs: 1,
    timeoutSeconds: 600,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [key, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split('=', 2) : [arg];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new BenchError(`${key} needs a value\n${USAGE}`);
      return v;
    };
    switch (key) {
      case '--json':
        o.json = true;
        break;
      case '--only':
        o.only.push(
          ...value()
            .split(',')
            .filter((s) => s !== ''),
        );
        break;
      case '--no-qemu':
        o.qemu = false;
        break;
      case '--no-interp':
        o.interp = false;
        break;
      case '--no-net':
        o.net = false;
        break;
      case '--runs': {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 100)
          throw new BenchError(`--runs needs a whole number from 1 to 100, got '${v}'`);
        o.runs = n;
        break;
      }
      case '--timeout': {
        const v = value();
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0)
          throw new BenchError(`--timeout needs seconds, got '${v}'`);
        o.timeoutSeconds = n;
        break;
      }
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
      default:
        throw new BenchError(`unknown option '${arg}'\n${USAGE}`);
    }
  }
  return o;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function run(command: string, args: string[], timeoutSeconds: number): Run {
  const started = process.hrtime.bigint();
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: (timeoutSeconds + 30) * 1000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.error) throw new BenchError(`cannot run ${command}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds };
}

const STATS = /f4emu: stats: instructions=(\d+) cycles=(\d+) seconds=([\d.]+) mips=([\d.]+)/;

function runF4emu(
  root: string,
  name: string,
  elf: string,
  o: Options,
  extra: string[] = [],
): Run & { stats: RegExpExecArray } {
  // The f4emu command itself (bin/f4emu: Node with its thread pool sized to the machine).
  const args = ['run', elf, '--semihosting', '--stats', '--timeout', String(o.timeoutSeconds)];
  args.push(...extra);
  const r = run(path.join(root, 'bin', 'f4emu'), args, o.timeoutSeconds);
  if (r.status !== 0) {
    throw new BenchError(`${name}: f4emu exited with status ${r.status}: ${lastLine(r.stderr)}`);
  }
  const stats = STATS.exec(r.stderr);
  if (!stats) throw new BenchError(`${name}: f4emu printed no stats line on stderr`);
  return { ...r, stats };
}

/** Another run of the same workload must print the same and retire as many instructions. */
function sameRun(
  name: string,
  what: string,
  a: Run & { stats: RegExpExecArray },
  b: typeof a,
): void {
  if (b.stdout !== a.stdout) throw new BenchError(`${name}: ${what}: output differs`);
  if (b.stats[1] !== a.stats[1]) {
    throw new BenchError(`${name}: ${what} ran ${b.stats[1]} instructions, not ${a.stats[1]}`);
  }
}

function qemuAvailable(): boolean {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join('  '),
    )
    .join('\n');
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const root = findRoot();
  const dir = path.join(root, 'firmware', 'prebuilt', 'bench');
  if (!fs.existsSync(dir)) throw new BenchError(`no benchmarks: ${dir} does not exist`);
  const all = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.elf'))
    .map((f) => f.slice(0, -'.elf'.length))
    .sort();
  const unknown = o.only.filter((n) => !all.includes(n));
  if (unknown.length) {
    throw new BenchError(`unknown benchmark '${unknown.join("', '")}' (have: ${all.join(', ')})`);
  }
  const names = o.only.length ? all.filter((n) => o.only.includes(n)) : all;
  if (names.length === 0) throw new BenchError(`no benchmark ELFs in ${dir}`);
  const withQemu = o.qemu && qemuAvailable();
  if (o.qemu && !withQemu) process.stderr.write(`bench: ${QEMU} not on PATH; f4emu only\n`);

  const workloads: Workload[] = [];
  for (const name of names) {
    const elf = path.join(dir, `${name}.elf`);
    const samples: Workload['samples'] = { seconds: [], mips: [], interpMips: [], qemuSeconds: [] };
    let first: ReturnType<typeof runF4emu> | null = null;
    for (let k = 1; k <= o.runs; k++) {
      process.stderr.write(`bench: ${name}${o.runs > 1 ? ` (run ${k} of ${o.runs})` : ''}...\n`);
      const f4 = runF4emu(root, name, elf, o);
      if (first === null) {
        first = f4;
        const expectedFile = path.join(dir, `${name}.expected`);
        if (fs.existsSync(expectedFile) && fs.readFileSync(expectedFile, 'utf8') !== f4.stdout) {
          throw new BenchError(
            `${name}: f4emu output differs from ${path.relative(root, expectedFile)}`,
          );
        }
      } else sameRun(name, 'a second f4emu run', first, f4);
      samples.seconds.push(Number(f4.stats[3]));
      samples.mips.push(Number(f4.stats[4]));
      // The interpreter alone, beside the block translator (the default).
      if (o.interp) {
        const i = runF4emu(root, name, elf, o, ['--no-jit']);
        sameRun(name, '--no-jit', first, i);
        samples.interpMips.push(Number(i.stats[4]));
      }
      if (withQemu) {
        const q = run(QEMU, [...QEMU_ARGS, '-kernel', elf], o.timeoutSeconds);
        if (q.status !== 0) {
          throw new BenchError(
            `${name}: QEMU exited with status ${q.status}: ${lastLine(q.stderr)}`,
          );
        }
        if (q.stdout !== first.stdout) {
          throw new BenchError(`${name}: f4emu and QEMU outputs differ`);
        }
        samples.qemuSeconds.push(Math.round(q.seconds * 1000) / 1000);
      }
    }
    workloads.push({
      name,
      instructions: Number(first!.stats[1]),
      seconds: median(samples.seconds),
      mips: median(samples.mips),
      interpMips: o.interp ? median(samples.interpMips) : null,
      qemuSeconds: withQemu ? median(samples.qemuSeconds) : null,
      samples,
    });
  }

  const medianMips = median(workloads.map((w) => w.mips));
  const spread = o.runs > 1;
  const rows = [['name', 'instructions', 'f4emu s', ...(spread ? ['range'] : [])]];
  rows[0]!.push('MIPS', '--no-jit MIPS', 'qemu s', 'ratio');
  for (const w of workloads) {
    const s = w.samples.seconds;
    rows.push([
      w.name,
      String(w.instructions),
      w.seconds.toFixed(3),
      ...(spread ? [`${Math.min(...s).toFixed(3)}-${Math.max(...s).toFixed(3)}`] : []),
      w.mips.toFixed(1),
      w.interpMips === null ? '-' : w.interpMips.toFixed(1),
      w.qemuSeconds === null ? '-' : w.qemuSeconds.toFixed(3),
      w.qemuSeconds === null ? '-' : `${(w.seconds / w.qemuSeconds).toFixed(1)}x`,
    ]);
  }
  const interp = workloads.flatMap((w) => (w.interpMips === null ? [] : [w.interpMips]));
  const ratios = workloads.flatMap((w) =>
    w.qemuSeconds === null ? [] : [w.seconds / w.qemuSeconds],
  );
  process.stdout.write(
    `${table(rows)}\n\n` +
      (spread ? `(medians of ${o.runs} runs each)\n` : '') +
      `median MIPS: ${medianMips.toFixed(1)}` +
      (interp.length ? ` (--no-jit: ${median(interp).toFixed(1)})` : '') +
      (ratios.length ? `, median f4emu/QEMU time: ${median(ratios).toFixed(1)}x` : '') +
      '\n',
  );
  let network: NetBench | null = null;
  if (o.net && o.only.length === 0) {
    process.stderr.write('bench: the demo web server through --net...\n');
    try {
      network = await benchNetwork(
        path.join(root, 'bin', 'f4emu'),
        path.join(root, 'firmware', 'prebuilt', 'demo.elf'),
      );
    } catch (e) {
      throw new BenchError(`network: ${(e as Error).message}`);
    }
    process.stdout.write(
      `network: ${network.requestsPerSecond.toFixed(0)} requests/s (GET /, 10 connections, ` +
        `${network.client}, ${network.errors} errors), ` +
        `${network.megabytesPerSecond.toFixed(2)} MB/s (a 4 MiB download)\n`,
    );
  }
  if (o.json) {
    const report = path.join(root, 'bench-report.json');
    fs.writeFileSync(report, JSON.stringify({ workloads, medianMips, network }, null, 2) + '\n');
    process.stdout.write(`wrote ${path.relative(process.cwd(), report) || report}\n`);
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    if (!(e instanceof BenchError)) throw e;
    process.stderr.write(`bench: ${e.message}\n`);
    process.exitCode = 1;
  },
);
