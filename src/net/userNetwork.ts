/**
 * The user-mode network (QEMU's slirp, frame for frame): a virtual gateway, DNS address and DHCP
 * server on the other end of the guest's Ethernet cable, needing no TAP device and no root. The
 * guest's side is frames only — `receiveFrame` takes what the MAC transmitted, `onFrame` hands
 * frames to the MAC's receive path — and the host's side is the `HostSockets` adapter, used by
 * the TCP engine that terminates guest connections and splices them to host sockets.
 *
 * Addressing follows slirp: network 10.0.2.0/24, gateway and host 10.0.2.2, DNS 10.0.2.3, the
 * guest 10.0.2.15 by DHCP. Firmware with a static address works too (NuttX's default
 * 10.0.0.2/24 with gateway 10.0.0.1): the gateway answers ARP for any address the guest asks
 * about other than its own — proxy ARP, all at one made-up MAC — and learns the guest's
 * address and MAC from its ARP and IPv4 traffic.
 *
 * ICMP echo is answered for the gateway's own addresses: 10.0.2.2, 10.0.2.3 (slirp answers
 * both) and every address the gateway has claimed by answering ARP for it, since a station
 * that answers ARP for an address but not pings to it looks broken to the guest. Echo to
 * addresses beyond the link (routed through the gateway) is not answered: that would need raw
 * or ping sockets on the host, and answering on the Internet's behalf would lie.
 *
 * UDP: the network serves DHCP itself and the udp forwards (udpForward.ts: host datagrams reach
 * the guest from the gateway, its answers go back to their client); udpOutbound.ts relays the
 * guest's DNS to the host's resolver and, with restrict=off, its UDP to a gateway address to
 * 127.0.0.1. Other UDP to the network's addresses gets ICMP port unreachable.
 *
 * Everything the guest sends is checked before it is trusted; what fails is dropped and
 * counted in `stats.dropped` by reason, never thrown. Frames to the guest go through the
 * scheduler (virtual time): a small latency plus the 100 Mb/s wire time of each frame, in a
 * bounded queue, so the guest's interrupt handler never runs inside its own transmit call
 * (GuestWire in guestWire.ts).
 *
 * This file is the network itself: frames from the guest, ARP, IPv4, ICMP, UDP and DHCP, TCP's
 * checks, and learning and looking for the guest. Its addressing, options, statistics and drop
 * reasons are in userNetworkTypes.ts (re-exported here).
 */
import { internetChecksum, transportChecksum } from './checksum.js';
import { ARP_REPLY, ARP_REQUEST, buildArpFrame, parseArp } from './arp.js';
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DHCPACK, DhcpServer } from './dhcp.js';
import {
  BROADCAST_MAC,
  ETH_HEADER_LENGTH,
  ETH_MAX_FRAME,
  ETH_MTU,
  etherTypeOf,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  isBroadcastMac,
  isGroupMac,
  macEquals,
} from './ethernet.js';
import { GuestWire } from './guestWire.js';
import type { HostConnection, HostSockets } from './hostSockets.js';
import {
  allocateIpv4Frame,
  buildUdp,
  ICMP_ECHO_REQUEST,
  ICMP_PORT_UNREACHABLE,
  icmpEchoReply,
  icmpUnreachable,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV4_MIN_HEADER,
  IPV4_PAYLOAD_OFFSET,
  isUnicastIpv4,
  parseIpv4Header,
  parseUdp,
  type Ipv4Header,
} from './ipv4.js';
import type { ForwardSpec } from './options.js';
import { defaultGatewayFor, TcpEngine, type TcpEngineOptions } from './tcp.js';
import { UdpForwarder } from './udpForward.js';
import { UdpOutbound } from './udpOutbound.js';
import {
  GATEWAY_MAC,
  newUserNetworkStats,
  USER_NET_DNS,
  USER_NET_GATEWAY,
  USER_NET_GUEST,
  USER_NET_MASK,
  type DropReason,
  type NetScheduler,
  type TapDirection,
  type TcpSegmentReceiver,
  type UserModeNetworkOptions,
  type UserNetworkStats,
} from './userNetworkTypes.js';

export {
  GATEWAY_MAC,
  USER_NET_ADDRESS,
  USER_NET_DNS,
  USER_NET_GATEWAY,
  USER_NET_GUEST,
  USER_NET_MASK,
} from './userNetworkTypes.js';
export type {
  DropReason,
  NetScheduler,
  TapDirection,
  TcpSegmentReceiver,
  UserModeNetworkOptions,
  UserNetworkStats,
} from './userNetworkTypes.js';

