/**
 * The ARMv7-M exception model (B1.5): priorities and masking, exception entry (PushStack,
 * ExceptionTaken), return (ExceptionReturn, PopStack), tail-chaining, fault escalation to
 * HardFault and lockup. Pending/active state lives in the Nvic; fault status in the Scb.
 */
import { BusError } from '../bus/bus.js';
import type { Cpu } from './cpu.js';
import {
  CFSR_IACCVIOL as CFSR_IACCVIOL_DEFAULT_MAP,
  CFSR_INVPC,
  CFSR_LSPERR,
  CFSR_MLSPERR,
  CFSR_MMARVALID,
  CFSR_MSTKERR,
  CFSR_MUNSTKERR,
  CFSR_STKERR,
  CFSR_UNSTKERR,
  CpuFault,
  EXC_BUSFAULT,
  EXC_DEBUGMONITOR,
  EXC_HARDFAULT,
  EXC_MEMMANAGE,
  EXC_NMI,
  EXC_SVCALL,
  EXC_USAGEFAULT,
  HFSR_DEBUGEVT,
  HFSR_FORCED,
  HFSR_VECTTBL,
  PREEMPT_BEFORE_INSTRUCTION,
  exceptionName,
} from './faults.js';
import type { Nvic } from './scs/nvic.js';
import type { Scb } from './scs/scb.js';

const CONTROL_FPCA = 4;
/** DFSR.BKPT (C1.6.1): a breakpoint debug event. */
const DFSR_BKPT = 1 << 1;
const FPCCR_ASPEN = 0x80000000;
const FPCCR_LSPEN = 0x40000000;
const FPCCR_LSPACT = 1;
const FPCCR_USER = 1 << 1;
const FPCCR_HFRDY = 1 << 4;
const FPCCR_MMRDY = 1 << 5;
const FPCCR_BFRDY = 1 << 6;
/** FPCCR bits recorded at exception entry: LSPACT USER THREAD HFRDY MMRDY BFRDY MONRDY. */
const FPCCR_STATE_BITS = 0x17b;

export interface LockupInfo {
  pc: number;
  reason: string;
}

/**
 * What a diagnostic log (src/diagnostics/log.ts) sees of the exception model. Called only on
 * the rare paths (entry, return, faults, lockup), each behind one null check, so a machine with
 * no observer pays nothing.
 */
export interface ExceptionObserver {
  /** Exception `n` was entered: the handler starts at cpu.pc; it interrupted `returnAddress`. */
  entered(n: number, returnAddress: number): void;
  /** Exception `n` returned; execution resumes at `pc` (thread mode when cpu.ipsr is 0). */
  returned(n: number, pc: number): void;
  /**
   * A fault was raised (before it is taken or escalated); `busError` is the access nothing
   * answered when a bus error caused it (data access, stacking or unstacking).
   */
  faulted(fault: CpuFault, busError: BusError | null): void;
  lockedUp(info: LockupInfo): void;
}

export class ExceptionUnit {
  lockup: LockupInfo | null = null;
  /** The frame as exceptionReturn reads it (basic, then S0-S15 and FPSCR), before any change. */
  private readonly popped = new Uint32Array(25);
  private svcEscalation = false;
  /**
   * Called when an exception enters a handler that is a branch to itself (`b .`, the usual
   * default handler): the program can never leave it, so a host may stop and report instead of
   * spinning until a timeout.
   */
  onSpinningHandler: ((exception: number) => void) | null = null;
  /** Called when the core enters lockup (the machine stops and reports it). */
  onLockup: (info: LockupInfo) => void = () => {};
  /** A diagnostic log watching exceptions, or null (the usual case). */
  observer: ExceptionObserver | null = null;
  /**
   * Called after each completed exception return with the full EXC_RETURN value (0xFFFFFFFD:
   * back to thread mode on the process stack, whose SP cpu.r[13] now holds), or null. Checked
   * once per return, never per instruction: --stack-check learns task stacks from it.
   */
  onExceptionReturn: ((excReturn: number) => void) | null = null;
  /** Called after a completed return from DebugMonitor (DEMCR.MON_STEP: scs/debugMonitor.ts). */
  onDebugMonitorReturn: (() => void) | null = null;

