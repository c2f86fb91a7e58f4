/**
 * The guest's task list read from memory without the guest's help, the way OpenOCD's NuttX
 * awareness and NuttX's own GDB scripts do: the offsets of a TCB's fields (pid, state, priority,
 * name, stack, saved registers) from NuttX's g_tcbinfo, or from the DWARF description of struct
 * tcb_s where the image has no g_tcbinfo (tcbLayout.ts); g_pidhash lists the TCBs, and the head
 * of `g_readytorun` is the running task. The project's own test OS (firmware/diag/os) publishes
 * the same, so CI proves with it what NuttX does.
 */
import type { Cpu } from '../core/cpu.js';
import type { SymbolTable } from '../loader/elf.js';
import type { ElfSection } from '../loader/elfSections.js';
import { readCString, type GuestMemory } from './guestMemory.js';
import { dwarfLayout, tcbinfoLayout, type PidTable, type TcbLayout } from './tcbLayout.js';

/** NuttX's enum tstate_e without CONFIG_SMP (as on the STM32F4). */
const STATE_NAMES = [
  'Invalid',
  'Pending',
  'Ready',
  'Running',
  'Inactive',
  'Waiting,Semaphore',
  'Waiting,Signal',
];
const RUNNING_STATE = 3;
const MAX_TASKS = 256;

export interface TaskInfo {
  pid: number;
  name: string;
  state: number;
  stateName: string;
  priority: number;
  /** TCB address. */
  tcb: number;
  /** The stack block: [stackBase, stackBase + stackSize). */
  stackBase: number;
  stackSize: number;
  /** Whether it is the task on the CPU now. */
  running: boolean;
}

export class TaskList {
  private constructor(
    private readonly mem: GuestMemory,
    readonly layout: TcbLayout,
    private readonly table: PidTable,
    private readonly readytorun: number | undefined,
  ) {}

  /**
   * The task list of an image that publishes g_tcbinfo and g_pidhash/g_npidhash, or else (given
   * the ELF's sections) whose DWARF describes struct tcb_s; null otherwise.
   */
  static detect(
    symbols: SymbolTable,
    mem: GuestMemory,
    sections?: readonly ElfSection[],
  ): TaskList | null {
    const pidhash = symbols.lookup('g_pidhash');
    if (!pidhash) return null;
    // this_task(): the head of g_readytorun; g_running_tasks[0] where that list is not published.
    const rtr = symbols.lookup('g_readytorun')?.value ?? symbols.lookup('g_running_tasks')?.value;
    const npidhash = symbols.lookup('g_npidhash');
    const published = npidhash ? tcbinfoLayout(symbols, mem) : undefined;
    if (published) {
      const table = { at: pidhash.value >>> 0, npidhash: npidhash!.value >>> 0, count: 0 };
      return new TaskList(mem, published, { ...table, stride: 4, tcb: 0 }, rtr);
    }
    if (!sections) return null;
    let fromDwarf;
    try {
      fromDwarf = dwarfLayout(sections, symbols);
    } catch {
      return null; // DWARF this reader cannot follow: no task list from it
    }
    return fromDwarf ? new TaskList(mem, fromDwarf.layout, fromDwarf.table, rtr) : null;
  }

  /** Where the TCB's offsets came from. */
  get source(): TcbLayout['source'] {
    return this.layout.source;
  }

  /** The TCB of the running task (the head of g_readytorun, or g_running_tasks[0]), if known. */
  runningTcb(): number | undefined {
    if (this.readytorun === undefined) return undefined;
    const head = this.mem.read32(this.readytorun);
    return head ? head : undefined;
  }

  tasks(): TaskInfo[] {
    const mem = this.mem;
    const T = this.table;
    // g_pidhash points to g_npidhash TCB pointers; or (older NuttX) is an array of entries.
    const table = T.npidhash === undefined ? T.at : mem.read32(T.at);
    const n = T.npidhash === undefined ? T.count : mem.read32(T.npidhash);
    if (!table || n === undefined || n > 4096) return [];
    const running = this.runningTcb();
    const out: TaskInfo[] = [];
    for (let i = 0; i < n && out.length < MAX_TASKS; i++) {
      const tcb = mem.read32(table + T.stride * i + T.tcb);
      if (!tcb) continue;
      const t = this.read(tcb, running);
      if (t) out.push(t);
    }
    // The task in the Running state is the one on the CPU (NuttX keeps it so for this_task());
    // the list head can lag behind while the scheduler switches.
    const byState = out.filter((t) => t.state === RUNNING_STATE);
    if (byState.length === 1) for (const t of out) t.running = t === byState[0];
    return out.sort((a, b) => a.pid - b.pid);
  }

