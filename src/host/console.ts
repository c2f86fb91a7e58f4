/**
 * Host ends of the chip's serial ports (Node only): the terminal and the serial backends the
 * command line offers, as endpoints of the Runner (src/machine/runner.ts).
 *
 *   the terminal                         the console USART (and semihosting's console): raw mode
 *                                        on a TTY with Ctrl-A escapes; piped stdin is fed too
 *   --serial usart3=file:out.txt         what USART3 transmits, written to a new file
 *                                        (,append or ,overwrite for an existing one)
 *   --serial usart1=tcp:127.0.0.1:5555   a TCP listener on loopback, one client at a time, raw
 *                                        bytes both ways; f4emu waits for the first client
 *                                        (QEMU's server,wait) unless ,nowait is given
 *
 * Input goes through `runner.input(port, bytes)`, so it reaches the guest at a slice boundary
 * after virtual time caught up; each open input source keeps a sleeping guest waiting for it.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Runner, SerialPortLike } from '../machine/runner.js';
import { openOutputFile, type OutputMode } from './outputFile.js';
export interface SerialBackend {
  /** What the user should be told, e.g. "USART1 on tcp:127.0.0.1:5555". */
  readonly description: string;
  /** Flushes output, restores the terminal / closes files and sockets; idempotent. */
  close(): Promise<void>;
}

/** Ctrl-A, QEMU's escape character. */
const CTRL_A = 0x01;

const HELP =
  '\r\nC-a h    print this help\r\nC-a x    exit f4emu\r\nC-a b    press the user button (B1)\r\n' +
  "C-a t    list the guest OS's tasks (NuttX and OSes that publish g_tcbinfo)\r\n" +
  'C-a C-a  send C-a to the guest\r\n';

/**
 * QEMU's console escapes on the raw input: Ctrl-A X quits, Ctrl-A Ctrl-A sends one Ctrl-A,
 * Ctrl-A H (or ?) prints help, and the board's: Ctrl-A B presses the user button, Ctrl-A T
 * lists the guest's tasks; any other key after Ctrl-A is swallowed.
 */
export class EscapeFilter {
  private escaped = false;

  /** Splits input into bytes for the guest and commands for the host. */
  feed(input: Uint8Array): {
    data: number[];
    quit: boolean;
    help: boolean;
    button: number;
    tasks: number;
  } {
    const data: number[] = [];
    let quit = false;
    let help = false;
    let button = 0;
    let tasks = 0;
    for (const b of input) {
      if (quit) break;
      if (this.escaped) {
        this.escaped = false;
        if (b === CTRL_A) data.push(b);
        else if (b === 0x78 || b === 0x58)
          quit = true; // x, X
        else if (b === 0x68 || b === 0x48 || b === 0x3f)
          help = true; // h, H, ?
        else if (b === 0x62 || b === 0x42)
          button++; // b, B
        else if (b === 0x74 || b === 0x54) tasks++; // t, T
      } else if (b === CTRL_A) this.escaped = true;
      else data.push(b);
    }
    return { data, quit, help, button, tasks };
  }
}

/** Collects transmitted bytes and writes them in chunks: at a newline, when large, or soon. */
class OutputBuffer {
  private bytes: number[] = [];
  private pending = false;

  constructor(private readonly sink: (chunk: Buffer) => void) {}

