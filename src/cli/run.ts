/**
 * `f4emu run`: loads the image, boots the machine, attaches every endpoint the options name
 * (the terminal, serial ports, the GDB server, trace, log, the script) to one Runner, runs it,
 * and turns how the run ended into a report and an exit code.
 */
import * as fs from 'node:fs';
import { Machine } from '../machine/machine.js';
import { boot, checkBootable } from '../machine/firmware.js';

import { Runner, type RunEnd, type ScriptStep } from '../machine/runner.js';
import { describeAwaited } from '../machine/transcript.js';
import { ImageError, type LoadedImage } from '../loader/image.js';
import { SymbolTable } from '../loader/elf.js';
import { translationHook, withoutOsr } from '../host/engine.js';
import { FlashFile, FlashFileError } from '../host/flashFile.js';
import type { FlashInterface } from '../peripherals/flash/flash.js';
import { NodeSemihostingHost } from '../host/semihostingFs.js';
import { GdbTcpListener } from '../host/gdbTcp.js';
import { taskThreadsFor } from '../gdb/taskThreads.js';
import {
  Terminal,
  attachFileSerial,
  attachTcpSerial,
  type SerialBackend,
  type TcpSerialBackend,
  type TerminalOptions,
} from '../host/console.js';
import { BoardStatusLine } from '../host/boardStatus.js';
import { openOutputFile, OutputFileError, writeAllSync } from '../host/outputFile.js';
import { nodeRunnerHost } from '../host/runnerHost.js';
import type { AttachedNetwork } from '../machine/network.js';
import { describeAddress } from '../diagnostics/faultReport.js';
import type { AttachedDiagnostics } from '../diagnostics/attach.js';
import type { ElfSection } from '../loader/elfSections.js';
import { findingsJson } from '../diagnostics/findings.js';
import { anyDiagnostics } from '../diagnostics/options.js';
import type { RunOptions, ScriptItem } from './options.js';
import { ImageReadError, parseImageFiles, readImageFiles, type ImageFile } from './images.js';
import { EXIT_EXPECT, EXIT_USAGE, stopExitCode, type RunContext } from './report.js';

/** f4emu's own messages: on stderr, starting on a fresh line after the guest's output. */
export class Messages {
  terminal: Terminal | null = null;
  err(message: string): void {
    this.terminal?.freshLine();
    process.stderr.write(`f4emu: ${message}\n`);
  }
  raw(text: string): void {
    this.terminal?.freshLine();
    process.stderr.write(text);
  }
}

/** Trace and log lines: to stderr, or to --log-file, in chunks. */
class LineSink {
  private chunks: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}
  line(text: string): void {
    this.chunks.push(text, '\n');
    this.size += text.length + 1;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    if (this.chunks.length === 0) return;
    writeAllSync(this.fd, this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
  }
}

function scriptStep(s: ScriptItem, expectTimeoutNs: number): ScriptStep {
  if ('expect' in s) return { expect: s.expect, timeoutNs: expectTimeoutNs };
  if ('expectRe' in s) return { expect: s.expectRe, timeoutNs: expectTimeoutNs };
  return s;
}

/**
 * What `run` reads the console's input from: process.stdin unless given. A harness that runs
 * many guests in one process (scripts/torture/f4emuWorker.ts) gives each run a stream of its own,
 * as a new process would have (process.stdin ends once, and a later run would wait for it).
 */
export interface RunIo {
  stdin?: TerminalOptions['input'];
}

