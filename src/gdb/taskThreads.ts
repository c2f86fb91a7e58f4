/**
 * The GDB server's thread provider over the task list diagnostics reads from NuttX's tables
 * (g_tcbinfo, g_pidhash; the test OS in firmware/diag/os publishes the same). GDB thread ids
 * are pid + 1, as GDB's thread id 0 means "any thread" and NuttX's idle task is pid 0.
 */
import type { Bus } from '../bus/bus.js';
import type { Cpu } from '../core/cpu.js';
import { busMemory } from '../diagnostics/guestMemory.js';
import { TaskList, formatTasks, type TaskInfo } from '../diagnostics/tasks.js';
import type { SymbolTable } from '../loader/elf.js';
import type { ElfSection } from '../loader/elfSections.js';
import type { ThreadEntry, ThreadProvider } from './threads.js';

/** GDB's id of a task. */
export const threadId = (pid: number): number => pid + 1;

/** `sleeper (pid 2) Waiting,Signal prio 120`: what `info threads` shows beside the name. */
export function taskExtra(t: TaskInfo): string {
  return `${t.name} (pid ${t.pid}) ${t.stateName} prio ${t.priority}`;
}

/**
 * Tasks as threads. `describe` names a PC in `monitor tasks` (say, symbols.describe); the
 * registers of a task not running are its saved context (the TCB's xcp.regs).
 */
export function createTaskThreadProvider(
  list: TaskList,
  cpu: Cpu,
  describe: (pc: number) => string = () => '',
): ThreadProvider {
  return {
    list: (): ThreadEntry[] =>
      list.tasks().map((t) => ({
        id: threadId(t.pid),
        name: t.name,
        extra: taskExtra(t),
        running: t.running,
      })),
    registers: (id) => {
      const t = list.tasks().find((e) => threadId(e.pid) === id);
      return t === undefined ? [] : list.registers(t, cpu);
    },
    describe: () => formatTasks(list, cpu, describe).join('\n') + '\n',
  };
}

/**
 * The provider for an image, or undefined when it publishes no task tables (bare metal):
 * what `GdbServerOptions.threads` takes. Memory is read through the bus's peek, as a debugger.
 */
export function taskThreadsFor(
  symbols: SymbolTable,
  bus: Bus,
  cpu: Cpu,
  /** The ELF's sections: the TCB layout from DWARF when the image has no g_tcbinfo. */
  sections?: readonly ElfSection[],
): ThreadProvider | undefined {
  const list = TaskList.detect(symbols, busMemory(bus), sections);
  if (list === null) return undefined;
  return createTaskThreadProvider(list, cpu, (pc) => symbols.describe(pc) ?? '');
}
