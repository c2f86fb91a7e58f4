import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { Pwr } from './pwr.js';

describe('PWR', () => {
  it('has the RM0090 reset values and stores CR', () => {
    const t = testContext();
    let pll = false;
    t.attach(new Pwr(socBlock('PWR'), t.ctx, () => pll));
    const rd = (o: number) => t.bus.read32(0x40007000 + o) >>> 0;
    expect(rd(0)).toBe(0x4000);
    expect(rd(4)).toBe(0);
    t.bus.write32(0x40007000, 0x4100 | 0xc); // DBP, VOS, CWUF/CSBF read 0
    expect(rd(0)).toBe(0x4100);
    pll = true;
    expect(rd(4)).toBe(0x4000); // VOSRDY once the PLL runs
    t.bus.write32(0x40007004, 1 << 9); // BRE
    expect(rd(4)).toBe(0x4000 | (1 << 9) | (1 << 3));
  });
});
