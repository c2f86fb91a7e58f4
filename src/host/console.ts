/**
 * Host ends of the chip's serial ports (Node only): the terminal console and the serial
 * backends the command line offers.
 *
 *   --console usart2                     the terminal: raw mode on a TTY, Ctrl-A X quits
 *   --serial usart3=file:out.txt         what USART3 transmits, written to a file
 *   --serial usart1=tcp:127.0.0.1:5555   a TCP listener on loopback: one client at a time,
 *                                        raw bytes both ways
 *
 * A port is anything with the USART's host calls: `onTx(byte)` (a character left the chip) and
 * `send(bytes)` (bytes for its receiver, fed at the baud rate). Input arrives from Node's event
 * loop, so the run loop must yield between slices (setImmediate) to see it; `onActivity` tells
 * it that a sleeping guest may have something to do now.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';

export interface SerialPort {
  readonly name: string;
  onTx: (byte: number) => void;
  send(bytes: Iterable<number>): void;
}

export interface SerialBackend {
  /** What the user should be told, e.g. "USART1 on tcp:127.0.0.1:5555". */
  readonly description: string;
  /** Flushes output, restores the terminal / closes files and sockets; idempotent. */
  close(): Promise<void>;
}

export interface SerialHooks {
  /** Input arrived for the guest (the run loop should resume if the core sleeps). */
  onActivity?: () => void;
}

/** Ctrl-A, QEMU's escape character. */
const CTRL_A = 0x01;

const HELP =
  '\r\nC-a h    print this help\r\nC-a x    exit f4emu\r\nC-a b    press the user button (B1)\r\n' +
  'C-a C-a  send C-a to the guest\r\n';

/**
 * QEMU's console escapes on the raw input: Ctrl-A X quits, Ctrl-A Ctrl-A sends one Ctrl-A,
 * Ctrl-A H (or ?) prints help, and the board's: Ctrl-A B presses the user button; any other
 * key after Ctrl-A is swallowed.
 */
export class EscapeFilter {
  private escaped = false;

