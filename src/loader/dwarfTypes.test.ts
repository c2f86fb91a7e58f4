import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageError } from './elf.js';
import { type ElfSection, findSection, readElfSections } from './elfSections.js';
import { compareTypeSizes, typeSizesByUnit } from './dwarfTypes.js';

const prebuilt = (name: string) =>
  readElfSections(
    new Uint8Array(
      fs.readFileSync(path.resolve(__dirname, `../../firmware/prebuilt/diag/${name}`)),
    ),
  );

const NAMES = ['pthread_mutex_t', 'sem_t', 'struct sockaddr_in', 'struct pthread_mutex_s'];
// The diag OS's pthread_mutex_t is spelled nx_pthread_mutex_t in its sources (os.h's macro).
const ALIASES = new Map([['nx_pthread_mutex_t', 'pthread_mutex_t']]);
const OS_UNITS = ['diag/os/sched.c', 'diag/os/sem.c', 'diag/os/socket.c', 'diag/os/task.c'];

const table = (units: { unit: string; sizes: Map<string, number> }[]) =>
  units.map((u) => [u.unit, Object.fromEntries(u.sizes)]);

describe('typeSizesByUnit on firmware/prebuilt/diag/abisize.elf', () => {
  const sections = prebuilt('abisize.elf');
  const units = typeSizesByUnit(sections, NAMES, { aliases: ALIASES });

  it("gives each unit's sizes: Linux's layouts in diag/abisize.c, the OS's in its units", () => {
    expect(table(units)).toEqual([
      ['diag/os/sched.c', { sem_t: 4 }],
      ['diag/os/sem.c', { pthread_mutex_t: 12, sem_t: 4, 'struct pthread_mutex_s': 12 }],
      ['diag/os/socket.c', { 'struct sockaddr_in': 16 }],
      ['diag/os/task.c', { sem_t: 4 }],
      ['diag/abisize.c', { pthread_mutex_t: 24, sem_t: 16, 'struct sockaddr_in': 16 }],
    ]);
  });

  it('names every mismatch, with each unit and its size', () => {
    expect(compareTypeSizes(units, ['pthread_mutex_t', 'struct sockaddr_in'])).toEqual([
      {
        name: 'pthread_mutex_t',
        sizes: [
          { unit: 'diag/os/sem.c', size: 12 },
          { unit: 'diag/abisize.c', size: 24 },
        ],
      },
    ]);
    expect(compareTypeSizes(units, NAMES).map((m) => m.name)).toEqual(['pthread_mutex_t', 'sem_t']);
  });

  it("compares against a reference: the OS's own sizes", () => {
    const os = units.filter((u) => OS_UNITS.includes(u.unit));
    const app = units.filter((u) => !OS_UNITS.includes(u.unit));
    expect(compareTypeSizes(os, NAMES)).toEqual([]);
    const reference = new Map<string, number>();
    for (const u of os) for (const [n, s] of u.sizes) reference.set(n, s);
    expect(compareTypeSizes(app, NAMES, reference)).toEqual([
      { name: 'pthread_mutex_t', sizes: [{ unit: 'diag/abisize.c', size: 24 }], expected: 12 },
      { name: 'sem_t', sizes: [{ unit: 'diag/abisize.c', size: 16 }], expected: 4 },
    ]);
  });

  it('matches names as spelled without aliases, and lists only units that define one', () => {
    const plain = typeSizesByUnit(sections, ['pthread_mutex_t', 'nx_pthread_mutex_t']);
    expect(table(plain)).toEqual([
      ['diag/os/sem.c', { nx_pthread_mutex_t: 12 }],
      ['diag/abisize.c', { pthread_mutex_t: 24 }],
    ]);
    expect(typeSizesByUnit(sections, ['no_such_type_t', 'struct nothing'])).toEqual([]);
    expect(typeSizesByUnit(sections, [])).toEqual([]);
  });

  it('resolves base types, typedef chains and structures by tag', () => {
    const sizes = typeSizesByUnit(sections, ['int', 'pid_t', 'uint8_t', 'struct tcb_s']);
    const sched = sizes.find((u) => u.unit === 'diag/os/sched.c')!;
    expect(Object.fromEntries(sched.sizes)).toEqual({
      int: 4,
      pid_t: 4,
      uint8_t: 1,
      'struct tcb_s': 84,
    });
  });

  it('returns nothing without .debug_info', () => {
    expect(
      typeSizesByUnit(
        sections.filter((s) => s.name !== '.debug_info'),
        NAMES,
      ),
    ).toEqual([]);
  });
});

