/**
 * --flash-file: which files are used or refused, write-through, and crash safety. The crash tests
 * kill a real child process (SIGKILL) at a step of a journaled write and reopen what it left;
 * they import the built module, so run `npx tsc -p tsconfig.json` first.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FlashFile, FlashFileError, type CommitStep, type FlashStore } from './flashFile.js';

const SIZE = 1024 * 1024;
const BUILT = path.resolve(__dirname, '../../dist/src/host/flashFile.js');

/** A stand-in for the FLASH interface: its array, and program() to change it as firmware does. */
class FakeFlash implements FlashStore {
  readonly contents = new Uint8Array(SIZE).fill(0xff);
  private readonly listeners: ((offset: number, length: number) => void)[] = [];
  onProgram(l: (offset: number, length: number) => void): void {
    this.listeners.push(l);
  }
  loadContents(bytes: Uint8Array): void {
    this.contents.set(bytes.subarray(0, SIZE));
  }
  program(offset: number, bytes: Uint8Array): void {
    this.contents.set(bytes, offset);
    for (const l of this.listeners) l(offset, bytes.length);
  }
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-flashfile-'));
}

/** A saved flash image with a recognisable pattern in every byte. */
function pattern(seed: number): Buffer {
  const b = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

function openError(file: string): string {
  try {
    FlashFile.open(file, new FakeFlash()).file.close();
  } catch (e) {
    expect(e).toBeInstanceOf(FlashFileError);
    return (e as Error).message;
  }
  throw new Error(`'${file}' was accepted`);
}

describe('FlashFile: which files it uses', () => {
  it('creates a missing file at start (not at open), complete, with no temporary left', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'flash.bin');
    const flash = new FakeFlash();
    flash.contents.set([1, 2, 3, 4], 0);
    const { file: ff, loaded } = FlashFile.open(file, flash);
    expect(loaded).toBe(false);
    expect(fs.existsSync(file)).toBe(false);
    ff.start();
    expect(fs.readFileSync(file).equals(Buffer.from(flash.contents))).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['flash.bin', 'flash.bin.journal']);
    ff.close();
    expect(fs.readdirSync(dir)).toEqual(['flash.bin']);
  });

  it('loads an existing file of exactly the flash size and writes programs through', async () => {
    const file = path.join(tmpDir(), 'flash.bin');
    fs.writeFileSync(file, pattern(1));
    const flash = new FakeFlash();
    const { file: ff, loaded } = FlashFile.open(file, flash);
    expect(loaded).toBe(true);
    expect(Buffer.from(flash.contents).equals(pattern(1))).toBe(true);
    ff.start();
    flash.program(0xe0000, new Uint8Array([0x01, 0, 0, 0]));
    // Journaled at once; in the file once the event loop turns (after the run slice).
    expect(fs.readFileSync(file).readUInt32LE(0xe0000)).not.toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(fs.readFileSync(file).readUInt32LE(0xe0000)).toBe(1);
    // A batch of 256 KB or more is committed without waiting: two 128 KB sector erases.
    flash.program(0x20000, new Uint8Array(0x20000).fill(0xff));
    flash.program(0x40000, new Uint8Array(0x20000).fill(0xff));
    const saved = fs.readFileSync(file);
    expect(saved.subarray(0x20000, 0x60000).every((b) => b === 0xff)).toBe(true);
    expect(saved.equals(Buffer.from(flash.contents))).toBe(true);
    ff.close();
  });

  it('at start rewrites only what the image changed, one range per changed sector', () => {
    const file = path.join(tmpDir(), 'flash.bin');
    fs.writeFileSync(file, pattern(2));
    const flash = new FakeFlash();
    const commits: [CommitStep, readonly (readonly [number, number])[]][] = [];
    const { file: ff } = FlashFile.open(file, flash, {
      onStep: (step, ranges) => commits.push([step, ranges.map((r) => [...r] as const)]),
    });
    flash.contents.fill(0, 0x100, 0x180); // sector 0
    flash.contents[0x4010] = 0; // sector 1
    flash.contents[0x7fff] = 0;
    ff.start();
    const ranges = [
      [0x100, 0x180],
      [0x4010, 0x8000],
    ];
    expect(commits).toEqual([
      ['journal-synced', ranges],
      ['written', ranges],
    ]);
    expect(fs.readFileSync(file).equals(Buffer.from(flash.contents))).toBe(true);
    ff.close();
  });

  it('refuses a file of another size with both sizes, and leaves it untouched', () => {
    const file = path.join(tmpDir(), 'n.txt');
    fs.writeFileSync(file, 'my notes\n');
    expect(openError(file)).toBe(
      `flash file '${file}' holds 9 bytes but the flash is 1048576 bytes (1024 KB): ` +
        'use a file of exactly that size, or a new name to create one',
    );
    fs.writeFileSync(file, Buffer.alloc(SIZE + 1));
    expect(openError(file)).toMatch(/holds 1048577 bytes but the flash is 1048576 bytes/);
    fs.writeFileSync(file, 'my notes\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('my notes\n');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['n.txt']);
  });

  it('refuses ELF and Intel HEX files, even of exactly the flash size, suggesting run', () => {
    const dir = tmpDir();
    const elf = path.join(dir, 'my.elf');
    const image = Buffer.alloc(SIZE, 0x55);
    image.write('\x7fELF', 0, 'latin1');
    fs.writeFileSync(elf, image);
    expect(openError(elf)).toBe(
      `flash file '${elf}' is an ELF file, not a flash image; left untouched ` +
        `(to boot it: f4emu run ${elf})`,
    );
    expect(fs.readFileSync(elf).equals(image)).toBe(true);
    const hex = path.join(dir, 'my.hex');
    const text = Buffer.alloc(SIZE, 0x0a);
    text.write(':020000040800F2\n:10000000', 0, 'latin1');
    fs.writeFileSync(hex, text);
    expect(openError(hex)).toMatch(/is an Intel HEX file, not a flash image.*f4emu run /);
    expect(fs.readFileSync(hex).equals(text)).toBe(true);
  });

  it('refuses directories, devices, FIFOs and read-only files', () => {
    const dir = tmpDir();
    expect(openError(dir)).toMatch(/is a directory: a flash file must be a regular file/);
    expect(openError('/dev/null')).toMatch(/is a device: a flash file must be a regular file/);
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(openError(fifo)).toMatch(/is a FIFO/);
    const ro = path.join(dir, 'ro.bin');
    fs.writeFileSync(ro, pattern(3));
    fs.chmodSync(ro, 0o444);
    expect(openError(ro)).toBe(`flash file '${ro}' is read-only: f4emu must write to it`);
    expect(fs.readFileSync(ro).equals(pattern(3))).toBe(true);
    const link = path.join(dir, 'link.bin');
    fs.symlinkSync(path.join(dir, 'target.bin'), link);
    expect(openError(link)).toMatch(/is a symbolic link to a missing file/);
    expect(fs.existsSync(path.join(dir, 'target.bin'))).toBe(false);
  });

  it("refuses a PATH.journal that is not f4emu's, and a flash file another f4emu has open", () => {
    const file = path.join(tmpDir(), 'flash.bin');
    fs.writeFileSync(file, pattern(4));
    fs.writeFileSync(file + '.journal', 'my own journal\n');
    expect(openError(file)).toMatch(/'.*flash\.bin\.journal' exists and is not an f4emu flash/);
    expect(fs.readFileSync(file + '.journal', 'utf8')).toBe('my own journal\n');
    fs.rmSync(file + '.journal');
    const first = FlashFile.open(file, new FakeFlash()).file;
    first.start();
    expect(openError(file)).toMatch(
      new RegExp(`is in use by f4emu process ${process.pid} \\('.*flash\\.bin\\.journal'\\)`),
    );
    first.close();
    expect(fs.existsSync(file + '.journal')).toBe(false);
    expect(fs.readFileSync(file).equals(pattern(4))).toBe(true);
  });

  it('journals each word program alone and commits them in batches (cost printed)', () => {
    const file = path.join(tmpDir(), 'flash.bin');
    const flash = new FakeFlash();
    const { file: ff } = FlashFile.open(file, flash);
    ff.start();
    const words = 1000;
    const word = new Uint8Array(4);
    const journal = file + '.journal';
    const time = (commitEach: boolean, at: number, n: number): number => {
      const began = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        new DataView(word.buffer).setUint32(0, i, true);
        flash.program(at + 4 * i, word);
        if (commitEach) ff.commit();
      }
      ff.commit();
      return Number(process.hrtime.bigint() - began) / 1e6;
    };
    const batched = time(false, 0xe0000, words);
    // One record per word: 32-byte header, then 44 + 4 bytes each (the file keeps its size).
    expect(fs.statSync(journal).size).toBe(32 + words * 48);
    // What a sync per write would cost (100 words: each takes two fdatasync calls).
    const each = time(true, 0xc0000, 100);
    // Not a timing assertion (speed lives in the bench): printed for the notes.
    console.log(
      `flash file: ${words} word programs, one commit: ${batched.toFixed(0)} ms; ` +
        `a commit per word: ${(each / 100).toFixed(2)} ms per word`,
    );
    const saved = fs.readFileSync(file);
    for (let i = 0; i < words; i++) {
      expect(saved.readUInt32LE(0xe0000 + 4 * i)).toBe(i);
      if (i < 100) expect(saved.readUInt32LE(0xc0000 + 4 * i)).toBe(i);
    }
    expect(saved.readUInt32LE(0xe0000 + 4 * words)).toBe(0xffffffff);
    ff.close();
  });
});

