/**
 * The .debug_info walker behind dwarfTypes.ts and dwarfMembers.ts (DWARF 5 §7.5; versions 2-5):
 * it reads every compile and partial unit with its abbreviation table (.debug_abbrev) and
 * attribute forms, resolves names through .debug_str, .debug_line_str and .debug_str_offsets,
 * keeps the DIEs that describe types (and, when asked, structure members), collects the DIEs
 * whose name was requested, and works out a type's size through typedef, qualifier and array
 * chains.
 *
 * Browser-safe. Malformed input raises an ImageError, never another exception; the work done is
 * bounded by a budget proportional to the sections' sizes.
 */
import { DwarfReader } from './dwarfLine.js';
import { ImageError } from './elf.js';

// Unit types (DWARF 5 §7.5.1, table 7.2).
const DW_UT_compile = 0x01;
const DW_UT_partial = 0x03;

// Tags (DWARF 5 §7.5.3, table 7.3): the ones named below, and the sets that follow.
const DW_TAG_array_type = 0x01;
const DW_TAG_enumeration_type = 0x04;
const DW_TAG_typedef = 0x16;
const DW_TAG_subrange_type = 0x21;
export const DW_TAG_member = 0x0d;

/** Tags that name a type of their own, and the prefix a requested name gives them. */
const TAG_PREFIX = new Map<number, string>([
  [0x13, 'struct '], // DW_TAG_structure_type
  [0x17, 'union '], // DW_TAG_union_type
  [0x02, 'class '], // DW_TAG_class_type
  [DW_TAG_enumeration_type, 'enum '],
  [0x24, ''], // DW_TAG_base_type
]);
/**
 * Modifiers whose size is their operand's (DWARF 5 §5.3): typedef, const (0x26), volatile
 * (0x35), restrict (0x37), atomic (0x47), packed (0x2d), shared (0x40), immutable (0x4b).
 */
export const QUALIFIERS = new Set([DW_TAG_typedef, 0x26, 0x35, 0x37, 0x47, 0x2d, 0x40, 0x4b]);
/**
 * Types whose size, absent DW_AT_byte_size, is the unit's address size (DWARF 5 §5.4): pointer
 * (0x0f), reference (0x10), rvalue reference (0x42), pointer to member (0x1f).
 */
const POINTERS = new Set([0x0f, 0x10, 0x42, 0x1f]);
/** Tags whose DW_AT_name can match a requested name. */
const NAMED_TAGS = new Set([...TAG_PREFIX.keys(), DW_TAG_typedef]);
const KEPT_TAGS = new Set([
  ...TAG_PREFIX.keys(),
  ...QUALIFIERS,
  ...POINTERS,
  DW_TAG_array_type,
  DW_TAG_subrange_type,
]);

// Attributes (DWARF 5 §7.5.4, table 7.5).
const DW_AT_name = 0x03;
const DW_AT_byte_size = 0x0b;
const DW_AT_lower_bound = 0x22;
const DW_AT_upper_bound = 0x2f;
const DW_AT_count = 0x37;
const DW_AT_type = 0x49;
const DW_AT_data_member_location = 0x38;
const DW_AT_str_offsets_base = 0x72;

/** What an attribute's value is to this reader (one scratch value per Walker, reused). */
const enum Kind {
  None, // skipped: addresses, blocks, section offsets, signatures
  Const, // data1-8, udata, sdata, flag, flag_present, implicit_const
  Ref, // unit-relative reference, made a .debug_info offset
  RefAddr, // .debug_info offset (DWARF 2: address-sized)
  Str, // inline DW_FORM_string
  Strp, // offset into .debug_str
  LineStrp, // offset into .debug_line_str
  StrIndex, // index into .debug_str_offsets
  Block, // a length of this size, then that many bytes
}
// Sizes other than a byte count.
const ULEB = -1;
const SLEB = -2;
const OFFSET = -3; // 4 in 32-bit DWARF, 8 in 64-bit
const ADDRESS = -4;
const CSTRING = -5;

