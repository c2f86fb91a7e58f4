/*
 * The scheduler: os_start (main becomes a task), the published task tables, PendSV context
 * switch on the process stack, SysTick (sleeping, round robin), the idle task, sched_yield,
 * usleep/sleep, sched_lock, malloc's lock and os_shutdown.
 *
 * Policy, as NuttX's SCHED_RR: the highest-priority ready task runs; among equals each runs
 * CONFIG_RR_INTERVAL ticks in turn. g_tasklist holds every task in one list; the scheduler picks
 * the first ready task of the highest priority, so moving a task to the end of the list is what
 * "go behind the others of your priority" means (time slice over, sched_yield, woken up).
 */
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os_internal.h"

/* Cortex-M system control registers (ARMv7-M ARM B3.2). */
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define SCB_SHPR3 (*(volatile uint32_t *)0xE000ED20u)
#define ICSR_PENDSVSET (1u << 28)
#define ICSR_PENDSVCLR (1u << 27)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE_TICKINT_CORECLK 7u

/* The core runs on the 16 MHz HSI from reset; the diag programs never start the PLL. */
#define CORE_CLOCK_HZ 16000000u
#define TICK_HZ 1000u

#define NPIDHASH 16
#define MAIN_PID 1
#define MAIN_STACK_MIN 8192 /* what os_start leaves main below the top of RAM, at least */
#define INTSTACK_SIZE 2048   /* handler-mode stack (MSP) once main moved to PSP */

/* ---- published for debuggers (tcb.h) --------------------------------------------------- */

/* Where each register GDB's org.gnu.gdb.arm.m-profile numbers r0..r12, sp, lr, pc, xpsr is
 * saved in the area xcp.regs points to: NuttX's TCB_REG_OFF(REG_x) = REG_x * 4. */
static const uint16_t g_reg_offs[] = {
    REG_R0 * 4,  REG_R1 * 4,  REG_R2 * 4,  REG_R3 * 4,  REG_R4 * 4,   REG_R5 * 4,
    REG_R6 * 4,  REG_R7 * 4,  REG_R8 * 4,  REG_R9 * 4,  REG_R10 * 4,  REG_R11 * 4,
    REG_R12 * 4, REG_R13 * 4, REG_R14 * 4, REG_R15 * 4, REG_XPSR * 4,
};

__attribute__((used)) const struct tcbinfo_s g_tcbinfo = {
    .pid_off = offsetof(struct tcb_s, pid),
    .state_off = offsetof(struct tcb_s, task_state),
    .pri_off = offsetof(struct tcb_s, sched_priority),
    .name_off = offsetof(struct tcb_s, name),
    .stack_off = offsetof(struct tcb_s, stack_alloc_ptr),
    .stack_size_off = offsetof(struct tcb_s, adj_stack_size),
    .regs_off = offsetof(struct tcb_s, xcp.regs),
    .regs_num = sizeof g_reg_offs / sizeof g_reg_offs[0],
    .reg_off = {.p = g_reg_offs},
};

static struct tcb_s *g_pidhash_table[NPIDHASH];
struct tcb_s **g_pidhash;      /* NULL until os_start: no tasks to show */
volatile int g_npidhash;
struct tcb_s *g_running_tasks[1];
struct tcb_s *g_tasklist;

volatile int g_os_started;
volatile uint32_t g_ticks;
static volatile int g_lockcount;   /* sched_lock depth */
static uint32_t g_wait_seq;        /* arrival order of semaphore waiters */
static pid_t g_lastpid = MAIN_PID;
static int g_systick_on;

static uint32_t g_intstack[INTSTACK_SIZE / 4] __attribute__((aligned(8)));
/* stdout's buffer: a static one, so printf never mallocs a block that a leak check would list. */
static char g_stdout_buf[256];

extern char __stack[]; /* top of RAM (common/cm4.ld) */

/* ---- the task list ------------------------------------------------------------------------ */

