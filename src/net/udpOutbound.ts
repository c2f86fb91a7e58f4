/**
 * UDP the guest starts toward the host, as slirp relays it:
 *
 * - DNS: a datagram to 10.0.2.3:53 goes to the host's resolver (`dnsServer`, the first one the
 *   host is configured with) and the answer comes back to the guest from 10.0.2.3:53, restrict
 *   or not (slirp's DNS proxy). Without a resolver the network answers port unreachable.
 * - With restrict=off, a datagram to a gateway address (10.0.2.2, or the x.y.z.1 a static guest
 *   uses: any address the network answers for) and port P goes to 127.0.0.1:P on the host, and
 *   what 127.0.0.1 answers comes back from that gateway address and the answering port.
 *
 * Each guest (address, port) gets its own host socket (bound to port 0), so host servers see each
 * guest socket as its own client. The table is bounded (`maxMappings`, least recently used
 * evicted) and forgets a mapping idle for `idleNs` (DNS: `dnsIdleNs`) of virtual time, closing its
 * socket. Nothing is buffered beyond a few datagrams while the host socket is being bound;
 * answers larger than one unfragmented frame carries are dropped and counted, as UDP may.
 */
import type { HostSockets, HostUdpSocket } from './hostSockets.js';
import { buildUdp } from './ipv4.js';
import { UDP_MAX_FORWARDED_DATA } from './udpForward.js';

export const DNS_PORT = 53;

/** Counters of the guest-started UDP relays, part of the network's stats. */
export interface UdpOutboundStats {
  /** Guest datagrams relayed to 127.0.0.1 (restrict=off). */
  udpRelayedOut: number;
  /** Host answers delivered to the guest from a gateway address. */
  udpRelayedIn: number;
  /** Guest DNS queries relayed to the host's resolver. */
  dnsQueriesRelayed: number;
  /** Resolver answers delivered to the guest from 10.0.2.3:53. */
  dnsAnswersRelayed: number;
  udpRelayDropped: {
    /** Datagrams lost because the host could not bind their relay's socket. */
    bindFailed: number;
    /** Too many datagrams waited for the socket to be bound. */
    pending: number;
    /** A host answer larger than one unfragmented frame carries. */
    oversized: number;
    /** A datagram to the relay's socket from another host than its peer. */
    stranger: number;
  };
  /** Relay mappings forgotten after their idle time. */
  udpRelaysExpired: number;
  /** Relay mappings dropped to make room (the least recently used). */
  udpRelaysEvicted: number;
}

export function newUdpOutboundStats(): UdpOutboundStats {
  return {
    udpRelayedOut: 0,
    udpRelayedIn: 0,
    dnsQueriesRelayed: 0,
    dnsAnswersRelayed: 0,
    udpRelayDropped: { bindFailed: 0, pending: 0, oversized: 0, stranger: 0 },
    udpRelaysExpired: 0,
    udpRelaysEvicted: 0,
  };
}

export interface UdpOutboundOptions {
  host: HostSockets;
  scheduler: { nanos(): number; schedule(ns: number, fn: () => void): () => void };
  /** True: only DNS is relayed; other UDP to the gateway is left to the network (unreachable). */
  restrict: boolean;
  /** The address the guest sends DNS to (10.0.2.3). */
  dnsAddress: number;
  /** The host's resolver; null: DNS is not relayed. */
  dnsServer: { address: string; port: number } | null;
  /** The network's own addresses (userNetwork's isGatewayAddress). */
  isGatewayAddress: (ip: number) => boolean;
  /** A UDP datagram (checksum filled in) for the network to wrap in IPv4 toward the guest. */
  send: (srcIp: number, dstIp: number, datagram: Uint8Array) => void;
  stats: UdpOutboundStats;
  /** Default 60 s of virtual time. */
  idleNs?: number;
  /** Default 10 s of virtual time. */
  dnsIdleNs?: number;
  /** Default 64. */
  maxMappings?: number;
}

interface Relay {
  readonly key: string;
  readonly dns: boolean;
  readonly guestIp: number;
  readonly guestPort: number;
  /** The gateway address the guest last sent to: answers come from it. */
  gatewayIp: number;
  socket: HostUdpSocket | null;
  /** Datagrams waiting for the socket to be bound. */
  readonly pending: { data: Uint8Array; address: string; port: number }[];
  lastUsed: number;
  cancelExpiry: (() => void) | null;
  gone: boolean;
}

const DEFAULT_IDLE_NS = 60e9;
const DEFAULT_DNS_IDLE_NS = 10e9;
const DEFAULT_MAX_MAPPINGS = 64;
const MAX_PENDING = 8;
const LOOPBACK = '127.0.0.1';

export class UdpOutbound {
  /** Iteration order is least recently used first (a use re-inserts). */
  private readonly relays = new Map<string, Relay>();
  private readonly idleNs: number;
  private readonly dnsIdleNs: number;
  private readonly maxMappings: number;
  private closed = false;

  constructor(private readonly options: UdpOutboundOptions) {
    this.idleNs = options.idleNs ?? DEFAULT_IDLE_NS;
    this.dnsIdleNs = options.dnsIdleNs ?? DEFAULT_DNS_IDLE_NS;
    this.maxMappings = Math.max(1, options.maxMappings ?? DEFAULT_MAX_MAPPINGS);
  }

