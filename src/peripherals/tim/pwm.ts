/**
 * Output-compare waveforms (RM0090 17.3.9-17.3.11, 18.3.9-18.3.10) as pure functions of the
 * registers: no alarm per PWM edge. A channel's reference signal OCxREF over one counter period
 * is one window, high for `length` counter ticks from `start`, in phase coordinates that run
 * 0..period with the counter:
 *  - edge-aligned up-counting: phase = CNT, period ARR+1;
 *  - edge-aligned down-counting: phase = ARR - CNT, period ARR+1;
 *  - centre-aligned: phase = CNT counting up, 2*ARR - CNT counting down, period 2*ARR (the
 *    counter runs 0..ARR-1 up, ARR..1 down).
 * Phases are continuous (a counter value plus the elapsed fraction of its tick), so a dead-time
 * that is a fraction of a counter tick delays an edge by exactly that much.
 */

export interface Window {
  /** Phase at which the output goes high (mod period). */
  start: number;
  /** How long it stays high, 0..period. */
  length: number;
  period: number;
}

export type CountMode = 'up' | 'down' | 'center';

/** OCxM values (CCMRx) whose level f4emu follows. */
export const OCM_FORCED_INACTIVE = 4;
export const OCM_FORCED_ACTIVE = 5;
export const OCM_PWM1 = 6;
export const OCM_PWM2 = 7;

/** The counting period in ticks. */
export function periodTicks(arr: number, mode: CountMode): number {
  return mode === 'center' ? 2 * arr : arr + 1;
}

/** The phase of counter value `cnt` (moving down or not) in `mode`. */
export function phaseOf(cnt: number, down: boolean, arr: number, mode: CountMode): number {
  if (mode === 'up') return cnt;
  if (mode === 'down') return arr - cnt;
  return down ? 2 * arr - cnt : cnt;
}

/**
 * OCxREF for output-compare mode `ocm` (0-7), or null for a mode whose level f4emu does not follow
 * (frozen, active/inactive/toggle on match: their level depends on history, not on the counter).
 * PWM mode 1 is active while CNT < CCR counting up, while CNT <= CCR counting down (RM0090
 * 18.3.10); PWM mode 2 is its complement. So: edge-aligned up CCR/(ARR+1) (CCR > ARR: always
 * high), down (CCR+1)/(ARR+1) (0% is not possible), centre-aligned CCR/ARR, centred on CNT=0.
 */
export function refWindow(ocm: number, ccr: number, arr: number, mode: CountMode): Window | null {
  const period = periodTicks(arr, mode);
  let start = 0;
  let length: number;
  switch (ocm) {
    case OCM_FORCED_INACTIVE:
      return { start, length: 0, period };
    case OCM_FORCED_ACTIVE:
      return { start, length: period, period };
    case OCM_PWM1:
    case OCM_PWM2:
      break;
    default:
      return null;
  }
  if (mode === 'up') length = Math.min(ccr, period);
  else if (mode === 'down') {
    length = Math.min(ccr + 1, period);
    start = period - length;
  } else {
    const c = Math.min(ccr, arr);
    length = 2 * c;
    start = period - c;
  }
  const w = { start: start % (period || 1), length, period };
  return ocm === OCM_PWM2 ? complement(w) : w;
}

/** The window's complement (the low part of the period). */
export function complement(w: Window): Window {
  return {
    start: (w.start + w.length) % (w.period || 1),
    length: w.period - w.length,
    period: w.period,
  };
}

/**
 * Dead-time (RM0090 17.3.11): the rising edge is delayed by `dead` ticks, the falling edge is
 * not; a pulse not longer than the dead-time is not generated. A level that never changes (0% or
 * 100%) has no edge to delay.
 */
export function delayRisingEdge(w: Window, dead: number): Window {
  if (dead <= 0 || w.length === 0 || w.length >= w.period) return w;
  if (w.length <= dead) return { start: w.start, length: 0, period: w.period };
  return { start: (w.start + dead) % w.period, length: w.length - dead, period: w.period };
}

/** Whether the window is high at `phase`. */
export function levelAt(w: Window, phase: number): boolean {
  if (w.length <= 0) return false;
  if (w.length >= w.period) return true;
  const d = (((phase - w.start) % w.period) + w.period) % w.period;
  return d < w.length;
}

/** The window's fraction of a period, 0..1. */
export function duty(w: Window): number {
  if (w.period <= 0) return 0;
  return Math.min(1, Math.max(0, w.length / w.period));
}

/**
 * BDTR.DTG decoded (RM0090 17.4.18) into tDTS units: DTG[7]=0: DTG[6:0]; DTG[7:6]=10:
 * (64+DTG[5:0])x2; DTG[7:5]=110: (32+DTG[4:0])x8; DTG[7:5]=111: (32+DTG[4:0])x16.
 */
export function deadTimeDts(dtg: number): number {
  if ((dtg & 0x80) === 0) return dtg & 0x7f;
  if ((dtg & 0xc0) === 0x80) return (64 + (dtg & 0x3f)) * 2;
  if ((dtg & 0xe0) === 0xc0) return (32 + (dtg & 0x1f)) * 8;
  return (32 + (dtg & 0x1f)) * 16;
}

/**
 * The dead-time in counter ticks: tDTS is tCK_INT times 1, 2 or 4 (CR1.CKD = 00, 01, 10; 11 is
 * reserved and counted as 4), a counter tick is tCK_INT times PSC+1.
 */
export function deadTimeTicks(dtg: number, ckd: number, psc: number): number {
  const dts = [1, 2, 4, 4][ckd & 3]!;
  return (deadTimeDts(dtg) * dts) / (psc + 1);
}
