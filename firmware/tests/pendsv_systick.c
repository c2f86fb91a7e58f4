/*
 * SysTick on the core clock (CSR = 7, small reload) pends PendSV from its handler; PendSV, at
 * the lowest priority, runs only after SysTick returns, and SysTick preempts a running PendSV.
 * Also: COUNTFLAG, RVR width, ICSR.PENDSTSET / PENDSVSET / PENDSVCLR, RETTOBASE, VECTACTIVE.
 * Only counts and flags are checked, never timings, so the output is deterministic.
 */
#include <stdio.h>

#include "testlib.h"

#define SYSTICK_RELOAD 1999 /* a tick every 2000 core clocks */
#define PENDSV_EVERY 4      /* SysTick pends PendSV on every 4th tick */
#define PENDSV_TARGET 8
#define SPIN_LIMIT 100000000u /* QEMU's SysTick runs in host time: allow for a slow host */
#define SHCSR_PENDSVACT (1u << 10)

static volatile uint32_t ticks, pendsv_count;
static volatile uint32_t systick_errors, pendsv_errors;
static volatile uint32_t pendsv_pending_seen, nested_ticks, plain_ticks_rettobase;
static volatile uint32_t nested_rettobase_ok, pendsv_preempted, in_pendsv;

void SysTick_Handler(void) {
  uint32_t icsr = ICSR;
  ticks++;
  if (ICSR_VECTACTIVE(icsr) != EXC_SYSTICK) systick_errors++;
  /* Whether this tick preempted PendSV: its active bit, exact even in the few instructions
   * before PendSV_Handler sets in_pendsv or after it clears it (QEMU's host-timed SysTick can
   * land there). */
  if (SHCSR & SHCSR_PENDSVACT) {
    nested_ticks++;
    if (!(icsr & ICSR_RETTOBASE)) nested_rettobase_ok++;
  } else if (icsr & ICSR_RETTOBASE) {
    plain_ticks_rettobase++;
  }
  /* Pend PendSV every few ticks, but not from a tick that preempted PendSV itself: PendSV would
   * then find its own pending bit set again, as QEMU's host-timed SysTick can make happen under
   * load before the handler's first check. */
  if (ticks % PENDSV_EVERY == 0 && !(SHCSR & SHCSR_PENDSVACT)) {
    uint32_t before = pendsv_count;
    ICSR = ICSR_PENDSVSET;
    dsb_isb();
    if (ICSR & ICSR_PENDSVSET) pendsv_pending_seen++;
    /* PendSV has lower priority: it must not have run inside this handler. */
    if (pendsv_count != before) systick_errors++;
  }
}

void PendSV_Handler(void) {
  uint32_t start = ticks;
  in_pendsv = 1;
  pendsv_count++;
  if (ICSR_VECTACTIVE(ICSR) != EXC_PENDSV) pendsv_errors++;
  if (ICSR & ICSR_PENDSVSET) pendsv_errors++; /* taking PendSV clears its pending bit */
  /* The first few times, stay here until SysTick has preempted this handler. */
  if (pendsv_count <= 3) {
    uint32_t spins = 0;
    while (ticks == start && ++spins < SPIN_LIMIT) {
    }
    if (ticks != start) pendsv_preempted++;
  }
  in_pendsv = 0;
}

