/**
 * The STM32F407 in one table: every memory and every block with its base address, size, bus,
 * NVIC lines and whether f4emu models it. The machine's wiring, the unimplemented-block list,
 * the GDB memory map and the address names of the log all come from here, so an address or an
 * IRQ number is written once.
 *
 * Sources: RM0090 rev 19, table 1 (STM32F405xx/07xx memory map), table 61 (STM32F40x vector
 * table), figure 18 (memory map), section 12.2.5 (EXTI lines 16-22); the Cortex-M4 private
 * peripheral bus from the ARMv7-M ARM, B3.1. Pure data and lookups: no Node API, no imports of
 * models, so any layer (gdb, the browser page) can read it.
 *
 * A block moves from "unimplemented" (reads 0, writes ignored, one warning per register) to
 * modelled by changing its status below to 'modelled' and creating its model in ./stm32f407.ts,
 * which checks that the two agree.
 */
import type { BlockPlacement, SocBus } from '../../peripherals/peripheral.js';

/**
 * 'modelled': a model in src/peripherals, created by ./stm32f407.ts; 'unimplemented': on the
 * bus as an UnimplementedPeripheral; 'core': a Cortex-M4 block the machine maps itself.
 */
export type BlockStatus = 'modelled' | 'unimplemented' | 'core';

export interface SocBlock extends BlockPlacement {
  readonly status: BlockStatus;
}

const block = <const N extends string>(
  name: N,
  base: number,
  size: number,
  bus: SocBus,
  irqs: Readonly<Record<string, number>>,
  status: BlockStatus,
) => ({ name, base, size, bus, irqs, status }) satisfies SocBlock;

const M = 'modelled';
const U = 'unimplemented';
const KB = 1024;

/**
 * Every block, by address. An interrupt that reaches the NVIC through an EXTI line (PVD, the
 * RTC's alarm, wakeup and tamper, the USB and Ethernet wakeups) is listed under EXTI, whose
 * lines 16-22 drive it (RM0090 12.2.5). Vectors shared by two blocks (TIM1_BRK_TIM9...) appear
 * under both, with the same name. IRQ 79 (CRYP) exists on the STM32F415/417 only.
 */
