import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { Bus } from '../../bus/bus.js';
import { Clock } from '../../clock/clock.js';
import { ClockTree, type PeripheralContext } from '../peripheral.js';
import { Syscfg } from './syscfg.js';

function context(): PeripheralContext {
  return {
    clock: new Clock(),
    clocks: new ClockTree(),
    setIrq: () => {},
    bus: new Bus(),
    warn: () => {},
    requestReset: () => {},
  };
}

describe('SYSCFG', () => {
  it('reports MEM_MODE changes through onRemap, back to flash on reset', () => {
    const s = new Syscfg(socBlock('SYSCFG'), context());
    expect(s.base).toBe(0x40013800);
    const modes: number[] = [];
    s.onRemap = (m) => modes.push(m);
    expect(s.read(0x00, 4)).toBe(0);
    s.write(0x00, 3, 4);
    expect(s.read(0x00, 4)).toBe(3);
    expect(s.memoryMode).toBe(3);
    s.write(0x00, 0xffffff03, 4); // same mode, reserved bits: no callback
    expect(s.read(0x00, 4)).toBe(3);
    s.write(0x00, 1, 4);
    s.reset();
    expect(modes).toEqual([3, 1, 0]);
  });

  it('stores PMC.MII_RMII_SEL and the EXTICR port selections', () => {
    const s = new Syscfg(socBlock('SYSCFG'), context());
    const selected: [number, number][] = [];
    s.onExtiSelect((line, port) => selected.push([line, port]));
    s.write(0x04, 0xffffffff, 4);
    expect(s.read(0x04, 4)).toBe(1 << 23);
    s.write(0x08, 0x0003, 4); // EXTI0 = port D
    s.write(0x14, 0x8000, 4); // EXTI15 = port I
    expect(s.extiPort(0)).toBe(3);
    expect(s.extiPort(15)).toBe(8);
    expect(s.extiPort(1)).toBe(0);
    expect(s.read(0x14, 4)).toBe(0x8000);
    s.write(0x0c, 0xffffffff, 4);
    expect(s.read(0x0c, 4)).toBe(0xffff);
    expect(selected.slice(0, 2)).toEqual([
      [0, 3],
      [15, 8],
    ]);
  });

  it('sets CMPCR.READY when the compensation cell is powered', () => {
    const s = new Syscfg(socBlock('SYSCFG'), context());
    s.write(0x20, 0x101, 4);
    expect(s.read(0x20, 4)).toBe(0x101);
    s.write(0x20, 0, 4);
    expect(s.read(0x20, 4)).toBe(0);
  });
});
