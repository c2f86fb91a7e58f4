/** I/O blocks of the STM32F407: GPIO A-I, SYSCFG, EXTI, USART1-3/6 and UART4/5. */
import { Exti } from '../../peripherals/exti/exti.js';
import { GPIO_PORTS, Gpio } from '../../peripherals/gpio/gpio.js';
import type { Peripheral, PeripheralContext } from '../../peripherals/peripheral.js';
import { Syscfg } from '../../peripherals/syscfg/syscfg.js';
import { USARTS, Usart } from '../../peripherals/usart/usart.js';

/**
 * Creates the I/O peripherals, wired to each other: EXTI watches every GPIO port's pins through
 * the SYSCFG EXTICR multiplexers. Names: 'GPIOA'...'GPIOI', 'SYSCFG', 'EXTI', 'USART1'...'USART6'
 * (UART4, UART5). SYSCFG's `onRemap` is left for the machine to wire to its address-0 alias.
 */
export function ioPeripherals(ctx: PeripheralContext): Peripheral[] {
  const gpios = Array.from(GPIO_PORTS, (_, port) => new Gpio(port, ctx));
  const syscfg = new Syscfg(ctx);
  const exti = new Exti(ctx, syscfg, gpios);
  const usarts = USARTS.map((config) => new Usart(config, ctx));
  return [...gpios, syscfg, exti, ...usarts];
}
