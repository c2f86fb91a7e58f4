/*
 * DMA1/DMA2 on the STM32F407 (RM0090 section 10), at the 16 MHz HSI reset clock:
 *  - DMA2 stream 0 memory-to-memory (words) ending in its transfer-complete interrupt, NDTR
 *    counting down while the CPU runs; byte-to-word packing on stream 1; a transfer error
 *    (TEIF, EN cleared) reading where nothing answers;
 *  - circular mode with half-transfer and transfer-complete interrupts: DMA1 stream 3 channel 4
 *    feeding USART3's transmitter from a 4-byte buffer, stopped from the handler;
 *  - USART2 transmission by DMA1 stream 6 channel 4 (USART2_TX), at the baud rate. What it sends
 *    ("periph_dma: sent by DMA1 stream 6\r\n") is checked on the host side by
 *    test/peripherals-firmware.test.ts.
 * Runs on f4emu only.
 */
#include <stdio.h>
#include <string.h>

#include "stm32f4.h"

/* DMA (RM0090 §10.5) */
#define DMA1_BASE 0x40026000u
#define DMA2_BASE 0x40026400u
#define DMA_LISR(d) REG32((d) + 0x00)
#define DMA_HISR(d) REG32((d) + 0x04)
#define DMA_LIFCR(d) REG32((d) + 0x08)
#define DMA_HIFCR(d) REG32((d) + 0x0C)
#define DMA_SCR(d, x) REG32((d) + 0x10 + 0x18 * (x))
#define DMA_SNDTR(d, x) REG32((d) + 0x14 + 0x18 * (x))
#define DMA_SPAR(d, x) REG32((d) + 0x18 + 0x18 * (x))
#define DMA_SM0AR(d, x) REG32((d) + 0x1C + 0x18 * (x))
#define DMA_SM1AR(d, x) REG32((d) + 0x20 + 0x18 * (x))
#define DMA_SFCR(d, x) REG32((d) + 0x24 + 0x18 * (x))
#define DMA_CR_EN (1u << 0)
#define DMA_CR_TEIE (1u << 2)
#define DMA_CR_HTIE (1u << 3)
#define DMA_CR_TCIE (1u << 4)
#define DMA_CR_DIR_M2P (1u << 6)
#define DMA_CR_DIR_M2M (2u << 6)
#define DMA_CR_CIRC (1u << 8)
#define DMA_CR_PINC (1u << 9)
#define DMA_CR_MINC (1u << 10)
#define DMA_CR_PSIZE_WORD (2u << 11)
#define DMA_CR_MSIZE_WORD (2u << 13)
#define DMA_CR_CHSEL(c) ((uint32_t)(c) << 25)
#define DMA_FCR_DMDIS (1u << 2)
/* Flags of a stream, shifted by 0, 6, 16, 22 for streams 0-3 (LISR) and 4-7 (HISR). */
#define DMA_TEIF (1u << 3)
#define DMA_HTIF (1u << 4)
#define DMA_TCIF (1u << 5)
#define DMA_ALL (0x3Du)
#define IRQ_DMA1_STREAM3 14
#define IRQ_DMA1_STREAM6 17
#define IRQ_DMA2_STREAM0 56
#define USART_CR3_DMAT (1u << 7)
#define CHAR_CYCLES 1390u

static uint32_t src_words[64], dst_words[64];
static uint8_t src_bytes[16];
static uint32_t packed[4];
static uint8_t big_src[1024], big_dst[1024];
static const char line[] = "periph_dma: sent by DMA1 stream 6\r\n";
static const char ring[4] = {'a', 'b', 'c', 'd'};

static volatile uint32_t m2m_flags, m2m_irqs, m2m_at;
static volatile uint32_t circ_ht, circ_tc, circ_ndtr_at_ht;
static volatile uint32_t usart_flags;

static void dma2_stream0_handler(void) {
  m2m_flags |= DMA_LISR(DMA2_BASE) & DMA_ALL;
  m2m_at = DWT_CYCCNT;
  m2m_irqs++;
  DMA_LIFCR(DMA2_BASE) = DMA_ALL;
  dsb_isb();
}

