/**
 * One guest TCP connection spliced to one host socket. The engine terminates the guest's TCP here
 * (RFC 9293's state machine, §3.3.2) and moves bytes to and from the host socket, passing
 * back-pressure both ways: a full host socket shrinks the window we advertise to the guest, and a
 * closed guest window fills the bounded send queue, which pauses reading from the host socket.
 *
 * The sending half (queue, guest window, retransmission) is TcpSender in tcpSender.ts, the
 * receiving half (receive sequence, acceptability, reassembly, advertised window) TcpReceiver in
 * tcpReceiver.ts, the idle timer IdleTimer in tcpIdle.ts, and the types shared with the engine
 * (TcpState, TcpTuning, ConnectionContext, re-exported here) are in tcpContext.ts; this file is
 * the state machine, what it does with each guest segment, its TIME_WAIT and FIN_WAIT_2 timers and
 * the host socket's events. Choices:
 * - Out-of-order guest data is kept in a reassembly queue bounded by the window we advertised, and
 *   each such segment is answered with an immediate duplicate ACK (RFC 5681 §4.2).
 * - We ACK every guest segment at once (no delayed ACK): small guest stacks such as NuttX's send one
 *   segment and wait for its ACK, so delaying it would halve their throughput for nothing.
 * - No window scaling: we never send the option, so neither side scales (RFC 7323 §2.2) and windows
 *   stay below 64 KB, which also bounds what the guest can make us hold.
 * - Idle time-out, as a NAT or slirp has one: a connection that hears nothing from the guest and
 *   moves no data either way for `idleEstablishedNs` (ESTABLISHED) or `idleTransitoryNs` (every
 *   other state but TIME_WAIT: handshakes, half-closed, closing) is reset both ways (the timer
 *   itself, armed lazily, is IdleTimer in tcpIdle.ts).
 */
import type { HostConnection } from './hostSockets.js';
import type { ConnectionContext, TcpState } from './tcpContext.js';
import { IdleTimer } from './tcpIdle.js';
import { TcpReceiver } from './tcpReceiver.js';
import {
  ACK,
  buildTcpSegment,
  FIN,
  RST,
  segmentLength,
  seqDiff,
  seqLe,
  seqLt,
  SYN,
  type TcpSegment,
} from './tcpSegment.js';
import { TcpSender } from './tcpSender.js';

export type { ConnectionContext, TcpState, TcpTuning } from './tcpContext.js';

export class TcpConnection {
  state: TcpState;
  private host: HostConnection | null = null;
  private hostClosed = false;
  private hostPaused = true; // host sockets start paused until the guest side is established

