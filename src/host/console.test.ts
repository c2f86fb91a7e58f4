import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Machine } from '../machine/machine.js';
import { Runner, type SerialPortLike } from '../machine/runner.js';
import {
  EscapeFilter,
  Terminal,
  attachFileSerial,
  attachTcpSerial,
  parseSerialOption,
  serialPortName,
} from './console.js';
import { nodeRunnerHost } from './runnerHost.js';

function fakePort(): SerialPortLike & { received: number[] } {
  const received: number[] = [];
  return { onTx: () => {}, send: (b) => received.push(...b), received };
}

/** A runner on a fresh machine whose USARTs record what their receivers were sent. */
function recordingRunner() {
  const m = new Machine({ warn: () => {} });
  const received = new Map<string, number[]>();
  for (const name of ['USART2', 'USART3']) {
    const port = m.peripherals.get(name) as unknown as SerialPortLike;
    const list: number[] = [];
    received.set(name, list);
    port.send = (b) => list.push(...b);
  }
  const runner = new Runner(m, { host: nodeRunnerHost });
  /** Delivers queued input (as the run loop does at a slice boundary). */
  const deliver = () => runner.runSync(0);
  return { m, runner, received, deliver };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('console escapes', () => {
  it('quits on Ctrl-A X, sends Ctrl-A on Ctrl-A Ctrl-A, swallows other escapes', () => {
    const f = new EscapeFilter();
    const none = { quit: false, help: false, button: 0, tasks: 0 };
    expect(f.feed(Buffer.from('ab\x01\x01c'))).toEqual({ ...none, data: [0x61, 0x62, 1, 0x63] });
    expect(f.feed(Buffer.from('\x01'))).toEqual({ ...none, data: [] });
    expect(f.feed(Buffer.from('zq'))).toEqual({ ...none, data: [0x71] });
    expect(f.feed(Buffer.from('\x03\x01hx'))).toEqual({ ...none, data: [3, 0x78], help: true });
    expect(f.feed(Buffer.from('\x01Xmore'))).toEqual({ ...none, data: [], quit: true });
  });

  it('presses the user button on Ctrl-A B (either case), once per escape', () => {
    const f = new EscapeFilter();
    expect(f.feed(Buffer.from('1\x01b2\x01B'))).toEqual({
      data: [0x31, 0x32],
      quit: false,
      help: false,
      button: 2,
      tasks: 0,
    });
  });

  it('asks for the task list on Ctrl-A T (either case)', () => {
    const f = new EscapeFilter();
    expect(f.feed(Buffer.from('\x01t\x01Tx'))).toEqual({
      data: [0x78],
      quit: false,
      help: false,
      button: 0,
      tasks: 2,
    });
  });
});

describe('the terminal', () => {
  it('is raw on a TTY with the Ctrl-A escapes, feeds the console, and is restored', async () => {
    const input = Object.assign(new PassThrough(), {
      isTTY: true,
      raw: [] as boolean[],
      setRawMode(raw: boolean) {
        this.raw.push(raw);
      },
    });
    const output = new PassThrough();
    const { runner, received, deliver } = recordingRunner();
    let quit = 0;
    let button = 0;
    let tasks = 0;
    const t = new Terminal(runner, {
      input,
      output,
      onQuit: () => quit++,
      onButton: () => button++,
      onTasks: () => tasks++,
    });
    expect(input.raw).toEqual([true]);
    for (const b of Buffer.from('hi\n')) runner.onConsoleOutput(b);
    expect(output.read()?.toString()).toBe('hi\n');
    runner.onConsoleOutput(0x3e);
    await tick();
    expect(output.read()?.toString()).toBe('>');
    input.write('ls\r\x01\x01\x01b');
    await tick();
    deliver();
    expect(received.get('USART2')).toEqual([0x6c, 0x73, 0x0d, 1]);
    expect(button).toBe(1);
    input.write('\x01t');
    await tick();
    expect(tasks).toBe(1);
    input.write('\x01x');
    await tick();
    expect(quit).toBe(1);
    await t.close();
    expect(input.raw).toEqual([true, false]);
  });

  it('passes piped input through untouched, and semihosting reads see it too', async () => {
    const input = new PassThrough();
    const { runner, received, deliver } = recordingRunner();
    const t = new Terminal(runner, { input, output: new PassThrough() });
    expect(t.semihosting.read(4)).toBeNull(); // nothing yet: the read waits
    input.write('\x01x');
    await tick();
    deliver();
    expect(received.get('USART2')).toEqual([1, 0x78]);
    expect(Array.from(t.semihosting.read(4)!)).toEqual([1, 0x78]);
    input.end();
    await tick();
    expect(t.semihosting.read(4)!.length).toBe(0); // end of input
    await t.close();
  });
});

describe('serial backends', () => {
  it('writes a port to a new file, and refuses to overwrite an existing one unless told', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-')), 'out.txt');
    const port = fakePort();
    const s = attachFileSerial('USART2', port, file);
    for (const b of Buffer.from('hello\nworld')) port.onTx(b);
    await s.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('hello\nworld');
    expect(s.description).toBe(`USART2 to file:${file}`);
    expect(() => attachFileSerial('USART2', fakePort(), file)).toThrow(/,overwrite or ,append/);
    expect(fs.readFileSync(file, 'utf8')).toBe('hello\nworld');
    const again = fakePort();
    const a = attachFileSerial('USART2', again, file, 'append');
    again.onTx(0x21);
    await a.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('hello\nworld!');
  });

  it('serves a port on a loopback TCP listener and keeps what was sent before the client', async () => {
    const { runner, received, deliver } = recordingRunner();
    const port = runner.port('USART3')!;
    const s = await attachTcpSerial(runner, 'USART3', '127.0.0.1', 0);
    port.onTx(0x21); // nobody connected yet: kept for the first client
    const socket = net.connect(s.boundPort, '127.0.0.1');
    const got: Buffer[] = [];
    socket.on('data', (d) => got.push(d));
    await s.firstClient;
    socket.write('abc');
    while (received.get('USART3')!.length < 3) {
      await tick();
      deliver();
    }
    expect(received.get('USART3')).toEqual([0x61, 0x62, 0x63]);
    for (const b of Buffer.from('ok\n')) port.onTx(b);
    while (Buffer.concat(got).length < 4) await tick();
    expect(Buffer.concat(got).toString()).toBe('!ok\n');
    socket.destroy();
    await s.close();
  });

  it('refuses non-loopback listeners', async () => {
    const { runner } = recordingRunner();
    await expect(attachTcpSerial(runner, 'USART3', '0.0.0.0', 0)).rejects.toThrow(/loopback/);
  });
});

