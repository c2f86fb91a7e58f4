/**
 * --stack-check: knows each task's stack from the OS's own task list (NuttX's g_tcbinfo: base
 * and size of every stack) and stops the run at the first store below a stack's base made
 * while that stack's SP is below its base too — the signature of an overflow, as opposed to a
 * task writing the heap block under someone's stack. The finding names the task, the PC, the
 * address and the backtrace; the talk found this one with a watchpoint at the stack's end.
 * At each task's exit (and at the end) its high-water mark is reported, from NuttX's stack
 * coloration (unused words still hold 0xdeadbeef). The main (MSP) stack is checked the same way
 * when the linker's symbols say where it ends (CMSIS's __StackLimit, ST's _estack minus
 * _Min_Stack_Size, NuttX's interrupt stack), owned by whatever runs on MSP.
 *
 * (A store below the base is an overflow when the running task makes it relative to its SP:
 * into its frame, or a push whose SP writeback is still to come.)
 *
 * Stores are seen through the bus's write guards: GUARD bytes below each stack's base. The
 * stacks are looked up again whenever a task is created or exits.
 */
import type { Machine } from '../machine/machine.js';
import type { CallHooks } from './callHooks.js';
import { backtraceLines, hex8, type Findings } from './findings.js';
import type { TaskInfo, TaskList } from './tasks.js';

/** How far below a stack's base a store is still recognised as that stack's overflow. */
export const GUARD = 4096;

/** The furthest below SP a push writes before SP is updated (16 core + 32 FP registers). */
const PUSH_REACH = 192;

const TASK_START = ['task_create', 'nxtask_activate', 'pthread_create', 'nxtask_init', 'os_start'];

export interface StackCheckEnvironment {
  machine: Machine;
  hooks: CallHooks;
  findings: Findings;
  tasks(): TaskList | null;
  taskName(t: TaskInfo): string;
  /** Return addresses from the current state, innermost first (PC first). */
  backtraceHere(): number[];
  symbolize(pc: number, returnAddress: boolean): string;
  /** Whether addr lies in a static data object (a symbol with a size, e.g. an IRQ stack). */
  inStaticObject(addr: number): boolean;
  /** Ends the run (or hands the target to an attached debugger). */
  stop(): void;
  /** The main (MSP) stack from the linker's symbols, when they say where it ends. */
  mainStack(): { base: number; top: number } | undefined;
}

/** The main stack as a pseudo-task (no TCB). */
const MAIN_STACK_TCB = 0xffffffff;

export class StackCheck {
  private stacks: TaskInfo[] = [];
  /** Where the high-water mark of an exiting task goes. */
  onMark: ((line: string) => void) | null = null;
  overflowed = false;

  constructor(private readonly env: StackCheckEnvironment) {
    env.machine.bus.onGuardWrite = (addr, size) => this.store(addr, size);
    this.refresh(); // the main stack is known from the start
    for (const name of TASK_START) {
      env.hooks.hook(name, () => () => this.refresh());
    }
  }

  /** Reads the task list again and guards every stack's underside. */
  refresh(): void {
    const list = this.env.tasks();
    this.stacks = (list?.tasks() ?? []).filter((t) => t.stackSize > 0 && t.stackBase !== 0);
    const main = this.env.mainStack();
    // The MSP stack, unless it is a task's too (NuttX's idle task runs on it).
    if (
      main &&
      !this.stacks.some((t) => t.stackBase <= main.base && main.base < t.stackBase + t.stackSize)
    ) {
      this.stacks.push({
        pid: -1,
        name: 'main stack (MSP)',
        state: 0,
        stateName: '',
        priority: 0,
        tcb: MAIN_STACK_TCB,
        stackBase: main.base,
        stackSize: main.top - main.base,
        running: false,
      });
    }
    this.env.machine.bus.setWriteGuards(
      this.stacks.map((t) => ({ address: (t.stackBase - GUARD) >>> 0, length: GUARD })),
    );
  }

