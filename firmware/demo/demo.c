/*
 * f4emu demo firmware: a banner, a SysTick-driven "blinker" counting virtual milliseconds, a
 * little integer work, and a clean exit through semihosting. (The board demo with LEDs, button
 * and USART console arrives with the STM32 peripherals.)
 */
#include <stdint.h>
#include <stdio.h>

#define SYST_CSR (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018)
#define SCB_CPUID (*(volatile uint32_t *)0xE000ED00)

static volatile uint32_t ticks;

void SysTick_Handler(void) { ticks++; }

static unsigned count_primes(unsigned limit) {
  unsigned count = 0;
  for (unsigned n = 2; n < limit; n++) {
    unsigned d = 2;
    while (d * d <= n && n % d) d++;
    if (d * d > n) count++;
  }
  return count;
}

int main(void) {
  printf("f4emu demo: STM32F4Discovery (Cortex-M4, CPUID %08lx)\n", (unsigned long)SCB_CPUID);
  /* 1 ms ticks at the 16 MHz HSI the chip boots on. */
  SYST_RVR = 16000 - 1;
  SYST_CVR = 0;
  SYST_CSR = 7;
  const char *leds[4] = {"LD4 green", "LD3 orange", "LD5 red", "LD6 blue"};
  for (int i = 0; i < 8; i++) {
    uint32_t until = ticks + 100;
    while (ticks < until) __asm__ volatile("wfi");
    printf("  t=%4lu ms  %s on\n", (unsigned long)ticks, leds[i % 4]);
  }
  SYST_CSR = 0;
  printf("primes below 20000: %u\n", count_primes(20000));
  printf("demo finished after %lu virtual ms\n", (unsigned long)ticks);
  return 0;
}
