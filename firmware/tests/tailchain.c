/*
 * Tail-chaining and ordering of pending exceptions: of equal priority, the lower exception number
 * goes first and the next is taken right after the first returns, before any thread instruction;
 * equal priority never preempts; the chained handler sees the same stack frame; a pended PendSV
 * chains after an IRQ.
 */
#include <stdio.h>

#include "testlib.h"

#define IRQ_A 6  /* priority 0x80 */
#define IRQ_B 7  /* priority 0x80 */
#define IRQ_C 5  /* priority 0x80 */
#define IRQ_LO 9 /* priority 0xC0 */
#define IRQ_HI 10 /* priority 0x40 */

#define LOG_SIZE 16
static volatile uint32_t log_exc[LOG_SIZE], log_msp[LOG_SIZE], log_lr[LOG_SIZE];
static volatile uint32_t log_len;
static volatile uint32_t a_saw_b_pending, a_saw_b_run, a_mode;

static void log_entry(uint32_t lr) {
  uint32_t n = log_len;
  if (n < LOG_SIZE) {
    log_exc[n] = get_ipsr();
    log_msp[n] = get_msp();
    log_lr[n] = lr;
  }
  log_len = n + 1;
}

/*
 * Every exception here enters irq_entry straight from a vector table in RAM (VTOR), so each
 * handler sees its own EXC_RETURN in LR and the same stack depth.
 */
static uint32_t ram_vectors[128] __attribute__((aligned(512)));
__attribute__((noinline, used)) void logging_handler(uint32_t lr) {
  log_entry(lr);
  if (get_ipsr() == EXC_IRQ(IRQ_A)) {
    uint32_t before = log_len;
    if (a_mode == 1) {
      irq_pend(IRQ_B);
      a_saw_b_pending = (NVIC_ISPR(0) >> IRQ_B) & 1;
      a_saw_b_run = log_len != before;
    } else if (a_mode == 2) {
      irq_pend(IRQ_B);
      irq_pend(IRQ_C);
    } else if (a_mode == 3) {
      ICSR = ICSR_PENDSVSET;
      dsb_isb();
    }
  }
}

__attribute__((naked)) static void irq_entry(void) {
  __asm volatile("mov r0, lr\n\t"
                 "push {r4, lr}\n\t"
                 "bl logging_handler\n\t"
                 "pop {r4, pc}\n\t");
}
static void reset_log(uint32_t mode) {
  log_len = 0;
  a_mode = mode;
}

static int log_is(uint32_t n, const uint32_t *exc) {
  if (log_len != n) return 0;
  for (uint32_t i = 0; i < n; i++)
    if (log_exc[i] != exc[i]) return 0;
  return 1;
}

static void print_log(const char *name) {
  printf("  %s log:", name);
  for (uint32_t i = 0; i < log_len && i < LOG_SIZE; i++) printf(" %lu", (unsigned long)log_exc[i]);
  printf("\n");
}

static void check_log(const char *name, uint32_t n, const uint32_t *exc) {
  if (!check(name, log_is(n, exc))) print_log(name);
}

int main(void) {
  uint32_t seen_by_thread;

  for (unsigned i = 0; i < 16 + 82; i++) ram_vectors[i] = ((const uint32_t *)VTOR)[i];
  ram_vectors[EXC_PENDSV] = ram_vectors[EXC_SYSTICK] = (uint32_t)irq_entry;
  for (unsigned i = 0; i < 32; i++) ram_vectors[EXC_IRQ(i)] = (uint32_t)irq_entry;
  VTOR = (uint32_t)ram_vectors;
  dsb_isb();
  check_eq("VTOR reads back", VTOR, (uint32_t)ram_vectors);

  irq_setup(IRQ_A, 0x80, irq_entry);
  irq_setup(IRQ_B, 0x80, irq_entry);
  irq_setup(IRQ_C, 0x80, irq_entry);
  irq_setup(IRQ_LO, 0xC0, irq_entry);
  irq_setup(IRQ_HI, 0x40, irq_entry);
  SHPR8(EXC_PENDSV) = 0xE0;
  SHPR8(EXC_SYSTICK) = 0xA0;

  /* Two pended at equal priority: lower number first, both before the thread runs again. */
  reset_log(0);
  irq_disable();
  irq_pend(IRQ_B);
  irq_pend(IRQ_A);
  check_eq("nothing taken under PRIMASK", log_len, 0);
  check_eq("VECTPENDING is the lower number", ICSR_VECTPENDING(ICSR), EXC_IRQ(IRQ_A));
  __asm volatile("cpsie i\n\t"
                 "isb\n\t"
                 "ldr %0, [%1]\n\t"
                 : "=r"(seen_by_thread)
                 : "r"(&log_len)
                 : "memory");
  check_eq("both handlers ran before the next thread instruction", seen_by_thread, 2);
  {
    const uint32_t want[] = {EXC_IRQ(IRQ_A), EXC_IRQ(IRQ_B)};
    check_log("equal priority: lower exception number first", 2, want);
  }
  check_eq("tail-chained handler sees the same MSP", log_msp[1], log_msp[0]);
  check_eq("first handler EXC_RETURN", log_lr[0], EXC_RETURN_THREAD_MSP);
  check_eq("tail-chained handler EXC_RETURN", log_lr[1], EXC_RETURN_THREAD_MSP);

  /* Pended from inside A at the same priority: no preemption, chained after A. */
  reset_log(1);
  irq_pend(IRQ_A);
  check_eq("equal priority pended inside handler is pending", a_saw_b_pending, 1);
  check_eq("equal priority does not preempt", a_saw_b_run, 0);
  {
    const uint32_t want[] = {EXC_IRQ(IRQ_A), EXC_IRQ(IRQ_B)};
    check_log("pended in handler: chained after it", 2, want);
  }
  check_eq("chained handler frame at the same MSP", log_msp[1], log_msp[0]);

  /* A pends B and C (lower number): after A, C then B. */
  reset_log(2);
  irq_pend(IRQ_A);
  {
    const uint32_t want[] = {EXC_IRQ(IRQ_A), EXC_IRQ(IRQ_C), EXC_IRQ(IRQ_B)};
    check_log("three-link chain in number order", 3, want);
  }
  check("three-link chain shares one frame", log_msp[2] == log_msp[0] && log_msp[1] == log_msp[0]);

  /* Priority beats number. */
  reset_log(0);
  irq_disable();
  irq_pend(IRQ_LO);
  irq_pend(IRQ_HI);
  irq_enable();
  {
    const uint32_t want[] = {EXC_IRQ(IRQ_HI), EXC_IRQ(IRQ_LO)};
    check_log("higher priority first regardless of number", 2, want);
  }

  /* PendSV pended by an IRQ handler chains after it. */
  reset_log(3);
  irq_pend(IRQ_A);
  {
    const uint32_t want[] = {EXC_IRQ(IRQ_A), EXC_PENDSV};
    check_log("PendSV chained after IRQ", 2, want);
  }
  check_eq("PendSV sees the same MSP", log_msp[1], log_msp[0]);

  /* SysTick, PendSV and an IRQ pended together, by priority. */
  reset_log(0);
  irq_disable();
  ICSR = ICSR_PENDSVSET;
  ICSR = ICSR_PENDSTSET;
  irq_pend(IRQ_LO);
  irq_pend(IRQ_A);
  irq_enable();
  {
    const uint32_t want[] = {EXC_IRQ(IRQ_A), EXC_SYSTICK, EXC_IRQ(IRQ_LO), EXC_PENDSV};
    check_log("four pending exceptions in priority order", 4, want);
  }
  return test_finish();
}
