/**
 * Real-time clock (RM0090 §26) at 0x40002800: BCD calendar (TR/DR, 12/24-hour format, weekday,
 * 2000-2099 with leap years), prescalers (PRER: ck_apre = RTCCLK / (PREDIV_A+1), ck_spre =
 * ck_apre / (PREDIV_S+1)), sub-second counter SSR, alarms A/B (masks, date or weekday), the
 * periodic wakeup timer, 20 backup registers, write protection (WPR key 0xCA, 0x53, and
 * PWR_CR.DBP for the whole backup domain), initialization mode (INIT/INITF) and RSF.
 *
 * Time is counted in whole RTCCLK ticks computed from virtual cycles (RCC_BDCR.RTCSEL picks LSE,
 * LSI or HSE / RTCPRE; RTCEN gates it); the calendar is seconds since 2000 plus a prescaler
 * phase, derived lazily. No per-second work: alarms sit only at the next alarm A/B match and
 * the next wakeup. Alarm flags reach EXTI line 17 (RTC_Alarm, IRQ 41), the wakeup flag line 22
 * (RTC_WKUP, IRQ 3); the RTC drives those lines as levels (flag AND enable).
 *
 * The RTC is in the backup domain: it keeps running and keeps every register across system
 * resets; only a power-on reset or RCC_BDCR.BDRST clears it. Time stamp, tamper, smooth/coarse
 * calibration and the shift register are stored only (a warning once when enabled); shadow
 * registers are modelled as a TR/SSR → DR read lock, RSF as a flag set again 2 RTCCLK periods
 * after it is cleared. Simplifications: leaving init mode restarts the RTCCLK phase (the first
 * second lasts exactly one ck_spre period); the wakeup timer on ck_spre keeps counting RTCCLK
 * ticks during init mode; ADD1H/SUB1H move the calendar at once.
 */
import type { Alarm } from '../../clock/clock.js';
import {
  Peripheral,
  type BlockPlacement,
  type PeripheralContext,
  type ResetCause,
} from '../peripheral.js';
import type { Register } from '../registers.js';
import {
  SECONDS_PER_DAY,
  addWeekdays,
  dateRegister,
  daysFromDr,
  fromBcd,
  nextAlarmMatch,
  secondOfDayFromTr,
  timeRegister,
} from './calendar.js';

/** EXTI lines of the RTC (RM0090 12.2.5). */
export const RTC_ALARM_EXTI_LINE = 17;
export const RTC_TAMPER_EXTI_LINE = 21;
export const RTC_WAKEUP_EXTI_LINE = 22;
export const LSE_HZ = 32_768;

/** CR bits. */
const FMT = 1 << 6;
const ALRAE = 1 << 8;
const ALRBE = 1 << 9;
const WUTE = 1 << 10;
const TSE = 1 << 11;
const ALRAIE = 1 << 12;
const ALRBIE = 1 << 13;
const WUTIE = 1 << 14;
const TSIE = 1 << 15;
const ADD1H = 1 << 16;
const SUB1H = 1 << 17;
const BYPSHAD = 1 << 5;
/** ISR bits. */
const INIT = 1 << 7;
const ALRAF = 1 << 8;
const ALRBF = 1 << 9;
const WUTF = 1 << 10;
const TSF = 1 << 11;
/** ISR flags (bits 13:8 and TAMP2F) that software clears without unlocking (rc_w0). */
const ISR_FLAGS = 0x7f00;

/** What the RTC needs from the RCC, PWR and EXTI (all optional for tests). */
export interface RtcWiring {
  /** RTCCLK in Hz (0: stopped); default: LSE always running. */
  rtcClockHz?: () => number;
  /** Registers a listener for RTC clock changes and BDRST (argument true). */
  onBackupDomainChange?: (listener: (bdrst: boolean) => void) => void;
  /** PWR_CR.DBP: backup-domain registers are writable; default: always. */
  backupWritable?: () => boolean;
  /** EXTI line input (lines 17, 21, 22). */
  setExtiLine?: (line: number, level: boolean) => void;
}

