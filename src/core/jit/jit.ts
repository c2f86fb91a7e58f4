/**
 * The block translator's run loop. It runs in place of the interpreter's batch loop
 * (Cpu.executeBatch) and uses the interpreter for everything it does not translate: cold code,
 * code inside an IT block it did not enter at its start, a lone breakpoint or hooked instruction,
 * a page the MPU view checks fetch by fetch, the last few instructions before an instruction
 * budget (single-step, --trace). The interpreter stays the reference: a block must leave the
 * core exactly as interpreting its instructions would (see codegen.ts), and the both-ways tests
 * compare the two on every test firmware.
 *
 * Blocks are found by address in a paged cache (one slot per halfword, as the decode cache), are
 * translated once entered HOT_ENTRIES times, link to the block that last followed them, and are
 * dropped when anything writes their code (Jit.invalidate) or a breakpoint or hook is set in
 * them. Translated source is capped (maxSourceChars): past the cap the whole cache is flushed,
 * and an address whose blocks keep being invalidated (self-modifying code) stops being translated.
 */
import * as branch from '../execute/branch.js';
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Block, branchesTo, branchTarget, type BatchLimits } from './block.js';
import { compileBlock, itAdvance } from './codegen.js';

/**
 * Interpreted entries before a block is translated. Translating one costs a few milliseconds
 * (generating its code, then the engine compiling and optimising it), as much as interpreting it
 * some thousands of times: blocks entered less often do not repay it. NuttX's ostest took 20.6 s
 * at 100, 17.3 s at 1000, 15.9 s at 3000 and 14.3 s at 10000; the bench median went from 85 to
 * about 107 MIPS (3000-10000 alike).
 */
export const HOT_ENTRIES = 10000;
/**
 * A block entered often in a short time is translated before the threshold: from a quarter of it
 * rounded down to a power of two (2048 for HOT_ENTRIES) on, as soon as it has been entered at
 * least once every EARLY_SPACING instructions on average since it was found (and the run is past
 * START_UP_INSTRUCTIONS). Most of what is interpreted before translation is the first
 * HOT_ENTRIES entries of the blocks that become hot anyway (qsort: 6.1 M of 8.8 M
 * interpreted instructions, sha256 5.0 of 6.6 M), and those are the blocks entered that often.
 * Measured (alternating pairs): qsort, intmix, sha256, fmatmul, memops and fir 2-10% faster;
 * NuttX's ostest translates 186 blocks instead of 142 and interprets 0.5% of its instructions
 * instead of 0.9%, about even.
 */
export const EARLY_SPACING = 1600;
/**
 * No block is translated early while the core has retired fewer instructions than this: start-up
 * code (the C runtime copying .data and zeroing .bss, board initialisation) runs dense loops
 * that end soon after the early count, and the first translations of a run cost the most (the
 * translator's own code is not yet optimised by the engine: 20-110 ms each in the bench
 * programs, against a few later). Blocks found then are translated at the threshold, or early
 * once the run is past this. Measured (alternating pairs): fir and matmul 4-17% faster, the
 * other bench programs within the noise.
 */
export const START_UP_INSTRUCTIONS = 200_000;
/**
 * Entries after which a block's start counts as a place control comes to from elsewhere, where
 * blocks translated later stop (Jit.translatedLength): a block found once, where a batch
 * happened to end, is no reason to cut a hot block in two.
 */
export const SHARED_START_ENTRIES = 16;
/** The longest block, in instructions. */
export const MAX_BLOCK_INSNS = 64;
/**
 * Invalidations of blocks at one address after which its block no longer follows branches;
 * twice as many, and it is only interpreted.
 */
const MAX_RETRANSLATIONS = 8;

export interface JitStats {
  /** Blocks translated since the start (including ones dropped since). */
  translated: number;
  /** Blocks in the cache now, translated or still counted. */
  cachedBlocks: number;
  /** Characters of generated source in the cache now. */
  cacheChars: number;
  /** Instructions retired in translated blocks, and those left to the interpreter. */
  translatedInstructions: number;
  interpretedInstructions: number;
  /** Block entries that found a translated block, and all block entries. */
  hits: number;
  entries: number;
  /** Blocks dropped by writes to their code, breakpoints or hooks; whole-cache flushes. */
  invalidated: number;
  flushes: number;
  /** Host milliseconds spent generating and compiling blocks. */
  translateMs: number;
  /** Instructions in translated blocks, and how many of them have their semantics inlined. */
  blockInstructions: number;
  inlined: number;
  /** Blocks whose inlined code did not compile (they call their semantics instead). */
  inlineFailures: number;
  /** Instructions in translated blocks whose code was made as their twin's (shared.ts). */
  shared: number;
  /** Why translation is off (code generation refused), or null. */
  disabled: string | null;
  /** Instructions of wait-loop iterations skipped (fast-forwarded), counted as retired. */
  fastForwarded: number;
}

