/**
 * Debugger breakpoints and code hooks (the diagnostics' call hooks, the FPB's and the debug
 * monitor's PC comparators), patched into the core's decode cache instead of memory: a
 * breakpoint's address holds a stub that stops the batch before the instruction, a hooked
 * address a copy of the decoded instruction that runs the hooks first. Memory is never written
 * and code without them pays nothing: the core's fetch finds them only on a decode-cache miss
 * (Cpu.fetchSlow asks `patch`). Adding or removing one drops the decoded instruction and the
 * translated blocks over it. The core's methods of the same names (addBreakpoint, addCodeHook...)
 * are the interface; this is their state.
 */
import type { Cpu } from './cpu.js';
import { decodeAt } from './decode/cache.js';
import { Insn, type Encoding } from './insn.js';

/** Thrown by the breakpoint stub: the batch ends before the instruction, nothing retired. */
export const BREAKPOINT_HIT = { breakpoint: true } as const;

function breakpointExec(): void {
  throw BREAKPOINT_HIT;
}

const breakpointEncoding: Encoding = {
  name: 'debugger breakpoint',
  size: 16,
  mask: 0,
  value: 0,
  decode: () => {},
  exec: breakpointExec,
  asm: () => '<debugger breakpoint>',
};

/**
 * Stands in the decode cache at each debugger breakpoint address: memory is never written, and
 * the fast path pays nothing when no breakpoint is set.
 */
export const BREAKPOINT_STUB = new Insn(breakpointEncoding, breakpointExec);

/**
 * Runs before the instruction at a hooked address executes (see Cpu.addCodeHook): the
 * diagnostics' call hooks. It sees the state the instruction will see; it may read memory,
 * add or remove hooks, or ask the run loop to stop (requestStop).
 */
export type CodeHook = (cpu: Cpu) => void;

/**
 * A hooked instruction is a copy of the decoded one whose exec runs the address's hooks, then
 * the original: the decode cache holds it in the original's place, so unhooked code pays
 * nothing and memory is never written (as with debugger breakpoints).
 */
function hookedExec(cpu: Cpu, i: Insn): void {
  cpu.runCodeHooks(i.addr);
  if (cpu.hookReplaced) {
    cpu.hookReplaced = false; // a hook took a debug event in the instruction's place (FPB)
    return;
  }
  const original = cpu.hookedOriginal(i.addr);
  original.exec(cpu, original);
}

export class CodePatches {
  /** Debugger breakpoint addresses (halfword aligned); see addBreakpoint. */
  readonly breakpoints = new Set<number>();
  /** A breakpoint address whose instruction executes once (resuming from it), or -1. */
  private breakpointSuspended = -1;
  /** Code hooks by halfword-aligned address; see addCodeHook. */
  private readonly codeHooks = new Map<number, CodeHook[]>();
  /** The decoded instruction behind each hooked copy in the cache. */
  private readonly hookedOriginals = new Map<number, Insn>();

  constructor(private readonly cpu: Cpu) {}

  /** True for a debugger breakpoint's stub or a hooked copy (never part of a longer block). */
  isPatch(insn: Insn): boolean {
    return insn === BREAKPOINT_STUB || insn.exec === hookedExec;
  }

  /**
   * The instruction the decode cache holds at `pc` for `insn`, just decoded there: the
   * breakpoint stub, a hooked copy, or `insn` itself.
   */
  patch(pc: number, insn: Insn): Insn {
    const pages = this.cpu.cache.pages;
    if (
      this.breakpoints.size !== 0 &&
      this.breakpoints.has(pc) &&
      pc !== this.breakpointSuspended
    ) {
      pages[pc >>> 16]![(pc & 0xffff) >>> 1] = BREAKPOINT_STUB;
      return BREAKPOINT_STUB;
    }
    if (this.codeHooks.size !== 0 && this.codeHooks.has(pc)) {
      const hooked = new Insn(insn.encoding, hookedExec);
      Object.assign(hooked, insn);
      hooked.exec = hookedExec;
      this.hookedOriginals.set(pc, insn);
      pages[pc >>> 16]![(pc & 0xffff) >>> 1] = hooked;
      return hooked;
    }
    return insn;
  }

