/**
 * Structure layouts from DWARF debugging information: where a member of a named structure lies
 * (also a nested one, `xcp.regs`), how big it is and whether it is a pointer, an array or a
 * structure — from the DW_TAG_member entries under the structure's definition (DWARF 5 §5.7.6),
 * read by dwarfWalker.ts's walker. --stack-check reads NuttX's struct tcb_s this way when the
 * image does not publish g_tcbinfo (NuttX releases before it did).
 *
 * A member's offset must be a constant DW_AT_data_member_location, as GCC writes it for DWARF 3
 * and later; DWARF 2's location expression (DW_OP_plus_uconst) leaves the member unknown, as
 * does a bit-field. Members of anonymous structures and unions are found through them. The first
 * compilation unit (in .debug_info order) that defines the structure with members is used.
 *
 * Browser-safe. Malformed input raises an ImageError, as dwarfWalker.ts does.
 */
import { ImageError } from './elf.js';
import { findSection, type ElfSection } from './elfSections.js';
import { QUALIFIERS, Walker, type TypeDie } from './dwarfWalker.js';

// Tags (DWARF 5 §7.5.3, table 7.3).
const DW_TAG_array_type = 0x01;
const DW_TAG_class_type = 0x02;
const DW_TAG_pointer_type = 0x0f;
const DW_TAG_structure_type = 0x13;
const DW_TAG_union_type = 0x17;
const AGGREGATES = new Set([DW_TAG_structure_type, DW_TAG_union_type, DW_TAG_class_type]);

/** How long a typedef/qualifier chain may be before it counts as a cycle. */
const MAX_CHAIN = 64;

export type MemberKind = 'pointer' | 'array' | 'aggregate' | 'other';

export interface MemberLayout {
  /** Bytes from the start of the outermost structure. */
  offset: number;
  /** The member's size in bytes, when its type has a known one. */
  size: number | undefined;
  /** What the member's type is, through typedefs and qualifiers. */
  kind: MemberKind;
}

export interface StructLayout {
  /** The name it was asked for (`struct tcb_s`). */
  name: string;
  /** The compilation unit whose definition this is. */
  unit: string;
  size: number | undefined;
  /** A member by name, or by a path of names through nested structures (`xcp.regs`). */
  member(path: string): MemberLayout | undefined;
}

/**
 * The layouts of the named structures (`struct tcb_s`; a plain name also matches a structure
 * of that name) that the DWARF defines with members, by requested name. Without .debug_info
 * the answer is empty.
 */
export function structLayouts(
  sections: readonly ElfSection[],
  names: readonly string[],
): Map<string, StructLayout> {
  const layouts = new Map<string, StructLayout>();
  const info = findSection(sections, '.debug_info')?.data;
  if (info === undefined || info.length === 0 || names.length === 0) return layouts;
  const abbrev = findSection(sections, '.debug_abbrev')?.data;
  if (abbrev === undefined) throw new ImageError('.debug_info without .debug_abbrev');
  const walker = new Walker(
    info,
    abbrev,
    {
      str: findSection(sections, '.debug_str')?.data,
      lineStr: findSection(sections, '.debug_line_str')?.data,
      strOffsets: findSection(sections, '.debug_str_offsets')?.data,
    },
    true,
  );
  const wanted = new Map(names.map((n) => [n, { name: n, rank: 1 }]));
  for (const { unit, candidates } of walker.walk(wanted)) {
    for (const name of names) {
      if (layouts.has(name)) continue;
      const list = [...(candidates.get(name) ?? [])];
      list.sort((a, b) => a.rank - b.rank || a.depth - b.depth || a.offset - b.offset);
      for (const c of list) {
        const die = walker.dies.get(c.offset);
        if (die === undefined || !AGGREGATES.has(die.tag) || die.members === undefined) continue;
        layouts.set(name, layoutOf(walker, name, unit, c.offset, die));
        break;
      }
    }
  }
  return layouts;
}

function layoutOf(
  walker: Walker,
  name: string,
  unit: string,
  offset: number,
  top: TypeDie,
): StructLayout {
  /** The type at `ref` through typedefs and qualifiers. */
  const strip = (ref: number | undefined): TypeDie | undefined => {
    let die = ref === undefined ? undefined : walker.dies.get(ref);
    for (let hops = 0; die !== undefined && QUALIFIERS.has(die.tag) && hops < MAX_CHAIN; hops++) {
      die = die.type === undefined ? undefined : walker.dies.get(die.type);
    }
    return die;
  };
  /** The member `name` of `outer` (at `base`), looking into anonymous members. */
  const find = (
    outer: TypeDie,
    member: string,
    base: number,
    depth = 0,
  ): { die: TypeDie; offset: number } | undefined => {
    for (const m of outer.members ?? []) {
      // A union's members all start at its start; producers may leave the offset out.
      const off = m.location ?? (outer.tag === DW_TAG_union_type ? 0 : undefined);
      if (m.name === member) return off === undefined ? undefined : { die: m, offset: base + off };
      if (m.name !== undefined || off === undefined || depth >= MAX_CHAIN) continue;
      const inner = strip(m.type);
      if (inner?.members === undefined) continue;
      const found = find(inner, member, base + off, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return {
    name,
    unit,
    size: walker.sizeOf(offset),
    member(path: string): MemberLayout | undefined {
      let outer: TypeDie | undefined = top;
      let at: { die: TypeDie; offset: number } | undefined;
      for (const part of path.split('.')) {
        if (at !== undefined) outer = strip(at.die.type);
        if (outer === undefined || outer.members === undefined) return undefined;
        at = find(outer, part, at?.offset ?? 0);
        if (at === undefined) return undefined;
      }
      if (at === undefined) return undefined;
      const type = strip(at.die.type);
      const kind: MemberKind =
        type?.tag === DW_TAG_pointer_type
          ? 'pointer'
          : type?.tag === DW_TAG_array_type
            ? 'array'
            : type !== undefined && AGGREGATES.has(type.tag)
              ? 'aggregate'
              : 'other';
      const size = at.die.type === undefined ? undefined : walker.sizeOf(at.die.type);
      return { offset: at.offset, size, kind };
    },
  };
}
