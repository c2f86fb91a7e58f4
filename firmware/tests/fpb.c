/*
 * The Flash Patch and Breakpoint unit (ARMv7-M ARM C1.11) and the DebugMonitor exception (B1.5,
 * C1.6 DEMCR): FP_CTRL/FP_REMAP/FP_COMPn as the Cortex-M4 has them, an FPB breakpoint taking
 * DebugMonitor (DEMCR.MON_EN, DFSR.BKPT) or escalating to HardFault (HFSR.DEBUGEVT) with no
 * debugger, a BKPT taking DebugMonitor, DEMCR.MON_PEND pending it, and flash patch remapping
 * (FP_REMAP.RMPSPT 1): an instruction comparator with REPLACE 00 fetching its word from the SRAM
 * remap table, a literal comparator doing the same for a literal load.
 * QEMU (mps2-an386, 7.2) does not model the FPB (FP_CTRL reads 0 there): those checks are SKIPs
 * under QEMU, and FAILs on f4emu's runner, which counts a SKIP as a failure.
 */
#include <stdio.h>

#include "testlib.h"

#define FP_CTRL REG32(0xE0002000)
#define FP_REMAP REG32(0xE0002004)
#define FP_COMP(n) REG32(0xE0002008 + 4 * (n))
#define FP_PID0 REG32(0xE0002FE0)
#define FP_CID1 REG32(0xE0002FF4)
#define DFSR REG32(0xE000ED30)

#define FP_CTRL_ENABLE 1u
#define FP_CTRL_KEY 2u
#define DEMCR_MON_EN (1u << 16)
#define DEMCR_MON_PEND (1u << 17)
#define DFSR_BKPT (1u << 1)
#define HFSR_DEBUGEVT (1u << 31)
#define SHCSR_MONITORACT (1u << 8)
#define EXC_DEBUGMONITOR 12

/* spot(): movs r0,#1; adds r0,#1; bx lr. The breakpoint goes on the adds (spot + 2). */
__asm__(".text\n\t.thumb\n\t.align 2\n\t.global spot\n\t.thumb_func\n\t.type spot, %function\n"
        "spot:\n\tmovs r0, #1\n\tadds r0, #1\n\tbx lr\n\t.size spot, . - spot\n");
uint32_t spot(void);

/*
 * patchme(): movs r0,#1; bx lr, one word (patched as a whole from the remap table).
 * litload(): ldr r0,[pc,#0]; bx lr; .word 0x22222222 (the literal at litload + 4).
 * literal_word: 0x11111111, a word of the Code region read as data.
 */
__asm__(".text\n\t.thumb\n\t.align 2\n"
        "\t.global patchme\n\t.thumb_func\n\t.type patchme, %function\n"
        "patchme:\n\tmovs r0, #1\n\tbx lr\n\t.size patchme, . - patchme\n"
        "\t.align 2\n\t.global litload\n\t.thumb_func\n\t.type litload, %function\n"
        "litload:\n\tldr r0, [pc, #0]\n\tbx lr\n\t.word 0x22222222\n\t.size litload, . - litload\n"
        "\t.align 2\n\t.global literal_word\n\t.type literal_word, %object\n"
        "literal_word:\n\t.word 0x11111111\n\t.size literal_word, 4\n");
uint32_t patchme(void);
uint32_t litload(void);

/* The remap table: eight words, 32-byte aligned, in SRAM (FP_REMAP.REMAP holds bits 28:5). */
static volatile uint32_t remap_table[8] __attribute__((aligned(32)));
/* A constant word in the Code region (beside the code), read as data. */
extern const volatile uint32_t literal_word;

static volatile uint32_t mon_count, mon_pc, mon_dfsr, mon_ipsr, mon_shcsr;

/* frame: stacked r0, r1, r2, r3, r12, lr, pc, xpsr. */
__attribute__((used)) void debugmon_dispatch(uint32_t *frame) {
  mon_count++;
  mon_pc = frame[6];
  mon_ipsr = get_ipsr();
  mon_shcsr = SHCSR;
  mon_dfsr = DFSR;
  DFSR = mon_dfsr; /* write-one-to-clear */
  FP_COMP(0) = 0;  /* the monitor steps off the breakpoint: the instruction runs on return */
  if (*(const uint16_t *)(frame[6] & ~1u) >> 8 == 0xBE) frame[6] += 2; /* over a BKPT */
}

