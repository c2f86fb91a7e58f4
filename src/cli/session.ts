/**
 * The interactive run loop of `f4emu run`: USART consoles and serial backends, scripted
 * dialogue (--expect/--send, Renode's "wait for UART line" habit) and pacing of virtual time to
 * the wall clock (--speed realtime). The machine runs in slices from setImmediate so terminal
 * input, sockets and timers are served between them.
 */
import type { Machine } from '../machine/machine.js';
import type { StopReason } from '../core/cpu.js';
import {
  attachConsole,
  attachSerial,
  type SerialBackend,
  type SerialPort,
  type SerialTarget,
} from '../host/console.js';
import { BoardStatusLine, type StatusTerminal } from '../host/boardStatus.js';
import { Transcript } from '../machine/serialConsole.js';

export type ScriptStep = { expect: string } | { send: string } | { pressButton: true };

export interface SessionOptions {
  /** Console port ('USART2'...), or null to pick the first USART that transmits. */
  console: string | null;
  /** Bridge the terminal's input to the console (off when semihosting owns stdin). */
  consoleInput: boolean;
  serial: { port: string; target: SerialTarget }[];
  script: ScriptStep[];
  speed: 'realtime' | 'max';
  maxInstructions: number;
  /** Wall-clock seconds, Infinity for none. */
  timeout: number;
  /** A terminal to show the board's LEDs on (a status line at the bottom), or null. */
  boardStatus?: StatusTerminal | null;
}

export type SessionEnd =
  | { kind: 'stop'; reason: StopReason | 'timeout' }
  | { kind: 'quit' }
  | { kind: 'script-done' }
  | { kind: 'script-failed'; waitingFor: string; lastLines: string[] }
  | { kind: 'error'; message: string };

const USARTS = ['USART1', 'USART2', 'USART3', 'UART4', 'UART5', 'USART6'];
const SLICE_INSTRUCTIONS = 2_000_000;

/** `\n`, `\r`, `\t`, `\xNN` and `\\` in --send/--expect texts. */
export function unescapeText(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '\\': '\\', e: '\x1b' } as Record<string, string>)[e] ?? e;
  });
}

export async function runSession(
  machine: Machine,
  o: SessionOptions,
  write: (text: string) => void,
): Promise<SessionEnd> {
  const ports = new Map<string, SerialPort>();
  for (const name of USARTS) {
    const p = machine.peripherals.get(name) as unknown as SerialPort | undefined;
    if (p) ports.set(name, p);
  }
  const backends: SerialBackend[] = [];
  let wake: (() => void) | null = null;
  const activity = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let quit = false;

  // Scripted dialogue state (advanceScript below).
  let step = 0;
  let hostStop = false;
  const transcript = new Transcript();
  const unescaped = new Map<string, string>();
  const awaited = (text: string): string => {
    let u = unescaped.get(text);
    if (u === undefined) unescaped.set(text, (u = unescapeText(text)));
    return u;
  };

  // Console output: the chosen port, or every USART until one transmits (auto-detection).
  let consolePort: string | null = o.console;
  const onConsoleByte = (name: string, byte: number) => {
    if (consolePort === null) consolePort = name;
    if (name !== consolePort) return;
    write(String.fromCharCode(byte));
    // The awaited text just completed: stop the slice here, so what the script does next
    // (--send, --press-button) happens at this virtual time, not a whole slice later.
    if (transcript.append(byte)) {
      hostStop = true;
      machine.requestStop('halt');
    }
  };
  const serialPorts = new Set(o.serial.map((s) => s.port));
  for (const [name, port] of ports) {
    if (serialPorts.has(name)) continue;
    const previous = port.onTx;
    port.onTx = (b) => {
      previous(b);
      onConsoleByte(name, b);
    };
  }
  for (const s of o.serial) {
    const port = ports.get(s.port);
    if (!port) return { kind: 'error', message: `no serial port ${s.port}` };
    try {
      const backend = await attachSerial(port, s.target, { onActivity: activity });
      backends.push(backend);
      process.stderr.write(`f4emu: ${backend.description}\n`);
    } catch (e) {
      return { kind: 'error', message: `${s.port}: ${(e as Error).message}` };
    }
  }
  if (o.consoleInput && o.script.length === 0) {
    // Terminal input goes to the console port (USART2, the board's default, until detected).
    const proxy: SerialPort = {
      name: o.console ?? 'console',
      onTx: () => {},
      send: (bytes) => ports.get(consolePort ?? 'USART2')?.send(bytes),
    };
    backends.push(
      attachConsole(proxy, {
        mirrorOutput: false,
        onActivity: activity,
        onQuit: () => {
          quit = true;
          activity();
        },
        onButton: () => {
          machine.board.click();
          activity();
        },
      }),
    );
  }

  // Scripted dialogue.
  const advanceScript = (): boolean => {
    while (step < o.script.length) {
      const s = o.script[step]!;
      if ('pressButton' in s) {
        machine.board.click();
        step++;
        continue;
      }
      if ('send' in s) {
        ports.get(consolePort ?? 'USART2')?.send(Buffer.from(unescapeText(s.send), 'latin1'));
        step++;
        continue;
      }
      transcript.awaiting = awaited(s.expect);
      if (transcript.take(transcript.awaiting) === null) return false;
      transcript.awaiting = null;
      step++;
    }
    return true;
  };

  const cpu = machine.cpu;
  const clock = machine.clock;
  const wallStart = Date.now();
  const cyclesStart = clock.cycles;
  const deadline = Number.isFinite(o.timeout) ? wallStart + o.timeout * 1000 : Infinity;
  const status = o.boardStatus ? new BoardStatusLine(machine.board, o.boardStatus) : null;
  const closeAll = async () => {
    for (const b of backends) await b.close();
    status?.close();
  };

  for (;;) {
    if (o.script.length > 0 && advanceScript()) {
      await closeAll();
      return { kind: 'script-done' };
    }
    if (quit) {
      await closeAll();
      return { kind: 'quit' };
    }
    const now = Date.now();
    if (now > deadline) {
      await closeAll();
      if (o.script.length > 0) {
        const s = o.script[step];
        return {
          kind: 'script-failed',
          waitingFor: s && 'expect' in s ? s.expect : '',
          lastLines: transcript.lastLines(),
        };
      }
      return { kind: 'stop', reason: 'timeout' };
    }
    const left = o.maxInstructions - cpu.instructions;
    if (left <= 0) {
      await closeAll();
      return { kind: 'stop', reason: 'limit' };
    }
    let maxCycles = Infinity;
    if (o.speed === 'realtime') {
      // Virtual time may not run ahead of the wall clock.
      const allowed = cyclesStart + ((now - wallStart) / 1000) * clock.frequency - clock.cycles;
      if (allowed <= 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(20, Math.max(1, (-allowed / clock.frequency) * 1000)));
        });
        continue;
      }
      maxCycles = allowed;
    }
    const reason = machine.run(Math.min(left, SLICE_INSTRUCTIONS), maxCycles);
    if (reason === 'sleep') {
      // Nothing scheduled: only input can wake the guest.
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
      continue;
    }
    if (reason === 'halt' && hostStop) {
      hostStop = false;
      continue;
    }
    if (reason !== 'limit') {
      await closeAll();
      return { kind: 'stop', reason };
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