static void dma1_stream3_handler(void) {
  uint32_t f = (DMA_LISR(DMA1_BASE) >> 22) & DMA_ALL;
  DMA_LIFCR(DMA1_BASE) = f << 22;
  if (f & DMA_HTIF) {
    circ_ht++;
    circ_ndtr_at_ht = DMA_SNDTR(DMA1_BASE, 3);
  }
  if (f & DMA_TCIF) {
    /* In circular mode TC comes at every wrap; the second one stops the stream. */
    if (++circ_tc == 2) DMA_SCR(DMA1_BASE, 3) &= ~DMA_CR_EN;
  }
  dsb_isb();
}

static void dma1_stream6_handler(void) {
  usart_flags |= (DMA_HISR(DMA1_BASE) >> 16) & DMA_ALL;
  DMA_HIFCR(DMA1_BASE) = DMA_ALL << 16;
  dsb_isb();
}

/* Sleeps until *flag is non-zero; PRIMASK closes the check-then-sleep race (WFI still wakes). */
static void wait_for(volatile uint32_t *flag) {
  irq_disable();
  while (*flag == 0) {
    __asm volatile("wfi");
    irq_enable();
    irq_disable();
  }
  irq_enable();
}

static void memory_to_memory(void) {
  for (unsigned i = 0; i < 64; i++) src_words[i] = 0x01010101u * i ^ 0xA5C3u;
  memset(dst_words, 0, sizeof dst_words);
  check_eq("fcr reset", DMA_SFCR(DMA2_BASE, 0), 0x21);
  check_eq("lisr reset", DMA_LISR(DMA2_BASE), 0);

  periph_irq_setup(IRQ_DMA2_STREAM0, 0x80, dma2_stream0_handler);
  DMA_SPAR(DMA2_BASE, 0) = (uint32_t)src_words;
  DMA_SM0AR(DMA2_BASE, 0) = (uint32_t)dst_words;
  DMA_SNDTR(DMA2_BASE, 0) = 64;
  uint32_t cr = DMA_CR_DIR_M2M | DMA_CR_PINC | DMA_CR_MINC | DMA_CR_PSIZE_WORD |
                DMA_CR_MSIZE_WORD | DMA_CR_TCIE;
  DMA_SCR(DMA2_BASE, 0) = cr;
  m2m_flags = m2m_irqs = 0;
  uint32_t start = DWT_CYCCNT;
  DMA_SCR(DMA2_BASE, 0) = cr | DMA_CR_EN;
  uint32_t enabled = DMA_SCR(DMA2_BASE, 0) & DMA_CR_EN;
  DMA_SNDTR(DMA2_BASE, 0) = 3; /* write-protected while enabled */
  uint32_t ndtr = DMA_SNDTR(DMA2_BASE, 0);
  check("enabled", enabled);
  check_range("ndtr counting down, not rewritten", ndtr, 4, 63);
  wait_for(&m2m_irqs);
  uint32_t took = m2m_at - start;
  printf("m2m: 64 words in %lu cycles\n", (unsigned long)took);
  check_eq("one tc interrupt", m2m_irqs, 1);
  check_eq("tcif (and htif) seen", m2m_flags, DMA_TCIF | DMA_HTIF);
  check("words copied", memcmp(src_words, dst_words, sizeof src_words) == 0);
  check_eq("ndtr 0", DMA_SNDTR(DMA2_BASE, 0), 0);
  check_eq("en cleared at the end", DMA_SCR(DMA2_BASE, 0) & DMA_CR_EN, 0);
  check("dmdis forced", DMA_SFCR(DMA2_BASE, 0) & DMA_FCR_DMDIS);
  check_range("took virtual time", took, 64 * 4, 64 * 4 + 400);
  NVIC_ICER(IRQ_DMA2_STREAM0 / 32) = 1u << (IRQ_DMA2_STREAM0 % 32);

  /* Bytes read, words written (FIFO packing), on stream 1, polled. */
  for (unsigned i = 0; i < 16; i++) src_bytes[i] = (uint8_t)(0x10 + i);
  DMA_SPAR(DMA2_BASE, 1) = (uint32_t)src_bytes;
  DMA_SM0AR(DMA2_BASE, 1) = (uint32_t)packed;
  DMA_SNDTR(DMA2_BASE, 1) = 16;
  DMA_SFCR(DMA2_BASE, 1) = DMA_FCR_DMDIS;
  DMA_SCR(DMA2_BASE, 1) = DMA_CR_DIR_M2M | DMA_CR_PINC | DMA_CR_MINC | DMA_CR_MSIZE_WORD;
  DMA_SCR(DMA2_BASE, 1) |= DMA_CR_EN;
  while (!(DMA_LISR(DMA2_BASE) & (DMA_TCIF << 6))) {
  }
  check_eq("packed word 0", packed[0], 0x13121110u);
  check_eq("packed word 3", packed[3], 0x1F1E1D1Cu);
  DMA_LIFCR(DMA2_BASE) = DMA_ALL << 6;

  /* A larger copy (bytes): NDTR is seen mid-way. */
  for (unsigned i = 0; i < sizeof big_src; i++) big_src[i] = (uint8_t)(i * 13);
  DMA_SPAR(DMA2_BASE, 1) = (uint32_t)big_src;
  DMA_SM0AR(DMA2_BASE, 1) = (uint32_t)big_dst;
  DMA_SNDTR(DMA2_BASE, 1) = sizeof big_src;
  DMA_SCR(DMA2_BASE, 1) = DMA_CR_DIR_M2M | DMA_CR_PINC | DMA_CR_MINC;
  DMA_SCR(DMA2_BASE, 1) |= DMA_CR_EN;
  uint32_t seen_half = 0;
  while (DMA_SCR(DMA2_BASE, 1) & DMA_CR_EN) {
    if (DMA_LISR(DMA2_BASE) & (DMA_HTIF << 6) && !seen_half) seen_half = DMA_SNDTR(DMA2_BASE, 1);
  }
  check_range("htif at half, ndtr then", seen_half, 1, 512);
  check("1024 bytes copied", memcmp(big_src, big_dst, sizeof big_src) == 0);
  DMA_LIFCR(DMA2_BASE) = DMA_ALL << 6;

  /* Reading where nothing answers (the FSMC bank, not enabled): transfer error. */
  DMA_SPAR(DMA2_BASE, 2) = 0x60000000u;
  DMA_SM0AR(DMA2_BASE, 2) = (uint32_t)dst_words;
  DMA_SNDTR(DMA2_BASE, 2) = 4;
  DMA_SCR(DMA2_BASE, 2) = DMA_CR_DIR_M2M | DMA_CR_PINC | DMA_CR_MINC | DMA_CR_EN;
  while (DMA_SCR(DMA2_BASE, 2) & DMA_CR_EN) {
  }
  check_eq("teif on a bus error", (DMA_LISR(DMA2_BASE) >> 16) & DMA_ALL, DMA_TEIF);
  check_eq("ndtr left", DMA_SNDTR(DMA2_BASE, 2), 4);
  DMA_LIFCR(DMA2_BASE) = DMA_ALL << 16;
  check_eq("flags cleared", DMA_LISR(DMA2_BASE), 0);
}

