/**
 * TCP segments as bytes (RFC 9293 §3.1): parsing a segment from the guest, building one toward
 * it with the checksum over the IPv4 pseudo-header, and modulo-2^32 sequence arithmetic
 * (RFC 9293 §3.4). Browser-safe: Uint8Array and DataView only.
 */
import { transportChecksum } from './checksum.js';

export const TCP_PROTOCOL = 6;

/** Control bits (RFC 9293 §3.1). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;

const HEADER_LENGTH = 20;
const OPTION_END = 0;
const OPTION_NOP = 1;
const OPTION_MSS = 2;

/** A parsed segment; `payload` is a view into the caller's buffer (copy it to keep it). */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** The MSS option's value if present (only meaningful on a SYN, RFC 9293 §3.7.1). */
  mss: number | null;
  payload: Uint8Array;
}

/**
 * Parses a segment whose checksum the caller has verified. Returns null for a segment too short
 * or with a data offset outside it (such segments are dropped, never trusted).
 */
export function parseTcpSegment(bytes: Uint8Array): TcpSegment | null {
  if (bytes.length < HEADER_LENGTH) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = (bytes[12]! >>> 4) * 4;
  if (dataOffset < HEADER_LENGTH || dataOffset > bytes.length) return null;
  let mss: number | null = null;
  // Options (RFC 9293 §3.2): kind 0 ends the list, kind 1 is one byte, every other kind has a
  // length byte; an option running past the header ends parsing rather than the segment.
  for (let i = HEADER_LENGTH; i < dataOffset;) {
    const kind = bytes[i]!;
    if (kind === OPTION_END) break;
    if (kind === OPTION_NOP) {
      i += 1;
      continue;
    }
    if (i + 1 >= dataOffset) break;
    const length = bytes[i + 1]!;
    if (length < 2 || i + length > dataOffset) break;
    if (kind === OPTION_MSS && length === 4) mss = view.getUint16(i + 2);
    i += length;
  }
  return {
    srcPort: view.getUint16(0),
    dstPort: view.getUint16(2),
    seq: view.getUint32(4),
    ack: view.getUint32(8),
    flags: bytes[13]! & 0x3f,
    window: view.getUint16(14),
    mss,
    payload: bytes.subarray(dataOffset),
  };
}

export interface SegmentFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Adds the MSS option (sent only on SYNs, RFC 9293 §3.7.1). */
  mss?: number;
}

/** Builds a segment from `srcIp` to `dstIp` with its checksum filled in. */
export function buildTcpSegment(
  srcIp: number,
  dstIp: number,
  fields: SegmentFields,
  payload?: Uint8Array,
): Uint8Array {
  const optionsLength = fields.mss !== undefined ? 4 : 0;
  const headerLength = HEADER_LENGTH + optionsLength;
  const bytes = new Uint8Array(headerLength + (payload?.length ?? 0));
  const view = new DataView(bytes.buffer);
  view.setUint16(0, fields.srcPort);
  view.setUint16(2, fields.dstPort);
  view.setUint32(4, fields.seq >>> 0);
  view.setUint32(8, fields.flags & ACK ? fields.ack >>> 0 : 0);
  bytes[12] = (headerLength / 4) << 4;
  bytes[13] = fields.flags;
  view.setUint16(14, Math.max(0, Math.min(0xffff, fields.window)));
  if (fields.mss !== undefined) {
    bytes[20] = OPTION_MSS;
    bytes[21] = 4;
    view.setUint16(22, fields.mss);
  }
  if (payload) bytes.set(payload, headerLength);
  view.setUint16(16, transportChecksum(srcIp, dstIp, TCP_PROTOCOL, bytes, 0, bytes.length));
  return bytes;
}

/** The sequence space a segment occupies: its payload plus one each for SYN and FIN. */
export function segmentLength(segment: TcpSegment): number {
  return segment.payload.length + (segment.flags & SYN ? 1 : 0) + (segment.flags & FIN ? 1 : 0);
}

/** a - b in sequence space, as a signed 32-bit distance (RFC 9293 §3.4). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}

export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Flags as text for logs and test messages: 'SYN,ACK'. */
export function flagNames(flags: number): string {
  const names: string[] = [];
  if (flags & SYN) names.push('SYN');
  if (flags & FIN) names.push('FIN');
  if (flags & RST) names.push('RST');
  if (flags & PSH) names.push('PSH');
  if (flags & ACK) names.push('ACK');
  if (flags & URG) names.push('URG');
  return names.join(',');
}
