import { describe, expect, it } from 'vitest';
import { GPIO_BLOCKS, socBlock } from '../../machine/soc/stm32f407Map.js';
import { Bus } from '../../bus/bus.js';
import { Clock } from '../../clock/clock.js';
import { Gpio } from '../gpio/gpio.js';
import { ClockTree, type PeripheralContext } from '../peripheral.js';
import { Syscfg } from '../syscfg/syscfg.js';
import { Exti } from './exti.js';

const IMR = 0x00;
const EMR = 0x04;
const RTSR = 0x08;
const FTSR = 0x0c;
const SWIER = 0x10;
const PR = 0x14;

function setup() {
  const irqs = new Map<number, boolean>();
  const ctx: PeripheralContext = {
    clock: new Clock(),
    clocks: new ClockTree(),
    setIrq: (irq, level) => irqs.set(irq, level),
    bus: new Bus(),
    warn: () => {},
    requestReset: () => {},
  };
  const gpios = GPIO_BLOCKS.map((name) => new Gpio(socBlock(name), ctx));
  const syscfg = new Syscfg(socBlock('SYSCFG'), ctx);
  const exti = new Exti(socBlock('EXTI'), ctx, syscfg, gpios);
  return { exti, syscfg, gpios, irqs, irq: (n: number) => irqs.get(n) === true };
}

describe('EXTI', () => {
  it('has 23 lines of registers, all reset to 0', () => {
    const { exti } = setup();
    expect(exti.base).toBe(0x40013c00);
    for (const off of [IMR, EMR, RTSR, FTSR, SWIER, PR]) {
      exti.write(off, 0xffffffff, 4);
    }
    expect(exti.read(IMR, 4)).toBe(0x7fffff);
    expect(exti.read(EMR, 4)).toBe(0x7fffff);
    expect(exti.read(SWIER, 4)).toBe(0); // cleared with PR by the write of ones to PR
    exti.reset();
    for (const off of [IMR, EMR, RTSR, FTSR, SWIER, PR]) expect(exti.read(off, 4)).toBe(0);
  });

  it('raises a software interrupt through SWIER and clears it with a 1 to PR', () => {
    const { exti, irq } = setup();
    exti.write(SWIER, 1 << 3, 4);
    expect(exti.read(SWIER, 4)).toBe(1 << 3);
    expect(exti.read(PR, 4)).toBe(0); // masked: no pending request
    exti.write(IMR, 1 << 3, 4);
    expect(irq(9)).toBe(false); // unmasking later does not replay the write
    exti.write(PR, 1 << 3, 4); // clears SWIER
    expect(exti.read(SWIER, 4)).toBe(0);
    exti.write(SWIER, 1 << 3, 4);
    expect(exti.read(PR, 4)).toBe(1 << 3);
    expect(irq(9)).toBe(true);
    exti.write(SWIER, 1 << 3, 4); // already set: nothing new
    exti.write(PR, 0, 4); // writing 0 does nothing
    expect(irq(9)).toBe(true);
    exti.write(PR, 1 << 3, 4);
    expect(exti.read(PR, 4)).toBe(0);
    expect(exti.read(SWIER, 4)).toBe(0);
    expect(irq(9)).toBe(false);
  });

  it('maps lines to the STM32F407 interrupt numbers', () => {
    const { exti, irq } = setup();
    exti.write(IMR, 0x7fffff, 4);
    const expected: [number, number][] = [
      [0, 6],
      [1, 7],
      [2, 8],
      [3, 9],
      [4, 10],
      [5, 23],
      [9, 23],
      [10, 40],
      [15, 40],
      [16, 1],
      [17, 41],
      [18, 42],
      [19, 62],
      [20, 76],
      [21, 2],
      [22, 3],
    ];
    for (const [line, n] of expected) {
      exti.write(SWIER, 1 << line, 4);
      expect(irq(n), `line ${line}`).toBe(true);
      exti.write(PR, 1 << line, 4);
      expect(irq(n), `line ${line}`).toBe(false);
    }
  });

  it('detects GPIO edges on the port SYSCFG selects', () => {
    const { exti, syscfg, gpios, irq } = setup();
    const [a, b] = [gpios[0]!, gpios[1]!];
    exti.write(IMR, 1, 4);
    exti.write(RTSR, 1, 4);
    a.setInput(0, true); // PA0 rising edge (button press)
    expect(exti.read(PR, 4)).toBe(1);
    expect(irq(6)).toBe(true);
    exti.write(PR, 1, 4);
    a.setInput(0, false); // falling edge not selected
    expect(exti.read(PR, 4)).toBe(0);
    exti.write(FTSR, 1, 4);
    a.setInput(0, true);
    a.setInput(0, false);
    expect(exti.read(PR, 4)).toBe(1);
    exti.write(PR, 1, 4);
    // Line 0 now follows PB0; PA0 no longer matters.
    syscfg.write(0x08, 1, 4);
    a.setInput(0, true);
    expect(exti.read(PR, 4)).toBe(0);
    b.setInput(0, true);
    expect(exti.read(PR, 4)).toBe(1);
    expect(irq(6)).toBe(true);
  });

  it('sees edges of output pins (a pin driving itself)', () => {
    const { exti, syscfg, gpios } = setup();
    const d = gpios[3]!;
    syscfg.write(0x14, 0x3 << 12, 4); // EXTI15 = PD15
    exti.write(RTSR, 1 << 15, 4);
    exti.write(IMR, 1 << 15, 4);
    d.write(0x00, 0x40000000, 4); // PD15 output
    d.write(0x18, 1 << 15, 4);
    expect(exti.read(PR, 4)).toBe(1 << 15);
  });

  it('lets other peripherals raise internal lines', () => {
    const { exti, irq } = setup();
    exti.write(RTSR, 1 << 17, 4);
    exti.write(IMR, 1 << 17, 4);
    exti.pulse(17);
    expect(irq(41)).toBe(true);
    exti.pulse(22); // no trigger selected
    exti.write(RTSR, (1 << 17) | (1 << 16), 4);
    exti.pulse(16); // masked
    expect(exti.read(PR, 4)).toBe(1 << 17);
  });
});