  private readonly sender: TcpSender;
  private readonly rx: TcpReceiver;
  private readonly idle: IdleTimer;
  private cancelAux: (() => void) | null = null;

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
    this.sender = new TcpSender(ctx, this.senderOwner(), iss);
    this.rx = new TcpReceiver(ctx, (data) => this.host?.write(data) ?? false);
    this.idle = new IdleTimer(ctx, this.idleOwner());
    if (passiveSyn) {
      // The guest opened: remember its SYN and wait for the host socket (`hostConnected`).
      this.state = 'CONNECTING';
      this.rx.synReceived(passiveSyn.seq, 0);
      this.sender.setPeerMss(passiveSyn.mss);
    } else {
      this.state = 'SYN_SENT';
    }
    this.idle.arm();
  }

  /** Active open toward the guest for a host client on a forward (RFC 9293 §3.10.1). */
  open(host: HostConnection): void {
    this.attachHost(host);
    this.sendSyn();
  }

  /** The host socket for a guest-initiated connection is up: answer the guest's SYN. */
  hostConnected(host: HostConnection): void {
    this.touch();
    this.attachHost(host);
    this.state = 'SYN_RECEIVED';
    this.sendSyn();
  }

  /** The host refused or could not be reached: refuse the guest's SYN (RFC 9293 §3.10.7.1). */
  hostFailed(): void {
    this.emit(0, RST | ACK);
    this.ctx.stats.resetsSent++;
    this.ctx.stats.refused++;
    this.finish();
  }

  /** Tears down without a word to the guest (the engine is closing). */
  shutdown(): void {
    this.host?.destroy();
    this.finish();
  }

  /**
   * The engine is closing (a NAT going away): tells the guest with a RST wherever it holds state
   * for this connection (not in TIME_WAIT), then destroys the host socket. True if a RST went out.
   */
  terminate(): boolean {
    let reset = true;
    switch (this.state) {
      case 'CLOSED':
      case 'TIME_WAIT':
        reset = false;
        break;
      case 'CONNECTING':
        this.emit(0, RST | ACK); // <SEQ=0><ACK=SEG.SEQ+1> for the SYN we never answered
        break;
      case 'SYN_SENT':
        // Nothing of the guest's to acknowledge; a guest in SYN_RECEIVED takes SEQ=ISS+1.
        this.emit(this.sender.sndNxt, RST);
        break;
      default:
        this.emit(this.sender.sndNxt, RST | ACK);
    }
    if (reset) this.ctx.stats.resetsSent++;
    this.shutdown();
    return reset;
  }

  /** Resets the guest and the host socket: time-outs, errors, misbehaviour. */
  abort(): void {
    if (this.state === 'CLOSED') return;
    if (this.state !== 'CONNECTING' && this.state !== 'SYN_SENT') {
      this.emit(this.sender.sndNxt, RST | ACK);
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
    if (this.state === 'CLOSED' || this.sender.closing) return;
    this.touch();
    this.sender.push(data);
    const limit = this.ctx.tuning.sendBufferBytes;
    if (this.sender.queued >= limit) this.pauseHost();
    // pause() is a request; a host adapter that keeps delivering would grow the queue without
    // bound, so past twice the limit the connection is reset instead.
    if (this.sender.queued > 2 * limit) {
      this.ctx.stats.dropped++;
      this.abort();
      return;
    }
    this.sender.output();
  }

  private hostEnd(): void {
    if (this.state === 'CLOSED' || this.sender.closing) return;
    this.touch();
    this.sender.queueFin();
    this.sender.output();
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
    this.rx.hostDrained();
    if (!this.isSynchronized()) return;
    const before = this.rx.rcvEdge;
    this.rx.updateWindow();
    if (this.rx.rcvEdge !== before) this.sendAck(); // window update (RFC 9293 §3.8.6.2.2)
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
    if (this.state === 'CLOSED') return;
    this.touch(); // whatever it is, the guest is there
    switch (this.state) {
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
    const ackOk =
      !!(seg.flags & ACK) && seqLt(this.sender.iss, seg.ack) && seqLe(seg.ack, this.sender.sndNxt);
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
    this.rx.synReceived(seg.seq, this.ctx.tuning.receiveWindow);
    this.sender.setPeerMss(seg.mss);
    this.enter('ESTABLISHED');
    this.established();
    this.sender.acknowledge(seg.ack);
    this.sender.initWindow(seg);
    if (!this.sender.output()) this.sendAck();
  }

  private receiveSynchronized(seg: TcpSegment): void {
    // A retransmitted SYN while our SYN-ACK is unanswered: repeat the SYN-ACK.
    if (this.state === 'SYN_RECEIVED' && seg.flags & SYN && !(seg.flags & ACK)) {
      if (seg.seq === this.rx.irs) this.emitSyn();
      return;
    }
    let payload = seg.payload;
    let fin = !!(seg.flags & FIN);
    const len = segmentLength(seg);
    // 1. Acceptability (RFC 9293 §3.10.7.4, the four cases).
    if (!this.rx.acceptable(seg, len)) {
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
      if (seg.seq === this.rx.rcvNxt) this.resetByGuest();
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
      if (!(seqLt(this.sender.sndUna, seg.ack) && seqLe(seg.ack, this.sender.sndMax))) {
        this.emitReset(seg.ack);
        return;
      }
      this.enter('ESTABLISHED');
      this.established();
      this.sender.initWindow(seg);
    }
    if (!this.sender.processAck(seg, len)) {
      this.sendAck(); // acknowledges something never sent
      return;
    }
    if (this.isClosed()) return;
    // 6. Text. Trim to the window: the front that was already received, the tail beyond it.
    let seq = seg.seq;
    if (seqLt(seq, this.rx.rcvNxt)) {
      const skip = seqDiff(this.rx.rcvNxt, seq);
      payload = payload.subarray(Math.min(skip, payload.length));
      seq = this.rx.rcvNxt;
      this.ctx.stats.duplicates++;
    }
    const room = seqDiff(this.rx.rcvEdge, seq);
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
        const finNext = this.rx.text(seq, payload, fin);
        // 7. The FIN, once everything before it has arrived.
        if (finNext) this.finReceived();
        this.rx.updateWindow();
        needAck = true;
      }
    }
    if (this.isClosed()) return; // a host write can close the host socket synchronously
    if (!this.sender.output() && needAck) this.sendAck();
  }

  private finReceived(): void {
    this.rx.consumeFin();
    if (!this.hostClosed) this.host?.end(); // half close toward the host (after the data)
    if (this.state === 'ESTABLISHED') this.enter('CLOSE_WAIT');
    else if (this.state === 'FIN_WAIT_1') this.enter('CLOSING');
    else if (this.state === 'FIN_WAIT_2') this.enterTimeWait();
  }

  private resetByGuest(): void {
    this.ctx.stats.resetsReceived++;
    if (!this.hostClosed) this.host?.destroy();
    this.finish();
  }

  // ---- Our segments --------------------------------------------------------------------------

  private finAcknowledged(): void {
    if (this.state === 'FIN_WAIT_1') {
      this.enter('FIN_WAIT_2');
      if (this.hostClosed) this.armFinWait2();
    } else if (this.state === 'CLOSING') {
      this.enterTimeWait();
    } else if (this.state === 'LAST_ACK') {
      this.finish();
    }
  }

  private sendSyn(): void {
    this.emitSyn();
    this.sender.synSent();
  }

  private emitSyn(): void {
    this.rx.updateWindow();
    const flags = SYN | (this.state === 'SYN_RECEIVED' ? ACK : 0);
    this.emit(this.sender.iss, flags, undefined, this.ctx.tuning.mss);
  }

  private sendAck(): void {
    this.emit(this.sender.sndNxt, ACK);
  }

  /** A reset answering an unacceptable ACK: <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.3). */
  private emitReset(seq: number): void {
    this.emit(seq, RST);
    this.ctx.stats.resetsSent++;
  }

  /** Every segment carries our RCV.NXT (when ACK is set) and the window we advertise. */
  private emit(seq: number, flags: number, payload?: Uint8Array, mss?: number): void {
    const window = this.rx.window;
    const fields = { srcPort: this.localPort, dstPort: this.guestPort, seq, ack: this.rx.rcvNxt };
    const segment = buildTcpSegment(
      this.localIp,
      this.guestIp,
      { ...fields, flags, window, ...(mss !== undefined ? { mss } : {}) },
      payload,
    );
    this.ctx.send(this.localIp, this.guestIp, segment);
  }

  private senderOwner() {
    return {
      emit: (seq: number, flags: number, payload?: Uint8Array) => this.emit(seq, flags, payload),
      synchronized: () => this.isSynchronized(),
      resendSyn: () => this.emitSyn(),
      finSent: () => {
        if (this.state === 'ESTABLISHED') this.enter('FIN_WAIT_1');
        else if (this.state === 'CLOSE_WAIT') this.enter('LAST_ACK');
      },
      finAcked: () => this.finAcknowledged(),
      giveUp: () => this.abort(),
      drained: () => this.resumeHost(),
    };
  }

  // ---- TIME_WAIT and FIN_WAIT_2 (virtual time) -----------------------------------------------

  private armTimeWait(): void {
    this.cancelAux?.();
    this.cancelAux = this.ctx.scheduler.schedule(this.ctx.tuning.timeWaitNs, () => this.finish());
  }

  private enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.sender.stopTimer();
    this.idle.stop(); // TIME_WAIT has its own timer
    this.armTimeWait();
  }

  private armFinWait2(): void {
    this.cancelAux?.();
    this.cancelAux = this.ctx.scheduler.schedule(this.ctx.tuning.finWait2Ns, () => {
      this.ctx.stats.timeouts++;
      this.abort();
    });
  }

  // ---- Idle time-out (virtual time; the timer is IdleTimer in tcpIdle.ts) --------------------

  /** Activity: a segment from the guest, data or a FIN from the host. Only notes the time. */
  private touch(): void {
    this.idle.touch();
  }

  private idleOwner() {
    return {
      limit: () =>
        this.state === 'ESTABLISHED'
          ? this.ctx.tuning.idleEstablishedNs
          : this.ctx.tuning.idleTransitoryNs,
      watched: () => this.state !== 'CLOSED' && this.state !== 'TIME_WAIT',
      expired: () => this.idleExpired(),
    };
  }

  private idleExpired(): void {
    this.ctx.stats.idleTimeouts++;
    if (this.state === 'CONNECTING') {
      // The host socket never connected: refuse the guest's SYN; a late socket is closed by
      // the engine's connect callback, which finds the connection no longer CONNECTING.
      this.emit(0, RST | ACK);
      this.ctx.stats.resetsSent++;
      this.finish();
      return;
    }
    this.abort();
  }

  // ---- Helpers ------------------------------------------------------------------------------

  /**
   * A state change that may shorten the idle limit: ESTABLISHED to a half-closed state, or a
   * handshake to ESTABLISHED when that limit is tuned shorter than the transitory one.
   */
  private enter(state: TcpState): void {
    this.state = state;
    this.idle.arm();
  }

  private established(): void {
    this.sender.established();
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
    this.sender.stop();
    this.cancelAux?.();
    this.cancelAux = null;
    this.idle.stop();
    this.rx.clear();
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
