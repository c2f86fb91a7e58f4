/**
 * Apache NuttX's ABI constants for the call tracer, for the NuttX 12.x/13.x release line.
 *
 * Written by hand from NuttX's own headers at NuttX 13.0.1-RC0 (master), commit
 * 4ebc8a7291df955dece09073b8798db2dfd6490b (2026-08-22), and checked against the release tags
 * nuttx-13.0.0 and nuttx-12.13.0 of the same repository:
 *   include/sys/socket.h           AF_/PF_, SOCK_*, MSG_*, SOL_*, SO_*, SHUT_*
 *   include/netinet/in.h           IPPROTO_*, IP_*, IPV6_* (IP_/IPV6_ options are __SO_PROTOCOL+n,
 *                                  __SO_PROTOCOL = 16, from sys/socket.h)
 *   include/netinet/tcp.h          TCP_* (also __SO_PROTOCOL+n)
 *   include/nuttx/fs/ioctl.h       _IOC(type,nr) = type|nr: FIO* = _FIOCBASE 0x0300 | nr,
 *                                  socket ioctls _SIOCBASE 0x0700 | nr, tty _TIOCBASE 0x0100 | nr
 *   include/nuttx/net/ioctl.h      SIOC* numbers;  include/nuttx/serial/tioctl.h  TC* and TIOC*
 *   include/fcntl.h                F_*, FD_CLOEXEC, O_* (13.x; 12.x differs, see NUTTX_12 below)
 *   include/pthread.h, include/semaphore.h, include/nuttx/semaphore.h, include/nuttx/mutex.h
 *                                  mutex types/protocols and the static initialiser images
 *   include/errno.h                see nuttxErrno.ts
 *
 * What changed along the way, and why a port from Linux went wrong in 2019 (the Rust libc talk):
 * SOCK_CLOEXEC/SOCK_NONBLOCK arrived in August 2020 with Linux's values (02000000/04000);
 * SOL_SOCKET became Linux's 1 in June 2020 ("sync the SOL index with linux"); FIOCLEX and
 * FIONCLEX exist as _FIOC(0x0b)/_FIOC(0x0c) — not Linux's 0x5451/0x5450; SO_* kept NuttX's own
 * numbering (only SO_ERROR=4 and SO_RCVBUF=8 coincide with Linux); O_* flags were renumbered to
 * Linux's asm-generic values in 13.x (commit 9e141acab36, "align open flags with Linux values"),
 * so 12.x images use the older numbering kept in NUTTX_12_OPEN_*.
 */
import { NUTTX_ERRNO } from './nuttxErrno.js';
import type { AbiKind, ConstTable, OsAbi } from './table.js';

/** __SO_PROTOCOL (sys/socket.h): the base of the protocol-level option numbers. */
const SO_PROTOCOL = 16;
/** _IOC bases of include/nuttx/fs/ioctl.h; _IOC(type, nr) is type | nr (nr < 0x100). */
const TIOC = 0x0100;
const FIOC = 0x0300;
const SIOC = 0x0700;

const errno: ConstTable = NUTTX_ERRNO;

/** sys/socket.h PF_* (AF_* are defined as the PF_* values; AF_ listed first to decode as AF_). */
const addressFamily: ConstTable = {
  AF_UNSPEC: 0,
  AF_UNIX: 1,
  AF_LOCAL: 1,
  AF_INET: 2,
  AF_INET6: 10,
  AF_NETLINK: 16,
  AF_ROUTE: 16,
  AF_PACKET: 17,
  AF_CAN: 29,
  AF_BLUETOOTH: 31,
  AF_IEEE802154: 36,
  AF_VSOCK: 40,
  AF_PKTRADIO: 64,
  AF_RPMSG: 65,
  PF_UNSPEC: 0,
  PF_UNIX: 1,
  PF_LOCAL: 1,
  PF_INET: 2,
  PF_INET6: 10,
  PF_NETLINK: 16,
  PF_ROUTE: 16,
  PF_PACKET: 17,
  PF_CAN: 29,
  PF_BLUETOOTH: 31,
  PF_IEEE802154: 36,
  PF_VSOCK: 40,
  PF_PKTRADIO: 64,
  PF_RPMSG: 65,
};

