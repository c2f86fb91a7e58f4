import { describe, expect, it } from 'vitest';
import { B_SELF, CODE, NOP, machineWithVectors, movs } from '../../test/helpers/machine.js';
import { Runner } from '../machine/runner.js';
import { ascii, frame, toAscii } from './packets.js';
import { GdbServer } from './server.js';
import type { ThreadEntry, ThreadProvider } from './threads.js';

/** Three tasks; `running` names the one on the CPU. Saved registers: r<n> = id * 0x100 + n. */
function fakeProvider(tasks: ThreadEntry[]): ThreadProvider & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    list: () => tasks,
    registers: (id) => {
      asked.push(id);
      const regs: Array<number | undefined> = Array.from({ length: 17 }, (_, n) => id * 0x100 + n);
      regs[12] = undefined; // not saved
      return regs;
    },
    describe: () => 'the table\n',
  };
}

const TASKS: ThreadEntry[] = [
  { id: 1, name: 'Idle Task', extra: 'Idle Task (pid 0) Ready prio 0', running: false },
  { id: 3, name: 'sleeper', extra: 'sleeper (pid 2) Waiting,Signal prio 120', running: false },
  { id: 0x1a, name: 'a<b', extra: 'a<b (pid 25) Running prio 9', running: true },
];

function connect(threads: ThreadProvider | undefined, code = [movs(0, 1), NOP, B_SELF]) {
  const m = machineWithVectors(code);
  const out: string[] = [];
  const server = new GdbServer(m, { send: (d) => out.push(toAscii(d)), threads });
  server.attach();
  const runner = new Runner(m);
  runner.attachDebugger(server);
  /** Sends one packet; the last reply payload (and any O console output before it). */
  const cmd = (payload: string) => {
    out.length = 0;
    server.receive(frame(ascii(payload)));
    for (let i = 0; i < 100 && server.running; i++) runner.runSync(1000);
    const text = out.join('');
    const replies = [...text.matchAll(/\$([^#]*)#[0-9a-f]{2}/g)].map((r) => r[1]!);
    if (replies.length === 0) throw new Error(`no reply in '${text}'`);
    return replies[replies.length - 1]!;
  };
  const monitor = (c: string) => {
    out.length = 0;
    server.receive(frame(ascii('qRcmd,' + Buffer.from(c).toString('hex'))));
    const o = /\$O([0-9a-f]*)#/.exec(out.join(''))![1]!;
    return Buffer.from(o, 'hex').toString();
  };
  return { m, cmd, monitor };
}

const hexText = (s: string) => Buffer.from(s).toString('hex');
const le = (v: number) => Buffer.from(Uint32Array.of(v).buffer).toString('hex');

describe('OS tasks as GDB threads', () => {
  it('lists the tasks, names the running one, gives extra info and liveness', () => {
    const { cmd } = connect(fakeProvider(TASKS));
    expect(cmd('qfThreadInfo')).toBe('m1,3,1a');
    expect(cmd('qsThreadInfo')).toBe('l');
    expect(cmd('qC')).toBe('QC1a');
    expect(cmd('qThreadExtraInfo,3')).toBe(hexText('sleeper (pid 2) Waiting,Signal prio 120'));
    expect(cmd('qThreadExtraInfo,2')).toBe('');
    expect(cmd('T3')).toBe('OK');
    expect(cmd('T2')).toBe('E01');
    expect(cmd('qSupported')).toContain('qXfer:threads:read+');
    const xml = cmd('qXfer:threads:read::0,1000');
    expect(xml[0]).toBe('l');
    expect(xml).toContain('<thread id="3" name="sleeper">sleeper (pid 2) Waiting,Signal');
    expect(xml).toContain('<thread id="1a" name="a&lt;b">a&lt;b (pid 25) Running prio 9</thread>');
  });

  it('stop replies carry the running task', () => {
    const { cmd } = connect(fakeProvider(TASKS));
    expect(cmd('s')).toBe('T05thread:1a;');
    expect(cmd('?')).toBe('T05thread:1a;');
  });

  it("Hg selects a task: g and p give its saved registers, 'x' where none was saved", () => {
    const provider = fakeProvider(TASKS);
    const { m, cmd } = connect(provider);
    m.cpu.r[0] = 0x11223344;
    const own = cmd('g');
    expect(own.slice(0, 8)).toBe('44332211');
    expect(cmd('Hg3')).toBe('OK');
    const g = cmd('g');
    expect(g.length).toBe(own.length);
    expect(g.slice(0, 8)).toBe(le(0x300));
    expect(g.slice(12 * 8, 13 * 8)).toBe('xxxxxxxx'); // r12 not saved
    expect(g.slice(15 * 8, 16 * 8)).toBe(le(0x30f)); // pc
    expect(g.slice(16 * 8, 17 * 8)).toBe(le(0x310)); // xpsr
    // Thread mode on MSP (CONTROL.SPSEL 0): msp is the task's SP, psp the CPU's.
    expect(g.slice(17 * 8, 18 * 8)).toBe(le(0x30d));
    expect(g.slice(18 * 8, 19 * 8)).toBe(le(m.cpu.psp));
    expect(g.slice(19 * 8)).toMatch(/^x+$/); // primask.. and the FPU: not in the saved context
    expect(cmd('pf')).toBe(le(0x30f));
    expect(cmd('p18')).toBe('x'.repeat(16)); // d1
    expect(provider.asked).toContain(3);
    // Writes to a task that is not running are refused; memory is the same for every task.
    expect(cmd('P0=00000000')).toBe('E01');
    expect(cmd('G' + own)).toBe('E01');
    expect(cmd('m20000000,2')).toBe('0120');
    // The running task is the CPU itself, writable.
    expect(cmd('Hg1a')).toBe('OK');
    expect(cmd('g')).toBe(own);
    expect(cmd('P0=00000000')).toBe('OK');
    expect(m.cpu.r[0]).toBe(0);
    expect(cmd('Hg3')).toBe('OK');
    expect(cmd('Hg0')).toBe('OK'); // any thread: the running one
    expect(cmd('p0')).toBe('00000000');
    expect(cmd('Hg7')).toBe('E01'); // no such task
    expect(cmd('Hc3')).toBe('OK');
    expect(cmd('Hc-1')).toBe('OK');
  });

  it('with threads on PSP, psp is the task SP and msp the handler stack', () => {
    const { m, cmd } = connect(fakeProvider(TASKS));
    m.cpu.psp = 0x20004000;
    m.cpu.setModeAndControl(0, 2); // thread mode on PSP
    expect(cmd('Hg3')).toBe('OK');
    expect(cmd('p12')).toBe(le(0x30d)); // psp (register 18)
    expect(cmd('p11')).toBe(le(m.cpu.msp)); // msp (register 17)
    m.cpu.setModeAndControl(15, 2); // in a handler (SysTick): PSP in use, not 0
    expect(cmd('p12')).toBe(le(0x30d));
    expect(cmd('pd')).toBe(le(0x30d)); // sp
  });

  it('a stop resets the selection to the running task (GDB assumes so without sending Hg)', () => {
    const { m, cmd } = connect(fakeProvider(TASKS));
    expect(cmd('Hg3')).toBe('OK');
    expect(cmd('vCont;s:1a;c')).toBe('T05thread:1a;');
    expect(cmd('p0')).toBe(le(m.cpu.r[0]!));
  });

  it('vCont runs the action meant for the running task', () => {
    const { m, cmd } = connect(fakeProvider(TASKS), [movs(0, 1), movs(0, 2), movs(0, 3), B_SELF]);
    expect(cmd('Z0,20000004,2')).toBe('OK');
    // Step asked for the blocked sleeper, continue for the others: the CPU continues.
    expect(cmd('vCont;s:3;c')).toBe('T05swbreak:;thread:1a;');
    expect(m.cpu.pc).toBe(CODE + 4);
    m.cpu.setPc(CODE);
    expect(cmd('vCont;s:1a;c')).toBe('T05thread:1a;');
    expect(m.cpu.pc).toBe(CODE + 2);
  });

  it('monitor tasks prints the provider table', () => {
    const { monitor } = connect(fakeProvider(TASKS));
    expect(monitor('tasks')).toBe('the table\n');
    expect(monitor('help')).toMatch(/tasks/);
  });

  it('without tasks (OS not started) or without a provider: one thread, as before', () => {
    for (const provider of [fakeProvider([]), undefined]) {
      const { m, cmd, monitor } = connect(provider);
      expect(cmd('qfThreadInfo')).toBe('m1');
      expect(cmd('qsThreadInfo')).toBe('l');
      expect(cmd('qC')).toBe('QC1');
      expect(cmd('Hg0')).toBe('OK');
      expect(cmd('Hg5')).toBe('OK');
      expect(cmd('T7')).toBe('OK');
      expect(cmd('qThreadExtraInfo,1')).toBe('');
      m.cpu.r[0] = 5;
      expect(cmd('p0')).toBe(le(5));
      expect(cmd('s')).toBe('T05thread:1;');
      expect(monitor('tasks')).toMatch(provider ? /not started/ : /no task list/);
      expect(cmd('qSupported').includes('qXfer:threads')).toBe(provider !== undefined);
      if (provider) expect(cmd('qXfer:threads:read::0,100')).toMatch(/<thread id="1"\/>/);
      else expect(cmd('qXfer:threads:read::0,100')).toBe('');
    }
  });
});
