/**
 * A peripheral's DMA request lines: two (TX and RX) as the USARTs, SPIs and I2Cs have them, or
 * any named set (a timer's UP, CC1-CC4, COM and TRIG). Each may drive several DMA streams
 * (RM0090 maps some requests to two), and a line is driven only when its level changes.
 */
export type DmaRequest = 'tx' | 'rx';

export class DmaRequestLines<R extends string = DmaRequest> {
  private readonly drivers = new Map<R, ((level: boolean) => void)[]>();
  private readonly levels = new Map<R, boolean | null>();

  constructor(requests: readonly R[] = ['tx', 'rx'] as unknown as readonly R[]) {
    for (const r of requests) {
      this.drivers.set(r, []);
      this.levels.set(r, false);
    }
  }

  /** Adds a driver for `request`; it gets `level` (the line's level now) at once. */
  connect(request: R, drive: (level: boolean) => void, level: boolean): void {
    const drivers = this.drivers.get(request);
    if (!drivers) throw new Error(`no DMA request line ${request}`);
    drivers.push(drive);
    drive(level);
  }

  /** Drives each line whose level changed (TX and RX). */
  update(this: DmaRequestLines<DmaRequest>, tx: boolean, rx: boolean): void {
    this.set('tx', tx);
    this.set('rx', rx);
  }

  /** After a reset: the next update drives every line, whatever its level. */
  forget(): void {
    for (const r of this.levels.keys()) this.levels.set(r, null);
  }

  /** Drives `request` to `level` if that is a change. */
  set(request: R, level: boolean): void {
    if (level === this.levels.get(request)) return;
    this.levels.set(request, level);
    for (const drive of this.drivers.get(request) ?? []) drive(level);
  }
}
