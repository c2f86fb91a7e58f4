/** The `f4emu run` command line: its usage text and its parser. */
import * as fs from 'node:fs';
import { parseGdbAddress, type GdbAddress } from '../host/gdbTcp.js';
import { parseSerialOption, serialPortName, type SerialTarget } from '../host/console.js';
import type { Speed } from '../machine/runner.js';
import { parseLogSpec, type LogSpec } from '../diagnostics/log.js';
import { noDiagnostics, type DiagOptions } from '../diagnostics/options.js';
import { parseNetOption, type UserNetOptions } from '../net/options.js';

export const USAGE = `usage: f4emu run <image.elf|.bin|.hex> [--load FILE[@ADDR]]... [options]
       f4emu run --load FILE[@ADDR] [--load FILE[@ADDR]]... [options]
       f4emu run --flash-file PATH [options]    boot what a saved flash file holds
       f4emu web [--port N] [--bind ADDR]       serve the board's web page (npm run build:web)
       f4emu --version | --help

Every option combines with every other: the console, scripts, --serial ports, --gdb, --trace,
--log and --speed all work together in one run.

options:
  --load FILE[@ADDR]      load one more image (repeatable), e.g. NuttX's protected build:
                          f4emu run nuttx --load nuttx_user.bin@0x08020000. An ELF or .hex
                          loads at its own addresses (no @ADDR); a .bin at ADDR (0x... or
                          decimal: flash, its alias at 0, SRAM, CCM), which only the first
                          image may leave out (0x08000000). Images may not overlap. The chip
                          boots from the vector table in flash; the positional image (else
                          the first ELF) gives the diagnostics their debug info; symbols come
                          from every ELF
  --semihosting[=DIR]     enable ARM semihosting (console on the terminal; host files only in DIR)
  --console usartN        the USART bridged to the terminal (default: the first that transmits)
  --serial usartN=file:PATH[,append|,overwrite]
  --serial usartN=tcp:[127.0.0.1:]PORT[,nowait]
                          another USART to a new file, or a loopback TCP port (waits for the
                          first client unless ,nowait; what the guest sent before is kept)
  --expect TEXT           wait until the console prints TEXT (in order with --send; \\n \\r \\xNN)
  --expect-re REGEX       the same with a JavaScript regular expression (matched within a line
                          as the text arrives)
  --expect-timeout S      virtual seconds each --expect may wait (default 10)
  --send TEXT             type TEXT into the console
  --press-button          press and release the user button B1 (in order with --expect/--send)
  --speed realtime|max|N  pace virtual time to the wall clock (default on a terminal), N times
                          as fast, or run flat out (default otherwise)
  --gdb [tcp:][HOST:]PORT serve the GDB remote protocol (HOST defaults to 127.0.0.1)
  --wait-gdb              halt at reset until a debugger attaches (needs --gdb)
  --net user[,hostfwd=tcp:[HOST]:HPORT-[GUEST]:GPORT][,restrict=on|off]
                          the board's Ethernet on a user-mode network (no root, no TAP):
                          DHCP gives 10.0.2.15, the gateway is 10.0.2.2 (or whatever gateway
                          the firmware uses); each hostfwd listens on HOST (127.0.0.1) and
                          connects to the guest; restrict=off lets the guest reach the host
  --pcap PATH             record every Ethernet frame (both directions) to a new pcap file
  --trace                 print every executed instruction to stderr
  --log LIST              log events to stderr: int, exc, unimp, guest_errors, mmio[=BLOCK]
                          (comma-separated; --log help lists them)
  --log-file PATH         write --trace and --log output to a new file PATH instead
  --stats                 print instructions, cycles, virtual and wall time, MIPS at the end,
                          and the block translator's blocks, cache size, hit rate, time
  --jit, --no-jit         translate hot code to JavaScript (default) or only interpret: the
                          results are the same, --no-jit is the reference to compare with
  --jit-hot N             translate a block once it has been entered N times (default 10000;
                          one entered at least once every 1600 instructions goes at N/4,
                          rounded down to a power of two, after the run's first 200000)
  --max-instructions N    stop after N instructions (exit code 4)
  --timeout S             stop after S seconds of wall time (exit code 4)
  --cmdline "ARGS"        command line returned by SYS_GET_CMDLINE
  --flash-file PATH       keep the 1 MB flash in PATH (created if missing; an existing file must
                          be exactly 1 MiB): every erase/program is written through, crash-safe
  --version               print the version

diagnostics (each finding: one line on stderr; =json:FILE also writes a JSON report):
  --leak-check[=json:FILE]  track the firmware's allocator (NuttX mm_*, newlib _malloc_r, malloc):
                          blocks nobody can reach, at task exit and at the end, by call site;
                          invalid and double frees at the call
  --stack-check[=json:FILE]  stop at the first store below a task's stack made by that task,
                          naming task, PC, address and backtrace; each task's stack high-water
                          mark at its exit. Stacks from NuttX's g_tcbinfo, else the DWARF of
                          struct tcb_s, else the heap block holding the SP the scheduler loads
  --trace-calls[=LIST]    strace for firmware: each call to socket, setsockopt, ioctl, fcntl, open,
                          pthread_*, sem_*, task_create... (or the comma-separated LIST) decoded
                          with NuttX's constants; a value NuttX does not define and Linux does is
                          flagged (the Rust-libc bug class)
  --abi-check[=json:FILE]  a pthread mutex, cond, rwlock or semaphore used without its init
                          function whose bytes are not the OS's static initializer (Linux's
                          all-zero layout...), or used after its destroy, is reported at the call
                          with both byte patterns; structure sizes compared across compilation
                          units (DWARF)
  --diag-exit-code N      exit code when a check found something (default 6; 0 keeps the
                          guest's)
exit code: the guest's exit status (0 when every --expect was seen); 2 bad usage/image,
  3 lockup/fault, 4 limit/timeout, 5 an --expect text did not appear, 6 a diagnostic found
  something`;

