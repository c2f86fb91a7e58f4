/**
 * Independent watchdog (RM0090 §21) at 0x40003000. KR 0xCCCC starts it (and the LSI with it),
 * 0xAAAA reloads the counter from RLR, 0x5555 unlocks PR and RLR until any other key is written.
 * The 12-bit down-counter runs at LSI / (4 << PR); when it reaches 0 the chip resets
 * (ctx.requestReset('iwdg')). Once started, only a reset stops it.
 *
 * No per-tick work: the counter is computed from virtual cycles and one alarm sits at the
 * expiry, moved by each reload. LSI ticks are measured in seconds so HCLK changes (the cycle
 * rate) are followed. PR and RLR take effect at the next reload (the chip copies them into the
 * LSI domain; SR.PVU/RVU stay set for a few LSI periods after a write).
 */
import type { Alarm } from '../../clock/clock.js';
import { LSI_HZ } from '../rcc/rcc.js';
import {
  Peripheral,
  type BlockPlacement,
  type PeripheralContext,
  type ResetCause,
} from '../peripheral.js';
import type { Register } from '../registers.js';

/** LSI periods PVU/RVU stay busy after a PR/RLR write (RM0090 21.4.4: up to 5 periods). */
export const IWDG_UPDATE_LSI_PERIODS = 5;

const KEY_UNLOCK = 0x5555;
const KEY_RELOAD = 0xaaaa;
const KEY_START = 0xcccc;

export class Iwdg extends Peripheral {
  readonly pr: Register;
  readonly rlr: Register;
  readonly sr: Register;
  private readonly alarm: Alarm;
  private unlocked = false;
  private running = false;
  /** Counter value loaded at the last reload, and the divider then in force. */
  private loaded = 0xfff;
  private divider = 4;
  /** LSI ticks (fractional) elapsed since the reload, up to `baseCycle`. */
  private ticksAtBase = 0;
  private baseCycle = 0;
  /** HCLK cycles per counter tick in force since `baseCycle`. */
  private cpt = 2000;
  /** Cycles until which PVU / RVU read busy. */
  private pvuUntil = 0;
  private rvuUntil = 0;

  /** `startLsi`: switches the RCC's LSI on when the watchdog starts (RCC_CSR LSION/LSIRDY). */
  constructor(
    block: BlockPlacement,
    ctx: PeripheralContext,
    private readonly startLsi: () => void = () => {},
  ) {
    super(block, ctx);
    this.alarm = ctx.clock.createAlarm(() => this.expire());
    const r = this.regs;
    r.define({
      name: 'KR',
      offset: 0x00,
      fields: [{ name: 'KEY', bits: [15, 0], access: 'wo' }],
      onWrite: (_v, _old, written) => this.key(written & 0xffff),
    });
    this.pr = r.define({
      name: 'PR',
      offset: 0x04,
      fields: [{ name: 'PR', bits: [2, 0] }],
      onWrite: (v, old) => {
        if (!this.unlocked) this.pr.value = old;
        else this.pvuUntil = this.ctx.clock.cycles + this.lsiCycles(IWDG_UPDATE_LSI_PERIODS);
      },
    });
    this.rlr = r.define({
      name: 'RLR',
      offset: 0x08,
      reset: 0xfff,
      fields: [{ name: 'RL', bits: [11, 0] }],
      onWrite: (v, old) => {
        if (!this.unlocked) this.rlr.value = old;
        else this.rvuUntil = this.ctx.clock.cycles + this.lsiCycles(IWDG_UPDATE_LSI_PERIODS);
      },
    });
    this.sr = r.define({
      name: 'SR',
      offset: 0x0c,
      fields: [
        { name: 'PVU', bits: 0, access: 'ro' },
        { name: 'RVU', bits: 1, access: 'ro' },
      ],
      onRead: () => {
        const now = this.ctx.clock.cycles;
        return (now < this.pvuUntil ? 1 : 0) | (now < this.rvuUntil ? 2 : 0);
      },
    });
    ctx.clocks.onChange(() => {
      if (!this.running) return;
      this.sync();
      this.schedule();
    });
  }

  override reset(cause: ResetCause = 'power-on'): void {
    this.ctx.clock.cancel(this.alarm);
    super.reset(cause);
    this.unlocked = false;
    this.running = false;
    this.loaded = 0xfff;
    this.divider = 4;
    this.ticksAtBase = 0;
    this.baseCycle = this.ctx.clock.cycles;
    this.pvuUntil = this.rvuUntil = 0;
  }

  /** Whether the watchdog has been started (only a reset stops it). */
  get started(): boolean {
    return this.running;
  }

  /** Current down-counter value (not readable by firmware; for tests and debuggers). */
  counter(): number {
    if (!this.running) return this.loaded;
    this.sync();
    return Math.max(0, this.loaded - Math.floor(this.ticksAtBase + 1e-9));
  }

  private key(k: number): void {
    this.unlocked = k === KEY_UNLOCK;
    if (k === KEY_START && !this.running) {
      this.startLsi();
      this.running = true;
      this.reload();
    } else if (k === KEY_RELOAD && this.running) {
      this.reload();
    }
  }

  private reload(): void {
    this.divider = 4 << Math.min(this.pr.value & 7, 6);
    this.loaded = this.rlr.value & 0xfff;
    this.ticksAtBase = 0;
    this.baseCycle = this.ctx.clock.cycles;
    this.cpt = this.cyclesPerTick();
    this.schedule();
  }

  /** HCLK cycles per counter tick. */
  private cyclesPerTick(): number {
    return (this.ctx.clocks.hclk * this.divider) / LSI_HZ;
  }

  private lsiCycles(periods: number): number {
    return Math.ceil((this.ctx.clocks.hclk * periods) / LSI_HZ);
  }

  /** Folds the ticks elapsed since `baseCycle` into `ticksAtBase`, then takes the new HCLK. */
  private sync(): void {
    const now = this.ctx.clock.cycles;
    this.ticksAtBase += (now - this.baseCycle) / this.cpt;
    this.baseCycle = now;
    this.cpt = this.cyclesPerTick();
  }

  /**
   * The reset comes when the counter reaches 0: RLR + 1 ticks after the reload (RM0090 table
   * 107: RL = 0 at /4 gives 0.125 ms, RL = 0xFFF gives 512 ms).
   */
  private schedule(): void {
    const remaining = (this.loaded + 1 - this.ticksAtBase) * this.cpt;
    this.ctx.clock.scheduleAlarm(this.alarm, Math.max(0, Math.ceil(remaining - 1e-6)));
  }

  private expire(): void {
    if (this.running) this.ctx.requestReset('iwdg');
  }
}
