/**
 * The sending half of a spliced connection: bytes from the host socket toward the guest. It owns
 * the send sequence variables (RFC 9293 §3.3.1), the bounded send queue, the guest's window, the
 * congestion window (RFC 5681) and the retransmission timer (RFC 6298), which doubles as the
 * persist timer when the guest's window is closed (RFC 9293 §3.8.6.1).
 *
 * - After a time-out we go back to SND.UNA with a one-segment congestion window (RFC 5681 §3.1);
 *   three duplicate ACKs retransmit the first unacknowledged segment (fast retransmit, §3.2).
 * - A closed window is probed with one byte, with the same exponential backoff; a guest that keeps
 *   answering the probes keeps the connection open however long its window stays shut, as
 *   RFC 9293 §3.8.6.1 requires; one that stops answering is reset after `maxRetries`.
 */
import { ByteQueue } from './tcpBuffers.js';
import { ACK, FIN, PSH, seqAdd, seqDiff, seqLe, seqLt, type TcpSegment } from './tcpSegment.js';
import type { ConnectionContext } from './tcpConnection.js';

/** What the sender asks of its connection. */
export interface SenderOwner {
  /** Emits a segment at `seq` carrying the connection's ACK, window and ports. */
  emit(seq: number, flags: number, payload?: Uint8Array): void;
  /** Past the handshake: data may flow. */
  synchronized(): boolean;
  /** Our SYN (or SYN-ACK) again, for its retransmission. */
  resendSyn(): void;
  /** The FIN has gone out for the first time (state change). */
  finSent(): void;
  /** The guest acknowledged our FIN (state change). */
  finAcked(): void;
  /** The guest stopped answering: reset everything. */
  giveUp(): void;
  /** The queue fell to half its limit: the host socket may be read again. */
  drained(): void;
}

/** RFC 6928's initial window of 10 segments (RFC 5681 allows up to 4); a virtual wire. */
const INITIAL_WINDOW_SEGMENTS = 10;
/** RFC 9293 §3.7.1: without the option the peer's MSS is 536. */
const DEFAULT_MSS = 536;

export class TcpSender {
  // Read by the connection for its acceptability checks; written only here.
  readonly iss: number;
  sndUna: number;
  sndNxt: number;
  /** Highest sequence sent; go-back-N after a time-out pulls sndNxt below it. */
  sndMax: number;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private maxSndWnd = 0;
  private peerMss = DEFAULT_MSS;
  private readonly queue = new ByteQueue();
  private queueSeq: number; // sequence number of the queue's first byte
  private finQueued = false;
  private finWasSent = false;
  private cwnd = 0;
  private ssthresh = 0xffff;
  private dupAcks = 0;
  private probing = false;
  private rto: number;
  private srtt = -1;
  private rttvar = 0;
  private rttSeq = 0;
  private rttStart = -1;
  private retries = 0;
  private cancelTimer: (() => void) | null = null;

  constructor(
    private readonly ctx: ConnectionContext,
    private readonly owner: SenderOwner,
    iss: number,
  ) {
    this.iss = iss >>> 0;
    this.sndUna = this.sndNxt = this.sndMax = this.iss;
    this.queueSeq = seqAdd(this.iss, 1);
    this.rto = ctx.tuning.initialRtoNs;
  }

  /** Bytes from the host not yet acknowledged by the guest. */
  get queued(): number {
    return this.queue.length;
  }

  get closing(): boolean {
    return this.finQueued;
  }

  setPeerMss(mss: number | null): void {
    if (mss !== null && mss > 0) this.peerMss = mss;
  }

  /** Our SYN is out (the owner emitted it): time it and arm its retransmission. */
  synSent(): void {
    this.sndNxt = this.sndMax = seqAdd(this.iss, 1);
    this.rttSeq = this.sndNxt;
    this.rttStart = this.ctx.scheduler.nanos();
    this.startTimer();
  }

  established(): void {
    this.cwnd = INITIAL_WINDOW_SEGMENTS * this.effectiveMss();
  }

  push(data: Uint8Array): void {
    this.queue.push(data);
  }

  /** The host finished: a FIN follows the queued data. */
  queueFin(): void {
    this.finQueued = true;
  }

  stop(): void {
    this.stopTimer();
    this.queue.clear();
  }

