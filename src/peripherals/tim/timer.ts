/**
 * Advanced-control timers TIM1/TIM8 (RM0090 §17), general-purpose timers TIM2-TIM5 (§18) and
 * basic timers TIM6/TIM7 (§20), time base only: prescaler and auto-reload with their preload
 * (shadow) registers, up/down counting, update events (overflow, underflow, UG), UIF and the
 * update interrupt, one-pulse mode.
 *
 * No per-tick work: the counter is computed from virtual cycles (`count0` = counter value at
 * `baseCycle`, `cyclesPerTick` = HCLK cycles per counter tick) and one alarm is scheduled at the
 * next update event (and one at the next output-compare match). Output-compare channels
 * (CCxS = 00) set CCxIF when the counter reaches CCRx; channels in PWM mode with neither CCxIE
 * nor CCxDE set are skipped, so a free-running PWM costs no alarms. CCRx takes effect when
 * written (OCxPE preload is not modelled), and input capture, center-aligned modes (counted as
 * edge-aligned up-counting, with a warning), slave/trigger modes and DMA requests are not
 * modelled.
 *
 * TIM1/TIM8 add, on APB2's timer clock: the repetition counter (RCR, preloaded: the update
 * event comes every RCR+1 overflows or underflows; UG reloads it), BDTR (MOE; AOE sets MOE again
 * at each update event; BG is a software break: BIF and MOE cleared; the BRK pin is not driven
 * by anything on the board, so BKE never sees a break; LOCK is stored, not enforced), the
 * complementary output bits of CCER (CCxNE/CCxNP, used by the output levels), COMG/COMIF, and
 * four interrupt lines (BRK, UP, TRG_COM, CC). CCPC/CCUS preloading of CCxE/CCxNE/OCxM is not
 * modelled (they act when written).
 */
