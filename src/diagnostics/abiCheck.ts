/**
 * --abi-check: a synchronisation object — pthread mutex, condition variable, rwlock, semaphore —
 * used (locked, waited on, signalled, posted) without ever having gone through its init function,
 * whose bytes are not the OS's static initializer either, is reported at the call with both byte
 * patterns. That is the talk's hang: Rust's libc bindings initialised NuttX mutexes with Linux's
 * layout (all zeros), which NuttX reads as a mutex already held. An object used after its destroy
 * call and before a new init is reported at the call too. Each object is reported once.
 *
 * One table (FAMILIES) drives it: per object type its init, use and destroy functions, the name
 * of the initializer object an image may export, NuttX's initializer bytes, and the bytes an
 * initialised object may hold anything in (a semaphore's count; padding). The initializer is the
 * image's own when it exports it (`g_pthread_mutex_initializer` and friends, as the project's
 * test OS does), otherwise NuttX's for the stm32f4discovery defaults (abi/nuttx.ts).
 *
 * A call made from inside another hooked call of the same task (NuttX's pthread_rwlock_rdlock
 * locking the mutex inside the rwlock, pthread_mutex_lock's sem_wait) is that call's business:
 * the user made one call, and it is checked once, on the objects the user passed. A new heap
 * block starts a new life for whatever objects lie in it (the allocator is hooked for that);
 * objects on a stack are not tracked that way.
 */
import type { SymbolTable } from '../loader/elf.js';
import type { ElfSection } from '../loader/elfSections.js';
import { compareTypeSizes, typeSizesByUnit } from '../loader/dwarfTypes.js';
import { ImageError } from '../loader/elf.js';
import {
  NUTTX_PADDING,
  NUTTX_PTHREAD_COND_INITIALIZER,
  NUTTX_PTHREAD_MUTEX_INITIALIZER,
  NUTTX_PTHREAD_RWLOCK_INITIALIZER,
  NUTTX_SEM_COUNT_BYTES,
  NUTTX_SEM_INITIALIZER,
} from './abi/nuttx.js';
import type { Call, CallHooks, EnterHandler, ReturnHandler } from './callHooks.js';
import { backtraceLines, hex8, type Findings } from './findings.js';
import type { GuestMemory } from './guestMemory.js';

export type FamilyName = 'mutex' | 'cond' | 'rwlock' | 'sem';

export interface UseFunction {
  name: string;
  /** Another object the call takes, checked as a use of its family (pthread_cond_wait's mutex). */
  also?: { arg: number; family: FamilyName };
}

/** One object type: how it is set up, used and torn down, and what a set-up one looks like. */
export interface ObjectFamily {
  name: FamilyName;
  /** What a person calls one. */
  noun: string;
  /** Its C type (the type-size comparison knows it by this name too). */
  type: string;
  init: readonly string[];
  uses: readonly UseFunction[];
  destroy: readonly string[];
  /** The object holding the static initializer's bytes, when an image exports one. */
  initializerSymbol: string;
  /** The initializer's C name. */
  macro: string;
  /** NuttX's initializer for the stm32f4discovery defaults, and its bytes that may hold anything. */
  nuttx: { bytes: readonly number[]; free: readonly number[] };
  /** Bytes that may hold anything in an image's own initializer of `size` bytes. */
  ownFree(size: number): readonly number[];
  /** What those bytes are (said next to the pattern). */
  freeWhat?: string;
  /** Linux's static initializer for this type is all zeros: what to say when a zeroed one is seen. */
  zeros?: string;
  /** What the OS may make of the bytes. */
  consequence: string;
}

const none = (): readonly number[] => [];
const nuttxFree = (type: keyof typeof NUTTX_PADDING, extra: readonly number[] = []) =>
  [...extra, ...NUTTX_PADDING[type]].sort((a, b) => a - b);

