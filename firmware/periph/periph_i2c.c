/*
 * I2C1 on the STM32F407 (RM0090 section 27) at 100 kHz from the 16 MHz HSI (PCLK1 = 16 MHz:
 * CCR 80, an SCL period of 160 cycles, a byte with its acknowledge bit 1440), on the board's
 * PB6 (SCL) / PB9 (SDA), driven as a driver does:
 *  - reset values; polled: START gives SB one SCL period later; the CS43L22's address 0x4A
 *    (0x94), which f4emu does not model (its address NACKs, as with the chip held in reset),
 *    gives AF nine SCL periods after the address write; STOP ends with BUSY and MSL clear;
 *  - interrupt-driven: the same address with ITEVTEN/ITERREN: the event interrupt for SB, the
 *    error interrupt for AF;
 *  - the memory device at 0x50 that test/peripherals-firmware.test.ts attaches (with "devices"
 *    on the command line): a polled write of an address byte and data, reads back by the
 *    RM0090 1-byte, 2-byte (POS) and N-byte procedures, an interrupt-driven write and read, and
 *    DMA1 transfers (stream 6 channel 1 TX; stream 0 channel 1 RX with LAST NACKing the last
 *    byte). Without "devices", address 0x50 gives AF.
 * Runs on f4emu only.
 */
#include <stdio.h>
#include <string.h>

#include "stm32f4.h"

/* I2C (RM0090 §27.6) */
#define I2C1_BASE 0x40005400u
#define I2C_CR1 REG32(I2C1_BASE + 0x00)
#define I2C_CR2 REG32(I2C1_BASE + 0x04)
#define I2C_OAR1 REG32(I2C1_BASE + 0x08)
#define I2C_DR REG32(I2C1_BASE + 0x10)
#define I2C_SR1 REG32(I2C1_BASE + 0x14)
#define I2C_SR2 REG32(I2C1_BASE + 0x18)
#define I2C_CCR REG32(I2C1_BASE + 0x1C)
#define I2C_TRISE REG32(I2C1_BASE + 0x20)
#define CR1_PE (1u << 0)
#define CR1_START (1u << 8)
#define CR1_STOP (1u << 9)
#define CR1_ACK (1u << 10)
#define CR1_POS (1u << 11)
#define CR2_ITERREN (1u << 8)
#define CR2_ITEVTEN (1u << 9)
#define CR2_ITBUFEN (1u << 10)
#define CR2_DMAEN (1u << 11)
#define CR2_LAST (1u << 12)
#define SR1_SB (1u << 0)
#define SR1_ADDR (1u << 1)
#define SR1_BTF (1u << 2)
#define SR1_RXNE (1u << 6)
#define SR1_TXE (1u << 7)
#define SR1_AF (1u << 10)
#define SR2_MSL (1u << 0)
#define SR2_BUSY (1u << 1)
#define SR2_TRA (1u << 2)
#define IRQ_I2C1_EV 31
#define IRQ_I2C1_ER 32
#define FREQ_MHZ 16
#define SCL 160u
#define BYTE (9 * SCL)

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
#define DMA_CR_CHSEL(c) ((uint32_t)(c) << 25)
#define DMA_TCIF0 (1u << 5)
#define DMA_TCIF6 (1u << 21)

#define CODEC 0x4A  /* CS43L22: no model */
#define MEMORY 0x50 /* the test's memory device */

static int devices;

/* Spins until SR1 has a bit of `mask`; 0 after a bounded wait (a FAIL, not a hang). */
static uint32_t wait_sr1(uint32_t mask) {
  for (uint32_t i = 0; i < 200000; i++) {
    uint32_t sr1 = I2C_SR1;
    if (sr1 & mask) return sr1;
  }
  return 0;
}

static void wait_stop(void) {
  for (uint32_t i = 0; i < 200000 && (I2C_CR1 & CR1_STOP); i++) {
  }
  for (uint32_t i = 0; i < 200000 && (I2C_SR2 & SR2_BUSY); i++) {
  }
}

/* START (or a repeated start), then the address byte: 1 when ACKed (ADDR set, not cleared). */
static int address(uint8_t addr8, uint32_t cr1_extra) {
  I2C_CR1 = CR1_PE | CR1_START | cr1_extra;
  if (!wait_sr1(SR1_SB)) return 0;
  I2C_DR = addr8;
  return (wait_sr1(SR1_ADDR | SR1_AF) & SR1_ADDR) != 0;
}

