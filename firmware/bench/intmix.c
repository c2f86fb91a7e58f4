/*
 * A mixed integer workload in the spirit of the classic synthetic benchmarks (written for this
 * project): records in a linked list, a switch-driven state machine, calls through a function
 * table, string building and comparison, multiply/divide, and list walks. The final state is
 * folded into a checksum.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RECORDS 48
#define ITERATIONS 800000

enum kind { K_ADD, K_SCALE, K_SHIFT, K_NAME, K_RELINK, K_DIVIDE, K_COUNT };

struct record {
  struct record *next;
  uint32_t id;
  enum kind kind;
  int32_t value;
  char name[24];
  uint16_t hits[8];
};

static struct record pool[RECORDS];
static struct record *head;
static uint32_t rng = 0x2545F491u;

static const char *const words[8] = {"amber", "basalt", "cobalt", "dune",
                                     "ember", "fjord",  "garnet", "heath"};

static uint32_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

typedef int32_t (*op_fn)(int32_t, int32_t);
static int32_t op_add(int32_t a, int32_t b) { return a + b; }
static int32_t op_sub(int32_t a, int32_t b) { return a - b; }
static int32_t op_mul(int32_t a, int32_t b) { return a * (b | 1); }
static int32_t op_xor(int32_t a, int32_t b) { return a ^ (b << 1); }
static int32_t op_div(int32_t a, int32_t b) { return a / ((b & 0x7FF) | 1) + b; }
static int32_t op_rot(int32_t a, int32_t b) {
  uint32_t u = (uint32_t)a, n = (uint32_t)b & 31;
  return (int32_t)(n ? (u << n | u >> (32 - n)) : u);
}
static const op_fn ops[6] = {op_add, op_sub, op_mul, op_xor, op_div, op_rot};

/* Decimal digits appended by hand (no printf in the loop). */
static void append_number(char *s, uint32_t n) {
  char tmp[12];
  int len = 0;
  do {
    tmp[len++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  s += strlen(s);
  while (len) *s++ = tmp[--len];
  *s = 0;
}

static void move_to_front(struct record *r) {
  if (head == r) return;
  for (struct record *p = head; p && p->next; p = p->next) {
    if (p->next == r) {
      p->next = r->next;
      r->next = head;
      head = r;
      return;
    }
  }
}

static int32_t walk(void) {
  int32_t sum = 0;
  uint32_t position = 0;
  for (struct record *p = head; p; p = p->next, position++)
    sum += (p->value ^ (int32_t)position) + (int32_t)strlen(p->name);
  return sum;
}

static int32_t step(uint32_t i, int32_t acc) {
  uint32_t r = next_random();
  struct record *rec = &pool[r % RECORDS];
  struct record *other = &pool[(r >> 8) % RECORDS];
  switch (rec->kind) {
  case K_ADD:
    rec->value += (int32_t)((r >> 8) & 0xFF);
    break;
  case K_SCALE:
    rec->value = rec->value * 3 + 1;
    break;
  case K_SHIFT:
    rec->value = (rec->value << 3) ^ (rec->value >> 5);
    break;
  case K_NAME:
    strcpy(rec->name, words[r & 7]);
    strcat(rec->name, "-");
    append_number(rec->name, i & 0xFFFF);
    if (strcmp(rec->name, other->name) < 0) rec->value++;
    break;
  case K_RELINK:
    move_to_front(rec);
    break;
  case K_DIVIDE:
    rec->value = rec->value / ((other->value & 0xFF) + 1) + (rec->value % 7);
    break;
  default:
    break;
  }
  rec->kind = (enum kind)((rec->kind + (r >> 29) + 1) % K_COUNT);
  rec->hits[r & 7]++;
  acc = ops[(r >> 3) % 6](acc, rec->value);
  if ((i & 255) == 255) acc += walk();
  return acc;
}

int main(void) {
  int32_t acc = 1;
  uint32_t checksum = 0;
  for (int i = 0; i < RECORDS; i++) {
    pool[i].id = (uint32_t)i;
    pool[i].kind = (enum kind)(i % K_COUNT);
    pool[i].value = i * 1000 - 7;
    strcpy(pool[i].name, words[i & 7]);
    pool[i].next = i + 1 < RECORDS ? &pool[i + 1] : NULL;
  }
  head = &pool[0];
  for (uint32_t i = 0; i < ITERATIONS; i++) acc = step(i, acc);
  for (struct record *p = head; p; p = p->next) {
    checksum = checksum * 33u + p->id;
    checksum ^= (uint32_t)p->value;
    for (int k = 0; k < 8; k++) checksum += p->hits[k];
  }
  printf("intmix %d iterations: acc 0x%08lx, walk %ld, checksum 0x%08lx, head %lu %s\n",
         ITERATIONS, (unsigned long)acc, (long)walk(), (unsigned long)checksum,
         (unsigned long)head->id, head->name);
  return 0;
}
