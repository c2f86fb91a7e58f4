/**
 * Typed board descriptions: what sits around the chip. The STM32F4Discovery (ST UM1472): an
 * STM32F407VGT6 with an 8 MHz HSE crystal, four user LEDs on port D (LD3 orange PD13, LD4 green
 * PD12, LD5 red PD14, LD6 blue PD15, lit when the pin is high), the blue user button B1 on PA0
 * (high while pressed, an external pull-down holds it low otherwise), USART2 (PA2/PA3) as the
 * console NuttX's configurations use, and the Ethernet baseboard's (STM32F4DIS-BB) LAN8720 PHY at
 * address 0 and microSD card-detect switch on PB15 (NuttX's stm32f4discovery.h: GPIO_SDIO_NCD, a
 * floating input: the baseboard's pull-up holds it high while the slot is empty). On the chip's
 * buses (UM1472 and its schematics): the LIS3DSH accelerometer on SPI1 (PA5-PA7) with its chip
 * select on PE3, and the CS43L22 audio DAC on I2C1 (PB6/PB9) at address 0x94 >> 1 = 0x4A.
 */

/** GPIO port letters, index = port number in the machine (GPIOA = 0). */
export const PORTS = 'ABCDEFGHI';

export interface LedDescription {
  /** Silk-screen name, e.g. 'LD3'. */
  name: string;
  color: 'green' | 'orange' | 'red' | 'blue';
  /** GPIO port number (0 = A) and pin. */
  port: number;
  pin: number;
}

export interface ButtonDescription {
  name: string;
  port: number;
  pin: number;
  /** Pin level while pressed; the other level is held by the board's pull resistor. */
  pressedLevel: boolean;
}

export interface CardDetectDescription {
  /** GPIO port number (0 = A) and pin of the SD slot's card-detect switch. */
  port: number;
  pin: number;
  /** Level the board's pull resistor holds the pin at while no card is in the slot. */
  noCardLevel: boolean;
}

/** A GPIO pin: port number (0 = A) and pin. */
export interface PinDescription {
  port: number;
  pin: number;
}

/** A chip on one of the SPI buses, selected while its chip-select pin is low. */
export interface SpiChipDescription {
  /** Part number ('LIS3DSH'). */
  part: string;
  bus: 'SPI1' | 'SPI2' | 'SPI3';
  chipSelect: PinDescription;
}

/** A chip on one of the I2C buses. */
export interface I2cChipDescription {
  part: string;
  bus: 'I2C1' | 'I2C2' | 'I2C3';
  /** 7-bit address. */
  address: number;
}

export interface BoardDescription {
  name: string;
  /** HSE crystal in Hz. */
  hseHz: number;
  /** In the order they sit around the board, clockwise from the left. */
  leds: LedDescription[];
  button: ButtonDescription;
  /** The USART a firmware for this board uses as its console. */
  console: string;
  /** MDIO address of the Ethernet PHY. */
  phyAddress: number;
  /** The SD slot's card-detect pin, if the board has a slot. */
  cardDetect?: CardDetectDescription;
  /** Chips on the SPI buses (the machine models those it has a model of). */
  spiChips?: SpiChipDescription[];
  /** Chips on the I2C buses. */
  i2cChips?: I2cChipDescription[];
}

const PORT_A = 0;
const PORT_B = 1;
const PORT_D = 3;
const PORT_E = 4;

export const STM32F4DISCOVERY: BoardDescription = {
  name: 'stm32f4discovery',
  hseHz: 8_000_000,
  leds: [
    { name: 'LD4', color: 'green', port: PORT_D, pin: 12 },
    { name: 'LD3', color: 'orange', port: PORT_D, pin: 13 },
    { name: 'LD5', color: 'red', port: PORT_D, pin: 14 },
    { name: 'LD6', color: 'blue', port: PORT_D, pin: 15 },
  ],
  button: { name: 'B1', port: PORT_A, pin: 0, pressedLevel: true },
  console: 'USART2',
  phyAddress: 0,
  cardDetect: { port: PORT_B, pin: 15, noCardLevel: true },
  spiChips: [{ part: 'LIS3DSH', bus: 'SPI1', chipSelect: { port: PORT_E, pin: 3 } }],
  i2cChips: [{ part: 'CS43L22', bus: 'I2C1', address: 0x4a }],
};