/** At most this many addresses claimed by proxy ARP are remembered (oldest forgotten first). */
const MAX_CLAIMED = 64;
/** Packets held while the guest's MAC is being resolved. */
const MAX_AWAITING_ARP = 16;
/**
 * A forward's client may connect before the guest has sent anything: a guest with a static
 * address and a quiet stack (NuttX's netnsh sends no frame until asked) teaches nothing. The
 * network then asks by ARP for the addresses a guest here is likely to have — the DHCP lease
 * (slirp's guest) and NuttX's default CONFIG_NETINIT_IPADDR 10.0.0.2 — every 200 ms for 3 s,
 * holding the client (its socket paused) until an answer teaches the guest's address.
 */
const GUEST_ADDRESS_GUESSES = [USER_NET_GUEST, 0x0a000002];
const GUEST_PROBE_INTERVAL_NS = 200_000_000;
const GUEST_PROBE_TRIES = 15;

const NO_HOST: HostSockets = {
  listenTcp: () => Promise.reject(new Error('this network has no host sockets')),
  connectTcp: (_host, _port, onConnect) => onConnect(null, 'this network has no host sockets'),
};

export class UserModeNetwork {
  /** Frames to the guest (connect the MAC's receiveFrame). */
  onFrame: (frame: Uint8Array) => void = () => {};
  /** Every frame in both directions at its virtual time (for --pcap); null when nobody taps. */
  onTap: ((frame: Uint8Array, nanos: number, direction: TapDirection) => void) | null = null;
  readonly stats: UserNetworkStats = newUserNetworkStats();
  readonly restrict: boolean;
  readonly forwards: readonly ForwardSpec[];
  readonly dhcp: DhcpServer;
  /** The guest's address and MAC as last seen in its traffic (0 / null until then). */
  guestIp = 0;
  guestMac: Uint8Array | null = null;

  private readonly scheduler: NetScheduler;
  private readonly tcp: TcpSegmentReceiver | null;
  private readonly udp: UdpForwarder;
  private readonly udpOut: UdpOutbound;
  private readonly wire: GuestWire;
  private readonly claimed = new Set<number>();
  private readonly awaitingArp: Uint8Array[] = [];
  private readonly awaitingGuest: { host: HostConnection; retry: () => void }[] = [];
  private cancelProbe: (() => void) | null = null;
  private probesLeft = 0;
  private ipId = 0;
  private closed = false;

  constructor(options: UserModeNetworkOptions) {
    this.scheduler = options.scheduler;
    this.restrict = options.restrict ?? true;
    this.forwards = options.forwards ?? [];
    this.wire = new GuestWire({
      scheduler: this.scheduler,
      latencyNs: options.latencyNs ?? 10_000,
      bitsPerSecond: options.bitsPerSecond ?? 100e6,
      maxQueuedFrames: options.maxQueuedFrames ?? 512,
      stats: this.stats,
      arrive: (frame, nanos) => {
        this.onTap?.(frame, nanos, 'toGuest');
        this.onFrame(frame);
      },
    });
    this.dhcp = new DhcpServer({
      serverIp: USER_NET_GATEWAY,
      leaseIp: USER_NET_GUEST,
      subnetMask: USER_NET_MASK,
      router: USER_NET_GATEWAY,
      dns: USER_NET_DNS,
      leaseSeconds: options.leaseSeconds ?? 86400,
    });
    const createTcp =
      options.createTcp === undefined
        ? (o: TcpEngineOptions) => new TcpEngine(o)
        : options.createTcp;
    this.tcp =
      createTcp?.({
        send: (srcIp, dstIp, segment) => {
          this.stats.tcpSegmentsOut++;
          this.sendIpv4(srcIp, dstIp, IPPROTO_TCP, segment);
        },
        scheduler: this.scheduler,
        host: options.host ?? NO_HOST,
        restrict: this.restrict,
        guestIp: () => (this.guestIp === 0 ? null : this.guestIp),
        awaitGuest: (host, retry) => this.awaitGuest(host, retry),
        gatewayIps: (ip) => this.isGatewayAddress(ip),
      }) ?? null;
    this.udp = new UdpForwarder({
      forwards: this.forwards,
      scheduler: this.scheduler,
      host: options.host ?? NO_HOST,
      guestIp: () => (this.guestIp === 0 ? null : this.guestIp),
      send: (srcIp, dstIp, datagram) => this.sendIpv4(srcIp, dstIp, IPPROTO_UDP, datagram),
      stats: this.stats,
    });
    this.udpOut = new UdpOutbound({
      host: options.host ?? NO_HOST,
      scheduler: this.scheduler,
      restrict: this.restrict,
      dnsAddress: USER_NET_DNS,
      dnsServer: options.dnsServer ?? null,
      isGatewayAddress: (ip) => this.isGatewayAddress(ip),
      send: (srcIp, dstIp, datagram) => this.sendIpv4(srcIp, dstIp, IPPROTO_UDP, datagram),
      stats: this.stats,
    });
  }

