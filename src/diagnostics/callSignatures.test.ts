import { describe, expect, it } from 'vitest';
import { NUTTX_12, NUTTX_PTHREAD_MUTEX_INITIALIZER } from './abi/nuttx.js';
import {
  CALL_SIGNATURES,
  abiNotes,
  argRegisters,
  diagnose,
  formatCall,
  formatReturn,
  formatTraceLine,
  readCallArgs,
  type CallSignature,
  type GuestMemory,
} from './callSignatures.js';

/** A sparse little-endian guest memory: only written bytes are readable. */
class FakeMemory implements GuestMemory {
  private readonly bytes = new Map<number, number>();
  write(addr: number, data: readonly number[] | string): this {
    const list = typeof data === 'string' ? [...data].map((c) => c.charCodeAt(0)) : data;
    list.forEach((b, i) => this.bytes.set(addr + i, b & 0xff));
    return this;
  }
  write32(addr: number, value: number): this {
    return this.write(addr, [value, value >>> 8, value >>> 16, value >>> 24]);
  }
  read8(addr: number): number | undefined {
    return this.bytes.get(addr);
  }
  read16(addr: number): number | undefined {
    const lo = this.read8(addr);
    const hi = this.read8(addr + 1);
    return lo === undefined || hi === undefined ? undefined : lo | (hi << 8);
  }
  read32(addr: number): number | undefined {
    const lo = this.read16(addr);
    const hi = this.read16(addr + 2);
    return lo === undefined || hi === undefined ? undefined : (lo | (hi << 16)) >>> 0;
  }
}

function signature(name: string): CallSignature {
  const s = CALL_SIGNATURES[name];
  if (s === undefined) throw new Error(`no signature for ${name}`);
  return s;
}

const EINVAL = 22;
const ENOTTY = 25;
const ENOSYS = 38;
const ENOPROTOOPT = 92;
const EBADF = 9;

describe('the signature table', () => {
  it('has every call the tracer reports', () => {
    const wanted =
      'socket bind listen accept accept4 connect setsockopt getsockopt send sendto recv recvfrom ' +
      'shutdown ioctl fcntl open read write close stat fstat mount pthread_create pthread_join ' +
      'pthread_mutex_init pthread_mutex_lock pthread_mutex_trylock pthread_mutex_unlock ' +
      'pthread_mutex_destroy pthread_cond_init pthread_cond_wait pthread_cond_signal ' +
      'pthread_cond_broadcast pthread_cond_destroy pthread_key_create pthread_setspecific ' +
      'pthread_getspecific sem_init sem_wait sem_post sem_destroy task_create malloc calloc ' +
      'realloc free memalign';
    for (const name of wanted.split(' ')) expect(CALL_SIGNATURES[name]?.name, name).toBe(name);
  });

  it('places arguments per AAPCS: r0-r3, then the stack from SP', () => {
    expect(argRegisters(6)).toEqual([
      { register: 0 },
      { register: 1 },
      { register: 2 },
      { register: 3 },
      { stackOffset: 0 },
      { stackOffset: 4 },
    ]);
    const mem = new FakeMemory().write32(0x20002000, 4).write32(0x20002004, 0xdead);
    const regs = [3, 1, 11, 0x20001234];
    const args = readCallArgs(signature('setsockopt'), (i) => regs[i] ?? 0, 0x20002000, mem);
    expect(args).toEqual([3, 1, 11, 0x20001234, 4]);
    const unreadable = readCallArgs(signature('sendto'), () => 0, 0x30000000, mem);
    expect(unreadable.slice(4)).toEqual([undefined, undefined]);
  });
});

