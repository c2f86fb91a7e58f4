import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { Exti } from '../exti/exti.js';
import { Pwr } from '../pwr/pwr.js';
import { LSE_STARTUP_CYCLES, Rcc } from '../rcc/rcc.js';
import { testContext } from '../rcc/testing.js';
import { daysFromDate, dateFromDays } from './calendar.js';
import { Rtc } from './rtc.js';

const RTC_BASE = socBlock('RTC').base;

const TR = 0x00;
const DR = 0x04;
const CR = 0x08;
const ISR = 0x0c;
const PRER = 0x10;
const WUTR = 0x14;
const ALRMAR = 0x1c;
const WPR = 0x24;
const SSR = 0x28;
const BKP0R = 0x50;
const RCC_BDCR = 0x40023870;
const PWR_CR = 0x40007000;
const EXTI_IMR = 0x40013c00;
const EXTI_RTSR = 0x40013c08;
const EXTI_PR = 0x40013c14;
/** One second of LSE at the reset HCLK of 16 MHz. */
const SECOND = 16_000_000;

function setup(options: { lse?: boolean } = {}) {
  const t = testContext();
  const rcc = t.attach(new Rcc(socBlock('RCC'), t.ctx));
  const pwr = t.attach(new Pwr(socBlock('PWR'), t.ctx));
  const exti = t.attach(new Exti(socBlock('EXTI'), t.ctx));
  const rtc = t.attach(
    new Rtc(socBlock('RTC'), t.ctx, {
      rtcClockHz: () => rcc.rtcClockHz(),
      onBackupDomainChange: (l) => rcc.onBackupDomainChange(l),
      backupWritable: () => pwr.cr.flag('DBP'),
      setExtiLine: (line, level) => exti.setLine(line, level),
    }),
  );
  const rd = (off: number) => t.bus.read32(RTC_BASE + off) >>> 0;
  const wr = (off: number, v: number) => t.bus.write32(RTC_BASE + off, v);
  const unlock = () => {
    wr(WPR, 0xca);
    wr(WPR, 0x53);
  };
  /** DBP, LSE on, RTC clocked from LSE, registers unlocked. */
  const start = () => {
    t.bus.write32(PWR_CR, t.bus.read32(PWR_CR) | (1 << 8));
    t.bus.write32(RCC_BDCR, 1);
    t.advance(LSE_STARTUP_CYCLES);
    t.bus.write32(RCC_BDCR, 1 | (1 << 8) | (1 << 15));
    unlock();
  };
  /** Init mode, TR/DR (and optionally CR.FMT), leave init mode. */
  const setCalendar = (tr: number, dr: number) => {
    wr(ISR, 1 << 7);
    while (!(rd(ISR) & (1 << 6))) t.advance(100);
    wr(TR, tr);
    wr(DR, dr);
    wr(ISR, 0);
  };
  return { ...t, rcc, pwr, exti, rtc, rd, wr, unlock, start, setCalendar };
}

describe('calendar arithmetic', () => {
  it('converts days and dates, with leap years', () => {
    expect(daysFromDate(0, 1, 1)).toBe(0);
    expect(daysFromDate(1, 1, 1)).toBe(366);
    expect(dateFromDays(daysFromDate(24, 2, 29))).toEqual({ year: 24, month: 2, day: 29 });
    expect(dateFromDays(daysFromDate(24, 2, 28) + 1)).toEqual({ year: 24, month: 2, day: 29 });
    expect(dateFromDays(daysFromDate(23, 2, 28) + 1)).toEqual({ year: 23, month: 3, day: 1 });
    expect(dateFromDays(daysFromDate(99, 12, 31) + 1)).toEqual({ year: 0, month: 1, day: 1 });
  });
});

