/**
 * A prebuilt test program cut into raw binaries, to boot as several images (the CLI's --load,
 * the page's multi-file load): its flash contents in two at `cut` (the first holds the vectors),
 * and its initialised data, which the test programs link straight into SRAM.
 */
import * as fs from 'node:fs';
import { expect } from 'vitest';
import { parseElf } from '../../src/loader/elf.js';

export function splitFlash(file: string, cut: number) {
  const image = parseElf(fs.readFileSync(file));
  const phys = (a: number) => (a < 0x100000 ? 0x08000000 + a : a);
  const inFlash = image.segments.filter((g) => phys(g.address) >>> 20 === 0x080);
  const inRam = image.segments.filter((g) => g.address >>> 20 === 0x200 && g.data.length > 0);
  expect(inFlash.length + inRam.length).toBe(image.segments.length);
  expect(inRam.map((g) => g.address)).toEqual([0x20000000]);
  const end = Math.max(...inFlash.map((g) => phys(g.address) + g.data.length));
  const flash = new Uint8Array(end - 0x08000000).fill(0xff);
  for (const g of inFlash) flash.set(g.data, phys(g.address) - 0x08000000);
  expect(flash.length).toBeGreaterThan(cut);
  return { head: flash.slice(0, cut), tail: flash.slice(cut), data: inRam[0]!.data };
}
