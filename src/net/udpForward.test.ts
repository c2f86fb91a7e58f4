import { describe, expect, it } from 'vitest';
import { fakeUdpHost, u16, u32, udpOf } from '../../test/helpers/udpHost.js';
import { formatIpv4 } from './checksum.js';
import type { HostSockets } from './hostSockets.js';
import { parseHostForward, type ForwardSpec } from './options.js';
import {
  arpRequestFrame,
  FakeScheduler,
  GUEST_MAC,
  ip,
  ipv4Frame,
  udpDatagram,
} from './testing.js';
import { newUdpForwardStats, UdpForwarder } from './udpForward.js';
import { UserModeNetwork } from './userNetwork.js';

async function setup(forwards: string[], fail?: (address: string, port: number) => string | null) {
  const scheduler = new FakeScheduler();
  const { host, sockets } = fakeUdpHost(fail);
  const net = new UserModeNetwork({
    scheduler,
    createTcp: null,
    host,
    forwards: forwards.map(parseHostForward),
  });
  const out: Uint8Array[] = [];
  net.onFrame = (f) => out.push(f);
  await net.startForwards();
  /** A frame from the guest; returns what the network sends back within 1 ms. */
  const exchange = (frame: Uint8Array): Uint8Array[] => {
    out.length = 0;
    net.receiveFrame(frame);
    scheduler.advance(1_000_000);
    return out.splice(0);
  };
  /** A datagram from a host client to forward `i`; returns the frames to the guest. */
  const fromHost = (i: number, data: number[], address = '127.0.0.1', port = 50000) => {
    out.length = 0;
    sockets[i]!.onMessage(Uint8Array.from(data), { address, port });
    scheduler.advance(1_000_000);
    return out.splice(0);
  };
  /** The guest (static 10.0.0.2, or the DHCP lease 10.0.2.15) makes itself known by ARP. */
  const guestSpeaks = (guest = '10.0.0.2', gateway = '10.0.0.1') =>
    expect(exchange(arpRequestFrame(guest, gateway))).toHaveLength(1);
  /** The guest's datagram from its port `srcPort` to the gateway's `dstPort`. */
  const guestSends = (
    srcPort: number,
    dstPort: number,
    data: number[],
    guest = '10.0.0.2',
    gateway = '10.0.0.1',
  ) => exchange(ipv4Frame(guest, gateway, 17, udpDatagram(guest, gateway, srcPort, dstPort, data)));
  return { scheduler, net, sockets, out, exchange, fromHost, guestSpeaks, guestSends };
}

