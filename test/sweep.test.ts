/**
 * The configuration sweep (scripts/sweep.ts) on the project's own firmware — CI never has NuttX:
 * a program that reaches its prompt, one that never does (and where it waited), a file that is
 * no image, and a two-part image whose second part comes in with --load.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify, findImages } from '../scripts/sweep.js';
import { ROOT, tmpDir } from './helpers/cli.js';

const PREBUILT = path.join(ROOT, 'firmware/prebuilt');

describe('the configuration sweep', () => {
  it('classifies a run from its exit code, console and messages', () => {
    expect(classify(0, 'NuttShell\nnsh> ', '').result).toBe('prompt');
    const fault = classify(3, 'boot\n', 'f4emu: lockup: HardFault while in HardFault\nmore');
    expect(fault).toMatchObject({
      result: 'fault',
      detail: 'lockup: HardFault while in HardFault',
    });
    const panic = classify(
      5,
      'x\n_assert: Assertion failed panic: at file: mm.c:12 task: Idle_Task\n',
      '',
    );
    expect(panic.result).toBe('panic');
    expect(panic.detail).toMatch(/Assertion failed/);
    const hang = classify(
      4,
      'stm32_spi\n',
      'f4emu: SPI1 is not modelled: register at 0x4001300c (offset 0xc), read as 0\n' +
        "f4emu: expected 'nsh> ' on the console, but it did not appear before the wall-clock " +
        '--timeout (25 s; 80.123 virtual seconds waited); the CPU was at 0x08004a12 <spi_send+0x1e>\n',
    );
    expect(hang).toEqual({
      result: 'no prompt',
      unmodelled: ['SPI1'],
      detail: 'last line: "stm32_spi"; waited at 0x08004a12 <spi_send+0x1e>',
    });
  });

  it('finds NAME.elf and NAME/nuttx images and their user parts', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'nsh.elf'), '');
    fs.writeFileSync(path.join(dir, 'kostest.elf'), '');
    fs.writeFileSync(path.join(dir, 'kostest.user.bin'), '');
    fs.mkdirSync(path.join(dir, 'netnsh'));
    fs.writeFileSync(path.join(dir, 'netnsh', 'nuttx'), '');
    fs.symlinkSync(path.join(dir, 'nsh.elf'), path.join(dir, 'linked.elf'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), '');
    expect(findImages(dir).map(([n, , u]) => [n, u && path.basename(u)])).toEqual([
      ['kostest', 'kostest.user.bin'],
      ['linked', null],
      ['netnsh', null],
      ['nsh', null],
    ]);
  });

  it('sweeps a directory: a prompt, no prompt, a bad image', () => {
    const sweep = (dir: string, prompt: string) =>
      spawnSync(
        process.execPath,
        [path.join(ROOT, 'dist/scripts/sweep.js'), dir, '--prompt', prompt, '--timeout', '3'],
        { encoding: 'utf8', timeout: 60_000 },
      );
    const dir = tmpDir();
    fs.copyFileSync(path.join(PREBUILT, 'demo.elf'), path.join(dir, 'demo.elf'));
    const demo = fs.readFileSync(path.join(PREBUILT, 'demo.elf'));
    fs.writeFileSync(path.join(dir, 'broken.elf'), demo.subarray(0, 300));
    const r = sweep(dir, 'boot #');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^broken +error +[\d.]+ +-; .*broken\.elf: truncated ELF/m);
    expect(r.stdout).toMatch(/^demo +prompt +[\d.]+ +-$/m);
    expect(r.stdout).toContain('2 image(s): 1 error, 1 prompt');
    const never = sweep(dir, 'never printed');
    expect(never.stdout).toMatch(
      /^demo +no prompt +[\d.]+ +-; last line: "[^"]+"; (waited|asleep) at 0x[0-9a-f]+ <\w+/m,
    );
  });
});
