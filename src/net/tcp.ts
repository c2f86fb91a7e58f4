/**
 * The user-mode network's TCP: it terminates the guest's TCP connections and splices each one to
 * a host socket obtained through the `HostSockets` adapter (Node's `net` in src/host/, a page
 * adapter in the browser). Two directions:
 * - host → guest (port forwards): a host client connects to a forward's listener and the engine
 *   opens a connection to the guest, from the gateway address the guest uses (`gatewayFor`);
 * - guest → host (only with restrict off): a guest SYN to a gateway address and port becomes a
 *   host connection to 127.0.0.1 on that port, and the SYN-ACK goes back once it is up.
 * Everything else the guest sends to TCP is answered with a reset (RFC 9293 §3.10.7.1).
 * Per-connection logic is in tcpConnection.ts, segment bytes in tcpSegment.ts.
 */
import { ACK, buildTcpSegment, parseTcpSegment, RST, segmentLength, SYN } from './tcpSegment.js';
import type { TcpSegment } from './tcpSegment.js';
import { TcpConnection, type ConnectionContext, type TcpTuning } from './tcpConnection.js';

import type { HostConnection, HostListener, HostSockets } from './hostSockets.js';
import type { ForwardSpec } from './options.js';

export type { HostConnection, HostListener, HostSockets } from './hostSockets.js';
/** A port forward as --net user,hostfwd=... parses it (src/net/options.ts). */
export type Forward = ForwardSpec;

/** Virtual time: `schedule` runs `fn` after `ns` virtual nanoseconds and returns a cancel. */
export interface TcpScheduler {
  nanos(): number;
  schedule(ns: number, fn: () => void): () => void;
}

export interface TcpStats {
  /** Connections ever set up (both directions). */
  connections: number;
  /** Connections currently in the table (including TIME_WAIT). */
  active: number;
  resetsSent: number;
  resetsReceived: number;
  retransmits: number;
  windowProbes: number;
  /** Connections reset because the guest stopped answering. */
  timeouts: number;
  /**
   * Connections reset by the idle time-out: nothing from the guest and no data either way for
   * `idleEstablishedNs` (ESTABLISHED) or `idleTransitoryNs` (handshake, half-closed, closing).
   */
  idleTimeouts: number;
  /** Open connections reset toward the guest by `close()` (the network shutting down). */
  resetsOnClose: number;
  /** Connections refused: restrict, the limit, no guest address, the host refusing. */
  refused: number;
  /** Segments or host data dropped: malformed, no room in the reassembly queue, ... */
  dropped: number;
  outOfOrder: number;
  duplicates: number;
  bytesToGuest: number;
  bytesFromGuest: number;
}

export interface TcpEngineOptions {
  /** A TCP segment (checksum filled in) for the network to wrap in IPv4 toward the guest. */
  send: (srcIp: number, dstIp: number, segment: Uint8Array) => void;
  scheduler: TcpScheduler;
  host: HostSockets;
  /** true (the default in the CLI): the guest reaches nothing but the forwards. */
  restrict: boolean;
  guestIp: () => number | null;
  /**
   * A forward's client connected while `guestIp()` is still null (a guest with a static address
   * that has sent nothing yet): the network may look for the guest and call `retry` once
   * `guestIp()` knows it, or destroy `host`. Without this, such a client is refused.
   */
  awaitGuest?: (host: HostConnection, retry: () => void) => void;
  /** Addresses that are "the host": 10.0.2.2, or the gateway the guest was configured with. */
  gatewayIps: (ip: number) => boolean;
  /**
   * The address forwarded connections come from. Default: 10.0.2.2 for a guest in 10.0.2.0/24
   * (slirp's addressing), otherwise x.y.z.1 of the guest's /24 (NuttX's 10.0.0.2 → 10.0.0.1),
   * so the guest answers on-link without needing a route.
   */
  gatewayFor?: (guestIp: number) => number;
  limits?: { maxConnections?: number; maxBufferBytes?: number };
  tuning?: Partial<TcpTuning>;
}

const MS = 1_000_000;

