/* RNG, CRC, PWR and the chip identity (DBGMCU IDCODE, flash size, unique ID). */
#include "stm32f4.h"

static uint32_t rng_read(void) {
  int spins = 0;
  while (!(RNG_SR & 1u) && spins < 100000) spins++;
  return RNG_DR;
}

int main(void) {
  /* CRC-32, polynomial 0x04C11DB7, words MSB first: ST's reference value for 0x12345678. */
  RCC_AHB1ENR |= 1u << 12;
  CRC_CR = 1;
  check_eq("CRC DR after reset", CRC_DR, 0xFFFFFFFFu);
  CRC_DR = 0x12345678u;
  check_eq("CRC of 0x12345678", CRC_DR, 0xDF8A8A2Bu);
  /* "12345678" as two big-endian words; CRC-32/MPEG-2 of those 8 bytes. */
  CRC_CR = 1;
  CRC_DR = 0x31323334u;
  CRC_DR = 0x35363738u;
  uint32_t c = 0xFFFFFFFFu;
  const char *s = "12345678";
  for (int i = 0; i < 8; i++) {
    c ^= (uint32_t)(unsigned char)s[i] << 24;
    for (int k = 0; k < 8; k++) c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
  }
  check_eq("CRC matches a bitwise reference", CRC_DR, c);
  CRC_IDR = 0x1AB;
  check_eq("CRC IDR is 8-bit", CRC_IDR, 0xAB);

  /* RNG */
  RCC_AHB2ENR |= 1u << 6;
  check_eq("RNG SR before enable", RNG_SR, 0);
  RNG_CR = 1u << 2;
  uint32_t a = rng_read();
  uint32_t b = rng_read();
  uint32_t d = rng_read();
  check("RNG delivers data", a != 0 && b != 0 && d != 0);
  check("RNG words differ", a != b && b != d && a != d);
  check_eq("RNG: no seed or clock error", RNG_SR & 0x66u, 0);
  printf("rng: %08lx %08lx %08lx\n", (unsigned long)a, (unsigned long)b, (unsigned long)d);

  /* Identity */
  check_eq("DBGMCU DEV_ID 0x413 (STM32F407)", DBGMCU_IDCODE & 0xFFF, 0x413);
  check_eq("DBGMCU IDCODE", DBGMCU_IDCODE, 0x10076413u);
  check_eq("flash size 1024 KB", FLASH_SIZE_KB, 1024);
  check("unique ID is programmed", UID(0) != 0xFFFFFFFFu && UID(1) != 0xFFFFFFFFu);
  printf("uid: %08lx %08lx %08lx\n", (unsigned long)UID(0), (unsigned long)UID(1),
         (unsigned long)UID(2));

  /* PWR */
  check_eq("PWR_CSR reset (no PLL)", PWR_CSR, 0);
  PWR_CR |= 1u << 8; /* DBP */
  check_eq("PWR_CR DBP", PWR_CR, 0x4100);
  return periph_finish();
}
