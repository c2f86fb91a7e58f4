/** I/O blocks of the STM32F407: GPIO A-I, SYSCFG, EXTI, USART1-3/6 and UART4/5. */
import { Exti } from '../../peripherals/exti/exti.js';
import { Gpio } from '../../peripherals/gpio/gpio.js';
import type { PeripheralContext } from '../../peripherals/peripheral.js';
import { Syscfg } from '../../peripherals/syscfg/syscfg.js';
import { Usart } from '../../peripherals/usart/usart.js';
import { GPIO_BLOCKS, USART_BLOCKS, socBlock } from './stm32f407Map.js';

export interface IoBlocks {
  /** GPIOA...GPIOI, index = port number. */
  readonly gpios: readonly Gpio[];
  /** SYSCFG; its `onRemap` is left for the machine to wire to its address-0 alias. */
  readonly syscfg: Syscfg;
  readonly exti: Exti;
  /** USART1, USART2, USART3, UART4, UART5, USART6. */
  readonly usarts: readonly Usart[];
}

/**
 * Creates the I/O peripherals, wired to each other: EXTI watches every GPIO port's pins through
 * the SYSCFG EXTICR multiplexers.
 */
export function ioPeripherals(ctx: PeripheralContext): IoBlocks {
  const gpios = GPIO_BLOCKS.map((name) => new Gpio(socBlock(name), ctx));
  const syscfg = new Syscfg(socBlock('SYSCFG'), ctx);
  const exti = new Exti(socBlock('EXTI'), ctx, syscfg, gpios);
  const usarts = USART_BLOCKS.map((name) => new Usart(socBlock(name), ctx));
  return { gpios, syscfg, exti, usarts };
}