const DW_FORM_indirect = 0x16;
const DW_FORM_implicit_const = 0x21;
/** Attribute forms (DWARF 5 §7.5.6, table 7.6; GNU ones from GCC's dwarf2.def). */
const FORMS = new Map<number, readonly [Kind, number]>([
  [0x01, [Kind.None, ADDRESS]], // addr
  [0x03, [Kind.Block, 2]], // block2
  [0x04, [Kind.Block, 4]], // block4
  [0x05, [Kind.Const, 2]], // data2
  [0x06, [Kind.Const, 4]], // data4
  [0x07, [Kind.Const, 8]], // data8
  [0x08, [Kind.Str, CSTRING]], // string
  [0x09, [Kind.Block, ULEB]], // block
  [0x0a, [Kind.Block, 1]], // block1
  [0x0b, [Kind.Const, 1]], // data1
  [0x0c, [Kind.Const, 1]], // flag
  [0x0d, [Kind.Const, SLEB]], // sdata
  [0x0e, [Kind.Strp, OFFSET]], // strp
  [0x0f, [Kind.Const, ULEB]], // udata
  [0x10, [Kind.RefAddr, OFFSET]], // ref_addr
  [0x11, [Kind.Ref, 1]], // ref1
  [0x12, [Kind.Ref, 2]], // ref2
  [0x13, [Kind.Ref, 4]], // ref4
  [0x14, [Kind.Ref, 8]], // ref8
  [0x15, [Kind.Ref, ULEB]], // ref_udata
  [0x17, [Kind.None, OFFSET]], // sec_offset
  [0x18, [Kind.Block, ULEB]], // exprloc
  [0x19, [Kind.Const, 0]], // flag_present
  [0x1a, [Kind.StrIndex, ULEB]], // strx
  [0x1b, [Kind.None, ULEB]], // addrx
  [0x1c, [Kind.None, 4]], // ref_sup4: into a supplementary file, not read
  [0x1d, [Kind.None, OFFSET]], // strp_sup
  [0x1e, [Kind.None, 16]], // data16
  [0x1f, [Kind.LineStrp, OFFSET]], // line_strp
  [0x20, [Kind.None, 8]], // ref_sig8: a type unit's signature; type units are not read
  [DW_FORM_implicit_const, [Kind.Const, 0]], // the value is in the abbreviation
  [0x22, [Kind.None, ULEB]], // loclistx
  [0x23, [Kind.None, ULEB]], // rnglistx
  [0x24, [Kind.None, 8]], // ref_sup8
  [0x25, [Kind.StrIndex, 1]], // strx1
  [0x26, [Kind.StrIndex, 2]], // strx2
  [0x27, [Kind.StrIndex, 3]], // strx3
  [0x28, [Kind.StrIndex, 4]], // strx4
  [0x29, [Kind.None, 1]], // addrx1
  [0x2a, [Kind.None, 2]], // addrx2
  [0x2b, [Kind.None, 3]], // addrx3
  [0x2c, [Kind.None, 4]], // addrx4
  [0x1f01, [Kind.None, ULEB]], // GNU_addr_index
  [0x1f02, [Kind.StrIndex, ULEB]], // GNU_str_index
  [0x1f20, [Kind.None, OFFSET]], // GNU_ref_alt: into a supplementary file, not read
  [0x1f21, [Kind.None, OFFSET]], // GNU_strp_alt
]);

/** How long a typedef/qualifier/array chain may be before it counts as a cycle. */
const MAX_CHAIN = 64;

interface Abbrev {
  tag: number;
  hasChildren: boolean;
  /** attribute, form pairs (DWARF 5 §7.5.3) */
  specs: number[];
  /** DW_FORM_implicit_const values, by attribute index */
  implicit: Map<number, number>;
}

