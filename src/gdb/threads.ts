/**
 * The guest OS's tasks as GDB threads, the way OpenOCD's RTOS awareness shows them: the list,
 * names and states come from a ThreadProvider (an adapter over the OS's own tables, so the
 * server knows no OS), the running task's registers are the CPU's, every other task's are the
 * context the OS saved when it switched away. Without a provider, or while it reports no task
 * (before the OS has started), the target is the one thread 1 it always was.
 */
import type { Cpu } from '../core/cpu.js';
import { ascii, hexLe32, parseHex32, toHex } from './packets.js';
import { REGISTERS } from './target.js';

/** One task as GDB sees it. */
export interface ThreadEntry {
  /** GDB's thread id: at least 1 (0 means "any thread" and -1 "all" in the protocol). */
  id: number;
  /** Short name (`info threads` shows it in quotes). */
  name: string;
  /** One line about it: qThreadExtraInfo, `info threads` in parentheses. */
  extra: string;
  /** The task on the CPU now. */
  running: boolean;
}

export interface ThreadProvider {
  /** The tasks now, read afresh from guest memory on each call. */
  list(): ThreadEntry[];
  /**
   * A task's saved registers in GDB's m-profile order r0-r12, sp, lr, pc, xpsr; undefined where
   * the OS did not save one. Asked only for tasks not running (the CPU holds those).
   */
  registers(id: number): Array<number | undefined>;
  /** Text for `monitor tasks` (a table), if the provider has one. */
  describe?(): string;
}

/** The saved-context registers: r0-r12, sp, lr, pc, xpsr are GDB's registers 0-16. */
const SAVED_REGISTERS = 17;

/** The one thread id of a target without (or before) tasks. */
const SINGLE = 1;

export class GdbThreads {
  /** The thread Hg selected; null follows the running one. Every stop resets it. */
  private selected: number | null = null;

  constructor(private readonly provider: ThreadProvider | undefined) {}

  /** Whether `qXfer:threads:read` is offered (only when an OS can be asked). */
  get enabled(): boolean {
    return this.provider !== undefined;
  }

  /** The tasks, or null while the target is a single thread. */
  private tasks(): ThreadEntry[] | null {
    const list = this.provider?.list();
    return list !== undefined && list.length > 0 ? list : null;
  }

  /** The running task's id (thread 1 without tasks; the first task if none is marked). */
  runningId(list = this.tasks()): number {
    if (list === null) return SINGLE;
    return (list.find((t) => t.running) ?? list[0]!).id;
  }

  /**
   * The target stopped: GDB takes the stop reply's thread (the running task) as the one it
   * reads registers from without sending Hg, so the selection follows the running task again.
   */
  onStop(): void {
    this.selected = null;
  }

  /**
   * The saved registers of the selected thread, or null when that is the CPU's own (no tasks,
   * nothing selected, the running task selected, or a task that has gone since).
   */
  savedRegisters(): Array<number | undefined> | null {
    if (this.selected === null || this.provider === undefined) return null;
    const list = this.tasks();
    const t = list?.find((e) => e.id === this.selected);
    if (t === undefined || t.running) return null;
    const regs = this.provider.registers(t.id);
    return Array.from({ length: SAVED_REGISTERS }, (_, i) => regs[i]);
  }

  /** `Hg ID` / `Hc ID`: only g selects whose registers are read; there is one CPU to resume. */
  setThread(p: string): string {
    const list = this.tasks();
    if (list === null) return 'OK';
    const which = p[1];
    const arg = p.slice(2);
    if (which !== 'g') return 'OK';
    if (arg === '0' || arg === '-1') {
      this.selected = null;
      return 'OK';
    }
    const id = parseHex32(arg);
    if (id === null || !list.some((t) => t.id === id)) return 'E01';
    this.selected = id;
    return 'OK';
  }

  /** `T ID`: is the thread alive. */
  alive(arg: string): string {
    const list = this.tasks();
    if (list === null) return 'OK';
    const id = parseHex32(arg);
    return id !== null && list.some((t) => t.id === id) ? 'OK' : 'E01';
  }

  /** qfThreadInfo, qsThreadInfo, qC, qThreadExtraInfo; null for any other query. */
  query(p: string): string | null {
    if (p === 'qfThreadInfo') {
      const list = this.tasks();
      return 'm' + (list === null ? [SINGLE] : list.map((t) => t.id)).map(hex).join(',');
    }
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'qC') return 'QC' + hex(this.runningId());
    if (p.startsWith('qThreadExtraInfo,')) {
      const id = parseHex32(p.slice(17));
      const t = this.tasks()?.find((e) => e.id === id);
      return t === undefined ? '' : toHex(ascii(t.extra));
    }
    return null;
  }

  /** The qXfer:threads:read document: each task with its name and extra text. */
  threadsXml(): string {
    const list = this.tasks();
    const threads =
      list === null
        ? [`<thread id="${hex(SINGLE)}"/>`]
        : list.map(
            (t) => `<thread id="${hex(t.id)}" name="${xml(t.name)}">${xml(t.extra)}</thread>`,
          );
    return ['<?xml version="1.0"?>', '<threads>', ...threads, '</threads>'].join('\n') + '\n';
  }

  /**
   * Of vCont's actions (`s:ID`, `c`, ...), the one for the running task: the only one the CPU
   * can carry out. A step asked for a blocked task lets the running one continue instead, as
   * the blocked task can only move once the OS switches to it.
   */
  vContAction(actions: string[]): string | undefined {
    if (this.tasks() === null) return actions[0]?.split(':')[0];
    const running = this.runningId();
    for (const a of actions) {
      const [action, thread] = a.split(':');
      if (thread === undefined || thread === '-1' || parseHex32(thread) === running) return action;
    }
    return actions[0]?.split(':')[0];
  }

  /** `monitor tasks`. */
  describe(): string {
    if (this.provider === undefined) return 'no task list: the image publishes no OS tables\n';
    if (this.tasks() === null) return 'no tasks yet (the OS has not started)\n';
    const text = this.provider.describe?.();
    if (text !== undefined) return text.endsWith('\n') ? text : text + '\n';
    return this.provider
      .list()
      .map((t) => `${t.running ? '*' : ' '} ${t.id} ${t.name}: ${t.extra}\n`)
      .join('');
  }
}

/**
 * Register `n` (GDB's numbering) of a task that is not running, as `g`/`p` send it: r0-r15 and
 * xPSR from its saved context, 'x' digits (unavailable) for what the OS did not save. Of the
 * banked stack pointers, the one thread mode uses is the task's saved SP and the other one the
 * CPU's: GDB's M-profile unwinder reads both in every frame, and stops with "Register N is not
 * available" where it cannot. Thread mode's choice (CONTROL.SPSEL) is the same for every task;
 * in handler mode, where SPSEL reads 0, a PSP in use (not 0) says threads run on it.
 */
export function taskRegisterHex(saved: Array<number | undefined>, n: number, cpu: Cpu): string {
  const r = REGISTERS[n]!;
  let value = n < SAVED_REGISTERS ? saved[n] : undefined;
  if (r.name === 'msp' || r.name === 'psp') {
    const threadsOnPsp = cpu.ipsr === 0 ? (cpu.control & 2) !== 0 : cpu.psp !== 0;
    value = (r.name === 'psp') === threadsOnPsp ? saved[13] : r.read(cpu);
  }
  if (value === undefined || r.bitsize !== 32) return 'x'.repeat(r.bitsize / 4);
  return hexLe32(value);
}

const hex = (n: number) => n.toString(16);

const xml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
