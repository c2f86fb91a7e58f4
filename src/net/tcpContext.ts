/**
 * What a spliced TCP connection shares with its engine and its halves: the connection's states
 * (RFC 9293 §3.3.2), the engine's timing and sizes, and the context through which a connection
 * sends segments, schedules timers and counts. Used by tcp.ts, tcpConnection.ts, tcpSender.ts,
 * tcpReceiver.ts and tcpIdle.ts.
 */
import type { TcpConnection } from './tcpConnection.js';
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
  /**
   * ESTABLISHED with no segment from the guest and no data from the host for this long: reset
   * both ways (RFC 5382 REQ-5's "established connection idle-timeout").
   */
  idleEstablishedNs: number;
  /**
   * The same for every other state but TIME_WAIT (RFC 5382 REQ-5's "transitory connection
   * idle-timeout"): half-closed (FIN_WAIT_1/2, CLOSE_WAIT) and closing connections, and a
   * guest-opened connection whose host socket never connects.
   */
  idleTransitoryNs: number;
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