  constructor(
    private readonly cpu: Cpu,
    readonly nvic: Nvic,
    readonly scb: Scb,
  ) {
    nvic.onChange = () => cpu.requestAttention();
    scb.mpu.attach(cpu, this, cpu.bus);
  }

  get unalignTrap(): boolean {
    return this.scb.unalignTrap;
  }
  get divideByZeroTrap(): boolean {
    return this.scb.divideByZeroTrap;
  }

  /** ExecutionPriority(): the current group priority, with PRIMASK/FAULTMASK/BASEPRI boosts. */
  executionPriority(ignorePrimask = false): number {
    const cpu = this.cpu;
    let prio = this.nvic.activePriority();
    if (cpu.basepri !== 0) prio = Math.min(prio, this.nvic.groupPriority(cpu.basepri));
    if (cpu.primask !== 0 && !ignorePrimask) prio = Math.min(prio, 0);
    if (cpu.faultmask !== 0) prio = Math.min(prio, -1);
    return prio;
  }

  /**
   * Takes the highest pending exception if it can preempt (called between instructions, on
   * attention). Returns true when an exception was entered. Also wakes a sleeping core.
   */
  takePending(): boolean {
    if (!this.nvic.anyPending()) return false;
    const n = this.nvic.highestPending();
    if (n === 0) return false;
    const group = this.nvic.groupPriority(this.nvic.priority[n]!);
    if (group < this.executionPriority()) {
      this.cpu.sleeping = false;
      this.exceptionEntry(n, this.cpu.pc);
      return true;
    }
    // WFI wakes for an interrupt that would preempt were PRIMASK clear.
    if (this.cpu.sleeping && group < this.executionPriority(true)) this.cpu.sleeping = false;
    return false;
  }

  /** SVC: synchronous, so it escalates to HardFault when SVCall cannot be taken now. */
  svc(): void {
    const prio = this.nvic.groupPriority(this.nvic.priority[EXC_SVCALL]!);
    if (prio >= this.executionPriority()) {
      // Escalated after the SVC completes (IT state advanced, return address = next insn).
      this.svcEscalation = true;
      this.cpu.requestAttention();
      return;
    }
    this.nvic.setPending(EXC_SVCALL);
  }

  /**
   * Synchronous fault from an instruction: record status, take the handler or escalate.
   * `busError` is the failed access behind a data bus fault (for the diagnostic log only).
   */
  raiseFault(fault: CpuFault, busError: BusError | null = null): void {
    if (this.observer !== null) this.observer.faulted(fault, busError);
    const scb = this.scb;
    const n = fault.exception;
    if (n === EXC_MEMMANAGE && fault.address >= 0) {
      scb.mmfar = fault.address >>> 0;
      scb.cfsr |= CFSR_MMARVALID;
    }
    if (n === EXC_BUSFAULT && fault.address >= 0) scb.bfar = fault.address >>> 0;
    scb.cfsr |= fault.cfsrBit;
    const enabled = this.nvic.enabled[n] === 1;
    const prio = this.nvic.groupPriority(this.nvic.priority[n]!);
    if (n !== EXC_HARDFAULT && enabled && prio < this.executionPriority()) {
      this.exceptionEntry(n, this.cpu.pc);
      return;
    }
    this.escalate(`${exceptionName(n)} cannot be taken`);
  }

  /** Escalation to HardFault (HFSR.FORCED), or lockup when HardFault cannot preempt. */
  private escalate(why: string): void {
    if (this.executionPriority() <= -1) {
      this.enterLockup(`${why} while at priority ${this.executionPriority()} (HardFault/NMI)`);
      return;
    }
    this.scb.hfsr |= HFSR_FORCED;
    this.exceptionEntry(EXC_HARDFAULT, this.cpu.pc);
  }

