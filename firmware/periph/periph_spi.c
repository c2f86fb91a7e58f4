/*
 * SPI1-SPI3 on the STM32F407 (RM0090 section 28) at the 16 MHz HSI reset clock (PCLK1 = PCLK2
 * = 16 MHz), driven as a driver does:
 *  - reset values; a polled exchange on SPI2 with nothing selected: 0xFF back, RXNE one frame
 *    after the DR write (8 SPI clocks of PCLK/8: 64 cycles, DWT), BSY while shifting, 16-bit
 *    frames twice as long (0xFFFF); SPI2 follows PCLK1 (APB1 divided by 2: 128 cycles) while
 *    SPI1 keeps PCLK2;
 *  - OVR and its DR-then-SR clear; MODF (SSM with SSI low) clearing SPE/MSTR, and its
 *    SR-then-CR1 clear;
 *  - CRC-8 on SPI3: TXCRCR/RXCRCR against a software CRC, CRCNEXT sending TXCRCR, CRCERR from
 *    the 0xFF the empty bus answers;
 *  - the board's LIS3DSH on SPI1 (chip select PE3): WHO_AM_I reads 0x3F;
 *  - SPI2 with its chip select on PB12, polled, interrupt-driven (TXEIE/RXNEIE) and by DMA1
 *    (stream 4 channel 0 TX, stream 3 channel 0 RX). test/peripherals-firmware.test.ts attaches
 *    a register-file device there and passes "devices" on the command line: reading register
 *    0x0F gives 0x5A, registers written read back. Without "devices" every answer is 0xFF.
 * Runs on f4emu only.
 */
#include <stdio.h>
#include <string.h>

#include "stm32f4.h"

/* SPI (RM0090 §28.5) */
#define SPI1_BASE 0x40013000u
#define SPI2_BASE 0x40003800u
#define SPI3_BASE 0x40003C00u
#define SPI_CR1(b) REG32((b) + 0x00)
#define SPI_CR2(b) REG32((b) + 0x04)
#define SPI_SR(b) REG32((b) + 0x08)
#define SPI_DR(b) REG32((b) + 0x0C)
#define SPI_CRCPR(b) REG32((b) + 0x10)
#define SPI_RXCRCR(b) REG32((b) + 0x14)
#define SPI_TXCRCR(b) REG32((b) + 0x18)
#define SPI_I2SCFGR(b) REG32((b) + 0x1C)
#define SPI_I2SPR(b) REG32((b) + 0x20)
#define SPI_CR1_MSTR (1u << 2)
#define SPI_CR1_BR(n) ((uint32_t)(n) << 3)
#define SPI_CR1_SPE (1u << 6)
#define SPI_CR1_SSI (1u << 8)
#define SPI_CR1_SSM (1u << 9)
#define SPI_CR1_DFF (1u << 11)
#define SPI_CR1_CRCNEXT (1u << 12)
#define SPI_CR1_CRCEN (1u << 13)
#define SPI_CR2_RXDMAEN (1u << 0)
#define SPI_CR2_TXDMAEN (1u << 1)
#define SPI_CR2_ERRIE (1u << 5)
#define SPI_CR2_RXNEIE (1u << 6)
#define SPI_CR2_TXEIE (1u << 7)
#define SPI_SR_RXNE (1u << 0)
#define SPI_SR_TXE (1u << 1)
#define SPI_SR_CRCERR (1u << 4)
#define SPI_SR_MODF (1u << 5)
#define SPI_SR_OVR (1u << 6)
#define SPI_SR_BSY (1u << 7)
#define IRQ_SPI2 36
/* A master with software NSS held high, /8: 64 cycles a byte. */
#define MASTER (SPI_CR1_MSTR | SPI_CR1_SSM | SPI_CR1_SSI | SPI_CR1_BR(2))

/* DMA1 (RM0090 §10.5) */
#define DMA1_BASE 0x40026000u
#define DMA_LISR REG32(DMA1_BASE + 0x00)
#define DMA_HISR REG32(DMA1_BASE + 0x04)
#define DMA_LIFCR REG32(DMA1_BASE + 0x08)
#define DMA_HIFCR REG32(DMA1_BASE + 0x0C)
#define DMA_SCR(x) REG32(DMA1_BASE + 0x10 + 0x18 * (x))
#define DMA_SNDTR(x) REG32(DMA1_BASE + 0x14 + 0x18 * (x))
#define DMA_SPAR(x) REG32(DMA1_BASE + 0x18 + 0x18 * (x))
#define DMA_SM0AR(x) REG32(DMA1_BASE + 0x1C + 0x18 * (x))
#define DMA_CR_EN (1u << 0)
#define DMA_CR_DIR_M2P (1u << 6)
#define DMA_CR_MINC (1u << 10)
#define DMA_TCIF3 (1u << 27)
#define DMA_TCIF4 (1u << 5)