/**
 * Runs a child that opens `file` (loading it), optionally changes the flash before start (as an
 * image loaded over the saved contents does), then erases/programs `program`, and kills itself
 * with SIGKILL: at commit step `killAt`, or with 'appended' right after the program, before any
 * commit. With `torn` it first writes the first half of each committed range into the flash file,
 * as an in-place write cut short would.
 */
function crashChild(opts: {
  file: string;
  killAt: CommitStep | 'appended';
  torn?: boolean;
  beforeStart?: [number, number, number][];
  program?: [number, number, number];
}): void {
  const script = `
    import * as fs from 'node:fs';
    const { FlashFile } = await import(${JSON.stringify(pathToFileURL(BUILT).href)});
    const o = JSON.parse(process.env.CRASH);
    const contents = new Uint8Array(${SIZE}).fill(0xff);
    const listeners = [];
    const flash = {
      contents,
      onProgram: (l) => listeners.push(l),
      loadContents: (b) => contents.set(b.subarray(0, ${SIZE})),
    };
    const { file } = FlashFile.open(o.file, flash, {
      onStep(step, ranges) {
        if (step !== o.killAt) return;
        if (o.torn) {
          const fd = fs.openSync(o.file, 'r+');
          for (const [start, end] of ranges) fs.writeSync(fd, contents, start, (end - start) >> 1, start);
          fs.closeSync(fd);
        }
        process.kill(process.pid, 'SIGKILL');
      },
    });
    for (const [offset, length, value] of o.beforeStart ?? []) contents.fill(value, offset, offset + length);
    file.start();
    if (o.program) {
      const [offset, length, value] = o.program;
      contents.fill(value, offset, offset + length);
      for (const l of listeners) l(offset, length);
      if (o.killAt === 'appended') process.kill(process.pid, 'SIGKILL');
    }
    file.commit();
    process.exit(3); // not killed: the test is wrong
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, CRASH: JSON.stringify(opts) },
    encoding: 'utf8',
  });
  expect(r.signal, r.stderr).toBe('SIGKILL');
}

/** Reopens `file` as the next run would, and returns what the flash then holds. */
function reopen(file: string): Buffer {
  const flash = new FakeFlash();
  const { file: ff } = FlashFile.open(file, flash);
  ff.close();
  return Buffer.from(flash.contents);
}

describe('FlashFile: a kill at any moment leaves each write old or new', () => {
  const SECTOR1 = 0x4000; // 16 KB, erased to 0xff by the write under test
  const sector = (b: Buffer) => b.subarray(SECTOR1, SECTOR1 + 0x4000);
  const old = pattern(5);
  const erased = Buffer.alloc(0x4000, 0xff);
  const erase: [number, number, number] = [SECTOR1, 0x4000, 0xff];

  function existing(): string {
    const file = path.join(tmpDir(), 'flash.bin');
    fs.writeFileSync(file, old);
    return file;
  }

  it('killed before the commit: the journal brings the write in on the next open', () => {
    const file = existing();
    crashChild({ file, killAt: 'appended', program: erase });
    expect(fs.readFileSync(file).equals(old)).toBe(true);
    const after = reopen(file);
    expect(sector(after).equals(erased)).toBe(true);
    expect(fs.readFileSync(file).equals(after)).toBe(true);
    expect(fs.existsSync(file + '.journal')).toBe(false);
  });

  it('killed mid in-place write: the journal completes the sector on the next open', () => {
    const file = existing();
    crashChild({ file, killAt: 'journal-synced', torn: true, program: erase });
    const mixed = sector(fs.readFileSync(file));
    expect(mixed.subarray(0, 0x2000).every((b) => b === 0xff)).toBe(true);
    expect(mixed.subarray(0x2000).equals(sector(old).subarray(0x2000))).toBe(true);
    const after = reopen(file);
    expect(sector(after).equals(erased)).toBe(true);
    expect(fs.readFileSync(file).equals(after)).toBe(true);
    expect(fs.existsSync(file + '.journal')).toBe(false);
  });

  it('journal record cut or damaged (a power cut before its sync): the sector stays old', () => {
    for (const damage of ['cut', 'flip'] as const) {
      const file = existing();
      crashChild({ file, killAt: 'appended', program: erase });
      const journal = file + '.journal';
      const size = fs.statSync(journal).size;
      if (damage === 'cut') fs.truncateSync(journal, size - 100);
      else {
        const j = fs.readFileSync(journal);
        j[size - 5] ^= 0x01;
        fs.writeFileSync(journal, j);
      }
      const after = reopen(file);
      expect(after.equals(old), damage).toBe(true);
      expect(fs.readFileSync(file).equals(old)).toBe(true);
      expect(fs.existsSync(journal)).toBe(false);
    }
  });

  it('killed after the in-place write, before a new journal generation: replay is harmless', () => {
    const file = existing();
    crashChild({ file, killAt: 'written', program: erase });
    expect(sector(reopen(file)).equals(erased)).toBe(true);
    expect(sector(fs.readFileSync(file)).equals(erased)).toBe(true);
  });

  it('killed while start() writes the image over a saved file: every sector old or new', () => {
    // The image changes sectors 0 and 1, one journal record each.
    const beforeStart: [number, number, number][] = [
      [0x100, 0x100, 0x00],
      [SECTOR1, 0x4000, 0xff],
    ];
    const file = existing();
    crashChild({ file, killAt: 'journal-synced', torn: true, beforeStart });
    const after = reopen(file);
    expect(after.subarray(0x100, 0x200).every((b) => b === 0)).toBe(true);
    expect(sector(after).equals(erased)).toBe(true);
    expect(after.subarray(0x8000).equals(old.subarray(0x8000))).toBe(true);

    // The second record cut short: sector 0 new, sector 1 old.
    const file2 = existing();
    crashChild({ file: file2, killAt: 'journal-synced', beforeStart });
    fs.truncateSync(file2 + '.journal', fs.statSync(file2 + '.journal').size - 100);
    const after2 = reopen(file2);
    expect(after2.subarray(0x100, 0x200).every((b) => b === 0)).toBe(true);
    expect(sector(after2).equals(sector(old))).toBe(true);
  });
});
