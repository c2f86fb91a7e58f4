/**
 * Linux's values of the same constants, for 32-bit arm EABI (arm-linux-gnueabi/-gnueabihf, as
 * glibc and Rust's libc crate define them there) — what a program ported from Linux carries
 * into a NuttX image when it reuses Linux's bindings.
 *
 * Sources: the Linux UAPI headers (this machine's /usr/include: asm-generic/socket.h,
 * asm-generic/ioctls.h, linux/sockios.h, asm-generic/errno-base.h + errno.h, asm-generic/fcntl.h,
 * linux/in.h, linux/in6.h, linux/tcp.h) and glibc's bits/socket.h / bits/socket_type.h. arm uses
 * the asm-generic files for all of these except fcntl.h: arch/arm/include/uapi/asm/fcntl.h moves
 * O_DIRECTORY (040000), O_NOFOLLOW (0100000), O_DIRECT (0200000) and O_LARGEFILE (0400000) —
 * the values below are arm's. 32-bit time_t (the classic arm ABI and Rust's libc for
 * arm-linux-gnueabihf): SO_RCVTIMEO/SO_SNDTIMEO are the _OLD 20/21 (the time64 ones are 66/67),
 * SO_TIMESTAMP/TIMESTAMPNS/TIMESTAMPING 29/35/37. Glibc's ENOTSUP is EOPNOTSUPP (95).
 */
import type { AbiKind, ConstTable, OsAbi } from './table.js';

/** asm-generic errno-base.h + errno.h, by number (1..133; 41 and 58 unused). */
// prettier-ignore
const ERRNO_BY_NUMBER: readonly string[] = [
  '', 'EPERM', 'ENOENT', 'ESRCH', 'EINTR', 'EIO', 'ENXIO', 'E2BIG', 'ENOEXEC', 'EBADF', 'ECHILD',
  'EAGAIN', 'ENOMEM', 'EACCES', 'EFAULT', 'ENOTBLK', 'EBUSY', 'EEXIST', 'EXDEV', 'ENODEV',
  'ENOTDIR', 'EISDIR', 'EINVAL', 'ENFILE', 'EMFILE', 'ENOTTY', 'ETXTBSY', 'EFBIG', 'ENOSPC',
  'ESPIPE', 'EROFS', 'EMLINK', 'EPIPE', 'EDOM', 'ERANGE', 'EDEADLK', 'ENAMETOOLONG', 'ENOLCK',
  'ENOSYS', 'ENOTEMPTY', 'ELOOP', '', 'ENOMSG', 'EIDRM', 'ECHRNG', 'EL2NSYNC', 'EL3HLT', 'EL3RST',
  'ELNRNG', 'EUNATCH', 'ENOCSI', 'EL2HLT', 'EBADE', 'EBADR', 'EXFULL', 'ENOANO', 'EBADRQC',
  'EBADSLT', '', 'EBFONT', 'ENOSTR', 'ENODATA', 'ETIME', 'ENOSR', 'ENONET', 'ENOPKG', 'EREMOTE',
  'ENOLINK', 'EADV', 'ESRMNT', 'ECOMM', 'EPROTO', 'EMULTIHOP', 'EDOTDOT', 'EBADMSG', 'EOVERFLOW',
  'ENOTUNIQ', 'EBADFD', 'EREMCHG', 'ELIBACC', 'ELIBBAD', 'ELIBSCN', 'ELIBMAX', 'ELIBEXEC',
  'EILSEQ', 'ERESTART', 'ESTRPIPE', 'EUSERS', 'ENOTSOCK', 'EDESTADDRREQ', 'EMSGSIZE', 'EPROTOTYPE',
  'ENOPROTOOPT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EOPNOTSUPP', 'EPFNOSUPPORT',
  'EAFNOSUPPORT', 'EADDRINUSE', 'EADDRNOTAVAIL', 'ENETDOWN', 'ENETUNREACH', 'ENETRESET',
  'ECONNABORTED', 'ECONNRESET', 'ENOBUFS', 'EISCONN', 'ENOTCONN', 'ESHUTDOWN', 'ETOOMANYREFS',
  'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTDOWN', 'EHOSTUNREACH', 'EALREADY', 'EINPROGRESS', 'ESTALE',
  'EUCLEAN', 'ENOTNAM', 'ENAVAIL', 'EISNAM', 'EREMOTEIO', 'EDQUOT', 'ENOMEDIUM', 'EMEDIUMTYPE',
  'ECANCELED', 'ENOKEY', 'EKEYEXPIRED', 'EKEYREVOKED', 'EKEYREJECTED', 'EOWNERDEAD',
  'ENOTRECOVERABLE', 'ERFKILL', 'EHWPOISON',
];