static void stop(void) {
  I2C_SR1 = 0; /* clears AF if set */
  I2C_CR1 |= CR1_STOP;
  wait_stop();
}

static void reset_values(void) {
  check_eq("CR1 reset", I2C_CR1, 0);
  check_eq("SR1 reset", I2C_SR1, 0);
  check_eq("SR2 reset", I2C_SR2, 0);
  check_eq("TRISE reset", I2C_TRISE, 2);
  check_eq("CCR reset", I2C_CCR, 0);
}

static void setup(void) {
  /* PB6 SCL, PB9 SDA: alternate function 4, open drain (RM0090 §8.4, the datasheet's AF table). */
  GPIO_AFRL(GPIOB) = (GPIO_AFRL(GPIOB) & ~(0xFu << 24)) | (4u << 24);
  GPIO_AFRH(GPIOB) = (GPIO_AFRH(GPIOB) & ~(0xFu << 4)) | (4u << 4);
  GPIO_OTYPER(GPIOB) |= (1u << 6) | (1u << 9);
  GPIO_MODER(GPIOB) = (GPIO_MODER(GPIOB) & ~((3u << 12) | (3u << 18))) | (2u << 12) | (2u << 18);
  I2C_CR1 = 0;
  I2C_CR2 = FREQ_MHZ;
  I2C_CCR = 80;            /* standard mode, 100 kHz */
  I2C_TRISE = FREQ_MHZ + 1;
  I2C_OAR1 = 1u << 14;     /* bit 14 kept at 1 */
  I2C_CR1 = CR1_PE;
}

static void polled_nack(void) {
  uint32_t start = DWT_CYCCNT;
  I2C_CR1 = CR1_PE | CR1_START;
  uint32_t sr1 = wait_sr1(SR1_SB);
  uint32_t took = DWT_CYCCNT - start;
  check_eq("sb", sr1 & SR1_SB, SR1_SB);
  check_eq("master, busy", I2C_SR2 & (SR2_MSL | SR2_BUSY), SR2_MSL | SR2_BUSY);
  check_range("start condition: one SCL period", took, SCL, SCL + 40);
  check_eq("start cleared by hardware", I2C_CR1 & CR1_START, 0);
  start = DWT_CYCCNT;
  I2C_DR = CODEC << 1;
  sr1 = wait_sr1(SR1_ADDR | SR1_AF);
  took = DWT_CYCCNT - start;
  printf("address 0x%02x: SR1 0x%04lx after %lu cycles\n", CODEC, (unsigned long)sr1,
         (unsigned long)took);
  check_eq("CS43L22 address (no model): AF, no ADDR", sr1 & (SR1_AF | SR1_ADDR), SR1_AF);
  check_range("after nine SCL periods", took, BYTE, BYTE + 40);
  I2C_SR1 = ~SR1_AF;
  check_eq("af cleared by writing 0", I2C_SR1 & SR1_AF, 0);
  start = DWT_CYCCNT;
  I2C_CR1 |= CR1_STOP;
  wait_stop();
  took = DWT_CYCCNT - start;
  check_eq("stop: not busy, not master", I2C_SR2 & (SR2_MSL | SR2_BUSY), 0);
  check_range("stop condition: one SCL period", took, SCL, SCL + 60);
}

static volatile uint32_t ev_calls, er_calls, er_sr1, done;

static void nack_ev(void) {
  uint32_t sr1 = I2C_SR1;
  ev_calls++;
  if (sr1 & SR1_SB) I2C_DR = CODEC << 1;
  dsb_isb();
}

static void nack_er(void) {
  er_sr1 = I2C_SR1;
  er_calls++;
  I2C_SR1 = 0;
  I2C_CR1 |= CR1_STOP;
  I2C_CR2 &= ~(CR2_ITEVTEN | CR2_ITERREN);
  done = 1;
  dsb_isb();
}

static void wait_done(void) {
  irq_disable();
  for (uint32_t i = 0; i < 100000 && !done; i++) {
    __asm volatile("wfi");
    irq_enable();
    irq_disable();
  }
  irq_enable();
}