import type { Alarm } from '../../clock/clock.js';
import { Peripheral, irqLine, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';

export interface TimerSpec {
  name: string;
  /** The update interrupt line (TIM1/TIM8: their UP line). */
  irq: number;
  /** TIM1/TIM8 only: their break, trigger/commutation and capture/compare lines. */
  advancedIrqs?: { brk: number; trgCom: number; cc: number };
  /** The APB bus whose timer clock drives the counter. */
  apb: 1 | 2;
  /** Counter width: TIM2/TIM5 are 32-bit, the others 16-bit. */
  bits: 16 | 32;
  /** Basic timers (TIM6/TIM7) have only the time base registers. */
  basic: boolean;
}

/**
 * What differs between the timers modelled (RM0090 18.1, 20.1), by block name; their address
 * and IRQ come from the SoC table. `vector`: the RM0090 table 61 name of the update interrupt.
 */
interface TimerKind {
  bits: 16 | 32;
  basic: boolean;
  vector: string;
  apb: 1 | 2;
  /** Advanced-control timers (RM0090 17): their BRK, TRG_COM and CC vectors. */
  advanced?: { brk: string; trgCom: string; cc: string };
}

const TIMER_KINDS: Readonly<Record<string, TimerKind>> = {
  TIM1: {
    bits: 16,
    basic: false,
    vector: 'TIM1_UP_TIM10',
    apb: 2,
    advanced: { brk: 'TIM1_BRK_TIM9', trgCom: 'TIM1_TRG_COM_TIM11', cc: 'TIM1_CC' },
  },
  TIM2: { bits: 32, basic: false, vector: 'TIM2', apb: 1 },
  TIM3: { bits: 16, basic: false, vector: 'TIM3', apb: 1 },
  TIM4: { bits: 16, basic: false, vector: 'TIM4', apb: 1 },
  TIM5: { bits: 32, basic: false, vector: 'TIM5', apb: 1 },
  TIM6: { bits: 16, basic: true, vector: 'TIM6_DAC', apb: 1 },
  TIM7: { bits: 16, basic: true, vector: 'TIM7', apb: 1 },
  TIM8: {
    bits: 16,
    basic: false,
    vector: 'TIM8_UP_TIM13',
    apb: 2,
    advanced: { brk: 'TIM8_BRK_TIM12', trgCom: 'TIM8_TRG_COM_TIM14', cc: 'TIM8_CC' },
  },
};

const CEN = 1 << 0;
const UDIS = 1 << 1;
const URS = 1 << 2;
const OPM = 1 << 3;
const DIR = 1 << 4;
const CMS = 3 << 5;
const ARPE = 1 << 7;
const UIF = 1 << 0;
const COMIF = 1 << 5;
const BIF = 1 << 7;
/** BDTR (RM0090 17.4.18). */
const MOE = 1 << 15;
const AOE = 1 << 14;

export class Timer extends Peripheral {
  readonly cr1: Register;
  readonly dier: Register;
  readonly sr: Register;
  readonly cnt: Register;
  readonly psc: Register;
  readonly arr: Register;
  private readonly max: number;
  private readonly alarm: Alarm;
  private readonly compareAlarm: Alarm;
  /** Exact cycle of the scheduled compare match and the channels (bit ch) matching then. */
  private compareCycle = 0;
  private compareChannels = 0;
  private readonly ccmr: Register[] = [];
  private readonly ccr: Register[] = [];
  /** Shadow (active) prescaler and auto-reload values. */
  private pscActive = 0;
  private arrActive = 0;
  /** Counter value at `baseCycle`; while stopped, the frozen counter. */
  private count0 = 0;
  private baseCycle = 0;
  private cyclesPerTick = 1;
  /** Exact cycle of the scheduled update event. */
  private updateCycle = 0;
  private running = false;
  /** TIM1/TIM8: BDTR, the repetition counter and its active (preloaded) RCR value. */
  readonly bdtr: Register | undefined;
  private readonly rcr: Register | undefined;
  private rcrActive = 0;
  private repetition = 0;

  readonly spec: TimerSpec;

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    const kind = TIMER_KINDS[block.name];
    if (!kind) throw new Error(`${block.name}: not a timer f4emu models (TIM1-TIM8)`);
    const adv = kind.advanced;
    const spec: TimerSpec = {
      name: block.name,
      irq: irqLine(block, kind.vector),
      bits: kind.bits,
      basic: kind.basic,
      apb: kind.apb,
      ...(adv
        ? {
            advancedIrqs: {
              brk: irqLine(block, adv.brk),
              trgCom: irqLine(block, adv.trgCom),
              cc: irqLine(block, adv.cc),
            },
          }
        : {}),
    };
    this.spec = spec;
    this.max = spec.bits === 32 ? 0xffffffff : 0xffff;
    this.alarm = ctx.clock.createAlarm(() => this.overflow());
    this.compareAlarm = ctx.clock.createAlarm(() => this.compareMatch());
    const r = this.regs;
    const basic = spec.basic;
    const width: [number, number] = [spec.bits - 1, 0];

    this.cr1 = r.define({
      name: 'CR1',
      offset: 0x00,
      fields: basic
        ? [
            { name: 'CEN', bits: 0 },
            { name: 'UDIS', bits: 1 },
            { name: 'URS', bits: 2 },
            { name: 'OPM', bits: 3 },
            { name: 'ARPE', bits: 7 },
          ]
        : [
            { name: 'CEN', bits: 0 },
            { name: 'UDIS', bits: 1 },
            { name: 'URS', bits: 2 },
            { name: 'OPM', bits: 3 },
            { name: 'DIR', bits: 4 },
            { name: 'CMS', bits: [6, 5] },
            { name: 'ARPE', bits: 7 },
            { name: 'CKD', bits: [9, 8] },
          ],
      onWrite: (v, old) => this.cr1Written(v, old),
    });
    r.define({
      name: 'CR2',
      offset: 0x04,
      fields: basic
        ? [{ name: 'MMS', bits: [6, 4] }]
        : adv
          ? [
              { name: 'CCPC', bits: 0 },
              { name: 'CCUS', bits: 2 },
              { name: 'CCDS', bits: 3 },
              { name: 'MMS', bits: [6, 4] },
              { name: 'TI1S', bits: 7 },
              { name: 'OIS', bits: [14, 8] }, // OIS1, OIS1N ... OIS4: idle levels
            ]
          : [
              { name: 'CCDS', bits: 3 },
              { name: 'MMS', bits: [6, 4] },
              { name: 'TI1S', bits: 7 },
            ],
    });
    if (!basic) {
      r.define({
        name: 'SMCR',
        offset: 0x08,
        fields: [
          { name: 'SMS', bits: [2, 0] },
          { name: 'TS', bits: [6, 4] },
          { name: 'MSM', bits: 7 },
          { name: 'ETF', bits: [11, 8] },
          { name: 'ETPS', bits: [13, 12] },
          { name: 'ECE', bits: 14 },
          { name: 'ETP', bits: 15 },
        ],
        onWrite: (v) => {
          if (v & 0x4007)
            this.ctx.warn(`f4emu: ${this.name}: slave/external clock modes are not modelled`);
        },
      });
    }
    this.dier = r.define({
      name: 'DIER',
      offset: 0x0c,
      fields: basic
        ? [
            { name: 'UIE', bits: 0 },
            { name: 'UDE', bits: 8 },
          ]
        : [
            { name: 'UIE', bits: 0 },
            { name: 'CCIE', bits: [4, 1] },
            ...(adv ? [{ name: 'COMIE', bits: 5 }] : []),
            { name: 'TIE', bits: 6 },
            ...(adv ? [{ name: 'BIE', bits: 7 }] : []),
            { name: 'UDE', bits: 8 },
            { name: 'CCDE', bits: [12, 9] as [number, number] },
            ...(adv ? [{ name: 'COMDE', bits: 13 }] : []),
            { name: 'TDE', bits: 14 },
          ],
      onWrite: () => {
        this.updateIrq();
        this.rescheduleCompare();
      },
    });
    this.sr = r.define({
      name: 'SR',
      offset: 0x10,
      fields: basic
        ? [{ name: 'UIF', bits: 0, access: 'rc_w0' }]
        : [
            { name: 'UIF', bits: 0, access: 'rc_w0' },
            { name: 'CCIF', bits: [4, 1], access: 'rc_w0' },
            ...(adv ? [{ name: 'COMIF', bits: 5, access: 'rc_w0' as const }] : []),
            { name: 'TIF', bits: 6, access: 'rc_w0' },
            ...(adv ? [{ name: 'BIF', bits: 7, access: 'rc_w0' as const }] : []),
            { name: 'CCOF', bits: [12, 9] as [number, number], access: 'rc_w0' },
          ],
      onWrite: () => this.updateIrq(),
    });
    r.define({
      name: 'EGR',
      offset: 0x14,
      fields: basic
        ? [{ name: 'UG', bits: 0, access: 'wo' }]
        : [
            { name: 'UG', bits: 0, access: 'wo' },
            { name: 'CCG', bits: [4, 1], access: 'wo' },
            ...(adv ? [{ name: 'COMG', bits: 5, access: 'wo' as const }] : []),
            { name: 'TG', bits: 6, access: 'wo' },
            ...(adv ? [{ name: 'BG', bits: 7, access: 'wo' as const }] : []),
          ],
      onWrite: (v) => this.eventGenerated(v),
    });
    if (!basic) {
      for (const [name, offset] of [
        ['CCMR1', 0x18],
        ['CCMR2', 0x1c],
      ] as const) {
        const reg = r.define({
          name,
          offset,
          fields: [{ name: 'CCMR', bits: [15, 0] }],
          onWrite: () => this.rescheduleCompare(),
        });
        this.ccmr.push(reg);
      }
      r.define({ name: 'CCER', offset: 0x20, fields: [{ name: 'CCER', bits: [15, 0] }] });
    }
    this.cnt = r.define({
      name: 'CNT',
      offset: 0x24,
      fields: [{ name: 'CNT', bits: width }],
      onRead: () => this.counter(),
      onWrite: (v) => this.setCounter(v),
    });
    this.psc = r.define({ name: 'PSC', offset: 0x28, fields: [{ name: 'PSC', bits: [15, 0] }] });
    // RM0090 gives 0 as the ARR reset value: the counter is blocked until firmware sets it.
    this.arr = r.define({
      name: 'ARR',
      offset: 0x2c,
      fields: [{ name: 'ARR', bits: width }],
      onWrite: (v) => {
        if (this.cr1.value & ARPE) return;
        this.sync();
        this.arrActive = v;
        this.reschedule();
      },
    });
    if (!basic) {
      for (let ch = 1; ch <= 4; ch++) {
        const reg = r.define({
          name: `CCR${ch}`,
          offset: 0x30 + 4 * ch,
          fields: [{ name: 'CCR', bits: width }],
          onWrite: () => this.rescheduleCompare(),
        });
        this.ccr.push(reg);
      }
      r.define({
        name: 'DCR',
        offset: 0x48,
        fields: [
          { name: 'DBA', bits: [4, 0] },
          { name: 'DBL', bits: [12, 8] },
        ],
      });
      r.define({ name: 'DMAR', offset: 0x4c, fields: [{ name: 'DMAB', bits: [15, 0] }] });
      if (adv) {
        // RCR is preloaded: it becomes the repetition counter at the next update event.
        this.rcr = r.define({ name: 'RCR', offset: 0x30, fields: [{ name: 'REP', bits: [7, 0] }] });
        this.bdtr = r.define({
          name: 'BDTR',
          offset: 0x44,
          fields: [
            { name: 'DTG', bits: [7, 0] },
            { name: 'LOCK', bits: [9, 8] },
            { name: 'OSSI', bits: 10 },
            { name: 'OSSR', bits: 11 },
            { name: 'BKE', bits: 12 },
            { name: 'BKP', bits: 13 },
            { name: 'AOE', bits: 14 },
            { name: 'MOE', bits: 15 },
          ],
        });
      }
      if (spec.name === 'TIM2')
        r.define({ name: 'OR', offset: 0x50, fields: [{ name: 'ITR1_RMP', bits: [11, 10] }] });
      if (spec.name === 'TIM5')
        r.define({ name: 'OR', offset: 0x50, fields: [{ name: 'TI4_RMP', bits: [7, 6] }] });
    }
    ctx.clocks.onChange(() => {
      this.sync();
      this.reschedule();
    });
    this.computeTick();
  }

  override reset(): void {
    this.ctx.clock.cancel(this.alarm);
    this.ctx.clock.cancel(this.compareAlarm);
    super.reset();
    this.pscActive = 0;
    this.arrActive = 0;
    this.rcrActive = 0;
    this.repetition = 0;
    this.count0 = 0;
    this.baseCycle = this.ctx.clock.cycles;
    this.running = false;
    this.computeTick();
  }

  override updateIrq(): void {
    const pending = this.sr.value & this.dier.value;
    const adv = this.spec.advancedIrqs;
    if (!adv) {
      this.ctx.setIrq(this.spec.irq, (pending & 0x5f) !== 0);
      return;
    }
    // TIM1/TIM8: four lines (RM0090 table 61): UP, CC1-4, TRG+COM, BRK.
    this.ctx.setIrq(this.spec.irq, (pending & UIF) !== 0);
    this.ctx.setIrq(adv.cc, (pending & 0x1e) !== 0);
    this.ctx.setIrq(adv.trgCom, (pending & (0x40 | COMIF)) !== 0);
    this.ctx.setIrq(adv.brk, (pending & BIF) !== 0);
  }

  /** HCLK cycles per counter tick: timer kernel clock (APBx ×1 or ×2) divided by PSC+1. */
  private computeTick(): void {
    const clocks = this.ctx.clocks;
    this.cyclesPerTick = (clocks.hclk * (this.pscActive + 1)) / clocks.timerClock(this.spec.apb);
  }

  private countingDown(): boolean {
    return (this.cr1.value & (DIR | CMS)) === DIR;
  }

  /** Whole ticks elapsed since `baseCycle`. */
  private ticksSinceBase(): number {
    // The epsilon absorbs rounding of baseCycle + n * cyclesPerTick (non-integer tick lengths).
    return Math.floor((this.ctx.clock.cycles - this.baseCycle) / this.cyclesPerTick + 1e-9);
  }

  /** Current counter value. */
  counter(): number {
    if (!this.running) return this.count0;
    const t = this.ticksSinceBase();
    if (t <= 0) return this.count0;
    return this.advance(this.count0, t);
  }

  /** The counter `t` ticks after holding `c` (t never exceeds the ticks to the next update). */
  private advance(c: number, t: number): number {
    const arr = this.arrActive;
    if (this.countingDown()) {
      const v = c - t;
      return v >= 0 ? v : arr + 1 + (v % (arr + 1 || 1));
    }
    const top = c > arr ? this.max : arr;
    const v = c + t;
    return v <= top ? v : (v - top - 1) % (arr + 1 || 1);
  }

  /** Moves the base to the last tick boundary (keeps the prescaler phase). */
  private sync(): void {
    if (this.running) {
      const t = Math.max(0, this.ticksSinceBase());
      this.count0 = this.advance(this.count0, t);
      this.baseCycle += t * this.cyclesPerTick;
    } else {
      this.baseCycle = this.ctx.clock.cycles;
    }
    this.computeTick();
  }

  private reschedule(): void {
    const clock = this.ctx.clock;
    clock.cancel(this.alarm);
    // The counter is blocked while the auto-reload value is 0.
    this.running = (this.cr1.value & CEN) !== 0 && this.arrActive !== 0;
    if (!this.running) {
      clock.cancel(this.compareAlarm);
      return;
    }
    const c = this.count0;
    const ticks = this.countingDown()
      ? c + 1
      : (c > this.arrActive ? this.max : this.arrActive) - c + 1;
    this.updateCycle = this.baseCycle + ticks * this.cyclesPerTick;
    clock.scheduleAlarm(this.alarm, Math.ceil(this.updateCycle - clock.cycles - 1e-9));
    this.rescheduleCompare();
  }

  /** Output-compare channels that set CCxIF on a match (bit ch-1 per channel). */
  private compareChannelMask(): number {
    if (this.ccmr.length === 0) return 0;
    const dier = this.dier.value;
    let mask = 0;
    for (let ch = 0; ch < 4; ch++) {
      const mode = (this.ccmr[ch >> 1]!.value >>> (8 * (ch & 1))) & 0xff;
      if ((mode & 3) !== 0) continue; // input capture
      const pwm = ((mode >>> 4) & 7) >= 6;
      const wanted = (dier >>> (ch + 1)) & 1 || (dier >>> (ch + 9)) & 1;
      if (pwm && !wanted) continue;
      mask |= 1 << ch;
    }
    return mask;
  }

  /** Schedules the next compare match within the current counter period. */
  private rescheduleCompare(): void {
    const clock = this.ctx.clock;
    clock.cancel(this.compareAlarm);
    if (!this.running) return;
    // From the current counter position (the base is at most one period old).
    const t = Math.max(0, this.ticksSinceBase());
    const ticks = this.ticksToCompare(this.advance(this.count0, t));
    if (ticks === Infinity) return;
    this.compareCycle = this.baseCycle + (t + ticks) * this.cyclesPerTick;
    clock.scheduleAlarm(this.compareAlarm, Math.ceil(this.compareCycle - clock.cycles - 1e-9));
  }

  /**
   * Ticks from counter value `now` to the nearest compare match before the next update event
   * (Infinity if none); the matching channels go to `compareChannels`.
   */
  private ticksToCompare(now: number): number {
    const mask = this.compareChannelMask();
    const down = this.countingDown();
    const top = now > this.arrActive ? this.max : this.arrActive;
    let best = Infinity;
    let channels = 0;
    for (let ch = 0; ch < 4; ch++) {
      if (!(mask & (1 << ch))) continue;
      const ccr = this.ccr[ch]!.value;
      let ticks = Infinity;
      if (down && ccr < now) ticks = now - ccr;
      if (!down && ccr > now && ccr <= top) ticks = ccr - now;
      if (ticks < best) {
        best = ticks;
        channels = 0;
      }
      if (ticks === best && ticks !== Infinity) channels |= 1 << ch;
    }
    this.compareChannels = channels;
    return best;
  }

  /** Alarm: the counter reached CCRx of the channels in `compareChannels`. */
  private compareMatch(): void {
    this.setCompareFlags(this.compareChannels);
    const now = this.advance(this.count0, Math.max(0, this.ticksSinceBase()));
    const ticks = this.ticksToCompare(now);
    if (ticks === Infinity) return;
    this.compareCycle += ticks * this.cyclesPerTick;
    const clock = this.ctx.clock;
    clock.scheduleAlarm(this.compareAlarm, Math.ceil(this.compareCycle - clock.cycles - 1e-9));
  }

  /** Channels whose CCR equals `count` (the counter just reloaded to it) match now. */
  private matchAt(count: number): void {
    const mask = this.compareChannelMask();
    let channels = 0;
    for (let ch = 0; ch < 4; ch++)
      if (mask & (1 << ch) && this.ccr[ch]!.value === count) channels |= 1 << ch;
    this.setCompareFlags(channels);
  }

  private setCompareFlags(channels: number): void {
    if (channels === 0) return;
    this.sr.value = (this.sr.value | (channels << 1)) >>> 0;
    this.updateIrq();
  }

  /** Alarm: the counter overflowed (up) or underflowed (down). */
  private overflow(): void {
    this.baseCycle = this.updateCycle;
    const cr1 = this.cr1.value;
    // TIM1/TIM8: an update event only once the repetition counter has run down (RCR+1 periods).
    const repeat = this.rcr !== undefined && this.repetition > 0;
    if (repeat) this.repetition--;
    else if (!(cr1 & UDIS)) this.updateEvent();
    this.count0 = this.countingDown() ? this.arrActive : 0;
    this.matchAt(this.count0);
    if (cr1 & OPM) {
      this.cr1.value = (cr1 & ~CEN) >>> 0;
      this.running = false;
      return;
    }
    this.computeTick();
    this.reschedule();
  }

  /** Update event: preloaded PSC and ARR become active, UIF is set. */
  private updateEvent(setFlag = true): void {
    this.pscActive = this.psc.value & 0xffff;
    if (this.cr1.value & ARPE) this.arrActive = this.arr.value;
    if (this.rcr) {
      this.rcrActive = this.rcr.value & 0xff;
      this.repetition = this.rcrActive;
      // AOE: MOE is set again at the update event (RM0090 17.4.18).
      if (this.bdtr && this.bdtr.value & AOE) this.bdtr.value = (this.bdtr.value | MOE) >>> 0;
    }
    if (setFlag) {
      this.sr.value = (this.sr.value | UIF) >>> 0;
      this.updateIrq();
    }
  }

  private eventGenerated(v: number): void {
    this.regs.register(0x14)!.value = 0;
    if (v & 1) {
      // UG: reinitialise the counter and the prescaler counter; update event unless UDIS.
      const cr1 = this.cr1.value;
      if (!(cr1 & UDIS)) this.updateEvent(!(cr1 & URS));
      this.count0 = this.countingDown() ? this.arrActive : 0;
      this.baseCycle = this.ctx.clock.cycles;
      this.computeTick();
      this.reschedule();
    }
    const flags = v & (this.rcr ? 0x7e : 0x5e);
    if (flags) {
      // CCxG / TG (and COMG on TIM1/TIM8): set the flags (capture itself is not modelled).
      this.sr.value = (this.sr.value | flags) >>> 0;
      this.updateIrq();
    }
    if (v & 0x80 && this.bdtr) {
      // BG: a break by software: BIF, and MOE cleared (the outputs go to their idle state).
      this.bdtr.value = (this.bdtr.value & ~MOE) >>> 0;
      this.sr.value = (this.sr.value | BIF) >>> 0;
      this.updateIrq();
    }
  }

  /**
   * The fraction of a counter period channel `ch` (0-3) holds its output pin high, computed from
   * CCMRx/CCRx/ARR/CCER on demand (no alarm per PWM edge): PWM mode 1 (high while CNT < CCRx,
   * up-counting) and 2, forced active/inactive, CCxP inverting, while the counter runs; stopped,
   * the level at the frozen counter. null when the channel does not drive its pin: an input,
   * CCxE clear, MOE clear (TIM1/TIM8), or a mode whose level f4emu does not follow (frozen,
   * match set/clear/toggle).
   */
  outputDuty(ch: number): number | null {
    const ccer = this.regs.register(0x20)?.value ?? 0;
    if (this.ccmr.length === 0 || !((ccer >>> (4 * ch)) & 1)) return null;
    if (this.bdtr && !(this.bdtr.value & MOE)) return null;
    const mode = (this.ccmr[ch >> 1]!.value >>> (8 * (ch & 1))) & 0xff;
    if ((mode & 3) !== 0) return null;
    const oc = (mode >>> 4) & 7;
    const ccr = this.ccr[ch]!.value;
    let high: number;
    if (oc === 4 || oc === 5) high = oc - 4;
    else if (oc === 6 || oc === 7) {
      const period = this.arrActive + 1;
      high = this.running ? Math.min(ccr, period) / period : this.counter() < ccr ? 1 : 0;
      if (oc === 7) high = 1 - high;
    } else return null;
    return (ccer >>> (4 * ch + 1)) & 1 ? 1 - high : high;
  }

  private setCounter(v: number): void {
    this.sync();
    this.count0 = (v & this.max) >>> 0;
    this.reschedule();
  }

  private cr1Written(v: number, old: number): void {
    if ((v & CMS) !== 0 && (old & CMS) === 0) {
      this.ctx.warn(`f4emu: ${this.name}: center-aligned mode is counted as edge-aligned`);
    }
    if ((v ^ old) & (CEN | DIR | CMS | ARPE)) {
      // Freeze the counter at the old settings, then continue with the new ones.
      const was = this.cr1.value;
      this.cr1.value = old;
      this.sync();
      this.cr1.value = was;
      if (v & CEN && !(old & CEN)) this.baseCycle = this.ctx.clock.cycles;
      this.reschedule();
    }
  }
}
