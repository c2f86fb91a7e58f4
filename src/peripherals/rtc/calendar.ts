/**
 * Calendar arithmetic of the STM32 RTC (RM0090 §26.3.4): years 2000-2099 (every fourth year a
 * leap year, 2000 included), BCD register layouts of RTC_TR / RTC_DR / RTC_ALRMxR, and the
 * search for the next second an alarm matches. Time is kept as seconds since 2000-01-01
 * 00:00:00 modulo one century.
 */

export const SECONDS_PER_DAY = 86_400;
const DAYS_PER_CENTURY = 36_525;
export const SECONDS_PER_CENTURY = DAYS_PER_CENTURY * SECONDS_PER_DAY;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function bcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

export function fromBcd(v: number): number {
  return ((v >>> 4) & 0xf) * 10 + (v & 0xf);
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 && year % 4 === 0 ? 29 : (MONTH_DAYS[month - 1] ?? 31);
}

/** Days from 2000-01-01 to `year`-`month`-`day` (year 0-99; out-of-range fields carry over). */
export function daysFromDate(year: number, month: number, day: number): number {
  let days = 365 * year + Math.ceil(year / 4);
  for (let m = 1; m < month && m <= 12; m++) days += daysInMonth(year, m);
  return days + Math.max(day, 1) - 1;
}

export interface DateFields {
  year: number;
  month: number;
  day: number;
}

export function dateFromDays(days: number): DateFields {
  days = ((days % DAYS_PER_CENTURY) + DAYS_PER_CENTURY) % DAYS_PER_CENTURY;
  let year = 4 * Math.floor(days / 1461);
  days %= 1461;
  while (days >= (year % 4 === 0 ? 366 : 365)) {
    days -= year % 4 === 0 ? 366 : 365;
    year++;
  }
  let month = 1;
  while (days >= daysInMonth(year, month)) days -= daysInMonth(year, month++);
  return { year, month, day: days + 1 };
}

/** RTC_TR value for a time of day in seconds; `ampm`: 12-hour format with the PM bit. */
export function timeRegister(secondOfDay: number, ampm: boolean): number {
  let h = Math.floor(secondOfDay / 3600);
  const m = Math.floor(secondOfDay / 60) % 60;
  const s = secondOfDay % 60;
  let pm = 0;
  if (ampm) {
    pm = h >= 12 ? 1 : 0;
    h = h % 12 || 12;
  }
  return (pm << 22) | (bcd(h) << 16) | (bcd(m) << 8) | bcd(s);
}

/** Hours 0-23 from the BCD hour field and PM bit of TR / ALRMxR. */
export function hours24(hourBcd: number, pm: boolean, ampm: boolean): number {
  const h = fromBcd(hourBcd);
  if (!ampm) return h;
  return (h % 12) + (pm ? 12 : 0);
}

/** Seconds of the day from an RTC_TR value. */
export function secondOfDayFromTr(tr: number, ampm: boolean): number {
  const h = hours24((tr >>> 16) & 0x3f, (tr & (1 << 22)) !== 0, ampm);
  return h * 3600 + fromBcd((tr >>> 8) & 0x7f) * 60 + fromBcd(tr & 0x7f);
}

/** RTC_DR value: YT/YU, WDU, MT/MU, DT/DU. */
export function dateRegister(days: number, weekday: number): number {
  const d = dateFromDays(days);
  return (bcd(d.year) << 16) | (weekday << 13) | (bcd(d.month) << 8) | bcd(d.day);
}

export function daysFromDr(dr: number): number {
  const year = fromBcd((dr >>> 16) & 0xff);
  const month = fromBcd((dr >>> 8) & 0x1f);
  const day = fromBcd(dr & 0x3f);
  return daysFromDate(year, month, day);
}

/** Weekday 1 (Monday) .. 7 of a day `delta` days after a day with weekday `weekday`. */
export function addWeekdays(weekday: number, delta: number): number {
  return ((((weekday - 1 + delta) % 7) + 7) % 7) + 1;
}

/**
 * The first second `at` ≥ `from` (seconds since 2000, date `weekdayAt(days)`) at which the
 * calendar matches alarm register `alrm` (MSK4 date/weekday, MSK3 hours, MSK2 minutes, MSK1
 * seconds), searching at most `limitDays` days ahead; null if none.
 */
export function nextAlarmMatch(
  alrm: number,
  ampm: boolean,
  from: number,
  weekdayOf: (days: number) => number,
  limitDays = 64,
): number | null {
  const sec = alrm & 0x80 ? null : fromBcd(alrm & 0x7f);
  const min = alrm & 0x8000 ? null : fromBcd((alrm >>> 8) & 0x7f);
  const hour =
    alrm & 0x800000 ? null : hours24((alrm >>> 16) & 0x3f, (alrm & (1 << 22)) !== 0, ampm);
  const dateMasked = (alrm & 0x80000000) !== 0;
  const wdsel = (alrm & 0x40000000) !== 0;
  const dateValue = wdsel ? (alrm >>> 24) & 0xf : fromBcd((alrm >>> 24) & 0x3f);
  if (sec !== null && sec > 59) return null;
  if (min !== null && min > 59) return null;
  if (hour !== null && hour > 23) return null;
  const firstDay = Math.floor(from / SECONDS_PER_DAY);
  for (let day = firstDay; day <= firstDay + limitDays; day++) {
    if (!dateMasked) {
      const v = wdsel ? weekdayOf(day) : dateFromDays(day).day;
      if (v !== dateValue) continue;
    }
    const start = day === firstDay ? from - day * SECONDS_PER_DAY : 0;
    const tod = nextTimeOfDay(start, hour, min, sec);
    if (tod !== null) return day * SECONDS_PER_DAY + tod;
  }
  return null;
}

/** First second of the day ≥ `from` whose fields match (null field: any value). */
function nextTimeOfDay(
  from: number,
  hour: number | null,
  min: number | null,
  sec: number | null,
): number | null {
  const fh = Math.floor(from / 3600);
  const fm = Math.floor(from / 60) % 60;
  const fs = from % 60;
  const firstSec = sec ?? 0;
  const firstMin = min ?? 0;
  for (let h = hour ?? fh; h < 24 && (hour === null || h === hour); h++) {
    if (h < fh) return null;
    if (h > fh) return h * 3600 + firstMin * 60 + firstSec;
    for (let m = min ?? fm; m < 60 && (min === null || m === min); m++) {
      if (m < fm) break;
      if (m > fm) return h * 3600 + m * 60 + firstSec;
      const s = sec ?? fs;
      if (s >= fs) return h * 3600 + m * 60 + s;
    }
  }
  return null;
}