int main(void) {
  uint32_t spins;

  /* SysTick registers. */
  SYST_CSR = 0;
  SYST_RVR = 0xFFFFFFFF;
  check_eq("SysTick RVR is 24 bits", SYST_RVR, 0x00FFFFFF);
  SYST_RVR = 999;
  SYST_CVR = 12345; /* any write clears the counter */
  check_eq("SysTick CVR write clears", SYST_CVR, 0);
  SYST_CSR = 5; /* core clock, enabled, no interrupt */
  {
    /* Watch CVR (not CSR, whose read clears COUNTFLAG) until it reloads, then stop the timer. */
    uint32_t prev = SYST_CVR, cur, wrapped = 0;
    for (spins = 0; spins < SPIN_LIMIT && !wrapped; spins++) {
      cur = SYST_CVR;
      wrapped = cur > prev;
      prev = cur;
    }
    check("SysTick CVR counts down and reloads", wrapped);
  }
  spins = 0;
  while (!(SYST_CSR & (1u << 16)) && ++spins < SPIN_LIMIT) {
  }
  SYST_CSR = 4; /* stop the timer so that no new wrap can set COUNTFLAG */
  check("SysTick COUNTFLAG sets on wrap", spins < SPIN_LIMIT);
  /*
   * The read that saw COUNTFLAG cleared it, but a wrap between that read and the stop sets it
   * again (QEMU's SysTick runs in host time, so host scheduling can stretch that window). One
   * more read absorbs such a wrap; with the timer stopped, the next read must give 0.
   */
  (void)SYST_CSR;
  check_eq("SysTick COUNTFLAG clears on read", SYST_CSR & (1u << 16), 0);
  check_eq("SysTick CSR reads back", SYST_CSR & 7, 4);
  check_eq("SysTick wrap without TICKINT takes no exception", ticks, 0);
  SYST_CSR = 0;

  /* ICSR.PENDSTSET pends SysTick by software, even with the timer stopped. */
  irq_disable();
  ICSR = ICSR_PENDSTSET;
  dsb_isb();
  check("ICSR.PENDSTSET reads back", (ICSR & ICSR_PENDSTSET) != 0);
  check_eq("ICSR.VECTPENDING is SysTick", ICSR_VECTPENDING(ICSR), EXC_SYSTICK);
  irq_enable();
  check_eq("pended SysTick taken", ticks, 1);
  check_eq("PENDSTSET clear after SysTick taken", ICSR & ICSR_PENDSTSET, 0);

  /* PENDSVCLR withdraws a pended PendSV. */
  irq_disable();
  ICSR = ICSR_PENDSVSET;
  dsb_isb();
  check("ICSR.PENDSVSET reads back", (ICSR & ICSR_PENDSVSET) != 0);
  ICSR = ICSR_PENDSVCLR;
  dsb_isb();
  check_eq("ICSR.PENDSVCLR clears PendSV", ICSR & ICSR_PENDSVSET, 0);
  irq_enable();
  check_eq("cleared PendSV not taken", pendsv_count, 0);

  /* The real thing: SysTick running, pending PendSV every few ticks. */
  ticks = nested_ticks = plain_ticks_rettobase = 0;
  SHPR8(EXC_SYSTICK) = 0x40;
  SHPR8(EXC_PENDSV) = 0xE0;
  SYST_RVR = SYSTICK_RELOAD;
  SYST_CVR = 0;
  SYST_CSR = 7; /* CLKSOURCE = core, TICKINT, ENABLE */
  spins = 0;
  while (pendsv_count < PENDSV_TARGET && ++spins < SPIN_LIMIT) {
  }
  SYST_CSR = 0;
  dsb_isb();
  check("PendSV ran the target number of times", pendsv_count >= PENDSV_TARGET);
  check("SysTick ticked at least PENDSV_EVERY per PendSV", ticks >= PENDSV_EVERY * PENDSV_TARGET);
  check("PendSV seen pending inside SysTick", pendsv_pending_seen >= PENDSV_TARGET);
  check_eq("PendSV never ran inside SysTick; VECTACTIVE=15", systick_errors, 0);
  check_eq("PendSV VECTACTIVE=14 and pending bit clear", pendsv_errors, 0);
  check_eq("SysTick preempted a busy PendSV", pendsv_preempted, 3);
  check("SysTick nested in PendSV at least 3 times", nested_ticks >= 3);
  check_eq("RETTOBASE=0 when SysTick nests in PendSV", nested_rettobase_ok, nested_ticks);
  check_eq("RETTOBASE=1 when SysTick preempts thread", plain_ticks_rettobase,
           ticks - nested_ticks);
  return test_finish();
}
