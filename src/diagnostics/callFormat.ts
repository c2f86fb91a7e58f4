/**
 * strace-style lines for traced calls — `setsockopt(3, SOL_SOCKET, SO_REUSEADDR, 0x20001234, 4)`
 * `= -1 ENOPROTOOPT (Protocol not available)` — with arguments decoded by the target OS's own
 * constants (NuttX's), and a diagnosis for the failures a wrong constant causes (EINVAL, ENOSYS,
 * ENOTTY, ENOPROTOOPT, EBADF): which argument NuttX did not recognise and, when it is Linux's
 * value of a constant, which one — `0x5451 is Linux's FIOCLEX; NuttX's is 0x30b`.
 */
import {
  decodeEnum,
  decodeErrno,
  decodeFlags,
  decodeOpenFlags,
  decodeSocketType,
  explainMisread,
  explainUnknown,
  formatNumber,
  hex,
  nameOf,
  unknownFlagBits,
} from './abi/decode.js';
import { LINUX_ARM, LINUX_PTHREAD_MUTEX_INITIALIZER } from './abi/linux.js';
import { NUTTX, NUTTX_PTHREAD_MUTEX_INITIALIZER } from './abi/nuttx.js';
import { KIND_INFO, type AbiKind, type OsAbi } from './abi/table.js';
import type { ArgKind, CallSignature, GuestMemory } from './callSignatures.js';

export interface FormatOptions {
  /** The target OS's tables (default NuttX 13.x). */
  readonly abi?: OsAbi;
  /** The OS whose constants a wrong value is compared with (default Linux arm). */
  readonly other?: OsAbi;
  /** Longest string shown before `...` (default 64). */
  readonly maxString?: number;
  /** Names a code address (function pointers); undefined to show hex. */
  readonly symbolize?: (addr: number) => string | undefined;
}

const DEFAULT_MAX_STRING = 64;

/** A C string from guest memory, quoted, escaped; the address if the first byte is unreadable. */
export function quoteCString(mem: GuestMemory, addr: number, max = DEFAULT_MAX_STRING): string {
  if (addr === 0) return 'NULL';
  let out = '';
  for (let i = 0; i < max; i++) {
    const byte = mem.read8((addr + i) >>> 0);
    if (byte === undefined) return i === 0 ? hex(addr) : `"${out}"...`;
    if (byte === 0) return `"${out}"`;
    out += escapeByte(byte);
  }
  return `"${out}"...`;
}

function escapeByte(byte: number): string {
  switch (byte) {
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
  }
  return byte >= 0x20 && byte < 0x7f
    ? String.fromCharCode(byte)
    : `\\x${byte.toString(16).padStart(2, '0')}`;
}

/** `{AF_INET, 10.0.2.15:8080}` from a struct sockaddr in guest memory (NuttX = BSD layout). */
export function formatSockaddr(mem: GuestMemory, addr: number, abi: OsAbi = NUTTX): string {
  if (addr === 0) return 'NULL';
  const family = mem.read16(addr);
  if (family === undefined) return hex(addr);
  const familyName = decodeEnum(abi.tables.addressFamily, family);
  const bytes = (offset: number, n: number): number[] | undefined => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const b = mem.read8((addr + offset + i) >>> 0);
      if (b === undefined) return undefined;
      out.push(b);
    }
    return out;
  };
  // sin_port / sin6_port at +2, in network byte order.
  const portBytes = bytes(2, 2);
  const port = portBytes ? ((portBytes[0] ?? 0) << 8) | (portBytes[1] ?? 0) : undefined;
  if (family === abi.tables.addressFamily.AF_INET) {
    const ip = bytes(4, 4); // sin_addr
    if (ip && port !== undefined) return `{${familyName}, ${ip.join('.')}:${port}}`;
  } else if (family === abi.tables.addressFamily.AF_INET6) {
    const ip = bytes(8, 16); // after sin6_port (2) and sin6_flowinfo (4)
    if (ip && port !== undefined) {
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) {
        groups.push((((ip[i] ?? 0) << 8) | (ip[i + 1] ?? 0)).toString(16));
      }
      return `{${familyName}, [${groups.join(':')}]:${port}}`;
    }
  }
  return `{${familyName}}`;
}

const LINUX_ZERO_MUTEX = "24 zero bytes: Linux's PTHREAD_MUTEX_INITIALIZER";

/**
 * The state of a NuttX pthread_mutex_t (layout of nuttx.ts's NUTTX_PTHREAD_MUTEX_INITIALIZER):
 * `unlocked`, `held by task 3`, or, for 24 zero bytes, Linux's initialiser (which NuttX takes
 * for a counting semaphore with no counts). Undefined when unreadable or not recognisable.
 */
