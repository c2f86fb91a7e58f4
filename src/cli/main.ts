/**
 * The f4emu command. `f4emu run <image>` loads firmware into a virtual STM32F4Discovery and runs
 * it; the guest's semihosting exit status becomes the exit code. Other exit codes:
 *   2 bad usage or bad image, 3 lockup or unhandled fault, 4 instruction limit or timeout,
 *   5 an --expect text did not appear in time, 70 internal error.
 */
import * as fs from 'node:fs';
import { Machine } from '../machine/machine.js';
import { boot } from '../machine/firmware.js';
import { ImageError, parseImage, type LoadedImage } from '../loader/image.js';
import { SymbolTable } from '../loader/elf.js';
import { FlashFile, FlashFileError } from '../host/flashFile.js';
import type { FlashInterface } from '../peripherals/flash/flash.js';
import { NodeSemihostingHost, processConsole } from '../host/semihostingFs.js';
import { faultReport, describeAddress } from '../diagnostics/faultReport.js';
import { exceptionName } from '../core/faults.js';
import type { StopReason } from '../core/cpu.js';
import type { Semihosting } from '../machine/semihosting.js';
import { GdbTcpListener, parseGdbAddress, type GdbAddress } from '../host/gdbTcp.js';
import { parseSerialOption, serialPortName, type SerialTarget } from '../host/console.js';
import { runSession, type ScriptStep } from './session.js';

export const EXIT_USAGE = 2;
export const EXIT_FAULT = 3;
export const EXIT_LIMIT = 4;
export const EXIT_EXPECT = 5;

const USAGE = `usage: f4emu run <image.elf|.bin|.hex> [options]
       f4emu run --flash-file PATH [options]    boot what a saved flash file holds

options:
  --semihosting[=DIR]     enable ARM semihosting (console; host files only inside DIR)
  --max-instructions N    stop after N instructions (exit code 4)
  --timeout S             stop after S seconds of wall time (exit code 4)
  --trace                 print every executed instruction to stderr
  --stats                 print instruction count and speed to stderr at the end
  --cmdline "ARGS"        command line returned by SYS_GET_CMDLINE
  --gdb [tcp:][HOST:]PORT serve the GDB remote protocol (HOST defaults to 127.0.0.1)
  --wait-gdb              halt at reset until a debugger attaches (needs --gdb)
  --console usartN        the USART bridged to the terminal (default: the first that transmits)
  --serial usartN=file:PATH|tcp:127.0.0.1:PORT
                          another USART to a file or a loopback TCP port (repeatable)
  --expect TEXT           wait until the console prints TEXT (in order with --send; \\n \\r \\xNN)
  --send TEXT             type TEXT into the console
  --press-button          press and release the user button B1 (in order with --expect/--send)
  --speed realtime|max    pace virtual time to the wall clock (default on a terminal) or not
  --flash-file PATH       keep the 1 MB flash in PATH: loaded at start (the image goes over
                          it), every erase/program the firmware does is written through
exit code: the guest's exit status (0 when every --expect was seen); 2 bad usage/image,
  3 lockup/fault, 4 limit/timeout, 5 an --expect text did not appear before --timeout`;

interface RunOptions {
  image: string;
  semihosting: boolean;
  semihostingDir: string | null;
  maxInstructions: number;
  timeout: number;
  trace: boolean;
  stats: boolean;
  cmdline: string;
  gdb: GdbAddress | null;
  waitGdb: boolean;
  console: string | null;
  serial: { port: string; target: SerialTarget }[];
  script: ScriptStep[];
  speed: 'realtime' | 'max' | null;
  flashFile: string | null;
}

class UsageError extends Error {}

