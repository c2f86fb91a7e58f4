/*
 * The FPU as the exception model sees it: NOCP while CPACR denies access; CONTROL.FPCA once FP is
 * used; an extended frame (EXC_RETURN 0xFFFFFFE9) for exceptions taken with an FP context; lazy
 * state preservation (FPCCR.LSPACT, FPCAR), so a handler that uses FP registers leaves the
 * thread's s0-s15 and FPSCR intact; the handler starts with FPSCR = FPDSCR.
 * The firmware is built soft-float: FP instructions appear only in inline assembly here.
 */
#include <stdio.h>

#include "testlib.h"

#define FPCCR REG32(0xE000EF34)
#define FPCAR REG32(0xE000EF38)
#define FPDSCR REG32(0xE000EF3C)
#define FPCCR_LSPACT (1u << 0)
#define FPCCR_LSPEN (1u << 30)
#define FPCCR_ASPEN (1u << 31)

#define IRQ_FP 14

static volatile uint32_t handler_fpccr, handler_fpscr, handler_fpcar, handler_calls;

static void fp_irq(void) {
  uint32_t fpscr;
  handler_calls++;
  handler_fpccr = FPCCR; /* before any FP instruction: state saving still pending */
  __asm volatile(".fpu fpv4-sp-d16\n\t"
                 "vmrs %0, fpscr\n\t"
                 : "=r"(fpscr)
                 :
                 : "memory");
  handler_fpscr = fpscr;
  handler_fpcar = FPCAR;
  /* Trash the caller-saved FP registers and FPSCR: the exception return must restore them. */
  __asm volatile(".fpu fpv4-sp-d16\n\t"
                 "vmov s0, %0\n\t"
                 "vmov s15, %0\n\t"
                 "vmsr fpscr, %1\n\t" ::"r"(0xDEADBEEFu),
                 "r"(0x03000000u)
                 : "memory");
}

static void undefined_instruction(void) { __asm volatile("udf #0x42" ::: "memory"); }

int main(void) {
  uint32_t out, s0, s15, fpscr;

  SHCSR = SHCSR_USGFAULTENA;
  check_eq("FPCCR at reset: ASPEN and LSPEN", FPCCR, FPCCR_ASPEN | FPCCR_LSPEN);
  check_eq("FPDSCR at reset", FPDSCR, 0);

  /* CPACR resets to 0 (no access); startup.S grants access, so deny it again here. */
  CPACR = 0;
  dsb_isb();
  check_eq("CPACR reads back 0", CPACR, 0);
  fault_arm(RESUME_SKIP);
  __asm volatile(".fpu fpv4-sp-d16\n\t"
                 "vmov s0, %0\n\t" ::"r"(1u)
                 : "memory");
  check_eq("FP instruction with CPACR=0: one fault", fault.count, 1);
  check_eq("FP instruction with CPACR=0: UsageFault", fault.exception, EXC_USAGEFAULT);
  check_eq("FP instruction with CPACR=0: CFSR.NOCP", fault.cfsr, CFSR_NOCP);
  check_eq("CONTROL.FPCA still clear", get_control() & 4, 0);

  CPACR = 0xFu << 20; /* CP10 and CP11 full access */
  dsb_isb();
  check_eq("CPACR reads back", CPACR, 0xFu << 20);
  __asm volatile(".fpu fpv4-sp-d16\n\t"
                 "vmov s0, %1\n\t"
                 "vadd.f32 s1, s0, s0\n\t"
                 "vmov %0, s1\n\t"
                 : "=r"(out)
                 : "r"(0x3FC00000u) /* 1.5f */
                 : "memory");
  check_eq("FP add (1.5 + 1.5)", out, 0x40400000u);
  check_eq("CONTROL.FPCA set by FP use", get_control() & 4, 4);

  /* An interrupt whose handler uses FP: the thread's FP state survives. */
  irq_setup(IRQ_FP, 0x80, fp_irq);
  __asm volatile(".fpu fpv4-sp-d16\n\t"
                 "vmov s0, %0\n\t"
                 "vmov s15, %1\n\t"
                 "vmsr fpscr, %2\n\t" ::"r"(0x11111111u),
                 "r"(0x22222222u), "r"(0x00C00000u) /* round toward zero */
                 : "memory");
  irq_pend(IRQ_FP);
  __asm volatile(".fpu fpv4-sp-d16\n\t"
                 "vmov %0, s0\n\t"
                 "vmov %1, s15\n\t"
                 "vmrs %2, fpscr\n\t"
                 : "=r"(s0), "=r"(s15), "=r"(fpscr)
                 :
                 : "memory");
  check_eq("FP handler ran", handler_calls, 1);
  check_eq("lazy stacking pending at handler entry (FPCCR.LSPACT)",
           handler_fpccr & FPCCR_LSPACT, FPCCR_LSPACT);
  check_eq("handler starts with FPSCR = FPDSCR", handler_fpscr, 0);
  check("FPCAR points into RAM, 8-byte aligned",
        handler_fpcar >= 0x20000000u && handler_fpcar < 0x20020000u && (handler_fpcar & 7) == 0);
  check_eq("thread s0 preserved", s0, 0x11111111u);
  check_eq("thread s15 preserved", s15, 0x22222222u);
  check_eq("thread FPSCR preserved", fpscr, 0x00C00000u);
  check_eq("LSPACT clear back in thread mode", FPCCR & FPCCR_LSPACT, 0);

  /* Any exception now stacks an extended frame; a fault handler still sees r0-xPSR first. */
  fault_arm(RESUME_SKIP);
  undefined_instruction();
  check_eq("UDF with FP context: UsageFault UNDEFINSTR",
           fault.count == 1 && fault.exception == EXC_USAGEFAULT && fault.cfsr == CFSR_UNDEFINSTR,
           1);
  check_eq("EXC_RETURN with FP context", fault.exc_return, 0xFFFFFFE9u);
  check_eq("UDF with FP context: stacked PC", *(const uint16_t *)fault.pc, 0xDE42);

  return test_finish();
}
