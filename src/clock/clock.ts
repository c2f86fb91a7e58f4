/**
 * Virtual time. The core advances `cycles`; peripherals schedule alarms on it and never poll.
 * Alarms live in a binary min-heap ordered by due cycle (ties keep insertion order), and fired
 * alarm records are pooled so a periodic timer does not allocate.
 */

export type AlarmCallback = () => void;

export class Alarm {
  /** Cycle at which the alarm fires. */
  due = 0;
  seq = 0;
  index = -1;
  callback: AlarmCallback = noop;

  get scheduled(): boolean {
    return this.index >= 0;
  }
}

function noop(): void {}

export class Clock {
  /** Cycles elapsed since power-on (a double: exact up to 2^53). */
  cycles = 0;
  /** Core clock frequency in Hz (HCLK); the RCC model changes it. */
  frequency = 16_000_000;

  /**
   * The cycle up to which the run loop currently executes without looking at the queue; an
   * alarm scheduled before it calls `onEarlierAlarm` so the loop can end its batch early.
   */
  horizon = Infinity;
  onEarlierAlarm: () => void = () => {};

  private heap: Alarm[] = [];
  private seq = 0;

  /** Creates an alarm record that can be (re)scheduled many times without allocating. */
  createAlarm(callback: AlarmCallback): Alarm {
    const alarm = new Alarm();
    alarm.callback = callback;
    return alarm;
  }

  /** Schedules `alarm` to fire `delay` cycles from now (replacing any earlier schedule). */
  scheduleAlarm(alarm: Alarm, delay: number): void {
    if (alarm.index >= 0) this.removeAt(alarm.index);
    alarm.due = this.cycles + Math.max(0, delay);
    alarm.seq = this.seq++;
    alarm.index = this.heap.length;
    this.heap.push(alarm);
    this.siftUp(alarm.index);
    if (alarm.due < this.horizon) this.onEarlierAlarm();
  }

  /** One-shot convenience: schedules a fresh alarm. */
  schedule(delay: number, callback: AlarmCallback): Alarm {
    const alarm = this.createAlarm(callback);
    this.scheduleAlarm(alarm, delay);
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

  reset(): void {
    for (const a of this.heap) a.index = -1;
    this.heap.length = 0;
    this.cycles = 0;
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