export async function run(o: RunOptions, io: RunIo = {}): Promise<number> {
  const say = new Messages();
  let files: ImageFile[];
  try {
    files = readImageFiles(o);
  } catch (e) {
    if (!(e instanceof ImageReadError)) throw e;
    say.err(e.message);
    return EXIT_USAGE;
  }
  const machine = new Machine({
    warn: (m) => say.raw(m + '\n'),
    jit: o.jit && {
      now: () => performance.now(),
      hotEntries: o.jitHot ?? undefined,
      aroundTranslation: translationHook(),
    },
  });
  let terminal: Terminal | null = null;
  // Semihosting's console is the terminal's, which attaches to the runner made after boot.
  // The diagnostics (attached after boot) watch this console as they watch the USART's.
  let watchConsole: ((byte: number) => void) | null = null;
  const semihostingConsole = {
    write: (fd: 1 | 2, data: Uint8Array) => {
      if (terminal) terminal.semihosting.write(fd, data);
      else writeAllSync(fd, data);
      if (watchConsole && fd === 1) for (const b of data) watchConsole(b);
    },
    read: (max: number) => terminal?.semihosting.read(max) ?? new Uint8Array(0),
  };
  let flashFile: FlashFile | null = null;
  let logFd = 2;
  let pcapFd: number | null = null;
  let booted;
  let main: ImageFile | null = null;
  try {
    if (o.flashFile !== null) {
      const flash = machine.peripherals.get('FLASH') as FlashInterface;
      const opened = FlashFile.open(o.flashFile, flash);
      if (!opened.loaded && files.length === 0) {
        opened.file.close();
        throw new FlashFileError(`no image given and flash file '${o.flashFile}' does not exist`);
      }
      flashFile = opened.file;
    }
    // Without an image the machine boots whatever the flash file holds.
    const parsed = parseImageFiles(files);
    main = parsed?.main ?? null;
    booted = boot(machine, parsed?.parts ?? emptyImage(), {
      semihosting: o.semihosting
        ? new NodeSemihostingHost(semihostingConsole, o.semihostingDir)
        : null,
      cmdline: o.cmdline,
    });
    const why = checkBootable(machine, {
      name: main?.name ?? o.flashFile ?? undefined,
      image: booted.image,
    });
    if (why !== null) throw new SetupError(why);
    flashFile?.start();
    if (o.logFile !== null) {
      logFd = openOutputFile(o.logFile, 'create', { hint: 'remove it or choose another name' });
    }
    if (o.pcap !== null) {
      pcapFd = openOutputFile(o.pcap, 'create', { hint: 'remove it or choose another name' });
    }
  } catch (e) {
    if (e instanceof ImageError) {
      say.err(e.message); // it names the file
      return EXIT_USAGE;
    }
    if (e instanceof FlashFileError || e instanceof OutputFileError || e instanceof SetupError) {
      flashFile?.close();
      say.err(e.message);
      return EXIT_USAGE;
    }
    throw e;
  }
  const symbols = booted.image.symbols;
  // The main ELF's sections, read once when first wanted (DWARF: task lists without g_tcbinfo).
  let sectionsRead: Promise<readonly ElfSection[] | undefined> | null = null;
  const elfSections = () =>
    (sectionsRead ??= (async () => {
      if (main === null || booted.image.format !== 'elf') return undefined;
      const { readElfSections } = await import('../loader/elfSections.js');
      try {
        return readElfSections(main.bytes);
      } catch {
        return undefined; // no sections: the task list needs g_tcbinfo then
      }
    })());
  const sink = new LineSink(logFd);

  const stdin = io.stdin ?? process.stdin;
  const stdinTty = stdin.isTTY === true;
  const stdoutTty = process.stdout.isTTY === true;
  const runner = new Runner(machine, {
    console: o.console,
    reservedPorts: o.serial.map((s) => s.port),
    // Host sockets live in wall time: a networked guest runs at the wall clock's pace unless the
    // user says otherwise (its TCP timers are virtual).
    speed: o.speed ?? (o.net !== null || (stdinTty && stdoutTty) ? 'realtime' : 'max'),
    maxInstructions: o.maxInstructions,
    wallTimeoutMs: o.timeout * 1000,
    expectTimeoutNs: o.expectTimeout * 1e9,
    host: nodeRunnerHost,
    trace: o.trace
      ? (pc) => sink.line(`${describeAddress(symbols, pc)}: ${machine.cpu.fetchForTrace(pc)}`)
      : null,
  });
  if (o.log !== null) {
    // Loaded only when asked for, as the network is: a plain run starts faster.
    const { attachLog } = await import('../diagnostics/log.js');
    try {
      attachLog(machine, o.log, (line) => sink.line(line), symbols);
    } catch (e) {
      say.err(`--log: ${(e as Error).message}`);
      return EXIT_USAGE;
    }
  }
  let diag: AttachedDiagnostics | null = null;
  if (anyDiagnostics(o.diag)) {
    // Loaded only when asked for: a plain run pays nothing for them.
    const [{ attachDiagnostics }, { readElfSections }, { debugInfoFromSections }] =
      await Promise.all([
        import('../diagnostics/attach.js'),
        import('../loader/elfSections.js'),
        import('../diagnostics/unwind.js'),
      ]);
    let debug;
    let sections;
    if (main !== null && booted.image.format === 'elf') {
      try {
        sections = readElfSections(main.bytes);
        debug = debugInfoFromSections(sections, symbols);
      } catch (e) {
        say.err(`${main.name}: no backtraces: ${(e as Error).message}`);
      }
    }
    try {
      diag = attachDiagnostics(
        machine,
        booted.image,
        o.diag,
        { line: (text) => say.raw(`f4emu: ${text}\n`) },
        debug,
        sections,
      );
    } catch (e) {
      say.err((e as Error).message);
      return EXIT_USAGE;
    }
  }
  const ctx: RunContext = {
    o,
    machine,
    symbols,
    semihosting: booted.semihosting,
    spinning: 0,
    say,
  };
  machine.exc.onSpinningHandler = (n) => {
    ctx.spinning = n;
    machine.requestStop('unhandled');
  };
  // ITM stimulus port 0 is a console channel (printf over SWO on real boards): to stdout.
  machine.itm.onOutput = (port, data, size) => {
    if (port !== 0) return;
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) out[i] = (data >>> (8 * i)) & 0xff;
    semihostingConsole.write(1, out);
  };

  const backends: SerialBackend[] = [];
  let listener: GdbTcpListener | null = null;
  let status: BoardStatusLine | null = null;
  let network: AttachedNetwork | null = null;
  let closeNetInput: (() => void) | null = null;
  const closeAll = async () => {
    status?.close();
    network?.close();
    closeNetInput?.();
    if (pcapFd !== null) fs.closeSync(pcapFd);
    for (const b of backends.reverse()) await b.close();
    await listener?.close();
    sink.flush();
    if (logFd !== 2) fs.closeSync(logFd);
    flashFile?.close();
  };
  const started = process.hrtime.bigint();
  let end: RunEnd;
  try {
    terminal = new Terminal(runner, {
      input: stdin,
      onQuit: () => runner.quit('Ctrl-A X'),
      onButton: () => machine.board.click(),
      onTasks: () => void showTasks(machine, booted.image, say, elfSections),
    });
    if (diag) {
      // The diagnostics watch the console too (nsh's prompt ends a command).
      const terminalOutput = runner.onConsoleOutput;
      const d = diag;
      watchConsole = (byte) => d.consoleByte(byte);
      runner.onConsoleOutput = (byte) => {
        terminalOutput(byte);
        d.consoleByte(byte);
      };
    }
    say.terminal = terminal;
    backends.push(terminal);
    // The LEDs on a status line, when the terminal is a person's (not with semihosting's
    // console, which writes to the terminal directly).
    if (stdinTty && stdoutTty && !o.semihosting) {
      status = new BoardStatusLine(machine.board, process.stdout);
    }
    const waiting: TcpSerialBackend[] = [];
    for (const s of o.serial) {
      const port = runner.port(s.port);
      if (!port) throw new SetupError(`no serial port ${s.port}`);
      try {
        if (s.target.kind === 'file') {
          backends.push(attachFileSerial(s.port, port, s.target.path, s.target.mode));
        } else {
          const b = await attachTcpSerial(runner, s.port, s.target.host, s.target.port);
          backends.push(b);
          if (s.target.wait) waiting.push(b);
        }
      } catch (e) {
        throw new SetupError(`${s.port}: ${(e as Error).message}`);
      }
      say.err(backends[backends.length - 1]!.description);
    }
    if (o.gdb !== null) listener = await startGdb(o, runner, ctx, await elfSections());
    if (o.net !== null) {
      const [
        { nodeHostSockets, hostDnsServer },
        { attachUserNetwork },
        { pcapHeader, pcapRecord },
        { formatIpv4 },
      ] = await Promise.all([
        import('../host/netSockets.js'),
        import('../machine/network.js'),
        import('../net/pcap.js'),
        import('../net/checksum.js'),
      ]);
      const fd = pcapFd;
      if (fd !== null) fs.writeSync(fd, pcapHeader());
      // The ports the forwards' listeners got (port 0 asks for a free one), in forward order.
      const sockets = nodeHostSockets(() => runner.wake());
      const bound: Promise<number>[] = [];
      const boundUdp: Promise<number>[] = [];
      // Only the forwards' sockets are recorded (the guest's relays bind later, at run time).
      let recording = true;
      const host = {
        ...sockets,
        listenTcp: (...args: Parameters<typeof sockets.listenTcp>) => {
          const listening = sockets.listenTcp(...args);
          bound.push(listening.then((l) => l.port).catch(() => -1));
          return listening;
        },
        bindUdp: (...args: Parameters<NonNullable<typeof sockets.bindUdp>>) => {
          const binding = sockets.bindUdp!(...args);
          if (recording) boundUdp.push(binding.then((u) => u.port).catch(() => -1));
          return binding;
        },
      };
      network = attachUserNetwork(machine, {
        host,
        forwards: o.net.forwards,
        restrict: o.net.restrict,
        dnsServer: hostDnsServer(),
        tap: fd === null ? undefined : (frame, nanos) => fs.writeSync(fd, pcapRecord(frame, nanos)),
      });
      // Host connections may arrive at any time: a sleeping guest waits for them.
      closeNetInput = runner.openInput();
      try {
        await network.net.startForwards();
      } catch (e) {
        throw new SetupError(`--net: ${(e as Error).message}`);
      }
      const ports = await Promise.all(bound);
      for (const [i, f] of o.net.forwards.filter((f) => f.proto === 'tcp').entries()) {
        const guest = f.guestAddress === null ? 'the guest' : formatIpv4(f.guestAddress);
        const web = f.guestPort === 80 ? `: open http://${f.hostAddress}:${ports[i]}` : '';
        say.err(`forwarding tcp:${f.hostAddress}:${ports[i]} to ${guest}:${f.guestPort}${web}`);
      }
      recording = false;
      const udpPorts = await Promise.all(boundUdp);
      for (const [i, f] of o.net.forwards.filter((f) => f.proto === 'udp').entries()) {
        const guest = f.guestAddress === null ? 'the guest' : formatIpv4(f.guestAddress);
        say.err(`forwarding udp:${f.hostAddress}:${udpPorts[i]} to ${guest}:${f.guestPort}`);
      }
    }
    for (const b of waiting) {
      say.err(`${b.description}: waiting for a client (add ,nowait not to wait)`);
      await b.firstClient;
    }
    runner.push(...o.script.map((s) => scriptStep(s, o.expectTimeout * 1e9)));
    await terminal.ready;
    // With the translator, no on-stack replacement while the guest runs (host/engine.ts).
    const restoreOsr = o.jit ? withoutOsr() : null;
    try {
      end = await runner.run();
    } finally {
      restoreOsr?.();
    }
  } catch (e) {
    await closeAll();
    if (e instanceof SetupError) {
      say.err(e.message);
      return EXIT_USAGE;
    }
    throw e;
  }
  await closeAll();
  printStats(ctx, started);
  // A diagnostic that stopped the run said why already; its finding sets the exit code.
  const stoppedByDiag =
    diag?.stoppedRun === true &&
    ((end.kind === 'stop' && end.reason === 'breakpoint') ||
      (end.kind === 'script-failed' && end.why === 'breakpoint'));
  const code = stoppedByDiag ? 0 : endExitCode(end, ctx);
  return diag ? finishDiagnostics(diag, o, say, code) : code;
}