// prettier-ignore
const BLOCKS = [
  // APB1
  block('TIM2',      0x40000000, 0x400,   'APB1', { TIM2: 28 }, M),
  block('TIM3',      0x40000400, 0x400,   'APB1', { TIM3: 29 }, M),
  block('TIM4',      0x40000800, 0x400,   'APB1', { TIM4: 30 }, M),
  block('TIM5',      0x40000c00, 0x400,   'APB1', { TIM5: 50 }, M),
  block('TIM6',      0x40001000, 0x400,   'APB1', { TIM6_DAC: 54 }, M),
  block('TIM7',      0x40001400, 0x400,   'APB1', { TIM7: 55 }, M),
  block('TIM12',     0x40001800, 0x400,   'APB1', { TIM8_BRK_TIM12: 43 }, U),
  block('TIM13',     0x40001c00, 0x400,   'APB1', { TIM8_UP_TIM13: 44 }, U),
  block('TIM14',     0x40002000, 0x400,   'APB1', { TIM8_TRG_COM_TIM14: 45 }, U),
  block('RTC',       0x40002800, 0x400,   'APB1', {}, M), // RTC & BKP registers; IRQs via EXTI
  block('WWDG',      0x40002c00, 0x400,   'APB1', { WWDG: 0 }, M),
  block('IWDG',      0x40003000, 0x400,   'APB1', {}, M),
  block('I2S2ext',   0x40003400, 0x400,   'APB1', {}, U),
  block('SPI2/I2S2', 0x40003800, 0x400,   'APB1', { SPI2: 36 }, M),
  block('SPI3/I2S3', 0x40003c00, 0x400,   'APB1', { SPI3: 51 }, M),
  block('I2S3ext',   0x40004000, 0x400,   'APB1', {}, U),
  block('USART2',    0x40004400, 0x400,   'APB1', { USART2: 38 }, M),
  block('USART3',    0x40004800, 0x400,   'APB1', { USART3: 39 }, M),
  block('UART4',     0x40004c00, 0x400,   'APB1', { UART4: 52 }, M),
  block('UART5',     0x40005000, 0x400,   'APB1', { UART5: 53 }, M),
  block('I2C1',      0x40005400, 0x400,   'APB1', { I2C1_EV: 31, I2C1_ER: 32 }, M),
  block('I2C2',      0x40005800, 0x400,   'APB1', { I2C2_EV: 33, I2C2_ER: 34 }, M),
  block('I2C3',      0x40005c00, 0x400,   'APB1', { I2C3_EV: 72, I2C3_ER: 73 }, M),
  block('CAN1',      0x40006400, 0x400,   'APB1', { CAN1_TX: 19, CAN1_RX0: 20, CAN1_RX1: 21, CAN1_SCE: 22 }, U),
  block('CAN2',      0x40006800, 0x400,   'APB1', { CAN2_TX: 63, CAN2_RX0: 64, CAN2_RX1: 65, CAN2_SCE: 66 }, U),
  block('PWR',       0x40007000, 0x400,   'APB1', {}, M), // PVD via EXTI line 16
  block('DAC',       0x40007400, 0x400,   'APB1', { TIM6_DAC: 54 }, U),
  // APB2
  block('TIM1',      0x40010000, 0x400,   'APB2', { TIM1_BRK_TIM9: 24, TIM1_UP_TIM10: 25, TIM1_TRG_COM_TIM11: 26, TIM1_CC: 27 }, M),
  block('TIM8',      0x40010400, 0x400,   'APB2', { TIM8_BRK_TIM12: 43, TIM8_UP_TIM13: 44, TIM8_TRG_COM_TIM14: 45, TIM8_CC: 46 }, M),
  block('USART1',    0x40011000, 0x400,   'APB2', { USART1: 37 }, M),
  block('USART6',    0x40011400, 0x400,   'APB2', { USART6: 71 }, M),
  block('ADC1/2/3',  0x40012000, 0x400,   'APB2', { ADC: 18 }, U),
  block('SDIO',      0x40012c00, 0x400,   'APB2', { SDIO: 49 }, U),
  block('SPI1',      0x40013000, 0x400,   'APB2', { SPI1: 35 }, M),
  block('SYSCFG',    0x40013800, 0x400,   'APB2', {}, M),
  block('EXTI',      0x40013c00, 0x400,   'APB2', {
    EXTI0: 6, EXTI1: 7, EXTI2: 8, EXTI3: 9, EXTI4: 10, EXTI9_5: 23, EXTI15_10: 40,
    PVD: 1, RTC_Alarm: 41, OTG_FS_WKUP: 42, ETH_WKUP: 62, OTG_HS_WKUP: 76, TAMP_STAMP: 2, RTC_WKUP: 3,
  }, M),
  block('TIM9',      0x40014000, 0x400,   'APB2', { TIM1_BRK_TIM9: 24 }, U),
  block('TIM10',     0x40014400, 0x400,   'APB2', { TIM1_UP_TIM10: 25 }, U),
  block('TIM11',     0x40014800, 0x400,   'APB2', { TIM1_TRG_COM_TIM11: 26 }, U),
  // AHB1
  block('GPIOA',     0x40020000, 0x400,   'AHB1', {}, M),
  block('GPIOB',     0x40020400, 0x400,   'AHB1', {}, M),
  block('GPIOC',     0x40020800, 0x400,   'AHB1', {}, M),
  block('GPIOD',     0x40020c00, 0x400,   'AHB1', {}, M),
  block('GPIOE',     0x40021000, 0x400,   'AHB1', {}, M),
  block('GPIOF',     0x40021400, 0x400,   'AHB1', {}, M),
  block('GPIOG',     0x40021800, 0x400,   'AHB1', {}, M),
  block('GPIOH',     0x40021c00, 0x400,   'AHB1', {}, M),
  block('GPIOI',     0x40022000, 0x400,   'AHB1', {}, M),
  block('CRC',       0x40023000, 0x400,   'AHB1', {}, M),
  block('RCC',       0x40023800, 0x400,   'AHB1', { RCC: 5 }, M),
  block('FLASH',     0x40023c00, 0x400,   'AHB1', { FLASH: 4 }, M), // the flash interface registers
  block('DMA1',      0x40026000, 0x400,   'AHB1', {
    DMA1_Stream0: 11, DMA1_Stream1: 12, DMA1_Stream2: 13, DMA1_Stream3: 14,
    DMA1_Stream4: 15, DMA1_Stream5: 16, DMA1_Stream6: 17, DMA1_Stream7: 47,
  }, M),
  block('DMA2',      0x40026400, 0x400,   'AHB1', {
    DMA2_Stream0: 56, DMA2_Stream1: 57, DMA2_Stream2: 58, DMA2_Stream3: 59,
    DMA2_Stream4: 60, DMA2_Stream5: 68, DMA2_Stream6: 69, DMA2_Stream7: 70,
  }, M),
  block('ETH',       0x40028000, 0x1400,  'AHB1', { ETH: 61 }, M), // wakeup: EXTI line 19
  block('USB OTG HS', 0x40040000, 0x40000, 'AHB1', { OTG_HS_EP1_OUT: 74, OTG_HS_EP1_IN: 75, OTG_HS: 77 }, U),
  // AHB2
  block('USB OTG FS', 0x50000000, 0x40000, 'AHB2', { OTG_FS: 67 }, U),
  block('DCMI',      0x50050000, 0x400,   'AHB2', { DCMI: 78 }, U),
  block('RNG',       0x50060800, 0x400,   'AHB2', { HASH_RNG: 80 }, M),
  // AHB3: the FSMC's external banks 1-4 (bank 1 as four 64 MB sub-banks, NE1-NE4) and its
  // control registers (RM0090 36.4, figure 18)
  block('FSMC banks', 0x60000000, 0x40000000, 'AHB3', {}, M),
  block('FSMC',      0xa0000000, 0x1000,  'AHB3', { FSMC: 48 }, M), // control registers
  // Cortex-M4 private peripheral bus
  block('ITM',       0xe0000000, 0x1000,  'PPB',  {}, 'core'),
  block('DWT',       0xe0001000, 0x1000,  'PPB',  {}, 'core'),
  block('FPB',       0xe0002000, 0x1000,  'PPB',  {}, 'core'), // Flash Patch and Breakpoint
  block('SCS',       0xe000e000, 0x1000,  'PPB',  {}, 'core'), // SysTick, NVIC, SCB, MPU, FPU regs
  block('DBGMCU',    0xe0042000, 0x10,    'PPB',  {}, M),
] as const;

