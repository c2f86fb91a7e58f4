/**
 * Opening a file f4emu writes to (serial `file:` logs, and later pcap captures and reports)
 * without silently destroying something that is not f4emu's: a name that already holds data is
 * overwritten or appended to only when the user said so.
 *
 * - 'create': a missing file is created exclusively (O_EXCL, so a file appearing meanwhile is not
 *   clobbered); an existing empty regular file is used; a non-empty one is refused.
 * - 'append': writes go after what the file holds (created exclusively if missing).
 * - 'overwrite': an existing regular file is truncated, as the user asked.
 * In every mode FIFOs and character devices (/dev/null, /dev/stdout, a terminal) are written as
 * they are, never truncated; directories, block devices and sockets are refused.
 */
import * as fs from 'node:fs';

export type OutputMode = 'create' | 'append' | 'overwrite';

export class OutputFileError extends Error {}

export interface OutputFileOptions {
  /**
   * How the user asks to overwrite or append with the option at hand, ending the refusal of an
   * existing file: e.g. 'add ,overwrite or ,append, or remove it' for `--serial usartN=file:`.
   */
  hint?: string;
}

const DEFAULT_HINT = 'remove it or choose another name';

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

function cannot(path: string, e: unknown): OutputFileError {
  const code = errnoCode(e);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new OutputFileError(`'${path}' is not writable (${code})`);
  }
  return new OutputFileError(`cannot write '${path}': ${(e as Error).message}`);
}

function existsRefusal(path: string, size: number, hint: string): OutputFileError {
  return new OutputFileError(
    `'${path}' exists (${size} bytes) and is not f4emu's to overwrite: ${hint}`,
  );
}

/** Opens `path` for writing under the rules above; returns the file descriptor. */
export function openOutputFile(
  path: string,
  mode: OutputMode,
  options: OutputFileOptions = {},
): number {
  const hint = options.hint ?? DEFAULT_HINT;
  const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_TRUNC } = fs.constants;
  // Two tries: a file that appears between the check and an exclusive create is looked at again.
  for (let attempt = 0; ; attempt++) {
    let st: fs.Stats | null;
    try {
      st = fs.statSync(path);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw cannot(path, e);
      st = null;
    }
    if (st === null) {
      try {
        return fs.openSync(path, O_WRONLY | O_CREAT | O_EXCL | (mode === 'append' ? O_APPEND : 0));
      } catch (e) {
        if (errnoCode(e) === 'EEXIST' && attempt === 0) continue;
        throw cannot(path, e);
      }
    }
    if (st.isDirectory()) throw new OutputFileError(`'${path}' is a directory, not a file`);
    if (st.isFIFO() || st.isCharacterDevice()) {
      // Opening a FIFO waits for its reader, as the shell's `>` does (O_NONBLOCK would fail).
      try {
        return fs.openSync(path, O_WRONLY | (mode === 'append' ? O_APPEND : 0));
      } catch (e) {
        throw cannot(path, e);
      }
    }
    if (!st.isFile()) {
      const what = st.isBlockDevice() ? 'a block device' : 'not a regular file';
      throw new OutputFileError(`'${path}' is ${what}: f4emu does not write there`);
    }
    if (mode === 'create' && st.size > 0) throw existsRefusal(path, st.size, hint);
    // Checked by hand too: as root, open() would ignore the missing write permission.
    if ((st.mode & 0o222) === 0) throw new OutputFileError(`'${path}' is read-only`);
    let fd: number;
    try {
      fd = fs.openSync(
        path,
        O_WRONLY | (mode === 'append' ? O_APPEND : 0) | (mode === 'overwrite' ? O_TRUNC : 0),
      );
    } catch (e) {
      throw cannot(path, e);
    }
    if (mode === 'create') {
      // It was empty when looked at; make sure it still is the same empty file before using it.
      const now = fs.fstatSync(fd);
      if (now.ino !== st.ino || now.dev !== st.dev || now.size > 0) {
        fs.closeSync(fd);
        throw existsRefusal(path, now.size, hint);
      }
    }
    return fd;
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `data` to `fd` before returning. Node leaves a pipe on stdin/stdout/stderr
 * non-blocking: there fs.writeSync throws EAGAIN while the reader lags and the pipe is full
 * (`f4emu run ... --trace 2>&1 | less`), so this waits a millisecond and goes on, and it goes on
 * after a short write too.
 */
export function writeAllSync(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      if (errnoCode(e) !== 'EAGAIN') throw e;
      Atomics.wait(PAUSE, 0, 0, 1);
    }
  }
}
