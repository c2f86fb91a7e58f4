/*
 * NuttX's values for the constants a POSIX program passes to socket(), setsockopt(), ioctl() and
 * fcntl(): the numbers only, written by us after reading NuttX's include/sys/socket.h,
 * include/netinet/in.h, include/fcntl.h and include/nuttx/fs/ioctl.h (no text taken from them). A program built against Linux's headers (as Rust's libc crate was,
 * in the talk this firmware reproduces) passes Linux's numbers instead; the LINUX_* values below
 * are those, for the diag programs that make that mistake on purpose.
 *
 * newlib's <fcntl.h> defines F_GETFD & co. with its own numbers: they are replaced here, so
 * include this header after newlib's. Error numbers stay newlib's (<errno.h>): the OS sets
 * newlib's errno so strerror() prints the right text. newlib and NuttX agree on EINVAL (22),
 * ENOTTY (25), EBADF (9), EMFILE (24); they differ on ENOPROTOOPT (newlib 109, NuttX 92),
 * EADDRINUSE (112 / 98), EAFNOSUPPORT (106 / 97), EOPNOTSUPP (95 / 95), ENOTSOCK (108 / 88).
 */
#ifndef DIAG_OS_NUTTX_ABI_H
#define DIAG_OS_NUTTX_ABI_H

#include <fcntl.h>
#include <stdint.h>

/* Address families (NuttX include/sys/socket.h). */
#define PF_UNSPEC 0
#define PF_LOCAL 1
#define PF_UNIX PF_LOCAL
#define PF_INET 2
#define AF_UNSPEC PF_UNSPEC
#define AF_LOCAL PF_LOCAL
#define AF_UNIX PF_UNIX
#define AF_INET PF_INET

/* Socket types and the flags or-ed into the type (NuttX: octal, like Linux's). */
#define SOCK_UNSPEC 0
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_CLOEXEC 02000000 /* 0x80000: the same number as Linux's */
#define SOCK_NONBLOCK 00004000 /* 0x800: the same number as Linux's */
#define SOCK_TYPE_MASK 0xf

/* Socket-level options (NuttX include/sys/socket.h): not Linux's numbering. */
#define SOL_SOCKET 1
#define SO_ACCEPTCONN 0
#define SO_BROADCAST 1
#define SO_DEBUG 2
#define SO_DONTROUTE 3
#define SO_ERROR 4
#define SO_KEEPALIVE 5
#define SO_LINGER 6
#define SO_OOBINLINE 7
#define SO_RCVBUF 8
#define SO_RCVLOWAT 9
#define SO_RCVTIMEO 10
#define SO_REUSEADDR 11
#define SO_SNDBUF 12
#define SO_SNDLOWAT 13
#define SO_SNDTIMEO 14
#define SO_TYPE 15

#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define INADDR_ANY 0u
#define SOMAXCONN 8

/* ioctl requests (NuttX include/nuttx/fs/ioctl.h): _FIOC(nr) = _FIOCBASE | nr. */
#define _FIOCBASE 0x0300
#define _FIOC(nr) (_FIOCBASE | (nr))
#define FIONREAD _FIOC(0x0006) /* 0x306: int *, bytes readable */
#define FIONBIO _FIOC(0x000a)  /* 0x30a: int *, non-zero = non-blocking */
#define FIOCLEX _FIOC(0x000b)  /* 0x30b: set close-on-exec */
#define FIONCLEX _FIOC(0x000c) /* 0x30c: clear close-on-exec */

/* fcntl commands and flags (NuttX include/fcntl.h), replacing newlib's numbers. */
#undef F_GETFD
#undef F_GETFL
#undef F_SETFD
#undef F_SETFL
#undef FD_CLOEXEC
#undef O_NONBLOCK
#undef O_CLOEXEC
#define F_GETFD 1
#define F_GETFL 2
#define F_SETFD 8
#define F_SETFL 9
#define FD_CLOEXEC 1
#define NX_O_RDWR 2u /* NuttX's O_RDWR (the same as Linux's and newlib's) */
#define O_NONBLOCK (1u << 11)
#define O_CLOEXEC (1u << 19)

/* Linux's values (asm-generic/socket.h, asm-generic/ioctls.h, fcntl.h) for the same names. */
#define LINUX_SOCK_CLOEXEC 02000000 /* 0x80000 */
#define LINUX_SOCK_NONBLOCK 00004000
#define LINUX_SOL_SOCKET 1
#define LINUX_SO_DEBUG 1
#define LINUX_SO_REUSEADDR 2 /* NuttX's SO_DEBUG */
#define LINUX_SO_KEEPALIVE 9 /* NuttX's SO_RCVLOWAT */
#define LINUX_FIOCLEX 0x5451
#define LINUX_FIONCLEX 0x5450
#define LINUX_FIONBIO 0x5421
#define LINUX_F_SETFD 2 /* NuttX's F_GETFL */
#define LINUX_F_GETFL 3

/* Socket addresses, NuttX's layout (16-bit family first, as Linux's). */
typedef uint16_t sa_family_t;
typedef uint32_t socklen_t;
typedef uint16_t in_port_t;
typedef uint32_t in_addr_t;

struct sockaddr {
  sa_family_t sa_family;
  char sa_data[14];
};

struct in_addr {
  in_addr_t s_addr;
};

struct sockaddr_in {
  sa_family_t sin_family;
  in_port_t sin_port; /* network byte order */
  struct in_addr sin_addr;
  uint8_t sin_zero[8];
};

struct linger {
  int l_onoff;
  int l_linger;
};

#define htons(x) ((uint16_t)((((x) & 0xff) << 8) | (((x) >> 8) & 0xff)))
#define ntohs(x) htons(x)

int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr *addr, socklen_t addrlen);
int listen(int fd, int backlog);
int setsockopt(int fd, int level, int option, const void *value, socklen_t value_len);
int getsockopt(int fd, int level, int option, void *value, socklen_t *value_len);
int ioctl(int fd, int req, ...);

#endif
