/**
 * Which instructions get a twin, and the renaming back (shared.ts). That the shared source is
 * the unshared one, on every prebuilt firmware: test/jit-shared.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeRaw } from '../decode/cache.js';
import { t16 as dp16 } from '../encode/dataProcessing.js';
import { vadd } from '../encode/fpu.js';
import { t32 as ls32 } from '../encode/loadStore.js';
import { renameRegisters, renameSlots, twinOf } from './shared.js';

const t16 = (hw: number, addr = 0x100) => decodeRaw(hw, 2, addr);
const t32 = ([a, b]: readonly number[], addr = 0x100) =>
  decodeRaw(((a! << 16) | b!) >>> 0, 4, addr);

describe('twins', () => {
  it('instructions differing only in their low registers share one twin', () => {
    const a = twinOf(t16(dp16.addReg(1, 2, 3)), 0)!;
    const b = twinOf(t16(dp16.addReg(5, 6, 7), 0x200), 0)!;
    expect(a.insn).toBe(b.insn);
    expect([a.insn.rd, a.insn.rn, a.insn.rm]).toEqual([9, 10, 11]);
    // (Fields an encoding leaves unused hold 0: one more low register, r12 here.)
    expect([9, 10, 11].map((c) => a.rename.get(c))).toEqual([1, 2, 3]);
    expect([9, 10, 11].map((c) => b.rename.get(c))).toEqual([5, 6, 7]);
  });

  it('equal registers stay equal, and make a different twin', () => {
    const same = twinOf(t16(dp16.addReg(4, 4, 3)), 0)!;
    expect([same.insn.rd, same.insn.rn, same.insn.rm]).toEqual([9, 9, 10]);
    expect(same.insn).not.toBe(twinOf(t16(dp16.addReg(1, 2, 3)), 0)!.insn);
  });

  it('ITSTATE and immediates are part of the key', () => {
    const a = twinOf(t16(dp16.addImm8(1, 5)), 0)!.insn;
    expect(twinOf(t16(dp16.addImm8(2, 5)), 0)!.insn).toBe(a);
    expect(twinOf(t16(dp16.addImm8(2, 6)), 0)!.insn).not.toBe(a);
    expect(twinOf(t16(dp16.addImm8(2, 5)), 0x18)!.insn).not.toBe(a);
  });

  it('no twin for FP instructions, or a register list naming r9-r12', () => {
    expect(twinOf(t32(vadd(1, 2, 3)), 0)).toBeNull();
    expect(twinOf(t32(ls32.stm(1, [2, 3])), 0)).not.toBeNull();
    expect(twinOf(t32(ls32.stm(1, [2, 10])), 0)).toBeNull();
  });
});

describe('renaming', () => {
  const rename = new Map([
    [9, 3],
    [10, 13 - 1],
  ]);
  it('register indices, register-number comparisons and locals', () => {
    expect(renameRegisters('cpu . r [ 9 ] = cpu . r [ 10 ] + 1 ;', rename)).toBe(
      'cpu . r [ 3 ] = cpu . r [ 12 ] + 1 ;',
    );
    expect(renameRegisters('r [ 9 ] = 9 === 13 ? a & ~ 3 : a ;', rename)).toBe(
      'r [ 3 ] = 3 === 13 ? a & ~ 3 : a ;',
    );
    expect(renameRegisters('R9 = ( R10 + V$10 ) >>> 0 ; t$9 = 0x10 ;', rename)).toBe(
      'R3 = ( R12 + V$10 ) >>> 0 ; t$9 = 0x10 ;',
    );
    expect(renameSlots(new Set(['R9', 'FN', 'R13']), rename)).toEqual(new Set(['R3', 'FN', 'R13']));
  });
  it('refuses 9-12 used otherwise, and any 15 (PC: the code would depend on the address)', () => {
    expect(renameRegisters('a = ( cpu . r [ 13 ] + 12 ) >>> 0 ;', rename)).toBeNull();
    expect(renameRegisters('s [ 9 ] = 0 ;', rename)).toBeNull();
    expect(renameRegisters('a = cpu . r [ 15 ] ;', rename)).toBeNull();
    expect(renameRegisters('a = b & 15 ;', rename)).toBeNull();
    expect(renameRegisters('a = b + 9.5 + 1e10 ;', rename)).toBe('a = b + 9.5 + 1e10 ;');
  });
});