interface Unit {
  offsetSize: 4 | 8;
  addressSize: number;
  version: number;
  strOffsetsBase: number | undefined;
}

/** A type-describing DIE: the attributes a size needs (and, for members, an offset). */
export interface TypeDie {
  tag: number;
  unit: Unit;
  name?: string;
  byteSize?: number;
  type?: number;
  lower?: number;
  upper?: number;
  count?: number;
  dims?: TypeDie[];
  /** A member's constant DW_AT_data_member_location; a structure's or union's members. */
  location?: number;
  members?: TypeDie[];
}

/** A named DIE that answers a requested name; lower rank wins, then shallower, then earlier. */
interface Candidate {
  offset: number;
  rank: number;
  depth: number;
}

/** Spelling (`foo_t`, `struct foo`, an alias) → the requested name and its rank. */
export type Wanted = ReadonlyMap<string, { name: string; rank: number }>;
/** One unit's name and its DIEs that answer requested names, by requested name. */
export interface UnitMatches {
  unit: string;
  candidates: Map<string, Candidate[]>;
}

export class Walker {
  private readonly abbrevTables = new Map<number, Map<number, Abbrev>>();
  private readonly strCache = new Map<number, string>();
  readonly dies = new Map<number, TypeDie>();
  private budget: number;
  // The last attribute value read.
  private kind = Kind.None;
  private num = 0;
  private str = '';
  /** Byte width of a fixed-size constant (data1-8), 0 for LEB128 and implicit ones. */
  private width = 0;

  constructor(
    private readonly info: Uint8Array,
    private readonly abbrev: Uint8Array,
    private readonly strings: {
      str?: Uint8Array;
      lineStr?: Uint8Array;
      strOffsets?: Uint8Array;
    },
    private readonly keepMembers = false, // DW_TAG_member DIEs, for dwarfMembers.ts
  ) {
    // Every legitimate DIE or abbreviation costs at least a byte; a few zero-byte attributes
    // each are normal. Crafted tables that make far more work than that are refused.
    this.budget = 64 * (info.length + abbrev.length) + 1_000_000;
  }

  private spend(n: number): void {
    this.budget -= n;
    if (this.budget < 0) {
      throw new ImageError('.debug_info: the DWARF needs unreasonably much work to read');
    }
  }

  /** Abbreviation table at `offset` of .debug_abbrev (DWARF 5 §7.5.3), cached. */
  private table(offset: number): Map<number, Abbrev> {
    const cached = this.abbrevTables.get(offset);
    if (cached !== undefined) return cached;
    if (offset >= this.abbrev.length) {
      throw new ImageError(`.debug_info refers to abbreviations at ${offset}, past .debug_abbrev`);
    }
    const r = new DwarfReader(this.abbrev, '.debug_abbrev', offset);
    const table = new Map<number, Abbrev>();
    for (;;) {
      const code = uleb(r);
      if (code === 0) break;
      const tag = uleb(r);
      const hasChildren = r.u8() !== 0;
      const specs: number[] = [];
      const implicit = new Map<number, number>();
      for (;;) {
        const attr = uleb(r);
        const form = uleb(r);
        if (attr === 0 && form === 0) break;
        if (form === DW_FORM_implicit_const) implicit.set(specs.length, sleb(r));
        specs.push(attr, form);
      }
      table.set(code, { tag, hasChildren, specs, implicit });
    }
    this.spend(r.pos - offset);
    this.abbrevTables.set(offset, table);
    return table;
  }

  private stringAt(section: Uint8Array | undefined, name: string, offset: number): string {
    if (section === undefined) throw new ImageError(`.debug_info refers to ${name}, missing`);
    if (offset >= section.length) {
      throw new ImageError(`.debug_info refers to offset ${offset} beyond the end of ${name}`);
    }
    const key = section === this.strings.str ? offset : -1 - offset;
    const cached = this.strCache.get(key);
    if (cached !== undefined) return cached;
    const r = new DwarfReader(section, name, offset);
    const s = r.cstring();
    this.spend(r.pos - offset);
    this.strCache.set(key, s);
    return s;
  }

