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

export class SerialConsole {
  /** Everything the port transmitted (the last MiB). */
  transcript = '';
  private searchFrom = 0;
  private waitingFor: string | null = null;
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
    this.transcript += String.fromCharCode(byte);
    if (this.transcript.length > 1 << 20) {
      const drop = this.transcript.length - (1 << 19);
      this.transcript = this.transcript.slice(drop);
      this.searchFrom = Math.max(0, this.searchFrom - drop);
    }
    const w = this.waitingFor;
    if (w !== null && w.charCodeAt(w.length - 1) === byte) {
      if (this.transcript.indexOf(w, this.searchFrom) >= 0) this.machine.requestStop('halt');
    }
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
    this.waitingFor = text;
    try {
      for (;;) {
        const at = this.transcript.indexOf(text, this.searchFrom);
        if (at >= 0) {
          const seen = this.transcript.slice(this.searchFrom, at + text.length);
          this.searchFrom = at + text.length;
          return seen;
        }
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
      this.waitingFor = null;
    }
  }

  private failure(text: string, why: StopReason | 'budget'): ExpectError {
    return new ExpectError(text, why, this.transcript.split(/\r?\n/).slice(-10));
  }
}
