/**
 * The STM32F407 blocks f4emu does not model yet (RM0090 table 1, the STM32F405/407 memory map),
 * QEMU's "unimplemented device" habit: they are on the bus, reads return 0 and writes are
 * ignored, and the first access to each register offset logs a one-time warning naming the
 * block and the offset. Firmware that merely initialises a block it does not need keeps
 * running, and the log says what it touched; an unmapped address still raises a BusFault.
 * Which blocks they are is the SoC table's business (src/machine/soc/stm32f407Map.ts).
 */
import type { AccessSize } from '../bus/bus.js';
import { Peripheral, type BlockPlacement, type PeripheralContext } from './peripheral.js';

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

export function unimplementedPeripherals(
  blocks: readonly BlockPlacement[],
  ctx: PeripheralContext,
): UnimplementedPeripheral[] {
  return blocks.map((block) => new UnimplementedPeripheral(block, ctx));
}
