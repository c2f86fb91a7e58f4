/* Float benchmark: 40x40 single-precision matrix multiply, repeated (hard-float, FPv4-SP). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 40
#define ROUNDS 110

static float a[N][N], b[N][N], c[N][N];

int main(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      a[i][j] = (float)((i * 7 + j * 3) % 17) / 8.0f - 1.0f;
      b[i][j] = (float)((i * 5 + j * 11) % 13) / 4.0f - 1.5f;
    }
  uint32_t check = 0;
  for (int r = 0; r < ROUNDS; r++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        float acc = 0.0f;
        for (int k = 0; k < N; k++) acc += a[i][k] * b[k][j];
        c[i][j] = acc;
      }
    a[r % N][(r * 3) % N] = c[(r * 7) % N][(r * 11) % N] / 64.0f;
    uint32_t u;
    memcpy(&u, &c[r % N][(r * 5) % N], 4);
    check = check * 31 + u;
  }
  printf("fmatmul: %d rounds of %dx%d, check %08lx\n", ROUNDS, N, N, (unsigned long)check);
  return 0;
}
