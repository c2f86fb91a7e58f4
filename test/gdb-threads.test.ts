/**
 * The guest's tasks as GDB threads on firmware/prebuilt/diag/tasks.elf (source:
 * firmware/diag/tasks.c): stopped at tasks_ready, where the header of tasks.c says which tasks
 * exist, in which state, and where each one's saved PC is. First the stub's packets (thread
 * list, extra info, a blocked task's saved registers), then Debian's gdb-multiarch over TCP
 * (`info threads`, `thread N` + `bt`), skipped where it is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ascii, frame, toAscii } from '../src/gdb/packets.js';
import { GdbServer } from '../src/gdb/server.js';
import { taskThreadsFor } from '../src/gdb/taskThreads.js';
import type { ThreadProvider } from '../src/gdb/threads.js';
import { GdbTcpListener } from '../src/host/gdbTcp.js';
import { nodeRunnerHost } from '../src/host/runnerHost.js';
import { parseImage } from '../src/loader/image.js';
import { boot } from '../src/machine/firmware.js';
import { Machine } from '../src/machine/machine.js';
import { Runner } from '../src/machine/runner.js';
import { ConsoleOnlyHost } from '../src/machine/semihosting.js';

const FIRMWARE = path.resolve(__dirname, '../firmware');
const ELF = 'prebuilt/diag/tasks.elf';
const image = parseImage(fs.readFileSync(path.join(FIRMWARE, ELF)), 'tasks.elf');
const symbols = image.symbols;
const GDB = 'gdb-multiarch';
const haveGdb = spawnSync(GDB, ['--version']).status === 0;
if (!haveGdb) console.warn(`test/gdb-threads.test.ts: ${GDB} not found; skipping the GDB session`);

/** [start, end) of a function. */
function extent(name: string): [number, number] {
  const s = symbols.lookup(name)!;
  const start = s.value & ~1;
  return [start, start + s.size];
}

/** The machine booted with semihosting; the server sees its tasks through the OS tables. */
function bootTasks(): { m: Machine; threads: ThreadProvider } {
  const m = new Machine({ warn: () => {} });
  boot(m, image, { semihosting: new ConsoleOnlyHost(() => {}) });
  const threads = taskThreadsFor(symbols, m.bus, m.cpu);
  if (threads === undefined) throw new Error('tasks.elf publishes no g_tcbinfo');
  return { m, threads };
}

