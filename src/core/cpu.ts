/**
 * Cortex-M4 core state and the interpreter loop. Instruction semantics live in execute/;
 * decode in decode/; exception entry/return in exceptions.ts. Registers sit in a typed array;
 * N Z C V Q are separate fields packed only when xPSR is read.
 */
import { Bus, BusError } from '../bus/bus.js';
import type { Clock } from '../clock/clock.js';
import { conditionPassed } from './alu.js';
import { decodeAt, type DecodeCache } from './decode/cache.js';
import {
  CFSR_BFARVALID,
  CFSR_IBUSERR,
  CFSR_INVSTATE,
  CFSR_PRECISERR,
  CFSR_UNALIGNED,
  CpuFault,
  EXC_BUSFAULT,
  PREEMPT_BEFORE_INSTRUCTION,
} from './faults.js';
import { BREAKPOINT_HIT, BREAKPOINT_STUB, CodePatches, type CodeHook } from './codePatches.js';
import type { Insn } from './insn.js';
import type { ExceptionUnit } from './exceptions.js';
import type { Mpu, MpuView } from './scs/mpu.js';
import type { Jit } from './jit/jit.js';

export type StopReason =
  | 'limit' // cycle or instruction budget reached
  | 'halt' // halt requested (debugger, host)
  | 'breakpoint' // BKPT or a debugger breakpoint
  | 'watchpoint'
  | 'exit' // semihosting exit
  | 'lockup'
  | 'unhandled' // an exception entered a handler that branches to itself
  | 'sleep' // WFI/WFE with nothing to wake it and nothing scheduled
  | 'input'; // a semihosting console read found no input yet (retried once some arrives)

export type { CodeHook } from './codePatches.js';

/** Hooks for BKPT: semihosting, a debugger. Returns true when the BKPT was handled. */
export type BkptHandler = (cpu: Cpu, imm: number) => boolean;

export class Cpu {
  /** R0-R15. r[13] is the active stack pointer; r[15] reads as the instruction address + 4. */
  readonly r = new Uint32Array(16);
  n = 0;
  z = 0;
  c = 0;
  v = 0;
  q = 0;
  /** APSR.GE[3:0]. */
  ge = 0;
  /** EPSR.IT: the 8-bit ITSTATE (0 outside an IT block). */
  it = 0;
  /** EPSR.T. Executing with T=0 raises INVSTATE. */
  t = 1;
  ipsr = 0;
  primask = 0;
  faultmask = 0;
  basepri = 0;
  /** CONTROL: bit0 nPRIV, bit1 SPSEL, bit2 FPCA. */
  control = 0;
  /** The banked stack pointer that is not currently in r[13]. */
  otherSp = 0;

  /** FPU: S0-S31 as raw IEEE 754 single-precision bits (D0-D15 are pairs: D[n] = S[2n+1]:S[2n]). */
  readonly s = new Uint32Array(32);
  /** FPSCR: N Z C V (31:28), AHP DN FZ (26:24), RMode (23:22), cumulative flags IDC..IOC. */
  fpscr = 0;

  /** Address of the instruction being executed (between instructions: of the next one). */
  pc = 0;
  /** Where execution continues after the current instruction. */
  nextPc = 0;

  /** Local exclusive monitor: tagged address or -1 when open. */
  exclusiveAddr = -1;
  /** Set while LDRT/STRT access memory: accesses are checked as unprivileged (see below). */
  unprivilegedAccess = false;

  /** Instructions retired since reset. */
  instructions = 0;
  /** Non-zero asks the run loop to stop the batch and look at pending work. */
  attention = 0;
  /** WFI/WFE executed; the core sleeps until an exception can be taken (or an event). */
  sleeping = false;
  /** WFE's event register. */
  eventRegister = false;
  stopReason: StopReason | null = null;
  bkptHandler: BkptHandler | null = null;
  /** Debugger breakpoints and code hooks, patched into the decode cache (codePatches.ts). */
  readonly patches = new CodePatches(this);
  /** Set by a hook that stands in for the instruction (replaceHookedInstruction). */
  hookReplaced = false;

  exc!: ExceptionUnit;
  /** The block translator, when on (executeBatch runs through it); null: interpreter only. */
  jit: Jit | null = null;
  /** The MPU that checks this core's accesses (attached by the exception unit), if any. */
  mpu: Mpu | null = null;
  readonly cache: DecodeCache;
  /**
   * The decode-cache pages `fetch` looks in: the cache itself while no MPU view is in force,
   * else the view's pages that need no fetch check (`fetchView`); see setFetchView.
   */
  private fetchPages: DecodeCache['pages'];
  private fetchView: MpuView | null = null;

