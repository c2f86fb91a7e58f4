/**
 * A capture/compare channel's output stage (RM0090 17.3.11 and table 93 for TIM1/TIM8, 18.3.9
 * for TIM2-TIM5): which of OCx and OCxN the timer drives, from OCxREF (./pwm.ts) through
 * dead-time and polarity, from CCER, BDTR (MOE, OSSR, OSSI, DTG) and CR2 (OISx).
 */
import {
  complement,
  deadTimeTicks,
  delayRisingEdge,
  refWindow,
  type CountMode,
  type Window,
} from './pwm.js';

/** One output pin's drive: a window (high part of the period) and polarity, or a constant. */
export interface OutputDrive {
  window: Window;
  /** CCxP / CCxNP: the pin is the window's complement. */
  inverted: boolean;
  /** A level that does not follow the counter (off-state, idle state). */
  constant?: boolean;
}

export interface ChannelOutputs {
  oc: OutputDrive | null;
  ocn: OutputDrive | null;
}

export interface ChannelState {
  ch: number;
  /** CCMR1 or CCMR2 as in force. */
  ccmr: number;
  /** CCER as in force. */
  ccer: number;
  ccr: number;
  arr: number;
  mode: CountMode;
  /** TIM1/TIM8: BDTR and the complementary outputs matter. */
  advanced: boolean;
  bdtr: number;
  cr2: number;
  ckd: number;
  psc: number;
}

const MOE = 1 << 15;
const OSSR = 1 << 11;
const OSSI = 1 << 10;
const NO_WINDOW: Window = { start: 0, length: 0, period: 1 };

function constant(level: boolean): OutputDrive {
  return { window: NO_WINDOW, inverted: false, constant: level };
}

/** The drive of OCx and OCxN of channel `s.ch`; null for an output the timer does not drive. */
export function channelWindow(s: ChannelState): ChannelOutputs {
  const none = { oc: null, ocn: null };
  const mode = (s.ccmr >>> (8 * (s.ch & 1))) & 0xff;
  if ((mode & 3) !== 0) return none; // input capture
  const shift = 4 * s.ch;
  const ccxe = ((s.ccer >>> shift) & 1) !== 0;
  const ccxp = ((s.ccer >>> (shift + 1)) & 1) !== 0;
  // Channel 4 has no complementary output; TIM2-TIM5 have none at all.
  const hasN = s.advanced && s.ch < 3;
  const ccxne = hasN && ((s.ccer >>> (shift + 2)) & 1) !== 0;
  const ccxnp = hasN && ((s.ccer >>> (shift + 3)) & 1) !== 0;
  const ref = refWindow((mode >>> 4) & 7, s.ccr, s.arr, s.mode);
  if (!s.advanced) {
    if (!ccxe || !ref) return none;
    return { oc: { window: ref, inverted: ccxp }, ocn: null };
  }
  if (!(s.bdtr & MOE)) {
    // Idle: with OSSI the enabled outputs are driven to OISx/OISxN, else released.
    if (!(s.bdtr & OSSI) || (!ccxe && !ccxne)) return none;
    const ois = (s.cr2 >>> (8 + 2 * s.ch)) & 3;
    return {
      oc: constant((ois & 1) !== 0),
      ocn: hasN ? constant((ois & 2) !== 0) : null,
    };
  }
  // MOE set (table 93): an output that is off drives its inactive level when OSSR is set.
  const off = (p: boolean) => (s.bdtr & OSSR ? constant(p) : null);
  if (ccxe && ccxne) {
    if (!ref) return none;
    // Dead-time: both rising edges delayed (RM0090 17.3.11, figures 101-103).
    const dead = deadTimeTicks(s.bdtr & 0xff, s.ckd, s.psc);
    return {
      oc: { window: delayRisingEdge(ref, dead), inverted: ccxp },
      ocn: { window: delayRisingEdge(complement(ref), dead), inverted: ccxnp },
    };
  }
  if (ccxe) {
    return {
      oc: ref ? { window: ref, inverted: ccxp } : null,
      ocn: hasN ? off(ccxnp) : null,
    };
  }
  if (ccxne) {
    // OCxN alone is OCxREF (not complemented), without dead-time.
    return { oc: off(ccxp), ocn: ref ? { window: ref, inverted: ccxnp } : null };
  }
  return none; // both disabled: not driven, whatever OSSR
}