__attribute__((naked)) void DebugMon_Handler(void) {
  __asm volatile("tst lr, #4\n\t"
                 "ite eq\n\t"
                 "mrseq r0, msp\n\t"
                 "mrsne r0, psp\n\t"
                 "b debugmon_dispatch\n\t");
}

static void mon_clear(void) { mon_count = mon_pc = mon_dfsr = mon_ipsr = mon_shcsr = 0; }

/* A breakpoint on the halfword at `addr` (REPLACE 01 lower, 10 upper). */
static void break_on(uint32_t addr) {
  uint32_t replace = (addr & 2) ? 2u : 1u;
  FP_COMP(0) = (replace << 30) | (addr & 0x1FFFFFFCu) | 1u;
  FP_CTRL = FP_CTRL_KEY | FP_CTRL_ENABLE;
  dsb_isb();
}

static void registers(int have_fpb) {
  uint32_t ctrl = FP_CTRL;
  if (!have_fpb) {
    skip("FP_CTRL NUM_CODE 6, NUM_LIT 2", "no FPB (QEMU does not model it)");
    skip("FP_CTRL ENABLE only with KEY", "no FPB");
    skip("FP_REMAP RMPSPT 1, REMAP stored", "no FPB");
    skip("FP_COMP0 fields", "no FPB");
    skip("FPB CoreSight IDs", "no FPB");
    return;
  }
  check_eq("FP_CTRL NUM_CODE 6, NUM_LIT 2", ctrl & 0x7FF0u, 0x260);
  FP_CTRL = FP_CTRL_ENABLE; /* no KEY: ignored */
  uint32_t no_key = FP_CTRL & 1u;
  FP_CTRL = FP_CTRL_KEY | FP_CTRL_ENABLE;
  uint32_t with_key = FP_CTRL & 1u;
  FP_CTRL = FP_CTRL_KEY;
  check("FP_CTRL ENABLE only with KEY", no_key == 0 && with_key == 1 && (FP_CTRL & 1u) == 0);
  FP_REMAP = 0xFFFFFFFFu;
  check_eq("FP_REMAP RMPSPT 1, REMAP stored", FP_REMAP, 0x3FFFFFE0u);
  FP_REMAP = 0;
  FP_COMP(0) = 0xFFFFFFFFu;
  check_eq("FP_COMP0 fields", FP_COMP(0), 0xDFFFFFFDu);
  FP_COMP(0) = 0;
  check("FPB CoreSight IDs", FP_PID0 == 0x03 && FP_CID1 == 0xE0);
}

static void breakpoints(int have_fpb) {
  uint32_t at = ((uint32_t)spot & ~1u) + 2;
  /* MON_EN: DebugMonitor before the adds, which runs once the monitor cleared FP_COMP0. */
  mon_clear();
  DEMCR |= DEMCR_MON_EN;
  break_on(at);
  uint32_t r = spot();
  if (!have_fpb) {
    skip("FPB breakpoint: DebugMonitor taken", "no FPB");
    skip("FPB breakpoint: HardFault with HFSR.DEBUGEVT without MON_EN", "no FPB");
  } else {
    check("FPB breakpoint: DebugMonitor taken", mon_count == 1 && mon_ipsr == EXC_DEBUGMONITOR &&
                                                    mon_pc == at && (mon_dfsr & DFSR_BKPT) &&
                                                    (mon_shcsr & SHCSR_MONITORACT) && r == 2);
    /* No monitor, no debugger: HardFault (DEBUGEVT), returning past the adds. */
    DEMCR &= ~DEMCR_MON_EN;
    fault_arm(RESUME_SKIP);
    break_on(at);
    r = spot();
    FP_COMP(0) = 0;
    check("FPB breakpoint: HardFault with HFSR.DEBUGEVT without MON_EN",
          fault.count == 1 && fault.exception == EXC_HARDFAULT && (fault.hfsr & HFSR_DEBUGEVT) &&
              fault.pc == at && r == 1);
    HFSR = HFSR_DEBUGEVT;
    DFSR = DFSR;
  }
  FP_CTRL = FP_CTRL_KEY;
  DEMCR &= ~DEMCR_MON_EN;
}

