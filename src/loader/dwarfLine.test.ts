import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DwarfReader, lineTableFromSections, parseDebugLine } from './dwarfLine.js';
import { ImageError, parseElf } from './elf.js';
import { findSection, readElfSections } from './elfSections.js';

const ELF = path.resolve(__dirname, '../../firmware/prebuilt/diag/backtrace.elf');
const bytes = new Uint8Array(fs.readFileSync(ELF));
const sections = readElfSections(bytes);
const symbols = parseElf(bytes).symbols;
const table = lineTableFromSections(sections)!;
const addr = (name: string) => symbols.lookup(name)!.value & ~1;

// ---- a small DWARF writer for hand-made line programs ----
const u16 = (v: number) => [v & 0xff, v >>> 8];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const cstr = (s: string) => [...new TextEncoder().encode(s), 0];
function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}
function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const STD_LENGTHS = [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]; // opcodes 1..12
const setAddress = (a: number) => [0, 5, 2, ...u32(a)];
const endSequence = [0, 1, 1];

/** A whole unit: version, the header fields between header_length and the tables, program. */
function unit(version: number, tables: number[], program: number[], dwarf64 = false): number[] {
  const fields = [
    2, // minimum_instruction_length
    ...(version >= 4 ? [1] : []), // maximum_operations_per_instruction
    1, // default_is_stmt
    -5 & 0xff, // line_base
    14, // line_range
    13, // opcode_base
    ...STD_LENGTHS,
  ];
  const header = [...fields, ...tables];
  const headerLength = dwarf64 ? [...u32(header.length), ...u32(0)] : u32(header.length);
  const body = [
    ...u16(version),
    ...(version >= 5 ? [4, 0] : []),
    ...headerLength,
    ...header,
    ...program,
  ];
  return dwarf64
    ? [...u32(0xffffffff), ...u32(body.length), ...u32(0), ...body]
    : [...u32(body.length), ...body];
}

describe('the line table of firmware/prebuilt/diag/backtrace.elf', () => {
  // Recorded with `arm-none-eabi-addr2line -e firmware/prebuilt/diag/backtrace.elf ADDR` at each
  // function's first instruction (addr2line prints ./diag/backtrace.c: the compilation
  // directory is ".", which the table leaves out).
  const expected: [string, number][] = [
    ['probe', 41],
    ['recurse', 45],
    ['big_frame', 52],
    ['with_vla', 58],
    ['scale', 65],
    ['level1', 69],
    ['handler_leaf', 80],
    ['handler_work', 85],
    ['Default_IRQHandler', 91],
    ['raise_irq', 97],
    ['thread_fp', 103],
    ['main', 150],
  ];
  for (const [fn, line] of expected) {
    it(`${fn} starts at diag/backtrace.c:${line}`, () => {
      expect(table.lookup(addr(fn))).toEqual({ file: 'diag/backtrace.c', line });
    });
  }

  it('reads the DWARF 5 table of newlib crt0 (paths in .debug_line_str)', () => {
    // addr2line: .../libgloss/arm/../../../../../../../libgloss/arm/crt0.S:285. Its directory
    // 0 is absolute, so only the relative directory 1 is joined.
    expect(table.lookup(addr('_start'))).toEqual({
      file: '../../../../../../../libgloss/arm/crt0.S',
      line: 285,
    });
  });

  it('answers within a row and nothing outside every sequence', () => {
    expect(table.lookup(addr('with_vla') + 0x32)).toEqual({ file: 'diag/backtrace.c', line: 63 });
    expect(table.lookup(addr('handler_leaf') + 0xc)).toEqual({
      file: 'diag/backtrace.c',
      line: 81,
    });
    expect(table.lookup(addr('run_on_psp'))).toBeUndefined(); // assembly: no line info
    expect(table.lookup(0x40)).toBeUndefined(); // the vector table
    expect(table.lookup(0xfffffff0)).toBeUndefined();
  });

  const haveAddr2line = spawnSync('arm-none-eabi-addr2line', ['--version']).status === 0;
  it.skipIf(!haveAddr2line)('agrees with arm-none-eabi-addr2line at every address of .text', () => {
    const text = findSection(sections, '.text')!;
    const addrs: number[] = [];
    for (let a = text.addr; a < text.addr + text.size; a += 2) addrs.push(a);
    const run = spawnSync('arm-none-eabi-addr2line', ['-e', ELF], {
      input: addrs.map((a) => `0x${a.toString(16)}`).join('\n'),
      maxBuffer: 1 << 26,
    });
    const answers = run.stdout.toString().trim().split('\n');
    expect(answers.length).toBe(addrs.length);
    let compared = 0;
    addrs.forEach((a, i) => {
      // addr2line: "dir/file:line", "file:?" (symbols only) or "??:?"; it adds the compilation
      // directory and a "(discriminator N)" suffix, which the table leaves out.
      const m = /^(.*):(\d+)(?: \(discriminator \d+\))?$/.exec(answers[i]!);
      const got = table.lookup(a);
      if (m === null) {
        expect(got, `0x${a.toString(16)}`).toBeUndefined();
        return;
      }
      expect(got, `0x${a.toString(16)}`).toBeDefined();
      expect(Number(m[2]), `0x${a.toString(16)}`).toBe(got!.line);
      expect(m[1]!.endsWith(got!.file), `0x${a.toString(16)} ${m[1]} ${got!.file}`).toBe(true);
      compared++;
    });
    expect(compared).toBeGreaterThan(300);
  });
});

