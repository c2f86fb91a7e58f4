/**
 * --leak-check on the project's own firmware (firmware/diag/leak.c on the small OS in
 * diag/os): the talk's "nsh> hello" losing 1,200 bytes a run. Each run's lost blocks are
 * reported when its task exits, with the allocating call site (file:line from DWARF) and the
 * task; the double free and the invalid free at their calls; the clean twin reports nothing;
 * the program's output and instruction count are the same with the check on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { f4emu, ROOT, tmpDir } from './helpers/cli.js';

const LEAK = path.join(ROOT, 'firmware/prebuilt/diag/leak.elf');
const run = (...args: string[]) => f4emu(['run', LEAK, '--semihosting', ...args]);
const findings = (stderr: string) =>
  stderr.split('\n').filter((l) => /^f4emu: leak-check: (?!\d+ allocations)/.test(l));

describe('--leak-check (newlib, the diag OS)', () => {
  it('reports each run’s lost blocks at its task’s exit, by call site, and bad frees', () => {
    const r = run('--leak-check');
    expect(r.code).toBe(6);
    const lines = findings(r.stderr);
    for (const pid of [2, 3, 4]) {
      expect(lines).toContain(
        `f4emu: leak-check: 1,200 bytes in 1 block never freed (when task hello (pid ${pid}) exited), allocated at lazy_stdout_buffer+0xa (diag/leak.c:40)`,
      );
      expect(lines).toContain(
        `f4emu: leak-check: 64 bytes in 1 block never freed (when task hello (pid ${pid}) exited), allocated at save_app_name+0xa (diag/leak.c:46)`,
      );
    }
    expect(lines).toContain(
      'f4emu: leak-check: double free of 0x20001640, already freed at release_config+0x6 (diag/leak.c:95)',
    );
    expect(lines.find((l) => l.includes('invalid free'))).toMatch(
      /invalid free of 0x20001688: inside the 64-byte block at 0x20001678 allocated at make_message\+0x8 \(diag\/leak\.c:98\)/,
    );
    expect(lines).toHaveLength(8);
    // The backtrace under a finding goes from the allocator's caller out to the task's entry.
    expect(r.stderr).toMatch(
      /lazy_stdout_buffer.*\n {4}#0 0x[0-9a-f]{8} lazy_stdout_buffer\+0xa \(diag\/leak\.c:40\)\n {4}#1 0x[0-9a-f]{8} hello_main\+0x16 \(diag\/leak\.c:60\)\n {4}#2 0x[0-9a-f]{8} nxtask_start\+0x20 \(diag\/os\/task\.c:25\)/,
    );
    expect(r.stderr).toMatch(/leak-check: 21 allocations, 14 frees \(_malloc_r family\)/);
  });

  it('reports nothing on the clean twin and keeps its exit code', () => {
    const r = run('--leak-check', '--cmdline', 'clean');
    expect(r.code).toBe(0);
    expect(findings(r.stderr)).toEqual([]);
    expect(r.stderr).toMatch(/19 allocations, 19 frees .* 0 bytes in 0 blocks live/);
  });

  it('leaves the program’s output and instruction count unchanged', () => {
    const plain = run('--stats');
    const checked = run('--stats', '--leak-check', '--diag-exit-code', '0');
    expect(checked.code).toBe(0);
    expect(checked.stdout).toBe(plain.stdout);
    const count = (s: string) => /instructions=(\d+) cycles=(\d+)/.exec(s)?.slice(1);
    expect(count(checked.stderr)).toEqual(count(plain.stderr));
    expect(count(plain.stderr)).toBeDefined();
  });

  it('writes a JSON report with every finding and refuses to overwrite a file', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'leaks.json');
    const r = run(`--leak-check=json:${file}`);
    expect(r.code).toBe(6);
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(report.check).toBe('leak-check');
    expect(report.findings).toHaveLength(8);
    const lost = report.findings.filter((f: { kind: string }) => f.kind === 'leak');
    expect(lost.map((f: { bytes: number }) => f.bytes).sort()).toEqual([
      1200, 1200, 1200, 64, 64, 64,
    ]);
    expect(lost[0].task).toBe('hello (pid 2)');
    expect(lost[0].backtrace[0]).toMatch(/lazy_stdout_buffer/);
    expect(report.summary.leak.allocations).toBe(21);
    const again = run(`--leak-check=json:${file}`);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/leaks\.json/);
  });

  it('says clearly when the image has no allocator, and rejects a bad json target', () => {
    const noMalloc = f4emu(['run', path.join(ROOT, 'firmware/prebuilt/demo.elf'), '--leak-check']);
    expect(noMalloc.code).toBe(2);
    expect(noMalloc.stderr).toMatch(/no allocator in the image/);
    const bad = run('--leak-check=xml:x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected --leak-check=json:FILE/);
  });
});
