/*
 * Minimal STM32F407 register map for the peripheral tests (RM0090 offsets; no vendor headers),
 * and the PASS/FAIL helpers they share. Programs print one line per check through semihosting
 * and exit with 0 only when every check passed. They need f4emu: QEMU's mps2-an386 has no STM32
 * peripherals.
 */
#ifndef PERIPH_STM32F4_H
#define PERIPH_STM32F4_H

#include <stdint.h>
#include <stdio.h>

#define REG32(addr) (*(volatile uint32_t *)(addr))
#define REG16(addr) (*(volatile uint16_t *)(addr))

/* RCC (RM0090 §7.3) */
#define RCC_BASE 0x40023800u
#define RCC_CR REG32(RCC_BASE + 0x00)
#define RCC_PLLCFGR REG32(RCC_BASE + 0x04)
#define RCC_CFGR REG32(RCC_BASE + 0x08)
#define RCC_CIR REG32(RCC_BASE + 0x0C)
#define RCC_AHB1ENR REG32(RCC_BASE + 0x30)
#define RCC_AHB2ENR REG32(RCC_BASE + 0x34)
#define RCC_APB1ENR REG32(RCC_BASE + 0x40)
#define RCC_APB2ENR REG32(RCC_BASE + 0x44)
#define RCC_AHB1LPENR REG32(RCC_BASE + 0x50)
#define RCC_BDCR REG32(RCC_BASE + 0x70)
#define RCC_CSR REG32(RCC_BASE + 0x74)
#define RCC_PLLI2SCFGR REG32(RCC_BASE + 0x84)
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_CFGR_SWS(v) (((v) >> 2) & 3u)
#define RCC_CSR_RMVF (1u << 24)
#define RCC_CSR_PINRSTF (1u << 26)
#define RCC_CSR_PORRSTF (1u << 27)
#define RCC_CSR_SFTRSTF (1u << 28)

/* FLASH interface (RM0090 §3.9) */
#define FLASH_IF_BASE 0x40023C00u
#define FLASH_ACR REG32(FLASH_IF_BASE + 0x00)
#define FLASH_KEYR REG32(FLASH_IF_BASE + 0x04)
#define FLASH_OPTKEYR REG32(FLASH_IF_BASE + 0x08)
#define FLASH_SR REG32(FLASH_IF_BASE + 0x0C)
#define FLASH_CR REG32(FLASH_IF_BASE + 0x10)
#define FLASH_OPTCR REG32(FLASH_IF_BASE + 0x14)
#define FLASH_KEY1 0x45670123u
#define FLASH_KEY2 0xCDEF89ABu
#define FLASH_SR_EOP (1u << 0)
#define FLASH_SR_PGSERR (1u << 7)
#define FLASH_SR_PGPERR (1u << 6)
#define FLASH_SR_ERRORS 0xF2u
#define FLASH_SR_BSY (1u << 16)
#define FLASH_CR_PG (1u << 0)
#define FLASH_CR_SER (1u << 1)
#define FLASH_CR_SNB(n) ((uint32_t)(n) << 3)
#define FLASH_CR_PSIZE_X16 (1u << 8)
#define FLASH_CR_PSIZE_X32 (2u << 8)
#define FLASH_CR_STRT (1u << 16)
#define FLASH_CR_EOPIE (1u << 24)
#define FLASH_CR_LOCK (1u << 31)

/* PWR (RM0090 §5.4) */
#define PWR_CR REG32(0x40007000u)
#define PWR_CSR REG32(0x40007004u)

/* Timers (RM0090 §18.4, §20.4) */
#define TIM2_BASE 0x40000000u
#define TIM3_BASE 0x40000400u
#define TIM6_BASE 0x40001000u
#define TIM7_BASE 0x40001400u
#define TIM_CR1(t) REG32((t) + 0x00)
#define TIM_DIER(t) REG32((t) + 0x0C)
#define TIM_SR(t) REG32((t) + 0x10)
#define TIM_EGR(t) REG32((t) + 0x14)
#define TIM_CNT(t) REG32((t) + 0x24)
#define TIM_PSC(t) REG32((t) + 0x28)
#define TIM_ARR(t) REG32((t) + 0x2C)
#define TIM_CCR1(t) REG32((t) + 0x34)
#define TIM_CCR2(t) REG32((t) + 0x38)
#define TIM_CR1_CEN (1u << 0)
#define TIM_CR1_OPM (1u << 3)
#define TIM_CR1_DIR (1u << 4)
#define TIM_SR_UIF (1u << 0)
#define TIM_SR_CC2IF (1u << 2)
#define TIM6_IRQ 54
#define TIM7_IRQ 55

