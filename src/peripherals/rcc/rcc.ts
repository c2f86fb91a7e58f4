/**
 * RCC: reset and clock control of the STM32F405/407 (RM0090 §6, registers §7.3 in RM0090 rev 19
 * numbering "6.3"). Oscillators become ready a short virtual delay after they are switched on,
 * CFGR.SW switches SYSCLK (SWS follows once the source is ready), and every change of SYSCLK or
 * of the AHB/APB prescalers is pushed into the ClockTree, so SysTick, timers and USART bit times
 * follow what the firmware programs. Enable and reset registers are plain storage: peripherals
 * are always clocked in this model.
 */
import type { Alarm } from '../../clock/clock.js';
import {
  Peripheral,
  irqLine,
  type BlockPlacement,
  type PeripheralContext,
  type ResetCause,
} from '../peripheral.js';
export type { ResetCause } from '../peripheral.js';
import type { Register } from '../registers.js';

export const HSI_HZ = 16_000_000;
export const LSI_HZ = 32_000;
/**
 * Oscillator start-up delays in HCLK cycles. The datasheet's typical times (HSE crystal ~2 ms,
 * PLL lock ~100 µs) are scaled down: firmware only polls the ready flags, and short delays keep
 * start-up code fast while still exercising the "not ready yet" path.
 */
export const HSE_STARTUP_CYCLES = 512;
export const PLL_LOCK_CYCLES = 256;
export const LSE_STARTUP_CYCLES = 1024;

/** CR bits. */
const HSION = 1 << 0;
const HSIRDY = 1 << 1;
const HSEON = 1 << 16;
const HSERDY = 1 << 17;
const HSEBYP = 1 << 18;
const PLLON = 1 << 24;
const PLLRDY = 1 << 25;
const PLLI2SON = 1 << 26;
const PLLI2SRDY = 1 << 27;

/** CSR reset flags (bits 25..31) and RMVF. */
export const CSR_RMVF = 1 << 24;
export const CSR_BORRSTF = 1 << 25;
export const CSR_PINRSTF = 1 << 26;
export const CSR_PORRSTF = 1 << 27;
export const CSR_SFTRSTF = 1 << 28;
export const CSR_IWDGRSTF = 1 << 29;
export const CSR_WWDGRSTF = 1 << 30;
export const CSR_LPWRRSTF = 1 << 31;
const CSR_FLAGS = 0xfe000000;

/** CIR ready flags (bits 0..5), their enables (8..13) and clear bits (16..21); CSS 7/23. */
const CIR_LSIRDY = 1 << 0;
const CIR_LSERDY = 1 << 1;
const CIR_HSIRDY = 1 << 2;
const CIR_HSERDY = 1 << 3;
const CIR_PLLRDY = 1 << 4;
const CIR_PLLI2SRDY = 1 << 5;

/** AHB prescaler HPRE[3:0]: 0xxx /1, 1000 /2 ... 1111 /512 (no /32). */
const AHB_DIV = [1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 8, 16, 64, 128, 256, 512];
/** APB prescaler PPREx[2:0]: 0xx /1, 100 /2, 101 /4, 110 /8, 111 /16. */
const APB_DIV = [1, 1, 1, 1, 2, 4, 8, 16];

export interface RccOptions {
  /** Board crystal (STM32F4Discovery: 8 MHz). */
  hseHz?: number;
}

export class Rcc extends Peripheral {
  private readonly resetListeners: { register: string; bit: number; reset: () => void }[] = [];

  /**
   * `reset` runs when software sets `bit` of the reset register `register` ('AHB1RSTR',
   * 'APB1RSTR'...), as the block's reset line from the RCC.
   */
  onPeripheralReset(register: string, bit: number, reset: () => void): void {
    this.resetListeners.push({ register, bit, reset });
  }

  /** Whether every bit of `mask` is set in the clock enable register at `offset` (AHB1ENR 0x30...). */
  clocksEnabled(offset: number, mask: number): boolean {
    return ((this.regs.register(offset)?.value ?? 0) & mask) === mask;
  }