describe('UDP forwards (hostfwd=udp:)', () => {
  it('carries a host datagram to the guest’s port, from the gateway, and the answer back', async () => {
    const t = await setup(['udp::5555-:7']);
    expect(t.sockets.map((s) => [s.address, s.port])).toEqual([['127.0.0.1', 5555]]);
    t.guestSpeaks();
    const [frame, ...more] = t.fromHost(0, [1, 2, 3, 4, 5], '127.0.0.1', 61000);
    expect(more).toEqual([]);
    const d = udpOf(frame!);
    expect([d.dstMac, d.src, d.dst, d.dstPort, d.data]).toEqual([
      GUEST_MAC,
      '10.0.0.1',
      '10.0.0.2',
      7,
      [1, 2, 3, 4, 5],
    ]);
    expect(d.srcPort).toBeGreaterThanOrEqual(49152);
    // The echo server answers to where the datagram came from: back to the host client.
    expect(t.guestSends(7, d.srcPort, [9, 8, 7])).toEqual([]); // no ICMP unreachable
    expect(t.sockets[0]!.sent).toEqual([{ data: [9, 8, 7], address: '127.0.0.1', port: 61000 }]);
    expect(t.net.stats.udpForwardedIn).toBe(1);
    expect(t.net.stats.udpForwardedOut).toBe(1);
    expect(t.net.stats.icmpUnreachables).toBe(0);
  });

  it('comes from 10.0.2.2 to a DHCP-configured guest (slirp’s addressing)', async () => {
    const t = await setup(['udp:127.0.0.1:0-:69']);
    t.guestSpeaks('10.0.2.15', '10.0.2.2');
    const d = udpOf(t.fromHost(0, [0, 1, 0x66, 0])[0]!);
    expect([d.src, d.dst, d.dstPort]).toEqual(['10.0.2.2', '10.0.2.15', 69]);
    // A TFTP server answers from a new port: only the gateway port names the client.
    t.guestSends(3000, d.srcPort, [0, 3], '10.0.2.15', '10.0.2.2');
    expect(t.sockets[0]!.sent).toEqual([{ data: [0, 3], address: '127.0.0.1', port: 50000 }]);
  });

  it('gives two host clients their own gateway ports, and their answers do not cross', async () => {
    const t = await setup(['udp::5555-:7']);
    t.guestSpeaks();
    const a = udpOf(t.fromHost(0, [0xa], '127.0.0.1', 1111)[0]!);
    const b = udpOf(t.fromHost(0, [0xb], '127.0.0.2', 2222)[0]!);
    const a2 = udpOf(t.fromHost(0, [0xa, 2], '127.0.0.1', 1111)[0]!);
    expect(a.srcPort).not.toBe(b.srcPort);
    expect(a2.srcPort).toBe(a.srcPort); // the same client keeps its port
    t.guestSends(7, b.srcPort, [0xbb]);
    t.guestSends(7, a.srcPort, [0xaa]);
    expect(t.sockets[0]!.sent).toEqual([
      { data: [0xbb], address: '127.0.0.2', port: 2222 },
      { data: [0xaa], address: '127.0.0.1', port: 1111 },
    ]);
    // Another gateway port, or the right port on another address, answers nobody: unreachable.
    const [icmp] = t.guestSends(7, Math.max(a.srcPort, b.srcPort) + 1, [0xcc]);
    expect([icmp![23], icmp![34], icmp![35]]).toEqual([1, 3, 3]);
    expect(t.guestSends(7, a.srcPort, [0xdd], '10.0.0.2', '10.0.2.2')).toHaveLength(1);
    expect(t.sockets[0]!.sent).toHaveLength(2);
    expect(t.net.stats.icmpUnreachables).toBe(2);
  });

  it('drops and counts datagrams while no guest address is known, unless the forward names one', async () => {
    const t = await setup(['udp::5555-:7', 'udp::5556-10.0.0.9:7']);
    expect(t.fromHost(0, [1])).toEqual([]);
    expect(t.net.stats.udpDropped.noGuest).toBe(1);
    expect(t.net.stats.udpForwardedIn).toBe(0);
    // A named guest address needs no learning: the network asks for its MAC and sends.
    const [arp, ...rest] = t.fromHost(1, [2]);
    expect(rest).toEqual([]);
    expect(u16(arp!, 12)).toBe(0x0806);
    expect(formatIpv4(u32(arp!, 38))).toBe('10.0.0.9');
    // The guest's ARP teaches its MAC: the held datagram goes (with the ARP reply).
    const answered = t.exchange(arpRequestFrame('10.0.0.9', '10.0.0.1'));
    expect(answered).toHaveLength(2);
    const sent = answered.filter((f) => u16(f, 12) === 0x0800).map(udpOf);
    expect(sent.map((d) => [d.src, d.dst, d.dstPort, d.data])).toEqual([
      ['10.0.0.1', '10.0.0.9', 7, [2]],
    ]);
    expect(t.net.stats.udpDropped.noGuest).toBe(1);
  });

  it('drops datagrams larger than one unfragmented frame carries (1472 bytes of data)', async () => {
    const t = await setup(['udp::5555-:7']);
    t.guestSpeaks();
    const [full] = t.fromHost(0, new Array<number>(1472).fill(0x5a));
    expect(full!.length).toBe(14 + 20 + 8 + 1472);
    expect(udpOf(full!).data).toHaveLength(1472);
    expect(t.fromHost(0, new Array<number>(1473).fill(0x5a))).toEqual([]);
    expect(t.net.stats.udpDropped.oversized).toBe(1);
    expect(t.net.stats.udpForwardedIn).toBe(1);
  });

  it('forgets a client after 60 s of virtual time without traffic, and not before', async () => {
    const t = await setup(['udp::5555-:7']);
    t.guestSpeaks();
    const port = udpOf(t.fromHost(0, [1])[0]!).srcPort;
    t.scheduler.advance(40e9);
    t.guestSends(7, port, [2]); // traffic either way keeps the mapping
    t.scheduler.advance(40e9);
    expect(t.guestSends(7, port, [3])).toEqual([]);
    expect(t.sockets[0]!.sent).toHaveLength(2);
    expect(t.net.stats.udpMappingsExpired).toBe(0);
    t.scheduler.advance(60e9);
    expect(t.net.stats.udpMappingsExpired).toBe(1);
    expect(t.scheduler.pending).toBe(0); // no alarm left behind
    const [icmp] = t.guestSends(7, port, [4]);
    expect([icmp![23], icmp![34], icmp![35]]).toEqual([1, 3, 3]); // port unreachable now
    expect(t.sockets[0]!.sent).toHaveLength(2);
    // The client's next datagram gets a new mapping.
    expect(udpOf(t.fromHost(0, [5])[0]!).srcPort).not.toBe(port);
  });

  it('rejects startForwards naming each forward whose socket could not be bound', async () => {
    const inUse = (_a: string, port: number) => (port === 5353 ? 'cannot bind: in use' : null);
    await expect(setup(['udp::5353-:53'], inUse)).rejects.toThrow(
      'hostfwd=udp:127.0.0.1:5353-:53: cannot bind: in use',
    );
    // Several failures, TCP's and UDP's, are named together; what did bind is closed again.
    const { host, sockets } = fakeUdpHost(inUse);
    const both = new UserModeNetwork({
      scheduler: new FakeScheduler(),
      host, // and the default TCP engine, whose listener the host refuses
      forwards: ['tcp::8080-:80', 'udp::5000-:7', 'udp:127.0.0.1:5353-10.0.0.2:53'].map(
        parseHostForward,
      ),
    });
    await expect(both.startForwards()).rejects.toThrow(
      /^hostfwd=tcp:127\.0\.0\.1:8080-:80: no tcp here; hostfwd=udp:127\.0\.0\.1:5353-10\.0\.0\.2:53: cannot bind: in use$/,
    );
    expect(sockets.map((s) => [s.port, s.closed])).toEqual([[5000, true]]);
    // A host adapter without UDP sockets (a page adapter) says so.
    const scheduler = new FakeScheduler();
    const noUdp: HostSockets = { ...fakeUdpHost().host, bindUdp: undefined };
    const net = new UserModeNetwork({
      scheduler,
      createTcp: null,
      host: noUdp,
      forwards: [parseHostForward('udp::0-:7')],
    });
    await expect(net.startForwards()).rejects.toThrow(
      'hostfwd=udp:127.0.0.1:0-:7: this host has no UDP sockets',
    );
  });

  it('closes its sockets with the network, and ignores datagrams after', async () => {
    const t = await setup(['udp::5555-:7', 'udp::5556-:8']);
    t.guestSpeaks();
    t.net.close();
    expect(t.sockets.map((s) => s.closed)).toEqual([true, true]);
    expect(t.fromHost(0, [1])).toEqual([]);
    expect(t.net.stats.udpForwardedIn).toBe(0);
  });
});

