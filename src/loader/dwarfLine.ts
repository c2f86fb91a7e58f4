/**
 * DWARF line number information (.debug_line, DWARF 5 §6.2; versions 2-5): the line programs
 * run into one address-sorted table answering "which file and line holds this address". Also the
 * bounds-checked reader the DWARF and unwind-table parsers share. Browser-safe; malformed input
 * raises an ImageError.
 */
import { ImageError } from './elf.js';

/**
 * A cursor over one section's bytes. Every read past the end raises an ImageError naming the
 * section, so truncated tables never surface as a RangeError.
 */
export class DwarfReader {
  private readonly dv: DataView;
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly section: string,
    start = 0,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  private take(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.bytes.length) {
      throw new ImageError(
        `${this.section} is truncated: a field at offset ${at} runs past its end`,
      );
    }
    this.pos = at + n;
    return at;
  }

  u8(): number {
    return this.bytes[this.take(1)]!;
  }
  i8(): number {
    return this.dv.getInt8(this.take(1));
  }
  u16(): number {
    return this.dv.getUint16(this.take(2), true);
  }
  u32(): number {
    return this.dv.getUint32(this.take(4), true);
  }
  /** An 8-byte value; offsets beyond 2^53 cannot address anything in a 32-bit image anyway. */
  u64(): number {
    const lo = this.u32();
    return this.u32() * 0x1_0000_0000 + lo;
  }
  skip(n: number): void {
    this.take(n);
  }
  bytesOf(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.subarray(at, at + n);
  }

  /** Unsigned LEB128 (DWARF 5 §7.6), as a double: exact up to 2^53. */
  uleb(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return result;
    }
  }

  /** Signed LEB128. */
  sleb(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return b & 0x40 ? result - scale : result;
    }
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const start = this.pos;
    let end = start;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    if (end >= this.bytes.length) {
      throw new ImageError(`${this.section} is truncated: a string at offset ${start} has no end`);
    }
    this.pos = end + 1;
    return new TextDecoder().decode(this.bytes.subarray(start, end));
  }

  /**
   * An initial length field (DWARF 5 §7.4): 32-bit, or 0xffffffff then 64-bit. Returns the
   * length and the size of section offsets in this unit (4 or 8).
   */
  initialLength(): { length: number; offsetSize: 4 | 8 } {
    const l = this.u32();
    if (l === 0xffffffff) return { length: this.u64(), offsetSize: 8 };
    if (l >= 0xfffffff0) {
      throw new ImageError(`${this.section}: reserved unit length 0x${l.toString(16)}`);
    }
    return { length: l, offsetSize: 4 };
  }
}

/** A NUL-terminated string at `offset` of a string section (.debug_str, .debug_line_str). */
function stringAt(section: Uint8Array | undefined, name: string, offset: number): string {
  if (section === undefined)
    throw new ImageError(`the line table refers to ${name}, which is missing`);
  if (offset >= section.length) {
    throw new ImageError(`the line table refers to offset ${offset} beyond the end of ${name}`);
  }
  return new DwarfReader(section, name, offset).cstring();
}

export interface SourceLocation {
  file: string;
  line: number;
}

export interface LineStrings {
  /** .debug_line_str (DW_FORM_line_strp, DWARF 5). */
  lineStr?: Uint8Array;
  /** .debug_str (DW_FORM_strp). */
  str?: Uint8Array;
}

// Line number content types and forms (DWARF 5 §6.2.4.1, §7.5.6).
const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;
const DW_FORM_block2 = 0x03;
const DW_FORM_block4 = 0x04;
const DW_FORM_data2 = 0x05;
const DW_FORM_data4 = 0x06;
const DW_FORM_data8 = 0x07;
const DW_FORM_string = 0x08;
const DW_FORM_block = 0x09;
const DW_FORM_block1 = 0x0a;
const DW_FORM_data1 = 0x0b;
const DW_FORM_sdata = 0x0d;
const DW_FORM_strp = 0x0e;
const DW_FORM_udata = 0x0f;
const DW_FORM_data16 = 0x1e;
const DW_FORM_line_strp = 0x1f;

// Standard and extended opcodes (DWARF 5 §6.2.5.2, §6.2.5.3).
const DW_LNS_copy = 1;
const DW_LNS_advance_pc = 2;
const DW_LNS_advance_line = 3;
const DW_LNS_set_file = 4;
const DW_LNS_const_add_pc = 8;
const DW_LNS_fixed_advance_pc = 9;
const DW_LNE_end_sequence = 1;
const DW_LNE_set_address = 2;
const DW_LNE_define_file = 3;