const errno: ConstTable = {
  ...Object.fromEntries(
    ERRNO_BY_NUMBER.flatMap((name, n) => (name === '' ? [] : [[name, n] as const])),
  ),
  EWOULDBLOCK: 11,
  EDEADLOCK: 35,
  ENOTSUP: 95,
};

/** glibc bits/socket.h PF_* (= AF_*). */
const addressFamily: ConstTable = {
  AF_UNSPEC: 0,
  AF_UNIX: 1,
  AF_LOCAL: 1,
  AF_INET: 2,
  AF_AX25: 3,
  AF_IPX: 4,
  AF_APPLETALK: 5,
  AF_NETROM: 6,
  AF_BRIDGE: 7,
  AF_ATMPVC: 8,
  AF_X25: 9,
  AF_INET6: 10,
  AF_ROSE: 11,
  AF_DECnet: 12,
  AF_NETBEUI: 13,
  AF_SECURITY: 14,
  AF_KEY: 15,
  AF_NETLINK: 16,
  AF_ROUTE: 16,
  AF_PACKET: 17,
  AF_ASH: 18,
  AF_ECONET: 19,
  AF_ATMSVC: 20,
  AF_RDS: 21,
  AF_SNA: 22,
  AF_IRDA: 23,
  AF_PPPOX: 24,
  AF_WANPIPE: 25,
  AF_LLC: 26,
  AF_IB: 27,
  AF_MPLS: 28,
  AF_CAN: 29,
  AF_TIPC: 30,
  AF_BLUETOOTH: 31,
  AF_IUCV: 32,
  AF_RXRPC: 33,
  AF_ISDN: 34,
  AF_PHONET: 35,
  AF_IEEE802154: 36,
  AF_CAIF: 37,
  AF_ALG: 38,
  AF_NFC: 39,
  AF_VSOCK: 40,
  AF_KCM: 41,
  AF_QIPCRTR: 42,
  AF_SMC: 43,
  AF_XDP: 44,
  AF_MCTP: 45,
};

/** glibc bits/socket_type.h (arm = generic; only MIPS swaps STREAM/DGRAM). */
const socketType: ConstTable = {
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_RDM: 4,
  SOCK_SEQPACKET: 5,
  SOCK_DCCP: 6,
  SOCK_PACKET: 10,
};

/** SOCK_NONBLOCK = O_NONBLOCK (04000), SOCK_CLOEXEC = O_CLOEXEC (02000000) on arm. */
const socketFlag: ConstTable = { SOCK_NONBLOCK: 0o4000, SOCK_CLOEXEC: 0o2000000 };

const level: ConstTable = {
  IPPROTO_IP: 0,
  SOL_SOCKET: 1,
  IPPROTO_ICMP: 1,
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
  SOL_PACKET: 263,
  SOL_NETLINK: 270,
  SOL_BLUETOOTH: 274,
  SOL_ALG: 279,
  SOL_TLS: 282,
};

