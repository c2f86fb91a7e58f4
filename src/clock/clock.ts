/**
 * Virtual time. The core advances `cycles`; peripherals schedule alarms on it and never poll.
 * Alarms live in a binary min-heap ordered by due cycle (ties keep insertion order), and fired
 * alarm records are pooled so a periodic timer does not allocate.
 *
 * Cycles run at HCLK, which the firmware changes (16 MHz HSI at reset, 168 MHz once the PLL is
 * on), so a cycle count alone is no measure of time. The clock integrates the frequency into
 * monotonic nanoseconds: `setFrequency` folds the cycles run so far into (cyclesBase, nanosBase)
 * at the old frequency, and `nanos` adds the cycles since at the current one. Everything that
 * converts between cycles and seconds goes through `nanos`, `cyclesForNanos` or the nanosecond
 * alarms, which stay due at their virtual nanosecond across frequency changes.
 */

export type AlarmCallback = () => void;

export class Alarm {
  /** Cycle at which the alarm fires. */
  due = 0;
  /** Virtual nanosecond the alarm is due at, or -1 for an alarm scheduled in cycles. */
  dueNanos = -1;
  seq = 0;
  index = -1;
  callback: AlarmCallback = noop;

  get scheduled(): boolean {
    return this.index >= 0;
  }
}

function noop(): void {}

/** Nanoseconds per second. */
const NS = 1e9;
/**
 * Relative slack forgiven when rounding a cycle count up: the float arithmetic of a conversion
 * may land a hair above an exact integer (1 µs at 168 MHz is 168.00000000000003 cycles), which
 * must not cost a whole cycle. 2^-40 of a cycle count is far below a nanosecond for any count.
 */
const ROUNDING_SLACK = 1 - 2 ** -40;

export class Clock {
  /** Cycles elapsed since power-on (a double: exact up to 2^53). */
  cycles = 0;

  /**
   * The cycle up to which the run loop currently executes without looking at the queue; an
   * alarm scheduled before it calls `onEarlierAlarm` so the loop can end its batch early.
   */
  horizon = Infinity;
  onEarlierAlarm: () => void = () => {};

  /** True while the run loop executes a batch of instructions (set by Machine.run). */
  executing = false;

  /**
   * Bus time an access takes beyond the instruction's own cycles (the wait states of a slow
   * external memory): the core is stalled, so the current instruction takes `cycles` longer.
   * An access made outside the core's execution (a debugger's read, a transfer fired between
   * batches) stalls nothing and costs no virtual time.
   */
  stall(cycles: number): void {
    if (this.executing) this.cycles += cycles;
  }

  private hz = 16_000_000;
  /** `nanos` = nanosBase + (cycles - cyclesBase) at `hz`; rebased at each frequency change. */
  private cyclesBase = 0;
  private nanosBase = 0;
  private heap: Alarm[] = [];
  private seq = 0;

  /** Core clock frequency in Hz (HCLK), as last set by `setFrequency`. */
  get frequency(): number {
    return this.hz;
  }

  /**
   * Changes the core clock frequency from the current cycle on. Time so far is kept at the old
   * frequency; alarms due at a nanosecond get the cycle that now reaches it.
   */
  setFrequency(hz: number): void {
    if (!(hz > 0)) throw new RangeError(`clock frequency must be positive, got ${hz}`);
    if (hz === this.hz) return;
    this.nanosBase = this.nanos;
    this.cyclesBase = this.cycles;
    this.hz = hz;
    // Rare (a PLL switch): recompute the nanosecond alarms and rebuild the heap in O(n).
    const heap = this.heap;
    let earliest = Infinity;
    for (const a of heap) {
      if (a.dueNanos < 0) continue;
      a.due = this.cycles + this.cyclesForNanos(a.dueNanos - this.nanosBase);
      if (a.due < earliest) earliest = a.due;
    }
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
    if (earliest < this.horizon) this.onEarlierAlarm();
  }

  /** Virtual nanoseconds since power-on (or the last `reset`): monotonic, may be fractional. */
  get nanos(): number {
    return this.nanosBase + ((this.cycles - this.cyclesBase) * NS) / this.hz;
  }

  /** Virtual nanosecond of cycle `cycle`, at the current frequency from the last change on. */
  nanosAt(cycle: number): number {
    return this.nanosBase + ((cycle - this.cyclesBase) * NS) / this.hz;
  }

