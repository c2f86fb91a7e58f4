/**
 * Type sizes from DWARF debugging information (.debug_info and .debug_abbrev, DWARF 5 §7.5;
 * versions 2-5): for each compilation unit, the byte size it gives to named types such as
 * pthread_mutex_t or struct sockaddr_in. An application built against another system's headers
 * (the NuttX talk's Rust libc bindings had Linux's 24-byte pthread_mutex_t) disagrees with the
 * OS's units about these sizes; compareTypeSizes names every such disagreement. The DIEs are
 * read by dwarfWalker.ts's Walker.
 *
 * Browser-safe. Malformed input raises an ImageError, never another exception; the work done is
 * bounded by a budget proportional to the sections' sizes.
 */
import { ImageError } from './elf.js';
import { findSection, type ElfSection } from './elfSections.js';
import { Walker } from './dwarfWalker.js';

/** One compilation unit's name and the sizes of the requested types it defines. */
export interface UnitTypeSizes {
  unit: string;
  sizes: Map<string, number>;
}

/** A type whose size is not the same everywhere (or not the reference's). */
export interface TypeSizeMismatch {
  name: string;
  /** Every unit that defines the type, in unit order, with its size there. */
  sizes: Array<{ unit: string; size: number }>;
  /** The reference size, when one was given for this name. */
  expected?: number;
}

export interface TypeSizeOptions {
  /**
   * Other spellings of a requested name, spelling → requested name: an OS that spells a type
   * differently in its own sources, e.g. the diag OS's `nx_pthread_mutex_t` (os.h renames it by
   * a macro because newlib's <sys/types.h> owns `pthread_mutex_t`). Keys are written like
   * requested names (`foo_t`, `struct foo`). A unit's alias wins over the name itself.
   */
  aliases?: ReadonlyMap<string, string>;
}

/**
 * For each compilation unit that defines at least one of `names` with a known size: its
 * DW_AT_name and those sizes. A plain name (`pthread_mutex_t`) is a typedef resolved through
 * its DW_AT_type chain (qualifiers pass through; arrays multiply their element size by their
 * subranges' counts), or else a structure of that name (as Rust emits); `struct X`, `union X`,
 * `enum X` are matched by tag. Without .debug_info the answer is empty.
 */
export function typeSizesByUnit(
  sections: readonly ElfSection[],
  names: readonly string[],
  options: TypeSizeOptions = {},
): UnitTypeSizes[] {
  const info = findSection(sections, '.debug_info')?.data;
  if (info === undefined || info.length === 0 || names.length === 0) return [];
  const abbrev = findSection(sections, '.debug_abbrev')?.data;
  if (abbrev === undefined) throw new ImageError('.debug_info without .debug_abbrev');
  const wanted = new Map<string, { name: string; rank: number }>();
  for (const n of names) wanted.set(n, { name: n, rank: 1 });
  for (const [spelling, n] of options.aliases ?? []) {
    if (names.includes(n) && !names.includes(spelling)) wanted.set(spelling, { name: n, rank: 0 });
  }
  const walker = new Walker(info, abbrev, {
    str: findSection(sections, '.debug_str')?.data,
    lineStr: findSection(sections, '.debug_line_str')?.data,
    strOffsets: findSection(sections, '.debug_str_offsets')?.data,
  });
  const result: UnitTypeSizes[] = [];
  for (const { unit, candidates } of walker.walk(wanted)) {
    const sizes = new Map<string, number>();
    for (const n of names) {
      const list = candidates.get(n);
      if (list === undefined) continue;
      list.sort((a, b) => a.rank - b.rank || a.depth - b.depth || a.offset - b.offset);
      for (const c of list) {
        const size = walker.sizeOf(c.offset);
        if (size !== undefined) {
          sizes.set(n, size);
          break;
        }
      }
    }
    if (sizes.size > 0) result.push({ unit, sizes });
  }
  return result;
}

/**
 * Every name whose size differs between units, or from `reference` (the OS's sizes) when that
 * has the name; in the order of `names`.
 */
export function compareTypeSizes(
  units: readonly UnitTypeSizes[],
  names: readonly string[],
  reference?: ReadonlyMap<string, number>,
): TypeSizeMismatch[] {
  const mismatches: TypeSizeMismatch[] = [];
  for (const name of names) {
    const sizes: Array<{ unit: string; size: number }> = [];
    for (const u of units) {
      const size = u.sizes.get(name);
      if (size !== undefined) sizes.push({ unit: u.unit, size });
    }
    const expected = reference?.get(name);
    const distinct = new Set(sizes.map((s) => s.size));
    if (expected !== undefined) distinct.add(expected);
    if (sizes.length > 0 && distinct.size > 1) {
      mismatches.push(expected === undefined ? { name, sizes } : { name, sizes, expected });
    }
  }
  return mismatches;
}