/** asm-generic/socket.h SO_* (32-bit time_t values for the time-carrying ones). */
const socketOption: ConstTable = {
  SO_DEBUG: 1,
  SO_REUSEADDR: 2,
  SO_TYPE: 3,
  SO_ERROR: 4,
  SO_DONTROUTE: 5,
  SO_BROADCAST: 6,
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  SO_KEEPALIVE: 9,
  SO_OOBINLINE: 10,
  SO_NO_CHECK: 11,
  SO_PRIORITY: 12,
  SO_LINGER: 13,
  SO_BSDCOMPAT: 14,
  SO_REUSEPORT: 15,
  SO_PASSCRED: 16,
  SO_PEERCRED: 17,
  SO_RCVLOWAT: 18,
  SO_SNDLOWAT: 19,
  SO_RCVTIMEO: 20,
  SO_SNDTIMEO: 21,
  SO_BINDTODEVICE: 25,
  SO_ATTACH_FILTER: 26,
  SO_DETACH_FILTER: 27,
  SO_PEERNAME: 28,
  SO_TIMESTAMP: 29,
  SO_ACCEPTCONN: 30,
  SO_PEERSEC: 31,
  SO_SNDBUFFORCE: 32,
  SO_RCVBUFFORCE: 33,
  SO_PASSSEC: 34,
  SO_TIMESTAMPNS: 35,
  SO_MARK: 36,
  SO_TIMESTAMPING: 37,
  SO_PROTOCOL: 38,
  SO_DOMAIN: 39,
  SO_RXQ_OVFL: 40,
  SO_WIFI_STATUS: 41,
  SO_PEEK_OFF: 42,
  SO_NOFCS: 43,
  SO_BUSY_POLL: 46,
  SO_INCOMING_CPU: 49,
  SO_ZEROCOPY: 60,
  SO_TXTIME: 61,
  SO_BINDTOIFINDEX: 62,
  SO_RCVTIMEO_NEW: 66,
  SO_SNDTIMEO_NEW: 67,
};

/** linux/in.h IP_*. */
const ipOption: ConstTable = {
  IP_TOS: 1,
  IP_TTL: 2,
  IP_HDRINCL: 3,
  IP_OPTIONS: 4,
  IP_ROUTER_ALERT: 5,
  IP_RECVOPTS: 6,
  IP_RETOPTS: 7,
  IP_PKTINFO: 8,
  IP_PKTOPTIONS: 9,
  IP_MTU_DISCOVER: 10,
  IP_RECVERR: 11,
  IP_RECVTTL: 12,
  IP_RECVTOS: 13,
  IP_MTU: 14,
  IP_FREEBIND: 15,
  IP_TRANSPARENT: 19,
  IP_MINTTL: 21,
  IP_MULTICAST_IF: 32,
  IP_MULTICAST_TTL: 33,
  IP_MULTICAST_LOOP: 34,
  IP_ADD_MEMBERSHIP: 35,
  IP_DROP_MEMBERSHIP: 36,
  IP_UNBLOCK_SOURCE: 37,
  IP_BLOCK_SOURCE: 38,
  IP_ADD_SOURCE_MEMBERSHIP: 39,
  IP_DROP_SOURCE_MEMBERSHIP: 40,
  IP_MSFILTER: 41,
  IP_MULTICAST_ALL: 49,
  IP_UNICAST_IF: 50,
};

/** linux/in6.h IPV6_* (IPV6_JOIN_GROUP/LEAVE_GROUP are glibc's names for ADD/DROP_MEMBERSHIP). */
const ipv6Option: ConstTable = {
  IPV6_ADDRFORM: 1,
  IPV6_CHECKSUM: 7,
  IPV6_UNICAST_HOPS: 16,
  IPV6_MULTICAST_IF: 17,
  IPV6_MULTICAST_HOPS: 18,
  IPV6_MULTICAST_LOOP: 19,
  IPV6_JOIN_GROUP: 20,
  IPV6_LEAVE_GROUP: 21,
  IPV6_ROUTER_ALERT: 22,
  IPV6_MTU_DISCOVER: 23,
  IPV6_MTU: 24,
  IPV6_RECVERR: 25,
  IPV6_V6ONLY: 26,
  IPV6_RECVPKTINFO: 49,
  IPV6_PKTINFO: 50,
  IPV6_RECVHOPLIMIT: 51,
  IPV6_HOPLIMIT: 52,
  IPV6_RECVTCLASS: 66,
  IPV6_TCLASS: 67,
  IPV6_ADD_MEMBERSHIP: 20,
  IPV6_DROP_MEMBERSHIP: 21,
};

