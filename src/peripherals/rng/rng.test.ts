import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { Rng } from './rng.js';

const RNG = 0x50060800;

function setup(seed?: number) {
  const t = testContext();
  const rng = t.attach(new Rng(socBlock('RNG'), t.ctx, seed));
  const rd = (o: number) => t.bus.read32(RNG + o) >>> 0;
  return { ...t, rng, rd };
}

describe('RNG', () => {
  it('delivers a deterministic sequence 40 RNG clocks after enable or a read', () => {
    const a = setup();
    expect(a.rd(4)).toBe(0);
    a.bus.write32(RNG, 1 << 2);
    a.advance(13);
    expect(a.rd(4)).toBe(0);
    a.advance(1); // 40 periods of 48 MHz at 16 MHz HCLK: 13.3 cycles
    expect(a.rd(4)).toBe(1);
    const first = a.rd(8);
    expect(first).not.toBe(0);
    expect(a.rd(4)).toBe(0);
    expect(a.rd(8)).toBe(0); // no new data yet
    a.advance(14);
    const second = a.rd(8);
    expect(second).not.toBe(first);
    const b = setup();
    b.bus.write32(RNG, 1 << 2);
    b.advance(14);
    expect(b.rd(8)).toBe(first);
    const c = setup(12345);
    c.bus.write32(RNG, 1 << 2);
    c.advance(14);
    expect(c.rd(8)).not.toBe(first);
  });

  it('raises IRQ 80 when data are ready and IE is set', () => {
    const { bus, advance, irqs, rd } = setup();
    bus.write32(RNG, (1 << 2) | (1 << 3));
    advance(14);
    expect(irqs.get(80)).toBe(true);
    rd(8);
    expect(irqs.get(80)).toBe(false);
  });
});
