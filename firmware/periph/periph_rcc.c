/*
 * RCC: reset state, then the classic STM32F4Discovery startup (8 MHz HSE, PLL to 168 MHz,
 * flash latency 5, APB1 /4, APB2 /2), checked by timing 1 ms of TIM6 at 1 MHz with the DWT
 * cycle counter: 16 000 core cycles on HSI, 168 000 after the switch.
 */
#include "stm32f4.h"

/* Core cycles during `ticks` ticks of TIM6 running with prescaler `psc`. */
static uint32_t cycles_per_tim6(uint32_t psc, uint32_t ticks) {
  TIM_CR1(TIM6_BASE) = 0;
  TIM_PSC(TIM6_BASE) = psc;
  TIM_ARR(TIM6_BASE) = 0xFFFF;
  TIM_EGR(TIM6_BASE) = 1; /* load PSC, CNT = 0 */
  TIM_SR(TIM6_BASE) = 0;
  cyccnt_start();
  TIM_CR1(TIM6_BASE) = TIM_CR1_CEN;
  uint32_t t0 = DWT_CYCCNT;
  while (TIM_CNT(TIM6_BASE) < ticks) {
  }
  uint32_t t1 = DWT_CYCCNT;
  TIM_CR1(TIM6_BASE) = 0;
  return t1 - t0;
}

int main(void) {
  check_eq("CR reset: HSION|HSIRDY, HSITRIM 16", RCC_CR & ~0xFF00u, 0x83);
  check_eq("PLLCFGR reset", RCC_PLLCFGR, 0x24003010);
  check_eq("CFGR reset", RCC_CFGR, 0);
  check_eq("AHB1ENR reset (CCMDATARAMEN)", RCC_AHB1ENR, 0x00100000);
  check_eq("AHB1LPENR reset", RCC_AHB1LPENR, 0x7E6791FF);
  check_eq("PLLI2SCFGR reset", RCC_PLLI2SCFGR, 0x20003000);
  check("CSR: power-on and pin reset flags", (RCC_CSR & (RCC_CSR_PORRSTF | RCC_CSR_PINRSTF)) ==
                                                  (RCC_CSR_PORRSTF | RCC_CSR_PINRSTF));
  RCC_CSR |= RCC_CSR_RMVF;
  check_eq("CSR: RMVF clears the reset flags", RCC_CSR & 0xFE000000u, 0);
  check_eq("PWR_CR reset", PWR_CR, 0x4000);

  RCC_APB1ENR |= 1u << 4; /* TIM6EN */
  uint32_t hsi = cycles_per_tim6(15, 1000);
  check_range("1 ms at 16 MHz HSI", hsi, 15900, 16100);

  /* HSE on, wait for it. */
  RCC_CR |= RCC_CR_HSEON;
  int spins = 0;
  while (!(RCC_CR & RCC_CR_HSERDY) && spins < 100000) spins++;
  check("HSERDY", (RCC_CR & RCC_CR_HSERDY) != 0);
  check("HSE takes a little time", spins > 0);

  /* Regulator scale 1, flash latency 5 with prefetch and caches. */
  RCC_APB1ENR |= 1u << 28; /* PWREN */
  PWR_CR |= 1u << 14;
  FLASH_ACR = 5 | (1u << 8) | (1u << 9) | (1u << 10);
  check_eq("FLASH_ACR", FLASH_ACR & 0x707, 0x705);
  /* AHB /1, APB1 /4, APB2 /2 */
  RCC_CFGR = (RCC_CFGR & ~0xFCF0u) | (5u << 10) | (4u << 13);
  /* PLLM=8 PLLN=336 PLLP=2 PLLSRC=HSE PLLQ=7 */
  RCC_PLLCFGR = 8u | (336u << 6) | (0u << 16) | (1u << 22) | (7u << 24);
  RCC_CR |= RCC_CR_PLLON;
  while (!(RCC_CR & RCC_CR_PLLRDY)) {
  }
  check("PLLRDY", 1);
  check("PWR VOSRDY with the PLL on", (PWR_CSR & (1u << 14)) != 0);
  RCC_CFGR = (RCC_CFGR & ~3u) | 2u;
  while (RCC_CFGR_SWS(RCC_CFGR) != 2) {
  }
  check("SWS = PLL", 1);

  /* Timer clock is now 2 x 42 MHz = 84 MHz: PSC 83 gives 1 MHz again. */
  uint32_t pll = cycles_per_tim6(83, 1000);
  check_range("1 ms at 168 MHz", pll, 167900, 168100);
  return periph_finish();
}
