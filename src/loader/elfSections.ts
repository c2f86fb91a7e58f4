/**
 * ELF32 little-endian section headers and their names (System V ABI, "Sections"): the debug and
 * unwind tables (.debug_line, .debug_frame, .ARM.exidx, ...) live in sections, not in the PT_LOAD
 * segments parseElf loads. Browser-safe: Uint8Array and DataView only. Every malformed input
 * raises an ImageError with one clear sentence.
 */
import { ImageError, isElf } from './elf.js';

export interface ElfSection {
  name: string;
  /** sh_type: SHT_PROGBITS 1, SHT_SYMTAB 2, SHT_STRTAB 3, SHT_NOBITS 8, SHT_ARM_EXIDX 0x70000001 */
  type: number;
  flags: number;
  /** Run-time address (0 for sections that are not loaded, such as .debug_*). */
  addr: number;
  offset: number;
  size: number;
  /** The section's bytes (a view into the file); empty for SHT_NOBITS. */
  data: Uint8Array;
}

export const SHT_NOBITS = 8;
export const SHT_ARM_EXIDX = 0x70000001;
const SHN_UNDEF = 0;
const SHN_XINDEX = 0xffff;
const SECTION_HEADER_SIZE = 40;

function need(cond: boolean, message: string): asserts cond {
  if (!cond) throw new ImageError(message);
}

/** Every section of an ELF32 little-endian file, in section-header order. */
export function readElfSections(bytes: Uint8Array): ElfSection[] {
  need(bytes.length >= 52, `truncated ELF: ${bytes.length} bytes, the header alone needs 52`);
  need(isElf(bytes), 'not an ELF file (bad magic)');
  need(bytes[4] === 1, 'not a 32-bit ELF (EI_CLASS is not ELFCLASS32)');
  need(bytes[5] === 1, 'not a little-endian ELF');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const shoff = u32(32);
  const shentsize = u16(46);
  let shnum = u16(48);
  let shstrndx = u16(50);
  if (shoff === 0) return [];
  need(
    shentsize >= SECTION_HEADER_SIZE,
    `bad section header size ${shentsize} (an ELF32 section header is 40 bytes)`,
  );
  need(shoff + SECTION_HEADER_SIZE <= bytes.length, 'truncated ELF: no room for section headers');
  // More than 0xff00 sections: the real count and string-table index sit in section 0 (gABI).
  if (shnum === 0) shnum = u32(shoff + 20);
  if (shstrndx === SHN_XINDEX) shstrndx = u32(shoff + 24);
  need(
    shoff + shnum * shentsize <= bytes.length,
    `truncated ELF: ${shnum} section headers at offset ${shoff} run past the end of the file`,
  );

  const headers: Omit<ElfSection, 'name' | 'data'>[] = [];
  const nameOffsets: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    nameOffsets.push(u32(sh));
    headers.push({
      type: u32(sh + 4),
      flags: u32(sh + 8),
      addr: u32(sh + 12),
      offset: u32(sh + 16),
      size: u32(sh + 20),
    });
  }
  const fileBytes = (h: Omit<ElfSection, 'name' | 'data'>, i: number): Uint8Array => {
    if (h.type === SHT_NOBITS || i === 0) return bytes.subarray(0, 0);
    need(
      h.offset + h.size <= bytes.length,
      `truncated ELF: section ${i} (${h.size} bytes at offset ${h.offset}) runs past the end of the file`,
    );
    return bytes.subarray(h.offset, h.offset + h.size);
  };

  let names: Uint8Array | null = null;
  if (shstrndx !== SHN_UNDEF) {
    const strHeader = headers[shstrndx];
    need(
      strHeader !== undefined,
      `bad section name table index ${shstrndx} (the file has ${shnum} sections)`,
    );
    need(strHeader.type !== SHT_NOBITS, 'the section name table has no bytes in the file');
    names = fileBytes(strHeader, shstrndx);
  }
  return headers.map((h, i) => {
    const nameOffset = nameOffsets[i]!;
    let name = '';
    if (names !== null) {
      need(
        nameOffset < names.length || (nameOffset === 0 && names.length === 0),
        `section ${i}'s name lies outside the section name table`,
      );
      name = cString(names, nameOffset);
    }
    return { ...h, name, data: fileBytes(h, i) };
  });
}

/** The first section called `name`, or undefined. */
export function findSection(sections: readonly ElfSection[], name: string): ElfSection | undefined {
  return sections.find((s) => s.name === name);
}

function cString(bytes: Uint8Array, start: number): string {
  let e = start;
  while (e < bytes.length && bytes[e] !== 0) e++;
  return new TextDecoder().decode(bytes.subarray(start, e));
}
