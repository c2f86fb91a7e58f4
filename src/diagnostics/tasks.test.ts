/**
 * TaskList from DWARF on an older NuttX's shapes (test/helpers/dwarf.ts, oldNuttxTcb): no
 * g_tcbinfo and no g_npidhash, g_pidhash an array of struct pidhash_s, pid_t 16 bits, the stack
 * kept as its top (adj_stack_ptr) — read from memory laid out by hand. The layout from the
 * project's own firmware is compared with its g_tcbinfo in test/diag-stack-sources.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { oldNuttxTcb } from '../../test/helpers/dwarf.js';
import type { Cpu } from '../core/cpu.js';
import { SymbolTable } from '../loader/elf.js';
import type { GuestMemory } from './guestMemory.js';
import { TaskList } from './tasks.js';

const PIDHASH = 0x20000100; // 4 entries of 8 bytes: tcb pointer, pid
const READYTORUN = 0x20000200; // a queue: head, tail
const IDLE = 0x20001000;
const WORKER = 0x20002000;

/** Bytes in a Map: what the tests write, undefined elsewhere. */
function memory() {
  const bytes = new Map<number, number>();
  const read = (addr: number, n: number) => {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) {
      const b = bytes.get(addr + i);
      if (b === undefined) return undefined;
      v = v * 256 + b;
    }
    return v >>> 0;
  };
  const mem: GuestMemory = {
    read8: (a) => read(a, 1),
    read16: (a) => read(a, 2),
    read32: (a) => read(a, 4),
  };
  const write = (addr: number, value: number, n: number) => {
    for (let i = 0; i < n; i++) bytes.set(addr + i, (value >>> (8 * i)) & 0xff);
  };
  const text = (addr: number, s: string) =>
    [...s, '\0'].forEach((c, i) => write(addr + i, c.charCodeAt(0), 1));
  return { mem, write, text };
}

/** A TCB in the hand-made layout (pid@4 int16, prio@6, state@7, size@8, top@16, name@20). */
function tcb(m: ReturnType<typeof memory>, at: number, t: { pid: number; prio: number; state: number; top: number; size: number; name: string }) {
  m.write(at, 0, 144);
  m.write(at + 4, t.pid, 2);
  m.write(at + 6, t.prio, 1);
  m.write(at + 7, t.state, 1);
  m.write(at + 8, t.size, 4);
  m.write(at + 12, t.top - t.size, 4); // stack_alloc_ptr
  m.write(at + 16, t.top, 4); // adj_stack_ptr
  m.text(at + 20, t.name);
} // prettier-ignore

const symbols = new SymbolTable([
  { name: 'g_pidhash', value: PIDHASH, size: 32, type: 1 },
  { name: 'g_readytorun', value: READYTORUN, size: 8, type: 1 },
]);

function oldNuttx() {
  const m = memory();
  m.write(PIDHASH, 0, 32);
  m.write(PIDHASH, IDLE, 4);
  m.write(PIDHASH + 4, 0, 2);
  m.write(PIDHASH + 16, WORKER, 4);
  m.write(PIDHASH + 20, 0xfffe, 2); // a pid the entry keeps; the TCB's is what counts
  m.write(READYTORUN, IDLE, 4);
  tcb(m, IDLE, { pid: 0, prio: 0, state: 3, top: 0x20004000, size: 0x400, name: 'Idle Task' });
  tcb(m, WORKER, { pid: 258, prio: 100, state: 5, top: 0x20003000, size: 0x800, name: 'worker' });
  return m;
}

describe('TaskList from the DWARF of an older NuttX', () => {
  it('lists the tasks through the struct pidhash_s array', () => {
    const m = oldNuttx();
    const list = TaskList.detect(symbols, m.mem, oldNuttxTcb())!;
    expect(list.source).toBe('DWARF');
    expect(list.layout).toMatchObject({ pidSize: 2, stackIsTop: true, regsInline: true });
    expect(list.tasks()).toEqual([
      { pid: 0, name: 'Idle Task', state: 3, stateName: 'Running', priority: 0,
        tcb: IDLE, stackBase: 0x20003c00, stackSize: 0x400, running: true },
      { pid: 258, name: 'worker', state: 5, stateName: 'Waiting,Semaphore',
        priority: 100, tcb: WORKER, stackBase: 0x20002800, stackSize: 0x800, running: false },
    ]); // prettier-ignore
    expect(list.current()?.name).toBe('Idle Task');
  });

  it('knows no saved registers (their places are the port’s #defines, not DWARF)', () => {
    const m = oldNuttx();
    const list = TaskList.detect(symbols, m.mem, oldNuttxTcb())!;
    const r = Uint32Array.from({ length: 16 }, (_, i) => 0x100 + i);
    const cpu = { r, xpsr: 0x01000000, pc: 0x08000100 } as unknown as Cpu;
    const [idle, worker] = list.tasks();
    expect(list.registers(worker!, cpu)).toEqual([]);
    expect(list.registers(idle!, cpu)[13]).toBe(cpu.r[13]); // the running task's are the CPU's
  });

  it('finds nothing without the DWARF, or without the table entry’s layout', () => {
    const m = oldNuttx();
    expect(TaskList.detect(symbols, m.mem)).toBeNull();
    const noEntry = structWithout(oldNuttxTcb(), 'pidhash_s');
    expect(TaskList.detect(symbols, m.mem, noEntry)).toBeNull();
  });
});

/** The sections with the named structure renamed out of the way. */
function structWithout(sections: ReturnType<typeof oldNuttxTcb>, name: string) {
  return sections.map((s) => {
    if (s.name !== '.debug_info') return s;
    const data = s.data.slice();
    const needle = new TextEncoder().encode(name + '\0');
    for (let i = 0; i + needle.length <= data.length; i++) {
      if (needle.every((b, j) => data[i + j] === b)) data[i] = 'X'.charCodeAt(0);
    }
    return { ...s, data };
  });
}