export type BlockName = (typeof BLOCKS)[number]['name'];

/** Every block of the chip, in address order. */
export const STM32F407_BLOCKS: readonly SocBlock[] = BLOCKS;

/** NVIC lines with no block row: the FPU's floating-point exception line. */
export const OTHER_IRQS: Readonly<Record<string, number>> = { FPU: 81 };

/** External interrupt lines of the STM32F407's NVIC (IRQ 0-81, RM0090 table 61). */
export const IRQ_COUNT = 82;

const byName = new Map<string, SocBlock>(BLOCKS.map((b) => [b.name, b]));

/** The table row of `name` (typed: only names in the table compile). */
export function socBlock(name: BlockName): SocBlock {
  const b = byName.get(name);
  if (!b) throw new Error(`no block ${name} in the STM32F407 table`); // unreachable by type
  return b;
}

/** GPIO ports in port-number order (GPIOA = 0, as EXTICR and the board description count). */
export const GPIO_BLOCKS = [
  'GPIOA',
  'GPIOB',
  'GPIOC',
  'GPIOD',
  'GPIOE',
  'GPIOF',
  'GPIOG',
  'GPIOH',
  'GPIOI',
] as const satisfies readonly BlockName[];

/** The USARTs and UARTs in their number order. */
export const USART_BLOCKS = [
  'USART1',
  'USART2',
  'USART3',
  'UART4',
  'UART5',
  'USART6',
] as const satisfies readonly BlockName[];

