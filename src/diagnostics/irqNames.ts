/** Exception numbers as a user reads them, with the STM32F407's IRQ names from the SoC table. */
import { exceptionName } from '../core/faults.js';
import { irqName } from '../machine/soc/stm32f407Map.js';

/** "SysTick", "HardFault", "USART2 (IRQ 38)": exception number `n` as a user reads it. */
export function exceptionLabel(n: number): string {
  if (n < 16) return exceptionName(n);
  const irq = n - 16;
  const name = irqName(irq);
  return name === `IRQ${irq}` ? `IRQ ${irq}` : `${name} (IRQ ${irq})`;
}
