import { describe, expect, it } from 'vitest';
import {
  complement,
  deadTimeDts,
  deadTimeTicks,
  delayRisingEdge,
  duty,
  levelAt,
  phaseOf,
  refWindow,
} from './pwm.js';

describe('output-compare waveforms (pwm.ts)', () => {
  it('decodes the four DTG encodings of BDTR (RM0090 17.4.18)', () => {
    expect(deadTimeDts(0x00)).toBe(0);
    expect(deadTimeDts(0x7f)).toBe(127); // 0xx: DTG[7:0] x tDTS
    expect(deadTimeDts(0x80)).toBe(128); // 10x: (64 + DTG[5:0]) x 2
    expect(deadTimeDts(0xbf)).toBe((64 + 63) * 2);
    expect(deadTimeDts(0xc0)).toBe(256); // 110: (32 + DTG[4:0]) x 8
    expect(deadTimeDts(0xdf)).toBe((32 + 31) * 8);
    expect(deadTimeDts(0xe0)).toBe(512); // 111: (32 + DTG[4:0]) x 16
    expect(deadTimeDts(0xff)).toBe((32 + 31) * 16);
    // tDTS = tCK_INT x 1, 2, 4 (CKD); a counter tick is tCK_INT x (PSC+1).
    expect(deadTimeTicks(10, 0, 0)).toBe(10);
    expect(deadTimeTicks(10, 1, 0)).toBe(20);
    expect(deadTimeTicks(10, 2, 0)).toBe(40);
    expect(deadTimeTicks(10, 0, 3)).toBe(2.5);
  });

  it('PWM mode 1 duty: up CCR/(ARR+1), down (CCR+1)/(ARR+1), centre-aligned CCR/ARR', () => {
    const d = (ocm: number, ccr: number, arr: number, mode: 'up' | 'down' | 'center') =>
      duty(refWindow(ocm, ccr, arr, mode)!);
    expect(d(6, 25, 99, 'up')).toBe(0.25);
    expect(d(6, 0, 99, 'up')).toBe(0);
    expect(d(6, 100, 99, 'up')).toBe(1);
    expect(d(6, 24, 99, 'down')).toBe(0.25);
    expect(d(6, 0, 99, 'down')).toBe(0.01); // 0% is not possible counting down
    expect(d(6, 25, 100, 'center')).toBe(0.25);
    expect(d(6, 100, 100, 'center')).toBe(1);
    expect(d(6, 0, 100, 'center')).toBe(0);
    expect(d(7, 25, 99, 'up')).toBe(0.75); // PWM mode 2
    expect(d(5, 25, 99, 'up')).toBe(1); // forced active
    expect(d(4, 25, 99, 'up')).toBe(0);
    expect(refWindow(3, 25, 99, 'up')).toBeNull(); // toggle: not followed
  });

  it('levels follow the counter: centre-aligned is high around CNT=0', () => {
    const w = refWindow(6, 2, 8, 'center')!; // CNT: 0..7 up, 8..1 down; high while CNT < 2 / <= 2
    const high: number[] = [];
    for (let s = 0; s < 16; s++) if (levelAt(w, s)) high.push(s);
    // Phases 0,1 (CNT 0,1 up) and 14,15 (CNT 2,1 down).
    expect(high).toEqual([0, 1, 14, 15]);
    expect(phaseOf(2, true, 8, 'center')).toBe(14);
    const down = refWindow(6, 3, 9, 'down')!; // CNT 9..0: high while CNT <= 3
    expect([0, 3, 4, 9].map((cnt) => levelAt(down, phaseOf(cnt, true, 9, 'down')))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('dead-time delays rising edges and swallows pulses not longer than itself', () => {
    const ref = refWindow(6, 40, 99, 'up')!; // high 0..40
    const oc = delayRisingEdge(ref, 5);
    const ocn = delayRisingEdge(complement(ref), 5);
    expect([levelAt(oc, 4.9), levelAt(oc, 5), levelAt(oc, 39.9), levelAt(oc, 40)]).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect([levelAt(ocn, 40), levelAt(ocn, 44.9), levelAt(ocn, 45), levelAt(ocn, 99.9)]).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect(duty(oc)).toBeCloseTo(0.35);
    expect(duty(ocn)).toBeCloseTo(0.55);
    expect(duty(delayRisingEdge(refWindow(6, 4, 99, 'up')!, 5))).toBe(0); // 4-tick pulse
    expect(duty(delayRisingEdge(refWindow(6, 5, 99, 'up')!, 5))).toBe(0); // equal: none either
    expect(duty(delayRisingEdge(refWindow(6, 100, 99, 'up')!, 5))).toBe(1); // no edge at 100%
  });
});
