/**
 * --abi-check: a pthread mutex used (locked, tried, unlocked) without ever having gone through
 * pthread_mutex_init, whose bytes are not the OS's PTHREAD_MUTEX_INITIALIZER either, is
 * reported at the call with both byte patterns — the talk's hang: Rust's libc bindings
 * initialised NuttX mutexes with Linux's layout (all zeros), which NuttX reads as a mutex
 * already held. Each mutex is reported once.
 *
 * The initializer is the image's own when it exports it (`g_pthread_mutex_initializer`, as the
 * project's test OS does), otherwise NuttX's for the stm32f4discovery defaults (abi/nuttx.ts).
 */
import type { SymbolTable } from '../loader/elf.js';
import type { ElfSection } from '../loader/elfSections.js';
import { compareTypeSizes, typeSizesByUnit } from '../loader/dwarfTypes.js';
import { ImageError } from '../loader/elf.js';
import { NUTTX_PTHREAD_MUTEX_INITIALIZER } from './abi/nuttx.js';
import type { Call, CallHooks } from './callHooks.js';
import { backtraceLines, hex8, type Findings } from './findings.js';
import type { GuestMemory } from './guestMemory.js';

const USES = ['pthread_mutex_lock', 'pthread_mutex_trylock', 'pthread_mutex_timedlock'];
const USES_TOO = ['pthread_mutex_unlock'];

export interface AbiCheckEnvironment {
  hooks: CallHooks;
  symbols: SymbolTable;
  memory: GuestMemory;
  findings: Findings;
  currentTask(): string | undefined;
  unwind(call: Call): number[];
  symbolize(pc: number): string;
}

export class AbiCheck {
  /** Mutexes that went through pthread_mutex_init (or were checked already). */
  private readonly known = new Set<number>();
  private ownInitializer: number[] | undefined;
  checked = 0;

  constructor(private readonly env: AbiCheckEnvironment) {
    env.hooks.hook('pthread_mutex_init', (call) => void this.known.add(call.arg(0)));
    env.hooks.hook('pthread_mutex_destroy', (call) => void this.known.delete(call.arg(0)));
    for (const name of [...USES, ...USES_TOO]) {
      env.hooks.hook(name, (call) => this.use(name, call));
    }
  }

  /** Read at first use: an initializer in .data is in place only once the startup ran. */
  get initializer(): readonly number[] {
    if (this.ownInitializer === undefined) {
      const own = this.env.symbols.lookup('g_pthread_mutex_initializer');
      const bytes: number[] = [];
      if (own && own.size > 0 && own.size <= 64) {
        for (let i = 0; i < own.size; i++) bytes.push(this.env.memory.read8(own.value + i) ?? 0);
      }
      this.ownInitializer = bytes;
    }
    return this.ownInitializer.length ? this.ownInitializer : NUTTX_PTHREAD_MUTEX_INITIALIZER;
  }

  get initializerSource(): string {
    return this.initializer === NUTTX_PTHREAD_MUTEX_INITIALIZER
      ? "NuttX's PTHREAD_MUTEX_INITIALIZER"
      : "the image's PTHREAD_MUTEX_INITIALIZER (g_pthread_mutex_initializer)";
  }

  private use(name: string, call: Call): void {
    const addr = call.arg(0);
    if (addr === 0 || this.known.has(addr)) return;
    this.known.add(addr); // once per mutex
    this.checked++;
    const bytes = this.initializer.map((_, i) => this.env.memory.read8(addr + i));
    if (bytes.every((b, i) => b === this.initializer[i])) return; // statically initialised
    const allZero = bytes.every((b) => b === 0);
    const linux = allZero
      ? ": all zeros is Linux's (glibc's) PTHREAD_MUTEX_INITIALIZER, the layout Rust's libc crate used"
      : '';
    const frames = this.env.unwind(call);
    const site = frames.length ? this.env.symbolize(frames[0]!) : 'an unknown site';
    this.env.findings.add({
      check: 'abi-check',
      kind: 'uninitialised-mutex',
      message:
        `${name}(0x${hex8(addr)}) at ${site}: this mutex never went through pthread_mutex_init ` +
        `and its bytes [${fmt(bytes)}] are not ${this.initializerSource} [${fmt(this.initializer)}]` +
        `${linux}; the OS may see it as held`,
      task: this.env.currentTask(),
      pc: frames[0],
      backtrace: backtraceLines(frames, (pc) => this.env.symbolize(pc)),
      data: { mutex: `0x${hex8(addr)}`, bytes, initializer: this.initializer },
    });
  }
}

/** The types whose layout an application and its OS must agree on. */
const SHARED_TYPES = [
  'pthread_mutex_t',
  'pthread_cond_t',
  'pthread_attr_t',
  'pthread_mutexattr_t',
  'sem_t',
  'struct sockaddr',
  'struct sockaddr_in',
  'struct timespec',
];
/** Other spellings of them (the test OS renames pthread_mutex_t past newlib's). */
const ALIASES = new Map([['nx_pthread_mutex_t', 'pthread_mutex_t']]);

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

function fmt(bytes: readonly (number | undefined)[]): string {
  return bytes.map((b) => (b === undefined ? '??' : b.toString(16).padStart(2, '0'))).join(' ');
}