/** One attribute of a v5 directory or file entry, read according to its form. */
function readForm(
  r: DwarfReader,
  form: number,
  offsetSize: 4 | 8,
  strings: LineStrings,
): string | number {
  switch (form) {
    case DW_FORM_string:
      return r.cstring();
    case DW_FORM_line_strp: {
      const off = offsetSize === 8 ? r.u64() : r.u32();
      return stringAt(strings.lineStr, '.debug_line_str', off);
    }
    case DW_FORM_strp: {
      const off = offsetSize === 8 ? r.u64() : r.u32();
      return stringAt(strings.str, '.debug_str', off);
    }
    case DW_FORM_udata:
      return r.uleb();
    case DW_FORM_sdata:
      return r.sleb();
    case DW_FORM_data1:
      return r.u8();
    case DW_FORM_data2:
      return r.u16();
    case DW_FORM_data4:
      return r.u32();
    case DW_FORM_data8:
      return r.u64();
    case DW_FORM_data16:
      r.skip(16); // an MD5 digest: not needed for names
      return 0;
    case DW_FORM_block:
      r.skip(r.uleb());
      return 0;
    case DW_FORM_block1:
      r.skip(r.u8());
      return 0;
    case DW_FORM_block2:
      r.skip(r.u16());
      return 0;
    case DW_FORM_block4:
      r.skip(r.u32());
      return 0;
    default:
      throw new ImageError(
        `.debug_line: unsupported form 0x${form.toString(16)} in a directory or file entry`,
      );
  }
}

/** DWARF 5 directory/file tables: a format description, then entries in that format. */
function readEntryTable(
  r: DwarfReader,
  offsetSize: 4 | 8,
  strings: LineStrings,
): { path: string; dir: number }[] {
  const formatCount = r.u8();
  const format: [number, number][] = [];
  for (let i = 0; i < formatCount; i++) format.push([r.uleb(), r.uleb()]);
  const count = r.uleb();
  const entries: { path: string; dir: number }[] = [];
  for (let i = 0; i < count; i++) {
    let path = '';
    let dir = 0;
    for (const [type, form] of format) {
      const v = readForm(r, form, offsetSize, strings);
      if (type === DW_LNCT_path && typeof v === 'string') path = v;
      else if (type === DW_LNCT_directory_index && typeof v === 'number') dir = v;
    }
    entries.push({ path, dir });
  }
  return entries;
}

/**
 * "dir/file" when the directory is relative and not ".", else the file as given: short names
 * such as diag/backtrace.c, never the compilation directory of the build machine.
 */
function joinPath(dir: string | undefined, file: string): string {
  if (file.startsWith('/') || dir === undefined || dir === '' || dir === '.') return file;
  if (dir.startsWith('/')) return file;
  return `${dir.replace(/\/+$/, '')}/${file}`;
}

/** The address→line table of a whole .debug_line section. */
export class LineTable {
  /** Row start addresses, sorted; a row covers up to the next row's address. */
  private readonly addresses: number[] = [];
  /** Index into `files`, or -1 for the end of a sequence (no line info from there on). */
  private readonly fileOf: number[] = [];
  private readonly lines: number[] = [];
  private readonly files: string[] = [];

  constructor(rows: { address: number; file: string; line: number; end: boolean }[]) {
    // End-of-sequence rows sort before rows at the same address, so a sequence starting where
    // another ends wins; otherwise the program's order is kept (Array#sort is stable), and the
    // last of several rows at one address is the one that covers it (as addr2line answers).
    const sorted = rows
      .slice()
      .sort((a, b) => a.address - b.address || Number(b.end) - Number(a.end));
    const fileIndex = new Map<string, number>();
    for (const row of sorted) {
      let f = -1;
      if (!row.end) {
        f = fileIndex.get(row.file) ?? -1;
        if (f < 0) {
          f = this.files.length;
          this.files.push(row.file);
          fileIndex.set(row.file, f);
        }
      }
      this.addresses.push(row.address);
      this.fileOf.push(f);
      this.lines.push(row.line);
    }
  }

  get size(): number {
    return this.addresses.length;
  }

  /** The file and line of the row covering `address`, or undefined outside every sequence. */
  lookup(address: number): SourceLocation | undefined {
    const addr = address >>> 0;
    let lo = 0;
    let hi = this.addresses.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.addresses[mid]! <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return undefined;
    const f = this.fileOf[best]!;
    if (f < 0) return undefined;
    return { file: this.files[f]!, line: this.lines[best]! };
  }
}

/** Parses every line program in a .debug_line section (DWARF versions 2 to 5). */
export function parseDebugLine(debugLine: Uint8Array, strings: LineStrings = {}): LineTable {
  const rows: { address: number; file: string; line: number; end: boolean }[] = [];
  const r = new DwarfReader(debugLine, '.debug_line');
  while (!r.atEnd) {
    const unitStart = r.pos;
    const { length, offsetSize } = r.initialLength();
    const unitEnd = r.pos + length;
    if (unitEnd > debugLine.length) {
      throw new ImageError(
        `.debug_line: the unit at offset ${unitStart} runs past the section's end`,
      );
    }
    readProgram(
      new DwarfReader(debugLine.subarray(0, unitEnd), '.debug_line', r.pos),
      offsetSize,
      strings,
      rows,
    );
    r.pos = unitEnd;
  }
  return new LineTable(rows);
}

