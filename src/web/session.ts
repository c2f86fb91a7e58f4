/**
 * The board as the page's worker runs it: one machine, the shared Runner, the user-mode network
 * with in-memory forwards for the HTTP panel, semihosting's console on the terminal, and typed
 * events out (console bytes, LEDs, stats, flash contents to keep). Platform-neutral: the worker
 * (worker.ts) only moves messages, so Node tests drive a BoardSession the same way.
 *
 * The page is the target's debugger as far as the Runner knows: pause holds the target, a stop
 * (exit, lockup, a breakpoint) is reported and held, so the run never ends behind the page's
 * back; reset and load start over.
 */
import { Machine } from '../machine/machine.js';
import { boot, checkBootable } from '../machine/firmware.js';
import { Runner, type DebugEndpoint, type RunnerHost, type Speed } from '../machine/runner.js';
import { ConsoleOnlyHost, type Semihosting } from '../machine/semihosting.js';
import { attachUserNetwork, type AttachedNetwork } from '../machine/network.js';
import { ImageError, type LoadedImage } from '../loader/image.js';
import { parseImageFiles } from '../machine/imageSet.js';
import type { FlashInterface } from '../peripherals/flash/flash.js';
import type { StopReason } from '../core/cpu.js';
import { MemorySockets } from '../net/memorySockets.js';
import { httpRequest } from '../net/httpClient.js';
import { pcapHeader, pcapRecord } from '../net/pcap.js';
import { describeAddress, faultReport } from '../diagnostics/faultReport.js';
import type { LedStates, PageCommand, RunStats, WorkerEvent } from './protocol.js';

/** Console and serial bytes, LEDs and flash reach the page at most this often (ms). */
const FLUSH_MS = 16;
const STATS_MS = 250;
/** Flash contents are sent this long after the last change (ms): a burst of writes is one save. */
const FLASH_SAVE_MS = 300;
/** Frames kept for the pcap download (the oldest go first). */
const PCAP_MAX_BYTES = 8 * 1024 * 1024;
/** Typed input kept for a semihosting console read. */
const SEMIHOSTING_INPUT_MAX = 4096;

export type Emit = (event: WorkerEvent, transfer?: Transferable[]) => void;

class PageControl implements DebugEndpoint {
  holding = false;
  stopped: StopReason | null = null;
  constructor(private readonly onStop: (reason: StopReason) => void) {}
  onTargetStop(reason: StopReason): boolean {
    this.holding = true;
    this.stopped = reason;
    this.onStop(reason);
    return true;
  }
}

interface Running {
  machine: Machine;
  runner: Runner;
  control: PageControl;
  image: LoadedImage;
  semihosting: Semihosting | null;
  network: AttachedNetwork | null;
  sockets: MemorySockets;
  closeInput: () => void;
  /** The page's token for the load that booted it (0: none). */
  token: number;
}

export class BoardSession {
  private current: Running | null = null;
  private consoleOut: number[] = [];
  private serialOut = new Map<string, number[]>();
  private semihostingIn: number[] = [];
  private ledsDirty = true;
  /** The brightnesses last sent: a PWM duty cycle changes without a pin edge to report it. */
  private lastBrightness = '';
  private flushTimer: (() => void) | null = null;
  private flashTimer: (() => void) | null = null;
  private statsTimer: (() => void) | null = null;
  private lastStats = { wall: 0, instructions: 0, ns: 0 };
  private pcap: Uint8Array[] = [];
  private pcapBytes = 0;

  constructor(
    private readonly host: RunnerHost,
    private readonly emit: Emit,
  ) {}