#define CS_PIN 12 /* PB12: the test device's chip select on SPI2 */
#define MEMS_CS 3 /* PE3: the LIS3DSH's chip select on SPI1 */
#define DEVICE_ID 0x5A

static int devices; /* the test device is on SPI2 ("devices" on the command line) */

static void cs(unsigned port, unsigned pin, int selected) {
  GPIO_BSRR(port) = 1u << (pin + (selected ? 16 : 0));
}

static void output_high(unsigned port, unsigned pin) {
  cs(port, pin, 0);
  GPIO_MODER(port) = (GPIO_MODER(port) & ~(3u << (2 * pin))) | (1u << (2 * pin));
}

static uint32_t xfer(uint32_t spi, uint32_t out) {
  while (!(SPI_SR(spi) & SPI_SR_TXE)) {
  }
  SPI_DR(spi) = out;
  while (!(SPI_SR(spi) & SPI_SR_RXNE)) {
  }
  return SPI_DR(spi);
}

/* What a byte from the test device is with it attached, and 0xFF (MISO high) without. */
static uint32_t dev(uint32_t value) { return devices ? value : 0xFF; }

static uint8_t crc8(uint8_t crc, uint8_t data) {
  for (int i = 7; i >= 0; i--) {
    int feedback = ((crc >> 7) ^ (data >> i)) & 1;
    crc = (uint8_t)(crc << 1);
    if (feedback) crc ^= 0x07;
  }
  return crc;
}

static void reset_values(void) {
  check_eq("SPI1 CR1 reset", SPI_CR1(SPI1_BASE), 0);
  check_eq("SPI1 SR reset (TXE)", SPI_SR(SPI1_BASE), SPI_SR_TXE);
  check_eq("SPI2 CRCPR reset", SPI_CRCPR(SPI2_BASE), 7);
  check_eq("SPI3 I2SPR reset", SPI_I2SPR(SPI3_BASE), 2);
  check_eq("SPI3 I2SCFGR reset", SPI_I2SCFGR(SPI3_BASE), 0);
}

static void polled_empty_bus(void) {
  uint32_t s = SPI2_BASE;
  SPI_CR1(s) = MASTER | SPI_CR1_SPE;
  uint32_t start = DWT_CYCCNT;
  SPI_DR(s) = 0xA5;
  uint32_t sr = SPI_SR(s);
  while (!(SPI_SR(s) & SPI_SR_RXNE)) {
  }
  uint32_t took = DWT_CYCCNT - start;
  check_eq("txe again and bsy while shifting", sr & (SPI_SR_TXE | SPI_SR_BSY | SPI_SR_RXNE),
           SPI_SR_TXE | SPI_SR_BSY);
  printf("one byte, PCLK1/8: %lu cycles\n", (unsigned long)took);
  check_range("8 SPI clocks of 8 PCLK cycles", took, 64, 64 + 24);
  check_eq("bsy clear after the frame", SPI_SR(s) & SPI_SR_BSY, 0);
  check_eq("nothing selected: 0xFF", SPI_DR(s), 0xFF);
  check_eq("rxne cleared by the read", SPI_SR(s) & SPI_SR_RXNE, 0);

  /* 16-bit frames. */
  SPI_CR1(s) = MASTER;
  SPI_CR1(s) = MASTER | SPI_CR1_DFF | SPI_CR1_SPE;
  start = DWT_CYCCNT;
  SPI_DR(s) = 0x1234;
  while (!(SPI_SR(s) & SPI_SR_RXNE)) {
  }
  took = DWT_CYCCNT - start;
  check_range("16 SPI clocks", took, 128, 128 + 24);
  check_eq("16-bit frame: 0xFFFF", SPI_DR(s), 0xFFFF);
  SPI_CR1(s) = MASTER;

  /* APB1 at HCLK/2 (PPRE1 = 100): SPI2 runs on PCLK1 and takes twice as long; SPI1 (PCLK2)
   * does not. */
  RCC_CFGR = (RCC_CFGR & ~(7u << 10)) | (4u << 10);
  dsb_isb();
  SPI_CR1(s) = MASTER | SPI_CR1_SPE;
  start = DWT_CYCCNT;
  (void)xfer(s, 0);
  uint32_t spi2 = DWT_CYCCNT - start;
  SPI_CR1(SPI1_BASE) = MASTER | SPI_CR1_SPE;
  start = DWT_CYCCNT;
  (void)xfer(SPI1_BASE, 0);
  uint32_t spi1 = DWT_CYCCNT - start;
  RCC_CFGR &= ~(7u << 10);
  dsb_isb();
  SPI_CR1(SPI1_BASE) = 0;
  printf("PCLK1 = 8 MHz: SPI2 %lu cycles, SPI1 %lu cycles\n", (unsigned long)spi2,
         (unsigned long)spi1);
  check_range("SPI2 on PCLK1/8 = 1 MHz", spi2, 128, 128 + 40);
  check_range("SPI1 still on PCLK2", spi1, 64, 64 + 40);
  SPI_CR1(s) = MASTER;
}

