/*
 * The DWT comparators as watchpoints (ARMv7-M ARM C1.8) taking the DebugMonitor exception
 * (B1.5, C1.6.5 DEMCR.MON_EN) with no debugger: data read and write watchpoints (the exception
 * comes once the access's instruction completed: the next instruction's address is stacked),
 * a PC match (before the instruction: its own address is stacked), a data value match on
 * comparator 1 linked to comparator 2's address, DWT_MASKn, FUNCTION.MATCHED
 * cleared by a read, DFSR.DWTTRAP, a watchpoint ignored without MON_EN, and DEMCR.MON_STEP
 * stepping a known instruction sequence (DFSR.HALTED).
 * QEMU (mps2-an386, 7.2) has no DWT (DWT_CTRL reads 0 there): those checks are SKIPs under
 * QEMU, and FAILs on f4emu's runner, which counts a SKIP as a failure.
 */
#include <stdio.h>

#include "testlib.h"

#define DWT_COMP(n) REG32(0xE0001020 + 16 * (n))
#define DWT_MASK(n) REG32(0xE0001024 + 16 * (n))
#define DWT_FUNCTION(n) REG32(0xE0001028 + 16 * (n))
#define DFSR REG32(0xE000ED30)

#define DEMCR_MON_EN (1u << 16)
#define DEMCR_MON_STEP (1u << 18)
#define DEMCR_MON_REQ (1u << 19)
#define DEMCR_TRCENA (1u << 24)
#define DFSR_HALTED (1u << 0)
#define DFSR_DWTTRAP (1u << 2)
#define FUNCTION_MATCHED (1u << 24)
#define FUNCTION_LNK1ENA (1u << 9)
#define FUNCTION_DATAVMATCH (1u << 8)
#define DATAVSIZE_WORD (2u << 10)
#define DATAVADDR0(n) ((uint32_t)(n) << 12)
#define DATAVADDR1(n) ((uint32_t)(n) << 16)
#define FN_PC 4u
#define FN_READ 5u
#define FN_WRITE 6u
#define EXC_DEBUGMONITOR 12

/*
 * wread(p): ldr r0,[r0]; nop; bx lr.     A read watchpoint stacks wread + 2.
 * wwrite(p, v): str r1,[r0]; nop; bx lr. A write watchpoint stacks wwrite + 2.
 * spot(): movs r0,#1; adds r0,#1; bx lr. A PC match on the adds stacks spot + 2.
 * stepseq(): movs r0,#1; movs r0,#2; movs r0,#3; movs r0,#4; bx lr (stepped from its start).
 */
__asm__(".text\n\t.thumb\n\t.align 2\n"
        "\t.global wread\n\t.thumb_func\n\t.type wread, %function\n"
        "wread:\n\tldr r0, [r0]\n\tnop\n\tbx lr\n\t.size wread, . - wread\n"
        "\t.align 2\n\t.global wwrite\n\t.thumb_func\n\t.type wwrite, %function\n"
        "wwrite:\n\tstr r1, [r0]\n\tnop\n\tbx lr\n\t.size wwrite, . - wwrite\n"
        "\t.align 2\n\t.global spot\n\t.thumb_func\n\t.type spot, %function\n"
        "spot:\n\tmovs r0, #1\n\tadds r0, #1\n\tbx lr\n\t.size spot, . - spot\n"
        "\t.align 2\n\t.global stepseq\n\t.thumb_func\n\t.type stepseq, %function\n"
        "stepseq:\n\tmovs r0, #1\n\tmovs r0, #2\n\tmovs r0, #3\n\tmovs r0, #4\n\tbx lr\n"
        "\t.size stepseq, . - stepseq\n");
uint32_t wread(volatile uint32_t *p);
void wwrite(volatile uint32_t *p, uint32_t v);
uint32_t spot(void);
uint32_t stepseq(void);

#define ADDR(fn) ((uint32_t)(fn) & ~1u)

static volatile uint32_t data[4] __attribute__((aligned(16)));

/* What the monitor saw: the last watchpoint entry, and the stacked PCs of step entries. */
static volatile uint32_t mon_count, mon_pc, mon_dfsr, mon_ipsr, mon_fn_first, mon_fn_second;
static volatile uint32_t watch_n;       /* the comparator whose FUNCTION the monitor reads */
static volatile uint32_t step_after;    /* the monitor sets MON_STEP on a watchpoint entry */
static volatile uint32_t step_count, step_wanted, step_dfsr;
static volatile uint32_t step_pc[8];