  handle(cmd: PageCommand): void {
    const c = this.current;
    switch (cmd.type) {
      case 'load':
        this.load(cmd);
        return;
      case 'unload':
        this.stop();
        return;
      case 'http':
        void this.http(cmd.id, cmd.port, cmd.path, cmd.timeoutMs);
        return;
      case 'pcap': {
        const bytes = concat([pcapHeader(), ...this.pcap]);
        this.emit({ type: 'pcap', id: cmd.id, bytes }, [bytes.buffer]);
        return;
      }
    }
    if (c === null) return;
    switch (cmd.type) {
      case 'reset':
        // The black button: NRST low, as on the board (RAM keeps its contents, flash too).
        c.machine.reset('pin');
        if (c.semihosting) c.semihosting.exitStatus = null;
        c.control.stopped = null;
        c.runner.wake();
        break;
      case 'run':
        if (c.control.stopped === null) c.control.holding = false;
        c.runner.wake();
        break;
      case 'pause':
        c.control.holding = true;
        break;
      case 'step':
        if (c.control.stopped !== null) break;
        c.control.holding = true;
        for (let i = 0; i < cmd.count; i++) {
          const r = c.machine.run(1);
          if (r !== 'limit') {
            c.control.onTargetStop(r);
            break;
          }
        }
        break;
      case 'speed':
        c.runner.speed = cmd.speed;
        break;
      case 'input':
        c.runner.input(cmd.port, cmd.bytes);
        if (cmd.port === null && c.semihosting !== null) {
          for (const b of cmd.bytes) this.semihostingIn.push(b);
          this.semihostingIn.splice(0, this.semihostingIn.length - SEMIHOSTING_INPUT_MAX);
        }
        break;
      case 'button':
        c.machine.board.setButton(cmd.pressed);
        c.runner.wake();
        break;
      case 'press':
        c.machine.board.click(cmd.ms);
        c.runner.wake();
        break;
    }
    this.emitStats();
  }

