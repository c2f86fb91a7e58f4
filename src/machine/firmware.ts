/** Loads an image into a Machine, resets it, and wires semihosting when asked. */
import { loadImage, type LoadedImage } from '../loader/image.js';
import { Machine, SRAM_BASE, SRAM_SIZE } from './machine.js';
import { SEMIHOSTING_BKPT, Semihosting, type SemihostingHost } from './semihosting.js';

export interface BootOptions {
  /** Enables semihosting (BKPT 0xAB) with this host. */
  semihosting?: SemihostingHost | null;
  cmdline?: string;
}

export interface Booted {
  machine: Machine;
  image: LoadedImage;
  semihosting: Semihosting | null;
}

/** The first free SRAM address after the image (for SYS_HEAPINFO). */
function imageEnd(image: LoadedImage): number {
  for (const name of ['end', '__end__', '_end']) {
    const s = image.symbols.lookup(name);
    if (s && s.value >= SRAM_BASE && s.value < SRAM_BASE + SRAM_SIZE) return s.value;
  }
  let end = SRAM_BASE;
  for (const seg of image.segments) {
    const top = seg.address + seg.data.length + seg.zeroFill;
    if (seg.address >= SRAM_BASE && seg.address < SRAM_BASE + SRAM_SIZE) end = Math.max(end, top);
  }
  return end;
}

export function boot(machine: Machine, image: LoadedImage, options: BootOptions = {}): Booted {
  loadImage(machine.bus, image);
  let semihosting: Semihosting | null = null;
  if (options.semihosting) {
    const heapBase = (imageEnd(image) + 7) & ~7;
    const top = SRAM_BASE + SRAM_SIZE;
    const sh = new Semihosting(machine.cpu, machine.clock, {
      host: options.semihosting,
      cmdline: options.cmdline,
      heap: { heapBase, heapLimit: top, stackBase: top, stackLimit: heapBase },
    });
    semihosting = sh;
    const previous = machine.cpu.bkptHandler;
    machine.cpu.bkptHandler = (cpu, imm) => {
      if (imm === SEMIHOSTING_BKPT) {
        sh.call();
        return true;
      }
      return previous ? previous(cpu, imm) : false;
    };
  }
  machine.reset();
  return { machine, image, semihosting };
}
