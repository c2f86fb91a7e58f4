/*
 * Watchdogs (RM0090 §21 IWDG, §22 WWDG): each one resets the chip, and the program carries on
 * after the reset, telling the starts apart by the RCC_CSR reset flags and a phase word in the
 * backup SRAM (kept across system resets).
 *  1. power-on: IWDG at LSI/4 with RLR 99 (100 ticks = 12.5 ms = 200000 cycles at 16 MHz),
 *     refreshed five times, then left to expire; the main loop keeps stamping DWT_CYCCNT into
 *     the backup SRAM so the next start can check when the reset came.
 *  2. after the IWDG reset (IWDGRSTF): WWDG with EWI at WDGTB /8, refreshed a few times, then
 *     left to run down: the EWI interrupt at 0x40, the reset at 0x3F.
 *  3. after the WWDG reset (WWDGRSTF): a refresh above the window (W = 0x50) resets at once.
 *  4. after that reset (WWDGRSTF again): done.
 * Runs on f4emu only (see stm32f4.h).
 */
#include "stm32f4.h"

#define IWDG_KR REG32(0x40003000u)
#define IWDG_PR REG32(0x40003004u)
#define IWDG_RLR REG32(0x40003008u)
#define IWDG_SR REG32(0x4000300Cu)
#define WWDG_CR REG32(0x40002C00u)
#define WWDG_CFR REG32(0x40002C04u)
#define WWDG_SR REG32(0x40002C08u)
#define WWDG_CR_WDGA (1u << 7)
#define WWDG_CFR_EWI (1u << 9)
#define WWDG_CFR_WDGTB(n) ((uint32_t)(n) << 7)
#define IRQ_WWDG 0
#define RCC_CSR_LSION (1u << 0)
#define RCC_CSR_LSIRDY (1u << 1)
#define RCC_CSR_IWDGRSTF (1u << 29)
#define RCC_CSR_WWDGRSTF (1u << 30)
#define RCC_CSR_FLAGS 0xFE000000u

/* Backup SRAM (RM0090 §5.1.2): phase, last CYCCNT stamp, last reload stamp, EWI count. */
#define BKPSRAM ((volatile uint32_t *)0x40024000u)
#define MAGIC 0x57D60000u
#define PHASE BKPSRAM[0]
#define STAMP BKPSRAM[1]
#define RELOADED BKPSRAM[2]
#define EWI_SEEN BKPSRAM[3]
#define EWI_COUNTER BKPSRAM[4]
#define AFTER_EARLY BKPSRAM[5]

void Default_IRQHandler(void) {
  if (get_ipsr() == 16 + IRQ_WWDG) {
    EWI_COUNTER = WWDG_CR & 0x7Fu;
    EWI_SEEN++;
    WWDG_SR = 0; /* EWIF: rc_w0. No refresh: the reset follows at 0x3F. */
    return;
  }
  printf("FAIL unexpected interrupt %lu\n", (unsigned long)(get_ipsr() - 16));
  periph_failures++;
  for (;;) {
  }
}

static void wait_cycles(uint32_t n) {
  uint32_t start = DWT_CYCCNT;
  while (DWT_CYCCNT - start < n) {
  }
}

static void backup_access(void) {
  RCC_APB1ENR |= 1u << 28;  /* PWREN */
  RCC_AHB1ENR |= 1u << 18;  /* BKPSRAMEN */
  PWR_CR |= 1u << 8;        /* DBP */
  dsb_isb();
}

static void iwdg_phase(void) {
  uint32_t csr = RCC_CSR;
  check("power-on start", (csr & RCC_CSR_PORRSTF) != 0);
  check_eq("LSI off at reset", csr & (RCC_CSR_LSION | RCC_CSR_LSIRDY), 0);
  check_eq("IWDG RLR reset", IWDG_RLR, 0xFFF);
  IWDG_PR = 6;
  check_eq("PR protected before 0x5555", IWDG_PR, 0);
  IWDG_KR = 0x5555;
  IWDG_PR = 0; /* /4: 8 kHz */
  IWDG_RLR = 99;
  check_eq("RLR written after 0x5555", IWDG_RLR, 99);
  while (IWDG_SR) {
  }
  RCC_CSR |= RCC_CSR_RMVF;
  cyccnt_start();
  IWDG_KR = 0xCCCC;
  RELOADED = DWT_CYCCNT;
  check_eq("starting the IWDG starts the LSI", RCC_CSR & 3u, RCC_CSR_LSION | RCC_CSR_LSIRDY);
  for (int i = 0; i < 5; i++) {
    wait_cycles(150000); /* 3/4 of the timeout */
    IWDG_KR = 0xAAAA;
    RELOADED = DWT_CYCCNT;
  }
  check("five refreshes kept the chip running (750000 cycles > timeout)", 1);
  if (periph_failures) {
    periph_finish();
    for (;;) { /* the IWDG resets; the next start sees PHASE unchanged and fails */
    }
  }
  PHASE = MAGIC | 1;
  fflush(stdout);
  for (;;) STAMP = DWT_CYCCNT;
}

