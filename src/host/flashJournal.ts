/**
 * The write-ahead journal that makes `--flash-file` writes crash-safe. Every erase or program is
 * appended to `PATH.journal` (offset, length, new bytes, SHA-256) before the flash file itself is
 * touched; the file is rewritten in place only after the journal is synced. On the next open the
 * complete records are replayed in order and a cut-off or damaged last record is discarded, so a
 * kill or a power cut at any moment leaves each write's old or new contents, never a mix.
 *
 * Cost: syncing per write made a word program cost two fdatasync calls (about 8 ms each on this
 * project's VM disk: 1000 word programs took 8.3 s). Records are therefore only appended (a
 * write to the page cache, microseconds) and committed in groups: FlashFile syncs the journal,
 * writes the batch in place, syncs the file and starts a new generation of the journal between
 * run slices or when the batch grows large. A process kill loses nothing (the appended records
 * are in the kernel's cache and are replayed); a power cut loses at most the batch not yet
 * synced, and the file is still consistent at the previous batch.
 *
 * One journal file lives for the whole session (created exclusively, removed at close). Its
 * header names the owning process, so a second f4emu on the same flash file is refused instead of
 * replaying (and deleting) a journal still in use, and a generation number: a new batch bumps it
 * rather than truncating the file, and records of an older generation (already written in place)
 * end the replay.
 *
 * Layout (little-endian):
 *   0  magic 'f4emu-flash-jnl\n' (16 bytes)
 *  16  u32 version (2)   20  u32 pid of the owner   24  u32 flash size   28  u32 generation
 *  32  records, each: u32 generation, u32 offset, u32 length,
 *      32-byte SHA-256 of (flash size, generation, offset, length, data), then the data
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const JOURNAL_SUFFIX = '.journal';

const MAGIC = Buffer.from('f4emu-flash-jnl\n', 'latin1');
const VERSION = 2;
const HEADER_SIZE = 32;
const RECORD_HEADER_SIZE = 44;

export interface JournalRecord {
  offset: number;
  data: Buffer;
}

/** What an existing journal file is, found when a flash file is opened. */
export type JournalState =
  | { kind: 'none' }
  /** Not an f4emu journal (someone else's file with that name): never touched. */
  | { kind: 'foreign'; size: number }
  /** Owned by a process that is still running: another f4emu has the flash file open. */
  | { kind: 'live'; pid: number }
  /** Left by a process that ended: the complete records of its last batch, in order. */
  | { kind: 'stale'; records: JournalRecord[] };

function digest(flashSize: number, generation: number, offset: number, data: Uint8Array): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32LE(flashSize, 0);
  head.writeUInt32LE(generation, 4);
  head.writeUInt32LE(offset, 8);
  head.writeUInt32LE(data.length, 12);
  return createHash('sha256').update(head).update(data).digest();
}