export class Rtc extends Peripheral {
  readonly cr: Register;
  readonly isr: Register;
  readonly prer: Register;
  readonly wutr: Register;
  readonly alrmr: [Register, Register];
  readonly bkp: Register[] = [];
  private readonly eventAlarms: [Alarm, Alarm];
  private readonly wakeupAlarm: Alarm;
  /** RTCCLK: frequency, HCLK cycles per tick, and the tick count at `tickBaseCycle`. */
  private hz = 0;
  private cyclesPerTick = Infinity;
  private tickBase = 0;
  private tickBaseCycle = 0;
  /** Calendar: seconds since 2000 and prescaler phase (ticks) at RTCCLK tick `calTick`. */
  private calSeconds = 0;
  private calPhase = 0;
  private calTick = 0;
  /** Weekday (1 = Monday) of day number `dayRef`. */
  private weekdayRef = 1;
  private dayRef = 0;
  /** RTCCLK ticks at which INITF / RSF read 1. */
  private initfTick = 0;
  private rsfTick = 0;
  /** WPR key sequence: 0 locked, 1 after 0xCA, 2 unlocked. */
  private keyState = 0;
  /** Second each calendar alarm is scheduled for; tick of the next wakeup and its period. */
  private readonly alarmSecond = [0, 0];
  private wakeupTick = 0;
  private wakeupPeriod = 0;
  /** DR value latched by a TR read until DR is read (shadow registers, BYPSHAD = 0). */
  private lockedDr: number | null = null;
  private lineLevels = 0;
  private readonly warned = new Set<string>();
  private readonly clockHz: () => number;
  private readonly backupWritable: () => boolean;
  private readonly setExtiLine: (line: number, level: boolean) => void;

