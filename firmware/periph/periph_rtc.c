/*
 * RTC (RM0090 §26) on the LSE: write protection, the calendar set in initialization mode and
 * running across the end of February 2024 (a leap year), alarm A through EXTI line 17
 * (RTC_Alarm, IRQ 41), the periodic wakeup timer through EXTI line 22 (RTC_WKUP, IRQ 3), and the
 * backup domain surviving a software reset (SYSRESETREQ): backup registers, LSE, RTC clock
 * selection, and the calendar still running. SysTick (0.5 s at 16 MHz) paces the waits; the
 * core sleeps in WFI. Runs on f4emu only (see stm32f4.h).
 */
#include "stm32f4.h"

#define RTC_BASE 0x40002800u
#define RTC_TR REG32(RTC_BASE + 0x00)
#define RTC_DR REG32(RTC_BASE + 0x04)
#define RTC_CR REG32(RTC_BASE + 0x08)
#define RTC_ISR REG32(RTC_BASE + 0x0C)
#define RTC_PRER REG32(RTC_BASE + 0x10)
#define RTC_WUTR REG32(RTC_BASE + 0x14)
#define RTC_ALRMAR REG32(RTC_BASE + 0x1C)
#define RTC_WPR REG32(RTC_BASE + 0x24)
#define RTC_SSR REG32(RTC_BASE + 0x28)
#define RTC_BKPR(n) REG32(RTC_BASE + 0x50 + 4 * (n))
#define RTC_CR_FMT (1u << 6)
#define RTC_CR_ALRAE (1u << 8)
#define RTC_CR_WUTE (1u << 10)
#define RTC_CR_ALRAIE (1u << 12)
#define RTC_CR_WUTIE (1u << 14)
#define RTC_ISR_ALRAWF (1u << 0)
#define RTC_ISR_WUTWF (1u << 2)
#define RTC_ISR_INITS (1u << 4)
#define RTC_ISR_RSF (1u << 5)
#define RTC_ISR_INITF (1u << 6)
#define RTC_ISR_INIT (1u << 7)
#define RTC_ISR_ALRAF (1u << 8)
#define RTC_ISR_WUTF (1u << 10)
#define RTC_ALRM_MSK4 (1u << 31)
#define IRQ_RTC_WKUP 3
#define IRQ_RTC_ALARM 41
#define RCC_BDCR_LSEON (1u << 0)
#define RCC_BDCR_LSERDY (1u << 1)
#define RCC_BDCR_RTCSEL_LSE (1u << 8)
#define RCC_BDCR_RTCEN (1u << 15)
#define PWR_CR_DBP (1u << 8)
#define AIRCR REG32(0xE000ED0Cu)
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)

static volatile uint32_t systicks;
static volatile uint32_t alarms, alarm_tr;
static volatile uint32_t wakeups, wakeup_cycles[4];

void SysTick_Handler(void) { systicks++; }

void Default_IRQHandler(void) {
  uint32_t irq = get_ipsr() - 16;
  if (irq == IRQ_RTC_ALARM) {
    alarm_tr = RTC_TR;
    alarms++;
    RTC_ISR = ~(RTC_ISR_ALRAF | RTC_ISR_INIT); /* rc_w0; INIT stays 0 */
    EXTI_PR = 1u << 17;
  } else if (irq == IRQ_RTC_WKUP) {
    if (wakeups < 4) wakeup_cycles[wakeups] = DWT_CYCCNT;
    wakeups++;
    RTC_ISR = ~(RTC_ISR_WUTF | RTC_ISR_INIT);
    EXTI_PR = 1u << 22;
  } else {
    printf("FAIL unexpected interrupt %lu\n", (unsigned long)irq);
    periph_failures++;
    for (;;) {
    }
  }
  dsb_isb();
}

static void systick_start(void) {
  SYST_RVR = 8000000u - 1; /* 0.5 s at 16 MHz */
  SYST_CVR = 0;
  systicks = 0;
  SYST_CSR = 7; /* ENABLE, TICKINT, processor clock */
}

static void sleep_ticks(uint32_t n) {
  uint32_t start = systicks;
  while (systicks - start < n) __asm volatile("wfi");
}

static void backup_access(void) {
  RCC_APB1ENR |= 1u << 28; /* PWREN */
  PWR_CR |= PWR_CR_DBP;
  dsb_isb();
}

static void rtc_unlock(void) {
  RTC_WPR = 0xCA;
  RTC_WPR = 0x53;
}

static void wait_rsf(void) {
  RTC_ISR = ~(RTC_ISR_RSF | RTC_ISR_INIT);
  while (!(RTC_ISR & RTC_ISR_RSF)) {
  }
}

static uint32_t bcd_seconds(uint32_t tr) {
  uint32_t h = ((tr >> 20) & 3) * 10 + ((tr >> 16) & 15);
  uint32_t m = ((tr >> 12) & 7) * 10 + ((tr >> 8) & 15);
  uint32_t s = ((tr >> 4) & 7) * 10 + (tr & 15);
  return h * 3600 + m * 60 + s;
}