/** linux/tcp.h TCP_*. */
const tcpOption: ConstTable = {
  TCP_NODELAY: 1,
  TCP_MAXSEG: 2,
  TCP_CORK: 3,
  TCP_KEEPIDLE: 4,
  TCP_KEEPINTVL: 5,
  TCP_KEEPCNT: 6,
  TCP_SYNCNT: 7,
  TCP_LINGER2: 8,
  TCP_DEFER_ACCEPT: 9,
  TCP_WINDOW_CLAMP: 10,
  TCP_INFO: 11,
  TCP_QUICKACK: 12,
  TCP_CONGESTION: 13,
  TCP_MD5SIG: 14,
  TCP_USER_TIMEOUT: 18,
  TCP_FASTOPEN: 23,
  TCP_NOTSENT_LOWAT: 25,
  TCP_FASTOPEN_CONNECT: 30,
  TCP_ULP: 31,
  TCP_INQ: 36,
};

/** glibc bits/socket.h MSG_*. */
const msgFlag: ConstTable = {
  MSG_OOB: 0x01,
  MSG_PEEK: 0x02,
  MSG_DONTROUTE: 0x04,
  MSG_CTRUNC: 0x08,
  MSG_PROXY: 0x10,
  MSG_TRUNC: 0x20,
  MSG_DONTWAIT: 0x40,
  MSG_EOR: 0x80,
  MSG_WAITALL: 0x100,
  MSG_FIN: 0x200,
  MSG_SYN: 0x400,
  MSG_CONFIRM: 0x800,
  MSG_RST: 0x1000,
  MSG_ERRQUEUE: 0x2000,
  MSG_NOSIGNAL: 0x4000,
  MSG_MORE: 0x8000,
  MSG_WAITFORONE: 0x10000,
  MSG_BATCH: 0x40000,
  MSG_ZEROCOPY: 0x4000000,
  MSG_FASTOPEN: 0x20000000,
  MSG_CMSG_CLOEXEC: 0x40000000,
};

/** sys/socket.h: Linux counts from 0 (NuttX from 1). */
const shutdownHow: ConstTable = { SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2 };

