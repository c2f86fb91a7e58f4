/**
 * System blocks of the STM32F407: RCC, FLASH interface, PWR, TIM2-TIM7, RNG, CRC, DBGMCU, and
 * the chip identity (unique ID, flash size) in system memory.
 */
import type { Peripheral, PeripheralContext } from '../../peripherals/peripheral.js';
import { Crc } from '../../peripherals/crc/crc.js';
import { Dbgmcu, writeChipIdentity } from '../../peripherals/dbgmcu/dbgmcu.js';
import { FlashInterface } from '../../peripherals/flash/flash.js';
import { Pwr } from '../../peripherals/pwr/pwr.js';
import { Rcc } from '../../peripherals/rcc/rcc.js';
import { Rng } from '../../peripherals/rng/rng.js';
import { TIMERS, Timer } from '../../peripherals/tim/timer.js';

export interface SystemOptions {
  /** Board crystal in Hz (STM32F4Discovery: 8 MHz). */
  hseHz?: number;
  /** Seed of the RNG's deterministic sequence. */
  rngSeed?: number;
}

export function systemPeripherals(
  ctx: PeripheralContext,
  options: SystemOptions = {},
): Peripheral[] {
  const rcc = new Rcc(ctx, { hseHz: options.hseHz ?? 8_000_000 });
  writeChipIdentity(ctx.bus);
  const pwr = new Pwr(ctx, () => rcc.cr.flag('PLLRDY'));
  rcc.backupWritable = () => pwr.cr.flag('DBP');
  return [
    rcc,
    new FlashInterface(ctx),
    pwr,
    ...TIMERS.map((spec) => new Timer(ctx, spec)),
    new Rng(ctx, options.rngSeed),
    new Crc(ctx),
    new Dbgmcu(ctx),
  ];
}
