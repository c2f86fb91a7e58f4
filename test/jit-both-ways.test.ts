/**
 * The block translator against the interpreter on every prebuilt firmware: each program runs
 * twice or three times in process — interpreter only (`jit: false`), and with the JIT under a
 * randomly chosen hotness threshold (1..20 entries) and block length (1..64 instructions), and
 * with every block translated at its first entry — and everything the outside can see must be
 * identical: semihosting output, every USART's transmitted bytes, ITM output, LED changes (with
 * their cycle), the stop reason and exit code, cpu.instructions, clock.cycles, the registers and
 * xPSR, SRAM and CCM at the end.
 *
 * Reproduce a failure with the seed in the test's name: F4EMU_JIT_SEED=<seed> npx vitest run
 * test/jit-both-ways.test.ts. Each program's configuration comes from the seed and its name, so
 * running one test alone (-t) picks the same configuration.
 *
 * Budgets: the exception-model, peripheral, FPU and diag programs run to their exit (well under
 * a second each); the benchmarks (about 100 million instructions, seconds each) and the programs
 * that never exit (demo, console-echo) run a fixed instruction budget, the same in every run
 * (Machine.run(maxInstructions) stops at an exact instruction).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { JitOptions } from '../src/core/jit/jit.js';
import { parseImage } from '../src/loader/image.js';
import { boot } from '../src/machine/firmware.js';
import { Machine } from '../src/machine/machine.js';
import { ConsoleOnlyHost } from '../src/machine/semihosting.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PREBUILT = path.join(ROOT, 'firmware', 'prebuilt');

const SEED = process.env.F4EMU_JIT_SEED ? Number(process.env.F4EMU_JIT_SEED) >>> 0 : 0x5eed2026;

/** Enough for every program under tests/, periph/, fpu/ and diag/ to reach its exit. */
const RUN_TO_EXIT = 50_000_000;
/** The benchmarks run ~100 M instructions (seconds each): a prefix of each is compared. */
const BENCH_INSTRUCTIONS = 3_000_000;
/** Below this, a program may legitimately finish before any block got hot. */
const MUST_TRANSLATE_ABOVE = 5_000;

/** mulberry32: a small PRNG, so that a seed names one run exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a name: mixes the program into the seed, independent of test order. */
function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function randomConfig(name: string): Required<Pick<JitOptions, 'hotEntries' | 'maxBlockInsns'>> {
  const rand = prng((SEED ^ nameHash(name)) >>> 0);
  return {
    hotEntries: 1 + Math.floor(rand() * 20),
    maxBlockInsns: 1 + Math.floor(rand() * 64),
  };
}

/** How one program is run: its budget and what the host does around it (the same each time). */
interface Program {
  file: string;
  drive: (m: Machine) => void;
  /** A prefix of a run that prints only at its end (the benchmarks): registers and memory. */
  silent?: boolean;
}

function runToExit(file: string): Program {
  return { file, drive: (m) => void m.run(RUN_TO_EXIT) };
}

function runFor(file: string, instructions: number): Program {
  return { file, drive: (m) => void m.run(instructions), silent: true };
}

function elfs(kind: string): string[] {
  const dir = path.join(PREBUILT, kind);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.elf'))
    .sort()
    .map((f) => `${kind}/${f}`);
}

const programs: Program[] = [
  ...['tests', 'periph', 'fpu', 'diag'].flatMap((kind) => elfs(kind).map(runToExit)),
  // The benchmarks take ~4 s each interpreted to their end; their first 3 M instructions
  // (start-up, libc, the hot loops) are compared.
  ...elfs('bench').map((file) => runFor(file, BENCH_INSTRUCTIONS)),
  // Runs to its semihosting exit (status 7) after a few hundred instructions.
  runToExit('gdbtest.elf'),
  // The board demo never exits: 1.5 M instructions (its banner, PLL at 168 MHz, LEDs turning
  // over several seconds of virtual time), a press of B1 (EXTI0), then 1.5 M more.
  {
    file: 'demo.elf',
    drive: (m) => {
      m.run(1_500_000);
      m.board.click();
      m.run(1_500_000);
    },
  },
  // The USART2 echo program waits for input forever: two lines typed from the start (they
  // arrive at the baud rate on the virtual clock), the second while the first is echoed.
  {
    file: 'console-echo.elf',
    drive: (m) => {
      m.soc.usarts[1]!.send(new TextEncoder().encode('hello world\r'));
      m.run(150_000);
      m.soc.usarts[1]!.send(new TextEncoder().encode('jit both ways\r'));
      m.run(250_000);
    },
  },
];

interface Outcome {
  /** Everything that must match byte for byte, as text (a mismatch shows where). */
  observed: Record<string, string | number | null>;
  sram: Uint8Array;
  ccm: Uint8Array;
  machine: Machine;
}

const hex = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

