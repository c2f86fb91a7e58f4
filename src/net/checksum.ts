/**
 * The Internet checksum (RFC 1071): the 16-bit one's-complement of the one's-complement sum of
 * 16-bit big-endian words, used by IPv4 headers, ICMP, UDP and TCP (the last two over a
 * pseudo-header, RFC 768 / RFC 9293 §3.1). Frames are Uint8Arrays; nothing here allocates.
 */

/** One's-complement sum (not yet folded or inverted) of `length` bytes from `offset`. */
export function onesComplementSum(
  data: Uint8Array,
  offset: number,
  length: number,
  initial = 0,
): number {
  let sum = initial;
  const end = offset + length;
  let i = offset;
  for (; i + 1 < end; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < end) sum += data[i]! << 8; // an odd byte is padded with zero
  return sum;
}

/** Folds a sum to 16 bits and inverts it: the checksum field's value. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The checksum of `length` bytes from `offset` (0 when a received block with its checksum is intact). */
export function internetChecksum(
  data: Uint8Array,
  offset = 0,
  length = data.length - offset,
): number {
  return finishChecksum(onesComplementSum(data, offset, length));
}

/** The sum of the IPv4 pseudo-header that UDP and TCP checksums cover. */
export function pseudoHeaderSum(
  src: number,
  dst: number,
  protocol: number,
  length: number,
): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** UDP/TCP checksum of a segment at `offset` (its checksum field must hold 0 when computing). */
export function transportChecksum(
  src: number,
  dst: number,
  protocol: number,
  data: Uint8Array,
  offset: number,
  length: number,
): number {
  return finishChecksum(
    onesComplementSum(data, offset, length, pseudoHeaderSum(src, dst, protocol, length)),
  );
}

/** 10.0.2.15 → 0x0a00020f. */
export function parseIpv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** 0x0a00020f → '10.0.2.15'. */
export function formatIpv4(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join('.');
}