/** One unit: header (§6.2.4), then its line number program (§6.2.5) appended to `rows`. */
function readProgram(
  r: DwarfReader,
  offsetSize: 4 | 8,
  strings: LineStrings,
  rows: { address: number; file: string; line: number; end: boolean }[],
): void {
  const version = r.u16();
  if (version < 2 || version > 5) {
    throw new ImageError(`.debug_line: version ${version} is not DWARF 2 to 5`);
  }
  if (version >= 5) {
    const addressSize = r.u8();
    if (addressSize !== 4) throw new ImageError(`.debug_line: address size ${addressSize}, not 4`);
    r.u8(); // segment selector size
  }
  const headerLength = offsetSize === 8 ? r.u64() : r.u32();
  const programStart = r.pos + headerLength;
  const minInstLength = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction: 1 on ARM (no VLIW)
  r.u8(); // default_is_stmt: every row counts for lookups, as addr2line treats them
  const lineBase = r.i8();
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) throw new ImageError('.debug_line: line_range is 0');
  const standardLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) standardLengths.push(r.u8());

  // Directories and files. DWARF 5 counts both from 0 (entry 0 is the compilation directory and
  // the primary source file); earlier versions list them from 1, 0 meaning the compilation dir.
  const dirs: (string | undefined)[] = [];
  const files: string[] = [];
  if (version >= 5) {
    for (const d of readEntryTable(r, offsetSize, strings)) dirs.push(d.path);
    for (const f of readEntryTable(r, offsetSize, strings))
      files.push(joinPath(dirs[f.dir], f.path));
  } else {
    dirs.push(undefined);
    for (let d = r.cstring(); d !== ''; d = r.cstring()) dirs.push(d);
    files.push('');
    for (let f = r.cstring(); f !== ''; f = r.cstring()) {
      const dir = r.uleb();
      r.uleb(); // modification time
      r.uleb(); // length
      files.push(joinPath(dirs[dir], f));
    }
  }
  r.pos = programStart;

  // The state machine registers (§6.2.2); op_index stays 0 with one operation per instruction.
  const firstFile = version >= 5 ? 0 : 1;
  let address = 0;
  let file = firstFile;
  let line = 1;
  const reset = () => {
    address = 0;
    file = firstFile;
    line = 1;
  };
  const emit = (end: boolean) =>
    rows.push({ address, file: files[file] ?? `<file ${file}>`, line, end });
  while (!r.atEnd) {
    const op = r.u8();
    if (op >= opcodeBase) {
      // Special opcode (§6.2.5.1): advance address and line together, then append a row.
      const adjusted = op - opcodeBase;
      address = (address + Math.floor(adjusted / lineRange) * minInstLength) >>> 0;
      line += lineBase + (adjusted % lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        const end = r.pos + len;
        if (len === 0) break;
        const sub = r.u8();
        if (sub === DW_LNE_end_sequence) {
          emit(true);
          reset();
        } else if (sub === DW_LNE_set_address) {
          address = len - 1 >= 4 ? r.u32() : 0;
        } else if (sub === DW_LNE_define_file) {
          const name = r.cstring();
          const dir = r.uleb();
          files.push(joinPath(dirs[dir], name));
        }
        if (end > r.bytes.length) {
          throw new ImageError('.debug_line: an extended opcode runs past the end of its unit');
        }
        r.pos = end; // skips set_discriminator and unknown extended opcodes
        break;
      }
      case DW_LNS_copy:
        emit(false);
        break;
      case DW_LNS_advance_pc:
        address = (address + r.uleb() * minInstLength) >>> 0;
        break;
      case DW_LNS_advance_line:
        line += r.sleb();
        break;
      case DW_LNS_set_file:
        file = r.uleb();
        break;
      case DW_LNS_const_add_pc:
        address = (address + Math.floor((255 - opcodeBase) / lineRange) * minInstLength) >>> 0;
        break;
      case DW_LNS_fixed_advance_pc:
        address = (address + r.u16()) >>> 0;
        break;
      default:
        // set_column, negate_stmt, set_basic_block, prologue_end, epilogue_begin, set_isa and
        // opcodes from newer producers: skip their ULEB128 operands as the header counts them.
        for (let i = standardLengths[op - 1] ?? 0; i > 0; i--) r.uleb();
    }
  }
}

/** Convenience: the line table of an ELF's sections, or undefined without .debug_line. */
export function lineTableFromSections(
  sections: readonly { name: string; data: Uint8Array }[],
): LineTable | undefined {
  const get = (n: string) => sections.find((s) => s.name === n)?.data;
  const debugLine = get('.debug_line');
  if (debugLine === undefined) return undefined;
  return parseDebugLine(debugLine, { lineStr: get('.debug_line_str'), str: get('.debug_str') });
}
