/**
 * --abi-check's object families on a scripted guest: calls are driven by hand through a stand-in
 * for CallHooks, memory is a byte map. The firmware end to end is test/diag-abi.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Cpu } from '../core/cpu.js';
import { SymbolTable, type ElfSymbol } from '../loader/elf.js';
import {
  NUTTX_PTHREAD_MUTEX_INITIALIZER,
  NUTTX_PTHREAD_RWLOCK_SIZE,
  NUTTX_SIZES,
} from './abi/nuttx.js';
import { AbiCheck, FAMILIES, type FamilyName } from './abiCheck.js';
import type { Call, CallHooks, EnterHandler, ReturnHandler } from './callHooks.js';
import { Findings } from './findings.js';

const OBJ = 0x20000100;

/** A guest: memory, symbols (every family function, and `symbols`), the running task, calls. */
function guest(symbols: ElfSymbol[] = []) {
  const mem = new Map<number, number>();
  const functions = FAMILIES.flatMap((f) => [
    ...f.init,
    ...f.uses.map((u) => u.name),
    ...f.destroy,
  ]);
  const table = new SymbolTable([
    ...symbols,
    ...functions.map((name, i) => ({ name, value: 0x08000001 + 0x100 * i, size: 0x40, type: 2 })),
  ]);
  const handlers = new Map<number, EnterHandler[]>();
  const hooks = {
    hookAddress(addr: number, _name: string, enter: EnterHandler) {
      handlers.set(addr, [...(handlers.get(addr) ?? []), enter]);
    },
  } as unknown as CallHooks;
  const findings = new Findings();
  const g = {
    mem,
    findings,
    task: 'main (pid 1)' as string | undefined,
    ipsr: 0,
    write(addr: number, bytes: readonly number[]) {
      bytes.forEach((b, i) => mem.set(addr + i, b));
    },
    /** Calls `name(args)` from `site` at stack pointer `sp`; returns what runs at its return. */
    call(name: string, args: number[], site = 0x1000, sp = 0x20008000) {
      const call: Call = {
        name,
        pc: 0x800,
        cpu: { ipsr: g.ipsr } as unknown as Cpu,
        sp,
        lr: site | 1,
        arg: (i) => args[i] ?? 0,
        floatArg: () => 0,
      };
      const returns = (handlers.get(table.lookup(name)?.value ?? -1) ?? [])
        .map((h) => h(call))
        .filter((r): r is ReturnHandler => typeof r === 'function');
      return (r0 = 0) => returns.forEach((r) => r({ r0, r1: 0, s0: 0, call }));
    },
    messages: () => findings.list.map((f) => f.message),
  };
  const check = new AbiCheck({
    hooks,
    symbols: table,
    memory: { read8: (a) => mem.get(a) ?? 0, read16: () => 0, read32: () => 0 },
    findings,
    currentTask: () => g.task,
    unwind: (call) => [call.lr & ~1],
    symbolize: (pc) => `site_${pc.toString(16)}`,
  });
  return Object.assign(g, { check });
}

const family = (name: FamilyName) => FAMILIES.find((f) => f.name === name)!;

