/**
 * Embedded flash interface of the STM32F405/407 (RM0090 §3): ACR (latency, prefetch, caches),
 * the KEYR/OPTKEYR unlock sequences, SR/CR, OPTCR, sector and mass erase, and programming:
 * while CR.PG is set, stores to flash (0x08000000 and its boot alias at 0) program it through
 * `Bus.readOnlyWriteHandler`.
 *
 * Choices (documented deviations):
 * - Programming ANDs the new value into the cell (flash bits only go 1→0 without an erase);
 *   RM0090 does not check for programming a non-erased location on the F4, and this is what the
 *   cells do.
 * - Data are written at once; BSY stays set for the operation's virtual duration. The chip stalls
 *   flash reads while BSY, so firmware cannot observe the difference.
 * - Durations: programming takes the datasheet's typical 16 µs per access; erases take 1/100 of
 *   the typical time (16 KB sector 4 ms, 64 KB 11 ms, 128 KB 20 ms, mass erase 160 ms) so tests
 *   that erase stay quick.
 * - A wrong key sequence answers with a bus error and locks FLASH_CR until reset, as RM0090
 *   §3.5.1 says.
 */
import { BusError, type AccessSize, type Bus } from '../../bus/bus.js';
import type { Alarm } from '../../clock/clock.js';
import { Peripheral, irqLine, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';

export const FLASH_MEMORY_BASE = 0x08000000;
export const FLASH_MEMORY_SIZE = 1024 * 1024;
/** One-time programmable area (512 bytes) and its 16 lock bytes, in system memory. */
export const OTP_BASE = 0x1fff7800;
export const OTP_SIZE = 0x210;

export const FLASH_KEY1 = 0x45670123;
export const FLASH_KEY2 = 0xcdef89ab;
export const FLASH_OPTKEY1 = 0x08192a3b;
export const FLASH_OPTKEY2 = 0x4c5d6e7f;

/** Sector layout of a 1 MB single-bank device: 4×16 KB, 1×64 KB, 7×128 KB. */
export const SECTORS: { offset: number; size: number }[] = (() => {
  const list: { offset: number; size: number }[] = [];
  let offset = 0;
  for (const kb of [16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128]) {
    list.push({ offset, size: kb * 1024 });
    offset += kb * 1024;
  }
  return list;
})();

const PROGRAM_SECONDS = 16e-6;
const ERASE_SECONDS_PER_KB = 4e-3 / 16; // scaled: ~1/100 of the typical sector erase time
const MASS_ERASE_SECONDS = 160e-3;
const OPTION_PROGRAM_SECONDS = 1e-3;

/** SR bits. */
const EOP = 1 << 0;
const OPERR = 1 << 1;
const WRPERR = 1 << 4;
const PGAERR = 1 << 5;
const PGPERR = 1 << 6;
const PGSERR = 1 << 7;
const BSY = 1 << 16;
/** CR bits. */
const PG = 1 << 0;
const SER = 1 << 1;
const MER = 1 << 2;
const STRT = 1 << 16;
const EOPIE = 1 << 24;
const ERRIE = 1 << 25;
const LOCK = 1 << 31;
/** OPTCR bits. */
const OPTLOCK = 1 << 0;
const OPTSTRT = 1 << 1;
const OPTCR_RESET = 0x0fffaaed;

export type FlashChangeListener = (offset: number, length: number) => void;

export class FlashInterface extends Peripheral {
  /** NVIC line of the FLASH global interrupt (EOP, OPERR). */
  readonly irq: number;
  readonly acr: Register;
  readonly sr: Register;
  readonly cr: Register;
  readonly optcr: Register;
  private readonly bus: Bus;
  private readonly memory: Uint8Array;
  private readonly otp: Uint8Array | null;
  private readonly busyAlarm: Alarm;
  /** Next expected key: 0 = KEY1, 1 = KEY2; same for the option keys. */
  private keyStep = 0;
  private optKeyStep = 0;
  /** A wrong key sequence locks the registers until the next reset. */
  private lockedUntilReset = false;
  private latencyWarned = false;
  /** Option bytes as last programmed (OPTCR is reloaded from them at reset). */
  private optionBytes = OPTCR_RESET & ~(OPTLOCK | OPTSTRT);
  private readonly listeners: FlashChangeListener[] = [];

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    this.irq = irqLine(block, 'FLASH');
    this.bus = ctx.bus;
    const region = ctx.bus.regionAt(FLASH_MEMORY_BASE);
    if (!region) throw new Error('FLASH interface: no flash memory mapped at 0x08000000');
    this.memory = region.bytes.subarray(FLASH_MEMORY_BASE - region.base);
    const sys = ctx.bus.regionAt(OTP_BASE);
    this.otp = sys ? sys.bytes.subarray(OTP_BASE - sys.base, OTP_BASE - sys.base + OTP_SIZE) : null;
    this.busyAlarm = ctx.clock.createAlarm(() => this.operationDone());
    const r = this.regs;

    this.acr = r.define({
      name: 'ACR',
      offset: 0x00,
      fields: [
        { name: 'LATENCY', bits: [2, 0] },
        { name: 'PRFTEN', bits: 8 },
        { name: 'ICEN', bits: 9 },
        { name: 'DCEN', bits: 10 },
        // Cache resets: write-only in effect (the caches are not modelled), read back as written.
        { name: 'ICRST', bits: 11 },
        { name: 'DCRST', bits: 12 },
      ],
    });
    r.define({
      name: 'KEYR',
      offset: 0x04,
      access: 'wo',
      onWrite: (_v, _o, written) => this.key(written),
    });
    r.define({
      name: 'OPTKEYR',
      offset: 0x08,
      access: 'wo',
      onWrite: (_v, _o, written) => this.optionKey(written),
    });
    this.sr = r.define({
      name: 'SR',
      offset: 0x0c,
      fields: [
        { name: 'EOP', bits: 0, access: 'w1c' },
        { name: 'OPERR', bits: 1, access: 'w1c' },
        { name: 'WRPERR', bits: 4, access: 'w1c' },
        { name: 'PGAERR', bits: 5, access: 'w1c' },
        { name: 'PGPERR', bits: 6, access: 'w1c' },
        { name: 'PGSERR', bits: 7, access: 'w1c' },
        { name: 'BSY', bits: 16, access: 'ro' },
      ],
      onWrite: () => this.updateIrq(),
    });
    this.cr = r.define({
      name: 'CR',
      offset: 0x10,
      reset: LOCK,
      fields: [
        { name: 'PG', bits: 0 },
        { name: 'SER', bits: 1 },
        { name: 'MER', bits: 2 },
        { name: 'SNB', bits: [6, 3] },
        { name: 'PSIZE', bits: [9, 8] },
        { name: 'STRT', bits: 16 },
        { name: 'EOPIE', bits: 24 },
        { name: 'ERRIE', bits: 25 },
        { name: 'LOCK', bits: 31 },
      ],
      onWrite: (v, old) => this.crWritten(v, old),
    });
    this.optcr = r.define({
      name: 'OPTCR',
      offset: 0x14,
      reset: OPTCR_RESET,
      fields: [
        { name: 'OPTLOCK', bits: 0 },
        { name: 'OPTSTRT', bits: 1 },
        { name: 'BOR_LEV', bits: [3, 2] },
        { name: 'WDG_SW', bits: 5 },
        { name: 'nRST_STOP', bits: 6 },
        { name: 'nRST_STDBY', bits: 7 },
        { name: 'RDP', bits: [15, 8] },
        { name: 'nWRP', bits: [27, 16] },
      ],
      onWrite: (v, old) => this.optcrWritten(v, old),
    });
    ctx.bus.readOnlyWriteHandler = (addr, value, size) => this.store(addr, value, size);
    ctx.clocks.onChange(() => this.checkLatency());
  }

  /**
   * The chip reads wrong instructions when HCLK outruns the flash wait states (RM0090 Table 10,
   * 2.7-3.6 V: one wait state per 30 MHz); the model keeps running but says so once.
   */
  private checkLatency(): void {
    const hclk = this.ctx.clocks.hclk;
    const latency = this.acr.get('LATENCY');
    if (hclk > (latency + 1) * 30_000_000 && !this.latencyWarned) {
      this.latencyWarned = true;
      this.ctx.warn(
        `f4emu: FLASH: HCLK ${hclk / 1e6} MHz needs more than ${latency} wait state(s) ` +
          '(FLASH_ACR.LATENCY); a real STM32F407 would misread flash',
      );
    }
  }

  override reset(): void {
    this.ctx.clock.cancel(this.busyAlarm);
    super.reset();
    this.optcr.value = (this.optionBytes | OPTLOCK) >>> 0;
    this.keyStep = 0;
    this.optKeyStep = 0;
    this.lockedUntilReset = false;
  }

  override updateIrq(): void {
    const sr = this.sr.value;
    const cr = this.cr.value;
    this.ctx.setIrq(
      this.irq,
      (sr & EOP && cr & EOPIE) || (sr & OPERR && cr & ERRIE) ? true : false,
    );
  }

  // ---- persistence API (the CLI's --flash-file) ----

  /** Calls `listener(offset, length)` after each program or erase that changed flash. */
  onProgram(listener: FlashChangeListener): void {
    this.listeners.push(listener);
  }

  /** The 1 MB flash array (offset 0 = 0x08000000), live. */
  get contents(): Uint8Array {
    return this.memory;
  }

  /** Replaces flash contents from a saved image (shorter images leave the rest erased). */
  loadContents(bytes: Uint8Array): void {
    const n = Math.min(bytes.length, this.memory.length);
    this.memory.set(bytes.subarray(0, n));
    this.memory.fill(0xff, n);
    this.invalidate(0, this.memory.length);
  }

  // ---- register behaviour ----

  private key(k: number): void {
    if (this.lockedUntilReset)
      throw new BusError(this.base + 4, true, 'FLASH_KEYR locked until reset');
    if (!(this.cr.value & LOCK)) return;
    if (this.keyStep === 0 && k === FLASH_KEY1) this.keyStep = 1;
    else if (this.keyStep === 1 && k === FLASH_KEY2) {
      this.keyStep = 0;
      this.cr.value = (this.cr.value & ~LOCK) >>> 0;
    } else {
      this.lockedUntilReset = true;
      throw new BusError(this.base + 4, true, 'wrong FLASH_KEYR sequence');
    }
  }

  private optionKey(k: number): void {
    if (this.lockedUntilReset)
      throw new BusError(this.base + 8, true, 'FLASH_OPTKEYR locked until reset');
    if (!(this.optcr.value & OPTLOCK)) return;
    if (this.optKeyStep === 0 && k === FLASH_OPTKEY1) this.optKeyStep = 1;
    else if (this.optKeyStep === 1 && k === FLASH_OPTKEY2) {
      this.optKeyStep = 0;
      this.optcr.value = (this.optcr.value & ~OPTLOCK) >>> 0;
    } else {
      this.lockedUntilReset = true;
      throw new BusError(this.base + 8, true, 'wrong FLASH_OPTKEYR sequence');
    }
  }

  private get busy(): boolean {
    return (this.sr.value & BSY) !== 0;
  }

  private crWritten(v: number, old: number): void {
    // Locked (or busy): the register keeps its value; writing LOCK=1 always locks.
    if (old & LOCK || this.busy) {
      this.cr.value = (old | (v & LOCK)) >>> 0;
      return;
    }
    if (v & STRT && !(old & STRT)) this.startErase(v);
    this.updateIrq();
  }

  private startErase(cr: number): void {
    if (cr & MER) {
      if (this.protectedSectors() !== 0) return this.error(WRPERR);
      this.erase(0, this.memory.length);
      this.busyFor(MASS_ERASE_SECONDS);
      return;
    }
    if (cr & SER) {
      const snb = (cr >>> 3) & 0xf;
      const sector = SECTORS[snb];
      if (!sector) {
        this.ctx.warn(
          `f4emu: FLASH: erase of sector ${snb} ignored (a 1 MB device has sectors 0-11)`,
        );
        this.cr.value = (this.cr.value & ~STRT) >>> 0;
        return;
      }
      if (this.protectedSectors() & (1 << snb)) return this.error(WRPERR);
      this.erase(sector.offset, sector.size);
      this.busyFor((sector.size / 1024) * ERASE_SECONDS_PER_KB);
      return;
    }
    // STRT without SER or MER starts nothing.
    this.cr.value = (this.cr.value & ~STRT) >>> 0;
  }

  private optcrWritten(v: number, old: number): void {
    if (old & OPTLOCK || this.busy) {
      this.optcr.value = (old | (v & OPTLOCK)) >>> 0;
      return;
    }
    if (v & OPTSTRT && !(old & OPTSTRT)) {
      this.optionBytes = v & ~(OPTLOCK | OPTSTRT);
      this.busyFor(OPTION_PROGRAM_SECONDS);
    }
  }

  /** Sectors whose nWRP bit is 0 (write-protected). */
  private protectedSectors(): number {
    return ~(this.optcr.value >>> 16) & 0xfff;
  }

  /** A failed operation: the error flag, OPERR when ERRIE, nothing written. */
  private error(flag: number): void {
    let sr = this.sr.value | flag;
    if (this.cr.value & ERRIE) sr |= OPERR;
    this.sr.value = sr >>> 0;
    this.cr.value = (this.cr.value & ~STRT) >>> 0;
    this.updateIrq();
  }

  private busyFor(seconds: number): void {
    this.sr.value = (this.sr.value | BSY) >>> 0;
    // Programming and erase times are wall-clock durations, not HCLK cycles: in nanoseconds, so
    // a clock switch during a sector erase does not change how long it takes.
    this.ctx.clock.scheduleAlarmNanos(this.busyAlarm, seconds * 1e9);
  }

  private operationDone(): void {
    this.sr.value = (this.sr.value & ~BSY) >>> 0;
    // EOP is set only when its interrupt is enabled (RM0090 §3.9.4).
    if (this.cr.value & EOPIE) this.sr.value = (this.sr.value | EOP) >>> 0;
    this.cr.value = (this.cr.value & ~STRT) >>> 0;
    this.optcr.value = (this.optcr.value & ~OPTSTRT) >>> 0;
    this.updateIrq();
  }

  /** A CPU store to read-only memory: programming when PG is set. */
  private store(addr: number, value: number, size: AccessSize): boolean {
    let offset: number;
    let target: Uint8Array;
    let sector = -1;
    if (addr < FLASH_MEMORY_SIZE) {
      // The boot alias at 0, while it shows flash (SYSCFG_MEMRMP may map system memory there).
      if (this.bus.regionAt(addr)?.bytes.buffer !== this.memory.buffer) return false;
      offset = addr;
      target = this.memory;
    } else if (addr >= FLASH_MEMORY_BASE && addr < FLASH_MEMORY_BASE + FLASH_MEMORY_SIZE) {
      offset = addr - FLASH_MEMORY_BASE;
      target = this.memory;
    } else if (this.otp && addr >= OTP_BASE && addr < OTP_BASE + OTP_SIZE) {
      offset = addr - OTP_BASE;
      target = this.otp;
    } else {
      return false;
    }
    if (target === this.memory)
      sector = SECTORS.findIndex((s) => offset >= s.offset && offset < s.offset + s.size);
    const cr = this.cr.value;
    // A store while the interface is not set up for programming: PGSERR (RM0090 §3.9.4).
    if (!(cr & PG) || cr & LOCK || cr & (SER | MER)) {
      this.ctx.warn(
        'f4emu: store to read-only flash while FLASH_CR is not set up for programming: ' +
          'ignored, FLASH_SR.PGSERR set',
      );
      this.error(PGSERR);
      return true;
    }
    if (addr & (size - 1)) {
      this.error(PGAERR);
      return true;
    }
    // The access size must match the programming parallelism PSIZE (x8, x16, x32, x64).
    if (size !== 1 << ((cr >>> 8) & 3)) {
      this.error(PGPERR);
      return true;
    }
    if (sector >= 0 && this.protectedSectors() & (1 << sector)) {
      this.error(WRPERR);
      return true;
    }
    // OTP block i (32 bytes) is locked when its lock byte (0x1FFF7A00 + i) is 0x00.
    if (target === this.otp && offset < 0x200 && this.otp[0x200 + (offset >>> 5)] === 0) {
      this.error(WRPERR);
      return true;
    }
    for (let i = 0; i < size; i++) {
      target[offset + i] = target[offset + i]! & (value >>> (8 * i)) & 0xff;
    }
    if (target === this.memory) this.invalidate(offset, size);
    this.busyFor(PROGRAM_SECONDS);
    return true;
  }

  private erase(offset: number, length: number): void {
    this.memory.fill(0xff, offset, offset + length);
    this.invalidate(offset, length);
  }

  /** Drops decoded instructions over the changed range (both address views) and notifies. */
  private invalidate(offset: number, length: number): void {
    for (const base of [FLASH_MEMORY_BASE, 0]) {
      const first = (base + offset) >>> 16;
      const last = (base + offset + length - 1) >>> 16;
      for (let page = first; page <= last; page++) {
        if (this.bus.codePages[page] === 1) {
          const lo = Math.max(base + offset, page << 16);
          const hi = Math.min(base + offset + length, (page + 1) << 16);
          this.bus.onCodeWrite(lo >>> 0, hi - lo);
        }
      }
    }
    for (const l of this.listeners) l(offset, length);
  }
}
