/**
 * IPv4 headers (RFC 791) and the small protocols the gateway itself speaks on top: ICMP echo
 * and destination unreachable (RFC 792) and UDP headers (RFC 768). Parsing validates everything
 * a receiver must before trusting a field; building writes whole Ethernet frames in one buffer.
 */
import { internetChecksum, transportChecksum } from './checksum.js';
import { allocateFrame, ETH_HEADER_LENGTH, ETHERTYPE_IPV4 } from './ethernet.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPV4_MIN_HEADER = 20;
export const DEFAULT_TTL = 64; // RFC 1700's recommended default

export interface Ipv4Header {
  headerLength: number;
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes (the field counts 8-byte units). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
}

/** Why a header was refused; the network counts drops by these. */
export type Ipv4Error = 'truncated' | 'version' | 'headerLength' | 'totalLength' | 'checksum';

export function readU16(data: Uint8Array, offset: number): number {
  return (data[offset]! << 8) | data[offset + 1]!;
}

export function readU32(data: Uint8Array, offset: number): number {
  return (
    ((data[offset]! << 24) |
      (data[offset + 1]! << 16) |
      (data[offset + 2]! << 8) |
      data[offset + 3]!) >>>
    0
  );
}

export function writeU16(data: Uint8Array, offset: number, value: number): void {
  data[offset] = (value >>> 8) & 0xff;
  data[offset + 1] = value & 0xff;
}

export function writeU32(data: Uint8Array, offset: number, value: number): void {
  writeU16(data, offset, value >>> 16);
  writeU16(data, offset + 2, value & 0xffff);
}

/**
 * The IPv4 header at `offset`, of which `available` bytes exist (the rest of the frame). The
 * frame may be longer than the datagram (Ethernet pads to 60 bytes), never shorter.
 */
export function parseIpv4Header(
  data: Uint8Array,
  offset: number,
  available: number,
): Ipv4Header | Ipv4Error {
  if (available < IPV4_MIN_HEADER) return 'truncated';
  const b0 = data[offset]!;
  if (b0 >> 4 !== 4) return 'version';
  const headerLength = (b0 & 0xf) * 4;
  if (headerLength < IPV4_MIN_HEADER) return 'headerLength';
  const totalLength = readU16(data, offset + 2);
  if (headerLength > available || headerLength > totalLength) return 'headerLength';
  if (totalLength > available) return 'totalLength';
  if (internetChecksum(data, offset, headerLength) !== 0) return 'checksum';
  const flagsFragment = readU16(data, offset + 6);
  return {
    headerLength,
    totalLength,
    id: readU16(data, offset + 4),
    dontFragment: (flagsFragment & 0x4000) !== 0,
    moreFragments: (flagsFragment & 0x2000) !== 0,
    fragmentOffset: (flagsFragment & 0x1fff) * 8,
    ttl: data[offset + 8]!,
    protocol: data[offset + 9]!,
    src: readU32(data, offset + 12),
    dst: readU32(data, offset + 16),
  };
}

/** A unicast host address: not 0.0.0.0/8, loopback, multicast/reserved (224/3) or broadcast. */
export function isUnicastIpv4(ip: number): boolean {
  const first = ip >>> 24;
  return first !== 0 && first !== 127 && first < 224;
}

export interface Ipv4FrameSpec {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  src: number;
  dst: number;
  protocol: number;
  id: number;
  ttl?: number;
  payloadLength: number;
}

/**
 * A frame with Ethernet and a 20-byte IPv4 header (checksum filled in, no options, DF clear)
 * written; the payload goes at `IPV4_PAYLOAD_OFFSET` and its transport checksum is the
 * caller's.
 */
export function allocateIpv4Frame(spec: Ipv4FrameSpec): Uint8Array {
  const totalLength = IPV4_MIN_HEADER + spec.payloadLength;
  const frame = allocateFrame(spec.dstMac, spec.srcMac, ETHERTYPE_IPV4, totalLength);
  const o = ETH_HEADER_LENGTH;
  frame[o] = 0x45;
  writeU16(frame, o + 2, totalLength);
  writeU16(frame, o + 4, spec.id & 0xffff);
  frame[o + 8] = spec.ttl ?? DEFAULT_TTL;
  frame[o + 9] = spec.protocol;
  writeU32(frame, o + 12, spec.src);
  writeU32(frame, o + 16, spec.dst);
  writeU16(frame, o + 10, internetChecksum(frame, o, IPV4_MIN_HEADER));
  return frame;
}

export const IPV4_PAYLOAD_OFFSET = ETH_HEADER_LENGTH + IPV4_MIN_HEADER;

// ICMP (RFC 792)

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_PORT_UNREACHABLE = 3;

/**
 * The ICMP message of an echo reply to `request` (a whole, checksum-verified ICMP echo request):
 * type 0, identifier, sequence number and data returned unchanged (RFC 792 p. 14).
 */
export function icmpEchoReply(request: Uint8Array): Uint8Array {
  const reply = request.slice();
  reply[0] = ICMP_ECHO_REPLY;
  reply[1] = 0;
  writeU16(reply, 2, 0);
  writeU16(reply, 2, internetChecksum(reply));
  return reply;
}

/**
 * A destination unreachable message about `datagram` (its IPv4 header and data): the header
 * plus the first 64 bits of data, as RFC 792 asks, so the sender can match it to a socket.
 */
export function icmpUnreachable(
  code: number,
  datagram: Uint8Array,
  headerLength: number,
): Uint8Array {
  const quoted = datagram.subarray(0, Math.min(datagram.length, headerLength + 8));
  const message = new Uint8Array(8 + quoted.length);
  message[0] = ICMP_DEST_UNREACHABLE;
  message[1] = code;
  message.set(quoted, 8);
  writeU16(message, 2, internetChecksum(message));
  return message;
}

// UDP (RFC 768)

export const UDP_HEADER = 8;

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  /** The data after the header (a view into the packet). */
  data: Uint8Array;
}

/**
 * The UDP datagram in an IPv4 payload, or why it was refused. A zero checksum means the sender
 * computed none (RFC 768); any other value must verify over the pseudo-header.
 */
export function parseUdp(
  src: number,
  dst: number,
  payload: Uint8Array,
): UdpDatagram | 'malformed' | 'checksum' {
  if (payload.length < UDP_HEADER) return 'malformed';
  const length = readU16(payload, 4);
  if (length < UDP_HEADER || length > payload.length) return 'malformed';
  if (
    readU16(payload, 6) !== 0 &&
    transportChecksum(src, dst, IPPROTO_UDP, payload, 0, length) !== 0
  ) {
    return 'checksum';
  }
  return {
    srcPort: readU16(payload, 0),
    dstPort: readU16(payload, 2),
    data: payload.subarray(UDP_HEADER, length),
  };
}

/** A UDP header + data with its checksum (a computed 0 is sent as 0xffff, RFC 768). */
export function buildUdp(
  src: number,
  dst: number,
  srcPort: number,
  dstPort: number,
  data: Uint8Array,
): Uint8Array {
  const segment = new Uint8Array(UDP_HEADER + data.length);
  writeU16(segment, 0, srcPort);
  writeU16(segment, 2, dstPort);
  writeU16(segment, 4, segment.length);
  segment.set(data, UDP_HEADER);
  const sum = transportChecksum(src, dst, IPPROTO_UDP, segment, 0, segment.length);
  writeU16(segment, 6, sum === 0 ? 0xffff : sum);
  return segment;
}
