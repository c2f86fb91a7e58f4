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
 * It is a front end of the one Runner (./runner.ts): `expect` queues a script step and runs
 * the machine until the text has been transmitted, stopping right there, so what the test does
 * next happens at that virtual time. It throws ExpectError (with the text it waited for and the
 * last console lines) when the budget of virtual time or instructions runs out or the machine
 * stops for another reason (exit, lockup, a core asleep forever).
 */
import type { StopReason } from '../core/cpu.js';
import type { Machine } from './machine.js';
import { Runner } from './runner.js';
import { describeAwaited, type Awaited, type Transcript } from './transcript.js';

export { Transcript } from './transcript.js';

export interface ExpectOptions {
  /** Virtual milliseconds to wait at most (default 10 000). */
  virtualMs?: number;
  /** Instructions to execute at most (default: no limit beyond virtualMs). */
  maxInstructions?: number;
}

export class ExpectError extends Error {
  constructor(
    readonly waitingFor: string,
    readonly why: StopReason | 'budget' | 'timeout',
    readonly lastLines: string[],
  ) {
    super(
      `expected ${waitingFor} on the console, but ${why === 'budget' ? 'it did not come in time' : `the machine stopped (${why})`}; last lines:\n` +
        lastLines.map((l) => `  | ${l}`).join('\n'),
    );
  }
}

export class SerialConsole {
  readonly runner: Runner;

  constructor(machine: Machine, portName: string = machine.board.description.console) {
    this.runner = new Runner(machine, { console: portName, speed: 'max' });
    if (!this.runner.port(portName)) throw new Error(`no serial port ${portName}`);
  }

  /** Everything the port transmitted (the last MiB), and the dialogue's position in it. */
  get transcript(): Transcript {
    return this.runner.transcript;
  }

  /** Types `text` into the port's receiver (bytes 0-255; the USART paces them at its baud rate). */
  send(text: string): void {
    this.runner.push({ send: text });
    this.runner.runSync(); // a send alone completes at once
  }

  /**
   * Runs until `text` (or a match of the regular expression) appears after the previous match;
   * returns the console text from the previous match up to the end of this one.
   */
  expect(text: Awaited, options: ExpectOptions = {}): string {
    this.runner.push({
      expect: text,
      timeoutNs: (options.virtualMs ?? 10_000) * 1e6,
      maxInstructions: options.maxInstructions,
    });
    const end = this.runner.runSync();
    if (end.kind === 'script-done') return this.runner.lastSeen;
    if (end.kind === 'script-failed') {
      const why = end.why === 'expect-timeout' || end.why === 'limit' ? 'budget' : end.why;
      throw new ExpectError(describeAwaited(text), why, end.lastLines);
    }
    throw new Error(`SerialConsole: the run ended unexpectedly (${end.kind})`);
  }
}