  /** NVIC line of the RCC global interrupt (CIR ready flags). */
  readonly irq: number;
  readonly hseHz: number;
  readonly cr: Register;
  readonly pllcfgr: Register;
  readonly cfgr: Register;
  readonly cir: Register;
  readonly bdcr: Register;
  readonly csr: Register;
  /** Reset flags kept across system resets (cleared only by RMVF or power-on). */
  private resetFlags = CSR_PORRSTF | CSR_PINRSTF | CSR_BORRSTF;
  private readonly hseAlarm: Alarm;
  private readonly pllAlarm: Alarm;
  private readonly plli2sAlarm: Alarm;
  private readonly lseAlarm: Alarm;
  /** PLL configuration latched when the PLL locked (the chip ignores PLLCFGR while it runs). */
  private pllLockedCfg = 0;
  private overclockWarned = false;
  /** Backup-domain listeners (the RTC): RTC clock changes, and BDRST (argument true). */
  private readonly backupListeners: ((bdrst: boolean) => void)[] = [];

  /** Whether backup-domain registers (BDCR) take writes: PWR_CR.DBP, wired by the SoC. */
  backupWritable: () => boolean = () => true;

  constructor(block: BlockPlacement, ctx: PeripheralContext, options: RccOptions = {}) {
    super(block, ctx);
    this.irq = irqLine(block, 'RCC');
    this.hseHz = options.hseHz ?? 8_000_000;
    const clock = ctx.clock;
    this.hseAlarm = clock.createAlarm(() => this.oscillatorReady('HSE'));
    this.pllAlarm = clock.createAlarm(() => this.oscillatorReady('PLL'));
    this.plli2sAlarm = clock.createAlarm(() => this.oscillatorReady('PLLI2S'));
    this.lseAlarm = clock.createAlarm(() => this.oscillatorReady('LSE'));
    const r = this.regs;

    this.cr = r.define({
      name: 'CR',
      offset: 0x00,
      reset: 0x00000083,
      fields: [
        { name: 'HSION', bits: 0 },
        { name: 'HSIRDY', bits: 1, access: 'ro' },
        { name: 'HSITRIM', bits: [7, 3] },
        { name: 'HSICAL', bits: [15, 8], access: 'ro' },
        { name: 'HSEON', bits: 16 },
        { name: 'HSERDY', bits: 17, access: 'ro' },
        { name: 'HSEBYP', bits: 18 },
        { name: 'CSSON', bits: 19 },
        { name: 'PLLON', bits: 24 },
        { name: 'PLLRDY', bits: 25, access: 'ro' },
        { name: 'PLLI2SON', bits: 26 },
        { name: 'PLLI2SRDY', bits: 27, access: 'ro' },
      ],
      onWrite: (v, old) => this.crWritten(v, old),
    });
    this.pllcfgr = r.define({
      name: 'PLLCFGR',
      offset: 0x04,
      reset: 0x24003010,
      fields: [
        { name: 'PLLM', bits: [5, 0] },
        { name: 'PLLN', bits: [14, 6] },
        { name: 'PLLP', bits: [17, 16] },
        { name: 'PLLSRC', bits: 22 },
        { name: 'PLLQ', bits: [27, 24] },
      ],
    });
    this.cfgr = r.define({
      name: 'CFGR',
      offset: 0x08,
      fields: [
        { name: 'SW', bits: [1, 0] },
        { name: 'SWS', bits: [3, 2], access: 'ro' },
        { name: 'HPRE', bits: [7, 4] },
        { name: 'PPRE1', bits: [12, 10] },
        { name: 'PPRE2', bits: [15, 13] },
        { name: 'RTCPRE', bits: [20, 16] },
        { name: 'MCO1', bits: [22, 21] },
        { name: 'I2SSRC', bits: 23 },
        { name: 'MCO1PRE', bits: [26, 24] },
        { name: 'MCO2PRE', bits: [29, 27] },
        { name: 'MCO2', bits: [31, 30] },
      ],
      onWrite: () => this.switchSystemClock(),
    });
    this.cir = r.define({
      name: 'CIR',
      offset: 0x0c,
      fields: [
        { name: 'RDYF', bits: [5, 0], access: 'ro' },
        { name: 'CSSF', bits: 7, access: 'ro' },
        { name: 'RDYIE', bits: [13, 8] },
        // Writing 1 to LSIRDYC..PLLI2SRDYC / CSSC clears the matching flag (handled in onWrite).
        { name: 'RDYC', bits: [21, 16], access: 'wo' },
        { name: 'CSSC', bits: 23, access: 'wo' },
      ],
      onWrite: (_v, _old, written) => {
        const clear = ((written >>> 16) & 0x3f) | ((written >>> 16) & 0x80);
        this.cir.value = (this.cir.value & ~clear & ~0x00bf0000) >>> 0;
        this.updateIrq();
      },
    });

    // Peripheral reset and clock enable registers: storage (RM0090 reset values).
    const plain: [string, number, number][] = [
      ['AHB1RSTR', 0x10, 0],
      ['AHB2RSTR', 0x14, 0],
      ['AHB3RSTR', 0x18, 0],
      ['APB1RSTR', 0x20, 0],
      ['APB2RSTR', 0x24, 0],
      ['AHB1ENR', 0x30, 0x00100000],
      ['AHB2ENR', 0x34, 0],
      ['AHB3ENR', 0x38, 0],
      ['APB1ENR', 0x40, 0],
      ['APB2ENR', 0x44, 0],
      ['AHB1LPENR', 0x50, 0x7e6791ff],
      ['AHB2LPENR', 0x54, 0x000000f1],
      ['AHB3LPENR', 0x58, 0x00000001],
      ['APB1LPENR', 0x60, 0x36fec9ff],
      ['APB2LPENR', 0x64, 0x00075f33],
      ['SSCGR', 0x80, 0],
    ];
    for (const [name, offset, reset] of plain) {
      const resetRegister = name.endsWith('RSTR');
      r.define({
        name,
        offset,
        reset,
        access: 'rw',
        // A bit of a reset register going to 1 holds that block in reset (RM0090 7.3.5-7.3.9).
        ...(resetRegister && {
          onWrite: (value: number, previous: number) => {
            const asserted = value & ~previous;
            if (asserted === 0) return;
            for (const l of this.resetListeners) {
              if (l.register === name && asserted & (1 << l.bit)) l.reset();
            }
          },
        }),
      });
    }
    r.define({
      name: 'PLLI2SCFGR',
      offset: 0x84,
      reset: 0x20003000,
      fields: [
        { name: 'PLLI2SN', bits: [14, 6] },
        { name: 'PLLI2SR', bits: [30, 28] },
      ],
    });

    this.bdcr = r.define({
      name: 'BDCR',
      offset: 0x70,
      fields: [
        { name: 'LSEON', bits: 0 },
        { name: 'LSERDY', bits: 1, access: 'ro' },
        { name: 'LSEBYP', bits: 2 },
        { name: 'RTCSEL', bits: [9, 8] },
        { name: 'RTCEN', bits: 15 },
        { name: 'BDRST', bits: 16 },
      ],
      onWrite: (v, old) => {
        // LSEON, LSEBYP, RTCSEL, RTCEN and BDRST are in the backup domain: write-protected
        // until PWR_CR.DBP is set (RM0090 6.3.20), a classic cause of an RTC that never runs.
        if (!this.backupWritable()) {
          this.bdcr.value = old;
          this.ctx.warn(
            'f4emu: RCC: BDCR write ignored: the backup domain is write-protected (set PWR_CR.DBP first)',
          );
          return;
        }
        if (v & (1 << 16)) {
          // Backup-domain software reset: everything but BDRST itself goes back to 0.
          this.bdcr.value = (1 << 16) >>> 0;
          this.ctx.clock.cancel(this.lseAlarm);
          this.notifyBackup(true);
          return;
        }
        if (v & 1 && !(old & 1)) this.ctx.clock.scheduleAlarm(this.lseAlarm, LSE_STARTUP_CYCLES);
        if (!(v & 1)) {
          this.ctx.clock.cancel(this.lseAlarm);
          this.bdcr.set('LSERDY', 0);
        }
        this.notifyBackup(false);
      },
    });
    this.csr = r.define({
      name: 'CSR',
      offset: 0x74,
      reset: 0x0e000000,
      fields: [
        { name: 'LSION', bits: 0 },
        { name: 'LSIRDY', bits: 1, access: 'ro' },
        { name: 'RMVF', bits: 24 },
        { name: 'FLAGS', bits: [31, 25], access: 'ro' },
      ],
      onWrite: (v) => {
        if (v & CSR_RMVF) this.resetFlags = 0;
        // LSI is an RC oscillator: ready immediately in this model (typ. 40 µs on the chip).
        const lsi = v & 1;
        this.csr.value = ((v & 1) | (lsi << 1) | this.resetFlags) >>> 0;
        if (lsi) this.raiseReady(CIR_LSIRDY);
        this.notifyBackup(false);
      },
    });
    this.applyResetFlags();
  }

