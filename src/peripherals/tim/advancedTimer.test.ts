import { describe, expect, it } from 'vitest';
import { socBlock, type BlockName } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { Timer } from './timer.js';

const CR1 = 0x00;
const DIER = 0x0c;
const SR = 0x10;
const EGR = 0x14;
const CCER = 0x20;
const CNT = 0x24;
const PSC = 0x28;
const ARR = 0x2c;
const RCR = 0x30;
const BDTR = 0x44;
const MOE = 1 << 15;
const AOE = 1 << 14;

function setup(name: BlockName) {
  const t = testContext();
  const tim = t.attach(new Timer(socBlock(name), t.ctx));
  const rd = (off: number) => t.bus.read32(tim.base + off) >>> 0;
  const wr = (off: number, v: number) => t.bus.write32(tim.base + off, v);
  return { ...t, tim, rd, wr };
}

describe('TIM1/TIM8 advanced-control timers', () => {
  it('have RCR, BDTR and the complementary CCER bits, all zero at reset', () => {
    const { rd, wr, warnings } = setup('TIM8');
    for (const off of [RCR, BDTR, CCER]) expect(rd(off)).toBe(0);
    wr(RCR, 0x1ff);
    expect(rd(RCR)).toBe(0xff);
    wr(BDTR, 0xffff);
    expect(rd(BDTR)).toBe(0xffff);
    wr(CCER, 0x5555); // CC1E CC1NE ... : stored
    expect(rd(CCER)).toBe(0x5555);
    expect(warnings).toEqual([]);
  });

  it('update event every RCR+1 periods (RCR loaded by UG), on the UP line only', () => {
    const { rd, wr, advance, irqs } = setup('TIM1');
    wr(ARR, 99);
    wr(RCR, 2);
    wr(EGR, 1); // UG: RCR becomes the repetition counter
    wr(SR, 0);
    wr(DIER, 1);
    wr(CR1, 1);
    advance(100 * 2);
    expect(rd(SR) & 1).toBe(0); // two periods: no update yet
    advance(99);
    expect(rd(SR) & 1).toBe(0);
    advance(1);
    expect(rd(SR) & 1).toBe(1); // the third overflow
    expect(irqs.get(25)).toBe(true); // TIM1_UP_TIM10
    expect([irqs.get(24), irqs.get(26), irqs.get(27)]).toEqual([false, false, false]);
    wr(SR, 0);
    advance(300 - 1);
    expect(rd(SR) & 1).toBe(0);
    advance(1);
    expect(rd(SR) & 1).toBe(1);
  });

  it('counts on the APB2 timer clock: x2 when the APB2 prescaler is not 1', () => {
    const { rd, wr, advance, clocks } = setup('TIM1');
    clocks.set(168_000_000, 42_000_000, 84_000_000); // APB2 /2: timer clock 168 MHz
    wr(ARR, 0xffff);
    wr(CR1, 1);
    advance(1000);
    expect(rd(CNT)).toBe(1000);
    const t1 = setup('TIM8');
    t1.clocks.set(168_000_000, 42_000_000, 168_000_000); // APB2 /1 (PCLK2 = HCLK): x1
    t1.wr(ARR, 0xffff);
    t1.wr(PSC, 1);
    t1.wr(EGR, 1);
    t1.wr(CR1, 1);
    t1.advance(1000);
    expect(t1.rd(CNT)).toBe(500);
  });

  it('CC, TRG+COM and BRK interrupts on their own lines; BG clears MOE, AOE sets it again', () => {
    const { rd, wr, advance, irqs } = setup('TIM8');
    wr(DIER, (1 << 1) | (1 << 5) | (1 << 7)); // CC1IE, COMIE, BIE
    wr(EGR, 1 << 1); // CC1G
    expect(irqs.get(46)).toBe(true); // TIM8_CC
    wr(SR, 0);
    expect(irqs.get(46)).toBe(false);
    wr(EGR, 1 << 5); // COMG
    expect(rd(SR)).toBe(1 << 5);
    expect(irqs.get(45)).toBe(true); // TIM8_TRG_COM_TIM14
    wr(SR, 0);
    wr(BDTR, MOE | AOE);
    wr(EGR, 1 << 7); // BG
    expect(rd(SR)).toBe(1 << 7);
    expect(irqs.get(43)).toBe(true); // TIM8_BRK_TIM12
    expect(rd(BDTR) & MOE).toBe(0);
    wr(SR, 0);
    wr(ARR, 9);
    wr(CR1, 1);
    advance(10); // update event: AOE sets MOE
    expect(rd(BDTR) & MOE).toBe(MOE);
    expect(irqs.get(44)).toBe(false); // UIE clear
  });
});
