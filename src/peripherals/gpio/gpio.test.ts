import { describe, expect, it } from 'vitest';
import { GPIO_BLOCKS, socBlock } from '../../machine/soc/stm32f407Map.js';
import { Bus } from '../../bus/bus.js';
import { Clock } from '../../clock/clock.js';
import { ClockTree, type PeripheralContext } from '../peripheral.js';
import { Gpio } from './gpio.js';

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

const MODER = 0x00;
const OTYPER = 0x04;
const OSPEEDR = 0x08;
const PUPDR = 0x0c;
const IDR = 0x10;
const ODR = 0x14;
const BSRR = 0x18;
const LCKR = 0x1c;
const AFRL = 0x20;
const AFRH = 0x24;

describe('GPIO', () => {
  it('has RM0090 reset values (debug pins on GPIOA/GPIOB)', () => {
    const ctx = context();
    const a = new Gpio(socBlock(GPIO_BLOCKS[0]), ctx);
    const b = new Gpio(socBlock(GPIO_BLOCKS[1]), ctx);
    const d = new Gpio(socBlock(GPIO_BLOCKS[3]), ctx);
    expect(a.name).toBe('GPIOA');
    expect(a.base).toBe(0x40020000);
    expect(d.base).toBe(0x40020c00);
    expect(new Gpio(socBlock(GPIO_BLOCKS[8]), ctx).base).toBe(0x40022000);
    expect(a.read(MODER, 4)).toBe(0xa8000000);
    expect(a.read(OSPEEDR, 4)).toBe(0x0c000000);
    expect(a.read(PUPDR, 4)).toBe(0x64000000);
    expect(b.read(MODER, 4)).toBe(0x00000280);
    expect(b.read(OSPEEDR, 4)).toBe(0x000000c0);
    expect(b.read(PUPDR, 4)).toBe(0x00000100);
    for (const off of [MODER, OTYPER, OSPEEDR, PUPDR, ODR, LCKR, AFRL, AFRH]) {
      expect(d.read(off, 4)).toBe(0);
    }
    // PA13 (pull-up) and PA15 (pull-up) read high; PA14 pulls down.
    expect(a.read(IDR, 4)).toBe(0xa000);
    expect(b.read(IDR, 4)).toBe(0x0010); // PB4 pull-up
  });

  it('drives output pins from ODR and BSRR, set winning over reset', () => {
    const d = new Gpio(socBlock(GPIO_BLOCKS[3]), context());
    const changes: [number, boolean][] = [];
    d.onOutputChange((pin, level) => changes.push([pin, level]));
    d.write(MODER, 0x55000000, 4); // PD12-15 outputs
    d.write(BSRR, (1 << 12) | (1 << 14), 4);
    expect(d.read(ODR, 4)).toBe(0x5000);
    expect(d.read(IDR, 4)).toBe(0x5000);
    expect(d.read(BSRR, 4)).toBe(0); // write-only
    d.write(BSRR, (1 << (16 + 12)) | (1 << 13) | (1 << (16 + 13)), 4);
    expect(d.read(ODR, 4)).toBe(0x6000);
    d.write(BSRR + 2, 1 << 14, 2); // half-word write to the reset half
    expect(d.read(ODR, 4)).toBe(0x2000);
    d.write(ODR, 0x8000, 4);
    expect(d.read(ODR, 4)).toBe(0x8000);
    expect(changes).toEqual([
      [12, true],
      [14, true],
      [12, false],
      [13, true],
      [14, false],
      [13, false],
      [15, true],
    ]);
  });

  it('reads inputs from the host, else their pulls', () => {
    const a = new Gpio(socBlock(GPIO_BLOCKS[0]), context());
    const pins: [number, boolean][] = [];
    a.onPinChange((pin, level) => pins.push([pin, level]));
    expect(a.read(IDR, 4) & 1).toBe(0); // PA0 floating
    a.setInput(0, true);
    expect(a.read(IDR, 4) & 1).toBe(1);
    a.setInput(0, false);
    a.write(PUPDR, 0x64000001, 4); // PA0 pull-up, host still drives low
    expect(a.read(IDR, 4) & 1).toBe(0);
    a.setInput(0, null);
    expect(a.read(IDR, 4) & 1).toBe(1);
    a.write(PUPDR, 0x64000002, 4); // pull-down
    expect(a.read(IDR, 4) & 1).toBe(0);
    expect(pins).toEqual([
      [0, true],
      [0, false],
      [0, true],
      [0, false],
    ]);
    // Analog pins read 0; an output ignores the host.
    a.setInput(1, true);
    expect(a.read(IDR, 4) & 2).toBe(2);
    a.write(MODER, 0xa800000c, 4);
    expect(a.read(IDR, 4) & 2).toBe(0);
    a.write(MODER, 0xa8000004, 4);
    expect(a.read(IDR, 4) & 2).toBe(0);
    expect(a.pinLevel(1)).toBe(false);
  });

  it('models open-drain outputs', () => {
    const c = new Gpio(socBlock(GPIO_BLOCKS[2]), context());
    c.write(MODER, 1, 4);
    c.write(OTYPER, 1, 4);
    c.write(ODR, 1, 4); // released
    c.setInput(0, false); // something else pulls the line low
    expect(c.read(IDR, 4) & 1).toBe(0);
    c.setInput(0, null);
    c.write(PUPDR, 2, 4); // released with a pull-down
    expect(c.read(IDR, 4) & 1).toBe(0);
    c.write(PUPDR, 1, 4);
    expect(c.read(IDR, 4) & 1).toBe(1);
    c.write(ODR, 0, 4);
    expect(c.read(IDR, 4) & 1).toBe(0);
  });

  it('locks the configuration of pins after the LCKR key sequence', () => {
    const e = new Gpio(socBlock(GPIO_BLOCKS[4]), context());
    e.write(MODER, 0x5, 4);
    e.write(AFRL, 0x77, 4);
    // A wrong sequence does not lock.
    e.write(LCKR, 0x10003, 4);
    e.write(LCKR, 0x10003, 4);
    expect(e.read(LCKR, 4) >>> 16).toBe(0);
    e.write(LCKR, 0x10003, 4);
    e.write(LCKR, 0x00003, 4);
    e.write(LCKR, 0x10003, 4);
    expect(e.read(LCKR, 4)).toBe(0x10003);
    e.write(MODER, 0xffffffff, 4);
    expect(e.read(MODER, 4)).toBe(0xfffffff5);
    e.write(AFRL, 0, 4);
    expect(e.read(AFRL, 4)).toBe(0x77);
    e.write(PUPDR, 0xffffffff, 4);
    expect(e.read(PUPDR, 4)).toBe(0xfffffff0);
    e.write(LCKR, 0, 4); // frozen until reset
    expect(e.read(LCKR, 4)).toBe(0x10003);
    e.write(ODR, 3, 4); // data is not locked
    expect(e.read(ODR, 4)).toBe(3);
    e.reset();
    expect(e.read(LCKR, 4)).toBe(0);
    e.write(MODER, 0xffffffff, 4);
    expect(e.read(MODER, 4)).toBe(0xffffffff);
  });

  it('handles byte writes to MODER and ODR', () => {
    const d = new Gpio(socBlock(GPIO_BLOCKS[3]), context());
    d.write(MODER + 3, 0x55, 1);
    expect(d.read(MODER, 4)).toBe(0x55000000);
    d.write(ODR + 1, 0xf0, 1);
    expect(d.read(IDR, 4)).toBe(0xf000);
    expect(d.read(IDR + 1, 1)).toBe(0xf0);
  });
});
