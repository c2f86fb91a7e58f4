/**
 * What every STM32 peripheral model gets from the machine, and the base class they share:
 * declared registers (./registers.ts), one level-based `updateIrq()`, reset, and snapshot.
 */
import type { AccessSize, Bus, MmioDevice } from '../bus/bus.js';
import type { Clock } from '../clock/clock.js';
import { RegisterBlock } from './registers.js';

/**
 * Bus clock frequencies in Hz as the RCC configures them. Listeners run after every change
 * (a USART recomputes its bit time, a timer its tick).
 */
export class ClockTree {
  /** Core and AHB clock. */
  hclk = 16_000_000;
  /** APB1 (low-speed) peripheral clock. */
  pclk1 = 16_000_000;
  /** APB2 (high-speed) peripheral clock. */
  pclk2 = 16_000_000;
  private listeners: (() => void)[] = [];

  /** Timer kernel clock on APB1/APB2: twice PCLK when the APB prescaler is not 1 (RM0090 6.2). */
  timerClock(apb: 1 | 2): number {
    const pclk = apb === 1 ? this.pclk1 : this.pclk2;
    return pclk === this.hclk ? pclk : 2 * pclk;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  set(hclk: number, pclk1: number, pclk2: number): void {
    if (hclk === this.hclk && pclk1 === this.pclk1 && pclk2 === this.pclk2) return;
    this.hclk = hclk;
    this.pclk1 = pclk1;
    this.pclk2 = pclk2;
    for (const l of this.listeners) l();
  }
}

/**
 * Why the chip resets. 'power-on' clears everything, including the backup domain (RTC, backup
 * registers, BDCR); every other cause is a system reset that keeps it (RM0090 5.1.2, 6.1).
 */
export type ResetCause = 'power-on' | 'software' | 'pin' | 'iwdg' | 'wwdg' | 'low-power';

export interface PeripheralContext {
  clock: Clock;
  clocks: ClockTree;
  /** Drives NVIC external interrupt line `irq` (level-sensitive). */
  setIrq(irq: number, level: boolean): void;
  /** For bus masters (DMA): reads and writes go through the bus like the chip's. */
  bus: Bus;
  warn(message: string): void;
  /**
   * Resets the system (a watchdog expiring): the machine resets every peripheral with this
   * cause after the current instruction.
   */
  requestReset(cause: ResetCause): void;
}

/** The bus a block sits on; APB1 blocks run on PCLK1, APB2 blocks on PCLK2 (RM0090 figure 21). */
export type SocBus = 'AHB1' | 'AHB2' | 'AHB3' | 'APB1' | 'APB2' | 'PPB';

/**
 * Where a block sits on the chip: one row of the SoC table (src/machine/soc/stm32f407Map.ts),
 * handed to the model by the wiring, so the models carry no addresses or IRQ numbers of their own.
 */
export interface BlockPlacement {
  readonly name: string;
  readonly base: number;
  /** Bytes of address space the block answers on. */
  readonly size: number;
  readonly bus: SocBus;
  /** NVIC lines the block drives, by their RM0090 table 61 vector names. */
  readonly irqs: Readonly<Record<string, number>>;
}

/**
 * The NVIC line of `vector` in `block`. A row without it is a wiring error, reported when the
 * model is built rather than as an interrupt that never arrives.
 */
export function irqLine(block: BlockPlacement, vector: string): number {
  const irq = block.irqs[vector];
  if (irq === undefined) throw new Error(`${block.name}: the SoC table gives it no ${vector} IRQ`);
  return irq;
}

export abstract class Peripheral implements MmioDevice {
  readonly regs: RegisterBlock;
  readonly name: string;
  readonly base: number;
  readonly size: number;

  constructor(
    readonly placement: BlockPlacement,
    protected readonly ctx: PeripheralContext,
  ) {
    this.name = placement.name;
    this.base = placement.base;
    this.size = placement.size;
    this.regs = new RegisterBlock(placement.name, ctx.warn);
  }

  read(offset: number, size: AccessSize): number {
    return this.regs.read(offset, size);
  }

  /** The registers' answer (RegisterBlock.readIsStable), unless a subclass reads its own way. */
  readIsStable(offset: number, _size: AccessSize): boolean {
    return this.read === Peripheral.prototype.read && this.regs.readIsStable(offset);
  }

  write(offset: number, value: number, size: AccessSize): void {
    this.regs.write(offset, value, size);
  }

  /**
   * Back to reset state (registers and whatever the model keeps beside them). Blocks of the
   * backup domain keep their state unless `cause` is 'power-on'.
   */
  reset(_cause: ResetCause = 'power-on'): void {
    this.regs.reset();
    this.updateIrq();
  }

  /** Recomputes the interrupt line(s) from status and enable bits. */
  updateIrq(): void {}
}
