/*
 * A socket layer with NuttX's constants (nuttx_abi.h) and NuttX's argument checks, with no
 * network behind it: what matters here is which calls succeed and which fail, and with what
 * errno, when a program passes NuttX's numbers or Linux's.
 *
 * - socket() fails with EINVAL for type bits outside SOCK_TYPE_MASK | SOCK_CLOEXEC |
 *   SOCK_NONBLOCK (NuttX net/socket/socket.c, psock_socket).
 * - setsockopt()/getsockopt() at SOL_SOCKET follow NuttX's psock_socketlevel_option: boolean
 *   options need an int, SO_ACCEPTCONN/SO_ERROR/SO_TYPE are get-only (EINVAL), anything else is
 *   ENOPROTOOPT, as is any other level.
 * - ioctl() knows FIONREAD, FIONBIO, FIOCLEX, FIONCLEX; anything else is ENOTTY.
 * - fcntl() knows F_GETFD/F_SETFD/F_GETFL/F_SETFL; anything else is EINVAL.
 * - A model of TIME_WAIT, so SO_REUSEADDR has an effect to miss: closing a bound TCP socket
 *   leaves its port in TIME_WAIT, and bind() to that port then fails with EADDRINUSE unless the
 *   new socket set SO_REUSEADDR (what makes a restarted server fail to bind on a real stack).
 *
 * Socket descriptors start at SOCKFD_BASE, above the files newlib's semihosting layer opens;
 * close() passes any other descriptor on to newlib. errno values are newlib's.
 */
#include <errno.h>
#include <reent.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>

#include "nuttx_abi.h"
#include "os_internal.h"

#define SOCKFD_BASE 24
#define NSOCKETS 8
#define NTIMEWAIT 4

struct nx_socket {
  uint8_t used;
  uint8_t domain;
  uint8_t type;     /* SOCK_STREAM / SOCK_DGRAM */
  uint8_t listening;
  uint8_t cloexec;  /* FD_CLOEXEC */
  uint8_t nonblock; /* O_NONBLOCK */
  uint16_t port;    /* bound port, host order; 0 = unbound */
  uint32_t options; /* bit n set: boolean SO_ option n is on */
  int rcvbuf, sndbuf;
  struct linger linger;
};

static struct nx_socket g_sockets[NSOCKETS];
static uint16_t g_timewait[NTIMEWAIT]; /* ports closed while bound, still in TIME_WAIT */

/* The socket behind fd, or NULL with errno set (EBADF, or ENOTSOCK for another fd). */
static struct nx_socket *sockfd(int fd) {
  if (fd >= SOCKFD_BASE && fd < SOCKFD_BASE + NSOCKETS && g_sockets[fd - SOCKFD_BASE].used) {
    return &g_sockets[fd - SOCKFD_BASE];
  }
  errno = fd >= 0 && fd <= 2 ? ENOTSOCK : EBADF;
  return NULL;
}

int socket(int domain, int type, int protocol) {
  (void)protocol;
  if (domain != AF_INET && domain != AF_LOCAL) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  if (type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK | SOCK_TYPE_MASK)) {
    errno = EINVAL; /* an unknown flag in the type: NuttX refuses it */
    return -1;
  }
  int kind = type & SOCK_TYPE_MASK;
  if (kind != SOCK_STREAM && kind != SOCK_DGRAM) {
    errno = EPROTONOSUPPORT;
    return -1;
  }
  uint32_t flags = up_irq_save();
  int i = 0;
  while (i < NSOCKETS && g_sockets[i].used) i++;
  if (i == NSOCKETS) {
    up_irq_restore(flags);
    errno = EMFILE;
    return -1;
  }
  struct nx_socket *s = &g_sockets[i];
  memset(s, 0, sizeof *s);
  s->used = 1;
  up_irq_restore(flags);
  s->domain = (uint8_t)domain;
  s->type = (uint8_t)kind;
  s->cloexec = (type & SOCK_CLOEXEC) != 0;
  s->nonblock = (type & SOCK_NONBLOCK) != 0;
  s->rcvbuf = s->sndbuf = 1024;
  return SOCKFD_BASE + i;
}

static int in_timewait(uint16_t port) {
  for (int i = 0; i < NTIMEWAIT; i++) {
    if (g_timewait[i] == port) return 1;
  }
  return 0;
}

int bind(int fd, const struct sockaddr *addr, socklen_t addrlen) {
  struct nx_socket *s = sockfd(fd);
  if (s == NULL) return -1;
  if (addr == NULL || addr->sa_family != s->domain) {
    errno = addr == NULL ? EINVAL : EAFNOSUPPORT;
    return -1;
  }
  if (s->domain == AF_LOCAL) return 0;
  if (addrlen < sizeof(struct sockaddr_in)) {
    errno = EINVAL;
    return -1;
  }
  uint16_t port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
  for (int i = 0; i < NSOCKETS; i++) {
    const struct nx_socket *o = &g_sockets[i];
    if (o != s && o->used && o->domain == AF_INET && o->type == s->type && o->port == port) {
      errno = EADDRINUSE;
      return -1;
    }
  }
  if (s->type == SOCK_STREAM && in_timewait(port) && !(s->options & (1u << SO_REUSEADDR))) {
    errno = EADDRINUSE; /* the last server on this port closed moments ago */
    return -1;
  }
  s->port = port;
  return 0;
}

int listen(int fd, int backlog) {
  (void)backlog;
  struct nx_socket *s = sockfd(fd);
  if (s == NULL) return -1;
  if (s->type != SOCK_STREAM) {
    errno = EOPNOTSUPP;
    return -1;
  }
  s->listening = 1;
  return 0;
}

