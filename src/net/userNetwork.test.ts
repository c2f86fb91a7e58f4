/**
 * The user-mode network against frames built by hand: ARP, ICMP echo, DHCP, UDP to the gateway,
 * TCP dispatch to the engine, and a forward whose client connects before the guest has spoken.
 * Malformed input, the queue to the guest, wire timing and the tap are in
 * userNetworkRobustness.test.ts; shared helpers in userNetworkTestHarness.ts.
 */
import { describe, expect, it } from 'vitest';
import { formatIpv4, internetChecksum, transportChecksum } from './checksum.js';
import {
  arpPacket,
  arpRequestFrame,
  BROADCAST,
  DHCP,
  dhcpFrame,
  dhcpMessage,
  ethernet,
  GUEST_MAC,
  GW_MAC,
  icmpEcho,
  ip,
  ipv4Frame,
  ipv4Packet,
  tcpSegment,
  udpDatagram,
} from './testing.js';
import type { HostConnection, HostSockets } from './hostSockets.js';
import type { TcpSegmentReceiver } from './userNetwork.js';
import { hex, u16, u32, setup, ipv4Of } from './userNetworkTestHarness.js';

describe('UserModeNetwork: ARP', () => {
  it('answers ARP for the static gateway 10.0.0.1 from a guest at 10.0.0.2, after a delay', () => {
    const { net, out, scheduler } = setup();
    net.receiveFrame(arpRequestFrame('10.0.0.2', '10.0.0.1'));
    expect(out).toHaveLength(0); // never synchronously inside the guest's transmit
    scheduler.advance(1_000_000);
    expect(out).toHaveLength(1);
    const r = out[0]!;
    expect(r.length).toBe(60);
    expect(hex(r.subarray(0, 6))).toBe(GUEST_MAC);
    expect(hex(r.subarray(6, 12))).toBe(GW_MAC);
    expect(u16(r, 12)).toBe(0x0806);
    expect(Array.from(r.subarray(14, 42))).toEqual(
      arpPacket(2, GW_MAC, '10.0.0.1', GUEST_MAC, '10.0.0.2'),
    );
    expect(formatIpv4(net.guestIp)).toBe('10.0.0.2');
    expect(hex(net.guestMac!)).toBe(GUEST_MAC);
    expect(net.stats.arpReplies).toBe(1);
  });

  it('does not answer probes, gratuitous ARP, or requests for the guest’s own address', () => {
    const { net, exchange } = setup();
    expect(exchange(arpRequestFrame('0.0.0.0', '10.0.2.15'))).toHaveLength(0); // RFC 5227 probe
    expect(net.guestIp).toBe(0);
    expect(net.stats.dropped.malformed).toBe(0); // a probe is no error
    expect(exchange(arpRequestFrame('10.0.2.15', '10.0.2.15'))).toHaveLength(0); // announcement
    expect(formatIpv4(net.guestIp)).toBe('10.0.2.15');
    const reply = ethernet(
      GW_MAC,
      GUEST_MAC,
      0x0806,
      arpPacket(2, GUEST_MAC, '10.0.2.15', GW_MAC, '10.0.2.2'),
    );
    expect(exchange(reply)).toHaveLength(0);
    expect(exchange(arpRequestFrame('10.0.2.16', '10.0.2.2'))).toHaveLength(1);
    expect(net.stats.arpReplies).toBe(1);
  });
});