/** Exec functions after which control never falls through to the next instruction. */
const UNCONDITIONAL: ReadonlySet<unknown> = new Set([
  branch.b,
  branch.bl,
  branch.bx,
  branch.blx,
  branch.tbb,
  branch.tbh,
]);

function endsBlock(i: Insn): boolean {
  if (UNCONDITIONAL.has(i.exec)) return true;
  const name = i.encoding.name;
  if (name === 'UNDEFINED' || name.startsWith('SVC') || name.startsWith('UDF')) return true;
  if (name.startsWith('BKPT') || name.startsWith('WFI') || name.startsWith('WFE')) return true;
  // Loads into the PC: POP/LDM with PC in the list, LDR PC.
  if ((name.startsWith('POP') || name.startsWith('LDM')) && (i.list & 0x8000) !== 0) return true;
  return name.startsWith('LDR') && i.rt === 15;
}

/** Indices of the instructions before the last that may leave the straight line (Block.stops). */
function flowStops(insns: readonly Insn[]): number[] {
  const stops: number[] = [];
  for (let k = 0; k < insns.length - 1; k++) {
    const i = insns[k]!;
    if (i.exec === branch.bCond || i.exec === branch.cbz || i.rd === 15 || i.rt === 15) {
      stops.push(k);
    }
  }
  return stops;
}

export interface JitOptions {
  /** Cap on generated source held in the cache (characters); past it the cache is flushed. */
  maxSourceChars?: number;
  /** Interpreted entries before translation (tests use 1 to translate everything at once). */
  hotEntries?: number;
  /** Instructions before early translation may start (START_UP_INSTRUCTIONS). */
  startUp?: number;
  /** Longest block (tests use 1 for single-instruction blocks). */
  maxBlockInsns?: number;
  /** Host milliseconds, for the translation time in the stats (none below host/: optional). */
  now?: () => number;
  /** False: blocks call every exec function instead of inlining it (to compare the two). */
  inline?: boolean;
  /**
   * False: every instruction is inlined as itself, not as its twin (shared.ts; the code is the
   * same, to compare the two).
   */
  share?: boolean;
  /** Sees each block's generated source (debugging the translator). */
  onSource?: (start: number, source: string) => void;
  /**
   * Runs the translation of one block (the host's hook around it: Node's command keeps the
   * engine's optimising compiler off the translator's own code, host/engine.ts). It must call
   * `translate` once, synchronously.
   */
  aroundTranslation?: (translate: () => void) => void;
}

export class Jit {
  /** Blocks by start address: 64 KB pages of halfword slots, allocated on first use. */
  private pages: ((Block | undefined)[] | null)[] = new Array(65536).fill(null);
  /** Per page, its blocks (for invalidation: a write checks `covered` first). */
  private pageBlocks: (Block[] | null)[] = new Array(65536).fill(null);
  /** Per page, a count per halfword of the blocks covering it (0: a write there drops nothing). */
  private covered: (Uint16Array | null)[] = new Array(65536).fill(null);
  private readonly retranslations = new Map<number, number>();
  private readonly limits: BatchLimits = { cycles: 0, instructions: 0 };
  /** True while execute runs (a block may be running: dropping one must stop it). */
  private executing = false;
  private readonly maxSourceChars: number;
  private readonly hotEntries: number;
  private readonly earlyEntries: number;
  private readonly startUp: number;
  private readonly maxBlockInsns: number;
  private readonly now: () => number;
  private readonly inline: boolean;
  private readonly share: boolean;
  private readonly onSource: ((start: number, source: string) => void) | undefined;
  private readonly around: ((translate: () => void) => void) | undefined;
  readonly stats: JitStats = {
    translated: 0,
    cachedBlocks: 0,
    cacheChars: 0,
    translatedInstructions: 0,
    interpretedInstructions: 0,
    hits: 0,
    entries: 0,
    invalidated: 0,
    flushes: 0,
    translateMs: 0,
    blockInstructions: 0,
    inlined: 0,
    inlineFailures: 0,
    shared: 0,
    disabled: null,
    fastForwarded: 0,
  };