  /** A DW_FORM_strx* index through .debug_str_offsets (DWARF 5 §7.26); undefined if unknown. */
  private stringByIndex(unit: Unit, index: number): string | undefined {
    const table = this.strings.strOffsets;
    if (table === undefined) return undefined;
    const base = unit.strOffsetsBase ?? 8; // just past a 32-bit contribution header
    const r = new DwarfReader(table, '.debug_str_offsets', 0);
    r.skip(base + index * unit.offsetSize);
    const off = unit.offsetSize === 8 ? r.u64() : r.u32();
    return this.stringAt(this.strings.str, '.debug_str', off);
  }

  /**
   * Reads (or skips) one attribute value of the given form (DWARF 5 §7.5.5, §7.5.6), leaving
   * what it was in kind/num/str/width. References become .debug_info offsets.
   */
  private readValue(r: DwarfReader, form: number, unit: Unit, unitStart: number): void {
    if (form === DW_FORM_indirect) {
      form = uleb(r); // the form is in the data; once is enough for any producer
      if (form === DW_FORM_indirect || form === DW_FORM_implicit_const) {
        throw new ImageError(`.debug_info: DW_FORM_indirect gives form 0x${form.toString(16)}`);
      }
    }
    const spec = FORMS.get(form);
    if (spec === undefined) {
      throw new ImageError(`.debug_info: unknown attribute form 0x${form.toString(16)}`);
    }
    const [kind, size] = spec;
    this.kind = kind;
    this.width = 0;
    if (size === CSTRING) {
      this.str = r.cstring();
      return;
    }
    let n = size === ADDRESS ? unit.addressSize : size === OFFSET ? unit.offsetSize : size;
    if (kind === Kind.RefAddr && unit.version === 2) n = unit.addressSize; // DWARF 2 §7.5.4
    const v = n === ULEB ? uleb(r) : n === SLEB ? sleb(r) : n > 8 ? (r.skip(n), 0) : sized(r, n);
    if (kind === Kind.Block) r.skip(v);
    else if (kind === Kind.Ref) this.num = unitStart + v;
    else this.num = kind === Kind.Const && n === 0 ? 1 : v;
    if (kind === Kind.Const && n > 0) this.width = n;
  }

  /**
   * The last constant as a signed number: data1-8 carry no signedness (DWARF 5 §7.5.5), and a
   * bound of all ones is -1 (GCC's upper bound of a zero-length array).
   */
  private signed(): number {
    if (this.width === 0 || this.width === 8) return this.num;
    const half = 2 ** (8 * this.width - 1);
    return this.num >= half ? this.num - 2 * half : this.num;
  }

  /** The string the last value named, or undefined if it cannot be resolved. */
  private lastString(unit: Unit): string | undefined {
    switch (this.kind) {
      case Kind.Str:
        return this.str;
      case Kind.Strp:
        return this.stringAt(this.strings.str, '.debug_str', this.num);
      case Kind.LineStrp:
        return this.stringAt(this.strings.lineStr, '.debug_line_str', this.num);
      case Kind.StrIndex:
        return this.stringByIndex(unit, this.num);
      default:
        return undefined;
    }
  }

