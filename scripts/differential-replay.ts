/**
 * Replays Unicorn differential vectors (scripts/unicorn_vectors.py, format in
 * docs/differential.md) on f4emu and compares registers, APSR and the data window.
 * Shared by scripts/differential.ts (the oracle run) and test/differential.test.ts and
 * test/differential-jit.test.ts (the committed sample, by the interpreter and by the block
 * translator). Sequence vectors (class 'seq', scripts/unicorn_gen/sequence.py) are ordinary
 * vectors with `steps` K.
 */
import { reg } from '../src/core/insn.js';
import { createHash } from 'node:crypto';
import { describeCfsr, describeHfsr, exceptionName } from '../src/core/faults.js';
import { Jit, MAX_BLOCK_INSNS, type JitOptions } from '../src/core/jit/jit.js';
import { Machine } from '../src/machine/machine.js';

export const WINDOW_BASE = 0x20001000;
export const WINDOW_SIZE = 0x1000;
const APSR_MASK = 0xf80f0000;
const CPACR = 0xe000ed88;
const R15_POISON = 0x0badc0de;

export interface VectorState {
  r: number[];
  apsr: number;
  /** Pre-state window: SHAKE128 of these 8 bytes (hex), 4096 bytes long... */
  memSeed?: string;
  /** ...or the whole window as hex (hand-written vectors). */
  mem?: string | [number, string][];
  /** FP classes: S0-S31 as raw single-precision bits, and FPSCR. */
  s?: number[];
  fpscr?: number;
}

export interface Vector {
  cls: string;
  asm?: string;
  code: string;
  /** Instructions to step: 1, or 1 + the block length for an IT vector. */
  steps?: number;
  pre: VectorState;
  /** post.mem: the changed bytes of the window as [offset, hex] runs. */
  post: VectorState & { mem: [number, string][] };
}

export interface Mismatch {
  vector: Vector;
  /** 1-based line of the vector in its input. */
  line: number;
  problems: string[];
}

const hex32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

function fromHex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

export function preWindow(pre: VectorState): Uint8Array {
  if (pre.memSeed !== undefined) {
    const digest = createHash('shake128', { outputLength: WINDOW_SIZE })
      .update(Buffer.from(pre.memSeed, 'hex'))
      .digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, WINDOW_SIZE);
  }
  if (typeof pre.mem === 'string') {
    const bytes = fromHex(pre.mem);
    if (bytes.length !== WINDOW_SIZE) throw new Error('pre.mem must be the whole 4 KB window');
    return bytes;
  }
  throw new Error('vector has neither pre.memSeed nor pre.mem');
}

function expectedWindow(pre: Uint8Array, runs: [number, string][]): Uint8Array {
  const out = new Uint8Array(pre);
  for (const [offset, bytes] of runs) out.set(fromHex(bytes), offset);
  return out;
}

function flags(apsr: number): string {
  const nzcvq = ['N', 'Z', 'C', 'V', 'Q']
    .map((f, i) => ((apsr >>> (31 - i)) & 1 ? f : '-'))
    .join('');
  return `${nzcvq} GE=${((apsr >>> 16) & 0xf).toString(2).padStart(4, '0')}`;
}

/**
 * How the replayer runs a vector's instructions:
 * - `interp`: the reference interpreter alone (a Machine without the block translator),
 *   stepping `steps` times;
 * - `jit-single`: the block translator with single-instruction blocks, stepping `steps` times;
 * - `jit-multi`: the block translator with blocks as long as the vector's code (a breakpoint
 *   just past the code ends the block there), the `steps` instructions as one batch.
 * In the translator modes every block is translated at its first entry (hotEntries 1); that
 * entry still runs interpreted, so each vector runs twice: a priming run that translates its
 * blocks, then, from the same state, the run that is compared (through the translated blocks).
 */
export type Engine = 'interp' | 'jit-single' | 'jit-multi';

