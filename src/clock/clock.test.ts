import { describe, expect, it } from 'vitest';
import { Clock } from './clock.js';

/** Advances `clock` to `cycle`, firing alarms on the way (what the run loop does). */
function runTo(clock: Clock, cycle: number): void {
  while (clock.nextDue() <= cycle) {
    clock.cycles = Math.max(clock.cycles, clock.nextDue());
    clock.fireDue();
  }
  clock.cycles = cycle;
}

describe('Clock', () => {
  it('fires cycle alarms in due order, ties in scheduling order', () => {
    const clock = new Clock();
    const fired: string[] = [];
    clock.schedule(10, () => fired.push('b'));
    clock.schedule(5, () => fired.push('a'));
    clock.schedule(10, () => fired.push('c'));
    const d = clock.schedule(7, () => fired.push('d'));
    clock.cancel(d);
    expect(clock.nextDue()).toBe(5);
    runTo(clock, 9);
    expect(fired).toEqual(['a']);
    runTo(clock, 10);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.nextDue()).toBe(Infinity);
  });

  it('integrates frequency changes into exact, monotonic nanoseconds', () => {
    const clock = new Clock();
    expect(clock.frequency).toBe(16_000_000);
    expect(clock.nanos).toBe(0);
    clock.cycles = 16_000; // 1 ms at the 16 MHz HSI
    expect(clock.nanos).toBe(1_000_000);
    clock.setFrequency(168_000_000);
    expect(clock.frequency).toBe(168_000_000);
    expect(clock.nanos).toBe(1_000_000); // a switch does not move time
    clock.cycles += 168_000; // 1 ms at 168 MHz
    expect(clock.nanos).toBeCloseTo(2_000_000, 6);
    clock.setFrequency(42_000_000);
    clock.cycles += 42; // 1 µs at 42 MHz
    expect(clock.nanos).toBeCloseTo(2_001_000, 6);
    clock.setFrequency(16_000_000);
    clock.cycles += 16_000_000; // 1 s
    expect(clock.nanos).toBeCloseTo(1_002_001_000, 6);
    // What the old clock reported: every cycle divided by today's frequency.
    expect((clock.cycles * 1e9) / clock.frequency).toBeCloseTo(1_011_502_625, 3);
  });

  it('keeps nanoseconds monotonic over many switches', () => {
    const clock = new Clock();
    const freqs = [16e6, 168e6, 42e6, 84e6, 8e6, 168e6, 16e6];
    let last = -1;
    let expected = 0;
    for (let i = 0; i < 700; i++) {
      const hz = freqs[i % freqs.length]!;
      clock.setFrequency(hz);
      expect(clock.nanos).toBeGreaterThanOrEqual(last);
      const n = 1 + ((i * 7919) % 5000);
      for (let k = 0; k < n; k += 997) {
        clock.cycles += Math.min(997, n - k);
        expect(clock.nanos).toBeGreaterThan(last);
        last = clock.nanos;
      }
      expected += (n * 1e9) / hz;
    }
    expect(clock.nanos).toBeCloseTo(expected, 3);
  });

  it('converts nanoseconds to cycles rounded up, without float noise costing a cycle', () => {
    const clock = new Clock();
    expect(clock.cyclesForNanos(62.5)).toBe(1);
    expect(clock.cyclesForNanos(62.6)).toBe(2);
    expect(clock.cyclesForNanos(1)).toBe(1);
    expect(clock.cyclesForNanos(0)).toBe(0);
    expect(clock.cyclesForNanos(-5)).toBe(0);
    clock.setFrequency(168_000_000);
    expect(clock.cyclesForNanos(1000)).toBe(168);
    expect(clock.cyclesForNanos(1000.01)).toBe(169);
    expect(clock.cyclesForNanos(1e9 / 168e6)).toBe(1);
    expect(clock.cyclesToNanos(168)).toBe(1000);
    clock.cycles = 168;
    expect(clock.nanosAt(336)).toBe(2000);
  });

  it('keeps a nanosecond alarm due at its nanosecond across frequency switches', () => {
    const clock = new Clock();
    const fired: [string, number, number][] = [];
    const record = (name: string) => () => fired.push([name, clock.cycles, clock.nanos]);
    // Scheduled at 16 MHz: 1 ms and 3 ms; a cycle alarm at 16,000 cycles for comparison.
    clock.scheduleNanos(1_000_000, record('ns 1ms'));
    clock.scheduleNanos(3_000_000, record('ns 3ms'));
    const late = clock.scheduleNanos(2_000_000, record('cancelled'));
    clock.schedule(24_000, record('cycles 24000'));
    expect(clock.nextDue()).toBe(16_000);
    clock.cancel(late);
    runTo(clock, 8_000); // 0.5 ms
    clock.setFrequency(168_000_000);
    // 0.5 ms left to the first alarm: 84,000 cycles at 168 MHz, not the 8,000 left at 16 MHz.
    runTo(clock, 8_000 + 84_000 - 1);
    expect(fired.map(([name]) => name)).toEqual(['cycles 24000']);
    expect(clock.nextDue()).toBe(8_000 + 84_000);
    runTo(clock, 8_000 + 84_000 + 168_000); // 2 ms
    clock.setFrequency(42_000_000);
    runTo(clock, clock.cycles + 42_000 * 2); // 4 ms
    expect(fired.map(([name, cycles]) => [name, cycles])).toEqual([
      // Cycle alarms stay on their cycle (SysTick counts HCLK cycles): 16,000 after the switch.
      ['cycles 24000', 24_000],
      ['ns 1ms', 8_000 + 84_000],
      ['ns 3ms', 8_000 + 84_000 + 168_000 + 42_000],
    ]);
    expect(fired[1]![2]).toBeCloseTo(1_000_000, 6);
    expect(fired[2]![2]).toBeCloseTo(3_000_000, 6);
  });

  it('fires a nanosecond alarm at the first cycle that reaches it, never before', () => {
    const clock = new Clock();
    clock.setFrequency(168_000_000);
    clock.cycles = 7;
    let at = -1;
    clock.scheduleNanos(1000.5, () => (at = clock.nanos));
    runTo(clock, 1000);
    expect(at).toBeGreaterThanOrEqual(7 * (1e9 / 168e6) + 1000.5);
    expect(at - 1e9 / 168e6).toBeLessThan(7 * (1e9 / 168e6) + 1000.5);
    // An absolute nanosecond already passed fires now.
    let now = -1;
    const alarm = clock.createAlarm(() => (now = clock.cycles));
    clock.scheduleAlarmAtNanos(alarm, 10);
    expect(clock.nextDue()).toBe(1000);
    clock.fireDue();
    expect(now).toBe(1000);
  });

  it('tells the run loop when a switch brings a nanosecond alarm before its horizon', () => {
    const clock = new Clock();
    let early = 0;
    clock.onEarlierAlarm = () => early++;
    clock.scheduleNanos(1_000_000, () => {});
    clock.horizon = clock.nextDue(); // the batch runs to the alarm at 16,000 cycles
    early = 0;
    clock.setFrequency(8_000_000); // now due at 8,000: the batch must end sooner
    expect(clock.nextDue()).toBe(8_000);
    expect(early).toBe(1);
    clock.horizon = 8_000;
    clock.setFrequency(168_000_000); // later: nothing to interrupt
    expect(early).toBe(1);
  });

  it('reset goes back to cycle and nanosecond 0 and drops the alarms', () => {
    const clock = new Clock();
    clock.schedule(5, () => {});
    clock.scheduleNanos(5, () => {});
    clock.cycles = 1000;
    clock.setFrequency(168_000_000);
    clock.cycles = 2000;
    clock.reset();
    expect(clock.cycles).toBe(0);
    expect(clock.nanos).toBe(0);
    expect(clock.nextDue()).toBe(Infinity);
    clock.cycles = 168;
    expect(clock.nanos).toBe(1000);
  });

  it('rejects a frequency that is not positive', () => {
    expect(() => new Clock().setFrequency(0)).toThrow(RangeError);
  });

  it('is deterministic: the same schedule gives the same firing times', () => {
    const run = () => {
      const clock = new Clock();
      const log: number[] = [];
      const tick = clock.createAlarm(() => {
        log.push(clock.nanos);
        clock.scheduleAlarmNanos(tick, 86_904.7619047619);
      });
      clock.scheduleAlarmNanos(tick, 0);
      for (const hz of [16e6, 168e6, 42e6, 168e6]) {
        clock.setFrequency(hz);
        runTo(clock, clock.cycles + hz / 100);
      }
      return log;
    };
    const a = run();
    expect(a.length).toBeGreaterThan(400);
    expect(run()).toEqual(a);
  });
});