describe('RTC', () => {
  it('has the RM0090 reset values', () => {
    const { rd } = setup();
    expect([rd(TR), rd(DR), rd(CR), rd(ISR), rd(PRER), rd(WUTR)]).toEqual([
      0, 0x2101, 0, 7, 0x7f00ff, 0xffff,
    ]);
  });

  it('is write-protected by WPR and PWR_CR.DBP', () => {
    const { rd, wr, bus, unlock } = setup();
    wr(CR, 1 << 6);
    wr(BKP0R, 0x1234);
    expect([rd(CR), rd(BKP0R)]).toEqual([0, 0]); // DBP clear
    bus.write32(PWR_CR, 1 << 8);
    wr(BKP0R, 0x1234);
    expect(rd(BKP0R)).toBe(0x1234); // backup registers need DBP only
    wr(CR, 1 << 6);
    expect(rd(CR)).toBe(0); // WPR locked
    unlock();
    wr(CR, 1 << 6);
    expect(rd(CR)).toBe(1 << 6);
    wr(WPR, 0xff); // a wrong key locks again
    wr(CR, 0);
    expect(rd(CR)).toBe(1 << 6);
  });

  it('sets the calendar in init mode and runs 1 s per ck_spre', () => {
    const { rd, wr, advance, start, setCalendar } = setup();
    start();
    wr(TR, 0x123456); // ignored outside init mode
    expect(rd(TR)).toBe(0);
    wr(ISR, 1 << 7);
    expect(rd(ISR) & (3 << 6)).toBe(1 << 7); // INIT, INITF not yet
    advance(2 * 489);
    expect(rd(ISR) & (3 << 6)).toBe(3 << 6);
    wr(TR, 0x235958);
    wr(DR, 0x246228); // 2024-02-28, Wednesday (3)
    expect(rd(TR)).toBe(0x235958);
    advance(5 * SECOND); // stopped in init mode
    expect(rd(TR)).toBe(0x235958);
    wr(ISR, 0);
    expect(rd(SSR)).toBe(255);
    advance(SECOND - 1);
    expect(rd(TR)).toBe(0x235958);
    expect(rd(SSR)).toBe(0);
    advance(1);
    expect(rd(TR)).toBe(0x235959);
    advance(SECOND);
    expect(rd(TR)).toBe(0);
    expect(rd(DR)).toBe(0x248229); // 2024-02-29, Thursday
    advance(86_400 * SECOND);
    expect(rd(DR)).toBe(0x24a301); // 2024-03-01, Friday
    expect(rd(ISR) & (1 << 4)).toBe(1 << 4); // INITS
  });

  it('rolls over minutes, hours, days, months and years', () => {
    const { rd, advance, start, setCalendar } = setup();
    start();
    setCalendar(0x235959, 0x99f231); // 2099-12-31, Sunday
    advance(SECOND);
    expect(rd(TR)).toBe(0);
    expect(rd(DR)).toBe(0x002101); // 2000-01-01, Monday
    setCalendar(0x105959, 0x236228); // 2023-02-28
    advance(SECOND);
    expect(rd(TR)).toBe(0x110000);
    advance(13 * 3600 * SECOND);
    expect(rd(TR)).toBe(0);
    expect(rd(DR)).toBe(0x238301); // 2023-03-01, Thursday
  });

  it('shows 12-hour time with the PM bit', () => {
    const { rd, wr, advance, start } = setup();
    start();
    wr(CR, 1 << 6); // FMT
    wr(ISR, 1 << 7);
    advance(1000);
    wr(TR, (1 << 22) | 0x115959); // 11:59:59 PM
    wr(ISR, 0);
    advance(SECOND);
    expect(rd(TR)).toBe(0x120000); // 12:00:00 AM
    advance(12 * 3600 * SECOND);
    expect(rd(TR)).toBe((1 << 22) | 0x120000); // 12:00:00 PM
  });

  it('uses the prescalers: ck_spre = RTCCLK / ((PREDIV_A+1)(PREDIV_S+1)), LSI', () => {
    const { rd, wr, advance, bus, unlock } = setup();
    bus.write32(PWR_CR, 1 << 8);
    bus.write32(0x40023874, 1); // LSION
    bus.write32(RCC_BDCR, (2 << 8) | (1 << 15)); // LSI
    unlock();
    wr(ISR, 1 << 7);
    advance(1000);
    wr(PRER, (124 << 16) | 255); // 32000 / 125 / 256 = 1 Hz
    wr(ISR, 0);
    advance(10 * SECOND);
    expect(rd(TR)).toBe(0x10);
  });

  it('runs on HSE / RTCPRE', () => {
    const { rd, wr, advance, bus, unlock } = setup();
    bus.write32(PWR_CR, 1 << 8);
    bus.write32(0x40023800, 0x83 | (1 << 16)); // HSEON
    advance(1000);
    bus.write32(0x40023808, 8 << 16); // RTCPRE = 8: 1 MHz
    bus.write32(RCC_BDCR, (3 << 8) | (1 << 15));
    unlock();
    wr(ISR, 1 << 7);
    advance(1000);
    wr(PRER, (124 << 16) | 7999); // 1 MHz / 125 / 8000 = 1 Hz
    wr(ISR, 0);
    advance(60 * SECOND);
    expect(rd(TR)).toBe(0x100);
  });

  it('wakeup timer on ck_spre (WUCKSEL 10x)', () => {
    const { rd, wr, advance, start } = setup();
    start();
    wr(WUTR, 1); // 2 s
    wr(CR, (1 << 10) | 4);
    advance(2 * SECOND - 1);
    expect(rd(ISR) & (1 << 10)).toBe(0);
    advance(1);
    expect(rd(ISR) & (1 << 10)).toBe(1 << 10);
  });

  it('sets RSF again after it is cleared', () => {
    const { rd, wr, advance, start } = setup();
    start();
    advance(1000);
    expect(rd(ISR) & (1 << 5)).toBe(1 << 5);
    wr(ISR, ~(1 << 5) & ~(1 << 7));
    expect(rd(ISR) & (1 << 5)).toBe(0);
    advance(2 * 489);
    expect(rd(ISR) & (1 << 5)).toBe(1 << 5);
  });

  it('alarm A raises ALRAF and EXTI line 17 (RTC_Alarm IRQ 41)', () => {
    const { rd, wr, advance, bus, irqs, start, setCalendar } = setup();
    start();
    setCalendar(0x120000, 0x246228);
    bus.write32(EXTI_IMR, 1 << 17);
    bus.write32(EXTI_RTSR, 1 << 17);
    wr(ALRMAR, ((1 << 31) | 0x120005) >>> 0); // any date, 12:00:05
    wr(CR, (1 << 8) | (1 << 12)); // ALRAE, ALRAIE
    expect(rd(ISR) & 1).toBe(0); // ALRAWF
    wr(ALRMAR, 0); // refused while enabled
    expect(rd(ALRMAR)).toBe(((1 << 31) | 0x120005) >>> 0);
    advance(5 * SECOND - 1);
    expect(rd(ISR) & (1 << 8)).toBe(0);
    advance(1);
    expect(rd(ISR) & (1 << 8)).toBe(1 << 8);
    expect(bus.read32(EXTI_PR)).toBe(1 << 17);
    expect(irqs.get(41)).toBe(true);
    wr(ISR, ~(1 << 8) & ~(1 << 7));
    bus.write32(EXTI_PR, 1 << 17);
    expect(irqs.get(41)).toBe(false);
    advance(86_400 * SECOND); // the next day, same time
    expect(rd(ISR) & (1 << 8)).toBe(1 << 8);
    expect(rd(TR)).toBe(0x120005);
  });

  it('a byte store clearing ALRAF leaves INIT and RSF alone', () => {
    const { rd, wr, advance, bus, start, setCalendar } = setup();
    start();
    setCalendar(0x120000, 0x246228);
    wr(ALRMAR, ((1 << 31) | 0x120001) >>> 0);
    wr(CR, 1 << 8); // ALRAE
    advance(SECOND);
    expect(rd(ISR) & ((1 << 8) | (1 << 7) | (1 << 5))).toBe((1 << 8) | (1 << 5)); // ALRAF, RSF
    bus.write8(RTC_BASE + ISR + 1, 0xfe); // STRB: clear ALRAF (bit 8) only
    expect(rd(ISR) & ((1 << 8) | (1 << 7) | (1 << 5))).toBe(1 << 5); // not in init mode
    advance(2 * SECOND);
    expect(rd(TR)).toBe(0x120003); // the calendar kept running
  });

  it('alarm B matches a weekday and masked seconds', () => {
    const { rd, wr, advance, start, setCalendar } = setup();
    start();
    setCalendar(0x000000, 0x246228); // Wednesday
    wr(ALRMAR + 4, (1 << 30) | (5 << 24) | (1 << 7) | 0x0830_00); // Friday 08:30:xx
    wr(CR, 1 << 9);
    advance((2 * 86_400 + 8 * 3600 + 30 * 60) * SECOND);
    expect(rd(ISR) & (1 << 9)).toBe(1 << 9);
    expect(rd(TR)).toBe(0x083000);
    wr(ISR, ~(1 << 9) & ~(1 << 7));
    advance(SECOND);
    expect(rd(ISR) & (1 << 9)).toBe(1 << 9); // every second of that minute
  });

  it('wakeup timer fires periodically on EXTI line 22 (RTC_WKUP IRQ 3)', () => {
    const { rd, wr, advance, bus, irqs, start } = setup();
    start();
    bus.write32(EXTI_IMR, 1 << 22);
    bus.write32(EXTI_RTSR, 1 << 22);
    wr(WUTR, 2047); // RTC/16: 2048 Hz, 1 s
    wr(CR, (1 << 10) | (1 << 14)); // WUTE, WUTIE, WUCKSEL 0
    expect(rd(ISR) & 4).toBe(0); // WUTWF clear while running
    for (let i = 0; i < 3; i++) {
      advance(SECOND - 1);
      expect(rd(ISR) & (1 << 10)).toBe(0);
      advance(1);
      expect(rd(ISR) & (1 << 10)).toBe(1 << 10);
      expect(irqs.get(3)).toBe(true);
      wr(ISR, ~(1 << 10) & ~(1 << 7));
      bus.write32(EXTI_PR, 1 << 22);
      expect(irqs.get(3)).toBe(false);
    }
  });

  it('survives a system reset and is cleared by power-on and BDRST', () => {
    const { rd, wr, advance, bus, rcc, pwr, exti, rtc, start, setCalendar } = setup();
    start();
    setCalendar(0x101010, 0x246228);
    wr(BKP0R + 19 * 4, 0xcafef00d);
    advance(SECOND);
    for (const p of [rcc, pwr, exti, rtc]) p.reset('software');
    expect(rcc.rtcClockHz()).toBe(32768);
    wr(CR, 1 << 6); // locked again (and DBP is clear)
    expect(rd(CR)).toBe(0);
    advance(SECOND);
    expect(rd(TR)).toBe(0x101012);
    expect(rd(DR)).toBe(0x246228);
    expect(rd(BKP0R + 19 * 4)).toBe(0xcafef00d);
    bus.write32(PWR_CR, 1 << 8);
    bus.write32(RCC_BDCR, 1 << 16); // BDRST
    expect([rd(TR), rd(DR), rd(BKP0R + 19 * 4)]).toEqual([0, 0x2101, 0]);
    start();
    setCalendar(0x101010, 0x246228);
    wr(BKP0R, 1);
    for (const p of [rcc, pwr, exti, rtc]) p.reset('power-on');
    expect([rd(TR), rd(DR), rd(BKP0R)]).toEqual([0, 0x2101, 0]);
    advance(10 * SECOND);
    expect(rd(TR)).toBe(0); // no clock after power-on
  });

  it('stores time stamp and calibration settings with one warning', () => {
    const { rd, wr, start, warnings } = setup();
    start();
    wr(CR, 1 << 11); // TSE
    wr(CR, 1 << 11);
    expect(rd(CR)).toBe(1 << 11);
    expect(warnings.filter((w) => w.includes('time stamp'))).toHaveLength(1);
  });
});