describe('the family table', () => {
  it('names each type’s init, use and destroy functions, each function once', () => {
    const names = (n: FamilyName) => {
      const f = family(n);
      return [f.init, f.uses.map((u) => u.name), f.destroy];
    };
    expect(names('mutex')).toEqual([
      ['pthread_mutex_init'],
      [
        'pthread_mutex_lock',
        'pthread_mutex_trylock',
        'pthread_mutex_timedlock',
        'pthread_mutex_unlock',
      ],
      ['pthread_mutex_destroy'],
    ]);
    expect(names('cond')[1]).toEqual([
      'pthread_cond_wait',
      'pthread_cond_timedwait',
      'pthread_cond_clockwait',
      'pthread_cond_signal',
      'pthread_cond_broadcast',
    ]);
    expect(names('rwlock')[1]).toEqual(
      [
        'rdlock',
        'tryrdlock',
        'timedrdlock',
        'clockrdlock',
        'wrlock',
        'trywrlock',
        'timedwrlock',
        'clockwrlock',
        'unlock',
      ].map((u) => `pthread_rwlock_${u}`),
    );
    expect(names('sem')).toEqual([
      ['sem_init'],
      ['sem_wait', 'sem_trywait', 'sem_timedwait', 'sem_clockwait', 'sem_post'],
      ['sem_destroy'],
    ]);
    const all = FAMILIES.flatMap((f) => [...f.init, ...f.uses.map((u) => u.name), ...f.destroy]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('holds NuttX’s initializers at the sizes NuttX’s DWARF gives, free bytes inside them', () => {
    const size = (n: FamilyName) => family(n).nuttx.bytes.length;
    expect(size('mutex')).toBe(NUTTX_SIZES.pthread_mutex_t);
    expect(size('cond')).toBe(NUTTX_SIZES.pthread_cond_t);
    expect(size('sem')).toBe(NUTTX_SIZES.sem_t);
    expect(size('rwlock')).toBe(NUTTX_PTHREAD_RWLOCK_SIZE);
    // An rwlock starts with a mutex: its initializer with the mutex's.
    expect(family('rwlock').nuttx.bytes.slice(0, 24)).toEqual(NUTTX_PTHREAD_MUTEX_INITIALIZER);
    for (const f of FAMILIES) {
      for (const i of f.nuttx.free) expect(i).toBeLessThan(f.nuttx.bytes.length);
    }
    expect(family('sem').nuttx.free.slice(0, 4)).toEqual([0, 1, 2, 3]); // the count
    expect(family('sem').ownFree(4)).toEqual([0, 1]); // the test OS's int16 count
  });
});

describe('uninitialised objects', () => {
  it('reports a zeroed mutex once at its first use, with both patterns and Linux’s name', () => {
    const g = guest();
    g.call('pthread_mutex_lock', [OBJ], 0x1234)();
    g.call('pthread_mutex_unlock', [OBJ])();
    g.call('pthread_mutex_lock', [OBJ])();
    expect(g.messages()).toHaveLength(1);
    expect(g.messages()[0]).toBe(
      'pthread_mutex_lock(0x20000100) at site_1234: this mutex never went through pthread_mutex_init ' +
        "and its bytes [00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00] are not NuttX's " +
        'PTHREAD_MUTEX_INITIALIZER [00 00 00 00 00 ** ** ** fe ff ff 7f 04 ** ** ** 00 00 00 00 00 00 00 00] ' +
        "(** = any value: padding): all zeros is Linux's (glibc's) PTHREAD_MUTEX_INITIALIZER, the layout " +
        "Rust's libc crate used; the OS may see it as held",
    );
    expect(g.findings.list[0]!.task).toBe('main (pid 1)');
    expect(g.findings.list[0]!.kind).toBe('uninitialised-mutex');
    expect(g.check.checked).toBe(1);
  });

  it('accepts the initializer’s bytes, padding aside, and anything after the init function', () => {
    const g = guest();
    const m = [...NUTTX_PTHREAD_MUTEX_INITIALIZER];
    m[5] = 0xaa; // padding after the flags byte
    g.write(OBJ, m);
    g.call('pthread_mutex_trylock', [OBJ])();
    g.call('pthread_mutex_init', [OBJ + 0x40, 0])();
    g.call('pthread_mutex_lock', [OBJ + 0x40])(); // zeros, but initialised
    m[8] = 0; // the holder field
    g.write(OBJ + 0x80, m);
    g.call('pthread_mutex_lock', [OBJ + 0x80])();
    expect(g.messages()).toHaveLength(1);
    expect(g.messages()[0]).toMatch(/^pthread_mutex_lock\(0x20000180\)/);
    expect(g.check.checkedBy).toEqual({ mutex: 2, cond: 0, rwlock: 0, sem: 0 });
  });

  it('compares with the image’s own initializer when it exports one', () => {
    const own = [0x01, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
    const g = guest([{ name: 'g_pthread_mutex_initializer', value: 0x3000, size: 12, type: 1 }]);
    g.write(0x3000, own);
    g.write(OBJ, own);
    g.call('pthread_mutex_lock', [OBJ])();
    g.call('pthread_mutex_lock', [OBJ + 0x40])();
    expect(g.messages()).toHaveLength(1);
    expect(g.messages()[0]).toContain(
      "are not the image's PTHREAD_MUTEX_INITIALIZER (g_pthread_mutex_initializer) [01 00 00 00 ff ff ff ff 00 00 00 00]: all zeros",
    );
  });

  it('takes a semaphore’s count as free: zeroed or counted is fine, garbage flags or queue are not', () => {
    const g = guest();
    g.call('sem_wait', [OBJ])(); // zeroed .bss: SEM_INITIALIZER(0)
    g.write(OBJ + 0x20, [5, 0, 0, 0]); // SEM_INITIALIZER(5)
    g.call('sem_post', [OBJ + 0x20])();
    g.write(OBJ + 0x40, [1, 0, 0, 0, 0x02]); // flags
    g.call('sem_trywait', [OBJ + 0x40])();
    g.write(OBJ + 0x60, [0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x01, 0x00, 0x20]); // a queued waiter
    g.call('sem_timedwait', [OBJ + 0x60, 0])();
    expect(g.messages()).toEqual([
      expect.stringMatching(
        /^sem_trywait\(0x20000140\) .* are not NuttX's SEM_INITIALIZER\(n\) \[\*\* \*\* \*\* \*\* 00 \*\* \*\* \*\* 00 00 00 00 00 00 00 00\] \(\*\* = any value: the count, padding\); the OS reads its flags/,
      ),
      expect.stringMatching(/^sem_timedwait\(0x20000160\) .*\[00 00 00 00 00 00 00 00 10 01 00 20/),
    ]);
    expect(g.check.checkedBy.sem).toBe(4);
  });

  it('in the test OS’s 4-byte sem_t, frees the 16-bit count only', () => {
    const g = guest([{ name: 'g_sem_initializer', value: 0x3000, size: 4, type: 1 }]);
    g.write(OBJ, [0xff, 0x7f, 0, 0]);
    g.call('sem_post', [OBJ])();
    g.write(OBJ + 0x10, [1, 0, 0, 1]);
    g.call('sem_post', [OBJ + 0x10])();
    expect(g.messages()).toHaveLength(1);
    expect(g.messages()[0]).toContain(
      "[01 00 00 01] are not the image's SEM_INITIALIZER(n) (g_sem_initializer) [** ** 00 00] (** = any value: the count)",
    );
  });

  it('says when a condition variable holds text, and checks the mutex pthread_cond_wait takes', () => {
    const g = guest([
      { name: 'g_pthread_cond_initializer', value: 0x3000, size: 12, type: 1 },
      { name: 'g_pthread_mutex_initializer', value: 0x3010, size: 4, type: 1 },
    ]);
    g.write(0x3010, [1, 0, 0, 0]);
    g.write(OBJ, [...Buffer.from('job 7 done'), 0, 0x41]);
    g.call('pthread_cond_signal', [OBJ], 0x2000)();
    g.call('pthread_cond_wait', [OBJ + 0x20, OBJ + 0x40], 0x2010)();
    expect(g.messages()).toEqual([
      'pthread_cond_signal(0x20000100) at site_2000: this condition variable never went through ' +
        "pthread_cond_init and its bytes [6a 6f 62 20 37 20 64 6f 6e 65 00 41] are not the image's " +
        'PTHREAD_COND_INITIALIZER (g_pthread_cond_initializer) [00 00 00 00 00 00 00 00 00 00 00 00]: ' +
        'its first 10 bytes read as text "job 7 done": left there by something else; the OS reads ' +
        'its waiter count and wait queue from these bytes',
      expect.stringMatching(
        /^pthread_cond_wait\(0x20000120, 0x20000140\) at site_2010: this mutex never went through pthread_mutex_init and its bytes \[00 00 00 00\]/,
      ),
    ]);
    expect(g.check.checkedBy).toEqual({ mutex: 1, cond: 2, rwlock: 0, sem: 0 });
  });

  it('says what a zeroed rwlock does to the mutex inside it', () => {
    const g = guest();
    g.call('pthread_rwlock_tryrdlock', [OBJ])();
    expect(g.messages()[0]).toContain(
      "all zeros is Linux's (glibc's) PTHREAD_RWLOCK_INITIALIZER; its first 24 bytes are the " +
        'pthread_mutex_t inside it, which PTHREAD_MUTEX_INITIALIZER sets to [00 00 00 00 00 00 00 00 fe ff ff 7f 04',
    );
  });

  it('recognises NuttX’s stack colour', () => {
    const g = guest([{ name: 'g_sem_initializer', value: 0x3000, size: 4, type: 1 }]);
    g.write(OBJ, [0xef, 0xbe, 0xad, 0xde]);
    g.call('sem_wait', [OBJ])();
    expect(g.messages()[0]).toContain('every word is 0xdeadbeef, the stack colour');
  });
});

describe('use after destroy', () => {
  it('is reported once at the call, naming the destroy call, until a new init', () => {
    const g = guest();
    g.call('sem_init', [OBJ, 0, 1])();
    g.call('sem_wait', [OBJ])();
    g.call('sem_destroy', [OBJ], 0x3000)();
    g.task = 'worker (pid 3)';
    g.call('sem_post', [OBJ], 0x4000)();
    g.call('sem_post', [OBJ], 0x4000)();
    expect(g.messages()).toEqual([
      'sem_post(0x20000100) at site_4000: this semaphore was destroyed by sem_destroy in main (pid 1) ' +
        'at site_3000 and not initialised again since',
    ]);
    expect(g.findings.list[0]!.task).toBe('worker (pid 3)');
    expect(g.findings.list[0]!.kind).toBe('use-after-destroy');
    g.call('sem_init', [OBJ, 0, 0])();
    g.call('sem_post', [OBJ])();
    expect(g.findings.count()).toBe(1);
    g.call('sem_destroy', [OBJ])();
    g.call('sem_wait', [OBJ])();
    expect(g.findings.count()).toBe(2);
  });
});

describe('calls inside calls and reused memory', () => {
  it('leaves the OS’s own calls inside a user call alone, per task and in handler mode', () => {
    const g = guest();
    const rdlockReturns = g.call('pthread_rwlock_rdlock', [OBJ + 0x100], 0x1000, 0x20008000);
    // Inside it: the rwlock's own mutex (zeros here) and a tail call at the same SP.
    g.call('pthread_mutex_lock', [OBJ], 0x5000, 0x20007fc0)();
    g.call('sem_post', [OBJ + 0x40], 0x5000, 0x20008000)();
    expect(g.findings.count()).toBe(1); // the rwlock's zeros only
    // Another task meanwhile, and an interrupt handler, are users.
    g.task = 'other (pid 2)';
    g.call('pthread_mutex_lock', [OBJ], 0x6000, 0x20007fc0)();
    g.task = 'main (pid 1)';
    g.ipsr = 15;
    g.write(OBJ + 0x40, [0, 0, 0, 0, 9]);
    g.call('sem_post', [OBJ + 0x40], 0x7000, 0x20007f00)();
    g.ipsr = 0;
    expect(g.findings.count()).toBe(3);
    rdlockReturns();
    // Returned: main's next call is its own again.
    g.call('pthread_mutex_lock', [OBJ + 0x200], 0x8000, 0x20007fc0)();
    expect(g.findings.count()).toBe(4);
    expect(g.messages()[3]).toMatch(/^pthread_mutex_lock\(0x20000300\) at site_8000/);
  });

  it('forgets the objects in a new heap block', () => {
    const g = guest([
      { name: 'malloc', value: 0x100, size: 8, type: 2 },
      { name: 'realloc', value: 0x200, size: 8, type: 2 },
    ]);
    g.call('pthread_cond_init', [OBJ + 8, 0])();
    g.call('pthread_cond_signal', [OBJ + 8])();
    g.call('malloc', [32])(OBJ); // the block the cond lay in, given out again
    g.write(OBJ + 8, [0x55]);
    g.call('pthread_cond_signal', [OBJ + 8])();
    g.call('malloc', [32])(OBJ + 0x1000); // elsewhere: nothing to forget
    g.call('pthread_cond_init', [OBJ + 0x80, 0])();
    g.call('malloc', [16])(OBJ + 0x70); // [0x70, 0x80): the cond at 0x80 is not in it
    g.write(OBJ + 0x80, [0x55]);
    g.call('pthread_cond_signal', [OBJ + 0x80])();
    // realloc: a block resized in place keeps its objects; one moved elsewhere is new memory.
    g.call('pthread_cond_init', [OBJ + 0x208, 0])();
    g.call('realloc', [OBJ + 0x200, 64])(OBJ + 0x200);
    g.write(OBJ + 0x208, [0x55]);
    g.call('pthread_cond_signal', [OBJ + 0x208])();
    g.call('pthread_cond_init', [OBJ + 0x308, 0])();
    g.call('realloc', [OBJ + 0x200, 256])(OBJ + 0x300);
    g.write(OBJ + 0x308, [0x55]);
    g.call('pthread_cond_signal', [OBJ + 0x308])();
    expect(g.messages()).toEqual([
      expect.stringMatching(/^pthread_cond_signal\(0x20000108\)/),
      expect.stringMatching(/^pthread_cond_signal\(0x20000408\)/),
    ]);
  });
});