/** What the translator modes counted: how many vectors ran fully translated, and per class. */
export interface TranslationCounts {
  /** Vectors whose every instruction ran in a translated block. */
  full: number;
  /** Vectors of which only some instructions did (an IT block's body runs interpreted). */
  partial: number;
  /** Vectors of which none did (a fault, a block that could not be formed...). */
  none: number;
}

/** Retranslations at one address before the Jit stops translating it (jit.ts: 8), with margin. */
const RETRANSLATION_BUDGET = 6;

/** Replays vectors on one machine (reset before each). */
export class Replayer {
  readonly machine: Machine;
  /** Instructions of the last replayed vector that ran translated, and that it ran in all. */
  lastTranslated = 0;
  lastInstructions = 0;
  /** Entries into translated blocks in the last vector's compared run. */
  lastBlockEntries = 0;
  readonly translation: TranslationCounts = { full: 0, partial: 0, none: 0 };
  /** Per class: vectors not fully translated (translator modes). */
  readonly untranslated = new Map<string, number>();
  /** Translations per code address in the current Jit (see freshJitIfNeeded). */
  private readonly translationsAt = new Map<number, number>();

  constructor(readonly engine: Engine = 'interp') {
    this.machine = new Machine({
      warn: () => {},
      jit: engine === 'interp' ? false : this.jitOptions(),
    });
  }

  private jitOptions(): JitOptions {
    return { hotEntries: 1, maxBlockInsns: this.engine === 'jit-single' ? 1 : MAX_BLOCK_INSNS };
  }

  /**
   * Every vector rewrites its code, dropping the blocks translated there; the Jit stops
   * translating an address whose blocks were dropped 8 times (self-modifying code). A new Jit
   * (costly: ~10 ms) before any address of this vector's code could reach that.
   */
  private freshJitIfNeeded(pc: number, length: number): void {
    const seen = this.translationsAt;
    let fresh = false;
    for (let a = pc; a < pc + length; a += 2) {
      if ((seen.get(a) ?? 0) >= RETRANSLATION_BUDGET) fresh = true;
    }
    if (fresh) {
      this.machine.cpu.jit = new Jit(this.jitOptions());
      seen.clear();
    }
    for (let a = pc; a < pc + length; a += 2) seen.set(a, (seen.get(a) ?? 0) + 1);
  }

  /** Reset, code, window, registers, FP state: the vector's pre-state. */
  private load(v: Vector, code: Uint8Array | null, before: Uint8Array): void {
    const m = this.machine;
    m.reset();
    const pc = v.pre.r[15]! >>> 0;
    // Code through the bus: stores invalidate the decode cache of the previous vector's code.
    if (code !== null) for (let i = 0; i < code.length; i++) m.bus.write8(pc + i, code[i]!);
    this.loadState(v, before);
  }

  /** The pre-state without a reset (after a clean priming run nothing else changed). */
  private loadState(v: Vector, before: Uint8Array): void {
    const m = this.machine;
    const cpu = m.cpu;
    m.sram.bytes.set(before, WINDOW_BASE - m.sram.base);
    for (let i = 0; i < 15; i++) cpu.r[i] = v.pre.r[i]!;
    cpu.setPc(v.pre.r[15]! >>> 0);
    // r[15] (the PC an instruction reads) is set before each instruction; between them it
    // means nothing. Poisoned, so that code reading it unset shows (after a priming run it
    // would still hold the right value for the vector's first instruction).
    cpu.r[15] = R15_POISON;
    cpu.xpsr = ((v.pre.apsr & APSR_MASK) | (1 << 24)) >>> 0;
    cpu.exclusiveAddr = -1;
    cpu.eventRegister = false;
    if (v.pre.s !== undefined) {
      m.bus.write32(CPACR, 0x00f00000); // CP10/CP11 full access
      // An FP context is active (CONTROL.FPCA), as in the oracle: no new-context FPSCR reset.
      cpu.control |= 4;
      for (let i = 0; i < 32; i++) cpu.s[i] = v.pre.s[i]!;
      cpu.fpscr = v.pre.fpscr! >>> 0;
    }
  }

