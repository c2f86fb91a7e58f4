/*
 * The demo's network client commands, typed on the console (Enter runs the line):
 *   ping A.B.C.D                   four ICMP echo requests, one a second (lwIP's raw API), each
 *                                  reply or time-out on its own line, then a summary
 *   wget http://A.B.C.D[:PORT][/P] an HTTP/1.0 GET over lwIP's TCP: the response is copied to
 *                                  the console (the first 2 KiB), then a summary with its size;
 *                                  a refused connection, a reset or 10 s of silence says so
 * They show the board starting traffic of its own: on f4emu's user network, ping 10.0.2.2 is
 * answered by the virtual gateway, and wget to 10.0.2.2:PORT reaches 127.0.0.1:PORT on the host
 * only with restrict=off (restricted, the gateway refuses the connection).
 * One command runs at a time; lwIP runs from the main loop only (client_poll drives time-outs).
 */
#include <string.h>

#include "demo.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip4_addr.h"
#include "lwip/pbuf.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"
#include "lwip/tcp.h"

#define PING_COUNT 4
#define PING_INTERVAL_MS 1000
#define PING_ID 0xF4E0
#define PING_DATA 32
#define WGET_TIMEOUT_MS 10000
#define WGET_ECHO_MAX 2048

enum busy { IDLE, PINGING, FETCHING };
static enum busy busy;
static ip4_addr_t target;

/* ---- ping ---- */

static struct raw_pcb *ping_pcb;
static uint16_t ping_seq; /* the last request sent (1-based) */
static unsigned ping_received;
static int ping_answered; /* the last request got its reply */
static uint32_t ping_sent_at;

static u8_t ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr) {
  (void)arg;
  (void)pcb;
  if (busy != PINGING || p->len < IP_HLEN) return 0;
  const struct ip_hdr *ip = (const struct ip_hdr *)p->payload;
  uint16_t hlen = (uint16_t)(IPH_HL(ip) * 4u);
  struct icmp_echo_hdr echo;
  if (p->tot_len < hlen + sizeof echo) return 0;
  pbuf_copy_partial(p, &echo, sizeof echo, hlen);
  if (echo.type != ICMP_ER || echo.id != PP_HTONS(PING_ID) || lwip_ntohs(echo.seqno) != ping_seq ||
      !ip4_addr_cmp(ip_2_ip4(addr), &target))
    return 0;
  if (!ping_answered) {
    uint32_t rtt = sys_now() - ping_sent_at; /* before printing: the console takes 87 us a byte */
    ping_answered = 1;
    ping_received++;
    puts2("reply from ");
    puts2(ip4addr_ntoa(&target));
    puts2(": icmp_seq=");
    putu(ping_seq);
    puts2(" time=");
    putu(rtt);
    puts2(" ms\r\n");
  }
  pbuf_free(p);
  return 1;
}

static void ping_send(void) {
  struct pbuf *p = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + PING_DATA, PBUF_RAM);
  ping_seq++;
  ping_answered = 0;
  ping_sent_at = sys_now();
  if (!p) {
    puts2("ping: out of memory\r\n");
    return;
  }
  struct icmp_echo_hdr *echo = (struct icmp_echo_hdr *)p->payload;
  echo->type = ICMP_ECHO;
  echo->code = 0;
  echo->chksum = 0;
  echo->id = PP_HTONS(PING_ID);
  echo->seqno = lwip_htons(ping_seq);
  uint8_t *data = (uint8_t *)(echo + 1);
  for (unsigned i = 0; i < PING_DATA; i++) data[i] = (uint8_t)('a' + i % 26);
  echo->chksum = inet_chksum(echo, (u16_t)p->len);
  ip_addr_t to;
  ip_addr_copy_from_ip4(to, target);
  err_t err = raw_sendto(ping_pcb, p, &to);
  pbuf_free(p);
  if (err != ERR_OK) {
    puts2("ping: cannot send (lwIP error ");
    putu((uint32_t)-err);
    puts2(")\r\n");
  }
}

static void ping_start(void) {
  if (!ping_pcb) {
    ping_pcb = raw_new(IP_PROTO_ICMP);
    if (!ping_pcb) {
      puts2("ping: out of memory\r\n");
      return;
    }
    raw_recv(ping_pcb, ping_recv, NULL);
    raw_bind(ping_pcb, IP_ADDR_ANY);
  }
  busy = PINGING;
  ping_seq = 0;
  ping_received = 0;
  puts2("PING ");
  puts2(ip4addr_ntoa(&target));
  puts2("\r\n");
  ping_send();
}

static void ping_poll(void) {
  if ((int32_t)(sys_now() - ping_sent_at) < PING_INTERVAL_MS) return;
  if (!ping_answered) {
    puts2("no reply: icmp_seq=");
    putu(ping_seq);
    puts2("\r\n");
  }
  if (ping_seq < PING_COUNT) {
    ping_send();
    return;
  }
  puts2("ping: ");
  putu(PING_COUNT);
  puts2(" sent, ");
  putu(ping_received);
  puts2(" received\r\n");
  busy = IDLE;
}

/* ---- wget ---- */

