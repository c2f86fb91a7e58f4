/** How a run's stop becomes a report on stderr and an exit code. */
import type { Machine } from '../machine/machine.js';
import type { Semihosting } from '../machine/semihosting.js';
import type { StopReason } from '../core/cpu.js';
import type { SymbolTable } from '../loader/elf.js';
import { faultReport, describeAddress } from '../diagnostics/faultReport.js';
import { exceptionName } from '../core/faults.js';
import type { RunOptions } from './options.js';

export const EXIT_USAGE = 2;
export const EXIT_FAULT = 3;
export const EXIT_LIMIT = 4;
export const EXIT_EXPECT = 5;

export interface RunContext {
  o: RunOptions;
  machine: Machine;
  symbols: SymbolTable | null;
  semihosting: Semihosting | null;
  /** The exception whose handler branches to itself, when the run stopped for that. */
  spinning: number;
  say: { err(message: string): void; raw(text: string): void };
}

export function stopExitCode(reason: StopReason | 'timeout', ctx: RunContext): number {
  const { o, machine, symbols, say } = ctx;
  const cpu = machine.cpu;
  const report = () => say.raw(faultReport(machine, symbols) + '\n');
  switch (reason) {
    case 'exit': {
      const status = ctx.semihosting?.exitStatus;
      return status ? status.code : 0;
    }
    case 'lockup': {
      const why = machine.exc.lockup?.reason ?? 'unknown';
      say.err(`lockup: ${why}`);
      if (/BKPT #171\b/.test(why) && !o.semihosting) {
        say.err('BKPT 0xAB is a semihosting call (newlib rdimon, printf): run with --semihosting');
      }
      report();
      return EXIT_FAULT;
    }
    case 'unhandled':
      say.err(
        `unhandled ${exceptionName(ctx.spinning)}: its handler at ${describeAddress(symbols, cpu.pc)} ` +
          'branches to itself; stopping',
      );
      report();
      return EXIT_FAULT;
    case 'sleep':
      say.err('the core is asleep (WFI/WFE) with nothing that could wake it; stopping');
      report();
      return EXIT_FAULT;
    case 'limit':
    case 'timeout': {
      const what =
        reason === 'limit'
          ? `instruction limit (${o.maxInstructions})`
          : `timeout (${o.timeout} s)`;
      const where =
        cpu.ipsr >= 2 && cpu.ipsr <= 6 ? ` inside the ${exceptionName(cpu.ipsr)} handler` : '';
      say.err(`stopped: ${what} reached${where} at ${describeAddress(symbols, cpu.pc)}`);
      if (where) report();
      return EXIT_LIMIT;
    }
    default:
      say.err(`stopped: ${reason}`);
      report();
      return EXIT_FAULT;
  }
}
