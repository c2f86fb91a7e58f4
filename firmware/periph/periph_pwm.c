/*
 * PWM on the board's LEDs (RM0090 section 18.3.9-18.3.10, section 8.3.12): TIM4 CH1-CH4 drive
 * PD12-PD15 (LD4 green, LD3 orange, LD5 red, LD6 blue) in alternate function 2, in PWM mode 1
 * at 25%, 50%, 75% and 100%, in three counting modes:
 *  - edge-aligned up-counting, ARR 99, CCRx 25/50/75/100: duty CCRx/(ARR+1);
 *  - edge-aligned down-counting, ARR 99, CCRx 24/49/74/99: duty (CCRx+1)/(ARR+1);
 *  - centre-aligned mode 1, ARR 100, CCRx 25/50/75/100: duty CCRx/ARR.
 * From the inside, each mode samples GPIOD_IDR (the pins are in AF mode: IDR reads the level the
 * timer drives) together with CNT and CR1.DIR, and counts, for every counter position of a
 * period, whether each pin was high: all positions must be seen, each always at one level, and
 * the high positions must number the duty cycle times the period. The argument ("up", "down",
 * "center"; default all three) says in which mode the program leaves TIM4 running at its exit,
 * for the host to read the LEDs' brightness (test/periph-pwm.test.ts).
 */
#include <string.h>

#include "stm32f4.h"

#define TIM4_BASE 0x40000800u
#define TIM_CCMR1(t) REG32((t) + 0x18)
#define TIM_CCMR2(t) REG32((t) + 0x1C)
#define TIM_CCER(t) REG32((t) + 0x20)
#define TIM_CCR(t, ch) REG32((t) + 0x30 + 4 * (ch)) /* ch = 1..4 */
#define TIM_CR1_CMS_CENTER1 (1u << 5)
#define TIM_CR1_ARPE (1u << 7)
#define OC_PWM1_PRELOAD 0x68u /* OCxM = 110, OCxPE */

/* Per counter position: bit 2*ch set if pin ch was seen low there, bit 2*ch+1 if high. */
static uint8_t seen[200];
static uint8_t visited[200];

enum mode { UP, DOWN, CENTER };
static const char *const names[] = {"up", "down", "center"};

static void configure(enum mode m) {
  static const uint32_t ccr_up[4] = {25, 50, 75, 100};
  static const uint32_t ccr_down[4] = {24, 49, 74, 99};
  TIM_CR1(TIM4_BASE) = 0;
  TIM_PSC(TIM4_BASE) = 159; /* 16 MHz / 160: a tick every 160 core cycles */
  TIM_ARR(TIM4_BASE) = m == CENTER ? 100 : 99;
  for (int ch = 1; ch <= 4; ch++)
    TIM_CCR(TIM4_BASE, ch) = m == DOWN ? ccr_down[ch - 1] : ccr_up[ch - 1];
  TIM_CCMR1(TIM4_BASE) = OC_PWM1_PRELOAD | (OC_PWM1_PRELOAD << 8);
  TIM_CCMR2(TIM4_BASE) = OC_PWM1_PRELOAD | (OC_PWM1_PRELOAD << 8);
  TIM_CCER(TIM4_BASE) = 0x1111; /* CC1E..CC4E, active high */
  uint32_t cr1 = TIM_CR1_ARPE | (m == DOWN ? TIM_CR1_DIR : 0) |
                 (m == CENTER ? TIM_CR1_CMS_CENTER1 : 0);
  TIM_CR1(TIM4_BASE) = cr1;
  TIM_EGR(TIM4_BASE) = 1; /* UG: load PSC, ARR and the CCRx preloads */
  TIM_SR(TIM4_BASE) = 0;
  TIM_CR1(TIM4_BASE) = cr1 | TIM_CR1_CEN;
}

