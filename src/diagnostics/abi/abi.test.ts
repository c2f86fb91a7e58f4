import { describe, expect, it } from 'vitest';
import {
  decodeEnum,
  decodeErrno,
  decodeFlags,
  decodeOpenFlags,
  decodeSocketType,
  encodeFlags,
  explainMisread,
  explainUnknown,
  nameOf,
  unknownFlagBits,
  valueOf,
} from './decode.js';
import { LINUX_ARM, LINUX_PTHREAD_MUTEX_INITIALIZER } from './linux.js';
import {
  NUTTX,
  NUTTX_12,
  NUTTX_PTHREAD_COND_INITIALIZER,
  NUTTX_PTHREAD_MUTEX_INITIALIZER,
  NUTTX_SIZES,
} from './nuttx.js';
import { KIND_INFO, type AbiKind } from './table.js';

const KINDS = Object.keys(KIND_INFO) as AbiKind[];
const n = NUTTX.tables;
const l = LINUX_ARM.tables;

describe('NuttX values (include/ of NuttX 13.0.1-RC0)', () => {
  it('spot-checks the socket constants against sys/socket.h and netinet/', () => {
    expect(n.level.SOL_SOCKET).toBe(1);
    expect(n.socketOption.SO_REUSEADDR).toBe(11);
    expect(n.socketOption.SO_DEBUG).toBe(2);
    expect(n.socketFlag.SOCK_CLOEXEC).toBe(0x80000);
    expect(n.socketFlag.SOCK_NONBLOCK).toBe(0x800);
    expect(n.addressFamily.AF_INET).toBe(2);
    expect(n.addressFamily.AF_INET6).toBe(10);
    expect(n.tcpOption.TCP_NODELAY).toBe(16); // __SO_PROTOCOL + 0
    expect(n.ipOption.IP_TTL).toBe(30); // __SO_PROTOCOL + 14
    expect(n.shutdownHow.SHUT_RDWR).toBe(3);
    expect(n.msgFlag.MSG_CMSG_CLOEXEC).toBe(0x100000);
  });

  it('computes ioctl requests as _IOC(base, nr) = base | nr', () => {
    expect(n.ioctl.FIOCLEX).toBe(0x30b); // _FIOC(0x000b)
    expect(n.ioctl.FIONCLEX).toBe(0x30c);
    expect(n.ioctl.FIONBIO).toBe(0x30a);
    expect(n.ioctl.FIONREAD).toBe(0x306);
    expect(n.ioctl.SIOCGIFADDR).toBe(0x701); // _SIOC(0x0001)
    expect(n.ioctl.SIOCSIFMTU).toBe(0x733);
    expect(n.ioctl.TCGETS).toBe(0x101); // _TIOC(0x0001)
  });

  it('spot-checks errno, fcntl, open flags and pthread constants', () => {
    expect(n.errno.EINVAL).toBe(22);
    expect(n.errno.ENOTTY).toBe(25);
    expect(n.errno.ENOPROTOOPT).toBe(92);
    expect(n.errno.ENOTSUP).toBe(138); // its own number on NuttX
    expect(n.fcntlCmd.F_SETFD).toBe(8);
    expect(n.fcntlCmd.F_SETFL).toBe(9);
    expect(n.openAccessMode.O_RDONLY).toBe(0);
    expect(n.openFlag.O_CREAT).toBe(0x40);
    expect(n.openFlag.O_CLOEXEC).toBe(0x80000);
    expect(NUTTX_12.tables.openAccessMode.O_RDONLY).toBe(1);
    expect(NUTTX_12.tables.openFlag.O_CLOEXEC).toBe(0x400);
    expect(n.mutexType.PTHREAD_MUTEX_ERRORCHECK).toBe(1);
    expect(n.mutexType.PTHREAD_MUTEX_RECURSIVE).toBe(2);
  });

  it('has the stm32f4discovery default pthread_mutex_t / pthread_cond_t images', () => {
    expect(NUTTX_PTHREAD_MUTEX_INITIALIZER).toHaveLength(NUTTX_SIZES.pthread_mutex_t);
    // flink NULL, flags 0, mholder NXSEM_NO_MHOLDER, sem flags SEM_TYPE_MUTEX, empty wait list
    expect(NUTTX_PTHREAD_MUTEX_INITIALIZER.slice(8, 13)).toEqual([0xfe, 0xff, 0xff, 0x7f, 0x04]);
    expect(NUTTX_PTHREAD_COND_INITIALIZER).toEqual(new Array(24).fill(0));
    expect(LINUX_PTHREAD_MUTEX_INITIALIZER).toEqual(new Array(24).fill(0));
  });

  it('resolves every name both ways in every table', () => {
    for (const abi of [NUTTX, NUTTX_12, LINUX_ARM]) {
      for (const kind of KINDS) {
        const table = abi.tables[kind];
        expect(Object.keys(table).length, `${abi.name} ${kind}`).toBeGreaterThan(0);
        for (const name of Object.keys(table)) {
          const value = valueOf(table, name);
          expect(value, `${abi.name} ${kind} ${name}`).toBeTypeOf('number');
          const back = nameOf(table, value ?? NaN);
          expect(back).toBeDefined();
          expect(valueOf(table, back ?? '')).toBe(value); // an alias decodes to its first name
        }
      }
    }
  });

  it('names errno numbers as NuttX does', () => {
    expect(decodeErrno(22)).toBe('EINVAL');
    expect(decodeErrno(11)).toBe('EAGAIN'); // not EWOULDBLOCK
    expect(decodeErrno(999)).toBe('errno 999');
  });
});

