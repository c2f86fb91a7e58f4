/*
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), table driven, over a 16 KB buffer of
 * pseudo-random bytes, many passes; each pass feeds its CRC back into the buffer. Prints the
 * standard check value and the final CRC.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BUF_SIZE 16384
#define PASSES 900

static uint32_t table[256];
static uint8_t buf[BUF_SIZE];

static void make_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n) {
  crc = ~crc;
  while (n--) crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

int main(void) {
  uint32_t x = 2463534242u, crc = 0;
  make_table();
  uint32_t check = crc32_update(0, (const uint8_t *)"123456789", 9);
  printf("crc32 check value 0x%08lx (%s)\n", (unsigned long)check,
         check == 0xCBF43926u ? "ok" : "WRONG");
  for (size_t i = 0; i < BUF_SIZE; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (uint8_t)(x >> 24);
  }
  for (uint32_t pass = 0; pass < PASSES; pass++) {
    crc = crc32_update(crc, buf, BUF_SIZE);
    memcpy(&buf[(pass * 4) % BUF_SIZE], &crc, sizeof crc);
  }
  printf("crc32 %d passes x %d bytes: 0x%08lx\n", PASSES, BUF_SIZE, (unsigned long)crc);
  return check == 0xCBF43926u ? 0 : 1;
}
