/*
 * FLASH interface: unlock, sector erase, word programming, errors, and rewriting code in flash
 * (the emulator must drop its decoded copy of the old instructions). Uses sector 11
 * (0x080E0000, 128 KB), far from the program itself.
 */
#include "stm32f4.h"

#define SECTOR11 0x080E0000u

static void wait_idle(void) {
  while (FLASH_SR & FLASH_SR_BSY) {
  }
}

static void erase_sector(unsigned n) {
  FLASH_CR = FLASH_CR_SER | FLASH_CR_SNB(n) | FLASH_CR_PSIZE_X32;
  FLASH_CR |= FLASH_CR_STRT;
  wait_idle();
  FLASH_CR = 0;
}

static void program16(uint32_t addr, uint16_t v) {
  FLASH_CR = FLASH_CR_PG | FLASH_CR_PSIZE_X16;
  REG16(addr) = v;
  wait_idle();
  FLASH_CR = 0;
}

typedef int (*fn_t)(void);

int main(void) {
  check("locked at reset", (FLASH_CR & FLASH_CR_LOCK) != 0);
  FLASH_KEYR = FLASH_KEY1;
  FLASH_KEYR = FLASH_KEY2;
  check("unlocked by the key sequence", (FLASH_CR & FLASH_CR_LOCK) == 0);

  erase_sector(11);
  uint32_t erased = 1;
  for (uint32_t a = SECTOR11; a < SECTOR11 + 0x20000; a += 0x400) erased &= REG32(a) == 0xFFFFFFFFu;
  check("sector 11 erased", erased);

  FLASH_CR = FLASH_CR_PG | FLASH_CR_PSIZE_X32 | FLASH_CR_EOPIE;
  for (uint32_t i = 0; i < 64; i++) {
    REG32(SECTOR11 + 4 * i) = 0xA5000000u | i;
    wait_idle();
  }
  check("EOP after programming (EOPIE)", (FLASH_SR & FLASH_SR_EOP) != 0);
  FLASH_SR = FLASH_SR_EOP;
  FLASH_CR = 0;
  uint32_t ok = 1;
  for (uint32_t i = 0; i < 64; i++) ok &= REG32(SECTOR11 + 4 * i) == (0xA5000000u | i);
  check("64 words programmed", ok);

  /* Errors: a store without PG, then an access size that does not match PSIZE. */
  REG32(SECTOR11 + 0x400) = 0;
  check("PGSERR on a store without PG", (FLASH_SR & FLASH_SR_PGSERR) != 0);
  FLASH_SR = FLASH_SR_ERRORS;
  FLASH_CR = FLASH_CR_PG | FLASH_CR_PSIZE_X32;
  *(volatile uint8_t *)(SECTOR11 + 0x400) = 0;
  check("PGPERR on a byte store with PSIZE x32", (FLASH_SR & FLASH_SR_PGPERR) != 0);
  FLASH_SR = FLASH_SR_ERRORS;
  FLASH_CR = 0;
  check_eq("nothing written on error", REG32(SECTOR11 + 0x400), 0xFFFFFFFFu);

  /* Code in flash: movs r0, #42; bx lr */
  program16(SECTOR11 + 0x1000, 0x202A);
  program16(SECTOR11 + 0x1002, 0x4770);
  fn_t fn = (fn_t)(SECTOR11 + 0x1000 + 1);
  check_eq("call code programmed into flash", (uint32_t)fn(), 42);
  erase_sector(11);
  program16(SECTOR11 + 0x1000, 0x2007); /* movs r0, #7 */
  program16(SECTOR11 + 0x1002, 0x4770);
  __asm volatile("dsb\n\tisb" ::: "memory");
  check_eq("reprogrammed code runs", (uint32_t)fn(), 7);

  FLASH_CR = FLASH_CR_LOCK;
  check("locked again", (FLASH_CR & FLASH_CR_LOCK) != 0);
  check_eq("OPTCR reset value", FLASH_OPTCR, 0x0FFFAAEDu);
  return periph_finish();
}