export const FAMILIES: readonly ObjectFamily[] = [
  {
    name: 'mutex',
    noun: 'mutex',
    type: 'pthread_mutex_t',
    init: ['pthread_mutex_init'],
    uses: ['lock', 'trylock', 'timedlock', 'unlock'].map((u) => ({ name: `pthread_mutex_${u}` })),
    destroy: ['pthread_mutex_destroy'],
    initializerSymbol: 'g_pthread_mutex_initializer',
    macro: 'PTHREAD_MUTEX_INITIALIZER',
    nuttx: { bytes: NUTTX_PTHREAD_MUTEX_INITIALIZER, free: nuttxFree('pthread_mutex_t') },
    ownFree: none,
    zeros:
      "all zeros is Linux's (glibc's) PTHREAD_MUTEX_INITIALIZER, the layout Rust's libc crate used",
    consequence: 'the OS may see it as held',
  },
  {
    name: 'cond',
    noun: 'condition variable',
    type: 'pthread_cond_t',
    init: ['pthread_cond_init'],
    uses: [
      ...['wait', 'timedwait', 'clockwait'].map((u) => ({
        name: `pthread_cond_${u}`,
        also: { arg: 1, family: 'mutex' as const },
      })),
      { name: 'pthread_cond_signal' },
      { name: 'pthread_cond_broadcast' },
    ],
    destroy: ['pthread_cond_destroy'],
    initializerSymbol: 'g_pthread_cond_initializer',
    macro: 'PTHREAD_COND_INITIALIZER',
    nuttx: { bytes: NUTTX_PTHREAD_COND_INITIALIZER, free: nuttxFree('pthread_cond_t') },
    ownFree: none,
    zeros: "all zeros is Linux's (glibc's) PTHREAD_COND_INITIALIZER",
    consequence: 'the OS reads its waiter count and wait queue from these bytes',
  },
  {
    name: 'rwlock',
    noun: 'rwlock',
    type: 'pthread_rwlock_t',
    init: ['pthread_rwlock_init'],
    // NuttX adds clockrdlock/clockwrlock (its timed variants call them).
    uses: [
      ...['rdlock', 'tryrdlock', 'timedrdlock', 'clockrdlock'],
      ...['wrlock', 'trywrlock', 'timedwrlock', 'clockwrlock', 'unlock'],
    ].map((u) => ({ name: `pthread_rwlock_${u}` })),
    destroy: ['pthread_rwlock_destroy'],
    initializerSymbol: 'g_pthread_rwlock_initializer',
    macro: 'PTHREAD_RWLOCK_INITIALIZER',
    nuttx: { bytes: NUTTX_PTHREAD_RWLOCK_INITIALIZER, free: nuttxFree('pthread_rwlock_t') },
    ownFree: none,
    zeros: "all zeros is Linux's (glibc's) PTHREAD_RWLOCK_INITIALIZER",
    consequence: 'the OS may see it, or the mutex inside it, as held',
  },
  {
    name: 'sem',
    noun: 'semaphore',
    type: 'sem_t',
    init: ['sem_init'],
    uses: ['wait', 'trywait', 'timedwait', 'clockwait', 'post'].map((u) => ({ name: `sem_${u}` })),
    destroy: ['sem_destroy'],
    initializerSymbol: 'g_sem_initializer',
    macro: 'SEM_INITIALIZER(n)',
    nuttx: { bytes: NUTTX_SEM_INITIALIZER, free: nuttxFree('sem_t', NUTTX_SEM_COUNT_BYTES) },
    // The count comes first: an int16_t in the test OS's 4-byte sem_t, 32 bits in larger ones.
    ownFree: (size) => (size <= 4 ? [0, 1] : [0, 1, 2, 3]),
    freeWhat: 'the count',
    consequence: 'the OS reads its flags and wait queue from these bytes',
  },
];

/**
 * Allocator families (NuttX's mm_*, newlib's _r, plain), the first the image has: a new block
 * [ptr, ptr + size) forgets every object that lay there. `size`: the arguments multiplied;
 * `ptr`: realloc's old block (a block resized in place keeps its objects).
 */
interface Allocator {
  name: string;
  size: readonly number[];
  ptr?: number;
}
const ALLOCATORS: ReadonlyArray<readonly Allocator[]> = [
  [
    { name: 'mm_malloc', size: [1] },
    { name: 'mm_zalloc', size: [1] },
    { name: 'mm_calloc', size: [1, 2] },
    { name: 'mm_realloc', size: [2], ptr: 1 },
    { name: 'mm_memalign', size: [2] },
  ],
  [
    { name: '_malloc_r', size: [1] },
    { name: '_calloc_r', size: [1, 2] },
    { name: '_realloc_r', size: [2], ptr: 1 },
    { name: '_memalign_r', size: [2] },
  ],
  [
    { name: 'malloc', size: [0] },
    { name: 'zalloc', size: [0] },
    { name: 'calloc', size: [0, 1] },
    { name: 'realloc', size: [1], ptr: 0 },
    { name: 'memalign', size: [1] },
  ],
];