  /**
   * A breakpoint debug event (a BKPT, or an FPB breakpoint) with no halting debugger (not
   * claimed by semihosting or GDB), C1.7: with DEMCR.MON_EN it is the DebugMonitor exception
   * when that can preempt; otherwise it escalates to HardFault with HFSR.DEBUGEVT. DFSR.BKPT
   * records it; the breakpoint's address is the return address.
   */
  debugEvent(why: string): void {
    const cpu = this.cpu;
    cpu.nextPc = cpu.pc;
    this.scb.dfsr |= DFSR_BKPT;
    const monitorPriority = this.nvic.groupPriority(this.nvic.priority[EXC_DEBUGMONITOR]!);
    if (this.scb.monitorEnabled && monitorPriority < this.executionPriority()) {
      this.exceptionEntry(EXC_DEBUGMONITOR, cpu.pc);
      return;
    }
    if (this.executionPriority() <= -1) {
      this.enterLockup(`${why} in HardFault/NMI with no debugger`);
      return;
    }
    this.scb.hfsr |= HFSR_DEBUGEVT;
    this.exceptionEntry(EXC_HARDFAULT, cpu.pc);
  }

  enterLockup(reason: string): void {
    const cpu = this.cpu;
    this.lockup = { pc: cpu.pc, reason };
    cpu.stopReason = 'lockup';
    cpu.requestAttention();
    if (this.observer !== null) this.observer.lockedUp(this.lockup);
    this.onLockup(this.lockup);
  }

  /** Default memory map XN: code runs only from Code, SRAM and external RAM regions. */
  checkExecutable(pc: number): void {
    const region = pc >>> 29;
    // 0: Code, 1: SRAM, 3/4: external RAM; 2 (peripheral), 5 (device), 6 (device), 7 (system) XN.
    if (region === 2 || region >= 5) {
      throw new CpuFault(EXC_MEMMANAGE, CFSR_IACCVIOL_DEFAULT_MAP);
    }
  }

  /**
   * PushStack + ExceptionTaken for exception `n` with `returnAddress`. The frame is written
   * through the core's port, so the MPU checks it with the privilege and priority of the
   * interrupted context (B1.5.6).
   */
  exceptionEntry(n: number, returnAddress: number): void {
    const cpu = this.cpu;
    const bus = cpu.bus;
    // An active FP context (CONTROL.FPCA) makes the frame extended: S0-S15, FPSCR, reserved.
    const fpca = (cpu.control & CONTROL_FPCA) !== 0;
    const frameSize = fpca ? 0x68 : 0x20;
    const sp = cpu.r[13]!;
    const align = this.scb.stackAlign8 ? (sp >>> 2) & 1 : 0;
    const frame = (sp - frameSize - align * 4) >>> 0;
    const xpsr = (cpu.xpsr & ~(1 << 9)) | (align << 9);
    let excReturn = cpu.ipsr !== 0 ? 0xfffffff1 : cpu.usingPsp ? 0xfffffffd : 0xfffffff9;
    if (fpca) excReturn = (excReturn & ~0x10) >>> 0;
    try {
      bus.coreWrite32(frame, cpu.r[0]!);
      bus.coreWrite32(frame + 4, cpu.r[1]!);
      bus.coreWrite32(frame + 8, cpu.r[2]!);
      bus.coreWrite32(frame + 12, cpu.r[3]!);
      bus.coreWrite32(frame + 16, cpu.r[12]!);
      bus.coreWrite32(frame + 20, cpu.r[14]!);
      bus.coreWrite32(frame + 24, returnAddress & ~1);
      bus.coreWrite32(frame + 28, xpsr);
      if (fpca) this.stackFpContext(frame + 0x20);
    } catch (e) {
      // The rest of the frame is not written; SP moves all the same.
      const derived = this.derivedFault(e, CFSR_STKERR, CFSR_MSTKERR);
      if (derived < 0) return;
      // DerivedLateArrival: both are pending; the higher-priority one is taken on this frame.
      this.nvic.pending[n] = 1;
      n = this.nvic.highestPending();
    }
    cpu.r[13] = frame;
    this.exceptionTaken(n, excReturn, returnAddress);
  }

