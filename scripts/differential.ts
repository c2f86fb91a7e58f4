/**
 * npm run differential -- [--count N] [--seed S] [--classes a,b] [--vectors file[,file]]
 *                         [--jobs J] [--include-unicorn-bugs] [--max-report K]
 *                         [--jit off|single|multi] [--seq K]
 *
 * Generates vectors with Unicorn (/usr/bin/python3 scripts/unicorn_vectors.py, Debian's
 * python3-unicorn) unless --vectors names files, replays them on f4emu, prints every mismatch
 * (up to --max-report in full), a per-class table, and last the line
 * `differential: N vectors, M mismatches`. Exit status 1 when M > 0, 2 on a usage or setup error.
 *
 * --jit picks how f4emu runs them (differential-replay.ts, Engine): `off` (default) the
 * interpreter alone; `single` the block translator with single-instruction blocks; `multi` the
 * translator with each vector's code as one block. The translator modes also print how many
 * vectors ran fully, partly (an IT block's body is interpreted) or not at all in translated
 * blocks; a vector that ran in none fails the run (exit status 1) as a mismatch does.
 * --seq K generates sequence vectors instead: K straight-line instructions of the non-branching
 * classes from one random state, run by Unicorn in one go (unicorn_gen/sequence.py); with
 * --jit multi they run as one translated block of K instructions.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describeMismatch, parseVector, Replayer, type Engine } from './differential-replay.js';

const PYTHON = '/usr/bin/python3';
// dist/scripts/differential.js or scripts/differential.ts: the repository root is above either.
const here = dirname(fileURLToPath(import.meta.url));
const ROOT = existsSync(resolve(here, '../package.json'))
  ? resolve(here, '..')
  : resolve(here, '../..');
const GENERATOR = resolve(ROOT, 'scripts/unicorn_vectors.py');

interface Options {
  count: number;
  seed: string;
  classes?: string;
  vectors?: string[];
  jobs?: number;
  includeBugs: boolean;
  maxReport: number;
  engine: Engine;
  seq?: number;
}

const ENGINE_BY_JIT: Record<string, Engine> = {
  off: 'interp',
  single: 'jit-single',
  multi: 'jit-multi',
};

function fail(message: string): never {
  process.stderr.write(`differential: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    count: 1000,
    seed: '1',
    includeBugs: false,
    maxReport: 20,
    engine: 'interp',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${arg} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = value();
      if (!/^\d+$/.test(v)) fail(`${arg} needs a non-negative integer, not "${v}"`);
      return Number(v);
    };
    switch (arg) {
      case '--count':
        o.count = int();
        break;
      case '--seed':
        o.seed = value();
        break;
      case '--classes':
        o.classes = value();
        break;
      case '--vectors':
        o.vectors = value().split(',');
        break;
      case '--jobs':
        o.jobs = int();
        break;
      case '--include-unicorn-bugs':
        o.includeBugs = true;
        break;
      case '--max-report':
        o.maxReport = int();
        break;
      case '--jit': {
        const mode = value();
        const engine = ENGINE_BY_JIT[mode];
        if (engine === undefined) fail(`--jit takes off, single or multi, not "${mode}"`);
        o.engine = engine;
        break;
      }
      case '--seq':
        o.seq = int();
        if (o.seq < 1) fail('--seq needs at least 1 instruction');
        break;
      case '-h':
      case '--help':
        process.stdout.write(
          'usage: npm run differential -- [--count N] [--seed S] [--classes a,b] ' +
            '[--vectors file[,file]] [--jobs J] [--include-unicorn-bugs] [--max-report K] ' +
            '[--jit off|single|multi] [--seq K]\n',
        );
        process.exit(0);
      // falls through (process.exit never returns)
      default:
        fail(`unknown option ${arg} (--help lists the options)`);
    }
  }
  return o;
}

/** The generator's output as a stream of lines, after checking Python and Unicorn are there. */
function generatorLines(o: Options): { lines: Readable; done: Promise<number> } {
  if (!existsSync(PYTHON)) {
    fail(
      `${PYTHON} not found: install Debian's python3 and python3-unicorn (apt-get install python3-unicorn)`,
    );
  }
  const probe = spawnSync(PYTHON, ['-c', 'import unicorn'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    fail(
      `${PYTHON} cannot import unicorn: install Debian's python3-unicorn (apt-get install python3-unicorn)`,
    );
  }
  const args = [GENERATOR, '--count', String(o.count), '--seed', o.seed];
  if (o.classes) args.push('--classes', o.classes);
  if (o.jobs) args.push('--jobs', String(o.jobs));
  if (o.includeBugs) args.push('--include-unicorn-bugs');
  if (o.seq !== undefined) args.push('--seq', String(o.seq));
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<number>((res) => child.on('close', (code) => res(code ?? 1)));
  return { lines: child.stdout, done };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const sources: { name: string; stream: Readable; done: Promise<number> }[] = [];
  if (o.vectors) {
    for (const file of o.vectors) {
      if (!existsSync(file)) fail(`no such vector file: ${file}`);
      sources.push({ name: file, stream: createReadStream(file), done: Promise.resolve(0) });
    }
  } else {
    const g = generatorLines(o);
    sources.push({ name: 'unicorn_vectors.py', stream: g.lines, done: g.done });
  }
  const wanted = o.classes ? new Set(o.classes.split(',').map((c) => c.trim())) : null;

  if (o.seq !== undefined && o.vectors) fail('--seq generates vectors: not with --vectors');
  const replayer = new Replayer(o.engine);
  const t0 = Date.now();
  const perClass = new Map<string, { vectors: number; mismatches: number }>();
  let total = 0;
  let mismatches = 0;
  for (const src of sources) {
    let lineNo = 0;
    for await (const line of createInterface({ input: src.stream, crlfDelay: Infinity })) {
      lineNo++;
      if (!line.trim()) continue;
      let v;
      try {
        v = parseVector(line);
      } catch (e) {
        fail(`${src.name}:${lineNo}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (wanted && !wanted.has(v.cls)) continue;
      const row = perClass.get(v.cls) ?? { vectors: 0, mismatches: 0 };
      perClass.set(v.cls, row);
      row.vectors++;
      total++;
      const problems = replayer.replay(v);
      if (problems.length) {
        row.mismatches++;
        if (mismatches++ < o.maxReport) {
          process.stdout.write(describeMismatch({ vector: v, line: lineNo, problems }) + '\n');
        }
      }
    }
    const status = await src.done;
    if (status !== 0) fail(`the vector generator failed (exit status ${status})`);
  }

  if (mismatches > o.maxReport) {
    process.stdout.write(
      `(${mismatches - o.maxReport} more mismatches not shown; --max-report K)\n`,
    );
  }
  const width = Math.max(5, ...[...perClass.keys()].map((c) => c.length));
  process.stdout.write(`${'class'.padEnd(width)}  vectors  mismatches\n`);
  for (const [cls, row] of [...perClass].sort(([a], [b]) => a.localeCompare(b))) {
    process.stdout.write(
      `${cls.padEnd(width)}  ${String(row.vectors).padStart(7)}  ${String(row.mismatches).padStart(10)}\n`,
    );
  }
  if (o.engine !== 'interp') {
    const t = replayer.translation;
    process.stdout.write(
      `translated (${o.engine}): ${t.full} vectors fully, ${t.partial} partly, ${t.none} not at all` +
        (replayer.untranslated.size
          ? ' — not fully, by class: ' +
            [...replayer.untranslated]
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([c, n]) => `${c} ${n}`)
              .join(', ')
          : '') +
        '\n',
    );
  }
  process.stdout.write(`engine ${o.engine}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`differential: ${total} vectors, ${mismatches} mismatches\n`);
  const untranslated = o.engine === 'interp' ? 0 : replayer.translation.none;
  process.exitCode = mismatches > 0 || untranslated > 0 ? 1 : 0;
}

main().catch((e: unknown) => fail(e instanceof Error ? (e.stack ?? e.message) : String(e)));