  /**
   * Walks every compile and partial unit (DWARF 5 §7.5.1.1, §7.5.2), keeping type DIEs and,
   * per unit, the DIEs whose name is wanted (`wanted`: spelling → requested name and rank).
   */
  walk(wanted: Wanted): UnitMatches[] {
    const info = this.info;
    const units: UnitMatches[] = [];
    const top = new DwarfReader(info, '.debug_info');
    while (!top.atEnd) {
      const unitStart = top.pos;
      const { length, offsetSize } = top.initialLength();
      const end = top.pos + length;
      if (end > info.length) {
        throw new ImageError(`.debug_info: the unit at ${unitStart} runs past the section's end`);
      }
      const r = new DwarfReader(info.subarray(0, end), '.debug_info', top.pos);
      top.pos = end;
      const version = r.u16();
      if (version < 2 || version > 5) {
        throw new ImageError(`.debug_info: the unit at ${unitStart} has DWARF version ${version}`);
      }
      let unitType = DW_UT_compile;
      let abbrevOffset: number;
      let addressSize: number;
      if (version >= 5) {
        unitType = r.u8();
        addressSize = r.u8();
        abbrevOffset = offsetSize === 8 ? r.u64() : r.u32();
      } else {
        abbrevOffset = offsetSize === 8 ? r.u64() : r.u32();
        addressSize = r.u8();
      }
      // Type, skeleton and split units are not what an application was compiled with here.
      if (unitType !== DW_UT_compile && unitType !== DW_UT_partial) continue;
      const unit: Unit = { offsetSize, addressSize, version, strOffsetsBase: undefined };
      units.push(this.walkUnit(r, unit, unitStart, this.table(abbrevOffset), wanted));
    }
    return units;
  }

  private walkUnit(
    r: DwarfReader,
    unit: Unit,
    unitStart: number,
    table: Map<number, Abbrev>,
    wanted: Wanted,
  ): UnitMatches {
    let unitName: string | undefined;
    const candidates = new Map<string, Candidate[]>();
    const parents: (TypeDie | undefined)[] = [];
    let first = true;
    while (!r.atEnd) {
      const dieOffset = r.pos;
      const code = uleb(r);
      this.spend(1);
      if (code === 0) {
        parents.pop(); // a null entry ends a sibling chain; trailing padding pops nothing
        continue;
      }
      const ab = table.get(code);
      if (ab === undefined) {
        throw new ImageError(`.debug_info: DIE at ${dieOffset} uses unknown abbreviation ${code}`);
      }
      this.spend(ab.specs.length >> 1);
      const keep = KEPT_TAGS.has(ab.tag) || (this.keepMembers && ab.tag === DW_TAG_member);
      const die: TypeDie | undefined = keep ? { tag: ab.tag, unit } : undefined;
      // The name is resolved after the loop: strx needs str_offsets_base, which may follow.
      let nameKind = Kind.None;
      let nameNum = 0;
      let nameStr = '';
      for (let i = 0; i < ab.specs.length; i += 2) {
        const attr = ab.specs[i]!;
        const form = ab.specs[i + 1]!;
        this.readValue(r, form, unit, unitStart);
        if (form === DW_FORM_implicit_const) this.num = ab.implicit.get(i) ?? 0;
        if (attr === DW_AT_name) {
          nameKind = this.kind;
          nameNum = this.num;
          nameStr = this.str;
          continue;
        }
        if (
          first &&
          attr === DW_AT_str_offsets_base &&
          (this.kind === Kind.Const || this.kind === Kind.None)
        ) {
          unit.strOffsetsBase = this.num;
        }
        if (die === undefined || this.kind === Kind.None) continue;
        if (attr === DW_AT_type) {
          if (this.kind === Kind.Ref || this.kind === Kind.RefAddr) die.type = this.num;
        } else if (this.kind !== Kind.Const) {
          continue; // a bound given by reference or expression (a VLA): unknown
        } else if (attr === DW_AT_byte_size) die.byteSize = this.num;
        else if (attr === DW_AT_data_member_location) die.location = this.num;
        else if (attr === DW_AT_upper_bound) die.upper = this.signed();
        else if (attr === DW_AT_lower_bound) die.lower = this.signed();
        else if (attr === DW_AT_count) die.count = this.signed();
      }
      let name: string | undefined;
      if (first || (die !== undefined && (NAMED_TAGS.has(die.tag) || die.tag === DW_TAG_member))) {
        this.kind = nameKind;
        this.num = nameNum;
        this.str = nameStr;
        name = this.lastString(unit);
      }
      if (first) unitName = name;
      first = false;
      if (die !== undefined) {
        if (name !== undefined) die.name = name;
        this.dies.set(dieOffset, die);
        const parent = parents[parents.length - 1];
        if (die.tag === DW_TAG_subrange_type && parent?.tag === DW_TAG_array_type) {
          (parent.dims ??= []).push(die);
        } else if (die.tag === DW_TAG_member && parent) (parent.members ??= []).push(die);
        if (name !== undefined)
          this.match(die, name, dieOffset, parents.length, wanted, candidates);
      }
      if (ab.hasChildren) parents.push(die);
    }
    return { unit: unitName ?? `<unit at 0x${unitStart.toString(16)}>`, candidates };
  }

