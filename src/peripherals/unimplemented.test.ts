import { describe, expect, it } from 'vitest';
import { Machine } from '../machine/machine.js';
import { UNIMPLEMENTED_BLOCKS } from '../machine/soc/stm32f407Map.js';
import { UnimplementedPeripheral } from './unimplemented.js';

describe('blocks not modelled yet', () => {
  it('read as 0 and ignore writes, warning once per register with the block name', () => {
    const warnings: string[] = [];
    const m = new Machine({ warn: (w) => warnings.push(w) });
    m.bus.write32(0x40006400, 0x10002); // CAN1_MCR
    expect(m.bus.read32(0x40006400)).toBe(0);
    m.bus.write16(0x40006402, 1);
    expect(m.bus.read8(0x40006404)).toBe(0); // CAN1_MSR
    expect(warnings).toEqual([
      'f4emu: CAN1 is not modelled: register at 0x40006400 (offset 0x0), write ignored',
      'f4emu: CAN1 is not modelled: register at 0x40006404 (offset 0x4), read returns 0',
    ]);
  });

  it('cover RM0090 blocks only: a reserved address still raises a bus error', () => {
    const m = new Machine({ warn: () => {} });
    for (const { name, base } of UNIMPLEMENTED_BLOCKS) {
      const p = m.peripherals.get(name);
      expect(p, name).toBeInstanceOf(UnimplementedPeripheral);
      expect(p?.base, name).toBe(base);
    }
    for (const name of ['CAN1', 'I2S2ext', 'CAN2', 'ADC1/2/3', 'SDIO', 'USB OTG FS', 'DCMI'])
      expect(m.peripherals.get(name), name).toBeInstanceOf(UnimplementedPeripheral);
    expect(() => m.bus.read32(0x40015000)).toThrow(); // reserved between TIM11 and GPIOA
  });
});