  /** Runs the vector's instructions; a problem when the core took an exception or stopped. */
  private run(v: Vector, problems: string[]): void {
    const m = this.machine;
    const cpu = m.cpu;
    const steps = v.steps ?? 1;
    try {
      if (this.engine === 'jit-multi') {
        // One batch, as the run loop does it: the block runs unless something raises attention.
        const target = cpu.instructions + steps;
        while (cpu.instructions < target) {
          if (cpu.attention !== 0 && cpu.stopReason === null) cpu.exc.serviceAttention();
          cpu.executeBatch(target, Infinity);
          if (cpu.attention !== 0 && cpu.stopReason === null) cpu.exc.serviceAttention();
          if (cpu.ipsr !== 0) {
            problems.push(`exception taken in a batch of ${steps}${faultInfo(m)}`);
            return;
          }
          if (cpu.stopReason !== null) {
            problems.push(`core stopped: ${JSON.stringify(cpu.stopReason)}`);
            return;
          }
        }
        return;
      }
      for (let i = 0; i < steps; i++) {
        cpu.step();
        if (cpu.ipsr !== 0) {
          problems.push(`exception taken at step ${i + 1} of ${steps}${faultInfo(m)}`);
          return;
        }
        if (cpu.stopReason !== null) {
          problems.push(`core stopped: ${JSON.stringify(cpu.stopReason)}`);
          return;
        }
      }
    } catch (e) {
      problems.push(`step threw: ${e instanceof Error ? e.message : JSON.stringify(e)}`);
    }
  }

  /** Returns the problems found (empty: f4emu agrees with Unicorn). */
  replay(v: Vector): string[] {
    const m = this.machine;
    const cpu = m.cpu;
    const pc = v.pre.r[15]! >>> 0;
    const code = fromHex(v.code);
    const before = preWindow(v.pre);
    const problems: string[] = [];
    const jit = cpu.jit;
    const steps = v.steps ?? 1;
    this.lastTranslated = 0;
    this.lastBlockEntries = 0;
    if (jit === null) {
      this.load(v, code, before);
      this.run(v, problems);
      this.lastInstructions = steps;
      if (problems.length) return problems;
    } else {
      this.freshJitIfNeeded(pc, code.length);
      // jit-multi: the block ends with the vector's code (a breakpoint is never inside one).
      const end = (pc + code.length) >>> 0;
      if (this.engine === 'jit-multi') cpu.addBreakpoint(end);
      try {
        // Priming: the first entry translates each block (and runs it interpreted).
        this.load(v, code, before);
        const i0 = cpu.instructions;
        const c0 = m.clock.cycles;
        const primed: string[] = [];
        this.run(v, primed);
        const interpInstructions = cpu.instructions - i0;
        const interpCycles = m.clock.cycles - c0;
        if (primed.length || cpu.ipsr !== 0) this.load(v, null, before);
        else this.loadState(v, before);
        const i1 = cpu.instructions;
        const c1 = m.clock.cycles;
        const stats = cpu.jit!.stats;
        const t1 = stats.translatedInstructions;
        const h1 = stats.hits;
        this.run(v, problems);
        this.lastTranslated = stats.translatedInstructions - t1;
        this.lastBlockEntries = stats.hits - h1;
        this.lastInstructions = cpu.instructions - i1;
        if (this.lastTranslated === 0) this.translation.none++;
        else if (this.lastTranslated < this.lastInstructions) this.translation.partial++;
        else this.translation.full++;
        if (this.lastTranslated < this.lastInstructions || this.lastTranslated === 0) {
          this.untranslated.set(v.cls, (this.untranslated.get(v.cls) ?? 0) + 1);
        }
        if (problems.length) return problems;
        // The translator's own bookkeeping against the interpreter's (Unicorn has no cycles).
        if (this.lastInstructions !== interpInstructions || m.clock.cycles - c1 !== interpCycles) {
          problems.push(
            `translated run retired ${this.lastInstructions} instructions in ${m.clock.cycles - c1}` +
              ` cycles, the interpreted one ${interpInstructions} in ${interpCycles}`,
          );
        }
      } finally {
        if (this.engine === 'jit-multi') cpu.removeBreakpoint(end);
      }
    }

    const post = v.post;
    for (let i = 0; i < 15; i++) {
      const want = post.r[i]! >>> 0;
      const got = cpu.r[i]! >>> 0;
      if (want !== got) problems.push(`${reg(i)}: expected ${hex32(want)}, got ${hex32(got)}`);
    }
    if (cpu.pc >>> 0 !== post.r[15]! >>> 0) {
      problems.push(`pc: expected ${hex32(post.r[15]!)}, got ${hex32(cpu.pc)}`);
    }
    const apsr = (cpu.xpsr & APSR_MASK) >>> 0;
    if (apsr !== (post.apsr & APSR_MASK) >>> 0) {
      problems.push(`apsr: expected ${flags(post.apsr)}, got ${flags(apsr)}`);
    }
    if (post.s !== undefined) {
      for (let i = 0; i < 32; i++) {
        const want = post.s[i]! >>> 0;
        const got = cpu.s[i]! >>> 0;
        if (want !== got) problems.push(`s${i}: expected ${hex32(want)}, got ${hex32(got)}`);
      }
      const want = post.fpscr! >>> 0;
      if (cpu.fpscr >>> 0 !== want) {
        problems.push(`fpscr: expected ${hex32(want)}, got ${hex32(cpu.fpscr)}`);
      }
    }
    if (cpu.t !== 1) problems.push('EPSR.T cleared (Unicorn stayed in Thumb state)');
    if (cpu.it !== 0) problems.push(`ITSTATE ${cpu.it.toString(2)} left over (Unicorn: none)`);

    const want = expectedWindow(before, post.mem);
    const got = m.sram.bytes.subarray(
      WINDOW_BASE - m.sram.base,
      WINDOW_BASE - m.sram.base + WINDOW_SIZE,
    );
    let reported = 0;
    for (let i = 0; i < WINDOW_SIZE; i++) {
      if (want[i] !== got[i]) {
        if (reported++ < 8) {
          problems.push(
            `mem ${hex32(WINDOW_BASE + i)}: expected ${hex8(want[i]!)}, got ${hex8(got[i]!)}`,
          );
        }
      }
    }
    if (reported > 8) problems.push(`... ${reported - 8} more differing bytes`);
    return problems;
  }
}

