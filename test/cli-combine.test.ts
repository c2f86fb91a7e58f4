/**
 * Options combine: the console, scripts, --serial, --gdb, --trace, --log-file and --speed in
 * one run, as a user tries them — each case here failed before the one Runner (issue 9).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, ROOT, f4emu, tmpDir } from './helpers/cli.js';

const DEMO = path.join(ROOT, 'firmware/prebuilt/demo.elf');
const ECHO = path.join(ROOT, 'firmware/prebuilt/console-echo.elf');
const haveGdb = spawnSync('gdb-multiarch', ['--version']).status === 0;
const tmp = () => tmpDir('f4emu-combine-');

const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill();
});

/** Starts f4emu in the background; `waitFor(re)` resolves with the match on its stderr. */
function background(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const waitFor = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(stderr);
        if (m) {
          child.stderr!.off('data', check);
          resolve(m);
        }
      };
      child.stderr!.on('data', check);
      check();
      void exit.then(() => reject(new Error(`f4emu exited first: ${stderr}`)));
    });
  return { child, exit, waitFor, out: () => stdout, err: () => stderr };
}

describe('options combine', () => {
  it('--gdb keeps the console and the script: the banner arrives and --expect ends the run', () => {
    const r = f4emu(['run', DEMO, '--gdb', '0', '--expect', 'board demo', '--timeout', '30']);
    expect(r.stdout).toMatch(/f4emu board demo/);
    expect(r.stderr).toMatch(/GDB server listening on 127\.0\.0\.1:\d+/);
    expect(r.code, r.stderr).toBe(0);
  });

  it('--trace keeps the console, the script and --serial files', () => {
    const dir = tmp();
    const u3 = path.join(dir, 'u3.txt');
    const log = path.join(dir, 'trace.txt');
    const r = f4emu([
      'run',
      DEMO,
      '--trace',
      '--log-file',
      log,
      '--serial',
      `usart3=file:${u3}`,
      '--expect',
      'board demo',
      '--timeout',
      '60',
    ]);
    expect(r.stdout).toMatch(/f4emu board demo/);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(u3)).toBe(true);
    const trace = fs.readFileSync(log, 'utf8');
    expect(trace).toMatch(/^0x08[0-9a-f]{6} <Reset_Handler[^>]*>: /m);
    expect(trace.split('\n').length).toBeGreaterThan(100_000);
  });

  it('all at once: console + --gdb + --expect/--send + --serial + --trace + --speed realtime', () => {
    const dir = tmp();
    const r = f4emu([
      'run',
      DEMO,
      '--gdb',
      '0',
      '--trace',
      '--log-file',
      path.join(dir, 'trace.txt'),
      '--serial',
      `usart3=file:${path.join(dir, 'u3.txt')}`,
      '--speed',
      'realtime',
      '--expect',
      'Enter for status',
      '--send',
      '\\r',
      '--expect-re',
      'uptime \\d+\\.\\d s',
      '--stats',
      '--timeout',
      '60',
    ]);
    expect(r.stdout).toMatch(/uptime 0\.\d s,$/); // a regex match ends where a character follows it
    expect(r.code, r.stderr).toBe(0);
  });

  it('piped stdin feeds the console, with --semihosting too', () => {
    const r = f4emu(
      ['run', ECHO, '--semihosting', '--expect', 'you said: HELLO', '--timeout', '20'],
      'hello\r',
    );
    expect(r.stdout).toMatch(/echo ready\r\n> hello\r\nyou said: HELLO/);
    expect(r.code, r.stderr).toBe(0);
    // The board demo (no semihosting): typed characters echo, Enter prints its status line.
    const demo = f4emu(['run', DEMO, '--expect', 'B1 is up', '--timeout', '20'], 'hi\r');
    expect(demo.stdout).toMatch(
      /hi\r\nuptime \d+\.\d s, LD4 green lit, B1 pressed 0 time\(s\), B1 is up/,
    );
    expect(demo.code, demo.stderr).toBe(0);
  });

  it('an --expect that never comes ends after 10 virtual seconds without --timeout', () => {
    const r = f4emu(['run', DEMO, '--expect', 'never printed']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /expected 'never printed' on the console, but it did not appear within 10\.000 virtual seconds/,
    );
    expect(r.stderr).toMatch(/\| LEDs LD4 LD3 LD5 LD6 take turns/);
    const quick = f4emu(['run', DEMO, '--expect', 'never', '--expect-timeout', '0.5']);
    expect(quick.stderr).toMatch(/within 0\.500 virtual seconds/);
  });

  it("f4emu's own messages start on a fresh line after the guest's output", () => {
    // stdout and stderr into one pipe: the echo firmware's prompt '> ' has no newline.
    const r = spawnSync(
      '/bin/sh',
      ['-c', `"${process.execPath}" "${CLI}" run "${ECHO}" --semihosting --timeout 1 2>&1`],
      { encoding: 'latin1', input: '' },
    );
    expect(r.stdout).toMatch(/echo ready\r\n> \nf4emu: stopped: timeout \(1 s\)/);
  });
});

