/**
 * A GDB remote stub for one Machine, transport-free: `receive()` takes the bytes GDB sent, the
 * `send` callback gets the bytes to answer. It is the Runner's debug endpoint (holding,
 * onTargetStop): the runner runs slices while GDB has the target running and hands it every stop. Breakpoints live in
 * the core's decode cache and watchpoints in the bus: neither writes target memory.
 */
import { BusError, type WatchKind, type Watchpoint } from '../bus/bus.js';
import type { BkptHandler, StopReason } from '../core/cpu.js';
import { faultReport } from '../diagnostics/faultReport.js';
import type { SymbolTable } from '../loader/elf.js';
import type { Machine } from '../machine/machine.js';
import {
  MAX_PACKET,
  PacketReader,
  ascii,
  escapeBinary,
  frame,
  fromHex,
  hexLe32,
  parseHex32,
  toAscii,
  toHex,
  unescapeBinary,
  type ReaderEvent,
} from './packets.js';
import { REGISTERS, memoryMapXml, targetXml, type GdbRegister } from './target.js';
import { GdbThreads, taskRegisterHex, type ThreadProvider } from './threads.js';
import type { Cpu } from '../core/cpu.js';
import type { DebugEndpoint } from '../machine/runner.js';

export interface GdbServerOptions {
  /** Bytes for GDB. */
  send: (data: Uint8Array) => void;
  /** The target started running (the runner should run slices again). */
  onResume?: () => void;
  /** GDB detached (D): the target keeps running without a debugger. */
  onDetach?: () => void;
  /** GDB killed the target (k / vKill). */
  onKill?: () => void;
  /** The program exited (semihosting) while GDB was attached; `code` was reported with W. */
  onExit?: (code: number) => void;
  /** The program's exit status once the machine stopped with reason 'exit'. */
  exitCode?: () => number;
  /** Symbols for `monitor info`. */
  symbols?: SymbolTable | null;
  /** The guest OS's tasks, shown to GDB as threads (createTaskThreadProvider); else one thread. */
  threads?: ThreadProvider;
}

const WATCH_KINDS: Record<string, WatchKind> = { '2': 'write', '3': 'read', '4': 'access' };
const WATCH_REPLY: Record<WatchKind, string> = { write: 'watch', read: 'rwatch', access: 'awatch' };

export class GdbServer implements DebugEndpoint {
  /** True while GDB has the target running (the runner runs slices). */
  running = false;
  private readonly reader = new PacketReader();
  private noAck = false;
  private lastSent: Uint8Array | null = null;
  private lastStop = 'S05';
  private readonly swBreaks = new Set<number>();
  private readonly hwBreaks = new Set<number>();
  private watchpoints: Watchpoint[] = [];
  private previousBkpt: BkptHandler | null = null;
  private attached = false;
  private closed = false;
  private readonly threads: GdbThreads;

  constructor(
    readonly machine: Machine,
    private readonly options: GdbServerOptions,
  ) {
    this.threads = new GdbThreads(options.threads);
  }

  /** True from attach() until detach, kill or close: the debugger owns the run loop. */
  get active(): boolean {
    return this.attached && !this.closed;
  }

  /** A debugger connected: the target halts (if it ran) and BKPT now stops instead of faulting. */
  attach(): void {
    if (this.attached) return;
    this.attached = true;
    const cpu = this.machine.cpu;
    const previous = cpu.bkptHandler;
    this.previousBkpt = previous;
    cpu.bkptHandler = (c, imm) => {
      if (previous !== null && previous(c, imm)) return true;
      // Halting debug: stop at the BKPT (PC unchanged), SIGTRAP for GDB.
      c.nextPc = c.pc;
      c.stopReason = 'breakpoint';
      c.requestAttention();
      return true;
    };
    this.running = false;
    this.lastStop = 'S05';
  }