export const defaultTcpTuning: TcpTuning = {
  initialRtoNs: 200 * MS, // RFC 6298 says 1 s; the guest sits on a virtual wire, 200 ms is ample
  minRtoNs: 200 * MS,
  maxRtoNs: 30_000 * MS,
  maxRetries: 8,
  synRetries: 6,
  timeWaitNs: 1_000 * MS, // 2 MSL shortened: the only peer is the guest and ports are plenty
  finWait2Ns: 60_000 * MS,
  // RFC 5382 REQ-5 (NAT behaviour for TCP): a NAT may drop an idle session, but not before
  // 2 h 4 min when established (a 2 h keep-alive interval plus time for its probes) nor 4 min
  // "in the partially open or closing phases". User-mode networking is such a NAT; its minima
  // are the defaults. A half-closed connection (one FIN seen) counts as closing here, which is
  // stricter than NATs that wait for both FINs; the guest or the host sending anything resets
  // the clock, so only a connection silent for 4 min with one side gone is affected.
  idleEstablishedNs: (2 * 3600 + 4 * 60) * 1000 * MS,
  idleTransitoryNs: 4 * 60 * 1000 * MS,
  mss: 1460, // Ethernet MTU 1500 - 20 (IPv4) - 20 (TCP)
  sendBufferBytes: 256 * 1024,
  receiveWindow: 0xffff,
};

const DEFAULT_MAX_CONNECTIONS = 256;
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;
const SLIRP_NET = 0x0a000200; // 10.0.2.0/24
const SLIRP_GATEWAY = 0x0a000202; // 10.0.2.2

export function defaultGatewayFor(guestIp: number): number {
  if ((guestIp & 0xffffff00) >>> 0 === SLIRP_NET) return SLIRP_GATEWAY;
  return ((guestIp & 0xffffff00) | 1) >>> 0;
}

export class TcpEngine {
  readonly stats: TcpStats = {
    connections: 0,
    active: 0,
    resetsSent: 0,
    resetsReceived: 0,
    retransmits: 0,
    windowProbes: 0,
    timeouts: 0,
    idleTimeouts: 0,
    resetsOnClose: 0,
    refused: 0,
    dropped: 0,
    outOfOrder: 0,
    duplicates: 0,
    bytesToGuest: 0,
    bytesFromGuest: 0,
  };
  private readonly connections = new Map<string, TcpConnection>();
  private readonly listeners: HostListener[] = [];
  private readonly context: ConnectionContext;
  private readonly maxConnections: number;
  private nextEphemeral = 0;
  private issCounter = 0;
  private closed = false;

  constructor(private readonly options: TcpEngineOptions) {
    const tuning = { ...defaultTcpTuning, ...options.tuning };
    const maxBuffer = options.limits?.maxBufferBytes;
    if (maxBuffer !== undefined) {
      tuning.sendBufferBytes = maxBuffer;
      tuning.receiveWindow = Math.max(1, Math.min(0xffff, maxBuffer));
    }
    this.maxConnections = options.limits?.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.context = {
      send: (src, dst, segment) => options.send(src, dst, segment),
      scheduler: options.scheduler,
      tuning,
      stats: this.stats,
      closed: (c) => {
        if (this.connections.get(c.key) === c) this.connections.delete(c.key);
        this.stats.active = this.connections.size;
      },
    };
  }

  /** A segment from the guest (checksum already verified by the caller). */
  receive(srcIp: number, dstIp: number, bytes: Uint8Array): void {
    if (this.closed) return;
    const seg = parseTcpSegment(bytes);
    if (!seg) {
      this.stats.dropped++;
      return;
    }
    const key = connectionKey(srcIp, seg.srcPort, dstIp, seg.dstPort);
    const existing = this.connections.get(key);
    if (existing) {
      // A new SYN on a four-tuple in TIME_WAIT starts a new connection (RFC 9293 §3.6.1).
      if (!(existing.isTimeWait && seg.flags & SYN && !(seg.flags & (ACK | RST)))) {
        existing.receive(seg);
        return;
      }
      existing.shutdown();
    }
    if ((seg.flags & (SYN | ACK | RST)) === SYN) this.guestOpens(srcIp, dstIp, seg, key);
    else this.resetUnknown(srcIp, dstIp, seg);
  }

