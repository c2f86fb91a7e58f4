/**
 * One guest TCP connection spliced to one host socket. The engine terminates the guest's TCP here
 * (RFC 9293's state machine, §3.3.2) and moves bytes to and from the host socket, passing
 * back-pressure both ways: a full host socket shrinks the window we advertise to the guest, and a
 * closed guest window fills the bounded send queue, which pauses reading from the host socket.
 *
 * Choices, so the reader need not reverse-engineer them:
 * - Retransmission follows RFC 6298 (SRTT/RTTVAR, Karn's rule, exponential backoff), on virtual
 *   time, with a 200 ms initial and minimum RTO (the guest sits on a virtual wire); after a time-out
 *   we go back to SND.UNA with a one-segment congestion window (RFC 5681 §3.1), and three duplicate
 *   ACKs retransmit the first unacknowledged segment (fast retransmit, RFC 5681 §3.2).
 * - Out-of-order guest data is kept in a reassembly queue bounded by the window we advertised, and
 *   each such segment is answered with an immediate duplicate ACK (RFC 5681 §4.2).
 * - We ACK every guest segment at once (no delayed ACK): small guest stacks such as NuttX's send one
 *   segment and wait for its ACK, so delaying it would halve their throughput for nothing.
 * - No window scaling: we never send the option, so neither side scales (RFC 7323 §2.2) and windows
 *   stay below 64 KB, which also bounds what the guest can make us hold.
 */
import { ByteQueue, ReassemblyQueue } from './tcpBuffers.js';
import {
  ACK,
  buildTcpSegment,
  FIN,
  PSH,
  RST,
  segmentLength,
  seqAdd,
  seqDiff,
  seqLe,
  seqLt,
  SYN,
  type SegmentFields,
  type TcpSegment,
} from './tcpSegment.js';
import type { HostConnection } from './hostSockets.js';
import type { TcpScheduler, TcpStats } from './tcp.js';

export type TcpState =
  | 'CONNECTING' // guest SYN received, waiting for the host socket to connect
  | 'SYN_SENT'
  | 'SYN_RECEIVED'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSE_WAIT'
  | 'CLOSING'
  | 'LAST_ACK'
  | 'TIME_WAIT'
  | 'CLOSED';

/** Timing and sizes; the engine fills in defaults (see `defaultTcpTuning` in tcp.ts). */
export interface TcpTuning {
  initialRtoNs: number;
  minRtoNs: number;
  maxRtoNs: number;
  /** Retransmissions of data or FIN before the connection is reset. */
  maxRetries: number;
  /** Retransmissions of our SYN or SYN-ACK before giving up. */
  synRetries: number;
  timeWaitNs: number;
  /** FIN_WAIT_2 after the host socket has gone entirely: how long we wait for the guest's FIN. */
  finWait2Ns: number;
  /** The MSS we announce and the largest segment we send. */
  mss: number;
  /** Bytes from the host not yet acknowledged by the guest before the host socket is paused. */
  sendBufferBytes: number;
  /** Our receive window: guest bytes in flight to a host socket that is not draining. */
  receiveWindow: number;
}

/** What a connection needs from its engine. */
export interface ConnectionContext {
  send(srcIp: number, dstIp: number, segment: Uint8Array): void;
  scheduler: TcpScheduler;
  tuning: TcpTuning;
  stats: TcpStats;
  closed(connection: TcpConnection): void;
}

/** RFC 5681 §3.1: IW = 10 segments is RFC 6928's; either is fine on a virtual wire. */
const INITIAL_WINDOW_SEGMENTS = 10;
/** RFC 9293 §3.7.1: without the option the peer's MSS is 536. */
const DEFAULT_MSS = 536;

export class TcpConnection {
  state: TcpState;
  private host: HostConnection | null = null;
  private hostClosed = false;
  private hostPaused = true; // host sockets start paused until the guest side is established

  // Send side (RFC 9293 §3.3.1).
  private readonly iss: number;
  private sndUna: number;
  private sndNxt: number;
  private sndMax: number; // highest sequence sent; go-back-N may pull sndNxt below it
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private maxSndWnd = 0;
  private peerMss = DEFAULT_MSS;
  private readonly sendQueue = new ByteQueue();
  private queueSeq: number; // sequence number of the send queue's first byte
  private finQueued = false;
  private finSent = false;
  private cwnd = 0;
  private ssthresh = 0xffff;
  private dupAcks = 0;
  private probing = false;

