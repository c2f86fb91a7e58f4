import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { Dbgmcu, writeChipIdentity } from './dbgmcu.js';

describe('DBGMCU and chip identity', () => {
  it('identifies an STM32F407 with 1 MB of flash', () => {
    const t = testContext();
    t.attach(new Dbgmcu(socBlock('DBGMCU'), t.ctx));
    writeChipIdentity(t.bus);
    expect(t.bus.read32(0xe0042000) >>> 0).toBe(0x10076413);
    t.bus.write32(0xe0042000, 0);
    expect(t.bus.read32(0xe0042000) >>> 0).toBe(0x10076413);
    t.bus.write32(0xe0042004, 0x7);
    expect(t.bus.read32(0xe0042004)).toBe(7);
    t.bus.write32(0xe0042008, 0x10);
    expect(t.bus.read32(0xe0042008)).toBe(0x10);
    expect(t.bus.read16(0x1fff7a22)).toBe(0x0400);
    expect(t.bus.read32(0x1fff7a10) >>> 0).toBe(0x002f0041);
    expect(t.bus.read32(0x1fff7a14) >>> 0).toBe(0x45344617);
    expect(t.bus.read32(0x1fff7a18) >>> 0).toBe(0x3130554d);
  });
});