describe('Linux values (arm EABI)', () => {
  it('spot-checks against the UAPI headers', () => {
    expect(l.level.SOL_SOCKET).toBe(1);
    expect(l.socketOption.SO_REUSEADDR).toBe(2);
    expect(l.socketOption.SO_RCVTIMEO).toBe(20); // 32-bit time_t
    expect(l.socketFlag.SOCK_CLOEXEC).toBe(0o2000000);
    expect(l.ioctl.FIOCLEX).toBe(0x5451);
    expect(l.ioctl.FIONBIO).toBe(0x5421);
    expect(l.errno.EINVAL).toBe(22);
    expect(l.errno.EHWPOISON).toBe(133);
    expect(l.errno.ENOTSUP).toBe(95);
    expect(l.fcntlCmd.F_SETFD).toBe(2);
    expect(l.shutdownHow.SHUT_RD).toBe(0);
    expect(l.mutexType.PTHREAD_MUTEX_RECURSIVE).toBe(1);
  });

  it("uses arm's open flags where arm differs from asm-generic", () => {
    expect(l.openFlag.O_DIRECTORY).toBe(0o40000);
    expect(l.openFlag.O_NOFOLLOW).toBe(0o100000);
    expect(l.openFlag.O_DIRECT).toBe(0o200000);
    expect(l.openFlag.O_LARGEFILE).toBe(0o400000);
    expect(l.openFlag.O_CLOEXEC).toBe(0o2000000);
  });

  it('agrees with NuttX on errno numbers 1..133', () => {
    for (const [name, value] of Object.entries(l.errno)) {
      if (name !== 'ENOTSUP') expect(n.errno[name], name).toBe(value);
    }
  });
});

describe('decoding', () => {
  it('decodes enums to the first name, or the number', () => {
    expect(decodeEnum(n.addressFamily, 2)).toBe('AF_INET');
    expect(decodeEnum(n.level, 1)).toBe('SOL_SOCKET');
    expect(decodeEnum(n.ioctl, 0x5451, 'hex')).toBe('0x5451');
    expect(decodeEnum(n.socketOption, 99)).toBe('99');
  });

  it('decodes flag words with their field and unknown bits', () => {
    expect(decodeSocketType(0x80001)).toBe('SOCK_STREAM|SOCK_CLOEXEC');
    expect(decodeSocketType(0x100001)).toBe('SOCK_STREAM|0x100000');
    expect(decodeOpenFlags(0x241)).toBe('O_WRONLY|O_CREAT|O_TRUNC');
    expect(decodeOpenFlags(0x101000)).toBe('O_RDONLY|O_SYNC');
    expect(decodeFlags(n.msgFlag, 0)).toBe('0');
    expect(decodeFlags(n.msgFlag, 0x4040)).toBe('MSG_DONTWAIT|MSG_NOSIGNAL');
    expect(unknownFlagBits(n.socketFlag, 0x100001, 0xf)).toBe(0x100000);
  });

  it('round-trips decodeFlags through encodeFlags', () => {
    const socketField = { table: n.socketType, mask: 0xf };
    const openField = { table: n.openAccessMode, mask: 3 };
    for (let bit = 0; bit < 32; bit++) {
      for (const base of [0, 1, 2]) {
        const v = (base | (1 << bit)) >>> 0;
        expect(encodeFlags(n.openFlag, decodeOpenFlags(v), openField)).toBe(v);
        const s = (1 | (1 << bit)) >>> 0;
        expect(encodeFlags(n.socketFlag, decodeSocketType(s), socketField)).toBe(s);
        expect(encodeFlags(n.msgFlag, decodeFlags(n.msgFlag, v))).toBe(v);
      }
    }
    expect(encodeFlags(n.msgFlag, 'MSG_BOGUS')).toBeUndefined();
  });
});

