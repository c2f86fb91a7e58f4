/**
 * The STM32F407 blocks f4emu does not model yet (RM0090 table 1, the STM32F405/407 memory map),
 * QEMU's "unimplemented device" habit: they are on the bus, reads return 0 and writes are
 * ignored, and the first access to each register offset logs a one-time warning naming the
 * block and the offset. Firmware that merely initialises a block it does not need keeps
 * running, and the log says what it touched; an unmapped address still raises a BusFault.
 */
import type { AccessSize } from '../bus/bus.js';
import { Peripheral, type PeripheralContext } from './peripheral.js';

/** [name, base, size] of each block not modelled. */
export const UNIMPLEMENTED_BLOCKS: readonly [string, number, number][] = [
  // APB1
  ['TIM12', 0x40001800, 0x400],
  ['TIM13', 0x40001c00, 0x400],
  ['TIM14', 0x40002000, 0x400],
  ['I2S2ext', 0x40003400, 0x400],
  ['SPI2/I2S2', 0x40003800, 0x400],
  ['SPI3/I2S3', 0x40003c00, 0x400],
  ['I2S3ext', 0x40004000, 0x400],
  ['I2C1', 0x40005400, 0x400],
  ['I2C2', 0x40005800, 0x400],
  ['I2C3', 0x40005c00, 0x400],
  ['CAN1', 0x40006400, 0x400],
  ['CAN2', 0x40006800, 0x400],
  ['DAC', 0x40007400, 0x400],
  // APB2
  ['TIM1', 0x40010000, 0x400],
  ['TIM8', 0x40010400, 0x400],
  ['ADC1/2/3', 0x40012000, 0x400],
  ['SDIO', 0x40012c00, 0x400],
  ['SPI1', 0x40013000, 0x400],
  ['TIM9', 0x40014000, 0x400],
  ['TIM10', 0x40014400, 0x400],
  ['TIM11', 0x40014800, 0x400],
  // AHB1
  ['ETH', 0x40028000, 0x1400],
  ['USB OTG HS', 0x40040000, 0x40000],
  // AHB2
  ['USB OTG FS', 0x50000000, 0x40000],
  ['DCMI', 0x50050000, 0x400],
  // AHB3
  ['FSMC', 0xa0000000, 0x1000],
];

export class UnimplementedPeripheral extends Peripheral {
  private readonly warned = new Set<number>();

  override read(offset: number, _size: AccessSize): number {
    this.touch(offset, 'read returns 0');
    return 0;
  }

  override write(offset: number, _value: number, _size: AccessSize): void {
    this.touch(offset, 'write ignored');
  }

  private touch(offset: number, what: string): void {
    const key = offset & ~3;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.ctx.warn(
      `f4emu: ${this.name} is not modelled: register at 0x${(this.base + key).toString(16)} (offset 0x${key.toString(16)}), ${what}`,
    );
  }
}

export function unimplementedPeripherals(ctx: PeripheralContext): Peripheral[] {
  return UNIMPLEMENTED_BLOCKS.map(
    ([name, base, size]) => new UnimplementedPeripheral(name, base, size, ctx),
  );
}
