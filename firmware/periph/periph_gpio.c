/*
 * GPIO on the STM32F407 (RM0090 section 8): reset values, the Discovery's LED pins PD12-15 as
 * push-pull outputs through BSRR and ODR, IDR readback of outputs and pulled inputs, open-drain
 * outputs, and the LCKR lock sequence. Runs on f4emu only (see stm32f4.h).
 */
#include "stm32f4.h"

#define LEDS (0xFu << 12)

int main(void) {
  /* Reset values: the debug pins on GPIOA/GPIOB, everything else 0. */
  check_eq("gpioa moder reset", GPIO_MODER(GPIOA), 0xA8000000u);
  check_eq("gpioa pupdr reset", GPIO_PUPDR(GPIOA), 0x64000000u);
  check_eq("gpiob moder reset", GPIO_MODER(GPIOB), 0x00000280u);
  check_eq("gpiob ospeedr reset", GPIO_OSPEEDR(GPIOB), 0x000000C0u);
  check_eq("gpiob pupdr reset", GPIO_PUPDR(GPIOB), 0x00000100u);
  check_eq("gpiod moder reset", GPIO_MODER(GPIOD), 0);

  RCC_AHB1ENR |= (1u << GPIOD) | (1u << GPIOE); /* GPIODEN, GPIOEEN */
  dsb_isb();

  /* LEDs: PD12-15 general-purpose push-pull outputs. */
  GPIO_MODER(GPIOD) = (GPIO_MODER(GPIOD) & ~0xFF000000u) | 0x55000000u;
  check_eq("moder leds", GPIO_MODER(GPIOD), 0x55000000u);
  GPIO_BSRR(GPIOD) = (1u << 12) | (1u << 14);
  check_eq("bsrr set odr", GPIO_ODR(GPIOD), (1u << 12) | (1u << 14));
  check_eq("bsrr set idr", GPIO_IDR(GPIOD) & LEDS, (1u << 12) | (1u << 14));
  check_eq("bsrr reads 0", GPIO_BSRR(GPIOD), 0);
  GPIO_BSRR(GPIOD) = (1u << (16 + 12)) | (1u << 13) | (1u << (16 + 13));
  check_eq("bsrr set wins over reset", GPIO_ODR(GPIOD), (1u << 13) | (1u << 14));
  *(volatile uint16_t *)(GPIO_BASE(GPIOD) + 0x1A) = 1u << 14; /* BSRR high half: reset only */
  check_eq("bsrr half-word reset", GPIO_ODR(GPIOD), 1u << 13);
  GPIO_ODR(GPIOD) = LEDS;
  check_eq("odr write idr", GPIO_IDR(GPIOD) & LEDS, LEDS);
  GPIO_ODR(GPIOD) = 0;
  check_eq("leds off", GPIO_IDR(GPIOD) & LEDS, 0);

  /* Inputs read their pulls (nothing drives PE0-PE1 on the board). */
  GPIO_MODER(GPIOE) &= ~0xFu;
  GPIO_PUPDR(GPIOE) = (GPIO_PUPDR(GPIOE) & ~0xFu) | 0x1u | (0x2u << 2); /* PE0 up, PE1 down */
  check_eq("pull-up reads 1, pull-down 0", GPIO_IDR(GPIOE) & 3, 1);
  GPIO_PUPDR(GPIOE) = (GPIO_PUPDR(GPIOE) & ~0xFu) | 0x2u | (0x1u << 2);
  check_eq("pulls swapped", GPIO_IDR(GPIOE) & 3, 2);

  /* Open-drain output: 0 drives low, 1 releases the line to its pull-up. */
  GPIO_PUPDR(GPIOE) = (GPIO_PUPDR(GPIOE) & ~0x3u) | 0x1u;
  GPIO_OTYPER(GPIOE) |= 1;
  GPIO_MODER(GPIOE) |= 1;
  GPIO_BSRR(GPIOE) = 1u << 16;
  check_eq("open-drain low", GPIO_IDR(GPIOE) & 1, 0);
  GPIO_BSRR(GPIOE) = 1;
  check_eq("open-drain released", GPIO_IDR(GPIOE) & 1, 1);

  /* Analog mode: IDR reads 0 whatever the pull. */
  GPIO_MODER(GPIOE) |= 3;
  check_eq("analog reads 0", GPIO_IDR(GPIOE) & 1, 0);

  /* LCKR: lock PE4's configuration; PE5's stays writable. */
  GPIO_MODER(GPIOE) = (GPIO_MODER(GPIOE) & ~(0xFu << 8)) | (1u << 8);
  const uint32_t key = 1u << 16, pins = 1u << 4;
  GPIO_LCKR(GPIOE) = key | pins;
  GPIO_LCKR(GPIOE) = pins;
  GPIO_LCKR(GPIOE) = key | pins;
  (void)GPIO_LCKR(GPIOE);
  check_eq("lckr lckk set", GPIO_LCKR(GPIOE), key | pins);
  /* PE4 -> AF, PE5 -> output */
  GPIO_MODER(GPIOE) = (GPIO_MODER(GPIOE) & ~(0xFu << 8)) | (0x6u << 8);
  check_eq("locked pin keeps its mode", (GPIO_MODER(GPIOE) >> 8) & 0xF, 0x5);
  GPIO_AFRL(GPIOE) = 0x00770000u;
  check_eq("locked pin keeps its AF", GPIO_AFRL(GPIOE), 0x00700000u);
  GPIO_ODR(GPIOE) = 1u << 4;
  check_eq("locked pin's data still moves", GPIO_IDR(GPIOE) & (1u << 4), 1u << 4);

  return periph_finish();
}