  /** Connection gone (or detached): breakpoints and watchpoints removed, BKPT handling restored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearDebugState();
    if (this.attached) this.machine.cpu.bkptHandler = this.previousBkpt;
    this.attached = false;
    this.running = false;
  }

  private clearDebugState(): void {
    const cpu = this.machine.cpu;
    for (const a of [...this.swBreaks, ...this.hwBreaks]) cpu.removeBreakpoint(a);
    this.swBreaks.clear();
    this.hwBreaks.clear();
    this.watchpoints = [];
    this.machine.bus.setWatchpoints([]);
  }

  receive(data: Uint8Array): void {
    this.reader.feed(data, (e) => this.onEvent(e));
  }

  private onEvent(e: ReaderEvent): void {
    switch (e.type) {
      case 'packet':
        if (!this.noAck) this.options.send(ascii('+'));
        this.handle(e.payload);
        break;
      case 'bad-checksum':
        if (!this.noAck) this.options.send(ascii('-'));
        break;
      case 'oversized':
        if (!this.noAck) this.options.send(ascii('+'));
        this.reply('E01');
        break;
      case 'nak':
        if (this.lastSent !== null) this.options.send(this.lastSent);
        break;
      case 'interrupt':
        this.interrupt();
        break;
      case 'ack':
        break;
    }
  }

  /** Ctrl-C: stops a running target with SIGINT. */
  interrupt(): void {
    if (!this.running) return;
    this.running = false;
    this.stopped('S02');
  }

  private reply(payload: string | Uint8Array): void {
    const framed = frame(typeof payload === 'string' ? ascii(payload) : payload);
    this.lastSent = framed;
    this.options.send(framed);
  }

  private stopped(reply: string): void {
    this.threads.onStop();
    this.lastStop = reply;
    this.reply(reply);
  }

  /** `thread:ID;` of a T stop reply: the running task (1 without tasks). */
  private get thread(): string {
    return `thread:${this.threads.runningId().toString(16)};`;
  }

  // ---- running ----

  /** The debugger holds the target halted (the runner runs no slices): DebugEndpoint. */
  get holding(): boolean {
    return this.active && !this.running;
  }

  /**
   * The runner's machine stopped while running: report it to GDB and hold the target. False
   * (the run ends as without a debugger) when no debugger is attached, or for the program's
   * exit, which GDB is told about (W) before the session ends.
   */
  onTargetStop(reason: StopReason): boolean {
    if (!this.active) return false;
    if (reason === 'sleep') {
      // Asleep with nothing scheduled: like the chip, wait (for Ctrl-C) without spinning.
      return true;
    }
    this.running = false;
    this.reportStop(reason, false);
    return reason !== 'exit';
  }

  private reportStop(reason: StopReason, stepped: boolean): void {
    const m = this.machine;
    switch (reason) {
      case 'exit': {
        const code = this.options.exitCode?.() ?? 0;
        this.stopped(`W${(code & 0xff).toString(16).padStart(2, '0')}`);
        this.options.onExit?.(code);
        return;
      }
      case 'lockup':
        return this.stopped('S0B');
      case 'unhandled':
        return this.stopped(`T0B${this.thread}`);
      case 'halt':
        return this.stopped('S02');
      case 'watchpoint': {
        const hit = m.watchHit;
        m.watchHit = null;
        if (hit === null) return this.stopped(`T05${this.thread}`);
        return this.stopped(
          `T05${WATCH_REPLY[hit.kind]}:${hit.address.toString(16)};${this.thread}`,
        );
      }
      case 'breakpoint': {
        const pc = m.cpu.pc;
        if (!stepped && this.swBreaks.has(pc)) return this.stopped(`T05swbreak:;${this.thread}`);
        if (!stepped && this.hwBreaks.has(pc)) return this.stopped(`T05hwbreak:;${this.thread}`);
        return this.stopped(`T05${this.thread}`);
      }
      default:
        return this.stopped(`T05${this.thread}`);
    }
  }

  /** Continues or single-steps from the current PC (a breakpoint there is stepped over). */
  private resume(step: boolean, addr: number | null): void {
    const m = this.machine;
    const cpu = m.cpu;
    if (addr !== null) cpu.setPc(addr);
    m.watchHit = null;
    const pc = cpu.pc;
    if (step || cpu.breakpoints.has(pc)) {
      // The instruction at a breakpoint executes once before the breakpoint is armed again.
      cpu.suspendBreakpoint(pc, true);
      let reason: StopReason;
      try {
        reason = m.step();
      } finally {
        cpu.suspendBreakpoint(pc, false);
      }
      if (reason === 'limit' || reason === 'sleep') {
        if (step) return this.stopped(`T05${this.thread}`);
      } else return this.reportStop(reason, true);
    }
    this.running = true;
    this.options.onResume?.();
  }

