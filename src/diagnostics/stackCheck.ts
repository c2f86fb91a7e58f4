/**
 * --stack-check: knows each task's stack from the OS's own task list (NuttX's g_tcbinfo, or the
 * DWARF description of its TCB: base and size of every stack) — or, on an OS with neither, from
 * the heap block the scheduler's SP lands in (heapStacks.ts) — and stops the run at the first
 * store below a stack's base made while that stack's SP is below its base too — the signature
 * of an overflow, as opposed to a task writing the heap block under someone's stack. The
 * finding names the task, the PC, the address and the backtrace; the talk found this one with a
 * watchpoint at the stack's end.
 * At each task's exit (and at the end) its high-water mark is reported, from NuttX's stack
 * coloration (unused words still hold 0xdeadbeef). The main (MSP) stack is checked the same way
 * when the linker's symbols say where it ends (CMSIS's __StackLimit, ST's _estack minus
 * _Min_Stack_Size, NuttX's interrupt stack), owned by whatever runs on MSP.
 *
 * (A store below the base is an overflow when the running task makes it relative to its SP:
 * into its frame, or a push whose SP writeback is still to come.)
 *
 * Stores are seen through the bus's write guards: GUARD bytes below each stack's base. The
 * stacks are looked up again whenever a task is created or exits (or a heap stack is found or
 * freed). When the store lands in a live heap block (the allocator's hooks are on: a heap stack,
 * or --leak-check), the finding names that block too.
 */
import type { Machine } from '../machine/machine.js';
import type { CallHooks } from './callHooks.js';
import { backtraceLines, groupDigits, hex8, type Findings } from './findings.js';
import { busMemory } from './guestMemory.js';
import type { Block } from './heapBlocks.js';
import type { HeapStacks } from './heapStacks.js';
import { unusedStackBytes, type TaskInfo, type TaskList } from './tasks.js';

/** How far below a stack's base a store is still recognised as that stack's overflow. */
export const GUARD = 4096;

/** The furthest below SP a push writes before SP is updated (16 core + 32 FP registers). */
const PUSH_REACH = 192;

const TASK_START = ['task_create', 'nxtask_activate', 'pthread_create', 'nxtask_init', 'os_start'];

/** Stack colorations a high-water mark is read from: NuttX's, FreeRTOS's (tskSTACK_FILL_BYTE). */
const STACK_FILLS = [0xdeadbeef, 0xa5a5a5a5];
/** How far into a heap stack's block the coloration may start. */
const HEAP_STACK_HEADER = 256;

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
  /** Stacks found as heap blocks, when the OS publishes no task list. */
  heapStacks?: HeapStacks | null;
  /** The live heap block holding addr, when the allocator is hooked. */
  blockAt?(addr: number): Block | undefined;
  /** "f (file:line)" for where a block was allocated. */
  allocationSite?(block: Block): string;
}

/** The main stack as a pseudo-task (no TCB). */
const MAIN_STACK_TCB = 0xffffffff;

export class StackCheck {
  private stacks: TaskInfo[] = [];
  /** Where the high-water mark of an exiting task goes. */
  onMark: ((line: string) => void) | null = null;
  overflowed = false;
  private readonly mem;

  constructor(private readonly env: StackCheckEnvironment) {
    this.mem = busMemory(env.machine.bus);
    env.machine.bus.onGuardWrite = (addr, size) => this.store(addr, size);
    this.refresh(); // the main stack is known from the start
    for (const name of TASK_START) {
      env.hooks.hook(name, () => () => this.refresh());
    }
    if (env.heapStacks) {
      env.heapStacks.onChange = () => this.refresh();
      env.heapStacks.onFree = (s) => {
        const line = this.mark(s);
        if (line) this.onMark?.(line);
      };
    }
  }

