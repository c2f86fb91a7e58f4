/**
 * STM32F407 general-purpose I/O port (RM0090 section 8): GPIOA..GPIOI, where the SoC table puts them.
 *
 * Each pin's level is computed from its mode and what drives it: an output drives ODR (an
 * open-drain output driving 1 releases the line: the host's level, else its pull), an input,
 * alternate-function or analog pin reads what the host drives (`setInput`), else its pull-up or
 * pull-down, else 0; IDR reads those levels (analog pins read 0). An alternate-function pin
 * whose function has an output connected (`connectAlternate`: a timer channel) reads the level
 * that output drives (RM0090 8.3.12: in AF mode the input data register samples the pin too),
 * computed when IDR is read, as a timer's PWM level changes with time and no event announces it
 * (so EXTI sees no edges from it). Other alternate functions do not route signals: a USART talks
 * to the host through its own typed calls.
 *
 * Levels are recomputed only when a register or a host input changes, and every changed pin is
 * announced to the pin listeners (EXTI) and, for pins in output mode, to the output listeners
 * (the board's LEDs).
 */
import type { AccessSize } from '../../bus/bus.js';
import { Peripheral, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';

export type PinListener = (pin: number, level: boolean) => void;

/** Reset values that differ from 0 (debug pins PA13-15, PB3-4 in their JTAG/SWD functions). */
const RESET: Record<string, { moder?: number; ospeedr?: number; pupdr?: number }> = {
  GPIOA: { moder: 0xa8000000, ospeedr: 0x0c000000, pupdr: 0x64000000 },
  GPIOB: { moder: 0x00000280, ospeedr: 0x000000c0, pupdr: 0x00000100 },
};

const IDR_OFFSET = 0x10;
const MODE_INPUT = 0;
const MODE_OUTPUT = 1;
const MODE_ANALOG = 3;

export class Gpio extends Peripheral {
  readonly moder: Register;
  readonly otyper: Register;
  readonly ospeedr: Register;
  readonly pupdr: Register;
  readonly idr: Register;
  readonly odr: Register;
  readonly bsrr: Register;
  readonly lckr: Register;
  readonly afrl: Register;
  readonly afrh: Register;

  /** Pins the host drives (bit mask) and the levels it drives them to. */
  private hostDriven = 0;
  private hostLevels = 0;
  /** Current pin levels (bit mask), as IDR would read them ignoring analog mode. */
  private levels = 0;
  /** Pins in analog mode (bit mask). */
  private analog = 0;
  /** Pins whose configuration LCKR froze (bit mask); 0 until a lock sequence completes. */
  private locked = 0;
  /** Progress through the LCKR key sequence (0: none; 1, 2: that many key writes seen). */
  private lockStep = 0;
  private lockPins = 0;
  private readonly pinListeners: PinListener[] = [];
  /** Outputs of alternate functions, by 16 * pin + AF (`connectAlternate`). */
  private readonly afOutputs: ((() => boolean | null) | undefined)[] = [];
  /** Pins in AF mode whose selected function has an output connected (bit mask). */
  private afDriven = 0;
  private readonly outputListeners: PinListener[] = [];

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    const reset = RESET[block.name] ?? {};
    const r = this.regs;
    const config = (v: number, previous: number, reg: Register, bitsPerPin: 1 | 2) => {
      if (this.locked !== 0) {
        const frozen = bitsPerPin === 1 ? this.locked : spreadPins(this.locked);
        reg.value = ((v & ~frozen) | (previous & frozen)) >>> 0;
      }
      this.refreshAlternate();
      this.update();
    };
    this.moder = r.define({
      name: 'MODER',
      offset: 0x00,
      reset: reset.moder ?? 0,
      access: 'rw',
      onWrite: (v, prev) => config(v, prev, this.moder, 2),
    });
    this.otyper = r.define({
      name: 'OTYPER',
      offset: 0x04,
      fields: [{ name: 'OT', bits: [15, 0] }],
      onWrite: (v, prev) => config(v, prev, this.otyper, 1),
    });
    this.ospeedr = r.define({
      name: 'OSPEEDR',
      offset: 0x08,
      reset: reset.ospeedr ?? 0,
      access: 'rw',
      onWrite: (v, prev) => config(v, prev, this.ospeedr, 2),
    });
    this.pupdr = r.define({
      name: 'PUPDR',
      offset: 0x0c,
      reset: reset.pupdr ?? 0,
      access: 'rw',
      onWrite: (v, prev) => config(v, prev, this.pupdr, 2),
    });
    this.idr = r.define({
      name: 'IDR',
      offset: IDR_OFFSET,
      fields: [{ name: 'IDR', bits: [15, 0], access: 'ro' }],
      onRead: () => this.readIdr(),
      // The pins' levels change only through writes and the host (see readIsStable).
      readIdempotent: true,
    });
    this.odr = r.define({
      name: 'ODR',
      offset: 0x14,
      fields: [{ name: 'ODR', bits: [15, 0] }],
      onWrite: () => this.update(),
    });
    this.bsrr = r.define({
      name: 'BSRR',
      offset: 0x18,
      access: 'wo',
      onWrite: (v) => {
        // `v` holds only the bytes written (the stored value is kept 0), so a half-word write
        // to BSRR's upper half resets pins without setting any. Set wins over reset (RM0090 8.4.7).
        this.bsrr.value = 0;
        const set = v & 0xffff;
        const clear = (v >>> 16) & ~set;
        this.odr.value = ((this.odr.value & ~clear) | set) & 0xffff;
        this.update();
      },
    });
    this.lckr = r.define({
      name: 'LCKR',
      offset: 0x1c,
      fields: [
        { name: 'LCKK', bits: 16 },
        { name: 'LCK', bits: [15, 0] },
      ],
      onWrite: (v, prev) => this.lockWrite(v, prev),
    });
    this.afrl = r.define({
      name: 'AFRL',
      offset: 0x20,
      access: 'rw',
      onWrite: (v, prev) => this.afWrite(this.afrl, v, prev, this.locked & 0xff),
    });
    this.afrh = r.define({
      name: 'AFRH',
      offset: 0x24,
      access: 'rw',
      onWrite: (v, prev) => this.afWrite(this.afrh, v, prev, this.locked >>> 8),
    });
    this.levels = this.computeLevels();
  }

  /** Drives input `pin` from outside the chip (a button, a wire); `null` releases it. */
  setInput(pin: number, level: boolean | null): void {
    const bit = 1 << pin;
    if (level === null) this.hostDriven &= ~bit;
    else {
      this.hostDriven |= bit;
      this.hostLevels = level ? this.hostLevels | bit : this.hostLevels & ~bit;
    }
    this.update();
  }

  /** The level of `pin` as the chip sees it (IDR bit, ignoring analog mode). */
  pinLevel(pin: number): boolean {
    if (this.afDriven & (1 << pin)) {
      const driven = this.alternateLevel(pin);
      if (driven !== null) return driven;
    }
    return ((this.levels >>> pin) & 1) !== 0;
  }

  /** Whether `pin` is configured as a general-purpose output. */
  isOutput(pin: number): boolean {
    return ((this.moder.value >>> (2 * pin)) & 3) === MODE_OUTPUT;
  }

  /** The alternate function (AFRL/AFRH) of `pin` while MODER puts it in AF mode, else -1. */
  alternateFunction(pin: number): number {
    if (((this.moder.value >>> (2 * pin)) & 3) !== 2) return -1;
    const afr = pin < 8 ? this.afrl.value : this.afrh.value;
    return (afr >>> (4 * (pin & 7))) & 0xf;
  }

  /**
   * Connects the output of alternate function `af` to `pin`: while the pin is in AF mode with
   * that function selected, it is at `level()` (null: the peripheral does not drive it now; the
   * pin then reads as an input).
   */
  connectAlternate(pin: number, af: number, level: () => boolean | null): void {
    this.afOutputs[16 * pin + af] = level;
    this.refreshAlternate();
  }

  /** Called when an output pin (or one that just stopped being an output) changes level. */
  onOutputChange(listener: PinListener): void {
    this.outputListeners.push(listener);
  }

  /** Called on every pin level change (EXTI edge detection). */
  onPinChange(listener: PinListener): void {
    this.pinListeners.push(listener);
  }

  override reset(): void {
    const outputsBefore = this.outputMask();
    super.reset();
    this.locked = 0;
    this.lockStep = 0;
    // The host keeps driving its inputs across a chip reset.
    this.refreshAlternate();
    this.update(outputsBefore);
  }

  /**
   * IDR reads the pins, which only writes (here or to a block wired to them) and the host's
   * events change, unless an alternate function drives one: a timer's output level is computed
   * from the time.
   */
  override readIsStable(offset: number, size: AccessSize): boolean {
    if ((offset & ~3) === IDR_OFFSET && this.afDriven !== 0) return false;
    return super.readIsStable(offset, size);
  }

  /** IDR: the pin levels, analog pins reading 0 (a polled register: no work beyond a mask). */
  private readIdr(): number {
    let levels = this.levels;
    if (this.afDriven !== 0) {
      for (let pin = 0; pin < 16; pin++) {
        if (!(this.afDriven & (1 << pin))) continue;
        const driven = this.alternateLevel(pin);
        if (driven !== null) levels = driven ? levels | (1 << pin) : levels & ~(1 << pin);
      }
    }
    return levels & ~this.analog & 0xffff;
  }

  /** The level the selected alternate function drives `pin` to, or null. */
  private alternateLevel(pin: number): boolean | null {
    return this.afOutputs[16 * pin + this.alternateFunction(pin)]?.() ?? null;
  }

  /** Recomputes which pins an alternate function's output drives. */
  private refreshAlternate(): void {
    let mask = 0;
    if (this.afOutputs.length > 0) {
      for (let pin = 0; pin < 16; pin++) {
        const af = this.alternateFunction(pin);
        if (af >= 0 && this.afOutputs[16 * pin + af]) mask |= 1 << pin;
      }
    }
    this.afDriven = mask;
  }

  private outputMask(): number {
    let mask = 0;
    const moder = this.moder.value;
    for (let pin = 0; pin < 16; pin++) {
      if (((moder >>> (2 * pin)) & 3) === MODE_OUTPUT) mask |= 1 << pin;
    }
    return mask;
  }

  private computeLevels(): number {
    const moder = this.moder.value;
    const pupdr = this.pupdr.value;
    const odr = this.odr.value;
    const openDrain = this.otyper.value;
    let levels = 0;
    for (let pin = 0; pin < 16; pin++) {
      const bit = 1 << pin;
      const mode = (moder >>> (2 * pin)) & 3;
      let level: number;
      if (mode === MODE_OUTPUT && (!(openDrain & bit) || !(odr & bit))) level = odr & bit;
      else if (this.hostDriven & bit) level = this.hostLevels & bit;
      else if (mode === MODE_ANALOG) level = 0;
      else {
        const pull = (pupdr >>> (2 * pin)) & 3;
        // Open-drain released with no pull: the line floats; read it as high (as if pulled).
        level = pull === 1 || (pull !== 2 && mode === MODE_OUTPUT) ? bit : 0;
      }
      levels |= level;
    }
    return levels;
  }

  /** Recomputes the pin levels and announces every change. */
  private update(outputsBefore = this.outputMask()): void {
    const before = this.levels;
    const after = this.computeLevels();
    this.levels = after;
    let analog = 0;
    const moder = this.moder.value;
    for (let pin = 0; pin < 16; pin++) {
      if (((moder >>> (2 * pin)) & 3) === MODE_ANALOG) analog |= 1 << pin;
    }
    this.analog = analog;
    const changed = before ^ after;
    if (changed === 0) return;
    const outputs = outputsBefore | this.outputMask();
    for (let pin = 0; pin < 16; pin++) {
      const bit = 1 << pin;
      if (!(changed & bit)) continue;
      const level = (after & bit) !== 0;
      for (const l of this.pinListeners) l(pin, level);
      if (outputs & bit) for (const l of this.outputListeners) l(pin, level);
    }
  }

  /**
   * LCKR key sequence (RM0090 8.4.8): write LCKK=1, LCKK=0, LCKK=1, each with the same LCK[15:0];
   * then the pins in LCK keep their configuration until reset and LCKK reads 1. A wrong write
   * aborts the sequence. Writes after the lock are ignored.
   */
  private lockWrite(v: number, prev: number): void {
    if (prev & 0x10000) {
      this.lckr.value = prev;
      return;
    }
    const key = (v >>> 16) & 1;
    const pins = v & 0xffff;
    const expected = this.lockStep === 1 ? 0 : 1;
    if (key === expected && (this.lockStep === 0 || pins === this.lockPins)) {
      this.lockPins = pins;
      this.lockStep++;
      if (this.lockStep === 3) {
        this.locked = pins;
        this.lockStep = 0;
        this.lckr.value = 0x10000 | pins;
        return;
      }
    } else {
      this.lockStep = key === 1 ? 1 : 0;
      this.lockPins = pins;
    }
    // LCKK reads 0 until the sequence completes.
    this.lckr.value = pins;
  }

  private afWrite(reg: Register, v: number, prev: number, lockedPins: number): void {
    if (lockedPins !== 0) {
      let frozen = 0;
      for (let i = 0; i < 8; i++) if (lockedPins & (1 << i)) frozen |= 0xf << (4 * i);
      reg.value = ((v & ~frozen) | (prev & frozen)) >>> 0;
    }
    this.refreshAlternate();
  }
}

/** Pin mask → the matching 2-bit field mask (MODER, OSPEEDR, PUPDR). */
function spreadPins(pins: number): number {
  let mask = 0;
  for (let pin = 0; pin < 16; pin++) if (pins & (1 << pin)) mask |= 3 << (2 * pin);
  return mask >>> 0;
}