static void interrupt_nack(void) {
  periph_irq_setup(IRQ_I2C1_EV, 0x80, nack_ev);
  periph_irq_setup(IRQ_I2C1_ER, 0x80, nack_er);
  done = 0;
  I2C_CR2 = FREQ_MHZ | CR2_ITEVTEN | CR2_ITERREN;
  I2C_CR1 = CR1_PE | CR1_START;
  wait_done();
  wait_stop();
  check_eq("event interrupt for SB", ev_calls, 1);
  check_eq("error interrupt for AF", er_calls, 1);
  check_eq("sr1 in the error handler", er_sr1 & (SR1_AF | SR1_ADDR), SR1_AF);
  I2C_CR2 = FREQ_MHZ;
}

/* Polled write of the memory address `at` and `n` bytes. */
static int write_bytes(uint8_t at, const uint8_t *data, unsigned n) {
  if (!address(MEMORY << 1, 0)) {
    stop();
    return 0;
  }
  uint32_t sr1 = I2C_SR1;
  uint32_t sr2 = I2C_SR2;
  check_eq("write: ADDR with TxE", sr1 & (SR1_ADDR | SR1_TXE), SR1_ADDR | SR1_TXE);
  check_eq("write: transmitter", sr2 & (SR2_TRA | SR2_MSL | SR2_BUSY),
           SR2_TRA | SR2_MSL | SR2_BUSY);
  I2C_DR = at;
  for (unsigned i = 0; i < n; i++) {
    wait_sr1(SR1_TXE);
    I2C_DR = data[i];
  }
  wait_sr1(SR1_BTF);
  stop();
  return 1;
}

/* Sets the memory address (a write of one byte, no stop), then a repeated start to read. */
static int start_read(uint8_t at, uint32_t ack) {
  if (!address(MEMORY << 1, 0)) {
    stop();
    return 0;
  }
  (void)I2C_SR2;
  I2C_DR = at;
  wait_sr1(SR1_BTF);
  return address((MEMORY << 1) | 1, ack);
}

static void read_1(uint8_t at, uint8_t *out) {
  if (!start_read(at, CR1_ACK)) return;
  I2C_CR1 &= ~CR1_ACK; /* NACK the only byte: before ADDR clears */
  (void)I2C_SR2;
  I2C_CR1 |= CR1_STOP;
  wait_sr1(SR1_RXNE);
  out[0] = (uint8_t)I2C_DR;
  wait_stop();
}

static void read_2(uint8_t at, uint8_t *out) {
  if (!start_read(at, CR1_ACK)) return;
  I2C_CR1 = (I2C_CR1 & ~CR1_ACK) | CR1_POS; /* the NACK goes to the second byte */
  (void)I2C_SR2;
  wait_sr1(SR1_BTF);
  I2C_CR1 |= CR1_STOP;
  out[0] = (uint8_t)I2C_DR;
  out[1] = (uint8_t)I2C_DR;
  I2C_CR1 &= ~CR1_POS;
  wait_stop();
}

static void read_n(uint8_t at, uint8_t *out, unsigned n) {
  if (!start_read(at, CR1_ACK)) return;
  (void)I2C_SR2;
  unsigned i = 0;
  while (n - i > 3) {
    wait_sr1(SR1_RXNE);
    out[i++] = (uint8_t)I2C_DR;
  }
  wait_sr1(SR1_BTF); /* N-2 in DR, N-1 in the shift register */
  I2C_CR1 &= ~CR1_ACK;
  out[i++] = (uint8_t)I2C_DR;
  wait_sr1(SR1_BTF); /* N-1 in DR, N in the shift register */
  I2C_CR1 |= CR1_STOP;
  out[i++] = (uint8_t)I2C_DR;
  out[i++] = (uint8_t)I2C_DR;
  wait_stop();
}

static void polled_memory(void) {
  static const uint8_t data[6] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5};
  int acked = write_bytes(0x30, data, sizeof data);
  check_eq(devices ? "memory at 0x50 ACKs" : "nothing at 0x50: AF", acked, devices);
  if (!devices) return;
  uint8_t one[1] = {0}, two[2] = {0}, five[5] = {0};
  read_1(0x32, one);
  check_eq("1-byte read", one[0], 0xD2);
  read_2(0x30, two);
  check_eq("2-byte read (POS): first", two[0], 0xD0);
  check_eq("2-byte read (POS): second", two[1], 0xD1);
  read_n(0x31, five, 5);
  check("5-byte read", memcmp(five, data + 1, 5) == 0);
  check_eq("bus released", I2C_SR2 & (SR2_BUSY | SR2_MSL), 0);
}

