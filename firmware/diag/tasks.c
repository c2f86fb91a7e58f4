/*
 * Test program for the task list (GDB's `info threads`, the console's task key): tasks in every
 * state the list must show, read through g_tcbinfo / g_pidhash as on NuttX.
 *
 * main (pid 1, priority 100) starts, in this order:
 *   "sleeper"  priority 120: loops in usleep(50 ms)      -> TSTATE_WAIT_SIG (6)
 *   "waiter"   priority 110: sem_wait on a sem never posted -> TSTATE_WAIT_SEM (5)
 *   "spinner"  priority 50:  a busy loop, never blocks     -> TSTATE_TASK_READYTORUN (2)
 *   "reporter" priority 90:  calls tasks_ready() and returns -> TSTATE_TASK_RUNNING (3) there
 * then waits for "reporter" in waitpid (main: TSTATE_WAIT_SEM). The pids are 2, 3, 4, 5 in that
 * order (the program prints them). The idle task "Idle Task" is pid 0, priority 0, ready (2).
 *
 * A test sets a breakpoint on tasks_ready (noinline, called once from "reporter"). At that
 * stop the task list must show exactly these 6 tasks: Idle Task (0, pri 0, ready), main (1, pri
 * 100, waiting on a semaphore), sleeper (2, pri 120, sleeping), waiter (3, pri 110, waiting on
 * a semaphore), spinner (4, pri 50, ready, PC inside spinner_main), reporter (5, pri 90,
 * running, PC = tasks_ready); each with its stack (base, size: the sizes below) from the TCB.
 * Saved PCs: sleeper in usleep, waiter in sem_wait, main in waitpid's join (inlined
 * up_irq_restore right after the switch), spinner in spinner_main; the idle task has not run
 * yet (something else was always ready), so its saved PC is nxtask_start, its first frame.
 * Without a breakpoint the program prints the list itself, then exits 0 after a short sleep.
 * Both variants are the same program (no clean twin: nothing here is a bug).
 */
#include <stdio.h>
#include <stdlib.h>

#include "os.h"

#define NOINLINE __attribute__((noinline))

static sem_t never_posted = SEM_INITIALIZER(0);
static volatile unsigned long spins;
static volatile int ready_calls;

static const char *state_name(int state) {
  switch (state) {
    case TSTATE_TASK_READYTORUN: return "ready";
    case TSTATE_TASK_RUNNING: return "running";
    case TSTATE_WAIT_SEM: return "waiting (semaphore)";
    case TSTATE_WAIT_SIG: return "sleeping (signal)";
    default: return "?";
  }
}

/* The breakpoint target: every task is in the state the header describes while this runs. */
NOINLINE void tasks_ready(int ntasks) {
  ready_calls += ntasks;
  __asm volatile("" ::: "memory");
}

/* What a debugger shows, printed from the tables a debugger reads. */
static void print_task_list(void) {
  printf("PID PRI %-20s %-10s STACK USED SAVED-PC   SAVED-SP\n", "STATE", "NAME");
  for (int slot = 0; slot < g_npidhash; slot++) {
    struct tcb_s *t = g_pidhash[slot];
    if (t == NULL) continue;
    printf("%3d %3d %-20s %-10s %5u %4u ", t->pid, t->sched_priority,
           state_name(t->task_state), t->name, (unsigned)t->adj_stack_size,
           (unsigned)task_stack_used(t->pid));
    if (t->task_state == TSTATE_TASK_RUNNING) {
      printf("(running)\n"); /* its xcp.regs is stale, as on NuttX */
    } else {
      printf("0x%08x 0x%08x\n", (unsigned)t->xcp.regs[REG_R15], (unsigned)t->xcp.regs[REG_R13]);
    }
  }
}

static int sleeper_main(int argc, char *argv[]) {
  (void)argc;
  (void)argv;
  for (;;) usleep(50000);
  return 0;
}

static int waiter_main(int argc, char *argv[]) {
  (void)argc;
  (void)argv;
  sem_wait(&never_posted);
  return 0;
}

static int spinner_main(int argc, char *argv[]) {
  (void)argc;
  (void)argv;
  for (;;) spins++;
  return 0;
}

static int reporter_main(int argc, char *argv[]) {
  (void)argc;
  (void)argv;
  tasks_ready(6);
  print_task_list();
  return 0;
}

int main(void) {
  os_start();
  printf("tasks: main is pid %d\n", getpid());
  int sleeper = task_create("sleeper", 120, 1024, sleeper_main, NULL);
  int waiter = task_create("waiter", 110, 1024, waiter_main, NULL);
  int spinner = task_create("spinner", 50, 1024, spinner_main, NULL);
  printf("tasks: sleeper pid %d, waiter pid %d, spinner pid %d\n", sleeper, waiter, spinner);
  usleep(20000); /* the spinner gets the CPU while main sleeps */
  printf("tasks: spinner ran: %s\n", spins > 0 ? "yes" : "no");
  int reporter = task_create("reporter", 90, 2048, reporter_main, NULL);
  printf("tasks: reporter pid %d\n", reporter);
  int status;
  waitpid(reporter, &status, 0);
  printf("tasks: reporter exited, tasks_ready called %s\n", ready_calls == 6 ? "once" : "?");
  usleep(10000);
  os_shutdown();
  printf("tasks: done\n");
  exit(0);
}
