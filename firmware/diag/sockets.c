/*
 * Test program for --trace-calls: what std::net::TcpListener::bind() did on NuttX in the talk,
 * with Linux's numbers (Rust's libc crate built for "linux") against NuttX's (nuttx_abi.h). A
 * "server" binds port 8080, listens and closes (its port stays in TIME_WAIT), then a restarted
 * server does what Rust's bind does:
 *   socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
 *   setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
 *   ioctl(fd, FIOCLEX)              (Rust's set_cloexec, before socket() took the flag)
 *   fcntl(fd, F_SETFD, FD_CLOEXEC)  (the talk's attempted workaround)
 *   bind(fd, 0.0.0.0:8080), listen(fd, 128)
 *
 * Buggy variant (no argument) passes Linux's values. What happens, call by call:
 *   socket(2, 0x80001, 0)   succeeds: Linux's SOCK_CLOEXEC (02000000 = 0x80000) is NuttX's too
 *                           (the talk predates NuttX's SOCK_CLOEXEC; then it was EINVAL).
 *   setsockopt(fd, 1, 2, &1, 4) succeeds but sets the wrong option: SOL_SOCKET is 1 on both,
 *                           Linux's SO_REUSEADDR 2 is NuttX's SO_DEBUG; SO_REUSEADDR (11) stays 0.
 *   ioctl(fd, 0x5451)       fails, errno ENOTTY (25): Linux's FIOCLEX; NuttX's is 0x30b.
 *   fcntl(fd, 2, 1)         "succeeds" returning 2 (O_RDWR): Linux's F_SETFD is NuttX's
 *                           F_GETFL, which reads the status flags and sets nothing (the
 *                           descriptor is close-on-exec anyway, from socket()'s SOCK_CLOEXEC).
 *   bind(fd, 0.0.0.0:8080)  fails, errno EADDRINUSE (newlib's 112; NuttX's number is 98):
 *                           the port is in TIME_WAIT and SO_REUSEADDR was never set.
 * A --trace-calls report should decode setsockopt's option 2 as SO_DEBUG and flag it as Linux's
 * SO_REUSEADDR, and flag ioctl 0x5451 as Linux's FIOCLEX (ENOTTY).
 * Clean twin (`--cmdline clean`): NuttX's values (SOCK_CLOEXEC 0x80000, SO_REUSEADDR 11,
 * FIOCLEX 0x30b, F_SETFD 8); every call returns 0 (socket a descriptor, fcntl 0), bind succeeds.
 * Both variants print each call with its result and errno and exit 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nuttx_abi.h"
#include "os.h"

#define PORT 8080

struct abi {
  const char *name;
  int sock_cloexec, sol_socket, so_reuseaddr, fioclex, f_setfd;
};

static const struct abi nuttx = {"NuttX", SOCK_CLOEXEC, SOL_SOCKET, SO_REUSEADDR, FIOCLEX, F_SETFD};
static const struct abi linux_abi = {"Linux", LINUX_SOCK_CLOEXEC, LINUX_SOL_SOCKET,
                                     LINUX_SO_REUSEADDR, LINUX_FIOCLEX, LINUX_F_SETFD};

static int report(const char *call, int ret) {
  if (ret < 0) {
    int err = errno;
    printf("sockets: %-44s = %d, errno %d (%s)\n", call, ret, err, strerror(err));
  } else {
    printf("sockets: %-44s = %d\n", call, ret);
  }
  return ret;
}

static struct sockaddr_in any_port(int port) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = INADDR_ANY;
  return addr;
}

/* The server that ran before: bound, listened, closed. Its port is now in TIME_WAIT. */
static void previous_server(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = any_port(PORT);
  bind(fd, (struct sockaddr *)&addr, sizeof addr);
  listen(fd, 8);
  close(fd);
  printf("sockets: a previous server on port %d closed (port in TIME_WAIT)\n", PORT);
}

/* What std::net::TcpListener::bind("0.0.0.0:8080") does, with one ABI's numbers. */
static int tcp_listener_bind(const struct abi *abi) {
  char call[64];
  int one = 1;
  snprintf(call, sizeof call, "socket(AF_INET, SOCK_STREAM|0x%x, 0)", abi->sock_cloexec);
  int fd = report(call, socket(AF_INET, SOCK_STREAM | abi->sock_cloexec, 0));
  if (fd < 0) return -1;

  snprintf(call, sizeof call, "setsockopt(fd, %d, %d, &1, 4)", abi->sol_socket,
           abi->so_reuseaddr);
  report(call, setsockopt(fd, abi->sol_socket, abi->so_reuseaddr, &one, sizeof one));
  int v = -1;
  socklen_t len = sizeof v;
  getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &len);
  printf("sockets:   SO_REUSEADDR is now %d\n", v);

  snprintf(call, sizeof call, "ioctl(fd, 0x%x)", abi->fioclex);
  report(call, ioctl(fd, abi->fioclex, 0));

  snprintf(call, sizeof call, "fcntl(fd, %d, FD_CLOEXEC)", abi->f_setfd);
  report(call, fcntl(fd, abi->f_setfd, FD_CLOEXEC));
  printf("sockets:   close-on-exec is now %s\n", fcntl(fd, F_GETFD) & FD_CLOEXEC ? "on" : "off");

  struct sockaddr_in addr = any_port(PORT);
  snprintf(call, sizeof call, "bind(fd, 0.0.0.0:%d)", PORT);
  if (report(call, bind(fd, (struct sockaddr *)&addr, sizeof addr)) < 0) {
    close(fd);
    return -1;
  }
  report("listen(fd, 128)", listen(fd, 128));
  return fd;
}

int main(int argc, char *argv[]) {
  os_start();
  const struct abi *abi = diag_clean_variant(argc, argv) ? &nuttx : &linux_abi;
  printf("sockets: TcpListener::bind with %s's constants\n", abi->name);
  previous_server();
  int fd = tcp_listener_bind(abi);
  printf("sockets: TcpListener::bind %s\n", fd >= 0 ? "succeeded" : "failed");
  if (fd >= 0) close(fd);
  os_shutdown();
  exit(0);
}
