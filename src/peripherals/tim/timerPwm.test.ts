import { describe, expect, it } from 'vitest';
import { socBlock, type BlockName } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { Timer } from './timer.js';

const CR1 = 0x00;
const CR2 = 0x04;
const DIER = 0x0c;
const SR = 0x10;
const EGR = 0x14;
const CCMR1 = 0x18;
const CCMR2 = 0x1c;
const CCER = 0x20;
const CNT = 0x24;
const PSC = 0x28;
const ARR = 0x2c;
const CCR1 = 0x34;
const BDTR = 0x44;
const MOE = 1 << 15;
const CEN = 1;
const DIR = 1 << 4;
const PWM1 = 0x60;

function setup(name: BlockName) {
  const t = testContext();
  const tim = t.attach(new Timer(socBlock(name), t.ctx));
  const rd = (off: number) => t.bus.read32(tim.base + off) >>> 0;
  const wr = (off: number, v: number) => t.bus.write32(tim.base + off, v);
  return { ...t, tim, rd, wr };
}

/** The level of `output()` at each of the next `n` cycles. */
function trace(advance: (c: number) => void, n: number, output: () => boolean | null): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const l = output();
    s += l === null ? '-' : l ? '1' : '0';
    advance(1);
  }
  return s;
}

describe('centre-aligned counting (CMS 01/10/11)', () => {
  it('counts 0..ARR-1 up, ARR..1 down, with an update at the overflow and the underflow', () => {
    const { rd, wr, advance } = setup('TIM3');
    wr(ARR, 4);
    wr(CR1, (1 << 5) | CEN); // CMS=01
    const seen: number[] = [];
    const dirs: number[] = [];
    for (let i = 0; i < 10; i++) {
      seen.push(rd(CNT));
      dirs.push((rd(CR1) & DIR) >>> 4);
      advance(1);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 3, 2, 1, 0, 1]);
    expect(dirs).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0]); // DIR reads the direction
    // CNT is 2 (counting up).
    wr(SR, 0);
    advance(2); // CNT 4: overflow
    expect(rd(SR) & 1).toBe(1);
    wr(SR, 0);
    advance(3); // CNT 1
    expect(rd(SR) & 1).toBe(0);
    advance(1); // CNT 0: underflow
    expect(rd(SR) & 1).toBe(1);
    advance(1);
    wr(CR1, (1 << 5) | DIR | CEN); // DIR is read-only in centre-aligned mode
    expect(rd(CR1) & DIR).toBe(0);
    advance(1);
    expect(rd(CNT)).toBe(2);
  });

  it('TIM1: the repetition counter counts overflows and underflows both (RM0090 17.3.3)', () => {
    const { rd, wr, advance } = setup('TIM1');
    wr(ARR, 10);
    wr(0x30, 2); // RCR: an update event every 3 overflows/underflows
    wr(CR1, 1 << 5);
    wr(EGR, 1);
    wr(SR, 0);
    wr(CR1, (1 << 5) | CEN);
    const updates: number[] = [];
    for (let t = 1; t <= 70; t++) {
      advance(1);
      if (rd(SR) & 1) {
        updates.push(t);
        wr(SR, 0);
      }
    }
    // Overflow at 10, underflow at 20, overflow at 30 (the 3rd), ... 60 (the 6th).
    expect(updates).toEqual([30, 60]);
  });

  it('sets CCxIF counting down (CMS=01), up (10) or both (11)', () => {
    for (const [cms, flags] of [
      [1, [0, 1]],
      [2, [1, 0]],
      [3, [1, 1]],
    ] as const) {
      const { rd, wr, advance } = setup('TIM4');
      wr(ARR, 10);
      wr(CCR1, 4);
      wr(CR1, (cms << 5) | CEN);
      advance(5); // CNT 0 -> 5 up, passing 4
      const up = (rd(SR) >>> 1) & 1;
      wr(SR, 0);
      advance(12); // CNT 5 up to 10, down to 3, passing 4
      const down = (rd(SR) >>> 1) & 1;
      expect([up, down]).toEqual(flags);
    }
  });

  it('PWM duty is CCR/ARR in every centre-aligned mode, as edge-aligned CCR/(ARR+1)', () => {
    for (const cms of [1, 2, 3]) {
      const { tim, wr } = setup('TIM4');
      wr(CCMR1, PWM1 | (PWM1 << 8));
      wr(CCMR2, PWM1 | (PWM1 << 8));
      wr(ARR, 100);
      [25, 50, 75, 100].forEach((ccr, i) => wr(CCR1 + 4 * i, ccr));
      wr(CCER, 0x1111);
      wr(CR1, (cms << 5) | CEN);
      expect([0, 1, 2, 3].map((ch) => tim.outputDuty(ch))).toEqual([0.25, 0.5, 0.75, 1]);
    }
  });

  it('the PWM level follows the counter up and down, high around CNT=0', () => {
    const { tim, wr, advance } = setup('TIM3');
    wr(CCMR1, PWM1);
    wr(ARR, 8);
    wr(CCR1, 2);
    wr(CCER, 1);
    wr(CR1, (3 << 5) | CEN);
    // CNT 0 1 2 3 4 5 6 7 8 7 6 5 4 3 2 1 0 1: high while CNT < 2 up, CNT <= 2 down.
    expect(trace(advance, 18, () => tim.outputLevel(0))).toBe('110000000000001111');
  });
});

