/**
 * --leak-check: hooks the firmware's allocator and keeps every live block with the backtrace
 * and task that allocated it. Blocks nobody can reach any more are reported, grouped by call
 * site and largest first (valgrind's "definitely lost"), when a task exits (its own blocks), at
 * each checkpoint the front end asks for (after an nsh command) and at the end; invalid and
 * double frees are reported at the call.
 *
 * Reachability is a conservative mark from the roots — .data/.bss, the main stack above SP —
 * through every word of every reachable block: a block still pointed to (newlib's stdio buffers,
 * a cache held in a global) is "still reachable", counted in the summary but not a finding.
 *
 * The blocks come from the allocator's hooks (heapBlocks.ts), shared with --stack-check.
 */
import type { Call } from './callHooks.js';
import { backtraceLines, Findings, groupDigits, hex8 } from './findings.js';
import type { GuestMemory } from './guestMemory.js';
import type { Block, HeapBlocks } from './heapBlocks.js';

export type { Block } from './heapBlocks.js';

export interface LeakCheckEnvironment {
  /** The allocator's live blocks (its hooks). */
  heap: HeapBlocks;
  memory: GuestMemory;
  findings: Findings;
  /** "name (file:line)" for a return address. */
  symbolize(pc: number): string;
  /** The running task's name, when an OS is known. */
  currentTask(): string | undefined;
  /** Memory ranges whose words are roots: .data, .bss, static stacks. */
  roots(): Array<[start: number, end: number]>;
  /** For a block that is a task's stack: where its live part starts (its SP). */
  stackScanStart?(block: number): number | undefined;
}

export interface LeakSummary {
  family: string;
  allocations: number;
  frees: number;
  liveBlocks: number;
  liveBytes: number;
  lostBlocks: number;
  lostBytes: number;
  reachableBlocks: number;
  reachableBytes: number;
}

const MAX_FREED = 4096;

export class LeakCheck {
  readonly family: string;
  private readonly heap: HeapBlocks;
  /** Recently freed pointers and where (for double frees), bounded. */
  private readonly freed = new Map<number, number[]>();

  constructor(private readonly env: LeakCheckEnvironment) {
    this.heap = env.heap;
    this.family = env.heap.family;
    env.heap.observe({
      allocated: (b) => this.freed.delete(b.ptr),
      freed: (ptr, site) => {
        this.freed.set(ptr, site());
        if (this.freed.size > MAX_FREED) this.freed.delete(this.freed.keys().next().value!);
      },
      badFree: (ptr, call, isRealloc) => this.badFree(ptr, call, isRealloc),
    });
  }

  get allocations(): number {
    return this.heap.allocations;
  }

  get frees(): number {
    return this.heap.frees;
  }

  /** The sequence number the next allocation gets (a checkpoint's start). */
  get nextSeq(): number {
    return this.heap.nextSeq;
  }

  private get live(): ReadonlyMap<number, Block> {
    return this.heap.liveBlocks;
  }

  get liveBlocks(): ReadonlyMap<number, Block> {
    return this.live;
  }

  /** free/realloc of a pointer the allocator did not return, or returned and took back. */
  private badFree(ptr: number, call: Call, isRealloc: boolean): void {
    const site = this.heap.callSite(call);
    const what = isRealloc ? 'realloc' : 'free';
    const first = this.freed.get(ptr);
    if (first) {
      this.report(
        'double-free',
        `double ${what} of 0x${hex8(ptr)}, already freed at ${this.describeSite(first)}`,
        site,
        0,
        {
          ptr,
          firstFree: first.map((pc) => this.env.symbolize(pc)),
        },
      );
      return;
    }
    const inside = this.blockContaining(ptr);
    const why = inside
      ? `inside the ${groupDigits(inside.size)}-byte block at 0x${hex8(inside.ptr)} allocated at ${this.describeSite(inside.frames)}`
      : 'not a block the allocator returned';
    this.report('invalid-free', `invalid ${what} of 0x${hex8(ptr)}: ${why}`, site, 0, { ptr });
  }

  /** The live block holding addr (its start excluded unless `orStart`). */
  blockContaining(addr: number, orStart = false): Block | undefined {
    return this.heap.blockContaining(addr, orStart);
  }

  private describeSite(frames: number[]): string {
    return frames.length ? this.env.symbolize(frames[0]!) : 'an unknown site';
  }