  constructor(options: JitOptions = {}) {
    this.maxSourceChars = options.maxSourceChars ?? 64 * 1024 * 1024;
    this.hotEntries = options.hotEntries ?? HOT_ENTRIES;
    // A quarter of the threshold, rounded down to a power of two (see EARLY_SPACING).
    const early = 2 ** Math.floor(Math.log2(this.hotEntries / 4));
    this.earlyEntries = early >= 2 ? early : Infinity;
    this.startUp = options.startUp ?? START_UP_INSTRUCTIONS;
    this.maxBlockInsns = options.maxBlockInsns ?? MAX_BLOCK_INSNS;
    this.now = options.now ?? (() => 0);
    this.inline = options.inline ?? true;
    this.share = options.share ?? true;
    this.onSource = options.onSource;
    this.around = options.aroundTranslation;
  }

  /**
   * Cpu.executeBatch with translation: runs until `instrLimit` instructions have retired, the
   * clock reaches `cycleLimit`, or attention is raised — the interpreter's contract.
   */
  execute(cpu: Cpu, instrLimit: number, cycleLimit: number): void {
    const clock = cpu.clock;
    let hits = 0;
    let prev: Block | null = null;
    const start = cpu.instructions;
    const interpreted = this.stats.interpretedInstructions;
    const limits = this.limits;
    limits.cycles = cycleLimit;
    limits.instructions = instrLimit;
    this.executing = true;
    try {
      while (cpu.instructions < instrLimit && clock.cycles < cycleLimit) {
        const pc = cpu.pc;
        let block: Block | null;
        if (prev !== null && prev.nextPc === pc && prev.next!.valid) block = prev.next;
        else {
          const page: (Block | undefined)[] | null | undefined = this.pages[pc >>> 16];
          const found: Block | undefined = page != null ? page[(pc & 0xffff) >>> 1] : undefined;
          block = found !== undefined ? found : this.discover(cpu, pc);
          if (prev !== null && block !== null) {
            prev.next = block;
            prev.nextPc = pc;
          }
        }
        prev = block;
        const fn = block === null ? null : block.fn;
        if (
          fn !== null &&
          cpu.it === 0 &&
          cpu.t === 1 &&
          cpu.instructions + block!.span <= instrLimit &&
          clock.cycles + block!.entryCycles < cycleLimit &&
          cpu.fetchableBlock(pc)
        ) {
          hits++;
          try {
            fn(cpu, limits);
          } catch (e) {
            // A fault in the block: the instructions before the faulting one retired; the
            // interpreter's fault path does the rest, exactly as for an interpreted instruction.
            cpu.instructions += Math.max(0, block!.indexOf(cpu.pc));
            cpu.faultInBatch(e);
          }
        } else {
          prev = null;
          this.interpretBlock(cpu, block, instrLimit, cycleLimit);
        }
        if (cpu.attention !== 0) return;
      }
    } finally {
      this.executing = false;
      const stats = this.stats;
      stats.hits += hits;
      stats.entries += hits;
      stats.translatedInstructions +=
        cpu.instructions - start - (stats.interpretedInstructions - interpreted);
    }
  }

  /** The cold path: counts the block (translating it once hot) and interprets it. */
  private interpretBlock(cpu: Cpu, block: Block | null, instrLimit: number, cycleLimit: number) {
    const stats = this.stats;
    stats.entries++;
    const before = cpu.instructions;
    if (block === null) cpu.interpret(before + 1, cycleLimit);
    else {
      if (block.fn === null && block.translatable) {
        const count = ++block.count;
        if (
          count >= this.hotEntries ||
          (count >= this.earlyEntries &&
            before >= this.startUp &&
            before - block.born < count * EARLY_SPACING)
        ) {
          this.translate(block);
        }
      }
      // The block's instructions as far as control follows them (one run per stop).
      const limit = Math.min(instrLimit, before + block.n);
      const stops = block.stops;
      for (let s = 0; ; s++) {
        const k = s < stops.length ? stops[s]! : block.n - 1;
        const to = Math.min(limit, before + k + 1);
        cpu.interpret(to, cycleLimit);
        if (to === limit || cpu.instructions !== to || cpu.attention !== 0) break;
        if (cpu.pc !== block.follow[k]) break;
      }
      if (cpu.instructions - before > block.reached) block.reached = cpu.instructions - before;
    }
    stats.interpretedInstructions += cpu.instructions - before;
  }

