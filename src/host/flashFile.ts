/**
 * `--flash-file PATH`: the 1 MB flash array kept in a host file, like a real chip's flash that
 * keeps what the firmware wrote across power cycles.
 *
 * The file is the user's, so f4emu takes care never to destroy one it was pointed at by mistake:
 * - a missing PATH is created at start(): the image is written to a new temporary file, synced,
 *   and hard-linked to PATH, which fails if PATH appeared meanwhile (O_EXCL semantics with the
 *   contents already complete, so a kill never leaves a half-written flash file);
 * - an existing PATH is used only when it is a writable regular file of exactly the flash size
 *   (QEMU's pflash rule), and never when it starts like an ELF or Intel HEX file, the likely slip
 *   for `run FILE`;
 * - every erase or program the firmware does goes at once to a write-ahead journal and reaches
 *   the file in synced batches (see flashJournal.ts), so a kill at any moment leaves each write's
 *   old or new contents and the next open finishes what the journal holds; the image loaded over
 *   a saved file at start is written the same way, only where it differs.
 */
import * as fs from 'node:fs';
import type { FlashInterface } from '../peripherals/flash/flash.js';
import { SECTORS } from '../peripherals/flash/flash.js';
import { FlashJournal, JOURNAL_SUFFIX, syncDirectoryOf } from './flashJournal.js';

export class FlashFileError extends Error {}

/** What FlashFile needs of the flash: FlashInterface, or a stand-in in tests. */
export type FlashStore = Pick<FlashInterface, 'contents' | 'loadContents' | 'onProgram'>;

/**
 * Points in committing a batch of writes, in order (see FlashFileOptions.onStep): the journal is
 * synced; the batch is written in place and synced.
 */
export type CommitStep = 'journal-synced' | 'written';

export interface FlashFileOptions {
  /**
   * Called after each step of every commit with the ranges committed. A test seam: a crash test
   * kills the process here to check what the next open finds.
   */
  onStep?: (step: CommitStep, ranges: readonly (readonly [number, number])[]) => void;
}

/** A batch this large is committed at once instead of waiting for the event loop. */
const COMMIT_BYTES = 256 * 1024;

const HEAD_BYTES = 64;

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** What the first bytes of a file look like, when they look like firmware rather than flash. */
function firmwareKind(head: Buffer): string | null {
  if (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46) return 'an ELF file';
  // Intel HEX: a first line of ':' and hex digits (at least a record's count, address, type).
  const firstLine = head.toString('latin1').split(/\r?\n/)[0] ?? '';
  if (/^:[0-9A-Fa-f]{8,}$/.test(firstLine)) return 'an Intel HEX file';
  return null;
}

/** Sorted, with overlapping or touching ranges joined. */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