static struct tcp_pcb *wget_pcb;
static uint32_t wget_bytes, wget_deadline;
static uint16_t wget_port;
static char wget_last; /* the last byte echoed, to end the response's last line */
static char wget_request[160];

static void wget_done(const char *why) {
  if (wget_pcb) {
    tcp_arg(wget_pcb, NULL);
    tcp_recv(wget_pcb, NULL);
    tcp_err(wget_pcb, NULL);
    if (tcp_close(wget_pcb) != ERR_OK) tcp_abort(wget_pcb);
    wget_pcb = NULL;
  }
  if (wget_bytes && wget_last != '\n') puts2("\r\n");
  puts2("wget: ");
  puts2(why);
  puts2(", ");
  putu(wget_bytes);
  puts2(" bytes received\r\n");
  busy = IDLE;
}

static err_t wget_received(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  (void)arg;
  if (!p || err != ERR_OK) {
    if (p) pbuf_free(p);
    wget_done("connection closed by the server");
    return ERR_OK;
  }
  for (struct pbuf *q = p; q; q = q->next) {
    const char *data = (const char *)q->payload;
    for (uint16_t i = 0; i < q->len; i++, wget_bytes++) {
      if (wget_bytes >= WGET_ECHO_MAX) continue;
      char s[2] = {data[i], 0};
      puts2(s);
      wget_last = data[i];
    }
  }
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  wget_deadline = sys_now() + WGET_TIMEOUT_MS;
  return ERR_OK;
}

static void wget_error(void *arg, err_t err) {
  (void)arg;
  wget_pcb = NULL; /* lwIP has freed it */
  wget_done(err == ERR_RST ? "connection refused or reset" : "connection aborted");
}

static err_t wget_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK) return err;
  puts2("connected\r\n");
  tcp_write(pcb, wget_request, (u16_t)strlen(wget_request), TCP_WRITE_FLAG_COPY);
  tcp_output(pcb);
  return ERR_OK;
}

static int append(char *dst, size_t size, const char *s) {
  size_t n = strlen(dst), m = strlen(s);
  if (n + m >= size) return 0;
  memcpy(dst + n, s, m + 1);
  return 1;
}

/* "http://A.B.C.D[:PORT][/PATH]" (the scheme may be left out). */
static int wget_start(const char *url) {
  if (strncmp(url, "http://", 7) == 0) url += 7;
  char host[16];
  size_t n = strcspn(url, ":/");
  if (n == 0 || n >= sizeof host) return 0;
  memcpy(host, url, n);
  host[n] = 0;
  if (!ip4addr_aton(host, &target)) return 0;
  url += n;
  uint32_t port = 80;
  if (*url == ':') {
    port = 0;
    for (url++; *url >= '0' && *url <= '9'; url++) port = port * 10 + (uint32_t)(*url - '0');
    if (port == 0 || port > 65535) return 0;
  }
  const char *path = *url ? url : "/";
  if (*path != '/') return 0;
  wget_request[0] = 0;
  if (!append(wget_request, sizeof wget_request, "GET ") ||
      !append(wget_request, sizeof wget_request, path) ||
      !append(wget_request, sizeof wget_request, " HTTP/1.0\r\nHost: ") ||
      !append(wget_request, sizeof wget_request, host) ||
      !append(wget_request, sizeof wget_request, "\r\nUser-Agent: f4emu-demo\r\n\r\n"))
    return 0;
  wget_port = (uint16_t)port;
  wget_bytes = 0;
  busy = FETCHING;
  wget_deadline = sys_now() + WGET_TIMEOUT_MS;
  puts2("connecting to ");
  puts2(host);
  puts2(":");
  putu(port);
  puts2("\r\n");
  wget_pcb = tcp_new();
  if (!wget_pcb) {
    wget_done("out of memory");
    return 1;
  }
  tcp_recv(wget_pcb, wget_received);
  tcp_err(wget_pcb, wget_error);
  ip_addr_t to;
  ip_addr_copy_from_ip4(to, target);
  if (tcp_connect(wget_pcb, &to, wget_port, wget_connected) != ERR_OK) wget_done("cannot connect");
  return 1;
}

/* ---- the console's side ---- */

int client_command(const char *line) {
  if (busy != IDLE) {
    if (*line) puts2("busy: the last command has not finished\r\n");
    return *line != 0;
  }
  if (strncmp(line, "ping ", 5) == 0) {
    if (!ip4addr_aton(line + 5, &target)) {
      puts2("ping: not an IPv4 address: ");
      puts2(line + 5);
      puts2("\r\n");
    } else {
      ping_start();
    }
    return 1;
  }
  if (strncmp(line, "wget ", 5) == 0) {
    if (!wget_start(line + 5)) {
      puts2("wget: expected http://A.B.C.D[:PORT][/PATH], got ");
      puts2(line + 5);
      puts2("\r\n");
    }
    return 1;
  }
  return 0;
}

void client_poll(void) {
  if (busy == PINGING) ping_poll();
  if (busy == FETCHING && (int32_t)(sys_now() - wget_deadline) >= 0) {
    if (wget_pcb) {
      tcp_arg(wget_pcb, NULL);
      tcp_err(wget_pcb, NULL);
      tcp_abort(wget_pcb);
      wget_pcb = NULL;
    }
    wget_done("timed out");
  }
}