  /** Scans the block at `pc` (fetching through the core, so faults end it) and caches it. */
  private discover(cpu: Cpu, pc: number): Block | null {
    if (cpu.t === 0 || cpu.it !== 0) return null;
    const insns: Insn[] = [];
    const itBefore: number[] = [];
    const follow: number[] = [];
    // A start whose superblock keeps being invalidated (it follows a call into code that is
    // rewritten) gets a plain block that ends at the branch.
    const follows = (this.retranslations.get(pc) ?? 0) < MAX_RETRANSLATIONS;
    let it = 0;
    let addr = pc;
    let translatable = true;
    while (insns.length < this.maxBlockInsns) {
      const insn = cpu.peekDecoded(addr);
      if (insn === null) break;
      if (cpu.isBreakpointOrHook(insn)) {
        // A lone breakpoint or hooked instruction is interpreted; elsewhere it ends a block.
        if (insns.length === 0) {
          insns.push(insn);
          itBefore.push(0);
          follow.push((addr + insn.size) >>> 0);
          translatable = false;
        }
        break;
      }
      const next = (addr + insn.size) >>> 0;
      if (next >>> 16 !== pc >>> 16 && next !== ((pc >>> 16) + 1) << 16) break;
      insns.push(insn);
      itBefore.push(it);
      const inIt = it !== 0;
      if (inIt) it = itAdvance(it);
      else if (insn.exec === branch.it) it = insn.imm & 0xff;
      if (!inIt && follows && (insn.exec === branch.b || insn.exec === branch.bl)) {
        // A direct branch: the block goes on at its target (a superblock), while that is in
        // the same page and not already in the block (a branch to the start loops instead).
        const target = branchTarget(insn);
        follow.push(target);
        if (target >>> 16 !== pc >>> 16 || insns.some((i) => i.addr === target)) break;
        addr = target;
        continue;
      }
      follow.push(next);
      if (endsBlock(insn)) break;
      // A conditional branch back into the block closes a loop: the block ends there, so a
      // loop from the start runs inside the block's function, and others exit to their head.
      if (!inIt && (insn.exec === branch.bCond || insn.exec === branch.cbz)) {
        const target = branchTarget(insn);
        if (insns.some((i) => i.addr === target)) break;
      }
      addr = next;
      if (addr >>> 16 !== pc >>> 16) break;
    }
    if (insns.length === 0) return null;
    const block = new Block(pc, insns, itBefore, translatable, follow);
    block.stops = flowStops(insns);
    block.born = cpu.instructions;
    this.insert(block);
    return block;
  }

  private insert(block: Block): void {
    const pg = block.start >>> 16;
    let page = this.pages[pg];
    if (page == null) {
      page = new Array<Block | undefined>(32768);
      this.pages[pg] = page;
      this.pageBlocks[pg] = [];
      this.covered[pg] = new Uint16Array(32768);
    }
    page[(block.start & 0xffff) >>> 1] = block;
    this.pageBlocks[pg]!.push(block);
    const cover = this.covered[pg]!;
    for (const i of block.insns)
      for (let a = i.addr; a < i.addr + i.size; a += 2) cover[(a & 0xffff) >>> 1]!++;
    this.stats.cachedBlocks++;
  }

  private translate(block: Block): void {
    const retranslated = this.retranslations.get(block.start) ?? 0;
    if (retranslated >= 2 * MAX_RETRANSLATIONS) return; // self-modifying: stays interpreted
    if (this.stats.disabled !== null) return;
    const t0 = this.now();
    const code = block.prefix(this.translatedLength(block));
    let compiled: ReturnType<typeof compileBlock> | null = null;
    if (this.around === undefined) compiled = this.compile(code);
    else this.around(() => (compiled = this.compile(code)));
    if (compiled === null) return;
    const { fn, size, inlined, entryCycles, shared } = compiled;
    this.stats.shared += shared;
    this.stats.translateMs += this.now() - t0;
    block.fn = fn;
    block.span = code.n;
    block.size = size;
    block.inlined = inlined;
    block.entryCycles = entryCycles;
    this.stats.inlined += inlined;
    this.stats.blockInstructions += code.insns.length;
    this.stats.translated++;
    this.stats.cacheChars += size;
    if (this.stats.cacheChars > this.maxSourceChars) this.flush();
  }