  current(): TaskInfo | undefined {
    const tcb = this.runningTcb();
    const head = tcb === undefined ? undefined : this.read(tcb, tcb);
    if (head?.state === RUNNING_STATE) return head;
    return this.tasks().find((t) => t.running) ?? head;
  }

  private read(tcb: number, running: number | undefined): TaskInfo | undefined {
    const m = this.mem;
    const L = this.layout;
    const pid = L.pidSize === 2 ? m.read16(tcb + L.pid) : m.read32(tcb + L.pid);
    const state = m.read8(tcb + L.state);
    if (pid === undefined || state === undefined) return undefined;
    const stack = m.read32(tcb + L.stack) ?? 0;
    const stackSize = m.read32(tcb + L.stackSize) ?? 0;
    const name = L.name === undefined ? undefined : readCString(m, tcb + L.name, L.nameSize);
    return {
      pid: L.pidSize === 2 ? (pid << 16) >> 16 : pid | 0,
      name: name ?? '?',
      state,
      stateName: STATE_NAMES[state] ?? `state ${state}`,
      priority: m.read8(tcb + L.priority) ?? 0,
      tcb,
      // Older NuttX keeps the stack's top (adj_stack_ptr) rather than its base.
      stackBase: L.stackIsTop && stack !== 0 ? (stack - stackSize) >>> 0 : stack,
      stackSize,
      running: tcb === running || (running === undefined && state === RUNNING_STATE),
    };
  }

  /**
   * A task's registers r0-r15 and xPSR: the CPU's own for the running task, otherwise from
   * the context saved in its TCB (undefined where not saved).
   */
  registers(task: TaskInfo, cpu: Cpu): Array<number | undefined> {
    if (task.running) {
      const r: Array<number | undefined> = [...cpu.r, cpu.xpsr];
      r[15] = cpu.pc; // the core keeps r15 at the instruction + 4
      return r;
    }
    const L = this.layout;
    if (L.regs === undefined) return [];
    const regs = L.regsInline ? task.tcb + L.regs : this.mem.read32(task.tcb + L.regs);
    return L.regOffsets.map((off) =>
      regs && off !== 0xffff ? this.mem.read32(regs + off) : undefined,
    );
  }

  /** The words of a task's stack never written (NuttX's stack coloration: 0xdeadbeef). */
  unusedStack(task: TaskInfo, fill = 0xdeadbeef): number {
    return unusedStackBytes(this.mem, task.stackBase, task.stackSize, fill);
  }
}

/** The bytes at the bottom of a stack that still hold the fill pattern (never written). */
export function unusedStackBytes(
  mem: GuestMemory,
  base: number,
  size: number,
  fill = 0xdeadbeef,
): number {
  let n = 0;
  for (let a = base; a < base + size; a += 4, n += 4) {
    if (mem.read32(a) !== fill) break;
  }
  return n;
}

/** `pid name state prio stack used/size pc` lines, for `monitor tasks` and Ctrl-A T. */
export function formatTasks(list: TaskList, cpu: Cpu, describe: (pc: number) => string): string[] {
  const lines = ['  PID NAME             STATE              PRI STACK USED/SIZE   PC'];
  for (const t of list.tasks()) {
    const pc = list.registers(t, cpu)[15];
    const used = t.stackSize - list.unusedStack(t);
    lines.push(
      `${String(t.pid).padStart(5)} ${t.name.padEnd(16)} ${(t.stateName + (t.running ? '*' : '')).padEnd(18)} ` +
        `${String(t.priority).padStart(3)} ${`${used}/${t.stackSize}`.padEnd(15)} ` +
        (pc === undefined ? '?' : `0x${pc.toString(16).padStart(8, '0')} ${describe(pc)}`),
    );
  }
  return lines;
}
