/*
 * EXTI on the STM32F407 (RM0090 section 12): software interrupts through SWIER, pending bits
 * that clear with a 1, masking, the line-group interrupts (EXTI0-4, EXTI9_5, EXTI15_10), and
 * GPIO edges selected through SYSCFG_EXTICR.
 *
 * Firmware alone cannot drive an input pin, but it needs no wire: a pin's input stage (and
 * with it the EXTI edge detector) keeps sampling the pin in output mode, so toggling an output
 * pin through BSRR gives the EXTI line the edges, as on the real chip. Host-driven inputs (the
 * button on PA0) are covered by the TypeScript tests. Runs on f4emu only (see stm32f4.h).
 */
#include "stm32f4.h"

static volatile uint32_t hits[82];
static volatile uint32_t last_pr;

static void exti_handler(void) {
  uint32_t irq = get_ipsr() - 16;
  hits[irq]++;
  last_pr = EXTI_PR;
  EXTI_PR = last_pr; /* acknowledge everything pending */
  dsb_isb();
}

static void settle(void) {
  for (volatile int i = 0; i < 4; i++) {
  }
}

int main(void) {
  RCC_APB2ENR |= 1u << 14;                             /* SYSCFGEN */
  RCC_AHB1ENR |= (1u << GPIOB) | (1u << GPIOC) | (1u << GPIOE); /* GPIOBEN, GPIOCEN, GPIOEEN */
  dsb_isb();

  check_eq("imr reset", EXTI_IMR, 0);
  check_eq("pr reset", EXTI_PR, 0);

  periph_irq_setup(IRQ_EXTI0, 0x80, exti_handler);
  periph_irq_setup(IRQ_EXTI3, 0x80, exti_handler);
  periph_irq_setup(IRQ_EXTI9_5, 0x80, exti_handler);
  periph_irq_setup(IRQ_EXTI15_10, 0x80, exti_handler);

  /* A masked line: SWIER holds the write, but nothing becomes pending (RM0090 12.3.5). */
  EXTI_SWIER = 1u << 0;
  dsb_isb();
  settle();
  check_eq("swier reads set", EXTI_SWIER & 1, 1);
  check_eq("masked swier does not pend", EXTI_PR & 1, 0);
  check_eq("masked swier no irq", hits[IRQ_EXTI0], 0);
  EXTI_PR = 1;
  check_eq("swier cleared with pr", EXTI_SWIER & 1, 0);

  /* Unmasked: SWIER raises EXTI0 (IRQ 6). */
  EXTI_IMR = 1u << 0;
  EXTI_SWIER = 1u << 0;
  dsb_isb();
  settle();
  check_eq("swier irq", hits[IRQ_EXTI0], 1);
  check_eq("handler saw pr", last_pr, 1);
  check_eq("pr clear after handler", EXTI_PR, 0);

  /* Lines 5-9 share IRQ 23, 10-15 IRQ 40. */
  EXTI_IMR = (1u << 7) | (1u << 12);
  EXTI_SWIER = 1u << 7;
  dsb_isb();
  settle();
  check_eq("line 7 -> EXTI9_5", hits[IRQ_EXTI9_5], 1);
  EXTI_SWIER = 1u << 12;
  dsb_isb();
  settle();
  check_eq("line 12 -> EXTI15_10", hits[IRQ_EXTI15_10], 1);
  check_eq("handler saw line 12", last_pr, 1u << 12);

  /* GPIO edges: EXTI3 follows PE3, toggled as an output. */
  SYSCFG_EXTICR(0) = 4u << 12; /* EXTI3 = port E */
  check_eq("exticr1", SYSCFG_EXTICR(0), 0x4000);
  GPIO_MODER(GPIOE) = (GPIO_MODER(GPIOE) & ~(3u << 6)) | (1u << 6);
  EXTI_RTSR = 1u << 3;
  EXTI_FTSR = 0;
  EXTI_IMR = 1u << 3;
  GPIO_BSRR(GPIOE) = 1u << 3; /* rising */
  dsb_isb();
  settle();
  check_eq("rising edge irq", hits[IRQ_EXTI3], 1);
  GPIO_BSRR(GPIOE) = 1u << (16 + 3); /* falling: not selected */
  dsb_isb();
  settle();
  check_eq("falling edge ignored", hits[IRQ_EXTI3], 1);
  EXTI_FTSR = 1u << 3;
  GPIO_BSRR(GPIOE) = 1u << 3;
  GPIO_BSRR(GPIOE) = 1u << (16 + 3);
  dsb_isb();
  settle();
  check_eq("both edges", hits[IRQ_EXTI3], 3);
  /* Another port's pin 3 does not reach line 3 while EXTICR selects port E. */
  GPIO_MODER(GPIOC) = (GPIO_MODER(GPIOC) & ~(3u << 6)) | (1u << 6);
  GPIO_BSRR(GPIOC) = 1u << 3;
  GPIO_BSRR(GPIOC) = 1u << (16 + 3);
  dsb_isb();
  settle();
  check_eq("unselected port ignored", hits[IRQ_EXTI3], 3);

  /* PB10 through EXTICR3 and the EXTI15_10 group. */
  SYSCFG_EXTICR(2) = 1u << 8; /* EXTI10 = port B */
  GPIO_MODER(GPIOB) = (GPIO_MODER(GPIOB) & ~(3u << 20)) | (1u << 20);
  EXTI_RTSR = 1u << 10;
  EXTI_FTSR = 0;
  EXTI_IMR = 1u << 10;
  GPIO_ODR(GPIOB) |= 1u << 10;
  dsb_isb();
  settle();
  check_eq("PB10 rising -> EXTI15_10", hits[IRQ_EXTI15_10], 2);
  check_eq("handler saw line 10", last_pr, 1u << 10);

  /* An edge on a masked line is not remembered. */
  EXTI_IMR = 0;
  GPIO_ODR(GPIOB) &= ~(1u << 10);
  GPIO_ODR(GPIOB) |= 1u << 10;
  dsb_isb();
  check_eq("masked edge does not pend", EXTI_PR, 0);
  EXTI_IMR = 1u << 10;
  dsb_isb();
  settle();
  check_eq("unmask delivers nothing", hits[IRQ_EXTI15_10], 2);
  GPIO_ODR(GPIOB) &= ~(1u << 10);
  GPIO_ODR(GPIOB) |= 1u << 10;
  dsb_isb();
  settle();
  check_eq("unmasked edge", hits[IRQ_EXTI15_10], 3);

  check_eq("no stray EXTI0", hits[IRQ_EXTI0], 1);
  check_eq("no stray EXTI9_5", hits[IRQ_EXTI9_5], 1);
  return periph_finish();
}
