import { describe, expect, it } from 'vitest';
import type { Gpio } from '../peripherals/gpio/gpio.js';
import { Machine } from './machine.js';

const GPIOA_IDR = 0x40020010;
const GPIOB_IDR = 0x40020410;
const GPIOB_MODER = 0x40020400;
const GPIOB_PUPDR = 0x4002040c;
const GPIOB_ODR = 0x40020414;
const PB15 = 1 << 15;
const PA0 = 1 << 0;

describe('the board around the chip', () => {
  it('holds the empty SD slot card-detect (PB15) high and B1 (PA0) low after reset', () => {
    const m = new Machine({ warn: () => {} });
    expect(m.bus.read32(GPIOB_IDR) & PB15).toBe(PB15);
    expect(m.bus.read32(GPIOA_IDR) & PA0).toBe(0);
    m.reset();
    expect(m.bus.read32(GPIOB_IDR) & PB15).toBe(PB15);
    expect(m.bus.read32(GPIOA_IDR) & PA0).toBe(0);
  });

  it('keeps PB15 high across a GPIO reset and with no internal pull (NuttX: a floating input)', () => {
    const m = new Machine({ warn: () => {} });
    const gpiob = m.peripherals.get('GPIOB') as Gpio;
    m.bus.write32(GPIOB_MODER, m.bus.read32(GPIOB_MODER) & ~(3 << 30)); // PB15 input
    m.bus.write32(GPIOB_PUPDR, m.bus.read32(GPIOB_PUPDR) & ~(3 << 30)); // no pull
    expect(m.bus.read32(GPIOB_IDR) & PB15).toBe(PB15);
    gpiob.reset();
    expect(m.bus.read32(GPIOB_IDR) & PB15).toBe(PB15);
    expect(m.bus.read32(GPIOA_IDR) & PA0).toBe(0);
    // The pin still obeys the chip: driven as a push-pull output, it reads what ODR drives.
    m.bus.write32(GPIOB_MODER, m.bus.read32(GPIOB_MODER) | (1 << 30));
    m.bus.write32(GPIOB_ODR, 0);
    expect(m.bus.read32(GPIOB_IDR) & PB15).toBe(0);
  });

  it('describes the card-detect pin in the board description', () => {
    const m = new Machine({ warn: () => {} });
    expect(m.board.description.cardDetect).toEqual({ port: 1, pin: 15, noCardLevel: true });
    expect(m.board.description.phyAddress).toBe(0);
  });
});