describe('UdpForwarder: the table of clients', () => {
  it('evicts the least recently used client when full', async () => {
    const scheduler = new FakeScheduler();
    const { host, sockets } = fakeUdpHost();
    const stats = newUdpForwardStats();
    const sent: { src: number; dst: number; srcPort: number }[] = [];
    const forward: ForwardSpec = parseHostForward('udp::0-:7');
    const f = new UdpForwarder({
      forwards: [forward],
      host,
      scheduler,
      guestIp: () => ip('10.0.0.2'),
      send: (src, dst, d) => sent.push({ src, dst, srcPort: u16(d, 0) }),
      stats,
      maxMappings: 2,
    });
    await f.start();
    const s = sockets[0]!;
    const from = (port: number) =>
      s.onMessage(Uint8Array.of(port & 0xff), { address: '127.0.0.1', port });
    from(1); // client 1 → gateway port p1
    from(2); // client 2 → p2
    from(1); // client 1 is used again: client 2 is now the least recently used
    from(3); // the table is full: client 2 goes
    expect(f.mappings).toBe(2);
    expect(stats.udpMappingsEvicted).toBe(1);
    const [p1, p2, , p3] = sent.map((x) => x.srcPort);
    expect(new Set([p1, p2, p3]).size).toBe(3);
    expect(
      sent.every((x) => formatIpv4(x.src) === '10.0.0.1' && formatIpv4(x.dst) === '10.0.0.2'),
    ).toBe(true);
    const gw = ip('10.0.0.1');
    const guest = ip('10.0.0.2');
    expect(f.receive(guest, gw, p2!, Uint8Array.of(2))).toBe(false);
    expect(f.receive(guest, gw, p1!, Uint8Array.of(1))).toBe(true);
    expect(f.receive(guest, gw, p3!, Uint8Array.of(3))).toBe(true);
    expect(s.sent.map((x) => x.port)).toEqual([1, 3]);
    f.close();
    expect(s.closed).toBe(true);
    expect(scheduler.pending).toBe(0);
  });
});