/** A debugger's packets, answered by a stub on the runner every front end uses. */
function connect() {
  const { m, threads } = bootTasks();
  const out: string[] = [];
  const server = new GdbServer(m, { send: (d) => out.push(toAscii(d)), symbols, threads });
  server.attach();
  const runner = new Runner(m);
  runner.attachDebugger(server);
  const cmd = (payload: string) => {
    out.length = 0;
    server.receive(frame(ascii(payload)));
    for (let i = 0; i < 1000 && server.running; i++) runner.runSync(100_000);
    const replies = [...out.join('').matchAll(/\$([^#]*)#[0-9a-f]{2}/g)].map((r) => r[1]!);
    if (replies.length === 0) throw new Error(`no reply to ${payload}`);
    return replies[replies.length - 1]!;
  };
  const text = (hex: string) => Buffer.from(hex, 'hex').toString();
  const monitor = (c: string) => {
    out.length = 0;
    server.receive(frame(ascii('qRcmd,' + Buffer.from(c).toString('hex'))));
    return text(/\$O([0-9a-f]*)#/.exec(out.join(''))![1]!);
  };
  return { m, cmd, text, monitor };
}

/** A register from a `g` reply (little-endian hex, 8 digits each). */
const regOf = (g: string, n: number) =>
  Buffer.from(g.slice(8 * n, 8 * n + 8), 'hex').readUInt32LE(0);

describe('tasks as threads: packets', () => {
  it('before the OS starts there is one thread; at tasks_ready the six tasks', () => {
    const { m, cmd, text, monitor } = connect();
    expect(cmd('qfThreadInfo')).toBe('m1');
    expect(cmd('qC')).toBe('QC1');
    const [ready] = extent('tasks_ready');
    expect(cmd(`Z0,${ready.toString(16)},2`)).toBe('OK');
    expect(cmd('c')).toBe('T05swbreak:;thread:6;'); // reporter, pid 5
    expect(m.cpu.pc).toBe(ready);
    // Thread id = pid + 1: Idle Task, main, sleeper, waiter, spinner, reporter.
    expect(cmd('qfThreadInfo')).toBe('m1,2,3,4,5,6');
    expect(cmd('qsThreadInfo')).toBe('l');
    expect(cmd('qC')).toBe('QC6');
    const extra = [1, 2, 3, 4, 5, 6].map((id) => text(cmd(`qThreadExtraInfo,${id}`)));
    expect(extra).toEqual([
      'Idle Task (pid 0) Ready prio 0',
      'main (pid 1) Waiting,Semaphore prio 100',
      'sleeper (pid 2) Waiting,Signal prio 120',
      'waiter (pid 3) Waiting,Semaphore prio 110',
      'spinner (pid 4) Ready prio 50',
      'reporter (pid 5) Running prio 90',
    ]);
    expect(cmd('T3')).toBe('OK');
    expect(cmd('T7')).toBe('E01');
    const xml = cmd('qXfer:threads:read::0,1000');
    expect(xml).toContain('<thread id="3" name="sleeper">');
    expect(monitor('tasks')).toMatch(/^\s+2 sleeper\s+Waiting,Signal\s+120 .*usleep/m);
  });

  it("selecting a blocked task gives its saved registers: the sleeper's PC is in usleep", () => {
    const { m, cmd } = connect();
    cmd(`Z0,${extent('tasks_ready')[0].toString(16)},2`);
    cmd('c');
    const own = cmd('g');
    expect(regOf(own, 15)).toBe(m.cpu.pc);
    const inside = (name: string, pc: number) => {
      const [start, end] = extent(name);
      expect(pc, name).toBeGreaterThanOrEqual(start);
      expect(pc, name).toBeLessThan(end);
    };
    const saved = (id: number) => {
      expect(cmd(`Hg${id}`)).toBe('OK');
      return cmd('g');
    };
    const sleeper = saved(3);
    inside('usleep', regOf(sleeper, 15));
    expect(cmd('pf')).toBe(sleeper.slice(15 * 8, 16 * 8));
    // Its stack pointer lies in its own stack; memory reads are the same whatever the thread.
    const sp = regOf(sleeper, 13);
    expect(sp).not.toBe(m.cpu.r[13]);
    expect(cmd(`m${sp.toString(16)},4`)).toMatch(/^[0-9a-f]{8}$/);
    expect(cmd('P0=00000000')).toBe('E01');
    inside('sem_wait', regOf(saved(4), 15)); // waiter
    inside('spinner_main', regOf(saved(5), 15));
    expect(regOf(saved(1), 15)).toBe(extent('nxtask_start')[0]); // idle task: never ran
    expect(saved(6)).toBe(own); // the running reporter: the CPU itself
    // A stop hands the selection back to the running task.
    expect(cmd('Hg3')).toBe('OK');
    expect(cmd('s')).toBe('T05thread:6;');
    expect(regOf(cmd('g'), 15)).toBe(m.cpu.pc);
  });
});

describe.skipIf(!haveGdb)('tasks as threads: gdb-multiarch', () => {
  it('info threads names the tasks; thread 4 (the sleeper) + bt unwinds through usleep', async () => {
    const { m, threads } = bootTasks();
    const runner = new Runner(m, { host: nodeRunnerHost, speed: 'max' });
    const listener = new GdbTcpListener(m, {
      symbols,
      threads,
      onConnect: () => runner.holdForDebugger(false),
      onResume: () => runner.wake(),
      onActivity: () => runner.wake(),
      onDisconnect: () => runner.quit('debugger gone'),
      onKill: () => runner.quit('killed'),
    });
    runner.attachDebugger(listener);
    runner.holdForDebugger(true);
    const { port } = await listener.listen({ host: '127.0.0.1', port: 0 });
    const running = runner.run();
    // GDB numbers threads in the order it meets them: thread 1 from before the OS started (the
    // idle task's id), the reporter from the stop reply, then the others from the thread list.
    const commands = [
      'set confirm off',
      `target remote 127.0.0.1:${port}`,
      'break tasks_ready',
      'continue',
      'info threads',
      'thread 4',
      'bt',
      'thread apply all bt',
      'kill',
    ];
    const args = ['-batch', '-nx', ...commands.flatMap((c) => ['-ex', c]), ELF];
    const g = spawn(GDB, args, { cwd: FIRMWARE, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    g.stdout.on('data', (d: Buffer) => (out += d.toString()));
    g.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => g.on('exit', resolve));
    await running;
    await listener.close();
    const names = ['Idle Task', 'main', 'sleeper', 'waiter', 'spinner', 'reporter'];
    names.forEach((name, pid) => {
      const row = new RegExp(`Thread ${pid + 1} "${name}" \\(${name} \\(pid ${pid}\\) [A-Z]`);
      expect(out).toMatch(row);
    });
    expect(out).toMatch(/^\* 2\s+Thread 6 "reporter" .* tasks_ready \(/m);
    expect(out).toMatch(
      /^ {2}4\s+Thread 3 "sleeper" \(sleeper \(pid 2\) Waiting,Signal prio 120\)/m,
    );
    // thread 4 + bt: the sleeper's own stack, from its saved PC in usleep out to its task function.
    const switched = out.indexOf('[Switching to thread 4 (Thread 3)]');
    expect(switched).toBeGreaterThan(0);
    const sleeperBt = out.slice(switched, out.indexOf('\nThread ', switched));
    expect(sleeperBt).toMatch(/^#\d+ .*usleep \(usec=.*\) at diag\/os\/sched\.c:\d+$/m);
    expect(sleeperBt).toMatch(/^#\d+ .*sleeper_main \(.*\) at diag\/tasks\.c:\d+$/m);
    expect(sleeperBt).not.toMatch(/not available|Backtrace stopped/);
    // thread apply all bt: every task unwinds through its own frames.
    const section = (pid: number) => {
      const at = out.indexOf(`(Thread ${pid + 1} "${names[pid]}" (`);
      expect(at, names[pid]).toBeGreaterThan(0);
      const end = out.indexOf('\nThread ', at);
      return out.slice(at, end < 0 ? undefined : end);
    };
    expect(section(1)).toMatch(/#\d+ .*waitpid \([^]*#\d+ .*main \(\)/);
    expect(section(2)).toMatch(/#\d+ .*usleep \([^]*#\d+ .*sleeper_main \(/);
    expect(section(3)).toMatch(/#\d+ .*sem_wait \([^]*#\d+ .*waiter_main \(/);
    expect(section(4)).toMatch(/#0 .*spinner_main \(/);
    expect(section(5)).toMatch(/#0 {2}tasks_ready \([^]*#1 .*reporter_main \(/);
    expect(out).not.toMatch(/not available/);
  }, 60_000);
});
