/**
 * A block: the straight-line run of decoded instructions that starts at one address, as the
 * block translator sees it. Until it is hot a block is only counted (and interpreted); then it
 * holds a generated function. Blocks never cross a 64 KB page (the MPU's fetch view and the
 * decode cache are paged), never contain a debugger breakpoint or a code hook except as their
 * first and only instruction, and end after an instruction that always leaves the straight line.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';

/**
 * A translated block: runs the block's instructions from `cpu.pc` (its start) and returns with
 * `cpu.pc` at the next instruction to execute, the core's counters up to date. It stops after
 * the first instruction that leaves the straight line, raises `cpu.attention`, or brings the
 * clock to `cycleLimit` — exactly where the interpreter's loop would look again.
 */
export type BlockFn = (cpu: Cpu, limits: BatchLimits) => void;

/**
 * The batch's limits, in an object the run loop keeps (passing the doubles themselves to
 * every block would box them on each call).
 */
export interface BatchLimits {
  cycles: number;
  instructions: number;
}

export class Block {
  /** Interpreted entries into the block so far (the hotness count). */
  count = 0;
  /** The core's instruction count when the block was found (its entry rate's start). */
  born = 0;
  /** The generated function, once the block is hot (null before, or when untranslatable). */
  fn: BlockFn | null = null;
  /** False once dropped from the cache (a write to its code, a breakpoint, a hook): never run. */
  valid = true;
  /** The block last seen to follow this one, and where it starts (a direct link). */
  next: Block | null = null;
  nextPc = -1;
  /** Characters of generated source (the cache's size measure). */
  size = 0;
  /**
   * Static cycles of the register-only instructions at its start: the block may run only when
   * the clock plus these is below the batch's cycle limit (then no instruction boundary they
   * cross reaches it; later boundaries are checked inside).
   */
  entryCycles = 0;
  /** Instructions whose semantics were inlined (the rest are called). */
  inlined = 0;
  /**
   * The most instructions one interpreted entry ran before control left the block (or the
   * batch ended): a block is translated only that far (Jit.translate), since code past where
   * control always left costs translating and compiling and never runs.
   */
  reached = 0;
  /** Instructions the generated function covers, from the start (at most n: see reached). */
  span = 0;
  /** Number of instructions. */
  readonly n: number;
  /**
   * Indices of the instructions before the last after which control may leave the straight
   * line (conditional branches, PC writes): interpreting the block stops there when it did
   * (see Jit.interpretBlock), so the next block starts where the code went, not n instructions
   * on in whatever code that was.
   */
  stops: readonly number[] = [];

  constructor(
    /** Address of the first instruction. */
    readonly start: number,
    /** The decoded instructions, in order (the decode cache's own objects). */
    readonly insns: readonly Insn[],
    /** ITSTATE before each instruction, known at translation (0 outside IT blocks). */
    readonly itBefore: readonly number[],
    /** False for a lone hooked instruction or breakpoint: always interpreted. */
    readonly translatable: boolean,
    /**
     * Where each instruction is expected to continue: the next one, or a direct branch's
     * target (the block follows it). Elsewhere the block ends after the instruction.
     */
    readonly follow: readonly number[],
  ) {
    this.n = insns.length;
  }

  /** True when an instruction of the block lies in [from, to). */
  overlaps(from: number, to: number): boolean {
    for (const i of this.insns) if (i.addr < to && from < i.addr + i.size) return true;
    return false;
  }

  get length(): number {
    return this.insns.length;
  }

  /** The block's first `n` instructions as a block of their own (to translate only them). */
  prefix(n: number): Block {
    if (n >= this.n) return this;
    const b = new Block(
      this.start,
      this.insns.slice(0, n),
      this.itBefore.slice(0, n),
      this.translatable,
      this.follow.slice(0, n),
    );
    b.stops = this.stops.filter((k) => k < n - 1);
    return b;
  }

  /** Index of the instruction at `pc` (a fault inside the block), or -1. */
  indexOf(pc: number): number {
    for (let k = 0; k < this.insns.length; k++) if (this.insns[k]!.addr === pc) return k;
    return -1;
  }
}

/** The target of a PC-relative branch (B, BL, CBZ/CBNZ): the instruction's PC (+4) plus imm. */
export function branchTarget(insn: Insn): number {
  return ((insn.addr + 4 + insn.imm) & ~1) >>> 0;
}

/** True when `insn` is a direct branch that is no call (B, B<c>, CBZ, CBNZ) to `addr`. */
export function branchesTo(insn: Insn, addr: number): boolean {
  const name = insn.encoding.name;
  if (!/^(B|CBN?Z)\b/.test(name) || /^(BL|BX|BLX)\b/.test(name)) return false;
  return branchTarget(insn) === addr;
}
