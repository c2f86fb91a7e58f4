import { describe, expect, it } from 'vitest';
import { fakeUdpHost, udpOf, type FakeUdpSocket } from '../../test/helpers/udpHost.js';
import { arpRequestFrame, FakeScheduler, GUEST_MAC, ipv4Frame, udpDatagram } from './testing.js';
import { UserModeNetwork, type UserModeNetworkOptions } from './userNetwork.js';

/** An ICMP port unreachable in a frame to the guest: [type, code]. */
const icmpOf = (frame: Uint8Array) => {
  expect(frame[23]).toBe(1);
  return [frame[34], frame[35]];
};

const RESOLVER = { address: '192.168.1.1', port: 53 };

function setup(options: Partial<UserModeNetworkOptions> = {}, fail = false) {
  const scheduler = new FakeScheduler();
  const { host, sockets } = fakeUdpHost(fail);
  const net = new UserModeNetwork({ scheduler, createTcp: null, host, ...options });
  const out: Uint8Array[] = [];
  net.onFrame = (f) => out.push(f);
  /** Lets the bind promises settle, then runs what is due within 1 ms. */
  const settle = async (): Promise<Uint8Array[]> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    scheduler.advance(1_000_000);
    return out.splice(0);
  };
  const exchange = async (frame: Uint8Array): Promise<Uint8Array[]> => {
    out.length = 0;
    net.receiveFrame(frame);
    return settle();
  };
  const guestSends = (
    srcPort: number,
    dst: string,
    dstPort: number,
    data: number[],
    guest = '10.0.2.15',
  ) => exchange(ipv4Frame(guest, dst, 17, udpDatagram(guest, dst, srcPort, dstPort, data)));
  const fromHost = (s: FakeUdpSocket, data: number[], address: string, port: number) => {
    out.length = 0;
    s.onMessage(Uint8Array.from(data), { address, port });
    scheduler.advance(1_000_000);
    return out.splice(0);
  };
  return { scheduler, net, sockets, exchange, guestSends, fromHost };
}

describe('guest-started UDP: DNS relay', () => {
  it('relays a query to 10.0.2.3:53 to the host resolver and the answer back from 10.0.2.3:53', async () => {
    const t = setup({ dnsServer: RESOLVER });
    expect(await t.guestSends(1234, '10.0.2.3', 53, [0xab, 0xcd, 1, 0])).toEqual([]);
    expect(t.sockets).toHaveLength(1);
    const s = t.sockets[0]!;
    expect(s.address).toBe('0.0.0.0');
    expect(s.sent).toEqual([{ data: [0xab, 0xcd, 1, 0], address: '192.168.1.1', port: 53 }]);
    const [frame, ...more] = t.fromHost(s, [0xab, 0xcd, 0x81, 0x80, 9], '192.168.1.1', 53);
    expect(more).toEqual([]);
    const d = udpOf(frame!);
    expect([d.dstMac, d.src, d.srcPort, d.dst, d.dstPort, d.data]).toEqual([
      GUEST_MAC,
      '10.0.2.3',
      53,
      '10.0.2.15',
      1234,
      [0xab, 0xcd, 0x81, 0x80, 9],
    ]);
    // A second query from the same port reuses the socket.
    await t.guestSends(1234, '10.0.2.3', 53, [0xab, 0xce]);
    expect(t.sockets).toHaveLength(1);
    expect(s.sent).toHaveLength(2);
    expect(t.net.stats.dnsQueriesRelayed).toBe(2);
    expect(t.net.stats.dnsAnswersRelayed).toBe(1);
    expect(t.net.stats.icmpUnreachables).toBe(0);
  });

  it('is allowed with restrict on (the default) and ignores datagrams from other hosts', async () => {
    const t = setup({ dnsServer: RESOLVER });
    expect(t.net.restrict).toBe(true);
    await t.guestSends(5000, '10.0.2.3', 53, [1]);
    const s = t.sockets[0]!;
    expect(t.fromHost(s, [2], '6.6.6.6', 53)).toEqual([]);
    expect(t.fromHost(s, [2], '192.168.1.1', 5353)).toEqual([]);
    expect(t.net.stats.udpRelayDropped.stranger).toBe(2);
    // Other ports of 10.0.2.3 are still unreachable.
    const [icmp] = await t.guestSends(5000, '10.0.2.3', 54, [1]);
    expect(icmpOf(icmp!)).toEqual([3, 3]);
  });

  it('answers port unreachable without a resolver, or when the host cannot bind', async () => {
    const t = setup();
    const [icmp] = await t.guestSends(1234, '10.0.2.3', 53, [1, 2]);
    expect(icmpOf(icmp!)).toEqual([3, 3]);
    expect(t.sockets).toHaveLength(0);
    expect(t.net.stats.icmpUnreachables).toBe(1);

    const f = setup({ dnsServer: RESOLVER }, true);
    expect(await f.guestSends(1234, '10.0.2.3', 53, [1, 2])).toEqual([]);
    expect(f.net.stats.udpRelayDropped.bindFailed).toBe(1);
  });

  it('forgets a query socket after 10 s of virtual time without traffic', async () => {
    const t = setup({ dnsServer: RESOLVER });
    await t.guestSends(1234, '10.0.2.3', 53, [1]);
    const s = t.sockets[0]!;
    t.scheduler.advance(9e9);
    expect(s.closed).toBe(false);
    t.fromHost(s, [1], '192.168.1.1', 53); // the answer keeps it a while longer
    t.scheduler.advance(9e9);
    expect(s.closed).toBe(false);
    t.scheduler.advance(2e9);
    expect(s.closed).toBe(true);
    expect(t.net.stats.udpRelaysExpired).toBe(1);
    // A late answer to the closed socket is not delivered.
    expect(t.fromHost(s, [1], '192.168.1.1', 53)).toEqual([]);
    // A new query binds a new socket.
    await t.guestSends(1234, '10.0.2.3', 53, [2]);
    expect(t.sockets).toHaveLength(2);
  });
});