void nxsched_add_task(struct tcb_s *tcb) {
  struct tcb_s **pp = &g_tasklist;
  while (*pp != NULL) pp = &(*pp)->flink;
  tcb->flink = NULL;
  *pp = tcb;
  g_pidhash[tcb->pid % g_npidhash] = tcb;
}

void nxsched_remove_task(struct tcb_s *tcb) {
  for (struct tcb_s **pp = &g_tasklist; *pp != NULL; pp = &(*pp)->flink) {
    if (*pp == tcb) {
      *pp = tcb->flink;
      tcb->flink = NULL;
      return;
    }
  }
}

static void move_to_tail(struct tcb_s *tcb) {
  nxsched_remove_task(tcb);
  struct tcb_s **pp = &g_tasklist;
  while (*pp != NULL) pp = &(*pp)->flink;
  *pp = tcb;
}

int nxsched_alloc_pid(struct tcb_s *tcb) {
  for (int tries = 0; tries < NPIDHASH; tries++) {
    if (++g_lastpid > 32767) g_lastpid = MAIN_PID + 1;
    if (g_pidhash[g_lastpid % g_npidhash] == NULL) {
      tcb->pid = g_lastpid;
      return g_lastpid;
    }
  }
  return -1;
}

static int is_ready(const struct tcb_s *tcb) {
  return tcb->task_state == TSTATE_TASK_READYTORUN || tcb->task_state == TSTATE_TASK_RUNNING;
}

/* The first ready task of the highest priority (the idle task is always ready). */
static struct tcb_s *best_ready(void) {
  struct tcb_s *best = NULL;
  for (struct tcb_s *t = g_tasklist; t != NULL; t = t->flink) {
    if (is_ready(t) && (best == NULL || t->sched_priority > best->sched_priority)) best = t;
  }
  return best;
}

struct tcb_s *nxsched_get_tcb(pid_t pid) {
  if (g_npidhash == 0 || pid < 0) return NULL;
  struct tcb_s *tcb = g_pidhash[pid % g_npidhash];
  return tcb != NULL && tcb->pid == pid ? tcb : NULL;
}

/* ---- switching --------------------------------------------------------------------------- */

static void systick_start(void) {
  if (g_systick_on) return;
  g_systick_on = 1;
  SYST_RVR = CORE_CLOCK_HZ / TICK_HZ - 1;
  SYST_CVR = 0;
  SYST_CSR = SYST_CSR_ENABLE_TICKINT_CORECLK;
}

static void systick_stop(void) {
  g_systick_on = 0;
  SYST_CSR = 0;
}

void nxsched_reschedule(void) {
  struct tcb_s *cur = this_task();
  if (!g_os_started || cur == NULL) return;
  /* A task that blocked must go even under sched_lock; a running one only without it. */
  if (g_lockcount > 0 && cur->task_state == TSTATE_TASK_RUNNING) return;
  if (best_ready() != cur) SCB_ICSR = ICSR_PENDSVSET;
}

void nxsched_make_ready(struct tcb_s *tcb) {
  tcb->task_state = TSTATE_TASK_READYTORUN;
  tcb->waitobj = NULL;
  move_to_tail(tcb);
}

void nxsched_block(uint8_t state, void *waitobj) {
  struct tcb_s *cur = this_task();
  cur->task_state = state;
  cur->waitobj = waitobj;
  if (state == TSTATE_WAIT_SIG) systick_start();
  nxsched_reschedule();
}

/*
 * Called by PendSV_Handler with the outgoing task's saved-register area; returns the incoming
 * task's. The outgoing task may have exited (TSTATE_TASK_INVALID): its stack stays allocated
 * until waitpid reaps it, so saving onto it here is safe.
 */