/** The timers f4emu models, in number order (RM0090 sections 17, 18 and 20). */
export const TIMER_BLOCKS = [
  'TIM1',
  'TIM2',
  'TIM3',
  'TIM4',
  'TIM5',
  'TIM6',
  'TIM7',
  'TIM8',
] as const satisfies readonly BlockName[];

/**
 * Timer output channels on pins (STM32F407 datasheet DS8626, table 9, alternate functions):
 * `port` (0 = A), `pin`, the AF number that connects them, the timer and channel (1-4), and
 * `complementary` for TIM1/TIM8's CHxN outputs.
 */
export const TIMER_PINS: readonly {
  port: number;
  pin: number;
  af: number;
  timer: BlockName;
  channel: number;
  complementary?: boolean;
}[] = [
  ...[8, 9, 10, 11].map((pin, i) => ({
    port: 0,
    pin,
    af: 1,
    timer: 'TIM1' as const,
    channel: i + 1,
  })),
  ...[9, 11, 13, 14].map((pin, i) => ({
    port: 4,
    pin,
    af: 1,
    timer: 'TIM1' as const,
    channel: i + 1,
  })),
  ...[0, 1, 2, 3].map((pin, i) => ({
    port: 0,
    pin,
    af: 1,
    timer: 'TIM2' as const,
    channel: i + 1,
  })),
  ...[0, 1, 2, 3].map((pin, i) => ({
    port: 0,
    pin,
    af: 2,
    timer: 'TIM5' as const,
    channel: i + 1,
  })),
  ...[6, 7, 8, 9].map((pin, i) => ({
    port: 2,
    pin,
    af: 2,
    timer: 'TIM3' as const,
    channel: i + 1,
  })),
  ...[6, 7, 8, 9].map((pin, i) => ({
    port: 2,
    pin,
    af: 3,
    timer: 'TIM8' as const,
    channel: i + 1,
  })),
  ...[6, 7, 8, 9].map((pin, i) => ({
    port: 1,
    pin,
    af: 2,
    timer: 'TIM4' as const,
    channel: i + 1,
  })),
  ...[12, 13, 14, 15].map((pin, i) => ({
    port: 3,
    pin,
    af: 2,
    timer: 'TIM4' as const,
    channel: i + 1,
  })),
  // CH1N-CH3N: TIM1 on PA7/PB13/PE8, PB0/PB14/PE10, PB1/PB15/PE12 (AF1); TIM8 on
  // PA5/PA7/PH13, PB0/PB14/PH14, PB1/PB15/PH15 (AF3).
  ...(
    [
      [
        'TIM1',
        1,
        [
          [0, 7],
          [1, 13],
          [4, 8],
        ],
        [
          [1, 0],
          [1, 14],
          [4, 10],
        ],
        [
          [1, 1],
          [1, 15],
          [4, 12],
        ],
      ],
      [
        'TIM8',
        3,
        [
          [0, 5],
          [0, 7],
          [7, 13],
        ],
        [
          [1, 0],
          [1, 14],
          [7, 14],
        ],
        [
          [1, 1],
          [1, 15],
          [7, 15],
        ],
      ],
    ] as const
  ).flatMap(([timer, af, ...channels]) =>
    channels.flatMap((pins, i) =>
      pins.map(([port, pin]) => ({ port, pin, af, timer, channel: i + 1, complementary: true })),
    ),
  ),
];

/** SPI1-3 in their number order (SPI2 and SPI3 double as I2S2/I2S3, RM0090 section 28). */
export const SPI_BLOCKS = [
  'SPI1',
  'SPI2/I2S2',
  'SPI3/I2S3',
] as const satisfies readonly BlockName[];

/** I2C1-3 in their number order. */
export const I2C_BLOCKS = ['I2C1', 'I2C2', 'I2C3'] as const satisfies readonly BlockName[];