  /** Relay mappings in the table. */
  get mappings(): number {
    return this.relays.size;
  }

  /**
   * A checksum-verified datagram from the guest that no forward claimed; true when it was taken
   * (relayed, or dropped and counted here), false when the network should answer as before.
   */
  receive(
    srcIp: number,
    srcPort: number,
    dstIp: number,
    dstPort: number,
    data: Uint8Array,
  ): boolean {
    if (this.closed) return false;
    const o = this.options;
    let dns: boolean;
    if (dstIp === o.dnsAddress && dstPort === DNS_PORT) {
      if (o.dnsServer === null || !o.host.bindUdp) return false;
      dns = true;
    } else {
      if (o.restrict || !o.isGatewayAddress(dstIp) || !o.host.bindUdp) return false;
      dns = false;
    }
    const key = `${dns ? 'dns' : 'gw'}/${srcIp}/${srcPort}`;
    let r = this.relays.get(key);
    if (r) this.touch(r);
    else r = this.open(key, dns, srcIp, srcPort);
    if (!r) return true;
    r.gatewayIp = dstIp;
    const to = dns ? o.dnsServer! : { address: LOOPBACK, port: dstPort };
    const copy = data.slice();
    if (r.socket) {
      r.socket.send(copy, to.address, to.port);
    } else if (r.pending.length < MAX_PENDING) {
      r.pending.push({ data: copy, address: to.address, port: to.port });
    } else {
      o.stats.udpRelayDropped.pending++;
      return true;
    }
    if (dns) o.stats.dnsQueriesRelayed++;
    else o.stats.udpRelayedOut++;
    return true;
  }

  /** Closes every relay socket; later datagrams are left to the network. */
  close(): void {
    this.closed = true;
    for (const r of [...this.relays.values()]) this.forget(r);
  }

  private open(key: string, dns: boolean, guestIp: number, guestPort: number): Relay {
    const o = this.options;
    if (this.relays.size >= this.maxMappings) {
      this.forget(this.relays.values().next().value!);
      o.stats.udpRelaysEvicted++;
    }
    const r: Relay = {
      key,
      dns,
      guestIp,
      guestPort,
      gatewayIp: 0,
      socket: null,
      pending: [],
      lastUsed: o.scheduler.nanos(),
      cancelExpiry: null,
      gone: false,
    };
    this.relays.set(key, r);
    this.armExpiry(r);
    // DNS may go to a resolver anywhere; the gateway relay only ever talks to loopback.
    o.host.bindUdp!(dns ? '0.0.0.0' : LOOPBACK, 0).then(
      (socket) => {
        if (r.gone) return socket.close();
        r.socket = socket;
        socket.onMessage = (d, from) => this.fromHost(r, d, from);
        for (const p of r.pending.splice(0)) socket.send(p.data, p.address, p.port);
      },
      () => {
        if (r.gone) return;
        o.stats.udpRelayDropped.bindFailed += r.pending.length;
        this.forget(r);
      },
    );
    return r;
  }

  private fromHost(r: Relay, data: Uint8Array, from: { address: string; port: number }): void {
    if (r.gone) return;
    const o = this.options;
    const stats = o.stats;
    let srcIp: number;
    let srcPort: number;
    if (r.dns) {
      const server = o.dnsServer!;
      if (from.address !== server.address || from.port !== server.port) {
        stats.udpRelayDropped.stranger++;
        return;
      }
      srcIp = o.dnsAddress;
      srcPort = DNS_PORT;
    } else {
      if (from.address !== LOOPBACK) {
        stats.udpRelayDropped.stranger++;
        return;
      }
      srcIp = r.gatewayIp;
      srcPort = from.port;
    }
    if (data.length > UDP_MAX_FORWARDED_DATA) {
      stats.udpRelayDropped.oversized++;
      return;
    }
    this.touch(r);
    if (r.dns) stats.dnsAnswersRelayed++;
    else stats.udpRelayedIn++;
    o.send(srcIp, r.guestIp, buildUdp(srcIp, r.guestIp, srcPort, r.guestPort, data));
  }

  private touch(r: Relay): void {
    r.lastUsed = this.options.scheduler.nanos();
    this.relays.delete(r.key);
    this.relays.set(r.key, r);
  }

  private forget(r: Relay): void {
    r.gone = true;
    r.cancelExpiry?.();
    r.cancelExpiry = null;
    r.pending.length = 0;
    r.socket?.close();
    r.socket = null;
    if (this.relays.get(r.key) === r) this.relays.delete(r.key);
  }

  /** One alarm per relay (the table is small); a use since it was set re-arms it. */
  private armExpiry(r: Relay): void {
    const s = this.options.scheduler;
    const idle = r.dns ? this.dnsIdleNs : this.idleNs;
    const due = r.lastUsed + idle;
    r.cancelExpiry = s.schedule(Math.max(0, due - s.nanos()), () => {
      r.cancelExpiry = null;
      if (r.gone) return;
      if (r.lastUsed + idle > s.nanos()) return this.armExpiry(r);
      this.forget(r);
      this.options.stats.udpRelaysExpired++;
    });
  }
}