describe('PWM duty counting down', () => {
  it('is (CCR+1)/(ARR+1) in PWM mode 1 and its complement in mode 2 (RM0090 18.3.10)', () => {
    const { tim, wr, advance } = setup('TIM4');
    wr(CCMR1, PWM1 | (0x70 << 8));
    wr(ARR, 9);
    wr(CCR1, 4);
    wr(0x38, 4); // CCR2
    wr(CCER, 0x11);
    wr(CR1, DIR);
    wr(EGR, 1); // CNT = ARR
    wr(CR1, DIR | CEN);
    expect(tim.outputDuty(0)).toBe(0.5);
    expect(tim.outputDuty(1)).toBe(0.5);
    // CNT 9 8 ... 0: high while CNT <= 4.
    expect(trace(advance, 10, () => tim.outputLevel(0))).toBe('0000011111');
    expect(trace(advance, 10, () => tim.outputLevel(1))).toBe('1111100000');
  });
});

describe('TIM1/TIM8 dead-time (RM0090 17.3.11)', () => {
  /** TIM1 CH1 in PWM 1, ARR 19, CCR1 8, OC1 and OC1N enabled, dead-time `dtg`. */
  function complementary(dtg: number, ccr = 8) {
    const s = setup('TIM1');
    s.wr(CCMR1, PWM1);
    s.wr(ARR, 19);
    s.wr(CCR1, ccr);
    s.wr(CCER, 0x5); // CC1E, CC1NE
    s.wr(BDTR, MOE | dtg);
    s.wr(CR1, CEN);
    return s;
  }

  it('delays the rising edges of OC1 and OC1N by the dead-time', () => {
    const { tim, advance } = complementary(3);
    const oc = trace(advance, 20, () => tim.outputLevel(0));
    const { tim: t2, advance: a2 } = complementary(3);
    const ocn = trace(a2, 20, () => t2.outputLevel(0, true));
    // OC1REF: high for CNT 0-7. OC1 rises 3 ticks late; OC1N rises 3 ticks after REF falls.
    expect(oc).toBe('00011111000000000000');
    expect(ocn).toBe('00000000000111111111');
    expect(tim.outputDuty(0)).toBe(5 / 20);
    expect(tim.outputDuty(0, true)).toBe(9 / 20);
    const { tim: none } = complementary(0);
    expect([none.outputDuty(0), none.outputDuty(0, true)]).toEqual([8 / 20, 12 / 20]);
  });

  it('a dead-time of a fraction of a tick delays the edge by that fraction (CKD, PSC)', () => {
    const { tim, wr, advance } = complementary(1);
    wr(PSC, 3); // 4 cycles a tick; the dead-time stays 1 tCK_INT = 1 cycle
    wr(EGR, 1);
    expect(trace(advance, 8, () => tim.outputLevel(0))).toBe('01111111');
    expect(tim.outputDuty(0)).toBeCloseTo(7.75 / 20);
    wr(CR1, (2 << 8) | CEN); // CKD=10: tDTS = 4 tCK_INT: one whole tick
    expect(tim.outputDuty(0)).toBeCloseTo(7 / 20);
  });

  it('a pulse not longer than the dead-time is not generated', () => {
    const { tim, advance } = complementary(8, 8); // 8-tick pulse, 8-tick dead-time
    expect(trace(advance, 20, () => tim.outputLevel(0))).toBe('0'.repeat(20));
    expect(tim.outputDuty(0)).toBe(0);
    expect(tim.outputDuty(0, true)).toBe(4 / 20);
    const { tim: longer } = complementary(0x80, 8); // DTG 10x: 128 tDTS
    expect([longer.outputDuty(0), longer.outputDuty(0, true)]).toEqual([0, 0]);
  });

  it('only one of OC1/OC1N enabled: no dead-time, OC1N alone is OC1REF', () => {
    const { tim, wr } = complementary(3);
    wr(CCER, 0x1);
    expect([tim.outputDuty(0), tim.outputLevel(0, true)]).toEqual([8 / 20, null]);
    wr(CCER, 0x4);
    expect([tim.outputLevel(0), tim.outputDuty(0, true)]).toEqual([null, 8 / 20]);
    wr(BDTR, MOE | (1 << 11) | 3); // OSSR: the disabled output drives its inactive level
    wr(CCER, 0x4 | 0x2); // CC1NE, CC1P
    expect([tim.outputDuty(0), tim.outputDuty(0, true)]).toEqual([1, 8 / 20]);
    wr(BDTR, (1 << 10) | 3); // MOE clear, OSSI: idle levels OIS1/OIS1N
    wr(CR2, 1 << 9); // OIS1N
    expect([tim.outputLevel(0), tim.outputLevel(0, true)]).toEqual([false, true]);
    wr(BDTR, 3); // MOE and OSSI clear: released
    expect([tim.outputLevel(0), tim.outputLevel(0, true)]).toEqual([null, null]);
  });
});

