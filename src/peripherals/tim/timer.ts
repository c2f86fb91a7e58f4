/**
 * Advanced-control timers TIM1/TIM8 (RM0090 §17), general-purpose timers TIM2-TIM5 (§18) and
 * basic timers TIM6/TIM7 (§21): prescaler and auto-reload with their preload (shadow) registers,
 * edge-aligned up/down and centre-aligned counting (CMS 01/10/11: 0..ARR-1 up, overflow, ARR..1
 * down, underflow; DIR read-only and following the direction), update events (overflow,
 * underflow, UG), UIF and the update interrupt, one-pulse mode.
 *
 * No per-tick work: the counter is computed from virtual cycles (`count0` = counter value at
 * `baseCycle`, `cyclesPerTick` = HCLK cycles per counter tick) and one alarm is scheduled at the
 * next update event (and one at the next output-compare match). Output-compare channels
 * (CCxS = 00) set CCxIF when the counter reaches CCRx (in centre-aligned mode counting down for
 * CMS=01, up for 10, both for 11); channels in PWM mode with neither CCxIE nor CCxDE set are
 * skipped, so a free-running PWM costs no alarms. Output levels and duty cycles come from
 * ./timerChannels.ts and ./pwm.ts on demand (`outputLevel`, `outputDuty`). CCRx takes effect when
 * written (OCxPE preload is not modelled); input capture and slave/trigger modes are not
 * modelled.
 *
 * DMA requests (./timerDma.ts wires them to the streams of RM0090 tables 42/43): UDE at update
 * events (not UG when URS=1), CCxDE at compare matches and CCxG (or at update events when
 * CR2.CCDS=1), TDE at TG, COMDE at COM events. A request stays up until the DMA acknowledges a
 * transfer; DCR/DMAR bursts: each DMAR access reaches the register DBA + n, and the request stays
 * up for DBL+1 transfers.
 *
 * TIM1/TIM8 add, on APB2's timer clock: the repetition counter (RCR, preloaded: the update
 * event comes every RCR+1 overflows or underflows; UG reloads it), BDTR (MOE; AOE sets MOE again
 * at each update event; BG is a software break: BIF and MOE cleared; the BRK pin is not driven
 * by anything on the board, so BKE never sees a break; LOCK is stored, not enforced), the
 * complementary outputs OCxN with dead-time (DTG, tDTS from CKD), the idle levels OISx when MOE
 * is clear and OSSI set, CCPC preloading of CCxE/CCxNE/OCxM transferred at a COM event (COMG;
 * CCUS's TRGI edge is not modelled, there being no trigger input; ./timerChannels.ts keeps the
 * values in force), and four interrupt lines (BRK, UP, TRG_COM, CC).
 */
