/*
 * Reset flags in RCC_CSR: power-on (PORRSTF, PINRSTF) at the first start; the program clears
 * them with RMVF and requests a system reset (SCB AIRCR.SYSRESETREQ); after it, SFTRSTF and
 * PINRSTF are set and PORRSTF is not. The flags carry the state across the reset.
 */
#include "stm32f4.h"

#define AIRCR REG32(0xE000ED0Cu)

int main(void) {
  uint32_t csr = RCC_CSR;
  if (!(csr & RCC_CSR_SFTRSTF)) {
    check("first start: PORRSTF", (csr & RCC_CSR_PORRSTF) != 0);
    check("first start: PINRSTF", (csr & RCC_CSR_PINRSTF) != 0);
    RCC_CSR |= RCC_CSR_RMVF;
    check_eq("RMVF clears the flags", RCC_CSR & 0xFE000000u, 0);
    if (periph_failures) return periph_finish();
    /* Switch to HSE first: the reset must bring SYSCLK back to HSI. */
    RCC_CR |= RCC_CR_HSEON;
    while (!(RCC_CR & RCC_CR_HSERDY)) {
    }
    RCC_CFGR = 1;
    __asm volatile("dsb" ::: "memory");
    AIRCR = 0x05FA0000u | (1u << 2);
    __asm volatile("dsb" ::: "memory");
    for (;;) {
    }
  }
  check_eq("after SYSRESETREQ: SFTRSTF | PINRSTF", csr & 0xFE000000u,
           RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF);
  check_eq("SYSCLK back on HSI", RCC_CFGR, 0);
  check_eq("HSE off again", RCC_CR & (RCC_CR_HSEON | RCC_CR_HSERDY), 0);
  return periph_finish();
}