/* RNG (RM0090 §24.4), CRC (§4.4) */
#define RNG_CR REG32(0x50060800u)
#define RNG_SR REG32(0x50060804u)
#define RNG_DR REG32(0x50060808u)
#define CRC_DR REG32(0x40023000u)
#define CRC_IDR REG32(0x40023004u)
#define CRC_CR REG32(0x40023008u)

/* Identity (RM0090 §38.6.1, §39) */
#define DBGMCU_IDCODE REG32(0xE0042000u)
#define FLASH_SIZE_KB REG16(0x1FFF7A22u)
#define UID(n) REG32(0x1FFF7A10u + 4 * (n))

/* Core */
#define NVIC_ISER(n) REG32(0xE000E100u + 4 * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4 * (n))
#define DEMCR REG32(0xE000EDFCu)
#define DWT_CTRL REG32(0xE0001000u)
#define DWT_CYCCNT REG32(0xE0001004u)

static int periph_failures;

static inline int check(const char *name, int ok) {
  printf("%s %s\n", ok ? "PASS" : "FAIL", name);
  if (!ok) periph_failures++;
  return ok;
}

static inline int check_eq(const char *name, uint32_t got, uint32_t want) {
  if (got == want) return check(name, 1);
  printf("FAIL %s: got 0x%08lx, want 0x%08lx\n", name, (unsigned long)got, (unsigned long)want);
  periph_failures++;
  return 0;
}

/* got within [lo, hi] */
static inline int check_range(const char *name, uint32_t got, uint32_t lo, uint32_t hi) {
  if (got >= lo && got <= hi) return check(name, 1);
  printf("FAIL %s: got %lu, want %lu..%lu\n", name, (unsigned long)got, (unsigned long)lo,
         (unsigned long)hi);
  periph_failures++;
  return 0;
}

static inline int periph_finish(void) {
  printf("%s: %d failure(s)\n", periph_failures ? "FAILED" : "OK", periph_failures);
  return periph_failures ? 1 : 0;
}

static inline void nvic_enable(unsigned irq) {
  NVIC_ICPR(irq / 32) = 1u << (irq % 32);
  NVIC_ISER(irq / 32) = 1u << (irq % 32);
  __asm volatile("dsb\n\tisb" ::: "memory");
}

static inline void cyccnt_start(void) {
  DEMCR |= 1u << 24; /* TRCENA */
  DWT_CYCCNT = 0;
  DWT_CTRL |= 1u; /* CYCCNTENA */
}

/* ---- I/O blocks: GPIO, SYSCFG, EXTI, USART (periph_gpio.c, periph_exti.c, periph_usart.c) ---- */

/* GPIO A..I (RM0090 §8.4) */
#define GPIO_BASE(port) (0x40020000u + 0x400u * (port))
#define GPIOA 0
#define GPIOB 1
#define GPIOC 2
#define GPIOD 3
#define GPIOE 4
#define GPIO_MODER(p) REG32(GPIO_BASE(p) + 0x00)
#define GPIO_OTYPER(p) REG32(GPIO_BASE(p) + 0x04)
#define GPIO_OSPEEDR(p) REG32(GPIO_BASE(p) + 0x08)
#define GPIO_PUPDR(p) REG32(GPIO_BASE(p) + 0x0C)
#define GPIO_IDR(p) REG32(GPIO_BASE(p) + 0x10)
#define GPIO_ODR(p) REG32(GPIO_BASE(p) + 0x14)
#define GPIO_BSRR(p) REG32(GPIO_BASE(p) + 0x18)
#define GPIO_LCKR(p) REG32(GPIO_BASE(p) + 0x1C)
#define GPIO_AFRL(p) REG32(GPIO_BASE(p) + 0x20)
#define GPIO_AFRH(p) REG32(GPIO_BASE(p) + 0x24)

