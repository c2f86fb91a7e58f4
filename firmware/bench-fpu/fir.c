/* Float benchmark: a 64-tap FIR filter over a synthetic signal (hard-float, FPv4-SP). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TAPS 64
#define SAMPLES 4096
#define ROUNDS 36

static float taps[TAPS], signal_in[SAMPLES + TAPS], out[SAMPLES];

int main(void) {
  uint32_t seed = 1;
  for (int i = 0; i < TAPS; i++) taps[i] = (float)((i * 37) % 29 - 14) / 64.0f;
  for (int i = 0; i < SAMPLES + TAPS; i++) {
    seed = seed * 1664525u + 1013904223u;
    signal_in[i] = (float)(int32_t)(seed >> 8) / 8388608.0f;
  }
  uint32_t check = 0;
  for (int r = 0; r < ROUNDS; r++) {
    for (int n = 0; n < SAMPLES; n++) {
      float acc = 0.0f;
      for (int k = 0; k < TAPS; k++) acc += taps[k] * signal_in[n + k];
      out[n] = acc;
    }
    signal_in[r] += out[r] * 0.5f;
    uint32_t u;
    memcpy(&u, &out[(r * 97) % SAMPLES], 4);
    check = check * 31 + u;
  }
  printf("fir: %d rounds of %d samples x %d taps, check %08lx\n", ROUNDS, SAMPLES, TAPS,
         (unsigned long)check);
  return 0;
}
