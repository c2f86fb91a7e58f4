/**
 * checkBootable: every prebuilt firmware passes; a text file loaded as a raw binary, erased
 * flash, an image linked away from flash and broken vector tables each get one clear line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseImage, type LoadedImage } from '../loader/image.js';
import { SymbolTable } from '../loader/elf.js';
import { boot, checkBootable } from './firmware.js';
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