  constructor(
    readonly bus: Bus,
    readonly clock: Clock,
  ) {
    this.cache = { pages: new Array(65536).fill(null) };
    this.fetchPages = this.cache.pages;
    // Every instruction reads and writes these. They hold small integers, but now and then a
    // value an engine keeps unboxed only up to 2^30 or 2^31 (every machine's first reset loads
    // PC 0xFFFFFFFE from the still erased vector table; the IT instruction's immediate comes
    // from a field that also holds large immediates). In V8 one such value turns the field
    // into a boxed double for the rest of the process, and every access into conversions:
    // the interpreter took 1.3-1.5 times as long. A field that has held something other than
    // a number first stays a general one, in which small integers are not boxed.
    const general = null as unknown as number;
    this.pc = this.nextPc = this.it = general;
    this.pc = this.nextPc = this.it = 0;
    bus.onCodeWrite = (addr, size) => this.invalidateCode(addr, size);
  }

  // ---- xPSR ----

  get apsr(): number {
    return (
      ((this.n << 31) |
        (this.z << 30) |
        (this.c << 29) |
        (this.v << 28) |
        (this.q << 27) |
        (this.ge << 16)) >>>
      0
    );
  }

  set apsr(value: number) {
    this.n = (value >>> 31) & 1;
    this.z = (value >>> 30) & 1;
    this.c = (value >>> 29) & 1;
    this.v = (value >>> 28) & 1;
    this.q = (value >>> 27) & 1;
    this.ge = (value >>> 16) & 0xf;
  }

  get epsr(): number {
    const it = this.it;
    return ((this.t << 24) | ((it & 3) << 25) | ((it >>> 2) << 10)) >>> 0;
  }

  get xpsr(): number {
    return (this.apsr | this.epsr | this.ipsr) >>> 0;
  }

  set xpsr(value: number) {
    this.apsr = value;
    this.t = (value >>> 24) & 1;
    this.it = ((value >>> 25) & 3) | (((value >>> 10) & 0x3f) << 2);
    this.ipsr = value & 0x1ff;
  }

  // ---- stack pointers and privilege ----

  /** True when r[13] holds SP_process (thread mode with CONTROL.SPSEL set). */
  get usingPsp(): boolean {
    return this.ipsr === 0 && (this.control & 2) !== 0;
  }

  get msp(): number {
    return this.usingPsp ? this.otherSp : this.r[13]!;
  }
  set msp(v: number) {
    if (this.usingPsp) this.otherSp = v & ~3;
    else this.r[13] = v & ~3;
  }
  get psp(): number {
    return this.usingPsp ? this.r[13]! : this.otherSp;
  }
  set psp(v: number) {
    if (this.usingPsp) this.r[13] = v & ~3;
    else this.otherSp = v & ~3;
  }

  /**
   * Changes IPSR and/or CONTROL.SPSEL, keeping r[13] the active stack pointer. Every mode or
   * SPSEL change goes through here (MSR, exceptions, a debugger's register write), and so the
   * MPU follows the privilege from here.
   */
  setModeAndControl(ipsr: number, control: number): void {
    const wasPsp = this.usingPsp;
    this.ipsr = ipsr;
    this.control = control;
    if (wasPsp !== this.usingPsp) {
      const sp = this.r[13]!;
      this.r[13] = this.otherSp;
      this.otherSp = sp;
    }
    if (this.mpu !== null) this.mpu.sync();
  }

  get privileged(): boolean {
    return this.ipsr !== 0 || (this.control & 1) === 0;
  }

  /** Privilege of the data access being made (LDRT/STRT access as unprivileged). */
  get accessPrivileged(): boolean {
    return !this.unprivilegedAccess && this.privileged;
  }

  /**
   * Brackets the memory access of LDRT/STRT and the like (A7.7: MemU_unpriv): the SCS refuses
   * it as unprivileged, and the MPU checks it with its unprivileged view while it lasts.
   */
  setUnprivilegedAccess(on: boolean): void {
    this.unprivilegedAccess = on;
    if (this.mpu !== null) this.mpu.sync();
  }

  // ---- register writes with the pseudocode's PC/SP semantics ----

