/**
 * checkBootable: every prebuilt firmware passes; a text file loaded as a raw binary, erased
 * flash, an image linked away from flash and broken vector tables each get one clear line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ImageError, parseImage, type LoadedImage } from '../loader/image.js';
import { SymbolTable, parseElf, type ElfSymbol } from '../loader/elf.js';
import { boot, checkBootable, combineImages, loadImages } from './firmware.js';
import { Machine } from './machine.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PREBUILT = path.join(ROOT, 'firmware', 'prebuilt');

function elfs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return elfs(p);
    return e.name.endsWith('.elf') ? [p] : [];
  });
}

/** Boots `bytes` as the command line would, then checks it. */
function check(bytes: Uint8Array, name: string): string | null {
  const m = new Machine({ warn: () => {} });
  const image = parseImage(bytes, name);
  boot(m, image);
  return checkBootable(m, { name, image });
}

/** A raw image: the vector table words, then code halfwords (little-endian). */
function bin(words: number[], halfwords: number[] = [0xe7fe]): Uint8Array {
  const b = new Uint8Array(4 * words.length + 2 * halfwords.length);
  const v = new DataView(b.buffer);
  words.forEach((w, i) => v.setUint32(4 * i, w >>> 0, true));
  halfwords.forEach((h, i) => v.setUint16(4 * words.length + 2 * i, h, true));
  return b;
}