  /**
   * How many of a block's instructions are translated: only as far as an interpreted entry ever
   * went (past that, control has always left), and not into the start of another block in the
   * cache, translated or entered SHARED_START_ENTRIES times, whose code is translated as that
   * block's and which control reaches through the run loop's link (superblocks that follow a
   * branch into shared code, blocks entered one instruction apart: qsort translated 539
   * instructions at 319 addresses, 358 with this), unless the block loops from its end to its
   * start, which runs inside its function only whole. A block may end after any instruction, so
   * this changes no result.
   */
  private translatedLength(block: Block): number {
    const n = block.reached > 0 ? block.reached : block.n;
    if (branchesTo(block.insns[n - 1]!, block.start)) return n;
    for (let k = 1; k < n; k++) {
      const a = block.insns[k]!.addr;
      const page = this.pages[a >>> 16];
      const other = page != null ? page[(a & 0xffff) >>> 1] : undefined;
      if (other !== undefined && (other.fn !== null || other.count >= SHARED_START_ENTRIES)) {
        return k;
      }
    }
    return n;
  }

  /** The block's function, or null when code generation is refused (then stats.disabled). */
  private compile(code: Block): ReturnType<typeof compileBlock> | null {
    try {
      return compileBlock(code, this.inline, this.onSource, this.share);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      if (e instanceof SyntaxError && this.inline) {
        // Inlined code this translator got wrong: the block calls its semantics instead.
        this.stats.inlineFailures++;
        return compileBlock(code, false, this.onSource, this.share);
      }
      // Code generation refused (a Content Security Policy without 'unsafe-eval'): the
      // interpreter runs everything, with the same results.
      this.stats.disabled = e.message;
      return null;
    }
  }

  /**
   * Drops every block overlapping [addr, addr + size): their code was written or hooked.
   * Returns true when a translated block was dropped while blocks run (the running one may be
   * among them: it must stop after this instruction).
   */
  invalidate(addr: number, size: number): boolean {
    const invalidated = this.stats.invalidated;
    // A block may start up to one instruction before the written halfword's page.
    for (let pg = (addr - 2) >>> 16; pg <= (addr + size - 1) >>> 16; pg++) {
      const cover = this.covered[pg & 0xffff];
      if (cover == null) continue;
      let hit = false;
      for (let a = Math.max(addr & ~1, pg << 16); a < addr + size && a >>> 16 === pg; a += 2) {
        if (cover[(a & 0xffff) >>> 1] !== 0) hit = true;
      }
      if (hit) this.dropOverlapping(pg & 0xffff, addr >>> 0, (addr + size) >>> 0);
    }
    return this.executing && this.stats.invalidated !== invalidated;
  }

  private dropOverlapping(pg: number, from: number, to: number): void {
    const list = this.pageBlocks[pg]!;
    const keep: Block[] = [];
    for (const b of list) {
      if (b.overlaps(from, to)) this.drop(b, pg);
      else keep.push(b);
    }
    this.pageBlocks[pg] = keep;
  }

  private drop(b: Block, pg: number): void {
    b.valid = false;
    this.pages[pg]![(b.start & 0xffff) >>> 1] = undefined;
    const cover = this.covered[pg]!;
    for (const i of b.insns)
      for (let a = i.addr; a < i.addr + i.size; a += 2) cover[(a & 0xffff) >>> 1]!--;
    this.stats.cachedBlocks--;
    this.stats.cacheChars -= b.size;
    if (b.fn !== null) {
      this.stats.invalidated++;
      this.retranslations.set(b.start, (this.retranslations.get(b.start) ?? 0) + 1);
    }
  }

  /** Drops everything (cache full, memory remap); returns true when a block was running. */
  flush(): boolean {
    for (const page of this.pageBlocks) if (page !== null) for (const b of page) b.valid = false;
    this.pages = new Array(65536).fill(null);
    this.pageBlocks = new Array(65536).fill(null);
    this.covered = new Array(65536).fill(null);
    this.stats.cachedBlocks = 0;
    this.stats.cacheChars = 0;
    this.stats.flushes++;
    return this.executing;
  }
}
