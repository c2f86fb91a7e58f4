/**
 * Timer channel outputs onto their GPIO pins: a pin in alternate-function mode with a timer's
 * function selected is at the level that channel drives (Timer.outputLevel), so IDR reads it.
 */
import type { Gpio } from '../gpio/gpio.js';
import type { Timer } from './timer.js';

export interface TimerPin {
  /** 0 = GPIOA. */
  port: number;
  pin: number;
  af: number;
  timer: string;
  /** 1-4. */
  channel: number;
  /** TIM1/TIM8's complementary output CHxN. */
  complementary?: boolean;
}

/** Connects each of `pins` (the SoC's table) to its timer channel's output. */
export function connectTimerPins(
  gpios: readonly Gpio[],
  timers: readonly Timer[],
  pins: readonly TimerPin[],
): void {
  for (const p of pins) {
    const gpio = gpios[p.port];
    const timer = timers.find((t) => t.name === p.timer);
    if (!gpio || !timer) continue;
    const complementary = p.complementary === true;
    gpio.connectAlternate(p.pin, p.af, () => timer.outputLevel(p.channel - 1, complementary));
  }
}
