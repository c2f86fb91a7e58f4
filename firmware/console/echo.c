/*
 * A USART2 console program for the CLI's scripting tests (--expect/--send): no semihosting,
 * just the board's console USART at 115200 baud from the 16 MHz HSI, echoing each line.
 */
#include <stdint.h>

#define REG32(a) (*(volatile uint32_t *)(a))
#define RCC_APB1ENR REG32(0x40023840)
#define USART2_SR REG32(0x40004400)
#define USART2_DR REG32(0x40004404)
#define USART2_BRR REG32(0x40004408)
#define USART2_CR1 REG32(0x4000440C)

static void putc2(char c) {
  while (!(USART2_SR & (1u << 7))) {
  }
  USART2_DR = (uint8_t)c;
}

static void puts2(const char *s) {
  while (*s) putc2(*s++);
}

static char getc2(void) {
  while (!(USART2_SR & (1u << 5))) {
  }
  return (char)USART2_DR;
}

int main(void) {
  RCC_APB1ENR |= 1u << 17;
  USART2_BRR = 0x8B; /* 16 MHz / 115200 */
  USART2_CR1 = (1u << 13) | (1u << 3) | (1u << 2);
  puts2("echo ready\r\n> ");
  char line[64];
  unsigned n = 0;
  for (;;) {
    char c = getc2();
    if (c == '\r' || c == '\n') {
      line[n] = 0;
      puts2("\r\nyou said: ");
      for (unsigned i = 0; i < n; i++) putc2(line[i] >= 'a' && line[i] <= 'z' ? line[i] - 32 : line[i]);
      puts2("\r\n> ");
      n = 0;
    } else if (n < sizeof line - 1) {
      line[n++] = c;
      putc2(c);
    }
  }
}