  /**
   * A fault on stacking or unstacking (a BusError: STKERR/UNSTKERR; an MPU refusal:
   * MSTKERR/MUNSTKERR). It is pended as a synchronous fault at the current execution priority,
   * escalated to HardFault (HFSR.FORCED) when disabled or not above it, and locks up when
   * HardFault cannot be taken either. Returns the fault pended, or -1 after a lockup.
   */
  private derivedFault(e: unknown, busBit: number, mpuBit: number): number {
    let n: number;
    let bit: number;
    if (e instanceof BusError) {
      n = EXC_BUSFAULT;
      bit = busBit;
    } else if (e instanceof CpuFault && e.exception === EXC_MEMMANAGE) {
      n = EXC_MEMMANAGE;
      bit = mpuBit;
    } else throw e;
    if (this.observer !== null) {
      this.observer.faulted(new CpuFault(n, bit), e instanceof BusError ? e : null);
    }
    this.scb.cfsr |= bit;
    const running = this.executionPriority();
    if (this.nvic.enabled[n] !== 1 || this.nvic.groupPriority(this.nvic.priority[n]!) >= running) {
      if (running <= -1) {
        this.enterLockup(
          `${exceptionName(n)} on exception stacking or unstacking at priority ${running}`,
        );
        return -1;
      }
      n = EXC_HARDFAULT;
      this.scb.hfsr |= HFSR_FORCED;
    }
    this.nvic.pending[n] = 1;
    return n;
  }

  /**
   * ExceptionTaken(n): handler mode on MSP, LR = EXC_RETURN, the vector read from the table
   * (with the default memory map, whatever the MPU says: B3.5.3).
   */
  private exceptionTaken(n: number, excReturn: number, returnAddress: number): void {
    const cpu = this.cpu;
    cpu.r[14] = excReturn;
    cpu.setModeAndControl(n, cpu.control & ~(2 | CONTROL_FPCA));
    cpu.it = 0;
    cpu.exclusiveAddr = -1;
    this.nvic.active[n] = 1;
    this.nvic.pending[n] = 0;
    let vector: number;
    try {
      vector = cpu.bus.read32((this.scb.vtor + 4 * n) >>> 0);
    } catch (e) {
      if (!(e instanceof BusError)) throw e;
      this.scb.hfsr |= HFSR_VECTTBL;
      this.enterLockup(
        `vector table read for ${exceptionName(n)} failed at 0x${e.address.toString(16)}`,
      );
      return;
    }
    cpu.t = vector & 1;
    cpu.pc = cpu.nextPc = (vector & ~1) >>> 0;
    cpu.sleeping = false;
    cpu.requestAttention();
    this.scb.mpu.sync(); // privileged now; HardFault/NMI may turn the MPU off (HFNMIENA)
    if (this.observer !== null) this.observer.entered(n, returnAddress);
    if (this.onSpinningHandler !== null) {
      const a = cpu.pc;
      if (cpu.bus.peek8(a) === 0xfe && cpu.bus.peek8(a + 1) === 0xe7) this.onSpinningHandler(n);
    }
  }

