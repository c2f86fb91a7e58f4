/** The STM32F407's peripherals, mapped at their RM0090 addresses. */
import { dmaControllers } from '../../peripherals/dma/dma.js';
import type { Peripheral, PeripheralContext } from '../../peripherals/peripheral.js';
import type { Exti } from '../../peripherals/exti/exti.js';
import { Iwdg } from '../../peripherals/iwdg/iwdg.js';
import type { Pwr } from '../../peripherals/pwr/pwr.js';
import type { Rcc } from '../../peripherals/rcc/rcc.js';
import { Rtc } from '../../peripherals/rtc/rtc.js';
import { Wwdg } from '../../peripherals/wwdg/wwdg.js';
import { unimplementedPeripherals } from '../../peripherals/unimplemented.js';
import { ioPeripherals } from './io.js';
import { systemPeripherals, type SystemOptions } from './system.js';

export function stm32f407Peripherals(
  ctx: PeripheralContext,
  options: SystemOptions = {},
): Peripheral[] {
  const peripherals = [...systemPeripherals(ctx, options), ...ioPeripherals(ctx)];
  peripherals.push(...watchdogsAndRtc(ctx, peripherals));
  return [...peripherals, ...dmaControllers(ctx, peripherals), ...unimplementedPeripherals(ctx)];
}

/**
 * IWDG (starts the RCC's LSI), WWDG, and the RTC in the backup domain: clocked as RCC_BDCR
 * selects, writable with PWR_CR.DBP, alarms and wakeup on EXTI lines 17/21/22.
 */
function watchdogsAndRtc(ctx: PeripheralContext, peripherals: Peripheral[]): Peripheral[] {
  const byName = (name: string) => peripherals.find((p) => p.name === name);
  const rcc = byName('RCC') as Rcc | undefined;
  const pwr = byName('PWR') as Pwr | undefined;
  const exti = byName('EXTI') as Exti | undefined;
  return [
    new Iwdg(ctx, () => rcc?.startLsi()),
    new Wwdg(ctx),
    new Rtc(ctx, {
      ...(rcc && {
        rtcClockHz: () => rcc.rtcClockHz(),
        onBackupDomainChange: (l) => rcc.onBackupDomainChange(l),
      }),
      ...(pwr && { backupWritable: () => pwr.cr.flag('DBP') }),
      ...(exti && { setExtiLine: (line, level) => exti.setLine(line, level) }),
    }),
  ];
}