/**
 * The end-of-run reports and JSON files; a finding turns a clean exit into --diag-exit-code
 * (6), while a fault or a failed --expect keeps its own code.
 */
function finishDiagnostics(
  diag: AttachedDiagnostics,
  o: RunOptions,
  say: Messages,
  code: number,
): number {
  for (const line of diag.finish()) say.err(line);
  for (const [check, file] of Object.entries(o.diag.json)) {
    try {
      const fd = openOutputFile(file, 'create', { hint: 'remove it or choose another name' });
      const findings = diag.findings.list.filter((f) => f.check === check);
      fs.writeSync(fd, findingsJson(findings, { check, summary: diag.summary() }) + '\n');
      fs.closeSync(fd);
    } catch (e) {
      say.err(`--${check}=json:${file}: ${(e as Error).message}`);
      if (code === 0) code = EXIT_USAGE;
    }
  }
  if (diag.findings.count() > 0 && code === 0) return o.diag.exitCode;
  return code;
}

class SetupError extends Error {}

/** Ctrl-A T: the guest OS's tasks, read from its memory (NuttX's g_tcbinfo). */
async function showTasks(
  machine: Machine,
  image: LoadedImage,
  say: Messages,
  sections: () => Promise<readonly ElfSection[] | undefined>,
): Promise<void> {
  const [{ TaskList, formatTasks }, { busMemory }] = await Promise.all([
    import('../diagnostics/tasks.js'),
    import('../diagnostics/guestMemory.js'),
  ]);
  const list = TaskList.detect(image.symbols, busMemory(machine.bus), await sections());
  if (!list || list.tasks().length === 0) {
    say.err('no task list in this image (no g_tcbinfo/g_pidhash, or the OS has not started)');
    return;
  }
  const lines = formatTasks(list, machine.cpu, (pc) => describeAddress(image.symbols, pc));
  say.raw(lines.join('\r\n') + '\r\n');
}