/** sys/socket.h SOCK_*: the low 4 bits (SOCK_TYPE_MASK 0xf) of socket()'s type. */
const socketType: ConstTable = {
  SOCK_UNSPEC: 0,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_RDM: 4,
  SOCK_SEQPACKET: 5,
  SOCK_CTRL: 6, // NuttX-only: a socket for ioctl()s on network devices
  SOCK_SMS: 7, // NuttX-only
  SOCK_PACKET: 10,
};

/** The type flags socket() accepts above SOCK_TYPE_MASK (net/socket/socket.c rejects others). */
const socketFlag: ConstTable = {
  SOCK_NONBLOCK: 0o4000, // 0x800
  SOCK_CLOEXEC: 0o2000000, // 0x80000
};

/** Levels of setsockopt()/getsockopt(): SOL_SOCKET (sys/socket.h) and IPPROTO_* (netinet/in.h). */
const level: ConstTable = {
  IPPROTO_IP: 0,
  SOL_SOCKET: 1,
  IPPROTO_ICMP: 1, // same number as SOL_SOCKET; SOL_SOCKET decodes first, as the level means
  IPPROTO_IGMP: 2,
  IPPROTO_TCP: 6,
  IPPROTO_UDP: 17,
  IPPROTO_IPV6: 41,
  IPPROTO_ICMPV6: 58,
  IPPROTO_RAW: 255,
  SOL_IP: 0,
  SOL_TCP: 6,
  SOL_UDP: 17,
  SOL_IPV6: 41,
  SOL_ICMPV6: 58,
  SOL_RAW: 255,
  SOL_L2CAP: 6,
  SOL_SCO: 17,
  SOL_RFCOMM: 18,
  SOL_PACKET: 19,
};

/** sys/socket.h SO_*: NuttX's own numbering, not Linux's (only SO_ERROR and SO_RCVBUF agree). */
const socketOption: ConstTable = {
  SO_ACCEPTCONN: 0,
  SO_BROADCAST: 1,
  SO_DEBUG: 2,
  SO_DONTROUTE: 3,
  SO_ERROR: 4,
  SO_KEEPALIVE: 5,
  SO_LINGER: 6,
  SO_OOBINLINE: 7,
  SO_RCVBUF: 8,
  SO_RCVLOWAT: 9,
  SO_RCVTIMEO: 10,
  SO_REUSEADDR: 11,
  SO_SNDBUF: 12,
  SO_SNDLOWAT: 13,
  SO_SNDTIMEO: 14,
  SO_TYPE: 15,
  SO_TIMESTAMP: 16,
  SO_BINDTODEVICE: 17,
  SO_PEERCRED: 18,
  SO_TIMESTAMPNS: 20,
  SO_SNDBUFFORCE: 32,
  SO_RCVBUFFORCE: 33,
  SO_RXQ_OVFL: 40,
};

/** netinet/in.h IP_* = __SO_PROTOCOL + n. */
const ipOption: ConstTable = {
  IP_MULTICAST_IF: SO_PROTOCOL + 1,
  IP_MULTICAST_TTL: SO_PROTOCOL + 2,
  IP_MULTICAST_LOOP: SO_PROTOCOL + 3,
  IP_ADD_MEMBERSHIP: SO_PROTOCOL + 4,
  IP_DROP_MEMBERSHIP: SO_PROTOCOL + 5,
  IP_UNBLOCK_SOURCE: SO_PROTOCOL + 6,
  IP_BLOCK_SOURCE: SO_PROTOCOL + 7,
  IP_ADD_SOURCE_MEMBERSHIP: SO_PROTOCOL + 8,
  IP_DROP_SOURCE_MEMBERSHIP: SO_PROTOCOL + 9,
  IP_MSFILTER: SO_PROTOCOL + 10,
  IP_MULTICAST_ALL: SO_PROTOCOL + 11,
  IP_PKTINFO: SO_PROTOCOL + 12,
  IP_TOS: SO_PROTOCOL + 13,
  IP_TTL: SO_PROTOCOL + 14,
};

