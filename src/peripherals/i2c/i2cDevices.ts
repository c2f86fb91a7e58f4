/**
 * I2C devices to put on a bus (`Board.attachI2cDevice`).
 */
import type { I2cDevice } from './i2c.js';

export interface I2cMemoryDeviceOptions {
  /** Bytes of memory (default 256: one address byte reaches all of it). */
  size?: number;
  /** Data bytes written are NACKed and not stored (the address byte is still ACKed). */
  writeProtected?: boolean;
}

/**
 * An EEPROM-like memory (a 24C02's protocol, with no write cycle time): a write transfer's
 * first byte sets the address pointer and the bytes after it are stored from there; a read
 * transfer returns bytes from the pointer on. The pointer advances and wraps at the size, so a
 * write of the address byte and a repeated start into a read is the "random read".
 */
export class I2cMemoryDevice implements I2cDevice {
  readonly memory: Uint8Array;
  /** What happened on the bus, in order: 'start W', 'start R', 'write 0x12', 'read 0x34', 'stop'. */
  readonly log: string[] = [];
  private pointer = 0;
  private addressNext = false;

  constructor(
    readonly address: number,
    private readonly options: I2cMemoryDeviceOptions = {},
  ) {
    this.memory = new Uint8Array(options.size ?? 256);
  }

  start(read: boolean): boolean {
    this.log.push(read ? 'start R' : 'start W');
    this.addressNext = !read;
    return true;
  }

  write(byte: number): boolean {
    this.log.push(`write 0x${hex(byte)}`);
    if (this.addressNext) {
      this.addressNext = false;
      this.pointer = byte % this.memory.length;
      return true;
    }
    if (this.options.writeProtected) return false;
    this.memory[this.pointer] = byte;
    this.pointer = (this.pointer + 1) % this.memory.length;
    return true;
  }

  read(): number {
    const v = this.memory[this.pointer]!;
    this.pointer = (this.pointer + 1) % this.memory.length;
    this.log.push(`read 0x${hex(v)}`);
    return v;
  }

  stop(): void {
    this.log.push('stop');
    this.addressNext = false;
  }
}

function hex(v: number): string {
  return v.toString(16).padStart(2, '0');
}
