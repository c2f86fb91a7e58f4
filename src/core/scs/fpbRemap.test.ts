/**
 * FPB flash patch remapping (ARMv7-M ARM C1.11.3, C1.11.5): an instruction comparator with
 * REPLACE = 00 fetches its Code-region word from the SRAM remap table, a literal comparator
 * does the same for data reads; the table's current contents always apply.
 */
import { describe, expect, it } from 'vitest';
import { machineWithVectors, movs } from '../../../test/helpers/machine.js';
import type { Machine } from '../../machine/machine.js';
import { FPB_BASE } from './fpb.js';

const FP_CTRL = FPB_BASE;
const FP_REMAP = FPB_BASE + 4;
const fpComp = (n: number) => FPB_BASE + 8 + 4 * n;
const FLASH = 0x08000000;
const TABLE = 0x20001000;
const halfwords = (lo: number, hi: number) => (lo | (hi << 16)) >>> 0;
// movs r0,#1; movs r1,#2; movs r2,#3; b back to the first movs
const LOOP = [movs(0, 1), movs(1, 2), movs(2, 3), 0xe7fb];

function flashMachine(code: number[] = LOOP): Machine {
  const m = machineWithVectors([]);
  code.forEach((hw, i) => {
    m.flash.bytes[2 * i] = hw & 0xff;
    m.flash.bytes[2 * i + 1] = hw >>> 8;
  });
  m.cpu.setPc(FLASH);
  m.bus.write32(FP_REMAP, TABLE);
  return m;
}

/** Comparator n remaps the word at `addr` (REPLACE 00), FPB enabled. */
function remap(m: Machine, n: number, addr: number): void {
  m.bus.write32(fpComp(n), (addr & 0x1ffffffc) | 1);
  m.bus.write32(FP_CTRL, 3);
}

function steps(m: Machine, n: number): void {
  for (let i = 0; i < n; i++) m.cpu.step();
}

describe('FPB instruction remap', () => {
  it('fetches the patched word from remap_base + 4n, reflecting table writes', () => {
    const m = flashMachine();
    m.bus.write32(TABLE + 4 * 2, halfwords(movs(0, 0x11), movs(1, 0x22)));
    remap(m, 2, FLASH);
    steps(m, 3);
    expect([m.cpu.r[0], m.cpu.r[1], m.cpu.r[2]]).toEqual([0x11, 0x22, 3]);
    m.bus.write32(TABLE + 4 * 2, halfwords(movs(0, 0x33), movs(1, 0x44)));
    steps(m, 3); // b, then the new table word
    expect([m.cpu.r[0], m.cpu.r[1]]).toEqual([0x33, 0x44]);
    expect(m.bus.read32(FLASH)).toBe(halfwords(movs(0, 1), movs(1, 2))); // memory untouched
  });

  it('catches code decoded before; disabling the comparator or the FPB restores it', () => {
    const m = flashMachine();
    m.bus.write32(TABLE, halfwords(movs(0, 0x11), movs(1, 0x22)));
    steps(m, 8); // decoded
    remap(m, 0, FLASH);
    steps(m, 4);
    expect([m.cpu.r[0], m.cpu.r[1]]).toEqual([0x11, 0x22]);
    m.bus.write32(FP_CTRL, 2); // KEY, ENABLE clear
    steps(m, 4);
    expect([m.cpu.r[0], m.cpu.r[1]]).toEqual([1, 2]);
    m.bus.write32(FP_CTRL, 3);
    m.bus.write32(fpComp(0), 0);
    steps(m, 4);
    expect(m.cpu.r[0]).toBe(1);
    expect(m.cpu.codeHookCount).toBe(0);
  });

  it('moving FP_REMAP moves the table', () => {
    const m = flashMachine();
    m.bus.write32(TABLE, halfwords(movs(0, 0x11), movs(1, 0x22)));
    m.bus.write32(TABLE + 0x100, halfwords(movs(0, 0x55), movs(1, 0x66)));
    remap(m, 0, FLASH);
    steps(m, 2);
    expect(m.cpu.r[0]).toBe(0x11);
    m.bus.write32(FP_REMAP, TABLE + 0x100);
    steps(m, 4);
    expect([m.cpu.r[0], m.cpu.r[1]]).toEqual([0x55, 0x66]);
  });

  it('a 32-bit instruction can be patched in; the upper halfword of a word alone too', () => {
    const m = flashMachine();
    m.bus.write32(TABLE, halfwords(0xf04f, 0x0055)); // mov.w r0,#0x55
    remap(m, 0, FLASH);
    steps(m, 1);
    expect(m.cpu.r[0]).toBe(0x55);
    expect(m.cpu.pc).toBe(FLASH + 4);
    steps(m, 1);
    expect(m.cpu.r[2]).toBe(3);
    expect(m.cpu.r[1]).toBe(0); // the original movs r1 at FLASH+2 was replaced by mov.w's half
    // The branch (upper halfword of the second word) patched to a movs: execution falls on.
    const n = flashMachine([movs(0, 1), movs(1, 2), movs(2, 3), 0xe7fb, movs(3, 7), 0xe7fe]);
    n.bus.write32(TABLE + 4, halfwords(movs(2, 9), movs(4, 8)));
    remap(n, 1, FLASH + 4);
    steps(n, 5);
    expect([n.cpu.r[2], n.cpu.r[4], n.cpu.r[3]]).toEqual([9, 8, 7]);
  });

  it('a breakpoint comparator on the same word comes first', () => {
    const m = flashMachine();
    m.bus.write32(0xe000edfc, 1 << 16); // MON_EN
    m.bus.write32(TABLE, halfwords(movs(0, 0x11), movs(1, 0x22)));
    remap(m, 0, FLASH);
    m.bus.write32(fpComp(1), ((2 << 30) | FLASH | 1) >>> 0); // break on FLASH+2
    steps(m, 2);
    expect(m.cpu.r[0]).toBe(0x11);
    expect(m.cpu.r[1]).toBe(0);
    expect(m.cpu.ipsr).toBe(12);
  });
});