  constructor(block: BlockPlacement, ctx: PeripheralContext, wiring: RtcWiring = {}) {
    super(block, ctx);
    this.clockHz = wiring.rtcClockHz ?? (() => LSE_HZ);
    this.backupWritable = wiring.backupWritable ?? (() => true);
    this.setExtiLine = wiring.setExtiLine ?? (() => {});
    const clock = ctx.clock;
    this.eventAlarms = [
      clock.createAlarm(() => this.alarmMatch(0)),
      clock.createAlarm(() => this.alarmMatch(1)),
    ];
    this.wakeupAlarm = clock.createAlarm(() => this.wakeup());
    const r = this.regs;

    r.define({
      name: 'TR',
      offset: 0x00,
      onRead: () => {
        const { seconds } = this.now();
        if (!(this.cr.value & BYPSHAD)) this.lockedDr = this.dateValue(seconds);
        return timeRegister(seconds % SECONDS_PER_DAY, (this.cr.value & FMT) !== 0);
      },
      onWrite: (_v, _o, w) => {
        if (!this.initWritable()) return;
        const tod = secondOfDayFromTr(w & 0x7f7f7f, (this.cr.value & FMT) !== 0);
        const day = Math.floor(this.calSeconds / SECONDS_PER_DAY);
        this.calSeconds = day * SECONDS_PER_DAY + Math.min(tod, SECONDS_PER_DAY - 1);
      },
    });
    r.define({
      name: 'DR',
      offset: 0x04,
      reset: 0x2101,
      onRead: () => {
        const locked = this.lockedDr;
        this.lockedDr = null;
        return locked ?? this.dateValue(this.now().seconds);
      },
      onWrite: (_v, _o, w) => {
        if (!this.initWritable()) return;
        const days = daysFromDr(w);
        const tod = this.calSeconds % SECONDS_PER_DAY;
        this.calSeconds = days * SECONDS_PER_DAY + tod;
        this.dayRef = days;
        this.weekdayRef = (w >>> 13) & 7 || 1;
      },
    });
    this.cr = r.define({
      name: 'CR',
      offset: 0x08,
      fields: [
        { name: 'WUCKSEL', bits: [2, 0] },
        { name: 'CTRL', bits: [15, 3] },
        { name: 'ADD1H', bits: 16, access: 'wo' },
        { name: 'SUB1H', bits: 17, access: 'wo' },
        { name: 'OUT', bits: [23, 18] },
      ],
      onWrite: (v, old) => this.crWritten(v, old),
    });
    this.isr = r.define({
      name: 'ISR',
      offset: 0x0c,
      reset: 0x7,
      onRead: (v) => this.isrValue(v),
      onWrite: (v, _o, w, bytes) => this.isrWritten(v, w, bytes),
    });
    this.prer = r.define({
      name: 'PRER',
      offset: 0x10,
      reset: 0x007f00ff,
      fields: [
        { name: 'PREDIV_S', bits: [14, 0] },
        { name: 'PREDIV_A', bits: [22, 16] },
      ],
      onWrite: (_v, old) => {
        if (!this.initWritable()) this.prer.value = old;
      },
    });
    this.wutr = r.define({
      name: 'WUTR',
      offset: 0x14,
      reset: 0xffff,
      fields: [{ name: 'WUT', bits: [15, 0] }],
      onWrite: (_v, old) => {
        if (!this.writable() || this.cr.value & WUTE) this.wutr.value = old;
      },
    });
    this.guarded('CALIBR', 0x18, [7, 0], 'coarse digital calibration');
    this.alrmr = [0, 1].map((i) =>
      r.define({
        name: i === 0 ? 'ALRMAR' : 'ALRMBR',
        offset: 0x1c + 4 * i,
        access: 'rw',
        onWrite: (_v, old) => {
          if (!this.writable() || this.cr.value & (ALRAE << i)) this.alrmr[i]!.value = old;
        },
      }),
    ) as [Register, Register];
    r.define({
      name: 'WPR',
      offset: 0x24,
      onWrite: (_v, _o, w) => {
        const key = w & 0xff;
        this.keyState = key === 0xca ? 1 : key === 0x53 && this.keyState === 1 ? 2 : 0;
      },
    });
    r.define({
      name: 'SSR',
      offset: 0x28,
      onRead: () => {
        const { seconds, phase } = this.now();
        if (!(this.cr.value & BYPSHAD)) this.lockedDr = this.dateValue(seconds);
        const prer = this.prer.value;
        return (prer & 0x7fff) - Math.floor(phase / (((prer >>> 16) & 0x7f) + 1));
      },
    });
    r.define({
      name: 'SHIFTR',
      offset: 0x2c,
      onWrite: (_v, _o, w) => {
        if (this.writable() && w) this.warnOnce('shift', 'sub-second shift (SHIFTR)');
      },
    });
    r.define({ name: 'TSTR', offset: 0x30 });
    r.define({ name: 'TSDR', offset: 0x34 });
    r.define({ name: 'TSSSR', offset: 0x38 });
    this.guarded('CALR', 0x3c, [15, 0], 'smooth calibration (CALR)');
    r.define({
      name: 'TAFCR',
      offset: 0x40,
      fields: [{ name: 'TAFCR', bits: [18, 0] }],
      onWrite: (v, old) => {
        if (!this.backupWritable()) this.regs.register(0x40)!.value = old;
        else if (v & 0x9) this.warnOnce('tamper', 'tamper detection');
      },
    });
    this.guarded('ALRMASSR', 0x44, [27, 0], 'sub-second alarm comparison (MASKSS)', 0x0f000000);
    this.guarded('ALRMBSSR', 0x48, [27, 0], 'sub-second alarm comparison (MASKSS)', 0x0f000000);
    for (let i = 0; i < 20; i++) {
      const reg: Register = r.define({
        name: `BKP${i}R`,
        offset: 0x50 + 4 * i,
        access: 'rw',
        onWrite: (_v, old) => {
          if (!this.backupWritable()) reg.value = old;
        },
      });
      this.bkp.push(reg);
    }

    wiring.onBackupDomainChange?.((bdrst) => (bdrst ? this.backupReset() : this.clockChanged()));
    ctx.clocks.onChange(() => this.clockChanged());
    this.backupReset();
  }

