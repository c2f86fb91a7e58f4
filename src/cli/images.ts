/**
 * The images of one `f4emu run`: the positional image and every `--load FILE[@ADDR]`, read from
 * disk; src/machine/imageSet.ts parses them into the parts `boot` loads together. The main image
 * comes first: the positional one, else the first ELF, else the first file.
 */
import * as fs from 'node:fs';
import type { ImageFile } from '../machine/imageSet.js';
import type { RunOptions } from './options.js';

export { parseImageFiles, type ImageFile, type ParsedImages } from '../machine/imageSet.js';

export class ImageReadError extends Error {}

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
