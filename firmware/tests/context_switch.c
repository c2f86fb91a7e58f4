/*
 * A classic RTOS context switch: two threads on their own process stacks (PSP), switched by a
 * PendSV handler that saves r4-r11 below the hardware frame and picks the next thread. main is a
 * third context, on MSP (EXC_RETURN 0xFFFFFFF9), that gets the CPU back when both threads end.
 * Phase 1 is cooperative (threads pend PendSV themselves); phase 2 is preemptive (SysTick pends
 * PendSV). Every register is loaded with a known pattern before a switch and checked after it.
 */
#include <stdio.h>

#include "testlib.h"

#define ROUNDS 6
#define STACK_WORDS 256
#define SPIN_LOOPS 3000
#define PREEMPTIONS_WANTED 5
#define MAX_SPIN_CALLS 20000 /* QEMU's SysTick runs in host time: allow for a slow host */

struct tcb {
  uint32_t sp;
  uint32_t exc_return;
  volatile uint32_t done;
  volatile uint32_t switched_out;
};

static struct tcb tcbs[3]; /* 0: main on MSP, 1 and 2: threads on PSP */
static uint32_t stacks[2][STACK_WORDS] __attribute__((aligned(8)));
static volatile uint32_t current;
__attribute__((used)) static volatile uint32_t next_exc_return;
static volatile uint32_t switches, preempt;

static volatile uint32_t log_ev[2 * ROUNDS + 4], log_len;
static volatile uint32_t reg_errors, control_errors, psp_errors, spin_calls[3];

/* Called from PendSV with the outgoing context's saved SP; returns the incoming one's. */
__attribute__((used)) uint32_t pendsv_switch(uint32_t sp, uint32_t exc_return) {
  uint32_t cur = current, next = 0;
  tcbs[cur].sp = sp;
  tcbs[cur].exc_return = exc_return;
  tcbs[cur].switched_out++;
  if (cur != 0 && !tcbs[3 - cur].done)
    next = 3 - cur;
  else if (cur != 0 && !tcbs[cur].done)
    next = cur;
  else if (cur == 0 && !tcbs[1].done)
    next = 1;
  else if (cur == 0 && !tcbs[2].done)
    next = 2;
  switches++;
  current = next;
  next_exc_return = tcbs[next].exc_return;
  return tcbs[next].sp;
}

/*
 * r4-r11 go on the stack the outgoing context was using: PSP for a thread, MSP for main (below
 * its hardware frame; MSP keeps pointing there while the threads run).
 */
__attribute__((naked)) void PendSV_Handler(void) {
  __asm volatile("tst lr, #4\n\t"
                 "bne 1f\n\t"
                 "push {r4-r11}\n\t"
                 "mov r0, sp\n\t"
                 "b 2f\n"
                 "1:\n\t"
                 "mrs r0, psp\n\t"
                 "stmdb r0!, {r4-r11}\n"
                 "2:\n\t"
                 "mov r1, lr\n\t"
                 "bl pendsv_switch\n\t"
                 "movw r1, #:lower16:next_exc_return\n\t"
                 "movt r1, #:upper16:next_exc_return\n\t"
                 "ldr lr, [r1]\n\t"
                 "tst lr, #4\n\t"
                 "bne 3f\n\t"
                 "mov sp, r0\n\t"
                 "pop {r4-r11}\n\t"
                 "bx lr\n"
                 "3:\n\t"
                 "ldmia r0!, {r4-r11}\n\t"
                 "msr psp, r0\n\t"
                 "bx lr\n\t");
}

void SysTick_Handler(void) {
  if (preempt) {
    ICSR = ICSR_PENDSVSET;
    dsb_isb();
  }
}

/*
 * Load r1-r12 and lr with values derived from seed, pend PendSV (spin `loops` times first, so
 * that SysTick may preempt), and return 1 if every register still holds its value afterwards.
 */
__attribute__((naked, noinline)) static uint32_t
switch_and_check(__attribute__((unused)) uint32_t seed, __attribute__((unused)) uint32_t loops,
                 __attribute__((unused)) uint32_t pend) {
  __asm volatile("push {r4-r11, lr}\n\t"
                 "mov r12, r0\n\t"
                 "mvn lr, r0\n\t"
                 "mov r0, r1\n\t"          /* r0: spin count */
                 "mov r1, r2\n\t"          /* r1: pend flag */
                 "add r2, r12, #2\n\t"
                 "add r3, r12, #3\n\t"
                 "add r4, r12, #4\n\t"
                 "add r5, r12, #5\n\t"
                 "add r6, r12, #6\n\t"
                 "add r7, r12, #7\n\t"
                 "add r8, r12, #8\n\t"
                 "add r9, r12, #9\n\t"
                 "add r10, r12, #10\n\t"
                 "add r11, r12, #11\n"
                 "1:\n\t"
                 "subs r0, r0, #1\n\t"
                 "bhi 1b\n\t"
                 "cbz r1, 2f\n\t"
                 "movw r0, #0xED04\n\t"
                 "movt r0, #0xE000\n\t"
                 "mov r1, #0x10000000\n\t"
                 "str r1, [r0]\n\t"
                 "dsb\n\t"
                 "isb\n\t"
                 "cmp r1, #0x10000000\n\t"
                 "bne 9f\n\t"
                 "movw r1, #0xED04\n\t"
                 "movt r1, #0xE000\n\t"
                 "cmp r0, r1\n\t"
                 "bne 9f\n"
                 "2:\n\t"
                 "mvn r0, lr\n\t"
                 "cmp r0, r12\n\t"
                 "bne 9f\n\t"
                 "add r0, r12, #2\n\t cmp r2, r0\n\t bne 9f\n\t"
                 "add r0, r12, #3\n\t cmp r3, r0\n\t bne 9f\n\t"
                 "add r0, r12, #4\n\t cmp r4, r0\n\t bne 9f\n\t"
                 "add r0, r12, #5\n\t cmp r5, r0\n\t bne 9f\n\t"
                 "add r0, r12, #6\n\t cmp r6, r0\n\t bne 9f\n\t"
                 "add r0, r12, #7\n\t cmp r7, r0\n\t bne 9f\n\t"
                 "add r0, r12, #8\n\t cmp r8, r0\n\t bne 9f\n\t"
                 "add r0, r12, #9\n\t cmp r9, r0\n\t bne 9f\n\t"
                 "add r0, r12, #10\n\t cmp r10, r0\n\t bne 9f\n\t"
                 "add r0, r12, #11\n\t cmp r11, r0\n\t bne 9f\n\t"
                 "mov r0, #1\n\t"
                 "pop {r4-r11, pc}\n"
                 "9:\n\t"
                 "mov r0, #0\n\t"
                 "pop {r4-r11, pc}\n\t");
}

