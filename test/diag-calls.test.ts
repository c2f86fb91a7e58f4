/**
 * --trace-calls and --abi-check on the project's own firmware (firmware/diag/sockets.c and
 * mutex.c on the diag OS, which uses NuttX's constants): the talk's Linux constants are flagged
 * at the call with the Linux name and NuttX's value; the clean twins are traced without a
 * finding; a mutex initialised with Linux's all-zero layout is reported at its first lock.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { f4emu, ROOT, tmpDir } from './helpers/cli.js';

const elf = (name: string) => path.join(ROOT, `firmware/prebuilt/diag/${name}.elf`);
const lines = (stderr: string, check: string) =>
  stderr.split('\n').filter((l) => l.startsWith(`f4emu: ${check}: `));

describe('--trace-calls', () => {
  it('decodes each call with NuttX’s names and flags the Linux constants', () => {
    const r = f4emu(['run', elf('sockets'), '--semihosting', '--trace-calls']);
    expect(r.code).toBe(6);
    const trace = lines(r.stderr, 'trace-calls');
    expect(trace).toContain(
      'f4emu: trace-calls: [main (pid 1)] socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) = 24',
    );
    expect(trace).toContain(
      "f4emu: trace-calls: [main (pid 1)] setsockopt(24, SOL_SOCKET, SO_DEBUG, 0x2001ff74, 4) = 0 — option: 2 is Linux's SO_REUSEADDR; NuttX's is 11 (NuttX reads 2 as SO_DEBUG)",
    );
    expect(trace).toContain(
      "f4emu: trace-calls: [main (pid 1)] ioctl(24, 0x5451, 0x0) = -1 ENOTTY — request: 0x5451 is Linux's FIOCLEX; NuttX's is 0x30b",
    );
    // errno numbers are the C library's (newlib here): 112 is EADDRINUSE, not NuttX's EHOSTDOWN.
    expect(trace).toContain(
      'f4emu: trace-calls: [main (pid 1)] bind(24, {AF_INET, 0.0.0.0:8080}, 16) = -1 EADDRINUSE',
    );
    // Each finding has the caller's line under it.
    expect(r.stderr).toMatch(
      /0x5451 is Linux's FIOCLEX.*\n {4}#0 0x[0-9a-f]+ main\+0x[0-9a-f]+ \(diag\/sockets\.c:95\)/,
    );
    expect(trace.filter((l) => l.includes('—'))).toHaveLength(2);
    expect(r.stderr).toMatch(/trace-calls: 12 calls traced/);
  });

  it('traces the clean twin without a finding', () => {
    const r = f4emu([
      'run',
      elf('sockets'),
      '--semihosting',
      '--trace-calls',
      '--cmdline',
      'clean',
    ]);
    expect(r.code).toBe(0);
    const trace = lines(r.stderr, 'trace-calls');
    expect(trace).toContain(
      'f4emu: trace-calls: [main (pid 1)] setsockopt(24, SOL_SOCKET, SO_REUSEADDR, 0x2001ff74, 4) = 0',
    );
    expect(trace).toContain('f4emu: trace-calls: [main (pid 1)] ioctl(24, FIOCLEX, 0x0) = 0');
    expect(trace.filter((l) => l.includes('—'))).toEqual([]);
  });

  it('traces only the listed functions, lists calls that never returned, names missing ones', () => {
    const r = f4emu([
      'run', elf('mutex'), '--semihosting', '--trace-calls=pthread_mutex_lock,no_such_fn', '--timeout', '20',
    ]); // prettier-ignore
    expect(r.code).toBe(3); // every task blocked: asleep forever
    expect(r.stderr).toContain('trace-calls: not in the image: no_such_fn');
    expect(r.stderr).toMatch(
      /\[counter-a \(pid 2\)\] pthread_mutex_lock\(0x[0-9a-f]+\) <unfinished: never returned> \(called from counter_main\+0x2a \(diag\/mutex\.c:42\)\)/,
    );
    expect(lines(r.stderr, 'trace-calls').some((l) => l.includes('sem_wait'))).toBe(false);
  });
});

describe('--trace-calls on any function', () => {
  it('traces a function the table does not know, its result agreeing with --leak-check', () => {
    const json = path.join(tmpDir(), 'leaks.json');
    const r = f4emu([
      'run', elf('leak'), '--semihosting', '--trace-calls=lazy_stdout_buffer', `--leak-check=json:${json}`,
    ]); // prettier-ignore
    const returned = [
      ...r.stderr.matchAll(/\[(hello \(pid \d\))\] lazy_stdout_buffer\([^)]*\) = (0x[0-9a-f]+)/g),
    ].map((m) => `${m[1]} ${m[2]}`);
    expect(returned).toHaveLength(3);
    // Each run's 1,200-byte buffer is the block the leak check reports lost by that task.
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as {
      findings: Array<{ bytes: number; task: string; data: { blocks: Array<{ ptr: string }> } }>;
    };
    const lost = report.findings
      .filter((f) => f.bytes === 1200)
      .map((f) => `${f.task} 0x${Number.parseInt(f.data.blocks[0]!.ptr, 16).toString(16)}`);
    expect(lost).toEqual(returned);
  });
});

describe('--abi-check', () => {
  it('reports a mutex with Linux’s layout at its first lock, with both byte patterns', () => {
    const r = f4emu(['run', elf('mutex'), '--semihosting', '--abi-check', '--timeout', '20']);
    expect(r.code).toBe(3);
    const found = lines(r.stderr, 'abi-check');
    expect(found[0]).toMatch(
      /^f4emu: abi-check: pthread_mutex_lock\(0x[0-9a-f]+\) at counter_main\+0x2a \(diag\/mutex\.c:42\): this mutex never went through pthread_mutex_init and its bytes \[00 00 00 00 00 00 00 00 00 00 00 00\] are not the image's PTHREAD_MUTEX_INITIALIZER \(g_pthread_mutex_initializer\) \[01 00 00 00 ff ff ff ff 00 00 00 00\]: all zeros is Linux's/,
    );
    expect(found).toContain(
      'f4emu: abi-check: objects checked: 1 mutex, 0 cond, 0 rwlock, 0 sem; type sizes compared across 5 compilation unit(s); 1 finding(s)',
    );
  });

  it('is silent on the clean twin, which runs to the end', () => {
    const r = f4emu(['run', elf('mutex'), '--semihosting', '--abi-check', '--cmdline', 'clean']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('counter = 2000 (expected 2000)');
    expect(lines(r.stderr, 'abi-check')).toEqual([
      'f4emu: abi-check: objects checked: 1 mutex, 0 cond, 0 rwlock, 0 sem; type sizes compared across 5 compilation unit(s); 0 finding(s)',
    ]);
  });

  it('names every shared type whose size differs between compilation units (DWARF)', () => {
    // diag/abisize.c declares Linux's layouts itself, as Rust's libc crate did.
    const r = f4emu(['run', elf('abisize'), '--semihosting', '--abi-check']);
    expect(r.code).toBe(6);
    expect(r.stdout).toContain('abisize: mutex and semaphore calls ok');
    expect(lines(r.stderr, 'abi-check')).toEqual([
      'f4emu: abi-check: pthread_mutex_t has different sizes across compilation units: 12 bytes in diag/os/sem.c; 24 bytes in diag/abisize.c',
      'f4emu: abi-check: sem_t has different sizes across compilation units: 4 bytes in diag/os/sched.c, diag/os/sem.c, diag/os/task.c; 16 bytes in diag/abisize.c',
      'f4emu: abi-check: objects checked: 0 mutex, 0 cond, 0 rwlock, 0 sem; type sizes compared across 5 compilation unit(s); 2 finding(s)',
    ]);
  });
});