/** netinet/in.h IPV6_* = __SO_PROTOCOL + n. */
const ipv6Option: ConstTable = {
  IPV6_JOIN_GROUP: SO_PROTOCOL + 1,
  IPV6_LEAVE_GROUP: SO_PROTOCOL + 2,
  IPV6_MULTICAST_HOPS: SO_PROTOCOL + 3,
  IPV6_MULTICAST_IF: SO_PROTOCOL + 4,
  IPV6_MULTICAST_LOOP: SO_PROTOCOL + 5,
  IPV6_UNICAST_HOPS: SO_PROTOCOL + 6,
  IPV6_V6ONLY: SO_PROTOCOL + 7,
  IPV6_PKTINFO: SO_PROTOCOL + 8,
  IPV6_RECVPKTINFO: SO_PROTOCOL + 9,
  IPV6_TCLASS: SO_PROTOCOL + 10,
  IPV6_RECVHOPLIMIT: SO_PROTOCOL + 11,
  IPV6_HOPLIMIT: SO_PROTOCOL + 12,
};

/** netinet/tcp.h TCP_* = __SO_PROTOCOL + n. */
const tcpOption: ConstTable = {
  TCP_NODELAY: SO_PROTOCOL + 0,
  TCP_KEEPIDLE: SO_PROTOCOL + 1,
  TCP_KEEPINTVL: SO_PROTOCOL + 2,
  TCP_KEEPCNT: SO_PROTOCOL + 3,
  TCP_MAXSEG: SO_PROTOCOL + 4,
  TCP_CORK: SO_PROTOCOL + 5,
};

/** sys/socket.h MSG_*: Linux's bits, except MSG_CMSG_CLOEXEC (Linux: 0x40000000). */
const msgFlag: ConstTable = {
  MSG_OOB: 0x000001,
  MSG_PEEK: 0x000002,
  MSG_DONTROUTE: 0x000004,
  MSG_CTRUNC: 0x000008,
  MSG_PROXY: 0x000010,
  MSG_TRUNC: 0x000020,
  MSG_DONTWAIT: 0x000040,
  MSG_EOR: 0x000080,
  MSG_WAITALL: 0x000100,
  MSG_FIN: 0x000200,
  MSG_SYN: 0x000400,
  MSG_CONFIRM: 0x000800,
  MSG_RST: 0x001000,
  MSG_ERRQUEUE: 0x002000,
  MSG_NOSIGNAL: 0x004000,
  MSG_MORE: 0x008000,
  MSG_CMSG_CLOEXEC: 0x100000,
};

const shutdownHow: ConstTable = { SHUT_RD: 1, SHUT_WR: 2, SHUT_RDWR: 3 };

/**
 * ioctl() requests: the generic file ones (FIO*, include/nuttx/fs/ioctl.h), the network ones
 * (SIOC*, include/nuttx/net/ioctl.h) and the terminal ones (include/nuttx/serial/tioctl.h), each
 * computed as _IOC(base, nr) = base | nr.
 */
