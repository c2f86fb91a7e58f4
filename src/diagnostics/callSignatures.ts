/**
 * Call signatures of the POSIX/libc entry points `--trace-calls` reports, and where their
 * arguments are at the call's first instruction (AAPCS).
 *
 * Each argument has a kind saying how to show it — a NuttX constant name (socket type, option
 * level, ioctl request...), a string read from guest memory, a sockaddr — and each call a return
 * kind saying how success and failure look (-1 and errno; NULL; the error number itself, as
 * pthread functions return it). Formatting and diagnosis live in callFormat.ts.
 *
 * Prototypes as NuttX declares them (include/sys/socket.h, fcntl.h, unistd.h, sys/ioctl.h,
 * sys/stat.h, sys/mount.h, pthread.h, semaphore.h, sched.h, stdlib.h, malloc.h).
 */

import type { GuestMemory } from './guestMemory.js';

export type { GuestMemory };

export type ArgKind =
  | 'int' // signed decimal
  | 'uint' // unsigned decimal
  | 'hex'
  | 'pointer' // hex, NULL for 0
  | 'function' // code address (symbolised when a symboliser is given)
  | 'cstring' // NUL-terminated string in guest memory
  | 'fd'
  | 'sockaddr' // const struct sockaddr *: AF_INET/AF_INET6 decoded from memory
  | 'sockaddr-out' // struct sockaddr * the call fills in: shown as a pointer
  | 'socket-domain' // AF_*
  | 'socket-type' // SOCK_* | SOCK_CLOEXEC | SOCK_NONBLOCK
  | 'socket-flags' // accept4()'s SOCK_CLOEXEC | SOCK_NONBLOCK
  | 'sockopt-level' // SOL_SOCKET, IPPROTO_*
  | 'sockopt-name' // SO_*/IP_*/TCP_*..., by the preceding sockopt-level argument
  | 'ioctl-request'
  | 'ioctl-arg' // hex; its meaning depends on the driver
  | 'fcntl-cmd'
  | 'fcntl-arg' // by the preceding fcntl-cmd: open flags, FD_CLOEXEC, an int, or absent
  | 'open-flags' // O_RDONLY|O_CREAT...
  | 'mode' // octal; open()'s third argument only when O_CREAT/O_TMPFILE asks for it
  | 'size' // unsigned decimal
  | 'msg-flags' // MSG_*
  | 'shutdown-how' // SHUT_*
  | 'errno'
  | 'pthread-mutex' // pthread_mutex_t *: the pointee's state is shown when readable
  | 'mutex-type'; // PTHREAD_MUTEX_*

export type ReturnKind =
  | 'int' // 0 or a count; -1 and errno on failure
  | 'fd' // a descriptor; -1 and errno on failure
  | 'ssize' // a byte count; -1 and errno on failure
  | 'pid' // a task id; -1 (ERROR) and errno on failure
  | 'pointer' // NULL (and usually errno ENOMEM) on failure
  | 'pointer-value' // a pointer that is not a success indicator (pthread_getspecific)
  | 'void'
  | 'pthread'; // 0, or the error number itself (errno untouched)

export interface ArgSpec {
  readonly name: string;
  readonly kind: ArgKind;
}

export interface CallSignature {
  readonly name: string;
  readonly args: readonly ArgSpec[];
  readonly returns: ReturnKind;
}

const a = (name: string, kind: ArgKind): ArgSpec => ({ name, kind });
const sig = (name: string, returns: ReturnKind, ...args: ArgSpec[]): CallSignature => ({
  name,
  args,
  returns,
});

const mutex = a('mutex', 'pthread-mutex');
const cond = a('cond', 'pointer');
const sem = a('sem', 'pointer');
const sockfd = a('sockfd', 'fd');

