/*
 * The task control block and the tables a debugger reads, laid out the way NuttX publishes them
 * (include/nuttx/sched.h: struct tcb_s, struct tcbinfo_s, enum tstate_e; sched/sched/sched.h:
 * g_pidhash, g_npidhash, g_running_tasks; arch/arm/src/armv7-m/arm_tcbinfo.c). struct tcb_s is
 * our own, much smaller one: a debugger must use only the offsets g_tcbinfo gives, exactly as it
 * does for NuttX, so one reader serves both.
 *
 * Field sizes match NuttX's: pid is a pid_t (int, 4 bytes), sched_priority a uint8_t, task_state
 * one byte (NuttX's tstate_t is an enum, one byte under arm-none-eabi's short enums), name a
 * NUL-terminated char[16], stack_alloc_ptr/stack_base_ptr pointers, adj_stack_size a size_t.
 */
#ifndef DIAG_OS_TCB_H
#define DIAG_OS_TCB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* NuttX's enum tstate_e for a non-SMP build with message queues: the numbers a debugger shows. */
#define TSTATE_TASK_INVALID 0    /* not a live task (exited, waiting to be reaped) */
#define TSTATE_TASK_PENDING 1    /* unused: no pending-preemption list here */
#define TSTATE_TASK_READYTORUN 2 /* ready, not running */
#define TSTATE_TASK_RUNNING 3    /* the task on the CPU */
#define TSTATE_TASK_INACTIVE 4   /* created, not yet started (unused: tasks start at once) */
#define TSTATE_WAIT_SEM 5        /* blocked on a semaphore (sem_wait, mutex, waitpid, join) */
#define TSTATE_WAIT_SIG 6        /* blocked waiting for a signal: usleep/sleep */
#define TSTATE_SLEEPING TSTATE_WAIT_SIG

/* NuttX's priority range (include/sys/types.h, sched.h). */
#define SCHED_PRIORITY_IDLE 0
#define SCHED_PRIORITY_MIN 1
#define SCHED_PRIORITY_DEFAULT 100
#define SCHED_PRIORITY_MAX 255

#define CONFIG_TASK_NAME_SIZE 15 /* + NUL: char name[16], as NuttX's default 31 is long */

/*
 * The saved-register area xcp.regs points to, on the task's own stack, in NuttX's ARMv7-M order
 * without FPU (arch/arm/include/armv7-m/irq.h): what PendSV_Handler pushes (REG_R13 .. the
 * EXC_RETURN) below what the exception entry pushed (REG_R0 .. REG_XPSR). Indexes are words.
 */
#define REG_R13 0 /* SP of the task before the exception entry (frame and padding removed) */
#define REG_BASEPRI 1
#define REG_R4 2
#define REG_R5 3
#define REG_R6 4
#define REG_R7 5
#define REG_R8 6
#define REG_R9 7
#define REG_R10 8
#define REG_R11 9
#define REG_CONTROL 10
#define REG_EXC_RETURN 11
#define SW_XCPT_REGS 12
#define REG_R0 (SW_XCPT_REGS + 0)
#define REG_R1 (SW_XCPT_REGS + 1)
#define REG_R2 (SW_XCPT_REGS + 2)
#define REG_R3 (SW_XCPT_REGS + 3)
#define REG_R12 (SW_XCPT_REGS + 4)
#define REG_R14 (SW_XCPT_REGS + 5)
#define REG_R15 (SW_XCPT_REGS + 6)
#define REG_XPSR (SW_XCPT_REGS + 7)
#define XCPTCONTEXT_REGS (SW_XCPT_REGS + 8)
#define XCPTCONTEXT_SIZE (4 * XCPTCONTEXT_REGS)

/* Counting semaphore, NuttX's meaning: semcount < 0 is minus the number of waiters. */
typedef struct sem_s {
  volatile int16_t semcount;
  uint8_t flags;
  uint8_t reserved;
} sem_t;

