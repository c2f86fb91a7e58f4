/* What the OS's own files share: interrupt masking and the scheduler's internal calls. */
#ifndef DIAG_OS_OS_INTERNAL_H
#define DIAG_OS_OS_INTERNAL_H

#include "os.h"

/* Every scheduler structure is touched with interrupts masked (PRIMASK): one core, no SMP. */
static inline uint32_t up_irq_save(void) {
  uint32_t primask;
  __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  return primask;
}

/* Unmasking lets a PendSV pended meanwhile run here: the ISB makes it happen at once, so a task
 * that blocked does not run a few instructions past its wait. */
static inline void up_irq_restore(uint32_t primask) {
  __asm volatile("msr primask, %0\n isb" ::"r"(primask) : "memory");
}

extern volatile int g_os_started;
extern volatile uint32_t g_ticks;

static inline struct tcb_s *this_task(void) { return g_running_tasks[0]; }

/* All with interrupts masked. */
void nxsched_add_task(struct tcb_s *tcb);        /* append to g_tasklist and g_pidhash */
void nxsched_remove_task(struct tcb_s *tcb);     /* unlink from g_tasklist */
void nxsched_make_ready(struct tcb_s *tcb);      /* blocked -> ready, at the end of its priority */
void nxsched_block(uint8_t state, void *waitobj); /* the running task stops; switch on unmask */
void nxsched_reschedule(void);                   /* pend PendSV if another task should run */
int nxsched_alloc_pid(struct tcb_s *tcb);        /* a free pid, or -1 */
void nxsem_wait_locked(sem_t *sem);              /* decrement; block if it went negative */
void nxsem_post_locked(sem_t *sem);              /* increment; wake the best waiter if any */

/* task.c */
struct tcb_s *nxtask_setup(const char *name, int priority, int stack_size, void *entry,
                           char *const argv[]);
void nxtask_free(struct tcb_s *tcb);   /* free stack (unless static or overflowed) and TCB */
void nxtask_terminate(struct tcb_s *tcb, int status); /* live -> exited (TSTATE_TASK_INVALID) */

#endif
