/**
 * SysTick (ARMv7-M B3.3): a 24-bit down-counter on virtual time. It never ticks per cycle: the
 * next time it reaches zero is an alarm on the clock, and the current value is computed from
 * the cycle count when read. CLKSOURCE=1 counts core cycles; 0 counts the STM32's HCLK/8.
 */
import type { Alarm, Clock } from '../../clock/clock.js';

export class SysTick {
  csr = 0;
  rvr = 0;
  /** True when the last read of CSR cleared COUNTFLAG (see readIsStable). */
  readCleared = false;
  /** Counter value while disabled. */
  private frozen = 0;
  /** Cycle at which the counter next reaches zero (when enabled). */
  private nextZero = 0;
  private readonly alarm: Alarm;

  constructor(
    private readonly clock: Clock,
    private readonly pend: () => void,
  ) {
    this.alarm = clock.createAlarm(() => this.reachZero());
  }

  reset(): void {
    this.clock.cancel(this.alarm);
    this.csr = 0;
    this.rvr = 0;
    this.frozen = 0;
  }

  private get divider(): number {
    return this.csr & 4 ? 1 : 8;
  }
  private get enabled(): boolean {
    return (this.csr & 1) !== 0;
  }
  private get period(): number {
    return (this.rvr + 1) * this.divider;
  }

  get cvr(): number {
    if (!this.enabled) return this.frozen;
    const remaining = Math.ceil((this.nextZero - this.clock.cycles) / this.divider);
    return remaining % (this.rvr + 1);
  }

  private reachZero(): void {
    this.csr |= 1 << 16;
    if (this.csr & 2) this.pend();
    if (this.rvr !== 0) {
      this.nextZero += this.period;
      this.clock.scheduleAlarm(this.alarm, this.nextZero - this.clock.cycles);
    }
    // RVR = 0: the counter reloads 0 and stays there; no further wrap.
  }

  private start(fromValue: number): void {
    if (this.rvr === 0 && fromValue === 0) {
      this.clock.cancel(this.alarm);
      return;
    }
    // From value v, zero comes after v ticks; from 0, the next tick reloads RVR first.
    const ticks = fromValue === 0 ? this.rvr + 1 : fromValue;
    this.nextZero = this.clock.cycles + ticks * this.divider;
    this.clock.scheduleAlarm(this.alarm, ticks * this.divider);
  }

  read(offset: number): number {
    switch (offset) {
      case 0x0: {
        const v = this.csr;
        this.csr &= ~(1 << 16); // COUNTFLAG clears on read
        this.readCleared = (v & (1 << 16)) !== 0;
        return v;
      }
      case 0x4:
        return this.rvr;
      case 0x8:
        return this.cvr;
      case 0xc:
        // CALIB: NOREF=0, SKEW=1, TENMS for a 1 ms reference at HCLK/8 = 21 MHz (as on the F407).
        return 0x40000000 | 0x5207;
      default:
        return 0;
    }
  }

  /**
   * MmioDevice.readIsStable for the read just made: CSR (COUNTFLAG is set only by the alarm at
   * zero) unless that read cleared COUNTFLAG, RVR and CALIB; never CVR, which counts with the
   * clock.
   */
  readIsStable(offset: number): boolean {
    return offset === 0 ? !this.readCleared : offset === 4 || offset === 0xc;
  }

  write(offset: number, value: number): void {
    switch (offset) {
      case 0x0: {
        const current = this.cvr;
        const wasEnabled = this.enabled;
        this.csr = (this.csr & (1 << 16)) | (value & 7);
        if (this.enabled && !wasEnabled) this.start(current);
        else if (!this.enabled && wasEnabled) {
          this.frozen = current;
          this.clock.cancel(this.alarm);
        } else if (this.enabled) this.start(current); // clock source may have changed
        break;
      }
      case 0x4:
        this.rvr = value & 0xffffff;
        if (this.enabled && !this.alarm.scheduled) this.start(this.cvr);
        break;
      case 0x8:
        // Any write clears the counter and COUNTFLAG.
        this.csr &= ~(1 << 16);
        this.frozen = 0;
        if (this.enabled) this.start(0);
        break;
    }
  }
}
