/**
 * Node host for semihosting: console on the process's stdio, files confined to one directory
 * the user named (`--semihosting=DIR`). Paths that escape it (.., absolute, symlinks out) are
 * refused with EACCES.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SemihostingHost } from '../machine/semihosting.js';

const EACCES = 13;
const EBADF = 9;

export interface ConsoleIo {
  write(fd: 1 | 2, data: Uint8Array): void;
  /** Up to `max` bytes; empty at end of input; null when none has arrived yet. */
  read(max: number): Uint8Array | null;
}

export class NodeSemihostingHost implements SemihostingHost {
  errno = 0;
  private readonly root: string | null;
  private readonly handles = new Map<number, { fd: number; pos: number; append: boolean }>();
  private next = 1;

  constructor(
    private readonly io: ConsoleIo,
    rootDir: string | null,
  ) {
    this.root = rootDir === null ? null : fs.realpathSync(path.resolve(rootDir));
  }

  writeConsole(fd: 1 | 2, data: Uint8Array): void {
    this.io.write(fd, data);
  }
  readConsole(max: number): Uint8Array | null {
    return this.io.read(max);
  }

  private fail(errno: number): number {
    this.errno = errno;
    return -1;
  }

  /** Resolves a guest path inside the root, or null when it would leave it. */
  private resolve(guestPath: string): string | null {
    if (this.root === null || guestPath.includes('\0')) return null;
    const full = path.resolve(this.root, guestPath.replace(/^\/+/, ''));
    const rel = path.relative(this.root, full);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
    // Follow symlinks of the existing part of the path: they must stay inside too.
    let probe = full;
    while (!fs.existsSync(probe) && probe !== this.root) probe = path.dirname(probe);
    const real = fs.realpathSync(probe);
    const relReal = path.relative(this.root, real);
    if (relReal.startsWith('..') || path.isAbsolute(relReal)) return null;
    return full;
  }

  open(guestPath: string, mode: string): number {
    const file = this.resolve(guestPath);
    if (file === null) return this.fail(EACCES);
    const flags = mode.replace('b', '');
    try {
      const fd = fs.openSync(file, flags);
      const h = this.next++;
      this.handles.set(h, { fd, pos: 0, append: flags.startsWith('a') });
      return h;
    } catch (e) {
      return this.fail(errnoOf(e));
    }
  }

  close(handle: number): number {
    const h = this.handles.get(handle);
    if (!h) return this.fail(EBADF);
    this.handles.delete(handle);
    fs.closeSync(h.fd);
    return 0;
  }

  read(handle: number, max: number): Uint8Array | null {
    const h = this.handles.get(handle);
    if (!h) {
      this.errno = EBADF;
      return null;
    }
    const buf = Buffer.alloc(max);
    try {
      const n = fs.readSync(h.fd, buf, 0, max, h.pos);
      h.pos += n;
      return buf.subarray(0, n);
    } catch (e) {
      this.errno = errnoOf(e);
      return null;
    }
  }

  write(handle: number, data: Uint8Array): number {
    const h = this.handles.get(handle);
    if (!h) return this.fail(EBADF);
    try {
      const n = fs.writeSync(h.fd, data, 0, data.length, h.append ? null : h.pos);
      h.pos += n;
      return n;
    } catch (e) {
      return this.fail(errnoOf(e));
    }
  }

  seek(handle: number, pos: number): number {
    const h = this.handles.get(handle);
    if (!h) return this.fail(EBADF);
    h.pos = pos;
    return 0;
  }

  length(handle: number): number {
    const h = this.handles.get(handle);
    if (!h) return this.fail(EBADF);
    return fs.fstatSync(h.fd).size;
  }

  remove(guestPath: string): number {
    const file = this.resolve(guestPath);
    if (file === null) return this.fail(EACCES);
    try {
      fs.unlinkSync(file);
      return 0;
    } catch (e) {
      return this.fail(errnoOf(e));
    }
  }

  rename(from: string, to: string): number {
    const a = this.resolve(from);
    const b = this.resolve(to);
    if (a === null || b === null) return this.fail(EACCES);
    try {
      fs.renameSync(a, b);
      return 0;
    } catch (e) {
      return this.fail(errnoOf(e));
    }
  }

  wallSeconds(): number {
    return Date.now() / 1000;
  }
}

function errnoOf(e: unknown): number {
  const code = (e as { code?: string }).code;
  const map: Record<string, number> = {
    ENOENT: 2,
    EACCES: 13,
    EEXIST: 17,
    EISDIR: 21,
    ENOTDIR: 20,
    EBADF: 9,
  };
  return (code !== undefined ? map[code] : undefined) ?? 5;
}
