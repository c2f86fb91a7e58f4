/*
 * The STM32F4Discovery board demo that `npm start` boots: bare-metal firmware as it would run
 * on the real board (no semihosting, no C library; its own vector table and linker script).
 *  - clocks: 8 MHz HSE crystal -> PLL -> 168 MHz SYSCLK, APB1 42 MHz, APB2 84 MHz, flash
 *    latency 5 with caches, as ST's reference setup does;
 *  - console on USART2 (PA2/PA3, 115200 8N1, receive interrupt): a banner with the chip's
 *    identity, then whatever happens;
 *  - the four user LEDs on PD12-PD15 lit in turn every 250 ms from SysTick (f4emu shows them in
 *    the terminal's status line);
 *  - user button B1 on PA0 (EXTI0, rising edge): each press reverses the direction;
 *  - a boot counter in flash sector 11, programmed through the FLASH interface: with
 *    `--flash-file` it counts across runs like the real chip's flash;
 *  - typed characters are echoed; Enter prints a status line, or runs the line if it is a
 *    network command (client.c: ping A.B.C.D, wget http://A.B.C.D:PORT/PATH);
 *  - a web server on port 80 (http.c) over lwIP (Debian's lwip source package, fetched at build
 *    time) and the project's own STM32 Ethernet glue (eth.c): DHCP (or a static 10.0.2.15),
 *    then `/` says hello, `/leds` shows the LEDs and B1 live, `/sleep` answers after 5 s. The
 *    main loop still sleeps in WFI: SysTick (lwIP's timers) and the ETH interrupt wake it.
 */
#include <stdint.h>

#include "demo.h"

#define RCC_CR REG32(0x40023800)
#define RCC_PLLCFGR REG32(0x40023804)
#define RCC_CFGR REG32(0x40023808)
#define RCC_AHB1ENR REG32(0x40023830)
#define RCC_APB1ENR REG32(0x40023840)
#define RCC_APB2ENR REG32(0x40023844)
#define FLASH_ACR REG32(0x40023C00)
#define FLASH_KEYR REG32(0x40023C04)
#define FLASH_SR REG32(0x40023C0C)
#define FLASH_CR REG32(0x40023C10)
#define GPIOA 0x40020000u
#define GPIOD 0x40020C00u
#define GPIO_MODER(p) REG32((p) + 0x00)
#define GPIO_IDR(p) REG32((p) + 0x10)
#define GPIO_BSRR(p) REG32((p) + 0x18)
#define GPIO_AFRL(p) REG32((p) + 0x20)
#define USART2_SR REG32(0x40004400)
#define USART2_DR REG32(0x40004404)
#define USART2_BRR REG32(0x40004408)
#define USART2_CR1 REG32(0x4000440C)
#define SYSCFG_EXTICR1 REG32(0x40013808)
#define EXTI_IMR REG32(0x40013C00)
#define EXTI_RTSR REG32(0x40013C08)
#define EXTI_PR REG32(0x40013C14)
#define NVIC_ISER0 REG32(0xE000E100)
#define NVIC_ISER1 REG32(0xE000E104)
#define SYST_CSR REG32(0xE000E010)
#define SYST_RVR REG32(0xE000E014)
#define SYST_CVR REG32(0xE000E018)
#define SCB_CPUID REG32(0xE000ED00)
#define DBGMCU_IDCODE REG32(0xE0042000)
#define UID_BASE 0x1FFF7A10u
#define FLASH_SIZE_KB REG16(0x1FFF7A22)

#define HCLK_HZ 168000000u
#define BOOT_COUNTER 0x080E0000u /* flash sector 11, 128 KB */
#define BOOT_COUNTER_WORDS 1024u

/* ---- console (USART2) ---- */

static volatile char rx_buf[64];
static volatile uint32_t rx_head, rx_tail;

static void putc2(char c) {
  while (!(USART2_SR & (1u << 7))) {
  }
  USART2_DR = (uint8_t)c;
}

void puts2(const char *s) {
  while (*s) putc2(*s++);
}

