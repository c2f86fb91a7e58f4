/**
 * SPI devices to put on a bus (`Board.attachSpiDevice`): a register file speaking the command
 * protocol of ST's MEMS sensors, and the STM32F4Discovery's LIS3DSH accelerometer at the level
 * of its identity register.
 */
import type { SpiDevice } from './spi.js';

export interface SpiRegisterDeviceOptions {
  /** Initial register contents by address (others start at 0). */
  registers?: Readonly<Record<number, number>>;
  /** Addresses whose writes are ignored (identity registers). */
  readOnly?: readonly number[];
}

/**
 * A register file of 128 byte registers. After chip select the first byte is a command — bit 7
 * set to read, clear to write; bits 6-0 the register address — during which the device leaves
 * MISO high (0xFF). Each following byte reads (the register's value goes out) or writes (the
 * byte comes in, 0xFF goes out) one register, the address advancing and wrapping at 128. Chip
 * select going inactive ends the command.
 */
export class SpiRegisterDevice implements SpiDevice {
  readonly registers = new Uint8Array(128);
  /** Bytes received while selected, in order (commands included). */
  readonly received: number[] = [];
  /** Times the device was selected. */
  selections = 0;
  private readonly readOnly: ReadonlySet<number>;
  private selected = false;
  private pointer: number | null = null;
  private reading = false;

  constructor(options: SpiRegisterDeviceOptions = {}) {
    for (const [address, value] of Object.entries(options.registers ?? {}))
      this.registers[Number(address) & 0x7f] = value;
    this.readOnly = new Set(options.readOnly ?? []);
  }

  get isSelected(): boolean {
    return this.selected;
  }

  select(active: boolean): void {
    if (active && !this.selected) this.selections++;
    this.selected = active;
    this.pointer = null;
  }

  transfer(byteOut: number): number {
    if (!this.selected) return 0xff;
    this.received.push(byteOut);
    if (this.pointer === null) {
      this.reading = (byteOut & 0x80) !== 0;
      this.pointer = byteOut & 0x7f;
      return 0xff;
    }
    const address = this.pointer;
    this.pointer = (address + 1) & 0x7f;
    if (this.reading) return this.registers[address]!;
    if (!this.readOnly.has(address)) this.registers[address] = byteOut;
    return 0xff;
  }
}

/** LIS3DSH register addresses (ST's LIS3DSH datasheet). */
export const LIS3DSH_WHO_AM_I = 0x0f;
/** What WHO_AM_I reads on a LIS3DSH (a LIS302DL answers 0x3B). */
export const LIS3DSH_ID = 0x3f;

/**
 * The LIS3DSH accelerometer of the STM32F4Discovery (MB997C) at the level of its identity:
 * WHO_AM_I (0x0F) reads 0x3F and ignores writes; every other register reads 0 or what was last
 * written to it. No measurement: the axes read 0, and there is no data-ready signal.
 */
export function lis3dsh(): SpiRegisterDevice {
  return new SpiRegisterDevice({
    registers: { [LIS3DSH_WHO_AM_I]: LIS3DSH_ID },
    readOnly: [LIS3DSH_WHO_AM_I],
  });
}
