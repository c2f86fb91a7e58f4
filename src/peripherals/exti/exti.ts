/**
 * STM32F407 external interrupt/event controller (RM0090 section 12): 23 lines.
 * Lines 0-15 follow the GPIO pin SYSCFG_EXTICR selects; 16 PVD, 17 RTC alarm, 18 USB OTG FS
 * wakeup, 19 Ethernet wakeup, 20 USB OTG HS wakeup, 21 RTC tamper/time stamp, 22 RTC wakeup are
 * raised by other peripherals through `setLine` / `pulse`.
 *
 * A selected edge (RTSR/FTSR) or a 0-to-1 SWIER write on a line unmasked in IMR sets its pending
 * bit (RM0090 12.2.3 and 12.3.5: the mask gates the pending request register; QEMU sets PR
 * regardless); an interrupt is requested while PR & IMR. PR bits clear by writing 1 (rc_w1),
 * which also clears SWIER. EMR (events for WFE) is stored, not delivered.
 */
import type { Gpio } from '../gpio/gpio.js';
import { Peripheral, irqLine, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';
import type { Syscfg } from '../syscfg/syscfg.js';

export const EXTI_LINES = 23;
const LINE_MASK = (1 << EXTI_LINES) - 1;

/**
 * The NVIC interrupt each group of lines drives: [lines mask, RM0090 table 61 vector]; the
 * vector's IRQ number comes from the SoC table.
 */
const IRQ_GROUPS: readonly [number, string][] = [
  [1 << 0, 'EXTI0'],
  [1 << 1, 'EXTI1'],
  [1 << 2, 'EXTI2'],
  [1 << 3, 'EXTI3'],
  [1 << 4, 'EXTI4'],
  [0x3e0, 'EXTI9_5'], // lines 5-9
  [0xfc00, 'EXTI15_10'], // lines 10-15
  [1 << 16, 'PVD'],
  [1 << 17, 'RTC_Alarm'],
  [1 << 18, 'OTG_FS_WKUP'],
  [1 << 19, 'ETH_WKUP'],
  [1 << 20, 'OTG_HS_WKUP'],
  [1 << 21, 'TAMP_STAMP'],
  [1 << 22, 'RTC_WKUP'],
];

export class Exti extends Peripheral {
  readonly imr: Register;
  readonly emr: Register;
  readonly rtsr: Register;
  readonly ftsr: Register;
  readonly swier: Register;
  readonly pr: Register;
  /** Current input level of each line (bit mask), for edge detection. */
  private lineLevels = 0;
  /** Last level driven on each IRQ group's NVIC line, to touch the NVIC only on changes. */
  private readonly irqLevels = new Uint8Array(IRQ_GROUPS.length);
  /** [lines mask, NVIC line] of each group. */
  private readonly irqGroups: readonly [number, number][];

  constructor(
    block: BlockPlacement,
    ctx: PeripheralContext,
    private readonly syscfg?: Syscfg,
    private readonly gpios: readonly Gpio[] = [],
  ) {
    super(block, ctx);
    this.irqGroups = IRQ_GROUPS.map(([mask, vector]) => [mask, irqLine(block, vector)]);
    const r = this.regs;
    const lines = (name: string, offset: number, access: 'rw' | 'w1s' | 'w1c') =>
      r.define({
        name,
        offset,
        fields: [{ name, bits: [EXTI_LINES - 1, 0], access }],
        onWrite: () => this.updateIrq(),
      });
    this.imr = lines('IMR', 0x00, 'rw');
    this.emr = lines('EMR', 0x04, 'rw');
    this.rtsr = lines('RTSR', 0x08, 'rw');
    this.ftsr = lines('FTSR', 0x0c, 'rw');
    this.swier = r.define({
      name: 'SWIER',
      offset: 0x10,
      fields: [{ name: 'SWIER', bits: [EXTI_LINES - 1, 0], access: 'w1s' }],
      onWrite: (v, prev) => {
        // Writing 1 to a bit that is 0 sets the pending bit of an unmasked line.
        this.pr.value = (this.pr.value | (v & ~prev & this.imr.value)) & LINE_MASK;
        this.updateIrq();
      },
    });
    this.pr = r.define({
      name: 'PR',
      offset: 0x14,
      fields: [{ name: 'PR', bits: [EXTI_LINES - 1, 0], access: 'w1c' }],
      onWrite: (v) => {
        this.swier.value &= v;
        this.updateIrq();
      },
    });

    gpios.forEach((gpio, port) =>
      gpio.onPinChange((pin, level) => {
        if (this.selectedPort(pin) === port) this.setLine(pin, level);
      }),
    );
    syscfg?.onExtiSelect((line, port) => {
      const gpio = this.gpios[port];
      this.setLine(line, gpio ? gpio.pinLevel(line) : false);
    });
    this.lineLevels = this.gpioLevels();
  }

  /** Drives line `line`'s input; a selected rising or falling edge makes it pending. */
  setLine(line: number, level: boolean): void {
    const bit = 1 << line;
    const was = (this.lineLevels & bit) !== 0;
    if (was === level) return;
    this.lineLevels ^= bit;
    const trigger = level ? this.rtsr.value : this.ftsr.value;
    if (trigger & this.imr.value & bit) {
      this.pr.value |= bit;
      this.updateIrq();
    }
  }

  /** A one-cycle pulse on `line` (an internal event such as the RTC alarm): a rising edge. */
  pulse(line: number): void {
    this.setLine(line, true);
    this.setLine(line, false);
  }

  override updateIrq(): void {
    const active = this.pr.value & this.imr.value;
    for (let i = 0; i < this.irqGroups.length; i++) {
      const [mask, irq] = this.irqGroups[i]!;
      const level = (active & mask) !== 0 ? 1 : 0;
      if (level !== this.irqLevels[i]) {
        this.irqLevels[i] = level;
        this.ctx.setIrq(irq, level === 1);
      }
    }
  }

  override reset(): void {
    this.irqLevels.fill(2); // neither level: the first update drives every NVIC line
    super.reset();
    this.lineLevels = this.gpioLevels();
  }

  private selectedPort(line: number): number {
    return this.syscfg ? this.syscfg.extiPort(line) : 0;
  }

  private gpioLevels(): number {
    let levels = 0;
    for (let line = 0; line < 16; line++) {
      const gpio = this.gpios[this.selectedPort(line)];
      if (gpio?.pinLevel(line)) levels |= 1 << line;
    }
    return levels;
  }
}