function runProgram(program: Program, jit: false | JitOptions): Outcome {
  const m = new Machine({ warn: () => {}, jit });
  const out: string[] = [];
  const host = new ConsoleOnlyHost((fd, data) =>
    out.push(`fd${fd}:` + Buffer.from(data).toString('latin1')),
  );
  const image = parseImage(fs.readFileSync(path.join(PREBUILT, program.file)), program.file);
  const booted = boot(m, image, { semihosting: host });
  const tx: number[][] = m.soc.usarts.map(() => []);
  m.soc.usarts.forEach((u, i) => (u.onTx = (b) => tx[i]!.push(b)));
  const itm: string[] = [];
  m.itm.onOutput = (port, data, size) => itm.push(`${port}:${size}:${data}`);
  const leds: string[] = [];
  m.board.onLedChange((led) => leds.push(`${m.clock.cycles}:${led.name}=${led.on ? 1 : 0}`));
  const reasons: string[] = [];
  const run = m.run.bind(m);
  m.run = (...args: Parameters<Machine['run']>) => {
    const reason = run(...args);
    reasons.push(reason);
    return reason;
  };
  program.drive(m);
  const cpu = m.cpu;
  const fp: string[] = [];
  for (let i = 0; i < 32; i++) fp.push(hex(cpu.s[i]!));
  return {
    observed: {
      output: out.join(''),
      usarts: tx
        .map((bytes, i) => `USART${i + 1}: ${Buffer.from(bytes).toString('hex')}`)
        .join('\n'),
      itm: itm.join(' '),
      leds: leds.join(' '),
      stopReasons: reasons.join(' '),
      exit: JSON.stringify(booted.semihosting?.exitStatus ?? null),
      instructions: cpu.instructions,
      cycles: m.clock.cycles,
      pc: hex(cpu.pc),
      // R0-R14 (R15 is the core's scratch for the pseudocode's PC: it holds the address + 4 of
      // whichever instruction last read it; the PC itself is `pc`).
      regs: Array.from(cpu.r.subarray(0, 15), hex).join(' '),
      xpsr: hex(cpu.xpsr),
      special: [cpu.primask, cpu.faultmask, cpu.basepri, cpu.control, hex(cpu.otherSp)].join(' '),
      fp: fp.join(' ') + ' fpscr ' + hex(cpu.fpscr),
      sleeping: String(cpu.sleeping),
    },
    sram: m.sram.bytes,
    ccm: m.ccm.bytes,
    machine: m,
  };
}

/** The first differing byte of two memories, or null. */
function firstDifference(a: Uint8Array, b: Uint8Array, base: number): string | null {
  if (a.length !== b.length) return `sizes ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return `${hex(base + i)}: interpreter ${a[i]}, jit ${b[i]}`;
  }
  return null;
}

function expectSame(ref: Outcome, got: Outcome, what: string): void {
  expect(got.observed, what).toEqual(ref.observed);
  expect(firstDifference(ref.sram, got.sram, 0x20000000), `${what}: SRAM`).toBeNull();
  expect(firstDifference(ref.ccm, got.ccm, 0x10000000), `${what}: CCM`).toBeNull();
}

describe(`JIT and interpreter agree on every prebuilt firmware (F4EMU_JIT_SEED=${SEED})`, () => {
  it('finds the prebuilt firmware', () => {
    const kinds = new Set(programs.map((p) => p.file.split('/')[0]));
    for (const kind of ['tests', 'periph', 'fpu', 'diag', 'bench']) expect(kinds).toContain(kind);
    expect(programs.length).toBeGreaterThan(50);
  });

  for (const program of programs) {
    const config = randomConfig(program.file);
    const label = `hotEntries ${config.hotEntries}, maxBlockInsns ${config.maxBlockInsns}`;
    it(`${program.file} (seed ${SEED}: ${label})`, () => {
      const ref = runProgram(program, false);
      expect(ref.machine.cpu.jit).toBeNull();
      // Something to compare: console output, a USART's bytes or an exit status.
      const said = ref.observed.output !== '' || /: [0-9a-f]/.test(String(ref.observed.usarts));
      if (!program.silent) {
        expect(said || ref.observed.exit !== 'null', `${program.file} shows nothing`).toBe(true);
      }
      for (const options of [config, { hotEntries: 1, maxBlockInsns: 64 }]) {
        const what = `${program.file} with ${JSON.stringify(options)} (F4EMU_JIT_SEED=${SEED})`;
        const got = runProgram(program, options);
        expectSame(ref, got, what);
        const stats = got.machine.cpu.jit!.stats;
        if (ref.machine.cpu.instructions > MUST_TRANSLATE_ABOVE) {
          expect(stats.translated, `${what}: blocks translated`).toBeGreaterThan(0);
          expect(stats.translatedInstructions, `${what}: instructions in blocks`).toBeGreaterThan(
            0,
          );
        }
      }
    });
  }
});
