/**
 * Ethernet II framing (IEEE 802.3 clause 3 with a type field ≥ 0x0600, RFC 894). Frames are
 * Uint8Arrays without preamble and without the 4-byte FCS: the MAC adds and checks the FCS, the
 * network above it sees destination, source, EtherType and payload.
 */

export const ETH_HEADER_LENGTH = 14;
/** The smallest frame on the wire without FCS (64 with it): shorter ones are padded. */
export const ETH_MIN_FRAME = 60;
/** 1500-byte payload + header, plus 4 bytes of slack for an 802.1Q tag or a trailing FCS. */
export const ETH_MAX_FRAME = 1518;
export const ETH_MTU = 1500;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;

export const BROADCAST_MAC: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** '52:55:0a:00:02:02' (or with '-') → 6 bytes; null when it is not six hex pairs. */
export function parseMac(text: string): Uint8Array | null {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{2}$/i.test(p))) return null;
  return Uint8Array.from(parts, (h) => parseInt(h, 16));
}

export function formatMac(data: Uint8Array, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((data[offset + i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}

export function macEquals(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset = 0): boolean {
  for (let i = 0; i < 6; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}

/** The group bit (I/G, the least significant bit of the first octet): multicast or broadcast. */
export function isGroupMac(data: Uint8Array, offset = 0): boolean {
  return (data[offset]! & 1) !== 0;
}

export function isBroadcastMac(data: Uint8Array, offset = 0): boolean {
  return macEquals(data, offset, BROADCAST_MAC);
}

export function etherTypeOf(frame: Uint8Array): number {
  return (frame[12]! << 8) | frame[13]!;
}

/**
 * A zeroed frame with its Ethernet header written and room for `payloadLength` bytes at
 * offset 14, padded to the 60-byte minimum: a MAC discards shorter frames as runts.
 */
export function allocateFrame(
  dst: Uint8Array,
  src: Uint8Array,
  etherType: number,
  payloadLength: number,
): Uint8Array {
  const frame = new Uint8Array(Math.max(ETH_MIN_FRAME, ETH_HEADER_LENGTH + payloadLength));
  frame.set(dst.subarray(0, 6), 0);
  frame.set(src.subarray(0, 6), 6);
  frame[12] = etherType >> 8;
  frame[13] = etherType & 0xff;
  return frame;
}
