import { describe, expect, it } from 'vitest';
import { socBlock, type BlockName } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { Timer } from './timer.js';

const CR1 = 0x00;
const DIER = 0x0c;
const SR = 0x10;
const EGR = 0x14;
const CNT = 0x24;
const PSC = 0x28;
const ARR = 0x2c;

function setup(name: BlockName) {
  const t = testContext();
  const tim = t.attach(new Timer(socBlock(name), t.ctx));
  const rd = (off: number) => t.bus.read32(tim.base + off) >>> 0;
  const wr = (off: number, v: number) => t.bus.write32(tim.base + off, v);
  return { ...t, tim, spec: tim.spec, rd, wr };
}

describe('TIM2-TIM7 time base', () => {
  it('declares the registers with their reset values', () => {
    const { rd, bus, warnings } = setup('TIM3');
    for (const off of [
      0, 4, 8, 0x0c, 0x10, 0x18, 0x1c, 0x20, 0x24, 0x28, 0x2c, 0x34, 0x40, 0x48, 0x4c,
    ]) {
      expect(rd(off)).toBe(0);
    }
    bus.write32(0x40000400 + 0x34, 0x12345);
    expect(rd(0x34)).toBe(0x2345); // CCR1 is 16-bit on TIM3
    expect(warnings).toEqual([]);
  });

  it('counts up with the prescaler loaded by UG and raises UIF at overflow', () => {
    const { rd, wr, advance, irqs } = setup('TIM6');
    wr(PSC, 15);
    wr(ARR, 999);
    wr(EGR, 1); // UG: PSC becomes active, UIF set (URS=0)
    expect(rd(SR) & 1).toBe(1);
    wr(SR, 0);
    wr(DIER, 1);
    wr(CR1, 1);
    advance(16 * 500);
    expect(rd(CNT)).toBe(500);
    expect(irqs.get(54)).toBe(false);
    advance(16 * 500 - 1);
    expect(rd(CNT)).toBe(999);
    advance(1);
    expect(rd(SR) & 1).toBe(1);
    expect(irqs.get(54)).toBe(true);
    expect(rd(CNT)).toBe(0);
    wr(SR, 0);
    expect(irqs.get(54)).toBe(false);
    advance(16 * 1000 * 10);
    expect(rd(SR) & 1).toBe(1);
    expect(rd(CNT)).toBe(0);
  });

  it('applies PSC at the next update event only', () => {
    const { rd, wr, advance } = setup('TIM7');
    wr(ARR, 99);
    wr(PSC, 9);
    wr(CR1, 1);
    advance(100); // first period at PSC=0
    expect(rd(SR) & 1).toBe(1);
    expect(rd(CNT)).toBe(0);
    advance(10 * 50);
    expect(rd(CNT)).toBe(50);
  });

  it('uses ARR at once without ARPE and at the update with ARPE', () => {
    const { rd, wr, advance } = setup('TIM4');
    wr(ARR, 1000);
    wr(CR1, 1);
    advance(100);
    wr(ARR, 199);
    advance(100);
    expect(rd(SR) & 1).toBe(1); // overflow at 199 with the new ARR
    wr(SR, 0);
    wr(CR1, 0x81); // ARPE
    advance(50);
    wr(ARR, 49);
    advance(100);
    expect(rd(CNT)).toBe(150); // still ARR=199
    advance(50);
    expect(rd(SR) & 1).toBe(1);
    advance(49);
    expect(rd(CNT)).toBe(49);
    advance(1);
    expect(rd(CNT)).toBe(0);
  });

  it('stops at the update in one-pulse mode', () => {
    const { rd, wr, advance } = setup('TIM6');
    wr(ARR, 9);
    wr(CR1, 0x9); // OPM | CEN
    advance(10);
    expect(rd(CR1) & 1).toBe(0);
    expect(rd(SR) & 1).toBe(1);
    advance(100);
    expect(rd(CNT)).toBe(0);
  });

  it('counts down from ARR and reloads at underflow', () => {
    const { rd, wr, advance } = setup('TIM3');
    wr(ARR, 100);
    wr(CR1, 0x10); // DIR
    wr(EGR, 1);
    expect(rd(CNT)).toBe(100);
    wr(SR, 0);
    wr(CR1, 0x11);
    advance(40);
    expect(rd(CNT)).toBe(60);
    advance(61);
    expect(rd(SR) & 1).toBe(1);
    expect(rd(CNT)).toBe(100);
  });

  it('is 32-bit on TIM2 and honours URS and UDIS', () => {
    const { rd, wr, advance } = setup('TIM2');
    wr(ARR, 0xffffffff);
    wr(CR1, 0x4); // URS: UG does not set UIF
    wr(EGR, 1);
    expect(rd(SR) & 1).toBe(0);
    wr(CNT, 0xfffffff0);
    wr(CR1, 0x5);
    advance(8);
    expect(rd(CNT)).toBe(0xfffffff8);
    advance(8);
    expect(rd(SR) & 1).toBe(1);
    wr(SR, 0);
    wr(CR1, 0x7); // UDIS: overflow without update event
    wr(CNT, 0xfffffffe);
    advance(2);
    expect(rd(SR) & 1).toBe(0);
    expect(rd(CNT)).toBe(0);
  });

  it('does not count while ARR is 0', () => {
    const { rd, wr, advance } = setup('TIM5');
    wr(CR1, 1);
    advance(1000);
    expect(rd(CNT)).toBe(0);
    expect(rd(SR) & 1).toBe(0);
  });

  it('follows the APB1 timer clock', () => {
    const { rd, wr, advance, clocks } = setup('TIM6');
    wr(ARR, 0xffff);
    wr(CR1, 1);
    advance(100);
    expect(rd(CNT)).toBe(100);
    clocks.set(168_000_000, 42_000_000, 84_000_000); // timer clock 84 MHz: 2 HCLK cycles a tick
    advance(100);
    expect(rd(CNT)).toBe(150);
    wr(CR1, 0);
    advance(100);
    expect(rd(CNT)).toBe(150);
  });

  it('sets CCxIF at output-compare matches (frozen mode) and raises the interrupt', () => {
    const { rd, wr, advance, irqs, bus } = setup('TIM3');
    const base = 0x40000400;
    wr(ARR, 999);
    bus.write32(base + 0x34, 100); // CCR1
    bus.write32(base + 0x38, 500); // CCR2
    bus.write32(base + 0x3c, 2000); // CCR3 > ARR: never matches
    bus.write32(base + 0x40, 0); // CCR4: matches when the counter wraps to 0
    wr(DIER, 1 << 2); // CC2IE
    wr(CR1, 1);
    advance(99);
    expect(rd(SR)).toBe(0);
    advance(1);
    expect(rd(SR)).toBe(1 << 1);
    advance(399);
    expect(irqs.get(29) ?? false).toBe(false);
    advance(1);
    expect(rd(SR)).toBe((1 << 1) | (1 << 2));
    expect(irqs.get(29)).toBe(true);
    wr(SR, 0);
    advance(500);
    expect(rd(SR)).toBe(1 | (1 << 4)); // update and CC4 at the wrap
    wr(SR, 0);
    advance(100);
    expect(rd(SR)).toBe(1 << 1); // next period
    // PWM mode without CCxIE: no flag (and no alarm).
    bus.write32(base + 0x18, 0x60);
    wr(SR, 0);
    advance(1000);
    expect(rd(SR) & 2).toBe(0);
  });
});