#define SEM_INITIALIZER(c) {(c), 0, 0}

struct xcptcontext {
  uint32_t *regs; /* saved registers; stale while the task runs (as in NuttX) */
};

/* What a task runs: NuttX's main_t for tasks, start routine and argument for pthreads. */
typedef int (*main_t)(int argc, char *argv[]);
typedef void *(*pthread_startroutine_t)(void *arg);

#define TCB_FLAG_PTHREAD 0x01 /* created by pthread_create: entry is a start routine */
#define TCB_FLAG_JOINED 0x02  /* someone is waiting in waitpid/pthread_join */
#define TCB_FLAG_STATIC 0x04  /* stack not from malloc (the main task's): never freed */

struct tcb_s {
  struct tcb_s *flink;      /* every task, in scheduling order: round robin rotates this list */
  pid_t pid;                /* task ID; g_pidhash[pid % g_npidhash] points here while live */
  uint8_t sched_priority;   /* 0 (idle) .. 255, higher runs first */
  uint8_t init_priority;
  uint8_t task_state;       /* TSTATE_* */
  uint8_t flags;            /* TCB_FLAG_* */
  int16_t timeslice;        /* round-robin ticks left */
  int16_t exit_status;      /* entry's return value once exited */
  uint32_t wake_tick;       /* TSTATE_WAIT_SIG: the tick at which usleep returns */
  uint32_t wait_seq;        /* order of arrival among waiters of equal priority (FIFO) */
  void *waitobj;            /* TSTATE_WAIT_SEM: the semaphore waited on */
  size_t adj_stack_size;    /* bytes usable from stack_base_ptr up */
  void *stack_alloc_ptr;    /* the malloc'd block (freed when the task is reaped) */
  void *stack_base_ptr;     /* lowest usable address: the same as stack_alloc_ptr here */
  struct xcptcontext xcp;   /* xcp.regs */
  void *entry;              /* main_t, or pthread_startroutine_t with TCB_FLAG_PTHREAD */
  void *arg;                /* a pthread's argument */
  int argc;
  char **argv;              /* copied onto the top of the task's stack, argv[0] = name */
  void *join_val;           /* a pthread's return value */
  sem_t join_sem;           /* posted when the task exits (waitpid, pthread_join) */
  char name[CONFIG_TASK_NAME_SIZE + 1];
};

/* NuttX's struct tcbinfo_s: the offsets a debugger needs, and where each GDB register is. */
struct __attribute__((packed)) tcbinfo_s {
  uint16_t pid_off;        /* offsetof(struct tcb_s, pid) */
  uint16_t state_off;      /* offsetof(struct tcb_s, task_state) */
  uint16_t pri_off;        /* offsetof(struct tcb_s, sched_priority) */
  uint16_t name_off;       /* offsetof(struct tcb_s, name) */
  uint16_t stack_off;      /* offsetof(struct tcb_s, stack_alloc_ptr) (== stack_base_ptr here) */
  uint16_t stack_size_off; /* offsetof(struct tcb_s, adj_stack_size) */
  uint16_t regs_off;       /* offsetof(struct tcb_s, xcp.regs) */
  uint16_t regs_num;       /* entries in reg_off.p: r0..r12, sp, lr, pc, xpsr = 17 */
  union __attribute__((packed)) {
    uint8_t u[8];
    const uint16_t *p; /* byte offset inside *xcp.regs per GDB m-profile register, or 0xffff */
  } reg_off;
};

extern const struct tcbinfo_s g_tcbinfo;
extern struct tcb_s **g_pidhash;      /* slot pid % g_npidhash: the live task with that pid */
extern volatile int g_npidhash;       /* 0 until os_start() */
extern struct tcb_s *g_running_tasks[1]; /* the task on the CPU (NuttX: one per CPU) */
extern struct tcb_s *g_tasklist;      /* every TCB not yet reaped, in scheduling order */

#endif
