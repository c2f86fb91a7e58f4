/*
 * USART2 on the STM32F407 (RM0090 section 30) at 115200 baud from the 16 MHz HSI (the reset
 * clock; APB1 undivided): transmission with TXE polling and with TXE/TC interrupts, and the
 * character timing checked with the DWT cycle counter (core clock = PCLK1 = 16 MHz, so a
 * 10-bit character is 10 * 139 = 1390 cycles). What it sends ("periph_usart: polled\r\n" and
 * "periph_usart: interrupts\r\n") is checked on the host side by test/peripherals-firmware.test.ts.
 * Reception needs a host to send bytes: the TypeScript tests cover it. Runs on f4emu only.
 */
#include <stdio.h>

#include "stm32f4.h"

#define U USART2_BASE
#define CHAR_CYCLES 1390u

static const char polled[] = "periph_usart: polled\r\n";
static const char irq_text[] = "periph_usart: interrupts\r\n";
static volatile const char *tx_next;
static volatile uint32_t tx_left, tc_seen, txe_irqs;

static void usart2_handler(void) {
  uint32_t sr = USART_SR(U);
  if ((sr & USART_SR_TXE) && (USART_CR1(U) & USART_CR1_TXEIE)) {
    txe_irqs++;
    USART_DR(U) = (uint8_t)*tx_next++;
    if (--tx_left == 0) {
      /* Last byte handed over: wait for it to leave the line. */
      USART_CR1(U) = (USART_CR1(U) & ~USART_CR1_TXEIE) | USART_CR1_TCIE;
    }
  } else if ((sr & USART_SR_TC) && (USART_CR1(U) & USART_CR1_TCIE)) {
    USART_CR1(U) &= ~USART_CR1_TCIE;
    tc_seen = DWT_CYCCNT;
  }
  dsb_isb();
}

static void wait_tc(void) {
  while (!(USART_SR(U) & USART_SR_TC)) {
  }
}

static int within(uint32_t got, uint32_t want, uint32_t slack) {
  return got >= want && got <= want + slack;
}

int main(void) {
  RCC_APB1ENR |= 1u << 17; /* USART2EN */
  dsb_isb();
  cyccnt_start();

  check_eq("sr reset", USART_SR(U), 0xC0);
  check_eq("cr1 reset", USART_CR1(U), 0);

  USART_BRR(U) = (8u << 4) | 11u; /* USARTDIV 8.6875: 16 MHz / 139 = 115108 baud */
  USART_CR1(U) = USART_CR1_UE | USART_CR1_TE;
  /* Enabling the transmitter sends an idle frame first; wait for the line to settle. */
  USART_SR(U) = ~USART_SR_TC;
  wait_tc();

  /* Polled transmission. */
  uint32_t start = DWT_CYCCNT;
  for (const char *p = polled; *p; p++) {
    while (!(USART_SR(U) & USART_SR_TXE)) {
    }
    USART_DR(U) = (uint8_t)*p;
  }
  wait_tc();
  uint32_t took = DWT_CYCCNT - start;
  uint32_t n = sizeof polled - 1;
  printf("polled: %lu bytes in %lu cycles\n", (unsigned long)n, (unsigned long)took);
  check("polled string at the baud rate", within(took, n * CHAR_CYCLES, CHAR_CYCLES / 2));

  /* One character: TXE right after the write (the shift register was free), TC one character
   * time later. */
  (void)USART_SR(U);
  start = DWT_CYCCNT;
  USART_DR(U) = '\0';
  uint32_t sr = USART_SR(U);
  wait_tc();
  took = DWT_CYCCNT - start;
  check_eq("txe again at once, tc cleared", sr & (USART_SR_TXE | USART_SR_TC), USART_SR_TXE);
  printf("one character: %lu cycles\n", (unsigned long)took);
  check("tc after one character time", within(took, CHAR_CYCLES, 100));

  /* A second byte written while the first is shifting waits in the data register. */
  USART_DR(U) = '\0';
  USART_DR(U) = '\0';
  check_eq("txe clear while both registers hold data", USART_SR(U) & USART_SR_TXE, 0);
  wait_tc();

  /* TC cleared by writing 0. */
  USART_SR(U) = ~USART_SR_TC;
  check_eq("tc cleared by 0", USART_SR(U) & USART_SR_TC, 0);
  USART_SR(U) = 0xFFFFFFFFu;
  check_eq("writing 1 leaves tc", USART_SR(U) & USART_SR_TC, 0);

  /* Interrupt-driven transmission: TXEIE feeds bytes, TCIE reports the end. */
  periph_irq_setup(IRQ_USART2, 0x80, usart2_handler);
  tx_next = irq_text;
  tx_left = sizeof irq_text - 1;
  tc_seen = 0;
  start = DWT_CYCCNT;
  USART_CR1(U) |= USART_CR1_TXEIE;
  /* Sleep until the TC interrupt; PRIMASK closes the check-then-sleep race (WFI still wakes). */
  irq_disable();
  while (tc_seen == 0) {
    __asm volatile("wfi");
    irq_enable();
    irq_disable();
  }
  irq_enable();
  took = tc_seen - start;
  n = sizeof irq_text - 1;
  printf("interrupts: %lu bytes in %lu cycles\n", (unsigned long)n, (unsigned long)took);
  check_eq("one txe interrupt per byte", txe_irqs, n);
  check("interrupt string at the baud rate", within(took, n * CHAR_CYCLES, CHAR_CYCLES / 2));
  check_eq("interrupts off at the end", USART_CR1(U) & (USART_CR1_TXEIE | USART_CR1_TCIE), 0);

  /* BRR and the 9-bit, 2-stop-bit frame: 12 bits per character. */
  USART_CR1(U) |= USART_CR1_M;
  USART_CR2(U) = 2u << 12;
  (void)USART_SR(U);
  start = DWT_CYCCNT;
  USART_DR(U) = 0x1FF;
  wait_tc();
  took = DWT_CYCCNT - start;
  check("9 data bits, 2 stop bits", within(took, 12 * 139, 100));
  USART_CR1(U) &= ~USART_CR1_M;
  USART_CR2(U) = 0;

  /* Reception without a sender: nothing arrives. */
  USART_CR1(U) |= USART_CR1_RE;
  check_eq("no rxne without input", USART_SR(U) & USART_SR_RXNE, 0);

  return periph_finish();
}
