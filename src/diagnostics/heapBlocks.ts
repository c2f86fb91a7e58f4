/**
 * The firmware's live heap blocks, from hooks on its allocator: every block with its size, the
 * backtrace and task that allocated it. Shared by --leak-check (which reports the blocks nobody
 * can reach, and bad frees) and --stack-check (whose task stacks, on an OS that publishes no task
 * list, are the blocks the scheduler's process stack pointer lands in).
 *
 * Allocator families, the first the image has: NuttX's mm_* (all of NuttX's malloc/free
 * wrappers end there), newlib's reentrant _malloc_r family, plain malloc/free. A call from
 * inside another allocator function (calloc's malloc, realloc's free) or a tail call is the
 * outer call's business and is not counted twice.
 */
import type { SymbolTable } from '../loader/elf.js';
import type { Call, CallHooks } from './callHooks.js';

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

const MAX_ACTIVE = 256;

export interface Block {
  ptr: number;
  size: number;
  /** Return addresses, innermost first, allocator frames dropped. */
  frames: number[];
  task: string | undefined;
  /** Allocation order, for stable reports. */
  seq: number;
  /** Reported as lost already (--leak-check). */
  reported: boolean;
}

/** What a check wants to hear about; every handler is optional. */
export interface HeapObserver {
  /** A block was allocated (after it is in the live set). */
  allocated?(block: Block): void;
  /**
   * A live block is leaving the live set (free, or a realloc that moved it), at the call's
   * first instruction: its contents are still the program's.
   */
  released?(block: Block): void;
  /** free(ptr) of a live block, after its release; `site` unwinds the free's call. */
  freed?(ptr: number, site: () => number[]): void;
  /** free/realloc of a pointer that is not a live block (invalid, or a double free). */
  badFree?(ptr: number, call: Call, isRealloc: boolean): void;
}

export interface HeapEnvironment {
  hooks: CallHooks;
  symbols: SymbolTable;
  /** Return addresses of the call (innermost first, starting with its LR). */
  unwind(call: Call): number[];
  /** The running task's name, when an OS is known. */
  currentTask(): string | undefined;
}

/** The name of the image's allocator family (its malloc), or undefined when it has none. */
export function allocatorFamily(symbols: SymbolTable): string | undefined {
  return findFamily(symbols)?.[0]!.name;
}

function findFamily(symbols: SymbolTable): AllocatorFunction[] | undefined {
  const has = (name: string) => symbols.lookup(name)?.type === 2;
  // A family is present when its malloc and free are (the others are hooked if there).
  return FAMILIES.find((f) => has(f[0]!.name) && has(f.find((fn) => fn.kind === 'free')!.name));
}

export class HeapBlocks {
  readonly family: string;
  private readonly live = new Map<number, Block>();
  /** Allocator calls in progress (to recognise nested and tail calls). */
  private readonly active: Array<{ sp: number; lr: number }> = [];
  private readonly familyNames = new Set<string>();
  private readonly observers: HeapObserver[] = [];
  private seq = 0;
  allocations = 0;
  frees = 0;

  constructor(private readonly env: HeapEnvironment) {
    const family = findFamily(env.symbols);
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

  observe(observer: HeapObserver): void {
    this.observers.push(observer);
  }

  /** The sequence number the next allocation gets (a checkpoint's start). */
  get nextSeq(): number {
    return this.seq;
  }

  get liveBlocks(): ReadonlyMap<number, Block> {
    return this.live;
  }

  /** The live block holding addr (its start excluded unless `orStart`). */
  blockContaining(addr: number, orStart = false): Block | undefined {
    for (const b of this.live.values()) {
      if ((addr > b.ptr || (orStart && addr === b.ptr)) && addr < b.ptr + b.size) return b;
    }
    return undefined;
  }

  /** The call's return addresses from the first frame outside the allocator, at most 16. */
  callSite(call: Call): number[] {
    const frames = this.env.unwind(call);
    let i = 0;
    while (i < frames.length - 1 && ALLOCATOR_FRAME.test(this.functionName(frames[i]!) ?? '')) i++;
    return frames.slice(i, i + 16);
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
      if (ptr !== 0) this.free(ptr, call);
      return () => done();
    }
    const size = fn.kind === 'calloc' ? Math.imul(arg(fn.count), arg(fn.size)) >>> 0 : arg(fn.size);
    const old = fn.kind === 'realloc' ? arg(fn.ptr) : 0;
    if (old !== 0) this.free(old, call, true);
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
      const block = { ptr, size, frames, task, seq: this.seq++, reported: false };
      this.live.set(ptr, block);
      for (const o of this.observers) o.allocated?.(block);
    };
  }

  /** free(ptr), or the old pointer of realloc (released only once the realloc succeeded). */
  private free(ptr: number, call: Call, isRealloc = false): void {
    if (this.live.has(ptr)) {
      if (!isRealloc) {
        this.release(ptr);
        for (const o of this.observers) o.freed?.(ptr, () => this.callSite(call));
      }
      return;
    }
    for (const o of this.observers) o.badFree?.(ptr, call, isRealloc);
  }

  private release(ptr: number): void {
    const block = this.live.get(ptr);
    if (block === undefined) return;
    for (const o of this.observers) o.released?.(block);
    this.live.delete(ptr);
    this.frees++;
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
}
