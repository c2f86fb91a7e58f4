import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DebugFrame, type FrameRow } from './debugFrame.js';
import { ImageError, parseElf } from './elf.js';
import { findSection, readElfSections } from './elfSections.js';

const ELF = path.resolve(__dirname, '../../firmware/prebuilt/diag/backtrace.elf');
const bytes = new Uint8Array(fs.readFileSync(ELF));
const symbols = parseElf(bytes).symbols;
const section = findSection(readElfSections(bytes), '.debug_frame')!.data;
const frames = DebugFrame.parse(section);
const addr = (name: string) => symbols.lookup(name)!.value & ~1;

/** A row as plain data: CFA and the rules of the registers the CIE/FDE name. */
function plain(row: FrameRow | undefined) {
  if (row === undefined) return undefined;
  return {
    cfa: row.cfa,
    regs: Object.fromEntries([...row.registers].map(([r, rule]) => [r, rule])),
  };
}
const at = (offset: number) => ({ kind: 'offset', offset });

describe('.debug_frame of firmware/prebuilt/diag/backtrace.elf', () => {
  // Expected rows as `arm-none-eabi-readelf --debug-dump=frames` shows them.
  it('has one FDE per function of diag/backtrace.c, with the CIE (CFA = r13, RA = r14)', () => {
    expect(frames.size).toBeGreaterThanOrEqual(13);
    const row = frames.rowAt(addr('probe'))!;
    expect(row.start).toBe(addr('probe'));
    expect(row.end).toBe(addr('recurse'));
    expect(row.returnAddressRegister).toBe(14);
    expect(plain(row)).toEqual({ cfa: { reg: 13, offset: 0 }, regs: {} });
  });

  it('answers before and after a push', () => {
    const f = addr('recurse');
    expect(plain(frames.rowAt(f))).toEqual({ cfa: { reg: 13, offset: 0 }, regs: {} });
    expect(plain(frames.rowAt(f + 2))).toEqual({
      cfa: { reg: 13, offset: 8 },
      regs: { 4: at(-8), 14: at(-4) },
    });
    expect(plain(frames.rowAt(f + 0x1a))).toEqual(plain(frames.rowAt(f + 2)));
  });

  it('follows a large frame (sub sp, #600) and its release before the epilogue', () => {
    const f = addr('big_frame');
    expect(frames.rowAt(f + 4)!.cfa).toEqual({ reg: 13, offset: 8 });
    expect(frames.rowAt(f + 6)!.cfa).toEqual({ reg: 13, offset: 608 });
    expect(frames.rowAt(f + 0x1a)!.cfa).toEqual({ reg: 13, offset: 608 });
    expect(frames.rowAt(f + 0x1c)!.cfa).toEqual({ reg: 13, offset: 8 });
  });

  it('follows the frame pointer of a function with a variable-length array', () => {
    const f = addr('with_vla');
    expect(plain(frames.rowAt(f + 4))).toEqual({
      cfa: { reg: 7, offset: 16 },
      regs: { 3: at(-16), 4: at(-12), 7: at(-8), 14: at(-4) },
    });
    expect(frames.rowAt(f + 0x32)!.cfa).toEqual({ reg: 13, offset: 16 }); // after mov sp, r7
  });

  it('reads the CFI written by hand for run_on_psp (.cfi_def_cfa_register r7)', () => {
    expect(frames.rowAt(addr('run_on_psp') + 0x18)!.cfa).toEqual({ reg: 7, offset: 8 });
  });

  it('has nothing for code without an FDE', () => {
    expect(frames.rowAt(addr('_start'))).toBeUndefined();
    expect(frames.covers(addr('_start'))).toBe(false);
    expect(frames.covers(addr('main'))).toBe(true);
    expect(frames.rowAt(0xfffffffe)).toBeUndefined();
  });

  it('throws nothing but ImageError for any truncation or damage', () => {
    let errors = 0;
    const attempt = (b: Uint8Array) => {
      try {
        DebugFrame.parse(b).rowAt(addr('with_vla') + 8);
      } catch (e) {
        if (!(e instanceof ImageError)) throw e;
        errors++;
      }
    };
    for (let n = 0; n < section.length; n++) attempt(section.subarray(0, n));
    for (let i = 0; i < section.length; i++) {
      const copy = section.slice();
      copy[i] = copy[i]! ^ 0x5a;
      attempt(copy);
    }
    expect(errors).toBeGreaterThan(0);
  });
});