describe('formatting', () => {
  const mem = new FakeMemory()
    .write(0x20000100, 'hello\n"x"\x01\0')
    .write(0x20000200, [2, 0, 0x1f, 0x90, 10, 0, 2, 15]) // AF_INET, port 8080, 10.0.2.15
    .write(0x20000300, 'x'.repeat(100));

  it('decodes arguments with NuttX names, strings and sockaddrs', () => {
    expect(formatCall(signature('socket'), [2, 1, 0], mem)).toBe('socket(AF_INET, SOCK_STREAM, 0)');
    expect(formatCall(signature('bind'), [3, 0x20000200, 16], mem)).toBe(
      'bind(3, {AF_INET, 10.0.2.15:8080}, 16)',
    );
    expect(formatCall(signature('open'), [0x20000100, 0x241, 0o644], mem)).toBe(
      'open("hello\\n\\"x\\"\\x01", O_WRONLY|O_CREAT|O_TRUNC, 0644)',
    );
    // mode is only passed with O_CREAT
    expect(formatCall(signature('open'), [0x20000100, 0, 0xdead], mem)).toBe(
      'open("hello\\n\\"x\\"\\x01", O_RDONLY)',
    );
    expect(formatCall(signature('stat'), [0x20000300, 0], mem)).toBe(
      `stat("${'x'.repeat(64)}"..., NULL)`,
    );
    expect(formatCall(signature('stat'), [0x40000000, 0x20000000], mem)).toBe(
      'stat(0x40000000, 0x20000000)',
    );
    expect(formatCall(signature('fcntl'), [3, 9, 0x800], mem)).toBe(
      'fcntl(3, F_SETFL, O_RDONLY|O_NONBLOCK)',
    );
    expect(formatCall(signature('fcntl'), [3, 8, 1], mem)).toBe('fcntl(3, F_SETFD, FD_CLOEXEC)');
    expect(formatCall(signature('fcntl'), [3, 1, 0x1234], mem)).toBe('fcntl(3, F_GETFD)');
    expect(formatCall(signature('send'), [3, 0x20000100, 5, 0x4000], mem)).toBe(
      'send(3, 0x20000100, 5, MSG_NOSIGNAL)',
    );
    expect(
      formatCall(signature('task_create'), [0x20000100, 100, 2048, 0x08001235, 0], mem, {
        symbolize: (addr) => (addr === 0x08001235 ? 'hello_main' : undefined),
      }),
    ).toBe('task_create("hello\\n\\"x\\"\\x01", 100, 2048, hello_main, NULL)');
    expect(formatCall(signature('setsockopt'), [3, 6, 16, 0x20001234, 4], mem)).toBe(
      'setsockopt(3, IPPROTO_TCP, TCP_NODELAY, 0x20001234, 4)',
    );
    expect(formatCall(signature('recvfrom'), [3, 0x2000, 64, 0, 0x3000, undefined], mem)).toBe(
      'recvfrom(3, 0x2000, 64, 0, 0x3000, ?)',
    );
  });

  it('formats returns by kind', () => {
    expect(formatReturn(signature('socket'), 3, undefined)).toBe('= 3');
    expect(formatReturn(signature('socket'), -1, EINVAL)).toBe('= -1 EINVAL');
    expect(formatReturn(signature('read'), 0xffffffff, 11)).toBe('= -1 EAGAIN');
    expect(formatReturn(signature('malloc'), 0, 12)).toBe('= NULL ENOMEM');
    expect(formatReturn(signature('malloc'), 0x20003000, undefined)).toBe('= 0x20003000');
    expect(formatReturn(signature('pthread_mutex_trylock'), 16, undefined)).toBe('= EBUSY');
    expect(formatReturn(signature('pthread_mutex_lock'), 0, undefined)).toBe('= 0');
    expect(formatReturn(signature('pthread_getspecific'), 0, undefined)).toBe('= NULL');
    expect(formatReturn(signature('free'), 0, undefined)).toBe('');
  });
});

