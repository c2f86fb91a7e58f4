import { describe, expect, it } from 'vitest';
import { formatIpv4, internetChecksum, parseIpv4, transportChecksum } from './checksum.js';

describe('Internet checksum', () => {
  it('matches RFC 1071 and a real IPv4 header', () => {
    // RFC 1071 §3 example words: 0001 f203 f4f5 f6f7 → sum ddf2, checksum 220d.
    expect(internetChecksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(
      0x220d,
    );
    // An IPv4 header (checksum field b861) verifies to 0.
    const h = Uint8Array.from(
      '450000730000400040110000c0a80001c0a800c7'.match(/../g)!.map((b) => parseInt(b, 16)),
    );
    expect(internetChecksum(h)).toBe(0xb861);
    h[10] = 0xb8;
    h[11] = 0x61;
    expect(internetChecksum(h)).toBe(0);
  });

  it('covers the UDP pseudo-header and odd lengths', () => {
    // UDP 10.0.2.15:68 → 10.0.2.2:67, payload 'a' (odd length).
    const seg = Uint8Array.of(0, 68, 0, 67, 0, 9, 0, 0, 0x61);
    const sum = transportChecksum(parseIpv4('10.0.2.15')!, parseIpv4('10.0.2.2')!, 17, seg, 0, 9);
    seg[6] = sum >> 8;
    seg[7] = sum & 0xff;
    expect(transportChecksum(parseIpv4('10.0.2.15')!, parseIpv4('10.0.2.2')!, 17, seg, 0, 9)).toBe(
      0,
    );
    expect(formatIpv4(parseIpv4('10.0.2.15')!)).toBe('10.0.2.15');
    expect(parseIpv4('10.0.2.256')).toBeNull();
  });
});