describe('option parsing', () => {
  it('names ports and parses --serial values', () => {
    expect(serialPortName('usart2')).toBe('USART2');
    expect(serialPortName('USART6')).toBe('USART6');
    expect(serialPortName('usart4')).toBe('UART4');
    expect(serialPortName('uart5')).toBe('UART5');
    expect(serialPortName('uart1')).toBeNull();
    expect(serialPortName('usart7')).toBeNull();
    expect(parseSerialOption('usart3=file:out.txt')).toEqual({
      port: 'USART3',
      target: { kind: 'file', path: 'out.txt', mode: 'create' },
    });
    expect(parseSerialOption('usart1=tcp:127.0.0.1:5555')).toEqual({
      port: 'USART1',
      target: { kind: 'tcp', host: '127.0.0.1', port: 5555, wait: true },
    });
    expect(parseSerialOption('usart1=tcp:4444').target).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 4444,
      wait: true,
    });
    expect(parseSerialOption('usart1=tcp:4444,nowait').target).toMatchObject({ wait: false });
    expect(parseSerialOption('usart3=file:a,b.txt,append').target).toEqual({
      kind: 'file',
      path: 'a,b.txt',
      mode: 'append',
    });
    expect(() => parseSerialOption('usart1=tcp:0.0.0.0:80')).toThrow(/loopback/);
    expect(() => parseSerialOption('usart9=file:x')).toThrow();
    expect(() => parseSerialOption('usart1=pty')).toThrow();
  });
});
