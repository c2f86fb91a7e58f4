/** System blocks of the STM32F407: RCC, FLASH interface, PWR, timers, IDs (filled in by issue 5). */
import type { Peripheral, PeripheralContext } from '../../peripherals/peripheral.js';

export function systemPeripherals(_ctx: PeripheralContext): Peripheral[] {
  return [];
}
