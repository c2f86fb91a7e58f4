/*
 * Interrupt masking: BASEPRI holds back a pended IRQ whose priority is not higher than it until
 * BASEPRI is lowered; BASEPRI_MAX only ever raises the mask; PRIMASK and FAULTMASK mask all
 * configurable-priority interrupts; FAULTMASK clears on exception return; disabled interrupts
 * stay pending; ICPR withdraws them. Priorities are multiples of 0x20 so that they mean the same
 * with 3, 4 or 8 implemented priority bits.
 */
#include <stdio.h>

#include "testlib.h"

#define IRQ_LOW 3   /* priority 0x80 */
#define IRQ_HIGH 4  /* priority 0x20 */
#define IRQ_FMASK 8 /* priority 0x60: sets FAULTMASK in its handler */

static volatile uint32_t low_count, high_count, fmask_count;
static volatile uint32_t low_vectactive, low_iabr, fmask_inside;

static void low_handler(void) {
  low_count++;
  low_vectactive = ICSR_VECTACTIVE(ICSR);
  low_iabr = NVIC_IABR(0);
}
static void high_handler(void) { high_count++; }
static void fmask_handler(void) {
  fmask_count++;
  __asm volatile("cpsid f" ::: "memory");
  fmask_inside = get_faultmask();
}

int main(void) {
  const uint32_t low_bit = 1u << IRQ_LOW;

  irq_setup(IRQ_LOW, 0x80, low_handler);
  irq_setup(IRQ_HIGH, 0x20, high_handler);
  irq_setup(IRQ_FMASK, 0x60, fmask_handler);

  /* Priority bits: an STM32F407 implements 4 (0xFF reads back 0xF0). QEMU implements 8. */
  NVIC_IPR8(20) = 0xFF;
  if (NVIC_IPR8(20) == 0xF0)
    check("NVIC implements 4 priority bits", 1);
  else
    skip("NVIC implements 4 priority bits", "this NVIC keeps a different number of bits");
  NVIC_IPR8(20) = 0;

  set_basepri(0x40);
  check_eq("BASEPRI reads back", get_basepri(), 0x40);
  irq_pend(IRQ_LOW);
  check_eq("IRQ below BASEPRI not taken", low_count, 0);
  check_eq("masked IRQ shows in ISPR", NVIC_ISPR(0) & low_bit, low_bit);
  check_eq("masked IRQ is ICSR.VECTPENDING", ICSR_VECTPENDING(ICSR), EXC_IRQ(IRQ_LOW));
  check("ICSR.ISRPENDING set", (ICSR & ICSR_ISRPENDING) != 0);

  set_basepri(0x80);
  check_eq("IRQ at BASEPRI priority not taken", low_count, 0);

  irq_pend(IRQ_HIGH);
  check_eq("IRQ above BASEPRI taken at once", high_count, 1);
  check_eq("lower IRQ still held back", low_count, 0);

  set_basepri(0xA0);
  check_eq("BASEPRI 0xA0 lets the 0x80 IRQ in", low_count, 1);
  check_eq("VECTACTIVE inside IRQ handler", low_vectactive, EXC_IRQ(IRQ_LOW));
  check_eq("IABR inside IRQ handler", low_iabr & low_bit, low_bit);
  check_eq("IABR clear after return", NVIC_IABR(0) & low_bit, 0);
  check_eq("ISPR clear after the IRQ was taken", NVIC_ISPR(0) & low_bit, 0);

  set_basepri(0x40);
  irq_pend(IRQ_LOW);
  set_basepri(0);
  check_eq("BASEPRI=0 masks nothing", low_count, 2);

  /* BASEPRI_MAX: writes only raise the masking level (lower non-zero value); 0 is ignored. */
  set_basepri(0x60);
  set_basepri_max(0x80);
  check_eq("BASEPRI_MAX does not lower the mask", get_basepri(), 0x60);
  set_basepri_max(0x40);
  check_eq("BASEPRI_MAX raises the mask", get_basepri(), 0x40);
  set_basepri_max(0);
  check_eq("BASEPRI_MAX write of 0 ignored", get_basepri(), 0x40);
  set_basepri(0);
  set_basepri_max(0x80);
  check_eq("BASEPRI_MAX from 0 sets the mask", get_basepri(), 0x80);
  irq_pend(IRQ_LOW);
  check_eq("BASEPRI_MAX mask applies", low_count, 2);
  set_basepri(0);
  check_eq("released after BASEPRI cleared", low_count, 3);

  /* PRIMASK masks even the high-priority IRQ. */
  irq_disable();
  check_eq("PRIMASK reads 1", get_primask(), 1);
  irq_pend(IRQ_HIGH);
  check_eq("PRIMASK holds back IRQ", high_count, 1);
  irq_enable();
  check_eq("IRQ taken after CPSIE i", high_count, 2);

  /* FAULTMASK likewise, and exception return clears it. */
  __asm volatile("cpsid f" ::: "memory");
  check_eq("FAULTMASK reads 1", get_faultmask(), 1);
  irq_pend(IRQ_HIGH);
  check_eq("FAULTMASK holds back IRQ", high_count, 2);
  __asm volatile("cpsie f\n\tisb" ::: "memory");
  check_eq("IRQ taken after CPSIE f", high_count, 3);
  irq_pend(IRQ_FMASK);
  check_eq("FAULTMASK set inside handler", fmask_count == 1 && fmask_inside == 1, 1);
  check_eq("FAULTMASK cleared by exception return", get_faultmask(), 0);

  /* A disabled IRQ stays pending until enabled; ICPR withdraws it. */
  NVIC_ICER(0) = low_bit;
  dsb_isb();
  check_eq("ICER disables", NVIC_ISER(0) & low_bit, 0);
  irq_pend(IRQ_LOW);
  check_eq("disabled IRQ not taken", low_count, 3);
  check_eq("disabled IRQ pending", NVIC_ISPR(0) & low_bit, low_bit);
  NVIC_ISER(0) = low_bit;
  dsb_isb();
  check_eq("enabling takes the pending IRQ", low_count, 4);
  NVIC_ICER(0) = low_bit;
  NVIC_ISPR(0) = low_bit; /* ISPR sets pending too */
  dsb_isb();
  check_eq("ISPR pends", NVIC_ISPR(0) & low_bit, low_bit);
  NVIC_ICPR(0) = low_bit;
  dsb_isb();
  check_eq("ICPR clears pending", NVIC_ISPR(0) & low_bit, 0);
  NVIC_ISER(0) = low_bit;
  dsb_isb();
  check_eq("withdrawn IRQ not taken", low_count, 4);

  return test_finish();
}
