/*
 * Timers: TIM6 update interrupts at 1 kHz counted against the DWT cycle counter, one-pulse
 * mode on TIM7, down-counting TIM3, the 32-bit TIM2 wrap, PSC preload, CCR storage.
 */
#include "stm32f4.h"

static volatile uint32_t tim6_ticks;
static volatile uint32_t tim6_last_cycles;

/* Overrides startup.S's weak Default_IRQHandler: dispatch on IPSR. */
void Default_IRQHandler(void) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  if (ipsr == 16 + TIM6_IRQ) {
    TIM_SR(TIM6_BASE) = ~TIM_SR_UIF; /* rc_w0 */
    tim6_ticks++;
    tim6_last_cycles = DWT_CYCCNT;
    return;
  }
  printf("FAIL unexpected interrupt %lu\n", (unsigned long)(ipsr - 16));
  periph_failures++;
  __asm volatile("cpsid i");
  for (;;) {
  }
}

int main(void) {
  RCC_APB1ENR |= 0x3Fu; /* TIM2..TIM7 */

  /* TIM6: 16 MHz / 16 = 1 MHz, 1000 ticks: one update interrupt per ms. */
  TIM_PSC(TIM6_BASE) = 15;
  TIM_ARR(TIM6_BASE) = 999;
  TIM_EGR(TIM6_BASE) = 1;
  check_eq("UG sets UIF", TIM_SR(TIM6_BASE), 1);
  TIM_SR(TIM6_BASE) = 0;
  TIM_DIER(TIM6_BASE) = 1;
  nvic_enable(TIM6_IRQ);
  cyccnt_start();
  TIM_CR1(TIM6_BASE) = TIM_CR1_CEN;
  while (tim6_ticks < 10) __asm volatile("wfi");
  TIM_CR1(TIM6_BASE) = 0;
  check_eq("TIM6 interrupts", tim6_ticks, 10);
  check_range("10 ms of TIM6 in core cycles", tim6_last_cycles, 159900, 160100);

  /* TIM7 one-pulse: stops itself at the update. */
  TIM_PSC(TIM7_BASE) = 0;
  TIM_ARR(TIM7_BASE) = 99;
  TIM_EGR(TIM7_BASE) = 1;
  TIM_SR(TIM7_BASE) = 0;
  TIM_CR1(TIM7_BASE) = TIM_CR1_OPM | TIM_CR1_CEN;
  int spins = 0;
  while ((TIM_CR1(TIM7_BASE) & TIM_CR1_CEN) && spins < 100000) spins++;
  check("OPM clears CEN", (TIM_CR1(TIM7_BASE) & TIM_CR1_CEN) == 0);
  check_eq("OPM: UIF", TIM_SR(TIM7_BASE), 1);
  check_eq("OPM: counter back to 0", TIM_CNT(TIM7_BASE), 0);

  /* PSC is preloaded: without UG the first period still runs at PSC 0. */
  TIM_SR(TIM7_BASE) = 0;
  TIM_PSC(TIM7_BASE) = 99;
  TIM_ARR(TIM7_BASE) = 999;
  cyccnt_start();
  TIM_CR1(TIM7_BASE) = TIM_CR1_CEN;
  while (!(TIM_SR(TIM7_BASE) & TIM_SR_UIF)) {
  }
  uint32_t first = DWT_CYCCNT;
  check_range("first period at the old PSC", first, 950, 1100);
  TIM_SR(TIM7_BASE) = 0;
  while (!(TIM_SR(TIM7_BASE) & TIM_SR_UIF)) {
  }
  uint32_t second = DWT_CYCCNT - first;
  check_range("next period at PSC 99", second, 99900, 100100);
  TIM_CR1(TIM7_BASE) = 0;

  /* TIM3 counting down from ARR. */
  TIM_ARR(TIM3_BASE) = 5000;
  TIM_CR1(TIM3_BASE) = TIM_CR1_DIR;
  TIM_EGR(TIM3_BASE) = 1;
  check_eq("down-counter starts at ARR", TIM_CNT(TIM3_BASE), 5000);
  TIM_CR1(TIM3_BASE) = TIM_CR1_DIR | TIM_CR1_CEN;
  uint32_t a = TIM_CNT(TIM3_BASE);
  for (volatile int i = 0; i < 100; i++) {
  }
  uint32_t b = TIM_CNT(TIM3_BASE);
  check("TIM3 counts down", b < a && b > 0);
  TIM_CR1(TIM3_BASE) = 0;

  /* TIM2 is 32-bit. */
  TIM_ARR(TIM2_BASE) = 0xFFFFFFFFu;
  TIM_CNT(TIM2_BASE) = 0xFFFFFF00u;
  TIM_SR(TIM2_BASE) = 0;
  check_eq("TIM2 CNT holds 32 bits", TIM_CNT(TIM2_BASE), 0xFFFFFF00u);
  TIM_CR1(TIM2_BASE) = TIM_CR1_CEN;
  while (!(TIM_SR(TIM2_BASE) & TIM_SR_UIF)) {
  }
  check("TIM2 wraps to a small count", TIM_CNT(TIM2_BASE) < 100);
  TIM_CR1(TIM2_BASE) = 0;
  TIM_CCR1(TIM3_BASE) = 0x12345;
  check_eq("TIM3 CCR1 is 16-bit", TIM_CCR1(TIM3_BASE), 0x2345);

  /* Output compare (frozen mode) on TIM3 channel 2: CC2IF when CNT reaches CCR2. */
  TIM_CR1(TIM3_BASE) = 0;
  TIM_ARR(TIM3_BASE) = 9999;
  TIM_CNT(TIM3_BASE) = 0;
  TIM_CCR2(TIM3_BASE) = 3000;
  TIM_SR(TIM3_BASE) = 0;
  cyccnt_start();
  TIM_CR1(TIM3_BASE) = TIM_CR1_CEN;
  while (!(TIM_SR(TIM3_BASE) & TIM_SR_CC2IF)) {
  }
  uint32_t at = DWT_CYCCNT;
  uint32_t cnt = TIM_CNT(TIM3_BASE);
  check_range("CC2IF after 3000 ticks", at, 2990, 3100);
  check_range("counter at the match", cnt, 3000, 3100);
  TIM_CR1(TIM3_BASE) = 0;
  return periph_finish();
}
