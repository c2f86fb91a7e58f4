/* Shared helpers for firmware/tests: check reporting, IRQ dispatch, fault capture. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>

static unsigned passed, failed, skipped;

int check(const char *name, int ok) {
  if (ok) {
    passed++;
    printf("PASS %s\n", name);
  } else {
    failed++;
    printf("FAIL %s\n", name);
  }
  return ok;
}

int check_eq(const char *name, uint32_t got, uint32_t want) {
  if (got == want) {
    passed++;
    printf("PASS %s\n", name);
    return 1;
  }
  failed++;
  printf("FAIL %s: got 0x%08lx, want 0x%08lx\n", name, (unsigned long)got, (unsigned long)want);
  return 0;
}

void skip(const char *name, const char *why) {
  skipped++;
  printf("SKIP %s: %s\n", name, why);
}

int test_finish(void) {
  printf("DONE %u passed, %u failed, %u skipped\n", passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}

/* External interrupts all share Default_IRQHandler in startup.S; dispatch on IPSR. */
static irq_handler_t irq_handlers[32];

void Default_IRQHandler(void) {
  uint32_t irq = get_ipsr() - 16;
  irq_handler_t handler = irq < 32 ? irq_handlers[irq] : 0;
  if (!handler) {
    printf("FAIL unexpected interrupt %lu\n", (unsigned long)irq);
    exit(128 + 16 + (int)irq);
  }
  handler();
}

void irq_setup(unsigned irq, uint8_t priority, irq_handler_t handler) {
  irq_handlers[irq] = handler;
  NVIC_IPR8(irq) = priority;
  NVIC_ICPR(irq / 32) = 1u << (irq % 32);
  NVIC_ISER(irq / 32) = 1u << (irq % 32);
  dsb_isb();
}

void irq_pend(unsigned irq) {
  STIR = irq;
  dsb_isb();
}

volatile struct fault_record fault;
volatile int fault_expect;
volatile enum fault_resume fault_resume;

void fault_arm(enum fault_resume how) {
  fault.count = 0;
  fault.exception = 0;
  fault.cfsr = fault.hfsr = fault.mmfar = fault.bfar = fault.shcsr = 0;
  fault.pc = fault.xpsr = fault.exc_return = 0;
  fault_resume = how;
  fault_expect = 1;
  __asm volatile("" ::: "memory");
}

static int is_32bit_thumb(uint16_t first_halfword) { return (first_halfword >> 11) >= 0x1D; }

/* frame: the stacked r0-r3, r12, lr, pc, xpsr of the faulting context. */
__attribute__((used)) void fault_capture(uint32_t *frame, uint32_t exc_return) {
  fault.count++;
  fault.exception = get_ipsr();
  fault.cfsr = CFSR;
  fault.hfsr = HFSR;
  fault.mmfar = MMFAR;
  fault.bfar = BFAR;
  fault.shcsr = SHCSR;
  fault.pc = frame[6];
  fault.xpsr = frame[7];
  fault.exc_return = exc_return;
  /* The status registers are write-one-to-clear: leave them clean for the next check. */
  CFSR = fault.cfsr;
  HFSR = fault.hfsr;
  if (!fault_expect) {
    printf("FAIL unexpected fault: exception %lu cfsr 0x%08lx hfsr 0x%08lx pc 0x%08lx\n",
           (unsigned long)fault.exception, (unsigned long)fault.cfsr, (unsigned long)fault.hfsr,
           (unsigned long)fault.pc);
    exit(128 + (int)fault.exception);
  }
  fault_expect = 0;
  switch (fault_resume) {
  case RESUME_SKIP:
    frame[6] += is_32bit_thumb(*(const uint16_t *)frame[6]) ? 4 : 2;
    break;
  case RESUME_RETURN:
    break;
  case RESUME_LR:
    frame[6] = frame[5] & ~1u;
    frame[7] |= 1u << 24;
    break;
  }
}

/* The stacked frame is on MSP or PSP as EXC_RETURN bit 2 says. */
#define FAULT_ENTRY(name)                                                                        \
  __attribute__((naked)) void name(void) {                                                       \
    __asm volatile("tst lr, #4\n\t"                                                              \
                   "ite eq\n\t"                                                                  \
                   "mrseq r0, msp\n\t"                                                           \
                   "mrsne r0, psp\n\t"                                                           \
                   "mov r1, lr\n\t"                                                              \
                   "b fault_capture\n\t");                                                       \
  }

FAULT_ENTRY(HardFault_Handler)
FAULT_ENTRY(MemManage_Handler)
FAULT_ENTRY(BusFault_Handler)
FAULT_ENTRY(UsageFault_Handler)
