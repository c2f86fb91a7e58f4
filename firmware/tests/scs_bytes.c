/*
 * Byte and halfword stores to the NVIC and the fault status registers act on the bytes written
 * only. ISER/ISPR are write-one-to-set, ICER/ICPR and CFSR/HFSR write-one-to-clear: the bytes a
 * store does not cover must count as zeros, never as their current contents (a read-modify-write
 * of the word would disable or unpend every other IRQ of the word). IPR and CFSR's MMFSR/BFSR/UFSR
 * are byte-accessible by definition; the set/clear registers take bytes on the Cortex-M3/M4 NVIC
 * (Cortex-M3 TRM DDI 0337E 8.1), and QEMU models them so. QEMU ignores a sub-word store to HFSR
 * (to it an UNPREDICTABLE access), so the byte store that clears FORCED is a SKIP there; a byte
 * store of zeros must clear nothing on either.
 *
 * Faults are taken through a RAM vector table whose handlers only step over the faulting
 * instruction: the test library's handlers clear CFSR and HFSR, which is what is tested here.
 */
#include <stdio.h>

#include "testlib.h"

#define ISER_B(byte) REG8(0xE000E100 + (byte))
#define ISER_H(byte) (*(volatile uint16_t *)(0xE000E100 + (byte)))
#define ICER_B(byte) REG8(0xE000E180 + (byte))
#define ICER_H(byte) (*(volatile uint16_t *)(0xE000E180 + (byte)))
#define ISPR_B(byte) REG8(0xE000E200 + (byte))
#define ICPR_B(byte) REG8(0xE000E280 + (byte))
#define ICPR_H(byte) (*(volatile uint16_t *)(0xE000E280 + (byte)))
#define IPR_H(irq) (*(volatile uint16_t *)(0xE000E400 + (irq)))
#define IPR_W(irq) REG32(0xE000E400 + (irq))
#define CFSR_B(byte) REG8(0xE000ED28 + (byte))
#define CFSR_H(byte) (*(volatile uint16_t *)(0xE000ED28 + (byte)))
#define HFSR_B(byte) REG8(0xE000ED2C + (byte))

#define CFSR_PRECISERR (1u << 9)
#define CFSR_BFARVALID (1u << 15)

/* Nothing answers here on the STM32F407 (reserved) nor on the mps2-an386. */
#define UNMAPPED 0x30000000u

#define BIT(n) (1u << (n))

static uint32_t ram_vectors[128] __attribute__((aligned(512)));
static volatile uint32_t faults_taken, irq9_calls, irq17_calls;
static volatile int32_t zero = 0;

/* Step over the faulting instruction (16 or 32 bits); leave every status register as it is. */
__attribute__((used)) void skip_fault(uint32_t *frame) {
  uint16_t first = *(const uint16_t *)frame[6];
  faults_taken++;
  frame[6] += (first >> 11) >= 0x1D ? 4 : 2;
}
__attribute__((naked)) static void skip_fault_entry(void) {
  __asm volatile("tst lr, #4\n\t"
                 "ite eq\n\t"
                 "mrseq r0, msp\n\t"
                 "mrsne r0, psp\n\t"
                 "b skip_fault\n");
}

static void irq9_handler(void) { irq9_calls++; }
static void irq17_handler(void) { irq17_calls++; }

static void nvic_set_clear(void) {
  irq_disable(); /* enabled and pending lines must not be taken while the registers are probed */
  NVIC_ICER(0) = 0xFFFFFFFFu;
  NVIC_ICPR(0) = 0xFFFFFFFFu;

  ISER_B(1) = 0x02;     /* IRQ 9 */
  ISER_H(2) = 0x0202;   /* IRQs 17 and 25 */
  check_eq("ISER byte and halfword stores set their bits", NVIC_ISER(0), BIT(9) | BIT(17) | BIT(25));
  NVIC_ISER(0) = BIT(1) | BIT(3);
  ICER_B(0) = 0x02; /* IRQ 1 */
  check_eq("ICER byte store disables one IRQ", NVIC_ISER(0), BIT(3) | BIT(9) | BIT(17) | BIT(25));
  ICER_B(1) = 0x02; /* IRQ 9 */
  check_eq("ICER byte 1 store disables IRQ 9 only", NVIC_ISER(0), BIT(3) | BIT(17) | BIT(25));
  ICER_H(2) = 0x0002; /* IRQ 17 */
  check_eq("ICER halfword store disables IRQ 17 only", NVIC_ISER(0), BIT(3) | BIT(25));
  check_eq("ICER byte read", ICER_B(3), 0x02);
  check_eq("ISER halfword read", ISER_H(0), 0x0008);

  NVIC_ISPR(0) = BIT(2) | BIT(10) | BIT(18) | BIT(26);
  ICPR_B(0) = 0x04; /* IRQ 2 */
  check_eq("ICPR byte store unpends one IRQ", NVIC_ISPR(0), BIT(10) | BIT(18) | BIT(26));
  ICPR_H(2) = 0x0400; /* IRQ 26 */
  check_eq("ICPR halfword store unpends IRQ 26 only", NVIC_ISPR(0), BIT(10) | BIT(18));
  ISPR_B(3) = 0x01; /* IRQ 24 */
  check_eq("ISPR byte store pends IRQ 24", NVIC_ISPR(0), BIT(10) | BIT(18) | BIT(24));
  ICPR_B(1) = 0x00;
  ICPR_B(2) = 0x00;
  check_eq("ICPR byte stores of zero unpend nothing", NVIC_ISPR(0), BIT(10) | BIT(18) | BIT(24));

  NVIC_ICER(0) = 0xFFFFFFFFu;
  NVIC_ICPR(0) = 0xFFFFFFFFu;
  irq_enable();

  /* The effect on interrupts: disabling IRQ 9 by a byte store leaves IRQ 17 (next byte) live. */
  irq_setup(9, 0x80, irq9_handler);
  irq_setup(17, 0x80, irq17_handler);
  ICER_B(1) = 0x02; /* IRQ 9 */
  dsb_isb();
  irq_pend(9);
  irq_pend(17);
  check_eq("IRQ 17 still taken after a byte store disabled IRQ 9", irq17_calls, 1);
  check_eq("IRQ 9 not taken", irq9_calls, 0);
  check_eq("IRQ 9 left pending", NVIC_ISPR(0) & (BIT(9) | BIT(17)), BIT(9));
  NVIC_ICPR(0) = BIT(9);
  NVIC_ICER(0) = BIT(17);
}