static void measure(enum mode m) {
  const uint32_t arr = TIM_ARR(TIM4_BASE);
  const uint32_t period = m == CENTER ? 2 * arr : arr + 1;
  char name[64];
  memset(seen, 0, sizeof seen);
  memset(visited, 0, sizeof visited);
  uint32_t samples = 0, dirs = 0;
  /* Three periods of sampling: 3 x period x 160 cycles. */
  cyccnt_start();
  while (DWT_CYCCNT < 3 * period * 160) {
    uint32_t c1 = TIM_CNT(TIM4_BASE);
    uint32_t d1 = TIM_CR1(TIM4_BASE) & TIM_CR1_DIR;
    uint32_t idr = GPIO_IDR(GPIOD);
    uint32_t d2 = TIM_CR1(TIM4_BASE) & TIM_CR1_DIR;
    uint32_t c2 = TIM_CNT(TIM4_BASE);
    if (c1 != c2 || d1 != d2) continue; /* a tick went by between the reads */
    uint32_t pos = m == UP ? c1 : m == DOWN ? arr - c1 : d1 ? 2 * arr - c1 : c1;
    if (pos >= period) continue;
    samples++;
    dirs |= d1 ? 2 : 1;
    visited[pos] = 1;
    for (int ch = 0; ch < 4; ch++) seen[pos] |= 1u << (2 * ch + ((idr >> (12 + ch)) & 1));
  }
  uint32_t positions = 0;
  for (uint32_t p = 0; p < period; p++) positions += visited[p];
  snprintf(name, sizeof name, "%s: every counter position sampled", names[m]);
  check_eq(name, positions, period);
  snprintf(name, sizeof name, "%s: counting direction", names[m]);
  check_eq(name, dirs, m == UP ? 1 : m == DOWN ? 2 : 3);
  for (int ch = 0; ch < 4; ch++) {
    uint32_t high = 0, both = 0;
    for (uint32_t p = 0; p < period; p++) {
      uint32_t s = (seen[p] >> (2 * ch)) & 3;
      if (s == 3) both++;
      if (s == 2) high++;
    }
    snprintf(name, sizeof name, "%s: PD%d steady at each counter position", names[m], 12 + ch);
    check_eq(name, both, 0);
    /* 25%, 50%, 75%, 100% of the period. */
    snprintf(name, sizeof name, "%s: PD%d high for %d%% of the period (IDR)", names[m], 12 + ch,
             25 * (ch + 1));
    check_eq(name, high * 4, period * (ch + 1));
  }
  printf("%s: %lu samples\n", names[m], (unsigned long)samples);
}

int main(int argc, char *argv[]) {
  enum mode last = CENTER;
  for (int i = 1; i < argc; i++)
    for (int m = UP; m <= CENTER; m++)
      if (strcmp(argv[i], names[m]) == 0) last = (enum mode)m;

  RCC_AHB1ENR |= 1u << 3; /* GPIODEN */
  RCC_APB1ENR |= 1u << 2; /* TIM4EN */
  /* PD12-PD15: alternate function 2 (TIM4_CH1..CH4). */
  GPIO_MODER(GPIOD) = (GPIO_MODER(GPIOD) & ~0xFF000000u) | 0xAA000000u;
  GPIO_AFRH(GPIOD) = (GPIO_AFRH(GPIOD) & ~0xFFFF0000u) | 0x22220000u;

  /* CCRx and CNT read back. */
  configure(UP);
  check_eq("CCR1 read back", TIM_CCR(TIM4_BASE, 1), 25);
  check_eq("CCR4 read back", TIM_CCR(TIM4_BASE, 4), 100);
  uint32_t c1 = TIM_CNT(TIM4_BASE);
  for (volatile int i = 0; i < 200; i++) {
  }
  uint32_t c2 = TIM_CNT(TIM4_BASE);
  check("CNT counts", c1 != c2 && c2 <= 99);

  for (int m = UP; m <= (int)last; m++) {
    configure((enum mode)m);
    measure((enum mode)m);
  }
  printf("periph_pwm: TIM4 left running %s-counting\n", names[last]);
  return periph_finish();
}