describe('virtual time on the command line', () => {
  it('--speed realtime keeps virtual time with the wall clock across the PLL switch', () => {
    const r = f4emu(['run', DEMO, '--speed', 'realtime', '--timeout', '2', '--stats']);
    expect(r.code).toBe(4);
    const virtual = Number(/virtual=([\d.]+)s/.exec(r.stderr)![1]);
    // Node's start-up is not virtual time: a little less than the wall time, never more.
    expect(virtual).toBeGreaterThan(1);
    expect(virtual).toBeLessThanOrEqual(2.02);
  });

  it('--speed N paces virtual time at N times the wall clock', () => {
    // Slower than the wall clock, so a loaded host keeps up: 2 wall seconds, 1 virtual second.
    const r = f4emu(['run', DEMO, '--speed', '0.5', '--timeout', '2', '--stats']);
    const virtual = Number(/virtual=([\d.]+)s/.exec(r.stderr)![1]);
    expect(virtual).toBeGreaterThan(0.6);
    expect(virtual).toBeLessThanOrEqual(1.02);
  });
});

describe('tcp serial ports', () => {
  it('wait for the first client by default, and keep what the guest sent before (,nowait)', async () => {
    // The echo console on USART2 served over TCP; the guest runs before anybody connects.
    const e = background([
      'run',
      ECHO,
      '--semihosting',
      '--serial',
      'usart2=tcp:127.0.0.1:0,nowait',
      '--timeout',
      '30',
    ]);
    const [, port] = await e.waitFor(/USART2 on tcp:127\.0\.0\.1:(\d+)/);
    await new Promise((r) => setTimeout(r, 500)); // the banner is sent to nobody meanwhile
    const socket = net.connect(Number(port), '127.0.0.1');
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    while (!got.includes('> ')) await new Promise((r) => setTimeout(r, 20));
    expect(got).toBe('echo ready\r\n> ');
    socket.write('abc\r');
    while (!got.includes('you said: ABC')) await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
    e.child.kill();

    const w = background(['run', ECHO, '--semihosting', '--serial', 'usart2=tcp:0']);
    const [, port2] = await w.waitFor(/USART2 on tcp:127\.0\.0\.1:(\d+): waiting for a client/);
    const client = net.connect(Number(port2), '127.0.0.1');
    let got2 = '';
    client.on('data', (d) => (got2 += d.toString('latin1')));
    while (!got2.includes('> ')) await new Promise((r) => setTimeout(r, 20));
    expect(got2).toBe('echo ready\r\n> ');
    client.destroy();
    w.child.kill();
  });
});

