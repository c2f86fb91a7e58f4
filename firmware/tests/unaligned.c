/*
 * Unaligned accesses. With CCR.UNALIGN_TRP clear, LDR/STR/LDRH/STRH work at any address
 * (little-endian); LDRD/STRD, LDM/STM and LDREX still require alignment and raise UsageFault
 * UNALIGNED. With UNALIGN_TRP set, every unaligned word or halfword access faults before it
 * changes memory; byte accesses never do. Nothing is printed while the trap is on: newlib's own
 * routines may use unaligned accesses.
 */
#include <stdio.h>

#include "testlib.h"

static volatile uint8_t buf[32] __attribute__((aligned(8)));

static void fill(void) {
  for (int i = 0; i < 32; i++) buf[i] = (uint8_t)(0x10 + i);
}

static uint32_t ldr(uintptr_t addr) {
  uint32_t v = 0;
  __asm volatile("ldr %0, [%1]" : "+r"(v) : "r"(addr) : "memory");
  return v;
}
static uint32_t ldrh(uintptr_t addr) {
  uint32_t v = 0;
  __asm volatile("ldrh %0, [%1]" : "+r"(v) : "r"(addr) : "memory");
  return v;
}
static uint32_t ldrsh(uintptr_t addr) {
  uint32_t v = 0;
  __asm volatile("ldrsh %0, [%1]" : "+r"(v) : "r"(addr) : "memory");
  return v;
}
static uint32_t ldrb(uintptr_t addr) {
  uint32_t v = 0;
  __asm volatile("ldrb %0, [%1]" : "+r"(v) : "r"(addr) : "memory");
  return v;
}
static void str(uintptr_t addr, uint32_t v) {
  __asm volatile("str %0, [%1]" ::"r"(v), "r"(addr) : "memory");
}
static void strh(uintptr_t addr, uint32_t v) {
  __asm volatile("strh %0, [%1]" ::"r"(v), "r"(addr) : "memory");
}
static uint32_t ldrd_low(uintptr_t addr) {
  uint32_t lo = 0, hi = 0;
  __asm volatile("ldrd %0, %1, [%2]" : "+r"(lo), "+r"(hi) : "r"(addr) : "memory");
  return lo ^ hi;
}
static void strd(uintptr_t addr) {
  __asm volatile("mov r2, #0\n\t"
                 "mov r3, #0\n\t"
                 "strd r2, r3, [%0]" ::"r"(addr)
                 : "r2", "r3", "memory");
}
static void ldm(uintptr_t addr) {
  __asm volatile("ldm %0, {r2, r3}" ::"r"(addr) : "r2", "r3", "memory");
}
static void ldrex_at(uintptr_t addr) {
  uint32_t v;
  __asm volatile("ldrex %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
}

struct trapped {
  uint32_t count, exception, cfsr;
};
static struct trapped take(void) {
  struct trapped t = {fault.count, fault.exception, fault.cfsr};
  return t;
}
static void check_unaligned_fault(const char *name, struct trapped t, uint32_t exception) {
  int ok = t.count == 1 && t.exception == exception && t.cfsr == CFSR_UNALIGNED;
  if (!check(name, ok))
    printf("  count %lu exception %lu cfsr 0x%08lx\n", (unsigned long)t.count,
           (unsigned long)t.exception, (unsigned long)t.cfsr);
}

int main(void) {
  uintptr_t b = (uintptr_t)buf;
  struct trapped t;
  uint32_t v;

  SHCSR = SHCSR_USGFAULTENA;
  check_eq("CCR.UNALIGN_TRP clear at reset", CCR & CCR_UNALIGN_TRP, 0);

  /* Trap off. */
  fill();
  check_eq("LDR at +1", ldr(b + 1), 0x14131211);
  check_eq("LDR at +2", ldr(b + 2), 0x15141312);
  check_eq("LDR at +3 (crosses a word)", ldr(b + 3), 0x16151413);
  check_eq("LDRH at +1", ldrh(b + 1), 0x1211);
  check_eq("LDRH at +3 (crosses a word)", ldrh(b + 3), 0x1413);
  buf[10] = 0xF0;
  check_eq("LDRSH at +9 sign-extends", ldrsh(b + 9), 0xFFFFF019);
  str(b + 5, 0xA1B2C3D4);
  check_eq("STR at +5: word at +4", *(volatile uint32_t *)(b + 4), 0xB2C3D414);
  check_eq("STR at +5: word at +8", *(volatile uint32_t *)(b + 8), 0x1BF019A1);
  strh(b + 15, 0xBEEF);
  check_eq("STRH at +15 (crosses a word)", *(volatile uint32_t *)(b + 12) >> 24, 0xEF);
  check_eq("STRH at +15 high byte", buf[16], 0xBE);

  fault_arm(RESUME_SKIP);
  ldrd_low(b + 2);
  check_unaligned_fault("LDRD at +2 faults even with the trap off", take(), EXC_USAGEFAULT);
  fault_arm(RESUME_SKIP);
  v = ldrd_low(b + 4);
  check_eq("LDRD at +4 (word aligned) is fine", fault.count == 0 && v == (0xB2C3D414 ^ 0x1BF019A1),
           1);
  fault_expect = 0;
  fill();
  fault_arm(RESUME_SKIP);
  strd(b + 6);
  t = take();
  check_unaligned_fault("STRD at +6 faults", t, EXC_USAGEFAULT);
  check_eq("faulting STRD wrote nothing", *(volatile uint32_t *)(b + 8), 0x1B1A1918);
  fault_arm(RESUME_SKIP);
  ldm(b + 1);
  check_unaligned_fault("LDM at +1 faults", take(), EXC_USAGEFAULT);
  fault_arm(RESUME_SKIP);
  ldrex_at(b + 2);
  check_unaligned_fault("LDREX at +2 faults", take(), EXC_USAGEFAULT);
  __asm volatile("clrex" ::: "memory");

  /* Trap on. Results are collected first and checked once the trap is off again. */
  {
    struct trapped ldr_t, ldrh_t, str_t, strh_t, disabled_t;
    uint32_t ldr_aligned, ldrh_aligned, ldrb_odd, after_str, after_strh, quiet, ccr_on, hfsr;
    fill();
    CCR |= CCR_UNALIGN_TRP;
    dsb_isb();
    ccr_on = CCR;
    fault_arm(RESUME_SKIP);
    ldr(b + 1);
    ldr_t = take();
    fault_arm(RESUME_SKIP);
    ldrh(b + 3);
    ldrh_t = take();
    fault_arm(RESUME_SKIP);
    str(b + 2, 0xFFFFFFFF);
    str_t = take();
    after_str = *(volatile uint32_t *)b;
    fault_arm(RESUME_SKIP);
    strh(b + 7, 0xFFFF);
    strh_t = take();
    after_strh = *(volatile uint32_t *)(b + 4);
    fault_arm(RESUME_SKIP);
    ldr_aligned = ldr(b + 4);
    ldrh_aligned = ldrh(b + 6);
    ldrb_odd = ldrb(b + 7);
    quiet = fault.count;
    fault_expect = 0;
    SHCSR = 0; /* UsageFault disabled: the trap becomes a forced HardFault */
    fault_arm(RESUME_SKIP);
    ldr(b + 2);
    disabled_t = take();
    hfsr = fault.hfsr;
    SHCSR = SHCSR_USGFAULTENA;
    CCR &= ~CCR_UNALIGN_TRP;
    dsb_isb();
    check_eq("CCR.UNALIGN_TRP reads back", ccr_on & CCR_UNALIGN_TRP, CCR_UNALIGN_TRP);

    check_unaligned_fault("trap on: LDR at +1 faults", ldr_t, EXC_USAGEFAULT);
    check_unaligned_fault("trap on: LDRH at +3 faults", ldrh_t, EXC_USAGEFAULT);
    check_unaligned_fault("trap on: STR at +2 faults", str_t, EXC_USAGEFAULT);
    check_eq("trap on: faulting STR wrote nothing", after_str, 0x13121110);
    check_unaligned_fault("trap on: STRH at +7 faults", strh_t, EXC_USAGEFAULT);
    check_eq("trap on: faulting STRH wrote nothing", after_strh, 0x17161514);
    check_eq("trap on: aligned and byte accesses do not fault", quiet, 0);
    check_eq("trap on: aligned LDR", ldr_aligned, 0x17161514);
    check_eq("trap on: aligned LDRH", ldrh_aligned, 0x1716);
    check_eq("trap on: LDRB at odd address", ldrb_odd, 0x17);
    check_unaligned_fault("trap on, UsageFault disabled: HardFault", disabled_t, EXC_HARDFAULT);
    check_eq("trap on, UsageFault disabled: HFSR.FORCED", hfsr, HFSR_FORCED);
  }
  check_eq("trap off again: LDR at +1", ldr(b + 1), 0x14131211);
  return test_finish();
}