  /** ExceptionReturn(EXC_RETURN[27:0]) from a BX/POP/LDR/LDM that wrote an EXC_RETURN to PC. */
  exceptionReturn(excReturn: number): void {
    const cpu = this.cpu;
    const nvic = this.nvic;
    const returning = cpu.ipsr;
    const low = excReturn & 0xf;
    const valid =
      (excReturn & 0x0fffffe0) === 0x0fffffe0 && (low === 1 || low === 9 || low === 0xd);
    if (!valid || nvic.active[returning] !== 1) {
      // Invalid EXC_RETURN or returning from an inactive exception: INVPC UsageFault, taken
      // with the EXC_RETURN value as the return address (the chip stacks it that way).
      this.returnFault(excReturn);
      return;
    }
    const toThread = low !== 1;
    if (toThread && nvic.activeCount() !== 1 && (this.scb.ccr & 1) === 0) {
      this.returnFault(excReturn);
      return;
    }
    // Deactivate
    nvic.active[returning] = 0;
    if (returning !== EXC_NMI) cpu.faultmask = 0;
    if (returning >= 16 && nvic.irqLevel[returning - 16] === 1) nvic.pending[returning] = 1;
    // Select the stack and pop the frame; EXC_RETURN bit 4 clear means an extended FP frame.
    const extended = (excReturn & 0x10) === 0;
    let control = low === 0xd ? cpu.control | 2 : cpu.control & ~2;
    control = extended ? control | CONTROL_FPCA : control & ~CONTROL_FPCA;
    cpu.setModeAndControl(toThread ? 0 : cpu.ipsr, control);
    // The frame is read with the privilege of the mode returned to (and its priority).
    this.scb.mpu.sync();
    const bus = cpu.bus;
    const frame = cpu.r[13]!;
    // Tail-chaining (B1.5.12): an exception pending above the priority returned to is taken at
    // once on this frame, LR keeping this EXC_RETURN; nothing is popped and pushed again (so
    // nothing can fault on the way, as on the chip and in QEMU).
    const next = nvic.highestPending();
    if (next !== 0 && nvic.groupPriority(nvic.priority[next]!) < this.executionPriority()) {
      const resumed = this.observer !== null ? this.peekWord(frame + 24) & ~1 : 0;
      if (this.observer !== null) this.observer.returned(returning, resumed);
      this.exceptionTaken(next, (excReturn | 0xf0000000) >>> 0, resumed);
      return;
    }
    let psr: number;
    // Popped into temporaries: a fault part way leaves the registers as they were.
    const popped = this.popped;
    try {
      for (let i = 0; i < 8; i++) popped[i] = bus.coreRead32(frame + 4 * i);
      // With LSPACT set the handler never used the FPU: the registers still hold the context.
      if (extended && (this.scb.fpccr & FPCCR_LSPACT) === 0) {
        for (let i = 0; i < 17; i++) popped[8 + i] = bus.coreRead32(frame + 0x20 + 4 * i);
      }
    } catch (e) {
      // The frame stays where it is; the fault is taken on it (tail-chained), with this
      // EXC_RETURN in LR, as QEMU does after PopStack fails (B1.5.8 DerivedLateArrival).
      if (this.derivedFault(e, CFSR_UNSTKERR, CFSR_MUNSTKERR) < 0) return;
      this.exceptionTaken(nvic.highestPending(), (excReturn | 0xf0000000) >>> 0, cpu.pc);
      return;
    }
    cpu.r[0] = popped[0]!;
    cpu.r[1] = popped[1]!;
    cpu.r[2] = popped[2]!;
    cpu.r[3] = popped[3]!;
    cpu.r[12] = popped[4]!;
    cpu.r[14] = popped[5]!;
    cpu.nextPc = popped[6]! & ~1;
    psr = popped[7]!;
    if (extended) {
      if (this.scb.fpccr & FPCCR_LSPACT) this.scb.fpccr &= ~FPCCR_LSPACT;
      else {
        for (let i = 0; i < 16; i++) cpu.s[i] = popped[8 + i]!;
        cpu.fpscr = popped[24]!;
      }
    }
    const frameSize = extended ? 0x68 : 0x20;
    cpu.r[13] = (frame + frameSize + ((psr >>> 9) & 1 && this.scb.stackAlign8 ? 4 : 0)) >>> 0;
    cpu.apsr = psr;
    cpu.t = (psr >>> 24) & 1;
    cpu.it = ((psr >>> 25) & 3) | (((psr >>> 10) & 0x3f) << 2);
    const frameIpsr = psr & 0x1ff;
    cpu.ipsr = toThread ? 0 : frameIpsr;
    cpu.exclusiveAddr = -1;
    if ((toThread && frameIpsr !== 0) || (!toThread && frameIpsr === 0)) {
      // IPSR in the frame does not match the mode returned to: INVPC.
      cpu.pc = cpu.nextPc;
      this.raiseFault(new CpuFault(EXC_USAGEFAULT, CFSR_INVPC));
      return;
    }
    if (toThread && this.scb.scr & 2 && nvic.activeCount() === 0) cpu.sleeping = true; // SLEEPONEXIT
    cpu.requestAttention();
    if (this.observer !== null) this.observer.returned(returning, cpu.nextPc);
    if (this.onExceptionReturn !== null) this.onExceptionReturn((excReturn | 0xf0000000) >>> 0);
    if (returning === EXC_DEBUGMONITOR && this.onDebugMonitorReturn !== null) {
      this.onDebugMonitorReturn();
    }
  }