/** An initializer as compared: its bytes, those that may hold anything, and whose it is. */
export interface Initializer {
  bytes: readonly number[];
  free: ReadonlySet<number>;
  /** What the free bytes are: "the count", "padding". */
  freeWhat: string;
  source: string;
}

export interface AbiCheckEnvironment {
  hooks: CallHooks;
  symbols: SymbolTable;
  memory: GuestMemory;
  findings: Findings;
  currentTask(): string | undefined;
  unwind(call: Call): number[];
  symbolize(pc: number): string;
}

type State =
  | { kind: 'initialised' | 'checked' | 'reported' }
  | { kind: 'destroyed'; by: string; site: string; task: string | undefined };

/** The largest initializer object read from an image. */
const MAX_INITIALIZER = 128;
/** NuttX's (and the test OS's) stack colour, CONFIG_STACK_COLOR. */
const STACK_COLOR = 0xdeadbeef;

export class AbiCheck {
  private readonly families = new Map<FamilyName, ObjectFamily>();
  /** Per family, the objects seen: address → state. */
  private readonly objects = new Map<FamilyName, Map<number, State>>();
  private readonly initializers = new Map<FamilyName, Initializer>();
  /** Per task (or handler mode), the SP of the hooked call in progress: calls below it are its own. */
  private readonly active = new Map<string, number>();
  /** Objects whose bytes were compared with the initializer, per family. */
  readonly checkedBy: Record<FamilyName, number> = { mutex: 0, cond: 0, rwlock: 0, sem: 0 };

  constructor(
    private readonly env: AbiCheckEnvironment,
    families: readonly ObjectFamily[] = FAMILIES,
  ) {
    for (const f of families) {
      this.families.set(f.name, f);
      this.objects.set(f.name, new Map());
    }
    for (const f of families) {
      for (const name of f.init) this.hook(name, (c) => this.enter(c, () => this.init(f, c)));
      for (const name of f.destroy) {
        this.hook(name, (c) => this.enter(c, () => this.destroyed(f, c)));
      }
      for (const use of f.uses) {
        const other = use.also && { family: this.families.get(use.also.family), arg: use.also.arg };
        this.hook(use.name, (c) =>
          this.enter(c, () => {
            this.use(f, c, 0);
            if (other?.family) this.use(other.family, c, other.arg);
          }),
        );
      }
    }
    const has = (name: string) => env.symbols.lookup(name)?.type === 2;
    const allocators = ALLOCATORS.find((a) => has(a[0]!.name)) ?? [];
    for (const a of allocators) {
      this.hook(a.name, (call) => {
        const size = a.size.reduce((n, i) => n * call.arg(i), 1);
        const old = a.ptr === undefined ? 0 : call.arg(a.ptr);
        return (ret) => {
          if (ret.r0 !== old) this.forget(ret.r0, size);
        };
      });
    }
  }

  /**
   * Hooks the function `name` under a call name of its own: CallHooks keeps one pending return
   * per SP and call name, so when another check hooks the same function under the same name
   * (--trace-calls on sem_post, --leak-check on the allocator) one return would replace the other.
   */
  private hook(name: string, enter: EnterHandler): void {
    const sym = this.env.symbols.lookup(name);
    if (!sym || sym.type !== 2) return;
    this.env.hooks.hookAddress(sym.value, `${name} (abi-check)`, (call) =>
      enter({ ...call, name }),
    );
  }

  /** Mutexes checked against the initializer (the summary's count). */
  get checked(): number {
    return this.checkedBy.mutex;
  }

  /** The initializer a family's objects are compared with; read at first use (after startup). */
  initializer(name: FamilyName): Initializer {
    const known = this.initializers.get(name);
    if (known) return known;
    const f = this.families.get(name)!;
    const own = this.env.symbols.lookup(f.initializerSymbol);
    let init: Initializer | undefined;
    if (own && own.size > 0 && own.size <= MAX_INITIALIZER) {
      const bytes: number[] = [];
      for (let i = 0; i < own.size; i++) bytes.push(this.env.memory.read8(own.value + i) ?? 0);
      init = {
        bytes,
        free: new Set(f.ownFree(own.size)),
        freeWhat: f.freeWhat ?? '',
        source: `the image's ${f.macro} (${f.initializerSymbol})`,
      };
    }
    init ??= {
      bytes: f.nuttx.bytes,
      free: new Set(f.nuttx.free),
      freeWhat: [f.freeWhat, 'padding'].filter(Boolean).join(', '),
      source: `NuttX's ${f.macro}`,
    };
    this.initializers.set(name, init);
    return init;
  }