/** asm-generic/ioctls.h (tty and FIO*) and linux/sockios.h + asm-generic/sockios.h (SIOC*). */
const ioctl: ConstTable = {
  TCGETS: 0x5401,
  TCSETS: 0x5402,
  TCSETSW: 0x5403,
  TCSETSF: 0x5404,
  TCGETA: 0x5405,
  TCSETA: 0x5406,
  TCSETAW: 0x5407,
  TCSETAF: 0x5408,
  TCSBRK: 0x5409,
  TCXONC: 0x540a,
  TCFLSH: 0x540b,
  TIOCEXCL: 0x540c,
  TIOCNXCL: 0x540d,
  TIOCSCTTY: 0x540e,
  TIOCGPGRP: 0x540f,
  TIOCSPGRP: 0x5410,
  TIOCOUTQ: 0x5411,
  TIOCSTI: 0x5412,
  TIOCGWINSZ: 0x5413,
  TIOCSWINSZ: 0x5414,
  TIOCMGET: 0x5415,
  TIOCMBIS: 0x5416,
  TIOCMBIC: 0x5417,
  TIOCMSET: 0x5418,
  TIOCGSOFTCAR: 0x5419,
  TIOCSSOFTCAR: 0x541a,
  FIONREAD: 0x541b,
  TIOCINQ: 0x541b,
  TIOCLINUX: 0x541c,
  TIOCCONS: 0x541d,
  TIOCGSERIAL: 0x541e,
  TIOCSSERIAL: 0x541f,
  TIOCPKT: 0x5420,
  FIONBIO: 0x5421,
  TIOCNOTTY: 0x5422,
  TIOCSETD: 0x5423,
  TIOCGETD: 0x5424,
  TCSBRKP: 0x5425,
  TIOCSBRK: 0x5427,
  TIOCCBRK: 0x5428,
  TIOCGSID: 0x5429,
  TIOCVHANGUP: 0x5437,
  FIONCLEX: 0x5450,
  FIOCLEX: 0x5451,
  FIOASYNC: 0x5452,
  TIOCSERGETLSR: 0x5459,
  TIOCMIWAIT: 0x545c,
  TIOCGICOUNT: 0x545d,
  FIOSETOWN: 0x8901,
  SIOCSPGRP: 0x8902,
  FIOGETOWN: 0x8903,
  SIOCGPGRP: 0x8904,
  SIOCATMARK: 0x8905,
  SIOCGSTAMP: 0x8906,
  SIOCGSTAMPNS: 0x8907,
  SIOCADDRT: 0x890b,
  SIOCDELRT: 0x890c,
  SIOCRTMSG: 0x890d,
  SIOCGIFNAME: 0x8910,
  SIOCSIFLINK: 0x8911,
  SIOCGIFCONF: 0x8912,
  SIOCGIFFLAGS: 0x8913,
  SIOCSIFFLAGS: 0x8914,
  SIOCGIFADDR: 0x8915,
  SIOCSIFADDR: 0x8916,
  SIOCGIFDSTADDR: 0x8917,
  SIOCSIFDSTADDR: 0x8918,
  SIOCGIFBRDADDR: 0x8919,
  SIOCSIFBRDADDR: 0x891a,
  SIOCGIFNETMASK: 0x891b,
  SIOCSIFNETMASK: 0x891c,
  SIOCGIFMETRIC: 0x891d,
  SIOCSIFMETRIC: 0x891e,
  SIOCGIFMTU: 0x8921,
  SIOCSIFMTU: 0x8922,
  SIOCSIFNAME: 0x8923,
  SIOCSIFHWADDR: 0x8924,
  SIOCGIFHWADDR: 0x8927,
  SIOCADDMULTI: 0x8931,
  SIOCDELMULTI: 0x8932,
  SIOCGIFINDEX: 0x8933,
  SIOCDIFADDR: 0x8936,
  SIOCGIFCOUNT: 0x8938,
  SIOCGIFBR: 0x8940,
  SIOCSIFBR: 0x8941,
  SIOCETHTOOL: 0x8946,
  SIOCGMIIPHY: 0x8947,
  SIOCGMIIREG: 0x8948,
  SIOCSMIIREG: 0x8949,
  SIOCDARP: 0x8953,
  SIOCGARP: 0x8954,
  SIOCSARP: 0x8955,
  SIOCGIFVLAN: 0x8982,
  SIOCSIFVLAN: 0x8983,
  SIOCBRADDBR: 0x89a0,
  SIOCBRDELBR: 0x89a1,
  SIOCBRADDIF: 0x89a2,
  SIOCBRDELIF: 0x89a3,
};

/**
 * asm-generic/fcntl.h and linux/fcntl.h (F_LINUX_SPECIFIC_BASE 1024). On 32-bit arm glibc built
 * with _FILE_OFFSET_BITS=64 passes F_GETLK64/F_SETLK64/F_SETLKW64 (12/13/14) for F_GETLK etc.
 */