describe("the talk's four cases (Rust's libc with Linux's constants on NuttX)", () => {
  const mem = new FakeMemory();

  it('1. SOCK_CLOEXEC in socket() type: NuttX has had Linux value since 2020', () => {
    const sock = signature('socket');
    const args = [2, 0x80001, 0]; // AF_INET, SOCK_STREAM|SOCK_CLOEXEC (Linux 02000000)
    expect(formatTraceLine(sock, args, 3, undefined, mem)).toBe(
      'socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3',
    );
    // Were it to fail, no argument is to blame.
    expect(diagnose(sock, args, -1, EINVAL)).toBe(
      "every argument is a value NuttX defines; the call's state or a range made it fail",
    );
    // A type flag NuttX does not know (net/socket/socket.c answers EINVAL) is named.
    expect(formatTraceLine(sock, [2, 0x100001, 0], -1, EINVAL, mem)).toBe(
      'socket(AF_INET, SOCK_STREAM|0x100000, 0) = -1 EINVAL — ' +
        'type: 0x100000 is not a socket type flag NuttX defines',
    );
  });

  it("2. setsockopt() with Linux's SOL_SOCKET and SO_REUSEADDR", () => {
    const set = signature('setsockopt');
    const args = [3, 1, 2, 0x20001234, 4]; // Linux: SOL_SOCKET = 1, SO_REUSEADDR = 2
    // NuttX accepts it — as SO_DEBUG: the silent case, shown by abiNotes.
    expect(formatTraceLine(set, args, 0, undefined, mem)).toBe(
      'setsockopt(3, SOL_SOCKET, SO_DEBUG, 0x20001234, 4) = 0',
    );
    expect(abiNotes(set, args)).toEqual([
      "option: 2 is Linux's SO_REUSEADDR; NuttX's is 11 (NuttX reads 2 as SO_DEBUG)",
    ]);
    expect(diagnose(set, args, -1, ENOPROTOOPT)).toBe(
      "option: 2 is Linux's SO_REUSEADDR; NuttX's is 11 (NuttX reads 2 as SO_DEBUG)",
    );
    // Linux's SO_SNDTIMEO (21) is no SOL_SOCKET option at all on NuttX...
    expect(formatTraceLine(set, [3, 1, 21, 0x20001234, 8], -1, ENOPROTOOPT, mem)).toBe(
      'setsockopt(3, SOL_SOCKET, 21, 0x20001234, 8) = -1 ENOPROTOOPT — ' +
        "option: 21 is Linux's SO_SNDTIMEO; NuttX's is 14",
    );
    // ...and its SO_RCVTIMEO (20) is NuttX's SO_TIMESTAMPNS.
    expect(diagnose(set, [3, 1, 20, 0x20001234, 8], -1, EINVAL)).toBe(
      "option: 20 is Linux's SO_RCVTIMEO; NuttX's is 10 (NuttX reads 20 as SO_TIMESTAMPNS)",
    );
    // An unknown level.
    expect(diagnose(set, [3, 263, 1, 0, 4], -1, ENOPROTOOPT)).toBe(
      "level: 263 is Linux's SOL_PACKET; NuttX's is 19",
    );
  });

  it("3. ioctl() with Linux's FIOCLEX", () => {
    const ioctl = signature('ioctl');
    expect(formatTraceLine(ioctl, [3, 0x5451, 0], -1, ENOTTY, mem)).toBe(
      'ioctl(3, 0x5451, 0x0) = -1 ENOTTY — ' +
        "request: 0x5451 is Linux's FIOCLEX; NuttX's is 0x30b",
    );
    expect(formatTraceLine(ioctl, [3, 0x30b, 0], 0, undefined, mem)).toBe(
      'ioctl(3, FIOCLEX, 0x0) = 0',
    );
    // Known request, driver says no: a neutral hint.
    expect(diagnose(ioctl, [3, 0x101, 0x20000000], -1, ENOTTY)).toBe(
      'the driver behind descriptor 3 does not handle this request',
    );
    // fcntl(F_SETFD) with Linux's number (2) is NuttX's F_GETFL.
    expect(diagnose(signature('fcntl'), [3, 2, 1], -1, EINVAL)).toBe(
      "cmd: 2 is Linux's F_SETFD; NuttX's is 8 (NuttX reads 2 as F_GETFL)",
    );
  });

  it("4. pthread mutexes: Linux's zero initialiser and Linux's mutex type numbers", () => {
    const lock = signature('pthread_mutex_lock');
    const zeroed = new FakeMemory().write(0x20004000, new Array<number>(24).fill(0));
    expect(formatCall(lock, [0x20004000], zeroed)).toBe(
      "pthread_mutex_lock(0x20004000 {24 zero bytes: Linux's PTHREAD_MUTEX_INITIALIZER})",
    );
    const why = diagnose(signature('pthread_mutex_trylock'), [0x20004000], 16, undefined, {
      mem: zeroed,
    });
    expect(why).toBe(
      "mutex 0x20004000 holds 24 zero bytes, Linux's PTHREAD_MUTEX_INITIALIZER; NuttX reads it " +
        'as a counting semaphore with no counts (no SEM_TYPE_MUTEX flag), so a lock waits ' +
        "forever; NuttX's PTHREAD_MUTEX_INITIALIZER is " +
        '00 00 00 00 00 00 00 00 fe ff ff 7f 04 00 00 00 00 00 00 00 00 00 00 00',
    );
    const good = new FakeMemory().write(0x20004000, NUTTX_PTHREAD_MUTEX_INITIALIZER);
    expect(formatTraceLine(lock, [0x20004000], 0, undefined, good)).toBe(
      'pthread_mutex_lock(0x20004000 {unlocked}) = 0',
    );
    const held = new FakeMemory()
      .write(0x20004000, NUTTX_PTHREAD_MUTEX_INITIALIZER)
      .write32(0x20004008, 0x80000003);
    expect(formatCall(lock, [0x20004000], held)).toBe(
      'pthread_mutex_lock(0x20004000 {held by task 3, with waiters})',
    );
    // Rust's ReentrantMutex asks for PTHREAD_MUTEX_RECURSIVE = 1 (Linux); without
    // CONFIG_PTHREAD_MUTEX_TYPES NuttX answers ENOSYS for anything but NORMAL.
    const settype = signature('pthread_mutexattr_settype');
    expect(formatTraceLine(settype, [0x20005000, 1], ENOSYS, undefined, mem)).toBe(
      'pthread_mutexattr_settype(0x20005000, PTHREAD_MUTEX_ERRORCHECK) = ENOSYS — ' +
        "type: 1 is Linux's PTHREAD_MUTEX_RECURSIVE; NuttX's is 2 " +
        '(NuttX reads 1 as PTHREAD_MUTEX_ERRORCHECK)',
    );
  });
});