static void yield(void) {
  ICSR = ICSR_PENDSVSET;
  dsb_isb();
}

static void check_thread_mode(uint32_t id) {
  uint32_t psp = get_psp();
  if ((get_control() & 2) == 0) control_errors++;
  if (psp <= (uint32_t)stacks[id - 1] || psp > (uint32_t)&stacks[id - 1][STACK_WORDS]) psp_errors++;
}

static void cooperative_thread(uint32_t id) {
  for (uint32_t round = 0; round < ROUNDS; round++) {
    check_thread_mode(id);
    log_ev[log_len++] = id * 16 + round;
    if (!switch_and_check((id << 28) | (round << 16) | 0x5A00, 1, 1)) reg_errors++;
  }
}

static void preemptive_thread(uint32_t id) {
  uint32_t n = 0;
  while (tcbs[id].switched_out < PREEMPTIONS_WANTED && n < MAX_SPIN_CALLS) {
    check_thread_mode(id);
    if (!switch_and_check((id << 28) | (n << 12) | 0xA5, SPIN_LOOPS, 0)) reg_errors++;
    n++;
  }
  spin_calls[id] = n;
}

static void thread_exit(void) {
  tcbs[current].done = 1;
  for (;;) yield();
}

static void start_thread(uint32_t id, void (*entry)(uint32_t)) {
  uint32_t *sp = &stacks[id - 1][STACK_WORDS];
  *--sp = 1u << 24;              /* xPSR: Thumb */
  *--sp = (uint32_t)entry & ~1u; /* PC */
  *--sp = (uint32_t)thread_exit; /* LR: where the thread function returns to */
  for (int i = 0; i < 4; i++) *--sp = 0; /* r12, r3, r2, r1 */
  *--sp = id;                    /* r0: the argument */
  for (int r = 11; r >= 4; r--) *--sp = 0x0F0F0000u | r; /* r11..r4, popped by PendSV */
  tcbs[id].sp = (uint32_t)sp;
  tcbs[id].exc_return = EXC_RETURN_THREAD_PSP;
  tcbs[id].done = 0;
  tcbs[id].switched_out = 0;
}

int main(void) {
  SHPR8(EXC_PENDSV) = 0xE0;
  SHPR8(EXC_SYSTICK) = 0x80;

  /* Phase 1: cooperative. */
  current = 0;
  start_thread(1, cooperative_thread);
  start_thread(2, cooperative_thread);
  yield();
  check_eq("main resumes after both threads end", tcbs[1].done && tcbs[2].done, 1);
  check_eq("main back in thread mode on MSP", get_control() & 2, 0);
  check_eq("main's context is current", current, 0);
  {
    int ok = log_len == 2 * ROUNDS;
    for (uint32_t i = 0; ok && i < 2 * ROUNDS; i++)
      ok = log_ev[i] == (1 + i % 2) * 16 + i / 2;
    check("threads alternate A0 B0 A1 B1 ...", ok);
  }
  check_eq("cooperative: registers survive every switch", reg_errors, 0);
  check_eq("threads run with CONTROL.SPSEL=1", control_errors, 0);
  check_eq("threads run on their own PSP stacks", psp_errors, 0);
  check_eq("cooperative: number of switches", switches, 2 * ROUNDS + 3);

  /* Phase 2: preemptive, SysTick pends PendSV on every tick. */
  reg_errors = control_errors = psp_errors = 0;
  start_thread(1, preemptive_thread);
  start_thread(2, preemptive_thread);
  SYST_RVR = 1999;
  SYST_CVR = 0;
  preempt = 1;
  SYST_CSR = 7;
  yield();
  SYST_CSR = 0;
  preempt = 0;
  dsb_isb();
  check_eq("preemptive: both threads ended", tcbs[1].done && tcbs[2].done, 1);
  check("preemptive: thread 1 was preempted",
        spin_calls[1] < MAX_SPIN_CALLS && tcbs[1].switched_out >= PREEMPTIONS_WANTED);
  check("preemptive: thread 2 was preempted",
        spin_calls[2] < MAX_SPIN_CALLS && tcbs[2].switched_out >= PREEMPTIONS_WANTED);
  check_eq("preemptive: registers survive every preemption", reg_errors, 0);
  check_eq("preemptive: threads on PSP with SPSEL=1", control_errors + psp_errors, 0);
  check_eq("main back on MSP after preemptive phase", get_control() & 2, 0);
  return test_finish();
}
