import { describe, expect, it } from 'vitest';
import { BusError } from '../../bus/bus.js';
import { memoryMapXml } from '../../gdb/target.js';
import { Machine } from '../machine.js';
import {
  IRQ_COUNT,
  OTHER_IRQS,
  STM32F407_BLOCKS,
  STM32F407_MEMORIES,
  UNIMPLEMENTED_BLOCKS,
  addressName,
  blockAt,
  irqName,
  socBlock,
} from './stm32f407Map.js';

/** RM0090 table 61 (STM32F40x), positions 0-81, written out here as an oracle for the table. */
// prettier-ignore
const RM0090_VECTORS = [
  'WWDG', 'PVD', 'TAMP_STAMP', 'RTC_WKUP', 'FLASH', 'RCC', 'EXTI0', 'EXTI1', 'EXTI2', 'EXTI3',
  'EXTI4', 'DMA1_Stream0', 'DMA1_Stream1', 'DMA1_Stream2', 'DMA1_Stream3', 'DMA1_Stream4',
  'DMA1_Stream5', 'DMA1_Stream6', 'ADC', 'CAN1_TX', 'CAN1_RX0', 'CAN1_RX1', 'CAN1_SCE', 'EXTI9_5',
  'TIM1_BRK_TIM9', 'TIM1_UP_TIM10', 'TIM1_TRG_COM_TIM11', 'TIM1_CC', 'TIM2', 'TIM3', 'TIM4',
  'I2C1_EV', 'I2C1_ER', 'I2C2_EV', 'I2C2_ER', 'SPI1', 'SPI2', 'USART1', 'USART2', 'USART3',
  'EXTI15_10', 'RTC_Alarm', 'OTG_FS_WKUP', 'TIM8_BRK_TIM12', 'TIM8_UP_TIM13', 'TIM8_TRG_COM_TIM14',
  'TIM8_CC', 'DMA1_Stream7', 'FSMC', 'SDIO', 'TIM5', 'SPI3', 'UART4', 'UART5', 'TIM6_DAC', 'TIM7',
  'DMA2_Stream0', 'DMA2_Stream1', 'DMA2_Stream2', 'DMA2_Stream3', 'DMA2_Stream4', 'ETH', 'ETH_WKUP',
  'CAN2_TX', 'CAN2_RX0', 'CAN2_RX1', 'CAN2_SCE', 'OTG_FS', 'DMA2_Stream5', 'DMA2_Stream6',
  'DMA2_Stream7', 'USART6', 'I2C3_EV', 'I2C3_ER', 'OTG_HS_EP1_OUT', 'OTG_HS_EP1_IN', 'OTG_HS_WKUP',
  'OTG_HS', 'DCMI', 'CRYP', 'HASH_RNG', 'FPU',
];

const ranges = [...STM32F407_BLOCKS, ...STM32F407_MEMORIES].sort((a, b) => a.base - b.base);

/** [start, end) intervals merged where they touch. */
function union(list: readonly { start: number; end: number }[]): [number, number][] {
  const out: [number, number][] = [];
  for (const r of [...list].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && r.start <= last[1]) last[1] = Math.max(last[1], r.end);
    else out.push([r.start, r.end]);
  }
  return out;
}

describe('the STM32F407 SoC table', () => {
  it('has no overlapping blocks or memories, and unique names', () => {
    for (let i = 1; i < ranges.length; i++) {
      const a = ranges[i - 1]!;
      const b = ranges[i]!;
      expect(a.base + a.size, `${a.name} overlaps ${b.name}`).toBeLessThanOrEqual(b.base);
    }
    for (const r of ranges) {
      expect(r.size, r.name).toBeGreaterThan(0);
      expect(r.base + r.size, r.name).toBeLessThanOrEqual(0x1_0000_0000);
    }
    const names = ranges.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every interrupt its RM0090 table 61 number, each number one name', () => {
    const byIrq = new Map<number, string>();
    for (const irqs of [...STM32F407_BLOCKS.map((b) => b.irqs), OTHER_IRQS]) {
      for (const [vector, irq] of Object.entries(irqs)) {
        expect(Number.isInteger(irq) && irq >= 0 && irq < IRQ_COUNT, vector).toBe(true);
        expect(byIrq.get(irq) ?? vector, `IRQ ${irq}`).toBe(vector);
        byIrq.set(irq, vector);
        expect(RM0090_VECTORS[irq], vector).toBe(vector);
      }
    }
    expect(IRQ_COUNT).toBe(RM0090_VECTORS.length);
    // Every line but CRYP (an STM32F415/417 block) has its block.
    for (let irq = 0; irq < IRQ_COUNT; irq++)
      expect(irqName(irq)).toBe(irq === 79 ? 'IRQ79' : RM0090_VECTORS[irq]);
    expect(socBlock('ETH')).toMatchObject({ base: 0x40028000, irqs: { ETH: 61 } });
    expect(socBlock('EXTI').irqs).toMatchObject({ ETH_WKUP: 62, RTC_Alarm: 41, RTC_WKUP: 3 });
  });

  it('names addresses for logs', () => {
    for (const r of ranges) {
      expect(blockAt(r.base)).toBe(r);
      expect(blockAt(r.base + r.size - 1)).toBe(r);
    }
    expect(addressName(0x40004404)).toBe('USART2+0x4');
    expect(addressName(0x2000_0100)).toBe('SRAM+0x100');
    expect(addressName(0xe000ed04)).toBe('SCS+0xd04');
    expect(addressName(0x40015000)).toBe('0x40015000'); // reserved
    expect(blockAt(0xffff_ffff)).toBeUndefined();
  });
});