  // Retransmission timing (RFC 6298).
  private rto: number;
  private srtt = -1;
  private rttvar = 0;
  private rttSeq = 0;
  private rttStart = -1;
  private retries = 0;
  private cancelTimer: (() => void) | null = null;
  private cancelAux: (() => void) | null = null;

  // Receive side.
  private irs = 0;
  private rcvNxt = 0;
  private rcvEdge = 0; // right edge of the window we last advertised (never moved left)
  private readonly reassembly: ReassemblyQueue;
  private rcvFinSeq: number | null = null;
  private hostBacklog = 0; // bytes written to the host socket since it last said it was full
  private hostBlocked = false;

  constructor(
    private readonly ctx: ConnectionContext,
    readonly key: string,
    readonly guestIp: number,
    readonly guestPort: number,
    readonly localIp: number,
    readonly localPort: number,
    iss: number,
    passiveSyn: TcpSegment | null,
  ) {
    this.iss = iss >>> 0;
    this.sndUna = this.sndNxt = this.sndMax = this.iss;
    this.queueSeq = seqAdd(this.iss, 1);
    this.rto = ctx.tuning.initialRtoNs;
    this.reassembly = new ReassemblyQueue(ctx.tuning.receiveWindow);
    if (passiveSyn) {
      // The guest opened: remember its SYN and wait for the host socket (`hostConnected`).
      this.state = 'CONNECTING';
      this.irs = passiveSyn.seq;
      this.rcvNxt = this.rcvEdge = seqAdd(passiveSyn.seq, 1);
      this.takePeerOptions(passiveSyn);
    } else {
      this.state = 'SYN_SENT';
    }
  }

  /** Active open toward the guest for a host client on a forward (RFC 9293 §3.10.1). */
  open(host: HostConnection): void {
    this.attachHost(host);
    this.sendSyn();
  }

  /** The host socket for a guest-initiated connection is up: answer the guest's SYN. */
  hostConnected(host: HostConnection): void {
    this.attachHost(host);
    this.state = 'SYN_RECEIVED';
    this.sendSyn();
  }

  /** The host refused or could not be reached: refuse the guest's SYN (RFC 9293 §3.10.7.1). */
  hostFailed(): void {
    this.emit({ seq: 0, ack: this.rcvNxt, flags: RST | ACK });
    this.ctx.stats.resetsSent++;
    this.ctx.stats.refused++;
    this.finish();
  }

  /** Tears down without a word to the guest (the engine is closing). */
  shutdown(): void {
    this.host?.destroy();
    this.finish();
  }