export function describeMutex(mem: GuestMemory, addr: number): string | undefined {
  if (addr === 0) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < NUTTX_PTHREAD_MUTEX_INITIALIZER.length; i++) {
    const b = mem.read8((addr + i) >>> 0);
    if (b === undefined) return undefined;
    bytes.push(b);
  }
  if (bytes.every((b, i) => b === LINUX_PTHREAD_MUTEX_INITIALIZER[i])) return LINUX_ZERO_MUTEX;
  const word = (o: number): number =>
    ((bytes[o] ?? 0) |
      ((bytes[o + 1] ?? 0) << 8) |
      ((bytes[o + 2] ?? 0) << 16) |
      ((bytes[o + 3] ?? 0) << 24)) >>>
    0;
  const semFlags = bytes[12] ?? 0;
  if ((semFlags & 4) === 0) return undefined; // not SEM_TYPE_MUTEX: not a NuttX mutex image
  const holder = word(8);
  if (holder === 0x7ffffffe) return 'unlocked'; // NXSEM_NO_MHOLDER
  if (holder === 0x7fffffff) return 'reset'; // NXSEM_MRESET
  const waiters = holder & 0x80000000 ? ', with waiters' : ''; // NXSEM_MBLOCKING_BIT
  return `held by task ${holder & 0x7fffffff}${waiters}`;
}

/** The constant kind of a sockopt-name argument, from the level argument's value. */
function optionKind(level: number | undefined, abi: OsAbi): AbiKind | undefined {
  const levels = abi.tables.level;
  if (level === levels.SOL_SOCKET) return 'socketOption';
  if (level === levels.IPPROTO_IP) return 'ipOption';
  if (level === levels.IPPROTO_TCP) return 'tcpOption';
  if (level === levels.IPPROTO_IPV6) return 'ipv6Option';
  return undefined;
}

/** fcntl's third argument, by command: its constant kind, 'int', 'pointer', or absent. */
function fcntlArgKind(cmd: number | undefined, abi: OsAbi): AbiKind | 'int' | 'pointer' | 'none' {
  const name = cmd === undefined ? undefined : nameOf(abi.tables.fcntlCmd, cmd);
  switch (name) {
    case 'F_SETFD':
      return 'fdFlag';
    case 'F_SETFL':
      return 'openFlag';
    case 'F_GETFD':
    case 'F_GETFL':
    case 'F_GETOWN':
    case 'F_GETSIG':
    case 'F_GETLEASE':
    case 'F_GETPIPE_SZ':
    case 'F_GET_SEALS':
      return 'none';
    case 'F_DUPFD':
    case 'F_DUPFD_CLOEXEC':
    case 'F_SETOWN':
    case 'F_SETSIG':
    case 'F_SETLEASE':
    case 'F_SETPIPE_SZ':
    case 'F_ADD_SEALS':
    case 'F_NOTIFY':
      return 'int';
  }
  return 'pointer';
}

/** open()'s mode is passed only when the flags ask for it (O_CREAT, or O_TMPFILE's bit). */
function openTakesMode(flags: number | undefined, abi: OsAbi): boolean {
  const t = abi.tables.openFlag;
  const wants = (t.O_CREAT ?? 0) | (t.__O_TMPFILE ?? 0);
  return flags !== undefined && (flags & wants) !== 0;
}

function argOfKind(
  sig: CallSignature,
  args: readonly (number | undefined)[],
  kind: ArgKind,
): number | undefined {
  const i = sig.args.findIndex((spec) => spec.kind === kind);
  return i < 0 ? undefined : args[i];
}