  /** Splits input into bytes for the guest and commands for the host. */
  feed(input: Uint8Array): { data: number[]; quit: boolean; help: boolean; button: number } {
    const data: number[] = [];
    let quit = false;
    let help = false;
    let button = 0;
    for (const b of input) {
      if (quit) break;
      if (this.escaped) {
        this.escaped = false;
        if (b === CTRL_A) data.push(b);
        else if (b === 0x78 || b === 0x58)
          quit = true; // x, X
        else if (b === 0x68 || b === 0x48 || b === 0x3f)
          help = true; // h, H, ?
        else if (b === 0x62 || b === 0x42) button++; // b, B
      } else if (b === CTRL_A) this.escaped = true;
      else data.push(b);
    }
    return { data, quit, help, button };
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
function tapTx(port: SerialPort, listener: (byte: number) => void): () => void {
  const previous = port.onTx;
  port.onTx = (byte) => {
    previous(byte);
    listener(byte);
  };
  return () => {
    port.onTx = previous;
  };
}

export interface ConsoleOptions extends SerialHooks {
  input?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output?: NodeJS.WritableStream;
  /** Ctrl-A X was typed (TTY only; without a TTY, Ctrl-C and end of input work as usual). */
  onQuit?: () => void;
  /**
   * Whether the port's output is written to `output` (default). The run session writes it
   * itself (it picks the console port); `output` then gets only the Ctrl-A H help.
   */
  mirrorOutput?: boolean;
  /** Ctrl-A B was typed: press the board's user button. */
  onButton?: () => void;
}

/**
 * Bridges `port` to the terminal: its output to stdout, stdin to its receiver. On a TTY the
 * terminal goes to raw mode (Ctrl-C reaches the guest) with QEMU's Ctrl-A escapes, and is
 * restored by `close()` or when the process exits.
 */
export function attachConsole(port: SerialPort, options: ConsoleOptions = {}): SerialBackend {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const tty = input.isTTY === true && typeof input.setRawMode === 'function';
  const escapes = new EscapeFilter();
  const out = new OutputBuffer((chunk) => output.write(chunk));
  const untap = options.mirrorOutput === false ? () => {} : tapTx(port, (b) => out.push(b));
  let closed = false;

  const restore = () => {
    if (tty) input.setRawMode!(false);
  };
  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (!tty) {
      port.send(bytes);
      options.onActivity?.();
      return;
    }
    const { data, quit, help, button } = escapes.feed(bytes);
    for (let i = 0; i < button; i++) options.onButton?.();
    if (data.length > 0) {
      port.send(data);
      options.onActivity?.();
    }
    if (help) output.write(HELP);
    if (quit) options.onQuit?.();
  };
  if (tty) {
    input.setRawMode!(true);
    process.once('exit', restore);
  }
  input.on('data', onData);
  input.resume();

  return {
    description: `${port.name} on the terminal${tty ? ' (Ctrl-A X quits)' : ''}`,
    close: async () => {
      if (closed) return;
      closed = true;
      out.flush();
      untap();
      input.off('data', onData);
      input.pause();
      restore();
      process.off('exit', restore);
    },
  };
}

/** Writes everything `port` transmits to the file at `path` (created or truncated). */
export function attachFileSerial(port: SerialPort, path: string): SerialBackend {
  const fd = fs.openSync(path, 'w');
  const out = new OutputBuffer((chunk) => fs.writeSync(fd, chunk));
  const untap = tapTx(port, (b) => out.push(b));
  let closed = false;
  return {
    description: `${port.name} to file:${path}`,
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

/**
 * Listens on a loopback TCP port for one client at a time: what it sends goes to `port`'s
 * receiver, what `port` transmits goes to it (and is dropped while nobody is connected).
 * Resolves once listening; the description names the bound port (useful with port 0).
 */
export async function attachTcpSerial(
  port: SerialPort,
  host: string,
  tcpPort: number,
  hooks: SerialHooks = {},
): Promise<SerialBackend> {
  if (!LOOPBACK.has(host))
    throw new Error(`serial TCP listeners bind to loopback only, not ${host}`);
  let client: net.Socket | null = null;
  const out = new OutputBuffer((chunk) => client?.write(chunk));
  const server = net.createServer((socket) => {
    if (client !== null) {
      socket.end(`f4emu: ${port.name} already has a client\r\n`);
      return;
    }
    client = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      port.send(chunk);
      hooks.onActivity?.();
    });
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
  const untap = tapTx(port, (b) => {
    if (client !== null) out.push(b);
  });
  let closed = false;
  return {
    description: `${port.name} on tcp:${host}:${bound}`,
    close: async () => {
      if (closed) return;
      closed = true;
      out.flush();
      untap();
      client?.end();
      client?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type SerialTarget =
  { kind: 'file'; path: string } | { kind: 'tcp'; host: string; port: number };

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

/** Parses a `--serial` value: `usartN=file:PATH` or `usartN=tcp:127.0.0.1:PORT`. */
export function parseSerialOption(spec: string): { port: string; target: SerialTarget } {
  const eq = spec.indexOf('=');
  const port = eq > 0 ? serialPortName(spec.slice(0, eq)) : null;
  if (port === null)
    throw new Error(`--serial ${spec}: expected usart1..usart6=file:PATH|tcp:127.0.0.1:PORT`);
  const rest = spec.slice(eq + 1);
  if (rest.startsWith('file:') && rest.length > 5) {
    return { port, target: { kind: 'file', path: rest.slice(5) } };
  }
  const tcp = /^tcp:(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(rest);
  if (tcp) {
    const host = (tcp[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
    const n = Number(tcp[2]);
    if (n > 65535) throw new Error(`--serial ${spec}: port ${n} out of range`);
    if (!LOOPBACK.has(host))
      throw new Error(`--serial ${spec}: TCP listens on loopback (127.0.0.1) only`);
    return { port, target: { kind: 'tcp', host, port: n } };
  }
  throw new Error(`--serial ${spec}: expected file:PATH or tcp:127.0.0.1:PORT after '='`);
}

/** Opens the backend a `--serial` option names on `port`. */
export function attachSerial(
  port: SerialPort,
  target: SerialTarget,
  hooks: SerialHooks = {},
): Promise<SerialBackend> {
  if (target.kind === 'file') return Promise.resolve(attachFileSerial(port, target.path));
  return attachTcpSerial(port, target.host, target.port, hooks);
}
