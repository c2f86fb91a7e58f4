/*
 * newlib's single-precision libm on the hardware FPU (-mfloat-abi=hard): results printed as raw
 * bits, so the output must be byte-identical under f4emu and QEMU. Inputs sweep each function's
 * interesting range plus edge values (zeros, subnormals, infinities, NaN, huge arguments).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* A fixed pseudo-random sequence (xorshift32). */
static uint32_t state = 2463534242u;
static uint32_t next(void) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

static const uint32_t EDGES[] = {
    0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x3f800000, 0xbf800000,
    0x3f000000, 0x40490fdb, 0xc0490fdb, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000,
    0x7fc00000, 0x7f800001, 0x4b000000, 0x42b17218, 0xc2cff1b5, 0x38d1b717,
};
#define NEDGES (sizeof EDGES / sizeof EDGES[0])

/* Inputs: the edges, then uniform values in [lo, hi), then random bit patterns. */
static float input(unsigned i, float lo, float hi) {
  if (i < NEDGES) return from_bits(EDGES[i]);
  if (i < 400) return lo + (hi - lo) * (float)(next() & 0xffffff) / 16777216.0f;
  return from_bits(next());
}

#define N 600

typedef float (*unary)(float);

static uint32_t run1(const char *name, unary f, float lo, float hi) {
  uint32_t sum = 0;
  printf("%s:", name);
  for (unsigned i = 0; i < N; i++) {
    uint32_t r = bits(f(input(i, lo, hi)));
    sum = sum * 31 + r;
    if (i < 24) printf(" %08lx", (unsigned long)r);
  }
  printf(" ... sum %08lx\n", (unsigned long)sum);
  return sum;
}

int main(void) {
  run1("sinf", sinf, -10.0f, 10.0f);
  run1("cosf", cosf, -10.0f, 10.0f);
  run1("tanf", tanf, -3.0f, 3.0f);
  run1("expf", expf, -90.0f, 90.0f);
  run1("logf", logf, 0.0f, 1000.0f);
  run1("sqrtf", sqrtf, 0.0f, 1e6f);
  run1("atanf", atanf, -100.0f, 100.0f);
  run1("asinf", asinf, -1.0f, 1.0f);
  run1("sinhf", sinhf, -20.0f, 20.0f);
  run1("cbrtf", cbrtf, -1e6f, 1e6f);
  uint32_t sum = 0;
  for (unsigned i = 0; i < N; i++) {
    float x = input(i, -10.0f, 10.0f), y = input((i * 7) % N, -10.0f, 10.0f);
    float z = input((i * 13) % N, -100.0f, 100.0f);
    sum = sum * 31 + bits(powf(x < 0 ? -x : x, y));
    sum = sum * 31 + bits(atan2f(x, y));
    sum = sum * 31 + bits(fmaf(x, y, z));
    sum = sum * 31 + bits(fmodf(x, y));
    sum = sum * 31 + bits(hypotf(x, y));
  }
  printf("powf/atan2f/fmaf/fmodf/hypotf: sum %08lx\n", (unsigned long)sum);
  return 0;
}