describe('the machine built from the SoC table', () => {
  const m = new Machine({ warn: () => {} });

  it('maps each modelled and unimplemented block, at its table base and size', () => {
    const onBus = STM32F407_BLOCKS.filter((b) => b.status !== 'core');
    expect([...m.peripherals.keys()].sort()).toEqual(onBus.map((b) => b.name).sort());
    for (const p of m.peripherals.values()) {
      const b = STM32F407_BLOCKS.find((x) => x.name === p.name)!;
      expect([p.base, p.size], p.name).toEqual([b.base, b.size]);
      expect(p.placement, p.name).toBe(b);
    }
    expect(m.soc.unimplemented.map((p) => p.name)).toEqual(UNIMPLEMENTED_BLOCKS.map((b) => b.name));
    expect(UNIMPLEMENTED_BLOCKS.map((b) => b.name)).toEqual(
      STM32F407_BLOCKS.filter((b) => b.status === 'unimplemented').map((b) => b.name),
    );
    expect(m.soc.usarts[1]).toBe(m.peripherals.get('USART2'));
    expect(m.soc.rcc).toBe(m.peripherals.get('RCC'));
  });

  it('answers inside every block and memory and faults just outside, where nothing is', () => {
    const covered = (a: number) => blockAt(a) !== undefined;
    for (const r of ranges) {
      if (r.name === 'SCS') continue; // its offset 0 is reserved inside the SCS (ARMv7-M B3.2)
      // The banks fault until RCC_AHB3ENR.FSMCEN, banks 2-4 until PCRx.PBKEN too
      // (src/peripherals/fsmc/fsmc.test.ts).
      if (r.name === 'FSMC banks') {
        expect(() => m.bus.read8(r.base), r.name).toThrow(BusError);
        continue;
      }
      expect(() => m.bus.read8(r.base), r.name).not.toThrow();
      expect(() => m.bus.read8(r.base + r.size - 1), r.name).not.toThrow();
      for (const a of [r.base - 1, r.base + r.size]) {
        if (a < 0 || a > 0xffffffff || covered(a)) continue;
        expect(() => m.bus.read8(a), `${r.name} at 0x${a.toString(16)}`).toThrow(BusError);
      }
    }
    expect(m.bus.read32(0xe000ed00)).toBe(0x410fc241); // SCB CPUID, through the table's SCS
  });

  it('gives GDB a memory map of exactly the table', () => {
    const xml = memoryMapXml();
    const entries = [
      ...xml.matchAll(/<memory type="(\w+)" start="0x([0-9a-f]+)" length="0x([0-9a-f]+)"/g),
    ].map(([, kind, start, length]) => {
      const s = parseInt(start!, 16);
      return { kind: kind!, start: s, end: s + parseInt(length!, 16) };
    });
    expect(union(entries)).toEqual(
      union(ranges.map((r) => ({ start: r.base, end: r.base + r.size }))),
    );
    // No two entries overlap, and each has the kind of what it covers.
    const sorted = [...entries].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i - 1]!.end).toBeLessThanOrEqual(sorted[i]!.start);
    for (const e of entries) {
      const r = blockAt(e.start)!;
      expect(e.kind, r.name).toBe('kind' in r ? r.kind : 'ram');
    }
    expect(xml).toContain(
      '<memory type="flash" start="0x8000000" length="0x10000"><property name="blocksize">0x4000',
    );
    expect(xml).toContain('<memory type="rom" start="0x1fff0000" length="0x10000"/>');
  });
});