describe('TIM1/TIM8 CCPC preload and COM events (RM0090 17.3.12)', () => {
  it('CCxE, CCxNE and OCxM act at COMG when CCPC is set; COMIF and its interrupt', () => {
    const { tim, rd, wr, irqs } = setup('TIM8');
    wr(CCMR1, PWM1 | (PWM1 << 8));
    wr(CCMR2, PWM1 << 8); // CH4 in PWM 1
    wr(ARR, 99);
    wr(CCR1, 30);
    wr(0x38, 60);
    wr(0x40, 10); // CCR4
    wr(BDTR, MOE);
    wr(CR2, 1); // CCPC
    wr(DIER, 1 << 5); // COMIE
    wr(CCER, 0x1 | 0x1000); // CC1E preloaded; CC4E (no complementary output) acts at once
    wr(CR1, CEN);
    expect(rd(CCER)).toBe(0x1001); // reads the preload
    expect(tim.outputDuty(0)).toBeNull();
    expect(tim.outputDuty(3)).toBe(0.1);
    wr(EGR, 1 << 5); // COMG
    expect(tim.outputDuty(0)).toBe(0.3);
    expect(rd(SR) & (1 << 5)).toBe(1 << 5);
    expect(irqs.get(45)).toBe(true); // TIM8_TRG_COM_TIM14
    // Commutation: CH1 off, CH2 on with CH1 forced active, all at the next COM.
    wr(CCER, 0x10);
    wr(CCMR1, 0x50 | (PWM1 << 8));
    expect([tim.outputDuty(0), tim.outputDuty(1)]).toEqual([0.3, null]);
    wr(EGR, 1 << 5);
    expect([tim.outputDuty(0), tim.outputDuty(1)]).toEqual([null, 0.6]);
    wr(CCER, 0x11);
    expect(tim.outputDuty(0)).toBeNull();
    wr(EGR, 1 << 5);
    expect(tim.outputDuty(0)).toBe(1); // OC1M forced active, from the same COM
    wr(CR2, 0); // CCPC clear: writes act at once
    wr(CCER, 0x1);
    expect([tim.outputDuty(0), tim.outputDuty(1)]).toEqual([1, null]);
  });
});