static void errors(void) {
  uint32_t s = SPI2_BASE;
  /* Overrun: three frames, none read. */
  SPI_CR1(s) = MASTER | SPI_CR1_SPE;
  for (int i = 0; i < 3; i++) {
    while (!(SPI_SR(s) & SPI_SR_TXE)) {
    }
    SPI_DR(s) = (uint32_t)i;
  }
  while (SPI_SR(s) & SPI_SR_BSY) {
  }
  check_eq("ovr and rxne", SPI_SR(s) & (SPI_SR_OVR | SPI_SR_RXNE), SPI_SR_OVR | SPI_SR_RXNE);
  (void)SPI_DR(s);
  (void)SPI_SR(s);
  check_eq("ovr cleared by DR then SR read", SPI_SR(s) & (SPI_SR_OVR | SPI_SR_RXNE), 0);
  SPI_CR1(s) = MASTER;

  /* Mode fault: a master whose (software) NSS is low. */
  uint32_t m = SPI3_BASE;
  SPI_CR1(m) = SPI_CR1_MSTR | SPI_CR1_SSM | SPI_CR1_SPE;
  check_eq("modf", SPI_SR(m) & SPI_SR_MODF, SPI_SR_MODF);
  check_eq("modf cleared spe and mstr", SPI_CR1(m) & (SPI_CR1_SPE | SPI_CR1_MSTR), 0);
  SPI_CR1(m) = MASTER; /* the SR read above, then this write */
  check_eq("modf cleared by SR then CR1", SPI_SR(m) & SPI_SR_MODF, 0);
}

static void crc(void) {
  static const char text[] = "123456789";
  uint32_t s = SPI3_BASE;
  SPI_CR1(s) = MASTER | SPI_CR1_CRCEN;
  SPI_CR1(s) = MASTER | SPI_CR1_CRCEN | SPI_CR1_SPE;
  uint8_t tx = 0, rx = 0;
  for (unsigned i = 0; i < sizeof text - 1; i++) {
    SPI_DR(s) = (uint8_t)text[i];
    if (i == sizeof text - 2) SPI_CR1(s) |= SPI_CR1_CRCNEXT; /* with the last byte */
    while (!(SPI_SR(s) & SPI_SR_RXNE)) {
    }
    rx = crc8(rx, (uint8_t)SPI_DR(s));
    tx = crc8(tx, (uint8_t)text[i]);
  }
  check_eq("txcrcr: CRC-8 of \"123456789\"", SPI_TXCRCR(s), tx);
  check_eq("the check value", tx, 0xF4);
  check_eq("rxcrcr: CRC-8 of what came back", SPI_RXCRCR(s), rx);
  while (!(SPI_SR(s) & SPI_SR_RXNE)) { /* the CRC frame */
  }
  check_eq("received crc (0xFF: nothing answers)", SPI_DR(s), 0xFF);
  check_eq("crcerr", SPI_SR(s) & SPI_SR_CRCERR, rx != 0xFF ? SPI_SR_CRCERR : 0);
  check_eq("crcnext cleared after the crc", SPI_CR1(s) & SPI_CR1_CRCNEXT, 0);
  SPI_SR(s) = ~SPI_SR_CRCERR;
  check_eq("crcerr cleared by writing 0", SPI_SR(s) & SPI_SR_CRCERR, 0);
  SPI_CR1(s) = MASTER;
}

