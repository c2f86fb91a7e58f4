/*
 * Test program for the unwinder (src/diagnostics/unwind.ts), the .debug_frame / .ARM.exidx
 * readers and the DWARF line table (src/loader/): call chains the tests stop in and unwind.
 *
 *  1. main -> level1 -> scale (float argument) -> with_vla (variable-length array: r7 frame
 *     pointer) -> big_frame (a 600-byte frame) -> recurse x4 -> probe. test/diag-backtrace
 *     stops at probe's first instruction and expects exactly that chain.
 *  2. level1 calls malloc: a stop at _malloc_r's first instruction (newlib, no unwind info of
 *     its own) unwinds through LR.
 *  3. An interrupt on the main stack: raise_irq pends IRQ 0 (its handler is Default_IRQHandler)
 *     -> handler_work -> handler_leaf. The unwinder goes back through the exception frame
 *     (EXC_RETURN 0xFFFFFFF9) into raise_irq and main.
 *  4. The same on the process stack with an FP context: run_on_psp (assembly below) switches
 *     thread mode to PSP and calls thread_fp, which executes an FP instruction (CONTROL.FPCA) and
 *     raises the interrupt: the frame is extended (EXC_RETURN 0xFFFFFFED) and on PSP.
 * With bkpt_in_handler set (a test writes it), handler_leaf executes BKPT 0x42: a stop in the
 * middle of a function. Without it the program prints its results and exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ICER0 (*(volatile uint32_t *)0xE000E180u)
#define NVIC_ISPR0 (*(volatile uint32_t *)0xE000E200u)

volatile int sink;
/* Written by a test through memory: makes handler_leaf stop at BKPT 0x42. */
volatile int bkpt_in_handler;
/* How many times the interrupt handler ran. */
volatile int irq_count;

/* The process stack for case 4. */
static uint32_t psp_stack[256] __attribute__((aligned(8)));

/* Breakpoint target for case 1: tests stop at its first instruction. */
NOINLINE int probe(int v) {
  sink += v;
  return sink;
}

NOINLINE int recurse(int n) {
  if (n == 0) return probe(7);
  int r = recurse(n - 1);
  sink = r; /* a store after the call: not a tail call, the recursion stays recursion */
  return r + n;
}

NOINLINE int big_frame(int n) {
  volatile char buf[600];
  buf[n] = (char)n;
  return recurse(n) + buf[n];
}

NOINLINE int with_vla(int n) {
  char buf[n];
  memset(buf, 1, n);
  sink = buf[n - 1];
  return big_frame(3) + buf[0];
}

NOINLINE float scale(float f, int n) {
  return (float)with_vla(n) * f;
}

NOINLINE int level1(int n) {
  char *p = malloc(32);
  if (p == NULL) return -1;
  p[0] = (char)n;
  int r = (int)scale(1.5f, n) + p[0];
  free(p);
  return r;
}

/* Case 3 and 4: the interrupt handler's callees. */
NOINLINE void handler_leaf(int v) {
  sink += v;
  if (bkpt_in_handler) __asm volatile("bkpt 0x42");
  sink += 1;
}

NOINLINE void handler_work(int v) {
  handler_leaf(v * 2);
  sink += 1;
}

/* Every external interrupt's vector (common/startup.S); only IRQ 0 is ever raised here. */
void Default_IRQHandler(void) {
  irq_count++;
  handler_work(3);
}

NOINLINE void raise_irq(void) {
  NVIC_ISER0 = 1;
  NVIC_ISPR0 = 1; /* taken right after this store */
  __asm volatile("dsb\n\tisb" ::: "memory");
  NVIC_ICER0 = 1;
}

NOINLINE int thread_fp(int x) {
  /* One FP instruction: CONTROL.FPCA is set, so the exception frame is the extended one. */
  __asm volatile(".fpu fpv4-sp-d16\n\tvmov s0, %0\n\tvadd.f32 s0, s0, s0" ::"r"(x));
  raise_irq();
  return x + 1;
}

int run_on_psp(int (*fn)(int), uint32_t *psp_top, int arg);

/*
 * run_on_psp(fn, psp_top, arg): calls fn(arg) in thread mode on the process stack, then returns
 * to the main stack. The frame pointer r7 keeps the caller's frame addressable while SP is the
 * PSP, and both unwind tables say so (.setfp for .ARM.exidx, .cfi_def_cfa_register for
 * .debug_frame).
 */
__asm__("  .text\n"
        "  .syntax unified\n"
        "  .thumb\n"
        "  .global run_on_psp\n"
        "  .type run_on_psp, %function\n"
        "  .thumb_func\n"
        "run_on_psp:\n"
        "  .fnstart\n"
        "  .cfi_startproc\n"
        "  push {r7, lr}\n"
        "  .save {r7, lr}\n"
        "  .cfi_def_cfa_offset 8\n"
        "  .cfi_offset 7, -8\n"
        "  .cfi_offset 14, -4\n"
        "  mov r7, sp\n"
        "  .setfp r7, sp\n"
        "  .cfi_def_cfa_register 7\n"
        "  msr psp, r1\n"
        "  movs r3, #2\n"
        "  msr control, r3\n"
        "  isb\n"
        "  mov r3, r0\n"
        "  mov r0, r2\n"
        "  blx r3\n"
        "  movs r3, #0\n"
        "  msr control, r3\n"
        "  isb\n"
        "  pop {r7, pc}\n"
        "  .cfi_endproc\n"
        "  .fnend\n"
        "  .size run_on_psp, . - run_on_psp\n");

int main(void) {
  printf("backtrace: start\n");
  int r = level1(12);
  printf("backtrace: chain %d\n", r);
  raise_irq();
  printf("backtrace: irq on msp, count %d\n", irq_count);
  /* A process stack top that is 4 mod 8, deliberately: the exception entry in thread_fp then
   * pads the frame to 8 bytes and says so in the stacked xPSR (bit 9). */
  r = run_on_psp(thread_fp, psp_stack + sizeof psp_stack / sizeof psp_stack[0] - 1, 41);
  printf("backtrace: irq on psp, count %d, result %d\n", irq_count, r);
  return irq_count == 2 && r == 42 ? 0 : 1;
}
