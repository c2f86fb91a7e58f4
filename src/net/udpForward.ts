/**
 * UDP port forwards (`hostfwd=udp:[HOST]:HPORT-[GUEST]:GPORT`), in the manner of QEMU's slirp: a
 * UDP socket bound on the host (127.0.0.1 unless the forward names another address) whose
 * datagrams reach the guest's GPORT, and whose host clients get the guest's answers.
 *
 * A datagram from a host client (address, port) goes to the guest from the gateway address the
 * guest uses (10.0.2.2 for slirp's 10.0.2.0/24, x.y.z.1 otherwise, as the TCP engine's forwards)
 * and from a gateway port allocated to that client in the ephemeral range, so the guest sees
 * each client as its own peer. A datagram the guest sends to that gateway address and port goes
 * back through the forward's socket to that client. (slirp remembers only the last client of a
 * forward; two clients here never receive each other's answers.) The guest may answer from
 * another port than GPORT (as a TFTP server does): only the gateway port identifies the client.
 *
 * The table of clients is bounded: a mapping idle for `idleNs` of virtual time is forgotten, and
 * when the table is full the least recently used mapping makes room. Nothing is buffered: a
 * datagram that cannot go (no guest address learned yet, too large for one unfragmented frame)
 * is dropped and counted, as UDP may.
 */
import { formatIpv4 } from './checksum.js';
import { ETH_MTU } from './ethernet.js';
import type { HostSockets, HostUdpSocket } from './hostSockets.js';
import { buildUdp, IPV4_MIN_HEADER, UDP_HEADER } from './ipv4.js';
import type { ForwardSpec } from './options.js';
import { defaultGatewayFor } from './tcp.js';

/** The most data one UDP datagram carries in an unfragmented 1500-byte IPv4 packet. */
export const UDP_MAX_FORWARDED_DATA = ETH_MTU - IPV4_MIN_HEADER - UDP_HEADER; // 1472

/** Counters of the UDP forwards, part of the network's stats. */
export interface UdpForwardStats {
  /** Datagrams from host clients delivered toward the guest. */
  udpForwardedIn: number;
  /** Datagrams from the guest sent to a host client. */
  udpForwardedOut: number;
  udpDropped: {
    /** A host datagram while the guest's address is unknown (it has sent nothing yet). */
    noGuest: number;
    /** A host datagram larger than `UDP_MAX_FORWARDED_DATA`. */
    oversized: number;
  };
  /** Client mappings forgotten after `idleNs` without traffic. */
  udpMappingsExpired: number;
  /** Client mappings dropped to make room for a new client (the least recently used). */
  udpMappingsEvicted: number;
}

export function newUdpForwardStats(): UdpForwardStats {
  return {
    udpForwardedIn: 0,
    udpForwardedOut: 0,
    udpDropped: { noGuest: 0, oversized: 0 },
    udpMappingsExpired: 0,
    udpMappingsEvicted: 0,
  };
}

export interface UdpForwarderOptions {
  /** Every forward of the network; only the udp ones are served here. */
  forwards: readonly ForwardSpec[];
  host: HostSockets;
  /** Virtual time: `schedule` runs `fn` after `ns` virtual nanoseconds and returns a cancel. */
  scheduler: { nanos(): number; schedule(ns: number, fn: () => void): () => void };
  guestIp: () => number | null;
  /** A UDP datagram (checksum filled in) for the network to wrap in IPv4 toward the guest. */
  send: (srcIp: number, dstIp: number, datagram: Uint8Array) => void;
  /** Where the counters go (the network's stats object). */
  stats: UdpForwardStats;
  /** The address forwarded datagrams come from; default `defaultGatewayFor` (as TCP's). */
  gatewayFor?: (guestIp: number) => number;
  /** A client mapping idle this long is forgotten; default 60 s of virtual time. */
  idleNs?: number;
  /** At most this many client mappings over all forwards; default 256. */
  maxMappings?: number;
}

interface Mapping {
  readonly key: string;
  readonly socket: HostUdpSocket;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly guestIp: number;
  readonly gatewayIp: number;
  readonly gatewayPort: number;
  lastUsed: number;
}

const DEFAULT_IDLE_NS = 60e9;
const DEFAULT_MAX_MAPPINGS = 256;
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

/** How a forward is named in messages: as the user wrote it, with the defaults filled in. */
export function describeForward(f: ForwardSpec): string {
  const guest = f.guestAddress === null ? '' : formatIpv4(f.guestAddress);
  return `hostfwd=${f.proto}:${f.hostAddress}:${f.hostPort}-${guest}:${f.guestPort}`;
}

export class UdpForwarder {
  private readonly forwards: readonly ForwardSpec[];
  private readonly sockets: HostUdpSocket[] = [];
  /** By host client; iteration order is least recently used first (a use re-inserts). */
  private readonly byClient = new Map<string, Mapping>();
  private readonly byGatewayPort = new Map<number, Mapping>();
  private readonly idleNs: number;
  private readonly maxMappings: number;
  private readonly gatewayFor: (guestIp: number) => number;
  private nextEphemeral = 0;
  private cancelExpiry: (() => void) | null = null;
  private closed = false;

  constructor(private readonly options: UdpForwarderOptions) {
    this.forwards = options.forwards.filter((f) => f.proto === 'udp');
    this.idleNs = options.idleNs ?? DEFAULT_IDLE_NS;
    this.maxMappings = Math.max(
      1,
      Math.min(options.maxMappings ?? DEFAULT_MAX_MAPPINGS, EPHEMERAL_COUNT),
    );
    this.gatewayFor = options.gatewayFor ?? defaultGatewayFor;
  }

