/*
 * Test program for --abi-check: a pthread_mutex_t set up with Linux's layout instead of the
 * OS's, as Rust's libc crate did on NuttX (its PTHREAD_MUTEX_INITIALIZER was Linux's all-zero
 * bytes; NuttX's is a semaphore count of 1 and a holder of -1), so the mutex looks held and the
 * first lock never returns.
 *
 * Two pthreads, "counter-a" and "counter-b" (same priority as main, 100, round robin), each
 * lock `shared_lock`, increment `shared_counter` and unlock, ROUNDS times, yielding inside the
 * critical section now and then so the other one really contends. main joins both.
 *
 * Buggy variant (no argument): shared_lock's 12 bytes are copied from linux_mutex_initializer
 * (all zeros), pthread_mutex_init is never called. What --abi-check must report: the first
 * pthread_mutex_lock(&shared_lock), called from counter_main in task "counter-a", on a mutex
 * that pthread_mutex_init never saw and whose bytes (00 x 12) differ from the OS's static
 * initializer g_pthread_mutex_initializer (01 00 00 00 ff ff ff ff 00 00 00 00). Then both
 * counters block in pthread_mutex_lock (TSTATE_WAIT_SEM on &shared_lock.sem), main blocks in
 * pthread_join, the idle task stops SysTick and sleeps in WFI with nothing left to wake it: the
 * program never finishes (f4emu: exit 3, asleep forever; or --timeout). Output before the hang:
 *   mutex: shared_lock initialised with Linux's PTHREAD_MUTEX_INITIALIZER (12 zero bytes)
 *   mutex: counter-a is pid 2, counter-b is pid 3
 * Clean twin (`--cmdline clean`): shared_lock = PTHREAD_MUTEX_INITIALIZER, and a second mutex
 * goes through pthread_mutex_init; prints "mutex: counter = 2000 (expected 2000)", exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os.h"

#define ROUNDS 1000

/* Linux's (glibc's, and Rust's libc crate's) PTHREAD_MUTEX_INITIALIZER: all zeros. */
static const unsigned char linux_mutex_initializer[sizeof(pthread_mutex_t)];

static pthread_mutex_t shared_lock;
static pthread_mutex_t print_lock;
static volatile int shared_counter;

static void *counter_main(void *arg) {
  (void)arg;
  for (int i = 0; i < ROUNDS; i++) {
    pthread_mutex_lock(&shared_lock);
    int v = shared_counter;
    if (i % 100 == 0) sched_yield(); /* hold the lock across a switch: real contention */
    shared_counter = v + 1;
    pthread_mutex_unlock(&shared_lock);
  }
  pthread_mutex_lock(&print_lock);
  printf("mutex: %s done\n", arg == NULL ? "?" : (const char *)arg);
  pthread_mutex_unlock(&print_lock);
  return NULL;
}

int main(int argc, char *argv[]) {
  os_start();
  int clean = diag_clean_variant(argc, argv);
  if (clean) {
    static const pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
    shared_lock = init;
    pthread_mutex_init(&print_lock, NULL);
    printf("mutex: shared_lock = PTHREAD_MUTEX_INITIALIZER, print_lock by pthread_mutex_init\n");
  } else {
    memcpy(&shared_lock, linux_mutex_initializer, sizeof shared_lock);
    pthread_mutex_init(&print_lock, NULL);
    printf("mutex: shared_lock initialised with Linux's PTHREAD_MUTEX_INITIALIZER (%u zero "
           "bytes)\n",
           (unsigned)sizeof shared_lock);
  }
  pthread_t a, b;
  sched_lock(); /* both named before either runs */
  pthread_create(&a, NULL, counter_main, "counter-a");
  pthread_setname_np(a, "counter-a");
  pthread_create(&b, NULL, counter_main, "counter-b");
  pthread_setname_np(b, "counter-b");
  printf("mutex: counter-a is pid %d, counter-b is pid %d\n", (int)a, (int)b);
  sched_unlock();
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("mutex: counter = %d (expected %d)\n", shared_counter, 2 * ROUNDS);
  pthread_mutex_destroy(&shared_lock);
  pthread_mutex_destroy(&print_lock);
  os_shutdown();
  exit(shared_counter == 2 * ROUNDS ? 0 : 1);
}