describe('UserModeNetwork: ICMP echo', () => {
  const data = Array.from({ length: 56 }, (_, i) => (i * 7 + 3) & 0xff);

  for (const [guest, gateway, arpFirst] of [
    ['10.0.0.2', '10.0.0.1', true],
    ['10.0.0.2', '10.0.2.2', false],
    ['10.0.2.15', '10.0.2.2', true],
    ['10.0.2.15', '10.0.2.3', false],
  ] as const) {
    it(`answers a ping from ${guest} to ${gateway}`, () => {
      const { net, exchange } = setup();
      if (arpFirst) expect(exchange(arpRequestFrame(guest, gateway))).toHaveLength(1);
      const replies = exchange(ipv4Frame(guest, gateway, 1, icmpEcho(0x1234, 7, data)));
      expect(replies).toHaveLength(1);
      const r = replies[0]!;
      expect(hex(r.subarray(0, 6))).toBe(GUEST_MAC);
      expect(hex(r.subarray(6, 12))).toBe(GW_MAC);
      const p = ipv4Of(r);
      expect([p.src, p.dst, p.protocol]).toEqual([gateway, guest, 1]);
      expect(internetChecksum(p.payload)).toBe(0);
      expect(Array.from(p.payload)).toEqual(icmpEcho(0x1234, 7, data, 0));
      expect(net.stats.icmpEchoReplies).toBe(1);
    });
  }

  it('does not answer pings beyond the link, nor echo replies', () => {
    const { net, exchange } = setup();
    expect(exchange(ipv4Frame('10.0.0.2', '8.8.8.8', 1, icmpEcho(1, 1, [1, 2, 3])))).toHaveLength(
      0,
    );
    expect(net.stats.dropped.noRoute).toBe(1);
    // 10.0.0.1 was never claimed by an ARP reply: not one of the gateway's addresses.
    expect(exchange(ipv4Frame('10.0.0.2', '10.0.0.1', 1, icmpEcho(1, 1, [1])))).toHaveLength(0);
    expect(exchange(ipv4Frame('10.0.0.2', '10.0.2.2', 1, icmpEcho(1, 1, [1], 0)))).toHaveLength(0);
    expect(net.stats.dropped.noRoute).toBe(2);
    expect(net.stats.dropped.unsupported).toBe(1);
  });
});

/** The DHCP options of a reply as code → bytes. */
function dhcpReplyOf(frame: Uint8Array) {
  const p = ipv4Of(frame);
  expect(p.protocol).toBe(17);
  const udp = p.payload;
  expect([u16(udp, 0), u16(udp, 2)]).toEqual([67, 68]);
  expect(transportChecksum(ip(p.src), ip(p.dst), 17, udp, 0, udp.length)).toBe(0);
  const m = udp.subarray(8);
  expect(m[0]).toBe(2); // BOOTREPLY
  expect(u32(m, 236)).toBe(0x63825363);
  const options = new Map<number, number[]>();
  for (let i = 240; m[i] !== 255;) {
    if (m[i] === 0) {
      i++;
      continue;
    }
    options.set(m[i]!, Array.from(m.subarray(i + 2, i + 2 + m[i + 1]!)));
    i += 2 + m[i + 1]!;
  }
  return {
    ...p,
    xid: u32(m, 4),
    ciaddr: formatIpv4(u32(m, 12)),
    yiaddr: formatIpv4(u32(m, 16)),
    chaddr: hex(m.subarray(28, 34)),
    type: options.get(53)?.[0],
    options,
  };
}

