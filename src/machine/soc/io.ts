/** I/O blocks of the STM32F407: GPIO, SYSCFG, EXTI, USART/UART (filled in by issue 5). */
import type { Peripheral, PeripheralContext } from '../../peripherals/peripheral.js';

export function ioPeripherals(_ctx: PeripheralContext): Peripheral[] {
  return [];
}
