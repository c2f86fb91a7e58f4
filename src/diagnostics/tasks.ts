/**
 * The guest's task list read from memory without the guest's help, the way OpenOCD's NuttX
 * awareness and NuttX's own GDB scripts do: `g_tcbinfo` gives the offsets of a TCB's fields
 * (pid, state, priority, name, stack, saved registers), `g_pidhash`/`g_npidhash` list the TCBs,
 * and the head of `g_readytorun` is the running task. The project's own test OS (firmware/diag/
 * os) publishes the same, so CI proves with it what NuttX does.
 *
 * struct tcbinfo_s (packed): uint16 pid_off, state_off, pri_off, name_off, stack_off,
 * stack_size_off, regs_off, regs_num; then a pointer to regs_num uint16 offsets of each
 * register (GDB's m-profile order r0-r12, sp, lr, pc, xpsr) in the saved-register area that
 * tcb.xcp.regs points to (0xffff: not saved).
 */
import type { Cpu } from '../core/cpu.js';
import type { SymbolTable } from '../loader/elf.js';
import { readCString, type GuestMemory } from './guestMemory.js';

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
const NAME_MAX = 32;

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

interface Layout {
  pid: number;
  state: number;
  pri: number;
  name: number;
  stack: number;
  stackSize: number;
  regs: number;
  regOffsets: number[];
}

export class TaskList {
  private constructor(
    private readonly mem: GuestMemory,
    private readonly layout: Layout,
    private readonly pidhash: number,
    private readonly npidhash: number,
    private readonly readytorun: number | undefined,
  ) {}

  /** The task list of an image that publishes g_tcbinfo and g_pidhash, else null. */
  static detect(symbols: SymbolTable, mem: GuestMemory): TaskList | null {
    const info = symbols.lookup('g_tcbinfo');
    const pidhash = symbols.lookup('g_pidhash');
    const npidhash = symbols.lookup('g_npidhash');
    if (!info || !pidhash || !npidhash) return null;
    const at = info.value >>> 0;
    const u16 = (i: number) => mem.read16(at + 2 * i);
    const fields = [0, 1, 2, 3, 4, 5, 6, 7].map(u16);
    if (fields.some((f) => f === undefined)) return null;
    const [pid, state, pri, name, stack, stackSize, regs, regsNum] = fields as number[];
    const table = mem.read32(at + 16);
    const regOffsets: number[] = [];
    for (let i = 0; i < Math.min(regsNum!, 64) && table !== undefined; i++) {
      regOffsets.push(mem.read16(table + 2 * i) ?? 0xffff);
    }
    const layout = {
      pid: pid!,
      state: state!,
      pri: pri!,
      name: name!,
      stack: stack!,
      stackSize: stackSize!,
      regs: regs!,
      regOffsets,
    };
    // this_task(): the head of g_readytorun; g_running_tasks[0] where that list is not published.
    const rtr = symbols.lookup('g_readytorun')?.value ?? symbols.lookup('g_running_tasks')?.value;
    return new TaskList(mem, layout, pidhash.value >>> 0, npidhash.value >>> 0, rtr);
  }

  /** The TCB of the running task (the head of g_readytorun, or g_running_tasks[0]), if known. */
  runningTcb(): number | undefined {
    if (this.readytorun === undefined) return undefined;
    const head = this.mem.read32(this.readytorun);
    return head ? head : undefined;
  }

  tasks(): TaskInfo[] {
    const mem = this.mem;
    const table = mem.read32(this.pidhash);
    const n = mem.read32(this.npidhash);
    if (!table || n === undefined || n > 4096) return [];
    const running = this.runningTcb();
    const out: TaskInfo[] = [];
    for (let i = 0; i < n && out.length < MAX_TASKS; i++) {
      const tcb = mem.read32(table + 4 * i);
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
    const pid = m.read32(tcb + L.pid);
    const state = m.read8(tcb + L.state);
    if (pid === undefined || state === undefined) return undefined;
    return {
      pid: pid | 0,
      name: readCString(m, tcb + L.name, NAME_MAX) ?? '?',
      state,
      stateName: STATE_NAMES[state] ?? `state ${state}`,
      priority: m.read8(tcb + L.pri) ?? 0,
      tcb,
      stackBase: m.read32(tcb + L.stack) ?? 0,
      stackSize: m.read32(tcb + L.stackSize) ?? 0,
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
    const regs = this.mem.read32(task.tcb + this.layout.regs);
    return this.layout.regOffsets.map((off) =>
      regs && off !== 0xffff ? this.mem.read32(regs + off) : undefined,
    );
  }

  /** The words of a task's stack never written (NuttX's stack coloration: 0xdeadbeef). */
  unusedStack(task: TaskInfo, fill = 0xdeadbeef): number {
    let n = 0;
    for (let a = task.stackBase; a < task.stackBase + task.stackSize; a += 4, n += 4) {
      if (this.mem.read32(a) !== fill) break;
    }
    return n;
  }
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