static int set_socket_option(struct nx_socket *s, int option, const void *value,
                             socklen_t value_len) {
  switch (option) {
    case SO_BROADCAST:
    case SO_DEBUG:
    case SO_DONTROUTE:
    case SO_KEEPALIVE:
    case SO_OOBINLINE:
    case SO_REUSEADDR:
      if (value == NULL || value_len != sizeof(int)) return EINVAL;
      if (*(const int *)value) {
        s->options |= 1u << option;
      } else {
        s->options &= ~(1u << option);
      }
      return 0;
    case SO_RCVBUF:
    case SO_SNDBUF:
      if (value == NULL || value_len != sizeof(int) || *(const int *)value < 0) return EINVAL;
      *(option == SO_RCVBUF ? &s->rcvbuf : &s->sndbuf) = *(const int *)value;
      return 0;
    case SO_LINGER:
      if (value == NULL || value_len != sizeof(struct linger)) return EINVAL;
      s->linger = *(const struct linger *)value;
      return 0;
    case SO_RCVTIMEO:
    case SO_SNDTIMEO:
      if (value == NULL || value_len != sizeof(struct timeval)) return EINVAL;
      return 0;
    case SO_ACCEPTCONN: /* only for getsockopt */
    case SO_ERROR:
    case SO_TYPE:
      return EINVAL;
    default:
      return ENOPROTOOPT;
  }
}

int setsockopt(int fd, int level, int option, const void *value, socklen_t value_len) {
  struct nx_socket *s = sockfd(fd);
  if (s == NULL) return -1;
  int err = level == SOL_SOCKET ? set_socket_option(s, option, value, value_len) : ENOPROTOOPT;
  if (err != 0) {
    errno = err;
    return -1;
  }
  return 0;
}

int getsockopt(int fd, int level, int option, void *value, socklen_t *value_len) {
  struct nx_socket *s = sockfd(fd);
  if (s == NULL) return -1;
  if (level != SOL_SOCKET) {
    errno = ENOPROTOOPT;
    return -1;
  }
  if (value == NULL || value_len == NULL || *value_len < sizeof(int)) {
    errno = EINVAL;
    return -1;
  }
  int v;
  switch (option) {
    case SO_BROADCAST:
    case SO_DEBUG:
    case SO_DONTROUTE:
    case SO_KEEPALIVE:
    case SO_OOBINLINE:
    case SO_REUSEADDR:
      v = (s->options >> option) & 1;
      break;
    case SO_ACCEPTCONN:
      v = s->listening;
      break;
    case SO_ERROR:
      v = 0;
      break;
    case SO_TYPE:
      v = s->type;
      break;
    case SO_RCVBUF:
      v = s->rcvbuf;
      break;
    case SO_SNDBUF:
      v = s->sndbuf;
      break;
    default:
      errno = ENOPROTOOPT;
      return -1;
  }
  *(int *)value = v;
  *value_len = sizeof(int);
  return 0;
}

int ioctl(int fd, int req, ...) {
  va_list ap;
  va_start(ap, req);
  unsigned long arg = va_arg(ap, unsigned long);
  va_end(ap);
  struct nx_socket *s = sockfd(fd);
  if (s == NULL) {
    if (errno == ENOTSOCK) errno = ENOTTY; /* the console: no such request either */
    return -1;
  }
  switch (req) {
    case FIONREAD:
      if (arg == 0) break;
      *(int *)arg = 0; /* nothing ever arrives */
      return 0;
    case FIONBIO:
      if (arg == 0) break;
      s->nonblock = *(int *)arg != 0;
      return 0;
    case FIOCLEX:
      s->cloexec = 1;
      return 0;
    case FIONCLEX:
      s->cloexec = 0;
      return 0;
    default:
      errno = ENOTTY; /* not a request NuttX knows */
      return -1;
  }
  errno = EINVAL;
  return -1;
}

/* Replaces newlib's fcntl (whose _fcntl the semihosting layer lacks). */
int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  int arg = va_arg(ap, int);
  va_end(ap);
  if (fd >= 0 && fd <= 2) {
    /* stdin/stdout/stderr: plain descriptors without flags. */
    if (cmd == F_GETFD) return 0;
    if (cmd == F_GETFL) return NX_O_RDWR;
    errno = EINVAL;
    return -1;
  }
  struct nx_socket *s = sockfd(fd);
  if (s == NULL) return -1;
  switch (cmd) {
    case F_GETFD:
      return s->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
      s->cloexec = (arg & FD_CLOEXEC) != 0;
      return 0;
    case F_GETFL:
      return NX_O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
    case F_SETFL:
      s->nonblock = (arg & O_NONBLOCK) != 0;
      return 0;
    default:
      errno = EINVAL;
      return -1;
  }
}

/* Replaces newlib's close: sockets here, every other descriptor to newlib (semihosting). */
int close(int fd) {
  if (fd < SOCKFD_BASE || fd >= SOCKFD_BASE + NSOCKETS) return _close_r(_REENT, fd);
  struct nx_socket *s = sockfd(fd);
  if (s == NULL) return -1;
  if (s->type == SOCK_STREAM && s->port != 0) {
    /* Lingers in TIME_WAIT (oldest entry replaced): a new bind needs SO_REUSEADDR. */
    memmove(&g_timewait[1], &g_timewait[0], sizeof g_timewait - sizeof g_timewait[0]);
    g_timewait[0] = s->port;
  }
  s->used = 0;
  return 0;
}
