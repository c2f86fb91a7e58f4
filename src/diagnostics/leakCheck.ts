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
 * Allocator families, the first the image has: NuttX's mm_* (all of NuttX's malloc/free
 * wrappers end there), newlib's reentrant _malloc_r family, plain malloc/free. A call from
 * inside another allocator function (calloc's malloc, realloc's free) or a tail call is the
 * outer call's business and is not counted twice.
 */
import type { Cpu } from '../core/cpu.js';
import type { SymbolTable } from '../loader/elf.js';
import type { Call, CallHooks } from './callHooks.js';
import { backtraceLines, Findings, groupDigits, hex8 } from './findings.js';
import type { GuestMemory } from './guestMemory.js';

type Kind = 'malloc' | 'calloc' | 'realloc' | 'memalign' | 'free';

/** Which argument holds what, per allocator function. */
interface AllocatorFunction {
  name: string;
  kind: Kind;
  size?: number;
  count?: number;
  ptr?: number;
}

const FAMILIES: AllocatorFunction[][] = [
  [
    { name: 'mm_malloc', kind: 'malloc', size: 1 },
    { name: 'mm_zalloc', kind: 'malloc', size: 1 },
    { name: 'mm_calloc', kind: 'calloc', count: 1, size: 2 },
    { name: 'mm_realloc', kind: 'realloc', ptr: 1, size: 2 },
    { name: 'mm_memalign', kind: 'memalign', size: 2 },
    { name: 'mm_free', kind: 'free', ptr: 1 },
  ],
  [
    { name: '_malloc_r', kind: 'malloc', size: 1 },
    { name: '_calloc_r', kind: 'calloc', count: 1, size: 2 },
    { name: '_realloc_r', kind: 'realloc', ptr: 1, size: 2 },
    { name: '_memalign_r', kind: 'memalign', size: 2 },
    { name: '_free_r', kind: 'free', ptr: 1 },
  ],
  [
    { name: 'malloc', kind: 'malloc', size: 0 },
    { name: 'calloc', kind: 'calloc', count: 0, size: 1 },
    { name: 'realloc', kind: 'realloc', ptr: 0, size: 1 },
    { name: 'memalign', kind: 'memalign', size: 1 },
    { name: 'free', kind: 'free', ptr: 0 },
  ],
];

/** Frames inside the allocator and its wrappers: a call site is the first frame outside. */
const ALLOCATOR_FRAME =
  /^(_?_?(malloc|calloc|realloc|zalloc|memalign|free|posix_memalign|aligned_alloc|valloc)(_r)?|[ku]?mm_\w+|lib_(malloc|free|zalloc|calloc|realloc)\w*)$/;

export interface Block {
  ptr: number;
  size: number;
  /** Return addresses, innermost first, allocator frames dropped. */
  frames: number[];
  task: string | undefined;
  /** Allocation order, for stable reports. */
  seq: number;
  reported: boolean;
}

export interface LeakCheckEnvironment {
  cpu: Cpu;
  hooks: CallHooks;
  symbols: SymbolTable;
  memory: GuestMemory;
  findings: Findings;
  /** Return addresses of the call (innermost first, starting with its LR). */
  unwind(call: Call): number[];
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

const MAX_ACTIVE = 256;
const MAX_FREED = 4096;

export class LeakCheck {
  readonly family: string;
  private readonly live = new Map<number, Block>();
  /** Recently freed pointers and where (for double frees), bounded. */
  private readonly freed = new Map<number, number[]>();
  /** Allocator calls in progress (to recognise nested and tail calls). */
  private readonly active: Array<{ sp: number; lr: number }> = [];
  private readonly familyNames = new Set<string>();
  private seq = 0;
  allocations = 0;
  frees = 0;

