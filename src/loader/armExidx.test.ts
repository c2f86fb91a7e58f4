import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArmExidx, GENERIC_PERSONALITY, runEhabiOpcodes, type ExidxEntry } from './armExidx.js';
import { ImageError, parseElf } from './elf.js';
import { findSection, readElfSections } from './elfSections.js';

const ELF = path.resolve(__dirname, '../../firmware/prebuilt/diag/backtrace.elf');
const bytes = new Uint8Array(fs.readFileSync(ELF));
const symbols = parseElf(bytes).symbols;
const sections = readElfSections(bytes);
const exidxSection = findSection(sections, '.ARM.exidx')!;
const extabSection = findSection(sections, '.ARM.extab')!;
const table = ArmExidx.parse(exidxSection, extabSection);
const addr = (name: string) => symbols.lookup(name)!.value & ~1;

const opcodes = (e: ExidxEntry | undefined) =>
  e?.kind === 'opcodes' ? { personality: e.personality, ops: Array.from(e.opcodes) } : e?.kind;

describe('.ARM.exidx of firmware/prebuilt/diag/backtrace.elf', () => {
  // As `arm-none-eabi-readelf -u` decodes them.
  it('has inline personality-0 entries', () => {
    expect(opcodes(table.find(addr('probe')))).toEqual({ personality: 0, ops: [0xb0, 0xb0, 0xb0] });
    expect(opcodes(table.find(addr('recurse') + 6))).toEqual({
      personality: 0,
      ops: [0xa8, 0xb0, 0xb0], // pop {r4, r14}
    });
    expect(opcodes(table.find(addr('big_frame')))).toEqual({
      personality: 0,
      ops: [0xb2, 0x15, 0xa8], // vsp += 600; pop {r4, r14}
    });
    expect(opcodes(table.find(addr('run_on_psp')))).toEqual({
      personality: 0,
      ops: [0x97, 0x84, 0x08], // vsp = r7; pop {r7, r14}
    });
  });

  it('has personality-1 entries in .ARM.extab', () => {
    expect(opcodes(table.find(addr('with_vla')))).toEqual({
      personality: 1,
      ops: [0x97, 0xb1, 0x08, 0x84, 0x09, 0xb0], // vsp = r7; pop {r3}; pop {r4, r7, r14}
    });
    expect(opcodes(table.find(addr('handler_work')))).toEqual({
      personality: 1,
      ops: [0xb1, 0x08, 0x84, 0x00, 0xb0, 0xb0],
    });
  });

  it('marks code without unwind tables (newlib) EXIDX_CANTUNWIND', () => {
    expect(table.find(addr('_start'))?.kind).toBe('cantunwind');
    expect(table.find(addr('_malloc_r'))?.kind).toBe('cantunwind');
  });

  it('covers a function up to the next entry, and nothing before the first', () => {
    const e = table.find(addr('probe') + 0xa)!;
    expect(e.start).toBe(addr('probe'));
    expect(e.end).toBe(addr('recurse'));
    expect(table.find(0)).toBeUndefined();
    expect(table.size).toBe(exidxSection.size / 8);
  });
});

