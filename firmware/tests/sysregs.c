/*
 * Identification and system registers: CPUID (Cortex-M4; an STM32F407 is r0p1, 0x410FC241),
 * FPU feature registers, reset values of the SCB, the DWT cycle counter, and a vector table
 * moved to RAM through VTOR.
 * QEMU's mps2-an386 reports r0p0 and has no DWT; those checks print SKIP there.
 */
#include <stdio.h>

#include "testlib.h"

#define IRQ_RELOCATED 17

static volatile uint32_t relocated_calls, flash_table_calls;

static void relocated_handler(void) { relocated_calls++; }
static void flash_table_handler(void) { flash_table_calls++; }

extern const uint32_t __vectors[]; /* common/startup.S */
static uint32_t ram_vectors[128] __attribute__((aligned(512)));

/* A loop of a known number of instructions: 2 per iteration (subs, bne). */
static void spin(uint32_t n) {
  __asm volatile("1:\n\t"
                 "subs %0, %0, #1\n\t"
                 "bne 1b\n\t"
                 : "+r"(n)
                 :
                 : "cc");
}

int main(void) {
  uint32_t cpuid = CPUID;
  check_eq("CPUID implementer ARM", cpuid >> 24, 0x41);
  check_eq("CPUID variant 0", (cpuid >> 20) & 0xF, 0);
  check_eq("CPUID architecture 0xF (ARMv7-M)", (cpuid >> 16) & 0xF, 0xF);
  check_eq("CPUID part number Cortex-M4", (cpuid >> 4) & 0xFFF, 0xC24);
  if (cpuid == 0x410FC241)
    check("CPUID is r0p1 (0x410FC241)", 1);
  else
    skip("CPUID is r0p1 (0x410FC241)", "a different revision of the core");

  check_eq("MVFR0 (single-precision FPv4)", MVFR0, 0x10110021);
  check_eq("MVFR1", MVFR1, 0x11000011);
  check_eq("CCR at reset (STKALIGN)", CCR, 0x00000200);
  check_eq("AIRCR at reset", AIRCR, 0xFA050000);
  check_eq("SHCSR at reset", SHCSR, 0);
  check_eq("VTOR at reset", VTOR, 0);
  check_eq("CONTROL at reset", get_control(), 0);
  check_eq("PRIMASK at reset", get_primask(), 0);
  check_eq("BASEPRI at reset", get_basepri(), 0);
  check_eq("ICSR: nothing active or pending in thread mode", ICSR & 0x003FF1FF, 0);
  check_eq("IPSR in thread mode", get_ipsr(), 0);

  /* DWT cycle counter. */
  DEMCR |= 1u << 24; /* TRCENA */
  dsb_isb();
  if (((DWT_CTRL >> 28) & 0xF) == 0) {
    skip("DWT cycle counter", "no DWT comparators: DWT not implemented");
  } else {
    uint32_t a, b, c, d;
    check_eq("DWT_CTRL.NUMCOMP is 4", DWT_CTRL >> 28, 4);
    check_eq("DWT_CTRL.NOCYCCNT clear", (DWT_CTRL >> 25) & 1, 0);
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1; /* CYCCNTENA */
    a = DWT_CYCCNT;
    spin(1000);
    b = DWT_CYCCNT;
    check("DWT_CYCCNT counts at least one cycle per instruction", b - a >= 2000);
    check("DWT_CYCCNT counts sensibly (< 20 cycles per instruction)", b - a < 40000);
    DWT_CTRL &= ~1u;
    c = DWT_CYCCNT;
    spin(100);
    d = DWT_CYCCNT;
    check_eq("DWT_CYCCNT stops when CYCCNTENA clears", d, c);
    DWT_CYCCNT = 5;
    check_eq("DWT_CYCCNT is writable", DWT_CYCCNT, 5);
  }

  /* Vector table in RAM: the relocated entry is used, the flash one no longer. */
  irq_setup(IRQ_RELOCATED, 0x80, flash_table_handler);
  irq_pend(IRQ_RELOCATED);
  check_eq("IRQ through the flash table", flash_table_calls, 1);
  for (unsigned i = 0; i < 16 + 82; i++) ram_vectors[i] = __vectors[i];
  ram_vectors[EXC_IRQ(IRQ_RELOCATED)] = (uint32_t)relocated_handler;
  VTOR = (uint32_t)ram_vectors;
  dsb_isb();
  check_eq("VTOR reads back", VTOR, (uint32_t)ram_vectors);
  irq_pend(IRQ_RELOCATED);
  check_eq("IRQ through the RAM table", relocated_calls, 1);
  check_eq("flash table entry not used after VTOR moved", flash_table_calls, 1);
  VTOR = 0;
  dsb_isb();
  irq_pend(IRQ_RELOCATED);
  check_eq("VTOR back to flash", flash_table_calls, 2);

  return test_finish();
}
