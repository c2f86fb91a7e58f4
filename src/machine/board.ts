/**
 * The board around the chip, live: LED states read from their GPIO pins, the user button
 * driven onto its pin (the board's pull resistor holds the released level), the SD slot's
 * card-detect pin held at its no-card level by the board's pull resistor, and a timed press
 * on virtual time, so a scripted or typed press is deterministic.
 *
 * Devices on the SPI and I2C buses: `attachSpiDevice` puts a device on SPI1-3 with its chip
 * select on a GPIO pin (selected while the pin is low: `select` on every change, and it takes
 * part in the frames that end while it is selected); `attachI2cDevice` puts one on I2C1-3 at
 * its address; `attachFsmcDevice` puts one on the FSMC's external bus. The description's
 * chips that f4emu has a model of are attached at start-up: the LIS3DSH accelerometer (identity only, see spiDevices.ts). The CS43L22 has none yet: its
 * address NACKs, as the chip held in reset (its RESET pin, PD4, low) does.
 */
import type {
  BoardDescription,
  LedDescription,
  PinDescription,
} from '../boards/stm32f4discovery.js';
import type { Clock } from '../clock/clock.js';
import type { FsmcBank, FsmcBanks, FsmcDevice } from '../peripherals/fsmc/fsmc.js';
import type { Gpio } from '../peripherals/gpio/gpio.js';
import type { I2c, I2cDevice } from '../peripherals/i2c/i2c.js';
import type { Spi, SpiDevice } from '../peripherals/spi/spi.js';
import type { Timer } from '../peripherals/tim/timer.js';
import { TIMER_PINS } from './soc/stm32f407Map.js';
import { lis3dsh } from '../peripherals/spi/spiDevices.js';

/** The chip's buses the board's devices sit on. */
export interface BoardBuses {
  /** SPI1, SPI2, SPI3. */
  readonly spis: readonly Spi[];
  /** I2C1, I2C2, I2C3. */
  readonly i2cs: readonly I2c[];
  /** The FSMC's external banks. */
  readonly fsmcBanks?: FsmcBanks;
  /** The timers, whose PWM outputs light LEDs on alternate-function pins. */
  readonly timers?: readonly Timer[];
}

/** Models of the chips a board description may list on its SPI buses, by part number. */
const SPI_CHIP_MODELS: Readonly<Record<string, () => SpiDevice>> = { LIS3DSH: lis3dsh };

export interface LedState extends LedDescription {
  on: boolean;
  /**
   * 0..1: 1 or 0 for a GPIO output; for a pin a timer drives in PWM (alternate function), the
   * duty cycle of its output over a counter period.
   */
  brightness: number;
}

export class Board {
  private readonly ledListeners: ((led: LedState) => void)[] = [];
  private readonly releaseAlarm;
  private pressed = false;
  /** The models attached for the description's chips, by part number ('LIS3DSH'). */
  readonly chips = new Map<string, SpiDevice | I2cDevice>();

  constructor(
    readonly description: BoardDescription,
    private readonly gpios: readonly Gpio[],
    private readonly clock: Clock,
    private readonly buses: BoardBuses = { spis: [], i2cs: [] },
  ) {
    for (const led of description.leds) {
      gpios[led.port]!.onOutputChange((pin) => {
        // NuttX's board LEDs change at every interrupt: no work when nobody listens.
        if (pin !== led.pin || this.ledListeners.length === 0) return;
        const on = this.gpio(led.port).pinLevel(pin);
        const state = { ...led, on, brightness: on ? 1 : 0 };
        for (const l of this.ledListeners) l(state);
      });
    }
    this.releaseAlarm = clock.createAlarm(() => this.setButton(false));
    this.setButton(false);
    // An empty SD slot: the board's pull-up holds card-detect at its no-card level. Like the
    // button's pull-down it outlasts every chip and GPIO reset (the host keeps driving it).
    const cd = description.cardDetect;
    if (cd) this.gpio(cd.port).setInput(cd.pin, cd.noCardLevel);
    if (buses.spis.length > 0) {
      for (const chip of description.spiChips ?? []) {
        const model = SPI_CHIP_MODELS[chip.part];
        if (!model) continue;
        const device = model();
        this.attachSpiDevice(chip.bus, chip.chipSelect, device);
        this.chips.set(chip.part, device);
      }
    }
  }

  /**
   * Puts `device` on `bus` ('SPI1'...) with its chip select on `chipSelect`: it is selected
   * while that pin is low. Returns a function that takes it off the bus again.
   */
  attachSpiDevice(bus: string, chipSelect: PinDescription, device: SpiDevice): () => void {
    const spi = this.buses.spis.find((s) => s.bus === bus);
    if (!spi) throw new Error(`the board has no SPI bus ${bus}`);
    const gpio = this.gpio(chipSelect.port);
    const pin = chipSelect.pin;
    let attached = true;
    gpio.onPinChange((changed, level) => {
      if (attached && changed === pin) device.select(!level);
    });
    device.select(!gpio.pinLevel(pin));
    const disconnect = spi.connect(device, () => !gpio.pinLevel(pin));
    return () => {
      attached = false;
      disconnect();
    };
  }

  /** Puts `device` on `bus` ('I2C1'...) at its address. Returns a function that removes it. */
  attachI2cDevice(bus: string, device: I2cDevice): () => void {
    const i2c = this.buses.i2cs.find((b) => b.name === bus);
    if (!i2c) throw new Error(`the board has no I2C bus ${bus}`);
    return i2c.attach(device);
  }

  /**
   * Puts `device` on the FSMC's external bus: bank 1 (NOR/PSRAM/LCD, sub-bank `subBank`, NE1-NE4)
   * or banks 2-4. It sees offsets from its bank's start while the firmware has the bank enabled.
   * Returns a function that removes it.
   */
  attachFsmcDevice(bank: FsmcBank, device: FsmcDevice, subBank: 1 | 2 | 3 | 4 = 1): () => void {
    const banks = this.buses.fsmcBanks;
    if (!banks) throw new Error('the board has no FSMC');
    return banks.attach(bank, device, subBank);
  }

  private gpio(port: number): Gpio {
    return this.gpios[port]!;
  }

  /** Every LED with its current state, in the description's order. */
  get leds(): LedState[] {
    return this.description.leds.map((led) => {
      const gpio = this.gpio(led.port);
      const af = gpio.alternateFunction(led.pin);
      if (af >= 0) {
        const duty = this.timerDuty(led.port, led.pin, af);
        return { ...led, on: duty > 0, brightness: duty };
      }
      const on = gpio.isOutput(led.pin) && gpio.pinLevel(led.pin);
      return { ...led, on, brightness: on ? 1 : 0 };
    });
  }

  /** Duty cycle of the timer channel alternate function `af` puts on the pin (0: none). */
  private timerDuty(port: number, pin: number, af: number): number {
    const out = TIMER_PINS.find((t) => t.port === port && t.pin === pin && t.af === af);
    const timer = out && this.buses.timers?.find((t) => t.name === out.timer);
    return (out && timer?.outputDuty(out.channel - 1)) ?? 0;
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