static void circular(void) {
  /* USART3 at 1 Mbaud (BRR 16 at 16 MHz): 160 cycles per character. */
  RCC_APB1ENR |= 1u << 18; /* USART3EN */
  dsb_isb();
  USART_BRR(USART3_BASE) = 16;
  USART_CR1(USART3_BASE) = USART_CR1_UE | USART_CR1_TE;
  USART_CR3(USART3_BASE) = USART_CR3_DMAT;
  periph_irq_setup(IRQ_DMA1_STREAM3, 0x80, dma1_stream3_handler);
  DMA_SPAR(DMA1_BASE, 3) = (uint32_t)&USART_DR(USART3_BASE);
  DMA_SM0AR(DMA1_BASE, 3) = (uint32_t)ring;
  DMA_SNDTR(DMA1_BASE, 3) = sizeof ring;
  DMA_SCR(DMA1_BASE, 3) = DMA_CR_CHSEL(4) | DMA_CR_DIR_M2P | DMA_CR_MINC | DMA_CR_CIRC |
                          DMA_CR_HTIE | DMA_CR_TCIE | DMA_CR_EN;
  uint32_t start = DWT_CYCCNT;
  while (DMA_SCR(DMA1_BASE, 3) & DMA_CR_EN) {
  }
  uint32_t took = DWT_CYCCNT - start;
  printf("circular: %lu half, %lu complete in %lu cycles\n", (unsigned long)circ_ht,
         (unsigned long)circ_tc, (unsigned long)took);
  check_eq("two half-transfer interrupts", circ_ht, 2);
  check("complete interrupts (the second stops it)", circ_tc >= 2);
  check_eq("ndtr at half", circ_ndtr_at_ht, 2);
  check_range("two laps at the baud rate", took, 6 * 160, 10 * 160);
  while (!(USART_SR(USART3_BASE) & USART_SR_TC)) {
  }
  USART_CR3(USART3_BASE) = 0;
  NVIC_ICER(IRQ_DMA1_STREAM3 / 32) = 1u << (IRQ_DMA1_STREAM3 % 32);
  DMA_LIFCR(DMA1_BASE) = DMA_ALL << 22;
}