  /** Nanoseconds that `cycles` cycles take at the current frequency. */
  cyclesToNanos(cycles: number): number {
    return (cycles * NS) / this.hz;
  }

  /**
   * Whole cycles that `ns` nanoseconds take at the current frequency, rounded up (so an alarm
   * never fires early; see ROUNDING_SLACK); 0 for a duration that is not positive.
   */
  cyclesForNanos(ns: number): number {
    if (!(ns > 0)) return 0;
    return Math.ceil(((ns * this.hz) / NS) * ROUNDING_SLACK);
  }

  /** Creates an alarm record that can be (re)scheduled many times without allocating. */
  createAlarm(callback: AlarmCallback): Alarm {
    const alarm = new Alarm();
    alarm.callback = callback;
    return alarm;
  }

  /** Schedules `alarm` to fire `delay` cycles from now (replacing any earlier schedule). */
  scheduleAlarm(alarm: Alarm, delay: number): void {
    if (alarm.index >= 0) this.removeAt(alarm.index);
    alarm.dueNanos = -1;
    this.insert(alarm, this.cycles + Math.max(0, delay));
  }

  /**
   * Schedules `alarm` to fire `ns` nanoseconds of virtual time from now, at the first cycle that
   * reaches that nanosecond even if the frequency changes in between.
   */
  scheduleAlarmNanos(alarm: Alarm, ns: number): void {
    if (alarm.index >= 0) this.removeAt(alarm.index);
    const delay = Math.max(0, ns);
    alarm.dueNanos = this.nanos + delay;
    this.insert(alarm, this.cycles + this.cyclesForNanos(delay));
  }

  /** Schedules `alarm` at virtual nanosecond `at` (now if that has passed). */
  scheduleAlarmAtNanos(alarm: Alarm, at: number): void {
    if (alarm.index >= 0) this.removeAt(alarm.index);
    const now = this.nanos;
    alarm.dueNanos = Math.max(at, now);
    this.insert(alarm, this.cycles + this.cyclesForNanos(at - now));
  }

  /** One-shot convenience: schedules a fresh alarm `delay` cycles from now. */
  schedule(delay: number, callback: AlarmCallback): Alarm {
    const alarm = this.createAlarm(callback);
    this.scheduleAlarm(alarm, delay);
    return alarm;
  }

  /** One-shot convenience: schedules a fresh alarm `ns` nanoseconds from now. */
  scheduleNanos(ns: number, callback: AlarmCallback): Alarm {
    const alarm = this.createAlarm(callback);
    this.scheduleAlarmNanos(alarm, ns);
    return alarm;
  }

  cancel(alarm: Alarm): void {
    if (alarm.index >= 0) this.removeAt(alarm.index);
  }

  /** Cycle of the earliest alarm, or Infinity when none is scheduled. */
  nextDue(): number {
    const top = this.heap[0];
    return top === undefined ? Infinity : top.due;
  }

  /** Fires every alarm whose due cycle has been reached, in due order. */
  fireDue(): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.due > this.cycles) return;
      this.removeAt(0);
      top.callback();
    }
  }

  /** Back to power-on: no alarms, cycle and nanosecond 0 (the frequency is kept). */
  reset(): void {
    for (const a of this.heap) a.index = -1;
    this.heap.length = 0;
    this.cycles = 0;
    this.cyclesBase = 0;
    this.nanosBase = 0;
  }

  private insert(alarm: Alarm, due: number): void {
    alarm.due = due;
    alarm.seq = this.seq++;
    alarm.index = this.heap.length;
    this.heap.push(alarm);
    this.siftUp(alarm.index);
    if (due < this.horizon) this.onEarlierAlarm();
  }

  private less(a: Alarm, b: Alarm): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private removeAt(i: number): void {
    const heap = this.heap;
    const removed = heap[i]!;
    const last = heap.pop()!;
    removed.index = -1;
    if (i < heap.length) {
      heap[i] = last;
      last.index = i;
      this.siftDown(i);
      this.siftUp(last.index);
    }
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const item = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.less(item, p)) break;
      heap[i] = p;
      p.index = i;
      i = parent;
    }
    heap[i] = item;
    item.index = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(heap[r]!, heap[l]!) ? r : l;
      const child = heap[c]!;
      if (!this.less(child, item)) break;
      heap[i] = child;
      child.index = i;
      i = c;
    }
    heap[i] = item;
    item.index = i;
  }
}