describe('typeSizesByUnit on firmware/prebuilt/diag/mutex.elf', () => {
  it('finds the OS and the program consistent', () => {
    const units = typeSizesByUnit(prebuilt('mutex.elf'), NAMES, { aliases: ALIASES });
    expect(table(units)).toContainEqual([
      'diag/mutex.c',
      { pthread_mutex_t: 12, sem_t: 4, 'struct pthread_mutex_s': 12 },
    ]);
    expect(compareTypeSizes(units, NAMES)).toEqual([]);
  });
});

/** A little-endian byte builder with labels and 4-byte fixups, for hand-made DWARF. */
class Bytes {
  readonly out: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: { at: number; label: string; base: number }[] = [];
  get pos(): number {
    return this.out.length;
  }
  u8(...v: number[]): this {
    this.out.push(...v);
    return this;
  }
  u16(v: number): this {
    return this.u8(v & 0xff, v >>> 8);
  }
  u32(v: number): this {
    return this.u8(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  }
  uleb(v: number): this {
    do {
      const b = v & 0x7f;
      v >>>= 7;
      this.out.push(v !== 0 ? b | 0x80 : b);
    } while (v !== 0);
    return this;
  }
  str(s: string): this {
    return this.u8(...new TextEncoder().encode(s), 0);
  }
  label(name: string): this {
    this.labels.set(name, this.pos);
    return this;
  }
  /** A 4-byte reference to `label`, relative to `base` (a unit's start, or 0). */
  ref(label: string, base: number): this {
    this.fixups.push({ at: this.pos, label, base });
    return this.u32(0);
  }
  /** A unit: initial length, then the body; patches the length. */
  unit(body: (start: number) => void): this {
    const start = this.pos;
    this.u32(0);
    body(start);
    const len = this.pos - start - 4;
    this.out.splice(start, 4, len & 0xff, (len >>> 8) & 0xff, (len >>> 16) & 0xff, len >>> 24);
    return this;
  }
  bytes(): Uint8Array {
    for (const f of this.fixups) {
      const v = this.labels.get(f.label)! - f.base;
      this.out.splice(f.at, 4, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
    }
    return new Uint8Array(this.out);
  }
}

const section = (name: string, data: Uint8Array): ElfSection => ({
  name,
  type: 1,
  flags: 0,
  addr: 0,
  offset: 0,
  size: data.length,
  data,
});

/**
 * Three units: a DWARF 5 compile unit with arrays, qualifiers, pointers, strx names, an
 * implicit_const size, a cycle and a declaration; a DWARF 5 type unit (skipped); a DWARF 4 unit
 * whose typedef reaches into the first by DW_FORM_ref_addr.
 */
function handMade(): ElfSection[] {
  // Abbreviations: code, tag, children, (attribute, form)*, 0 0 (DWARF 5 §7.5.3).
  const a = new Bytes();
  const abbrev = (code: number, tag: number, children: 0 | 1, ...specs: number[]) =>
    a
      .uleb(code)
      .uleb(tag)
      .u8(children)
      .u8(...specs.flatMap((v) => [...uleb(v)]), 0, 0);
  const uleb = (v: number) => new Bytes().uleb(v).out;
  abbrev(1, 0x11, 1, 0x03, 0x08, 0x72, 0x17); // compile_unit: name string, str_offsets_base
  abbrev(2, 0x24, 0, 0x03, 0x25, 0x0b, 0x0b); // base_type: name strx1, byte_size data1
  abbrev(3, 0x16, 0, 0x03, 0x08, 0x49, 0x13); // typedef: name string, type ref4
  abbrev(4, 0x26, 0, 0x49, 0x13); // const_type
  abbrev(5, 0x01, 1, 0x49, 0x13); // array_type
  abbrev(6, 0x21, 0, 0x2f, 0x0b); // subrange_type: upper_bound data1
  abbrev(7, 0x21, 0, 0x37, 0x0f); // subrange_type: count udata
  abbrev(8, 0x0f, 0, 0x49, 0x13); // pointer_type without byte_size
  a.uleb(9).uleb(0x13).u8(0).u8(0x03, 0x08, 0x0b, 0x21).u8(24).u8(0, 0); // struct, size 24 implicit
  abbrev(10, 0x16, 0, 0x03, 0x08, 0x49, 0x10); // typedef: type ref_addr
  abbrev(11, 0x13, 0, 0x03, 0x08, 0x3c, 0x19); // struct declaration (flag_present)
  // subprogram: name string, low_pc addr, high_pc data4, frame_base exprloc, external flag,
  // location block1, decl_file indirect: forms a type size skips
  const fn = [0x03, 0x08, 0x11, 0x01, 0x12, 0x06, 0x40, 0x18, 0x3f, 0x0c, 0x02, 0x0a, 0x3a, 0x16];
  abbrev(12, 0x2e, 0, ...fn);
  const abbrevs = a.u8(0).bytes(); // the table ends with code 0

  const info = new Bytes();
  info.unit((u) => {
    info.u16(5).u8(0x01, 4).u32(0); // DW_UT_compile, address size 4, abbrev offset 0
    info.uleb(1).str('one.c').u32(12); // str_offsets_base: past a header and a dummy
    info.label('int').uleb(2).u8(0, 4);
    info.label('arr').uleb(5).ref('int', u);
    info.uleb(6).u8(1).uleb(7).uleb(3).uleb(0); // [2][3]
    info.uleb(3).str('arr_t').ref('arr', u);
    info.label('const').uleb(4).ref('arr', u);
    info.uleb(3).str('carr_t').ref('const', u);
    info.label('ptr').uleb(8).ref('int', u);
    info.uleb(3).str('ptr_t').ref('ptr', u);
    info.uleb(9).str('big');
    info.label('loop').uleb(3).str('loop_t').ref('loop', u);
    info.label('opaque').uleb(11).str('opaque');
    info.uleb(3).str('opaque_t').ref('opaque', u);
    info.label('zero').uleb(5).ref('int', u).uleb(6).u8(0xff, 0); // int[0]: upper bound -1
    info.uleb(3).str('zero_t').ref('zero', u);
    info.uleb(12).str('f').u32(0x1000).u32(8).uleb(2).u8(0x91, 0).u8(1).u8(2, 0xaa, 0xbb);
    info.uleb(0x0b).u8(1); // decl_file: DW_FORM_indirect, then data1
    info.u8(0);
  });
  info.unit(() => {
    info.u16(5).u8(0x02, 4).u32(0).u32(0x12345678).u32(0x9abcdef0).u32(0); // DW_UT_type
    info.uleb(3).str('arr_t').u32(0);
  });
  info.unit(() => {
    info.u16(4).u32(0).u8(4); // DWARF 4: abbrev offset, then address size
    info.uleb(1).str('two.c').u32(8);
    info.uleb(10).str('arr_t').ref('int', 0);
    info.uleb(9).str('big').u8(0);
  });
  const str = new TextEncoder().encode('\0int\0');
  const strOffsets = new Bytes().u32(12).u16(5).u16(0).u32(0).u32(1).bytes();
  return [
    section('.debug_info', info.bytes()),
    section('.debug_abbrev', abbrevs),
    section('.debug_str', str),
    section('.debug_str_offsets', strOffsets),
  ];
}

describe('typeSizesByUnit on hand-made DWARF', () => {
  const names = ['arr_t', 'carr_t', 'ptr_t', 'struct big', 'big', 'loop_t', 'opaque_t', 'zero_t'];
  const names2 = [...names, 'int'];

  it('multiplies array dimensions, passes qualifiers, skips type units, follows ref_addr', () => {
    expect(table(typeSizesByUnit(handMade(), names2))).toEqual([
      ['one.c', { arr_t: 24, carr_t: 24, ptr_t: 4, 'struct big': 24, big: 24, zero_t: 0, int: 4 }],
      ['two.c', { arr_t: 4, 'struct big': 24, big: 24 }],
    ]);
  });

  it('reports the differing typedef', () => {
    const units = typeSizesByUnit(handMade(), names);
    expect(compareTypeSizes(units, names)).toEqual([
      {
        name: 'arr_t',
        sizes: [
          { unit: 'one.c', size: 24 },
          { unit: 'two.c', size: 4 },
        ],
      },
    ]);
    expect(compareTypeSizes(units, ['big'], new Map([['big', 24]]))).toEqual([]);
    expect(compareTypeSizes(units, ['big'], new Map([['big', 16]]))[0]?.expected).toBe(16);
  });
});

describe('typeSizesByUnit on malformed DWARF', () => {
  const sections = prebuilt('abisize.elf');
  const info = findSection(sections, '.debug_info')!.data;
  const abbrev = findSection(sections, '.debug_abbrev')!.data;
  const replaced = (name: string, data: Uint8Array) =>
    sections.map((s) => (s.name === name ? { ...s, data } : s));

  /** Reads, and says whether it threw an ImageError (anything else fails the test). */
  function outcome(s: readonly ElfSection[]): 'ok' | 'ImageError' {
    try {
      typeSizesByUnit(s, NAMES, { aliases: ALIASES });
      return 'ok';
    } catch (e) {
      if (e instanceof ImageError) return 'ImageError';
      throw e;
    }
  }

  it('refuses truncated sections with an ImageError', () => {
    for (const n of [1, 4, 11, 12, 100, info.length >> 1, info.length - 1]) {
      expect(() => typeSizesByUnit(replaced('.debug_info', info.subarray(0, n)), NAMES)).toThrow(
        ImageError,
      );
    }
    for (const n of [0, 1, 100, abbrev.length >> 1]) {
      expect(outcome(replaced('.debug_abbrev', abbrev.subarray(0, n)))).toBe('ImageError');
    }
    expect(() =>
      typeSizesByUnit(
        sections.filter((s) => s.name !== '.debug_abbrev'),
        NAMES,
      ),
    ).toThrow(/without .debug_abbrev/);
    expect(() =>
      typeSizesByUnit(
        sections.filter((s) => s.name !== '.debug_str'),
        NAMES,
      ),
    ).toThrow(ImageError);
  });

  it('refuses a bad version, a LEB128 overflow and an unknown form', () => {
    const bad = info.slice();
    bad[4] = 9;
    expect(() => typeSizesByUnit(replaced('.debug_info', bad), NAMES)).toThrow(/version 9/);
    const leb = info.slice();
    leb.fill(0x80, 12, 12 + 2000); // the first DIE's abbreviation code never ends
    expect(() => typeSizesByUnit(replaced('.debug_info', leb), NAMES)).toThrow(ImageError);
    const tiny = handMade();
    const ab = tiny[1]!.data.slice();
    ab[ab.indexOf(0x25)] = 0x7e; // base_type's name form: strx1 becomes an unknown form
    const s = tiny.map((x) => (x.name === '.debug_abbrev' ? { ...x, data: ab } : x));
    expect(() => typeSizesByUnit(s, ['int'])).toThrow(/unknown attribute form 0x7e/);
  });

  it('throws nothing but ImageError for garbage and random damage', () => {
    // A fixed-seed generator: the same damage on every run.
    let seed = 0x1b873593;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const counts = { ok: 0, ImageError: 0 };
    for (let i = 0; i < 100; i++) {
      const garbage = new Uint8Array(1 + rand(400)).map(() => rand(256));
      counts[outcome(replaced(rand(2) ? '.debug_info' : '.debug_abbrev', garbage))]++;
    }
    for (let i = 0; i < 1500; i++) {
      const which = rand(3) === 0 ? abbrev : info;
      const copy = which.slice();
      for (let k = 1 + rand(3); k > 0; k--) copy[rand(copy.length)] = rand(256);
      const cut = rand(4) === 0 ? copy.subarray(0, rand(copy.length)) : copy;
      counts[outcome(replaced(which === info ? '.debug_info' : '.debug_abbrev', cut))]++;
    }
    expect(counts.ImageError).toBeGreaterThan(0);
    expect(counts.ok).toBeGreaterThan(0);
  });
});
