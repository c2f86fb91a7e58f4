import { describe, expect, it } from 'vitest';
import { Machine } from '../machine/machine.js';
import { renderBoardStatus } from './boardStatus.js';

describe('the terminal status line', () => {
  it('shows an LED dimmed by PWM with a half dot and its duty cycle', () => {
    const m = new Machine({ warn: () => {} });
    const w = (a: number, v: number) => m.bus.write32(a, v);
    w(0x40020c00, 0x0a000000); // GPIOD MODER: PD12, PD13 alternate function
    w(0x40020c24, 0x00220000); // AFRH: AF2 (TIM4 CH1, CH2)
    w(0x40000818, 0x6060); // TIM4 CCMR1: PWM mode 1 on CH1, CH2
    w(0x4000082c, 99); // ARR
    w(0x40000834, 40); // CCR1
    w(0x40000838, 100); // CCR2: always high
    w(0x40000820, 0x11); // CCER: CC1E, CC2E
    w(0x40000800, 1); // CEN
    expect(renderBoardStatus(m.board, false)).toMatch(
      /^LD4 \u25d0 green 40%  LD3 \u25cf orange  LD5 \u25cb red  LD6 \u25cb blue {3}B1 up/,
    );
  });
});