  /** R[d] = value for d < 15 (SP writes keep word alignment). */
  setReg(d: number, value: number): void {
    if (d === 13) this.r[13] = value & ~3;
    else if (d === 15) this.aluWritePC(value);
    else this.r[d] = value;
  }

  /** BranchWritePC / ALUWritePC: bit 0 ignored. */
  branchWritePC(address: number): void {
    this.nextPc = (address & ~1) >>> 0;
  }
  aluWritePC(address: number): void {
    this.branchWritePC(address);
  }

  /** BXWritePC: exception return for EXC_RETURN values in handler mode; else interworking. */
  bxWritePC(address: number): void {
    address >>>= 0;
    if (this.ipsr !== 0 && address >>> 28 === 0xf) {
      this.exc.exceptionReturn(address & 0x0fffffff);
      return;
    }
    // T=0 makes the next instruction raise INVSTATE (the M profile has no ARM state).
    this.t = address & 1;
    this.nextPc = (address & ~1) >>> 0;
  }
  loadWritePC(address: number): void {
    this.bxWritePC(address);
  }
  blxWritePC(address: number): void {
    this.t = address & 1;
    this.nextPc = (address & ~1) >>> 0;
  }

  // ---- memory for instructions (MemU / MemA with the CCR traps), through the core's port ----

  memU32(addr: number): number {
    if ((addr & 3) !== 0 && this.exc.unalignTrap) throw new CpuFault(6, CFSR_UNALIGNED);
    return this.bus.coreRead32(addr);
  }
  memU16(addr: number): number {
    if ((addr & 1) !== 0 && this.exc.unalignTrap) throw new CpuFault(6, CFSR_UNALIGNED);
    return this.bus.coreRead16(addr);
  }
  memU8(addr: number): number {
    return this.bus.coreRead8(addr);
  }
  memA32(addr: number): number {
    if ((addr & 3) !== 0) throw new CpuFault(6, CFSR_UNALIGNED);
    return this.bus.coreRead32(addr);
  }
  memA16(addr: number): number {
    if ((addr & 1) !== 0) throw new CpuFault(6, CFSR_UNALIGNED);
    return this.bus.coreRead16(addr);
  }
  writeU32(addr: number, v: number): void {
    if ((addr & 3) !== 0 && this.exc.unalignTrap) throw new CpuFault(6, CFSR_UNALIGNED);
    this.bus.coreWrite32(addr, v);
  }
  writeU16(addr: number, v: number): void {
    if ((addr & 1) !== 0 && this.exc.unalignTrap) throw new CpuFault(6, CFSR_UNALIGNED);
    this.bus.coreWrite16(addr, v);
  }
  writeU8(addr: number, v: number): void {
    this.bus.coreWrite8(addr, v);
  }
  writeA32(addr: number, v: number): void {
    if ((addr & 3) !== 0) throw new CpuFault(6, CFSR_UNALIGNED);
    this.bus.coreWrite32(addr, v);
  }
  writeA16(addr: number, v: number): void {
    if ((addr & 1) !== 0) throw new CpuFault(6, CFSR_UNALIGNED);
    this.bus.coreWrite16(addr, v);
  }

  // ---- execution ----

  setPc(addr: number): void {
    this.pc = (addr & ~1) >>> 0;
    this.nextPc = this.pc;
  }

  /** InITBlock(). */
  inItBlock(): boolean {
    return (this.it & 0xf) !== 0;
  }

  /** LastInITBlock(). */
  lastInItBlock(): boolean {
    return (this.it & 0xf) === 0b1000;
  }

  /** Asks the run loop to stop its batch after the current instruction. */
  requestAttention(): void {
    this.attention = 1;
  }

  /** Executes exactly one instruction (or takes the fault it raises). */
  step(): void {
    if (this.attention !== 0 && this.stopReason === null) this.exc.serviceAttention();
    this.executeBatch(this.instructions + 1, Infinity);
    // Exceptions the instruction made pending (SVC, a write to ICSR...) are taken now.
    if (this.attention !== 0 && this.stopReason === null) this.exc.serviceAttention();
  }

  /**
   * Runs instructions until `instrLimit` instructions have retired, the clock reaches
   * `cycleLimit`, or `attention` is raised. Faults become exceptions here.
   */
  executeBatch(instrLimit: number, cycleLimit: number): void {
    if (this.jit !== null) this.jit.execute(this, instrLimit, cycleLimit);
    else this.interpret(instrLimit, cycleLimit);
  }

