/**
 * A timer's capture/compare channels as their registers act on them: which output-compare
 * channels set CCxIF on a match (CCMRx, DIER), the CCER and CCMR1/2 values in force (TIM1/TIM8
 * with CR2.CCPC: CCxE, CCxNE and OCxM preloaded, moved into force at a COM event, RM0090
 * 17.3.12), and each channel's output stage from them (./outputs.ts). ./timer.ts follows the
 * counter and schedules the compare matches; nothing here runs per counter tick.
 */
import type { Register } from '../registers.js';
import { CCER_PRELOADED, CCMR_PRELOADED, CCPC, CKD_SHIFT } from './timerKinds.js';
import type { TimerRegisters } from './timerRegisters.js';
import { channelWindow, type ChannelOutputs } from './outputs.js';
import type { CountMode } from './pwm.js';

/** Output-compare channels that set CCxIF on a match (bit ch-1 per channel). */
export function compareChannelMask(ccmr: readonly Register[], dier: number): number {
  if (ccmr.length === 0) return 0;
  let mask = 0;
  for (let ch = 0; ch < 4; ch++) {
    const mode = (ccmr[ch >> 1]!.value >>> (8 * (ch & 1))) & 0xff;
    if ((mode & 3) !== 0) continue; // input capture
    const pwm = ((mode >>> 4) & 7) >= 6;
    const wanted = (dier >>> (ch + 1)) & 1 || (dier >>> (ch + 9)) & 1;
    if (pwm && !wanted) continue;
    mask |= 1 << ch;
  }
  return mask;
}

/** CCER and CCMR1/CCMR2 as they act on the channels, and the channels' outputs from them. */
export class ChannelsInForce {
  /** CCPC: the CCER and CCMR1/2 values in force (their preloaded bits moved at COM events). */
  private ccerActive = 0;
  private readonly ccmrActive = [0, 0];

  constructor(private readonly r: TimerRegisters) {}

  reset(): void {
    this.ccerActive = 0;
    this.ccmrActive.fill(0);
  }

  /** COM event (RM0090 17.3.12): the preloaded CCxE, CCxNE and OCxM bits come into force. */
  commutation(): void {
    this.ccerActive = this.r.ccer?.value ?? 0;
    this.ccmrActive[0] = this.r.ccmr[0]?.value ?? 0;
    this.ccmrActive[1] = this.r.ccmr[1]?.value ?? 0;
  }

  /** Without CCPC, CCER and CCMRx act when written: the values in force follow them. */
  syncPreloads(): void {
    if (this.preloading()) return;
    this.ccerActive = this.r.ccer?.value ?? 0;
    this.ccmrActive[0] = this.r.ccmr[0]?.value ?? 0;
    this.ccmrActive[1] = this.r.ccmr[1]?.value ?? 0;
  }

  private preloading(): boolean {
    return this.r.rcr !== undefined && (this.r.cr2.value & CCPC) !== 0;
  }

  /** CCER as it acts on the outputs (CCPC: CCxE/CCxNE of channels 1-3 from the last COM). */
  private ccerInForce(): number {
    const ccer = this.r.ccer?.value ?? 0;
    if (!this.preloading()) return ccer;
    return ((ccer & ~CCER_PRELOADED) | (this.ccerActive & CCER_PRELOADED)) >>> 0;
  }

  /** CCMR1/CCMR2 as they act (CCPC: OC1M-OC3M from the last COM). */
  private ccmrInForce(index: number): number {
    const ccmr = this.r.ccmr[index]?.value ?? 0;
    if (!this.preloading()) return ccmr;
    const m = CCMR_PRELOADED[index]!;
    return ((ccmr & ~m) | (this.ccmrActive[index]! & m)) >>> 0;
  }

  /**
   * The outputs of channel `ch` (0-3) as the registers in force set them, with the counter's
   * active auto-reload value `arr`, counting mode, CR1 and active prescaler `psc`.
   */
  outputs(
    ch: number,
    arr: number,
    mode: CountMode,
    cr1: number,
    psc: number,
  ): ChannelOutputs | null {
    if (this.r.ccmr.length === 0) return null;
    const bdtr = this.r.bdtr?.value ?? 0;
    return channelWindow({
      ch,
      ccmr: this.ccmrInForce(ch >> 1),
      ccer: this.ccerInForce(),
      ccr: this.r.ccr[ch]!.value,
      arr,
      mode,
      advanced: this.r.bdtr !== undefined,
      bdtr,
      cr2: this.r.cr2.value,
      ckd: (cr1 >>> CKD_SHIFT) & 3,
      psc,
    });
  }
}