  /**
   * The FP part of an extended frame at `area` (S0-S15, FPSCR). With FPCCR.LSPEN the space is
   * only reserved: FPCAR remembers it and LSPACT defers the stores to the first FP instruction
   * of the handler (lazy state preservation); otherwise the registers are stored now.
   */
  private stackFpContext(area: number): void {
    const scb = this.scb;
    const cpu = this.cpu;
    if (scb.fpccr & FPCCR_LSPEN) {
      scb.fpcar = area;
      const prio = this.executionPriority();
      const ready = (n: number) =>
        this.nvic.enabled[n] === 1 && this.nvic.groupPriority(this.nvic.priority[n]!) < prio;
      let f = (scb.fpccr & ~FPCCR_STATE_BITS) | FPCCR_LSPACT;
      if (!cpu.privileged) f |= 1 << 1; // USER
      if (cpu.ipsr === 0) f |= 1 << 3; // THREAD
      if (prio > -1) f |= 1 << 4; // HFRDY
      if (ready(EXC_MEMMANAGE)) f |= 1 << 5; // MMRDY
      if (ready(EXC_BUSFAULT)) f |= 1 << 6; // BFRDY
      if (ready(12)) f |= 1 << 8; // MONRDY
      scb.fpccr = f >>> 0;
      return;
    }
    this.storeFpRegisters(area);
  }

  /** S0-S15 and FPSCR into an extended frame, as part of the stacking (through the core's port). */
  private storeFpRegisters(area: number): void {
    const cpu = this.cpu;
    for (let i = 0; i < 16; i++) cpu.bus.coreWrite32(area + 4 * i, cpu.s[i]!);
    cpu.bus.coreWrite32(area + 0x40, cpu.fpscr);
  }

  /**
   * The context part of ExecuteFPCheck(), run by every FP instruction after the CPACR check:
   * performs a pending lazy preservation, and opens a new FP context (CONTROL.FPCA, FPSCR from
   * FPDSCR) when FPCCR.ASPEN says so.
   */
  fpContextCheck(): void {
    const scb = this.scb;
    const cpu = this.cpu;
    if (scb.fpccr & FPCCR_LSPACT) {
      // A fault that can preempt now is taken before this instruction, LSPACT still set: it
      // runs again (and preserves again) once the fault handler returns.
      if (!this.preserveFpState() && this.pendingCanPreempt()) throw PREEMPT_BEFORE_INSTRUCTION;
      scb.fpccr &= ~FPCCR_LSPACT;
    }
    if (scb.fpccr & FPCCR_ASPEN && (cpu.control & CONTROL_FPCA) === 0) {
      cpu.fpscr = (cpu.fpscr & ~0x07c00000) | (scb.fpdscr & 0x07c00000);
      cpu.control |= CONTROL_FPCA;
    }
  }

