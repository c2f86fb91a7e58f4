/**
 * Loads an image into a Machine, resets it, and wires semihosting when asked; checks that what
 * was loaded can boot at all.
 */
import { SymbolTable } from '../loader/elf.js';
import { ImageError, checkImageFits, loadImage, type LoadedImage } from '../loader/image.js';
import { BKPSRAM_BASE, FLASH_BASE, FLASH_SIZE, Machine, SRAM_BASE, SRAM_SIZE } from './machine.js';
import { SEMIHOSTING_BKPT, Semihosting, type SemihostingHost } from './semihosting.js';

export interface BootOptions {
  /** Enables semihosting (BKPT 0xAB) with this host. */
  semihosting?: SemihostingHost | null;
  cmdline?: string;
}

export interface Booted {
  machine: Machine;
  /** The image booted; from several, their combination (see combineImages). */
  image: LoadedImage;
  semihosting: Semihosting | null;
}

/** One of several images, with the name its messages use ("nuttx_user.bin"). */
export interface ImagePart {
  image: LoadedImage;
  name?: string;
}

/** What boot takes: one image, or several loaded together (the first is the main one). */
export type BootImages = LoadedImage | readonly (LoadedImage | ImagePart)[];

const hex = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

function parts(images: readonly (LoadedImage | ImagePart)[]): Required<ImagePart>[] {
  return images.map((p, i) =>
    'segments' in p
      ? { image: p, name: `image ${i + 1}` }
      : { image: p.image, name: p.name ?? `image ${i + 1}` },
  );
}

/** A flash address as the flash itself sees it: the alias at 0 is the same bytes. */
const physical = (a: number) => (a >>> 0 < FLASH_SIZE ? FLASH_BASE + a : a >>> 0);

/**
 * Several images as one: every segment of each (in order), the first one's entry and format,
 * and one symbol table over all of them (a name in two keeps the first's). Two images that
 * would write the same bytes are an ImageError naming both and the range: nothing is silently
 * overwritten. Overlaps inside one image are its own business, as with a single image.
 */
export function combineImages(images: readonly (LoadedImage | ImagePart)[]): LoadedImage {
  const list = parts(images);
  if (list.length === 0) throw new ImageError('no image to load');
  // Each image's bytes as sorted, coalesced ranges; then one sweep over all of them.
  const ranges: { start: number; end: number; part: number }[] = [];
  list.forEach(({ image }, part) => {
    const own = image.segments
      .map((s) => ({
        start: physical(s.address),
        end: physical(s.address) + s.data.length + s.zeroFill,
      }))
      .filter((r) => r.end > r.start)
      .sort((a, b) => a.start - b.start);
    let last: { start: number; end: number; part: number } | null = null;
    for (const r of own) {
      if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
      else ranges.push((last = { ...r, part }));
    }
  });
  ranges.sort((a, b) => a.start - b.start || a.part - b.part);
  // With no overlap so far every range seen is disjoint, so only the previous one can reach.
  for (let i = 1; i < ranges.length; i++) {
    const a = ranges[i - 1]!;
    const b = ranges[i]!;
    if (b.start >= a.end) continue;
    const [first, second] = a.part < b.part ? [a, b] : [b, a];
    const end = Math.min(a.end, b.end);
    throw new ImageError(
      `${list[first.part]!.name} and ${list[second.part]!.name} overlap at ` +
        `${hex(b.start)}-${hex(end - 1)} (${end - b.start} bytes): ` +
        'the later one would overwrite the other; load each at its own address',
    );
  }
  const main = list[0]!.image;
  if (list.length === 1) return main;
  return {
    format: main.format,
    segments: list.flatMap((p) => p.image.segments),
    entry: main.entry,
    symbols: SymbolTable.merge(list.map((p) => p.image.symbols)),
  };
}

/**
 * Loads several images into the machine's memory (see combineImages); nothing is written
 * unless every image fits in memory and none overlaps another. Returns the combination.
 * An image outside memory is the loader's ImageError, prefixed with the image's name.
 */
