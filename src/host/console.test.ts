import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  EscapeFilter,
  attachConsole,
  attachFileSerial,
  attachTcpSerial,
  parseSerialOption,
  serialPortName,
  type SerialPort,
} from './console.js';

function fakePort(): SerialPort & { received: number[] } {
  const received: number[] = [];
  return { name: 'USART2', onTx: () => {}, send: (b) => received.push(...b), received };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('console escapes', () => {
  it('quits on Ctrl-A X, sends Ctrl-A on Ctrl-A Ctrl-A, swallows other escapes', () => {
    const f = new EscapeFilter();
    const none = { quit: false, help: false, button: 0 };
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
    });
  });
});

describe('attachConsole', () => {
  it('bridges a TTY in raw mode and restores it', async () => {
    const input = Object.assign(new PassThrough(), {
      isTTY: true,
      raw: [] as boolean[],
      setRawMode(raw: boolean) {
        this.raw.push(raw);
      },
    });
    const output = new PassThrough();
    const port = fakePort();
    let quit = 0;
    let activity = 0;
    const c = attachConsole(port, {
      input,
      output,
      onQuit: () => quit++,
      onActivity: () => activity++,
    });
    expect(input.raw).toEqual([true]);
    for (const b of Buffer.from('hi\n')) port.onTx(b);
    expect(output.read()?.toString()).toBe('hi\n');
    port.onTx(0x3e);
    await tick();
    expect(output.read()?.toString()).toBe('>');
    input.write('ls\r\x01\x01');
    await tick();
    expect(port.received).toEqual([0x6c, 0x73, 0x0d, 1]);
    expect(activity).toBe(1);
    input.write('\x01x');
    await tick();
    expect(quit).toBe(1);
    await c.close();
    expect(input.raw).toEqual([true, false]);
    port.onTx(0x41); // detached
    await tick();
    expect(output.read()).toBeNull();
  });

  it('passes piped input through untouched', async () => {
    const input = new PassThrough();
    const port = fakePort();
    const c = attachConsole(port, { input, output: new PassThrough() });
    input.write('\x01x');
    await tick();
    expect(port.received).toEqual([1, 0x78]);
    await c.close();
  });
});

describe('serial backends', () => {
  it('writes a port to a file', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-')), 'out.txt');
    const port = fakePort();
    const s = attachFileSerial(port, file);
    for (const b of Buffer.from('hello\nworld')) port.onTx(b);
    await s.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('hello\nworld');
    expect(s.description).toBe(`USART2 to file:${file}`);
  });

  it('serves a port on a loopback TCP listener', async () => {
    const port = fakePort();
    let activity = 0;
    const s = await attachTcpSerial(port, '127.0.0.1', 0, { onActivity: () => activity++ });
    const bound = Number(/:(\d+)$/.exec(s.description)![1]);
    port.onTx(0x21); // nobody connected: dropped
    const socket = net.connect(bound, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const got: Buffer[] = [];
    socket.on('data', (d) => got.push(d));
    socket.write('abc');
    while (port.received.length < 3) await tick();
    expect(port.received).toEqual([0x61, 0x62, 0x63]);
    expect(activity).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 20)); // the server side has accepted by now
    for (const b of Buffer.from('ok\n')) port.onTx(b);
    while (Buffer.concat(got).length < 3) await tick();
    expect(Buffer.concat(got).toString()).toBe('ok\n');
    socket.destroy();
    await s.close();
  });

  it('refuses non-loopback listeners', async () => {
    await expect(attachTcpSerial(fakePort(), '0.0.0.0', 0)).rejects.toThrow(/loopback/);
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
      target: { kind: 'file', path: 'out.txt' },
    });
    expect(parseSerialOption('usart1=tcp:127.0.0.1:5555')).toEqual({
      port: 'USART1',
      target: { kind: 'tcp', host: '127.0.0.1', port: 5555 },
    });
    expect(parseSerialOption('usart1=tcp:4444').target).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 4444,
    });
    expect(() => parseSerialOption('usart1=tcp:0.0.0.0:80')).toThrow(/loopback/);
    expect(() => parseSerialOption('usart9=file:x')).toThrow();
    expect(() => parseSerialOption('usart1=pty')).toThrow();
  });
});