/* Interrupt-driven transfer in the shape of NuttX's driver: SB, ADDR, TxE/RxNE/BTF events. */
static volatile uint8_t *isr_ptr;
static volatile uint32_t isr_left, isr_read;
static volatile uint8_t isr_addr;

static void transfer_ev(void) {
  uint32_t sr1 = I2C_SR1;
  ev_calls++;
  if (sr1 & SR1_SB) {
    I2C_DR = isr_addr;
  } else if (sr1 & SR1_ADDR) {
    if (isr_read && isr_left == 1) I2C_CR1 &= ~CR1_ACK;
    (void)I2C_SR2;
    if (isr_read && isr_left == 1) I2C_CR1 |= CR1_STOP;
    if (isr_read && isr_left <= 3) I2C_CR2 &= ~CR2_ITBUFEN; /* the last three by BTF */
  } else if (!isr_read && (sr1 & (SR1_TXE | SR1_BTF))) {
    if (isr_left > 0) {
      I2C_DR = *isr_ptr++;
      if (--isr_left == 0) I2C_CR2 &= ~CR2_ITBUFEN; /* wait for BTF */
    } else if (sr1 & SR1_BTF) {
      I2C_CR1 |= CR1_STOP;
      I2C_CR2 &= ~(CR2_ITEVTEN | CR2_ITERREN);
      done = 1;
    }
  } else if (isr_read && (sr1 & (SR1_RXNE | SR1_BTF))) {
    if (isr_left == 1) {
      *isr_ptr++ = (uint8_t)I2C_DR;
      isr_left = 0;
    } else if (isr_left == 3 && (sr1 & SR1_BTF)) {
      I2C_CR1 &= ~CR1_ACK;
      *isr_ptr++ = (uint8_t)I2C_DR;
      isr_left = 2;
    } else if (isr_left == 2 && (sr1 & SR1_BTF)) {
      I2C_CR1 |= CR1_STOP;
      *isr_ptr++ = (uint8_t)I2C_DR;
      *isr_ptr++ = (uint8_t)I2C_DR;
      isr_left = 0;
    } else if (isr_left > 3) {
      *isr_ptr++ = (uint8_t)I2C_DR;
      if (--isr_left == 3) I2C_CR2 &= ~CR2_ITBUFEN;
    }
    if (isr_left == 0) {
      I2C_CR2 &= ~(CR2_ITEVTEN | CR2_ITERREN | CR2_ITBUFEN);
      done = 1;
    }
  }
  dsb_isb();
}

static void transfer_er(void) {
  er_sr1 = I2C_SR1;
  er_calls++;
  I2C_SR1 = 0;
  I2C_CR1 |= CR1_STOP;
  I2C_CR2 &= ~(CR2_ITEVTEN | CR2_ITERREN | CR2_ITBUFEN);
  done = 1;
  dsb_isb();
}

static void interrupt_transfer(uint8_t addr8, uint8_t *buf, unsigned n) {
  isr_addr = addr8;
  isr_read = addr8 & 1;
  isr_ptr = buf;
  isr_left = n;
  done = 0;
  ev_calls = er_calls = 0;
  I2C_CR2 = FREQ_MHZ | CR2_ITEVTEN | CR2_ITERREN | CR2_ITBUFEN;
  I2C_CR1 = CR1_PE | CR1_START | CR1_ACK;
  wait_done();
  wait_stop();
}