/* frame: stacked r0, r1, r2, r3, r12, lr, pc, xpsr. */
__attribute__((used)) void debugmon_dispatch(uint32_t *frame) {
  uint32_t dfsr = DFSR;
  DFSR = dfsr; /* write-one-to-clear */
  if (dfsr & DFSR_HALTED) {
    if (step_count < 8) step_pc[step_count] = frame[6];
    step_count++;
    step_dfsr |= dfsr;
    if (step_count >= step_wanted) DEMCR &= ~DEMCR_MON_STEP;
    return;
  }
  mon_count++;
  mon_pc = frame[6];
  mon_dfsr = dfsr;
  mon_ipsr = get_ipsr();
  mon_fn_first = DWT_FUNCTION(watch_n);  /* MATCHED set */
  mon_fn_second = DWT_FUNCTION(watch_n); /* cleared by the first read */
  for (int n = 0; n < 4; n++) DWT_FUNCTION(n) = 0; /* a PC match would match again */
  if (step_after) DEMCR |= DEMCR_MON_STEP;
}

__attribute__((naked)) void DebugMon_Handler(void) {
  __asm volatile("tst lr, #4\n\t"
                 "ite eq\n\t"
                 "mrseq r0, msp\n\t"
                 "mrsne r0, psp\n\t"
                 "b debugmon_dispatch\n\t");
}

static void mon_clear(void) {
  mon_count = mon_pc = mon_dfsr = mon_ipsr = mon_fn_first = mon_fn_second = 0;
}

/* Comparator n on `addr` (MASK `mask`) with FUNCTION `fn`. */
static void arm(uint32_t n, uint32_t addr, uint32_t mask, uint32_t fn) {
  watch_n = n;
  DWT_COMP(n) = addr;
  DWT_MASK(n) = mask;
  DWT_FUNCTION(n) = fn;
  dsb_isb();
}

static void registers(void) {
  check_eq("DWT_CTRL.NUMCOMP 4", DWT_CTRL >> 28, 4);
  DWT_COMP(3) = 0x20001234u;
  DWT_MASK(3) = 0xFFFFFFFFu;
  DWT_FUNCTION(3) = FN_READ;
  check("DWT_COMP3/MASK3/FUNCTION3 read back",
        DWT_COMP(3) == 0x20001234u && DWT_MASK(3) != 0 && (DWT_MASK(3) & ~0x1Fu) == 0 &&
            (DWT_FUNCTION(3) & 0xFu) == FN_READ);
  DWT_FUNCTION(3) = 0;
  DWT_MASK(3) = 0;
  check("DWT_FUNCTION1.LNK1ENA: two linked comparators for value matching",
        (DWT_FUNCTION(1) & FUNCTION_LNK1ENA) != 0 && (DWT_FUNCTION(2) & FUNCTION_LNK1ENA) == 0);
  DEMCR |= DEMCR_MON_REQ;
  uint32_t req = DEMCR & DEMCR_MON_REQ;
  DEMCR &= ~DEMCR_MON_REQ;
  check("DEMCR.MON_REQ stored and cleared", req && (DEMCR & DEMCR_MON_REQ) == 0);
}

static void data_watchpoints(void) {
  data[0] = 0x11111111u;
  data[1] = 0x22222222u;
  data[2] = 0x33333333u;
  /* Read watchpoint: DebugMonitor after the ldr, its result kept, the nop's address stacked. */
  mon_clear();
  arm(0, (uint32_t)&data[1], 0, FN_READ);
  uint32_t v = wread(&data[1]);
  check("read watchpoint: DebugMonitor after the load, next PC stacked",
        mon_count == 1 && mon_ipsr == EXC_DEBUGMONITOR && mon_pc == ADDR(wread) + 2 &&
            v == 0x22222222u);
  check("read watchpoint: DFSR.DWTTRAP", (mon_dfsr & DFSR_DWTTRAP) != 0);
  check("FUNCTION.MATCHED set, cleared by the read",
        (mon_fn_first & FUNCTION_MATCHED) && (mon_fn_second & FUNCTION_MATCHED) == 0 &&
            (mon_fn_first & 0xFu) == FN_READ);
  /* Write watchpoint: a read does not match; the store does, after it completed. */
  mon_clear();
  arm(1, (uint32_t)&data[2], 0, FN_WRITE);
  v = wread(&data[2]);
  uint32_t after_read = mon_count;
  wwrite(&data[2], 0x44444444u);
  check("write watchpoint: a read does not match, the store does",
        after_read == 0 && v == 0x33333333u && mon_count == 1 && mon_pc == ADDR(wwrite) + 2 &&
            (mon_dfsr & DFSR_DWTTRAP) && data[2] == 0x44444444u);
  /* MASK 3: the comparator covers data[0..1] (8 bytes); data[2] is outside. */
  mon_clear();
  arm(2, (uint32_t)&data[0], 3, FN_READ);
  (void)wread(&data[2]);
  uint32_t outside = mon_count;
  (void)wread(&data[1]);
  check("DWT_MASK: the low 3 address bits ignored", outside == 0 && mon_count == 1 &&
                                                         mon_pc == ADDR(wread) + 2);
  /* Without MON_EN (and no debugger) the event is ignored; MATCHED is still set. */
  DEMCR &= ~DEMCR_MON_EN;
  mon_clear();
  fault_arm(RESUME_SKIP);
  arm(0, (uint32_t)&data[1], 0, FN_READ);
  v = wread(&data[1]);
  fault_expect = 0;
  uint32_t fn = DWT_FUNCTION(0);
  DWT_FUNCTION(0) = 0;
  check("without MON_EN the watchpoint is ignored (no exception), MATCHED set",
        mon_count == 0 && fault.count == 0 && v == 0x22222222u && (fn & FUNCTION_MATCHED));
  DEMCR |= DEMCR_MON_EN;
}