  /** Reads the task list again and guards every stack's underside. */
  refresh(): void {
    const list = this.env.tasks();
    this.stacks = (list?.tasks() ?? []).filter((t) => t.stackSize > 0 && t.stackBase !== 0);
    this.stacks.push(...(this.env.heapStacks?.list() ?? []));
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
    if (t.tcb === MAIN_STACK_TCB) return undefined;
    const heap = this.env.heapStacks?.has(t.tcb) === true;
    const list = heap ? undefined : this.env.tasks();
    let unused = list?.unusedStack(t) ?? 0;
    if (heap) {
      // The pattern the OS colours stacks with, whichever it is, from the first coloured word:
      // the block may start with what the OS keeps below the stack (NuttX's TLS data).
      for (let off = 0; off < HEAP_STACK_HEADER && off < t.stackSize; off += 4) {
        const fill = this.mem.read32(t.stackBase + off);
        if (fill === undefined || !STACK_FILLS.includes(fill)) continue;
        unused = unusedStackBytes(this.mem, t.stackBase + off, t.stackSize - off, fill);
        break;
      }
    }
    if (unused === 0) return undefined; // no coloration (or every byte used)
    const used = t.stackSize - unused;
    return `stack-check: ${this.label(t)} used ${used} of ${t.stackSize} bytes of its stack (${Math.round((100 * used) / t.stackSize)}%)`;
  }

  /** The high-water marks of the tasks (and heap stacks) still alive. */
  liveMarks(): string[] {
    const list = this.env.tasks();
    const live = [...(list?.tasks() ?? []), ...(this.env.heapStacks?.list() ?? [])];
    return live.flatMap((t) => this.mark(t) ?? []);
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
    const heap = this.env.heapStacks;
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
      } else if (heap?.has(t.tcb)) {
        if (heap.current !== t.tcb) continue; // a heap stack's task runs from the last switch
      } else if (running !== undefined && running !== t.tcb) continue;
      if (sp >= base + t.stackSize || sp < base - GUARD || addr + PUSH_REACH < sp) continue;
      return t;
    }
    return undefined;
  }

  private label(t: TaskInfo): string {
    if (t.tcb === MAIN_STACK_TCB) return 'the main stack (MSP)';
    return this.env.heapStacks?.has(t.tcb) ? t.name : `task ${this.env.taskName(t)}`;
  }

  private report(t: TaskInfo, addr: number, size: number): void {
    const cpu = this.env.machine.cpu;
    const sp = cpu.r[13]!;
    const base = t.stackBase;
    this.overflowed = true;
    const frames = this.env.backtraceHere();
    // The neighbour it hit, when the heap's blocks are known and it is one of them (not the
    // stack's own block, whose start the OS may keep for itself: NuttX's TLS data).
    const block = this.env.blockAt?.(addr);
    const hit = block && !(block.ptr <= base && base < block.ptr + block.size) ? block : undefined;
    const into = hit
      ? ` (in the ${groupDigits(hit.size)}-byte block at 0x${hex8(hit.ptr)}` +
        (this.env.allocationSite ? ` allocated at ${this.env.allocationSite(hit)})` : ')')
      : '';
    const heap = this.env.heapStacks?.has(t.tcb) === true;
    this.env.findings.add({
      check: 'stack-check',
      kind: 'overflow',
      message:
        `stack overflow in ${this.label(t)}: ${size}-byte store at 0x${hex8(addr)}${into}, ` +
        `${base - addr} bytes below its stack [0x${hex8(base)}, 0x${hex8(base + t.stackSize)}) ` +
        `(SP 0x${hex8(sp)}) at ${this.env.symbolize(cpu.pc, false)}`,
      task: t.tcb === MAIN_STACK_TCB ? undefined : heap ? t.name : this.env.taskName(t),
      pc: cpu.pc,
      backtrace: backtraceLines(frames, (pc, i) => this.env.symbolize(pc, i > 0)),
      data: {
        address: `0x${hex8(addr)}`,
        size,
        stackBase: base,
        stackSize: t.stackSize,
        sp,
        ...(hit ? { block: { ptr: `0x${hex8(hit.ptr)}`, size: hit.size } } : {}),
      },
    });
    this.env.stop();
  }
}