  private report(
    kind: string,
    message: string,
    frames: number[],
    bytes: number,
    data: Record<string, unknown>,
    task = this.env.currentTask(),
  ): void {
    this.env.findings.add({
      check: 'leak-check',
      kind,
      message,
      task,
      pc: frames[0],
      bytes,
      backtrace: backtraceLines(frames, (pc) => this.env.symbolize(pc)),
      data,
    });
  }

  /**
   * Reports the unreachable blocks not reported yet (of `task` only, when given), grouped by
   * call site, largest first. `exclude`: blocks that are no roots any more (an exiting task's
   * stack and TCB); `sinceSeq`: only blocks allocated since that checkpoint. Returns the number
   * of findings.
   */
  reportLost(
    when: string,
    task?: string,
    exclude: ReadonlySet<number> = new Set(),
    sinceSeq = 0,
  ): number {
    const reachable = this.reachable(exclude);
    const groups = new Map<string, Block[]>();
    for (const b of this.live.values()) {
      if (b.reported || reachable.has(b.ptr) || exclude.has(b.ptr)) continue;
      if (task !== undefined && b.task !== task) continue;
      if (b.seq < sinceSeq) continue;
      const key = b.frames.join(',') + '|' + (b.task ?? '');
      const g = groups.get(key);
      if (g) g.push(b);
      else groups.set(key, [b]);
    }
    const sorted = [...groups.values()].sort(
      (a, b) => total(b) - total(a) || a[0]!.seq - b[0]!.seq,
    );
    for (const g of sorted) {
      for (const b of g) b.reported = true;
      const bytes = total(g);
      const blocks = g.length === 1 ? '1 block' : `${g.length} blocks`;
      // At a task's exit the task is in `when` already.
      const by = g[0]!.task !== undefined && task === undefined ? ` by task ${g[0]!.task}` : '';
      this.report(
        'leak',
        `${groupDigits(bytes)} bytes in ${blocks} never freed (${when}), allocated${by} at ${this.describeSite(g[0]!.frames)}`,
        g[0]!.frames,
        bytes,
        { blocks: g.map((b) => ({ ptr: `0x${hex8(b.ptr)}`, size: b.size })) },
        g[0]!.task,
      );
    }
    return sorted.length;
  }

  summary(): LeakSummary {
    const reachable = this.reachable();
    let liveBytes = 0;
    let lostBlocks = 0;
    let lostBytes = 0;
    for (const b of this.live.values()) {
      liveBytes += b.size;
      if (!reachable.has(b.ptr)) {
        lostBlocks++;
        lostBytes += b.size;
      }
    }
    return {
      family: this.family,
      allocations: this.allocations,
      frees: this.frees,
      liveBlocks: this.live.size,
      liveBytes,
      lostBlocks,
      lostBytes,
      reachableBlocks: this.live.size - lostBlocks,
      reachableBytes: liveBytes - lostBytes,
    };
  }

  /** Blocks reachable from the roots (conservative: any aligned word pointing into a block). */
  reachable(exclude: ReadonlySet<number> = new Set()): Set<number> {
    const starts = [...this.live.keys()].sort((a, b) => a - b);
    const found = new Set<number>();
    const work: number[] = [];
    const mem = this.env.memory;
    const visit = (value: number) => {
      // The block whose [ptr, ptr+size) holds value (interior pointers count, as valgrind's
      // "possibly lost" would; a pointer to the block's end does not).
      let lo = 0;
      let hi = starts.length - 1;
      let at = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid]! <= value) {
          at = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (at < 0) return;
      const b = this.live.get(starts[at]!)!;
      if (value >= b.ptr + Math.max(b.size, 1) || exclude.has(b.ptr) || found.has(b.ptr)) return;
      found.add(b.ptr);
      work.push(b.ptr);
    };
    const scan = (start: number, end: number) => {
      for (let a = (start + 3) & ~3; a + 4 <= end; a += 4) {
        const v = mem.read32(a >>> 0);
        if (v !== undefined) visit(v);
      }
    };
    for (const [start, end] of this.env.roots()) scan(start, end);
    while (work.length) {
      const b = this.live.get(work.pop()!)!;
      // A task's stack reached through its TCB: only the part above its SP is alive.
      const from = this.env.stackScanStart?.(b.ptr);
      scan(from !== undefined && from > b.ptr ? from : b.ptr, b.ptr + b.size);
    }
    return found;
  }
}

function total(blocks: Block[]): number {
  return blocks.reduce((n, b) => n + b.size, 0);
}