// ---- hand-made CIE/FDE pairs ----
const u16 = (v: number) => [v & 0xff, v >>> 8];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

/** A .debug_frame with one CIE (code align 2, data align -4, RA r14) and one FDE at `start`. */
function section1(
  initial: number[],
  fdeOps: number[],
  start = 0x1000,
  range = 0x100,
  cieHead = [1, 0, 2, 0x7c, 14], // version 1, augmentation "", CAF 2, DAF -4, RA 14
) {
  const cieBody = [...u32(0xffffffff), ...cieHead, ...initial];
  const cie = [...u32(cieBody.length), ...cieBody];
  const fdeBody = [...u32(0), ...u32(start), ...u32(range), ...fdeOps];
  return Uint8Array.from([...cie, ...u32(fdeBody.length), ...fdeBody]);
}

describe('DW_CFA instructions', () => {
  const DEF_CFA_SP0 = [0x0c, 13, 0];

  it('advance_loc, advance_loc1/2/4, set_loc and def_cfa_offset', () => {
    const ops = [
      [0x41], // advance_loc 1 (2 bytes) → 0x1002
      [0x0e, 8], // def_cfa_offset 8
      [0x02, 2], // advance_loc1 2 (4 bytes) → 0x1006
      [0x0e, 16],
      [0x03, ...u16(4)], // advance_loc2 → 0x100e
      [0x0e, 24],
      [0x04, ...u32(1)], // advance_loc4 → 0x1010
      [0x0e, 32],
      [0x01, ...u32(0x1040)], // set_loc
      [0x0e, 40],
    ].flat();
    const f = DebugFrame.parse(section1(DEF_CFA_SP0, ops));
    const cfa = (pc: number) => f.rowAt(pc)!.cfa;
    expect(cfa(0x1000)).toEqual({ reg: 13, offset: 0 });
    expect(cfa(0x1002)).toEqual({ reg: 13, offset: 8 });
    expect(cfa(0x1005)).toEqual({ reg: 13, offset: 8 });
    expect(cfa(0x1006)).toEqual({ reg: 13, offset: 16 });
    expect(cfa(0x100e)).toEqual({ reg: 13, offset: 24 });
    expect(cfa(0x1010)).toEqual({ reg: 13, offset: 32 });
    expect(cfa(0x103f)).toEqual({ reg: 13, offset: 32 });
    expect(cfa(0x1040)).toEqual({ reg: 13, offset: 40 });
    expect(f.rowAt(0x1100)).toBeUndefined();
  });

  it('offset forms, same_value, undefined, register, val_offset and GNU_args_size', () => {
    const ops = [
      [0x84, 2], // offset r4 at cfa-8
      [0x05, 5, 3], // offset_extended r5 at cfa-12
      [0x11, 6, 0x7d], // offset_extended_sf r6 at cfa + (-3 * -4) = +12
      [0x2f, 7, 4], // GNU_negative_offset_extended r7 at cfa + 16
      [0x08, 8], // same_value r8
      [0x07, 9], // undefined r9
      [0x09, 10, 1], // r10 in r1
      [0x14, 11, 1], // val_offset r11 = cfa-4
      [0x15, 12, 0x7e], // val_offset_sf r12 = cfa+8
      [0x2e, 16], // GNU_args_size: no effect
      [0x00], // nop
    ].flat();
    const row = DebugFrame.parse(section1(DEF_CFA_SP0, ops)).rowAt(0x1000)!;
    expect(Object.fromEntries(row.registers)).toEqual({
      4: at(-8),
      5: at(-12),
      6: at(12),
      7: at(16),
      8: { kind: 'same' },
      9: { kind: 'undefined' },
      10: { kind: 'register', reg: 1 },
      11: { kind: 'valOffset', offset: -4 },
      12: { kind: 'valOffset', offset: 8 },
    });
  });

  it('def_cfa, def_cfa_sf, def_cfa_register and def_cfa_expression', () => {
    const ops = [0x0c, 7, 16, 0x41, 0x0d, 11, 0x41, 0x12, 13, 0x7e, 0x41, 0x0f, 2, 0x7d, 0x00];
    const f = DebugFrame.parse(section1([], ops));
    expect(f.rowAt(0x1000)!.cfa).toEqual({ reg: 7, offset: 16 });
    expect(f.rowAt(0x1002)!.cfa).toEqual({ reg: 11, offset: 16 });
    expect(f.rowAt(0x1004)!.cfa).toEqual({ reg: 13, offset: 8 });
    expect(f.rowAt(0x1006)!.cfa).toBeNull(); // an expression: not evaluated
  });

  it('restore goes back to the CIE rule; remember/restore_state keep CFA and registers', () => {
    const initial = [...DEF_CFA_SP0, 0x8e, 1]; // CIE: r14 at cfa-4
    const ops = [
      [0x41, 0x0e, 8], // → 0x1002: CFA = sp + 8
      [0x84, 2], // r4 at cfa-8
      [0x8e, 2], // r14 at cfa-8
      [0x0a], // remember_state
      [0x41, 0x0e, 0], // → 0x1004: CFA = sp
      [0xc4], // restore r4: the CIE has no rule, so none
      [0xce], // restore r14: back to cfa-4
      [0x06, 5], // restore_extended r5 (no rule anyway)
      [0x41, 0x0b], // → 0x1006: restore_state
    ].flat();
    const f = DebugFrame.parse(section1(initial, ops));
    expect(plain(f.rowAt(0x1000))).toEqual({ cfa: { reg: 13, offset: 0 }, regs: { 14: at(-4) } });
    expect(plain(f.rowAt(0x1002))).toEqual({
      cfa: { reg: 13, offset: 8 },
      regs: { 4: at(-8), 14: at(-8) },
    });
    expect(plain(f.rowAt(0x1004))).toEqual({ cfa: { reg: 13, offset: 0 }, regs: { 14: at(-4) } });
    expect(plain(f.rowAt(0x1006))).toEqual(plain(f.rowAt(0x1002)));
  });

  it('reads CIE versions 3 and 4 and a "z" augmentation', () => {
    // Version 3: RA as ULEB128. Version 4: address and segment selector sizes.
    const v3 = DebugFrame.parse(section1(DEF_CFA_SP0, [], 0x1000, 0x10, [3, 0, 2, 0x7c, 14]));
    expect(v3.rowAt(0x1000)!.returnAddressRegister).toBe(14);
    const v4 = DebugFrame.parse(section1(DEF_CFA_SP0, [], 0x1000, 0x10, [4, 0, 4, 0, 2, 0x7c, 14]));
    expect(v4.rowAt(0x100f)!.cfa).toEqual({ reg: 13, offset: 0 });
    const z = DebugFrame.parse(
      section1(DEF_CFA_SP0, [], 0x1000, 0x10, [1, 0x7a, 0, 2, 0x7c, 14, 2, 9, 9]),
    );
    expect(z.rowAt(0x1000)!.cfa).toEqual({ reg: 13, offset: 0 });
  });

  it('gives no row for an FDE with an unknown opcode or an unknown augmentation', () => {
    expect(
      DebugFrame.parse(section1(DEF_CFA_SP0, [0x2d] /* GNU_window_save: SPARC's */)).rowAt(0x1000),
    ).toBeUndefined();
    const aug = section1(DEF_CFA_SP0, [], 0x1000, 0x10, [1, 0x65, 0x68, 0, 2, 0x7c, 14]); // "eh"
    expect(DebugFrame.parse(aug).rowAt(0x1000)).toBeUndefined();
  });

  it('refuses structural damage with an ImageError', () => {
    expect(() => DebugFrame.parse(section1([], [], 0x1000, 0x10, [2, 0, 2, 0x7c, 14]))).toThrow(
      /CIE version 2/,
    );
    const s = section1(DEF_CFA_SP0, []);
    const orphan = s.slice();
    orphan[s.length - 12] = 0x40; // the FDE's CIE pointer
    expect(() => DebugFrame.parse(orphan)).toThrow(/names a CIE at offset 64/);
    const long = s.slice();
    long[0] = 0xf0; // CIE length beyond the section
    expect(() => DebugFrame.parse(long)).toThrow(/runs past the section's end/);
    expect(() => DebugFrame.parse(Uint8Array.from(u32(0xfffffff5)))).toThrow(
      /reserved unit length/,
    );
  });
});
