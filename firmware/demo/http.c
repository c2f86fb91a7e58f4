/*
 * The demo's web server: HTTP/1.1 on port 80 over lwIP's raw TCP API, in the spirit of the web
 * server of the Rust book's chapter 20, on a microcontroller:
 *   /            a hello page
 *   /leds        the four LEDs and button B1, live (a small script polls /leds.json)
 *   /leds.json   the same as JSON
 *   /sleep       answers after 5 s of board time; the other connections are served meanwhile
 *                (the book needs a thread pool for that; an event loop needs only a deadline)
 *   /bytes/N     N bytes (up to 16 MiB) of a fixed pattern, byte i = PATTERN(i % 4096), for
 *                download tests: the host can check every byte
 *   anything else: 404 with a page saying so. Only GET; one request per connection.
 * Responses are queued without copying (constant text in flash, the rest in the connection's
 * own buffers), so a connection's slot is freed only once the client acknowledged everything.
 */
#include <string.h>

#include "demo.h"
#include "lwip/tcp.h"

#define HTTP_PORT 80
#define HTTP_CONNS 12
#define REQUEST_MAX 512
#define SLEEP_MS 5000
/* tcp_poll every 2 coarse timer ticks (1 s); a connection idle this long without a sleep is dropped */
#define IDLE_POLLS 20

struct chunk {
  const char *data;
  uint32_t len;
  uint32_t repeat; /* the data is sent this many times over (0 counts as once) */
};

/* The /bytes pattern: 4 KiB in RAM, filled at start, sent by reference again and again. */
#define PATTERN_SIZE 4096u
#define PATTERN(i) ((uint8_t)((i) * 7u + ((i) >> 8)))
#define BYTES_MAX (16u << 20)
static char pattern[PATTERN_SIZE];

enum conn_state { FREE, READING, SLEEPING, SENDING };

struct conn {
  struct tcp_pcb *pcb;
  enum conn_state state;
  uint32_t wake_at;
  uint32_t unacked;
  unsigned idle;
  unsigned nchunks, chunk;
  uint32_t offset;
  struct chunk chunks[5]; /* the header and up to four parts of the body */
  uint16_t req_len;
  char req[REQUEST_MAX];
  char head[160];
  char body[480];
};

static struct conn conns[HTTP_CONNS];
static unsigned sleepers; /* connections waiting in /sleep: http_poll has work only then */

/* ---- a tiny text builder (no printf on this board) ---- */

struct text {
  char *buf;
  uint32_t len, cap;
};

static void add(struct text *t, const char *s) {
  while (*s && t->len + 1 < t->cap) t->buf[t->len++] = *s++;
  t->buf[t->len] = 0;
}

static void add_u(struct text *t, uint32_t v) {
  char digits[11];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n && t->len + 1 < t->cap) t->buf[t->len++] = digits[--n];
  t->buf[t->len] = 0;
}

/* ---- pages ---- */

static const char STYLE[] =
    "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;line-height:1.4}"
    "code{background:#eee;padding:0 .2em}</style>";