  /** Power-on (and BDRST) clear the backup domain; every other reset leaves the RTC running. */
  override reset(cause: ResetCause = 'power-on'): void {
    if (cause === 'power-on') {
      this.backupReset();
      return;
    }
    this.keyState = 0;
    this.lockedDr = null;
    // The EXTI forgot the line levels in its own reset: drive them again.
    this.lineLevels = -1;
    this.updateIrq();
    this.clockChanged();
  }

  /** Backup-domain reset: registers, calendar 2000-01-01 (Monday) 00:00:00, no events. */
  backupReset(): void {
    for (const a of [...this.eventAlarms, this.wakeupAlarm]) this.ctx.clock.cancel(a);
    this.regs.reset();
    this.hz = 0;
    this.cyclesPerTick = Infinity;
    this.tickBase = 0;
    this.tickBaseCycle = this.ctx.clock.cycles;
    this.calSeconds = 0;
    this.calPhase = 0;
    this.calTick = 0;
    this.weekdayRef = 1;
    this.dayRef = 0;
    this.initfTick = 0;
    this.rsfTick = 2;
    this.keyState = 0;
    this.lockedDr = null;
    this.lineLevels = -1;
    this.updateIrq();
    this.clockChanged();
  }

  override updateIrq(): void {
    const cr = this.cr.value;
    const isr = this.isr.value;
    const alarm = isr & (cr >>> 4) & (ALRAF | ALRBF);
    const levels =
      (alarm ? 1 : 0) | (isr & (cr >>> 4) & WUTF ? 2 : 0) | (isr & (cr >>> 4) & TSF ? 4 : 0);
    const changed = this.lineLevels < 0 ? 7 : levels ^ this.lineLevels;
    this.lineLevels = levels;
    if (changed & 1) this.setExtiLine(RTC_ALARM_EXTI_LINE, (levels & 1) !== 0);
    if (changed & 2) this.setExtiLine(RTC_WAKEUP_EXTI_LINE, (levels & 2) !== 0);
    if (changed & 4) this.setExtiLine(RTC_TAMPER_EXTI_LINE, (levels & 4) !== 0);
  }

  /** RTCCLK frequency in use (0: stopped). */
  get clockFrequency(): number {
    return this.hz;
  }

  // ---- time base ----

  /** Whole RTCCLK ticks since the backup-domain reset (while the clock ran). */
  private ticks(): number {
    if (this.hz === 0) return this.tickBase;
    const elapsed = (this.ctx.clock.cycles - this.tickBaseCycle) / this.cyclesPerTick;
    return this.tickBase + Math.max(0, Math.floor(elapsed + 1e-9));
  }

  /** Follows RTCSEL/RTCEN/oscillator and HCLK changes: the tick rate in cycles. */
  private clockChanged(): void {
    const now = this.ctx.clock.cycles;
    const t = this.ticks();
    if (this.hz !== 0) this.tickBaseCycle += (t - this.tickBase) * this.cyclesPerTick;
    this.tickBase = t;
    const hz = this.clockHz();
    if (this.hz === 0 || hz === 0) this.tickBaseCycle = now;
    this.hz = hz;
    this.cyclesPerTick = hz === 0 ? Infinity : this.ctx.clocks.hclk / hz;
    this.reschedule();
  }

  /** RTCCLK ticks per second (ck_spre period). */
  private ticksPerSecond(): number {
    const prer = this.prer.value;
    return (((prer >>> 16) & 0x7f) + 1) * ((prer & 0x7fff) + 1);
  }