const hex8 = (v: number): string => '0x' + v.toString(16).padStart(2, '0');

function faultInfo(m: Machine): string {
  const why = [...describeCfsr(m.scb.cfsr), ...describeHfsr(m.scb.hfsr)];
  return ` (${exceptionName(m.cpu.ipsr)}${why.length ? ': ' + why.join(', ') : ''})`;
}

/** A mismatch as text: the vector, its pre-state and what differed. */
export function describeMismatch(mm: Mismatch): string {
  const v = mm.vector;
  const regs = v.pre.r.map((x, i) => `${reg(i)}=${hex32(x)}`);
  const lines = [
    `MISMATCH [${v.cls}] line ${mm.line}: ${v.asm || '(no asm)'}  code ${v.code}` +
      (v.steps && v.steps > 1 ? `  steps ${v.steps}` : ''),
    `  pre: ${regs.slice(0, 8).join(' ')}`,
    `       ${regs.slice(8).join(' ')}`,
    `       apsr ${flags(v.pre.apsr)}` + (v.pre.memSeed ? `  memSeed ${v.pre.memSeed}` : ''),
    ...(v.pre.s !== undefined
      ? [`  fpscr ${hex32(v.pre.fpscr!)}  ` + v.pre.s.map((x, i) => `s${i}=${hex32(x)}`).join(' ')]
      : []),
    ...mm.problems.map((p) => `  ${p}`),
  ];
  return lines.join('\n');
}

export function parseVector(line: string): Vector {
  const v = JSON.parse(line) as Vector;
  if (typeof v.cls !== 'string' || typeof v.code !== 'string' || !Array.isArray(v.pre?.r)) {
    throw new Error('not a differential vector');
  }
  return v;
}