async function startGdb(
  o: RunOptions,
  runner: Runner,
  ctx: RunContext,
  sections: readonly ElfSection[] | undefined,
): Promise<GdbTcpListener> {
  const { machine, say } = ctx;
  const listener = new GdbTcpListener(machine, {
    symbols: ctx.symbols,
    // The guest OS's tasks as GDB threads (NuttX's g_tcbinfo), when the image publishes them.
    threads: ctx.symbols
      ? taskThreadsFor(ctx.symbols, machine.bus, machine.cpu, sections)
      : undefined,
    exitCode: () => ctx.semihosting?.exitStatus?.code ?? 0,
    onResume: () => runner.wake(),
    onActivity: () => runner.wake(),
    onConnect: () => {
      runner.holdForDebugger(false);
      say.err(
        `debugger attached; target halted at 0x${machine.cpu.pc.toString(16).padStart(8, '0')}`,
      );
    },
    onDetach: () => {
      say.err('debugger detached; target running');
      runner.wake();
    },
    onDisconnect: () => runner.wake(),
    onKill: () => runner.quit('killed by the debugger'),
  });
  runner.attachDebugger(listener);
  if (o.waitGdb) runner.holdForDebugger(true);
  const address = o.gdb!;
  try {
    const bound = await listener.listen(address);
    say.err(
      `GDB server listening on ${bound.host}:${bound.port}` +
        (o.waitGdb ? ' (halted at reset until a debugger attaches)' : ''),
    );
  } catch (e) {
    throw new SetupError(
      `cannot listen for GDB on ${address.host}:${address.port}: ${(e as Error).message}`,
    );
  }
  return listener;
}

