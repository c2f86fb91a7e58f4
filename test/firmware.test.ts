/**
 * The project's own prebuilt firmware on f4emu, through the command line as a user runs it:
 *  - firmware/prebuilt/tests/*.elf: Cortex-M4 exception-model tests; each must exit 0 and print
 *    no FAIL line. SKIP lines mark checks where QEMU (the oracle the tests were verified on)
 *    differs from a real STM32F407; f4emu models the STM32F407, so a SKIP here is a failure too.
 *  - firmware/prebuilt/bench/*.elf: CPU benchmarks; each must exit 0 and print exactly what QEMU
 *    printed (firmware/prebuilt/bench/NAME.expected, recorded by `make -C firmware expected`).
 * Rebuild the ELFs with `make -C firmware prebuilt`; `make -C firmware check` runs them on QEMU.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'f4emu.js');
const PREBUILT = path.join(ROOT, 'firmware', 'prebuilt');

/** Budget per exception-model test; they run a few hundred thousand instructions. */
const TEST_MAX_INSTRUCTIONS = 50_000_000;
/** The benchmarks run about 100 million instructions each. */
const BENCH_MAX_INSTRUCTIONS = 1_000_000_000;
const BENCH_TIMEOUT_MS = 600_000;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function elfNames(kind: 'tests' | 'bench' | 'fpu'): string[] {
  const dir = path.join(PREBUILT, kind);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.elf'))
    .map((f) => f.slice(0, -'.elf'.length))
    .sort();
}

function runF4emu(elf: string, maxInstructions: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, 'run', elf, '--semihosting', '--max-instructions', String(maxInstructions)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ); // no console input: none is waited for
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What to show when a run goes wrong: the end of both streams. */
function transcript(r: Result): string {
  const tail = (s: string) => s.trimEnd().split('\n').slice(-15).join('\n');
  return [
    `exit code ${r.code}`,
    '--- stdout (end) ---',
    tail(r.stdout),
    '--- stderr (end) ---',
    tail(r.stderr),
  ].join('\n');
}

const tests = elfNames('tests');
const benches = elfNames('bench');

describe('prebuilt firmware is present', () => {
  it('has exception-model tests and benchmarks', () => {
    expect(tests.length).toBeGreaterThan(0);
    expect(benches.length).toBeGreaterThan(0);
  });
});

/**
 * Firmware that needs a part of the chip f4emu does not emulate yet, with the issue that adds it.
 * These still build and pass under QEMU (`make -C firmware check`).
 */
const WAITING_FOR: Record<string, string> = {};

describe('exception-model tests (firmware/prebuilt/tests)', () => {
  for (const name of tests) {
    const waiting = WAITING_FOR[name];
    (waiting ? it.skip : it)(waiting ? `${name} (needs ${waiting})` : name, async () => {
      const r = await runF4emu(path.join(PREBUILT, 'tests', `${name}.elf`), TEST_MAX_INSTRUCTIONS);
      const bad = r.stdout.split('\n').filter((l) => /^(FAIL|SKIP)\b/.test(l));
      expect(bad, transcript(r)).toEqual([]);
      expect(r.code, transcript(r)).toBe(0);
      expect(r.stdout, transcript(r)).toMatch(/^DONE \d+ passed, 0 failed, 0 skipped$/m);
    });
  }
});

describe('benchmarks and FPU programs print what QEMU printed (prebuilt/bench, prebuilt/fpu)', () => {
  const programs = [
    ...benches.map((name) => ({ kind: 'bench', name })),
    ...elfNames('fpu').map((name) => ({ kind: 'fpu', name })),
  ];
  for (const { kind, name } of programs) {
    it(
      `${kind}/${name}`,
      async () => {
        const expected = fs.readFileSync(path.join(PREBUILT, kind, `${name}.expected`), 'utf8');
        const r = await runF4emu(path.join(PREBUILT, kind, `${name}.elf`), BENCH_MAX_INSTRUCTIONS);
        expect(r.code, transcript(r)).toBe(0);
        expect(r.stdout).toBe(expected);
      },
      BENCH_TIMEOUT_MS,
    );
  }
});