  /** Resets the guest and the host socket: time-outs, errors, misbehaviour. */
  abort(): void {
    if (this.state === 'CLOSED') return;
    if (this.state !== 'CONNECTING' && this.state !== 'SYN_SENT') {
      this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: RST | ACK });
      this.ctx.stats.resetsSent++;
    }
    if (!this.hostClosed) this.host?.destroy();
    this.finish();
  }

  get isTimeWait(): boolean {
    return this.state === 'TIME_WAIT';
  }

  // ---- Host socket events -------------------------------------------------------------------

  private attachHost(host: HostConnection): void {
    this.host = host;
    host.onData = (data) => this.hostData(data);
    host.onEnd = () => this.hostEnd();
    host.onClose = (error) => this.hostClose(error);
    host.onDrain = () => this.hostDrain();
  }

  private hostData(data: Uint8Array): void {
    if (this.state === 'CLOSED' || this.finQueued) return;
    this.sendQueue.push(data);
    const limit = this.ctx.tuning.sendBufferBytes;
    if (this.sendQueue.length >= limit) this.pauseHost();
    // pause() is a request; a host adapter that keeps delivering would grow the queue without
    // bound, so past twice the limit the connection is reset instead.
    if (this.sendQueue.length > 2 * limit) {
      this.ctx.stats.dropped++;
      this.abort();
      return;
    }
    this.output();
  }

  private hostEnd(): void {
    if (this.state === 'CLOSED' || this.finQueued) return;
    this.finQueued = true;
    this.output();
  }

  private hostClose(error?: string): void {
    this.hostClosed = true;
    if (this.state === 'CLOSED') return;
    if (error !== undefined) {
      this.abort();
      return;
    }
    // Closed without an error: whatever it sent is queued; finish with a FIN after it.
    this.hostEnd();
    if (this.state === 'FIN_WAIT_2') this.armFinWait2();
  }

  private hostDrain(): void {
    this.hostBlocked = false;
    this.hostBacklog = 0;
    if (!this.isSynchronized()) return;
    const before = this.rcvEdge;
    this.updateReceiveWindow();
    if (this.rcvEdge !== before) this.sendAck(); // window update (RFC 9293 §3.8.6.2.2)
  }

  private pauseHost(): void {
    if (!this.hostPaused) {
      this.hostPaused = true;
      this.host?.pause();
    }
  }

  private resumeHost(): void {
    if (this.hostPaused && !this.hostClosed && this.isSynchronized()) {
      this.hostPaused = false;
      this.host?.resume();
    }
  }

  // ---- Segments from the guest (RFC 9293 §3.10.7) ------------------------------------------

  receive(seg: TcpSegment): void {
    switch (this.state) {
      case 'CLOSED':
        return;
      case 'CONNECTING':
        // The guest may retransmit its SYN while the host connects; a RST withdraws it.
        if (seg.flags & RST) this.resetByGuest();
        return;
      case 'SYN_SENT':
        this.receiveInSynSent(seg);
        return;
      default:
        this.receiveSynchronized(seg);
    }
  }

  private receiveInSynSent(seg: TcpSegment): void {
    const ackOk = !!(seg.flags & ACK) && seqLt(this.iss, seg.ack) && seqLe(seg.ack, this.sndNxt);
    if (seg.flags & ACK && !ackOk) {
      if (!(seg.flags & RST)) this.emitReset(seg.ack);
      return;
    }
    if (seg.flags & RST) {
      if (ackOk) this.resetByGuest();
      return;
    }
    // A bare SYN would be a simultaneous open, which a guest answering a forward never does;
    // it is dropped and our SYN's retransmission settles it.
    if (!(seg.flags & SYN) || !ackOk) return;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.rcvEdge = seqAdd(this.rcvNxt, this.ctx.tuning.receiveWindow);
    this.takePeerOptions(seg);
    this.state = 'ESTABLISHED';
    this.established();
    this.acknowledge(seg.ack);
    this.initWindow(seg);
    if (!this.output()) this.sendAck();
  }

  private receiveSynchronized(seg: TcpSegment): void {
    // A retransmitted SYN while our SYN-ACK is unanswered: repeat the SYN-ACK.
    if (this.state === 'SYN_RECEIVED' && seg.flags & SYN && !(seg.flags & ACK)) {
      if (seg.seq === this.irs) this.emitSyn();
      return;
    }
    let payload = seg.payload;
    let fin = !!(seg.flags & FIN);
    const wnd = seqDiff(this.rcvEdge, this.rcvNxt);
    const len = segmentLength(seg);
    // 1. Acceptability (RFC 9293 §3.10.7.4, the four cases).
    const inWindow = (s: number) => seqLe(this.rcvNxt, s) && seqLt(s, this.rcvEdge);
    const acceptable =
      len === 0
        ? wnd === 0
          ? seg.seq === this.rcvNxt
          : inWindow(seg.seq)
        : wnd === 0
          ? seg.seq === this.rcvNxt // RFC: only its ACK (and RST) are processed; data is trimmed
          : inWindow(seg.seq) || inWindow(seqAdd(seg.seq, len - 1));
    if (!acceptable) {
      if (!(seg.flags & RST)) {
        if (len > 0) this.ctx.stats.duplicates++;
        if (this.state === 'TIME_WAIT' && fin) this.armTimeWait(); // the guest lost our ACK
        this.sendAck();
      }
      return;
    }
    // 2. RST: only an exact match resets; anything else in the window gets a challenge ACK
    //    (RFC 5961 §3.2, adopted by RFC 9293 §3.10.7.4).
    if (seg.flags & RST) {
      if (seg.seq === this.rcvNxt) this.resetByGuest();
      else this.sendAck();
      return;
    }
    // 3. A SYN in a synchronized state: challenge ACK (RFC 5961 §4).
    if (seg.flags & SYN) {
      this.sendAck();
      return;
    }
    // 4. Without ACK the segment is dropped.
    if (!(seg.flags & ACK)) return;
    // 5. The ACK field.
    if (this.state === 'SYN_RECEIVED') {
      if (!(seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndMax))) {
        this.emitReset(seg.ack);
        return;
      }
      this.state = 'ESTABLISHED';
      this.established();
      this.initWindow(seg);
    }
    if (seqLt(this.sndMax, seg.ack)) {
      this.sendAck(); // acknowledges something never sent
      return;
    }
    const wasZeroWindow = this.sndWnd === 0;
    if (seqLt(this.sndUna, seg.ack)) {
      this.acknowledge(seg.ack);
    } else if (
      seg.ack === this.sndUna &&
      len === 0 &&
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
    if (this.isClosed()) return;
    // 6. Text. Trim to the window: the front that was already received, the tail beyond it.
    let seq = seg.seq;
    if (seqLt(seq, this.rcvNxt)) {
      const skip = seqDiff(this.rcvNxt, seq);
      payload = payload.subarray(Math.min(skip, payload.length));
      seq = this.rcvNxt;
      this.ctx.stats.duplicates++;
    }
    const room = seqDiff(this.rcvEdge, seq);
    if (payload.length > room) {
      payload = payload.subarray(0, Math.max(0, room));
      fin = false;
    }
    // Any segment occupying sequence space is answered, even when trimming left nothing of it
    // (a zero window: the ACK tells the guest where we are, RFC 9293 §3.10.7.4).
    let needAck = len > 0;
    const receiving =
      this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT_1' || this.state === 'FIN_WAIT_2';
    if (payload.length > 0 || fin) {
      if (!receiving) {
        needAck = true; // a retransmission after the guest's FIN: nothing new in it
      } else if (payload.length > 0 && this.hostClosed) {
        // Data for a host socket that is gone (RFC 1122 §4.2.2.13): reset.
        this.abort();
        return;
      } else {
        if (fin) this.rcvFinSeq = seqAdd(seq, payload.length);
        if (seq === this.rcvNxt) {
          this.deliver(payload);
          for (const held of this.reassembly.take(this.rcvNxt)) this.deliver(held);
        } else if (payload.length > 0) {
          this.ctx.stats.outOfOrder++;
          if (!this.reassembly.insert(seq, payload)) this.ctx.stats.dropped++;
        }
        // 7. The FIN, once everything before it has arrived.
        if (this.rcvFinSeq !== null && this.rcvNxt === this.rcvFinSeq) this.finReceived();
        this.updateReceiveWindow();
        needAck = true;
      }
    }
    if (this.isClosed()) return; // a host write can close the host socket synchronously
    if (!this.output() && needAck) this.sendAck();
  }

  private finReceived(): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.rcvFinSeq = null;
    if (!this.hostClosed) this.host?.end(); // half close toward the host (after the data)
    if (this.state === 'ESTABLISHED') this.state = 'CLOSE_WAIT';
    else if (this.state === 'FIN_WAIT_1') this.state = 'CLOSING';
    else if (this.state === 'FIN_WAIT_2') this.enterTimeWait();
  }

  private deliver(data: Uint8Array): void {
    if (data.length === 0) return;
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
    this.ctx.stats.bytesFromGuest += data.length;
    const accepted = this.host?.write(data) ?? false;
    // Once the host says it is full, every byte written until its drain counts against the
    // window we advertise, so what waits in the host socket stays within our receive window.
    if (!accepted || this.hostBlocked) {
      this.hostBlocked = true;
      this.hostBacklog += data.length;
    }
  }

  /** The window's right edge moves only right (RFC 9293 §3.8.6.2.2), and only by enough. */
  private updateReceiveWindow(): void {
    const space = Math.max(0, this.ctx.tuning.receiveWindow - this.hostBacklog);
    const edge = seqAdd(this.rcvNxt, space);
    const growth = seqDiff(edge, this.rcvEdge);
    const threshold = Math.min(this.ctx.tuning.receiveWindow / 2, this.ctx.tuning.mss);
    if (growth >= threshold || (growth > 0 && space === this.ctx.tuning.receiveWindow)) {
      this.rcvEdge = edge;
    }
    if (seqLt(this.rcvEdge, this.rcvNxt)) this.rcvEdge = this.rcvNxt;
  }

  private resetByGuest(): void {
    this.ctx.stats.resetsReceived++;
    if (!this.hostClosed) this.host?.destroy();
    this.finish();
  }

  // ---- Acknowledgements and the send window ------------------------------------------------

  private acknowledge(ack: number): void {
    const acked = seqDiff(ack, this.sndUna);
    if (acked <= 0) return;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.sndUna = ack;
    // Bytes of the queue now acknowledged (the SYN before it and the FIN after it are not data).
    const dataAcked = Math.min(this.sendQueue.length, Math.max(0, seqDiff(ack, this.queueSeq)));
    this.sendQueue.drop(dataAcked);
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
    if (this.sendQueue.length <= this.ctx.tuning.sendBufferBytes / 2) this.resumeHost();
    if (this.finSent && this.sndUna === seqAdd(this.finSeq(), 1)) this.finAcknowledged();
  }

  private finAcknowledged(): void {
    if (this.state === 'FIN_WAIT_1') {
      this.state = 'FIN_WAIT_2';
      if (this.hostClosed) this.armFinWait2();
    } else if (this.state === 'CLOSING') {
      this.enterTimeWait();
    } else if (this.state === 'LAST_ACK') {
      this.finish();
    }
  }

  /** SND.WND update rule (RFC 9293 §3.10.7.4): only from a newer segment or a newer ACK. */
  private setWindow(seg: TcpSegment): void {
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, seg.ack))) {
      this.initWindow(seg);
    }
  }

  /** On entering ESTABLISHED: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. */
  private initWindow(seg: TcpSegment): void {
    this.sndWnd = seg.window;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.maxSndWnd = Math.max(this.maxSndWnd, seg.window);
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
    this.transmit(this.sndUna, Math.min(mss, Math.max(1, this.sndWnd)));
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

  // ---- Output -------------------------------------------------------------------------------

  private effectiveMss(): number {
    return Math.max(1, Math.min(this.peerMss, this.ctx.tuning.mss));
  }

  private finSeq(): number {
    return seqAdd(this.queueSeq, this.sendQueue.length);
  }

  /**
   * Sends what the guest's window and the congestion window allow; true if anything went out
   * (every segment carries our current ACK, so no separate ACK is needed then).
   */
  private output(): boolean {
    if (!this.isSynchronized()) return false;
    let sent = false;
    const mss = this.effectiveMss();
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.queueSeq);
      const unsent = this.sendQueue.length - offset;
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
    const len = Math.max(0, Math.min(limit, this.sendQueue.length - offset));
    const withFin = this.finQueued && offset + len === this.sendQueue.length;
    const payload = len > 0 ? this.sendQueue.read(offset, len) : undefined;
    const flags = ACK | (len > 0 ? PSH : 0) | (withFin ? FIN : 0);
    this.emit({ seq, ack: this.rcvNxt, flags }, payload);
    const end = seqAdd(seq, len + (withFin ? 1 : 0));
    const fresh = seqLt(this.sndMax, end);
    if (fresh && len > 0)
      this.ctx.stats.bytesToGuest += seqDiff(end, this.sndMax) - (withFin ? 1 : 0);
    if (fresh && this.rttStart < 0 && seqLe(this.sndMax, seq)) {
      this.rttSeq = end;
      this.rttStart = this.ctx.scheduler.nanos();
    }
    if (seqLt(this.sndNxt, end)) this.sndNxt = end;
    if (fresh) this.sndMax = end;
    if (withFin && !this.finSent) {
      this.finSent = true;
      if (this.state === 'ESTABLISHED') this.state = 'FIN_WAIT_1';
      else if (this.state === 'CLOSE_WAIT') this.state = 'LAST_ACK';
    }
  }

  private sendSyn(): void {
    this.sndNxt = this.sndMax = seqAdd(this.iss, 1);
    this.rttSeq = this.sndNxt;
    this.rttStart = this.ctx.scheduler.nanos();
    this.emitSyn();
    this.startTimer();
  }

  private emitSyn(): void {
    const passive = this.state === 'SYN_RECEIVED';
    this.updateReceiveWindow();
    this.emit({
      seq: this.iss,
      ack: this.rcvNxt,
      flags: SYN | (passive ? ACK : 0),
      mss: this.ctx.tuning.mss,
    });
  }

  private sendAck(): void {
    this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: ACK });
  }

  /** A reset answering an unacceptable ACK: <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.3). */
  private emitReset(seq: number): void {
    this.emit({ seq, ack: 0, flags: RST });
    this.ctx.stats.resetsSent++;
  }

  private emit(
    fields: Omit<SegmentFields, 'srcPort' | 'dstPort' | 'window'>,
    payload?: Uint8Array,
  ): void {
    const window = seqDiff(this.rcvEdge, this.rcvNxt);
    const segment = buildTcpSegment(
      this.localIp,
      this.guestIp,
      { ...fields, srcPort: this.localPort, dstPort: this.guestPort, window: Math.max(0, window) },
      payload,
    );
    this.ctx.send(this.localIp, this.guestIp, segment);
  }

  // ---- Timers (virtual time) -----------------------------------------------------------------

  private startTimer(): void {
    this.stopTimer();
    this.cancelTimer = this.ctx.scheduler.schedule(this.rto, () => this.timeout());
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  private timeout(): void {
    this.cancelTimer = null;
    if (this.state === 'CLOSED') return;
    const zeroWindow = this.isSynchronized() && this.sndWnd === 0;
    this.retries++;
    const limit = this.isSynchronized() ? this.ctx.tuning.maxRetries : this.ctx.tuning.synRetries;
    if (this.retries > limit) {
      this.ctx.stats.timeouts++;
      this.abort();
      return;
    }
    this.rto = Math.min(this.rto * 2, this.ctx.tuning.maxRtoNs); // RFC 6298 §5.5
    this.rttStart = -1; // Karn: no RTT sample from a retransmitted segment
    this.dupAcks = 0;
    if (!this.isSynchronized()) {
      this.ctx.stats.retransmits++;
      this.emitSyn();
      this.startTimer();
      return;
    }
    const mss = this.effectiveMss();
    if (zeroWindow) {
      // Persist timer (RFC 9293 §3.8.6.1): probe the closed window with one byte.
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

  private armTimeWait(): void {
    this.cancelAux?.();
    this.cancelAux = this.ctx.scheduler.schedule(this.ctx.tuning.timeWaitNs, () => this.finish());
  }

  private enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.stopTimer();
    this.armTimeWait();
  }

  private armFinWait2(): void {
    this.cancelAux?.();
    this.cancelAux = this.ctx.scheduler.schedule(this.ctx.tuning.finWait2Ns, () => {
      this.ctx.stats.timeouts++;
      this.abort();
    });
  }

  // ---- Helpers ------------------------------------------------------------------------------

  private takePeerOptions(syn: TcpSegment): void {
    if (syn.mss !== null && syn.mss > 0) this.peerMss = syn.mss;
  }

  private established(): void {
    this.cwnd = INITIAL_WINDOW_SEGMENTS * this.effectiveMss();
    this.resumeHost();
  }

  private isClosed(): boolean {
    return this.state === 'CLOSED';
  }

  private isSynchronized(): boolean {
    return (
      this.state !== 'CONNECTING' &&
      this.state !== 'SYN_SENT' &&
      this.state !== 'SYN_RECEIVED' &&
      this.state !== 'CLOSED'
    );
  }

  private finish(): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.stopTimer();
    this.cancelAux?.();
    this.cancelAux = null;
    this.sendQueue.clear();
    this.reassembly.clear();
    if (this.host) {
      // Late events from the host socket must not reach a finished connection.
      this.host.onData = () => {};
      this.host.onEnd = () => {};
      this.host.onDrain = () => {};
      this.host.onClose = () => {};
    }
    this.ctx.closed(this);
  }
}