/** One argument as the trace shows it; undefined to leave it out (an absent variadic). */
function formatArg(
  sig: CallSignature,
  args: readonly (number | undefined)[],
  index: number,
  mem: GuestMemory,
  opts: FormatOptions,
): string | undefined {
  const spec = sig.args[index];
  const value = args[index];
  if (spec === undefined) return undefined;
  const abi = opts.abi ?? NUTTX;
  const t = abi.tables;
  if (spec.kind === 'mode' && !openTakesMode(argOfKind(sig, args, 'open-flags'), abi)) {
    return undefined;
  }
  if (
    spec.kind === 'fcntl-arg' &&
    fcntlArgKind(argOfKind(sig, args, 'fcntl-cmd'), abi) === 'none'
  ) {
    return undefined;
  }
  if (value === undefined) return '?';
  const v = value >>> 0;
  const signed = value | 0;
  switch (spec.kind) {
    case 'int':
    case 'fd':
      return String(signed);
    case 'uint':
    case 'size':
      return String(v);
    case 'hex':
    case 'ioctl-arg':
      return hex(v);
    case 'pointer':
    case 'sockaddr-out':
      return v === 0 ? 'NULL' : hex(v);
    case 'function':
      return v === 0 ? 'NULL' : (opts.symbolize?.(v) ?? hex(v));
    case 'cstring':
      return quoteCString(mem, v, opts.maxString);
    case 'sockaddr':
      return formatSockaddr(mem, v, abi);
    case 'socket-domain':
      return decodeEnum(t.addressFamily, signed);
    case 'socket-type':
      return decodeSocketType(v, abi);
    case 'socket-flags':
    case 'msg-flags':
      return decodeFlags(spec.kind === 'msg-flags' ? t.msgFlag : t.socketFlag, v);
    case 'sockopt-level':
      return decodeEnum(t.level, signed);
    case 'sockopt-name': {
      const kind = optionKind(argOfKind(sig, args, 'sockopt-level'), abi);
      return kind === undefined ? String(signed) : decodeEnum(t[kind], signed);
    }
    case 'ioctl-request':
      return decodeEnum(t.ioctl, v, 'hex');
    case 'fcntl-cmd':
      return decodeEnum(t.fcntlCmd, signed);
    case 'fcntl-arg': {
      const kind = fcntlArgKind(argOfKind(sig, args, 'fcntl-cmd'), abi);
      if (kind === 'fdFlag') return decodeFlags(t.fdFlag, v);
      if (kind === 'openFlag') return decodeOpenFlags(v, abi);
      return kind === 'int' ? String(signed) : hex(v);
    }
    case 'open-flags':
      return decodeOpenFlags(v, abi);
    case 'mode':
      return `0${v.toString(8)}`;
    case 'shutdown-how':
      return decodeEnum(t.shutdownHow, signed);
    case 'errno':
      return decodeErrno(signed, abi);
    case 'mutex-type':
      return decodeEnum(t.mutexType, signed);
    case 'pthread-mutex': {
      if (v === 0) return 'NULL';
      const state = describeMutex(mem, v);
      return state === undefined ? hex(v) : `${hex(v)} {${state}}`;
    }
  }
}

/** `name(arg, arg, ...)` with the arguments decoded (`args` as read by readCallArgs). */
export function formatCall(
  sig: CallSignature,
  args: readonly (number | undefined)[],
  mem: GuestMemory,
  opts: FormatOptions = {},
): string {
  const shown: string[] = [];
  for (let i = 0; i < sig.args.length; i++) {
    const text = formatArg(sig, args, i, mem, opts);
    if (text !== undefined) shown.push(text);
  }
  return `${sig.name}(${shown.join(', ')})`;
}

/**
 * The error number of a failed call, or undefined if it succeeded: errno when an int-returning
 * call gave -1 (or a pointer-returning one NULL), the return value itself for pthread functions.
 */
export function failureCode(
  sig: CallSignature,
  ret: number,
  errno: number | undefined,
): number | undefined {
  switch (sig.returns) {
    case 'int':
    case 'fd':
    case 'ssize':
    case 'pid':
      return (ret | 0) === -1 ? (errno ?? 0) : undefined;
    case 'pointer':
      return ret >>> 0 === 0 ? (errno ?? 0) : undefined;
    case 'pthread':
      return ret === 0 ? undefined : ret | 0;
    case 'pointer-value':
    case 'void':
      return undefined;
  }
}

/** `= 3`, `= -1 EINVAL`, `= NULL ENOMEM`, `= EBUSY`. */
export function formatReturn(
  sig: CallSignature,
  ret: number,
  errno: number | undefined,
  opts: FormatOptions = {},
): string {
  const abi = opts.abi ?? NUTTX;
  const withErrno = (shown: string): string => {
    if (errno === undefined || errno === 0) return `= ${shown}`;
    return `= ${shown} ${decodeErrno(errno, abi)}`;
  };
  switch (sig.returns) {
    case 'int':
    case 'fd':
    case 'ssize':
    case 'pid':
      return (ret | 0) === -1 ? withErrno('-1') : `= ${ret | 0}`;
    case 'pointer':
      return ret >>> 0 === 0 ? withErrno('NULL') : `= ${hex(ret)}`;
    case 'pointer-value':
      return ret >>> 0 === 0 ? '= NULL' : `= ${hex(ret)}`;
    case 'void':
      return '';
    case 'pthread':
      return ret === 0 ? '= 0' : `= ${decodeErrno(ret | 0, abi)}`;
  }
}