describe('FPB literal remap', () => {
  // ldr r0,[pc,#4] (reads FLASH+8); ldrb r1,[r3,#1]; ldrh r2,[r3,#1]... ; b .
  const PROGRAM = [0x4801, 0x7859, 0xe7fe, 0xbf00, 0x5678, 0x1234];

  it('data reads of the word come from remap_base + 4n (literal comparators 6 and 7)', () => {
    const m = flashMachine(PROGRAM);
    m.bus.write32(TABLE + 4 * 6, 0xcafef00d);
    m.cpu.r[3] = FLASH + 8;
    remap(m, 6, FLASH + 8);
    steps(m, 2);
    expect(m.cpu.r[0]).toBe(0xcafef00d);
    expect(m.cpu.r[1]).toBe(0xf0); // a byte of the table word
    expect(m.bus.read16(FLASH + 10)).toBe(0xcafe);
    expect(m.bus.read16(FLASH + 9)).toBe(0x3456); // unaligned: not remapped
    m.bus.write32(TABLE + 4 * 6, 0x01020304); // the current table word applies
    expect(m.bus.read32(FLASH + 8)).toBe(0x01020304);
    m.bus.write32(fpComp(6), 0);
    expect(m.bus.read32(FLASH + 8)).toBe(0x12345678);
  });

  it('instruction fetches of a literal-compared word are not remapped', () => {
    const m = flashMachine();
    m.bus.write32(TABLE + 4 * 7, halfwords(movs(0, 0x11), movs(1, 0x22)));
    remap(m, 7, FLASH);
    steps(m, 2);
    expect([m.cpu.r[0], m.cpu.r[1]]).toEqual([1, 2]);
    expect(m.bus.read32(FLASH)).toBe(halfwords(movs(0, 0x11), movs(1, 0x22)));
  });

  it('a code comparator does not remap data reads', () => {
    const m = flashMachine();
    remap(m, 0, FLASH);
    expect(m.bus.read32(FLASH)).toBe(halfwords(movs(0, 1), movs(1, 2)));
  });
});
