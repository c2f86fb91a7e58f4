/**
 * The shape of an operating system's constant tables, as the call tracer (`--trace-calls`) uses
 * them: one table of name → value per kind of constant, so that a number seen in a register can
 * be named with the target OS's own name (NuttX) and compared with another OS's value (Linux) —
 * the mistake a port makes when it reuses Linux's constants (SOCK_CLOEXEC, FIOCLEX, SOL_SOCKET,
 * SO_REUSEADDR in the Rust libc port), which no linker can see.
 *
 * A table is a plain object literal: keys in the order written. When two names share a value
 * (AF_INET / PF_INET, EAGAIN / EWOULDBLOCK) the first one written is the one a value decodes to,
 * so tables put the customary name first.
 */

/** Name → value; the first name written for a value is the name that value decodes to. */
export type ConstTable = Readonly<Record<string, number>>;

/** Every kind of constant the tables cover. Kinds ending in `Flag` are bit sets. */
export type AbiKind =
  | 'errno'
  | 'addressFamily'
  | 'socketType'
  | 'socketFlag'
  | 'level'
  | 'socketOption'
  | 'ipOption'
  | 'ipv6Option'
  | 'tcpOption'
  | 'msgFlag'
  | 'shutdownHow'
  | 'ioctl'
  | 'fcntlCmd'
  | 'fdFlag'
  | 'openAccessMode'
  | 'openFlag'
  | 'mutexType'
  | 'mutexProtocol'
  | 'mutexRobust'
  | 'detachState';

/** How a kind is decoded and printed. */
export interface KindInfo {
  /** What a value of this kind is, for sentences ("not a socket option NuttX defines"). */
  readonly label: string;
  /** A bit set (decoded as A|B|0x..), rather than one value out of a list. */
  readonly flags: boolean;
  /** Radix in messages: ioctl requests and flag bits read best in hex, small enums in decimal. */
  readonly radix: 'dec' | 'hex';
}

export const KIND_INFO: Readonly<Record<AbiKind, KindInfo>> = {
  errno: { label: 'error number', flags: false, radix: 'dec' },
  addressFamily: { label: 'address family', flags: false, radix: 'dec' },
  socketType: { label: 'socket type', flags: false, radix: 'dec' },
  socketFlag: { label: 'socket type flag', flags: true, radix: 'hex' },
  level: { label: 'socket option level', flags: false, radix: 'dec' },
  socketOption: { label: 'SOL_SOCKET option', flags: false, radix: 'dec' },
  ipOption: { label: 'IPPROTO_IP option', flags: false, radix: 'dec' },
  ipv6Option: { label: 'IPPROTO_IPV6 option', flags: false, radix: 'dec' },
  tcpOption: { label: 'IPPROTO_TCP option', flags: false, radix: 'dec' },
  msgFlag: { label: 'MSG_ flag', flags: true, radix: 'hex' },
  shutdownHow: { label: 'shutdown mode', flags: false, radix: 'dec' },
  ioctl: { label: 'ioctl request', flags: false, radix: 'hex' },
  fcntlCmd: { label: 'fcntl command', flags: false, radix: 'dec' },
  fdFlag: { label: 'file descriptor flag', flags: true, radix: 'hex' },
  openAccessMode: { label: 'open access mode', flags: false, radix: 'dec' },
  openFlag: { label: 'open flag', flags: true, radix: 'hex' },
  mutexType: { label: 'mutex type', flags: false, radix: 'dec' },
  mutexProtocol: { label: 'mutex protocol', flags: false, radix: 'dec' },
  mutexRobust: { label: 'mutex robustness', flags: false, radix: 'dec' },
  detachState: { label: 'detach state', flags: false, radix: 'dec' },
};

/** One operating system's ABI constants, as far as the call tracer needs them. */
export interface OsAbi {
  /** As shown in messages: "NuttX", "Linux". */
  readonly name: string;
  /** Where the values come from (version, commit, architecture). */
  readonly source: string;
  readonly tables: Readonly<Record<AbiKind, ConstTable>>;
  /** Masks of the enumerated fields inside flag words (socket type: SOCK_TYPE_MASK). */
  readonly socketTypeMask: number;
  readonly openAccessMask: number;
}