describe('guest-started UDP to the gateway', () => {
  it('with restrict on, the guest gets port unreachable and no socket is bound', async () => {
    const t = setup({ dnsServer: RESOLVER });
    const [icmp] = await t.guestSends(3000, '10.0.2.2', 7777, [1]);
    expect(icmpOf(icmp!)).toEqual([3, 3]);
    expect(t.sockets).toHaveLength(0);
    expect(t.net.stats.udpRelayedOut).toBe(0);
  });

  it('with restrict off, reaches 127.0.0.1:P and the answer comes from the gateway:P', async () => {
    const t = setup({ restrict: false });
    expect(await t.guestSends(3000, '10.0.2.2', 7777, [1, 2, 3])).toEqual([]);
    const s = t.sockets[0]!;
    expect(s.address).toBe('127.0.0.1');
    expect(s.sent).toEqual([{ data: [1, 2, 3], address: '127.0.0.1', port: 7777 }]);
    const d = udpOf(t.fromHost(s, [4, 5], '127.0.0.1', 7777)[0]!);
    expect([d.src, d.srcPort, d.dst, d.dstPort, d.data]).toEqual([
      '10.0.2.2',
      7777,
      '10.0.2.15',
      3000,
      [4, 5],
    ]);
    // Another guest port gets its own host socket; the same port reuses its own.
    await t.guestSends(3001, '10.0.2.2', 7777, [6]);
    await t.guestSends(3000, '10.0.2.2', 7778, [7]);
    expect(t.sockets).toHaveLength(2);
    expect(t.sockets[1]!.sent).toEqual([{ data: [6], address: '127.0.0.1', port: 7777 }]);
    expect(s.sent[1]).toEqual({ data: [7], address: '127.0.0.1', port: 7778 });
    // Only loopback answers are taken.
    expect(t.fromHost(s, [8], '10.1.1.1', 7777)).toEqual([]);
    expect(t.net.stats.udpRelayedOut).toBe(3);
    expect(t.net.stats.udpRelayedIn).toBe(1);
    expect(t.net.stats.udpRelayDropped.stranger).toBe(1);
  });

  it('answers a static guest from its x.y.z.1 gateway', async () => {
    const t = setup({ restrict: false });
    expect(await t.exchange(arpRequestFrame('10.0.0.2', '10.0.0.1'))).toHaveLength(1);
    await t.guestSends(4000, '10.0.0.1', 9999, [1], '10.0.0.2');
    const s = t.sockets[0]!;
    expect(s.sent).toEqual([{ data: [1], address: '127.0.0.1', port: 9999 }]);
    const d = udpOf(t.fromHost(s, [2], '127.0.0.1', 9999)[0]!);
    expect([d.src, d.srcPort, d.dst, d.dstPort]).toEqual(['10.0.0.1', 9999, '10.0.0.2', 4000]);
    // An address beyond the link is no gateway: dropped as before.
    expect(await t.guestSends(4000, '8.8.8.8', 9999, [1], '10.0.0.2')).toEqual([]);
    expect(t.net.stats.dropped.noRoute).toBe(1);
  });

  it('forgets a relay after 60 s idle and bounds the table to 64, evicting the oldest', async () => {
    const t = setup({ restrict: false });
    await t.guestSends(3000, '10.0.2.2', 7777, [1]);
    const first = t.sockets[0]!;
    t.scheduler.advance(59e9);
    expect(first.closed).toBe(false);
    await t.guestSends(3000, '10.0.2.2', 7777, [2]); // used again: lives on
    t.scheduler.advance(59e9);
    expect(first.closed).toBe(false);
    t.scheduler.advance(2e9);
    expect(first.closed).toBe(true);
    expect(t.net.stats.udpRelaysExpired).toBe(1);

    for (let p = 0; p < 65; p++) await t.guestSends(10000 + p, '10.0.2.2', 7777, [p]);
    expect(t.sockets).toHaveLength(66);
    expect(t.sockets[1]!.closed).toBe(true); // guest port 10000, the least recently used
    expect(t.sockets.slice(2).every((s) => !s.closed)).toBe(true);
    expect(t.net.stats.udpRelaysEvicted).toBe(1);
    t.net.close();
    expect(t.sockets.every((s) => s.closed)).toBe(true);
  });
});