describe('.ARM.exidx and .ARM.extab by hand', () => {
  const exidxAt = 0x9000;
  const extabAt = 0x8000;
  /** prel31 from `at` to `target`. */
  const prel31 = (target: number, at: number) => ((target - at) & 0x7fffffff) >>> 0;
  function words(...w: number[]): Uint8Array {
    const b = new Uint8Array(4 * w.length);
    const dv = new DataView(b.buffer);
    w.forEach((v, i) => dv.setUint32(4 * i, v >>> 0, true));
    return b;
  }

  it('reads Lu32 entries with extra words and the generic model', () => {
    const exidx = words(
      prel31(0x100, exidxAt),
      prel31(extabAt, exidxAt + 4),
      prel31(0x200, exidxAt + 8),
      prel31(extabAt + 8, exidxAt + 12),
      prel31(0x300, exidxAt + 16),
      0x80a8b0b0, // unsorted on purpose: the parser sorts
    );
    const extab = words(
      0x82_01_a8_b1, // personality 2, one more word: ops a8 b1 then 08 b0 b0 b0
      0x08b0b0b0,
      prel31(0x4000, extabAt + 8), // a personality routine (generic model)
      0x01_97_84_08, // one more word; ops 97 84 08
      0xb0b0b0b0,
    );
    const t = ArmExidx.parse({ addr: exidxAt, data: exidx }, { addr: extabAt, data: extab });
    expect(opcodes(t.find(0x100))).toEqual({
      personality: 2,
      ops: [0xa8, 0xb1, 0x08, 0xb0, 0xb0, 0xb0],
    });
    expect(opcodes(t.find(0x250))).toEqual({
      personality: GENERIC_PERSONALITY,
      ops: [0x97, 0x84, 0x08, 0xb0, 0xb0, 0xb0, 0xb0],
    });
    expect(opcodes(t.find(0x300))).toEqual({ personality: 0, ops: [0xa8, 0xb0, 0xb0] });
    expect(t.find(0x2ff)!.end).toBe(0x300);
  });

  it('gives reserved personality indexes kind "unknown"', () => {
    const t = ArmExidx.parse({ addr: exidxAt, data: words(prel31(0x100, exidxAt), 0x83b0b0b0) });
    expect(t.find(0x100)!.kind).toBe('unknown');
  });

  it('refuses malformed tables with an ImageError', () => {
    expect(() => ArmExidx.parse({ addr: 0, data: new Uint8Array(12) })).toThrow(/8-byte entries/);
    expect(() => ArmExidx.parse({ addr: 0, data: words(0x80000000, 1) })).toThrow(/bit 31/);
    const toExtab = words(prel31(0x100, exidxAt), prel31(extabAt + 64, exidxAt + 4));
    expect(() => ArmExidx.parse({ addr: exidxAt, data: toExtab })).toThrow(/no \.ARM\.extab/);
    expect(() =>
      ArmExidx.parse({ addr: exidxAt, data: toExtab }, { addr: extabAt, data: words(0) }),
    ).toThrow(/outside \.ARM\.extab/);
    // A count of extra words running past the section.
    const short = words(prel31(0x100, exidxAt), prel31(extabAt, exidxAt + 4));
    expect(() =>
      ArmExidx.parse({ addr: exidxAt, data: short }, { addr: extabAt, data: words(0x8105b0b0) }),
    ).toThrow(ImageError);
  });

  it('throws nothing but ImageError for damaged copies of the real tables', () => {
    let errors = 0;
    for (let i = 0; i < exidxSection.data.length + extabSection.data.length; i++) {
      const exidx = exidxSection.data.slice();
      const extab = extabSection.data.slice();
      if (i < exidx.length) exidx[i] = exidx[i]! ^ 0xa5;
      else extab[i - exidx.length] = extab[i - exidx.length]! ^ 0xa5;
      try {
        ArmExidx.parse(
          { addr: exidxSection.addr, data: exidx },
          { addr: extabSection.addr, data: extab },
        );
      } catch (e) {
        if (!(e instanceof ImageError)) throw e;
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
  });
});

describe('EHABI unwind opcodes (ARM IHI 0038 §9.3)', () => {
  const SP = 0x2000_1000;
  /** Memory where the word at SP + 4k holds 0x100 + k. */
  const read32 = (a: number) => (a >= SP && a < SP + 0x1000 ? 0x100 + (a - SP) / 4 : undefined);
  const regs = () => {
    const r: (number | undefined)[] = new Array(16).fill(undefined);
    r[13] = SP;
    r[14] = 0xaaa;
    r[7] = SP + 0x40;
    return r;
  };
  const run = (ops: number[]) => runEhabiOpcodes(Uint8Array.from(ops), regs(), read32);
  const result = (ops: number[]) => {
    const r = run(ops);
    return r.ok ? r.regs : r.reason;
  };

  it('00xxxxxx / 01xxxxxx adjust vsp', () => {
    expect(result([0x00])[13]).toBe(SP + 4);
    expect(result([0x3f])[13]).toBe(SP + 0x100);
    expect(result([0x3f, 0x40])[13]).toBe(SP + 0xfc);
  });

  it('finish copies r14 to r15 unless r15 was popped', () => {
    expect(result([0xb0])[15]).toBe(0xaaa);
    expect(result([])[15]).toBe(0xaaa); // an empty stream finishes too
    const popped = result([0x88, 0x00]); // pop {r15}
    expect(popped[15]).toBe(0x100);
    expect(popped[13]).toBe(SP + 4);
  });

  it('1000iiii iiiiiiii pops r4-r15 under a mask, lowest register first', () => {
    const r = result([0x84, 0x09]); // pop {r4, r7, r14}
    expect([r[4], r[7], r[14], r[15], r[13]]).toEqual([0x100, 0x101, 0x102, 0x102, SP + 12]);
    const withSp = result([0x82, 0x00]); // pop {r13}: vsp becomes the popped value
    expect(withSp[13]).toBe(0x100);
  });

  it('1001nnnn sets vsp from a register; 13 and 15 are reserved', () => {
    expect(result([0x97])[13]).toBe(SP + 0x40);
    expect(result([0x9d])).toMatch(/reserved/);
    expect(result([0x9f])).toMatch(/reserved/);
    expect(result([0x95])).toMatch(/r5 is unknown/);
  });

  it('10100nnn / 10101nnn pop r4-r[4+n] (and r14)', () => {
    const a = result([0xa2]);
    expect([a[4], a[5], a[6], a[13]]).toEqual([0x100, 0x101, 0x102, SP + 12]);
    const b = result([0xaf]); // r4-r11, r14
    expect([b[11], b[14], b[15], b[13]]).toEqual([0x107, 0x108, 0x108, SP + 36]);
  });

  it('10110001 0000iiii pops r0-r3; 0xb1 0x00 and 0xb1 0x1x are reserved', () => {
    const r = result([0xb1, 0x0a]); // pop {r1, r3}
    expect([r[1], r[3], r[13]]).toEqual([0x100, 0x101, SP + 8]);
    expect(result([0xb1, 0x00])).toMatch(/reserved/);
    expect(result([0xb1, 0x10])).toMatch(/reserved/);
  });

  it('10110010 uleb128 adds 0x204 + (uleb128 << 2)', () => {
    expect(result([0xb2, 0x15])[13]).toBe(SP + 600);
    expect(result([0xb2, 0x81, 0x01])[13]).toBe(SP + 0x204 + 129 * 4);
    expect(result([0xb2, 0x81])).toMatch(/truncated/);
  });

  it('VFP pops only move vsp', () => {
    expect(result([0xb3, 0x12])[13]).toBe(SP + 3 * 8 + 4); // FSTMFDX D1-D3
    expect(result([0xbb])[13]).toBe(SP + 4 * 8 + 4); // FSTMFDX D8-D11
    expect(result([0xc8, 0x01])[13]).toBe(SP + 2 * 8); // VPUSH D16-D17
    expect(result([0xc9, 0x83])[13]).toBe(SP + 4 * 8); // VPUSH D8-D11
    expect(result([0xd7])[13]).toBe(SP + 8 * 8); // VPUSH D8-D15
  });

  it('stops at refuse-to-unwind, spare opcodes and unreadable memory', () => {
    expect(result([0x80, 0x00])).toMatch(/refuse/);
    for (const op of [0xb4, 0xb7, 0xc0, 0xc6, 0xca, 0xd8, 0xff]) {
      expect(result([op]), `0x${op.toString(16)}`).toMatch(/unsupported/);
    }
    expect(result([0x7f, 0x7f, 0x7f, 0xa8])).toMatch(/unreadable/); // vsp below the stack
    const noSp = runEhabiOpcodes(Uint8Array.from([0xa8]), new Array(16).fill(undefined), read32);
    expect(noSp.ok).toBe(false);
  });

  it('leaves the input registers alone', () => {
    const input = regs();
    runEhabiOpcodes(Uint8Array.from([0xaf]), input, read32);
    expect(input).toEqual(regs());
  });
});