  private initMode(): boolean {
    return (this.isr.value & INIT) !== 0;
  }

  /**
   * Calendar now: seconds since 2000 (not wrapped: the date registers show it modulo a century)
   * and the prescaler phase in ticks.
   */
  private now(): { seconds: number; phase: number } {
    if (this.initMode()) return { seconds: this.calSeconds, phase: this.calPhase };
    const p = this.ticksPerSecond();
    const ticks = this.calPhase + this.ticks() - this.calTick;
    return {
      seconds: this.calSeconds + Math.floor(ticks / p),
      phase: ticks % p,
    };
  }

  /** Folds elapsed time into calSeconds/calPhase at the current tick. */
  private syncCalendar(): void {
    const { seconds, phase } = this.now();
    this.calSeconds = seconds;
    this.calPhase = phase;
    this.calTick = this.ticks();
  }

  private weekdayOf(days: number): number {
    return addWeekdays(this.weekdayRef, days - this.dayRef);
  }

  private dateValue(seconds: number): number {
    const days = Math.floor(seconds / SECONDS_PER_DAY);
    return dateRegister(days, this.weekdayOf(days));
  }

  // ---- events ----

  /** Schedules `alarm` at RTCCLK tick `tick` (nothing while the clock is stopped). */
  private scheduleAtTick(alarm: Alarm, tick: number): void {
    const clock = this.ctx.clock;
    if (this.hz === 0) {
      clock.cancel(alarm);
      return;
    }
    const cycle = this.tickBaseCycle + (tick - this.tickBase) * this.cyclesPerTick;
    clock.scheduleAlarm(alarm, Math.max(0, Math.ceil(cycle - clock.cycles - 1e-9)));
  }

  private reschedule(): void {
    for (const i of [0, 1]) this.scheduleCalendarAlarm(i, null);
    if (this.cr.value & WUTE) this.scheduleAtTick(this.wakeupAlarm, this.wakeupTick);
    else this.ctx.clock.cancel(this.wakeupAlarm);
  }

  /** Next match of alarm `i` after the current second (or after second `after`). */
  private scheduleCalendarAlarm(i: number, after: number | null): void {
    const alarm = this.eventAlarms[i]!;
    if (!(this.cr.value & (ALRAE << i)) || this.initMode() || this.hz === 0) {
      this.ctx.clock.cancel(alarm);
      return;
    }
    this.syncCalendar();
    const from = after ?? this.calSeconds;
    const ampm = (this.cr.value & FMT) !== 0;
    const match = nextAlarmMatch(this.alrmr[i]!.value, ampm, from + 1, (d) => this.weekdayOf(d));
    if (match === null) {
      this.ctx.clock.cancel(alarm);
      return;
    }
    this.alarmSecond[i] = match;
    const p = this.ticksPerSecond();
    this.scheduleAtTick(alarm, this.calTick - this.calPhase + (match - this.calSeconds) * p);
  }

  private alarmMatch(i: number): void {
    this.isr.value = (this.isr.value | (ALRAF << i)) >>> 0;
    this.updateIrq();
    this.scheduleCalendarAlarm(i, this.alarmSecond[i]!);
  }

  private startWakeup(): void {
    const sel = this.cr.value & 7;
    const wut = this.wutr.value & 0xffff;
    this.wakeupPeriod =
      sel < 4
        ? (wut + 1) * (16 >>> sel)
        : (wut + 1 + (sel >= 6 ? 0x10000 : 0)) * this.ticksPerSecond();
    this.wakeupTick = this.ticks() + this.wakeupPeriod;
  }

  private wakeup(): void {
    this.isr.value = (this.isr.value | WUTF) >>> 0;
    this.updateIrq();
    this.wakeupTick += this.wakeupPeriod;
    this.scheduleAtTick(this.wakeupAlarm, this.wakeupTick);
  }