  private match(
    die: TypeDie,
    name: string,
    offset: number,
    depth: number,
    wanted: Wanted,
    candidates: Map<string, Candidate[]>,
  ): void {
    const keys: string[] = [];
    if (die.tag === DW_TAG_typedef) keys.push(name);
    const prefix = TAG_PREFIX.get(die.tag);
    if (prefix !== undefined) {
      keys.push(prefix + name);
      // Rust and C++ name structures without typedefs: a plain name may mean one.
      if (prefix !== '') keys.push(name);
    }
    for (const key of keys) {
      const w = wanted.get(key);
      if (w === undefined) continue;
      const fallback = prefix !== undefined && prefix !== '' && key === name;
      const c: Candidate = { offset, depth, rank: w.rank + (fallback ? 2 : 0) };
      const list = candidates.get(w.name);
      if (list === undefined) candidates.set(w.name, [c]);
      else list.push(c);
    }
  }

  private readonly memo = new Map<number, number | null>();

  /** The size of the type at `offset` (DWARF 5 §5.1-§5.5), or undefined when unknown. */
  sizeOf(offset: number, hops = 0): number | undefined {
    const cached = this.memo.get(offset);
    if (cached !== undefined) return cached ?? undefined;
    if (hops > MAX_CHAIN) return undefined;
    const size = this.computeSize(offset, hops);
    this.memo.set(offset, size ?? null);
    return size;
  }

  private computeSize(offset: number, hops: number): number | undefined {
    const die = this.dies.get(offset);
    if (die === undefined) return undefined;
    if (die.byteSize !== undefined && die.tag !== DW_TAG_subrange_type) return die.byteSize;
    if (QUALIFIERS.has(die.tag) || die.tag === DW_TAG_enumeration_type) {
      return die.type === undefined ? undefined : this.sizeOf(die.type, hops + 1);
    }
    if (POINTERS.has(die.tag)) return die.unit.addressSize;
    if (die.tag !== DW_TAG_array_type || die.type === undefined || die.dims === undefined) {
      return undefined; // a declaration without a size, a function type, an unbounded array
    }
    const element = this.sizeOf(die.type, hops + 1);
    if (element === undefined) return undefined;
    let size = element;
    for (const dim of die.dims) {
      const count =
        dim.count ?? (dim.upper === undefined ? undefined : dim.upper - (dim.lower ?? 0) + 1);
      if (count === undefined || count < 0) return undefined;
      size *= count;
    }
    return size;
  }
}

/** ULEB128 that must be a finite number (a run of continuation bytes overflows to NaN). */
function uleb(r: DwarfReader): number {
  const v = r.uleb();
  if (!Number.isFinite(v)) throw new ImageError(`${r.section}: a LEB128 value overflows`);
  return v;
}

function sleb(r: DwarfReader): number {
  const v = r.sleb();
  if (!Number.isFinite(v)) throw new ImageError(`${r.section}: a LEB128 value overflows`);
  return v;
}

/** An unsigned little-endian value of 0-8 bytes. */
function sized(r: DwarfReader, n: number): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < n; i++, scale *= 256) v += r.u8() * scale;
  return v;
}