describe('explaining values', () => {
  it('names the Linux constant an unknown value is, with NuttX value', () => {
    expect(explainUnknown('ioctl', 0x5451)).toBe("0x5451 is Linux's FIOCLEX; NuttX's is 0x30b");
    expect(explainUnknown('ioctl', 0x5421)).toBe("0x5421 is Linux's FIONBIO; NuttX's is 0x30a");
    expect(explainUnknown('socketOption', 29)).toBe("29 is Linux's SO_TIMESTAMP; NuttX's is 16");
    expect(explainUnknown('ioctl', 0x5401)).toBe("0x5401 is Linux's TCGETS; NuttX's is 0x101");
    expect(explainUnknown('msgFlag', 0x40000040)).toBe(
      "0x40000000 is Linux's MSG_CMSG_CLOEXEC; NuttX's is 0x100000",
    );
    expect(explainUnknown('socketOption', 15)).toBeUndefined(); // known: SO_TYPE
    expect(explainUnknown('ioctl', 0x1234)).toBeUndefined(); // nobody's
  });

  it("says when NuttX has no such constant, and explains 12.x's open flags", () => {
    expect(explainUnknown('ioctl', 0x8906)).toBe(
      "0x8906 is Linux's SIOCGSTAMP; NuttX has no SIOCGSTAMP",
    );
    expect(explainUnknown('fcntlCmd', 1030)).toBe("1030 is Linux's F_DUPFD_CLOEXEC; NuttX's is 18");
    expect(explainMisread('fcntlCmd', 12)).toBe(
      "12 is Linux's F_GETLK64; NuttX has no F_GETLK64 (NuttX reads 12 as F_SETLKW)",
    );
    expect(explainUnknown('openFlag', 0x80000, NUTTX_12)).toBe(
      "0x80000 is Linux's O_CLOEXEC; NuttX's is 0x400",
    );
    expect(explainUnknown('openAccessMode', 0, NUTTX_12)).toBe(
      "0 is Linux's O_RDONLY; NuttX's is 1",
    );
    // SOCK_CLOEXEC has Linux's value since NuttX 10 (2020): nothing to explain.
    expect(explainUnknown('socketFlag', 0x80001)).toBeUndefined();
  });

  it('explains values NuttX reads differently from Linux', () => {
    expect(explainMisread('socketOption', 2)).toBe(
      "2 is Linux's SO_REUSEADDR; NuttX's is 11 (NuttX reads 2 as SO_DEBUG)",
    );
    expect(explainMisread('mutexType', 1)).toBe(
      "1 is Linux's PTHREAD_MUTEX_RECURSIVE; NuttX's is 2 (NuttX reads 1 as PTHREAD_MUTEX_ERRORCHECK)",
    );
    expect(explainMisread('openFlag', 0x4000)).toBe(
      "0x4000 is Linux's O_DIRECTORY; NuttX's is 0x10000 (NuttX reads 0x4000 as O_DIRECT)",
    );
    expect(explainMisread('level', 1)).toBeUndefined(); // SOL_SOCKET on both
    expect(explainMisread('socketOption', 4)).toBeUndefined(); // SO_ERROR on both
  });
});
