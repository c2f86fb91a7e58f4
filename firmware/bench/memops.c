/*
 * Block memory operations through newlib: memset, memcpy at every source/destination alignment,
 * overlapping memmove both ways, memcmp; a sampled checksum of the buffers after every round.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SIZE 16384
#define ROUNDS 1000

static uint8_t src[SIZE + 8] __attribute__((aligned(8)));
static uint8_t dst[SIZE + 8] __attribute__((aligned(8)));

static uint32_t sample(const uint8_t *p, size_t n, uint32_t h) {
  for (size_t i = 0; i < n; i += 61) h = (h ^ p[i]) * 16777619u;
  return h;
}

int main(void) {
  uint32_t h = 2166136261u, x = 12345;
  int equal_count = 0;
  for (size_t i = 0; i < sizeof src; i++) {
    x = x * 1103515245u + 12345u;
    src[i] = (uint8_t)(x >> 16);
  }
  for (int r = 0; r < ROUNDS; r++) {
    size_t s_off = r & 3, d_off = (r >> 2) & 3;
    size_t len = SIZE - (size_t)(r % 29);
    memset(dst, r & 0xFF, sizeof dst);
    memcpy(dst + d_off, src + s_off, len);
    h = sample(dst, sizeof dst, h);
    memmove(dst + 1 + (r & 7), dst, SIZE / 2); /* overlapping, forward */
    memmove(dst, dst + 3 + (r & 5), SIZE / 2); /* overlapping, backward */
    h = sample(dst, sizeof dst, h);
    memcpy(src + (r & 7), dst + 8, 4096);
    equal_count += memcmp(src + (r & 7), dst + 8, 4096) == 0;
    equal_count += memcmp(src, dst, SIZE) == 0;
    memset(dst + (r & 3), 0, SIZE - 64);
    h = sample(dst, 64, h);
  }
  printf("memops %d rounds over %d bytes: equal %d, checksum 0x%08lx\n", ROUNDS, SIZE,
         equal_count, (unsigned long)h);
  return 0;
}
