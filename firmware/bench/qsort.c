/*
 * Sorting: newlib's qsort with a comparison function on arrays of pseudo-random 32-bit keys,
 * plus a hand-written insertion sort pass on small runs; each sort is verified and folded into
 * a checksum.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 4096
#define SORTS 50

static uint32_t keys[N];
static uint32_t rng = 0x9E3779B9u;

static uint32_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static int compare_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Small runs sorted by insertion, descending, to exercise a different loop shape. */
static void insertion_sort_desc(uint32_t *a, int n) {
  for (int i = 1; i < n; i++) {
    uint32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] < v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

int main(void) {
  uint32_t checksum = 0;
  int sorted = 1;
  for (int s = 0; s < SORTS; s++) {
    /* Every fourth array has many duplicate keys. */
    uint32_t mask = (s % 4 == 3) ? 0xFFu : 0xFFFFFFFFu;
    for (int i = 0; i < N; i++) keys[i] = next_random() & mask;
    qsort(keys, N, sizeof keys[0], compare_u32);
    for (int i = 1; i < N; i++)
      if (keys[i - 1] > keys[i]) sorted = 0;
    for (int i = 0; i < N; i += 64) insertion_sort_desc(&keys[i], 64);
    for (int i = 0; i < N; i++) checksum = (checksum * 31u) ^ keys[i];
  }
  printf("qsort %d sorts x %d keys: %s, checksum 0x%08lx\n", SORTS, N,
         sorted ? "sorted" : "NOT SORTED", (unsigned long)checksum);
  return sorted ? 0 : 1;
}