export function loadImages(
  machine: Machine,
  images: readonly (LoadedImage | ImagePart)[],
): LoadedImage {
  const list = parts(images);
  for (const { image, name } of list) {
    try {
      checkImageFits(machine.bus, image);
    } catch (e) {
      if (e instanceof ImageError) throw new ImageError(`${name}: ${e.message}`);
      throw e;
    }
  }
  const combined = combineImages(list);
  for (const { image } of list) loadImage(machine.bus, image);
  return combined;
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

/**
 * Loads the image (or several: `boot(machine, [kernel, { image: user, name: 'user.bin' }])`),
 * wires semihosting when asked and resets the machine, which boots from the vector table at
 * address 0 (main flash): with several images, the one that put its vector table there.
 */
export function boot(machine: Machine, images: BootImages, options: BootOptions = {}): Booted {
  let image: LoadedImage;
  if ('segments' in images) {
    image = images;
    loadImage(machine.bus, image);
  } else {
    image = loadImages(machine, images);
  }
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

export interface BootCheckOptions {
  /** What the user called the image ("image.bin"), for the message. */
  name?: string;
  /** The image that was loaded: says where its data went when the vector table stayed empty. */
  image?: LoadedImage;
}

/**
 * Whether the vector table the core boots from (address 0: main flash after reset) holds a
 * plausible initial SP and reset vector. Returns null when it does, or one line saying why the
 * machine cannot boot: erased flash, or data that is not Cortex-M firmware (a text file, an
 * image linked elsewhere), rather than a lockup or a silent run off into the weeds later.
 * Checks only what every Cortex-M image has, so any real firmware passes.
 */
export function checkBootable(machine: Machine, options: BootCheckOptions = {}): string | null {
  const bus = machine.bus;
  const word = (a: number): number | null => {
    let v = 0;
    for (let i = 3; i >= 0; i--) {
      const b = bus.peek8(a + i);
      if (b === undefined) return null;
      v = (v << 8) | b;
    }
    return v >>> 0;
  };
  const sp = word(0);
  const reset = word(4);
  if (sp === null || reset === null) return 'nothing is mapped at address 0: nothing to boot';
  const what = options.name ?? 'the image';
  if (sp === 0xffffffff && reset === 0xffffffff) {
    const segments = options.image?.segments ?? [];
    if (segments.length === 0) return 'flash is erased: nothing to boot';
    const first = segments.reduce((a, b) => (b.address < a.address ? b : a));
    return (
      `flash is erased at its vector table (0x08000000): nothing to boot; ` +
      `${what} puts its data at ${hex(first.address)}, not in flash`
    );
  }
  const not = `${what} is not Cortex-M firmware: its`;
  const inside = (r: { base: number; size: number }, a: number, top: boolean) =>
    a >= r.base && (top ? a <= r.base + r.size : a < r.base + r.size);
  // A full descending stack starts at the top of RAM: one past the end is a valid initial SP.
  const ram = [machine.sram, machine.ccm, { base: BKPSRAM_BASE, size: 4096 }];
  if (!ram.some((r) => inside(r, sp, true))) {
    return (
      `${not} initial SP ${hex(sp)} (the word at 0) is outside RAM ` +
      '(SRAM 0x20000000-0x20020000, CCM 0x10000000-0x10010000)'
    );
  }
  const code = reset & ~1;
  // Code runs from flash (and its alias at 0), SRAM and system memory; CCM is on the data bus.
  const flashAlias = { base: 0, size: machine.flash.size };
  const executable = [machine.flash, flashAlias, machine.sram, machine.systemMemory];
  if (!executable.some((r) => inside(r, code, false))) {
    return (
      `${not} reset vector ${hex(reset)} (the word at 4) is outside executable memory ` +
      '(flash 0x08000000-0x080fffff, SRAM 0x20000000-0x2001ffff, system memory 0x1fff0000)'
    );
  }
  if ((reset & 1) === 0) {
    return `${not} reset vector ${hex(reset)} has the Thumb bit (bit 0) clear`;
  }
  const inFlash = inside(machine.flash, code, false) || inside(flashAlias, code, false);
  if (inFlash && word(code) === 0xffffffff) {
    return `${what} cannot boot: its reset vector ${hex(reset)} points at erased flash`;
  }
  return null;
}
