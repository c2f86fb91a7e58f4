import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageError, parseElf } from './elf.js';
import { SHT_ARM_EXIDX, SHT_NOBITS, findSection, readElfSections } from './elfSections.js';

const ELF = path.resolve(__dirname, '../../firmware/prebuilt/diag/backtrace.elf');
const bytes = new Uint8Array(fs.readFileSync(ELF));

/** A copy of the file with a 16- or 32-bit little-endian field overwritten. */
function patched(offset: number, value: number, size: 2 | 4): Uint8Array {
  const copy = bytes.slice();
  const dv = new DataView(copy.buffer);
  if (size === 2) dv.setUint16(offset, value, true);
  else dv.setUint32(offset, value, true);
  return copy;
}

const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const shoff = dv.getUint32(32, true);
const shstrndx = dv.getUint16(50, true);

/** Parses, and says whether it threw an ImageError (anything else fails the test). */
function outcome(b: Uint8Array): 'ok' | 'ImageError' {
  try {
    readElfSections(b);
    return 'ok';
  } catch (e) {
    if (e instanceof ImageError) return 'ImageError';
    throw e;
  }
}

describe('readElfSections on firmware/prebuilt/diag/backtrace.elf', () => {
  const sections = readElfSections(bytes);
  const symbols = parseElf(bytes).symbols;

  it('lists the sections in header order with their names', () => {
    expect(sections[0]!.name).toBe('');
    const names = sections.map((s) => s.name);
    for (const n of [
      '.text',
      '.ARM.extab',
      '.ARM.exidx',
      '.data',
      '.bss',
      '.debug_line',
      '.debug_line_str',
      '.debug_str',
      '.debug_frame',
      '.symtab',
      '.strtab',
      '.shstrtab',
    ]) {
      expect(names).toContain(n);
    }
    expect(sections[shstrndx]!.name).toBe('.shstrtab');
  });

  it('gives each section its header fields and a view of its bytes', () => {
    const exidx = findSection(sections, '.ARM.exidx')!;
    expect(exidx.type).toBe(SHT_ARM_EXIDX);
    // The linker script brackets the table with __exidx_start / __exidx_end.
    expect(exidx.addr).toBe(symbols.lookup('__exidx_start')!.value);
    expect(exidx.addr + exidx.size).toBe(symbols.lookup('__exidx_end')!.value);
    expect(exidx.data.length).toBe(exidx.size);
    expect(exidx.data.buffer).toBe(bytes.buffer); // a subarray, not a copy
    expect(Array.from(exidx.data.subarray(0, 8))).toEqual(
      Array.from(bytes.subarray(exidx.offset, exidx.offset + 8)),
    );
    const text = findSection(sections, '.text')!;
    expect(text.flags & 0x6).toBe(0x6); // SHF_ALLOC | SHF_EXECINSTR
    expect(text.addr).toBe(0);
  });

  it('gives SHT_NOBITS sections an empty array', () => {
    const bss = findSection(sections, '.bss')!;
    expect(bss.type).toBe(SHT_NOBITS);
    expect(bss.size).toBeGreaterThan(0);
    expect(bss.data.length).toBe(0);
  });

  it('returns no sections for a file without a section table', () => {
    expect(readElfSections(patched(32, 0, 4))).toEqual([]);
  });
});

describe('readElfSections on malformed input', () => {
  it('refuses truncated files with an ImageError', () => {
    for (const n of [0, 3, 40, 51, shoff - 1, shoff + 39, bytes.length - 1]) {
      expect(() => readElfSections(bytes.subarray(0, n)), `${n} bytes`).toThrow(ImageError);
    }
  });

  it('refuses other files and classes', () => {
    expect(() =>
      readElfSections(new TextEncoder().encode('#!/bin/sh\necho hello world\n'.repeat(4))),
    ).toThrow(/not an ELF/);
    const elf64 = bytes.slice();
    elf64[4] = 2;
    expect(() => readElfSections(elf64)).toThrow(/32-bit/);
    const bigEndian = bytes.slice();
    bigEndian[5] = 2;
    expect(() => readElfSections(bigEndian)).toThrow(/little-endian/);
  });

  it('refuses a bad section name table index', () => {
    expect(() => readElfSections(patched(50, 200, 2))).toThrow(/section name table index 200/);
  });

  it('refuses a section header size too small for ELF32', () => {
    expect(() => readElfSections(patched(46, 20, 2))).toThrow(/section header size 20/);
  });

  it('refuses a section whose bytes lie beyond the file', () => {
    const text = 1; // section 1 is .text
    expect(() => readElfSections(patched(shoff + text * 40 + 16, 0x7fff0000, 4))).toThrow(
      /section 1 .* runs past the end of the file/,
    );
    expect(() => readElfSections(patched(shoff + text * 40 + 20, 0x7fff0000, 4))).toThrow(
      ImageError,
    );
  });

  it('refuses a section name outside the name table', () => {
    expect(() => readElfSections(patched(shoff + 40, 0xffffff, 4))).toThrow(/name lies outside/);
  });

  it('throws nothing but ImageError for random damage to the header and section table', () => {
    // A fixed-seed generator: the same damage on every run.
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const counts = { ok: 0, ImageError: 0 };
    for (let i = 0; i < 2000; i++) {
      const copy = bytes.slice();
      for (let k = 0; k < 3; k++) {
        const where = rand(2) === 0 ? rand(52) : shoff + rand(bytes.length - shoff);
        copy[where] = rand(256);
      }
      counts[outcome(copy.subarray(0, rand(4) === 0 ? rand(copy.length) : copy.length))]++;
    }
    expect(counts.ImageError).toBeGreaterThan(0);
    expect(counts.ok).toBeGreaterThan(0);
  });
});