  /**
   * PreserveFPState(): S0-S15 and FPSCR to the space FPCAR points at, checked by the MPU with
   * the privilege (FPCCR.USER) and priority (FPCCR.HFRDY) of the context they belong to. A
   * fault is pended as FPCCR recorded at stacking time allows: MemManage (MLSPERR) unless
   * MMRDY was clear, BusFault (LSPERR) unless BFRDY was clear, else HardFault (FORCED); lockup
   * when it cannot be taken and HFRDY was clear. Returns false after a fault.
   */
  private preserveFpState(): boolean {
    const scb = this.scb;
    const cpu = this.cpu;
    const fpccr = scb.fpccr;
    const unprivileged = (fpccr & FPCCR_USER) !== 0;
    const negative = (fpccr & FPCCR_HFRDY) === 0;
    const area = scb.fpcar;
    try {
      for (let i = 0; i <= 16; i++) {
        const a = (area + 4 * i) >>> 0;
        scb.mpu.checkAccess(a, true, unprivileged, negative);
        cpu.bus.write32(a, i < 16 ? cpu.s[i]! : cpu.fpscr);
      }
      return true;
    } catch (e) {
      let n: number;
      let escalate: boolean;
      if (e instanceof BusError) {
        scb.cfsr |= CFSR_LSPERR;
        n = EXC_BUSFAULT;
        escalate = (fpccr & FPCCR_BFRDY) === 0;
      } else if (e instanceof CpuFault && e.exception === EXC_MEMMANAGE) {
        scb.cfsr |= CFSR_MLSPERR;
        n = EXC_MEMMANAGE;
        escalate = (fpccr & FPCCR_MMRDY) === 0;
      } else throw e;
      if (this.observer !== null) {
        const bit = n === EXC_BUSFAULT ? CFSR_LSPERR : CFSR_MLSPERR;
        this.observer.faulted(new CpuFault(n, bit), e instanceof BusError ? e : null);
      }
      if (escalate) {
        n = EXC_HARDFAULT;
        scb.hfsr |= HFSR_FORCED;
      }
      const prio = this.nvic.groupPriority(this.nvic.priority[n]!);
      if ((this.nvic.enabled[n] !== 1 || this.executionPriority() <= prio) && negative) {
        this.enterLockup(`${exceptionName(n)} in lazy FP state preservation`);
        throw PREEMPT_BEFORE_INSTRUCTION;
      }
      this.nvic.setPending(n);
      return false;
    }
  }

  /** A word of memory as a debugger reads it (0 where none), for the diagnostic log. */
  private peekWord(addr: number): number {
    let v = 0;
    for (let i = 3; i >= 0; i--) v = (v << 8) | (this.cpu.bus.peek8((addr + i) >>> 0) ?? 0);
    return v >>> 0;
  }

  /** The highest pending exception would preempt the current execution priority. */
  private pendingCanPreempt(): boolean {
    const n = this.nvic.highestPending();
    return n !== 0 && this.nvic.groupPriority(this.nvic.priority[n]!) < this.executionPriority();
  }

  private returnFault(excReturn: number): void {
    const cpu = this.cpu;
    cpu.nextPc = cpu.pc;
    this.scb.cfsr |= CFSR_INVPC;
    const prio = this.nvic.groupPriority(this.nvic.priority[EXC_USAGEFAULT]!);
    void excReturn;
    if (this.nvic.enabled[EXC_USAGEFAULT] === 1 && prio < this.executionPriority()) {
      this.exceptionEntry(EXC_USAGEFAULT, cpu.pc);
    } else this.escalate('invalid exception return (INVPC)');
  }

  /** Called between instructions when the core raised attention. */
  serviceAttention(): void {
    this.cpu.attention = 0;
    if (this.cpu.stopReason === 'lockup') return;
    // Privilege or priority may have changed (MSR CONTROL/FAULTMASK, CPS, a register write).
    this.scb.mpu.sync();
    if (this.svcEscalation) {
      this.svcEscalation = false;
      this.escalate('SVC while its priority is masked');
    }
    this.takePending();
  }

  reset(): void {
    this.lockup = null;
    this.svcEscalation = false;
  }
}