const ioctl: ConstTable = {
  TCGETS: TIOC | 0x01,
  TCSETS: TIOC | 0x02,
  TCSETSW: TIOC | 0x03,
  TCSETSF: TIOC | 0x04,
  TCGETA: TIOC | 0x05,
  TCSETA: TIOC | 0x06,
  TCSETAW: TIOC | 0x07,
  TCSETAF: TIOC | 0x08,
  TIOCGLCKTRMIOS: TIOC | 0x09,
  TIOCSLCKTRMIOS: TIOC | 0x0a,
  TIOCGWINSZ: TIOC | 0x0b,
  TIOCSWINSZ: TIOC | 0x0c,
  TCSBRK: TIOC | 0x0d,
  TCSBRKP: TIOC | 0x0e,
  TIOCSBRK: TIOC | 0x0f,
  TIOCCBRK: TIOC | 0x10,
  TCXONC: TIOC | 0x11,
  TIOCINQ: TIOC | 0x12,
  TIOCOUTQ: TIOC | 0x13,
  TCFLSH: TIOC | 0x14,
  TCDRN: TIOC | 0x15,
  TIOCSTI: TIOC | 0x16,
  TIOCCONS: TIOC | 0x17,
  TIOCSCTTY: TIOC | 0x18,
  TIOCNOTTY: TIOC | 0x19,
  TIOCEXCL: TIOC | 0x1a,
  TIOCNXCL: TIOC | 0x1b,
  TIOCGETD: TIOC | 0x1c,
  TIOCSETD: TIOC | 0x1d,
  TIOCPKT: TIOC | 0x1e,
  TIOCMGET: TIOC | 0x1f,
  TIOCMSET: TIOC | 0x20,
  TIOCMBIC: TIOC | 0x21,
  TIOCMBIS: TIOC | 0x22,
  TIOCVHANGUP: TIOC | 0x23,
  TIOCGSOFTCAR: TIOC | 0x24,
  TIOCSSOFTCAR: TIOC | 0x25,
  TIOCGSERIAL: TIOC | 0x26,
  TIOCSSERIAL: TIOC | 0x27,
  TIOCSERGETLSR: TIOC | 0x28,
  TIOCMIWAIT: TIOC | 0x29,
  TIOCGICOUNT: TIOC | 0x2a,
  TIOCGPTN: TIOC | 0x2b,
  FIOC_REFORMAT: FIOC | 0x01,
  FIOC_OPTIMIZE: FIOC | 0x02,
  FIOC_FILEPATH: FIOC | 0x03,
  FIOC_INTEGRITY: FIOC | 0x04,
  FIOC_DUMP: FIOC | 0x05,
  FIONREAD: FIOC | 0x06,
  FIONWRITE: FIOC | 0x07,
  FIONSPACE: FIOC | 0x08,
  FIONUSERFS: FIOC | 0x09,
  FIONBIO: FIOC | 0x0a,
  FIOCLEX: FIOC | 0x0b,
  FIONCLEX: FIOC | 0x0c,
  FIOC_NOTIFY: FIOC | 0x0d,
  FIOC_SETTAG_FDSAN: FIOC | 0x0e,
  FIOC_GETTAG_FDSAN: FIOC | 0x0f,
  FIOC_SETTAG_FDCHECK: FIOC | 0x10,
  FIOC_GETTAG_FDCHECK: FIOC | 0x11,
  FIOC_SETLK: FIOC | 0x12,
  FIOC_GETLK: FIOC | 0x13,
  FIOC_SETLKW: FIOC | 0x14,
  FIOC_XIPBASE: FIOC | 0x15,
  FIOC_GETFLAGS: FIOC | 0x16,
  FIOC_SETFLAGS: FIOC | 0x17,
  FIOGCLEX: FIOC | 0x18,
  SIOCGIFADDR: SIOC | 0x01,
  SIOCSIFADDR: SIOC | 0x02,
  SIOCGIFDSTADDR: SIOC | 0x03,
  SIOCSIFDSTADDR: SIOC | 0x04,
  SIOCGIFBRDADDR: SIOC | 0x05,
  SIOCSIFBRDADDR: SIOC | 0x06,
  SIOCGIFNETMASK: SIOC | 0x07,
  SIOCSIFNETMASK: SIOC | 0x08,
  SIOCGIFMTU: SIOC | 0x09,
  SIOCGLIFADDR: SIOC | 0x0a,
  SIOCSLIFADDR: SIOC | 0x0b,
  SIOCGLIFDSTADDR: SIOC | 0x0c,
  SIOCSLIFDSTADDR: SIOC | 0x0d,
  SIOCGLIFBRDADDR: SIOC | 0x0e,
  SIOCSLIFBRDADDR: SIOC | 0x0f,
  SIOCGLIFNETMASK: SIOC | 0x10,
  SIOCSLIFNETMASK: SIOC | 0x11,
  SIOCGLIFMTU: SIOC | 0x12,
  SIOCIFAUTOCONF: SIOC | 0x13,
  SIOCGIFHWADDR: SIOC | 0x14,
  SIOCSIFHWADDR: SIOC | 0x15,
  SIOCDIFADDR: SIOC | 0x16,
  SIOCGIFCOUNT: SIOC | 0x17,
  SIOCGIFCONF: SIOC | 0x18,
  SIOCGLIFCONF: SIOC | 0x19,
  SIOCSIFFLAGS: SIOC | 0x1a,
  SIOCGIFFLAGS: SIOC | 0x1b,
  SIOCGIPMSFILTER: SIOC | 0x1c,
  SIOCSIPMSFILTER: SIOC | 0x1d,
  SIOCADDRT: SIOC | 0x21,
  SIOCDELRT: SIOC | 0x22,
  SIOCMIINOTIFY: SIOC | 0x23,
  SIOCGMIIPHY: SIOC | 0x24,
  SIOCGMIIREG: SIOC | 0x25,
  SIOCSMIIREG: SIOC | 0x26,
  SIOCINQ: SIOC | 0x27,
  SIOCTELNET: SIOC | 0x29,
  SIOCGIFNAME: SIOC | 0x2a,
  SIOCGIFINDEX: SIOC | 0x2b,
  SIOCGCANBITRATE: SIOC | 0x2c,
  SIOCSCANBITRATE: SIOC | 0x2d,
  SIOCACANEXTFILTER: SIOC | 0x2e,
  SIOCDCANEXTFILTER: SIOC | 0x2f,
  SIOCACANSTDFILTER: SIOC | 0x30,
  SIOCDCANSTDFILTER: SIOC | 0x31,
  SIOCCANRECOVERY: SIOC | 0x32,
  SIOCSIFMTU: SIOC | 0x33,
  SIOCSIFNAME: SIOC | 0x34,
  SIOCBRADDBR: SIOC | 0x36,
  SIOCBRDELBR: SIOC | 0x37,
  SIOCBRADDIF: SIOC | 0x38,
  SIOCBRDELIF: SIOC | 0x39,
  SIOCGIFBR: SIOC | 0x3a,
  SIOCSIFBR: SIOC | 0x3b,
  SIOCDENYINETSOCK: SIOC | 0x3c,
  SIOCETHTOOL: SIOC | 0x3d,
  SIOCATMARK: SIOC | 0x3e,
  SIOCNOTIFYRECVCPU: SIOC | 0x3f,
  SIOCGCANSTATE: SIOC | 0x41,
  SIOCSCANSTATE: SIOC | 0x42,
  SIOCGIFVLAN: SIOC | 0x43,
  SIOCSIFVLAN: SIOC | 0x44,
};