const fcntlCmd: ConstTable = {
  F_DUPFD: 0,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  F_GETLK: 5,
  F_SETLK: 6,
  F_SETLKW: 7,
  F_SETOWN: 8,
  F_GETOWN: 9,
  F_SETSIG: 10,
  F_GETSIG: 11,
  F_GETLK64: 12,
  F_SETLK64: 13,
  F_SETLKW64: 14,
  F_SETOWN_EX: 15,
  F_GETOWN_EX: 16,
  F_GETOWNER_UIDS: 17,
  F_OFD_GETLK: 36,
  F_OFD_SETLK: 37,
  F_OFD_SETLKW: 38,
  F_SETLEASE: 1024,
  F_GETLEASE: 1025,
  F_NOTIFY: 1026,
  F_DUPFD_CLOEXEC: 1030,
  F_SETPIPE_SZ: 1031,
  F_GETPIPE_SZ: 1032,
  F_ADD_SEALS: 1033,
  F_GET_SEALS: 1034,
};

const fdFlag: ConstTable = { FD_CLOEXEC: 1 };
const openAccessMode: ConstTable = { O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2 };

/** asm-generic/fcntl.h with arm's four exceptions (arch/arm/include/uapi/asm/fcntl.h). */
const openFlag: ConstTable = {
  O_SYNC: 0o4000000 | 0o10000, // __O_SYNC | O_DSYNC
  O_TMPFILE: 0o20000000 | 0o40000, // __O_TMPFILE | O_DIRECTORY (arm's)
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_NOCTTY: 0o400,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000,
  O_DSYNC: 0o10000,
  O_ASYNC: 0o20000, // FASYNC
  O_DIRECTORY: 0o40000, // arm (generic: 0o200000)
  O_NOFOLLOW: 0o100000, // arm (generic: 0o400000)
  O_DIRECT: 0o200000, // arm (generic: 0o40000)
  O_LARGEFILE: 0o400000, // arm (generic: 0o100000)
  O_NOATIME: 0o1000000,
  O_CLOEXEC: 0o2000000,
  __O_SYNC: 0o4000000,
  O_PATH: 0o10000000,
  __O_TMPFILE: 0o20000000,
  O_NDELAY: 0o4000,
};

/** glibc pthread.h: RECURSIVE is 1 and ERRORCHECK 2 (NuttX: the other way round). */
const mutexType: ConstTable = {
  PTHREAD_MUTEX_NORMAL: 0,
  PTHREAD_MUTEX_RECURSIVE: 1,
  PTHREAD_MUTEX_ERRORCHECK: 2,
  PTHREAD_MUTEX_ADAPTIVE_NP: 3,
  PTHREAD_MUTEX_DEFAULT: 0,
};

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

export const LINUX_ARM: OsAbi = {
  name: 'Linux',
  source: 'Linux UAPI (asm-generic; arm fcntl.h) and glibc, 32-bit arm EABI, 32-bit time_t',
  tables,
  socketTypeMask: 0xf, // SOCK_TYPE_MASK
  openAccessMask: 3, // O_ACCMODE
};

/**
 * PTHREAD_MUTEX_INITIALIZER on 32-bit arm glibc (and musl): 24 zero bytes
 * (__SIZEOF_PTHREAD_MUTEX_T = 24). Rust's libc crate declares pthread_mutex_t for
 * arm-linux-gnueabihf as `{ size: [u8; 24] }` (4-byte aligned) and its initialiser as
 * `size: [0; __SIZEOF_PTHREAD_MUTEX_T]`: the same zeros. (The 2019 talk patched it to NuttX's
 * then 12-byte layout; NuttX's current layout is 24 bytes but not zeros — see nuttx.ts.)
 */
export const LINUX_PTHREAD_MUTEX_INITIALIZER: readonly number[] = new Array<number>(24).fill(0);

/** PTHREAD_COND_INITIALIZER: 48 zero bytes (__SIZEOF_PTHREAD_COND_T = 48 on every Linux). */
export const LINUX_PTHREAD_COND_INITIALIZER: readonly number[] = new Array<number>(48).fill(0);
