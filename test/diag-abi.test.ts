/**
 * --abi-check on condition variables, rwlocks and semaphores (firmware/diag/syncobj.c on the
 * diag OS, which exports each static initializer): a condition variable in a reused heap block,
 * an rwlock copied from Linux's initializer and a semaphore used after sem_destroy are each
 * reported once at the call, in the task that made it; a semaphore never initialised but in
 * zeroed .bss is not; the clean twin gives no finding.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../src/loader/elf.js';
import { f4emu, ROOT, tmpDir } from './helpers/cli.js';

const ELF = path.join(ROOT, 'firmware/prebuilt/diag/syncobj.elf');
const SOURCE = fs.readFileSync(path.join(ROOT, 'firmware/diag/syncobj.c'), 'utf8').split('\n');
const symbols = parseElf(new Uint8Array(fs.readFileSync(ELF))).symbols;

/** `diag/syncobj.c:N` of the one source line holding `text`. */
function at(text: string): string {
  const lines = SOURCE.flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  expect(lines).toHaveLength(1);
  return `diag/syncobj.c:${lines[0]}`;
}

/** The address of a variable in syncobj.elf, as the findings print it. */
function addr(name: string): string {
  const s = symbols.lookup(name);
  expect(s?.type).toBe(1);
  return `0x${s!.value.toString(16).padStart(8, '0')}`;
}

const abiLines = (stderr: string) =>
  stderr.split('\n').filter((l) => l.startsWith('f4emu: abi-check: '));

interface Report {
  check: string;
  findings: Array<{
    kind: string;
    message: string;
    task: string;
    backtrace: string[];
    data: Record<string, unknown>;
  }>;
}

describe('--abi-check on condition variables, rwlocks and semaphores', () => {
  const json = path.join(tmpDir(), 'abi.json');
  const traced = 'sem_post,sem_trywait';
  const r = f4emu([
    'run', ELF, '--semihosting', `--abi-check=json:${json}`, `--trace-calls=${traced}`,
  ]); // prettier-ignore

  it('runs to the end and exits 6 for its findings', () => {
    expect(r.code).toBe(6);
    expect(r.stdout).toContain("syncobj: the mailbox reuses the note's block: yes");
    expect(r.stdout).toContain('syncobj: table_lock tryrdlock: 16 (EBUSY)');
    expect(r.stdout).toContain('syncobj: stats 1 (the reader saw 0), ticks 0, done');
  });

  it('reports each bug once, at the call, in the task that made it', () => {
    const found = abiLines(r.stderr);
    expect(found).toHaveLength(4);
    expect(found[0]).toMatch(
      new RegExp(
        `^f4emu: abi-check: pthread_rwlock_tryrdlock\\(${addr('table_lock')}\\) at reader_main\\+0x[0-9a-f]+ \\(${at('= pthread_rwlock_tryrdlock(&table_lock);')}\\): this rwlock never went through pthread_rwlock_init and its bytes \\[(00 ){35}00\\] are not the image's PTHREAD_RWLOCK_INITIALIZER \\(g_pthread_rwlock_initializer\\) \\[01 00 00 00 ff ff ff ff (00 ){27}00\\]: all zeros is Linux's \\(glibc's\\) PTHREAD_RWLOCK_INITIALIZER; its first 12 bytes are the pthread_mutex_t inside it`,
      ),
    );
    expect(found[1]).toMatch(
      new RegExp(
        `^f4emu: abi-check: pthread_cond_signal\\(0x2[0-9a-f]{7}\\) at main\\+0x[0-9a-f]+ \\(${at('pthread_cond_signal(&box->ready);')}\\): this condition variable never went through pthread_cond_init and its bytes \\[20 74 68 65 20 77 6f 72 6b 65 72 00\\] are not the image's PTHREAD_COND_INITIALIZER \\(g_pthread_cond_initializer\\) \\[(00 ){11}00\\]: its first 11 bytes read as text " the worker"`,
      ),
    );
    expect(found[2]).toMatch(
      new RegExp(
        `^f4emu: abi-check: sem_post\\(${addr('done')}\\) at worker_main\\+0x[0-9a-f]+ \\(${at('sem_post(&done); /* second job')}\\): this semaphore was destroyed by sem_destroy in main \\(pid 1\\) at main\\+0x[0-9a-f]+ \\(${at('sem_destroy(&done); /* too early')}\\) and not initialised again since$`,
      ),
    );
    expect(found[3]).toBe(
      'f4emu: abi-check: objects checked: 1 mutex, 2 cond, 1 rwlock, 1 sem; type sizes compared across 5 compilation unit(s); 3 finding(s)',
    );

    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
    expect(report.check).toBe('abi-check');
    expect(report.findings.map((f) => [f.kind, f.task, f.backtrace[0]?.replace(/^#0 0x\w+ /, '')])).toEqual([
      ['uninitialised-rwlock', 'reader (pid 2)', expect.stringMatching(/^reader_main\+/)],
      ['uninitialised-cond', 'main (pid 1)', expect.stringMatching(/^main\+/)],
      ['use-after-destroy', 'worker (pid 3)', expect.stringMatching(/^worker_main\+/)],
    ]); // prettier-ignore
    expect(report.findings[2]!.data).toMatchObject({ object: 'sem', sem: addr('done') });
  });

  it('leaves the never-initialised semaphore in zeroed .bss alone', () => {
    const ticks = addr('ticks');
    // It was used (the trace shows both calls on it) ...
    const trace = r.stderr.split('\n').filter((l) => l.startsWith('f4emu: trace-calls: '));
    expect(trace).toContain(`f4emu: trace-calls: [main (pid 1)] sem_post(${ticks}) = 0`);
    // (sem_trywait has no signature in the tracer's table: its words in hex, 0 as NULL.)
    expect(
      trace.some(
        (l) =>
          l.startsWith(`f4emu: trace-calls: [main (pid 1)] sem_trywait(${ticks},`) &&
          l.endsWith(' = NULL'),
      ),
    ).toBe(true);
    // ... and no finding names it.
    expect(abiLines(r.stderr).filter((l) => l.includes(ticks))).toEqual([]);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
    expect(report.findings.filter((f) => JSON.stringify(f).includes(ticks))).toEqual([]);
  });

  it('is silent on the clean twin, which uses every object correctly', () => {
    const clean = f4emu(['run', ELF, '--semihosting', '--abi-check', '--cmdline', 'clean']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('syncobj: table_lock tryrdlock: 0, sum 10');
    expect(clean.stdout).toContain('syncobj: stats 1 (the reader saw 0), ticks 0, done');
    expect(abiLines(clean.stderr)).toEqual([
      'f4emu: abi-check: objects checked: 1 mutex, 1 cond, 1 rwlock, 1 sem; type sizes compared across 5 compilation unit(s); 0 finding(s)',
    ]);
  });
});
