/*
 * Test program for --stack-check: a task with a small stack recurses past its end, as the talk's
 * hello app did (its __aeabi_memcpy4 recursed until the stack ran into the heap). On the chip
 * nothing stops it: the frames below the stack's base silently overwrite the neighbouring heap
 * block.
 *
 * main allocates a 512-byte rx buffer (alloc_rx_buffer, filled with 0x5a), then creates the task
 * "parser" (priority 90, below main's 100; stack_size 1024, a malloc'd block directly above the
 * rx buffer in the heap) that parses a nested list with the recursive parse_list(), whose frame
 * is 88 bytes (a 64-byte token buffer and saved registers).
 *   Buggy variant (no argument): nesting 14 deep. The first write below the base of task
 *   "parser"'s stack (tcb.stack_alloc_ptr) is the push {r4-r7, lr} at parse_list's first
 *   instruction on entering level 12 (its lowest word, r4, lands 4 bytes below the base), called
 *   from parse_list (x11) <- parser_main <- nxtask_start: that is where --stack-check must stop.
 *   Level 14 reaches 248 bytes below the base; the writes land in the stack block's 8-byte
 *   malloc header and the top of the rx buffer. Without --stack-check the program goes on: the
 *   parser finishes with the right answer (the bug is silent), the program reports how many rx
 *   buffer bytes were overwritten, frees nothing (the heap around the stack is corrupt) and
 *   exits 0.
 *   Clean twin (`--cmdline clean`): nesting 5 deep, within the stack (488 of 1024 bytes used);
 *   the rx buffer is intact, everything is freed, exits 0.
 * The program prints the stack's bounds, the deepest SP parse_list reached, and the stack use.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "os.h"

#define NOINLINE __attribute__((noinline))
#define RX_SIZE 512
#define PARSER_STACK 1024

static sem_t parsed = SEM_INITIALIZER(0);
static const char *input;
static int items, deepest;
static uintptr_t lowest_sp = UINTPTR_MAX;

/* "[a[b[c ...]]]": counts the letters; every level keeps its token in a 64-byte buffer. */
NOINLINE static int parse_list(const char **p, int depth) {
  char token[64];
  size_t len = 0;
  int n = 0;
  if ((uintptr_t)token < lowest_sp) lowest_sp = (uintptr_t)token;
  if (depth > deepest) deepest = depth;
  if (**p == '[') (*p)++;
  while (**p != 0 && **p != ']') {
    if (**p == '[') {
      n += parse_list(p, depth + 1);
    } else if (len < sizeof token - 1) {
      token[len++] = *(*p)++;
    } else {
      (*p)++;
    }
  }
  if (**p == ']') (*p)++;
  token[len] = 0;
  return n + (int)strlen(token);
}

static int parser_main(int argc, char *argv[]) {
  (void)argc;
  (void)argv;
  const char *p = input;
  items = parse_list(&p, 1);
  sem_post(&parsed);
  return 0;
}

NOINLINE static uint8_t *alloc_rx_buffer(void) {
  uint8_t *rx = malloc(RX_SIZE);
  memset(rx, 0x5a, RX_SIZE);
  return rx;
}

static char *nested(int depth) {
  static char text[128];
  int i = 0;
  for (int d = 0; d < depth; d++) {
    text[i++] = '[';
    text[i++] = (char)('a' + d);
  }
  for (int d = 0; d < depth; d++) text[i++] = ']';
  text[i] = 0;
  return text;
}

int main(int argc, char *argv[]) {
  os_start();
  int clean = diag_clean_variant(argc, argv);
  input = nested(clean ? 5 : 14);
  printf("stackover: %s variant, input %s\n", clean ? "clean" : "buggy", input);
  uint8_t *rx = alloc_rx_buffer();
  int pid = task_create("parser", 90, PARSER_STACK, parser_main, NULL);
  struct tcb_s *tcb = nxsched_get_tcb(pid);
  uintptr_t base = (uintptr_t)tcb->stack_alloc_ptr, top = base + tcb->adj_stack_size;
  sem_wait(&parsed);
  printf("stackover: parser (pid %d) stack %#x..%#x, rx buffer %p..%#x\n", pid, (unsigned)base,
         (unsigned)top, (void *)rx, (unsigned)((uintptr_t)rx + RX_SIZE));
  printf("stackover: %d items, %d levels deep, lowest token buffer at %#x (%d bytes %s base)\n",
         items, deepest, (unsigned)lowest_sp,
         (int)(lowest_sp > base ? lowest_sp - base : base - lowest_sp),
         lowest_sp >= base ? "above the stack's" : "below the stack's");
  printf("stackover: parser used %u of %d stack bytes\n", (unsigned)task_stack_used(pid),
         PARSER_STACK);
  int overwritten = 0;
  for (int i = 0; i < RX_SIZE; i++) overwritten += rx[i] != 0x5a;
  printf("stackover: rx buffer below the stack: %d of %d bytes overwritten\n", overwritten,
         RX_SIZE);
  if (overwritten == 0) {
    waitpid(pid, NULL, 0);
    free(rx);
    os_shutdown();
  } else {
    /* The stack block's malloc header (which also holds the rx buffer's in-use bit) is
     * garbage now: any free() near it would follow wild pointers. Leave the heap alone. */
    printf("stackover: heap corrupted below the parser's stack; not freeing anything\n");
  }
  printf("stackover: done\n");
  exit(0);
}