  /**
   * The ACK and window fields of an acceptable segment (RFC 9293 §3.10.7.4, fifth step); false
   * if it acknowledges something never sent (the owner answers with an ACK and drops it).
   */
  processAck(seg: TcpSegment, segLength: number): boolean {
    if (seqLt(this.sndMax, seg.ack)) return false;
    const wasZeroWindow = this.sndWnd === 0;
    if (seqLt(this.sndUna, seg.ack)) {
      this.acknowledge(seg.ack);
    } else if (
      seg.ack === this.sndUna &&
      segLength === 0 &&
      seg.window === this.sndWnd &&
      this.sndWnd > 0 &&
      this.sndMax !== this.sndUna
    ) {
      this.duplicateAck();
    }
    if (this.probing) this.retries = 0; // the guest answers our window probes: it is alive
    this.setWindow(seg);
    if (wasZeroWindow && this.sndWnd > 0) {
      if (this.probing) {
        // The window opened: resend the probe byte with what follows instead of waiting an RTO.
        this.probing = false;
        this.sndNxt = this.sndUna;
        this.stopTimer();
      } else if (this.sndUna === this.sndMax) {
        this.stopTimer(); // the persist timer; output() arms a retransmission timer if it sends
      }
    }
    return true;
  }

  acknowledge(ack: number): void {
    const acked = seqDiff(ack, this.sndUna);
    if (acked <= 0) return;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.sndUna = ack;
    // Bytes of the queue now acknowledged (the SYN before it and the FIN after it are not data).
    const dataAcked = Math.min(this.queue.length, Math.max(0, seqDiff(ack, this.queueSeq)));
    this.queue.drop(dataAcked);
    this.queueSeq = seqAdd(this.queueSeq, dataAcked);
    if (this.rttStart >= 0 && seqLe(this.rttSeq, ack)) {
      this.sampleRtt(this.ctx.scheduler.nanos() - this.rttStart);
      this.rttStart = -1;
    }
    this.retries = 0;
    this.dupAcks = 0;
    // Congestion window growth (RFC 5681 §3.1): slow start, then about one MSS per RTT.
    const mss = this.effectiveMss();
    if (this.cwnd < this.ssthresh) this.cwnd += Math.min(acked, mss);
    else this.cwnd += Math.max(1, Math.floor((mss * mss) / this.cwnd));
    this.stopTimer();
    if (this.sndUna !== this.sndMax) this.startTimer();
    if (this.queue.length <= this.ctx.tuning.sendBufferBytes / 2) this.owner.drained();
    if (this.finWasSent && this.sndUna === seqAdd(this.finSeq(), 1)) this.owner.finAcked();
  }

  /** On entering ESTABLISHED: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. */
  initWindow(seg: TcpSegment): void {
    this.sndWnd = seg.window;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.maxSndWnd = Math.max(this.maxSndWnd, seg.window);
  }

