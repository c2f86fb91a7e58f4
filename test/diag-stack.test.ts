/**
 * --stack-check on the project's own firmware (firmware/diag/stackover.c on the diag OS): a
 * recursive parser overflows its task's 1 KB stack into the heap block below. The run stops at
 * the first store below the stack's base — the push at parse_list's entry, 4 bytes below —
 * naming the task, the PC and the backtrace; the clean twin runs to the end and only its
 * high-water mark (the program's own figure) is reported.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, f4emu, ROOT } from './helpers/cli.js';

const STACKOVER = path.join(ROOT, 'firmware/prebuilt/diag/stackover.elf');

describe('--stack-check', () => {
  it('stops at the first store below the task’s stack and says where', () => {
    const r = f4emu(['run', STACKOVER, '--semihosting', '--stack-check']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /f4emu: stack-check: stack overflow in task parser \(pid 2\): 4-byte store at 0x20001d94, 4 bytes below its stack \[0x20001d98, 0x20002198\) \(SP 0x20001da8\) at parse_list \(diag\/stackover\.c:42\)\n {4}#0 0x[0-9a-f]+ parse_list \(diag\/stackover\.c:42\)\n {4}#1 0x[0-9a-f]+ parse_list\+0x48 \(diag\/stackover\.c:51\)/,
    );
    expect(r.stderr).toMatch(/#13 0x[0-9a-f]+ nxtask_start\+0x20 \(diag\/os\/task\.c:25\)/);
    expect(r.stderr).toContain('stack-check: 1 overflow(s); the run was stopped at the first one');
    // Stopped there: the program never printed its own account of the damage.
    expect(r.stdout).not.toContain('overwritten');
    expect(r.stderr).not.toMatch(/stopped: halt/);
  });

  it('reports the clean twin’s high-water mark and no overflow', () => {
    const r = f4emu(['run', STACKOVER, '--semihosting', '--stack-check', '--cmdline', 'clean']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stackover: parser used 488 of 1024 stack bytes');
    expect(r.stderr).toContain(
      'f4emu: stack-check: task parser (pid 2) used 488 of 1024 bytes of its stack (48%)',
    );
    expect(r.stderr).toContain('f4emu: stack-check: 0 overflow(s)');
  });

  it('without the check the overflow goes unseen, as on the chip', () => {
    const r = f4emu(['run', STACKOVER, '--semihosting']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d+ of 512 bytes overwritten/);
  });

  it('combines with every other check in one run', () => {
    const r = f4emu([
      'run', STACKOVER, '--semihosting', '--stack-check', '--leak-check', '--abi-check', '--trace-calls',
      '--cmdline', 'clean', '--stats',
    ]); // prettier-ignore
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('stack-check: 0 overflow(s)');
    expect(r.stderr).toMatch(/leak-check: \d+ allocations, \d+ frees .* 0 finding\(s\)/);
    expect(r.stderr).toMatch(/trace-calls: \d+ calls traced/);
    const plain = f4emu(['run', STACKOVER, '--semihosting', '--cmdline', 'clean', '--stats']);
    expect(r.stdout).toBe(plain.stdout);
    const count = (s: string) => /instructions=(\d+) cycles=(\d+)/.exec(s)?.slice(1);
    expect(count(r.stderr)).toEqual(count(plain.stderr));
  });
});

const haveGdb = spawnSync('gdb-multiarch', ['--version']).status === 0;

describe.skipIf(!haveGdb)('--stack-check with GDB attached', () => {
  it('hands the overflow to the debugger as SIGTRAP in the overflowing task’s thread', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'run', STACKOVER, '--semihosting', '--stack-check', '--gdb', '0', '--wait-gdb'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!/127\.0\.0\.1:(\d+)/.test(stderr) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const port = /127\.0\.0\.1:(\d+)/.exec(stderr)![1];
    const gdb = spawnSync(
      'gdb-multiarch',
      ['-q', '-batch', '-ex', 'set pagination off', '-ex', `target remote 127.0.0.1:${port}`,
        '-ex', 'continue', '-ex', 'bt 2', '-ex', 'kill', STACKOVER], // prettier-ignore
      { encoding: 'utf8', timeout: 60_000 },
    );
    await new Promise((r) => child.on('close', r));
    expect(gdb.stdout).toMatch(/Thread \d+ "parser" received signal SIGTRAP/);
    expect(gdb.stdout).toMatch(/#0 .*parse_list .*depth=depth@entry=12/);
    expect(stderr).toContain('stack-check: stack overflow in task parser (pid 2)');
  }, 90_000);
});