function endExitCode(end: RunEnd, ctx: RunContext): number {
  const { say } = ctx;
  switch (end.kind) {
    case 'stop':
      return stopExitCode(end.reason, ctx);
    case 'quit':
      if (end.why !== 'Ctrl-A X') say.err(end.why);
      return 0;
    case 'script-done':
      return 0;
    case 'script-failed': {
      const what = describeAwaited(end.waitingFor);
      const vs = (end.virtualMs / 1000).toFixed(3);
      let why: string;
      switch (end.why) {
        case 'expect-timeout':
          why = `it did not appear within ${vs} virtual seconds (--expect-timeout)`;
          break;
        case 'timeout':
          why = `it did not appear before the wall-clock --timeout (${ctx.o.timeout} s; ${vs} virtual seconds waited)`;
          break;
        case 'limit':
          why = `the instruction limit (${ctx.o.maxInstructions}) came first`;
          break;
        case 'exit': {
          const status = ctx.semihosting?.exitStatus;
          why = `the program exited first (status ${status ? status.code : 0})`;
          break;
        }
        default:
          why = `the machine stopped first (${end.why})`;
      }
      if (end.why === 'expect-timeout' || end.why === 'timeout') {
        // Where it waited: a driver's busy-wait names itself (spi_send+0x1e), an idle guest WFI.
        const cpu = ctx.machine.cpu;
        const where = describeAddress(ctx.symbols, cpu.pc);
        why += cpu.sleeping
          ? `; the core was asleep (WFI/WFE) at ${where}`
          : `; the CPU was at ${where}`;
      }
      say.err(`expected ${what} on the console, but ${why}`);
      process.stderr.write(
        'last console lines:\n' + end.lastLines.map((l) => `  | ${l}`).join('\n') + '\n',
      );
      if (end.why !== 'expect-timeout' && end.why !== 'timeout' && end.why !== 'exit') {
        stopExitCode(end.why, ctx); // the fault report, when there is one
      }
      return EXIT_EXPECT;
    }
  }
}