  /**
   * Runs `act` for a call the user made, not for one the OS makes inside another hooked call of
   * the same task (deeper on its stack, or a tail call at the same SP). Returns the handler that
   * ends the call at its return.
   */
  private enter(call: Call, act: () => void): ReturnHandler | undefined {
    const key = call.cpu.ipsr !== 0 ? 'handler mode' : (this.env.currentTask() ?? '');
    const outer = this.active.get(key);
    if (outer !== undefined && call.sp <= outer) return undefined;
    act();
    // No return will be seen for a call without a Thumb return address (CallHooks' rule).
    if (call.lr >>> 0 >= 0xf0000000 || (call.lr & 1) === 0) return undefined;
    const sp = call.sp;
    this.active.set(key, sp);
    return () => {
      if (this.active.get(key) === sp) this.active.delete(key);
    };
  }

  private init(f: ObjectFamily, call: Call): void {
    const addr = call.arg(0);
    if (addr !== 0) this.objects.get(f.name)!.set(addr, { kind: 'initialised' });
  }

  private destroyed(f: ObjectFamily, call: Call): void {
    const addr = call.arg(0);
    if (addr === 0) return;
    const frames = this.env.unwind(call);
    const site = frames.length ? this.env.symbolize(frames[0]!) : 'an unknown site';
    const task = this.env.currentTask();
    this.objects.get(f.name)!.set(addr, { kind: 'destroyed', by: call.name, site, task });
  }

  /** A new heap block: nothing that lay in it before is set up any more. */
  private forget(ptr: number, size: number): void {
    if (ptr === 0) return;
    const end = ptr + size;
    for (const objects of this.objects.values()) {
      for (const addr of objects.keys()) if (addr >= ptr && addr < end) objects.delete(addr);
    }
  }

  private use(f: ObjectFamily, call: Call, argIndex: number): void {
    const addr = call.arg(argIndex);
    if (addr === 0) return;
    const objects = this.objects.get(f.name)!;
    const state = objects.get(addr);
    if (state?.kind === 'destroyed') {
      objects.set(addr, { kind: 'reported' });
      this.reportUseAfterDestroy(f, call, argIndex, state);
      return;
    }
    if (state) return;
    objects.set(addr, { kind: 'checked' }); // once per object
    this.checkedBy[f.name]++;
    const init = this.initializer(f.name);
    const bytes = init.bytes.map((_, i) => this.env.memory.read8(addr + i));
    if (bytes.every((b, i) => init.free.has(i) || b === init.bytes[i])) return; // static init
    const what = this.describe(f, bytes, init);
    const freeNote = init.free.size ? ` (** = any value: ${init.freeWhat})` : '';
    this.report(call, {
      kind: `uninitialised-${f.name}`,
      message: (site) =>
        `${callText(call, argIndex)} at ${site}: this ${f.noun} never went through ${f.init[0]} ` +
        `and its bytes [${fmt(bytes)}] are not ${init.source} [${fmt(init.bytes, init.free)}]` +
        `${freeNote}${what ? `: ${what}` : ''}; ${f.consequence}`,
      data: {
        object: f.name,
        [f.name]: `0x${hex8(addr)}`,
        bytes,
        initializer: init.bytes,
        free: [...init.free],
      },
    });
  }

  private reportUseAfterDestroy(
    f: ObjectFamily,
    call: Call,
    argIndex: number,
    d: Extract<State, { kind: 'destroyed' }>,
  ): void {
    const addr = call.arg(argIndex);
    this.report(call, {
      kind: 'use-after-destroy',
      message: (site) =>
        `${callText(call, argIndex)} at ${site}: this ${f.noun} was destroyed by ${d.by}` +
        `${d.task ? ` in ${d.task}` : ''} at ${d.site} and not initialised again since`,
      data: { object: f.name, [f.name]: `0x${hex8(addr)}`, destroyedBy: d.by, destroyedAt: d.site },
    });
  }