describe('UserModeNetwork: DHCP', () => {
  it('leases 10.0.2.15 with router, DNS, mask and lease time (DISCOVER, OFFER, REQUEST, ACK)', () => {
    const { net, exchange } = setup();
    const params = [55, 1, 3, 6, 51];
    const [offer] = exchange(dhcpFrame(dhcpMessage(0xcafe0001, [[53, DHCP.DISCOVER], params])));
    expect(offer).toBeDefined();
    const o = dhcpReplyOf(offer!);
    expect(o.type).toBe(DHCP.OFFER);
    expect(o.xid).toBe(0xcafe0001);
    expect(o.yiaddr).toBe('10.0.2.15');
    expect(o.chaddr).toBe(GUEST_MAC);
    expect(o.src).toBe('10.0.2.2');
    expect(o.dst).toBe('10.0.2.15'); // unicast: the client did not set the broadcast bit
    expect(hex(offer!.subarray(0, 6))).toBe(GUEST_MAC);
    expect(o.options.get(54)).toEqual([10, 0, 2, 2]);
    expect(o.options.get(1)).toEqual([255, 255, 255, 0]);
    expect(o.options.get(3)).toEqual([10, 0, 2, 2]);
    expect(o.options.get(6)).toEqual([10, 0, 2, 3]);
    expect(o.options.get(51)).toEqual([0, 1, 0x51, 0x80]); // 86400 s

    const request = dhcpMessage(
      0xcafe0002,
      [[53, DHCP.REQUEST], [50, 10, 0, 2, 15], [54, 10, 0, 2, 2], params],
      { broadcast: true },
    );
    const [ack] = exchange(dhcpFrame(request));
    const a = dhcpReplyOf(ack!);
    expect(a.type).toBe(DHCP.ACK);
    expect(a.xid).toBe(0xcafe0002);
    expect(a.yiaddr).toBe('10.0.2.15');
    expect(a.dst).toBe('255.255.255.255'); // the broadcast bit asked for it
    expect(hex(ack!.subarray(0, 6))).toBe(BROADCAST);
    expect(a.options.get(3)).toEqual([10, 0, 2, 2]);
    expect(a.options.get(6)).toEqual([10, 0, 2, 3]);
    expect(a.options.get(1)).toEqual([255, 255, 255, 0]);
    expect(a.options.get(51)).toEqual([0, 1, 0x51, 0x80]);
    expect(formatIpv4(net.guestIp)).toBe('10.0.2.15');
    expect(net.stats.dhcpReplies).toBe(2);
  });

  it('NAKs a request for another address, ignores requests to other servers, ACKs INFORM without a lease', () => {
    const { net, exchange } = setup();
    const [nak] = exchange(
      dhcpFrame(
        dhcpMessage(1, [
          [53, DHCP.REQUEST],
          [50, 192, 168, 1, 9],
        ]),
      ),
    );
    const n = dhcpReplyOf(nak!);
    expect(n.type).toBe(DHCP.NAK);
    expect(n.dst).toBe('255.255.255.255');
    expect(
      exchange(
        dhcpFrame(
          dhcpMessage(2, [
            [53, DHCP.REQUEST],
            [50, 10, 0, 2, 15],
            [54, 10, 0, 2, 9],
          ]),
        ),
      ),
    ).toHaveLength(0);
    const inform = dhcpMessage(3, [[53, DHCP.INFORM]], { ciaddr: '10.0.2.15' });
    const [ack] = exchange(dhcpFrame(inform, '10.0.2.15', '10.0.2.2', GW_MAC));
    const a = dhcpReplyOf(ack!);
    expect(a.type).toBe(DHCP.ACK);
    expect(a.yiaddr).toBe('0.0.0.0');
    expect(a.dst).toBe('10.0.2.15');
    expect(a.options.has(51)).toBe(false);
    expect(a.options.get(3)).toEqual([10, 0, 2, 2]);
    // RENEWING: ciaddr, no requested address, unicast to the server.
    const renew = dhcpMessage(4, [[53, DHCP.REQUEST]], { ciaddr: '10.0.2.15' });
    const r = dhcpReplyOf(exchange(dhcpFrame(renew, '10.0.2.15', '10.0.2.2', GW_MAC))[0]!);
    expect([r.type, r.dst, r.yiaddr]).toEqual([DHCP.ACK, '10.0.2.15', '10.0.2.15']);
    expect(
      exchange(
        dhcpFrame(
          dhcpMessage(5, [[53, DHCP.RELEASE]], { ciaddr: '10.0.2.15' }),
          '10.0.2.15',
          '10.0.2.2',
          GW_MAC,
        ),
      ),
    ).toHaveLength(0);
    expect(net.stats.dropped.malformed).toBe(0);
    // Plain BOOTP (no message type) is not served.
    expect(exchange(dhcpFrame(dhcpMessage(6, [])))).toHaveLength(0);
    expect(net.stats.dropped.malformed).toBe(1);
  });
});