  /** Boots a new machine; only once it booted does it replace the running one. */
  private load(cmd: Extract<PageCommand, { type: 'load' }>): void {
    let image: LoadedImage;
    let name = cmd.name;
    let written = 0;
    const machine = new Machine();
    const flash = machine.peripherals.get('FLASH') as unknown as FlashInterface;
    let semihosting: Semihosting | null;
    try {
      if (cmd.flash !== null) flash.loadContents(cmd.flash);
      const before = flash.contents.slice();
      const files = [{ name: cmd.name, bytes: cmd.bytes, address: null }, ...(cmd.more ?? [])];
      const set = parseImageFiles(
        files.map((f) => ({
          ...f,
          addressText: f.address === null ? null : `0x${f.address.toString(16).padStart(8, '0')}`,
          positional: false,
        })),
        () => "give it one in the page's '.bin at' field",
      )!;
      const main = set.parts[0]!;
      const mainName = main.name ?? cmd.name;
      name = files.length === 1 ? mainName : `${mainName} + ${files.length - 1} more`;
      const booted = boot(machine, set.parts, {
        semihosting: cmd.semihosting
          ? new ConsoleOnlyHost(
              (_fd, data) => this.consoleBytes(data),
              (max) => this.semihostingRead(max),
            )
          : null,
      });
      semihosting = booted.semihosting;
      image = booted.image;
      const why = checkBootable(machine, { name: mainName, image: main.image });
      if (why !== null) throw new ImageError(why);
      const after = flash.contents;
      for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) written++;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // The running firmware, if any, goes on: a bad file replaces nothing. The loader's
      // messages name the file they are about; any other is about the set, named by the first.
      const names = [cmd.name, ...(cmd.more ?? []).map((f) => f.name)];
      const named = names.some((n) => [':', '@', ' '].some((c) => message.startsWith(n + c)));
      this.emit({ type: 'error', message: named ? message : `${cmd.name}: ${message}` });
      return;
    }
    this.stop();
    this.emit({
      type: 'booted',
      name,
      kind: image.format,
      entry: machine.cpu.pc,
      symbols: image.symbols.size,
      flashBytes: written,
      restoredFlash: cmd.flash !== null,
      token: cmd.token ?? 0,
    });
    const control = new PageControl((reason) => this.stopped(reason));
    const runner = new Runner(machine, {
      console: machine.board.description.console,
      speed: cmd.speed,
      host: this.host,
    });
    runner.attachDebugger(control);
    runner.onConsoleOutput = (byte) => this.consoleByte(byte);
    for (const name of ['USART1', 'USART3', 'UART4', 'UART5', 'USART6']) {
      const port = runner.port(name);
      if (!port) continue;
      const previous = port.onTx;
      port.onTx = (byte) => {
        previous(byte);
        this.serialByte(name, byte);
      };
    }
    machine.board.onLedChange(() => {
      this.ledsDirty = true;
      this.scheduleFlush();
    });
    flash.onProgram(() => this.scheduleFlashSave());
    const sockets = new MemorySockets(() => runner.wake());
    this.pcap = [];
    this.pcapBytes = 0;
    const network = attachUserNetwork(machine, {
      host: sockets,
      forwards: cmd.forwards.map((p) => ({
        proto: 'tcp',
        hostAddress: '127.0.0.1',
        hostPort: p,
        guestAddress: null,
        guestPort: p,
      })),
      tap: (frame, nanos) => this.capture(pcapRecord(frame, nanos)),
    });
    void network.net.startForwards().catch((e: Error) => {
      this.emit({ type: 'error', message: `network: ${e.message}` });
    });
    const closeInput = runner.openInput(); // the page may type or click at any time
    control.holding = cmd.paused === true;
    this.current = {
      machine,
      runner,
      control,
      image,
      semihosting,
      network,
      sockets,
      closeInput,
      token: cmd.token ?? 0,
    };
    this.ledsDirty = true;
    this.scheduleFlush();
    this.lastStats = { wall: this.host.now(), instructions: 0, ns: 0 };
    this.startStats();
    const mine = this.current;
    void runner.run().then((end) => {
      if (this.current !== mine) return;
      // The page holds every stop, so a run ends only by quit (a new load).
      if (end.kind === 'stop') this.stopped(end.reason === 'timeout' ? 'limit' : end.reason);
    });
  }

  private stop(): void {
    const c = this.current;
    if (c === null) return;
    this.flushNow();
    c.runner.quit('reloaded');
    // Its pending flash save goes with it: the page keeps only the running board's flash.
    this.flashTimer?.();
    this.flashTimer = null;
    c.closeInput();
    c.network?.close();
    this.current = null;
    this.semihostingIn = [];
  }

  private stopped(reason: StopReason): void {
    const c = this.current;
    if (c === null) return;
    this.flushNow();
    const m = c.machine;
    const symbols = c.image.symbols;
    let text: string;
    let exitCode: number | null = null;
    switch (reason) {
      case 'exit':
        exitCode = c.semihosting?.exitStatus?.code ?? 0;
        text = `the firmware exited with status ${exitCode}`;
        break;
      case 'lockup':
        text = `lockup: ${m.exc.lockup?.reason ?? 'unknown'}\n${faultReport(m, symbols)}`;
        break;
      case 'breakpoint':
        text = `breakpoint at ${describeAddress(symbols, m.cpu.pc)}`;
        break;
      case 'sleep':
        text = 'the core is asleep (WFI/WFE) with nothing that could wake it';
        break;
      default:
        text = `${reason} at ${describeAddress(symbols, m.cpu.pc)}\n${faultReport(m, symbols)}`;
    }
    this.emitStats(); // first, so the page has the figures at the stop when it hears of it
    this.emit({ type: 'stopped', reason: text, exitCode });
  }

  // ---- output to the page ----

  private consoleByte(byte: number): void {
    this.consoleOut.push(byte);
    this.scheduleFlush();
  }

  private consoleBytes(data: Uint8Array): void {
    for (const b of data) this.consoleOut.push(b);
    this.scheduleFlush();
  }

  private semihostingRead(max: number): Uint8Array {
    return Uint8Array.from(this.semihostingIn.splice(0, max));
  }

  private serialByte(port: string, byte: number): void {
    let out = this.serialOut.get(port);
    if (!out) this.serialOut.set(port, (out = []));
    out.push(byte);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = this.host.setTimer(FLUSH_MS, () => {
      this.flushTimer = null;
      this.flushNow();
    });
  }

  private flushNow(): void {
    if (this.consoleOut.length > 0) {
      const bytes = Uint8Array.from(this.consoleOut);
      this.consoleOut = [];
      this.emit({ type: 'console', bytes }, [bytes.buffer]);
    }
    for (const [port, out] of this.serialOut) {
      if (out.length === 0) continue;
      const bytes = Uint8Array.from(out);
      out.length = 0;
      this.emit({ type: 'serial', port, bytes }, [bytes.buffer]);
    }
    const c = this.current;
    if (this.ledsDirty && c !== null) {
      this.ledsDirty = false;
      const leds: LedStates = {};
      const brightness: Record<string, number> = {};
      for (const led of c.machine.board.leds) {
        leds[led.name] = led.on;
        brightness[led.name] = led.brightness;
      }
      this.lastBrightness = JSON.stringify(brightness);
      this.emit({ type: 'leds', leds, brightness, button: c.machine.board.buttonPressed });
    }
  }

  private scheduleFlashSave(): void {
    this.flashTimer?.();
    const mine = this.current;
    this.flashTimer = this.host.setTimer(FLASH_SAVE_MS, () => {
      this.flashTimer = null;
      if (mine === null || this.current !== mine) return;
      const bytes = this.flashContents();
      if (bytes) this.emit({ type: 'flash', bytes, token: mine.token }, [bytes.buffer]);
    });
  }

  private flashContents(): Uint8Array | null {
    const flash = this.current?.machine.peripherals.get('FLASH') as FlashInterface | undefined;
    return flash ? flash.contents.slice() : null;
  }

  private startStats(): void {
    if (this.statsTimer !== null) return;
    const tick = () => {
      this.statsTimer = this.host.setTimer(STATS_MS, tick);
      this.emitStats();
    };
    this.statsTimer = this.host.setTimer(STATS_MS, tick);
  }

  /** The current figures; MIPS and the speed factor over the time since the last call. */
  stats(): RunStats | null {
    const c = this.current;
    if (c === null) return null;
    const m = c.machine;
    const now = this.host.now();
    const wallS = (now - this.lastStats.wall) / 1000;
    const di = m.cpu.instructions - this.lastStats.instructions;
    const dns = m.clock.nanos - this.lastStats.ns;
    if (wallS > 0.05) {
      this.lastStats = { wall: now, instructions: m.cpu.instructions, ns: m.clock.nanos };
    }
    const control = c.control;
    return {
      state: control.stopped !== null ? 'stopped' : control.holding ? 'paused' : 'running',
      instructions: m.cpu.instructions,
      cycles: m.clock.cycles,
      virtualNs: m.clock.nanos,
      mips: wallS > 0 ? di / wallS / 1e6 : 0,
      speedFactor: wallS > 0 ? dns / 1e9 / wallS : 0,
      pc: m.cpu.pc,
      hclkHz: m.clock.frequency,
    };
  }

  private emitStats(): void {
    const c = this.current;
    if (c !== null && !this.ledsDirty) {
      const now = JSON.stringify(
        Object.fromEntries(c.machine.board.leds.map((l) => [l.name, l.brightness])),
      );
      if (now !== this.lastBrightness) {
        this.ledsDirty = true;
        this.flushNow();
      }
    }
    const stats = this.stats();
    if (stats) this.emit({ type: 'stats', stats });
  }

  // ---- network ----

  private capture(record: Uint8Array): void {
    this.pcap.push(record);
    this.pcapBytes += record.length;
    while (this.pcapBytes > PCAP_MAX_BYTES && this.pcap.length > 1) {
      this.pcapBytes -= this.pcap.shift()!.length;
    }
  }

  private async http(id: number, port: number, path: string, timeoutMs: number): Promise<void> {
    const c = this.current;
    const fail = (error: string) => this.emit({ type: 'http', id, error });
    if (c === null) return fail('no firmware is running');
    if (!c.sockets.listening(port)) return fail(`guest port ${port} is not forwarded to the page`);
    if (c.control.holding) return fail('the board is paused: run it to let it answer');
    const connection = c.sockets.connect(port);
    let cancel = () => {};
    const timeout = new Promise<never>((_, reject) => {
      cancel = this.host.setTimer(timeoutMs, () => {
        connection.destroy();
        reject(new Error(`no answer from guest port ${port} in ${timeoutMs} ms`));
      });
    });
    try {
      const response = await Promise.race([httpRequest(connection, { path }), timeout]);
      this.emit({ type: 'http', id, response }, [response.body.buffer as ArrayBuffer]);
    } catch (e) {
      fail((e as Error).message);
    } finally {
      cancel();
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