  push(byte: number): void {
    this.bytes.push(byte & 0xff);
    if (byte === 0x0a || this.bytes.length >= 4096) this.flush();
    else if (!this.pending) {
      this.pending = true;
      setImmediate(() => {
        this.pending = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.bytes.length === 0) return;
    const chunk = Buffer.from(this.bytes);
    this.bytes = [];
    this.sink(chunk);
  }
}

/** Adds `listener` to the port's transmit callback; returns the undo. */
function tapTx(port: SerialPortLike, listener: (byte: number) => void): () => void {
  const previous = port.onTx;
  port.onTx = (byte) => {
    previous(byte);
    listener(byte);
  };
  return () => {
    port.onTx = previous;
  };
}

type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
type Output = NodeJS.WritableStream & { isTTY?: boolean; fd?: number };

export interface TerminalOptions {
  input?: Input;
  output?: Output;
  /** Ctrl-A X was typed (TTY only; without a TTY, Ctrl-C and end of input work as usual). */
  onQuit?: () => void;
  /** Ctrl-A B was typed: press the board's user button. */
  onButton?: () => void;
  /** Ctrl-A T was typed: list the guest's tasks. */
  onTasks?: () => void;
}

/** Semihosting's console as the terminal gives it: writes, and reads that may wait. */
export interface TerminalConsoleIo {
  write(fd: 1 | 2, data: Uint8Array): void;
  /** Up to `max` bytes; empty at end of input; null when none has arrived yet (wait). */
  read(max: number): Uint8Array | null;
}

const SEMIHOSTING_KEEP = 1 << 20;
const FIRST_INPUT_WAIT_MS = 200;

/**
 * The terminal: the console USART's output to stdout, stdin to the console's receiver (and to
 * semihosting's console reads, which see the same bytes). On a TTY the terminal is raw (Ctrl-C
 * reaches the guest) with QEMU's Ctrl-A escapes, restored by `close()` or at exit.
 */
export class Terminal implements SerialBackend {
  readonly description: string;
  readonly tty: boolean;
  private readonly input: Input;
  private readonly output: Output;
  private readonly escapes = new EscapeFilter();
  private readonly out: OutputBuffer;
  private closeInput: (() => void) | null;
  private ended = false;
  private closed = false;
  /** Bytes for semihosting reads (a copy of the input, kept until read). */
  private semihostingQueue: number[] = [];
  /** The last byte written to the output (a message starts on a fresh line after it). */
  private lastByte = 0x0a;
  /**
   * Resolves once piped or redirected input has delivered its first bytes (or ended, or 200 ms
   * passed): a run flat out would otherwise be virtual seconds ahead before Node reads the pipe.
   */
  readonly ready: Promise<void>;
  private settle: () => void = () => {};

  constructor(
    private readonly runner: Runner,
    private readonly options: TerminalOptions = {},
  ) {
    this.input = options.input ?? process.stdin;
    this.output = options.output ?? process.stdout;
    this.tty = this.input.isTTY === true && typeof this.input.setRawMode === 'function';
    this.out = new OutputBuffer((chunk) => this.output.write(chunk));
    runner.onConsoleOutput = (b) => {
      this.lastByte = b;
      this.out.push(b);
    };
    this.closeInput = runner.openInput();
    this.ready = new Promise<void>((resolve) => {
      if (this.tty) return resolve();
      const timer = setTimeout(resolve, FIRST_INPUT_WAIT_MS);
      this.settle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (this.tty) {
      this.input.setRawMode!(true);
      process.once('exit', this.restore);
    }
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onEnd);
    this.input.resume();
    this.description = `the console on the terminal${this.tty ? ' (Ctrl-A X quits, Ctrl-A H helps)' : ''}`;
  }

  private readonly restore = () => {
    if (this.tty) this.input.setRawMode!(false);
  };

  private readonly onData = (chunk: Buffer | string) => {
    this.settle();
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let data: Iterable<number> = bytes;
    if (this.tty) {
      const f = this.escapes.feed(bytes);
      for (let i = 0; i < f.button; i++) this.options.onButton?.();
      for (let i = 0; i < f.tasks; i++) this.options.onTasks?.();
      if (f.help) this.output.write(HELP);
      if (f.quit) this.options.onQuit?.();
      data = f.data;
    }
    const list = Array.from(data);
    if (list.length === 0) return;
    this.runner.input(null, list);
    if (this.semihostingQueue.length < SEMIHOSTING_KEEP) this.semihostingQueue.push(...list);
  };

  private readonly onEnd = () => {
    this.settle();
    this.ended = true;
    this.closeInput?.();
    this.closeInput = null;
  };

  /** Semihosting's console on this terminal. */
  readonly semihosting: TerminalConsoleIo = {
    write: (fd, data) => {
      this.out.flush();
      // After the console's pending output, in order. (A raw terminal keeps ONLCR in libuv's
      // raw mode, so newlines need no help.)
      if (data.length > 0) this.lastByte = data[data.length - 1]!;
      if (fd === 2) fs.writeSync(2, data);
      else this.output.write(Buffer.from(data));
    },
    read: (max) => {
      if (this.semihostingQueue.length > 0) {
        return Uint8Array.from(this.semihostingQueue.splice(0, max));
      }
      return this.ended || this.closed ? new Uint8Array(0) : null;
    },
  };

  /**
   * Before f4emu's own message: ends the guest's unfinished line when the message goes to the
   * same place (a terminal, or stdout and stderr redirected to one file).
   */
  freshLine(stderrFd = 2): void {
    this.out.flush();
    if (this.lastByte === 0x0a) return;
    if (!sameFile(stdoutFd(this.output), stderrFd)) return;
    this.output.write(this.tty ? '\r\n' : '\n');
    this.lastByte = 0x0a;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.out.flush();
    this.runner.onConsoleOutput = () => {};
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onEnd);
    this.input.pause();
    this.closeInput?.();
    this.restore();
    process.off('exit', this.restore);
  }
}

function stdoutFd(output: Output): number | null {
  return output === process.stdout ? 1 : typeof output.fd === 'number' ? output.fd : null;
}

/** Whether two descriptors are the same open file (a terminal, a pipe, a file). */
function sameFile(a: number | null, b: number): boolean {
  if (a === null) return false;
  try {
    const x = fs.fstatSync(a);
    const y = fs.fstatSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Writes everything `port` transmits to the file at `path` (see outputFile.ts for the rules). */
export function attachFileSerial(
  name: string,
  port: SerialPortLike,
  path: string,
  mode: OutputMode = 'create',
): SerialBackend {
  const fd = openOutputFile(path, mode, { hint: 'add ,overwrite or ,append, or remove it' });
  const out = new OutputBuffer((chunk) => fs.writeSync(fd, chunk));
  const untap = tapTx(port, (b) => out.push(b));
  let closed = false;
  return {
    description: `${name} to file:${path}`,
    close: async () => {
      if (closed) return;
      closed = true;
      out.flush();
      untap();
      fs.closeSync(fd);
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/** What a port transmits while no client is connected is kept, up to this much. */
const KEEP_UNSENT = 1 << 20;

export interface TcpSerialBackend extends SerialBackend {
  /** Resolves when the first client connects. */
  readonly firstClient: Promise<void>;
  readonly boundPort: number;
}

/**
 * Listens on a loopback TCP port for one client at a time: what it sends goes to the port's
 * receiver, what the port transmits goes to it — and is kept while nobody is connected (up to
 * 1 MiB), so a client connecting late still sees the boot messages. An open listener counts as
 * an input source: a sleeping guest waits for its client.
 */
export async function attachTcpSerial(
  runner: Runner,
  name: string,
  host: string,
  tcpPort: number,
): Promise<TcpSerialBackend> {
  const port = runner.port(name);
  if (!port) throw new Error(`no serial port ${name}`);
  if (!LOOPBACK.has(host))
    throw new Error(`serial TCP listeners bind to loopback only, not ${host}`);
  let client: net.Socket | null = null;
  let unsent: Buffer[] = [];
  let unsentBytes = 0;
  const out = new OutputBuffer((chunk) => {
    if (client !== null) {
      client.write(chunk);
      return;
    }
    unsent.push(chunk);
    unsentBytes += chunk.length;
    while (unsentBytes > KEEP_UNSENT && unsent.length > 1) unsentBytes -= unsent.shift()!.length;
  });
  let connected: () => void = () => {};
  const firstClient = new Promise<void>((resolve) => (connected = resolve));
  const server = net.createServer((socket) => {
    if (client !== null) {
      socket.end(`f4emu: ${name} already has a client\r\n`);
      return;
    }
    client = socket;
    socket.setNoDelay(true);
    out.flush();
    for (const chunk of unsent) socket.write(chunk);
    unsent = [];
    unsentBytes = 0;
    connected();
    runner.wake();
    socket.on('data', (chunk: Buffer) => runner.input(name, chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (client === socket) client = null;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(tcpPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as net.AddressInfo).port;
  const untap = tapTx(port, (b) => out.push(b));
  const closeInput = runner.openInput();
  let closed = false;
  return {
    description: `${name} on tcp:${host}:${bound}`,
    firstClient,
    boundPort: bound,
    close: async () => {
      if (closed) return;
      closed = true;
      out.flush();
      untap();
      closeInput();
      const c = client as net.Socket | null;
      if (c !== null) {
        await new Promise<void>((resolve) => {
          c.end(() => resolve());
          setTimeout(resolve, 500).unref();
        });
        c.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type SerialTarget =
  | { kind: 'file'; path: string; mode: OutputMode }
  | { kind: 'tcp'; host: string; port: number; wait: boolean };

/**
 * Peripheral name for a user's port name: usart1-6 or uart4/5, any case ("usart2" → "USART2",
 * "usart4" → "UART4": the STM32F407's ports 4 and 5 are UARTs). Null if there is no such port.
 */
export function serialPortName(spec: string): string | null {
  const m = /^u(s?)art([1-6])$/i.exec(spec.trim());
  if (!m) return null;
  const n = Number(m[2]);
  if (n === 4 || n === 5) return `UART${n}`;
  return m[1] ? `USART${n}` : null;
}

const SERIAL_SYNTAX = 'usart1..usart6=file:PATH[,append|,overwrite]|tcp:127.0.0.1:PORT[,nowait]';

/**
 * Parses a `--serial` value: `usartN=file:PATH[,append|,overwrite]` or
 * `usartN=tcp:[127.0.0.1:]PORT[,nowait]`.
 */
export function parseSerialOption(spec: string): { port: string; target: SerialTarget } {
  const eq = spec.indexOf('=');
  const port = eq > 0 ? serialPortName(spec.slice(0, eq)) : null;
  if (port === null) throw new Error(`--serial ${spec}: expected ${SERIAL_SYNTAX}`);
  const rest = spec.slice(eq + 1);
  const file = /^file:(.+?)(?:,(append|overwrite))?$/.exec(rest);
  if (file) {
    const mode = (file[2] as OutputMode | undefined) ?? 'create';
    return { port, target: { kind: 'file', path: file[1]!, mode } };
  }
  const tcp = /^tcp:(?:(\[[^\]]+\]|[^:,]+):)?(\d{1,5})(,nowait|,wait)?$/.exec(rest);
  if (tcp) {
    const host = (tcp[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
    const n = Number(tcp[2]);
    if (n > 65535) throw new Error(`--serial ${spec}: port ${n} out of range`);
    if (!LOOPBACK.has(host))
      throw new Error(`--serial ${spec}: TCP listens on loopback (127.0.0.1) only`);
    return { port, target: { kind: 'tcp', host, port: n, wait: tcp[3] !== ',nowait' } };
  }
  throw new Error(`--serial ${spec}: expected ${SERIAL_SYNTAX}`);
}
