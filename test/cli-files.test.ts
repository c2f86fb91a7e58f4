/**
 * Files the f4emu command writes, as a user meets them: `--flash-file` never destroys a file
 * that is not a flash image (notes, an ELF given by mistake), creates a missing one, and keeps
 * the demo's boot counter across runs, even when f4emu is killed.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'f4emu.js');
const DEMO = path.join(ROOT, 'firmware/prebuilt/demo.elf');
const FLASH_SIZE = 1024 * 1024;

function f4emu(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-files-'));
}

/** The demo up to its boot line, with `flash` as its flash file. */
function bootDemo(flash: string, ...image: string[]) {
  return f4emu(
    'run',
    ...image,
    '--flash-file',
    flash,
    '--expect',
    'keeps it across runs',
    '--timeout',
    '20',
  );
}

describe('f4emu run --flash-file', () => {
  it('leaves a notes file byte for byte untouched: exit 2, one line naming both sizes', () => {
    const dir = tmpDir();
    const notes = path.join(dir, 'n.txt');
    fs.writeFileSync(notes, 'my notes\n');
    const r = bootDemo(notes, DEMO);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `f4emu: flash file '${notes}' holds 9 bytes but the flash is 1048576 bytes (1024 KB): ` +
        'use a file of exactly that size, or a new name to create one',
    ]);
    expect(fs.readFileSync(notes, 'utf8')).toBe('my notes\n');
    expect(fs.readdirSync(dir)).toEqual(['n.txt']);
  });

  it('leaves an ELF given as the flash file untouched and suggests run', () => {
    const dir = tmpDir();
    const elf = path.join(dir, 'mydemo.elf');
    fs.copyFileSync(DEMO, elf);
    const original = fs.readFileSync(elf);
    for (const image of [[], [DEMO]]) {
      const r = bootDemo(elf, ...image);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toEqual([
        `f4emu: flash file '${elf}' is an ELF file, not a flash image; left untouched ` +
          `(to boot it: f4emu run ${elf})`,
      ]);
    }
    expect(fs.readFileSync(elf).equals(original)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['mydemo.elf']);
  });

  it('leaves an Intel HEX file untouched and suggests run', () => {
    const hex = path.join(tmpDir(), 'fw.hex');
    const text = ':020000040800F2\n:0400000000100020CC\n:00000001FF\n';
    fs.writeFileSync(hex, text);
    const r = bootDemo(hex, DEMO);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is an Intel HEX file, not a flash image.*f4emu run .*fw\.hex/);
    expect(fs.readFileSync(hex, 'utf8')).toBe(text);
  });

  it('without an image, a missing flash file is an error and is not created', () => {
    const file = path.join(tmpDir(), 'none.bin');
    const r = f4emu('run', '--flash-file', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no image given and flash file '.*none\.bin' does not exist/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('creates a missing file of 1 MiB; the boot counter works across runs and from the file', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'flash.bin');
    const first = bootDemo(file, DEMO);
    expect(first.stdout).toMatch(/boot #1 /);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.statSync(file).size).toBe(FLASH_SIZE);
    expect(bootDemo(file, DEMO).stdout).toMatch(/boot #2 /);
    const alone = bootDemo(file);
    expect(alone.stdout).toMatch(/boot #3 /);
    expect(alone.code, alone.stderr).toBe(0);
    const saved = fs.readFileSync(file);
    expect([0, 4, 8, 12].map((o) => saved.readUInt32LE(0xe0000 + o))).toEqual([
      1, 2, 3, 0xffffffff,
    ]);
    // The journal is f4emu's own, for the session only; no temporary is left either.
    expect(fs.readdirSync(dir)).toEqual(['flash.bin']);
  });

  it('a kill (SIGKILL) after the boot was counted loses nothing: the next run is boot #2', async () => {
    const file = path.join(tmpDir(), 'flash.bin');
    expect(bootDemo(file, DEMO).stdout).toMatch(/boot #1 /);
    const child = spawn(process.execPath, [CLI, 'run', DEMO, '--flash-file', file]);
    let out = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('keeps it across runs')) resolve();
      }),
    );
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(out).toMatch(/boot #2 /);
    expect(bootDemo(file, DEMO).stdout).toMatch(/boot #3 /);
    expect(fs.readFileSync(file).readUInt32LE(0xe0000 + 8)).toBe(3);
  });
});