function processAlive(pid: number): boolean {
  if (pid === 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Syncs the directory holding `file`, so a created or linked entry survives a power cut. */
export function syncDirectoryOf(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(path.dirname(path.resolve(file)), 'r');
  } catch {
    return; // some platforms cannot open directories; the data itself is synced
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // EINVAL on file systems that do not sync directories: nothing more to do
  } finally {
    fs.closeSync(fd);
  }
}

/** The complete records of the header's generation, in order, up to the first bad one. */
function readRecords(bytes: Buffer, flashSize: number): JournalRecord[] {
  const generation = bytes.readUInt32LE(28);
  const records: JournalRecord[] = [];
  let at = HEADER_SIZE;
  while (at + RECORD_HEADER_SIZE <= bytes.length) {
    const gen = bytes.readUInt32LE(at);
    const offset = bytes.readUInt32LE(at + 4);
    const length = bytes.readUInt32LE(at + 8);
    const dataAt = at + RECORD_HEADER_SIZE;
    if (gen !== generation || length === 0 || offset + length > flashSize) break;
    if (dataAt + length > bytes.length) break;
    const data = bytes.subarray(dataAt, dataAt + length);
    if (!digest(flashSize, gen, offset, data).equals(bytes.subarray(at + 12, at + 44))) break;
    records.push({ offset, data });
    at = dataAt + length;
  }
  return records;
}

export class FlashJournal {
  private fd: number | null;
  private generation = 1;
  /** Where the next record goes. */
  private tail = HEADER_SIZE;
  private readonly header = Buffer.alloc(HEADER_SIZE);
  private readonly scratch = Buffer.alloc(RECORD_HEADER_SIZE + 256);

  private constructor(
    readonly path: string,
    private readonly flashSize: number,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Reads the journal at `journalPath` without changing anything. */
  static inspect(journalPath: string, flashSize: number): JournalState {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(journalPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
      throw e;
    }
    if (!st.isFile()) return { kind: 'foreign', size: st.size };
    const bytes = fs.readFileSync(journalPath);
    // An empty file or a cut-off magic: f4emu was killed right after creating it.
    const magicPart = Math.min(bytes.length, MAGIC.length);
    if (!bytes.subarray(0, magicPart).equals(MAGIC.subarray(0, magicPart))) {
      return { kind: 'foreign', size: bytes.length };
    }
    if (bytes.length < HEADER_SIZE) return { kind: 'stale', records: [] };
    const pid = bytes.readUInt32LE(20);
    if (processAlive(pid)) return { kind: 'live', pid };
    if (bytes.readUInt32LE(16) !== VERSION || bytes.readUInt32LE(24) !== flashSize) {
      return { kind: 'stale', records: [] };
    }
    return { kind: 'stale', records: readRecords(bytes, flashSize) };
  }

  /**
   * Creates the journal exclusively (EEXIST if another f4emu made one meanwhile), its header and
   * directory entry synced before any write relies on it.
   */
  static create(journalPath: string, flashSize: number): FlashJournal {
    const fd = fs.openSync(journalPath, 'wx', 0o644);
    const journal = new FlashJournal(journalPath, flashSize, fd);
    try {
      journal.writeHeader();
      fs.fdatasyncSync(fd);
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(journalPath, { force: true });
      throw e;
    }
    syncDirectoryOf(journalPath);
    return journal;
  }

  /** Bytes of records appended since the last newBatch(). */
  get pendingBytes(): number {
    return this.tail - HEADER_SIZE;
  }

  /** Records that `data` is to be written at `offset` (not synced: see sync()). */
  append(offset: number, data: Uint8Array): void {
    const fd = this.requireOpen();
    const size = RECORD_HEADER_SIZE + data.length;
    // One write per record; word programs reuse one scratch buffer (no allocation per write).
    const record = size <= this.scratch.length ? this.scratch : Buffer.alloc(size);
    record.writeUInt32LE(this.generation, 0);
    record.writeUInt32LE(offset, 4);
    record.writeUInt32LE(data.length, 8);
    digest(this.flashSize, this.generation, offset, data).copy(record, 12);
    record.set(data, RECORD_HEADER_SIZE);
    fs.writeSync(fd, record, 0, size, this.tail);
    this.tail += size;
  }

  /** Makes the appended records durable; only then may their bytes be written in place. */
  sync(): void {
    fs.fdatasyncSync(this.requireOpen());
  }

  /**
   * The batch is written in place and synced: later records start a new generation from the
   * top. Not synced itself: if the old generation survives a power cut instead, replaying it
   * rewrites bytes that are already there.
   */
  newBatch(): void {
    this.generation = (this.generation + 1) >>> 0 || 1;
    this.tail = HEADER_SIZE;
    this.writeHeader();
  }

  /** Ends the session: the journal is removed (kept with `remove: false`, after a failure). */
  close({ remove = true }: { remove?: boolean } = {}): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
    if (remove) fs.rmSync(this.path, { force: true });
  }

  private writeHeader(): void {
    MAGIC.copy(this.header, 0);
    this.header.writeUInt32LE(VERSION, 16);
    this.header.writeUInt32LE(process.pid >>> 0, 20);
    this.header.writeUInt32LE(this.flashSize, 24);
    this.header.writeUInt32LE(this.generation, 28);
    fs.writeSync(this.requireOpen(), this.header, 0, HEADER_SIZE, 0);
  }

  private requireOpen(): number {
    if (this.fd === null) throw new Error(`flash journal '${this.path}' is closed`);
    return this.fd;
  }
}