  /**
   * Starts listening for each tcp forward (udp ones are the frame-level network's); resolves when
   * all listen, rejects naming the forward whose port could not be bound.
   */
  async addForwards(forwards: Forward[]): Promise<void> {
    const tcp = forwards.filter((f) => f.proto === 'tcp');
    const results = await Promise.allSettled(
      tcp.map((f) =>
        this.options.host.listenTcp(f.hostAddress, f.hostPort, (c) => this.hostConnects(f, c)),
      ),
    );
    const failures: string[] = [];
    results.forEach((r, i) => {
      const f = tcp[i]!;
      if (r.status === 'fulfilled') this.listeners.push(r.value);
      else {
        const why = r.reason instanceof Error ? r.reason.message : String(r.reason);
        failures.push(`hostfwd=tcp:${f.hostAddress}:${f.hostPort}-:${f.guestPort}: ${why}`);
      }
    });
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  /**
   * Closes the listeners, resets every open connection toward the guest (as a NAT going away
   * would: the guest learns at once instead of waiting on its own time-outs) and destroys every
   * host socket; the engine ignores the guest from then on.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.listeners.splice(0)) l.close();
    for (const c of [...this.connections.values()]) {
      if (c.terminate()) this.stats.resetsOnClose++;
    }
  }

  private hostConnects(forward: Forward, host: HostConnection): void {
    const guestIp = forward.guestAddress ?? this.options.guestIp();
    if (guestIp === null && !this.closed && this.options.awaitGuest) {
      this.options.awaitGuest(host, () => this.hostConnects(forward, host));
      return;
    }
    if (this.closed || guestIp === null || !this.makeRoom()) {
      // No guest address learned yet, or too many connections: the host client sees a close.
      this.stats.refused++;
      host.destroy();
      return;
    }
    const localIp = (this.options.gatewayFor ?? defaultGatewayFor)(guestIp);
    const localPort = this.ephemeralPort(guestIp, forward.guestPort, localIp);
    if (localPort === null) {
      this.stats.refused++;
      host.destroy();
      return;
    }
    const key = connectionKey(guestIp, forward.guestPort, localIp, localPort);
    const c = new TcpConnection(
      this.context,
      key,
      guestIp,
      forward.guestPort,
      localIp,
      localPort,
      this.initialSequence(),
      null,
    );
    this.add(c);
    c.open(host);
  }

  private guestOpens(srcIp: number, dstIp: number, syn: TcpSegment, key: string): void {
    if (this.options.restrict || !this.options.gatewayIps(dstIp) || !this.makeRoom()) {
      this.stats.refused++;
      this.resetUnknown(srcIp, dstIp, syn);
      return;
    }
    const c = new TcpConnection(
      this.context,
      key,
      srcIp,
      syn.srcPort,
      dstIp,
      syn.dstPort,
      this.initialSequence(),
      syn,
    );
    this.add(c);
    this.options.host.connectTcp('127.0.0.1', syn.dstPort, (host) => {
      if (c.state !== 'CONNECTING') {
        host?.destroy(); // the guest gave up (RST) or the engine closed meanwhile
        return;
      }
      if (host) c.hostConnected(host);
      else c.hostFailed();
    });
  }

  /**
   * Reset generation for a segment that belongs to no connection (RFC 9293 §3.10.7.1): never
   * for a RST; <SEQ=SEG.ACK><CTL=RST> if it carries an ACK, else
   * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
   */
  private resetUnknown(srcIp: number, dstIp: number, seg: TcpSegment): void {
    if (seg.flags & RST) return;
    const ports = { srcPort: seg.dstPort, dstPort: seg.srcPort, window: 0 };
    const fields =
      seg.flags & ACK
        ? { ...ports, seq: seg.ack, ack: 0, flags: RST }
        : { ...ports, seq: 0, ack: (seg.seq + segmentLength(seg)) >>> 0, flags: RST | ACK };
    this.options.send(dstIp, srcIp, buildTcpSegment(dstIp, srcIp, fields));
    this.stats.resetsSent++;
  }

  /** True if a new connection fits, evicting the oldest TIME_WAIT one if that makes room. */
  private makeRoom(): boolean {
    if (this.connections.size < this.maxConnections) return true;
    for (const c of this.connections.values()) {
      if (c.isTimeWait) {
        c.shutdown();
        return true;
      }
    }
    return false;
  }

  private add(c: TcpConnection): void {
    this.connections.set(c.key, c);
    this.stats.connections++;
    this.stats.active = this.connections.size;
  }

  private ephemeralPort(guestIp: number, guestPort: number, localIp: number): number | null {
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = EPHEMERAL_FIRST + ((this.nextEphemeral + i) % EPHEMERAL_COUNT);
      if (!this.connections.has(connectionKey(guestIp, guestPort, localIp, port))) {
        this.nextEphemeral = (this.nextEphemeral + i + 1) % EPHEMERAL_COUNT;
        return port;
      }
    }
    return null;
  }

  /**
   * RFC 9293 §3.4.1's clock-driven ISN (a 4 µs tick of virtual time) plus a per-connection
   * step. Deterministic on purpose: same guest, same inputs, same run. The only peer is the guest
   * on a virtual wire, so the off-path guessing the RFC's hash defends against does not arise.
   */
  private initialSequence(): number {
    const tick = Math.floor(this.options.scheduler.nanos() / 4000);
    return (tick + this.issCounter++ * 0x01000193) >>> 0;
  }
}

function connectionKey(guestIp: number, guestPort: number, localIp: number, localPort: number) {
  return `${guestIp >>> 0}:${guestPort}>${localIp >>> 0}:${localPort}`;
}
