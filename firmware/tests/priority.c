/*
 * Priority grouping (AIRCR.PRIGROUP): only the group priority decides preemption; subpriority
 * (then exception number) orders pending exceptions; BASEPRI is compared by group too.
 * Priorities are multiples of 0x20, so PRIGROUP 3..7 mean the same with 3, 4 or 8 priority bits:
 *   PRIGROUP=3: group = bits [7:4]   PRIGROUP=5: group = bits [7:6]   PRIGROUP=7: no group bits
 */
#include <stdio.h>

#include "testlib.h"

#define IRQ_A 10 /* 0x80: group 0x80 sub 0x00 under PRIGROUP=5 */
#define IRQ_B 11 /* 0xA0: group 0x80 sub 0x20 under PRIGROUP=5 */
#define IRQ_C 12 /* 0x40: group 0x40 */
#define IRQ_D 13 /* 0x80, like A but a higher number than B */
#define EXIT 0x100

#define LOG_SIZE 16
static volatile uint32_t log_ev[LOG_SIZE], log_len;
static volatile int pend_inside[32]; /* IRQ to pend from inside a handler, or -1 */
static volatile uint32_t nested_rettobase, nested_iabr, nested_seen;

static void record(uint32_t ev) {
  uint32_t n = log_len;
  if (n < LOG_SIZE) log_ev[n] = ev;
  log_len = n + 1;
}

static void handler(void) {
  uint32_t exc = get_ipsr();
  uint32_t irq = exc - 16;
  record(exc);
  if (log_len > 1 && log_ev[log_len - 2] < EXIT) {
    /* Entered while another handler is active: nested. */
    nested_seen++;
    nested_rettobase = (ICSR & ICSR_RETTOBASE) != 0;
    nested_iabr = NVIC_IABR(0);
  }
  int other = pend_inside[irq];
  if (other >= 0) irq_pend((unsigned)other);
  record(exc | EXIT);
}

static void set_prigroup(uint32_t group) {
  AIRCR = AIRCR_VECTKEY | (group << 8);
  dsb_isb();
}

static void reset(void) {
  for (int i = 0; i < 32; i++) pend_inside[i] = -1;
  log_len = 0;
  nested_seen = 0;
}

static void check_log(const char *name, uint32_t n, const uint32_t *want) {
  int ok = log_len == n;
  for (uint32_t i = 0; ok && i < n; i++) ok = log_ev[i] == want[i];
  if (!check(name, ok)) {
    printf("  log:");
    for (uint32_t i = 0; i < log_len && i < LOG_SIZE; i++) printf(" %lx", (unsigned long)log_ev[i]);
    printf("\n");
  }
}

#define E(irq) (16 + (irq))
#define X(irq) ((16 + (irq)) | EXIT)

int main(void) {
  reset();
  irq_setup(IRQ_A, 0x80, handler);
  irq_setup(IRQ_B, 0xA0, handler);
  irq_setup(IRQ_C, 0x40, handler);
  irq_setup(IRQ_D, 0x80, handler);

  check_eq("AIRCR reads VECTKEYSTAT", AIRCR & 0xFFFF0000u, 0xFA050000u);
  set_prigroup(5);
  check_eq("AIRCR.PRIGROUP reads back", (AIRCR >> 8) & 7, 5);
  AIRCR = (AIRCR & ~0x0700u) | (3u << 8); /* no VECTKEY: the write is ignored */
  dsb_isb();
  check_eq("AIRCR write without VECTKEY ignored", (AIRCR >> 8) & 7, 5);

  /* PRIGROUP=3: 0x80 preempts 0xA0. */
  set_prigroup(3);
  reset();
  pend_inside[IRQ_B] = IRQ_A;
  irq_pend(IRQ_B);
  {
    const uint32_t want[] = {E(IRQ_B), E(IRQ_A), X(IRQ_A), X(IRQ_B)};
    check_log("PRIGROUP=3: 0x80 preempts 0xA0", 4, want);
  }
  check_eq("nested handler: RETTOBASE=0", nested_rettobase, 0);
  check_eq("nested handler: IABR shows both active", nested_iabr & ((1u << IRQ_A) | (1u << IRQ_B)),
           (1u << IRQ_A) | (1u << IRQ_B));

  /* PRIGROUP=5: 0x80 and 0xA0 share group 0x80, so no preemption. */
  set_prigroup(5);
  reset();
  pend_inside[IRQ_B] = IRQ_A;
  irq_pend(IRQ_B);
  {
    const uint32_t want[] = {E(IRQ_B), X(IRQ_B), E(IRQ_A), X(IRQ_A)};
    check_log("PRIGROUP=5: same group does not preempt", 4, want);
  }

  reset();
  pend_inside[IRQ_B] = IRQ_C;
  irq_pend(IRQ_B);
  {
    const uint32_t want[] = {E(IRQ_B), E(IRQ_C), X(IRQ_C), X(IRQ_B)};
    check_log("PRIGROUP=5: higher group preempts", 4, want);
  }

  /* Subpriority orders pending exceptions of one group, ahead of the exception number. */
  reset();
  irq_disable();
  irq_pend(IRQ_B);
  irq_pend(IRQ_D);
  check_eq("PRIGROUP=5: VECTPENDING by subpriority", ICSR_VECTPENDING(ICSR), E(IRQ_D));
  irq_enable();
  {
    const uint32_t want[] = {E(IRQ_D), X(IRQ_D), E(IRQ_B), X(IRQ_B)};
    check_log("PRIGROUP=5: subpriority before number", 4, want);
  }

  /* Equal group and subpriority: the lower number first. */
  reset();
  irq_disable();
  irq_pend(IRQ_D);
  irq_pend(IRQ_A);
  irq_enable();
  {
    const uint32_t want[] = {E(IRQ_A), X(IRQ_A), E(IRQ_D), X(IRQ_D)};
    check_log("equal priority: lower number first", 4, want);
  }

  /* BASEPRI counts by group: 0xA0 is group 0x80 under PRIGROUP=5 and masks the 0x80 IRQ. */
  reset();
  set_basepri(0xA0);
  irq_pend(IRQ_A);
  check_eq("PRIGROUP=5: BASEPRI 0xA0 masks priority 0x80", log_len, 0);
  set_basepri(0xC0);
  check_eq("PRIGROUP=5: BASEPRI 0xC0 lets it in", log_len, 2);
  set_basepri(0);
  set_prigroup(3);
  reset();
  set_basepri(0xA0);
  irq_pend(IRQ_A);
  check_eq("PRIGROUP=3: BASEPRI 0xA0 lets priority 0x80 in", log_len, 2);
  set_basepri(0);

  /* PRIGROUP=7: no group bits at all, nothing preempts anything configurable. */
  set_prigroup(7);
  reset();
  pend_inside[IRQ_B] = IRQ_C;
  irq_pend(IRQ_B);
  {
    const uint32_t want[] = {E(IRQ_B), X(IRQ_B), E(IRQ_C), X(IRQ_C)};
    check_log("PRIGROUP=7: 0x40 does not preempt 0xA0", 4, want);
  }
  check_eq("no nesting under PRIGROUP=7", nested_seen, 0);

  set_prigroup(0);
  return test_finish();
}