/** fcntl.h F_*: NuttX's own order (Linux: F_SETFD 2, F_GETFL 3, F_SETFL 4 ...). */
const fcntlCmd: ConstTable = {
  F_DUPFD: 0,
  F_GETFD: 1,
  F_GETFL: 2,
  F_GETLEASE: 3,
  F_GETLK: 4,
  F_GETOWN: 5,
  F_GETSIG: 6,
  F_NOTIFY: 7,
  F_SETFD: 8,
  F_SETFL: 9,
  F_SETLEASE: 10,
  F_SETLK: 11,
  F_SETLKW: 12,
  F_SETOWN: 13,
  F_SETSIG: 14,
  F_GETPATH: 15,
  F_ADD_SEALS: 16,
  F_GET_SEALS: 17,
  F_DUPFD_CLOEXEC: 18,
  F_SETPIPE_SZ: 19,
  F_GETPIPE_SZ: 20,
};

const fdFlag: ConstTable = { FD_CLOEXEC: 1 };

/** fcntl.h (13.x): the access mode is the field O_ACCMODE = 3, as on Linux. */
const openAccessMode: ConstTable = { O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2 };

/**
 * fcntl.h (13.x) O_* above the access mode: Linux's asm-generic bits — which are not arm Linux's
 * for O_DIRECT/O_LARGEFILE/O_DIRECTORY/O_NOFOLLOW (see linux.ts). Composites before their parts.
 */
const openFlag: ConstTable = {
  O_SYNC: (1 << 20) | (1 << 12), // __O_SYNC | O_DSYNC
  O_TMPFILE: (1 << 22) | (1 << 16), // __O_TMPFILE | O_DIRECTORY
  O_TEXT: 1 << 5,
  O_CREAT: 1 << 6,
  O_EXCL: 1 << 7,
  O_NOCTTY: 1 << 8,
  O_TRUNC: 1 << 9,
  O_APPEND: 1 << 10,
  O_NONBLOCK: 1 << 11,
  O_DSYNC: 1 << 12,
  O_ASYNC: 1 << 13,
  O_DIRECT: 1 << 14,
  O_LARGEFILE: 1 << 15,
  O_DIRECTORY: 1 << 16,
  O_NOFOLLOW: 1 << 17,
  O_NOATIME: 1 << 18,
  O_CLOEXEC: 1 << 19,
  __O_SYNC: 1 << 20,
  O_PATH: 1 << 21,
  __O_TMPFILE: 1 << 22,
  O_NDELAY: 1 << 11,
};

/** pthread.h: NORMAL 0, ERRORCHECK 1, RECURSIVE 2 — Linux has RECURSIVE 1, ERRORCHECK 2. */
const mutexType: ConstTable = {
  PTHREAD_MUTEX_NORMAL: 0,
  PTHREAD_MUTEX_ERRORCHECK: 1,
  PTHREAD_MUTEX_RECURSIVE: 2,
  PTHREAD_MUTEX_DEFAULT: 0,
};

