/**
 * `--flash-file PATH`: the 1 MB flash array kept in a host file, like a real chip's flash that
 * keeps what the firmware wrote across power cycles. At start an existing file is loaded (a
 * shorter one leaves the rest erased); every erase or program the firmware does through the
 * FLASH interface is written through to the file at once, so nothing is lost if f4emu is killed.
 */
import * as fs from 'node:fs';
import type { FlashInterface } from '../peripherals/flash/flash.js';

export class FlashFileError extends Error {}

export class FlashFile {
  private fd: number | null = null;

  private constructor(
    readonly path: string,
    private readonly flash: FlashInterface,
  ) {}

  /**
   * Loads `path` into `flash` if it exists (it must not be larger than the flash). Returns the
   * FlashFile and whether a saved image was loaded.
   */
  static open(path: string, flash: FlashInterface): { file: FlashFile; loaded: boolean } {
    const size = flash.contents.length;
    let loaded = false;
    let stat: fs.Stats | null = null;
    try {
      stat = fs.statSync(path);
    } catch {
      stat = null;
    }
    if (stat !== null) {
      if (!stat.isFile()) throw new FlashFileError(`flash file '${path}' is not a regular file`);
      if (stat.size > size) {
        throw new FlashFileError(
          `flash file '${path}' holds ${stat.size} bytes, more than the ${size / 1024} KB flash`,
        );
      }
      flash.loadContents(fs.readFileSync(path));
      loaded = true;
    }
    return { file: new FlashFile(path, flash), loaded };
  }

  /**
   * Writes the whole flash (after the image is loaded over the saved contents), then follows
   * every change the firmware makes.
   */
  start(): void {
    try {
      this.fd = fs.openSync(this.path, 'w');
      fs.writeSync(this.fd, this.flash.contents, 0, this.flash.contents.length, 0);
    } catch (e) {
      throw new FlashFileError(`cannot write flash file '${this.path}': ${(e as Error).message}`);
    }
    this.flash.onProgram((offset, length) => this.writeRange(offset, length));
  }

  private writeRange(offset: number, length: number): void {
    if (this.fd === null) return;
    fs.writeSync(this.fd, this.flash.contents, offset, length, offset);
  }

  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }
}
