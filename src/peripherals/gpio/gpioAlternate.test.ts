import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { Timer } from '../tim/timer.js';
import { connectTimerPins } from '../tim/timerPins.js';
import { Gpio } from './gpio.js';

const MODER = 0x00;
const PUPDR = 0x0c;
const IDR = 0x10;
const AFRL = 0x20;
const AFRH = 0x24;

describe('GPIO pins in alternate-function mode read the level their function drives', () => {
  it('IDR and pinLevel follow a connected AF output while that AF is selected', () => {
    const t = testContext();
    const gpio = t.attach(new Gpio(socBlock('GPIOC'), t.ctx));
    const rd = () => t.bus.read32(gpio.base + IDR) & 0xffff;
    const wr = (off: number, v: number) => t.bus.write32(gpio.base + off, v);
    let level: boolean | null = true;
    gpio.connectAlternate(6, 2, () => level);
    wr(PUPDR, 2 << 12); // PC6 pull-down
    expect(rd() & (1 << 6)).toBe(0); // input mode: the pull
    wr(MODER, 2 << 12); // AF mode, AF0 selected: nothing connected there
    expect(rd() & (1 << 6)).toBe(0);
    wr(AFRL, 2 << 24); // AF2
    expect(rd() & (1 << 6)).toBe(1 << 6);
    expect(gpio.pinLevel(6)).toBe(true);
    level = false;
    expect(rd() & (1 << 6)).toBe(0);
    level = null; // the function does not drive the pin now: the pull-up reads
    wr(PUPDR, 1 << 12);
    expect(rd() & (1 << 6)).toBe(1 << 6);
    level = false;
    wr(MODER, 0); // back to input: the pull-up again
    expect(rd() & (1 << 6)).toBe(1 << 6);
  });

  it('TIM4 CH1 in PWM on PD12 (AF2): IDR samples the PWM waveform on virtual time', () => {
    const t = testContext();
    const gpiod = t.attach(new Gpio(socBlock('GPIOD'), t.ctx));
    const tim4 = t.attach(new Timer(socBlock('TIM4'), t.ctx));
    connectTimerPins([gpiod], [tim4], [{ port: 0, pin: 12, af: 2, timer: 'TIM4', channel: 1 }]);
    const w = (base: number, off: number, v: number) => t.bus.write32(base + off, v);
    w(gpiod.base, MODER, 2 << 24);
    w(gpiod.base, AFRH, 2 << 16);
    w(tim4.base, 0x18, 0x60); // PWM mode 1
    w(tim4.base, 0x2c, 9); // ARR
    w(tim4.base, 0x34, 3); // CCR1: high for CNT 0-2
    expect(t.bus.read32(gpiod.base + IDR) & (1 << 12)).toBe(0); // CC1E clear: not driven
    w(tim4.base, 0x20, 1); // CC1E
    w(tim4.base, 0x00, 1);
    let samples = '';
    for (let i = 0; i < 20; i++) {
      samples += (t.bus.read32(gpiod.base + IDR) >>> 12) & 1;
      t.advance(1);
    }
    expect(samples).toBe('11100000001110000000');
  });
});

describe('TIM1 CH1 and CH1N on the chip’s pins (the SoC table)', () => {
  it('PA8 reads OC1 and PB13 reads its complement OC1N (forced levels, MOE set)', async () => {
    const { Machine } = await import('../../machine/machine.js');
    const m = new Machine();
    const w = (a: number, v: number) => m.bus.write32(a, v);
    w(0x40023830, 0b11); // RCC_AHB1ENR: GPIOA, GPIOB
    w(0x40023844, 1); // RCC_APB2ENR: TIM1
    const GPIOA = 0x40020000;
    const GPIOB = 0x40020400;
    const TIM1 = 0x40010000;
    w(GPIOA + MODER, (m.bus.read32(GPIOA + MODER) & ~(3 << 16)) | (2 << 16)); // PA8 AF
    w(GPIOA + AFRH, 1 << 0); // PA8 AF1
    w(GPIOB + MODER, 2 << 26); // PB13 AF
    w(GPIOB + AFRH, 1 << 20); // PB13 AF1
    w(TIM1 + 0x44, 1 << 15); // BDTR.MOE
    w(TIM1 + 0x20, 0b101); // CCER: CC1E, CC1NE
    const levels = () =>
      `${(m.bus.read32(GPIOA + IDR) >>> 8) & 1}${(m.bus.read32(GPIOB + IDR) >>> 13) & 1}`;
    w(TIM1 + 0x18, 0b101 << 4); // CCMR1: OC1M force active
    expect(levels()).toBe('10');
    w(TIM1 + 0x18, 0b100 << 4); // force inactive
    expect(levels()).toBe('01');
    w(TIM1 + 0x20, 0b001); // CC1NE clear: PB13 no longer driven (its pull: none, reads 0)
    expect(levels()).toBe('00');
  });
});