static void accelerometer(void) {
  output_high(GPIOE, MEMS_CS);
  uint32_t s = SPI1_BASE;
  SPI_CR1(s) = MASTER | SPI_CR1_SPE;
  cs(GPIOE, MEMS_CS, 1);
  (void)xfer(s, 0x80 | 0x0F); /* read WHO_AM_I */
  uint32_t id = xfer(s, 0);
  cs(GPIOE, MEMS_CS, 0);
  check_eq("LIS3DSH WHO_AM_I on SPI1 (PE3)", id, 0x3F);
  check_eq("deselected: 0xFF", xfer(s, 0), 0xFF);
  SPI_CR1(s) = MASTER;
}

static void polled_device(void) {
  uint32_t s = SPI2_BASE;
  SPI_CR1(s) = MASTER | SPI_CR1_SPE;
  cs(GPIOB, CS_PIN, 1);
  uint32_t a = xfer(s, 0x80 | 0x0F);
  uint32_t id = xfer(s, 0);
  cs(GPIOB, CS_PIN, 0);
  check_eq("command byte: MISO high", a, 0xFF);
  check_eq("device id register (0x5A, or 0xFF without the device)", id, dev(DEVICE_ID));
  cs(GPIOB, CS_PIN, 1);
  static const uint8_t write[] = {0x10, 0x11, 0x22, 0x33};
  for (unsigned i = 0; i < sizeof write; i++) (void)xfer(s, write[i]);
  cs(GPIOB, CS_PIN, 0);
  cs(GPIOB, CS_PIN, 1);
  (void)xfer(s, 0x90);
  uint32_t r0 = xfer(s, 0), r1 = xfer(s, 0), r2 = xfer(s, 0);
  cs(GPIOB, CS_PIN, 0);
  check_eq("register 0x10 read back", r0, dev(0x11));
  check_eq("register 0x11 read back", r1, dev(0x22));
  check_eq("register 0x12 read back", r2, dev(0x33));
  SPI_CR1(s) = MASTER;
}

static volatile uint8_t irq_tx[6], irq_rx[6];
static volatile uint32_t irq_sent, irq_got, irq_done, irq_calls;

static void spi2_handler(void) {
  uint32_t s = SPI2_BASE;
  uint32_t sr = SPI_SR(s);
  irq_calls++;
  if (sr & SPI_SR_RXNE) {
    irq_rx[irq_got++] = (uint8_t)SPI_DR(s);
    if (irq_got == sizeof irq_rx) {
      SPI_CR2(s) &= ~(SPI_CR2_RXNEIE | SPI_CR2_TXEIE);
      irq_done = 1;
    }
  }
  if ((SPI_CR2(s) & SPI_CR2_TXEIE) && (sr & SPI_SR_TXE)) {
    SPI_DR(s) = irq_tx[irq_sent++];
    if (irq_sent == sizeof irq_tx) SPI_CR2(s) &= ~SPI_CR2_TXEIE;
  }
  dsb_isb();
}

static void interrupts(void) {
  uint32_t s = SPI2_BASE;
  static const uint8_t out[6] = {0x8F, 0, 0, 0, 0, 0}; /* read 0x0F.. 0x13 */
  memcpy((void *)irq_tx, out, sizeof out);
  periph_irq_setup(IRQ_SPI2, 0x80, spi2_handler);
  SPI_CR1(s) = MASTER | SPI_CR1_SPE;
  cs(GPIOB, CS_PIN, 1);
  uint32_t start = DWT_CYCCNT;
  SPI_CR2(s) = SPI_CR2_RXNEIE | SPI_CR2_TXEIE;
  irq_disable();
  while (!irq_done) {
    __asm volatile("wfi");
    irq_enable();
    irq_disable();
  }
  irq_enable();
  uint32_t took = DWT_CYCCNT - start;
  cs(GPIOB, CS_PIN, 0);
  printf("interrupts: 6 bytes in %lu cycles, %lu interrupts\n", (unsigned long)took,
         (unsigned long)irq_calls);
  check_range("6 frames back to back (at least)", took, 6 * 64, 6 * 64 + 400);
  const uint8_t want[6] = {0xFF, (uint8_t)dev(DEVICE_ID), (uint8_t)dev(0x11), (uint8_t)dev(0x22),
                           (uint8_t)dev(0x33), (uint8_t)dev(0)};
  check("interrupt-driven exchange", memcmp((const void *)irq_rx, want, sizeof want) == 0);
  for (unsigned i = 0; i < sizeof want; i++) printf(" %02x", irq_rx[i]);
  printf("\n");
  NVIC_ICER(IRQ_SPI2 / 32) = 1u << (IRQ_SPI2 % 32);
  SPI_CR1(s) = MASTER;
}

