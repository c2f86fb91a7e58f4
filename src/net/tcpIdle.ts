/**
 * A connection's idle time-out (virtual time), as a NAT or slirp has one (RFC 5382 REQ-5): a
 * connection that hears nothing from the guest and moves no data either way for its limit is
 * reset both ways. One timer per connection, armed lazily: activity only records its time, and a
 * timer that fires before the deadline re-arms itself, so busy connections pay nothing per
 * segment but a clock read. The connection says what the limit is for its state and what
 * expiring means (tcpConnection.ts).
 */
import type { ConnectionContext } from './tcpContext.js';

/** What the idle timer asks of its connection. */
export interface IdleOwner {
  /** The limit in the current state: `idleEstablishedNs` or `idleTransitoryNs`. */
  limit(): number;
  /** False where no idle time-out applies (CLOSED, and TIME_WAIT with its own timer). */
  watched(): boolean;
  /** Nothing happened for the whole limit. */
  expired(): void;
}

export class IdleTimer {
  // The time of the last activity, and the armed timer's due time (-1: none).
  private lastActivity: number;
  private cancelIdle: (() => void) | null = null;
  private idleDue = -1;

  constructor(
    private readonly ctx: ConnectionContext,
    private readonly owner: IdleOwner,
  ) {
    this.lastActivity = ctx.scheduler.nanos();
  }

  /** Activity: a segment from the guest, data or a FIN from the host. Only notes the time. */
  touch(): void {
    this.lastActivity = this.ctx.scheduler.nanos();
  }

  /**
   * Makes sure the idle timer fires no later than the current deadline. A timer due earlier is
   * left alone (it re-arms when it fires), so this costs nothing unless the deadline moved in:
   * on entering a state with a shorter limit.
   */
  arm(): void {
    const due = this.lastActivity + this.owner.limit();
    if (this.cancelIdle !== null && this.idleDue <= due) return;
    this.stop();
    this.idleDue = due;
    const delay = Math.max(0, due - this.ctx.scheduler.nanos());
    this.cancelIdle = this.ctx.scheduler.schedule(delay, () => this.fired());
  }

  stop(): void {
    this.cancelIdle?.();
    this.cancelIdle = null;
    this.idleDue = -1;
  }

  private fired(): void {
    this.cancelIdle = null;
    this.idleDue = -1;
    if (!this.owner.watched()) return;
    if (this.ctx.scheduler.nanos() < this.lastActivity + this.owner.limit()) {
      this.arm(); // there was activity since it was armed: wait for the new deadline
      return;
    }
    this.owner.expired();
  }
}
