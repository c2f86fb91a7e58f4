import { describe, expect, it } from 'vitest';
import { Machine } from './machine.js';

const GPIOD = 0x40020c00;
const TIM4 = 0x40000800;
const TIM1 = 0x40010000;

/** PD12-15 in alternate function 2 (TIM4 CH1-4), TIM4 in PWM mode 1 on all four channels. */
function pwmMachine() {
  const m = new Machine({ warn: () => {} });
  const w = (a: number, v: number) => m.bus.write32(a, v);
  w(GPIOD + 0x00, 0xaa000000); // MODER: PD12-15 alternate function
  w(GPIOD + 0x24, 0x22220000); // AFRH: AF2
  w(TIM4 + 0x18, 0x6868); // CCMR1: OC1M = OC2M = 110 (PWM 1), preload
  w(TIM4 + 0x1c, 0x6868);
  w(TIM4 + 0x2c, 99); // ARR: 100 ticks per period
  w(TIM4 + 0x34, 25); // CCR1
  w(TIM4 + 0x38, 75); // CCR2
  w(TIM4 + 0x3c, 0); // CCR3
  w(TIM4 + 0x40, 200); // CCR4 > ARR: always high
  w(TIM4 + 0x20, 0x1111); // CCER: CC1E-CC4E
  w(TIM4 + 0x00, 1); // CEN
  return { m, w, brightness: () => m.board.leds.map((l) => l.brightness) };
}

describe('LED brightness from timer PWM', () => {
  it('TIM4 CH1-4 on PD12-15 give LD4, LD3, LD5, LD6 their duty cycle', () => {
    const { m, w, brightness } = pwmMachine();
    expect(brightness()).toEqual([0.25, 0.75, 0, 1]);
    expect(m.board.leds.map((l) => l.on)).toEqual([true, true, false, true]);
    w(TIM4 + 0x34, 75);
    w(TIM4 + 0x20, 0x1113); // CC1P: channel 1 inverted
    expect(brightness()[0]).toBe(0.25);
    w(TIM4 + 0x18, 0x6878); // OC1M = 111: PWM mode 2 (inverted again)
    expect(brightness()[0]).toBe(0.75);
    w(TIM4 + 0x20, 0x1110); // CC1E clear: the timer does not drive PD12
    expect(brightness()[0]).toBe(0);
  });

  it('a GPIO output LED is 0 or 1; a pin on another AF gets nothing from TIM4', () => {
    const { w, brightness } = pwmMachine();
    w(GPIOD + 0x00, 0x55000000); // outputs
    w(GPIOD + 0x14, 0x5000); // ODR: PD12, PD14 high
    expect(brightness()).toEqual([1, 0, 1, 0]);
    w(GPIOD + 0x00, 0xaa000000);
    w(GPIOD + 0x24, 0x11110000); // AF1: no timer output on PD12-15
    expect(brightness()).toEqual([0, 0, 0, 0]);
  });

  it('TIM1 needs MOE before its outputs drive the pins', () => {
    const m = new Machine({ warn: () => {} });
    const w = (a: number, v: number) => m.bus.write32(a, v);
    w(TIM1 + 0x18, 0x60);
    w(TIM1 + 0x2c, 9);
    w(TIM1 + 0x34, 4);
    w(TIM1 + 0x20, 1);
    w(TIM1, 1);
    const timer = m.soc.timers.find((t) => t.name === 'TIM1')!;
    expect(timer.outputDuty(0)).toBeNull();
    w(TIM1 + 0x44, 1 << 15); // BDTR.MOE
    expect(timer.outputDuty(0)).toBe(0.4);
  });
});
