/**
 * A set of images booted together (a NuttX protected build's kernel ELF and its user blob at
 * CONFIG_NUTTX_USERSPACE): each file parsed by its format, the main image chosen, every part
 * named as the user gave it. Platform-neutral: the CLI reads the files from disk
 * (src/cli/images.ts), the page from a file pick or drop (src/web/session.ts).
 */
import type { ImagePart } from './firmware.js';
import { SymbolTable, parseElf } from '../loader/elf.js';
import {
  ImageError,
  imageFormat,
  parseBinary,
  parseIntelHex,
  type LoadedImage,
} from '../loader/image.js';

/** One image file, with what the user said about it. */
export interface ImageFile {
  name: string;
  bytes: Uint8Array;
  /** `@ADDR` (raw binaries only); null when not given. */
  address: number | null;
  addressText: string | null;
  /** The image the user named as the one to boot (the CLI's positional image). */
  positional: boolean;
}

const FLASH_BASE = 0x08000000;

export interface ParsedImages {
  /** For boot(), the main image first, then the others in command-line order. */
  parts: ImagePart[];
  /** The main image's file (an ELF's sections give the diagnostics their debug info). */
  main: ImageFile;
}

/**
 * Parses each file by its format. The main image is the positional one, else the first ELF,
 * else the first file. A malformed file, or an `@ADDR` its format cannot take (or a raw binary
 * without one), is an ImageError naming the file.
 */
export function parseImageFiles(
  files: readonly ImageFile[],
  /** How the user gives a raw binary its address, for the message when one has none. */
  howToAddress: (name: string) => string = (name) => `--load ${name}@ADDR`,
): ParsedImages | null {
  if (files.length === 0) return null;
  const parsed = files.map((file, i) => ({ file, image: parseOne(file, i === 0, howToAddress) }));
  const firstElf = parsed.findIndex((p) => p.image.format === 'elf');
  const main = files[0]!.positional || firstElf < 0 ? 0 : firstElf;
  const order = [parsed[main]!, ...parsed.filter((_, i) => i !== main)];
  // Named as given (`user.bin@0x08020000`): the same file may be loaded at two addresses.
  const name = (f: ImageFile) => (f.addressText === null ? f.name : `${f.name}@${f.addressText}`);
  return {
    parts: order.map((p) => ({ image: p.image, name: name(p.file) })),
    main: parsed[main]!.file,
  };
}

function parseOne(
  f: ImageFile,
  first: boolean,
  howToAddress: (name: string) => string,
): LoadedImage {
  const format = imageFormat(f.bytes, f.name);
  const at = `${f.name}@${f.addressText}`;
  if (format === 'elf' && f.address !== null) {
    throw new ImageError(
      `${at}: an ELF loads at the addresses it was linked for; drop the @${f.addressText}`,
    );
  }
  if (format === 'hex' && f.address !== null) {
    throw new ImageError(
      `${at}: an Intel HEX file loads at the addresses its records give; drop the @${f.addressText}`,
    );
  }
  if (format === 'bin' && f.address === null && !first) {
    throw new ImageError(
      `${f.name}: a raw binary needs an address: ${howToAddress(f.name)} (only the first image ` +
        'goes to 0x08000000 without one)',
    );
  }
  try {
    if (f.bytes.length === 0) throw new ImageError('the image file is empty');
    switch (format) {
      case 'elf':
        return parseElf(f.bytes);
      case 'hex':
        return parseIntelHex(new TextDecoder().decode(f.bytes));
      case 'bin':
        // The first image boots: it must hold a vector table (parseBinary checks its size).
        if (first) return parseBinary(f.bytes, f.address ?? FLASH_BASE);
        return {
          format: 'bin',
          segments: [{ address: f.address!, data: f.bytes, zeroFill: 0 }],
          entry: null,
          symbols: new SymbolTable(),
        };
    }
  } catch (e) {
    if (e instanceof ImageError) throw new ImageError(`${f.name}: ${e.message}`);
    throw e;
  }
}
