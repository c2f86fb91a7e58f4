/*
 * Test program for --leak-check: the talk's "nsh> hello" that lost 1200 bytes on every run. main
 * plays nsh: it runs the built-in app "hello" three times as a task (task_create, priority 100,
 * 2048-byte stack; waitpid), printing the heap like nsh's `free` before the first run and after
 * each one (mallinfo: total, used, free).
 *
 * Each run of hello_main allocates, from three call sites:
 *   lazy_stdout_buffer()  1200 bytes (the talk's Lazy<> stdout buffer)   -- never freed (buggy)
 *   save_app_name()         64 bytes (a thread-local copy of argv[0])    -- never freed (buggy)
 *   format_greeting()      256 bytes                                     -- always freed
 * What a leak report must show for the buggy variant (no argument), at exit: 6 blocks,
 * 3 x 1200 bytes allocated by lazy_stdout_buffer <- hello_main <- nxtask_start in task "hello"
 * (pids 2, 3, 4), 3 x 64 bytes allocated by save_app_name <- hello_main in task "hello", and
 * the 64-byte block from make_message <- main (see below; allocated after os_shutdown, so no
 * task). The buggy variant's free heap shrinks by 1280 bytes per run (1208 + 72 with newlib's
 * chunk headers). Then, after os_shutdown (no scheduler left, heap otherwise quiet):
 *   - a double free: release_config() frees the 48-byte block from make_config() twice;
 *   - an invalid free: free_message() frees msg->text, a pointer 16 bytes into the 64-byte
 *     block from make_message(), instead of msg.
 * The clean twin (`--cmdline clean`) frees everything, does neither, and leaves nothing: the
 * free heap is the same after each run, "heap in use at exit: 0 bytes", and a leak report at
 * exit must be empty (the OS's own TCBs and stacks are freed by os_shutdown, and stdout's
 * buffer is static). Both variants exit 0.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "os.h"

#define NOINLINE __attribute__((noinline))
#define RUNS 3

/* ---- the built-in app ------------------------------------------------------------------ */

NOINLINE static char *lazy_stdout_buffer(void) {
  char *buf = malloc(1200);
  if (buf != NULL) memset(buf, 0, 1200);
  return buf;
}

NOINLINE static char *save_app_name(const char *name) {
  char *copy = malloc(64);
  if (copy != NULL) strncpy(copy, name, 63)[63] = 0;
  return copy;
}

NOINLINE static char *format_greeting(const char *name, int clean) {
  char *line = malloc(256);
  if (line != NULL) snprintf(line, 256, "Hello, world!! (%s, %s)", name, clean ? "clean" : "buggy");
  return line;
}

/* argv[1]: "clean" or "buggy". */
static int hello_main(int argc, char *argv[]) {
  int clean = argc > 1 && strcmp(argv[1], "clean") == 0;
  char *lazy = lazy_stdout_buffer();
  char *name = save_app_name(argv[0]);
  char *line = format_greeting(name, clean);
  printf("%s\n", line);
  free(line);
  if (clean) {
    free(name);
    free(lazy);
  }
  return 0;
}

/* ---- nsh ------------------------------------------------------------------------------- */

static void nsh_free(void) {
  struct mallinfo mi = mallinfo();
  printf("nsh> free\n             total       used       free\n");
  printf("        %10d %10d %10d\n", mi.arena, mi.uordblks, mi.fordblks);
}

/* ---- the last two bugs ------------------------------------------------------------------- */

struct message {
  uint32_t magic;
  uint16_t kind, flags;
  uint32_t seq;
  uint32_t len; /* 57: also what newlib's free, which checks nothing, reads as the size of a
                   chunk at msg + 8 when handed msg->text: 56 | PREV_INUSE reaches exactly the
                   next real chunk, so the bad free only scrambles the free lists instead of
                   following wild pointers, and the program still exits cleanly */
  char text[48];
};

NOINLINE static char *make_config(void) { return malloc(48); }

NOINLINE static void release_config(char *config) { free(config); }

NOINLINE static struct message *make_message(void) {
  struct message *msg = malloc(sizeof *msg);
  memset(msg, 0, sizeof *msg);
  msg->magic = 0x4d534721;
  msg->len = 57;
  strcpy(msg->text, "bye");
  return msg;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wfree-nonheap-object" /* the bug, on purpose */
NOINLINE static void free_message(struct message *msg) { free(msg->text); /* should be msg */ }
#pragma GCC diagnostic pop

int main(int argc, char *argv[]) {
  os_start();
  int clean = diag_clean_variant(argc, argv);
  char *app_argv[] = {clean ? "clean" : "buggy", NULL};
  printf("leak: %s variant\n", clean ? "clean" : "buggy");
  nsh_free();
  for (int run = 1; run <= RUNS; run++) {
    printf("nsh> hello\n");
    int pid = task_create("hello", 100, 2048, hello_main, app_argv);
    int status = -1;
    waitpid(pid, &status, 0);
    printf("(hello: pid %d, exit status %d)\n", pid, WEXITSTATUS(status));
    nsh_free();
  }
  os_shutdown();
  printf("leak: heap in use at exit: %d bytes\n", mallinfo().uordblks);
  if (!clean) {
    /* Allocated in this order so that newlib survives what follows (see struct message). */
    char *config = make_config();
    struct message *msg = make_message();
    release_config(config);
    release_config(config);
    printf("leak: double free of %p (48 bytes from make_config)\n", (void *)config);
    free_message(msg);
    printf("leak: invalid free of %p (16 bytes into %p, 64 bytes from make_message)\n",
           (void *)msg->text, (void *)msg);
  }
  exit(0);
}
