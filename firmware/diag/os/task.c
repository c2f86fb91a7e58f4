/*
 * Tasks and pthreads: creation (stack and TCB from malloc, coloured stack, arguments copied onto
 * it, an initial register frame PendSV can return into), exit, deletion, and joining (waitpid,
 * pthread_join), which is also where an exited task's stack and TCB are freed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "os_internal.h"

#define STACK_MIN 256
#define EXC_RETURN_THREAD_PSP 0xfffffffdu
#define XPSR_THUMB 0x01000000u
#define CONTROL_SPSEL 2u

/* Every task starts here, on its own stack, in thread mode: run the entry, then exit. */
static void nxtask_start(void) {
  struct tcb_s *tcb = this_task();
  if (tcb->flags & TCB_FLAG_PTHREAD) {
    pthread_exit(((pthread_startroutine_t)tcb->entry)(tcb->arg));
  }
  task_exit(((main_t)tcb->entry)(tcb->argc, tcb->argv));
}

/*
 * Allocates a task: the stack first, then the TCB, so the TCB lies above the stack in the heap
 * and an overflow (growing down) runs into the block below the stack, not into the OS's own
 * bookkeeping, as a NuttX stack overflow runs into a neighbouring heap block. Neither pid nor
 * list: the caller publishes the task.
 */
struct tcb_s *nxtask_setup(const char *name, int priority, int stack_size, void *entry,
                           char *const argv[]) {
  if (stack_size < STACK_MIN) stack_size = STACK_MIN;
  stack_size = (stack_size + 7) & ~7;
  uint32_t *stack = malloc(stack_size);
  if (stack == NULL) return NULL;
  struct tcb_s *tcb = malloc(sizeof *tcb);
  if (tcb == NULL) {
    free(stack);
    return NULL;
  }
  memset(tcb, 0, sizeof *tcb);
  for (int i = 0; i < stack_size / 4; i++) stack[i] = CONFIG_STACK_COLOR;

  strncpy(tcb->name, name, CONFIG_TASK_NAME_SIZE);
  tcb->sched_priority = tcb->init_priority = (uint8_t)priority;
  tcb->task_state = TSTATE_TASK_INACTIVE;
  tcb->timeslice = CONFIG_RR_INTERVAL;
  tcb->stack_alloc_ptr = tcb->stack_base_ptr = stack;
  tcb->adj_stack_size = stack_size;
  tcb->entry = entry;

  /* argv, as NuttX lays it out: the strings and the pointer array at the top of the stack,
   * argv[0] being the task's name. */
  int argc = 1;
  size_t strings = strlen(tcb->name) + 1;
  for (; argv != NULL && argv[argc - 1] != NULL; argc++) strings += strlen(argv[argc - 1]) + 1;
  char *top = (char *)stack + stack_size;
  char *str = top - ((strings + 7) & ~(size_t)7);
  char **args = (char **)str - ((argc + 1 + 1) & ~1); /* keeps 8-byte alignment */
  args[0] = strcpy(str, tcb->name);
  str += strlen(str) + 1;
  for (int i = 1; i < argc; i++) {
    args[i] = strcpy(str, argv[i - 1]);
    str += strlen(str) + 1;
  }
  args[argc] = NULL;
  tcb->argc = argc;
  tcb->argv = args;

  /* The registers PendSV restores the first time: a frame returning to nxtask_start. */
  uint32_t *sp = (uint32_t *)args;
  uint32_t *regs = sp - XCPTCONTEXT_REGS;
  memset(regs, 0, XCPTCONTEXT_SIZE);
  regs[REG_R13] = (uint32_t)sp;
  regs[REG_CONTROL] = CONTROL_SPSEL;
  regs[REG_EXC_RETURN] = EXC_RETURN_THREAD_PSP;
  regs[REG_R15] = (uint32_t)nxtask_start & ~1u;
  regs[REG_R14] = 0; /* no caller: backtraces end here */
  regs[REG_XPSR] = XPSR_THUMB;
  tcb->xcp.regs = regs;
  return tcb;
}

/* A task whose lowest stack words lost their colour ran past its stack: the heap header below
 * the block is probably garbage, and free() would walk into it. Such a stack is kept. */
static int stack_overflowed(const struct tcb_s *tcb) {
  const uint32_t *p = tcb->stack_alloc_ptr;
  return p[0] != CONFIG_STACK_COLOR || p[1] != CONFIG_STACK_COLOR;
}

void nxtask_free(struct tcb_s *tcb) {
  if (!(tcb->flags & TCB_FLAG_STATIC)) {
    if (stack_overflowed(tcb)) {
      printf("os: task %d (%s) overflowed its stack at %p; its stack is not freed\n", tcb->pid,
             tcb->name, tcb->stack_alloc_ptr);
    } else {
      free(tcb->stack_alloc_ptr);
    }
  }
  free(tcb);
}

int task_create(const char *name, int priority, int stack_size, main_t entry,
                char *const argv[]) {
  if (!g_os_started || entry == NULL || priority < SCHED_PRIORITY_MIN ||
      priority > SCHED_PRIORITY_MAX) {
    errno = EINVAL;
    return -1;
  }
  struct tcb_s *tcb = nxtask_setup(name, priority, stack_size, (void *)entry, argv);
  if (tcb == NULL) {
    errno = ENOMEM;
    return -1;
  }
  uint32_t flags = up_irq_save();
  if (nxsched_alloc_pid(tcb) < 0) {
    up_irq_restore(flags);
    nxtask_free(tcb);
    errno = EAGAIN;
    return -1;
  }
  pid_t pid = tcb->pid;
  nxsched_add_task(tcb);
  nxsched_make_ready(tcb);
  nxsched_reschedule(); /* a higher-priority task runs before task_create returns */
  up_irq_restore(flags);
  return pid;
}