function describeNonRegular(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export class FlashFile {
  private fd: number | null = null;
  private journal: FlashJournal | null = null;
  private readonly journalPath: string;
  /** Ranges appended to the journal and not yet written in place: [offset, end). */
  private pending: [number, number][] = [];
  private commitScheduled = false;
  private readonly onExit = () => this.close();

  private constructor(
    readonly path: string,
    private readonly flash: FlashStore,
    /** The file's contents when opened (null: the file does not exist yet). */
    private saved: Buffer | null,
    /** An open read-write descriptor on the existing file (null when it is to be created). */
    private existingFd: number | null,
    private readonly options: FlashFileOptions,
  ) {
    this.journalPath = path + JOURNAL_SUFFIX;
  }

  /**
   * Checks `path` and, if it exists, finishes any write a killed f4emu left in its journal and
   * loads it into `flash`. Nothing is created or written to the flash file itself until start().
   * Returns the FlashFile and whether a saved image was loaded.
   */
  static open(
    path: string,
    flash: FlashStore,
    options: FlashFileOptions = {},
  ): { file: FlashFile; loaded: boolean } {
    const size = flash.contents.length;
    let st: fs.Stats;
    try {
      st = fs.statSync(path);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') {
        throw new FlashFileError(`cannot use flash file '${path}': ${(e as Error).message}`);
      }
      if (fs.lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) {
        throw new FlashFileError(`flash file '${path}' is a symbolic link to a missing file`);
      }
      FlashFile.checkJournal(path, size, false);
      return { file: new FlashFile(path, flash, null, null, options), loaded: false };
    }
    if (!st.isFile()) {
      throw new FlashFileError(
        `flash file '${path}' is ${describeNonRegular(st)}: a flash file must be a regular file`,
      );
    }
    const head = FlashFile.readHead(path);
    const kind = firmwareKind(head);
    if (kind !== null) {
      throw new FlashFileError(
        `flash file '${path}' is ${kind}, not a flash image; left untouched ` +
          `(to boot it: f4emu run ${path})`,
      );
    }
    if (st.size !== size) {
      throw new FlashFileError(
        `flash file '${path}' holds ${st.size} bytes but the flash is ${size} bytes ` +
          `(${size / 1024} KB): use a file of exactly that size, or a new name to create one`,
      );
    }
    if ((st.mode & 0o222) === 0) {
      throw new FlashFileError(`flash file '${path}' is read-only: f4emu must write to it`);
    }
    let fd: number;
    try {
      fd = fs.openSync(path, 'r+');
    } catch (e) {
      throw new FlashFileError(
        `flash file '${path}' is not writable (${errnoCode(e) ?? (e as Error).message})`,
      );
    }
    try {
      const now = fs.fstatSync(fd);
      if (now.ino !== st.ino || now.dev !== st.dev || !now.isFile() || now.size !== size) {
        throw new FlashFileError(`flash file '${path}' changed while f4emu was opening it`);
      }
      FlashFile.checkJournal(path, size, true, fd);
      const saved = Buffer.alloc(size);
      const n = fs.readSync(fd, saved, 0, size, 0);
      if (n !== size) throw new FlashFileError(`flash file '${path}': short read (${n} bytes)`);
      flash.loadContents(saved);
      return { file: new FlashFile(path, flash, saved, fd, options), loaded: true };
    } catch (e) {
      fs.closeSync(fd);
      if (e instanceof FlashFileError) throw e;
      throw new FlashFileError(`cannot use flash file '${path}': ${(e as Error).message}`);
    }
  }

  private static readHead(path: string): Buffer {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (e) {
      throw new FlashFileError(
        `flash file '${path}' is not readable (${errnoCode(e) ?? (e as Error).message})`,
      );
    }
    try {
      const head = Buffer.alloc(HEAD_BYTES);
      return head.subarray(0, fs.readSync(fd, head, 0, HEAD_BYTES, 0));
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Deals with a journal left next to the flash file: refuses one that is not f4emu's or still
   * in use; replays its complete records into the existing file (`fd`), discards the rest.
   */
  private static checkJournal(path: string, size: number, exists: boolean, fd?: number): void {
    const journalPath = path + JOURNAL_SUFFIX;
    let state;
    try {
      state = FlashJournal.inspect(journalPath, size);
    } catch (e) {
      throw new FlashFileError(`cannot read '${journalPath}': ${(e as Error).message}`);
    }
    switch (state.kind) {
      case 'none':
        return;
      case 'foreign':
        throw new FlashFileError(
          `'${journalPath}' exists and is not an f4emu flash journal; f4emu needs that name ` +
            `next to the flash file: move it away`,
        );
      case 'live':
        throw new FlashFileError(
          `flash file '${path}' is in use by f4emu process ${state.pid} ('${journalPath}')`,
        );
      case 'stale':
        // With no flash file the journal is left over from one since removed; start() clears it.
        if (!exists) return;
        if (state.records.length > 0 && fd !== undefined) {
          for (const { offset, data } of state.records) {
            fs.writeSync(fd, data, 0, data.length, offset);
          }
          fs.fdatasyncSync(fd);
        }
        fs.rmSync(journalPath, { force: true });
        return;
    }
  }

  /**
   * Writes the flash as it is now (the image loaded over the saved contents) to the file, then
   * follows every change the firmware makes. Until close() (called at process exit too), a batch
   * is committed after the current run slice, when the event loop next turns.
   */
  start(): void {
    if (this.fd !== null) return;
    try {
      if (this.existingFd === null) {
        // A journal left from a flash file since removed (checked at open): ours to clear.
        const left = FlashJournal.inspect(this.journalPath, this.flash.contents.length);
        if (left.kind === 'stale') fs.rmSync(this.journalPath, { force: true });
        this.fd = this.create();
        this.journal = this.createJournal();
      } else {
        this.fd = this.existingFd;
        this.existingFd = null;
        this.journal = this.createJournal();
        this.writeDifferences();
      }
    } catch (e) {
      this.abandon();
      if (e instanceof FlashFileError) throw e;
      throw new FlashFileError(`cannot write flash file '${this.path}': ${(e as Error).message}`);
    }
    this.saved = null;
    this.flash.onProgram((offset, length) => this.record(offset, length));
    process.on('exit', this.onExit);
  }

  /** A new file with the whole flash in it, appearing under its name complete or not at all. */
  private create(): number {
    const contents = this.flash.contents;
    const temp = `${this.path}.f4emu-new-${process.pid}`;
    const fd = fs.openSync(temp, 'wx+', 0o644);
    try {
      fs.writeSync(fd, contents, 0, contents.length, 0);
      fs.fdatasyncSync(fd);
      try {
        fs.linkSync(temp, this.path);
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'EEXIST') {
          throw new FlashFileError(
            `flash file '${this.path}' appeared while f4emu was creating it: left untouched`,
          );
        }
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') {
          throw e;
        }
        // No hard links here (FAT, some network file systems): claim the name exclusively, then
        // put the complete file over our own empty claim.
        fs.closeSync(fs.openSync(this.path, 'wx', 0o644));
        fs.renameSync(temp, this.path);
      }
      fs.rmSync(temp, { force: true });
      syncDirectoryOf(this.path);
      return fd;
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(temp, { force: true });
      throw e;
    }
  }

  private createJournal(): FlashJournal {
    try {
      return FlashJournal.create(this.journalPath, this.flash.contents.length);
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') {
        throw new FlashFileError(
          `flash file '${this.path}' is in use by another f4emu ('${this.journalPath}' appeared)`,
        );
      }
      throw e;
    }
  }

  /**
   * The image loaded over a saved file: rewrite only what changed, one journaled write per
   * sector (from its first to its last changed byte), so each sector stays old or new.
   */
  private writeDifferences(): void {
    const saved = this.saved;
    if (saved === null) return;
    const now = this.flash.contents;
    for (const { offset, size } of SECTORS) {
      const end = Math.min(offset + size, now.length);
      let first = offset;
      while (first < end && now[first] === saved[first]) first++;
      if (first === end) continue;
      let last = end - 1;
      while (now[last] === saved[last]) last--;
      this.record(first, last + 1 - first);
    }
    this.commit();
  }

  /** A write the firmware did: journaled now, written in place with its batch. */
  private record(offset: number, length: number): void {
    if (this.journal === null) return;
    this.journal.append(offset, this.flash.contents.subarray(offset, offset + length));
    this.pending.push([offset, offset + length]);
    if (this.journal.pendingBytes >= COMMIT_BYTES) this.commit();
    else if (!this.commitScheduled) {
      this.commitScheduled = true;
      setImmediate(() => {
        this.commitScheduled = false;
        this.commit();
      });
    }
  }

  /**
   * Writes the journaled batch into the file: journal synced first, then the ranges in place
   * (their bytes are the flash's now, which is what replaying every record would give), synced,
   * then a new journal generation.
   */
  commit(): void {
    if (this.fd === null || this.journal === null || this.pending.length === 0) return;
    const ranges = mergeRanges(this.pending);
    this.pending = [];
    this.journal.sync();
    this.options.onStep?.('journal-synced', ranges);
    const contents = this.flash.contents;
    for (const [start, end] of ranges) fs.writeSync(this.fd, contents, start, end - start, start);
    fs.fdatasyncSync(this.fd);
    this.options.onStep?.('written', ranges);
    this.journal.newBatch();
  }

  /** Commits what is pending and ends the session (the journal is removed). */
  close(): void {
    process.off('exit', this.onExit);
    try {
      this.commit();
    } catch (e) {
      this.abandon();
      throw new FlashFileError(`cannot write flash file '${this.path}': ${(e as Error).message}`);
    }
    this.closeFiles();
    this.journal?.close();
    this.journal = null;
  }

  /** After a failed write: the journal stays for the next open to finish or discard. */
  private abandon(): void {
    process.off('exit', this.onExit);
    this.closeFiles();
    this.journal?.close({ remove: false });
    this.journal = null;
  }

  private closeFiles(): void {
    if (this.existingFd !== null) {
      fs.closeSync(this.existingFd);
      this.existingFd = null;
    }
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}
