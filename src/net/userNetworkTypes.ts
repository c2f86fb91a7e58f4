/**
 * The user-mode network's addressing (slirp's 10.0.2.0/24 and the gateway's MAC), its options,
 * its statistics (and a fresh set of them at zero), the reasons it drops frames, and what it
 * needs of a scheduler and of a TCP engine. The network itself is UserModeNetwork in
 * userNetwork.ts, which re-exports the types and constants defined here.
 */
import { parseMac } from './ethernet.js';
import type { HostSockets } from './hostSockets.js';
import type { ForwardSpec } from './options.js';
import type { TcpEngineOptions } from './tcp.js';
import { newUdpForwardStats, type UdpForwardStats } from './udpForward.js';
import { newUdpOutboundStats, type UdpOutboundStats } from './udpOutbound.js';

/** Virtual time from the machine's clock (the CLI builds it); delays are relative. */
export interface NetScheduler {
  nanos(): number;
  /** Runs `fn` `ns` nanoseconds from now; returns a function that cancels it. */
  schedule(ns: number, fn: () => void): () => void;
}

/**
 * The part of the TCP engine (src/net/tcp.ts) the network calls; tests may give a fake of this
 * shape through `createTcp`.
 */
export interface TcpSegmentReceiver {
  /** A checksum-verified TCP segment from the guest (a copy the engine may keep). */
  receive(srcIp: number, dstIp: number, segment: Uint8Array): void;
  /** Starts the listeners of the TCP forwards. */
  addForwards?(forwards: ForwardSpec[]): Promise<void>;
  close?(): void;
}

export const USER_NET_ADDRESS = 0x0a000200; // 10.0.2.0
export const USER_NET_MASK = 0xffffff00; // /24
export const USER_NET_GATEWAY = 0x0a000202; // 10.0.2.2
export const USER_NET_DNS = 0x0a000203; // 10.0.2.3
export const USER_NET_GUEST = 0x0a00020f; // 10.0.2.15
/** Locally administered (bit 1 of the first octet), as slirp's 52:55:0a:00:02:02. */
export const GATEWAY_MAC: Uint8Array = parseMac('52:55:0a:00:02:02')!;

export type DropReason =
  /**
   * Shorter than an Ethernet header. Frames of 14-59 bytes are accepted: the STM32 MAC pads to
   * 60 unless the driver sets TDES0.DP, and refusing them would only hide a MAC-model detail.
   */
  | 'runt'
  /** Longer than 1518 bytes (1500-byte payload + header + 802.1Q tag or FCS). */
  | 'oversized'
  /** A truncated or inconsistent header (Ethernet source, ARP, IPv4, ICMP, UDP, TCP, DHCP). */
  | 'malformed'
  /** A bad IPv4 header, ICMP, UDP or TCP checksum. */
  | 'checksum'
  /** An EtherType other than IPv4 and ARP (IPv6, VLAN), an IP protocol or ICMP type we do not speak. */
  | 'unsupported'
  /** IPv4 fragments: not reassembled (the guest's stacks send none below the 1500-byte MTU). */
  | 'fragment'
  /** IPv4 time to live 0. */
  | 'ttl'
  /** Sent to another MAC, a multicast MAC, or an IP broadcast/multicast the network does not serve. */
  | 'notForUs'
  /** ICMP echo or UDP to an address beyond the link: nothing on the host side answers those. */
  | 'noRoute'
  /** TCP while no TCP engine is attached. */
  | 'noTcp'
  /** A packet to the guest larger than the 1500-byte MTU. */
  | 'tooBig'
  /** A packet to the guest while its MAC is unknown and the queue awaiting ARP is full. */
  | 'noGuest'
  /** The queue of frames to the guest is full. */
  | 'queueFull';

export interface UserNetworkStats extends UdpForwardStats, UdpOutboundStats {
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  arpReplies: number;
  icmpEchoReplies: number;
  icmpUnreachables: number;
  dhcpReplies: number;
  tcpSegmentsIn: number;
  tcpSegmentsOut: number;
  dropped: Record<DropReason, number>;
}

/** A network's counters, all at zero. */
export function newUserNetworkStats(): UserNetworkStats {
  return {
    framesIn: 0,
    bytesIn: 0,
    framesOut: 0,
    bytesOut: 0,
    arpReplies: 0,
    icmpEchoReplies: 0,
    icmpUnreachables: 0,
    dhcpReplies: 0,
    tcpSegmentsIn: 0,
    tcpSegmentsOut: 0,
    ...newUdpForwardStats(),
    ...newUdpOutboundStats(),
    dropped: {
      runt: 0,
      oversized: 0,
      malformed: 0,
      checksum: 0,
      unsupported: 0,
      fragment: 0,
      ttl: 0,
      notForUs: 0,
      noRoute: 0,
      noTcp: 0,
      tooBig: 0,
      noGuest: 0,
      queueFull: 0,
    },
  };
}

export interface UserModeNetworkOptions {
  scheduler: NetScheduler;
  /** Host sockets for the TCP engine; without them no host connection is possible. */
  host?: HostSockets;
  forwards?: readonly ForwardSpec[];
  /** Default true: the guest reaches nothing on the host but the forwards. */
  restrict?: boolean;
  /** Builds the TCP engine; default `new TcpEngine(o)`; null: none (TCP dropped as noTcp). */
  createTcp?: ((options: TcpEngineOptions) => TcpSegmentReceiver) | null;
  /** DHCP lease time; slirp's is 24 hours. */
  leaseSeconds?: number;
  /** Delay before a frame starts arriving at the guest; default 10 µs. */
  latencyNs?: number;
  /** Wire speed for the serialization delay; default 100 Mb/s (the LAN8720), 0 for none. */
  bitsPerSecond?: number;
  /** Frames waiting for delivery to the guest; more are dropped (queueFull). Default 512. */
  maxQueuedFrames?: number;
  /**
   * The host's resolver, to which the guest's DNS queries to 10.0.2.3:53 are relayed (restrict
   * or not); absent or null: they get port unreachable.
   */
  dnsServer?: { address: string; port: number } | null;
}

export type TapDirection = 'fromGuest' | 'toGuest';