  /** A system reset sets the flag of its cause; power-on clears the backup domain (BDCR). */
  override reset(cause: ResetCause = 'power-on'): void {
    switch (cause) {
      case 'power-on':
        this.resetFlags = CSR_PORRSTF | CSR_PINRSTF | CSR_BORRSTF;
        break;
      case 'software':
        this.resetFlags |= CSR_SFTRSTF | CSR_PINRSTF;
        break;
      case 'pin':
        this.resetFlags |= CSR_PINRSTF;
        break;
      case 'iwdg':
        this.resetFlags |= CSR_IWDGRSTF | CSR_PINRSTF;
        break;
      case 'wwdg':
        this.resetFlags |= CSR_WWDGRSTF | CSR_PINRSTF;
        break;
      case 'low-power':
        this.resetFlags |= CSR_LPWRRSTF | CSR_PINRSTF;
        break;
    }
    const clock = this.ctx.clock;
    const bdcr = this.bdcr.value;
    for (const a of [this.hseAlarm, this.pllAlarm, this.plli2sAlarm, this.lseAlarm])
      clock.cancel(a);
    super.reset(cause);
    this.pllLockedCfg = 0;
    // The backup domain (BDCR, LSE) survives a system reset; only power-on clears it.
    if (cause !== 'power-on') this.bdcr.value = bdcr;
    this.applyResetFlags();
    this.updateClocks();
  }

