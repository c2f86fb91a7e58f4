import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { Wwdg } from './wwdg.js';

const WWDG_BASE = socBlock('WWDG').base;
const WWDG_IRQ = 0; // RM0090 table 61

const CR = 0x00;
const CFR = 0x04;
const SR = 0x08;

function setup() {
  const t = testContext();
  const wwdg = t.attach(new Wwdg(socBlock('WWDG'), t.ctx));
  const rd = (off: number) => t.bus.read32(WWDG_BASE + off) >>> 0;
  const wr = (off: number, v: number) => t.bus.write32(WWDG_BASE + off, v);
  return { ...t, wwdg, rd, wr };
}

describe('WWDG', () => {
  it('has the RM0090 reset values and a free-running counter', () => {
    const { rd, advance } = setup();
    expect([rd(CR), rd(CFR), rd(SR)]).toEqual([0x7f, 0x7f, 0]);
    advance(4096 * 3);
    expect(rd(CR)).toBe(0x7c);
  });

  it('raises EWI at 0x40 and resets when T6 clears (0x40 -> 0x3F)', () => {
    const { rd, wr, advance, irqs, resets } = setup();
    wr(CFR, (1 << 9) | (3 << 7) | 0x7f); // EWI, WDGTB /8: 32768 PCLK1 cycles per tick
    wr(CR, 0x80 | 0x50);
    const tick = 4096 * 8;
    advance(0x10 * tick - 1);
    expect(rd(CR)).toBe(0x80 | 0x41);
    expect(irqs.get(WWDG_IRQ) ?? false).toBe(false);
    advance(1);
    expect(rd(CR)).toBe(0x80 | 0x40);
    expect(rd(SR)).toBe(1);
    expect(irqs.get(WWDG_IRQ)).toBe(true);
    wr(SR, 0);
    expect(irqs.get(WWDG_IRQ)).toBe(false);
    advance(tick - 1);
    expect(resets).toEqual([]);
    advance(1);
    expect(resets).toEqual(['wwdg']);
  });

  it('refreshing keeps it alive; WDGA cannot be cleared', () => {
    const { rd, wr, advance, resets } = setup();
    wr(CR, 0x80 | 0x7f);
    for (let i = 0; i < 4; i++) {
      advance(4096 * 60);
      wr(CR, 0x7f); // WDGA stays set
    }
    expect(rd(CR)).toBe(0xff);
    expect(resets).toEqual([]);
  });

  it('resets on a refresh above the window', () => {
    const { wr, advance, resets } = setup();
    wr(CFR, 0x50);
    wr(CR, 0x80 | 0x7f);
    advance(4096 * 0x20); // counter 0x5F > W
    expect(resets).toEqual([]);
    wr(CR, 0x80 | 0x7f);
    expect(resets).toEqual(['wwdg']);
  });

  it('accepts a refresh inside the window', () => {
    const { wr, advance, resets } = setup();
    wr(CFR, 0x50);
    wr(CR, 0x80 | 0x7f);
    advance(4096 * 0x30); // counter 0x4F <= W
    wr(CR, 0x80 | 0x7f);
    expect(resets).toEqual([]);
  });

  it('resets at once when enabled with T6 clear', () => {
    const { wr, resets } = setup();
    wr(CR, 0x80 | 0x3f);
    expect(resets).toEqual(['wwdg']);
  });

  it('counts at 4096 x 2^WDGTB PCLK1 cycles (PCLK1 = HCLK / 4)', () => {
    const { rd, wr, advance, clocks, resets } = setup();
    clocks.set(168_000_000, 42_000_000, 84_000_000);
    wr(CFR, (2 << 7) | 0x7f); // /4: 16384 PCLK1 = 65536 HCLK cycles per tick
    wr(CR, 0x80 | 0x7f);
    advance(65536 * 10);
    expect(rd(CR) & 0x7f).toBe(0x75);
    advance(65536 * (0x75 - 0x3f) - 1);
    expect(resets).toEqual([]);
    advance(1);
    expect(resets).toEqual(['wwdg']);
  });
});