static void priorities(void) {
  IPR_W(4) = 0x20406080u; /* IRQs 4..7 */
  IPR_H(4) = 0xA0C0;      /* IRQ 4 = 0xC0, IRQ 5 = 0xA0 */
  check_eq("IPR halfword store sets two priorities", IPR_W(4), 0x2040A0C0u);
  NVIC_IPR8(7) = 0xE0;
  check_eq("IPR byte store sets one priority", IPR_W(4), 0xE040A0C0u);
  IPR_W(4) = 0;
}

static void fault_status(void) {
  for (unsigned i = 0; i < 16 + 32; i++) ram_vectors[i] = ((const uint32_t *)VTOR)[i];
  ram_vectors[EXC_HARDFAULT] = ram_vectors[EXC_BUSFAULT] = ram_vectors[EXC_USAGEFAULT] =
      (uint32_t)skip_fault_entry;
  VTOR = (uint32_t)ram_vectors;
  CFSR = CFSR;
  HFSR = HFSR;
  SHCSR = SHCSR_USGFAULTENA | SHCSR_BUSFAULTENA;
  CCR |= CCR_DIV_0_TRP;
  dsb_isb();

  /* UsageFault UNDEFINSTR and DIVBYZERO, BusFault PRECISERR; then a forced HardFault. */
  __asm volatile("udf #0" ::: "memory");
  {
    int32_t q;
    __asm volatile("sdiv %0, %1, %2" : "=r"(q) : "r"(1), "r"(zero) : "memory");
  }
  (void)REG32(UNMAPPED);
  SHCSR = 0;
  dsb_isb();
  __asm volatile("udf #1" ::: "memory");
  CCR &= ~CCR_DIV_0_TRP;
  check_eq("four faults taken", faults_taken, 4);
  check_eq("CFSR holds the three faults' bits", CFSR,
           CFSR_PRECISERR | CFSR_BFARVALID | CFSR_UNDEFINSTR | CFSR_DIVBYZERO);
  check_eq("HFSR.FORCED set", HFSR, HFSR_FORCED);

  CFSR_B(1) = 0x02; /* BFSR.PRECISERR */
  check_eq("BFSR byte store clears PRECISERR only", CFSR,
           CFSR_BFARVALID | CFSR_UNDEFINSTR | CFSR_DIVBYZERO);
  CFSR_H(2) = 0x0001; /* UFSR.UNDEFINSTR */
  check_eq("UFSR halfword store clears UNDEFINSTR only", CFSR, CFSR_BFARVALID | CFSR_DIVBYZERO);
  CFSR_B(0) = 0xFF; /* MMFSR: nothing set there */
  check_eq("MMFSR byte store leaves BFSR and UFSR", CFSR, CFSR_BFARVALID | CFSR_DIVBYZERO);
  check_eq("UFSR byte read", CFSR_B(3), CFSR_DIVBYZERO >> 24);
  CFSR_B(3) = CFSR_DIVBYZERO >> 24;
  CFSR_B(1) = CFSR_BFARVALID >> 8;
  check_eq("CFSR clear after byte stores", CFSR, 0);

  HFSR_B(0) = 0x00;
  check_eq("HFSR byte store of zero to VECTTBL's byte leaves FORCED", HFSR, HFSR_FORCED);
  HFSR_B(3) = HFSR_FORCED >> 24;
  if (HFSR == 0)
    check("HFSR byte store clears FORCED", 1);
  else
    skip("HFSR byte store clears FORCED",
         "sub-word stores to HFSR ignored (QEMU: UNPREDICTABLE, treated as RAZ/WI)");
  HFSR = HFSR;
  check_eq("HFSR clear", HFSR, 0);

  VTOR = 0;
  dsb_isb();
}

int main(void) {
  nvic_set_clear();
  priorities();
  fault_status();
  return test_finish();
}
