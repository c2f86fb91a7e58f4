/** openOutputFile: what each mode writes over, creates or refuses. */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OutputFileError, openOutputFile, type OutputMode } from './outputFile.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-output-'));
}

function write(file: string, mode: OutputMode, text: string, hint?: string): void {
  const fd = openOutputFile(file, mode, hint === undefined ? {} : { hint });
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

function refusal(file: string, mode: OutputMode, hint?: string): string {
  try {
    write(file, mode, 'x', hint);
  } catch (e) {
    expect(e).toBeInstanceOf(OutputFileError);
    return (e as Error).message;
  }
  throw new Error(`'${file}' was written in mode ${mode}`);
}

describe('openOutputFile', () => {
  it("'create' makes a missing file, and uses an empty one", () => {
    const dir = tmpDir();
    const file = path.join(dir, 'u3.txt');
    write(file, 'create', 'hello\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('hello\n');
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '');
    write(empty, 'create', 'first\n');
    expect(fs.readFileSync(empty, 'utf8')).toBe('first\n');
  });

  it("'create' refuses a non-empty file with one clear line and leaves it untouched", () => {
    const file = path.join(tmpDir(), 'u3.txt');
    fs.writeFileSync(file, 'x'.repeat(1234));
    expect(refusal(file, 'create', 'add ,overwrite or ,append, or remove it')).toBe(
      `'${file}' exists (1234 bytes) and is not f4emu's to overwrite: ` +
        'add ,overwrite or ,append, or remove it',
    );
    expect(refusal(file, 'create')).toMatch(/: remove it or choose another name$/);
    expect(fs.readFileSync(file, 'utf8')).toBe('x'.repeat(1234));
  });

  it("'append' adds after what the file holds; 'overwrite' replaces it", () => {
    const dir = tmpDir();
    const file = path.join(dir, 'log.txt');
    fs.writeFileSync(file, 'before\n');
    write(file, 'append', 'after\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('before\nafter\n');
    write(file, 'overwrite', 'new\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
    const missing = path.join(dir, 'missing.txt');
    write(missing, 'append', 'created\n');
    expect(fs.readFileSync(missing, 'utf8')).toBe('created\n');
  });

  it('writes to character devices and FIFOs as they are', async () => {
    for (const mode of ['create', 'append', 'overwrite'] as const) write('/dev/null', mode, 'x');
    const fifo = path.join(tmpDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (d: Buffer) => (got += d.toString()));
    const done = new Promise((resolve) => reader.on('close', resolve));
    write(fifo, 'create', 'through the pipe\n');
    await done;
    expect(got).toBe('through the pipe\n');
  });

  it('refuses directories, block devices and read-only files', () => {
    const dir = tmpDir();
    for (const mode of ['create', 'append', 'overwrite'] as const) {
      expect(refusal(dir, mode)).toBe(`'${dir}' is a directory, not a file`);
    }
    const block = fs.readdirSync('/dev').find((n) => fs.statSync(`/dev/${n}`).isBlockDevice());
    if (block !== undefined) {
      expect(refusal(`/dev/${block}`, 'overwrite')).toMatch(/is a block device/);
    }
    const ro = path.join(dir, 'ro.txt');
    fs.writeFileSync(ro, 'keep\n');
    fs.chmodSync(ro, 0o444);
    expect(refusal(ro, 'overwrite')).toBe(`'${ro}' is read-only`);
    expect(refusal(ro, 'append')).toBe(`'${ro}' is read-only`);
    expect(fs.readFileSync(ro, 'utf8')).toBe('keep\n');
  });

  it('creates a missing file exclusively (O_EXCL): it does not follow a dangling symlink', () => {
    // A dangling link stats as missing; O_EXCL refuses to create through it, so its target is
    // never created or clobbered behind the user's back.
    const dir = tmpDir();
    const link = path.join(dir, 'link.txt');
    fs.symlinkSync(path.join(dir, 'target.txt'), link);
    expect(refusal(link, 'create')).toMatch(/cannot write '.*link\.txt': EEXIST/);
    expect(fs.existsSync(path.join(dir, 'target.txt'))).toBe(false);
  });
});
