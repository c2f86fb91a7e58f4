/**
 * The images of one `f4emu run`: the positional image and every `--load FILE[@ADDR]`, read from
 * disk and parsed into the parts `boot` loads together (a NuttX protected build's kernel ELF and
 * its user blob at CONFIG_NUTTX_USERSPACE). The main image comes first: the positional one, else
 * the first ELF, else the first file.
 */
import * as fs from 'node:fs';
import type { ImagePart } from '../machine/firmware.js';
import { SymbolTable, parseElf } from '../loader/elf.js';
import {
  ImageError,
  imageFormat,
  parseBinary,
  parseIntelHex,
  type LoadedImage,
} from '../loader/image.js';
import type { RunOptions } from './options.js';

/** One image file as read from disk, with what the command line said about it. */
export interface ImageFile {
  name: string;
  bytes: Uint8Array;
  /** `@ADDR` (raw binaries only); null when not given. */
  address: number | null;
  addressText: string | null;
  /** The positional image (not a --load). */
  positional: boolean;
}

export class ImageReadError extends Error {}

const FLASH_BASE = 0x08000000;

/**
 * Reads every image the options name, positional first; a file that cannot be read is an
 * ImageReadError of one line naming it.
 */
export function readImageFiles(o: RunOptions): ImageFile[] {
  const specs = [
    ...(o.image ? [{ file: o.image, address: null, addressText: null }] : []),
    ...o.loads,
  ];
  return specs.map(({ file, address, addressText }, i) => {
    try {
      const bytes = fs.readFileSync(file);
      return { name: file, bytes, address, addressText, positional: i === 0 && !!o.image };
    } catch (e) {
      throw new ImageReadError(`cannot read '${file}': ${(e as Error).message}`);
    }
  });
}

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
export function parseImageFiles(files: readonly ImageFile[]): ParsedImages | null {
  if (files.length === 0) return null;
  const parsed = files.map((file, i) => ({ file, image: parseOne(file, i === 0) }));
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

function parseOne(f: ImageFile, first: boolean): LoadedImage {
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
      `${f.name}: a raw binary needs an address: --load ${f.name}@ADDR (only the first image ` +
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