  /** A frame the guest transmitted (connect the MAC's onFrame). Never throws on bad input. */
  receiveFrame(frame: Uint8Array): void {
    if (this.closed) return;
    this.stats.framesIn++;
    this.stats.bytesIn += frame.length;
    this.onTap?.(frame, this.scheduler.nanos(), 'fromGuest');
    if (frame.length < ETH_HEADER_LENGTH) return this.drop('runt');
    if (frame.length > ETH_MAX_FRAME) return this.drop('oversized');
    // A group address is never a frame's source (IEEE 802.3 §3.2.3).
    if (isGroupMac(frame, 6)) return this.drop('malformed');
    if (!macEquals(frame, 0, GATEWAY_MAC) && !isBroadcastMac(frame, 0)) {
      return this.drop('notForUs');
    }
    switch (etherTypeOf(frame)) {
      case ETHERTYPE_ARP:
        return this.receiveArp(frame);
      case ETHERTYPE_IPV4:
        return this.receiveIpv4(frame);
      default:
        return this.drop('unsupported');
    }
  }

  /**
   * Opens the host listeners of the TCP forwards and binds the UDP forwards' sockets; rejects
   * naming each forward that could not.
   */
  async startForwards(): Promise<void> {
    const tcp = this.forwards.filter((f) => f.proto === 'tcp');
    const results = await Promise.allSettled([this.tcp?.addForwards?.(tcp), this.udp.start()]);
    const why = results.flatMap((r) =>
      r.status === 'rejected' ? [(r.reason as Error).message] : [],
    );
    if (why.length > 0) throw new Error(why.join('; '));
  }

  /** Stops delivery and closes the TCP engine; later frames are ignored. */
  close(): void {
    this.closed = true;
    this.wire.close();
    this.cancelProbe?.();
    this.cancelProbe = null;
    for (const w of this.awaitingGuest.splice(0)) w.host.destroy();
    this.tcp?.close?.();
    this.udp.close();
    this.udpOut.close();
  }

  /** Frames waiting for delivery to the guest. */
  get queuedFrames(): number {
    return this.wire.queuedFrames;
  }

  /** The gateway's own addresses: 10.0.2.2, 10.0.2.3, and those it answered ARP for. */
  isGatewayAddress(ip: number): boolean {
    if (ip === this.guestIp) return false;
    return ip === USER_NET_GATEWAY || ip === USER_NET_DNS || this.claimed.has(ip);
  }

  private drop(reason: DropReason): void {
    this.stats.dropped[reason]++;
  }

  private learn(ip: number, mac: Uint8Array): void {
    if (ip !== 0 && isUnicastIpv4(ip) && ip !== this.guestIp) {
      this.guestIp = ip;
      this.claimed.delete(ip);
    }
    if (!this.guestMac || !macEquals(mac, 0, this.guestMac)) this.guestMac = mac.slice(0, 6);
    // Packets that waited for the guest's MAC go now.
    for (const frame of this.awaitingArp.splice(0)) {
      frame.set(this.guestMac, 0);
      this.wire.enqueue(frame);
    }
    // So do forward clients that waited for the guest's address.
    if (this.guestIp !== 0 && this.awaitingGuest.length > 0) {
      this.cancelProbe?.();
      this.cancelProbe = null;
      for (const w of this.awaitingGuest.splice(0)) w.retry();
    }
  }

  /** A forward's client connected before the guest's address is known: find the guest. */
  private awaitGuest(host: HostConnection, retry: () => void): void {
    if (this.guestIp !== 0) return retry();
    if (this.closed || this.awaitingGuest.length >= MAX_AWAITING_ARP) return host.destroy();
    const waiting = { host, retry };
    host.onClose = () => {
      const i = this.awaitingGuest.indexOf(waiting);
      if (i >= 0) this.awaitingGuest.splice(i, 1);
    };
    this.awaitingGuest.push(waiting);
    this.probesLeft = GUEST_PROBE_TRIES;
    if (!this.cancelProbe) this.probeGuest();
  }