__attribute__((used)) uint32_t *nxsched_switch(uint32_t *regs) {
  struct tcb_s *cur = this_task();
  cur->xcp.regs = regs;
  struct tcb_s *next = cur;
  if (!(g_lockcount > 0 && cur->task_state == TSTATE_TASK_RUNNING)) next = best_ready();
  if (next != cur) {
    if (cur->task_state == TSTATE_TASK_RUNNING) cur->task_state = TSTATE_TASK_READYTORUN;
    next->timeslice = CONFIG_RR_INTERVAL;
  }
  next->task_state = TSTATE_TASK_RUNNING;
  g_running_tasks[0] = next;
  return next->xcp.regs;
}

/*
 * The context switch. On entry the core has pushed r0-r3, r12, lr, pc, xPSR on the task's PSP;
 * this pushes the rest below them in NuttX's order (tcb.h: REG_R13, BASEPRI, r4-r11, CONTROL,
 * EXC_RETURN), so xcp.regs points at a complete register set for a debugger. REG_R13 is the
 * task's SP before the exception: the 32-byte frame plus the alignment word xPSR bit 9 reports.
 * No FP context: EXC_RETURN stays 0xFFFFFFFD because tasks never use the FPU.
 */
__attribute__((naked)) void PendSV_Handler(void) {
  __asm volatile(
      "cpsid i\n"
      "mrs r0, psp\n"
      "add r2, r0, #32\n"
      "ldr r3, [r0, #28]\n"
      "tst r3, #0x200\n"
      "it ne\n"
      "addne r2, r2, #4\n"
      "mrs r3, basepri\n"
      "mrs r12, control\n"
      "sub r0, r0, #48\n"
      "stmia r0, {r2-r12, lr}\n"
      "bl nxsched_switch\n"
      "ldmia r0, {r2-r12, lr}\n"
      "msr basepri, r3\n"
      "add r0, r0, #48\n"
      "msr psp, r0\n"
      "cpsie i\n"
      "bx lr\n");
}

void SysTick_Handler(void) {
  uint32_t flags = up_irq_save();
  g_ticks++;
  for (struct tcb_s *t = g_tasklist, *next; t != NULL; t = next) {
    next = t->flink; /* a woken task moves to the end: it is visited again, no longer asleep */
    if (t->task_state == TSTATE_WAIT_SIG && (int32_t)(g_ticks - t->wake_tick) >= 0) {
      nxsched_make_ready(t);
    }
  }
  struct tcb_s *cur = this_task();
  if (cur != NULL && cur->task_state == TSTATE_TASK_RUNNING && --cur->timeslice <= 0) {
    cur->timeslice = CONFIG_RR_INTERVAL;
    for (struct tcb_s *t = g_tasklist; t != NULL; t = t->flink) {
      if (t != cur && is_ready(t) && t->sched_priority == cur->sched_priority) {
        if (g_lockcount == 0) move_to_tail(cur); /* time slice over: the next one's turn */
        break;
      }
    }
  }
  nxsched_reschedule();
  up_irq_restore(flags);
}

/*
 * The idle task: sleeps in WFI. With no task sleeping it also stops SysTick, so that when every
 * task is blocked for good (a deadlock, a mutex that looks held) nothing is left that could wake
 * the core, as on a tickless NuttX, and an emulator can tell the program is asleep forever.
 */
static int idle_main(int argc, char *argv[]) {
  (void)argc;
  (void)argv;
  for (;;) {
    uint32_t flags = up_irq_save();
    int sleepers = 0;
    for (struct tcb_s *t = g_tasklist; t != NULL; t = t->flink) {
      if (t->task_state == TSTATE_WAIT_SIG) sleepers++;
    }
    if (sleepers == 0) systick_stop();
    __asm volatile("wfi");
    up_irq_restore(flags);
  }
  return 0;
}

/* ---- os_start / os_shutdown ------------------------------------------------------------- */