describe('line programs by hand', () => {
  it('reads DWARF 2: include directories, file names, define_file and the standard opcodes', () => {
    const tables = [
      ...cstr('src'),
      ...cstr('/abs/include'),
      0,
      ...cstr('main.c'),
      ...uleb(1),
      0,
      0,
      ...cstr('inc.h'),
      ...uleb(2),
      0,
      0,
      ...cstr('top.c'),
      0,
      0,
      0,
      0,
    ];
    const program = [
      ...setAddress(0x1000),
      ...[3, ...sleb(9)], // advance_line → 10
      1, // copy: 0x1000 main.c:10
      ...[5, ...uleb(3), 6, 7, 10, 11, 12, ...uleb(0)], // column, stmt, block, prologue, epilogue, isa
      ...[2, ...uleb(4)], // advance_pc 4 units of 2 bytes → 0x1008
      ...[4, ...uleb(2)], // file 2: inc.h in /abs/include → "inc.h"
      1, // 0x1008 inc.h:10
      8, // const_add_pc: (255 - 13) / 14 = 17 units → 0x102a
      ...[9, ...u16(6)], // fixed_advance_pc → 0x1030
      ...[4, ...uleb(3)],
      13 + 14 * 1 + 7, // special: +1 unit (2 bytes) → 0x1032, line + (-5 + 7) = 12
      ...[0, ...uleb(1 + 9), 3, ...cstr('gen.c'), ...uleb(1), 0, 0], // define_file 4: src/gen.c
      ...[4, ...uleb(4)],
      ...[0, ...uleb(2), 4, 7], // set_discriminator: skipped
      ...[0, ...uleb(3), 0x80, 1, 2], // an unknown extended opcode: skipped by its length
      13 + 14 * 2 + 5, // +4 bytes → 0x1036, line 12
      ...[2, ...uleb(1)],
      ...endSequence, // ends at 0x1038
    ];
    const t = parseDebugLine(Uint8Array.from(unit(2, tables, program)));
    expect(t.lookup(0x0fff)).toBeUndefined();
    expect(t.lookup(0x1000)).toEqual({ file: 'src/main.c', line: 10 });
    expect(t.lookup(0x1007)).toEqual({ file: 'src/main.c', line: 10 });
    expect(t.lookup(0x1008)).toEqual({ file: 'inc.h', line: 10 });
    expect(t.lookup(0x1030)).toEqual({ file: 'inc.h', line: 10 });
    expect(t.lookup(0x1032)).toEqual({ file: 'top.c', line: 12 });
    expect(t.lookup(0x1036)).toEqual({ file: 'src/gen.c', line: 12 });
    expect(t.lookup(0x1037)).toEqual({ file: 'src/gen.c', line: 12 });
    expect(t.lookup(0x1038)).toBeUndefined();
  });

  it('reads DWARF 4 (maximum_operations_per_instruction) and takes the last row at an address', () => {
    const tables = [0, ...cstr('a.c'), 0, 0, 0, 0];
    const program = [
      ...setAddress(0x2000),
      ...[3, ...sleb(4), 1], // line 5
      ...[3, ...sleb(2), 1], // line 7 at the same address: this one covers it
      13 + 14 * 2 + 5 + 1, // +4 bytes, line 8
      ...[2, ...uleb(1)],
      ...endSequence,
    ];
    const t = parseDebugLine(Uint8Array.from(unit(4, tables, program)));
    expect(t.lookup(0x2000)).toEqual({ file: 'a.c', line: 7 });
    expect(t.lookup(0x2004)).toEqual({ file: 'a.c', line: 8 });
  });

  const v5Tables = (pathForm: number, pathBytes: number[][], dirs: number[][]) => [
    1, // directory format: path
    ...uleb(1),
    ...uleb(pathForm),
    ...uleb(dirs.length),
    ...dirs.flat(),
    4, // file format: path, directory index, MD5 (data16), size (data4)
    ...uleb(1),
    ...uleb(pathForm),
    ...uleb(2),
    ...uleb(0x0f), // udata
    ...uleb(5),
    ...uleb(0x1e), // data16
    ...uleb(4),
    ...uleb(0x06), // data4
    ...uleb(pathBytes.length),
    ...pathBytes.flatMap((p, i) => [
      ...p,
      ...uleb(i === 0 ? 0 : 1),
      ...new Array(16).fill(0xaa),
      ...u32(99),
    ]),
  ];

  it('reads DWARF 5 entry formats (string, udata, data16, data4) and two sequences', () => {
    const tables = v5Tables(0x08, [cstr('prog.c'), cstr('lib.c')], [cstr('/build'), cstr('lib')]);
    const program = [
      ...setAddress(0x3000),
      1, // file 0 (DWARF 5 counts from 0): prog.c:1
      ...[2, ...uleb(2)],
      ...endSequence,
      ...setAddress(0x3004), // a second sequence starting where the first ended
      ...[4, ...uleb(1), 3, ...sleb(19), 1], // lib/lib.c:20
      ...[2, ...uleb(1)],
      ...endSequence,
    ];
    const t = parseDebugLine(Uint8Array.from(unit(5, tables, program)));
    expect(t.lookup(0x3002)).toEqual({ file: 'prog.c', line: 1 });
    expect(t.lookup(0x3004)).toEqual({ file: 'lib/lib.c', line: 20 });
    expect(t.lookup(0x3006)).toBeUndefined();
  });

  it('reads DWARF 5 strp paths from .debug_str, and the 64-bit DWARF format', () => {
    const str = Uint8Array.from([...cstr('x'), ...cstr('.'), ...cstr('s.c')]);
    // In 64-bit DWARF, DW_FORM_strp offsets are 8 bytes.
    const off = (n: number) => [...u32(n), ...u32(0)];
    const tables = v5Tables(0x0e, [off(4), off(4)], [off(2)]);
    const program = [...setAddress(0x4000), 1, ...[2, ...uleb(1)], ...endSequence];
    const t = parseDebugLine(Uint8Array.from(unit(5, tables, program, true)), { str });
    expect(t.lookup(0x4000)).toEqual({ file: 's.c', line: 1 });
  });

  it('refuses malformed tables with an ImageError', () => {
    const tables = [0, ...cstr('a.c'), 0, 0, 0, 0];
    const good = unit(3, tables, [...setAddress(0), 1, ...endSequence]);
    expect(() => parseDebugLine(Uint8Array.from(good))).not.toThrow();
    const v9 = good.slice();
    v9[4] = 9;
    expect(() => parseDebugLine(Uint8Array.from(v9))).toThrow(/version 9/);
    expect(() => parseDebugLine(Uint8Array.from([...good, 0xff]))).toThrow(ImageError);
    const badForm = v5Tables(0x25, [[0], [0]], [[0]]); // DW_FORM_strx1: no .debug_str_offsets here
    expect(() => parseDebugLine(Uint8Array.from(unit(5, badForm, [])))).toThrow(/form 0x25/);
    const lineStrp = v5Tables(0x1f, [u32(0), u32(0)], [u32(0)]);
    expect(() => parseDebugLine(Uint8Array.from(unit(5, lineStrp, [])))).toThrow(
      /\.debug_line_str, which is missing/,
    );
    expect(() =>
      parseDebugLine(Uint8Array.from(unit(5, lineStrp, [])), { lineStr: new Uint8Array(0) }),
    ).toThrow(/beyond the end of \.debug_line_str/);
  });

  it('throws nothing but ImageError for any truncation or damage of the real section', () => {
    const debugLine = findSection(sections, '.debug_line')!.data;
    const strings = {
      lineStr: findSection(sections, '.debug_line_str')!.data,
      str: findSection(sections, '.debug_str')!.data,
    };
    let errors = 0;
    const attempt = (b: Uint8Array) => {
      try {
        parseDebugLine(b, strings).lookup(0x360);
      } catch (e) {
        if (!(e instanceof ImageError)) throw e;
        errors++;
      }
    };
    // About 800 cut points and 800 damaged bytes, spread over the whole section.
    const step = Math.max(1, Math.floor(debugLine.length / 800));
    for (let n = 0; n < debugLine.length; n += step) attempt(debugLine.subarray(0, n));
    for (let i = 0; i < debugLine.length; i += step) {
      const copy = debugLine.slice();
      copy[i] = copy[i]! ^ 0xff;
      attempt(copy);
    }
    expect(errors).toBeGreaterThan(debugLine.length / step / 2);
  });
});

describe('DwarfReader', () => {
  it('reads LEB128 beyond 32 bits and signed values', () => {
    const r = new DwarfReader(
      Uint8Array.from([...uleb(2 ** 40 + 5), ...sleb(-129), ...sleb(63)]),
      't',
    );
    expect(r.uleb()).toBe(2 ** 40 + 5);
    expect(r.sleb()).toBe(-129);
    expect(r.sleb()).toBe(63);
    expect(r.atEnd).toBe(true);
    expect(() => r.u8()).toThrow(/t is truncated/);
  });
});