void putu(uint32_t v) {
  char buf[11];
  int n = 0;
  do {
    buf[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) putc2(buf[--n]);
}

static void puthex(uint32_t v, int digits) {
  while (digits--) putc2("0123456789ABCDEF"[(v >> (4 * digits)) & 0xF]);
}

void USART2_IRQHandler(void) {
  if (USART2_SR & (1u << 5)) {
    char c = (char)USART2_DR; /* reading DR clears RXNE */
    uint32_t next = (rx_head + 1) % sizeof rx_buf;
    if (next != rx_tail) {
      rx_buf[rx_head] = c;
      rx_head = next;
    }
  }
}

/* ---- time, LEDs, button ---- */

static volatile uint32_t ms;
static volatile uint32_t presses;

void SysTick_Handler(void) { ms++; }

uint32_t sys_now(void) { return ms; }

void EXTI0_IRQHandler(void) {
  EXTI_PR = 1u; /* write 1 to clear */
  presses++;
}

const char *const led_names[4] = {"LD4 green", "LD3 orange", "LD5 red", "LD6 blue"};

/* The board as the web server shows it: the output data register and the button's input. */
int demo_led_on(unsigned i) { return (int)((REG32(GPIOD + 0x14) >> (12 + i)) & 1u); }
int demo_button_down(void) { return (int)(GPIO_IDR(GPIOA) & 1u); }
uint32_t demo_presses(void) { return presses; }

/* lwIP's randomness (DHCP transaction ids, TCP sequence numbers, ports): xorshift32 seeded from
 * the chip's unique ID and the time. */
uint32_t demo_rand(void) {
  static uint32_t x;
  if (x == 0) x = REG32(UID_BASE) ^ REG32(UID_BASE + 4) ^ REG32(UID_BASE + 8) ^ (ms * 2654435761u) ^ 1u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

static void led_only(unsigned i) {
  /* Reset PD12-15, then set PD(12+i): one BSRR write, no glitch on the other LEDs. */
  GPIO_BSRR(GPIOD) = (0xFu << (16 + 12)) & ~(1u << (16 + 12 + i));
  GPIO_BSRR(GPIOD) = 1u << (12 + i);
}

/* ---- setup ---- */

static void clock_init(void) {
  RCC_CR |= 1u << 16; /* HSEON */
  while (!(RCC_CR & (1u << 17))) {
  }
  FLASH_ACR = 5u | (1u << 8) | (1u << 9) | (1u << 10); /* 5 wait states, prefetch, caches */
  /* PLL: 8 MHz / M 8 * N 336 / P 2 = 168 MHz; / Q 7 = 48 MHz for USB. */
  RCC_PLLCFGR = 8u | (336u << 6) | (0u << 16) | (1u << 22) | (7u << 24);
  RCC_CFGR = (5u << 10) | (4u << 13); /* APB1 /4, APB2 /2 */
  RCC_CR |= 1u << 24; /* PLLON */
  while (!(RCC_CR & (1u << 25))) {
  }
  RCC_CFGR = (RCC_CFGR & ~3u) | 2u; /* SYSCLK = PLL */
  while (((RCC_CFGR >> 2) & 3u) != 2u) {
  }
}

static void io_init(void) {
  RCC_AHB1ENR |= (1u << 0) | (1u << 3); /* GPIOA, GPIOD */
  RCC_APB1ENR |= 1u << 17;              /* USART2 */
  RCC_APB2ENR |= 1u << 14;              /* SYSCFG */
  GPIO_MODER(GPIOD) = (GPIO_MODER(GPIOD) & ~0xFF000000u) | 0x55000000u; /* PD12-15 outputs */
  /* PA2/PA3 alternate function 7 (USART2); PA0 input (B1 has its own pull-down). */
  GPIO_MODER(GPIOA) = (GPIO_MODER(GPIOA) & ~0xF3u) | 0xA0u;
  GPIO_AFRL(GPIOA) = (GPIO_AFRL(GPIOA) & ~0xFF00u) | 0x7700u;
  USART2_BRR = (22u << 4) | 13u; /* 42 MHz / (16 * 22.8125) = 115068 baud */
  USART2_CR1 = (1u << 13) | (1u << 5) | (1u << 3) | (1u << 2); /* UE RXNEIE TE RE */
  SYSCFG_EXTICR1 &= ~0xFu; /* EXTI0 <- PA0 */
  EXTI_RTSR |= 1u;
  EXTI_IMR |= 1u;
  NVIC_ISER0 = 1u << 6;  /* EXTI0 */
  NVIC_ISER1 = 1u << 6;  /* USART2 (IRQ 38) */
  SYST_RVR = HCLK_HZ / 1000 - 1;
  SYST_CVR = 0;
  SYST_CSR = 7; /* processor clock, interrupt, enable */
}

/* The boot counter: one programmed word per boot in sector 11, erased when full. */
static uint32_t count_boot(void) {
  volatile uint32_t *words = (volatile uint32_t *)BOOT_COUNTER;
  uint32_t used = 0;
  while (used < BOOT_COUNTER_WORDS && words[used] != 0xFFFFFFFFu) used++;
  FLASH_KEYR = 0x45670123u;
  FLASH_KEYR = 0xCDEF89ABu;
  if (used == BOOT_COUNTER_WORDS) {
    FLASH_CR = (1u << 1) | (11u << 3) | (2u << 8); /* SER, sector 11, x32 */
    FLASH_CR |= 1u << 16;                          /* STRT */
    while (FLASH_SR & (1u << 16)) {
    }
    used = 0;
  }
  FLASH_CR = 1u | (2u << 8); /* PG, x32 */
  words[used] = used + 1;
  while (FLASH_SR & (1u << 16)) {
  }
  FLASH_CR = 1u << 31; /* LOCK */
  return words[used];
}

static void banner(uint32_t boot) {
  puts2("\r\nf4emu board demo on STM32F4Discovery\r\n  CPU: Cortex-M4F (CPUID ");
  puthex(SCB_CPUID, 8);
  puts2("), SYSCLK ");
  putu(HCLK_HZ / 1000000);
  puts2(" MHz from the 8 MHz HSE crystal through the PLL\r\n  chip: STM32F407 (IDCODE ");
  puthex(DBGMCU_IDCODE, 8);
  puts2("), ");
  putu(FLASH_SIZE_KB);
  puts2(" KB flash, unique ID ");
  for (int i = 2; i >= 0; i--) puthex(REG32(UID_BASE + 4u * (unsigned)i), 8);
  puts2("\r\n  boot #");
  putu(boot);
  puts2(" (counted in flash sector 11; f4emu --flash-file keeps it across runs)\r\n");
  net_init(); /* prints the PHY it finds */
  puts2("network commands: ping A.B.C.D, wget http://A.B.C.D:PORT/PATH\r\n");
  puts2("LEDs LD4 LD3 LD5 LD6 take turns every 250 ms; B1 reverses them "
        "(Ctrl-A b in f4emu); type to echo, Enter for status\r\n");
}

int main(void) {
  clock_init();
  io_init();
  banner(count_boot());
  unsigned led = 0;
  int step = 1;
  uint32_t seen_presses = 0;
  uint32_t next = ms;
  char line[96]; /* the line typed so far: a network command when Enter ends it (client.c) */
  unsigned line_len = 0;
  led_only(led);
  for (;;) {
    __asm volatile("wfi");
    if (presses != seen_presses) {
      seen_presses = presses;
      step = -step;
      puts2("B1 pressed (");
      putu(seen_presses);
      puts2(step > 0 ? "): clockwise\r\n" : "): counter-clockwise\r\n");
    }
    if ((int32_t)(ms - next) >= 250) {
      next += 250;
      led = (led + (unsigned)step) & 3u;
      led_only(led);
    }
    net_poll();
    client_poll();
    while (rx_tail != rx_head) {
      char c = rx_buf[rx_tail];
      rx_tail = (rx_tail + 1) % sizeof rx_buf;
      if (c == '\r' || c == '\n') {
        line[line_len] = 0;
        line_len = 0;
        puts2("\r\n");
        if (client_command(line)) continue;
        puts2("uptime ");
        putu(ms / 1000);
        putc2('.');
        putc2((char)('0' + ms / 100 % 10));
        puts2(" s, ");
        puts2(led_names[led]);
        puts2(" lit, B1 pressed ");
        putu(seen_presses);
        puts2(" time(s), B1 is ");
        puts2(GPIO_IDR(GPIOA) & 1u ? "down" : "up");
        puts2("\r\n");
      } else {
        if (c == 0x7F || c == '\b') {
          if (line_len) line_len--;
        } else if (line_len < sizeof line - 1) {
          line[line_len++] = c;
        }
        putc2(c);
      }
    }
  }
}

/* ---- startup ---- */

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void Reset_Handler(void) {
  uint32_t *src = &_sidata;
  for (uint32_t *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  REG32(0xE000ED88) |= 0xFu << 20; /* CPACR: FPU access (the chip has one; we do not use it) */
  main();
  for (;;) {
  }
}

/* An lwIP assertion: a bug, reported on the console; the demo stops there. */
void demo_lwip_assert(const char *message) {
  __asm volatile("cpsid i");
  puts2("\r\ndemo: lwIP assertion failed: ");
  puts2(message);
  puts2("\r\n");
  for (;;) {
  }
}

/* An exception nobody expects: report it on the console and stop. */
void Default_Handler(void) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  puts2("\r\ndemo: unexpected exception ");
  putu(ipsr & 0x1FF);
  puts2("\r\n");
  for (;;) {
  }
}

#define IRQ(n) [16 + (n)]
/* Every entry defaults to Default_Handler; the used ones override it. */
#pragma GCC diagnostic ignored "-Woverride-init"
__attribute__((section(".vectors"), used)) static const void *const vectors[16 + 82] = {
    [0] = &_estack,
    [1] = (void *)Reset_Handler,
    [2 ... 15 + 82] = (void *)Default_Handler,
    [15] = (void *)SysTick_Handler,
    IRQ(6) = (void *)EXTI0_IRQHandler,
    IRQ(38) = (void *)USART2_IRQHandler,
    IRQ(61) = (void *)ETH_IRQHandler,
};
