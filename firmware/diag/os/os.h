/*
 * A small preemptive RTOS for the diagnostics' test programs, shaped like NuttX where a debugger
 * or the emulator looks: NuttX's task API (task_create, task_delete, waitpid), its task states
 * and priorities, its published task list (g_tcbinfo, g_pidhash: see tcb.h), a pthread mutex
 * whose static initializer is not all zeros, condition variables and rwlocks laid out as NuttX's,
 * each static initializer also exported as an object (g_pthread_mutex_initializer & co.) for a
 * debugger or the emulator to compare with, and NuttX's socket/ioctl/fcntl constants
 * (nuttx_abi.h). Underneath it is newlib with semihosting.
 *
 * Nothing runs until main() calls os_start(): programs that never call it (diag/backtrace.c) see
 * plain newlib. os_start() makes main() the task "main" (pid 1, priority 100) on its own stack,
 * adds the idle task (pid 0), and starts SysTick at 1 kHz (16 MHz HSI) for sleeping and round
 * robin. TCBs and stacks come from malloc, so heap tracking sees them; os_shutdown() returns
 * them so that a leak check at exit lists only the program's own blocks.
 *
 * Tasks must not use the FPU (the diag programs are soft-float): contexts hold integer registers.
 * newlib is built single-threaded: errno and stdio are shared by all tasks and stdio has no
 * locks, so two tasks that can preempt each other must not be inside printf at the same time
 * (the diag programs print from one task at a time, or under sched_lock or a mutex).
 */
#ifndef DIAG_OS_OS_H
#define DIAG_OS_OS_H

#include <sys/types.h> /* newlib's pthread_t & co. first: pthread_mutex_t is renamed below */
#include "tcb.h"

/* ---- the OS itself ---------------------------------------------------------------------- */

#define CONFIG_RR_INTERVAL 10   /* round-robin time slice, ticks (ms) */
#define CONFIG_IDLETHREAD_STACKSIZE 1024
#define CONFIG_PTHREAD_STACK_DEFAULT 2048
#define CONFIG_STACK_COLOR 0xdeadbeefu /* every stack is filled with this (NuttX's STACK_COLOR) */

void os_start(void);    /* main() becomes task "main"; call it first, before any printf */
void os_shutdown(void); /* stop scheduling, free every TCB and stack (main goes on alone) */
uint32_t os_ticks(void); /* milliseconds since os_start() */

/* Disable / re-enable preemption (nestable), NuttX's names. Do not block while locked. */
int sched_lock(void);
int sched_unlock(void);

/* Bytes of a task's stack ever used (the first word from the bottom that lost its colour). */
size_t task_stack_used(pid_t pid);
struct tcb_s *nxsched_get_tcb(pid_t pid);

/*
 * The diag programs' variant switch: the clean twin runs when any word of the command line is
 * "clean". Semihosting's command line holds argv[0] too, so `f4emu --cmdline clean` gives
 * argv[0] = "clean" while `--cmdline "prog clean"` gives argv[1] = "clean": both count.
 */
static inline int diag_clean_variant(int argc, char *argv[]) {
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *c = "clean";
    while (*a != 0 && *a == *c) a++, c++;
    if (*a == 0 && *c == 0) return 1;
  }
  return 0;
}

/* ---- tasks (NuttX's signatures) -------------------------------------------------------- */

/* argv: NULL-terminated, copied onto the new stack; the entry sees argv[0] = name. */
int task_create(const char *name, int priority, int stack_size, main_t entry,
                char *const argv[]);
int task_delete(pid_t pid);            /* 0 or getpid(): the caller exits with status 0 */
void task_exit(int status) __attribute__((noreturn));
pid_t waitpid(pid_t pid, int *stat_loc, int options); /* status in WEXITSTATUS's format */
pid_t getpid(void);
pid_t gettid(void);
int usleep(useconds_t usec); /* rounded up to whole ticks */
unsigned sleep(unsigned seconds);
int sched_yield(void);

/* ---- semaphores (NuttX's sem_t: tcb.h) ------------------------------------------------- */

int sem_init(sem_t *sem, int pshared, unsigned int value);
int sem_destroy(sem_t *sem);
int sem_wait(sem_t *sem);
int sem_trywait(sem_t *sem);
int sem_post(sem_t *sem);
int sem_getvalue(sem_t *sem, int *sval);
/* SEM_INITIALIZER(0)'s bytes as an object (00 00 00 00); any other count is as valid. */
extern const sem_t g_sem_initializer;

/* ---- pthreads ------------------------------------------------------------------------------
 * NuttX's idea of a mutex: a semaphore with count 1 and a holder, so the static initializer
 * is {1, ..., holder -1}. A mutex zeroed the way Linux's PTHREAD_MUTEX_INITIALIZER is has
 * count 0: it looks held, and the first pthread_mutex_lock() waits forever. newlib's
 * <sys/types.h> already calls a uint32_t pthread_mutex_t; the name is mapped to ours.
 */
struct pthread_mutex_s {
  sem_t sem;      /* count 1 = free, 0 = held, < 0 = held with waiters */
  pid_t holder;   /* pid of the holder, -1 when free */
  uint8_t type;   /* PTHREAD_MUTEX_NORMAL / ERRORCHECK / RECURSIVE */
  uint8_t flags;
  uint16_t nlocks; /* recursive depth */
};
#define pthread_mutex_t nx_pthread_mutex_t
typedef struct pthread_mutex_s nx_pthread_mutex_t;

