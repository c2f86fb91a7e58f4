/**
 * The user-mode network's wire toward the guest (userNetwork.ts): frames are delivered on virtual
 * time, each a small latency plus the wire time of the frame at the link's speed (100 Mb/s by
 * default) after the previous one has arrived, in order, from a bounded queue, so the guest's
 * interrupt handler never runs inside its own transmit call.
 */
import { ETH_MIN_FRAME } from './ethernet.js';
import type { NetScheduler, UserNetworkStats } from './userNetworkTypes.js';

/** Preamble + start delimiter (8), FCS (4) and inter-frame gap (12) around each frame. */
const WIRE_OVERHEAD = 24;

export interface GuestWireOptions {
  scheduler: NetScheduler;
  /** Delay before a frame starts arriving at the guest. */
  latencyNs: number;
  /** Wire speed for the serialization delay; 0 for none. */
  bitsPerSecond: number;
  /** Frames waiting for delivery; more are dropped (queueFull). */
  maxQueuedFrames: number;
  /** The network's counters: framesOut, bytesOut and dropped.queueFull are counted here. */
  stats: UserNetworkStats;
  /** A frame arriving at the guest at virtual time `nanos`. */
  arrive: (frame: Uint8Array, nanos: number) => void;
}

export class GuestWire {
  private readonly scheduler: NetScheduler;
  private readonly latencyNs: number;
  private readonly bitsPerSecond: number;
  private readonly maxQueuedFrames: number;
  private readonly stats: UserNetworkStats;
  private readonly arrive: (frame: Uint8Array, nanos: number) => void;
  private readonly queue: { frame: Uint8Array; due: number }[] = [];
  private lastDue = 0;
  private cancelDelivery: (() => void) | null = null;
  private closed = false;

  constructor(options: GuestWireOptions) {
    this.scheduler = options.scheduler;
    this.latencyNs = options.latencyNs;
    this.bitsPerSecond = options.bitsPerSecond;
    this.maxQueuedFrames = options.maxQueuedFrames;
    this.stats = options.stats;
    this.arrive = options.arrive;
  }

  /** Frames waiting for delivery to the guest. */
  get queuedFrames(): number {
    return this.queue.length;
  }

  /** Stops delivery and empties the queue; later frames are ignored. */
  close(): void {
    this.closed = true;
    this.cancelDelivery?.();
    this.cancelDelivery = null;
    this.queue.length = 0;
  }

  enqueue(frame: Uint8Array): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueuedFrames) {
      this.stats.dropped.queueFull++;
      return;
    }
    const now = this.scheduler.nanos();
    const wireNs =
      this.bitsPerSecond > 0
        ? ((Math.max(frame.length, ETH_MIN_FRAME) + WIRE_OVERHEAD) * 8 * 1e9) / this.bitsPerSecond
        : 0;
    // Frames follow each other on the wire: one starts when the previous has arrived.
    const due = Math.max(now + this.latencyNs, this.lastDue) + wireNs;
    this.lastDue = due;
    this.queue.push({ frame, due });
    this.scheduleDelivery();
  }

  private scheduleDelivery(): void {
    if (this.cancelDelivery || this.closed) return;
    const head = this.queue[0];
    if (!head) return;
    this.cancelDelivery = this.scheduler.schedule(
      Math.max(0, head.due - this.scheduler.nanos()),
      this.deliver,
    );
  }

  private readonly deliver = (): void => {
    this.cancelDelivery = null;
    const now = this.scheduler.nanos();
    // The head is due (that is what the alarm was for, whatever the rounding of nanos); the
    // frames behind it go as well when their time has come.
    let first = true;
    while (this.queue.length > 0 && !this.closed && (first || this.queue[0]!.due <= now)) {
      first = false;
      const { frame } = this.queue.shift()!;
      this.stats.framesOut++;
      this.stats.bytesOut += frame.length;
      this.arrive(frame, now);
    }
    this.scheduleDelivery();
  };
}