describe('UserModeNetwork: UDP', () => {
  it('answers UDP to an unserved gateway port (DNS) with ICMP port unreachable quoting the datagram', () => {
    const { net, exchange } = setup();
    const query = udpDatagram('10.0.2.15', '10.0.2.3', 5353, 53, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const packet = ipv4Packet('10.0.2.15', '10.0.2.3', 17, query);
    const [r] = exchange(ethernet(GW_MAC, GUEST_MAC, 0x0800, packet));
    const p = ipv4Of(r!);
    expect([p.src, p.dst, p.protocol]).toEqual(['10.0.2.3', '10.0.2.15', 1]);
    expect([p.payload[0], p.payload[1]]).toEqual([3, 3]);
    expect(internetChecksum(p.payload)).toBe(0);
    expect(Array.from(p.payload.subarray(8))).toEqual(packet.slice(0, 28));
    expect(net.stats.icmpUnreachables).toBe(1);
    expect(exchange(ipv4Frame('10.0.2.15', '1.1.1.1', 17, query.slice()))).toHaveLength(0);
  });
});

describe('UserModeNetwork: TCP dispatch', () => {
  function withFakeTcp() {
    const got: { src: string; dst: string; segment: number[] }[] = [];
    let send: ((s: number, d: number, seg: Uint8Array) => void) | null = null;
    const t = setup({
      createTcp: (o) => {
        send = o.send;
        const engine: TcpSegmentReceiver = {
          receive: (src, dst, segment) =>
            got.push({ src: formatIpv4(src), dst: formatIpv4(dst), segment: Array.from(segment) }),
        };
        return engine;
      },
    });
    return {
      ...t,
      got,
      send: (s: string, d: string, seg: number[]) => send!(ip(s), ip(d), Uint8Array.from(seg)),
    };
  }

  it('passes verified segments to the engine and frames what it sends', () => {
    const { net, got, send, exchange, scheduler, out } = withFakeTcp();
    const syn = tcpSegment('10.0.0.2', '10.0.0.1', 40000, 80, 1000, 0x02, [], [2, 4, 0x02, 0x18]);
    expect(exchange(ipv4Frame('10.0.0.2', '10.0.0.1', 6, syn))).toHaveLength(0);
    expect(got).toEqual([{ src: '10.0.0.2', dst: '10.0.0.1', segment: syn }]);
    const bad = syn.slice();
    bad[4]! ^= 1;
    exchange(ipv4Frame('10.0.0.2', '10.0.0.1', 6, bad));
    expect(got).toHaveLength(1);
    expect(net.stats.dropped.checksum).toBe(1);

    const synAck = tcpSegment('10.0.0.1', '10.0.0.2', 80, 40000, 5000, 0x12);
    send('10.0.0.1', '10.0.0.2', synAck);
    expect(out).toHaveLength(0);
    scheduler.advance(1_000_000);
    expect(out).toHaveLength(1);
    const p = ipv4Of(out[0]!);
    expect([p.src, p.dst, p.protocol, p.ttl]).toEqual(['10.0.0.1', '10.0.0.2', 6, 64]);
    expect(Array.from(p.payload)).toEqual(synAck);
    expect(hex(out[0]!.subarray(0, 6))).toBe(GUEST_MAC);
    expect(net.stats.tcpSegmentsIn).toBe(1);
    expect(net.stats.tcpSegmentsOut).toBe(1);
  });

  it('resolves the guest’s MAC with ARP when the engine sends before the guest has spoken', () => {
    const { net, send, out, scheduler } = withFakeTcp();
    send('10.0.2.2', '10.0.2.15', tcpSegment('10.0.2.2', '10.0.2.15', 5000, 80, 1, 0x02));
    scheduler.advance(1_000_000);
    expect(out).toHaveLength(1);
    expect(u16(out[0]!, 12)).toBe(0x0806);
    expect(Array.from(out[0]!.subarray(14, 42))).toEqual(
      arpPacket(1, GW_MAC, '10.0.2.2', '00:00:00:00:00:00', '10.0.2.15'),
    );
    out.length = 0;
    net.receiveFrame(
      ethernet(GW_MAC, GUEST_MAC, 0x0806, arpPacket(2, GUEST_MAC, '10.0.2.15', GW_MAC, '10.0.2.2')),
    );
    scheduler.advance(1_000_000);
    expect(out).toHaveLength(1);
    expect(hex(out[0]!.subarray(0, 6))).toBe(GUEST_MAC);
    expect(ipv4Of(out[0]!).protocol).toBe(6);
  });

  it('with the real engine (restrict on), a SYN to a closed port gets a reset', () => {
    const { exchange } = setup({ createTcp: undefined });
    const [r] = exchange(
      ipv4Frame(
        '10.0.2.15',
        '10.0.2.2',
        6,
        tcpSegment('10.0.2.15', '10.0.2.2', 40000, 81, 1, 0x02),
      ),
    );
    const p = ipv4Of(r!);
    expect(p.protocol).toBe(6);
    expect(transportChecksum(ip(p.src), ip(p.dst), 6, p.payload, 0, p.payload.length)).toBe(0);
    expect(p.payload[13]! & 0x04).toBe(0x04); // RST
  });
});

describe('UserModeNetwork: a forward before the guest has spoken', () => {
  /** A host side whose one forward listener the test connects to. */
  function withForward() {
    let accept: ((c: HostConnection) => void) | null = null;
    const host: HostSockets = {
      listenTcp: (_h, port, cb) => {
        accept = (c) => cb(c, { address: '127.0.0.1', port: 40000 });
        return Promise.resolve({ port, close: () => {} });
      },
      connectTcp: (_h, _p, done) => done(null, 'none'),
    };
    const forwards = [
      {
        proto: 'tcp' as const,
        hostAddress: '127.0.0.1',
        hostPort: 2323,
        guestAddress: null,
        guestPort: 23,
      },
    ];
    const t = setup({ createTcp: undefined, host, forwards });
    const client = () => {
      const c: HostConnection & { destroyed: boolean } = {
        destroyed: false,
        write: () => true,
        end: () => {},
        destroy: () => {
          c.destroyed = true;
        },
        pause: () => {},
        resume: () => {},
        onData: () => {},
        onEnd: () => {},
        onClose: () => {},
        onDrain: () => {},
      };
      accept!(c);
      return c;
    };
    return { ...t, client };
  }

  it('asks by ARP for the usual guest addresses and connects once a silent static guest (NuttX 10.0.0.2) answers', async () => {
    const { net, out, scheduler, client, exchange } = withForward();
    await net.startForwards();
    const c = client(); // NuttX's netnsh has sent nothing: no guest address learned yet
    expect(c.destroyed).toBe(false);
    scheduler.advance(1_000_000);
    const asked = out.splice(0).map((f) => Array.from(f.subarray(14, 42)));
    expect(asked).toEqual([
      arpPacket(1, GW_MAC, '10.0.2.2', '00:00:00:00:00:00', '10.0.2.15'),
      arpPacket(1, GW_MAC, '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2'),
    ]);
    // The guest answers for its static address; the SYN to its port 23 follows.
    const [syn] = exchange(
      ethernet(GW_MAC, GUEST_MAC, 0x0806, arpPacket(2, GUEST_MAC, '10.0.0.2', GW_MAC, '10.0.0.1')),
    );
    const p = ipv4Of(syn!);
    expect([p.src, p.dst, p.protocol]).toEqual(['10.0.0.1', '10.0.0.2', 6]);
    expect(u16(p.payload, 2)).toBe(23);
    expect(p.payload[13]).toBe(0x02); // SYN
    expect(hex(syn!.subarray(0, 6))).toBe(GUEST_MAC);
    expect(c.destroyed).toBe(false);
    // The guest took 10.0.0.1's MAC from the request without asking: pings to it are answered.
    const [reply] = exchange(ipv4Frame('10.0.0.2', '10.0.0.1', 1, icmpEcho(1, 1, [1, 2, 3, 4])));
    expect(ipv4Of(reply!).payload[0]).toBe(0); // echo reply
  });

  it('gives up after 3 s without an answer: the client sees a close', async () => {
    const { net, out, scheduler, client } = withForward();
    await net.startForwards();
    const c = client();
    scheduler.advance(2_900_000_000);
    expect(c.destroyed).toBe(false);
    expect(out.length).toBe(2 * 15);
    scheduler.advance(200_000_000);
    expect(c.destroyed).toBe(true);
    expect(scheduler.pending).toBe(0);
  });
});
