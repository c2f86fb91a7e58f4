/**
 * The user-mode network's robustness and its wire to the guest: malformed frames dropped and
 * counted, random mutations of valid frames, the bounded queue, wire timing at 100 Mb/s and the
 * tap. Shared helpers are in userNetworkTestHarness.ts.
 */
import { describe, expect, it } from 'vitest';
import { internetChecksum } from './checksum.js';
import {
  arpRequestFrame,
  DHCP,
  dhcpFrame,
  dhcpMessage,
  ethernet,
  GUEST_MAC,
  GW_MAC,
  icmpEcho,
  ipv4Frame,
  ipv4Packet,
  tcpSegment,
  udpDatagram,
} from './testing.js';
import { u16, setup } from './userNetworkTestHarness.js';

describe('UserModeNetwork: robustness', () => {
  const ping = () => ipv4Frame('10.0.2.15', '10.0.2.2', 1, icmpEcho(9, 9, [1, 2, 3, 4]));

  it('drops and counts malformed frames without answering or throwing', () => {
    const { net, exchange } = setup();
    const cases: [string, Uint8Array, keyof typeof net.stats.dropped][] = [];
    cases.push(['runt', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 'runt']);
    cases.push(['oversized', new Uint8Array(1600), 'oversized']);
    const ipv6 = ping();
    ipv6[12] = 0x86;
    ipv6[13] = 0xdd;
    cases.push(['IPv6 EtherType', ipv6, 'unsupported']);
    const truncated = ping().subarray(0, 14 + 12);
    cases.push(['truncated IPv4 header', truncated, 'malformed']);
    const badSum = ping();
    badSum[14 + 10]! ^= 0x40;
    cases.push(['IPv4 header checksum', badSum, 'checksum']);
    const long = ping();
    long[16] = 0x05; // total length 1280+ > frame
    cases.push(['total length beyond the frame', long, 'malformed']);
    const ihl = ping();
    ihl[14] = 0x44;
    cases.push(['header length 16', ihl, 'malformed']);
    const v6 = ping();
    v6[14] = 0x65;
    cases.push(['IP version 6 in an IPv4 frame', v6, 'malformed']);
    const icmpSum = ping();
    icmpSum[14 + 20 + 9]! ^= 1;
    cases.push(['ICMP checksum', icmpSum, 'checksum']);
    const frag = ethernet(
      GW_MAC,
      GUEST_MAC,
      0x0800,
      ipv4Packet('10.0.2.15', '10.0.2.2', 1, icmpEcho(1, 1, [1]), { flagsFragment: 0x2000 }),
    );
    cases.push(['first fragment', frag, 'fragment']);
    const ttl0 = ethernet(
      GW_MAC,
      GUEST_MAC,
      0x0800,
      ipv4Packet('10.0.2.15', '10.0.2.2', 1, icmpEcho(1, 1, [1]), { ttl: 0 }),
    );
    cases.push(['TTL 0', ttl0, 'ttl']);
    const udpSum = ipv4Frame(
      '10.0.2.15',
      '10.0.2.2',
      17,
      udpDatagram('10.0.2.15', '10.0.2.2', 1, 2, [5, 6]),
    );
    udpSum[14 + 20 + 8]! ^= 1;
    cases.push(['UDP checksum', udpSum, 'checksum']);
    cases.push([
      'other MAC',
      ipv4Frame('10.0.2.15', '10.0.2.2', 1, icmpEcho(1, 1, [1]), '02:00:00:00:00:01'),
      'notForUs',
    ]);
    const arpShort = arpRequestFrame('10.0.0.2', '10.0.0.1').subarray(0, 30);
    cases.push(['truncated ARP', arpShort, 'malformed']);
    cases.push([
      'IGMP',
      ipv4Frame('10.0.2.15', '10.0.2.2', 2, [0x11, 0, 0xee, 0xff, 0, 0, 0, 0]),
      'unsupported',
    ]);
    for (const [name, frame, reason] of cases) {
      const before = net.stats.dropped[reason];
      expect(exchange(frame), name).toHaveLength(0);
      expect(net.stats.dropped[reason], name).toBe(before + 1);
    }
    expect(net.stats.framesIn).toBe(cases.length);
    expect(net.stats.framesOut).toBe(0);
    // The same frames well-formed still work afterwards.
    expect(exchange(ping())).toHaveLength(1);
  });

  it('survives 2000 random mutations of valid frames', () => {
    const { net, scheduler, out } = setup({ createTcp: undefined });
    const valid = [
      ping(),
      arpRequestFrame('10.0.0.2', '10.0.0.1'),
      dhcpFrame(
        dhcpMessage(7, [
          [53, DHCP.DISCOVER],
          [55, 1, 3, 6],
        ]),
      ),
      dhcpFrame(
        dhcpMessage(8, [
          [53, DHCP.REQUEST],
          [50, 10, 0, 2, 15],
          [54, 10, 0, 2, 2],
        ]),
      ),
      ipv4Frame(
        '10.0.2.15',
        '10.0.2.3',
        17,
        udpDatagram('10.0.2.15', '10.0.2.3', 1000, 53, [1, 2, 3]),
      ),
      ipv4Frame(
        '10.0.2.15',
        '10.0.2.2',
        6,
        tcpSegment('10.0.2.15', '10.0.2.2', 40000, 80, 1, 0x02),
      ),
    ];
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (let i = 0; i < 2000; i++) {
      let f = valid[rand(valid.length)]!.slice();
      const edits = 1 + rand(4);
      for (let e = 0; e < edits; e++) {
        const kind = rand(4);
        if (kind === 0 && f.length > 0) f[rand(f.length)] = rand(256);
        else if (kind === 1) f = f.slice(0, rand(f.length + 1));
        else if (kind === 2) f[14 + rand(Math.min(20, Math.max(1, f.length - 14)))] = rand(256);
        else {
          const g = new Uint8Array(f.length + rand(64));
          g.set(f);
          f = g;
        }
      }
      expect(() => net.receiveFrame(f)).not.toThrow();
      if (i % 50 === 0) scheduler.advance(1_000_000);
    }
    scheduler.advance(10_000_000);
    expect(net.stats.framesIn).toBe(2000);
    // Everything sent back is well-formed Ethernet + (ARP or valid IPv4).
    expect(out.length).toBeGreaterThan(0);
    for (const f of out) {
      expect(f.length).toBeGreaterThanOrEqual(60);
      if (u16(f, 12) === 0x0800) expect(internetChecksum(f, 14, 20)).toBe(0);
      else expect(u16(f, 12)).toBe(0x0806);
    }
  });

  it('bounds the queue to the guest and counts what it drops', () => {
    const { net, scheduler, out } = setup({ maxQueuedFrames: 4 });
    for (let i = 0; i < 10; i++) net.receiveFrame(ping());
    expect(net.queuedFrames).toBe(4);
    scheduler.advance(1_000_000);
    expect(out).toHaveLength(4);
    expect(net.stats.dropped.queueFull).toBe(6);
    expect(net.stats.icmpEchoReplies).toBe(10);
  });

  it('spaces frames by their wire time at 100 Mb/s and keeps their order', () => {
    const { net, scheduler } = setup({ latencyNs: 10_000 });
    const times: number[] = [];
    const ids: number[] = [];
    net.onFrame = (f) => {
      times.push(scheduler.nanos());
      ids.push(u16(f, 34 + 6));
    };
    const big = Array.from({ length: 1000 }, (_, i) => i & 0xff);
    for (let seq = 0; seq < 3; seq++) {
      net.receiveFrame(ipv4Frame('10.0.2.15', '10.0.2.2', 1, icmpEcho(1, seq, big)));
    }
    scheduler.advance(10_000);
    expect(times).toHaveLength(0);
    scheduler.advance(1_000_000);
    expect(ids).toEqual([0, 1, 2]);
    const wire = ((14 + 20 + 8 + 1000 + 24) * 8 * 1e9) / 100e6; // 85.28 µs
    expect(times[0]).toBeCloseTo(10_000 + wire, 3);
    expect(times[1]! - times[0]!).toBeCloseTo(wire, 3);
    expect(times[2]! - times[1]!).toBeCloseTo(wire, 3);
  });

  it('taps every frame both ways at its virtual time, and stops on close', () => {
    const { net, scheduler } = setup();
    const tapped: [string, number, number][] = [];
    net.onTap = (f, t, d) => tapped.push([d, t, f.length]);
    scheduler.advance(5000);
    net.receiveFrame(ping());
    scheduler.advance(1_000_000);
    expect(tapped.map((t) => t[0])).toEqual(['fromGuest', 'toGuest']);
    expect(tapped[0]![1]).toBe(5000);
    expect(tapped[1]![1]).toBeGreaterThan(5000);
    net.receiveFrame(ping());
    net.close();
    expect(scheduler.pending).toBe(0);
    net.receiveFrame(ping());
    expect(tapped).toHaveLength(3);
  });
});
