/**
 * The STM32F407's peripherals, created on the blocks of the SoC table (./stm32f407Map.ts) and
 * wired to each other, returned as a typed record: the machine and the front ends reach the RCC
 * or USART2 as `soc.rcc`, `soc.usarts[1]`, with no lookup by name and no cast.
 */
import { DmaController, dmaControllers } from '../../peripherals/dma/dma.js';
import { EthernetMac } from '../../peripherals/eth/mac.js';
import { Fsmc, FsmcBanks } from '../../peripherals/fsmc/fsmc.js';
import { I2c, connectI2cDma } from '../../peripherals/i2c/i2c.js';
import { Iwdg } from '../../peripherals/iwdg/iwdg.js';
import type { Peripheral, PeripheralContext } from '../../peripherals/peripheral.js';
import { Rtc } from '../../peripherals/rtc/rtc.js';
import { Spi, connectSpiDma } from '../../peripherals/spi/spi.js';
import { connectTimerDma } from '../../peripherals/tim/timerDma.js';
import { connectTimerPins } from '../../peripherals/tim/timerPins.js';
import {
  UnimplementedPeripheral,
  unimplementedPeripherals,
} from '../../peripherals/unimplemented.js';
import { Wwdg } from '../../peripherals/wwdg/wwdg.js';
import { ioPeripherals, type IoBlocks } from './io.js';
import {
  I2C_BLOCKS,
  SPI_BLOCKS,
  STM32F407_BLOCKS,
  TIMER_PINS,
  UNIMPLEMENTED_BLOCKS,
  socBlock,
} from './stm32f407Map.js';
import { systemPeripherals, type SystemBlocks, type SystemOptions } from './system.js';

export type { SystemOptions } from './system.js';

export interface Stm32f407Soc extends SystemBlocks, IoBlocks {
  readonly iwdg: Iwdg;
  readonly wwdg: Wwdg;
  readonly rtc: Rtc;
  /** DMA1, DMA2. */
  readonly dmas: readonly [DmaController, DmaController];
  /** The Ethernet MAC and its DMA; the board's PHY attaches with `eth.attachPhy(address, phy)`. */
  readonly eth: EthernetMac;
  /** SPI1, SPI2, SPI3; devices connect with `spis[n].connect(device, selected)`. */
  readonly spis: readonly Spi[];
  /** I2C1, I2C2, I2C3; devices attach with `i2cs[n].attach(device)`. */
  readonly i2cs: readonly I2c[];
  /** The FSMC's registers, and its external banks (devices attach with `fsmcBanks.attach`). */
  readonly fsmc: Fsmc;
  readonly fsmcBanks: FsmcBanks;
  /** The table's 'unimplemented' blocks: read 0, ignore writes, warn once per register. */
  readonly unimplemented: readonly UnimplementedPeripheral[];
  /** Every peripheral above, modelled ones first, in the order they are created and reset. */
  readonly all: readonly Peripheral[];
}