  private readonly probeGuest = (): void => {
    this.cancelProbe = null;
    if (this.closed || this.awaitingGuest.length === 0) return;
    if (this.probesLeft-- <= 0) {
      for (const w of this.awaitingGuest.splice(0)) w.host.destroy();
      return;
    }
    for (const ip of GUEST_ADDRESS_GUESSES) this.arpForGuest(defaultGatewayFor(ip), ip);
    this.cancelProbe = this.scheduler.schedule(GUEST_PROBE_INTERVAL_NS, this.probeGuest);
  };

  /**
   * Asks the guest's MAC for `target`, from `sender`: the guest may note `sender` as at the
   * gateway's MAC without ever asking, so the gateway answers pings to it as to addresses it
   * claimed by answering ARP.
   */
  private arpForGuest(sender: number, target: number): void {
    this.claim(sender);
    this.wire.enqueue(
      buildArpFrame(BROADCAST_MAC, {
        op: ARP_REQUEST,
        senderMac: GATEWAY_MAC,
        senderIp: sender,
        targetMac: new Uint8Array(6),
        targetIp: target,
      }),
    );
  }

  private claim(ip: number): void {
    if (ip === this.guestIp || ip === USER_NET_GATEWAY || ip === USER_NET_DNS) return;
    if (this.claimed.has(ip)) return;
    if (this.claimed.size >= MAX_CLAIMED) this.claimed.delete(this.claimed.values().next().value!);
    this.claimed.add(ip);
  }

  // ARP (RFC 826)

  private receiveArp(frame: Uint8Array): void {
    const arp = parseArp(frame);
    if (!arp || isGroupMac(arp.senderMac)) return this.drop('malformed');
    const target = arp.targetIp;
    // A probe (RFC 5227: sender 0.0.0.0) asks whether anyone else uses an address the guest
    // wants: it is never answered (answering would be a conflict), and teaches no address.
    if (arp.senderIp === 0) return;
    if (!isUnicastIpv4(arp.senderIp)) return this.drop('malformed');
    this.learn(arp.senderIp, arp.senderMac);
    // Replies (to our requests) and gratuitous ARP (sender = target) only teach.
    if (arp.op !== ARP_REQUEST || target === arp.senderIp || !isUnicastIpv4(target)) return;
    this.claim(target);
    this.stats.arpReplies++;
    this.wire.enqueue(
      buildArpFrame(arp.senderMac, {
        op: ARP_REPLY,
        senderMac: GATEWAY_MAC,
        senderIp: target,
        targetMac: arp.senderMac,
        targetIp: arp.senderIp,
      }),
    );
  }

  // IPv4 (RFC 791)

  private receiveIpv4(frame: Uint8Array): void {
    const ip = parseIpv4Header(frame, ETH_HEADER_LENGTH, frame.length - ETH_HEADER_LENGTH);
    if (typeof ip === 'string') return this.drop(ip === 'checksum' ? 'checksum' : 'malformed');
    if (ip.moreFragments || ip.fragmentOffset !== 0) return this.drop('fragment');
    if (ip.ttl === 0) return this.drop('ttl');
    // The datagram without the Ethernet padding after it.
    const packet = frame.subarray(ETH_HEADER_LENGTH, ETH_HEADER_LENGTH + ip.totalLength);
    const payload = packet.subarray(ip.headerLength);
    if (ip.src !== 0) {
      if (!isUnicastIpv4(ip.src)) return this.drop('malformed');
      this.learn(ip.src, frame.subarray(6, 12));
    } else if (ip.protocol !== IPPROTO_UDP) {
      return this.drop('malformed'); // only a DHCP client may send from 0.0.0.0
    }
    switch (ip.protocol) {
      case IPPROTO_ICMP:
        return this.receiveIcmp(ip, payload);
      case IPPROTO_UDP:
        return this.receiveUdp(ip, packet, payload);
      case IPPROTO_TCP:
        return this.receiveTcp(ip, payload);
      default:
        return this.drop('unsupported');
    }
  }

