/**
 * The receiving half of a spliced connection: bytes from the guest toward the host socket. It owns
 * the receive sequence variables (RFC 9293 §3.3.1), the segment acceptability test
 * (§3.10.7.4), the reassembly queue for out-of-order data and the window we advertise, which
 * shrinks by what the host socket has not taken since it last said it was full.
 *
 * - Out-of-order guest data is kept in a reassembly queue bounded by the window we advertised;
 *   the connection answers each such segment with an immediate duplicate ACK (RFC 5681 §4.2).
 * - The window's right edge never moves left, and moves right only by enough to be worth an
 *   update (RFC 9293 §3.8.6.2.2).
 */
import { ReassemblyQueue } from './tcpBuffers.js';
import type { ConnectionContext } from './tcpContext.js';
import { seqAdd, seqDiff, seqLe, seqLt, type TcpSegment } from './tcpSegment.js';

export class TcpReceiver {
  // Read by the connection for its checks and segments; written only here.
  irs = 0;
  rcvNxt = 0;
  rcvEdge = 0; // right edge of the window we last advertised (never moved left)
  private readonly reassembly: ReassemblyQueue;
  private rcvFinSeq: number | null = null;
  private hostBacklog = 0; // bytes written to the host socket since it last said it was full
  private hostBlocked = false;

  constructor(
    private readonly ctx: ConnectionContext,
    /** Writes guest data to the host socket; false when it is full (or there is none). */
    private readonly write: (data: Uint8Array) => boolean,
  ) {
    this.reassembly = new ReassemblyQueue(ctx.tuning.receiveWindow);
  }

  /** The guest's SYN: its sequence number, and the window we open just after it. */
  synReceived(seq: number, window: number): void {
    this.irs = seq;
    this.rcvNxt = seqAdd(seq, 1);
    this.rcvEdge = seqAdd(this.rcvNxt, window);
  }

  /** The window we advertise on every segment. */
  get window(): number {
    return Math.max(0, seqDiff(this.rcvEdge, this.rcvNxt));
  }

  /** Acceptability of a segment of `len` sequence numbers (RFC 9293 §3.10.7.4, the four cases). */
  acceptable(seg: TcpSegment, len: number): boolean {
    const wnd = seqDiff(this.rcvEdge, this.rcvNxt);
    const inWindow = (s: number) => seqLe(this.rcvNxt, s) && seqLt(s, this.rcvEdge);
    return len === 0
      ? wnd === 0
        ? seg.seq === this.rcvNxt
        : inWindow(seg.seq)
      : wnd === 0
        ? seg.seq === this.rcvNxt // RFC: only its ACK (and RST) are processed; data is trimmed
        : inWindow(seg.seq) || inWindow(seqAdd(seg.seq, len - 1));
  }

  /**
   * Text trimmed to the window, at `seq`: delivered if it continues the stream (with whatever
   * held data follows it), held otherwise. True once everything before the guest's FIN has
   * arrived: the connection then takes the FIN (`consumeFin`).
   */
  text(seq: number, payload: Uint8Array, fin: boolean): boolean {
    if (fin) this.rcvFinSeq = seqAdd(seq, payload.length);
    if (seq === this.rcvNxt) {
      this.deliver(payload);
      for (const held of this.reassembly.take(this.rcvNxt)) this.deliver(held);
    } else if (payload.length > 0) {
      this.ctx.stats.outOfOrder++;
      if (!this.reassembly.insert(seq, payload)) this.ctx.stats.dropped++;
    }
    return this.rcvFinSeq !== null && this.rcvNxt === this.rcvFinSeq;
  }

  /** The guest's FIN occupies one sequence number. */
  consumeFin(): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.rcvFinSeq = null;
  }

  private deliver(data: Uint8Array): void {
    if (data.length === 0) return;
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
    this.ctx.stats.bytesFromGuest += data.length;
    const accepted = this.write(data);
    // Once the host says it is full, every byte written until its drain counts against the
    // window we advertise, so what waits in the host socket stays within our receive window.
    if (!accepted || this.hostBlocked) {
      this.hostBlocked = true;
      this.hostBacklog += data.length;
    }
  }

  /** The host socket drained: what it held no longer counts against the window. */
  hostDrained(): void {
    this.hostBlocked = false;
    this.hostBacklog = 0;
  }

  /** The window's right edge moves only right (RFC 9293 §3.8.6.2.2), and only by enough. */
  updateWindow(): void {
    const space = Math.max(0, this.ctx.tuning.receiveWindow - this.hostBacklog);
    const edge = seqAdd(this.rcvNxt, space);
    const growth = seqDiff(edge, this.rcvEdge);
    const threshold = Math.min(this.ctx.tuning.receiveWindow / 2, this.ctx.tuning.mss);
    if (growth >= threshold || (growth > 0 && space === this.ctx.tuning.receiveWindow)) {
      this.rcvEdge = edge;
    }
    if (seqLt(this.rcvEdge, this.rcvNxt)) this.rcvEdge = this.rcvNxt;
  }

  /** The connection is finished: held data is dropped. */
  clear(): void {
    this.reassembly.clear();
  }
}