/* Live -> exited: off the pid hash (a debugger no longer lists it), out of any wait, and the
 * joiner woken. The TCB stays in g_tasklist, state TSTATE_TASK_INVALID, until reaped. */
void nxtask_terminate(struct tcb_s *tcb, int status) {
  if (tcb->task_state == TSTATE_WAIT_SEM && tcb->waitobj != NULL) {
    ((sem_t *)tcb->waitobj)->semcount++; /* no longer one of its waiters */
  }
  tcb->exit_status = (int16_t)status;
  tcb->task_state = TSTATE_TASK_INVALID;
  tcb->waitobj = NULL;
  if (g_pidhash[tcb->pid % g_npidhash] == tcb) g_pidhash[tcb->pid % g_npidhash] = NULL;
  while (tcb->join_sem.semcount < 0) nxsem_post_locked(&tcb->join_sem);
  nxsched_reschedule();
}

void task_exit(int status) {
  if (!g_os_started) exit(status); /* no tasks: the program is what exits */
  uint32_t flags = up_irq_save();
  nxtask_terminate(this_task(), status);
  up_irq_restore(flags); /* PendSV switches away for good here */
  for (;;) {
  }
}

int task_delete(pid_t pid) {
  if (pid == 0 || pid == getpid()) task_exit(EXIT_SUCCESS);
  uint32_t flags = up_irq_save();
  struct tcb_s *tcb = nxsched_get_tcb(pid);
  if (tcb == NULL || tcb->sched_priority == SCHED_PRIORITY_IDLE) {
    up_irq_restore(flags);
    errno = tcb == NULL ? ESRCH : EPERM;
    return -1;
  }
  nxtask_terminate(tcb, EXIT_FAILURE);
  up_irq_restore(flags);
  return 0;
}

/*
 * Waits for task `pid` to exit and reaps it: frees its stack and TCB. The waiter blocks on the
 * task's join_sem (TSTATE_WAIT_SEM, as NuttX's waitpid waits on a semaphore). Returns the exit
 * status through *status (and the pthread return value through *value).
 */
static int nxtask_join(pid_t pid, int options, int *status, void **value) {
  if (!g_os_started) return ECHILD;
  uint32_t flags = up_irq_save();
  struct tcb_s *tcb = g_tasklist;
  while (tcb != NULL && tcb->pid != pid) tcb = tcb->flink;
  if (tcb == NULL || tcb == this_task() || (tcb->flags & TCB_FLAG_JOINED) ||
      tcb->sched_priority == SCHED_PRIORITY_IDLE) {
    up_irq_restore(flags);
    return tcb == NULL ? ECHILD : EINVAL;
  }
  if (tcb->task_state != TSTATE_TASK_INVALID) {
    if (options & WNOHANG) {
      up_irq_restore(flags);
      return EAGAIN;
    }
    tcb->flags |= TCB_FLAG_JOINED;
    nxsem_wait_locked(&tcb->join_sem);
    up_irq_restore(flags); /* waits here until the task exits */
    flags = up_irq_save();
  }
  if (status != NULL) *status = (tcb->exit_status & 0xff) << 8;
  if (value != NULL) *value = tcb->join_val;
  nxsched_remove_task(tcb);
  up_irq_restore(flags);
  nxtask_free(tcb);
  return 0;
}

pid_t waitpid(pid_t pid, int *stat_loc, int options) {
  if (options & ~WNOHANG) {
    errno = EINVAL;
    return -1;
  }
  int err = nxtask_join(pid, options, stat_loc, NULL);
  if (err == EAGAIN) return 0; /* WNOHANG, still running */
  if (err != 0) {
    errno = err;
    return -1;
  }
  return pid;
}

pid_t getpid(void) {
  struct tcb_s *tcb = this_task();
  return tcb != NULL ? tcb->pid : 1; /* what newlib's semihosting getpid says, before os_start */
}

pid_t gettid(void) { return getpid(); }

/* ---- pthreads: tasks at the creator's priority, joined like tasks ------------------------ */

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   pthread_startroutine_t start_routine, void *arg) {
  (void)attr;
  if (!g_os_started || start_routine == NULL) return EINVAL;
  struct tcb_s *self = this_task();
  struct tcb_s *tcb = nxtask_setup("pthread", self->sched_priority, CONFIG_PTHREAD_STACK_DEFAULT,
                                   (void *)start_routine, NULL);
  if (tcb == NULL) return ENOMEM;
  tcb->flags |= TCB_FLAG_PTHREAD;
  tcb->arg = arg;
  uint32_t flags = up_irq_save();
  if (nxsched_alloc_pid(tcb) < 0) {
    up_irq_restore(flags);
    nxtask_free(tcb);
    return EAGAIN;
  }
  if (thread != NULL) *thread = (pthread_t)tcb->pid;
  nxsched_add_task(tcb);
  nxsched_make_ready(tcb);
  nxsched_reschedule();
  up_irq_restore(flags);
  return 0;
}

int pthread_join(pthread_t thread, void **retval) {
  int err = nxtask_join((pid_t)thread, 0, NULL, retval);
  return err == ECHILD ? ESRCH : err;
}

void pthread_exit(void *retval) {
  this_task()->join_val = retval;
  task_exit(EXIT_SUCCESS);
}

pthread_t pthread_self(void) { return (pthread_t)getpid(); }

int pthread_setname_np(pthread_t thread, const char *name) {
  struct tcb_s *tcb = nxsched_get_tcb((pid_t)thread);
  if (tcb == NULL) return ESRCH;
  if (strlen(name) > CONFIG_TASK_NAME_SIZE) return ERANGE;
  strcpy(tcb->name, name);
  return 0;
}