static void monitor(void) {
  /* A BKPT with MON_EN: DebugMonitor, stacked PC at the BKPT (the handler steps over it). */
  mon_clear();
  DEMCR |= DEMCR_MON_EN;
  fault_arm(RESUME_SKIP); /* QEMU 7.2 escalates the BKPT to HardFault instead */
  __asm volatile("bkpt #1" ::: "memory");
  fault_expect = 0;
  if (fault.count != 0 && mon_count == 0)
    skip("BKPT with MON_EN: DebugMonitor", "HardFault (QEMU 7.2 ignores MON_EN for BKPT)");
  else
    check("BKPT with MON_EN: DebugMonitor", mon_count == 1 && (mon_dfsr & DFSR_BKPT));
  DEMCR &= ~DEMCR_MON_EN;
  HFSR = HFSR;
  DFSR = DFSR;
  /* MON_PEND pends it (MON_EN clear); masked by BASEPRI until lowered. */
  mon_clear();
  SHPR8(EXC_DEBUGMONITOR) = 0x80;
  set_basepri(0x80);
  DEMCR |= DEMCR_MON_PEND;
  dsb_isb();
  uint32_t while_masked = mon_count;
  uint32_t pend_bit = DEMCR & DEMCR_MON_PEND;
  set_basepri(0);
  if (pend_bit == 0 && mon_count == 0)
    skip("MON_PEND pends DebugMonitor, taken when unmasked", "QEMU 7.2 ignores DEMCR.MON_PEND");
  else
    check("MON_PEND pends DebugMonitor, taken when unmasked",
          while_masked == 0 && pend_bit && mon_count == 1 && mon_ipsr == EXC_DEBUGMONITOR &&
              (DEMCR & DEMCR_MON_PEND) == 0);
  SHPR8(EXC_DEBUGMONITOR) = 0;
}

/* movs r0,#imm (lower halfword) and bx lr (upper): one patch word. */
#define PATCH_WORD(imm) (0x47700000u | 0x2000u | (imm))

static void remap(int have_fpb) {
  if (!have_fpb || (FP_REMAP & (1u << 29)) == 0) {
    skip("FPB remap: an instruction word fetched from the table", "no FPB remap");
    skip("FPB remap: the table's current word applies", "no FPB remap");
    skip("FPB remap: a literal load read from the table", "no FPB remap");
    skip("FPB remap: a data read of a literal word", "no FPB remap");
    return;
  }
  FP_REMAP = (uint32_t)remap_table;
  /* Instruction comparator 1 (REPLACE 00) on patchme's word: movs r0,#7 from table word 1. */
  remap_table[1] = PATCH_WORD(7);
  FP_COMP(1) = ((uint32_t)patchme & 0x1FFFFFFCu) | 1u;
  FP_CTRL = FP_CTRL_KEY | FP_CTRL_ENABLE;
  dsb_isb();
  uint32_t patched = patchme();
  FP_COMP(1) = 0;
  dsb_isb();
  uint32_t unpatched = patchme();
  check("FPB remap: an instruction word fetched from the table", patched == 7 && unpatched == 1);
  FP_COMP(1) = ((uint32_t)patchme & 0x1FFFFFFCu) | 1u;
  remap_table[1] = PATCH_WORD(9);
  dsb_isb();
  patched = patchme();
  FP_COMP(1) = 0;
  check("FPB remap: the table's current word applies", patched == 9);
  /* Literal comparators 6 and 7: litload's pc-relative literal, and a const word read. */
  remap_table[6] = 0x33333333u;
  remap_table[7] = 0x44444444u;
  FP_COMP(6) = ((uint32_t)litload + 3) & 0x1FFFFFFCu; /* the literal at litload + 4 */
  FP_COMP(6) |= 1u;
  FP_COMP(7) = ((uint32_t)&literal_word & 0x1FFFFFFCu) | 1u;
  dsb_isb();
  uint32_t lit = litload();
  uint32_t word = literal_word;
  FP_COMP(6) = 0;
  FP_COMP(7) = 0;
  dsb_isb();
  check("FPB remap: a literal load read from the table",
        lit == 0x33333333u && litload() == 0x22222222u);
  check("FPB remap: a data read of a literal word",
        word == 0x44444444u && literal_word == 0x11111111u);
  FP_CTRL = FP_CTRL_KEY;
  FP_REMAP = 0;
}

int main(void) {
  int have_fpb = (FP_CTRL & 0xF0u) != 0; /* NUM_CODE: 0 where nothing answers (QEMU) */
  registers(have_fpb);
  breakpoints(have_fpb);
  monitor();
  remap(have_fpb);
  return test_finish();
}
