/*
 * The local exclusive monitor: LDREX/STREX pairs succeed (status 0) and store; STREX fails
 * (status 1, memory untouched) without a preceding LDREX, after CLREX, after a successful STREX,
 * and after an exception entry/return between the two. Byte and halfword forms; a lock-free
 * counter shared with an interrupt handler loses no increment.
 */
#include <stdio.h>

#include "testlib.h"

#define IRQ_BUMP 2
#define INCREMENTS 20000
#define WANTED_INTERRUPTS 10
#define MAX_INCREMENTS 20000000 /* QEMU's SysTick runs in host time: allow for a slow host */

static volatile uint32_t word;
static volatile union {
  uint32_t word;
  uint8_t b[4];
  uint16_t h[2];
} bytes, halves;
static volatile uint32_t svc_calls, irq_calls;
static volatile uint32_t shared_counter, handler_increments;

void SVC_Handler(void) { svc_calls++; }
static void irq_handler(void) { irq_calls++; }

static inline uint32_t ldrex(volatile uint32_t *p) {
  uint32_t v;
  __asm volatile("ldrex %0, [%1]" : "=r"(v) : "r"(p) : "memory");
  return v;
}
static inline uint32_t strex(volatile uint32_t *p, uint32_t v) {
  uint32_t status;
  __asm volatile("strex %0, %2, [%1]" : "=&r"(status) : "r"(p), "r"(v) : "memory");
  return status;
}
static inline void clrex(void) { __asm volatile("clrex" ::: "memory"); }

static void atomic_add(volatile uint32_t *p, uint32_t n) {
  uint32_t v;
  do {
    v = ldrex(p);
  } while (strex(p, v + n) != 0);
}

void SysTick_Handler(void) {
  atomic_add(&shared_counter, 1);
  handler_increments++;
}

int main(void) {
  uint32_t v, s;

  word = 100;
  v = ldrex(&word);
  s = strex(&word, v + 1);
  check_eq("LDREX reads", v, 100);
  check_eq("STREX after LDREX succeeds", s, 0);
  check_eq("STREX stored", word, 101);

  s = strex(&word, 555);
  check_eq("second STREX after a successful one fails", s, 1);
  check_eq("failed STREX does not store", word, 101);

  clrex();
  s = strex(&word, 556);
  check_eq("STREX without LDREX fails", s, 1);

  v = ldrex(&word);
  clrex();
  s = strex(&word, 557);
  check_eq("STREX after CLREX fails", s, 1);
  check_eq("STREX after CLREX does not store", word, 101);

  /* Exception entry (and return) between LDREX and STREX clears the monitor. */
  v = ldrex(&word);
  __asm volatile("svc #0" ::: "memory");
  s = strex(&word, 558);
  check_eq("SVC handler ran", svc_calls, 1);
  check_eq("STREX after an SVC fails", s, 1);
  check_eq("STREX after an SVC does not store", word, 101);

  irq_setup(IRQ_BUMP, 0x80, irq_handler);
  v = ldrex(&word);
  irq_pend(IRQ_BUMP);
  s = strex(&word, 559);
  check_eq("IRQ handler ran", irq_calls, 1);
  check_eq("STREX after an interrupt fails", s, 1);
  check_eq("STREX after an interrupt does not store", word, 101);

  /* A retry after the interrupt succeeds. */
  v = ldrex(&word);
  s = strex(&word, v + 1);
  check_eq("retry succeeds", s == 0 && word == 102, 1);

  /* Byte and halfword forms touch only their own bytes. */
  bytes.b[0] = 0x11;
  bytes.b[1] = 0x22;
  bytes.b[2] = 0x33;
  bytes.b[3] = 0x44;
  __asm volatile("ldrexb %0, [%2]\n\t"
                 "add %0, %0, #1\n\t"
                 "strexb %1, %0, [%2]\n\t"
                 : "=&r"(v), "=&r"(s)
                 : "r"(&bytes.b[1])
                 : "memory");
  check_eq("STREXB succeeds", s, 0);
  check_eq("STREXB stores one byte", bytes.word, 0x44332311);
  halves.h[0] = 0x1234;
  halves.h[1] = 0x5678;
  __asm volatile("ldrexh %0, [%2]\n\t"
                 "add %0, %0, #0x100\n\t"
                 "strexh %1, %0, [%2]\n\t"
                 : "=&r"(v), "=&r"(s)
                 : "r"(&halves.h[1])
                 : "memory");
  check_eq("STREXH succeeds", s, 0);
  check_eq("STREXH stores one halfword", halves.word, 0x57781234);
  __asm volatile("ldrexh %0, [%2]\n\t"
                 "clrex\n\t"
                 "strexh %1, %0, [%2]\n\t"
                 : "=&r"(v), "=&r"(s)
                 : "r"(&halves.h[0])
                 : "memory");
  check_eq("STREXH after CLREX fails", s, 1);

  /* Lock-free counter shared with SysTick: every increment lands. */
  SHPR8(EXC_SYSTICK) = 0x80;
  SYST_RVR = 499;
  SYST_CVR = 0;
  SYST_CSR = 7;
  uint32_t done = 0;
  while (done < INCREMENTS || (handler_increments < WANTED_INTERRUPTS && done < MAX_INCREMENTS)) {
    atomic_add(&shared_counter, 1);
    done++;
  }
  SYST_CSR = 0;
  dsb_isb();
  check("SysTick interrupted the increments", handler_increments >= WANTED_INTERRUPTS);
  check_eq("no increment lost", shared_counter, done + handler_increments);

  return test_finish();
}
