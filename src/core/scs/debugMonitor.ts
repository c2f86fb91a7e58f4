/**
 * Debug events that are not BKPT-like (ARMv7-M ARM C1.5, C1.6.5, C1.7; B1.5 DebugMonitor): DWT
 * watchpoint events and DEMCR.MON_STEP stepping. A BKPT and an FPB breakpoint are in
 * ExceptionUnit.debugEvent (they escalate to HardFault); the events here do not:
 *  - a halting debugger (the GDB server, through Cpu.bkptHandler) halts the core;
 *  - else, with DEMCR.MON_EN set and DebugMonitor's group priority above the execution
 *    priority, the DebugMonitor exception is taken, the DFSR bit recording why;
 *  - else the event is ignored (C1.5: with neither halting debug nor the monitor able to take
 *    it, only a BKPT escalates to HardFault; every other debug event is ignored).
 *
 * MON_STEP (C1.6.5): with MON_EN set, a return from DebugMonitor to an execution priority below
 * it executes one instruction and then takes DebugMonitor again, DFSR.HALTED set. The step is a
 * one-shot code hook on the return address: it pends DebugMonitor before that instruction runs,
 * which is then taken once it has completed (unstepped code pays nothing).
 */
import type { Cpu } from '../cpu.js';
import { EXC_DEBUGMONITOR } from '../faults.js';

/** DFSR (C1.6.1): HALTED (halt request or step), BKPT, DWTTRAP (a DWT watchpoint). */
export const DFSR_HALTED = 1 << 0;
export const DFSR_BKPT = 1 << 1;
export const DFSR_DWTTRAP = 1 << 2;
/** DEMCR (C1.6.5): MON_EN, MON_PEND, MON_STEP, MON_REQ (a semaphore only), TRCENA. */
export const DEMCR_MON_EN = 1 << 16;
export const DEMCR_MON_PEND = 1 << 17;
export const DEMCR_MON_STEP = 1 << 18;
export const DEMCR_MON_REQ = 1 << 19;
export const DEMCR_TRCENA = 1 << 24;

/**
 * A code-hook debug event (an FPB breakpoint, a DWT PC match) that halted a debugger before the
 * instruction: when the debugger resumes, the hook runs again on the same instruction, which
 * must then execute once instead of halting again. Shared by the FPB and the DWT.
 */
export class HaltedAt {
  private pc = -1;
  private instructions = 0;

  /** After the event: remembers the instruction if the core halted before it. */
  note(cpu: Cpu, pc: number): void {
    if (cpu.stopReason === 'breakpoint' && cpu.nextPc === pc) {
      this.pc = pc;
      this.instructions = cpu.instructions + 1; // the stand-in retires as BKPT does
    }
  }

  /** True (once) when the hook runs for the instruction the debugger is resuming from. */
  resuming(cpu: Cpu): boolean {
    if (cpu.pc !== this.pc || cpu.instructions !== this.instructions) return false;
    this.pc = -1;
    return true;
  }

  clear(): void {
    this.pc = -1;
  }
}

/** What a BkptHandler is passed for a DWT watchpoint: no BKPT immediate can equal it. */
export const DWT_WATCHPOINT_IMM = -2;

export class DebugMonitor {
  /** Removes the armed MON_STEP hook, or null. */
  private stepHook: (() => void) | null = null;

  constructor(private readonly cpu: Cpu) {}

  /** Installs the MON_STEP check on returns from DebugMonitor (after cpu.exc is set). */
  attach(): void {
    this.cpu.exc.onDebugMonitorReturn = () => this.monitorReturned();
  }

  reset(): void {
    if (this.stepHook !== null) this.stepHook();
    this.stepHook = null;
  }

  /** DEMCR.MON_EN set and DebugMonitor can preempt the current execution priority. */
  canTakeMonitor(): boolean {
    const exc = this.cpu.exc;
    if ((exc.scb.demcr & DEMCR_MON_EN) === 0) return false;
    const prio = exc.nvic.groupPriority(exc.nvic.priority[EXC_DEBUGMONITOR]!);
    return prio < exc.executionPriority();
  }

  /**
   * A halting debugger takes the event (the GDB server's BKPT handler stops the core). Called
   * in the middle of an instruction (a data watchpoint), the instruction still completes: the
   * core stops after it.
   */
  haltingDebuggerTook(completeInstruction: boolean): boolean {
    const cpu = this.cpu;
    if (cpu.bkptHandler === null) return false;
    const next = cpu.nextPc;
    if (!cpu.bkptHandler(cpu, DWT_WATCHPOINT_IMM)) return false;
    if (completeInstruction) cpu.nextPc = next;
    return true;
  }

  /**
   * A DWT watchpoint on a data access (or a cycle count match): halts a debugger after the
   * instruction, or pends DebugMonitor (DFSR.DWTTRAP), taken once the instruction completed
   * (the watchpoint's exception is asynchronous, C1.8.2); else ignored.
   */
  dataWatchpoint(): void {
    if (this.haltingDebuggerTook(true)) return;
    if (!this.canTakeMonitor()) return;
    const exc = this.cpu.exc;
    exc.scb.dfsr |= DFSR_DWTTRAP;
    exc.nvic.setPending(EXC_DEBUGMONITOR);
  }

  /**
   * A DWT PC match, before the instruction at cpu.pc executes (called from a code hook):
   * returns true when the instruction is replaced by the event (halted, or DebugMonitor taken
   * with the instruction's address stacked), false when the event is ignored.
   */
  pcWatchpoint(): boolean {
    const cpu = this.cpu;
    if (this.haltingDebuggerTook(false)) {
      cpu.replaceHookedInstruction();
      return true;
    }
    if (!this.canTakeMonitor()) return false;
    cpu.replaceHookedInstruction();
    cpu.exc.scb.dfsr |= DFSR_DWTTRAP;
    cpu.nextPc = cpu.pc;
    cpu.exc.exceptionEntry(EXC_DEBUGMONITOR, cpu.pc);
    return true;
  }

  /**
   * DebugMonitor returned (cpu.nextPc is the address returned to): with MON_EN and MON_STEP
   * set and the priority returned to below DebugMonitor's, the next instruction is a step.
   */
  private monitorReturned(): void {
    const cpu = this.cpu;
    const demcr = cpu.exc.scb.demcr;
    if ((demcr & DEMCR_MON_STEP) === 0 || !this.canTakeMonitor()) return;
    if (this.stepHook !== null) this.stepHook();
    this.stepHook = cpu.addCodeHook(cpu.nextPc, (c) => {
      this.reset();
      const exc = c.exc;
      if ((exc.scb.demcr & (DEMCR_MON_EN | DEMCR_MON_STEP)) !== (DEMCR_MON_EN | DEMCR_MON_STEP)) {
        return;
      }
      // Pended before the instruction, taken when it has completed (the batch ends on it).
      exc.scb.dfsr |= DFSR_HALTED;
      exc.nvic.setPending(EXC_DEBUGMONITOR);
    });
  }
}
