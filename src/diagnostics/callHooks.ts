/**
 * Function call hooks by ELF symbol: `enter` runs at a function's first instruction with its
 * arguments (AAPCS), and may return a handler that runs when that call returns, with the
 * return value. Built on the core's code hooks, so code without hooks runs exactly as before
 * and a hook never changes the guest's state, output or cycle count.
 *
 * A return is recognised at the caller's return address (LR at entry) when SP is back to its
 * value at entry: AAPCS callees restore SP, and recursion or another task reaching the same
 * address has a different SP. A call that never returns that way (longjmp, a task deleted
 * inside it) leaves a pending return behind: they are bounded (MAX_PENDING, oldest dropped).
 */
import type { Cpu } from '../core/cpu.js';
import type { SymbolTable } from '../loader/elf.js';

/** Pending returns kept at most; beyond, the oldest is forgotten. */
export const MAX_PENDING = 4096;

/** A function call at its first instruction. */
export interface Call {
  /** The hooked function's name. */
  readonly name: string;
  /** Its entry address (where the hook ran). */
  readonly pc: number;
  readonly cpu: Cpu;
  /** SP at entry (the caller's SP; stack arguments start here). */
  readonly sp: number;
  /** The return address (LR at entry, Thumb bit included). */
  readonly lr: number;
  /** Argument word i under AAPCS: r0-r3, then the stack at SP, SP+4, ... */
  arg(i: number): number;
  /** Single-precision argument i under the hard-float variant (s0-s15), as raw bits. */
  floatArg(i: number): number;
}

export interface Return {
  /** r0 (r1:r0 for 64-bit results). */
  readonly r0: number;
  readonly r1: number;
  /** s0 as raw bits (hard-float results). */
  readonly s0: number;
  /** The call this return ends. */
  readonly call: Call;
}

export type ReturnHandler = (ret: Return) => void;
export type EnterHandler = (call: Call) => ReturnHandler | void;

interface Pending {
  sp: number;
  call: Call;
  handler: ReturnHandler;
  /** Which hook (hookAddress call) expects it. */
  hook: number;
}

export class CallHooks {
  private readonly removers: Array<() => void> = [];
  /** Pending returns by return address. */
  private readonly pending = new Map<number, Pending[]>();
  private readonly returnHookRemovers = new Map<number, () => void>();
  private pendingCount = 0;
  private nextHook = 0;
  /** Pending returns dropped because of the bound. */
  dropped = 0;

  constructor(
    private readonly cpu: Cpu,
    private readonly symbols: SymbolTable,
  ) {}

  /**
   * Hooks the function named `name` (an ELF function symbol). Returns false when the image has
   * no such function.
   */
  hook(name: string, enter: EnterHandler): boolean {
    const sym = this.symbols.lookup(name);
    if (!sym || sym.type !== 2) return false;
    this.hookAddress(sym.value, name, enter);
    return true;
  }

  /** Hooks the function at `addr` under the given name. */
  hookAddress(addr: number, name: string, enter: EnterHandler): void {
    const hook = this.nextHook++;
    this.removers.push(
      this.cpu.addCodeHook(addr, (cpu) => {
        const call = makeCall(name, cpu);
        const handler = enter(call);
        if (handler) this.expectReturn(call, handler, hook);
      }),
    );
  }

  get pendingReturns(): number {
    return this.pendingCount;
  }

  /** Removes every hook this object set. */
  dispose(): void {
    for (const remove of this.removers) remove();
    for (const remove of this.returnHookRemovers.values()) remove();
    this.removers.length = 0;
    this.returnHookRemovers.clear();
    this.pending.clear();
    this.pendingCount = 0;
  }

  private expectReturn(call: Call, handler: ReturnHandler, hook: number): void {
    const lr = call.lr;
    // Called as an exception handler (EXC_RETURN in LR) or with no return address: no return.
    if (lr >>> 0 >= 0xf0000000 || (lr & 1) === 0) return;
    const at = (lr & ~1) >>> 0;
    let list = this.pending.get(at);
    if (!list) {
      list = [];
      this.pending.set(at, list);
      this.returnHookRemovers.set(
        at,
        this.cpu.addCodeHook(at, (cpu) => this.returned(at, cpu)),
      );
    }
    // The same call seen again by the same hook (its first instruction faulted and ran twice):
    // one return. Another hook on the same function (another check) has its own.
    const same = list.findIndex((p) => p.sp === call.sp && p.hook === hook);
    if (same >= 0) list.splice(same, 1);
    else this.pendingCount++;
    list.push({ sp: call.sp, call, handler, hook });
    if (this.pendingCount > MAX_PENDING) this.dropOldest();
  }

  private returned(at: number, cpu: Cpu): void {
    const list = this.pending.get(at);
    if (!list) return;
    const sp = cpu.r[13]!;
    // Innermost first: a tail call's callee and its caller return together.
    for (let i = list.length - 1; i >= 0; i--) {
      const p = list[i]!;
      if (p.sp !== sp) continue;
      list.splice(i, 1);
      this.pendingCount--;
      p.handler({ r0: cpu.r[0]!, r1: cpu.r[1]!, s0: cpu.s[0]!, call: p.call });
    }
    if (list.length === 0) this.forget(at);
  }

  private forget(at: number): void {
    this.pending.delete(at);
    this.returnHookRemovers.get(at)?.();
    this.returnHookRemovers.delete(at);
  }

  private dropOldest(): void {
    // Map iteration order is insertion order: the first list holds the oldest address.
    for (const [at, list] of this.pending) {
      list.shift();
      this.pendingCount--;
      this.dropped++;
      if (list.length === 0) this.forget(at);
      return;
    }
  }
}

function makeCall(name: string, cpu: Cpu): Call {
  const sp = cpu.r[13]!;
  const r0 = cpu.r[0]!;
  const r1 = cpu.r[1]!;
  const r2 = cpu.r[2]!;
  const r3 = cpu.r[3]!;
  const s = cpu.s.slice(0, 16);
  return {
    name,
    pc: cpu.pc,
    cpu,
    sp,
    lr: cpu.r[14]!,
    arg(i: number): number {
      switch (i) {
        case 0:
          return r0;
        case 1:
          return r1;
        case 2:
          return r2;
        case 3:
          return r3;
      }
      const addr = (sp + 4 * (i - 4)) >>> 0;
      let v = 0;
      for (let b = 3; b >= 0; b--) v = v * 256 + (cpu.bus.peek8((addr + b) >>> 0) ?? 0);
      return v >>> 0;
    },
    floatArg: (i: number) => s[i] ?? 0,
  };
}
