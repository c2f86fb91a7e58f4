/*
 * Shared helpers for the Cortex-M4 exception-model tests (firmware/tests/NAME.c).
 *
 * Every test prints one line per check, "PASS <name>", "FAIL <name> ..." or "SKIP <name> ...",
 * and ends with a summary; main returns test_finish(), which is 0 only when nothing failed.
 * SKIP marks a check where the QEMU oracle (mps2-an386, QEMU 7.2) differs from a real STM32F407:
 * a feature it does not model (DWT, 4 priority bits, the r0p1 revision) or a known QEMU deviation.
 * f4emu's own test runner (test/firmware.test.ts) counts SKIP as a failure.
 *
 * Only NVIC lines 0..31 are used: QEMU's mps2-an386 implements 32 external interrupts, and on
 * the STM32F407 those lines belong to peripherals that stay quiet after reset.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(addr))
#define REG8(addr) (*(volatile uint8_t *)(addr))

/* System control space (ARMv7-M ARM, B3.2). */
#define ICTR REG32(0xE000E004)
#define SYST_CSR REG32(0xE000E010)
#define SYST_RVR REG32(0xE000E014)
#define SYST_CVR REG32(0xE000E018)
#define NVIC_ISER(n) REG32(0xE000E100 + 4 * (n))
#define NVIC_ICER(n) REG32(0xE000E180 + 4 * (n))
#define NVIC_ISPR(n) REG32(0xE000E200 + 4 * (n))
#define NVIC_ICPR(n) REG32(0xE000E280 + 4 * (n))
#define NVIC_IABR(n) REG32(0xE000E300 + 4 * (n))
#define NVIC_IPR8(irq) REG8(0xE000E400 + (irq))
#define CPUID REG32(0xE000ED00)
#define ICSR REG32(0xE000ED04)
#define VTOR REG32(0xE000ED08)
#define AIRCR REG32(0xE000ED0C)
#define CCR REG32(0xE000ED14)
#define SHPR8(exc) REG8(0xE000ED18 + (exc) - 4) /* system handler priority, exceptions 4..15 */
#define SHCSR REG32(0xE000ED24)
#define CFSR REG32(0xE000ED28)
#define HFSR REG32(0xE000ED2C)
#define MMFAR REG32(0xE000ED34)
#define BFAR REG32(0xE000ED38)
#define CPACR REG32(0xE000ED88)
#define STIR REG32(0xE000EF00)
#define MVFR0 REG32(0xE000EF40)
#define MVFR1 REG32(0xE000EF44)
#define DEMCR REG32(0xE000EDFC)
#define DWT_CTRL REG32(0xE0001000)
#define DWT_CYCCNT REG32(0xE0001004)

#define ICSR_PENDSVSET (1u << 28)
#define ICSR_PENDSVCLR (1u << 27)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_ISRPENDING (1u << 22)
#define ICSR_RETTOBASE (1u << 11)
#define ICSR_VECTPENDING(v) (((v) >> 12) & 0x1FFu)
#define ICSR_VECTACTIVE(v) ((v) & 0x1FFu)

#define AIRCR_VECTKEY 0x05FA0000u
#define CCR_UNALIGN_TRP (1u << 3)
#define CCR_DIV_0_TRP (1u << 4)
#define SHCSR_MEMFAULTENA (1u << 16)
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)
#define SHCSR_USGFAULTACT (1u << 3)
#define CFSR_IACCVIOL (1u << 0)
#define CFSR_UNDEFINSTR (1u << 16)
#define CFSR_INVSTATE (1u << 17)
#define CFSR_NOCP (1u << 19)
#define CFSR_UNALIGNED (1u << 24)
#define CFSR_DIVBYZERO (1u << 25)
#define HFSR_FORCED (1u << 30)

/* Exception numbers. */
#define EXC_HARDFAULT 3
#define EXC_MEMMANAGE 4
#define EXC_BUSFAULT 5
#define EXC_USAGEFAULT 6
#define EXC_SVCALL 11
#define EXC_PENDSV 14
#define EXC_SYSTICK 15
#define EXC_IRQ(n) (16 + (n))

#define EXC_RETURN_HANDLER 0xFFFFFFF1u
#define EXC_RETURN_THREAD_MSP 0xFFFFFFF9u
#define EXC_RETURN_THREAD_PSP 0xFFFFFFFDu

static inline void dsb_isb(void) { __asm volatile("dsb\n\tisb" ::: "memory"); }
static inline uint32_t get_ipsr(void) {
  uint32_t v;
  __asm volatile("mrs %0, ipsr" : "=r"(v));
  return v;
}
static inline uint32_t get_primask(void) {
  uint32_t v;
  __asm volatile("mrs %0, primask" : "=r"(v)::"memory");
  return v;
}
static inline uint32_t get_faultmask(void) {
  uint32_t v;
  __asm volatile("mrs %0, faultmask" : "=r"(v)::"memory");
  return v;
}
static inline uint32_t get_basepri(void) {
  uint32_t v;
  __asm volatile("mrs %0, basepri" : "=r"(v)::"memory");
  return v;
}
static inline void set_basepri(uint32_t v) {
  __asm volatile("msr basepri, %0\n\tisb" ::"r"(v) : "memory");
}
static inline void set_basepri_max(uint32_t v) {
  __asm volatile("msr basepri_max, %0\n\tisb" ::"r"(v) : "memory");
}
static inline uint32_t get_control(void) {
  uint32_t v;
  __asm volatile("mrs %0, control" : "=r"(v)::"memory");
  return v;
}
static inline void set_control(uint32_t v) {
  __asm volatile("msr control, %0\n\tisb" ::"r"(v) : "memory");
}
static inline uint32_t get_msp(void) {
  uint32_t v;
  __asm volatile("mrs %0, msp" : "=r"(v)::"memory");
  return v;
}
static inline uint32_t get_psp(void) {
  uint32_t v;
  __asm volatile("mrs %0, psp" : "=r"(v)::"memory");
  return v;
}
static inline void irq_disable(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline void irq_enable(void) { __asm volatile("cpsie i\n\tisb" ::: "memory"); }

/* Checks. Each prints one line; the return value is the condition, for chaining. */
int check(const char *name, int ok);
int check_eq(const char *name, uint32_t got, uint32_t want);
void skip(const char *name, const char *why);
int test_finish(void);

/* NVIC helpers for lines 0..31. */
typedef void (*irq_handler_t)(void);
void irq_setup(unsigned irq, uint8_t priority, irq_handler_t handler);
void irq_pend(unsigned irq); /* through STIR, followed by DSB/ISB */

/*
 * Fault capture. The test library defines HardFault, MemManage, BusFault and UsageFault
 * handlers that record the fault in `fault` and then resume as `fault_resume` says. A fault
 * while fault_expect is 0 prints a FAIL line and exits with 128 + exception number, like the
 * default handlers in startup.S.
 */
enum fault_resume {
  RESUME_SKIP,   /* continue after the faulting instruction (16- or 32-bit) */
  RESUME_RETURN, /* return to the stacked PC unchanged (the fault came after the instruction) */
  RESUME_LR,     /* return to the stacked LR with Thumb state set (a bad branch with link) */
};
struct fault_record {
  uint32_t count;
  uint32_t exception; /* IPSR inside the handler */
  uint32_t cfsr, hfsr, mmfar, bfar, shcsr;
  uint32_t pc, xpsr;  /* stacked */
  uint32_t exc_return;
};
extern volatile struct fault_record fault;
extern volatile int fault_expect;
extern volatile enum fault_resume fault_resume;
void fault_arm(enum fault_resume how); /* clear the record and expect one fault */

#endif
