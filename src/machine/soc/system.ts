/**
 * System blocks of the STM32F407: RCC, FLASH interface, PWR, TIM1-TIM8, RNG, CRC, DBGMCU, and
 * the chip identity (unique ID, flash size) in system memory.
 */
import type { PeripheralContext } from '../../peripherals/peripheral.js';
import { Crc } from '../../peripherals/crc/crc.js';
import { Dbgmcu, writeChipIdentity } from '../../peripherals/dbgmcu/dbgmcu.js';
import { FlashInterface } from '../../peripherals/flash/flash.js';
import { Pwr } from '../../peripherals/pwr/pwr.js';
import { Rcc } from '../../peripherals/rcc/rcc.js';
import { Rng } from '../../peripherals/rng/rng.js';
import { Timer } from '../../peripherals/tim/timer.js';
import { TIMER_BLOCKS, socBlock } from './stm32f407Map.js';

export interface SystemOptions {
  /** Board crystal in Hz (STM32F4Discovery: 8 MHz). */
  hseHz?: number;
  /** Seed of the RNG's deterministic sequence. */
  rngSeed?: number;
}

export interface SystemBlocks {
  readonly rcc: Rcc;
  readonly flash: FlashInterface;
  readonly pwr: Pwr;
  /** TIM1...TIM8. */
  readonly timers: readonly Timer[];
  readonly rng: Rng;
  readonly crc: Crc;
  readonly dbgmcu: Dbgmcu;
}

export function systemPeripherals(
  ctx: PeripheralContext,
  options: SystemOptions = {},
): SystemBlocks {
  const rcc = new Rcc(socBlock('RCC'), ctx, { hseHz: options.hseHz ?? 8_000_000 });
  writeChipIdentity(ctx.bus);
  const pwr = new Pwr(socBlock('PWR'), ctx, () => rcc.cr.flag('PLLRDY'));
  rcc.backupWritable = () => pwr.cr.flag('DBP');
  return {
    rcc,
    flash: new FlashInterface(socBlock('FLASH'), ctx),
    pwr,
    timers: TIMER_BLOCKS.map((name) => new Timer(socBlock(name), ctx)),
    rng: new Rng(socBlock('RNG'), ctx, options.rngSeed),
    crc: new Crc(socBlock('CRC'), ctx),
    dbgmcu: new Dbgmcu(socBlock('DBGMCU'), ctx),
  };
}
