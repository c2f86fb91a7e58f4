/** The STM32F407's peripherals, mapped at their RM0090 addresses. */
import { dmaControllers } from '../../peripherals/dma/dma.js';
import type { Peripheral, PeripheralContext } from '../../peripherals/peripheral.js';
import { ioPeripherals } from './io.js';
import { systemPeripherals } from './system.js';

export function stm32f407Peripherals(ctx: PeripheralContext): Peripheral[] {
  const peripherals = [...systemPeripherals(ctx), ...ioPeripherals(ctx)];
  return [...peripherals, ...dmaControllers(ctx, peripherals)];
}