/** The blocks f4emu does not model yet (on the bus as UnimplementedPeripheral). */
export const UNIMPLEMENTED_BLOCKS: readonly SocBlock[] = BLOCKS.filter((b) => b.status === U);

// ---- memories ----

export interface SocMemory {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  /** As GDB sees it: flash (erased and programmed in sectors), ram or rom. */
  readonly kind: 'flash' | 'ram' | 'rom';
}

/**
 * The memories (RM0090 table 1, figure 18, 2.3.3 bit banding). System memory is the whole 64 KB
 * page from 0x1FFF0000: the bootloader (30 KB), OTP (528 bytes at 0x1FFF7800) and the option
 * bytes (0x1FFFC000) sit in it. The bit-band aliases have no storage of their own: the bus maps
 * each word of them to one bit of SRAM or of the peripherals (RM0090 2.3.3). Each is listed as
 * far as there is something to alias: 32 words per byte of SRAM, and of APB1 to AHB1
 * (0x40000000-0x4007FFFF, the end of USB OTG HS); the rest of their 32 MB regions faults.
 */
export const STM32F407_MEMORY = {
  bootAlias: { name: 'flash (boot alias)', base: 0x00000000, size: 1024 * KB, kind: 'flash' },
  flash: { name: 'flash', base: 0x08000000, size: 1024 * KB, kind: 'flash' },
  ccm: { name: 'CCM RAM', base: 0x10000000, size: 64 * KB, kind: 'ram' },
  systemMemory: { name: 'system memory', base: 0x1fff0000, size: 64 * KB, kind: 'rom' },
  // SRAM1 (112 KB) and SRAM2 (16 KB), contiguous.
  sram: { name: 'SRAM', base: 0x20000000, size: 128 * KB, kind: 'ram' },
  sramBitBand: { name: 'SRAM bit-band alias', base: 0x22000000, size: 32 * 128 * KB, kind: 'ram' },
  backupSram: { name: 'backup SRAM', base: 0x40024000, size: 4 * KB, kind: 'ram' },
  peripheralBitBand: {
    name: 'peripheral bit-band alias',
    base: 0x42000000,
    size: 32 * 512 * KB,
    kind: 'ram',
  },
} as const satisfies Record<string, SocMemory>;

export const STM32F407_MEMORIES: readonly SocMemory[] = Object.values(STM32F407_MEMORY);

// ---- address and IRQ names (for logs) ----

const NAMED_RANGES: readonly (SocBlock | SocMemory)[] = [
  ...STM32F407_BLOCKS,
  ...STM32F407_MEMORIES,
].sort((a, b) => a.base - b.base);

/** The block or memory that holds `address`, or undefined for a reserved address. */
export function blockAt(address: number): SocBlock | SocMemory | undefined {
  const a = address >>> 0;
  let lo = 0;
  let hi = NAMED_RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = NAMED_RANGES[mid]!;
    if (a < r.base) hi = mid - 1;
    else if (a - r.base >= r.size) lo = mid + 1;
    else return r;
  }
  return undefined;
}

/** `address` as a log shows it: 'USART2+0x4', 'SRAM+0x100', or '0x60000000' when reserved. */
export function addressName(address: number): string {
  const r = blockAt(address);
  const a = address >>> 0;
  return r ? `${r.name}+0x${(a - r.base).toString(16)}` : `0x${a.toString(16)}`;
}

const IRQ_NAMES: readonly (string | undefined)[] = (() => {
  const names: (string | undefined)[] = new Array<string | undefined>(IRQ_COUNT).fill(undefined);
  for (const irqs of [...STM32F407_BLOCKS.map((b) => b.irqs), OTHER_IRQS])
    for (const [vector, irq] of Object.entries(irqs)) names[irq] = vector;
  return names;
})();

/** The RM0090 table 61 name of NVIC line `irq` ('USART2' for 38), or 'IRQ<n>' when reserved. */
export function irqName(irq: number): string {
  return IRQ_NAMES[irq] ?? `IRQ${irq}`;
}
