/** Image formats other than ELF (raw binary, Intel HEX), format detection and loading. */
import type { Bus } from '../bus/bus.js';
import { ImageError, SymbolTable, isElf, parseElf, type LoadedImage, type Segment } from './elf.js';

export { ImageError, type LoadedImage } from './elf.js';

export function parseIntelHex(text: string): LoadedImage {
  const segments: Segment[] = [];
  let base = 0;
  let entry: number | null = null;
  let sawEof = false;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    const where = `Intel HEX line ${n + 1}`;
    if (!line.startsWith(':') || line.length < 11 || (line.length - 1) % 2 !== 0) {
      throw new ImageError(`${where}: not a record (expected ':' and hex digit pairs)`);
    }
    const rec = new Uint8Array((line.length - 1) / 2);
    for (let i = 0; i < rec.length; i++) {
      const b = parseInt(line.substr(1 + 2 * i, 2), 16);
      if (Number.isNaN(b)) throw new ImageError(`${where}: bad hex digits`);
      rec[i] = b;
    }
    const len = rec[0]!;
    if (rec.length !== len + 5)
      throw new ImageError(`${where}: length byte says ${len}, record holds ${rec.length - 5}`);
    const sum = rec.reduce((a, b) => a + b, 0) & 0xff;
    if (sum !== 0) throw new ImageError(`${where}: checksum mismatch`);
    const addr = (rec[1]! << 8) | rec[2]!;
    const type = rec[3]!;
    const data = rec.subarray(4, 4 + len);
    switch (type) {
      case 0:
        segments.push({ address: (base + addr) >>> 0, data: data.slice(), zeroFill: 0 });
        break;
      case 1:
        sawEof = true;
        break;
      case 2:
        base = ((data[0]! << 8) | data[1]!) << 4;
        break;
      case 4:
        base = (((data[0]! << 8) | data[1]!) << 16) >>> 0;
        break;
      case 3:
        break;
      case 5:
        entry = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
        break;
      default:
        throw new ImageError(`${where}: unknown record type ${type}`);
    }
    if (sawEof) break;
  }
  if (!sawEof) throw new ImageError('truncated Intel HEX: no end-of-file record');
  if (segments.length === 0) throw new ImageError('the Intel HEX file holds no data');
  return { format: 'hex', segments, entry, symbols: new SymbolTable() };
}

export function parseBinary(bytes: Uint8Array, base = 0x08000000): LoadedImage {
  if (bytes.length < 8)
    throw new ImageError(`raw image of ${bytes.length} bytes is too short for a vector table`);
  return {
    format: 'bin',
    segments: [{ address: base, data: bytes, zeroFill: 0 }],
    entry: null,
    symbols: new SymbolTable(),
  };
}

/** The format from content (ELF magic, ':' records) or name, else raw binary. */
export function imageFormat(bytes: Uint8Array, name = ''): LoadedImage['format'] {
  if (isElf(bytes) || /\.elf$/i.test(name)) return 'elf';
  if (bytes[0] === 0x3a || /\.(hex|ihex)$/i.test(name)) return 'hex';
  return 'bin';
}

/** Parses an image of the format imageFormat detects (a raw binary at the flash base). */
export function parseImage(bytes: Uint8Array, name = ''): LoadedImage {
  if (bytes.length === 0) throw new ImageError('the image file is empty');
  switch (imageFormat(bytes, name)) {
    case 'elf':
      return parseElf(bytes);
    case 'hex':
      return parseIntelHex(new TextDecoder().decode(bytes));
    case 'bin':
      return parseBinary(bytes);
  }
}

/** An ImageError when a segment of the image lies outside mapped memory. */
export function checkImageFits(bus: Bus, image: LoadedImage): void {
  for (const seg of image.segments) {
    const total = seg.data.length + seg.zeroFill;
    if (!bus.isMemory(seg.address, total)) {
      throw new ImageError(
        `segment at 0x${seg.address.toString(16)} (${total} bytes) lies outside the STM32F407's memory ` +
          '(flash 0x08000000/0x00000000 1 MB, SRAM 0x20000000 128 KB, CCM 0x10000000 64 KB)',
      );
    }
  }
}

/**
 * Copies every segment into memory; a segment outside mapped memory is an ImageError, raised
 * before anything is written.
 */
export function loadImage(bus: Bus, image: LoadedImage): void {
  checkImageFits(bus, image);
  for (const seg of image.segments) {
    for (let i = 0; i < seg.data.length; i++) bus.poke8(seg.address + i, seg.data[i]!);
    for (let i = 0; i < seg.zeroFill; i++) bus.poke8(seg.address + seg.data.length + i, 0);
  }
}
