/**
 * Firmware images: ELF32 little-endian ARM executables (PT_LOAD segments, entry, symbols kept
 * for diagnostics), raw binaries (placed at the flash base) and Intel HEX. Every malformed input
 * raises an ImageError with one clear sentence.
 */

import { demangleRust } from './rustDemangle.js';

export class ImageError extends Error {}

export interface Segment {
  address: number;
  data: Uint8Array;
  /** Bytes beyond `data` up to memsz are zero-filled (.bss in a PT_LOAD). */
  zeroFill: number;
}

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  /** STT_FUNC / STT_OBJECT / ... */
  type: number;
}

export interface LoadedImage {
  format: 'elf' | 'bin' | 'hex';
  segments: Segment[];
  entry: number | null;
  symbols: SymbolTable;
}

const EM_ARM = 40;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;

export class SymbolTable {
  private readonly sorted: ElfSymbol[];
  private readonly byName = new Map<string, ElfSymbol>();
  /** Every named symbol given, in order (what a merge starts from). */
  private readonly named: ElfSymbol[];

  /**
   * One table over several images' symbols (a kernel and its user blob): a name defined in
   * more than one keeps the first table's symbol; address lookups see every table's.
   */
  static merge(tables: readonly SymbolTable[]): SymbolTable {
    if (tables.length === 1) return tables[0]!;
    return new SymbolTable(tables.flatMap((t) => t.named));
  }

  constructor(symbols: ElfSymbol[] = []) {
    this.named = symbols.filter((s) => s.name !== '');
    // Functions and objects with an address, sorted for nearest-below lookup.
    this.sorted = symbols
      .filter((s) => s.name !== '' && !s.name.startsWith('$') && (s.type === 1 || s.type === 2))
      .sort((a, b) => a.value - b.value);
    for (const s of symbols) if (s.name && !this.byName.has(s.name)) this.byName.set(s.name, s);
  }

  get size(): number {
    return this.byName.size;
  }

  lookup(name: string): ElfSymbol | undefined {
    return this.byName.get(name);
  }

  /** The function or object symbol whose range holds `address` (or just after a sizeless one). */
  containing(address: number): ElfSymbol | undefined {
    const addr = address & ~1;
    let lo = 0;
    let hi = this.sorted.length - 1;
    let best: ElfSymbol | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.sorted[mid]!;
      if ((s.value & ~1) <= addr) {
        best = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!best) return undefined;
    const off = addr - (best.value & ~1);
    if (best.size !== 0 && off >= best.size) return undefined;
    if (best.size === 0 && off > 0x1000) return undefined;
    return best;
  }

  /** "name+0x12" for an address inside (or just after) a known symbol, else undefined. */
  describe(address: number): string | undefined {
    const best = this.containing(address);
    if (!best) return undefined;
    const off = (address & ~1) - (best.value & ~1);
    // Rust's mangled names read as paths (`<std::..::Mutex>::lock`) in every report.
    const name = best.name.charCodeAt(0) === 0x5f ? demangleRust(best.name) : best.name;
    return off === 0 ? name : `${name}+0x${off.toString(16)}`;
  }
}

function need(cond: boolean, message: string): asserts cond {
  if (!cond) throw new ImageError(message);
}

export function isElf(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x7f &&
    bytes[1] === 0x45 &&
    bytes[2] === 0x4c &&
    bytes[3] === 0x46
  );
}

export function parseElf(bytes: Uint8Array): LoadedImage {
  need(bytes.length >= 52, `truncated ELF: ${bytes.length} bytes, the header alone needs 52`);
  need(isElf(bytes), 'not an ELF file (bad magic)');
  need(
    bytes[4] === 1,
    'not a 32-bit ELF (EI_CLASS is not ELFCLASS32): f4emu runs ARM Cortex-M images',
  );
  need(bytes[5] === 1, 'not a little-endian ELF: the Cortex-M4 on the STM32F407 is little-endian');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const machine = u16(18);
  need(machine === EM_ARM, `wrong machine type ${machine} (expected ${EM_ARM}, ARM)`);
  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  const shnum = u16(48);
  need(
    phnum > 0,
    'the ELF has no program headers (is it an object file rather than an executable?)',
  );
  need(phentsize >= 32, `bad program header size ${phentsize}`);
  need(
    phoff + phnum * phentsize <= bytes.length,
    'truncated ELF: program headers run past the end of the file',
  );

  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (u32(ph) !== PT_LOAD) continue;
    const offset = u32(ph + 4);
    const vaddr = u32(ph + 8);
    const paddr = u32(ph + 12);
    const filesz = u32(ph + 16);
    const memsz = u32(ph + 20);
    if (memsz === 0) continue;
    need(
      offset + filesz <= bytes.length,
      `truncated ELF: segment ${i} (0x${paddr.toString(16)}, ${filesz} bytes) runs past the end of the file`,
    );
    // A segment loaded away from where it runs (.data + .bss, kept in flash and copied to SRAM
    // by the startup code) brings only its file bytes: its .bss is zeroed at its run address by
    // that code. Zero-filling at the load address would blank flash past the image, over
    // whatever another image keeps there (a NuttX protected build's user blob).
    const zeroFill = paddr === vaddr ? Math.max(0, memsz - filesz) : 0;
    if (filesz === 0 && zeroFill === 0) continue;
    segments.push({ address: paddr, data: bytes.subarray(offset, offset + filesz), zeroFill });
  }
  need(segments.length > 0, 'the ELF has no loadable (PT_LOAD) segments');

  const symbols: ElfSymbol[] = [];
  if (shoff !== 0 && shnum > 0 && shentsize >= 40 && shoff + shnum * shentsize <= bytes.length) {
    for (let i = 0; i < shnum; i++) {
      const sh = shoff + i * shentsize;
      if (u32(sh + 4) !== SHT_SYMTAB) continue;
      const symoff = u32(sh + 16);
      const symsize = u32(sh + 20);
      const link = u32(sh + 24);
      const strSh = shoff + link * shentsize;
      if (link >= shnum) continue;
      const stroff = u32(strSh + 16);
      const strsize = u32(strSh + 20);
      if (symoff + symsize > bytes.length || stroff + strsize > bytes.length) continue;
      for (let s = symoff; s + 16 <= symoff + symsize; s += 16) {
        const nameOff = u32(s);
        const name = cString(bytes, stroff + nameOff, stroff + strsize);
        symbols.push({ name, value: u32(s + 4), size: u32(s + 8), type: bytes[s + 12]! & 0xf });
      }
    }
  }
  return { format: 'elf', segments, entry, symbols: new SymbolTable(symbols) };
}

function cString(bytes: Uint8Array, start: number, end: number): string {
  let e = start;
  while (e < end && bytes[e] !== 0) e++;
  return new TextDecoder().decode(bytes.subarray(start, e));
}
