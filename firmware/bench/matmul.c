/*
 * Integer matrix multiply: 64x64 int32 matrices, C = A x B, repeatedly, with A rebuilt from C
 * after each product so that every round depends on the last. Wrapping arithmetic throughout.
 */
#include <stdint.h>
#include <stdio.h>

#define N 64
#define ROUNDS 60

static int32_t A[N][N], B[N][N], C[N][N];

static void multiply(void) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) {
      int32_t sum = 0;
      for (int k = 0; k < N; k++) sum += A[i][k] * B[k][j];
      C[i][j] = sum;
    }
  }
}

int main(void) {
  uint32_t checksum = 0;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) {
      A[i][j] = (i * 7 + j * 3) % 17 - 8;
      B[i][j] = (i * 5 - j * 11) % 13 + (i == j ? 3 : 0);
    }
  }
  for (int r = 0; r < ROUNDS; r++) {
    multiply();
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < N; j++) {
        checksum = (checksum << 5 | checksum >> 27) ^ (uint32_t)C[i][j];
        A[i][j] = (C[i][j] >> 7) ^ (i - j);
      }
    }
  }
  printf("matmul %d rounds of %dx%d: C[0][0]=%ld C[%d][%d]=%ld checksum 0x%08lx\n", ROUNDS, N, N,
         (long)C[0][0], N - 1, N - 1, (long)C[N - 1][N - 1], (unsigned long)checksum);
  return 0;
}
