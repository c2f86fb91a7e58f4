/**
 * The board around the chip, live: LED states read from their GPIO pins, the user button
 * driven onto its pin (the board's pull resistor holds the released level), the SD slot's
 * card-detect pin held at its no-card level by the board's pull resistor, and a timed press
 * on virtual time, so a scripted or typed press is deterministic.
 */
import type { BoardDescription, LedDescription } from '../boards/stm32f4discovery.js';
import type { Clock } from '../clock/clock.js';
import type { Gpio } from '../peripherals/gpio/gpio.js';

export interface LedState extends LedDescription {
  on: boolean;
}

export class Board {
  private readonly ledListeners: ((led: LedState) => void)[] = [];
  private readonly releaseAlarm;
  private pressed = false;

  constructor(
    readonly description: BoardDescription,
    private readonly gpios: readonly Gpio[],
    private readonly clock: Clock,
  ) {
    for (const led of description.leds) {
      gpios[led.port]!.onOutputChange((pin) => {
        if (pin !== led.pin) return;
        const state = { ...led, on: this.gpio(led.port).pinLevel(pin) };
        for (const l of this.ledListeners) l(state);
      });
    }
    this.releaseAlarm = clock.createAlarm(() => this.setButton(false));
    this.setButton(false);
    // An empty SD slot: the board's pull-up holds card-detect at its no-card level. Like the
    // button's pull-down it outlasts every chip and GPIO reset (the host keeps driving it).
    const cd = description.cardDetect;
    if (cd) this.gpio(cd.port).setInput(cd.pin, cd.noCardLevel);
  }

  private gpio(port: number): Gpio {
    return this.gpios[port]!;
  }

  /** Every LED with its current state, in the description's order. */
  get leds(): LedState[] {
    return this.description.leds.map((led) => ({
      ...led,
      on: this.gpio(led.port).isOutput(led.pin) && this.gpio(led.port).pinLevel(led.pin),
    }));
  }

  /** Called when an LED's pin changes level. */
  onLedChange(listener: (led: LedState) => void): void {
    this.ledListeners.push(listener);
  }

  get buttonPressed(): boolean {
    return this.pressed;
  }

  /** Holds the user button down (true) or lets it go (false). */
  setButton(pressed: boolean): void {
    const b = this.description.button;
    this.pressed = pressed;
    this.gpio(b.port).setInput(b.pin, pressed ? b.pressedLevel : !b.pressedLevel);
  }

  /**
   * Presses the button and releases it `ms` milliseconds of virtual time later (in nanoseconds,
   * so a PLL switch during the press does not stretch or shorten it).
   */
  click(ms = 100): void {
    this.setButton(true);
    this.clock.scheduleAlarmNanos(this.releaseAlarm, ms * 1e6);
  }
}