  /** executeBatch by the interpreter alone: the reference the block translator must match. */
  interpret(instrLimit: number, cycleLimit: number): void {
    const clock = this.clock;
    const r = this.r;
    for (;;) {
      try {
        while (this.instructions < instrLimit && clock.cycles < cycleLimit) {
          const pc = this.pc;
          const insn = this.fetch(pc);
          r[15] = pc + 4;
          this.nextPc = (pc + insn.size) >>> 0;
          const it = this.it;
          if (it === 0) {
            insn.exec(this, insn);
          } else {
            // A debugger breakpoint stops even on an instruction whose condition fails.
            if (conditionPassed(this, it >>> 4) || insn === BREAKPOINT_STUB) insn.exec(this, insn);
            // ITAdvance, unless this instruction itself started the block or branched away
            // through an exception return (which restored ITSTATE from the frame).
            if (this.it === it) {
              this.it = (it & 7) === 0 ? 0 : (it & 0xe0) | ((it << 1) & 0x1f);
            }
          }
          this.pc = this.nextPc;
          this.instructions++;
          clock.cycles += insn.cycles;
          if (this.attention !== 0) return;
        }
        return;
      } catch (e) {
        if (e === BREAKPOINT_HIT) {
          // Halted before the instruction: PC, ITSTATE and time unchanged.
          this.nextPc = this.pc;
          this.stopReason = 'breakpoint';
          this.attention = 1;
          return;
        }
        this.faultInBatch(e);
        if (this.attention !== 0) return;
      }
    }
  }

  /** An instruction raised `e` (a fault, a preemption): it costs a cycle and is taken. */
  faultInBatch(e: unknown): void {
    this.instructions++;
    this.clock.cycles += 1;
    this.takeFault(e);
  }

  private takeFault(e: unknown): void {
    if (e === PREEMPT_BEFORE_INSTRUCTION) {
      this.nextPc = this.pc;
      if (this.stopReason !== 'lockup') this.exc.takePending();
      this.pc = this.nextPc;
      return;
    }
    let fault: CpuFault;
    if (e instanceof CpuFault) fault = e;
    else if (e instanceof BusError) {
      fault = new CpuFault(EXC_BUSFAULT, CFSR_PRECISERR | CFSR_BFARVALID, e.address);
    } else throw e;
    // Precise: the faulting instruction's address is the return address; ITSTATE unchanged.
    this.nextPc = this.pc;
    this.exc.raiseFault(fault, e instanceof BusError ? e : null);
    this.pc = this.nextPc;
  }

  /** Fetches and decodes (once) the instruction at `pc`. */
  fetch(pc: number): Insn {
    const page = this.fetchPages[pc >>> 16];
    if (page != null) {
      const insn = page[(pc & 0xffff) >>> 1];
      if (insn !== undefined && this.t === 1) return insn;
    }
    return this.fetchSlow(pc);
  }

  /** The instruction at `pc` as `fetch` would give it, or null where fetching it faults. */
  peekDecoded(pc: number): Insn | null {
    try {
      return this.fetch(pc);
    } catch (e) {
      if (e instanceof CpuFault || e instanceof BusError) return null;
      throw e;
    }
  }

  /** True for a debugger breakpoint's stub or a hooked copy (never part of a longer block). */
  isBreakpointOrHook(insn: Insn): boolean {
    return this.patches.isPatch(insn);
  }

  /** True when fetches from `pc`'s 64 KB page need no check (the whole page is executable). */
  fetchableBlock(pc: number): boolean {
    return this.fetchPages[pc >>> 16] != null;
  }