static void wwdg_phase(void) {
  uint32_t csr = RCC_CSR;
  check_eq("after the IWDG reset: IWDGRSTF | PINRSTF", csr & RCC_CSR_FLAGS,
           RCC_CSR_IWDGRSTF | RCC_CSR_PINRSTF);
  check_range("IWDG reset 200000 cycles after the last refresh", STAMP - RELOADED, 199000,
              200001);
  RCC_CSR |= RCC_CSR_RMVF;
  RCC_APB1ENR |= 1u << 11; /* WWDGEN */
  check_eq("WWDG CFR reset", WWDG_CFR, 0x7F);
  EWI_SEEN = 0;
  PHASE = MAGIC | 2;
  periph_irq_setup(IRQ_WWDG, 0x80, Default_IRQHandler);
  /* WDGTB /8: one tick per 32768 PCLK1 cycles (2.048 ms at 16 MHz); 0x7F -> 0x40 = 129 ms. */
  WWDG_CFR = WWDG_CFR_EWI | WWDG_CFR_WDGTB(3) | 0x7F;
  WWDG_CR = WWDG_CR_WDGA | 0x7F;
  check_eq("WDGA set", WWDG_CR & WWDG_CR_WDGA, WWDG_CR_WDGA);
  cyccnt_start();
  for (int i = 0; i < 3; i++) {
    wait_cycles(32768 * 50);
    check_range("counter ran down 50 ticks", WWDG_CR & 0x7Fu, 0x7F - 50, 0x7F - 49);
    WWDG_CR = 0x7F; /* refresh (W = 0x7F: always inside the window) */
  }
  check_eq("no EWI while refreshed", EWI_SEEN, 0);
  if (periph_failures) PHASE = MAGIC | 0xFF;
  fflush(stdout);
  for (;;) __asm volatile("wfi");
}

static void window_phase(void) {
  uint32_t csr = RCC_CSR;
  check_eq("after the WWDG reset: WWDGRSTF | PINRSTF", csr & RCC_CSR_FLAGS,
           RCC_CSR_WWDGRSTF | RCC_CSR_PINRSTF);
  check_eq("one EWI interrupt before the reset", EWI_SEEN, 1);
  check_eq("EWI at counter 0x40", EWI_COUNTER, 0x40);
  check_eq("WWDG disabled after the reset", WWDG_CR & WWDG_CR_WDGA, 0);
  RCC_CSR |= RCC_CSR_RMVF;
  AFTER_EARLY = 0;
  PHASE = MAGIC | 3;
  if (periph_failures) PHASE = MAGIC | 0xFF;
  fflush(stdout);
  WWDG_CFR = WWDG_CFR_WDGTB(3) | 0x50;
  WWDG_CR = WWDG_CR_WDGA | 0x7F;
  WWDG_CR = WWDG_CR_WDGA | 0x7F; /* counter 0x7F > W: too early, reset */
  __asm volatile("dsb\n\tisb" ::: "memory");
  AFTER_EARLY = 1;
  for (;;) {
  }
}

int main(void) {
  backup_access();
  uint32_t csr = RCC_CSR;
  uint32_t phase = PHASE;
  if (csr & RCC_CSR_PORRSTF) {
    iwdg_phase();
  } else if (phase == (MAGIC | 1)) {
    wwdg_phase();
  } else if (phase == (MAGIC | 2)) {
    window_phase();
  } else if (phase == (MAGIC | 3)) {
    check_eq("early refresh: WWDGRSTF | PINRSTF", csr & RCC_CSR_FLAGS,
             RCC_CSR_WWDGRSTF | RCC_CSR_PINRSTF);
    check_eq("reset at the early refresh itself", AFTER_EARLY, 0);
  } else {
    check_eq("unexpected start (phase)", phase, MAGIC | 3);
  }
  return periph_finish();
}