  private report(
    call: Call,
    f: { kind: string; message: (site: string) => string; data: Record<string, unknown> },
  ): void {
    const frames = this.env.unwind(call);
    const site = frames.length ? this.env.symbolize(frames[0]!) : 'an unknown site';
    this.env.findings.add({
      check: 'abi-check',
      kind: f.kind,
      message: f.message(site),
      task: this.env.currentTask(),
      pc: frames[0],
      backtrace: backtraceLines(frames, (pc) => this.env.symbolize(pc)),
      data: f.data,
    });
  }

  /** Something true about bytes that are not the initializer, when they look like something. */
  private describe(
    f: ObjectFamily,
    bytes: readonly (number | undefined)[],
    init: Initializer,
  ): string | undefined {
    if (bytes.every((b) => b === 0)) {
      let s = f.zeros;
      // The mutex a zeroed rwlock starts with: where the OS's initializer puts something else.
      const mutex = f.name === 'rwlock' ? this.families.get('mutex') : undefined;
      if (s && mutex) {
        const m = this.initializer('mutex').bytes;
        if (m.some((b) => b !== 0) && m.every((b, i) => init.bytes[i] === b)) {
          s += `; its first ${m.length} bytes are the pthread_mutex_t inside it, which ${mutex.macro} sets to [${fmt(m)}]`;
        }
      }
      return s;
    }
    const colour =
      bytes.length >= 4 && bytes.every((b, i) => b === (STACK_COLOR >>> (8 * (i % 4))) % 256);
    if (colour) {
      return 'every word is 0xdeadbeef, the stack colour NuttX (CONFIG_STACK_COLOR) fills task stacks with: stack memory nothing wrote';
    }
    let text = 0;
    while (text < bytes.length && printable(bytes[text])) text++;
    if (text >= 4) {
      const s = String.fromCharCode(...(bytes.slice(0, text) as number[]));
      return `its first ${text} bytes read as text ${JSON.stringify(s)}: left there by something else`;
    }
    return undefined;
  }
}

function printable(b: number | undefined): boolean {
  return b !== undefined && b >= 0x20 && b < 0x7f;
}

/** `f(0x...)`, or `f(0x..., 0x...)` when the object is a later argument. */
function callText(call: Call, argIndex: number): string {
  const args: string[] = [];
  for (let i = 0; i <= argIndex; i++) args.push(`0x${hex8(call.arg(i))}`);
  return `${call.name}(${args.join(', ')})`;
}

/** The types whose layout an application and its OS must agree on. */
const SHARED_TYPES = [
  'pthread_mutex_t',
  'pthread_cond_t',
  'pthread_rwlock_t',
  'pthread_attr_t',
  'pthread_mutexattr_t',
  'sem_t',
  'struct sockaddr',
  'struct sockaddr_in',
  'struct timespec',
];
/** Other spellings of them (the test OS renames pthread_mutex_t and pthread_cond_t past newlib's). */
const ALIASES = new Map([
  ['nx_pthread_mutex_t', 'pthread_mutex_t'],
  ['nx_pthread_cond_t', 'pthread_cond_t'],
]);

/**
 * Structure sizes each compilation unit was compiled with (DWARF), compared: every type whose
 * size differs between units is a finding naming each unit and size. Returns the count.
 */
export function checkTypeSizes(
  sections: readonly ElfSection[],
  findings: Findings,
  warn: (message: string) => void,
): number {
  let units;
  try {
    units = typeSizesByUnit(sections, SHARED_TYPES, { aliases: ALIASES });
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    warn(`abi-check: the DWARF type information cannot be read: ${e.message}`);
    return 0;
  }
  const mismatches = compareTypeSizes(units, SHARED_TYPES);
  for (const m of mismatches) {
    const bySize = new Map<number, string[]>();
    for (const { unit, size } of m.sizes) bySize.set(size, [...(bySize.get(size) ?? []), unit]);
    const parts = [...bySize].map(([size, u]) => `${size} bytes in ${u.join(', ')}`);
    findings.add({
      check: 'abi-check',
      kind: 'type-size',
      message: `${m.name} has different sizes across compilation units: ${parts.join('; ')}`,
      data: { type: m.name, sizes: m.sizes },
    });
  }
  return units.length;
}

/** Bytes as hex pairs: `??` where unreadable, `**` where the pattern allows anything. */
function fmt(bytes: readonly (number | undefined)[], free?: ReadonlySet<number>): string {
  return bytes
    .map((b, i) => (free?.has(i) ? '**' : b === undefined ? '??' : b.toString(16).padStart(2, '0')))
    .join(' ');
}