  /** Frames an IPv4 packet to the guest (from the gateway's MAC) and queues it. */
  private sendIpv4(src: number, dst: number, protocol: number, payload: Uint8Array): void {
    if (IPV4_MIN_HEADER + payload.length > ETH_MTU) return this.drop('tooBig');
    const frame = this.ipv4Frame(this.guestMac ?? BROADCAST_MAC, src, dst, protocol, payload);
    if (this.guestMac) return this.wire.enqueue(frame);
    // The guest has not spoken yet (a forward's first SYN racing the guest's first frame):
    // ask for its MAC and hold the packet until it answers.
    if (this.awaitingArp.length >= MAX_AWAITING_ARP) return this.drop('noGuest');
    this.awaitingArp.push(frame);
    this.arpForGuest(src, dst);
  }

  private ipv4Frame(
    dstMac: Uint8Array,
    src: number,
    dst: number,
    protocol: number,
    payload: Uint8Array,
  ): Uint8Array {
    const frame = allocateIpv4Frame({
      dstMac,
      srcMac: GATEWAY_MAC,
      src,
      dst,
      protocol,
      id: this.ipId++,
      payloadLength: payload.length,
    });
    frame.set(payload, IPV4_PAYLOAD_OFFSET);
    return frame;
  }

  // ICMP (RFC 792)

  private receiveIcmp(ip: Ipv4Header, message: Uint8Array): void {
    if (message.length < 8) return this.drop('malformed');
    if (internetChecksum(message) !== 0) return this.drop('checksum');
    if (message[0] !== ICMP_ECHO_REQUEST || message[1] !== 0) return this.drop('unsupported');
    if (!this.isGatewayAddress(ip.dst)) return this.drop('noRoute');
    this.stats.icmpEchoReplies++;
    this.sendIpv4(ip.dst, ip.src, IPPROTO_ICMP, icmpEchoReply(message));
  }

  // UDP (RFC 768) and DHCP (RFC 2131)

  private receiveUdp(ip: Ipv4Header, packet: Uint8Array, payload: Uint8Array): void {
    const udp = parseUdp(ip.src, ip.dst, payload);
    if (typeof udp === 'string') return this.drop(udp);
    if (
      udp.dstPort === DHCP_SERVER_PORT &&
      (ip.dst === 0xffffffff || this.isGatewayAddress(ip.dst))
    ) {
      return this.receiveDhcp(udp.data);
    }
    if (ip.src === 0) return this.drop('malformed');
    if (this.udp.receive(ip.src, ip.dst, udp.dstPort, udp.data)) return;
    if (this.udpOut.receive(ip.src, udp.srcPort, ip.dst, udp.dstPort, udp.data)) return;
    if (this.isGatewayAddress(ip.dst)) {
      // Nothing listens on the gateway's UDP ports (DNS included): say so at once (RFC 1122
      // §3.2.2.1) so the guest's resolver fails fast instead of timing out.
      this.stats.icmpUnreachables++;
      const message = icmpUnreachable(ICMP_PORT_UNREACHABLE, packet, ip.headerLength);
      return this.sendIpv4(ip.dst, ip.src, IPPROTO_ICMP, message);
    }
    return this.drop(ip.dst === 0xffffffff ? 'notForUs' : 'noRoute');
  }

  private receiveDhcp(message: Uint8Array): void {
    const reply = this.dhcp.handle(message);
    if (reply === 'malformed') return this.drop('malformed');
    if (!reply) return;
    if (reply.type === DHCPACK && reply.yiaddr !== 0) {
      // A forward may connect before the guest sends anything from its new address.
      this.learn(reply.yiaddr, reply.mac);
    }
    this.stats.dhcpReplies++;
    const dst = reply.broadcast ? 0xffffffff : reply.ip;
    const udp = buildUdp(USER_NET_GATEWAY, dst, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, reply.message);
    const mac = reply.broadcast ? BROADCAST_MAC : reply.mac;
    this.wire.enqueue(this.ipv4Frame(mac, USER_NET_GATEWAY, dst, IPPROTO_UDP, udp));
  }

  // TCP: verified here, handled by the engine

  private receiveTcp(ip: Ipv4Header, segment: Uint8Array): void {
    if (segment.length < 20) return this.drop('malformed');
    const dataOffset = (segment[12]! >> 4) * 4;
    if (dataOffset < 20 || dataOffset > segment.length) return this.drop('malformed');
    if (!isUnicastIpv4(ip.dst)) return this.drop('notForUs');
    if (transportChecksum(ip.src, ip.dst, IPPROTO_TCP, segment, 0, segment.length) !== 0) {
      return this.drop('checksum');
    }
    if (!this.tcp) return this.drop('noTcp');
    this.stats.tcpSegmentsIn++;
    this.tcp.receive(ip.src, ip.dst, segment.slice());
  }
}