export function createStm32f407(ctx: PeripheralContext, options: SystemOptions = {}): Stm32f407Soc {
  const system = systemPeripherals(ctx, options);
  const io = ioPeripherals(ctx);
  const { rcc, pwr } = system;
  const exti = io.exti;
  const iwdg = new Iwdg(socBlock('IWDG'), ctx, () => rcc.startLsi());
  const wwdg = new Wwdg(socBlock('WWDG'), ctx);
  // The RTC lives in the backup domain: clocked as RCC_BDCR selects, writable with PWR_CR.DBP,
  // alarms, wakeup and tamper on EXTI lines 17/22/21.
  const rtc = new Rtc(socBlock('RTC'), ctx, {
    rtcClockHz: () => rcc.rtcClockHz(),
    onBackupDomainChange: (l) => rcc.onBackupDomainChange(l),
    backupWritable: () => pwr.cr.flag('DBP'),
    setExtiLine: (line, level) => exti.setLine(line, level),
  });
  const dmas = dmaControllers([socBlock('DMA1'), socBlock('DMA2')], ctx, io.usarts);
  // RCC_AHB1ENR (offset 0x30): ETHMACEN 25 with ETHMACTXEN 26 / ETHMACRXEN 27 (RM0090 7.3.10).
  const eth = new EthernetMac(socBlock('ETH'), ctx, {
    rmii: () => io.syscfg.pmc.flag('MII_RMII_SEL'),
    txClock: () => rcc.clocksEnabled(0x30, (1 << 25) | (1 << 26)),
    rxClock: () => rcc.clocksEnabled(0x30, (1 << 25) | (1 << 27)),
  });
  // RCC_AHB1RSTR.ETHMACRST (bit 25) resets the MAC and its DMA (RM0090 7.3.5).
  rcc.onPeripheralReset('AHB1RSTR', 25, () => eth.reset());
  // SPI1 on DMA2, SPI2/3 and I2C1-3 on DMA1; their RCC reset lines: APB2RSTR.SPI1RST (12),
  // APB1RSTR.SPI2RST/SPI3RST (14, 15) and I2C1RST-I2C3RST (21-23) (RM0090 7.3.7, 7.3.8).
  const spis = SPI_BLOCKS.map((name) => new Spi(socBlock(name), ctx));
  const i2cs = I2C_BLOCKS.map((name) => new I2c(socBlock(name), ctx));
  connectSpiDma(dmas, spis);
  connectI2cDma(dmas[0], i2cs);
  // Timer DMA requests (RM0090 tables 42/43) and timer outputs on their AF pins (GPIOx_IDR).
  connectTimerDma(dmas, system.timers);
  connectTimerPins(io.gpios, system.timers, TIMER_PINS);
  spis.forEach((spi, n) =>
    rcc.onPeripheralReset(n === 0 ? 'APB2RSTR' : 'APB1RSTR', [12, 14, 15][n]!, () => spi.reset()),
  );
  i2cs.forEach((i2c, n) => rcc.onPeripheralReset('APB1RSTR', 21 + n, () => i2c.reset()));
  const fsmc = new Fsmc(socBlock('FSMC'), ctx);
  // RCC_AHB3ENR (offset 0x38) FSMCEN, bit 0 (RM0090 7.3.12).
  const fsmcBanks = new FsmcBanks(socBlock('FSMC banks'), ctx, fsmc, () =>
    rcc.clocksEnabled(0x38, 1),
  );
  const unimplemented = unimplementedPeripherals(UNIMPLEMENTED_BLOCKS, ctx);
  const modelled: Peripheral[] = [
    system.rcc,
    system.flash,
    system.pwr,
    ...system.timers,
    system.rng,
    system.crc,
    system.dbgmcu,
    ...io.gpios,
    io.syscfg,
    io.exti,
    ...io.usarts,
    iwdg,
    wwdg,
    rtc,
    ...dmas,
    eth,
    ...spis,
    ...i2cs,
    fsmc,
    fsmcBanks,
  ];
  checkAgainstTable(modelled);
  return {
    ...system,
    ...io,
    iwdg,
    wwdg,
    rtc,
    dmas,
    eth,
    spis,
    i2cs,
    fsmc,
    fsmcBanks,
    unimplemented,
    all: [...modelled, ...unimplemented],
  };
}

/**
 * The models created here and the blocks the table marks 'modelled' must be the same set: a
 * block marked modelled with no model would vanish from the bus (a BusFault where the firmware
 * expects registers), a model the table does not list would go unnamed in the GDB map and logs.
 */
function checkAgainstTable(modelled: readonly Peripheral[]): void {
  const created = new Set(modelled.map((p) => p.name));
  for (const b of STM32F407_BLOCKS) {
    if (b.status === 'modelled' && !created.delete(b.name))
      throw new Error(
        `SoC table: ${b.name} is marked modelled but ./stm32f407.ts creates no model`,
      );
  }
  for (const name of created)
    throw new Error(`SoC table: a model of ${name} is created but the table marks it otherwise`);
}
