/**
 * A timer's DMA requests (RM0090 17.4.4, 18.4.4: UDE, CCxDE, COMDE, TDE in DIER) and its DMA
 * burst (17.4.19-17.4.20, 18.4.18-18.4.19: DCR, DMAR). A request is an event: raised when its
 * event happens with its enable bit set, it stays up until the DMA acknowledges a transfer. In a
 * burst each DMAR access reaches the register DBA + n, and the request stays up for DBL+1
 * transfers.
 */
import { DmaRequestLines } from '../dmaRequestLines.js';

/** A timer's DMA requests; bit n of the pending mask is SR flag n and DIER enable n + 8. */
export type TimerDmaRequest = 'up' | 'cc1' | 'cc2' | 'cc3' | 'cc4' | 'com' | 'trig';
export const TIMER_DMA_BITS: Readonly<Record<TimerDmaRequest, number>> = {
  up: 1 << 0,
  cc1: 1 << 1,
  cc2: 1 << 2,
  cc3: 1 << 3,
  cc4: 1 << 4,
  com: 1 << 5,
  trig: 1 << 6,
};
const REQUESTS = Object.keys(TIMER_DMA_BITS) as TimerDmaRequest[];
const DMAR_OFFSET = 0x4c;

export class TimerDmaRequests {
  /** Requests raised and not yet acknowledged (TIMER_DMA_BITS). */
  private pending = 0;
  /** DMAR accesses made in the current burst. */
  private burstIndex = 0;
  private readonly lines = new DmaRequestLines<TimerDmaRequest>(REQUESTS);

  constructor(
    /** DIER and DCR now. */
    private readonly dier: () => number,
    private readonly dcr: () => number,
    /** The timer's register block size (a burst does not go past it). */
    private readonly blockSize: number,
  ) {}

  reset(): void {
    this.pending = 0;
    this.burstIndex = 0;
    this.lines.forget();
    this.update();
  }

  /** Adds a driver of `request` (a DMA stream's request input). */
  connect(request: TimerDmaRequest, drive: (level: boolean) => void): void {
    this.lines.connect(request, drive, this.level(TIMER_DMA_BITS[request]));
  }

  /** Raises the requests in `flags` (SR bit positions) whose xDE bit is set. */
  raise(flags: number): void {
    const enabled = flags & (this.dier() >>> 8);
    if (!enabled) return;
    this.pending |= enabled;
    this.update();
  }

  /**
   * The DMA moved an item for one of `requests`: they drop, unless a DCR/DMAR burst still has
   * transfers to make (then the request stays up for the next one).
   */
  acknowledge(requests: readonly TimerDmaRequest[]): void {
    const dbl = (this.dcr() >>> 8) & 0x1f;
    if (this.burstIndex > 0 && this.burstIndex <= dbl) return;
    this.burstIndex = 0;
    for (const q of requests) this.pending &= ~TIMER_DMA_BITS[q];
    this.update();
  }

  /** DCR written: a new burst starts. */
  restartBurst(): void {
    this.burstIndex = 0;
  }

  /** A DMAR access: it goes to the register DBA + n (n: transfers so far in this burst). */
  dmarAccess(access: (offset: number) => number | void): number {
    const offset = 4 * ((this.dcr() & 0x1f) + this.burstIndex);
    this.burstIndex++;
    if (offset === DMAR_OFFSET || offset >= this.blockSize) return 0;
    return access(offset) ?? 0;
  }

  /** Drives the lines (after DIER changed, an enable masks or unmasks a pending request). */
  update(): void {
    for (const q of REQUESTS) this.lines.set(q, this.level(TIMER_DMA_BITS[q]));
  }

  private level(bit: number): boolean {
    return (this.pending & bit & (this.dier() >>> 8)) !== 0;
  }
}