static void usart2_tx(void) {
  RCC_APB1ENR |= 1u << 17; /* USART2EN */
  dsb_isb();
  USART_BRR(USART2_BASE) = (8u << 4) | 11u; /* 115200 at 16 MHz: 1390 cycles per character */
  USART_CR1(USART2_BASE) = USART_CR1_UE | USART_CR1_TE;
  /* Enabling the transmitter sends an idle frame first; wait for the line to settle. */
  USART_SR(USART2_BASE) = ~USART_SR_TC;
  while (!(USART_SR(USART2_BASE) & USART_SR_TC)) {
  }
  periph_irq_setup(IRQ_DMA1_STREAM6, 0x80, dma1_stream6_handler);
  USART_CR3(USART2_BASE) = USART_CR3_DMAT;
  DMA_SPAR(DMA1_BASE, 6) = (uint32_t)&USART_DR(USART2_BASE);
  DMA_SM0AR(DMA1_BASE, 6) = (uint32_t)line;
  DMA_SNDTR(DMA1_BASE, 6) = sizeof line - 1;
  usart_flags = 0;
  uint32_t start = DWT_CYCCNT;
  DMA_SCR(DMA1_BASE, 6) =
      DMA_CR_CHSEL(4) | DMA_CR_DIR_M2P | DMA_CR_MINC | DMA_CR_TCIE | DMA_CR_TEIE | DMA_CR_EN;
  wait_for(&usart_flags);
  uint32_t dma_done = DWT_CYCCNT - start;
  while (!(USART_SR(USART2_BASE) & USART_SR_TC)) {
  }
  uint32_t took = DWT_CYCCNT - start;
  uint32_t n = sizeof line - 1;
  printf("usart2 by dma: %lu bytes, dma done after %lu, line after %lu cycles\n",
         (unsigned long)n, (unsigned long)dma_done, (unsigned long)took);
  check_eq("dma tc (no error)", usart_flags & (DMA_TCIF | DMA_TEIF), DMA_TCIF);
  /* The DMA finishes when the last byte enters DR, two characters before the line is done. */
  check_range("dma done before the line", dma_done, (n - 2) * CHAR_CYCLES, n * CHAR_CYCLES);
  check_range("line at the baud rate", took, n * CHAR_CYCLES, n * CHAR_CYCLES + CHAR_CYCLES / 2);
  check_eq("en cleared", DMA_SCR(DMA1_BASE, 6) & DMA_CR_EN, 0);
  USART_CR3(USART2_BASE) = 0;
}

int main(void) {
  RCC_AHB1ENR |= (1u << 21) | (1u << 22); /* DMA1EN, DMA2EN */
  dsb_isb();
  cyccnt_start();
  memory_to_memory();
  circular();
  usart2_tx();
  return periph_finish();
}
