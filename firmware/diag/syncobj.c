/*
 * Test program for --abi-check on condition variables, rwlocks and semaphores (diag/mutex.c
 * does mutexes): objects used without their init function, with bytes that are not the OS's
 * static initializer, and a semaphore used after sem_destroy.
 *
 * main and two pthreads at its priority (100, round robin): "reader" reads a table under
 * table_lock (tryrdlock, so it never waits) and a counter under stats_lock; "worker" says it
 * started (g_worker_started under g_lock, signalling g_started, on which main waits), posts
 * `done` for its first job, sleeps 5 ms and posts `done` for its second. Meanwhile main puts a
 * message in a heap-allocated mailbox and signals box->ready, bumps the counter under
 * stats_lock, posts and takes `ticks`, and waits for the worker's jobs on `done`.
 *
 * Buggy variant (no argument). What --abi-check must report, each once, at the call:
 *   - pthread_rwlock_tryrdlock(&table_lock), in reader_main, task "reader": table_lock's 36
 *     bytes were copied from Linux's PTHREAD_RWLOCK_INITIALIZER (all zeros, as glibc's is), not
 *     the OS's g_pthread_rwlock_initializer, which starts with the mutex initializer's
 *     01 00 00 00 ff ff ff ff. The mutex inside reads as held: tryrdlock fails with EBUSY.
 *   - pthread_cond_signal(&box->ready), in main, task "main": box is the heap block a note
 *     (text) had just been freed from, and box->ready never went through pthread_cond_init:
 *     its 12 bytes are the note's text, not g_pthread_cond_initializer (12 zeros).
 *   - sem_post(&done), in worker_main (second job), task "worker": main called sem_destroy(&done)
 *     after the first job, while the worker still had one to post: a use after destroy.
 * Not to be reported: `ticks`, a semaphore that never goes through sem_init but lies in zeroed
 * .bss, which is SEM_INITIALIZER(0), a valid semaphore with count 0; nor g_lock and g_started
 * (static initializers), stats_lock, done before its destroy and box->lock (init functions).
 * No call waits on a broken object: the program ends with exit 0 either way. Output:
 *   syncobj: the mailbox reuses the note's block: yes
 *   syncobj: reader is pid 2, worker is pid 3
 *   syncobj: table_lock tryrdlock: 16 (EBUSY)            (clean twin: 0, sum 10)
 *   syncobj: stats 1 (the reader saw 0), ticks 0, done
 * Clean twin (`--cmdline clean`): table_lock = PTHREAD_RWLOCK_INITIALIZER, box->ready through
 * pthread_cond_init, `done` destroyed only after both jobs; --abi-check reports nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os.h"

struct mailbox {
  int messages;
  pthread_mutex_t lock;
  pthread_cond_t ready; /* bytes 16..27: where the note's text lies in the buggy variant */
};

/* Linux's (glibc's, and Rust's libc crate's) PTHREAD_RWLOCK_INITIALIZER: all zeros. */
static const unsigned char linux_rwlock_initializer[sizeof(pthread_rwlock_t)];

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_started = PTHREAD_COND_INITIALIZER;
static int g_worker_started;
static pthread_rwlock_t table_lock; /* set up by main: the initializer, or Linux's bytes */
static pthread_rwlock_t stats_lock; /* pthread_rwlock_init */
static const int table[4] = {1, 2, 3, 4};
static int stats, stats_seen;
static sem_t done;  /* sem_init */
static sem_t ticks; /* never initialised: zeroed .bss */
static int table_result = -1, table_sum;

static void *reader_main(void *arg) {
  (void)arg;
  table_result = pthread_rwlock_tryrdlock(&table_lock);
  if (table_result == 0) {
    for (int i = 0; i < 4; i++) table_sum += table[i];
    pthread_rwlock_unlock(&table_lock);
  }
  pthread_rwlock_rdlock(&stats_lock);
  stats_seen = stats;
  pthread_rwlock_unlock(&stats_lock);
  return NULL;
}

static void *worker_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&g_lock);
  g_worker_started = 1;
  pthread_cond_signal(&g_started);
  pthread_mutex_unlock(&g_lock);
  sem_post(&done); /* first job */
  usleep(5000);
  sem_post(&done); /* second job: `done` was destroyed meanwhile in the buggy variant */
  return NULL;
}

int main(int argc, char *argv[]) {
  os_start();
  int clean = diag_clean_variant(argc, argv);

  /* A note in a heap block, freed: the mailbox gets the same block, text and all. */
  char *note = malloc(sizeof(struct mailbox));
  snprintf(note, sizeof(struct mailbox), "note: %d jobs for the worker", 2);
  uintptr_t note_at = (uintptr_t)note;
  free(note);
  struct mailbox *box = malloc(sizeof *box);
  if (box == NULL) abort();
  printf("syncobj: the mailbox reuses the note's block: %s\n",
         (uintptr_t)box == note_at ? "yes" : "no");
  if (clean) pthread_cond_init(&box->ready, NULL);
  pthread_mutex_init(&box->lock, NULL);
  box->messages = 0;

  if (clean) {
    static const pthread_rwlock_t init = PTHREAD_RWLOCK_INITIALIZER;
    table_lock = init;
  } else {
    memcpy(&table_lock, linux_rwlock_initializer, sizeof table_lock);
  }
  pthread_rwlock_init(&stats_lock, NULL);
  sem_init(&done, 0, 0);

  pthread_t reader, worker;
  sched_lock(); /* both named before either runs */
  pthread_create(&reader, NULL, reader_main, NULL);
  pthread_setname_np(reader, "reader");
  pthread_create(&worker, NULL, worker_main, NULL);
  pthread_setname_np(worker, "worker");
  printf("syncobj: reader is pid %d, worker is pid %d\n", (int)reader, (int)worker);
  sched_unlock();

  pthread_mutex_lock(&g_lock);
  while (!g_worker_started) pthread_cond_wait(&g_started, &g_lock);
  pthread_mutex_unlock(&g_lock);

  pthread_mutex_lock(&box->lock);
  box->messages++;
  pthread_cond_signal(&box->ready);
  pthread_mutex_unlock(&box->lock);

  pthread_rwlock_wrlock(&stats_lock);
  stats++;
  pthread_rwlock_unlock(&stats_lock);

  sem_post(&ticks);
  int ticks_left = sem_trywait(&ticks) == 0 ? 0 : -1;

  sem_wait(&done); /* first job */
  if (!clean) {
    sem_destroy(&done); /* too early: the worker has a second job to post */
  } else {
    sem_wait(&done); /* second job */
  }
  pthread_join(worker, NULL);
  pthread_join(reader, NULL);
  if (clean) sem_destroy(&done);
  printf("syncobj: table_lock tryrdlock: %d%s", table_result,
         table_result == EBUSY ? " (EBUSY)\n" : "");
  if (table_result != EBUSY) printf(", sum %d\n", table_sum);
  printf("syncobj: stats %d (the reader saw %d), ticks %d, done\n", stats, stats_seen, ticks_left);

  if (clean) {
    pthread_cond_destroy(&box->ready);
    pthread_rwlock_destroy(&table_lock);
  }
  pthread_mutex_destroy(&box->lock);
  free(box);
  pthread_rwlock_destroy(&stats_lock);
  os_shutdown();
  exit(0);
}