static inline uintptr_t current_sp(void) {
  uintptr_t sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

/*
 * Thread mode moves from MSP to PSP without moving: PSP takes SP's value (main's frames stay
 * where they are), then MSP gets a stack of its own for handlers.
 */
static void switch_to_psp(uint32_t *msp_top) {
  __asm volatile(
      "mov r1, sp\n"
      "msr psp, r1\n"
      "movs r1, #2\n"
      "msr control, r1\n"
      "isb\n"
      "msr msp, %0\n" ::"r"(msp_top)
      : "r1", "memory");
}

/*
 * newlib's sbrk (librdimon) refuses to grow the heap past the current SP, and a task's SP lies
 * inside the heap, below the break: malloc from a task could never grow the heap. So os_start,
 * still on the stack at the top of RAM, grows the heap once up to MAIN_STACK_MIN below it and
 * frees the block, with trimming off so it is never given back; the heap is then a fixed region
 * as on NuttX, and main's stack is what lies between its end and the top of RAM.
 */
static void claim_heap(void) {
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
  uintptr_t brk = (uintptr_t)sbrk(0);
  uintptr_t limit = (uintptr_t)__stack - MAIN_STACK_MIN;
  if (limit > brk + 3 * 4096) {
    void *all = malloc(limit - brk - 2 * 4096); /* slack for malloc's page rounding */
    __asm volatile("" ::"r"(all) : "memory");   /* GCC drops a malloc freed unused */
    free(all);
  }
}

void os_start(void) {
  if (g_os_started) return;
  setvbuf(stdout, g_stdout_buf, _IOLBF, sizeof g_stdout_buf);
  claim_heap();

  g_pidhash = g_pidhash_table;
  g_npidhash = NPIDHASH;

  /* main: its stack is everything from the end of the heap to the top of RAM. */
  struct tcb_s *tcb = malloc(sizeof *tcb);
  if (tcb == NULL) abort();
  memset(tcb, 0, sizeof *tcb);
  uintptr_t base = ((uintptr_t)sbrk(0) + 7) & ~(uintptr_t)7;
  tcb->pid = MAIN_PID;
  tcb->sched_priority = tcb->init_priority = SCHED_PRIORITY_DEFAULT;
  tcb->task_state = TSTATE_TASK_RUNNING;
  tcb->flags = TCB_FLAG_STATIC;
  tcb->timeslice = CONFIG_RR_INTERVAL;
  tcb->stack_alloc_ptr = tcb->stack_base_ptr = (void *)base;
  tcb->adj_stack_size = (uintptr_t)__stack - base;
  strcpy(tcb->name, "main");
  /* Colour main's unused stack, up to a margin below this frame. */
  for (uint32_t *p = (uint32_t *)base; (uintptr_t)p < current_sp() - 128; p++) {
    *p = CONFIG_STACK_COLOR;
  }

  uint32_t flags = up_irq_save();
  nxsched_add_task(tcb);
  g_running_tasks[0] = tcb;
  switch_to_psp(&g_intstack[INTSTACK_SIZE / 4]);
  /* PendSV lowest, so a switch never interrupts a handler; SysTick just above it. */
  SCB_SHPR3 = (SCB_SHPR3 & 0x0000ffffu) | (0xffu << 16) | (0xe0u << 24);
  up_irq_restore(flags);

  struct tcb_s *idle = nxtask_setup("Idle Task", SCHED_PRIORITY_IDLE,
                                    CONFIG_IDLETHREAD_STACKSIZE, (void *)idle_main, NULL);
  if (idle == NULL) abort();
  flags = up_irq_save();
  idle->pid = 0;
  nxsched_add_task(idle);
  idle->task_state = TSTATE_TASK_READYTORUN;
  g_os_started = 1;
  systick_start();
  up_irq_restore(flags);
}

void os_shutdown(void) {
  if (!g_os_started) return;
  uint32_t flags = up_irq_save();
  systick_stop();
  SCB_ICSR = ICSR_PENDSVCLR;
  g_os_started = 0; /* from here on main runs alone, with no scheduler behind it */
  struct tcb_s *list = g_tasklist;
  g_tasklist = NULL;
  g_running_tasks[0] = NULL;
  g_npidhash = 0;
  g_pidhash = NULL;
  memset(g_pidhash_table, 0, sizeof g_pidhash_table);
  up_irq_restore(flags);
  while (list != NULL) {
    struct tcb_s *next = list->flink;
    nxtask_free(list);
    list = next;
  }
}

uint32_t os_ticks(void) { return g_ticks; }

/* ---- NuttX/POSIX scheduling calls ------------------------------------------------------ */

int sched_lock(void) {
  g_lockcount++;
  return 0;
}

int sched_unlock(void) {
  uint32_t flags = up_irq_save();
  if (g_lockcount > 0 && --g_lockcount == 0) nxsched_reschedule();
  up_irq_restore(flags);
  return 0;
}

int sched_yield(void) {
  if (!g_os_started) return 0;
  uint32_t flags = up_irq_save();
  move_to_tail(this_task());
  nxsched_reschedule();
  up_irq_restore(flags);
  return 0;
}

int usleep(useconds_t usec) {
  if (!g_os_started) return 0; /* no clock to sleep on */
  uint32_t ticks = (usec + (1000000u / TICK_HZ) - 1) / (1000000u / TICK_HZ);
  if (ticks == 0) return sched_yield();
  uint32_t flags = up_irq_save();
  this_task()->wake_tick = g_ticks + ticks;
  nxsched_block(TSTATE_WAIT_SIG, NULL);
  up_irq_restore(flags); /* sleeps here */
  return 0;
}

unsigned sleep(unsigned seconds) {
  usleep(seconds * 1000000u);
  return 0;
}

/* ---- semaphore waits (NuttX semantics: semcount < 0 counts the waiters) ------------------ */

void nxsem_wait_locked(sem_t *sem) {
  if (--sem->semcount >= 0) return;
  this_task()->wait_seq = ++g_wait_seq;
  nxsched_block(TSTATE_WAIT_SEM, sem);
}

void nxsem_post_locked(sem_t *sem) {
  if (++sem->semcount > 0) return;
  /* Hand over to the highest-priority waiter, the longest-waiting among equals. */
  struct tcb_s *best = NULL;
  for (struct tcb_s *t = g_tasklist; t != NULL; t = t->flink) {
    if (t->task_state != TSTATE_WAIT_SEM || t->waitobj != sem) continue;
    if (best == NULL || t->sched_priority > best->sched_priority ||
        (t->sched_priority == best->sched_priority && (int32_t)(t->wait_seq - best->wait_seq) < 0))
      best = t;
  }
  if (best != NULL) nxsched_make_ready(best);
  nxsched_reschedule();
}

/* ---- newlib's malloc lock ------------------------------------------------------------------
 * newlib is built single-threaded; its malloc calls these around every heap change. Masking
 * interrupts keeps a task switch out of the heap; the count makes it nestable (realloc). Before
 * os_start nothing can switch, and they do nothing, as newlib's own stubs.
 */
static int g_malloc_nest;
static uint32_t g_malloc_primask;

void __malloc_lock(struct _reent *reent) {
  (void)reent;
  if (!g_os_started) return;
  uint32_t flags = up_irq_save();
  if (g_malloc_nest++ == 0) g_malloc_primask = flags;
}

void __malloc_unlock(struct _reent *reent) {
  (void)reent;
  if (g_malloc_nest == 0) return;
  if (--g_malloc_nest == 0) up_irq_restore(g_malloc_primask);
}

/* ---- stack use --------------------------------------------------------------------------- */

size_t task_stack_used(pid_t pid) {
  struct tcb_s *tcb = nxsched_get_tcb(pid);
  if (tcb == NULL) return 0;
  const uint32_t *p = tcb->stack_base_ptr;
  size_t words = tcb->adj_stack_size / 4, i = 0;
  while (i < words && p[i] == CONFIG_STACK_COLOR) i++;
  return (words - i) * 4;
}