/** pthread.h PTHREAD_PRIO_* = semaphore.h SEM_PRIO_*. */
const mutexProtocol: ConstTable = {
  PTHREAD_PRIO_NONE: 0,
  PTHREAD_PRIO_INHERIT: 1,
  PTHREAD_PRIO_PROTECT: 2,
};

const mutexRobust: ConstTable = { PTHREAD_MUTEX_STALLED: 0, PTHREAD_MUTEX_ROBUST: 1 };
const detachState: ConstTable = { PTHREAD_CREATE_JOINABLE: 0, PTHREAD_CREATE_DETACHED: 1 };

const tables: Record<AbiKind, ConstTable> = {
  errno,
  addressFamily,
  socketType,
  socketFlag,
  level,
  socketOption,
  ipOption,
  ipv6Option,
  tcpOption,
  msgFlag,
  shutdownHow,
  ioctl,
  fcntlCmd,
  fdFlag,
  openAccessMode,
  openFlag,
  mutexType,
  mutexProtocol,
  mutexRobust,
  detachState,
};

/** NuttX 13.x (the tables above). */
export const NUTTX: OsAbi = {
  name: 'NuttX',
  source: 'NuttX 13.0.1-RC0, commit 4ebc8a7291df955dece09073b8798db2dfd6490b',
  tables,
  socketTypeMask: 0xf, // SOCK_TYPE_MASK
  openAccessMask: 3, // O_ACCMODE
};

/**
 * NuttX 12.x's open flags (git show nuttx-12.13.0:include/fcntl.h): the access mode is two bits,
 * O_RDONLY = 1 (O_RDOK), O_WRONLY = 2 (O_WROK), O_RDWR = 3 — so Linux's O_RDONLY (0) opens with
 * no access at all — and the flags sit at bits 2-13 and 18. Bits 14-17, 19, 20 were reserved for
 * mount flags.
 */
export const NUTTX_12_OPEN_ACCESS_MODE: ConstTable = { O_RDONLY: 1, O_WRONLY: 2, O_RDWR: 3 };
export const NUTTX_12_OPEN_FLAGS: ConstTable = {
  O_CREAT: 1 << 2,
  O_EXCL: 1 << 3,
  O_APPEND: 1 << 4,
  O_TRUNC: 1 << 5,
  O_NONBLOCK: 1 << 6,
  O_SYNC: 1 << 7,
  O_TEXT: 1 << 8,
  O_DIRECT: 1 << 9,
  O_CLOEXEC: 1 << 10,
  O_DIRECTORY: 1 << 11,
  O_NOFOLLOW: 1 << 12,
  O_LARGEFILE: 1 << 13,
  O_NOATIME: 1 << 18,
  O_NDELAY: 1 << 6,
  O_DSYNC: 1 << 7,
  O_RSYNC: 1 << 7,
};

/** NuttX 12.x: as 13.x except the open flags (every other table here is unchanged in 12.13.0). */
export const NUTTX_12: OsAbi = {
  ...NUTTX,
  source: 'NuttX 12.13.0 (tag nuttx-12.13.0); tables as 13.x except include/fcntl.h O_*',
  tables: { ...tables, openAccessMode: NUTTX_12_OPEN_ACCESS_MODE, openFlag: NUTTX_12_OPEN_FLAGS },
};

/**
 * The byte image of `pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;` for the stm32f4discovery
 * configurations (nsh, netnsh): 24 bytes, little-endian. Assumptions, all Kconfig defaults these
 * defconfigs do not override: CONFIG_PTHREAD_MUTEX_BOTH (robustness choice; not UNSAFE, so the
 * struct starts with flink and flags), CONFIG_PTHREAD_MUTEX_DEFAULT_UNSAFE (flags = 0),
 * CONFIG_PTHREAD_MUTEX_TYPES off (no type byte, a mutex_t rather than an rmutex_t),
 * CONFIG_PRIORITY_INHERITANCE and CONFIG_PRIORITY_PROTECT off (sem_t has no holder/ceiling
 * fields, default protocol PRIO_NONE), CONFIG_CUSTOM_SEMAPHORE_MAXVALUE off,
 * CONFIG_LIBC_MUTEX_BACKTRACE = 0. Layout:
 *   0  flink  (NULL)
 *   4  flags  (uint8 0), 3 bytes padding
 *   8  mutex.sem.val.mholder = NXSEM_NO_MHOLDER 0x7ffffffe
 *  12  mutex.sem.flags = SEM_TYPE_MUTEX (4) | PRIO_NONE, 3 bytes padding
 *  16  mutex.sem.waitlist {head NULL, tail NULL}
 * Checked by compiling the initialiser with arm-none-eabi-gcc against the headers and the
 * built tree's include/nuttx/config.h (stm32f4discovery). Linux's is 24 zero bytes: to NuttX a
 * zeroed mutex is a counting semaphore (flags 0, no SEM_TYPE_MUTEX) with count 0, so the first
 * pthread_mutex_lock() blocks forever — the hang the Rust port hit.
 */