  // ---- packets ----

  private handle(payload: Uint8Array): void {
    const text = toAscii(payload);
    try {
      const answer = this.dispatch(text, payload);
      if (answer !== null) this.reply(answer);
    } catch (e) {
      if (e instanceof BadPacket) this.reply('E01');
      else throw e;
    }
  }

  /** The reply to one packet; null when the reply comes later (resume) or never (k). */
  private dispatch(p: string, raw: Uint8Array): string | Uint8Array | null {
    const m = this.machine;
    const cpu = m.cpu;
    switch (p[0]) {
      case '?':
        return this.lastStop;
      case 'g': {
        const saved = this.threads.savedRegisters();
        if (saved === null) return REGISTERS.map((r) => registerHex(r, cpu)).join('');
        return REGISTERS.map((_, i) => taskRegisterHex(saved, i, cpu)).join('');
      }
      case 'G': {
        // A task that is not running has its registers in its saved context: read-only here.
        if (this.threads.savedRegisters() !== null) return 'E01';
        const bytes = fromHex(p.slice(1));
        if (bytes === null || bytes.length < REGISTERS_BYTES) throw new BadPacket();
        let offset = 0;
        for (const r of REGISTERS) {
          writeRegister(r, cpu, bytes, offset);
          offset += r.bitsize / 8;
        }
        return 'OK';
      }
      case 'p': {
        const n = parseHex32(p.slice(1));
        if (n === null) throw new BadPacket();
        const r = REGISTERS[n];
        if (!r) return 'E00';
        const saved = this.threads.savedRegisters();
        return saved === null ? registerHex(r, cpu) : taskRegisterHex(saved, n, cpu);
      }
      case 'P': {
        const [num, val] = p.slice(1).split('=');
        const n = parseHex32(num);
        const bytes = fromHex(val ?? '');
        if (n === null || bytes === null) throw new BadPacket();
        const r = REGISTERS[n];
        if (!r) return 'E00';
        if (bytes.length !== r.bitsize / 8) throw new BadPacket();
        if (this.threads.savedRegisters() !== null) return 'E01';
        writeRegister(r, cpu, bytes, 0);
        return 'OK';
      }
      case 'm': {
        const { addr, len } = addrLen(p.slice(1));
        if (len > MAX_PACKET / 2) throw new BadPacket();
        const data = this.readMemory(addr, len);
        return data.length === 0 && len > 0 ? 'E01' : toHex(data);
      }
      case 'M': {
        const colon = p.indexOf(':');
        if (colon < 0) throw new BadPacket();
        const { addr, len } = addrLen(p.slice(1, colon));
        const data = fromHex(p.slice(colon + 1));
        if (data === null || data.length !== len) throw new BadPacket();
        return this.writeMemory(addr, data) ? 'OK' : 'E01';
      }
      case 'X': {
        const colon = raw.indexOf(0x3a);
        if (colon < 0) throw new BadPacket();
        const { addr, len } = addrLen(p.slice(1, colon));
        const data = unescapeBinary(raw.subarray(colon + 1));
        if (data === null || data.length !== len) throw new BadPacket();
        return this.writeMemory(addr, data) ? 'OK' : 'E01';
      }
      case 'c':
      case 's': {
        const addr = p.length > 1 ? parseHex32(p.slice(1)) : null;
        if (p.length > 1 && addr === null) throw new BadPacket();
        this.resume(p[0] === 's', addr);
        return null;
      }
      case 'C':
      case 'S': {
        // The signal cannot be delivered to a bare-metal program: continue without it.
        const semi = p.indexOf(';');
        const addr = semi >= 0 ? parseHex32(p.slice(semi + 1)) : null;
        if (semi >= 0 && addr === null) throw new BadPacket();
        this.resume(p[0] === 'S', addr);
        return null;
      }
      case 'H':
        return this.threads.setThread(p);
      case 'T':
        return this.threads.alive(p.slice(1));
      case 'Z':
      case 'z':
        return this.breakOrWatch(p[0] === 'Z', p.slice(1));
      case 'D':
        this.reply('OK');
        this.detach();
        return null;
      case 'k':
        this.kill();
        return null;
      case 'q':
      case 'Q':
        return this.query(p);
      case 'v':
        return this.vPacket(p, raw);
      default:
        return '';
    }
  }

