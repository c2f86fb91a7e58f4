/**
 * ARM EHABI unwind tables (ARM IHI 0038, "Exception Handling ABI for the ARM Architecture"):
 * .ARM.exidx, one 8-byte entry per function sorted by address, and .ARM.extab for entries that
 * do not fit inline. Parsing raises an ImageError on a malformed table; running the unwind
 * opcodes (§9.3) never throws, it reports what stopped it.
 */
import { ImageError } from './elf.js';

/** What the table says about one function. */
export type ExidxEntry =
  /** EXIDX_CANTUNWIND (§6, value 1): the function must not be unwound through. */
  | { start: number; end: number; kind: 'cantunwind' }
  /**
   * Unwind opcodes: inline (personality routine 0, "Su16") or from .ARM.extab (routines 1/2,
   * "Lu16"/"Lu32", or a generic personality routine followed by the same opcode layout).
   */
  | { start: number; end: number; kind: 'opcodes'; personality: number; opcodes: Uint8Array }
  /** An entry this reader cannot decode (a reserved personality index). */
  | { start: number; end: number; kind: 'unknown' };

/** Personality index used for entries naming their own routine (the generic model, §6.2). */
export const GENERIC_PERSONALITY = -1;
const EXIDX_CANTUNWIND = 1;

/** The section contents and run-time addresses the prel31 offsets are relative to. */
export interface SectionBytes {
  addr: number;
  data: Uint8Array;
}

/** A prel31 (§4.4.2): a 31-bit signed offset from the word's own address. */
function prel31(word: number, at: number): number {
  return (at + ((word << 1) >> 1)) >>> 0;
}

/** The table of one image, sorted by function start. */
export class ArmExidx {
  private constructor(private readonly entries: ExidxEntry[]) {}

