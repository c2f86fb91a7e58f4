/**
 * CRC calculation unit of the STM32F405/407 (RM0090 §4): CRC-32 with the Ethernet polynomial
 * 0x04C11DB7 over 32-bit words fed MSB first, no reflection, no final XOR, initial value
 * 0xFFFFFFFF (CR.RESET). IDR is an 8-bit scratch register. The unit is fed one 32-bit word per
 * write; a narrower write is taken as that word with its other bytes zero (with a warning).
 */
import type { AccessSize } from '../../bus/bus.js';
import { Peripheral, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';

const POLY = 0x04c11db7;

/** Byte-at-a-time table for the MSB-first CRC. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ POLY : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** One STM32 CRC step: `crc` updated with the 32-bit `word`, MSB first. */
export function crc32Word(crc: number, word: number): number {
  let c = (crc ^ word) >>> 0;
  for (let i = 0; i < 4; i++) c = ((c << 8) ^ TABLE[c >>> 24]!) >>> 0;
  return c;
}

export class Crc extends Peripheral {
  readonly dr: Register;

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    this.dr = this.regs.define({ name: 'DR', offset: 0x00, reset: 0xffffffff, access: 'ro' });
    this.regs.define({ name: 'IDR', offset: 0x04, fields: [{ name: 'IDR', bits: [7, 0] }] });
    this.regs.define({
      name: 'CR',
      offset: 0x08,
      fields: [{ name: 'RESET', bits: 0, access: 'wo' }],
      onWrite: (v) => {
        if (v & 1) this.dr.value = 0xffffffff;
      },
    });
  }

  override write(offset: number, value: number, size: AccessSize): void {
    if (offset < 4) {
      if (size !== 4)
        this.ctx.warn('f4emu: CRC: DR written with a byte/half-word access (taken as a word)');
      const word =
        size === 4 ? value : (value & (size === 1 ? 0xff : 0xffff)) << (8 * (offset & 3));
      this.dr.value = crc32Word(this.dr.value, word >>> 0);
      return;
    }
    super.write(offset, value, size);
  }
}
