/*
 * FSMC (RM0090 section 36): control register reset values and read-back, the external banks as
 * a bus: with the FSMC clock off (RCC_AHB3ENR.FSMCEN) every bank faults; bank 1 NE1 is enabled
 * at reset (BCR1 = 0x30DB) and a store to 0x60000000 completes, as NuttX's LCD configurations
 * do at start-up; a disabled bank (NE2, NAND bank 2) is a precise BusFault with BFAR at the
 * address; enabling it (MBKEN, PBKEN) makes it answer. Bus time: the same stores and load take
 * longer with slower BTR1 timings (DWT_CYCCNT; the final load waits for the stores to drain).
 */
#include "stm32f4.h"

#define FSMC_BASE 0xA0000000u
#define FSMC_BCR(n) REG32(FSMC_BASE + 8u * ((n)-1u))
#define FSMC_BTR(n) REG32(FSMC_BASE + 8u * ((n)-1u) + 4u)
#define FSMC_BWTR(n) REG32(FSMC_BASE + 0x104u + 8u * ((n)-1u))
#define FSMC_PCR(n) REG32(FSMC_BASE + 0x60u + 0x20u * ((n)-2u))
#define FSMC_SR(n) REG32(FSMC_BASE + 0x64u + 0x20u * ((n)-2u))
#define FSMC_PMEM(n) REG32(FSMC_BASE + 0x68u + 0x20u * ((n)-2u))
#define FSMC_BCR_MBKEN (1u << 0)
#define FSMC_PCR_PBKEN (1u << 2)
#define RCC_AHB3ENR REG32(RCC_BASE + 0x38)

#define SHCSR REG32(0xE000ED24u)
#define CFSR REG32(0xE000ED28u)
#define BFAR REG32(0xE000ED38u)
#define SHCSR_BUSFAULTENA (1u << 17)
#define CFSR_PRECISERR (1u << 9)
#define CFSR_BFARVALID (1u << 15)

static volatile uint32_t faults;
static volatile uint32_t fault_cfsr;
static volatile uint32_t fault_bfar;

/* Records the fault and resumes after the faulting instruction (16- or 32-bit Thumb). */
void bus_fault_capture(uint32_t *frame) {
  uint16_t first = *(const uint16_t *)frame[6];
  uint32_t top = first >> 11;
  faults++;
  fault_cfsr = CFSR;
  fault_bfar = BFAR;
  CFSR = fault_cfsr; /* write-one-to-clear */
  frame[6] += (top == 0x1d || top == 0x1e || top == 0x1f) ? 4 : 2;
}

__attribute__((naked)) void BusFault_Handler(void) {
  __asm volatile("tst lr, #4\n\t"
                 "ite eq\n\t"
                 "mrseq r0, msp\n\t"
                 "mrsne r0, psp\n\t"
                 "b bus_fault_capture\n\t");
}

/* A load that may fault: the value, or 0xDEAD0000 if the handler skipped it. */
static uint32_t load16(uint32_t addr) {
  register uint32_t r0 __asm("r0") = 0xDEAD0000u;
  register uint32_t r1 __asm("r1") = addr;
  __asm volatile("ldrh r0, [r1]" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static void store16(uint32_t addr, uint16_t v) {
  register uint32_t r0 __asm("r0") = v;
  register uint32_t r1 __asm("r1") = addr;
  __asm volatile("strh r0, [r1]" : : "r"(r0), "r"(r1) : "memory");
}

/* Cycles for eight 16-bit stores then a load on bank 1 NE1. */
static uint32_t timed_burst(void) {
  volatile uint16_t *p = (volatile uint16_t *)0x60000000u;
  uint32_t start = DWT_CYCCNT;
  for (int i = 0; i < 8; i++) p[i] = (uint16_t)i;
  (void)p[0];
  return DWT_CYCCNT - start;
}

int main(void) {
  cyccnt_start();
  SHCSR |= SHCSR_BUSFAULTENA;
  store16(0x60000000u, 0x1234);
  check_eq("FSMC clock off (FSMCEN clear): store faults", faults, 1);
  faults = 0;
  RCC_AHB3ENR |= 1u; /* FSMCEN */

  check_eq("BCR1 reset (NOR, bank enabled)", FSMC_BCR(1), 0x30DBu);
  check_eq("BCR2 reset", FSMC_BCR(2), 0x30D2u);
  check_eq("BTR1 reset", FSMC_BTR(1), 0x0FFFFFFFu);
  check_eq("BWTR4 reset", FSMC_BWTR(4), 0x0FFFFFFFu);
  check_eq("PCR2 reset", FSMC_PCR(2), 0x18u);
  check_eq("SR3 reset (FEMPT)", FSMC_SR(3), 0x40u);
  check_eq("PMEM4 reset", FSMC_PMEM(4), 0xFCFCFCFCu);

  /* NuttX's LCD set-up: SRAM type, 16 bits, write enabled, short timings. */
  FSMC_BTR(1) = (1u << 0) | (6u << 8);
  check_eq("BTR1 ADDSET 1 DATAST 6", FSMC_BTR(1), 0x601u);
  FSMC_BCR(1) = (1u << 4) | (1u << 7) | (1u << 12) | FSMC_BCR_MBKEN;
  check_eq("BCR1 SRAM 16-bit WREN MBKEN", FSMC_BCR(1), 0x1091u);

  store16(0x60000000u, 0x1234);
  check_eq("store to bank 1 NE1 completes", faults, 0);
  check_eq("undriven bus reads the last value written", load16(0x60020000u), 0x1234);

  uint32_t fast = timed_burst();
  FSMC_BTR(1) = (15u << 0) | (200u << 8); /* ADDSET 15, DATAST 200 */
  uint32_t slow = timed_burst();
  check("slower BTR1 timings: the stores take at least 8 x 208 more cycles",
        slow >= fast + 8u * (14u + 194u));
  FSMC_BTR(1) = (1u << 0) | (6u << 8);

  /* NE2 (BCR2.MBKEN clear): a precise BusFault at the address. */
  check_eq("load from disabled NE2 skipped", load16(0x64000010u), 0xDEAD0000u);
  check_eq("one BusFault", faults, 1);
  check_eq("PRECISERR and BFARVALID", fault_cfsr & (CFSR_PRECISERR | CFSR_BFARVALID),
           CFSR_PRECISERR | CFSR_BFARVALID);
  check_eq("BFAR at the address", fault_bfar, 0x64000010u);
  store16(0x70000000u, 1);
  check_eq("store to disabled NAND bank 2 faults", faults, 2);

  FSMC_BCR(2) |= FSMC_BCR_MBKEN;
  store16(0x64000010u, 0xABCD);
  check_eq("NE2 enabled: load answers", load16(0x64000010u), 0xABCDu);
  FSMC_PCR(2) |= FSMC_PCR_PBKEN;
  store16(0x70000000u, 0x55);
  check_eq("NAND bank 2 enabled: no fault", faults, 2);

  FSMC_BCR(1) &= ~FSMC_BCR_MBKEN;
  check_eq("NE1 disabled again: load faults", load16(0x60000000u), 0xDEAD0000u);
  check_eq("three BusFaults", faults, 3);

  return periph_finish();
}
