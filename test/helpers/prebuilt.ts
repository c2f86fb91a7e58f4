/** The project's committed test firmware (firmware/prebuilt/), booted on a fresh Machine. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseImage } from '../../src/loader/image.js';
import { boot, type BootOptions } from '../../src/machine/firmware.js';
import { Machine } from '../../src/machine/machine.js';

export const PREBUILT = path.resolve(__dirname, '../../firmware/prebuilt');

/** A Machine with `name` (relative to firmware/prebuilt) loaded and reset; warnings dropped. */
export function bootPrebuilt(name: string, options: BootOptions = {}): Machine {
  const m = new Machine({ warn: () => {} });
  boot(m, parseImage(fs.readFileSync(path.join(PREBUILT, name)), name), options);
  return m;
}