import type { Alarm } from '../../clock/clock.js';
import { TimerDmaRequests, type TimerDmaRequest } from './dmaRequests.js';
import { Peripheral, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';
import {
  AOE,
  ARPE,
  BG,
  BIF,
  CCDS,
  CEN,
  CMS,
  CMS_SHIFT,
  COMG,
  COMIF,
  DIR,
  MOE,
  OPM,
  TG,
  TIF,
  UDIS,
  UG,
  UIF,
  URS,
  timerSpec,
  type TimerSpec,
} from './timerKinds.js';
import { defineTimerRegisters, type TimerRegisters } from './timerRegisters.js';
import type { ChannelOutputs } from './outputs.js';
import { levelAt, phaseOf, duty, type CountMode } from './pwm.js';
import { ChannelsInForce, compareChannelMask } from './timerChannels.js';

export type { TimerSpec } from './timerKinds.js';

export type { TimerDmaRequest } from './dmaRequests.js';

export class Timer extends Peripheral {
  readonly cr1: Register;
  readonly dier: Register;
  readonly sr: Register;
  readonly cnt: Register;
  readonly psc: Register;
  readonly arr: Register;
  /** TIM1/TIM8: BDTR. */
  readonly bdtr: Register | undefined;
  readonly spec: TimerSpec;
  private readonly r: TimerRegisters;
  private readonly max: number;
  private readonly alarm: Alarm;
  private readonly compareAlarm: Alarm;
  /** Exact cycle of the scheduled compare match and the channels (bit ch) matching then. */
  private compareCycle = 0;
  private compareChannels = 0;
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
  /** TIM1/TIM8: the active (preloaded) RCR value and the repetition down-counter. */
  private rcrActive = 0;
  private repetition = 0;
  /** CCER and CCMR1/2 in force (CCPC preloading) and the channels' outputs. */
  private readonly channels: ChannelsInForce;
  private readonly dma: TimerDmaRequests;

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    const spec = timerSpec(block);
    this.spec = spec;
    this.max = spec.bits === 32 ? 0xffffffff : 0xffff;
    this.alarm = ctx.clock.createAlarm(() => this.overflow());
    this.compareAlarm = ctx.clock.createAlarm(() => this.compareMatch());
    this.dma = new TimerDmaRequests(
      () => this.dier.value,
      () => this.r.dcr?.value ?? 0,
      block.size,
    );
    this.r = defineTimerRegisters(this.regs, spec, {
      cr1Written: (v, old) => this.cr1Written(v, old),
      cr2Written: () => this.channels.syncPreloads(),
      smcrWritten: (v) => {
        if (v & 0x4007)
          this.ctx.warn(`f4emu: ${this.name}: slave/external clock modes are not modelled`);
      },
      dierWritten: () => {
        this.updateIrq();
        this.dma.update();
        this.rescheduleCompare();
      },
      srWritten: () => this.updateIrq(),
      egrWritten: (v) => this.eventGenerated(v),
      ccmrWritten: () => {
        this.channels.syncPreloads();
        this.rescheduleCompare();
      },
      ccerWritten: () => this.channels.syncPreloads(),
      readCounter: () => this.counter(),
      setCounter: (v) => this.setCounter(v),
      arrWritten: (v) => {
        if (this.cr1.value & ARPE) return;
        this.sync();
        this.arrActive = v;
        this.reschedule();
      },
      ccrWritten: () => this.rescheduleCompare(),
      dcrWritten: () => this.dma.restartBurst(),
      dmarRead: () => this.dma.dmarAccess((offset) => this.regs.read(offset, 4)),
      dmarWritten: (v, mask) =>
        this.dma.dmarAccess((offset) => this.regs.write(offset, v & mask, 4)),
    });
    const r = this.r;
    this.channels = new ChannelsInForce(r);
    this.cr1 = r.cr1;
    this.dier = r.dier;
    this.sr = r.sr;
    this.cnt = r.cnt;
    this.psc = r.psc;
    this.arr = r.arr;
    this.bdtr = r.bdtr;
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
    this.channels.reset();
    this.dma.reset();
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
    this.ctx.setIrq(adv.trgCom, (pending & (TIF | COMIF)) !== 0);
    this.ctx.setIrq(adv.brk, (pending & BIF) !== 0);
  }

  /** Adds a driver of DMA request `request` (a DMA stream's request input). */
  connectDma(request: TimerDmaRequest, drive: (level: boolean) => void): void {
    this.dma.connect(request, drive);
  }

  /** The DMA acknowledged a transfer for `requests` (./dmaRequests.ts). */
  acknowledgeDma(requests: readonly TimerDmaRequest[]): void {
    this.dma.acknowledge(requests);
  }

  // ---- time base ----------------------------------------------------------------------------

  /** HCLK cycles per counter tick: timer kernel clock (APBx ×1 or ×2) divided by PSC+1. */
  private computeTick(): void {
    const clocks = this.ctx.clocks;
    this.cyclesPerTick = (clocks.hclk * (this.pscActive + 1)) / clocks.timerClock(this.spec.apb);
  }

  private countMode(): CountMode {
    if (this.cr1.value & CMS) return 'center';
    return this.cr1.value & DIR ? 'down' : 'up';
  }

  /** Counting down: DIR (in centre-aligned mode, the direction the hardware keeps there). */
  private countingDown(): boolean {
    return (this.cr1.value & DIR) !== 0;
  }

  private centerAligned(): boolean {
    return (this.cr1.value & CMS) !== 0;
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

  /**
   * MmioDevice.readStableUntil: CNT reads the same until the counter's next tick (a cycle early,
   * against rounding of non-integer tick lengths); stopped, until something writes.
   */
  readStableUntil(offset: number): number | undefined {
    if ((offset & ~3) !== this.cnt.spec.offset) return undefined;
    if (!this.running) return Infinity;
    const t = Math.max(0, this.ticksSinceBase());
    return Math.ceil(this.baseCycle + (t + 1 - 1e-9) * this.cyclesPerTick) - 1;
  }

  /** The counter `t` ticks after holding `c` (t never exceeds the ticks to the next update). */
  private advance(c: number, t: number): number {
    const arr = this.arrActive;
    if (this.centerAligned() && c <= arr) {
      if (this.countingDown()) {
        const v = c - t;
        return v >= 0 ? v : Math.min(-v, arr);
      }
      const v = c + t;
      return v <= arr ? v : Math.max(2 * arr - v, 0);
    }
    if (this.countingDown()) {
      const v = c - t;
      return v >= 0 ? v : arr + 1 + (v % (arr + 1 || 1));
    }
    const top = c > arr ? this.max : arr;
    const v = c + t;
    return v <= top ? v : (v - top - 1) % (arr + 1 || 1);
  }

  /** Ticks from counter value `c` to the next overflow or underflow. */
  private ticksToUpdate(c: number): number {
    const arr = this.arrActive;
    if (this.centerAligned() && c <= arr) return this.countingDown() ? c : arr - c;
    if (this.countingDown()) return c + 1;
    return (c > arr ? this.max : arr) - c + 1;
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

  private setDirection(down: boolean): void {
    this.cr1.value = down ? (this.cr1.value | DIR) >>> 0 : (this.cr1.value & ~DIR) >>> 0;
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
    // Centre-aligned at an end of its range: it turns there.
    if (this.centerAligned() && c === 0 && this.countingDown()) this.setDirection(false);
    if (this.centerAligned() && c === this.arrActive && !this.countingDown())
      this.setDirection(true);
    const ticks = this.ticksToUpdate(c);
    this.updateCycle = this.baseCycle + ticks * this.cyclesPerTick;
    clock.scheduleAlarm(this.alarm, Math.ceil(this.updateCycle - clock.cycles - 1e-9));
    this.rescheduleCompare();
  }

  /** Alarm: the counter overflowed (up) or underflowed (down). */
  private overflow(): void {
    this.baseCycle = this.updateCycle;
    const cr1 = this.cr1.value;
    const down = this.countingDown();
    const center = this.centerAligned() && this.count0 <= this.arrActive;
    const top = this.arrActive;
    // TIM1/TIM8: an update event only once the repetition counter has run down (RCR+1 periods;
    // in centre-aligned mode overflows and underflows both count, RM0090 17.3.3).
    const repeat = this.r.rcr !== undefined && this.repetition > 0;
    if (repeat) this.repetition--;
    else if (!(cr1 & UDIS)) this.updateEvent();
    if (center) {
      // Overflow at ARR: count down from there; underflow at 0: count up.
      this.count0 = down ? 0 : top;
      this.setDirection(!down);
    } else this.count0 = down ? this.arrActive : 0;
    this.matchAt(this.count0, down);
    if (cr1 & OPM) {
      this.cr1.value = (this.cr1.value & ~CEN) >>> 0;
      this.running = false;
      return;
    }
    this.computeTick();
    this.reschedule();
  }

  /** Update event: preloaded PSC and ARR become active, UIF is set, the DMA requested. */
  private updateEvent(setFlag = true): void {
    this.pscActive = this.psc.value & 0xffff;
    if (this.cr1.value & ARPE) this.arrActive = this.arr.value;
    if (this.r.rcr) {
      this.rcrActive = this.r.rcr.value & 0xff;
      this.repetition = this.rcrActive;
      // AOE: MOE is set again at the update event (RM0090 17.4.18).
      if (this.bdtr && this.bdtr.value & AOE) this.bdtr.value = (this.bdtr.value | MOE) >>> 0;
    }
    if (setFlag) {
      this.sr.value = (this.sr.value | UIF) >>> 0;
      this.updateIrq();
      // CCDS=1: the capture/compare DMA requests go out at the update event (RM0090 17.4.2).
      const cc = this.r.cr2.value & CCDS ? 0x1e & (this.dier.value >>> 8) : 0;
      this.dma.raise(UIF | cc);
    }
  }

  private eventGenerated(v: number): void {
    this.r.egr.value = 0;
    if (v & UG) {
      // UG: reinitialise the counter and the prescaler counter; update event unless UDIS.
      const cr1 = this.cr1.value;
      if (!(cr1 & UDIS)) this.updateEvent(!(cr1 & URS));
      this.count0 = this.countingDown() && !this.centerAligned() ? this.arrActive : 0;
      if (this.centerAligned()) this.setDirection(false);
      this.baseCycle = this.ctx.clock.cycles;
      this.computeTick();
      this.reschedule();
    }
    if (this.spec.basic) return;
    // CCxG / TG: the flags and their DMA requests (capture itself is not modelled).
    const cc = v & 0x1e;
    if (cc) this.setCompareFlags(cc >>> 1, true);
    if (v & TG) {
      this.sr.value = (this.sr.value | TIF) >>> 0;
      this.updateIrq();
      this.dma.raise(TIF);
    }
    if (!this.r.rcr) return;
    if (v & COMG) this.commutation();
    if (v & BG && this.bdtr) {
      // BG: a break by software: BIF, and MOE cleared (the outputs go to their idle state).
      this.bdtr.value = (this.bdtr.value & ~MOE) >>> 0;
      this.sr.value = (this.sr.value | BIF) >>> 0;
      this.updateIrq();
    }
  }

  /**
   * COM event (RM0090 17.3.12): with CCPC set, the preloaded CCxE, CCxNE and OCxM bits come into
   * force; COMIF is set and COMDE requests the DMA.
   */
  private commutation(): void {
    this.channels.commutation();
    this.sr.value = (this.sr.value | COMIF) >>> 0;
    this.updateIrq();
    this.dma.raise(COMIF);
  }

  // ---- output compare -----------------------------------------------------------------------

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
   * (Infinity if none); the matching channels go to `compareChannels`. A match at the value the
   * update event reaches (0, or ARR in centre-aligned mode) is `matchAt`'s.
   */
  private ticksToCompare(now: number): number {
    const mask = compareChannelMask(this.r.ccmr, this.dier.value);
    const down = this.countingDown();
    const center = this.centerAligned() && now <= this.arrActive;
    const top = now > this.arrActive ? this.max : this.arrActive;
    let best = Infinity;
    let channels = 0;
    for (let ch = 0; ch < 4; ch++) {
      if (!(mask & (1 << ch))) continue;
      const ccr = this.r.ccr[ch]!.value;
      let ticks = Infinity;
      if (down && ccr < now && !(center && ccr === 0)) ticks = now - ccr;
      if (!down && ccr > now && (center ? ccr < top : ccr <= top)) ticks = ccr - now;
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
    this.setCompareFlags(this.compareChannels, false, this.countingDown());
    const now = this.advance(this.count0, Math.max(0, this.ticksSinceBase()));
    const ticks = this.ticksToCompare(now);
    if (ticks === Infinity) return;
    this.compareCycle += ticks * this.cyclesPerTick;
    const clock = this.ctx.clock;
    clock.scheduleAlarm(this.compareAlarm, Math.ceil(this.compareCycle - clock.cycles - 1e-9));
  }

  /** Channels whose CCR equals `count` (reached at an update event, counting down or up) match. */
  private matchAt(count: number, down: boolean): void {
    const mask = compareChannelMask(this.r.ccmr, this.dier.value);
    let channels = 0;
    for (let ch = 0; ch < 4; ch++)
      if (mask & (1 << ch) && this.r.ccr[ch]!.value === count) channels |= 1 << ch;
    this.setCompareFlags(channels, false, down);
  }

  /**
   * CCxIF for `channels` (bit ch), and their DMA requests unless CCDS defers them to the update
   * event. A match in centre-aligned mode counts only in the direction(s) CMS selects; CCxG
   * (`generated`) always does.
   */
  private setCompareFlags(channels: number, generated: boolean, down = false): void {
    if (channels === 0) return;
    const cms = (this.cr1.value & CMS) >>> CMS_SHIFT;
    if (!generated && cms !== 0 && cms !== 3 && (cms === 1) !== down) return;
    const flags = (channels << 1) & 0x1e;
    this.sr.value = (this.sr.value | flags) >>> 0;
    this.updateIrq();
    if (generated || !(this.r.cr2.value & CCDS)) this.dma.raise(flags);
  }

  /** The outputs of channel `ch` (0-3) as the registers in force set them. */
  private channelOutputs(ch: number): ChannelOutputs | null {
    const mode = this.countMode();
    return this.channels.outputs(ch, this.arrActive, mode, this.cr1.value, this.pscActive);
  }

  /** The phase of the counter now, with the fraction of the current tick (./pwm.ts). */
  private phaseNow(): number {
    const cnt = this.counter();
    const base = phaseOf(cnt, this.countingDown(), this.arrActive, this.countMode());
    if (!this.running) return base;
    const ticks = (this.ctx.clock.cycles - this.baseCycle) / this.cyclesPerTick;
    return base + Math.max(0, ticks - Math.floor(ticks + 1e-9));
  }

  /**
   * The level channel `ch` (0-3) drives on its OCx pin now (`complementary`: OCxN, TIM1/TIM8),
   * dead-time included; null when the output is not driven (disabled, an input, or a mode
   * whose level f4emu does not follow).
   */
  outputLevel(ch: number, complementary = false): boolean | null {
    const out = this.channelOutputs(ch);
    const o = complementary ? out?.ocn : out?.oc;
    if (!o) return null;
    if (o.constant !== undefined) return o.constant;
    if (!this.running && this.arrActive === 0) return o.inverted !== levelAt(o.window, 0);
    return o.inverted !== levelAt(o.window, this.phaseNow());
  }

  /**
   * The fraction of a counter period channel `ch` (0-3) holds its OCx (or OCxN) pin high:
   * PWM modes 1/2 in edge-aligned up/down and centre-aligned counting, forced levels, polarity,
   * dead-time; while the counter is stopped, the level it holds. null when not driven.
   */
  outputDuty(ch: number, complementary = false): number | null {
    const out = this.channelOutputs(ch);
    const o = complementary ? out?.ocn : out?.oc;
    if (!o) return null;
    if (o.constant !== undefined) return o.constant ? 1 : 0;
    if (!this.running) return this.outputLevel(ch, complementary) ? 1 : 0;
    const high = duty(o.window);
    return o.inverted ? 1 - high : high;
  }

  private setCounter(v: number): void {
    this.sync();
    this.count0 = (v & this.max) >>> 0;
    this.reschedule();
  }

  private cr1Written(v: number, old: number): void {
    // DIR is read-only in centre-aligned mode (RM0090 17.4.1): the counter keeps its direction.
    if (old & CMS && v & CMS) {
      v = ((v & ~DIR) | (old & DIR)) >>> 0;
      this.cr1.value = v;
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
