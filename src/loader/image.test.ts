import { describe, expect, it } from 'vitest';
import { ImageError, loadImage, parseImage, parseIntelHex } from './image.js';
import { parseElf } from './elf.js';
import { Machine } from '../machine/machine.js';

/** A minimal ELF32 ARM executable with one PT_LOAD segment and a symbol table. */
function makeElf(
  opts: { machine?: number; address?: number; data?: number[]; truncate?: number } = {},
): Uint8Array {
  const data = opts.data ?? [0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08];
  const phoff = 52;
  const dataOff = phoff + 32;
  const strtab = new TextEncoder().encode('\0main\0');
  const strOff = dataOff + data.length;
  const symOff = (strOff + strtab.length + 3) & ~3;
  const shoff = symOff + 32;
  const total = shoff + 3 * 40;
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, opts.machine ?? 40, true);
  dv.setUint32(20, 1, true);
  dv.setUint32(24, 0x08000009, true);
  dv.setUint32(28, phoff, true);
  dv.setUint32(32, shoff, true);
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 1, true);
  dv.setUint16(46, 40, true);
  dv.setUint16(48, 3, true);
  // PT_LOAD
  dv.setUint32(phoff, 1, true);
  dv.setUint32(phoff + 4, dataOff, true);
  dv.setUint32(phoff + 8, opts.address ?? 0x08000000, true);
  dv.setUint32(phoff + 12, opts.address ?? 0x08000000, true);
  dv.setUint32(phoff + 16, data.length, true);
  dv.setUint32(phoff + 20, data.length + 8, true);
  b.set(data, dataOff);
  b.set(strtab, strOff);
  // symbol 1: main = 0x08000008, FUNC, size 4
  dv.setUint32(symOff + 16, 1, true);
  dv.setUint32(symOff + 20, 0x08000009, true);
  dv.setUint32(symOff + 24, 4, true);
  b[symOff + 28] = 0x12;
  // sections: 0 null, 1 symtab (link 2), 2 strtab
  dv.setUint32(shoff + 40 + 4, 2, true);
  dv.setUint32(shoff + 40 + 16, symOff, true);
  dv.setUint32(shoff + 40 + 20, 32, true);
  dv.setUint32(shoff + 40 + 24, 2, true);
  dv.setUint32(shoff + 80 + 4, 3, true);
  dv.setUint32(shoff + 80 + 16, strOff, true);
  dv.setUint32(shoff + 80 + 20, strtab.length, true);
  return opts.truncate ? b.subarray(0, opts.truncate) : b;
}

describe('ELF loader', () => {
  it('loads PT_LOAD segments, zero-fills memsz and keeps symbols', () => {
    const image = parseElf(makeElf());
    expect(image.entry).toBe(0x08000009);
    expect(image.segments[0]!.zeroFill).toBe(8);
    expect(image.symbols.describe(0x0800000a)).toBe('main+0x2');
    const m = new Machine();
    loadImage(m.bus, image);
    m.reset();
    expect(m.cpu.r[13]).toBe(0x20001000);
    expect(m.cpu.pc).toBe(0x08000008);
  });

  it('rejects a truncated file, a wrong machine and a segment outside memory with one clear line', () => {
    expect(() => parseImage(makeElf({ truncate: 30 }))).toThrow(/truncated ELF/);
    expect(() => parseImage(makeElf({ truncate: 90 }))).toThrow(/runs past the end/);
    expect(() => parseImage(makeElf({ machine: 62 }))).toThrow(/wrong machine type 62/);
    const outside = parseImage(makeElf({ address: 0x30000000 }));
    expect(() => loadImage(new Machine().bus, outside)).toThrow(ImageError);
    expect(() => loadImage(new Machine().bus, outside)).toThrow(/outside the STM32F407's memory/);
  });
});

describe('Intel HEX and raw images', () => {
  it('parses extended linear address records and checks checksums', () => {
    const hex = [':020000040800F2', ':0400000000100020CC', ':00000001FF'].join('\n');
    const image = parseIntelHex(hex);
    expect(image.segments[0]!.address).toBe(0x08000000);
    expect(Array.from(image.segments[0]!.data)).toEqual([0x00, 0x10, 0x00, 0x20]);
    expect(() => parseIntelHex(':0400000000100020CD\n:00000001FF')).toThrow(/checksum/);
    expect(() => parseIntelHex(':020000040800F2')).toThrow(/no end-of-file record/);
  });

  it('places a raw binary at the flash base', () => {
    const image = parseImage(new Uint8Array([0, 0x10, 0, 0x20, 0x41, 0, 0, 8]), 'fw.bin');
    expect(image.format).toBe('bin');
    expect(image.segments[0]!.address).toBe(0x08000000);
    expect(() => parseImage(new Uint8Array(0))).toThrow(/empty/);
  });
});