  static parse(exidx: SectionBytes, extab?: SectionBytes): ArmExidx {
    const { data } = exidx;
    if (data.length % 8 !== 0) {
      throw new ImageError(
        `.ARM.exidx is ${data.length} bytes, not a whole number of 8-byte entries`,
      );
    }
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const raw: { start: number; word: number; at: number }[] = [];
    for (let off = 0; off < data.length; off += 8) {
      const w0 = dv.getUint32(off, true);
      if (w0 & 0x80000000) {
        throw new ImageError(
          `.ARM.exidx entry at offset ${off} has bit 31 set in its function offset`,
        );
      }
      raw.push({
        start: prel31(w0, exidx.addr + off),
        word: dv.getUint32(off + 4, true),
        at: exidx.addr + off + 4,
      });
    }
    // The linker sorts the table; sorting again costs little and tolerates hand-made tables.
    raw.sort((a, b) => a.start - b.start);
    const entries = raw.map((e, i): ExidxEntry => {
      const start = e.start;
      const end = raw[i + 1]?.start ?? 0x1_0000_0000;
      if (e.word === EXIDX_CANTUNWIND) return { start, end, kind: 'cantunwind' };
      if (e.word & 0x80000000) return compactEntry(start, end, e.word, [], 'inline');
      return extabEntry(start, end, prel31(e.word, e.at), extab);
    });
    return new ArmExidx(entries);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The entry covering `pc` (the last one starting at or below it), or undefined. */
  find(pc: number): ExidxEntry | undefined {
    const addr = pc >>> 0;
    let lo = 0;
    let hi = this.entries.length - 1;
    let best: ExidxEntry | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = this.entries[mid]!;
      if (e.start <= addr) {
        best = e;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }
}

/**
 * A compact-model entry (§6.3): bits 27-24 of the first word give the personality index. Index
 * 0 holds three opcode bytes in that word; indexes 1 and 2 hold two, a count of extra words in
 * bits 23-16, and the extra words' bytes most significant first.
 */
function compactEntry(
  start: number,
  end: number,
  first: number,
  more: number[],
  where: 'inline' | 'extab',
): ExidxEntry {
  const personality = (first >>> 24) & 0x0f;
  if ((first >>> 24) & 0x70) return { start, end, kind: 'unknown' };
  const bytes: number[] = [];
  if (personality === 0) {
    bytes.push((first >>> 16) & 0xff, (first >>> 8) & 0xff, first & 0xff);
  } else if (personality === 1 || personality === 2) {
    if (where === 'inline') return { start, end, kind: 'unknown' }; // only index 0 fits inline
    bytes.push((first >>> 8) & 0xff, first & 0xff);
    for (const w of more) bytes.push(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
  } else {
    return { start, end, kind: 'unknown' };
  }
  return { start, end, kind: 'opcodes', personality, opcodes: Uint8Array.from(bytes) };
}

/** An entry in .ARM.extab at `address` (§6.2, §6.3). */
function extabEntry(
  start: number,
  end: number,
  address: number,
  extab: SectionBytes | undefined,
): ExidxEntry {
  const where = `the .ARM.extab entry of the function at 0x${start.toString(16)}`;
  if (extab === undefined) throw new ImageError(`${where} is missing: the ELF has no .ARM.extab`);
  const off = address - extab.addr;
  const dv = new DataView(extab.data.buffer, extab.data.byteOffset, extab.data.byteLength);
  const word = (i: number): number => {
    const o = off + 4 * i;
    if (o < 0 || o + 4 > extab.data.length) {
      throw new ImageError(`${where} (0x${address.toString(16)}) lies outside .ARM.extab`);
    }
    return dv.getUint32(o, true);
  };
  const first = word(0);
  if (first & 0x80000000) {
    const count = (first >>> 24) & 0x0f ? (first >>> 16) & 0xff : 0;
    const more: number[] = [];
    for (let i = 1; i <= count; i++) more.push(word(i));
    return compactEntry(start, end, first, more, 'extab');
  }
  // The generic model: a prel31 to the personality routine, then its data. GCC's routines
  // (__gcc_personality_v0, __gxx_personality_v0) keep the Lu16 layout there: a word with the
  // count of extra words in bits 31-24 and three opcode bytes, then the extra words.
  const data = word(1);
  const count = data >>> 24;
  const bytes: number[] = [(data >>> 16) & 0xff, (data >>> 8) & 0xff, data & 0xff];
  for (let i = 0; i < count; i++) {
    const w = word(2 + i);
    bytes.push(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
  }
  return {
    start,
    end,
    kind: 'opcodes',
    personality: GENERIC_PERSONALITY,
    opcodes: Uint8Array.from(bytes),
  };
}

/** The outcome of running one function's unwind opcodes. */
export type EhabiResult =
  /** The caller's registers: r13 = the final vsp, r15 = the return address. */
  { ok: true; regs: (number | undefined)[] } | { ok: false; reason: string };

/**
 * Runs the unwind opcodes (§9.3) on a copy of the virtual register set `regs` (r0-r15; r13 is
 * the vsp). A register popped from unreadable memory, a needed register that is unknown, the
 * refuse-to-unwind opcode 0x8000 or a reserved opcode ends the run with ok: false.
 */
export function runEhabiOpcodes(
  opcodes: Uint8Array,
  regs: readonly (number | undefined)[],
  read32: (addr: number) => number | undefined,
): EhabiResult {
  const vrs = regs.slice(0, 16);
  let pcSet = false;
  let i = 0;
  const next = (): number | undefined => opcodes[i++];
  const fail = (reason: string): EhabiResult => ({ ok: false, reason });
  // Pops registers in ascending order (STMFD order) from vsp; r13 itself, if popped, becomes
  // the vsp only after the whole pop (§9.3 "vsp = the popped value").
  const pop = (mask: number): string | null => {
    let vsp = vrs[13];
    if (vsp === undefined) return 'the stack pointer is unknown';
    let newSp: number | undefined;
    for (let reg = 0; reg < 16; reg++) {
      if ((mask & (1 << reg)) === 0) continue;
      const v = read32(vsp);
      if (v === undefined) return `unreadable stack at 0x${vsp.toString(16)}`;
      if (reg === 13) newSp = v >>> 0;
      else vrs[reg] = v >>> 0;
      if (reg === 15) pcSet = true;
      vsp = (vsp + 4) >>> 0;
    }
    vrs[13] = newSp ?? vsp;
    return null;
  };
  const addVsp = (n: number): string | null => {
    const vsp = vrs[13];
    if (vsp === undefined) return 'the stack pointer is unknown';
    vrs[13] = (vsp + n) >>> 0;
    return null;
  };
  while (i < opcodes.length) {
    const op = next()!;
    let err: string | null = null;
    if ((op & 0xc0) === 0x00) {
      err = addVsp(((op & 0x3f) << 2) + 4); // 00xxxxxx: vsp += (x << 2) + 4
    } else if ((op & 0xc0) === 0x40) {
      err = addVsp(-(((op & 0x3f) << 2) + 4)); // 01xxxxxx: vsp -= (x << 2) + 4
    } else if ((op & 0xf0) === 0x80) {
      // 1000iiii iiiiiiii: pop r4-r15 under mask; 0x8000 is "refuse to unwind".
      const mask = ((op & 0x0f) << 8) | (next() ?? 0);
      if (mask === 0) return fail('refuse to unwind (opcode 0x8000)');
      err = pop(mask << 4);
    } else if ((op & 0xf0) === 0x90) {
      const reg = op & 0x0f; // 1001nnnn: vsp = r[nnnn]; 13 and 15 are reserved
      if (reg === 13 || reg === 15) return fail(`reserved opcode 0x${op.toString(16)}`);
      const v = vrs[reg];
      if (v === undefined) return fail(`r${reg} is unknown`);
      vrs[13] = v;
    } else if ((op & 0xf8) === 0xa0) {
      err = pop(((1 << ((op & 7) + 1)) - 1) << 4); // 10100nnn: pop r4-r[4+nnn]
    } else if ((op & 0xf8) === 0xa8) {
      err = pop((((1 << ((op & 7) + 1)) - 1) << 4) | (1 << 14)); // 10101nnn: ... and r14
    } else if (op === 0xb0) {
      break; // finish
    } else if (op === 0xb1) {
      const mask = next() ?? 0; // 10110001 0000iiii: pop r0-r3 under mask
      if (mask === 0 || mask & 0xf0) return fail(`reserved opcode 0xb1 0x${mask.toString(16)}`);
      err = pop(mask);
    } else if (op === 0xb2) {
      // 10110010 uleb128: vsp = vsp + 0x204 + (uleb128 << 2)
      let value = 0;
      let scale = 1;
      for (;;) {
        const b = next();
        if (b === undefined) return fail('truncated ULEB128 after opcode 0xb2');
        value += (b & 0x7f) * scale;
        scale *= 128;
        if ((b & 0x80) === 0) break;
      }
      err = addVsp(0x204 + value * 4);
    } else if (op === 0xb3) {
      const sc = next() ?? 0; // 10110011 sssscccc: pop D[s]-D[s+c] saved by FSTMFDX
      err = addVsp(((sc & 0x0f) + 1) * 8 + 4);
    } else if ((op & 0xf8) === 0xb8) {
      err = addVsp(((op & 7) + 1) * 8 + 4); // 10111nnn: pop D[8]-D[8+nnn] saved by FSTMFDX
    } else if (op === 0xc8 || op === 0xc9) {
      // 11001000 / 11001001 sssscccc: pop D[16+s]-D[16+s+c] / D[s]-D[s+c] saved by VPUSH
      const sc = next() ?? 0;
      err = addVsp(((sc & 0x0f) + 1) * 8);
    } else if ((op & 0xf8) === 0xd0) {
      err = addVsp(((op & 7) + 1) * 8); // 11010nnn: pop D[8]-D[8+nnn] saved by VPUSH
    } else {
      // 101101nn, 11000nnn (iWMMXt, absent on Cortex-M), 11001yyy, 11xxxyyy: spare/reserved.
      return fail(`unsupported opcode 0x${op.toString(16)}`);
    }
    if (err !== null) return fail(err);
  }
  // Finish: "if r15 has not been updated, copy r14 to r15" (§9.3).
  if (!pcSet) vrs[15] = vrs[14];
  return { ok: true, regs: vrs };
}
