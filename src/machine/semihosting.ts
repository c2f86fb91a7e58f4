/**
 * ARM semihosting (BKPT 0xAB, operation in r0, parameter block in r1): the operations newlib's
 * rdimon uses. Console and files go through a `SemihostingHost` (Node's lives in src/host);
 * time comes from virtual time. SYS_SYSTEM is refused: a guest never runs host commands.
 */
import type { Bus } from '../bus/bus.js';
import type { Cpu } from '../core/cpu.js';
import type { Clock } from '../clock/clock.js';

export const SEMIHOSTING_BKPT = 0xab;

export const SYS = {
  OPEN: 0x01,
  CLOSE: 0x02,
  WRITEC: 0x03,
  WRITE0: 0x04,
  WRITE: 0x05,
  READ: 0x06,
  READC: 0x07,
  ISERROR: 0x08,
  ISTTY: 0x09,
  SEEK: 0x0a,
  FLEN: 0x0c,
  TMPNAM: 0x0d,
  REMOVE: 0x0e,
  RENAME: 0x0f,
  CLOCK: 0x10,
  TIME: 0x11,
  SYSTEM: 0x12,
  ERRNO: 0x13,
  GET_CMDLINE: 0x15,
  HEAPINFO: 0x16,
  EXIT: 0x18,
  EXIT_EXTENDED: 0x20,
  ELAPSED: 0x30,
  TICKFREQ: 0x31,
} as const;

export const ADP_STOPPED_APPLICATION_EXIT = 0x20026;

/** SYS_TICKFREQ: SYS_ELAPSED counts virtual nanoseconds (QEMU's choice too). */
export const TICKS_PER_SECOND = 1_000_000_000;

const EACCES = 13;
const EBADF = 9;
const EINVAL = 22;
const ENOSYS = 88;

/** Host side of the file operations; every method returns -1 and sets `errno` on failure. */
export interface SemihostingHost {
  errno: number;
  /** Console output: fd 1 stdout, 2 stderr. */
  writeConsole(fd: 1 | 2, data: Uint8Array): void;
  /**
   * Console input: up to `max` bytes, empty at end of input, null while none has arrived yet
   * (the read waits: the BKPT executes again once the runner has input).
   */
  readConsole(max: number): Uint8Array | null;
  /** Files, when the user named a directory; otherwise these fail with EACCES. */
  open(path: string, mode: string): number;
  close(handle: number): number;
  read(handle: number, max: number): Uint8Array | null;
  write(handle: number, data: Uint8Array): number;
  seek(handle: number, pos: number): number;
  length(handle: number): number;
  remove(path: string): number;
  rename(from: string, to: string): number;
  /** Seconds since the epoch (SYS_TIME). */
  wallSeconds(): number;
}

export interface ExitStatus {
  code: number;
  reason: string;
}

const MODES = ['r', 'rb', 'r+', 'r+b', 'w', 'wb', 'w+', 'w+b', 'a', 'ab', 'a+', 'a+b'];
// Guest handles: 1-3 are the console (:tt in r/w/a), files from 4 up.
const TT_IN = 1;
const TT_OUT = 2;
const TT_ERR = 3;
const FEATURES = 4;
const FILE_BASE = 16;
/** ":semihosting-features": magic SHFB, then EXIT_EXTENDED and STDOUT_STDERR supported. */
const FEATURE_BYTES = new Uint8Array([0x53, 0x48, 0x46, 0x42, 0x03]);

export interface SemihostingOptions {
  host: SemihostingHost;
  cmdline?: string;
  /** Heap/stack layout for SYS_HEAPINFO. */
  heap: { heapBase: number; heapLimit: number; stackBase: number; stackLimit: number };
}

/** perform()'s answer when a console read must wait for input. */
const WAIT_FOR_INPUT = -0x100000000;

export class Semihosting {
  exitStatus: ExitStatus | null = null;
  private readonly files = new Map<number, number>();
  private featurePos = 0;
  private nextHandle = FILE_BASE;
  private guestErrno = 0;

  constructor(
    private readonly cpu: Cpu,
    private readonly clock: Clock,
    private readonly options: SemihostingOptions,
  ) {}

  private get bus(): Bus {
    return this.cpu.bus;
  }

  /** Handles BKPT 0xAB: performs r0's operation, result in r0. */
  call(): void {
    const cpu = this.cpu;
    const op = cpu.r[0]!;
    const arg = cpu.r[1]!;
    const result = this.perform(op, arg);
    if (result === WAIT_FOR_INPUT) {
      // The console has no input yet: execute the BKPT again once some arrives (the runner
      // waits for it), as a blocking read on the host would, without blocking the host.
      cpu.nextPc = cpu.pc;
      cpu.stopReason = 'input';
      cpu.requestAttention();
      return;
    }
    cpu.r[0] = result >>> 0;
  }