export type ScriptItem =
  | { expect: string }
  | { expectRe: RegExp; source: string }
  | { send: string }
  | { pressButton: true };

/** One `--load FILE[@ADDR]`. */
export interface LoadSpec {
  file: string;
  /** The address a raw binary goes to; null when the option gave none. */
  address: number | null;
  /** The `@ADDR` text as given, for messages. */
  addressText: string | null;
}

export interface RunOptions {
  image: string;
  /** Further images (`--load`), in command-line order. */
  loads: LoadSpec[];
  semihosting: boolean;
  semihostingDir: string | null;
  maxInstructions: number;
  timeout: number;
  trace: boolean;
  stats: boolean;
  jit: boolean;
  /** Entries before a block is translated (null: the translator's default). */
  jitHot: number | null;
  cmdline: string;
  gdb: GdbAddress | null;
  waitGdb: boolean;
  console: string | null;
  serial: { port: string; target: SerialTarget }[];
  script: ScriptItem[];
  expectTimeout: number;
  speed: Speed | null;
  flashFile: string | null;
  log: LogSpec | null;
  logFile: string | null;
  net: UserNetOptions | null;
  pcap: string | null;
  diag: DiagOptions;
  help: boolean;
}

export class UsageError extends Error {}

/** `\n`, `\r`, `\t`, `\e`, `\xNN` and `\\` in --send/--expect texts. */
export function unescapeText(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '\\': '\\', e: '\x1b' } as Record<string, string>)[e] ?? e;
  });
}

/**
 * `FILE[@ADDR]`: the address after the last `@`, hex (0x...) or decimal. A file whose own name
 * has an `@` followed by something else is taken whole when it exists.
 */
export function parseLoadSpec(spec: string): LoadSpec {
  const at = spec.lastIndexOf('@');
  if (at < 0) return { file: spec, address: null, addressText: null };
  const file = spec.slice(0, at);
  const text = spec.slice(at + 1);
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) {
    const address = Number(text);
    if (file === '') throw new UsageError(`--load ${spec}: no file before @${text}`);
    if (address > 0xffffffff) {
      throw new UsageError(`--load ${spec}: address ${text} is beyond 32 bits`);
    }
    return { file, address, addressText: text };
  }
  if (fs.existsSync(spec)) return { file: spec, address: null, addressText: null };
  throw new UsageError(`--load ${spec}: bad address '${text}' after @ (hex 0x08020000 or decimal)`);
}

/** `json:FILE` after a diagnostic option's `=`. */
function jsonTarget(option: string, spec: string): string {
  if (!spec.startsWith('json:') || spec.length === 5) {
    throw new UsageError(`${option}=${spec}: expected ${option}=json:FILE`);
  }
  return spec.slice(5);
}