/** The failures a wrong constant produces, and so the ones diagnose() looks into. */
const FLAGGED_ERRNOS = ['EINVAL', 'ENOSYS', 'ENOTTY', 'ENOPROTOOPT', 'EBADF'] as const;

interface ArgFinding {
  /** The argument holds a value (or bits) the target OS does not define. */
  readonly unknown?: string;
  /** The value is defined, but the other OS means something else by it. */
  readonly misread?: string;
}

/** Checks one argument against the target's tables. */
function checkArg(
  sig: CallSignature,
  args: readonly (number | undefined)[],
  index: number,
  abi: OsAbi,
  other: OsAbi,
): ArgFinding {
  const spec = sig.args[index];
  const value = args[index];
  if (spec === undefined || value === undefined) return {};
  const t = abi.tables;
  const label = (kind: AbiKind, v: number): string =>
    `${formatNumber(kind, v)} is not a ${KIND_INFO[kind].label} ${abi.name} defines`;
  const asEnum = (kind: AbiKind, v: number): ArgFinding => {
    if (nameOf(t[kind], v) === undefined) {
      return { unknown: `${spec.name}: ${explainUnknown(kind, v, abi, other) ?? label(kind, v)}` };
    }
    const misread = explainMisread(kind, v, abi, other);
    return misread === undefined ? {} : { misread: `${spec.name}: ${misread}` };
  };
  const asFlags = (kind: AbiKind, v: number, fieldMask: number): ArgFinding => {
    const unknownBits = unknownFlagBits(t[kind], v, fieldMask);
    if (unknownBits !== 0) {
      return {
        unknown: `${spec.name}: ${explainUnknown(kind, v, abi, other) ?? label(kind, unknownBits)}`,
      };
    }
    const misread = explainMisread(kind, v, abi, other);
    return misread === undefined ? {} : { misread: `${spec.name}: ${misread}` };
  };
  // An enumerated field and flag bits in one word: the field's finding comes first.
  const fieldAndFlags = (
    fieldKind: AbiKind,
    mask: number,
    flagKind: AbiKind,
    v: number,
  ): ArgFinding => {
    const field = asEnum(fieldKind, v & mask);
    const flags = asFlags(flagKind, v, mask);
    const unknown = [field.unknown, flags.unknown].filter((s) => s !== undefined).join('; ');
    const misread = [field.misread, flags.misread].filter((s) => s !== undefined).join('; ');
    return { unknown: unknown || undefined, misread: misread || undefined };
  };
  const v = value >>> 0;
  switch (spec.kind) {
    case 'socket-domain':
      return asEnum('addressFamily', value | 0);
    case 'socket-type':
      return fieldAndFlags('socketType', abi.socketTypeMask, 'socketFlag', v);
    case 'socket-flags':
      return asFlags('socketFlag', v, 0);
    case 'sockopt-level':
      return asEnum('level', value | 0);
    case 'sockopt-name': {
      const kind = optionKind(argOfKind(sig, args, 'sockopt-level'), abi);
      return kind === undefined ? {} : asEnum(kind, value | 0);
    }
    case 'ioctl-request':
      return asEnum('ioctl', v);
    case 'fcntl-cmd':
      return asEnum('fcntlCmd', value | 0);
    case 'fcntl-arg': {
      const kind = fcntlArgKind(argOfKind(sig, args, 'fcntl-cmd'), abi);
      if (kind === 'fdFlag') return asFlags('fdFlag', v, 0);
      if (kind === 'openFlag')
        return fieldAndFlags('openAccessMode', abi.openAccessMask, 'openFlag', v);
      return {};
    }
    case 'open-flags':
      return fieldAndFlags('openAccessMode', abi.openAccessMask, 'openFlag', v);
    case 'msg-flags':
      return asFlags('msgFlag', v, 0);
    case 'shutdown-how':
      return asEnum('shutdownHow', value | 0);
    case 'mutex-type':
      return asEnum('mutexType', value | 0);
    default:
      return {};
  }
}

/** Sentences for the arguments whose values the other OS means differently (silent mistakes). */
export function abiNotes(
  sig: CallSignature,
  args: readonly (number | undefined)[],
  opts: FormatOptions = {},
): string[] {
  const abi = opts.abi ?? NUTTX;
  const other = opts.other ?? LINUX_ARM;
  const notes: string[] = [];
  for (let i = 0; i < sig.args.length; i++) {
    const finding = checkArg(sig, args, i, abi, other);
    if (finding.unknown !== undefined) notes.push(finding.unknown);
    else if (finding.misread !== undefined) notes.push(finding.misread);
  }
  return notes;
}

