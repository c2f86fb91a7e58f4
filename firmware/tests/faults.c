/*
 * Fault escalation and fault status: SVC under PRIMASK escalates to HardFault (HFSR.FORCED);
 * an undefined instruction is a UsageFault when enabled, a forced HardFault when not, or when
 * BASEPRI masks the UsageFault; INVSTATE; MemManage for execution from the XN system region.
 * (NOCP and the FP context are in fpu_context.c.)
 */
#include <stdio.h>

#include "testlib.h"

static volatile uint32_t svc_calls;
void SVC_Handler(void) { svc_calls++; }

static void target_function(void) {}

static void undefined_instruction(void) { __asm volatile("udf #0x42" ::: "memory"); }

static void check_fault(const char *what, uint32_t exception, uint32_t cfsr, uint32_t hfsr) {
  char name[96];
  snprintf(name, sizeof name, "%s: one fault", what);
  check_eq(name, fault.count, 1);
  snprintf(name, sizeof name, "%s: exception", what);
  check_eq(name, fault.exception, exception);
  snprintf(name, sizeof name, "%s: CFSR", what);
  check_eq(name, fault.cfsr, cfsr);
  snprintf(name, sizeof name, "%s: HFSR", what);
  check_eq(name, fault.hfsr, hfsr);
}

int main(void) {
  check_eq("SHCSR at reset", SHCSR, 0);
  check_eq("CFSR at reset", CFSR, 0);
  check_eq("HFSR at reset", HFSR, 0);

  /* SVC while PRIMASK=1: SVCall cannot be taken, so it escalates to HardFault. */
  fault_arm(RESUME_RETURN);
  __asm volatile("cpsid i\n\t"
                 "svc #0\n\t"
                 "cpsie i\n\t" ::
                     : "memory");
  check_fault("SVC under PRIMASK", EXC_HARDFAULT, 0, HFSR_FORCED);
  check_eq("SVC under PRIMASK: SVC handler not run", svc_calls, 0);
  check_eq("HFSR cleared by writing ones", HFSR, 0);
  __asm volatile("svc #0" ::: "memory");
  check_eq("SVC without PRIMASK reaches its handler", svc_calls, 1);

  /* Undefined instruction with UsageFault disabled: forced HardFault, CFSR says why. */
  fault_arm(RESUME_SKIP);
  undefined_instruction();
  check_fault("UDF, UsageFault disabled", EXC_HARDFAULT, CFSR_UNDEFINSTR, HFSR_FORCED);
  check_eq("CFSR cleared by writing ones", CFSR, 0);

  /* ... and with UsageFault enabled: its own handler. */
  SHCSR = SHCSR_USGFAULTENA;
  check_eq("SHCSR.USGFAULTENA reads back", SHCSR, SHCSR_USGFAULTENA);
  fault_arm(RESUME_SKIP);
  undefined_instruction();
  check_fault("UDF, UsageFault enabled", EXC_USAGEFAULT, CFSR_UNDEFINSTR, 0);
  check_eq("UDF: SHCSR.USGFAULTACT inside handler", fault.shcsr & SHCSR_USGFAULTACT,
           SHCSR_USGFAULTACT);
  check_eq("UDF: stacked PC is the UDF", *(const uint16_t *)fault.pc, 0xDE42);
  check_eq("UDF: EXC_RETURN", fault.exc_return, EXC_RETURN_THREAD_MSP);
  check_eq("SHCSR.USGFAULTACT clear after return", SHCSR & SHCSR_USGFAULTACT, 0);

  /* UsageFault enabled but masked by BASEPRI: escalates to HardFault. */
  SHPR8(EXC_USAGEFAULT) = 0x80;
  check_eq("SHPR1 UsageFault priority reads back", SHPR8(EXC_USAGEFAULT), 0x80);
  set_basepri(0x40);
  fault_arm(RESUME_SKIP);
  undefined_instruction();
  set_basepri(0);
  check_fault("UDF, UsageFault masked by BASEPRI", EXC_HARDFAULT, CFSR_UNDEFINSTR, HFSR_FORCED);
  SHPR8(EXC_USAGEFAULT) = 0;

  /* BLX to an even address: the branch is fine, the next fetch is INVSTATE (T bit clear). */
  {
    uint32_t target = (uint32_t)target_function & ~1u;
    fault_arm(RESUME_LR);
    __asm volatile("blx %0" ::"r"(target) : "r0", "r1", "r2", "r3", "r12", "lr", "memory");
    check_fault("BLX to ARM state", EXC_USAGEFAULT, CFSR_INVSTATE, 0);
    check_eq("INVSTATE: stacked PC is the target", fault.pc, target);
    check_eq("INVSTATE: stacked xPSR.T clear", fault.xpsr & (1u << 24), 0);
  }

  /* Executing from the system region (0xE0000000+, always XN): MemManage IACCVIOL. */
  SHCSR |= SHCSR_MEMFAULTENA;
  fault_arm(RESUME_LR);
  ((void (*)(void))0xE0000001u)();
  check_fault("execute from XN region", EXC_MEMMANAGE, CFSR_IACCVIOL, 0);
  check_eq("XN: stacked PC", fault.pc, 0xE0000000u);
  SHCSR &= ~SHCSR_MEMFAULTENA;
  fault_arm(RESUME_LR);
  ((void (*)(void))0xE0000001u)();
  check_fault("execute from XN, MemManage disabled", EXC_HARDFAULT, CFSR_IACCVIOL, HFSR_FORCED);

  return test_finish();
}