describe('diagnose', () => {
  it('stays quiet for successes and for errors a constant does not cause', () => {
    expect(diagnose(signature('socket'), [2, 1, 0], 3, undefined)).toBeUndefined();
    expect(diagnose(signature('connect'), [3, 0, 16], -1, 111)).toBeUndefined(); // ECONNREFUSED
  });

  it('gives neutral hints when every argument is a NuttX value', () => {
    expect(diagnose(signature('close'), [7], -1, EBADF)).toBe(
      'descriptor 7 is not open (or not of the right type) in this task',
    );
    expect(diagnose(signature('accept4'), [3, 0, 0, 0x80000], -1, ENOSYS)).toBe(
      'NuttX does not provide this operation in this configuration (see its Kconfig options)',
    );
  });

  it("flags Linux's open flags on NuttX 12.x (before they were aligned with Linux)", () => {
    const open = signature('open');
    const mem = new FakeMemory().write(0x20000100, '/dev/ttyS0\0');
    // Linux O_RDONLY|O_CLOEXEC
    expect(formatTraceLine(open, [0x20000100, 0x80000], -1, EINVAL, mem, { abi: NUTTX_12 })).toBe(
      'open("/dev/ttyS0", 0|0x80000) = -1 EINVAL — ' +
        "oflags: 0 is Linux's O_RDONLY; NuttX's is 1; oflags: 0x80000 is Linux's O_CLOEXEC; NuttX's is 0x400",
    );
  });
});