/* SYSCFG (RM0090 §9.2) */
#define SYSCFG_BASE 0x40013800u
#define SYSCFG_MEMRMP REG32(SYSCFG_BASE + 0x00)
#define SYSCFG_PMC REG32(SYSCFG_BASE + 0x04)
#define SYSCFG_EXTICR(n) REG32(SYSCFG_BASE + 0x08 + 4 * (n)) /* n = 0..3: EXTICR1..4 */
#define SYSCFG_CMPCR REG32(SYSCFG_BASE + 0x20)

/* EXTI (RM0090 §12.3) */
#define EXTI_BASE 0x40013C00u
#define EXTI_IMR REG32(EXTI_BASE + 0x00)
#define EXTI_EMR REG32(EXTI_BASE + 0x04)
#define EXTI_RTSR REG32(EXTI_BASE + 0x08)
#define EXTI_FTSR REG32(EXTI_BASE + 0x0C)
#define EXTI_SWIER REG32(EXTI_BASE + 0x10)
#define EXTI_PR REG32(EXTI_BASE + 0x14)

/* USART / UART (RM0090 §30.6) */
#define USART1_BASE 0x40011000u
#define USART2_BASE 0x40004400u
#define USART3_BASE 0x40004800u
#define UART4_BASE 0x40004C00u
#define UART5_BASE 0x40005000u
#define USART6_BASE 0x40011400u
#define USART_SR(b) REG32((b) + 0x00)
#define USART_DR(b) REG32((b) + 0x04)
#define USART_BRR(b) REG32((b) + 0x08)
#define USART_CR1(b) REG32((b) + 0x0C)
#define USART_CR2(b) REG32((b) + 0x10)
#define USART_CR3(b) REG32((b) + 0x14)
#define USART_GTPR(b) REG32((b) + 0x18)
#define USART_SR_PE (1u << 0)
#define USART_SR_FE (1u << 1)
#define USART_SR_NF (1u << 2)
#define USART_SR_ORE (1u << 3)
#define USART_SR_IDLE (1u << 4)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TC (1u << 6)
#define USART_SR_TXE (1u << 7)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_IDLEIE (1u << 4)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_CR1_TCIE (1u << 6)
#define USART_CR1_TXEIE (1u << 7)
#define USART_CR1_PCE (1u << 10)
#define USART_CR1_M (1u << 12)
#define USART_CR1_UE (1u << 13)
#define USART_CR1_OVER8 (1u << 15)

/* Interrupt numbers (RM0090 table 61) */
#define IRQ_EXTI0 6
#define IRQ_EXTI1 7
#define IRQ_EXTI2 8
#define IRQ_EXTI3 9
#define IRQ_EXTI4 10
#define IRQ_EXTI9_5 23
#define IRQ_EXTI15_10 40
#define IRQ_USART1 37
#define IRQ_USART2 38
#define IRQ_USART3 39
#define IRQ_UART4 52
#define IRQ_UART5 53
#define IRQ_USART6 71

/* More of the core */
#define NVIC_ICER(n) REG32(0xE000E180u + 4 * (n))
#define NVIC_IPR8(irq) (*(volatile uint8_t *)(0xE000E400u + (irq)))
#define VTOR REG32(0xE000ED08u)

static inline void dsb_isb(void) { __asm volatile("dsb\n\tisb" ::: "memory"); }
static inline uint32_t get_ipsr(void) {
  uint32_t v;
  __asm volatile("mrs %0, ipsr" : "=r"(v));
  return v;
}
static inline void irq_disable(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline void irq_enable(void) { __asm volatile("cpsie i\n\tisb" ::: "memory"); }

/*
 * A handler per interrupt without touching startup.S's Default_IRQHandler: the first call copies
 * the vector table to SRAM (VTOR wants 512-byte alignment for 16 + 82 entries) and points VTOR
 * at it. (Programs that override Default_IRQHandler instead, like periph_tim.c, need none of it.)
 */
typedef void (*periph_handler_t)(void);
static periph_handler_t periph_vectors[16 + 82] __attribute__((aligned(512), unused));

static inline void periph_irq_setup(unsigned irq, uint8_t priority, periph_handler_t handler) {
  if (VTOR != (uint32_t)periph_vectors) {
    const periph_handler_t *table = (const periph_handler_t *)VTOR;
    for (unsigned i = 0; i < 16 + 82; i++) periph_vectors[i] = table[i];
    VTOR = (uint32_t)periph_vectors;
    dsb_isb();
  }
  periph_vectors[16 + irq] = handler;
  NVIC_IPR8(irq) = priority;
  nvic_enable(irq);
}


#endif