  constructor(private readonly env: LeakCheckEnvironment) {
    const has = (name: string) => env.symbols.lookup(name)?.type === 2;
    // A family is present when its malloc and free are (the others are hooked if there).
    const family = FAMILIES.find(
      (f) => has(f[0]!.name) && has(f.find((fn) => fn.kind === 'free')!.name),
    );
    if (!family) {
      throw new Error(
        'no allocator in the image (no mm_malloc/mm_free, _malloc_r/_free_r or malloc/free)',
      );
    }
    this.family = family[0]!.name;
    for (const fn of family) {
      if (!env.hooks.hook(fn.name, (call) => this.enter(fn, call))) continue;
      this.familyNames.add(fn.name);
    }
  }

  /** The sequence number the next allocation gets (a checkpoint's start). */
  get nextSeq(): number {
    return this.seq;
  }

  get liveBlocks(): ReadonlyMap<number, Block> {
    return this.live;
  }

  private enter(fn: AllocatorFunction, call: Call) {
    if (this.isNested(call)) return;
    const mark = { sp: call.sp, lr: call.lr };
    this.active.push(mark);
    if (this.active.length > MAX_ACTIVE) this.active.shift();
    const done = () => {
      const i = this.active.lastIndexOf(mark);
      if (i >= 0) this.active.splice(i, 1);
    };
    const arg = (i: number | undefined) => (i === undefined ? 0 : call.arg(i));
    if (fn.kind === 'free') {
      const ptr = arg(fn.ptr);
      if (ptr !== 0) this.checkFree(ptr, call);
      return () => done();
    }
    const size = fn.kind === 'calloc' ? Math.imul(arg(fn.count), arg(fn.size)) >>> 0 : arg(fn.size);
    const old = fn.kind === 'realloc' ? arg(fn.ptr) : 0;
    if (old !== 0) this.checkFree(old, call, true);
    // Unwound now: at the first instruction the registers are the call's.
    const frames = this.callSite(call);
    const task = this.env.currentTask();
    return (ret: { r0: number }) => {
      done();
      const ptr = ret.r0;
      if (fn.kind === 'realloc' && old !== 0) {
        if (ptr === 0 && size !== 0) return; // failed: the old block stays
        this.release(old);
        if (ptr === 0) return; // realloc(p, 0) freed it
      }
      if (ptr === 0) return;
      this.allocations++;
      this.freed.delete(ptr);
      this.live.set(ptr, {
        ptr,
        size,
        frames,
        task,
        seq: this.seq++,
        reported: false,
      });
    };
  }

  private isNested(call: Call): boolean {
    const caller = this.functionName(call.lr);
    if (caller !== undefined && this.familyNames.has(caller)) return true;
    return this.active.some((a) => a.sp === call.sp && a.lr === call.lr);
  }

  private functionName(pc: number): string | undefined {
    const d = this.env.symbols.describe((pc & ~1) - 2 >= 0 ? (pc & ~1) - 2 : pc);
    return d?.replace(/\+0x[0-9a-f]+$/, '');
  }

  private callSite(call: Call): number[] {
    const frames = this.env.unwind(call);
    let i = 0;
    while (i < frames.length - 1 && ALLOCATOR_FRAME.test(this.functionName(frames[i]!) ?? '')) i++;
    return frames.slice(i, i + 16);
  }

  private checkFree(ptr: number, call: Call, isRealloc = false): void {
    if (this.live.has(ptr)) {
      if (!isRealloc) {
        this.release(ptr);
        this.freed.set(ptr, this.callSite(call));
        if (this.freed.size > MAX_FREED) this.freed.delete(this.freed.keys().next().value!);
      }
      return;
    }
    const site = this.callSite(call);
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

  private release(ptr: number): void {
    if (this.live.delete(ptr)) this.frees++;
  }

  /** The live block holding addr (its start excluded unless `orStart`). */
  blockContaining(addr: number, orStart = false): Block | undefined {
    for (const b of this.live.values()) {
      if ((addr > b.ptr || (orStart && addr === b.ptr)) && addr < b.ptr + b.size) return b;
    }
    return undefined;
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
