import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { Crc, crc32Word } from './crc.js';

describe('CRC', () => {
  it('computes the STM32 CRC-32 (MSB first, no reflection) word by word', () => {
    const t = testContext();
    t.attach(new Crc(socBlock('CRC'), t.ctx));
    const rd = (o: number) => t.bus.read32(0x40023000 + o) >>> 0;
    expect(rd(0)).toBe(0xffffffff);
    t.bus.write32(0x40023000, 0x12345678);
    expect(rd(0)).toBe(0xdf8a8a2b); // the value ST's application notes give
    t.bus.write32(0x40023008, 1); // RESET
    expect(rd(0)).toBe(0xffffffff);
    t.bus.write32(0x40023004, 0x1ab); // IDR: 8 bits
    expect(rd(4)).toBe(0xab);
    expect(rd(8)).toBe(0);
  });

  it('matches CRC-32/MPEG-2 on a byte string fed as big-endian words', () => {
    // CRC-32/MPEG-2 check value of "123456789" is 0x0376E6E7; take the first 8 bytes here and
    // compare with a bitwise reference.
    const ref = (bytes: number[]) => {
      let c = 0xffffffff;
      for (const b of bytes) {
        c ^= b << 24;
        for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
      }
      return c >>> 0;
    };
    const bytes = [0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38];
    let c = 0xffffffff;
    c = crc32Word(c, 0x31323334);
    c = crc32Word(c, 0x35363738);
    expect(c).toBe(ref(bytes));
    expect(ref([...bytes, 0x39])).toBe(0x0376e6e7);
  });
});