  // ---- registers ----

  /** Write access: PWR_CR.DBP and the WPR key. */
  private writable(): boolean {
    return this.backupWritable() && this.keyState === 2;
  }

  /** TR, DR, PRER: writable only in initialization mode once INITF is set. */
  private initWritable(): boolean {
    return this.writable() && this.initMode() && this.ticks() >= this.initfTick;
  }

  private isrValue(v: number): number {
    const cr = this.cr.value;
    const t = this.ticks();
    v &= ~0x7f;
    if (!(cr & ALRAE)) v |= 1;
    if (!(cr & ALRBE)) v |= 2;
    if (!(cr & WUTE)) v |= 4;
    if (fromBcd((this.dateValue(this.now().seconds) >>> 16) & 0xff) !== 0) v |= 1 << 4; // INITS
    if (!(v & INIT) && this.hz !== 0 && t >= this.rsfTick) v |= 1 << 5; // RSF
    if (v & INIT && t >= this.initfTick) v |= 1 << 6; // INITF
    return v;
  }

  private isrWritten(v: number, written: number, bytes: number): void {
    // Bytes the access did not write keep their value (a STRB clearing ALRAF must not touch INIT).
    const w = (written & bytes) | (v & ~bytes);
    // Flags: rc_w0, writable without the key.
    let next = (v & ~ISR_FLAGS) | (v & w & ISR_FLAGS);
    if (this.writable()) {
      if (bytes & 0xff && !(w & (1 << 5))) this.rsfTick = this.ticks() + 2;
      const init = w & INIT;
      if (init && !(v & INIT)) {
        this.syncCalendar();
        this.initfTick = this.ticks() + 2;
        next |= INIT;
      } else if (!init && v & INIT) {
        // Leaving initialization mode: the prescalers restart from the programmed calendar. The
        // model restarts the RTCCLK phase too, so the first second ends exactly 1 s later.
        this.tickBase = this.ticks();
        this.tickBaseCycle = this.ctx.clock.cycles;
        this.calPhase = 0;
        this.calTick = this.tickBase;
        this.rsfTick = this.calTick + 2;
        next &= ~INIT;
      }
    }
    this.isr.value = next >>> 0;
    this.updateIrq();
    this.reschedule();
  }

  private crWritten(v: number, old: number): void {
    if (!this.writable()) {
      this.cr.value = old;
      return;
    }
    if (v & (ADD1H | SUB1H) && !this.initMode()) {
      // Daylight saving: one hour forward or back without touching the prescalers.
      this.syncCalendar();
      const delta = v & ADD1H ? 3600 : this.calSeconds >= 3600 ? -3600 : 0;
      this.calSeconds += delta;
    }
    v &= ~(ADD1H | SUB1H);
    // WUCKSEL only changes while the wakeup timer is off (WUTWF).
    if (old & WUTE) v = (v & ~7) | (old & 7);
    this.cr.value = v >>> 0;
    if (v & WUTE && !(old & WUTE)) this.startWakeup();
    if (v & (TSE | TSIE)) this.warnOnce('timestamp', 'time stamp');
    if (v & (1 << 7)) this.warnOnce('dce', 'coarse digital calibration (DCE)');
    this.updateIrq();
    this.reschedule();
  }

  /** A stored, write-protected register; a warning once when it is set to a non-zero value. */
  private guarded(
    name: string,
    offset: number,
    bits: [number, number],
    what: string,
    warnMask = 0xffffffff,
  ): void {
    const reg: Register = this.regs.define({
      name,
      offset,
      fields: [{ name, bits }],
      onWrite: (v, old) => {
        if (!this.writable()) reg.value = old;
        else if (v & warnMask) this.warnOnce(name, what);
      },
    });
  }

  private warnOnce(key: string, what: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.ctx.warn(`f4emu: RTC: ${what} is not modelled (stored only)`);
  }
}
