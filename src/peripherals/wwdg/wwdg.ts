/**
 * Window watchdog (RM0090 §22) at 0x40002C00. The 7-bit counter T[6:0] in CR decrements every
 * 4096 × 2^WDGTB PCLK1 cycles; it is free-running, also before WDGA is set (RM0090 22.3). Once
 * WDGA is set (only a reset clears it) the chip resets (ctx.requestReset('wwdg')) when T6 goes
 * from 1 to 0 (0x40 → 0x3F), when CR is written with T6 = 0, or when CR is written while the
 * counter is still above the window W (refresh too early). At 0x40 the early wakeup flag EWIF
 * is set; with CFR.EWI it raises the WWDG interrupt (NVIC IRQ 0).
 *
 * The counter is computed from virtual cycles; alarms sit at the 0x40 and 0x3F crossings only.
 */
import type { Alarm } from '../../clock/clock.js';
import {
  Peripheral,
  irqLine,
  type BlockPlacement,
  type PeripheralContext,
  type ResetCause,
} from '../peripheral.js';
import type { Register } from '../registers.js';

const WDGA = 1 << 7;
const T6 = 0x40;
const EWI = 1 << 9;
const EWIF = 1;

export class Wwdg extends Peripheral {
  readonly cr: Register;
  readonly cfr: Register;
  readonly sr: Register;
  private readonly ewiAlarm: Alarm;
  private readonly resetAlarm: Alarm;
  /** Counter value at `baseCycle` (the last write or prescaler change). */
  private count0 = 0x7f;
  /** Cycle of the last counter tick boundary at or before now (may be fractional). */
  private baseCycle = 0;
  /** HCLK cycles per counter tick in force since `baseCycle`. */
  private cpt = 4096;

  /** NVIC line of the early wakeup interrupt (WWDG). */
  readonly irq: number;

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    this.irq = irqLine(block, 'WWDG');
    this.ewiAlarm = ctx.clock.createAlarm(() => this.earlyWakeup());
    this.resetAlarm = ctx.clock.createAlarm(() => this.ctx.requestReset('wwdg'));
    const r = this.regs;
    this.cr = r.define({
      name: 'CR',
      offset: 0x00,
      reset: 0x7f,
      fields: [
        { name: 'T', bits: [6, 0] },
        { name: 'WDGA', bits: 7 },
      ],
      onRead: (v) => (v & WDGA) | this.counter(),
      onWrite: (v, old, written) => this.crWritten(v, old, written),
    });
    this.cfr = r.define({
      name: 'CFR',
      offset: 0x04,
      reset: 0x7f,
      fields: [
        { name: 'W', bits: [6, 0] },
        { name: 'WDGTB', bits: [8, 7] },
        // EWI is set by software and cleared only by a reset.
        { name: 'EWI', bits: 9, access: 'w1s' },
      ],
      onWrite: (v, old) => {
        if ((v ^ old) & (3 << 7)) {
          // The counter keeps its value; the new prescaler applies from now on.
          this.sync();
          this.baseCycle = this.ctx.clock.cycles;
        }
        this.schedule();
        this.updateIrq();
      },
    });
    this.sr = r.define({
      name: 'SR',
      offset: 0x08,
      fields: [{ name: 'EWIF', bits: 0, access: 'rc_w0' }],
      onWrite: () => this.updateIrq(),
    });
    ctx.clocks.onChange(() => {
      this.sync();
      this.schedule();
    });
  }

  override reset(cause: ResetCause = 'power-on'): void {
    this.ctx.clock.cancel(this.ewiAlarm);
    this.ctx.clock.cancel(this.resetAlarm);
    super.reset(cause);
    this.count0 = 0x7f;
    this.baseCycle = this.ctx.clock.cycles;
    this.cpt = this.cyclesPerTick();
  }

  override updateIrq(): void {
    this.ctx.setIrq(this.irq, (this.sr.value & EWIF) !== 0 && (this.cfr.value & EWI) !== 0);
  }

  get enabled(): boolean {
    return (this.cr.value & WDGA) !== 0;
  }

  /** HCLK cycles per counter tick: 4096 × 2^WDGTB PCLK1 cycles. */
  cyclesPerTick(): number {
    const clocks = this.ctx.clocks;
    return ((4096 << ((this.cfr.value >>> 7) & 3)) * clocks.hclk) / clocks.pclk1;
  }

  private ticksSinceBase(): number {
    return Math.floor((this.ctx.clock.cycles - this.baseCycle) / this.cpt + 1e-9);
  }

  /** Current counter value T[6:0] (7 bits, wrapping while the watchdog is disabled). */
  counter(): number {
    return (this.count0 - this.ticksSinceBase()) & 0x7f;
  }

  /** Moves the base to the last tick boundary, then takes the current prescaler and clocks. */
  private sync(): void {
    const t = this.ticksSinceBase();
    this.count0 = (this.count0 - t) & 0x7f;
    this.baseCycle += t * this.cpt;
    this.cpt = this.cyclesPerTick();
  }

  private crWritten(v: number, old: number, written: number): void {
    const wasEnabled = (old & WDGA) !== 0;
    const current = this.counter();
    // WDGA cannot be cleared by software.
    this.cr.value = ((v & 0x7f) | ((v | old) & WDGA)) >>> 0;
    if (wasEnabled && current > (this.cfr.value & 0x7f)) {
      // Refresh outside the window.
      this.ctx.requestReset('wwdg');
      return;
    }
    this.count0 = written & 0x7f;
    this.baseCycle = this.ctx.clock.cycles;
    if (this.cr.value & WDGA && !(this.count0 & T6)) {
      this.ctx.requestReset('wwdg');
      return;
    }
    this.schedule();
  }

  /** Alarms at the 0x40 (EWIF) and 0x3F (reset) crossings of the enabled watchdog. */
  private schedule(): void {
    const clock = this.ctx.clock;
    clock.cancel(this.ewiAlarm);
    clock.cancel(this.resetAlarm);
    if (!(this.cr.value & WDGA)) return;
    const cpt = this.cpt;
    const at = (ticks: number) => Math.ceil(this.baseCycle + ticks * cpt - clock.cycles - 1e-9);
    if (this.count0 > T6) clock.scheduleAlarm(this.ewiAlarm, at(this.count0 - T6));
    if (this.count0 >= T6) clock.scheduleAlarm(this.resetAlarm, at(this.count0 - T6 + 1));
  }

  private earlyWakeup(): void {
    this.sr.value = (this.sr.value | EWIF) >>> 0;
    this.updateIrq();
  }
}