function emptyImage(): LoadedImage {
  return { format: 'bin', segments: [], entry: null, symbols: new SymbolTable() };
}

function printStats(ctx: RunContext, started: bigint): void {
  if (!ctx.o.stats) return;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { cpu, clock } = ctx.machine;
  const mips = cpu.instructions / seconds / 1e6;
  ctx.say.err(
    `stats: instructions=${cpu.instructions} cycles=${clock.cycles} seconds=${seconds.toFixed(3)} ` +
      `mips=${mips.toFixed(1)} virtual=${(clock.nanos / 1e9).toFixed(6)}s`,
  );
  const jit = cpu.jit;
  if (jit === null) return;
  const j = jit.stats;
  if (j.disabled !== null) ctx.say.err(`stats: jit off: ${j.disabled}`);
  const pct = (a: number, b: number): string => (b === 0 ? '0.0' : ((100 * a) / b).toFixed(1));
  ctx.say.err(
    `stats: jit blocks=${j.translated} cached=${j.cachedBlocks} ` +
      `cache=${(j.cacheChars / 1024).toFixed(0)}KiB entries=${j.entries} hit=${pct(j.hits, j.entries)}% ` +
      `translated-insns=${pct(j.translatedInstructions, cpu.instructions)}% ` +
      `inlined=${pct(j.inlined, j.blockInstructions)}% shared=${pct(j.shared, j.blockInstructions)}% ` +
      `invalidated=${j.invalidated} flushes=${j.flushes} translate=${j.translateMs.toFixed(1)}ms`,
  );
}
