/*
 * Advanced-control timers (RM0090 section 17): TIM1 on APB2 with the repetition counter (an
 * update interrupt on TIM1_UP every RCR+1 periods), counted against the DWT cycle counter;
 * TIM8's break by software (BG: BIF on TIM8_BRK, MOE cleared, set again by AOE at the next
 * update), COMG on TIM8_TRG_COM, CC1G on TIM8_CC; RCR/BDTR/CCER read-back.
 */
#include "stm32f4.h"

#define TIM1_BASE 0x40010000u
#define TIM8_BASE 0x40010400u
#define TIM_CCER(t) REG32((t) + 0x20)
#define TIM_RCR(t) REG32((t) + 0x30)
#define TIM_BDTR(t) REG32((t) + 0x44)
#define BDTR_MOE (1u << 15)
#define BDTR_AOE (1u << 14)
#define TIM1_UP_IRQ 25
#define TIM8_BRK_IRQ 43
#define TIM8_TRG_COM_IRQ 45
#define TIM8_CC_IRQ 46

static volatile uint32_t tim1_updates;
static volatile uint32_t tim1_last_cycles;
static volatile uint32_t tim8_brk, tim8_com, tim8_cc;

void Default_IRQHandler(void) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  switch (ipsr - 16) {
  case TIM1_UP_IRQ:
    TIM_SR(TIM1_BASE) = ~TIM_SR_UIF;
    tim1_updates++;
    tim1_last_cycles = DWT_CYCCNT;
    return;
  case TIM8_BRK_IRQ:
    TIM_SR(TIM8_BASE) = ~(1u << 7);
    tim8_brk++;
    return;
  case TIM8_TRG_COM_IRQ:
    TIM_SR(TIM8_BASE) = ~(1u << 5);
    tim8_com++;
    return;
  case TIM8_CC_IRQ:
    TIM_SR(TIM8_BASE) = ~(1u << 1);
    tim8_cc++;
    return;
  }
  printf("FAIL unexpected interrupt %lu\n", (unsigned long)(ipsr - 16));
  periph_failures++;
  __asm volatile("cpsid i");
  for (;;) {
  }
}

int main(void) {
  RCC_APB2ENR |= 3u; /* TIM1EN, TIM8EN */

  check_eq("RCR reset", TIM_RCR(TIM1_BASE), 0);
  check_eq("BDTR reset", TIM_BDTR(TIM1_BASE), 0);
  TIM_RCR(TIM8_BASE) = 0x1FF;
  check_eq("RCR is 8 bits", TIM_RCR(TIM8_BASE), 0xFF);
  TIM_CCER(TIM8_BASE) = 0x0005; /* CC1E, CC1NE */
  check_eq("CCER CC1NE stored", TIM_CCER(TIM8_BASE), 0x5);

  /* TIM1: 16 MHz / 16 = 1 MHz, 1000 ticks per period, RCR 4: an update every 5 ms. */
  TIM_PSC(TIM1_BASE) = 15;
  TIM_ARR(TIM1_BASE) = 999;
  TIM_RCR(TIM1_BASE) = 4;
  TIM_EGR(TIM1_BASE) = 1;
  TIM_SR(TIM1_BASE) = 0;
  TIM_DIER(TIM1_BASE) = 1;
  nvic_enable(TIM1_UP_IRQ);
  cyccnt_start();
  TIM_CR1(TIM1_BASE) = TIM_CR1_CEN;
  while (tim1_updates < 4) __asm volatile("wfi");
  TIM_CR1(TIM1_BASE) = 0;
  check_eq("TIM1 update interrupts", tim1_updates, 4);
  check_range("20 ms (4 x 5 periods) of TIM1 in core cycles", tim1_last_cycles, 319900, 320100);

  /* TIM8's other lines. */
  nvic_enable(TIM8_BRK_IRQ);
  nvic_enable(TIM8_TRG_COM_IRQ);
  nvic_enable(TIM8_CC_IRQ);
  TIM_DIER(TIM8_BASE) = (1u << 1) | (1u << 5) | (1u << 7); /* CC1IE, COMIE, BIE */
  TIM_EGR(TIM8_BASE) = 1u << 1;                            /* CC1G */
  TIM_EGR(TIM8_BASE) = 1u << 5;                            /* COMG */
  check_eq("CC1G interrupt on TIM8_CC", tim8_cc, 1);
  check_eq("COMG interrupt on TIM8_TRG_COM", tim8_com, 1);
  TIM_BDTR(TIM8_BASE) = BDTR_MOE | BDTR_AOE;
  TIM_EGR(TIM8_BASE) = 1u << 7; /* BG */
  check_eq("BG interrupt on TIM8_BRK", tim8_brk, 1);
  check_eq("break clears MOE", TIM_BDTR(TIM8_BASE) & BDTR_MOE, 0);
  TIM_EGR(TIM8_BASE) = 1; /* UG: an update event */
  check_eq("AOE sets MOE at the update event", TIM_BDTR(TIM8_BASE) & BDTR_MOE, BDTR_MOE);

  return periph_finish();
}