const SIGNATURES: readonly CallSignature[] = [
  // sys/socket.h
  sig('socket', 'fd', a('domain', 'socket-domain'), a('type', 'socket-type'), a('protocol', 'int')),
  sig('bind', 'int', sockfd, a('addr', 'sockaddr'), a('addrlen', 'uint')),
  sig('listen', 'int', sockfd, a('backlog', 'int')),
  sig('accept', 'fd', sockfd, a('addr', 'sockaddr-out'), a('addrlen', 'pointer')),
  sig(
    'accept4',
    'fd',
    sockfd,
    a('addr', 'sockaddr-out'),
    a('addrlen', 'pointer'),
    a('flags', 'socket-flags'),
  ),
  sig('connect', 'int', sockfd, a('addr', 'sockaddr'), a('addrlen', 'uint')),
  sig(
    'setsockopt',
    'int',
    sockfd,
    a('level', 'sockopt-level'),
    a('option', 'sockopt-name'),
    a('value', 'pointer'),
    a('value_len', 'uint'),
  ),
  sig(
    'getsockopt',
    'int',
    sockfd,
    a('level', 'sockopt-level'),
    a('option', 'sockopt-name'),
    a('value', 'pointer'),
    a('value_len', 'pointer'),
  ),
  sig('send', 'ssize', sockfd, a('buf', 'pointer'), a('len', 'size'), a('flags', 'msg-flags')),
  sig(
    'sendto',
    'ssize',
    sockfd,
    a('buf', 'pointer'),
    a('len', 'size'),
    a('flags', 'msg-flags'),
    a('to', 'sockaddr'),
    a('tolen', 'uint'),
  ),
  sig('recv', 'ssize', sockfd, a('buf', 'pointer'), a('len', 'size'), a('flags', 'msg-flags')),
  sig(
    'recvfrom',
    'ssize',
    sockfd,
    a('buf', 'pointer'),
    a('len', 'size'),
    a('flags', 'msg-flags'),
    a('from', 'sockaddr-out'),
    a('fromlen', 'pointer'),
  ),
  sig('shutdown', 'int', sockfd, a('how', 'shutdown-how')),
  // sys/ioctl.h, fcntl.h, unistd.h, sys/stat.h, sys/mount.h (ioctl and fcntl are variadic;
  // the third argument is read from r2 whether or not the caller passed one)
  sig('ioctl', 'int', a('fd', 'fd'), a('request', 'ioctl-request'), a('arg', 'ioctl-arg')),
  sig('fcntl', 'int', a('fd', 'fd'), a('cmd', 'fcntl-cmd'), a('arg', 'fcntl-arg')),
  sig('open', 'fd', a('path', 'cstring'), a('oflags', 'open-flags'), a('mode', 'mode')),
  sig('read', 'ssize', a('fd', 'fd'), a('buf', 'pointer'), a('nbytes', 'size')),
  sig('write', 'ssize', a('fd', 'fd'), a('buf', 'pointer'), a('nbytes', 'size')),
  sig('close', 'int', a('fd', 'fd')),
  sig('stat', 'int', a('path', 'cstring'), a('buf', 'pointer')),
  sig('fstat', 'int', a('fd', 'fd'), a('buf', 'pointer')),
  sig(
    'mount',
    'int',
    a('source', 'cstring'),
    a('target', 'cstring'),
    a('filesystemtype', 'cstring'),
    a('mountflags', 'hex'),
    a('data', 'pointer'),
  ),
  // pthread.h: pthread_t and pthread_key_t are ints on NuttX
  sig(
    'pthread_create',
    'pthread',
    a('thread', 'pointer'),
    a('attr', 'pointer'),
    a('start_routine', 'function'),
    a('arg', 'pointer'),
  ),
  sig('pthread_join', 'pthread', a('thread', 'int'), a('value', 'pointer')),
  sig('pthread_mutex_init', 'pthread', mutex, a('attr', 'pointer')),
  sig('pthread_mutex_lock', 'pthread', mutex),
  sig('pthread_mutex_trylock', 'pthread', mutex),
  sig('pthread_mutex_unlock', 'pthread', mutex),
  sig('pthread_mutex_destroy', 'pthread', mutex),
  sig('pthread_mutexattr_init', 'pthread', a('attr', 'pointer')),
  sig('pthread_mutexattr_settype', 'pthread', a('attr', 'pointer'), a('type', 'mutex-type')),
  sig('pthread_mutexattr_destroy', 'pthread', a('attr', 'pointer')),
  sig('pthread_cond_init', 'pthread', cond, a('attr', 'pointer')),
  sig('pthread_cond_wait', 'pthread', cond, mutex),
  sig('pthread_cond_signal', 'pthread', cond),
  sig('pthread_cond_broadcast', 'pthread', cond),
  sig('pthread_cond_destroy', 'pthread', cond),
  sig('pthread_key_create', 'pthread', a('key', 'pointer'), a('destructor', 'function')),
  sig('pthread_setspecific', 'pthread', a('key', 'int'), a('value', 'pointer')),
  sig('pthread_getspecific', 'pointer-value', a('key', 'int')),
  // semaphore.h
  sig('sem_init', 'int', sem, a('pshared', 'int'), a('value', 'uint')),
  sig('sem_wait', 'int', sem),
  sig('sem_post', 'int', sem),
  sig('sem_destroy', 'int', sem),
  // sched.h
  sig(
    'task_create',
    'pid',
    a('name', 'cstring'),
    a('priority', 'int'),
    a('stack_size', 'int'),
    a('entry', 'function'),
    a('argv', 'pointer'),
  ),
  // stdlib.h, malloc.h
  sig('malloc', 'pointer', a('size', 'size')),
  sig('calloc', 'pointer', a('nmemb', 'size'), a('size', 'size')),
  sig('realloc', 'pointer', a('ptr', 'pointer'), a('size', 'size')),
  sig('free', 'void', a('ptr', 'pointer')),
  sig('memalign', 'pointer', a('alignment', 'size'), a('size', 'size')),
];