  // ---- code hooks (diagnostics) ----

  /** See Cpu.addCodeHook. */
  addCodeHook(addr: number, hook: CodeHook): () => void {
    addr = (addr & ~1) >>> 0;
    const list = this.codeHooks.get(addr);
    if (list) list.push(hook);
    else {
      this.codeHooks.set(addr, [hook]);
      this.dropDecoded(addr); // decoded again, hooked, on its next fetch
    }
    return () => this.removeCodeHook(addr, hook);
  }

  private removeCodeHook(addr: number, hook: CodeHook): void {
    const list = this.codeHooks.get(addr);
    const at = list ? list.indexOf(hook) : -1;
    if (!list || at < 0) return;
    list.splice(at, 1);
    if (list.length !== 0) return;
    this.codeHooks.delete(addr);
    this.hookedOriginals.delete(addr);
    this.dropDecoded(addr);
  }

  /** How many addresses have code hooks (the diagnostics' cost check). */
  get codeHookCount(): number {
    return this.codeHooks.size;
  }

  /** Runs the hooks of `addr` (from a hooked instruction). */
  runCodeHooks(addr: number): void {
    const list = this.codeHooks.get(addr);
    if (!list) return;
    // A copy: a hook may remove itself or add others at this address.
    for (const hook of list.length === 1 ? list : list.slice()) hook(this.cpu);
  }

  /** The decoded instruction a hooked copy stands for. */
  hookedOriginal(addr: number): Insn {
    const insn = this.hookedOriginals.get(addr);
    if (insn) return insn;
    // The hook was removed while its copy was executing: decode the original again.
    this.dropDecoded(addr);
    return decodeAt(this.cpu, addr);
  }

  /** Forgets the decoded instruction at `addr` unless a breakpoint stub stands there. */
  private dropDecoded(addr: number): void {
    const page = this.cpu.cache.pages[addr >>> 16];
    if (page != null && page[(addr & 0xffff) >>> 1] !== BREAKPOINT_STUB) {
      page[(addr & 0xffff) >>> 1] = undefined;
    }
    this.cpu.invalidateTranslated(addr, 2);
  }

  // ---- debugger breakpoints ----

  /** See Cpu.addBreakpoint. */
  addBreakpoint(addr: number): void {
    addr = (addr & ~1) >>> 0;
    this.breakpoints.add(addr);
    const page = this.cpu.cache.pages[addr >>> 16];
    // Installed now when decoded; otherwise the fetch slow path installs it.
    if (page != null && page[(addr & 0xffff) >>> 1] !== undefined) {
      page[(addr & 0xffff) >>> 1] = BREAKPOINT_STUB;
    }
    this.cpu.invalidateTranslated(addr, 2);
  }

  removeBreakpoint(addr: number): void {
    addr = (addr & ~1) >>> 0;
    this.breakpoints.delete(addr);
    const page = this.cpu.cache.pages[addr >>> 16];
    if (page != null && page[(addr & 0xffff) >>> 1] === BREAKPOINT_STUB) {
      page[(addr & 0xffff) >>> 1] = undefined; // decoded again on the next fetch
    }
    this.cpu.invalidateTranslated(addr, 2);
  }

  /** See Cpu.suspendBreakpoint. */
  suspendBreakpoint(addr: number, suspended: boolean): void {
    addr = (addr & ~1) >>> 0;
    if (!this.breakpoints.has(addr)) return;
    if (suspended) {
      this.removeBreakpoint(addr);
      this.breakpoints.add(addr);
      this.breakpointSuspended = addr;
    } else {
      this.breakpointSuspended = -1;
      this.addBreakpoint(addr);
    }
  }
}