function neutralHint(
  name: string,
  sig: CallSignature,
  args: readonly (number | undefined)[],
  abi: OsAbi,
): string {
  const fd = argOfKind(sig, args, 'fd');
  switch (name) {
    case 'EBADF':
      return fd === undefined
        ? `every argument is a value ${abi.name} defines; check that the object was initialised`
        : `descriptor ${fd | 0} is not open (or not of the right type) in this task`;
    case 'ENOSYS':
      return (
        `${abi.name} does not provide this operation in this configuration ` +
        '(see its Kconfig options)'
      );
    case 'ENOTTY': {
      const which = fd === undefined ? '?' : String(fd | 0);
      return `the driver behind descriptor ${which} does not handle this request`;
    }
    case 'ENOPROTOOPT':
      return (
        `${abi.name} defines this option but does not support it ` +
        'for this socket or configuration'
      );
    default:
      return (
        `every argument is a value ${abi.name} defines; ` +
        "the call's state or a range made it fail"
      );
  }
}

export interface DiagnoseOptions extends FormatOptions {
  /** Guest memory, to look at what pointer arguments point to (a pthread mutex's bytes). */
  readonly mem?: GuestMemory;
}

/**
 * Why a call failed, when the failure is one a wrong constant causes (EINVAL, ENOSYS, ENOTTY,
 * ENOPROTOOPT, EBADF, or the same numbers returned by a pthread function): the argument the target
 * OS did not recognise, and the other OS's constant it is, if it is one; otherwise an argument the
 * other OS means differently; otherwise a neutral hint. A pthread mutex call on a mutex holding
 * Linux's initialiser is explained whatever the error. Undefined for successes and other errors.
 */
export function diagnose(
  sig: CallSignature,
  args: readonly (number | undefined)[],
  ret: number,
  errno: number | undefined,
  opts: DiagnoseOptions = {},
): string | undefined {
  const abi = opts.abi ?? NUTTX;
  const other = opts.other ?? LINUX_ARM;
  const code = failureCode(sig, ret, errno);
  if (code === undefined) return undefined;
  const zeroed = opts.mem && mutexHoldsLinuxInitializer(sig, args, opts.mem);
  if (zeroed) return zeroed;
  const name = nameOf(abi.tables.errno, code);
  if (!FLAGGED_ERRNOS.some((flagged) => flagged === name) || name === undefined) return undefined;
  const unknown: string[] = [];
  const misread: string[] = [];
  for (let i = 0; i < sig.args.length; i++) {
    const finding = checkArg(sig, args, i, abi, other);
    if (finding.unknown !== undefined) unknown.push(finding.unknown);
    if (finding.misread !== undefined) misread.push(finding.misread);
  }
  if (unknown.length > 0) return unknown.join('; ');
  if (misread.length > 0) return misread.join('; ');
  return neutralHint(name, sig, args, abi);
}

/**
 * For a call on a pthread_mutex_t holding Linux's initialiser (24 zero bytes), what NuttX makes of
 * it; usable before the call returns (a lock on such a mutex never does).
 */
export function mutexHoldsLinuxInitializer(
  sig: CallSignature,
  args: readonly (number | undefined)[],
  mem: GuestMemory,
): string | undefined {
  if (sig.name === 'pthread_mutex_init') return undefined; // it writes the mutex
  const addr = argOfKind(sig, args, 'pthread-mutex');
  if (addr === undefined || describeMutex(mem, addr >>> 0) !== LINUX_ZERO_MUTEX) return undefined;
  const image = NUTTX_PTHREAD_MUTEX_INITIALIZER.map((b) => b.toString(16).padStart(2, '0'));
  return (
    `mutex ${hex(addr)} holds 24 zero bytes, Linux's PTHREAD_MUTEX_INITIALIZER; ` +
    `NuttX reads it as a counting semaphore with no counts (no SEM_TYPE_MUTEX flag), so a lock waits forever; ` +
    `NuttX's PTHREAD_MUTEX_INITIALIZER is ${image.join(' ')}`
  );
}

/** The whole trace line: call, return, and ` — diagnosis` when there is one. */
export function formatTraceLine(
  sig: CallSignature,
  args: readonly (number | undefined)[],
  ret: number,
  errno: number | undefined,
  mem: GuestMemory,
  opts: FormatOptions = {},
): string {
  const call = formatCall(sig, args, mem, opts);
  const result = formatReturn(sig, ret, errno, opts);
  const why = diagnose(sig, args, ret, errno, { ...opts, mem });
  const line = [call, result].filter((s) => s !== '').join(' ');
  return why === undefined ? line : `${line} — ${why}`;
}