export const NUTTX_PTHREAD_MUTEX_INITIALIZER: readonly number[] = [
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfe, 0xff, 0xff, 0x7f, 0x04, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/**
 * `pthread_cond_t c = PTHREAD_COND_INITIALIZER;` = {SEM_INITIALIZER(0), CLOCK_REALTIME (0), 0}:
 * sem_t (16 bytes: count 0, flags 0, empty wait list), clockid 0, wait_count 0 — 24 zero bytes
 * under the same assumptions. A zeroed condition variable is therefore valid on NuttX too
 * (Linux's is 48 zero bytes, so only its size differs).
 */
export const NUTTX_PTHREAD_COND_INITIALIZER: readonly number[] = new Array<number>(24).fill(0);

/** Sizes under the same configuration (arm-none-eabi-gcc, sizeof against the headers). */
export const NUTTX_SIZES = {
  pthread_mutex_t: 24,
  pthread_cond_t: 24,
  sem_t: 16,
  pthread_attr_t: 16,
  sockaddr_in: 16,
  sockaddr_storage: 128,
  stat: 88,
} as const;

/**
 * `sem_t s = SEM_INITIALIZER(0);` under the same configuration: 16 zero bytes. Layout (checked
 * against the DWARF of a NuttX ostest build for this board, `ptype/o sem_t`): a 32-bit count at
 * 0 (a union with the holder id NuttX's mutexes keep there), one byte of flags at 4, three bytes
 * of padding, the wait list (head and tail pointers) at 8. Older NuttX releases had a 16-bit
 * count; with CONFIG_PRIORITY_INHERITANCE (off on this board) holder fields follow the list.
 * SEM_INITIALIZER(n) differs only in the count, which may be anything from 0 to INT_MAX.
 */
export const NUTTX_SEM_INITIALIZER: readonly number[] = new Array<number>(16).fill(0);
/** The count's bytes in NuttX's sem_t (a static initializer may hold any count there). */
export const NUTTX_SEM_COUNT_BYTES: readonly number[] = [0, 1, 2, 3];

/**
 * `pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;`: 60 bytes, a pthread_mutex_t (24) holding
 * PTHREAD_MUTEX_INITIALIZER, a pthread_cond_t (24, zeros), the reader and writer counts (two
 * 32-bit zeros), a bool write-in-progress (false) and three bytes of padding. Sizes checked as
 * sem_t's were. A zeroed rwlock therefore holds a zeroed mutex, which NuttX reads as held.
 */
export const NUTTX_PTHREAD_RWLOCK_INITIALIZER: readonly number[] = [
  ...NUTTX_PTHREAD_MUTEX_INITIALIZER,
  ...new Array<number>(36).fill(0),
];

/**
 * Padding bytes in those layouts: C leaves them unspecified, so an object set up field by field
 * from the initializer may hold anything there. Offsets from the DWARF layouts above (the mutex:
 * after its flags byte and after its semaphore's flags byte).
 */
export const NUTTX_PADDING = {
  pthread_mutex_t: [5, 6, 7, 13, 14, 15],
  pthread_cond_t: [5, 6, 7],
  pthread_rwlock_t: [5, 6, 7, 13, 14, 15, 24 + 5, 24 + 6, 24 + 7, 57, 58, 59],
  sem_t: [5, 6, 7],
} as const;

/** The rwlock's size under the same configuration (NUTTX_SIZES lists the others). */
export const NUTTX_PTHREAD_RWLOCK_SIZE = 60;
