/**
 * A scripted serial console for tests: the TypeScript side of `--expect`/`--send` (Renode's
 * "wait for UART line" habit), on virtual time and synchronous, so a test reads like the
 * dialogue it checks:
 *
 *   const con = new SerialConsole(machine);          // the board's console, USART2
 *   con.expect('nsh> ');
 *   con.send('hello\n');
 *   con.expect('Hello, World', { virtualMs: 2000 });
 *
 * `expect` runs the machine until the text has been transmitted, and stops it right there, so
 * what the test does next happens at that virtual time. It throws ExpectError (with the text it
 * waited for and the last console lines) when the budget of virtual time or instructions runs
 * out or the machine stops for another reason (exit, lockup, a core asleep forever).
 */
import type { StopReason } from '../core/cpu.js';
import type { Machine } from './machine.js';

interface SerialPortLike {
  onTx: (byte: number) => void;
  send(bytes: Iterable<number>): void;
}

export interface ExpectOptions {
  /** Virtual milliseconds to wait at most (default 10 000). */
  virtualMs?: number;
  /** Instructions to execute at most (default: no limit beyond virtualMs). */
  maxInstructions?: number;
}

export class ExpectError extends Error {
  constructor(
    readonly waitingFor: string,
    readonly why: StopReason | 'budget',
    readonly lastLines: string[],
  ) {
    super(
      `expected '${waitingFor}' on the console, but ${why === 'budget' ? 'it did not come in time' : `the machine stopped (${why})`}; last lines:\n` +
        lastLines.map((l) => `  | ${l}`).join('\n'),
    );
  }
}

/**
 * What a console printed, searched in order: each match starts after the previous one. Keeps
 * the last MiB. Shared by SerialConsole and the command line's --expect.
 */
export class Transcript {
  text = '';
  /** Where the next search starts (just after the previous match). */
  private from = 0;
  /** The text being waited for, so `append` can tell the moment it completes. */
  awaiting: string | null = null;

  /** Adds a character; true when it completes the awaited text. */
  append(byte: number): boolean {
    this.text += String.fromCharCode(byte);
    if (this.text.length > 1 << 20) {
      const drop = this.text.length - (1 << 19);
      this.text = this.text.slice(drop);
      this.from = Math.max(0, this.from - drop);
    }
    const w = this.awaiting;
    return (
      w !== null && w.charCodeAt(w.length - 1) === byte && this.text.indexOf(w, this.from) >= 0
    );
  }

  /** If `text` appears after the previous match: the text up to its end, and it becomes the match. */
  take(text: string): string | null {
    const at = this.text.indexOf(text, this.from);
    if (at < 0) return null;
    const seen = this.text.slice(this.from, at + text.length);
    this.from = at + text.length;
    return seen;
  }

  lastLines(n = 10): string[] {
    return this.text.split(/\r?\n/).slice(-n);
  }
}

export class SerialConsole {
  /** Everything the port transmitted (the last MiB), and the dialogue's position in it. */
  readonly transcript = new Transcript();
  private readonly port: SerialPortLike;

  constructor(
    private readonly machine: Machine,
    portName: string = machine.board.description.console,
  ) {
    const port = machine.peripherals.get(portName) as unknown as SerialPortLike | undefined;
    if (!port || typeof port.send !== 'function') throw new Error(`no serial port ${portName}`);
    this.port = port;
    const previous = port.onTx;
    port.onTx = (byte) => {
      previous(byte);
      this.received(byte);
    };
  }

  private received(byte: number): void {
    if (this.transcript.append(byte)) this.machine.requestStop('halt');
  }

  /** Types `text` into the port's receiver (bytes 0-255; the USART paces them at its baud rate). */
  send(text: string): void {
    this.port.send(Array.from(text, (c) => c.charCodeAt(0) & 0xff));
  }

  /**
   * Runs until `text` appears after the previous match; returns the console text from the
   * previous match up to the end of this one.
   */
  expect(text: string, options: ExpectOptions = {}): string {
    const machine = this.machine;
    const clock = machine.clock;
    let leftMs = options.virtualMs ?? 10_000;
    const endInstr = machine.cpu.instructions + (options.maxInstructions ?? Infinity);
    this.transcript.awaiting = text;
    try {
      for (;;) {
        const seen = this.transcript.take(text);
        if (seen !== null) return seen;
        const instructions = endInstr - machine.cpu.instructions;
        if (leftMs <= 0 || instructions <= 0) throw this.failure(text, 'budget');
        // Chunks of at most 10 ms: the core clock changes when the firmware sets up its PLL.
        const hz = clock.frequency;
        const start = clock.cycles;
        const reason = machine.run(
          instructions,
          Math.max(1, Math.round((Math.min(leftMs, 10) * hz) / 1000)),
        );
        leftMs -= ((clock.cycles - start) * 1000) / hz;
        if (reason === 'limit' || reason === 'halt') continue;
        throw this.failure(text, reason);
      }
    } finally {
      this.transcript.awaiting = null;
    }
  }

  private failure(text: string, why: StopReason | 'budget'): ExpectError {
    return new ExpectError(text, why, this.transcript.lastLines());
  }
}