  private query(p: string): string | Uint8Array | null {
    if (p.startsWith('qSupported')) {
      return (
        `PacketSize=${MAX_PACKET.toString(16)};qXfer:features:read+;qXfer:memory-map:read+;` +
        'swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+' +
        (this.threads.enabled ? ';qXfer:threads:read+' : '')
      );
    }
    if (p === 'QStartNoAckMode') {
      this.reply('OK');
      this.noAck = true;
      return null;
    }
    if (p.startsWith('qXfer:features:read:'))
      return this.xfer(p.slice(20), 'target.xml', targetXml());
    if (p.startsWith('qXfer:memory-map:read:')) return this.xfer(p.slice(22), '', memoryMapXml());
    if (p.startsWith('qXfer:threads:read:') && this.threads.enabled)
      return this.xfer(p.slice(19), '', this.threads.threadsXml());
    if (p === 'qAttached' || p.startsWith('qAttached:')) return '1';
    const thread = this.threads.query(p);
    if (thread !== null) return thread;
    if (p.startsWith('qRcmd,')) {
      const cmd = fromHex(p.slice(6));
      if (cmd === null) throw new BadPacket();
      return this.monitor(toAscii(cmd).trim());
    }
    return '';
  }

  /** qXfer read of `annex:offset,length` from `doc`. */
  private xfer(args: string, annex: string, doc: string): string | Uint8Array {
    const colon = args.lastIndexOf(':');
    if (colon < 0) throw new BadPacket();
    if (args.slice(0, colon) !== annex) return 'E00';
    const { addr: offset, len } = addrLen(args.slice(colon + 1));
    const bytes = ascii(doc);
    const chunk = bytes.subarray(offset, offset + Math.min(len, MAX_PACKET / 2));
    const more = offset + chunk.length < bytes.length;
    const body = escapeBinary(chunk);
    const out = new Uint8Array(body.length + 1);
    out[0] = (more ? 'm' : 'l').charCodeAt(0);
    out.set(body, 1);
    return out;
  }