  /** A task is exiting: its high-water mark, then its stack is no longer guarded. */
  taskExits(t: TaskInfo): void {
    const line = this.mark(t);
    if (line) this.onMark?.(line);
    this.stacks = this.stacks.filter((s) => s.tcb !== t.tcb);
    this.env.machine.bus.setWriteGuards(
      this.stacks.map((s) => ({ address: (s.stackBase - GUARD) >>> 0, length: GUARD })),
    );
  }

  /** "task X used N of M bytes of its stack" from the coloration, if the stack has one. */
  mark(t: TaskInfo): string | undefined {
    const list = this.env.tasks();
    if (!list || t.tcb === MAIN_STACK_TCB) return undefined;
    const unused = list.unusedStack(t);
    if (unused === 0) return undefined; // no coloration (or every byte used)
    const used = t.stackSize - unused;
    return `stack-check: task ${this.env.taskName(t)} used ${used} of ${t.stackSize} bytes of its stack (${Math.round((100 * used) / t.stackSize)}%)`;
  }

  /** The high-water marks of the tasks still alive. */
  liveMarks(): string[] {
    const list = this.env.tasks();
    return (list?.tasks() ?? []).flatMap((t) => this.mark(t) ?? []);
  }

  private store(addr: number, size: number): void {
    const t = this.overflowed ? undefined : this.overflowing(addr, size);
    if (!t) return;
    // The task list may have changed since it was read (a task created by a path no hook
    // sees): read it again before calling this an overflow.
    this.refresh();
    const again = this.overflowing(addr, size);
    if (again?.tcb !== t.tcb) return;
    this.report(again, addr, size);
  }

  /** The stack this store overflows, if it is one. */
  private overflowing(addr: number, size: number): TaskInfo | undefined {
    const cpu = this.env.machine.cpu;
    const sp = cpu.r[13]!;
    // An interrupt stack (a static array) may lie just below a task's stack: its SP is not an
    // overflowing task's.
    if (this.env.inStaticObject(sp)) return;
    const running = this.env.tasks()?.runningTcb();
    // An SP inside another task's stack is that task's (the scheduler switching lists before
    // it switches stacks): not an overflow of the stack below which the store landed.
    const owner = this.stacks.find((s) => sp >= s.stackBase && sp < s.stackBase + s.stackSize);
    for (const t of this.stacks) {
      if (owner !== undefined && owner !== t) continue;
      const base = t.stackBase;
      if (addr >= base || addr + size <= base - GUARD) continue;
      // Only the task on the CPU overflows its stack, with a store relative to its SP: into
      // its frame (at or above SP) or a push (just below SP, whose writeback is still to come).
      // The main stack's owner is whoever runs on MSP (handlers, or thread mode with SPSEL 0).
      if (t.tcb === MAIN_STACK_TCB) {
        if (cpu.ipsr === 0 && (cpu.control & 2) !== 0) continue;
      } else if (running !== undefined && running !== t.tcb) continue;
      if (sp >= base + t.stackSize || sp < base - GUARD || addr + PUSH_REACH < sp) continue;
      return t;
    }
    return undefined;
  }

  private label(t: TaskInfo): string {
    return t.tcb === MAIN_STACK_TCB ? 'the main stack (MSP)' : `task ${this.env.taskName(t)}`;
  }

  private report(t: TaskInfo, addr: number, size: number): void {
    const cpu = this.env.machine.cpu;
    const sp = cpu.r[13]!;
    const base = t.stackBase;
    this.overflowed = true;
    const frames = this.env.backtraceHere();
    this.env.findings.add({
      check: 'stack-check',
      kind: 'overflow',
      message:
        `stack overflow in ${this.label(t)}: ${size}-byte store at 0x${hex8(addr)}, ` +
        `${base - addr} bytes below its stack [0x${hex8(base)}, 0x${hex8(base + t.stackSize)}) ` +
        `(SP 0x${hex8(sp)}) at ${this.env.symbolize(cpu.pc, false)}`,
      task: t.tcb === MAIN_STACK_TCB ? undefined : this.env.taskName(t),
      pc: cpu.pc,
      backtrace: backtraceLines(frames, (pc, i) => this.env.symbolize(pc, i > 0)),
      data: { address: `0x${hex8(addr)}`, size, stackBase: base, stackSize: t.stackSize, sp },
    });
    this.env.stop();
  }
}