export function parseRunArgs(args: string[]): RunOptions {
  const o: RunOptions = {
    image: '',
    loads: [],
    semihosting: false,
    semihostingDir: null,
    maxInstructions: Infinity,
    timeout: Infinity,
    trace: false,
    stats: false,
    jit: true,
    jitHot: null,
    cmdline: '',
    console: null,
    serial: [],
    script: [],
    expectTimeout: 10,
    speed: null,
    flashFile: null,
    gdb: null,
    waitGdb: false,
    log: null,
    logFile: null,
    net: null,
    pcap: null,
    diag: noDiagnostics(),
    help: false,
  };
  const number = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n) || n <= 0) {
      throw new UsageError(`${name} needs a positive number, got '${v ?? ''}'`);
    }
    return n;
  };
  const logItems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [key, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = () => inline ?? args[++i];
    const text = (): string => {
      const v = value();
      if (v === undefined || v === '') throw new UsageError(`${key} needs a value`);
      return v;
    };
    switch (key) {
      case '--help':
      case '-h':
        o.help = true;
        break;
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
      case '--expect-timeout':
        o.expectTimeout = number(key, value());
        break;
      case '--trace':
        o.trace = true;
        break;
      case '--jit':
        o.jit = true;
        break;
      case '--no-jit':
        o.jit = false;
        break;
      case '--jit-hot':
        o.jitHot = Math.floor(number(key, value()));
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
        o.script.push({ expect: unescapeText(text()) });
        break;
      case '--expect-re': {
        const source = text();
        try {
          o.script.push({ expectRe: new RegExp(source), source });
        } catch (e) {
          throw new UsageError(`--expect-re '${source}': ${(e as Error).message}`);
        }
        break;
      }
      case '--send':
        o.script.push({ send: unescapeText(text()) });
        break;
      case '--press-button':
        o.script.push({ pressButton: true });
        break;
      case '--speed': {
        const v = value() ?? '';
        const n = Number(v);
        if (v === 'realtime' || v === 'max') o.speed = v;
        else if (v !== '' && Number.isFinite(n) && n > 0) o.speed = n;
        else throw new UsageError(`--speed needs realtime, max or a factor (e.g. 2), got '${v}'`);
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
      case '--load':
        o.loads.push(parseLoadSpec(text()));
        break;
      case '--flash-file':
        o.flashFile = text();
        break;
      case '--log':
        logItems.push(text());
        break;
      case '--log-file':
        o.logFile = text();
        break;
      case '--net':
        try {
          o.net = parseNetOption(text());
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        break;
      case '--pcap':
        o.pcap = text();
        break;
      case '--leak-check':
        o.diag.leakCheck = true;
        if (inline !== undefined) o.diag.json['leak-check'] = jsonTarget(key, inline);
        break;
      case '--trace-calls':
        if (inline?.startsWith('json:')) {
          o.diag.json['trace-calls'] = jsonTarget(key, inline);
          o.diag.traceCalls = [];
        } else {
          o.diag.traceCalls = inline === undefined ? [] : inline.split(',').filter((n) => n !== '');
        }
        break;
      case '--stack-check':
        o.diag.stackCheck = true;
        if (inline !== undefined) o.diag.json['stack-check'] = jsonTarget(key, inline);
        break;
      case '--abi-check':
        o.diag.abiCheck = true;
        if (inline !== undefined) o.diag.json['abi-check'] = jsonTarget(key, inline);
        break;
      case '--diag-exit-code': {
        const v = value() ?? '';
        const n = Number(v);
        if (!/^\d+$/.test(v) || n > 255) {
          throw new UsageError(`--diag-exit-code needs a number from 0 to 255, got '${v}'`);
        }
        o.diag.exitCode = n;
        break;
      }
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option '${a}' (see f4emu run --help)`);
        if (o.image) throw new UsageError(`more than one image given ('${o.image}', '${a}')`);
        o.image = a;
    }
  }
  if (logItems.length > 0) {
    try {
      o.log = parseLogSpec(logItems.join(','));
    } catch (e) {
      throw new UsageError(`--log: ${(e as Error).message}`);
    }
    if (o.log.help) return o;
  }
  if (o.help) return o;
  if (!o.image && o.loads.length === 0 && o.flashFile === null) {
    throw new UsageError('no image given');
  }
  if (o.waitGdb && o.gdb === null) throw new UsageError('--wait-gdb needs --gdb PORT');
  if (o.pcap !== null && o.net === null) throw new UsageError('--pcap needs --net user,...');
  if (o.jitHot !== null && !o.jit) throw new UsageError('--jit-hot has no effect with --no-jit');
  if (o.semihostingDir !== null && !fs.existsSync(o.semihostingDir)) {
    throw new UsageError(`semihosting directory '${o.semihostingDir}' does not exist`);
  }
  const ports = [o.console, ...o.serial.map((s) => s.port)].filter((p) => p !== null);
  const twice = ports.find((p, i) => ports.indexOf(p) !== i);
  if (twice) throw new UsageError(`${twice} is named twice (--console/--serial)`);
  return o;
}