  /** The IWDG starts the LSI itself when it is started (RM0090 21.3.1): LSION, LSIRDY read 1. */
  startLsi(): void {
    if ((this.csr.value & 3) === 3) return;
    this.csr.value = (this.csr.value | 3) >>> 0;
    this.raiseReady(CIR_LSIRDY);
    this.notifyBackup(false);
  }

  /**
   * RTCCLK in Hz as BDCR.RTCSEL selects it (LSE 32768 Hz, LSI, HSE / CFGR.RTCPRE), or 0 while
   * RTCEN is clear or the source is not running.
   */
  rtcClockHz(): number {
    const bdcr = this.bdcr.value;
    if (!(bdcr & (1 << 15))) return 0;
    switch ((bdcr >>> 8) & 3) {
      case 1:
        return bdcr & 2 ? 32_768 : 0;
      case 2:
        return this.csr.value & 2 ? LSI_HZ : 0;
      case 3: {
        const pre = this.cfgr.get('RTCPRE');
        return this.cr.value & HSERDY && pre >= 2 ? this.hseHz / pre : 0;
      }
      default:
        return 0;
    }
  }

  /** Called when the RTC clock may have changed, and with `true` on a BDRST backup reset. */
  onBackupDomainChange(listener: (bdrst: boolean) => void): void {
    this.backupListeners.push(listener);
  }

  private notifyBackup(bdrst: boolean): void {
    for (const l of this.backupListeners) l(bdrst);
  }

  private applyResetFlags(): void {
    this.csr.value = ((this.csr.value & ~CSR_FLAGS) | this.resetFlags) >>> 0;
  }

  override updateIrq(): void {
    const v = this.cir.value;
    this.ctx.setIrq(this.irq, (v & (v >>> 8) & 0x3f) !== 0);
  }

  private raiseReady(flag: number): void {
    this.cir.value = (this.cir.value | flag) >>> 0;
    this.updateIrq();
  }

  private crWritten(v: number, old: number): void {
    const clock = this.ctx.clock;
    const sws = this.cfgr.get('SWS');
    // The oscillator (or PLL) feeding SYSCLK cannot be stopped: hardware keeps its ON bit set.
    if (sws === 0) v |= HSION;
    if (sws === 1) v |= HSEON;
    if (sws === 2) {
      v |= PLLON;
      if (this.pllSourceIsHse()) v |= HSEON;
      else v |= HSION;
    }
    // HSI is an RC oscillator: ready at once (typ. 2 µs).
    v = v & HSION ? v | HSIRDY : v & ~HSIRDY;
    if (v & HSION && !(old & HSIRDY)) this.raiseReady(CIR_HSIRDY);
    if (v & HSEON && !(old & HSEON)) clock.scheduleAlarm(this.hseAlarm, HSE_STARTUP_CYCLES);
    if (!(v & HSEON)) {
      clock.cancel(this.hseAlarm);
      v &= ~HSERDY;
    }
    if (v & PLLON && !(old & PLLON)) clock.scheduleAlarm(this.pllAlarm, PLL_LOCK_CYCLES);
    if (!(v & PLLON)) {
      clock.cancel(this.pllAlarm);
      v &= ~PLLRDY;
      this.pllLockedCfg = 0;
    }
    if (v & PLLI2SON && !(old & PLLI2SON)) clock.scheduleAlarm(this.plli2sAlarm, PLL_LOCK_CYCLES);
    if (!(v & PLLI2SON)) {
      clock.cancel(this.plli2sAlarm);
      v &= ~PLLI2SRDY;
    }
    this.cr.value = v >>> 0;
    this.notifyBackup(false);
  }