  /** Cache miss (kept out of fetch so the hot path stays small enough to inline). */
  private fetchSlow(pc: number): Insn {
    if (this.t === 0) throw new CpuFault(6, CFSR_INVSTATE);
    const view = this.fetchView;
    if (view === null) this.exc.checkExecutable(pc);
    else {
      // The MPU decides (IACCVIOL): then the instruction may already be decoded.
      view.checkFetch(pc);
      const decoded = this.cache.pages[pc >>> 16];
      const cached = decoded != null ? decoded[(pc & 0xffff) >>> 1] : undefined;
      if (cached !== undefined) {
        if (cached.size === 4) view.checkFetch((pc + 2) >>> 0);
        view.fillFetch(pc >>> 16, decoded!);
        return cached;
      }
    }
    let insn: Insn;
    const bus = this.bus;
    bus.watchSuppressed = true; // instruction fetches are not data accesses
    try {
      insn = decodeAt(this, pc);
    } catch (e) {
      if (e instanceof BusError) throw new CpuFault(EXC_BUSFAULT, CFSR_IBUSERR);
      throw e;
    } finally {
      bus.watchSuppressed = false;
    }
    if (insn.size === 4 && (pc & 0xffff) === 0xfffe && this.mpu !== null) {
      this.mpu.dropFetchPage(pc >>> 16); // its second halfword is in the next page
    }
    if (view !== null) {
      if (insn.size === 4) view.checkFetch((pc + 2) >>> 0);
      view.fillFetch(pc >>> 16, this.cache.pages[pc >>> 16]!);
    }
    return this.patches.patch(pc, insn);
  }

  // ---- code hooks (diagnostics) and debugger breakpoints: state in codePatches.ts ----

  /**
   * Calls `hook` each time the instruction at `addr` is about to execute (after its IT
   * condition passed), before it executes. Returns a function that removes the hook. Hooks
   * added from inside a hook take effect from the next execution of their address.
   */
  addCodeHook(addr: number, hook: CodeHook): () => void {
    return this.patches.addCodeHook(addr, hook);
  }

  /** Whether any code hook is set (the diagnostics' cost check). */
  get codeHookCount(): number {
    return this.patches.codeHookCount;
  }

  /** Runs the hooks of `addr` (from a hooked instruction). */
  runCodeHooks(addr: number): void {
    this.patches.runCodeHooks(addr);
  }

  /**
   * Called from a code hook: the original instruction does not execute; what the hook did
   * (an FPB breakpoint's debug event, which sets nextPc) stands in for it.
   */
  replaceHookedInstruction(): void {
    this.hookReplaced = true;
  }

  /** The decoded instruction a hooked copy stands for. */
  hookedOriginal(addr: number): Insn {
    return this.patches.hookedOriginal(addr);
  }

  /** Debugger breakpoint addresses (halfword aligned). */
  get breakpoints(): ReadonlySet<number> {
    return this.patches.breakpoints;
  }

  /** Sets a breakpoint: the core stops (reason 'breakpoint') before executing at `addr`. */
  addBreakpoint(addr: number): void {
    this.patches.addBreakpoint(addr);
  }

  removeBreakpoint(addr: number): void {
    this.patches.removeBreakpoint(addr);
  }

  /**
   * Lets the instruction at a breakpoint address execute while `suspended` is true (resuming
   * from a breakpoint executes the original instruction once).
   */
  suspendBreakpoint(addr: number, suspended: boolean): void {
    this.patches.suspendBreakpoint(addr, suspended);
  }

  /** Drops translated blocks over [addr, addr + size); the running one stops after this insn. */
  invalidateTranslated(addr: number, size: number): void {
    if (this.jit !== null && this.jit.invalidate(addr, size)) this.attention = 1;
  }

  /** Disassembly of the instruction at `pc` (decoding it if needed), for traces. */
  fetchForTrace(pc: number): string {
    try {
      const insn = this.fetch(pc);
      return insn.encoding.asm(insn);
    } catch {
      return '<cannot fetch>';
    }
  }

  invalidateCode(addr: number, size: number): void {
    const first = (addr - 2) >>> 0;
    for (let a = first; a < addr + size; a += 2) {
      const page = this.cache.pages[a >>> 16];
      if (page != null) page[(a & 0xffff) >>> 1] = undefined;
    }
    this.invalidateTranslated(first, addr + size - first);
  }

  /** Drops every decoded instruction (flash programming, memory remap). */
  invalidateAll(): void {
    this.cache.pages.fill(null);
    this.bus.codePages.fill(0);
    if (this.mpu !== null) this.mpu.clearFetch();
    if (this.jit !== null && this.jit.flush()) this.attention = 1;
  }

  /**
   * The MPU view in force for fetches (null: none, the default map's XN only). Called by the
   * MPU whenever the view changes; the decode cache itself is kept.
   */
  setFetchView(view: MpuView | null): void {
    // A translated block assumed the old view: it ends after the current instruction.
    if (view !== this.fetchView) this.attention = 1;
    this.fetchView = view;
    this.fetchPages = view === null ? this.cache.pages : view.fetchPages;
  }

  conditionPassed(cond: number): boolean {
    return conditionPassed(this, cond);
  }
}