  private word(addr: number): number {
    return this.bus.read32(addr);
  }

  private readBytes(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.bus.read8(addr + i);
    return out;
  }

  private writeBytes(addr: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.bus.write8(addr + i, data[i]!);
  }

  private readString(addr: number, len: number): string {
    return new TextDecoder().decode(this.readBytes(addr, len));
  }

  private fail(errno: number): number {
    this.guestErrno = errno;
    return -1;
  }

  private perform(op: number, arg: number): number {
    const host = this.options.host;
    switch (op) {
      case SYS.OPEN: {
        const name = this.readString(this.word(arg), this.word(arg + 8));
        const mode = MODES[this.word(arg + 4)];
        if (mode === undefined) return this.fail(EINVAL);
        if (name === ':tt') return mode[0] === 'r' ? TT_IN : mode[0] === 'w' ? TT_OUT : TT_ERR;
        if (name === ':semihosting-features') {
          if (mode[0] !== 'r') return this.fail(EACCES);
          this.featurePos = 0;
          return FEATURES;
        }
        const h = host.open(name, mode);
        if (h < 0) return this.fail(host.errno);
        const guest = this.nextHandle++;
        this.files.set(guest, h);
        return guest;
      }
      case SYS.CLOSE: {
        const fd = this.word(arg);
        if (fd <= FEATURES) return 0;
        const h = this.files.get(fd);
        if (h === undefined) return this.fail(EBADF);
        this.files.delete(fd);
        return host.close(h) < 0 ? this.fail(host.errno) : 0;
      }
      case SYS.WRITEC:
        host.writeConsole(1, new Uint8Array([this.bus.read8(arg)]));
        return 0;
      case SYS.WRITE0: {
        const bytes: number[] = [];
        for (let a = arg; bytes.length < 1 << 20; a++) {
          const b = this.bus.read8(a);
          if (b === 0) break;
          bytes.push(b);
        }
        host.writeConsole(1, new Uint8Array(bytes));
        return 0;
      }
      case SYS.WRITE: {
        const fd = this.word(arg);
        const data = this.readBytes(this.word(arg + 4), this.word(arg + 8));
        if (fd === TT_OUT || fd === TT_ERR) {
          host.writeConsole(fd === TT_OUT ? 1 : 2, data);
          return 0;
        }
        const h = this.files.get(fd);
        if (h === undefined) return this.fail(EBADF) && data.length;
        const n = host.write(h, data);
        if (n < 0) {
          this.guestErrno = host.errno;
          return data.length;
        }
        return data.length - n;
      }
      case SYS.READ: {
        const fd = this.word(arg);
        const buf = this.word(arg + 4);
        const len = this.word(arg + 8);
        let data: Uint8Array | null;
        if (fd === TT_IN) {
          data = host.readConsole(len);
          if (data === null) return WAIT_FOR_INPUT;
        } else if (fd === FEATURES) {
          data = FEATURE_BYTES.subarray(this.featurePos, this.featurePos + len);
          this.featurePos += data.length;
        } else {
          const h = this.files.get(fd);
          if (h === undefined) {
            this.guestErrno = EBADF;
            return len;
          }
          data = host.read(h, len);
        }
        if (data === null) {
          this.guestErrno = host.errno;
          return len;
        }
        this.writeBytes(buf, data);
        return len - data.length;
      }
      case SYS.READC: {
        const d = host.readConsole(1);
        if (d === null) return WAIT_FOR_INPUT;
        return d.length ? d[0]! : -1;
      }
      case SYS.ISERROR:
        return (this.word(arg) | 0) < 0 ? 1 : 0;
      case SYS.ISTTY: {
        const fd = this.word(arg);
        return fd >= TT_IN && fd <= TT_ERR
          ? 1
          : this.files.has(fd) || fd === FEATURES
            ? 0
            : this.fail(EBADF);
      }
      case SYS.SEEK: {
        const fd = this.word(arg);
        if (fd === FEATURES) {
          this.featurePos = this.word(arg + 4);
          return 0;
        }
        const h = this.files.get(fd);
        if (h === undefined) return this.fail(EBADF);
        return host.seek(h, this.word(arg + 4)) < 0 ? this.fail(host.errno) : 0;
      }
      case SYS.FLEN: {
        const fd = this.word(arg);
        if (fd === FEATURES) return FEATURE_BYTES.length;
        const h = this.files.get(fd);
        if (h === undefined) return this.fail(EBADF);
        const n = host.length(h);
        return n < 0 ? this.fail(host.errno) : n;
      }
      case SYS.TMPNAM: {
        const buf = this.word(arg);
        const id = this.word(arg + 4) & 0xff;
        const len = this.word(arg + 8);
        const name = new TextEncoder().encode(`f4emu-tmp-${id.toString().padStart(3, '0')}\0`);
        if (name.length > len) return this.fail(EINVAL);
        this.writeBytes(buf, name);
        return 0;
      }
      case SYS.REMOVE: {
        const r = host.remove(this.readString(this.word(arg), this.word(arg + 4)));
        return r < 0 ? this.fail(host.errno) : 0;
      }
      case SYS.RENAME: {
        const from = this.readString(this.word(arg), this.word(arg + 4));
        const to = this.readString(this.word(arg + 8), this.word(arg + 12));
        return host.rename(from, to) < 0 ? this.fail(host.errno) : 0;
      }
      case SYS.CLOCK:
        // Centiseconds of virtual time: through the clock's nanoseconds, which integrate every
        // HCLK change, so the value never goes back when the firmware switches the PLL on.
        return Math.floor(this.clock.nanos / 1e7);
      case SYS.TIME:
        return Math.floor(host.wallSeconds());
      case SYS.SYSTEM:
        return this.fail(ENOSYS);
      case SYS.ERRNO:
        return this.guestErrno;
      case SYS.GET_CMDLINE: {
        const buf = this.word(arg);
        const len = this.word(arg + 4);
        const text = new TextEncoder().encode(this.options.cmdline ?? '');
        if (text.length + 1 > len) return this.fail(EINVAL);
        this.writeBytes(buf, text);
        this.bus.write8(buf + text.length, 0);
        this.bus.write32(arg + 4, text.length);
        return 0;
      }
      case SYS.HEAPINFO: {
        const block = this.word(arg);
        const h = this.options.heap;
        this.bus.write32(block, h.heapBase);
        this.bus.write32(block + 4, h.heapLimit);
        this.bus.write32(block + 8, h.stackBase);
        this.bus.write32(block + 12, h.stackLimit);
        return 0;
      }
      case SYS.EXIT: {
        // AArch32: r1 holds the reason itself.
        const ok = arg === ADP_STOPPED_APPLICATION_EXIT;
        this.exit(
          ok ? 0 : 1,
          ok ? 'application exit' : `stopped with reason 0x${arg.toString(16)}`,
        );
        return 0;
      }
      case SYS.EXIT_EXTENDED: {
        const reason = this.word(arg);
        const sub = this.word(arg + 4);
        if (reason === ADP_STOPPED_APPLICATION_EXIT) this.exit(sub & 0xff, `exit(${sub | 0})`);
        else this.exit(1, `stopped with reason 0x${reason.toString(16)}`);
        return 0;
      }
      case SYS.ELAPSED: {
        // Ticks of SYS_TICKFREQ: nanoseconds, as QEMU does, so the rate stays fixed whatever
        // HCLK the firmware chooses; 64 bits, low word first.
        const ns = Math.floor(this.clock.nanos);
        this.bus.write32(arg, ns % 0x100000000);
        this.bus.write32(arg + 4, Math.floor(ns / 0x100000000));
        return 0;
      }
      case SYS.TICKFREQ:
        return TICKS_PER_SECOND;
      default:
        return this.fail(ENOSYS);
    }
  }

  private exit(code: number, reason: string): void {
    this.exitStatus = { code, reason };
    this.cpu.stopReason = 'exit';
    this.cpu.requestAttention();
  }
}

/** A host with a console only: file operations fail with EACCES. */
export class ConsoleOnlyHost implements SemihostingHost {
  errno = 0;
  constructor(
    readonly writeConsole: (fd: 1 | 2, data: Uint8Array) => void,
    readonly readConsole: (max: number) => Uint8Array = () => new Uint8Array(0),
  ) {}
  private denied(): number {
    this.errno = EACCES;
    return -1;
  }
  open(): number {
    return this.denied();
  }
  close(): number {
    return this.denied();
  }
  read(): Uint8Array | null {
    this.errno = EACCES;
    return null;
  }
  write(): number {
    return this.denied();
  }
  seek(): number {
    return this.denied();
  }
  length(): number {
    return this.denied();
  }
  remove(): number {
    return this.denied();
  }
  rename(): number {
    return this.denied();
  }
  wallSeconds(): number {
    return 0;
  }
}