static const char HELLO[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Hello from the board</title>%STYLE%</head><body>\n"
    "<h1>Hello!</h1>\n"
    "<p>This page comes from an STM32F407 on an STM32F4Discovery board: lwIP's TCP over the "
    "chip's Ethernet MAC and a LAN8720A PHY, served by a few hundred lines of C in the board "
    "demo's main loop, between two blinks of its LEDs.</p>\n"
    "<ul><li><a href=\"/leds\">/leds</a>: the four LEDs and button B1, live</li>\n"
    "<li><a href=\"/sleep\">/sleep</a>: a slow answer (5 seconds); the board keeps answering "
    "everyone else meanwhile</li></ul>\n"
    "</body></html>\n";

static const char NOT_FOUND_1[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>404 Not Found</title></head><body>\n"
    "<h1>404: nothing here</h1>\n<p>The board looked everywhere in its 1 MB of flash and found "
    "no page at <code>";
static const char NOT_FOUND_2[] =
    "</code>.</p>\n<p>Try the <a href=\"/\">hello page</a>.</p>\n</body></html>\n";

static const char SLEPT[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Slept</title></head><body>\n"
    "<h1>Good morning!</h1>\n<p>The board waited 5 seconds before answering. Other requests "
    "were served meanwhile: no thread pool, just a deadline in the main loop.</p>\n"
    "</body></html>\n";

static const char LEDS_1[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>LEDs and B1</title>"
    "<style>body{font-family:sans-serif;margin:2em}.led{display:inline-block;width:4em;"
    "text-align:center;margin:.3em}.dot{width:2em;height:2em;border-radius:50%;margin:auto;"
    "border:2px solid #444;background:#222}</style></head><body>\n"
    "<h1>LEDs and button B1</h1>\n<div id=\"leds\"></div>\n<p id=\"b1\"></p>\n"
    "<script id=\"state\" type=\"application/json\">";
static const char LEDS_2[] =
    "</script>\n<script>\n"
    "const colours = {green: '#2c2', orange: '#f90', red: '#e22', blue: '#36f'};\n"
    "function show(s) {\n"
    "  document.getElementById('leds').innerHTML = s.leds.map((l) => '<div class=\"led\">"
    "<div class=\"dot\" style=\"background:' + (l.on ? colours[l.color] : '#222') + '\"></div>'"
    " + l.name + '</div>').join('');\n"
    "  document.getElementById('b1').textContent = 'B1 is ' + s.button + ', pressed ' + "
    "s.presses + ' time(s); board uptime ' + (s.uptime_ms / 1000).toFixed(1) + ' s';\n"
    "}\n"
    "show(JSON.parse(document.getElementById('state').textContent));\n"
    "setInterval(() => fetch('/leds.json').then((r) => r.json()).then(show).catch(() => {}), "
    "250);\n"
    "</script>\n<noscript>The state above is a snapshot: reload to see it change.</noscript>\n"
    "</body></html>\n";

static const char *const led_colors[4] = {"green", "orange", "red", "blue"};

static void leds_json(struct text *t) {
  add(t, "{\"leds\":[");
  for (unsigned i = 0; i < 4; i++) {
    add(t, i ? ",{\"name\":\"" : "{\"name\":\"");
    /* led_names are "LD4 green": the name is the part before the space */
    char name[4] = {led_names[i][0], led_names[i][1], led_names[i][2], 0};
    add(t, name);
    add(t, "\",\"color\":\"");
    add(t, led_colors[i]);
    add(t, demo_led_on(i) ? "\",\"on\":true}" : "\",\"on\":false}");
  }
  add(t, "],\"button\":\"");
  add(t, demo_button_down() ? "down" : "up");
  add(t, "\",\"presses\":");
  add_u(t, demo_presses());
  add(t, ",\"uptime_ms\":");
  add_u(t, sys_now());
  add(t, "}");
}

/* ---- responses ---- */

static void push(struct conn *c, const char *data, uint32_t len) {
  if (len && c->nchunks < sizeof c->chunks / sizeof c->chunks[0] - 1)
    c->chunks[c->nchunks++] = (struct chunk){data, len, 1};
}

static uint32_t chunk_size(const struct chunk *k) {
  return k->len * (k->repeat ? k->repeat : 1);
}

/* Queues the header (status, type, length of the chunks pushed so far) in front of them. */
static void respond(struct conn *c, const char *status, const char *type) {
  uint32_t length = 0;
  for (unsigned i = 0; i < c->nchunks; i++) length += chunk_size(&c->chunks[i]);
  struct text h = {c->head, 0, sizeof c->head};
  add(&h, "HTTP/1.1 ");
  add(&h, status);
  add(&h, "\r\nContent-Type: ");
  add(&h, type);
  add(&h, "\r\nContent-Length: ");
  add_u(&h, length);
  add(&h, "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
  for (unsigned i = c->nchunks; i > 0; i--) c->chunks[i] = c->chunks[i - 1];
  c->chunks[0] = (struct chunk){c->head, h.len, 1};
  c->nchunks++;
  c->chunk = 0;
  c->offset = 0;
  c->state = SENDING;
}

static const char HTML[] = "text/html; charset=utf-8";

/* The hello page with its style sheet spliced in where %STYLE% stands. */
static void hello(struct conn *c) {
  const char *mark = strstr(HELLO, "%STYLE%");
  push(c, HELLO, (uint32_t)(mark - HELLO));
  push(c, STYLE, sizeof STYLE - 1);
  push(c, mark + 7, (uint32_t)(sizeof HELLO - 1 - (uint32_t)(mark + 7 - HELLO)));
  respond(c, "200 OK", HTML);
}

static void not_found(struct conn *c, const char *path) {
  /* The path, HTML-escaped the simple way: anything but [A-Za-z0-9/._~-] becomes '?'. */
  struct text b = {c->body, 0, 120};
  for (const char *s = path; *s && b.len + 1 < b.cap; s++) {
    char ch = *s;
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '/' || ch == '.' || ch == '_' || ch == '~' || ch == '-';
    b.buf[b.len++] = ok ? ch : '?';
  }
  push(c, NOT_FOUND_1, sizeof NOT_FOUND_1 - 1);
  push(c, c->body, b.len);
  push(c, NOT_FOUND_2, sizeof NOT_FOUND_2 - 1);
  respond(c, "404 Not Found", HTML);
}

static void simple(struct conn *c, const char *status, const char *text) {
  push(c, text, strlen(text));
  respond(c, status, "text/plain; charset=utf-8");
}

/* Routes a complete request (its header ends the buffer). */
static void route(struct conn *c) {
  char *req = c->req;
  char *sp = strchr(req, ' ');
  if (!sp) return simple(c, "400 Bad Request", "400: that is not an HTTP request\n");
  *sp = 0;
  char *path = sp + 1;
  char *end = strpbrk(path, " \r\n");
  if (!end) return simple(c, "400 Bad Request", "400: that is not an HTTP request\n");
  *end = 0;
  if (strcmp(req, "GET") != 0)
    return simple(c, "405 Method Not Allowed", "405: this board only answers GET\n");
  char *query = strchr(path, '?');
  if (query) *query = 0;
  if (strcmp(path, "/") == 0) return hello(c);
  if (strcmp(path, "/leds.json") == 0) {
    struct text b = {c->body, 0, sizeof c->body};
    leds_json(&b);
    push(c, c->body, b.len);
    return respond(c, "200 OK", "application/json");
  }
  if (strcmp(path, "/leds") == 0) {
    struct text b = {c->body, 0, sizeof c->body};
    leds_json(&b);
    push(c, LEDS_1, sizeof LEDS_1 - 1);
    push(c, c->body, b.len);
    push(c, LEDS_2, sizeof LEDS_2 - 1);
    return respond(c, "200 OK", HTML);
  }
  if (strncmp(path, "/bytes/", 7) == 0) {
    uint32_t n = 0;
    const char *d = path + 7;
    while (*d >= '0' && *d <= '9' && n <= BYTES_MAX) n = n * 10 + (uint32_t)(*d++ - '0');
    if (*d || d == path + 7 || n > BYTES_MAX)
      return simple(c, "400 Bad Request", "400: /bytes/N wants N from 0 to 16777216\n");
    if (n >= PATTERN_SIZE && c->nchunks + 1 < sizeof c->chunks / sizeof c->chunks[0])
      c->chunks[c->nchunks++] = (struct chunk){pattern, PATTERN_SIZE, n / PATTERN_SIZE};
    push(c, pattern, n % PATTERN_SIZE);
    return respond(c, "200 OK", "application/octet-stream");
  }
  if (strcmp(path, "/sleep") == 0) {
    c->state = SLEEPING;
    c->wake_at = sys_now() + SLEEP_MS;
    sleepers++;
    return;
  }
  not_found(c, path);
}

/* ---- connections ---- */

static void conn_free(struct conn *c) {
  if (c->state == SLEEPING) sleepers--;
  if (c->pcb) {
    tcp_arg(c->pcb, NULL);
    tcp_recv(c->pcb, NULL);
    tcp_sent(c->pcb, NULL);
    tcp_err(c->pcb, NULL);
    tcp_poll(c->pcb, NULL, 0);
  }
  c->pcb = NULL;
  c->state = FREE;
}

/* Closes (called once everything queued is acknowledged: the data is referenced, not copied).
 * Returns ERR_ABRT if the close had to abort, which a callback must pass back to lwIP. */
static err_t conn_close(struct conn *c) {
  struct tcp_pcb *pcb = c->pcb;
  conn_free(c);
  if (pcb && tcp_close(pcb) != ERR_OK) {
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  return ERR_OK;
}

/* Queues as much of the response as the send buffer takes. Returns ERR_ABRT if it aborted. */
static err_t send_more(struct conn *c) {
  struct tcp_pcb *pcb = c->pcb;
  while (c->chunk < c->nchunks) {
    const struct chunk *k = &c->chunks[c->chunk];
    uint32_t size = chunk_size(k);
    /* A repeated chunk is sent a copy of its data at a time. */
    uint32_t at = c->offset % k->len;
    uint32_t left = k->len - at;
    uint32_t room = tcp_sndbuf(pcb);
    if (room == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 1) break;
    uint32_t n = left < room ? left : room;
    if (n > 0xFFFF) n = 0xFFFF;
    int more = c->chunk + 1 < c->nchunks || c->offset + n < size;
    err_t err = tcp_write(pcb, k->data + at, (u16_t)n, more ? TCP_WRITE_FLAG_MORE : 0);
    if (err == ERR_MEM) break;
    if (err != ERR_OK) {
      conn_free(c);
      tcp_abort(pcb);
      return ERR_ABRT;
    }
    c->unacked += n;
    c->offset += n;
    if (c->offset == size) {
      c->chunk++;
      c->offset = 0;
    }
  }
  tcp_output(pcb);
  if (c->chunk == c->nchunks && c->unacked == 0) return conn_close(c);
  return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
  (void)pcb;
  struct conn *c = arg;
  if (!c) return ERR_OK;
  c->unacked -= len;
  c->idle = 0;
  return c->state == SENDING ? send_more(c) : ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  struct conn *c = arg;
  if (!c) {
    if (p) pbuf_free(p);
    return ERR_OK;
  }
  if (!p || err != ERR_OK) {
    if (p) pbuf_free(p);
    /* The client finished sending: fine while we answer, the end if no request came. */
    return c->state == READING ? conn_close(c) : ERR_OK;
  }
  tcp_recved(pcb, p->tot_len);
  c->idle = 0;
  if (c->state == READING) {
    uint16_t room = (uint16_t)(REQUEST_MAX - 1 - c->req_len);
    uint16_t n = p->tot_len < room ? p->tot_len : room;
    pbuf_copy_partial(p, c->req + c->req_len, n, 0);
    c->req_len = (uint16_t)(c->req_len + n);
    c->req[c->req_len] = 0;
    if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
      route(c);
    } else if (c->req_len == REQUEST_MAX - 1) {
      simple(c, "431 Request Header Fields Too Large", "431: that request is too long\n");
    }
  }
  pbuf_free(p);
  return c->state == SENDING ? send_more(c) : ERR_OK;
}

static void on_err(void *arg, err_t err) {
  (void)err;
  struct conn *c = arg;
  if (!c) return;
  c->pcb = NULL; /* lwIP freed it */
  if (c->state == SLEEPING) sleepers--;
  c->state = FREE;
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb) {
  struct conn *c = arg;
  if (!c) return ERR_OK;
  if (c->state != SLEEPING && ++c->idle > IDLE_POLLS) {
    conn_free(c);
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  return c->state == SENDING ? send_more(c) : ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK || !pcb) return ERR_VAL;
  struct conn *c = NULL;
  for (unsigned i = 0; i < HTTP_CONNS && !c; i++)
    if (conns[i].state == FREE) c = &conns[i];
  if (!c) {
    tcp_abort(pcb); /* every slot busy: refuse with a reset */
    return ERR_ABRT;
  }
  c->pcb = pcb;
  c->state = READING;
  c->req_len = 0;
  c->req[0] = 0;
  c->unacked = 0;
  c->idle = 0;
  c->nchunks = c->chunk = 0;
  c->offset = 0;
  tcp_arg(pcb, c);
  tcp_recv(pcb, on_recv);
  tcp_sent(pcb, on_sent);
  tcp_err(pcb, on_err);
  tcp_poll(pcb, on_poll, 2);
  tcp_nagle_disable(pcb);
  return ERR_OK;
}

void http_init(void) {
  for (uint32_t i = 0; i < PATTERN_SIZE; i++) pattern[i] = (char)PATTERN(i);
  struct tcp_pcb *pcb = tcp_new();
  if (!pcb || tcp_bind(pcb, IP4_ADDR_ANY, HTTP_PORT) != ERR_OK) return;
  pcb = tcp_listen_with_backlog(pcb, 4);
  if (pcb) tcp_accept(pcb, on_accept);
}

/* Wakes the sleepers whose time has come. */
void http_poll(void) {
  if (!sleepers) return;
  uint32_t now = sys_now();
  for (unsigned i = 0; i < HTTP_CONNS; i++) {
    struct conn *c = &conns[i];
    if (c->state != SLEEPING || (int32_t)(now - c->wake_at) < 0) continue;
    sleepers--;
    push(c, SLEPT, sizeof SLEPT - 1);
    respond(c, "200 OK", HTML);
    send_more(c);
  }
}