function parseRunArgs(args: string[]): RunOptions {
  const o: RunOptions = {
    image: '',
    semihosting: false,
    semihostingDir: null,
    maxInstructions: Infinity,
    timeout: Infinity,
    trace: false,
    stats: false,
    cmdline: '',
    console: null,
    serial: [],
    script: [],
    speed: null,
    flashFile: null,
    gdb: null,
    waitGdb: false,
  };
  const number = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n) || n <= 0) {
      throw new UsageError(`${name} needs a positive number, got '${v ?? ''}'`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [key, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = () => inline ?? args[++i];
    switch (key) {
      case '--semihosting':
        o.semihosting = true;
        if (inline !== undefined) o.semihostingDir = inline;
        break;
      case '--max-instructions':
        o.maxInstructions = Math.floor(number(key, value()));
        break;
      case '--timeout':
        o.timeout = number(key, value());
        break;
      case '--trace':
        o.trace = true;
        break;
      case '--stats':
        o.stats = true;
        break;
      case '--cmdline':
        o.cmdline = value() ?? '';
        break;
      case '--console': {
        const spec = value() ?? '';
        o.console = serialPortName(spec);
        if (o.console === null)
          throw new UsageError(`--console needs usart1..usart6, got '${spec}'`);
        break;
      }
      case '--serial':
        try {
          o.serial.push(parseSerialOption(value() ?? ''));
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        break;
      case '--expect':
      case '--send': {
        const text = value();
        if (text === undefined || text === '') throw new UsageError(`${key} needs a text`);
        o.script.push(key === '--expect' ? { expect: text } : { send: text });
        break;
      }
      case '--press-button':
        o.script.push({ pressButton: true });
        break;
      case '--speed': {
        const v = value();
        if (v !== 'realtime' && v !== 'max') {
          throw new UsageError(`--speed needs realtime or max, got '${v ?? ''}'`);
        }
        o.speed = v;
        break;
      }
      case '--gdb': {
        const spec = value() ?? '';
        o.gdb = parseGdbAddress(spec);
        if (o.gdb === null) throw new UsageError(`--gdb needs [tcp:][HOST:]PORT, got '${spec}'`);
        break;
      }
      case '--wait-gdb':
        o.waitGdb = true;
        break;
      case '--flash-file': {
        const v = value();
        if (v === undefined || v === '') throw new UsageError('--flash-file needs a path');
        o.flashFile = v;
        break;
      }
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
        if (o.image) throw new UsageError(`more than one image given ('${o.image}', '${a}')`);
        o.image = a;
    }
  }
  if (!o.image && o.flashFile === null) throw new UsageError('no image given');
  if (o.waitGdb && o.gdb === null) throw new UsageError('--wait-gdb needs --gdb PORT');
  if (o.semihostingDir !== null && !fs.existsSync(o.semihostingDir)) {
    throw new UsageError(`semihosting directory '${o.semihostingDir}' does not exist`);
  }
  return o;
}

function err(message: string): void {
  process.stderr.write(`f4emu: ${message}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command === undefined ? EXIT_USAGE : 0;
  }
  if (command !== 'run') {
    err(`unknown command '${command}' (try 'f4emu run <image>')`);
    return EXIT_USAGE;
  }
  let options: RunOptions;
  try {
    options = parseRunArgs(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      return EXIT_USAGE;
    }
    throw e;
  }
  return run(options);
}

function run(o: RunOptions): number | Promise<number> {
  let bytes: Uint8Array | null = null;
  if (o.image) {
    try {
      bytes = fs.readFileSync(o.image);
    } catch (e) {
      err(`cannot read '${o.image}': ${(e as Error).message}`);
      return EXIT_USAGE;
    }
  }
  const machine = new Machine({ warn: (m) => process.stderr.write(m + '\n') });
  let flashFile: FlashFile | null = null;
  let booted;
  try {
    if (o.flashFile !== null) {
      const flash = machine.peripherals.get('FLASH') as FlashInterface;
      const opened = FlashFile.open(o.flashFile, flash);
      if (!opened.loaded && bytes === null) {
        throw new FlashFileError(`no image given and flash file '${o.flashFile}' does not exist`);
      }
      flashFile = opened.file;
    }
    // Without an image the machine boots whatever the flash file holds.
    const image = bytes !== null ? parseImage(bytes, o.image) : emptyImage();
    booted = boot(machine, image, {
      semihosting: o.semihosting
        ? new NodeSemihostingHost(processConsole(), o.semihostingDir)
        : null,
      cmdline: o.cmdline,
    });
    flashFile?.start();
  } catch (e) {
    if (e instanceof ImageError) {
      err(`${o.image}: ${e.message}`);
      return EXIT_USAGE;
    }
    if (e instanceof FlashFileError) {
      err(e.message);
      return EXIT_USAGE;
    }
    throw e;
  }
  // ITM stimulus port 0 is a console channel (printf over SWO on real boards): to stdout.
  machine.itm.onOutput = (port, data, size) => {
    if (port !== 0) return;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (data >>> (8 * i)) & 0xff;
    fs.writeSync(1, bytes);
  };
  let spinning = 0;
  machine.exc.onSpinningHandler = (n) => {
    spinning = n;
    machine.requestStop('unhandled');
  };
  const symbols = booted.image.symbols;
  const cpu = machine.cpu;
  const done: Finish = {
    o,
    machine,
    symbols,
    semihosting: booted.semihosting,
    spinning: () => spinning,
  };
  if (o.gdb !== null) return runWithGdb(o.gdb, done);
  if (!o.trace) return runInteractive(done);
  const started = process.hrtime.bigint();
  const deadline = Number.isFinite(o.timeout) ? Date.now() + o.timeout * 1000 : Infinity;
  const slice = o.trace ? 1 : 4_000_000;
  let reason: StopReason | 'timeout';
  for (;;) {
    const left = o.maxInstructions - cpu.instructions;
    if (left <= 0) {
      reason = 'limit';
      break;
    }
    if (o.trace) {
      const pc = cpu.pc;
      const insn = cpu.fetchForTrace(pc);
      process.stderr.write(`${describeAddress(symbols, pc)}: ${insn}\n`);
    }
    reason = machine.run(Math.min(slice, left));
    if (reason !== 'limit') break;
    if (Date.now() > deadline) {
      reason = 'timeout';
      break;
    }
  }
  printStats(o, machine, started);
  return exitCode(reason, done);
}

/** Consoles, serial ports, --expect/--send and pacing around the run loop (./session.ts). */
async function runInteractive(f: Finish): Promise<number> {
  const { o, machine } = f;
  const started = process.hrtime.bigint();
  const tty = process.stdout.isTTY === true && process.stdin.isTTY === true;
  const end = await runSession(
    machine,
    {
      console: o.console,
      consoleInput: tty && !o.semihosting,
      serial: o.serial,
      script: o.script,
      speed: o.speed ?? (tty ? 'realtime' : 'max'),
      maxInstructions: o.maxInstructions,
      timeout: o.timeout,
      // The LEDs on a status line, when the terminal is a person's (not with semihosting's
      // console, which writes to the terminal directly).
      boardStatus: tty && !o.semihosting ? process.stdout : null,
    },
    (text) => process.stdout.write(text),
  );
  printStats(o, machine, started);
  switch (end.kind) {
    case 'stop':
      return exitCode(end.reason, f);
    case 'quit':
    case 'script-done':
      return 0;
    case 'script-failed':
      err(`expected '${end.waitingFor}' but it did not appear within ${o.timeout} s`);
      process.stderr.write(
        'last console lines:\n' + end.lastLines.map((l) => `  | ${l}`).join('\n') + '\n',
      );
      return EXIT_EXPECT;
    case 'error':
      err(end.message);
      return EXIT_USAGE;
  }
}

function emptyImage(): LoadedImage {
  return { format: 'bin', segments: [], entry: null, symbols: new SymbolTable() };
}

interface Finish {
  o: RunOptions;
  machine: Machine;
  symbols: SymbolTable | null;
  semihosting: Semihosting | null;
  spinning: () => number;
}

function printStats(o: RunOptions, machine: Machine, started: bigint): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (o.stats) {
    const cpu = machine.cpu;
    const mips = cpu.instructions / seconds / 1e6;
    err(
      `stats: instructions=${cpu.instructions} cycles=${machine.clock.cycles} seconds=${seconds.toFixed(3)} mips=${mips.toFixed(1)}`,
    );
  }
}

/**
 * The run loop with a GDB stub: the machine runs in slices from setImmediate so the socket is
 * served between them (Ctrl-C, packets). A connected debugger owns the loop: the target runs only
 * while GDB has it running; without one the program runs freely (unless --wait-gdb holds it at
 * reset until the first debugger attaches).
 */
async function runWithGdb(address: GdbAddress, f: Finish): Promise<number> {
  const { o, machine } = f;
  const cpu = machine.cpu;
  const started = process.hrtime.bigint();
  const deadline = Number.isFinite(o.timeout) ? Date.now() + o.timeout * 1000 : Infinity;
  let holdAtReset = o.waitGdb;
  let scheduled = false;
  let finished = false;
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const finish = (code: number) => {
    if (finished) return;
    finished = true;
    printStats(o, machine, started);
    void listener.close().then(() => resolveExit(code));
  };
  const kick = () => {
    if (scheduled || finished) return;
    scheduled = true;
    setImmediate(tick);
  };
  const listener = new GdbTcpListener(machine, {
    symbols: f.symbols,
    exitCode: () => f.semihosting?.exitStatus?.code ?? 0,
    onResume: kick,
    onActivity: kick,
    onConnect: () => {
      holdAtReset = false;
      err(`debugger attached; target halted at 0x${cpu.pc.toString(16).padStart(8, '0')}`);
    },
    onDetach: () => {
      err('debugger detached; target running');
      kick();
    },
    onDisconnect: kick,
    onKill: () => {
      err('killed by the debugger');
      finish(0);
    },
    onExit: (code) => finish(code),
  });
  const tick = () => {
    scheduled = false;
    if (finished) return;
    const session = listener.session;
    if (session !== null && session.active) {
      if (session.running && !session.idle) {
        session.runSlice(1_000_000);
        kick();
      }
      return;
    }
    if (holdAtReset) return;
    const left = o.maxInstructions - cpu.instructions;
    let reason: StopReason | 'timeout' =
      left <= 0 ? 'limit' : machine.run(Math.min(left, 1_000_000));
    if (reason === 'limit' && left > 1_000_000) {
      if (Date.now() <= deadline) return kick();
      reason = 'timeout';
    }
    if (reason === 'breakpoint' && listener.session === null) {
      // A BKPT the debugger stopped at just before detaching: nothing to report.
      return kick();
    }
    finish(exitCode(reason, f));
  };
  let bound: GdbAddress;
  try {
    bound = await listener.listen(address);
  } catch (e) {
    err(`cannot listen for GDB on ${address.host}:${address.port}: ${(e as Error).message}`);
    return EXIT_USAGE;
  }
  err(
    `GDB server listening on ${bound.host}:${bound.port}` +
      (o.waitGdb ? ' (halted at reset until a debugger attaches)' : ''),
  );
  kick();
  return exited;
}

function exitCode(reason: StopReason | 'timeout', f: Finish): number {
  const { o, machine, symbols } = f;
  const cpu = machine.cpu;
  const spinning = f.spinning();
  switch (reason) {
    case 'exit': {
      const status = f.semihosting?.exitStatus;
      return status ? status.code : 0;
    }
    case 'lockup': {
      const why = machine.exc.lockup?.reason ?? 'unknown';
      err(`lockup: ${why}`);
      if (/BKPT #171\b/.test(why) && !o.semihosting) {
        err('BKPT 0xAB is a semihosting call (newlib rdimon, printf): run with --semihosting');
      }
      process.stderr.write(faultReport(machine, symbols) + '\n');
      return EXIT_FAULT;
    }
    case 'unhandled':
      err(
        `unhandled ${exceptionName(spinning)}: its handler at ${describeAddress(symbols, cpu.pc)} ` +
          'branches to itself; stopping',
      );
      process.stderr.write(faultReport(machine, symbols) + '\n');
      return EXIT_FAULT;
    case 'sleep':
      err('the core is asleep (WFI/WFE) with nothing that could wake it; stopping');
      process.stderr.write(faultReport(machine, symbols) + '\n');
      return EXIT_FAULT;
    case 'limit':
    case 'timeout': {
      const what =
        reason === 'limit'
          ? `instruction limit (${o.maxInstructions})`
          : `timeout (${o.timeout} s)`;
      const where =
        cpu.ipsr >= 2 && cpu.ipsr <= 6 ? ` inside the ${exceptionName(cpu.ipsr)} handler` : '';
      err(`stopped: ${what} reached${where} at ${describeAddress(symbols, cpu.pc)}`);
      if (where) process.stderr.write(faultReport(machine, symbols) + '\n');
      return EXIT_LIMIT;
    }
    default:
      err(`stopped: ${reason}`);
      process.stderr.write(faultReport(machine, symbols) + '\n');
      return EXIT_FAULT;
  }
}
