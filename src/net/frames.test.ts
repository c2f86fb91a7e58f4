import { describe, expect, it } from 'vitest';
import { buildArpFrame, parseArp } from './arp.js';
import { internetChecksum } from './checksum.js';
import { allocateFrame, formatMac, isGroupMac, parseMac } from './ethernet.js';
import { allocateIpv4Frame, icmpEchoReply, parseIpv4Header, parseUdp } from './ipv4.js';
import { arpRequestFrame, ip, ipv4Packet, udpDatagram } from './testing.js';

const bytes = (h: string) =>
  Uint8Array.from(
    h
      .replace(/\s/g, '')
      .match(/../g)!
      .map((b) => parseInt(b, 16)),
  );

describe('Ethernet, ARP and IPv4 parsing and building', () => {
  it('parses and formats MAC addresses and pads short frames to 60 bytes', () => {
    expect(formatMac(parseMac('52-55-0A-00-02-02')!)).toBe('52:55:0a:00:02:02');
    expect(parseMac('52:55:0a:00:02')).toBeNull();
    expect(parseMac('52:55:0a:00:02:zz')).toBeNull();
    expect(isGroupMac(parseMac('01:00:5e:00:00:01')!)).toBe(true);
    const f = allocateFrame(
      parseMac('ff:ff:ff:ff:ff:ff')!,
      parseMac('52:55:0a:00:02:02')!,
      0x0806,
      28,
    );
    expect(f.length).toBe(60);
    expect(Buffer.from(f.subarray(0, 14)).toString('hex')).toBe('ffffffffffff52550a0002020806');
  });

  it('reads a captured ARP request (RFC 826 layout) and writes the same bytes back', () => {
    // Who has 10.0.0.1? Tell 10.0.0.2, from 00:e0:de:ad:be:ef, padded to 60 bytes.
    const wire = bytes(
      'ffffffffffff 00e0deadbeef 0806 0001 0800 06 04 0001 00e0deadbeef 0a000002 000000000000 0a000001' +
        '00'.repeat(18),
    );
    expect(wire).toEqual(arpRequestFrame('10.0.0.2', '10.0.0.1'));
    const arp = parseArp(wire)!;
    expect(arp.op).toBe(1);
    expect([arp.senderIp, arp.targetIp]).toEqual([ip('10.0.0.2'), ip('10.0.0.1')]);
    expect(buildArpFrame(wire.subarray(0, 6), arp)).toEqual(wire);
    expect(parseArp(wire.subarray(0, 41))).toBeNull();
    const ipv6 = wire.slice();
    ipv6[17] = 0xdd; // protocol type 0x08dd
    expect(parseArp(ipv6)).toBeNull();
  });

  it('validates IPv4 headers field by field', () => {
    const p = Uint8Array.from(
      ipv4Packet('10.0.0.2', '10.0.0.1', 1, [8, 0, 0xf7, 0xff, 0, 0, 0, 0]),
    );
    const h = parseIpv4Header(p, 0, p.length);
    expect(h).toMatchObject({
      headerLength: 20,
      totalLength: 28,
      ttl: 64,
      protocol: 1,
      dontFragment: true,
    });
    expect(parseIpv4Header(p, 0, 19)).toBe('truncated');
    expect(parseIpv4Header(p, 0, 27)).toBe('totalLength');
    const options = p.slice();
    options[0] = 0x46; // 24-byte header: the checksum no longer matches, lengths still do
    expect(parseIpv4Header(options, 0, p.length)).toBe('checksum');
    options[0] = 0x48; // 32 > total length 28
    expect(parseIpv4Header(options, 0, p.length)).toBe('headerLength');
    options[0] = 0x55;
    expect(parseIpv4Header(options, 0, p.length)).toBe('version');
    const frag = Uint8Array.from(
      ipv4Packet('10.0.0.2', '10.0.0.1', 17, [], { flagsFragment: 0x2000 | 185 }),
    );
    expect(parseIpv4Header(frag, 0, frag.length)).toMatchObject({
      moreFragments: true,
      fragmentOffset: 1480,
    });
  });

  it('builds IPv4 frames with a valid header checksum and echo replies with the request’s data', () => {
    const f = allocateIpv4Frame({
      dstMac: parseMac('00:e0:de:ad:be:ef')!,
      srcMac: parseMac('52:55:0a:00:02:02')!,
      src: ip('10.0.2.2'),
      dst: ip('10.0.2.15'),
      protocol: 17,
      id: 0x1234,
      payloadLength: 100,
    });
    expect(f.length).toBe(134);
    expect(internetChecksum(f, 14, 20)).toBe(0);
    expect(parseIpv4Header(f, 14, 120)).toMatchObject({ totalLength: 120, id: 0x1234, ttl: 64 });
    const request = bytes('0800 0000 abcd 0001 6869 6a');
    request.set([(internetChecksum(request) >> 8) & 0xff, internetChecksum(request) & 0xff], 2);
    const reply = icmpEchoReply(request);
    expect(Buffer.from(reply).toString('hex').slice(8)).toBe('abcd00016869 6a'.replace(/ /g, ''));
    expect(reply[0]).toBe(0);
    expect(internetChecksum(reply)).toBe(0);
  });

  it('checks UDP lengths and checksums (zero: none, RFC 768)', () => {
    const d = Uint8Array.from(udpDatagram('10.0.2.15', '10.0.2.2', 68, 67, [1, 2, 3]));
    expect(parseUdp(ip('10.0.2.15'), ip('10.0.2.2'), d)).toMatchObject({
      srcPort: 68,
      dstPort: 67,
    });
    expect(parseUdp(ip('10.0.2.15'), ip('10.0.2.3'), d)).toBe('checksum');
    const none = d.slice();
    none[6] = none[7] = 0;
    expect(parseUdp(ip('10.0.2.15'), ip('10.0.2.3'), none)).toMatchObject({ dstPort: 67 });
    const long = d.slice();
    long[5] = 12;
    expect(parseUdp(ip('10.0.2.15'), ip('10.0.2.2'), long)).toBe('malformed');
    expect(parseUdp(0, 0, d.subarray(0, 7))).toBe('malformed');
  });
});