/* NuttX's mutex types (newlib numbers them differently). */
#undef PTHREAD_MUTEX_NORMAL
#undef PTHREAD_MUTEX_ERRORCHECK
#undef PTHREAD_MUTEX_RECURSIVE
#undef PTHREAD_MUTEX_DEFAULT
#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_ERRORCHECK 1
#define PTHREAD_MUTEX_RECURSIVE 2
#define PTHREAD_MUTEX_DEFAULT PTHREAD_MUTEX_NORMAL

#undef PTHREAD_MUTEX_INITIALIZER
/* bytes: 01 00 00 00  ff ff ff ff  00 00 00 00 (sizeof 12) */
#define PTHREAD_MUTEX_INITIALIZER {SEM_INITIALIZER(1), -1, PTHREAD_MUTEX_NORMAL, 0, 0}
/* The same bytes as an object, for a debugger or the emulator to compare against. */
extern const pthread_mutex_t g_pthread_mutex_initializer;

int pthread_mutex_init(pthread_mutex_t *mutex, const pthread_mutexattr_t *attr);
int pthread_mutex_destroy(pthread_mutex_t *mutex);
int pthread_mutex_lock(pthread_mutex_t *mutex);
int pthread_mutex_trylock(pthread_mutex_t *mutex);
int pthread_mutex_unlock(pthread_mutex_t *mutex);

/* ---- condition variables ------------------------------------------------------------------
 * NuttX's shape: a semaphore the waiters sleep on (count 0, minus the number of waiters while
 * some wait), the clock timed waits would use, and a waiter count: PTHREAD_COND_INITIALIZER is
 * all zeros (NuttX's CLOCK_REALTIME is 0; newlib calls it 1). newlib's <sys/types.h> already
 * calls a uint32_t pthread_cond_t; the name is mapped to ours, as for the mutex. attr is ignored
 * (newlib's pthread_condattr_t). No timed waits.
 */
struct pthread_cond_s {
  sem_t sem;         /* 0 = nobody waits, -n = n waiters */
  clockid_t clockid; /* NuttX's CLOCK_REALTIME (0) */
  int wait_count;    /* tasks inside pthread_cond_wait */
};
#define pthread_cond_t nx_pthread_cond_t
typedef struct pthread_cond_s nx_pthread_cond_t;

#undef PTHREAD_COND_INITIALIZER
/* bytes: 12 zeros (sizeof 12) */
#define PTHREAD_COND_INITIALIZER {SEM_INITIALIZER(0), 0, 0}
extern const pthread_cond_t g_pthread_cond_initializer;

int pthread_cond_init(pthread_cond_t *cond, const pthread_condattr_t *attr);
int pthread_cond_destroy(pthread_cond_t *cond);
int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex);
int pthread_cond_signal(pthread_cond_t *cond);
int pthread_cond_broadcast(pthread_cond_t *cond);

/* ---- reader-writer locks -------------------------------------------------------------------
 * NuttX's shape: a mutex guarding the counts, a condition variable to wait on, the readers
 * inside, the writers waiting, and whether a writer is inside. Writers go first: a reader
 * waits while a writer is inside or waiting. PTHREAD_RWLOCK_INITIALIZER starts with the mutex's
 * initializer, so a zeroed rwlock (Linux's initializer) holds a mutex that looks held: every
 * call on it waits forever, or fails with EBUSY in the try variants. No timed variants.
 */
struct pthread_rwlock_s {
  pthread_mutex_t lock;
  pthread_cond_t cv;
  unsigned int num_readers;
  unsigned int num_writers;
  uint8_t write_in_progress; /* NuttX's bool */
};
typedef struct pthread_rwlock_s pthread_rwlock_t;
typedef struct {
  int is_initialized; /* ignored: there are no rwlock attributes here */
} pthread_rwlockattr_t;

/* bytes: g_pthread_mutex_initializer's 12, then 24 zeros (sizeof 36) */
#define PTHREAD_RWLOCK_INITIALIZER {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0}
extern const pthread_rwlock_t g_pthread_rwlock_initializer;

int pthread_rwlock_init(pthread_rwlock_t *rwlock, const pthread_rwlockattr_t *attr);
int pthread_rwlock_destroy(pthread_rwlock_t *rwlock);
int pthread_rwlock_rdlock(pthread_rwlock_t *rwlock);
int pthread_rwlock_tryrdlock(pthread_rwlock_t *rwlock);
int pthread_rwlock_wrlock(pthread_rwlock_t *rwlock);
int pthread_rwlock_trywrlock(pthread_rwlock_t *rwlock);
int pthread_rwlock_unlock(pthread_rwlock_t *rwlock);

/* pthreads are tasks (TCB_FLAG_PTHREAD) at the creator's priority; attr is ignored. */
int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   pthread_startroutine_t start_routine, void *arg);
int pthread_join(pthread_t thread, void **retval);
void pthread_exit(void *retval) __attribute__((noreturn));
pthread_t pthread_self(void);
int pthread_setname_np(pthread_t thread, const char *name);

#endif