static void interrupts_memory(void) {
  periph_irq_setup(IRQ_I2C1_EV, 0x80, transfer_ev);
  periph_irq_setup(IRQ_I2C1_ER, 0x80, transfer_er);
  uint8_t out[5] = {0x40, 0xE0, 0xE1, 0xE2, 0xE3}; /* memory address, then data */
  interrupt_transfer(MEMORY << 1, out, sizeof out);
  check_eq(devices ? "interrupt write: no error" : "interrupt write: AF", er_calls, !devices);
  uint8_t at = 0x40;
  interrupt_transfer(MEMORY << 1, &at, 1);
  uint8_t in[4] = {0};
  interrupt_transfer((MEMORY << 1) | 1, in, sizeof in);
  printf("interrupt read: %02x %02x %02x %02x (%lu events)\n", in[0], in[1], in[2], in[3],
         (unsigned long)ev_calls);
  if (devices) check("interrupt read", memcmp(in, out + 1, 4) == 0);
  else check_eq("interrupt read: AF", er_calls, 1);
  check_eq("bus released", I2C_SR2 & (SR2_BUSY | SR2_MSL), 0);
  NVIC_ICER(IRQ_I2C1_EV / 32) = 1u << (IRQ_I2C1_EV % 32);
  NVIC_ICER(IRQ_I2C1_ER / 32) = 1u << (IRQ_I2C1_ER % 32);
}

static uint8_t dma_buf[8];

static void dma_memory(void) {
  static const uint8_t data[8] = {0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77};
  /* Write by DMA1 stream 6 channel 1 (I2C1_TX): the memory address, then 7 bytes. */
  memcpy(dma_buf, data, sizeof data);
  dma_buf[0] = 0x50;
  DMA_SPAR(6) = (uint32_t)&I2C_DR;
  DMA_SM0AR(6) = (uint32_t)dma_buf;
  DMA_SNDTR(6) = sizeof dma_buf;
  DMA_SCR(6) = DMA_CR_CHSEL(1) | DMA_CR_DIR_M2P | DMA_CR_MINC | DMA_CR_EN;
  I2C_CR2 = FREQ_MHZ | CR2_DMAEN;
  uint32_t start = DWT_CYCCNT;
  if (address(MEMORY << 1, 0)) {
    (void)I2C_SR2;
    while (!(DMA_HISR & DMA_TCIF6)) {
    }
    wait_sr1(SR1_BTF);
    uint32_t took = DWT_CYCCNT - start;
    printf("dma write: 8 bytes, BTF after %lu cycles\n", (unsigned long)took);
    check_range("start, address and 8 bytes", took, SCL + 9 * BYTE, SCL + 9 * BYTE + 200);
  }
  stop();
  DMA_HIFCR = DMA_TCIF6;
  DMA_SCR(6) = 0;
  check_eq(devices ? "dma write done" : "dma write: nothing sent", DMA_SNDTR(6), devices ? 0 : 8);
  /* Read 6 bytes back by DMA1 stream 0 channel 1 (I2C1_RX); LAST NACKs the sixth. */
  memset(dma_buf, 0, sizeof dma_buf);
  I2C_CR2 = FREQ_MHZ;
  if (start_read(0x50, CR1_ACK)) {
    DMA_SPAR(0) = (uint32_t)&I2C_DR;
    DMA_SM0AR(0) = (uint32_t)dma_buf;
    DMA_SNDTR(0) = 6;
    DMA_SCR(0) = DMA_CR_CHSEL(1) | DMA_CR_MINC | DMA_CR_EN;
    I2C_CR2 = FREQ_MHZ | CR2_DMAEN | CR2_LAST;
    (void)I2C_SR2;
    while (!(DMA_LISR & DMA_TCIF0)) {
    }
    I2C_CR1 |= CR1_STOP;
    wait_stop();
    DMA_LIFCR = DMA_TCIF0;
    check("dma read with LAST", memcmp(dma_buf, data + 1, 6) == 0);
  } else {
    stop();
    check("dma read: AF", !devices);
  }
  I2C_CR2 = FREQ_MHZ;
}

int main(int argc, char *argv[]) {
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], "devices") == 0) devices = 1;
  printf("periph_i2c: %s\n", devices ? "memory device at 0x50 on I2C1" : "nothing at 0x50");
  RCC_AHB1ENR |= (1u << GPIOB) | (1u << 21); /* GPIOB, DMA1 */
  RCC_APB1ENR |= 1u << 21;                   /* I2C1EN */
  dsb_isb();
  cyccnt_start();
  reset_values();
  setup();
  polled_nack();
  interrupt_nack();
  polled_memory();
  interrupts_memory();
  dma_memory();
  return periph_finish();
}