static void first_start(void) {
  check_eq("TR reset", RTC_TR, 0);
  check_eq("DR reset (Monday 2000-01-01)", RTC_DR, 0x2101);
  check_eq("ISR reset", RTC_ISR, 0x7);
  check_eq("PRER reset", RTC_PRER, 0x7F00FF);

  RCC_BDCR |= RCC_BDCR_LSEON;
  while (!(RCC_BDCR & RCC_BDCR_LSERDY)) {
  }
  RCC_BDCR |= RCC_BDCR_RTCSEL_LSE | RCC_BDCR_RTCEN;
  check("LSE ready, RTC clocked", (RCC_BDCR & 0x8303u) == 0x8103u);

  RTC_CR = RTC_CR_FMT;
  check_eq("CR write-protected until the WPR keys", RTC_CR, 0);
  rtc_unlock();

  RTC_ISR = RTC_ISR_INIT;
  while (!(RTC_ISR & RTC_ISR_INITF)) {
  }
  RTC_TR = 0x235958;   /* 23:59:58 */
  RTC_DR = 0x246228;   /* Wednesday 2024-02-28 */
  RTC_ISR = 0;         /* leave init mode: the calendar runs */
  systick_start();
  check_eq("TR set", RTC_TR, 0x235958);
  check_eq("DR set", RTC_DR, 0x246228);
  wait_rsf();
  check("INITS: the calendar is initialised", (RTC_ISR & RTC_ISR_INITS) != 0);

  nvic_enable(IRQ_RTC_ALARM);
  nvic_enable(IRQ_RTC_WKUP);
  sleep_ticks(7); /* 3.5 s */
  check_eq("3.5 s later: 00:00:01", RTC_TR, 0x000001);
  check_eq("leap day: Thursday 2024-02-29", RTC_DR, 0x248229);

  /* Alarm A at 00:00:03, any date. */
  check("ALRAWF while alarm A is off", (RTC_ISR & RTC_ISR_ALRAWF) != 0);
  RTC_ALRMAR = RTC_ALRM_MSK4 | 0x000003;
  EXTI_IMR |= 1u << 17;
  EXTI_RTSR |= 1u << 17;
  RTC_CR |= RTC_CR_ALRAIE | RTC_CR_ALRAE;
  while (!alarms) __asm volatile("wfi");
  check_eq("one alarm interrupt", alarms, 1);
  check_eq("alarm at 00:00:03", alarm_tr, 0x000003);
  check_eq("ALRAF cleared by the handler", RTC_ISR & RTC_ISR_ALRAF, 0);
  RTC_CR &= ~(RTC_CR_ALRAIE | RTC_CR_ALRAE);

  /* Wakeup timer: RTC/16 = 2048 Hz, 205 ticks = 100.1 ms = 1601562.5 cycles. */
  while (!(RTC_ISR & RTC_ISR_WUTWF)) {
  }
  RTC_WUTR = 204;
  EXTI_IMR |= 1u << 22;
  EXTI_RTSR |= 1u << 22;
  cyccnt_start();
  RTC_CR |= RTC_CR_WUTIE | RTC_CR_WUTE; /* WUCKSEL = 0: RTC/16 */
  while (wakeups < 3) __asm volatile("wfi");
  RTC_CR &= ~(RTC_CR_WUTIE | RTC_CR_WUTE);
  check_range("first wakeup after 205 RTC/16 ticks", wakeup_cycles[0], 1601000, 1602200);
  check_range("periodic wakeup", wakeup_cycles[2] - wakeup_cycles[1], 1601000, 1602200);

  RTC_BKPR(0) = 0xCAFEF00Du;
  RTC_BKPR(19) = 0x19191919u;
  RTC_BKPR(1) = RTC_TR;
  (void)RTC_DR; /* unlock the shadow registers */
  check_eq("backup register", RTC_BKPR(0), 0xCAFEF00Du);
  if (periph_failures) return;
  RCC_CSR |= RCC_CSR_RMVF;
  fflush(stdout);
  __asm volatile("dsb" ::: "memory");
  AIRCR = 0x05FA0000u | (1u << 2); /* SYSRESETREQ */
  __asm volatile("dsb" ::: "memory");
  for (;;) {
  }
}

static void after_reset(uint32_t csr) {
  check_eq("after SYSRESETREQ: SFTRSTF | PINRSTF", csr & 0xFE000000u,
           RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF);
  check_eq("backup register 0 kept", RTC_BKPR(0), 0xCAFEF00Du);
  check_eq("backup register 19 kept", RTC_BKPR(19), 0x19191919u);
  check_eq("LSE and RTC clock selection kept", RCC_BDCR & 0x8303u, 0x8103u);
  check("calendar still initialised", (RTC_ISR & RTC_ISR_INITS) != 0);
  check_eq("PWR_CR.DBP cleared by the reset", PWR_CR & PWR_CR_DBP, 0);
  RTC_BKPR(0) = 0;
  check_eq("backup registers read-only without DBP", RTC_BKPR(0), 0xCAFEF00Du);
  backup_access();
  RTC_CR = RTC_CR_FMT;
  check_eq("write protection back after the reset", RTC_CR & RTC_CR_FMT, 0);

  wait_rsf();
  uint32_t before = RTC_TR;
  check_eq("date kept", RTC_DR, 0x248229);
  check("time did not go back", bcd_seconds(before) >= bcd_seconds(RTC_BKPR(1)));
  systick_start();
  sleep_ticks(3); /* 1.5 s */
  uint32_t after = RTC_TR;
  (void)RTC_DR;
  check_range("calendar still running: 1-2 s in 1.5 s", bcd_seconds(after) - bcd_seconds(before),
              1, 2);
}

int main(void) {
  uint32_t csr = RCC_CSR;
  if (!(csr & RCC_CSR_SFTRSTF)) {
    backup_access();
    first_start();
  } else {
    after_reset(csr);
  }
  return periph_finish();
}