/** The signatures by function name. */
export const CALL_SIGNATURES: Readonly<Record<string, CallSignature>> = Object.fromEntries(
  SIGNATURES.map((s) => [s.name, s]),
);

/** Where an argument is at the first instruction of the callee. */
export type ArgLocation =
  | { readonly register: number } // r0..r3
  | { readonly stackOffset: number }; // bytes above SP

/**
 * AAPCS (the procedure call standard NuttX and GCC use on Cortex-M): the first four 32-bit
 * arguments in r0-r3, the rest on the stack at SP, SP+4, ... as the callee's first instruction
 * sees SP. A 64-bit argument would take an even register pair (r0:r1 or r2:r3, skipping r1 or
 * r3) or an 8-byte-aligned stack slot; no function in the table has one on this configuration
 * (they take ints, pointers and size_t; off_t is 32-bit with CONFIG_FS_LARGEFILE off), so every
 * argument here is one 32-bit slot.
 */
export function argRegisters(count: number): ArgLocation[] {
  const locations: ArgLocation[] = [];
  for (let i = 0; i < count; i++) {
    locations.push(i < 4 ? { register: i } : { stackOffset: (i - 4) * 4 });
  }
  return locations;
}

/** The call's arguments, read at its first instruction; undefined for an unreadable stack slot. */
export function readCallArgs(
  sig: CallSignature,
  register: (n: number) => number,
  sp: number,
  mem: GuestMemory,
): (number | undefined)[] {
  return argRegisters(sig.args.length).map((loc) =>
    'register' in loc ? register(loc.register) >>> 0 : mem.read32((sp + loc.stackOffset) >>> 0),
  );
}

// Formatting and diagnosis (callFormat.ts), re-exported so callers need one import.
export {
  abiNotes,
  describeMutex,
  diagnose,
  failureCode,
  formatCall,
  formatReturn,
  formatSockaddr,
  formatTraceLine,
  mutexHoldsLinuxInitializer,
  quoteCString,
  type DiagnoseOptions,
  type FormatOptions,
} from './callFormat.js';