  private vPacket(p: string, raw: Uint8Array): string | null {
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p.startsWith('vCont;')) {
      // One CPU: the action for the running task (the first one without tasks) applies to it.
      const action = this.threads.vContAction(p.slice(6).split(';')) ?? '';
      if (!/^([cs]|[CS][0-9a-fA-F]{2})$/.test(action)) throw new BadPacket();
      this.resume(action[0] === 's' || action[0] === 'S', null);
      return null;
    }
    if (p.startsWith('vKill')) {
      this.reply('OK');
      this.kill();
      return null;
    }
    if (p.startsWith('vFlashErase:')) {
      const { addr, len } = addrLen(p.slice(12));
      for (let i = 0; i < len; i++) {
        if (!this.machine.bus.poke8((addr + i) >>> 0, 0xff)) return 'E01';
      }
      return 'OK';
    }
    if (p.startsWith('vFlashWrite:')) {
      const colon = raw.indexOf(0x3a, 12);
      const addr = parseHex32(p.slice(12, colon));
      const data = colon > 0 ? unescapeBinary(raw.subarray(colon + 1)) : null;
      if (addr === null || data === null) throw new BadPacket();
      return this.writeMemory(addr, data) ? 'OK' : 'E01';
    }
    if (p === 'vFlashDone') return 'OK';
    return '';
  }

  private breakOrWatch(insert: boolean, args: string): string {
    const [type, a, k] = args.split(',');
    const addr = parseHex32(a);
    const kind = parseHex32(k?.split(';')[0]);
    if (addr === null || kind === null) throw new BadPacket();
    const cpu = this.machine.cpu;
    if (type === '0' || type === '1') {
      const set = type === '0' ? this.swBreaks : this.hwBreaks;
      const other = type === '0' ? this.hwBreaks : this.swBreaks;
      const a2 = (addr & ~1) >>> 0;
      if (insert) {
        set.add(a2);
        cpu.addBreakpoint(a2);
      } else {
        set.delete(a2);
        if (!other.has(a2)) cpu.removeBreakpoint(a2);
      }
      return 'OK';
    }
    const watchKind = WATCH_KINDS[type ?? ''];
    if (watchKind === undefined) return '';
    const length = Math.max(kind, 1);
    if (insert) this.watchpoints.push({ address: addr, length, kind: watchKind });
    else {
      const i = this.watchpoints.findIndex(
        (w) => w.address === addr && w.length === length && w.kind === watchKind,
      );
      if (i >= 0) this.watchpoints.splice(i, 1);
    }
    this.machine.bus.setWatchpoints(this.watchpoints);
    return 'OK';
  }

  private monitor(cmd: string): string {
    const m = this.machine;
    let out: string;
    switch (cmd) {
      case 'reset':
        m.reset();
        this.lastStop = `T05${this.thread}`;
        out = `reset: halted at the reset vector, pc 0x${m.cpu.pc.toString(16).padStart(8, '0')}\n`;
        break;
      case 'halt':
        if (this.running) this.interrupt();
        out = 'target halted\n';
        break;
      case 'info':
        out = faultReport(m, this.options.symbols ?? null) + '\n';
        break;
      case 'tasks':
        out = this.threads.describe();
        break;
      case 'help':
      case '':
        out =
          'monitor commands: reset (reset and halt), halt, info (registers, fault status)' +
          (this.threads.enabled ? ', tasks (the OS task list)\n' : '\n');
        break;
      default:
        out = `unknown monitor command '${cmd}' (try 'monitor help')\n`;
    }
    this.reply('O' + toHex(ascii(out)));
    return 'OK';
  }

  private detach(): void {
    this.close();
    this.options.onDetach?.();
  }

  private kill(): void {
    this.close();
    this.options.onKill?.();
  }

  // ---- memory for the debugger: never faults the target ----

  /** Reads memory (devices too, word-wise where aligned); stops at the first unreadable byte. */
  readMemory(addr: number, len: number): Uint8Array {
    const bus = this.machine.bus;
    const out = new Uint8Array(len);
    let i = 0;
    while (i < len) {
      const a = (addr + i) >>> 0;
      const b = bus.peek8(a);
      if (b !== undefined) {
        out[i++] = b;
        continue;
      }
      try {
        const size = (a & 3) === 0 && len - i >= 4 ? 4 : (a & 1) === 0 && len - i >= 2 ? 2 : 1;
        const v = size === 4 ? bus.read32(a) : size === 2 ? bus.read16(a) : bus.read8(a);
        for (let k = 0; k < size; k++) out[i++] = (v >>> (8 * k)) & 0xff;
      } catch (e) {
        if (e instanceof BusError) break;
        throw e;
      }
    }
    return out.subarray(0, i);
  }

  /** Writes memory (flash included, as a debugger can) or device registers; false on failure. */
  writeMemory(addr: number, data: Uint8Array): boolean {
    const bus = this.machine.bus;
    for (let i = 0; i < data.length; i++) {
      const a = (addr + i) >>> 0;
      if (bus.poke8(a, data[i]!)) continue;
      try {
        if ((a & 3) === 0 && data.length - i >= 4) {
          bus.write32(a, le32(data, i));
          i += 3;
        } else bus.write8(a, data[i]!);
      } catch (e) {
        if (e instanceof BusError) return false;
        throw e;
      }
    }
    return true;
  }
}

class BadPacket {}

const REGISTERS_BYTES = REGISTERS.reduce((n, r) => n + r.bitsize / 8, 0);

/** A register's value in the protocol's little-endian hex (64-bit: low word first). */
function registerHex(r: GdbRegister, cpu: Cpu): string {
  const low = hexLe32(r.read(cpu));
  return r.bitsize === 64 ? low + hexLe32(r.readHigh!(cpu)) : low;
}

function writeRegister(r: GdbRegister, cpu: Cpu, bytes: Uint8Array, offset: number): void {
  r.write(cpu, le32(bytes, offset));
  if (r.bitsize === 64) r.writeHigh!(cpu, le32(bytes, offset + 4));
}

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** `addr,length` in hex. */
function addrLen(s: string): { addr: number; len: number } {
  const [a, l] = s.split(',');
  const addr = parseHex32(a);
  const len = parseHex32(l);
  if (addr === null || len === null) throw new BadPacket();
  return { addr, len };
}