describe.skipIf(!haveGdb)('GDB and the console together', () => {
  it('the console prints and the script runs while gdb-multiarch debugs', async () => {
    const e = background([
      'run',
      DEMO,
      '--gdb',
      '127.0.0.1:0',
      '--wait-gdb',
      '--expect',
      'Enter for status',
      '--send',
      '\\r',
      '--expect',
      'B1 is up',
      '--timeout',
      '60',
    ]);
    const [, port] = await e.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const g = spawn(
      'gdb-multiarch',
      [
        '-batch',
        '-nx',
        '-ex',
        `target remote 127.0.0.1:${port}`,
        '-ex',
        'break main',
        '-ex',
        'continue',
        '-ex',
        'print $pc',
        '-ex',
        'continue',
        DEMO,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.push(g);
    const gdbExit = new Promise((r) => g.on('exit', r));
    let out = '';
    g.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    g.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await e.exit;
    await gdbExit;
    expect(out).toMatch(/Breakpoint 1, 0x[0-9a-f]+ in main \(\)/);
    expect(e.out()).toMatch(/f4emu board demo on STM32F4Discovery/);
    expect(e.out()).toMatch(/uptime \d+\.\d s, LD4 green lit/);
    expect(code, e.err()).toBe(0);
  });
});

describe('the command line itself', () => {
  it('--version, run --help, and a one-line hint instead of a stack trace before a build', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(f4emu(['--version']).stdout).toBe(`f4emu ${pkg.version}\n`);
    const help = f4emu(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--expect-re REGEX/);
    expect(help.stdout).toMatch(/Every option combines with every other/);
    // A fresh clone: bin/ without dist/.
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(CLI, path.join(dir, 'bin', 'f4emu.js'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'f4emu.js'), '--help'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("f4emu: not built yet: run 'npm run build' (or 'npm start') first\n");
  });

  it('says when the data is not firmware, before running it', () => {
    const file = path.join(tmp(), 'notes.bin');
    fs.writeFileSync(file, 'Hello, these are my notes\n');
    const r = f4emu(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notes\.bin is not Cortex-M firmware: its initial SP 0x6c6c6548/);
  });

  it('--log shows interrupts and register accesses by name, to --log-file', () => {
    const log = path.join(tmp(), 'log.txt');
    const r = f4emu([
      'run',
      DEMO,
      '--log',
      'int,mmio=USART2',
      '--log-file',
      log,
      '--expect',
      'Enter for status',
      '--press-button',
      '--expect',
      'B1 pressed',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const text = fs.readFileSync(log, 'utf8');
    expect(text).toMatch(/^\[0\.\d{9}\] mmio: USART2\.BRR write 0x0000016d/m);
    expect(text).toMatch(
      /int: EXTI0 \(IRQ 6\) taken at pc 0x[0-9a-f]{8} <[^>]+>, handler 0x[0-9a-f]{8} <EXTI0_IRQHandler>/,
    );
    expect(text).toMatch(/int: SysTick taken/);
    // The log file is never overwritten.
    const again = f4emu([
      'run',
      DEMO,
      '--log',
      'int',
      '--log-file',
      log,
      '--max-instructions',
      '10',
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists \(\d+ bytes\) and is not f4emu's to overwrite/);
  });
});

describe('a terminal', () => {
  // A pseudo-terminal from Python's standard pty module: f4emu sees a real TTY.
  const PY = '/usr/bin/python3';
  const havePty = spawnSync(PY, ['-c', 'import pty']).status === 0;

  it.skipIf(!havePty)(
    'is raw with --semihosting too: typed text reaches USART2, Ctrl-A X quits',
    () => {
      const script = `
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def pump(until, seconds):
    global out
    end = time.time() + seconds
    while until not in out and time.time() < end:
        if select.select([fd], [], [], 0.05)[0]:
            try: out += os.read(fd, 4096)
            except OSError: return
pump(b'> ', 30)
os.write(fd, b'hi\\r')
pump(b'you said: HI', 30)
os.write(fd, b'\\x01x')
status = None
end = time.time() + 20
while status is None and time.time() < end:
    pump(b'\\0', 0.05)
    p, st = os.waitpid(pid, os.WNOHANG)
    if p: status = os.waitstatus_to_exitcode(st)
sys.stdout.write(repr(out) + '\\nexit %s\\n' % status)
`;
      const r = spawnSync(
        PY,
        ['-c', script, process.execPath, CLI, 'run', ECHO, '--semihosting', '--speed', 'max'],
        { encoding: 'utf8', timeout: 90_000 },
      );
      expect(r.stdout).toMatch(/> hi\\r\\r?\\nyou said: HI/);
      expect(r.stdout).toMatch(/exit 0\n$/);
    },
  );
});

describe('--net on the command line', () => {
  it('listens on each forward (127.0.0.1), records a pcap, and says when a port is taken', async () => {
    const dir = tmp();
    const pcap = path.join(dir, 'eth.pcap');
    const e = background([
      'run',
      DEMO,
      '--net',
      'user,hostfwd=tcp::0-:80',
      '--pcap',
      pcap,
      '--timeout',
      '30',
    ]);
    const [, port] = await e.waitFor(/forwarding tcp:127\.0\.0\.1:(\d+) to the guest:80/);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.destroy();
    // The same port again: one line, exit 2.
    const taken = f4emu(['run', DEMO, '--net', `user,hostfwd=tcp::${port}-:80`]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(new RegExp(`--net: hostfwd=tcp:127\\.0\\.0\\.1:${port}-:80: `));
    e.child.kill();
    await e.exit;
    const header = fs.readFileSync(pcap);
    expect(header.readUInt32LE(0)).toBe(0xa1b23c4d); // nanosecond pcap
    expect(header.readUInt32LE(20)).toBe(1); // LINKTYPE_ETHERNET
    expect(f4emu(['run', DEMO, '--pcap', path.join(dir, 'x.pcap')]).stderr).toMatch(
      /--pcap needs --net user/,
    );
    expect(f4emu(['run', DEMO, '--net', 'user,hostfwd=tcp::99999-:80']).stderr).toMatch(
      /out of range/,
    );
  });

  it('binds each UDP forward and says which port, or that the port is taken', async () => {
    const e = background(['run', DEMO, '--net', 'user,hostfwd=udp::0-:7', '--timeout', '30']);
    const [, port] = await e.waitFor(/forwarding udp:127\.0\.0\.1:(\d+) to the guest:7/);
    e.child.kill();
    await e.exit;
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', r));
    try {
      const busy = taken.address().port;
      const r = f4emu(['run', DEMO, '--net', `user,hostfwd=udp::${busy}-:7`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`--net: hostfwd=udp:127\\.0\\.0\\.1:${busy}-:7: `));
    } finally {
      taken.close();
    }
    expect(Number(port)).toBeGreaterThan(0);
  });
});