static void value_match(void) {
  /* Comparator 1 matches a word store of 0xCAFEF00D to data[3], comparator 2's address. */
  mon_clear();
  DWT_COMP(2) = (uint32_t)&data[3];
  DWT_MASK(2) = 0;
  DWT_FUNCTION(2) = 0;
  watch_n = 1;
  DWT_COMP(1) = 0xCAFEF00Du;
  DWT_FUNCTION(1) =
      FN_WRITE | FUNCTION_DATAVMATCH | DATAVSIZE_WORD | DATAVADDR0(2) | DATAVADDR1(2);
  dsb_isb();
  wwrite(&data[3], 0x12345678u);
  uint32_t other_value = mon_count;
  wwrite(&data[3], 0xCAFEF00Du);
  check("data value match: a store of COMP1's value at the linked address",
        other_value == 0 && mon_count == 1 && mon_pc == ADDR(wwrite) + 2 &&
            (mon_fn_first & FUNCTION_MATCHED) && (mon_dfsr & DFSR_DWTTRAP));
}

static void pc_match(void) {
  /* DebugMonitor before the adds: its address stacked; it runs once the monitor disarmed. */
  mon_clear();
  arm(3, ADDR(spot) + 2, 0, FN_PC);
  uint32_t r = spot();
  check("PC match: DebugMonitor before the instruction, its address stacked",
        mon_count == 1 && mon_pc == ADDR(spot) + 2 && (mon_dfsr & DFSR_DWTTRAP) && r == 2);
}

static void monitor_step(void) {
  /* A PC match on stepseq's first instruction; the monitor sets MON_STEP: three steps. */
  mon_clear();
  step_count = 0;
  step_wanted = 3;
  step_dfsr = 0;
  step_after = 1;
  arm(0, ADDR(stepseq), 0, FN_PC);
  uint32_t r = stepseq();
  step_after = 0;
  check("MON_STEP: DebugMonitor after each of three instructions, DFSR.HALTED",
        mon_count == 1 && mon_pc == ADDR(stepseq) && step_count == 3 && step_dfsr == DFSR_HALTED &&
            step_pc[0] == ADDR(stepseq) + 2 && step_pc[1] == ADDR(stepseq) + 4 &&
            step_pc[2] == ADDR(stepseq) + 6 && r == 4 && (DEMCR & DEMCR_MON_STEP) == 0);
}

int main(void) {
  int have_dwt = (DWT_CTRL >> 28) != 0; /* NUMCOMP: 0 where nothing answers (QEMU) */
  if (!have_dwt) {
    const char *why = "no DWT comparators (QEMU does not model them)";
    skip("DWT_CTRL.NUMCOMP 4", why);
    skip("DWT_COMP3/MASK3/FUNCTION3 read back", why);
    skip("DEMCR.MON_REQ stored and cleared", why);
    skip("read watchpoint: DebugMonitor after the load, next PC stacked", why);
    skip("read watchpoint: DFSR.DWTTRAP", why);
    skip("FUNCTION.MATCHED set, cleared by the read", why);
    skip("write watchpoint: a read does not match, the store does", why);
    skip("DWT_MASK: the low 3 address bits ignored", why);
    skip("without MON_EN the watchpoint is ignored (no exception), MATCHED set", why);
    skip("DWT_FUNCTION1.LNK1ENA: two linked comparators for value matching", why);
    skip("data value match: a store of COMP1's value at the linked address", why);
    skip("PC match: DebugMonitor before the instruction, its address stacked", why);
    skip("MON_STEP: DebugMonitor after each of three instructions, DFSR.HALTED", why);
    return test_finish();
  }
  DEMCR |= DEMCR_TRCENA | DEMCR_MON_EN;
  registers();
  data_watchpoints();
  value_match();
  pc_match();
  monitor_step();
  DEMCR &= ~(DEMCR_MON_EN | DEMCR_MON_STEP);
  return test_finish();
}