/** Intel HEX of `data` at `address` (one extended-linear-address record, 16-byte data records). */
function hex(address: number, data: Uint8Array): string {
  const rec = (type: number, addr: number, bytes: number[]) => {
    const all = [bytes.length, (addr >> 8) & 0xff, addr & 0xff, type, ...bytes];
    const sum = (0x100 - (all.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
    return ':' + [...all, sum].map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join('');
  };
  const lines = [rec(4, 0, [(address >>> 24) & 0xff, (address >>> 16) & 0xff])];
  for (let i = 0; i < data.length; i += 16) {
    lines.push(rec(0, (address + i) & 0xffff, [...data.subarray(i, i + 16)]));
  }
  lines.push(rec(1, 0, []));
  return lines.join('\n') + '\n';
}

describe('checkBootable', () => {
  const all = elfs(PREBUILT);

  it('passes every prebuilt firmware', () => {
    expect(all.length).toBeGreaterThan(20);
    for (const file of all) {
      expect([path.relative(PREBUILT, file), check(fs.readFileSync(file), file)]).toEqual([
        path.relative(PREBUILT, file),
        null,
      ]);
    }
  });

  it('passes the demo as Intel HEX too', () => {
    const elf = parseImage(fs.readFileSync(path.join(PREBUILT, 'demo.elf')), 'demo.elf');
    const flash = elf.segments.find((s) => s.address === 0x08000000)!;
    const text = hex(0x08000000, flash.data);
    expect(check(new TextEncoder().encode(text), 'demo.hex')).toBeNull();
  });

  it('says a text file loaded as a raw binary is not firmware', () => {
    const text = new TextEncoder().encode('Hello, world! These are my notes.\n');
    expect(check(text, 'image.bin')).toBe(
      'image.bin is not Cortex-M firmware: its initial SP 0x6c6c6548 (the word at 0) is outside ' +
        'RAM (SRAM 0x20000000-0x20020000, CCM 0x10000000-0x10010000)',
    );
  });

  it('says when the flash is erased and nothing was loaded', () => {
    const m = new Machine({ warn: () => {} });
    boot(m, { format: 'bin', segments: [], entry: null, symbols: new SymbolTable() });
    expect(checkBootable(m)).toBe('flash is erased: nothing to boot');
  });

  it('says when an image puts nothing in flash', () => {
    const text = hex(0x20000000, bin([0x20020000, 0x20000009]));
    expect(check(new TextEncoder().encode(text), 'sram.hex')).toBe(
      'flash is erased at its vector table (0x08000000): nothing to boot; sram.hex puts its data ' +
        'at 0x20000000, not in flash',
    );
  });

  it('takes the top of SRAM, CCM and backup SRAM as initial SP, not one word past it', () => {
    expect(check(bin([0x20020000, 0x08000009]), 'a.bin')).toBeNull();
    expect(check(bin([0x10010000, 0x08000009]), 'a.bin')).toBeNull();
    expect(check(bin([0x40025000, 0x08000009]), 'a.bin')).toBeNull();
    expect(check(bin([0x20020004, 0x08000009]), 'a.bin')).toMatch(
      /^a\.bin is not Cortex-M firmware: its initial SP 0x20020004 /,
    );
    expect(check(bin([0x00000000, 0x08000009]), 'a.bin')).toMatch(/initial SP 0x00000000 /);
  });

  it('wants the reset vector in flash, SRAM or system memory, in Thumb state, not erased', () => {
    const sp = 0x20020000;
    expect(check(bin([sp, 0x00000009]), 'a.bin')).toBeNull(); // the flash alias at 0
    expect(check(bin([sp, 0x20000101]), 'a.bin')).toBeNull();
    expect(check(bin([sp, 0x1fff0001]), 'a.bin')).toBeNull();
    expect(check(bin([sp, 0x60000001]), 'a.bin')).toBe(
      'a.bin is not Cortex-M firmware: its reset vector 0x60000001 (the word at 4) is outside ' +
        'executable memory (flash 0x08000000-0x080fffff, SRAM 0x20000000-0x2001ffff, system ' +
        'memory 0x1fff0000)',
    );
    // CCM RAM sits on the data bus only: the STM32F407 cannot fetch code from it.
    expect(check(bin([sp, 0x10000001]), 'a.bin')).toMatch(/reset vector 0x10000001 .* outside/);
    expect(check(bin([sp, 0x08000008]), 'a.bin')).toBe(
      'a.bin is not Cortex-M firmware: its reset vector 0x08000008 has the Thumb bit (bit 0) clear',
    );
    expect(check(bin([sp, 0x08000101]), 'a.bin')).toBe(
      'a.bin cannot boot: its reset vector 0x08000101 points at erased flash',
    );
  });

  it('reads the vector table the core boots from, without faulting', () => {
    const m = new Machine({ warn: () => {} });
    const image: LoadedImage = parseImage(bin([0x20020000, 0x08000009]), 'x.bin');
    boot(m, image);
    expect(checkBootable(m)).toBeNull();
    expect(m.cpu.pc).toBe(0x08000008); // boot() already took SP and PC from there
    expect(m.cpu.r[13]).toBe(0x20020000);
  });
});

/** A raw image at `address` with `symbols` (FUNC symbols: name → address). */
function part(address: number, data: Uint8Array, symbols: Record<string, number> = {}) {
  const list: ElfSymbol[] = Object.entries(symbols).map(([name, value]) => ({
    name,
    value,
    size: 4,
    type: 2,
  }));
  return {
    format: 'elf',
    segments: [{ address, data, zeroFill: 0 }],
    entry: null,
    symbols: new SymbolTable(list),
  } as LoadedImage;
}

describe('several images', () => {
  const flashByte = (m: Machine, a: number) => m.bus.peek8(a);

  it('boots from two images: the vector table from one, the code it points at from the other', () => {
    // Image 1: the vector table only; image 2 (a "user blob" at 0x08020000): the reset handler,
    // a branch to itself. Either alone cannot boot; together they do, and run.
    const vectors = bin([0x20020000, 0x08020001], []);
    const code = new Uint8Array([0xfe, 0xe7]); // b .
    const m = new Machine({ warn: () => {} });
    const booted = boot(m, [
      { image: part(0x08000000, vectors, { Reset_Handler: 0x08000001 }), name: 'kernel' },
      { image: part(0x08020000, code, { user_start: 0x08020001 }), name: 'user.bin' },
    ]);
    expect(checkBootable(m, { image: booted.image })).toBeNull();
    expect(m.cpu.pc).toBe(0x08020000);
    expect(flashByte(m, 0x08020000)).toBe(0xfe);
    m.cpu.step();
    expect(m.cpu.pc).toBe(0x08020000);
    // One symbol table over both, for the diagnostics and the GDB server.
    expect(booted.image.symbols.describe(0x08020000)).toBe('user_start');
    expect(booted.image.symbols.lookup('Reset_Handler')?.value).toBe(0x08000001);
    expect(booted.image.segments.map((s) => s.address)).toEqual([0x08000000, 0x08020000]);
    // Without the second image the same vector table points at erased flash.
    const alone = new Machine({ warn: () => {} });
    boot(alone, [part(0x08000000, vectors)]);
    expect(checkBootable(alone, { name: 'kernel' })).toBe(
      'kernel cannot boot: its reset vector 0x08020001 points at erased flash',
    );
  });

  it('keeps the single-image call as it was', () => {
    const image = parseImage(bin([0x20020000, 0x08000009]), 'x.bin');
    const m = new Machine({ warn: () => {} });
    expect(boot(m, image).image).toBe(image);
    expect(combineImages([image])).toBe(image);
  });

  it('takes the first image as the main one: its entry and format, its symbol on a name clash', () => {
    const a = {
      ...part(0x08000000, bin([0x20020000, 0x08000009]), { f: 0x08000011 }),
      entry: 0x08000009,
    };
    const b = {
      ...part(0x20000000, new Uint8Array(4), { f: 0x20000001, g: 0x20000003 }),
      format: 'bin' as const,
    };
    const c = combineImages([a, b]);
    expect(c.entry).toBe(0x08000009);
    expect(c.format).toBe('elf');
    expect(c.symbols.lookup('f')?.value).toBe(0x08000011);
    expect(c.symbols.lookup('g')?.value).toBe(0x20000003);
    // Address lookups see both tables, the second's f too.
    expect(c.symbols.describe(0x20000000)).toBe('f');
    expect(combineImages([b, a]).symbols.lookup('f')?.value).toBe(0x20000001);
  });

  it('refuses images that overlap, naming both and the range, and writes nothing', () => {
    const m = new Machine({ warn: () => {} });
    const a = part(0x08000000, new Uint8Array(0x200).fill(1));
    const b = part(0x08000180, new Uint8Array(0x100).fill(2));
    const load = () =>
      loadImages(m, [
        { image: a, name: 'a.bin' },
        { image: b, name: 'b.bin' },
      ]);
    expect(load).toThrow(ImageError);
    expect(load).toThrow(
      'a.bin and b.bin overlap at 0x08000180-0x080001ff (128 bytes): the later one would ' +
        'overwrite the other; load each at its own address',
    );
    expect(flashByte(m, 0x08000000)).toBe(0xff);
    expect(flashByte(m, 0x08000180)).toBe(0xff);
    // The flash alias at 0 holds the same bytes; unnamed images are numbered.
    expect(() => combineImages([a, part(0x100, new Uint8Array(4))])).toThrow(
      'image 1 and image 2 overlap at 0x08000100-0x08000103 (4 bytes)',
    );
    // Touching is not overlapping; neither is an image overlapping itself.
    expect(() => combineImages([a, part(0x08000200, new Uint8Array(4))])).not.toThrow();
    const twice = { ...a, segments: [...a.segments, ...a.segments] };
    expect(() => combineImages([twice, part(0x08000200, new Uint8Array(4))])).not.toThrow();
    // Zero-filled bytes (.bss) count: they would be written too.
    const bss = { ...part(0x20000000, new Uint8Array(4)) };
    bss.segments = [{ address: 0x20000000, data: new Uint8Array(4), zeroFill: 0x100 }];
    expect(() => combineImages([bss, part(0x20000100, new Uint8Array(4))])).toThrow(
      /overlap at 0x20000100-0x20000103/,
    );
    expect(() => combineImages([bss, part(0x20000104, new Uint8Array(4))])).not.toThrow();
  });

  it('finds an overlap among many small records (Intel HEX lines) without a pairwise search', () => {
    const lines = (base: number, n: number) => ({
      ...part(base, new Uint8Array(0)),
      segments: Array.from({ length: n }, (_, i) => ({
        address: base + 16 * i,
        data: new Uint8Array(16),
        zeroFill: 0,
      })),
    });
    const a = lines(0x08000000, 20000);
    const b = lines(0x08000000 + 16 * 20000, 20000);
    expect(() => combineImages([a, b])).not.toThrow();
    expect(() => combineImages([a, lines(0x08000000 + 16 * 19999, 2)])).toThrow(
      `image 1 and image 2 overlap at 0x${(0x08000000 + 16 * 19999).toString(16).padStart(8, '0')}`,
    );
  });

  it('names the image that lies outside memory, before writing anything', () => {
    const m = new Machine({ warn: () => {} });
    const good = part(0x08000000, new Uint8Array([1, 2, 3, 4]));
    expect(() =>
      loadImages(m, [good, { image: part(0x30000000, new Uint8Array(4)), name: 'blob.bin' }]),
    ).toThrow(/^blob\.bin: segment at 0x30000000 \(4 bytes\) lies outside the STM32F407's memory/);
    expect(flashByte(m, 0x08000000)).toBe(0xff);
  });

  it('leaves flash past an ELF erased: .bss is zeroed where it runs, not at its load address', () => {
    // demo.elf keeps .data (8 bytes) in flash at 0x0800db00 and runs it, with .bss, in SRAM.
    const demo = parseElf(fs.readFileSync(path.join(PREBUILT, 'demo.elf')));
    const data = demo.segments.find((s) => s.address === 0x0800db00)!;
    expect(data.data.length).toBe(8);
    expect(data.zeroFill).toBe(0);
    const m = new Machine({ warn: () => {} });
    boot(m, demo);
    expect(flashByte(m, 0x0800db07)).toBe(data.data[7]);
    expect(flashByte(m, 0x0800db08)).toBe(0xff);
    expect(flashByte(m, 0x08020000)).toBe(0xff);
  });
});
