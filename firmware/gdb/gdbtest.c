/*
 * A small program for the GDB stub's tests (test/gdb.test.ts), built with debug info at -O0 so
 * breakpoints, steps, locals and watchpoints land on predictable lines. Self-contained (no
 * newlib): its own vector table and reset code; it ends with a semihosting exit whose status
 * the test checks. Line numbers matter to the test: it finds them by the marker comments.
 */
#include <stdint.h>

struct point {
  int x;
  int y;
  const char *name;
};

extern uint32_t __stack, __bss_start__, __bss_end__;

volatile uint32_t counter; /* watched by the test */
volatile uint32_t last_by;
volatile uint32_t spin; /* the test sets it to interrupt a running program with Ctrl-C */
volatile uint32_t ticks;
struct point origin = {3, 4, "origin"};

static void semihosting_exit(int status) {
  /* SYS_EXIT_EXTENDED: block = {ADP_Stopped_ApplicationExit, status} */
  uint32_t block[2] = {0x20026, (uint32_t)status};
  register uint32_t r0 __asm__("r0") = 0x20;
  register uint32_t *r1 __asm__("r1") = block;
  __asm__ volatile("bkpt #0xab" : "+r"(r0) : "r"(r1) : "memory");
  for (;;) {
  }
}

int __attribute__((noinline)) add_scaled(int a, int b, int scale) {
  int sum = a + b; /* line: add_scaled body */
  int result = sum * scale;
  return result;
}

void __attribute__((noinline)) bump(int by) {
  counter = counter + by; last_by = by; /* line: counter write */
}

int main(void) {
  struct point p = {10, 20, "p"};
  int local = 5;
  int r = add_scaled(local, p.x, 3); /* line: call add_scaled */
  bump(r);
  bump(origin.y);
  while (spin) { /* line: spin loop */
    ticks++;
  }
  return (int)counter - 42; /* (5 + 10) * 3 + 4 - 42 = 7 */
}

void Reset_Handler(void) {
  for (uint32_t *p = &__bss_start__; p < &__bss_end__; p++) *p = 0;
  semihosting_exit(main());
}

void Default_Handler(void) {
  semihosting_exit(128 + 3);
}

void _start(void) __attribute__((alias("Reset_Handler")));

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &__stack,        (void *)Reset_Handler,   (void *)Default_Handler, (void *)Default_Handler,
    (void *)Default_Handler, (void *)Default_Handler, (void *)Default_Handler, 0,
    0,               0,                       0,                       (void *)Default_Handler,
    (void *)Default_Handler, 0,               (void *)Default_Handler, (void *)Default_Handler,
};