  private pllSourceIsHse(): boolean {
    return this.pllcfgr.get('PLLSRC') === 1;
  }

  private oscillatorReady(which: 'HSE' | 'PLL' | 'PLLI2S' | 'LSE'): void {
    const cr = this.cr.value;
    switch (which) {
      case 'HSE':
        if (cr & HSEON) {
          this.cr.value = (cr | HSERDY) >>> 0;
          this.raiseReady(CIR_HSERDY);
        }
        break;
      case 'PLL': {
        // The PLL locks only when its input runs; otherwise retry once the source is up.
        const inputReady = this.pllSourceIsHse() ? cr & HSERDY : cr & HSIRDY;
        if (!(cr & PLLON)) break;
        if (!inputReady) {
          this.ctx.clock.scheduleAlarm(this.pllAlarm, PLL_LOCK_CYCLES);
          break;
        }
        this.pllLockedCfg = this.pllcfgr.value;
        this.cr.value = (cr | PLLRDY) >>> 0;
        this.raiseReady(CIR_PLLRDY);
        break;
      }
      case 'PLLI2S':
        if (cr & PLLI2SON) {
          this.cr.value = (cr | PLLI2SRDY) >>> 0;
          this.raiseReady(CIR_PLLI2SRDY);
        }
        break;
      case 'LSE':
        if (this.bdcr.value & 1) {
          this.bdcr.set('LSERDY', 1);
          this.raiseReady(CIR_LSERDY);
        }
        break;
    }
    // A switch requested while the source was not ready completes now.
    this.switchSystemClock();
  }

  /** PLL output P (SYSCLK candidate) in Hz for a PLLCFGR value: (in / PLLM) * PLLN / PLLP. */
  pllOutputHz(cfg = this.pllLockedCfg || this.pllcfgr.value): number {
    const m = cfg & 0x3f;
    const n = (cfg >>> 6) & 0x1ff;
    const p = 2 * (((cfg >>> 16) & 3) + 1);
    const input = cfg & (1 << 22) ? this.hseHz : HSI_HZ;
    // PLLM 0/1 and PLLN < 2 are invalid settings; fall back to the input clock, not Infinity.
    if (m < 2 || n < 2) return input;
    return Math.round(((input / m) * n) / p);
  }

  /** CFGR.SW → SWS when the selected source is ready. */
  private switchSystemClock(): void {
    const sw = this.cfgr.get('SW');
    const cr = this.cr.value;
    const ready = sw === 0 ? cr & HSIRDY : sw === 1 ? cr & HSERDY : sw === 2 ? cr & PLLRDY : 0;
    if (ready) this.cfgr.set('SWS', sw);
    this.updateClocks();
  }

  /** Current SYSCLK in Hz, from SWS. */
  sysclkHz(): number {
    switch (this.cfgr.get('SWS')) {
      case 1:
        return this.hseHz;
      case 2:
        return this.pllOutputHz();
      default:
        return HSI_HZ;
    }
  }

  private updateClocks(): void {
    const hclk = this.sysclkHz() / AHB_DIV[this.cfgr.get('HPRE')]!;
    const pclk1 = hclk / APB_DIV[this.cfgr.get('PPRE1')]!;
    const pclk2 = hclk / APB_DIV[this.cfgr.get('PPRE2')]!;
    // RM0090 §6.2: HCLK ≤ 168 MHz, PCLK1 ≤ 42 MHz, PCLK2 ≤ 84 MHz. The model runs anyway.
    if ((hclk > 168e6 || pclk1 > 42e6 || pclk2 > 84e6) && !this.overclockWarned) {
      this.overclockWarned = true;
      this.ctx.warn(
        `f4emu: RCC: clocks above the STM32F407's limits (HCLK ${hclk / 1e6} MHz, ` +
          `PCLK1 ${pclk1 / 1e6} MHz, PCLK2 ${pclk2 / 1e6} MHz)`,
      );
    }
    this.ctx.clocks.set(hclk, pclk1, pclk2);
    this.notifyBackup(false);
  }
}