static uint8_t dma_out[4], dma_in[4];

/* One chip-select period of `n` bytes through DMA1 stream 4 (TX) and stream 3 (RX). */
static uint32_t dma_exchange(unsigned n) {
  uint32_t s = SPI2_BASE;
  memset(dma_in, 0x55, sizeof dma_in);
  DMA_SPAR(3) = (uint32_t)&SPI_DR(s);
  DMA_SM0AR(3) = (uint32_t)dma_in;
  DMA_SNDTR(3) = n;
  DMA_SCR(3) = DMA_CR_MINC | DMA_CR_EN; /* channel 0, peripheral to memory */
  DMA_SPAR(4) = (uint32_t)&SPI_DR(s);
  DMA_SM0AR(4) = (uint32_t)dma_out;
  DMA_SNDTR(4) = n;
  DMA_SCR(4) = DMA_CR_DIR_M2P | DMA_CR_MINC | DMA_CR_EN;
  cs(GPIOB, CS_PIN, 1);
  uint32_t start = DWT_CYCCNT;
  SPI_CR2(s) = SPI_CR2_RXDMAEN | SPI_CR2_TXDMAEN;
  while (!(DMA_LISR & DMA_TCIF3)) {
  }
  uint32_t took = DWT_CYCCNT - start;
  cs(GPIOB, CS_PIN, 0);
  check("tx stream done too", DMA_HISR & DMA_TCIF4);
  DMA_LIFCR = DMA_TCIF3;
  DMA_HIFCR = DMA_TCIF4;
  SPI_CR2(s) = 0;
  return took;
}

static void dma(void) {
  uint32_t s = SPI2_BASE;
  SPI_CR1(s) = MASTER | SPI_CR1_SPE;
  /* Write registers 0x14-0x16: the device answers 0xFF throughout. */
  static const uint8_t write[4] = {0x14, 0xA1, 0xB2, 0xC3};
  memcpy(dma_out, write, sizeof write);
  uint32_t took = dma_exchange(4);
  printf("dma: 4 bytes in %lu cycles\n", (unsigned long)took);
  check_range("4 frames back to back", took, 4 * 64, 4 * 64 + 60);
  const uint8_t ff[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  check("dma write: 0xFF back", memcmp(dma_in, ff, sizeof ff) == 0);
  /* Read them back. */
  static const uint8_t read[4] = {0x94, 0, 0, 0};
  memcpy(dma_out, read, sizeof read);
  (void)dma_exchange(4);
  check_eq("dma read: command byte", dma_in[0], 0xFF);
  check_eq("dma read: register 0x14", dma_in[1], dev(0xA1));
  check_eq("dma read: register 0x15", dma_in[2], dev(0xB2));
  check_eq("dma read: register 0x16", dma_in[3], dev(0xC3));
  SPI_CR1(s) = MASTER;
}

int main(int argc, char *argv[]) {
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], "devices") == 0) devices = 1;
  printf("periph_spi: %s\n", devices ? "test device on SPI2 (PB12)" : "nothing on SPI2");
  RCC_AHB1ENR |= (1u << GPIOB) | (1u << GPIOE) | (1u << 21); /* GPIOB, GPIOE, DMA1 */
  RCC_APB1ENR |= (1u << 14) | (1u << 15);                     /* SPI2EN, SPI3EN */
  RCC_APB2ENR |= 1u << 12;                                    /* SPI1EN */
  dsb_isb();
  cyccnt_start();
  output_high(GPIOB, CS_PIN);

  reset_values();
  polled_empty_bus();
  errors();
  crc();
  accelerometer();
  polled_device();
  interrupts();
  dma();
  return periph_finish();
}