  /** SND.WND update rule (RFC 9293 §3.10.7.4): only from a newer segment or a newer ACK. */
  private setWindow(seg: TcpSegment): void {
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, seg.ack))) {
      this.initWindow(seg);
    }
  }

  private duplicateAck(): void {
    this.dupAcks++;
    if (this.dupAcks !== 3) return;
    // Fast retransmit (RFC 5681 §3.2) of the first unacknowledged segment.
    const mss = this.effectiveMss();
    this.ssthresh = Math.max(seqDiff(this.sndMax, this.sndUna) / 2, 2 * mss);
    this.cwnd = this.ssthresh;
    this.ctx.stats.retransmits++;
    this.rttStart = -1;
    this.transmit(this.sndUna, Math.min(mss, this.sndWnd));
  }

  private sampleRtt(r: number): void {
    // RFC 6298 §2.2-2.3, with K = 4, alpha = 1/8, beta = 1/4.
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    const { minRtoNs, maxRtoNs } = this.ctx.tuning;
    this.rto = Math.min(maxRtoNs, Math.max(minRtoNs, this.srtt + 4 * this.rttvar));
  }

  private effectiveMss(): number {
    return Math.max(1, Math.min(this.peerMss, this.ctx.tuning.mss));
  }

  private finSeq(): number {
    return seqAdd(this.queueSeq, this.queue.length);
  }

  /**
   * Sends what the guest's window and the congestion window allow; true if anything went out
   * (every segment carries the current ACK, so the owner needs no separate one then).
   */
  output(): boolean {
    if (!this.owner.synchronized()) return false;
    let sent = false;
    const mss = this.effectiveMss();
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.queueSeq);
      const unsent = this.queue.length - offset;
      if (unsent > 0) {
        const usable = seqDiff(seqAdd(this.sndUna, Math.min(this.sndWnd, this.cwnd)), this.sndNxt);
        if (usable <= 0) break;
        const len = Math.min(mss, usable, unsent);
        // Sender silly-window avoidance (RFC 9293 §3.8.6.2.1): a full segment, all we have, half
        // the largest window seen, or anything when nothing is in flight.
        const idle = this.sndNxt === this.sndUna;
        if (len < mss && len < unsent && len < this.maxSndWnd / 2 && !idle) break;
        this.transmit(this.sndNxt, len);
        sent = true;
        continue;
      }
      // The FIN goes out once the data before it has; it needs no window.
      if (this.finQueued && unsent === 0 && this.sndNxt === this.finSeq()) {
        this.transmit(this.sndNxt, 0);
        sent = true;
      }
      break;
    }
    if (this.cancelTimer === null) {
      const persist = this.sndWnd === 0 && seqDiff(this.finSeq(), this.sndNxt) > 0;
      if (this.sndUna !== this.sndMax || persist) this.startTimer();
    }
    return sent;
  }

  /** Sends data (and the FIN when it follows) starting at `seq`, at most `limit` data bytes. */
  private transmit(seq: number, limit: number): void {
    const offset = seqDiff(seq, this.queueSeq);
    const len = Math.max(0, Math.min(limit, this.queue.length - offset));
    const withFin = this.finQueued && offset + len === this.queue.length;
    const payload = len > 0 ? this.queue.read(offset, len) : undefined;
    this.owner.emit(seq, ACK | (len > 0 ? PSH : 0) | (withFin ? FIN : 0), payload);
    const end = seqAdd(seq, len + (withFin ? 1 : 0));
    const fresh = seqLt(this.sndMax, end);
    if (fresh && len > 0) {
      this.ctx.stats.bytesToGuest += seqDiff(end, this.sndMax) - (withFin ? 1 : 0);
    }
    if (fresh && this.rttStart < 0 && seqLe(this.sndMax, seq)) {
      this.rttSeq = end;
      this.rttStart = this.ctx.scheduler.nanos();
    }
    if (seqLt(this.sndNxt, end)) this.sndNxt = end;
    if (fresh) this.sndMax = end;
    if (withFin && !this.finWasSent) {
      this.finWasSent = true;
      this.owner.finSent();
    }
  }

  private startTimer(): void {
    this.stopTimer();
    this.cancelTimer = this.ctx.scheduler.schedule(this.rto, () => this.timeout());
  }

  stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  private timeout(): void {
    this.cancelTimer = null;
    const synchronized = this.owner.synchronized();
    const zeroWindow = synchronized && this.sndWnd === 0;
    this.retries++;
    if (this.retries > (synchronized ? this.ctx.tuning.maxRetries : this.ctx.tuning.synRetries)) {
      this.ctx.stats.timeouts++;
      this.owner.giveUp();
      return;
    }
    this.rto = Math.min(this.rto * 2, this.ctx.tuning.maxRtoNs); // RFC 6298 §5.5
    this.rttStart = -1; // Karn: no RTT sample from a retransmitted segment
    this.dupAcks = 0;
    if (!synchronized) {
      this.ctx.stats.retransmits++;
      this.owner.resendSyn();
      this.startTimer();
      return;
    }
    const mss = this.effectiveMss();
    if (zeroWindow) {
      this.probing = true;
      this.ctx.stats.windowProbes++;
    } else {
      this.ctx.stats.retransmits++;
      this.ssthresh = Math.max(seqDiff(this.sndMax, this.sndUna) / 2, 2 * mss);
      this.cwnd = mss;
    }
    this.sndNxt = this.sndUna; // go back to the first unacknowledged byte
    this.transmit(this.sndUna, zeroWindow ? 1 : Math.min(mss, this.sndWnd));
    this.output();
    if (this.cancelTimer === null) this.startTimer();
  }
}