  /** Client mappings in the table. */
  get mappings(): number {
    return this.byClient.size;
  }

  /**
   * Binds each udp forward's host socket, in forward order; resolves when all are bound, rejects
   * naming each forward that could not bind (those that did are closed again).
   */
  async start(): Promise<void> {
    if (this.forwards.length === 0) return;
    const host = this.options.host;
    const results = await Promise.allSettled(
      this.forwards.map((f) =>
        host.bindUdp
          ? host.bindUdp(f.hostAddress, f.hostPort)
          : Promise.reject(new Error('this host has no UDP sockets')),
      ),
    );
    const failures: string[] = [];
    const bound: HostUdpSocket[] = [];
    results.forEach((r, i) => {
      const f = this.forwards[i]!;
      if (r.status === 'rejected') {
        const why = r.reason instanceof Error ? r.reason.message : String(r.reason);
        failures.push(`${describeForward(f)}: ${why}`);
        return;
      }
      const socket = r.value;
      bound.push(socket);
      const index = i;
      socket.onMessage = (data, from) => this.fromHost(index, f, socket, data, from);
    });
    if (failures.length > 0 || this.closed) {
      for (const s of bound) s.close();
      if (failures.length > 0) throw new Error(failures.join('; '));
      return;
    }
    this.sockets.push(...bound);
  }

  /**
   * A checksum-verified UDP datagram from the guest; true when it answered a host client (and
   * went to it), false when no mapping owns `dstIp`:`dstPort` (the network answers as before).
   */
  receive(srcIp: number, dstIp: number, dstPort: number, data: Uint8Array): boolean {
    const m = this.byGatewayPort.get(dstPort);
    if (this.closed || !m || m.gatewayIp !== dstIp || m.guestIp !== srcIp) return false;
    this.touch(m);
    this.options.stats.udpForwardedOut++;
    m.socket.send(data.slice(), m.clientAddress, m.clientPort);
    return true;
  }

  /** Closes the host sockets and forgets every client. */
  close(): void {
    this.closed = true;
    for (const s of this.sockets.splice(0)) s.close();
    this.byClient.clear();
    this.byGatewayPort.clear();
    this.cancelExpiry?.();
    this.cancelExpiry = null;
  }

  private fromHost(
    index: number,
    forward: ForwardSpec,
    socket: HostUdpSocket,
    data: Uint8Array,
    from: { address: string; port: number },
  ): void {
    if (this.closed) return;
    const stats = this.options.stats;
    if (data.length > UDP_MAX_FORWARDED_DATA) {
      stats.udpDropped.oversized++;
      return;
    }
    const guestIp = forward.guestAddress ?? this.options.guestIp();
    if (guestIp === null) {
      stats.udpDropped.noGuest++;
      return;
    }
    const key = `${index}/${from.address}/${from.port}`;
    let m = this.byClient.get(key);
    // The guest changed its address (a new DHCP lease): the old mapping answers nobody.
    if (m && m.guestIp !== guestIp) this.forget(m);
    if (!m || m.guestIp !== guestIp) m = this.map(key, socket, from, guestIp);
    else this.touch(m);
    stats.udpForwardedIn++;
    this.options.send(
      m.gatewayIp,
      guestIp,
      buildUdp(m.gatewayIp, guestIp, m.gatewayPort, forward.guestPort, data),
    );
  }

  private map(
    key: string,
    socket: HostUdpSocket,
    from: { address: string; port: number },
    guestIp: number,
  ): Mapping {
    if (this.byClient.size >= this.maxMappings) {
      this.forget(this.byClient.values().next().value!);
      this.options.stats.udpMappingsEvicted++;
    }
    let port: number;
    do {
      port = EPHEMERAL_FIRST + (this.nextEphemeral++ % EPHEMERAL_COUNT);
    } while (this.byGatewayPort.has(port));
    const m: Mapping = {
      key,
      socket,
      clientAddress: from.address,
      clientPort: from.port,
      guestIp,
      gatewayIp: this.gatewayFor(guestIp),
      gatewayPort: port,
      lastUsed: this.options.scheduler.nanos(),
    };
    this.byClient.set(key, m);
    this.byGatewayPort.set(port, m);
    this.scheduleExpiry();
    return m;
  }

  private touch(m: Mapping): void {
    m.lastUsed = this.options.scheduler.nanos();
    this.byClient.delete(m.key);
    this.byClient.set(m.key, m);
  }

  private forget(m: Mapping): void {
    this.byClient.delete(m.key);
    this.byGatewayPort.delete(m.gatewayPort);
  }

  /** One alarm, for the least recently used mapping; it re-arms itself for the next. */
  private scheduleExpiry(): void {
    if (this.cancelExpiry || this.closed) return;
    const oldest = this.byClient.values().next().value;
    if (!oldest) return;
    const due = oldest.lastUsed + this.idleNs;
    this.cancelExpiry = this.options.scheduler.schedule(
      Math.max(0, due - this.options.scheduler.nanos()),
      this.expire,
    );
  }

  private readonly expire = (): void => {
    this.cancelExpiry = null;
    const now = this.options.scheduler.nanos();
    for (const m of this.byClient.values()) {
      if (m.lastUsed + this.idleNs > now) break;
      this.forget(m);
      this.options.stats.udpMappingsExpired++;
    }
    this.scheduleExpiry();
  };
}
