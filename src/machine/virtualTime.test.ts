/**
 * Virtual time on a whole Machine across HCLK changes: the RCC's clock tree drives the clock's
 * frequency, and the USART's character time and the board's button press are measured in
 * nanoseconds, so a PLL switch in the middle of either does not stretch or shorten it.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from './machine.js';
import type { Usart } from '../peripherals/usart/usart.js';

const SR = 0x00;
const DR = 0x04;
const BRR = 0x08;
const CR1 = 0x0c;
const TXE = 0x80;
const UE = 1 << 13;
const TE = 1 << 3;

/** Moves the machine's clock to `cycle`, firing alarms on the way (the CPU does not run). */
function runTo(m: Machine, cycle: number): void {
  const clock = m.clock;
  while (clock.nextDue() <= cycle) {
    clock.cycles = Math.max(clock.cycles, clock.nextDue());
    clock.fireDue();
  }
  clock.cycles = cycle;
}

/** Runs for `ns` virtual nanoseconds in steps of at most `stepNs`, calling `poll` after each. */
function runNanos(m: Machine, ns: number, stepNs: number, poll: () => void = () => {}): void {
  const end = m.clock.nanos + ns;
  while (m.clock.nanos < end) {
    const step = Math.min(stepNs, end - m.clock.nanos);
    runTo(m, m.clock.cycles + Math.max(1, m.clock.cyclesForNanos(step)));
    poll();
  }
}

/** 115200 baud from a 42 MHz PCLK1: USARTDIV 22.8125; ten bits of 365 PCLK1 cycles a character. */
const BRR_42MHZ = 0x16d;
const CHAR_NS = (10 * 0x16d * 1e9) / 42e6;

/**
 * Sends "ABCDEF" on USART2 while HCLK goes 168 -> 84 -> 168 MHz in the middle of characters
 * (the APB1 prescaler keeping PCLK1 at 42 MHz); returns the nanosecond each character ended.
 */
function sendAcrossSwitches(): { ends: number[]; hz: number[] } {
  const m = new Machine({ warn: () => {} });
  m.clocks.set(168e6, 42e6, 84e6);
  expect(m.clock.frequency).toBe(168e6);
  const usart = m.peripherals.get('USART2') as Usart;
  const ends: number[] = [];
  const hz: number[] = [];
  usart.onTx = () => {
    ends.push(m.clock.nanos);
    hz.push(m.clock.frequency);
  };
  const start = m.clock.nanos;
  usart.write(BRR, BRR_42MHZ, 4);
  usart.write(CR1, UE | TE, 4); // an idle frame goes out first
  const text = [...'ABCDEF'].map((c) => c.charCodeAt(0));
  // Like polling firmware: a new byte into DR whenever TXE is set.
  const feed = () => {
    if (text.length > 0 && usart.read(SR, 4) & TXE) usart.write(DR, text.shift()!, 4);
  };
  feed();
  runNanos(m, 2.5 * CHAR_NS, 1000, feed); // idle frame and 'A' sent, 'B' half sent
  m.clocks.set(84e6, 42e6, 84e6);
  runNanos(m, 1.25 * CHAR_NS, 1000, feed); // 'B' sent, 'C' a quarter sent
  m.clocks.set(168e6, 42e6, 84e6);
  runNanos(m, 5 * CHAR_NS, 1000, feed);
  return { ends: ends.map((t) => t - start), hz };
}

describe('virtual time across HCLK changes', () => {
  it('the machine follows HCLK and keeps nanoseconds continuous', () => {
    const m = new Machine({ warn: () => {} });
    expect(m.clock.frequency).toBe(16e6);
    runTo(m, m.clock.cycles + 16_000);
    const t = m.clock.nanos;
    m.clocks.set(168e6, 42e6, 84e6);
    expect(m.clock.frequency).toBe(168e6);
    expect(m.clock.nanos).toBe(t);
    runTo(m, m.clock.cycles + 168_000);
    expect(m.clock.nanos).toBeCloseTo(t + 1e6, 6);
  });

  it('USART characters keep their PCLK timing in nanoseconds when HCLK changes', () => {
    const { ends, hz } = sendAcrossSwitches();
    expect(ends).toHaveLength(6);
    // Each character ends one character time after the previous one: the idle frame, 'A' at
    // 2 characters, 'B' at 3 (HCLK halved under it), 'C' at 4 (doubled under it again), ...
    const cycleNs = 1e9 / 84e6; // the coarsest cycle in use
    ends.forEach((t, i) => {
      expect(Math.abs(t - (i + 2) * CHAR_NS)).toBeLessThan(cycleNs);
    });
    expect(hz).toEqual([168e6, 84e6, 168e6, 168e6, 168e6, 168e6]);
  });

  it('is deterministic: the same run gives the same times', () => {
    expect(sendAcrossSwitches()).toEqual(sendAcrossSwitches());
  });

  it('the RTC counts seconds of LSE across a PLL switch', () => {
    const m = new Machine({ warn: () => {} });
    const RTC = 0x40002800;
    const rd = (off: number) => m.bus.read32(RTC + off) >>> 0;
    const wr = (off: number, v: number) => m.bus.write32(RTC + off, v);
    m.bus.write32(0x40007000, m.bus.read32(0x40007000) | (1 << 8)); // PWR_CR.DBP
    m.bus.write32(0x40023870, 1); // RCC_BDCR.LSEON
    runTo(m, m.clock.cycles + 16_000);
    m.bus.write32(0x40023870, 1 | (1 << 8) | (1 << 15)); // RTCSEL = LSE, RTCEN
    wr(0x24, 0xca); // WPR key
    wr(0x24, 0x53);
    wr(0x0c, 1 << 7); // ISR.INIT: the calendar restarts its phase on leaving it
    runTo(m, m.clock.cycles + 16_000);
    wr(0x0c, 0);
    runTo(m, m.clock.cycles + 16e6 * 0.5);
    m.clocks.set(168e6, 42e6, 84e6);
    runTo(m, m.clock.cycles + 168e6 * 0.4999);
    expect(rd(0x00)).toBe(0); // TR: 0.9999 s
    runTo(m, m.clock.cycles + 168e6 * 0.0001);
    expect(rd(0x00)).toBe(1);
    m.clocks.set(16e6, 16e6, 16e6);
    runTo(m, m.clock.cycles + 16e6);
    expect(rd(0x00)).toBe(2);
  });

  it('a button click lasts 100 virtual ms across a PLL switch', () => {
    const m = new Machine({ warn: () => {} });
    m.board.click();
    expect(m.board.buttonPressed).toBe(true);
    runTo(m, m.clock.cycles + 16e6 * 0.05); // 50 ms at the 16 MHz HSI
    m.clocks.set(168e6, 42e6, 84e6);
    runTo(m, m.clock.cycles + 168e6 * 0.0499); // 99.9 ms
    expect(m.board.buttonPressed).toBe(true);
    runTo(m, m.clock.cycles + 168e6 * 0.0001); // 100 ms
    expect(m.board.buttonPressed).toBe(false);
    expect(m.clock.nanos).toBeCloseTo(100e6, 3);
  });
});
