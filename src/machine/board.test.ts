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

describe('devices on the SPI and I2C buses', () => {
  const GPIOE = 0x40021000;
  const GPIOB = 0x40020400;
  const SPI1 = 0x40013000;
  const SPI2 = 0x40003800;
  const I2C1 = 0x40005400;
  /** Runs virtual time until `done()` (no instructions: the bus is driven from here). */
  const waitFor = (m: Machine, done: () => boolean) => {
    for (let i = 0; i < 1000 && !done(); i++) {
      m.clock.cycles = Math.max(m.clock.cycles, m.clock.nextDue());
      m.clock.fireDue();
    }
    expect(done()).toBe(true);
  };
  const exchange = (m: Machine, spi: number, bytes: number[]) =>
    bytes.map((b) => {
      m.bus.write32(spi + 0x0c, b);
      waitFor(m, () => (m.bus.read32(spi + 0x08) & 1) !== 0); // RXNE
      return m.bus.read32(spi + 0x0c);
    });
  /** Pin `pin` of the port at `base` as a push-pull output driving `level`. */
  const output = (m: Machine, base: number, pin: number, level: boolean) => {
    m.bus.write32(base + 0x18, 1 << (pin + (level ? 0 : 16))); // BSRR
    m.bus.write32(base, (m.bus.read32(base) & ~(3 << (2 * pin))) | (1 << (2 * pin)));
  };
  const SPI_MASTER = (1 << 6) | (1 << 2) | (1 << 9) | (1 << 8); // SPE, MSTR, SSM, SSI

  it('has the LIS3DSH on SPI1, selected by PE3 low: WHO_AM_I reads 0x3F', () => {
    const m = new Machine({ warn: () => {} });
    expect(m.board.description.spiChips).toEqual([
      { part: 'LIS3DSH', bus: 'SPI1', chipSelect: { port: 4, pin: 3 } },
    ]);
    expect(m.board.chips.has('LIS3DSH')).toBe(true);
    output(m, GPIOE, 3, true);
    m.bus.write32(SPI1, SPI_MASTER);
    expect(exchange(m, SPI1, [0x8f, 0x00])).toEqual([0xff, 0xff]); // deselected: MISO high
    output(m, GPIOE, 3, false);
    expect(exchange(m, SPI1, [0x8f, 0x00])).toEqual([0xff, 0x3f]);
    output(m, GPIOE, 3, true);
    expect(exchange(m, SPI1, [0x00])).toEqual([0xff]);
  });

  it('attaches a device on SPI2 with its chip select on PB12, and removes it', () => {
    const m = new Machine({ warn: () => {} });
    const selects: boolean[] = [];
    const remove = m.board.attachSpiDevice(
      'SPI2',
      { port: 1, pin: 12 },
      {
        select: (active) => selects.push(active),
        transfer: (b) => b ^ 0xff,
      },
    );
    output(m, GPIOB, 12, true);
    m.bus.write32(SPI2, SPI_MASTER);
    expect(exchange(m, SPI2, [0x0f])).toEqual([0xff]); // not selected: MISO high
    output(m, GPIOB, 12, false);
    expect(exchange(m, SPI2, [0x0f, 0xa5])).toEqual([0xf0, 0x5a]);
    output(m, GPIOB, 12, true);
    expect(selects).toEqual([true, false, true, false]); // floating at reset: low
    remove();
    output(m, GPIOB, 12, false);
    expect(exchange(m, SPI2, [0x0f])).toEqual([0xff]);
    expect(selects).toHaveLength(4);
    expect(() => m.board.attachSpiDevice('SPI4', { port: 0, pin: 0 }, null!)).toThrow(/SPI4/);
  });

  it('attaches a device on I2C1; the CS43L22 address (no model) NACKs', () => {
    const m = new Machine({ warn: () => {} });
    const starts: boolean[] = [];
    m.board.attachI2cDevice('I2C1', {
      address: 0x1d,
      start: (read) => starts.push(read) > 0,
      write: () => true,
      read: () => 0,
      stop: () => {},
    });
    m.bus.write32(I2C1 + 0x04, 16); // FREQ
    m.bus.write32(I2C1 + 0x1c, 80); // CCR
    m.bus.write32(I2C1, 1); // PE
    const addressPhase = (byte: number) => {
      m.bus.write32(I2C1, (1 << 8) | 1); // START
      waitFor(m, () => (m.bus.read32(I2C1 + 0x14) & 1) !== 0); // SB (and SR1 read)
      m.bus.write32(I2C1 + 0x10, byte);
      waitFor(m, () => (m.bus.read32(I2C1 + 0x14) & 0x402) !== 0); // ADDR or AF
      const sr1 = m.bus.read32(I2C1 + 0x14);
      m.bus.write32(I2C1 + 0x14, 0); // clear AF
      m.bus.write32(I2C1, (1 << 9) | 1); // STOP
      waitFor(m, () => (m.bus.read32(I2C1 + 0x18) & 2) === 0); // not BUSY
      return sr1 & 0x402;
    };
    expect(m.board.description.i2cChips).toEqual([{ part: 'CS43L22', bus: 'I2C1', address: 0x4a }]);
    expect(addressPhase(0x94)).toBe(0x400); // AF
    expect(addressPhase(0x3b)).toBe(0x002); // ADDR, read
    expect(starts).toEqual([true]);
  });
});
