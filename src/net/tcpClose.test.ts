/**
 * How the TCP engine's connections end: half closes either way, TIME_WAIT, resets from the guest
 * and from the host socket, the idle time-outs (RFC 5382 REQ-5) and the engine's close(). The
 * harness is in tcpTestHarness.ts.
 */
import { describe, expect, it } from 'vitest';
import { ACK, FIN, RST, SYN } from './tcpSegment.js';
import { MS, FakeConnection, setup, established, bytes } from './tcpTestHarness.js';

describe('TcpEngine: host → guest forwards', () => {
  it('half close: the guest finishes first, the host keeps sending, then closes', async () => {
    const h = setup();
    const c = await established(h);
    h.guest(80, c.port, { seq: c.guestSeq, ack: c.engineSeq, flags: ACK | FIN }, bytes(10));
    expect(h.take()).toMatchObject([{ flags: ACK, ack: c.guestSeq + 11 }]);
    expect(c.client.ended).toBe(true);
    expect(c.client.received.length).toBe(10);
    c.client.onData(bytes(20));
    expect(h.take()).toMatchObject([{ seq: c.engineSeq, payload: bytes(20) }]);
    c.client.onEnd();
    expect(h.take()).toMatchObject([{ flags: FIN | ACK, seq: c.engineSeq + 20 }]);
    h.guest(80, c.port, { seq: c.guestSeq + 11, ack: c.engineSeq + 21, flags: ACK });
    expect(h.engine.stats.active).toBe(0); // LAST_ACK → CLOSED
    expect(c.client.destroyed).toBe(false);
  });

  it('half close: the host finishes first, the guest keeps sending, then TIME_WAIT', async () => {
    const h = setup();
    const c = await established(h);
    c.client.onData(bytes(5));
    c.client.onEnd();
    const segs = h.take();
    expect(segs.at(-1)!.flags & FIN).toBe(FIN);
    h.guest(80, c.port, { seq: c.guestSeq, ack: c.engineSeq + 6, flags: ACK });
    h.guest(80, c.port, { seq: c.guestSeq, ack: c.engineSeq + 6, flags: ACK }, bytes(50));
    expect(h.take()).toMatchObject([{ flags: ACK, ack: c.guestSeq + 50 }]);
    expect(c.client.received).toEqual(bytes(50));
    expect(c.client.ended).toBe(false);
    h.guest(80, c.port, { seq: c.guestSeq + 50, ack: c.engineSeq + 6, flags: ACK | FIN });
    expect(h.take()).toMatchObject([{ flags: ACK, ack: c.guestSeq + 51 }]);
    expect(c.client.ended).toBe(true);
    expect(h.engine.stats.active).toBe(1); // TIME_WAIT
    h.guest(80, c.port, { seq: c.guestSeq + 50, ack: c.engineSeq + 6, flags: ACK | FIN });
    expect(h.take()).toMatchObject([{ flags: ACK, ack: c.guestSeq + 51 }]); // re-acked
    h.clock.advance(1000 * MS);
    expect(h.engine.stats.active).toBe(0);
  });

  it('a guest RST destroys the host socket; one off the exact sequence gets a challenge ACK', async () => {
    const h = setup();
    const c = await established(h);
    h.guest(80, c.port, { seq: c.guestSeq + 10, flags: RST });
    expect(h.take()).toMatchObject([{ flags: ACK, ack: c.guestSeq }]);
    expect(c.client.destroyed).toBe(false);
    h.guest(80, c.port, { seq: c.guestSeq, flags: RST });
    expect(h.take()).toEqual([]);
    expect(c.client.destroyed).toBe(true);
    expect(h.engine.stats).toMatchObject({ active: 0, resetsReceived: 1 });
  });

  it('a host socket error resets the guest connection', async () => {
    const h = setup();
    const c = await established(h);
    c.client.onData(bytes(10));
    h.take();
    c.client.onClose('ECONNRESET');
    expect(h.take()).toMatchObject([{ flags: RST | ACK, seq: c.engineSeq + 10 }]);
    expect(h.engine.stats).toMatchObject({ active: 0, resetsSent: 1 });
  });
});

describe('TcpEngine: idle time-outs (RFC 5382 REQ-5) and close()', () => {
  const ESTABLISHED_IDLE = (2 * 3600 + 4 * 60) * 1000 * MS; // the default: 2 h 4 min
  const TRANSITORY_IDLE = 4 * 60 * 1000 * MS; // the default: 4 min

  it('resets an idle established connection after 2 h 4 min, not before', async () => {
    const h = setup();
    const c = await established(h);
    h.clock.advance(ESTABLISHED_IDLE - MS);
    expect(h.take()).toEqual([]);
    expect(c.client.destroyed).toBe(false);
    expect(h.engine.stats).toMatchObject({ active: 1, idleTimeouts: 0 });
    h.clock.advance(MS);
    expect(h.take()).toMatchObject([{ flags: RST | ACK, seq: c.engineSeq, ack: c.guestSeq }]);
    expect(c.client.destroyed).toBe(true);
    expect(h.engine.stats).toMatchObject({ active: 0, idleTimeouts: 1, timeouts: 0 });
  });

  it('guest data, a guest keep-alive or host data each postpone the idle reset', async () => {
    const h = setup({ tuning: { idleEstablishedNs: 10_000 * MS } });
    const c = await established(h);
    // Guest data at 6 s: the deadline moves from 10 s to 16 s.
    h.clock.advance(6_000 * MS);
    h.guest(80, c.port, { seq: c.guestSeq, ack: c.engineSeq, flags: ACK }, bytes(10));
    expect(h.take()).toMatchObject([{ flags: ACK, ack: c.guestSeq + 10 }]);
    h.clock.advance(10_000 * MS - 1);
    expect(h.take()).toEqual([]);
    // A keep-alive at 16 s - 1 ns (SEG.SEQ = RCV.NXT - 1, no data): answered, and it counts.
    h.guest(80, c.port, { seq: c.guestSeq + 9, ack: c.engineSeq, flags: ACK });
    expect(h.take()).toMatchObject([{ flags: ACK, ack: c.guestSeq + 10 }]);
    h.clock.advance(9_000 * MS);
    expect(h.take()).toEqual([]);
    // Host data at 25 s that the guest never acknowledges: only retransmissions follow (the
    // guest says nothing), yet the reset waits until 35 s.
    c.client.onData(bytes(20));
    expect(h.take()).toMatchObject([{ seq: c.engineSeq, payload: bytes(20) }]);
    h.clock.advance(10_000 * MS - 1);
    const before = h.take();
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((s) => !(s.flags & RST))).toBe(true);
    expect(c.client.destroyed).toBe(false);
    h.clock.advance(1);
    expect(h.take()).toMatchObject([{ flags: RST | ACK, seq: c.engineSeq + 20 }]);
    expect(c.client.destroyed).toBe(true);
    expect(h.engine.stats).toMatchObject({ active: 0, idleTimeouts: 1, timeouts: 0 });
  });

  it('a half-closed connection (CLOSE_WAIT) times out after 4 min, not 2 h', async () => {
    const h = setup();
    const c = await established(h);
    h.clock.advance(3_600_000 * MS); // an hour established: its idle timer is due at 2 h 4 min
    h.guest(80, c.port, { seq: c.guestSeq, ack: c.engineSeq, flags: ACK | FIN });
    expect(h.take()).toMatchObject([{ flags: ACK, ack: c.guestSeq + 1 }]);
    expect(c.client.ended).toBe(true); // the host client still holds its half open
    h.clock.advance(TRANSITORY_IDLE - MS);
    expect(h.take()).toEqual([]);
    h.clock.advance(MS);
    expect(h.take()).toMatchObject([{ flags: RST | ACK, seq: c.engineSeq, ack: c.guestSeq + 1 }]);
    expect(c.client.destroyed).toBe(true);
    expect(h.engine.stats).toMatchObject({ active: 0, idleTimeouts: 1 });
  });

  it('FIN_WAIT_2 is bounded while the host socket is still open (half-closed by the host)', async () => {
    const h = setup();
    const c = await established(h);
    h.clock.advance(600_000 * MS); // 10 min established: its idle timer is due at 2 h 4 min
    c.client.onEnd(); // the host client shuts down its sending side but keeps reading
    expect(h.take()).toMatchObject([{ flags: FIN | ACK, seq: c.engineSeq }]);
    h.guest(80, c.port, { seq: c.guestSeq, ack: c.engineSeq + 1, flags: ACK }); // FIN_WAIT_2
    // The guest still sends for a while: that is activity.
    h.clock.advance(200_000 * MS);
    h.guest(80, c.port, { seq: c.guestSeq, ack: c.engineSeq + 1, flags: ACK }, bytes(5));
    expect(h.take()).toMatchObject([{ flags: ACK, ack: c.guestSeq + 5 }]);
    h.clock.advance(TRANSITORY_IDLE - MS);
    expect(h.take()).toEqual([]);
    expect(c.client.destroyed).toBe(false);
    h.clock.advance(MS);
    expect(h.take()).toMatchObject([{ flags: RST | ACK, seq: c.engineSeq + 1 }]);
    expect(c.client.destroyed).toBe(true);
    expect(h.engine.stats).toMatchObject({ active: 0, idleTimeouts: 1 });
  });

  it('a guest-opened connection whose host socket never connects is refused after 4 min', () => {
    const h = setup({ restrict: false });
    h.guest(40000, 8000, { seq: 77, flags: SYN });
    h.clock.advance(TRANSITORY_IDLE - MS);
    expect(h.take()).toEqual([]);
    h.clock.advance(MS);
    expect(h.take()).toMatchObject([{ flags: RST | ACK, ack: 78 }]);
    expect(h.engine.stats).toMatchObject({ active: 0, idleTimeouts: 1 });
    const late = new FakeConnection();
    h.host.outgoing[0]!.done(late);
    expect(late.destroyed).toBe(true);
  });

  it('handshakes are bounded by SYN retries (6, about 25 s), well inside the idle time-out', async () => {
    const h = setup({ restrict: false });
    await h.engine.addForwards([
      { proto: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestAddress: null, guestPort: 80 },
    ]);
    const client = h.host.client(8080); // SYN_SENT: the guest never answers
    h.guest(40000, 8000, { seq: 77, flags: SYN });
    h.host.outgoing[0]!.done(new FakeConnection()); // SYN_RECEIVED: the guest never ACKs
    h.clock.advance(25_000 * MS);
    expect(h.engine.stats.active).toBe(2);
    h.clock.advance(1_000 * MS);
    expect(h.engine.stats).toMatchObject({ active: 0, timeouts: 2, idleTimeouts: 0 });
    expect(client.destroyed).toBe(true);
  });

  it('close() resets every open connection toward the guest, then destroys its host socket', async () => {
    const h = setup({ restrict: false });
    const a = await established(h);
    const b = h.host.client(8080); // SYN_SENT
    const [bSyn] = h.take();
    h.guest(40000, 8000, { seq: 77, flags: SYN }); // CONNECTING
    // One more that has finished (TIME_WAIT): nothing to reset there.
    const d = h.host.client(8080);
    const [dSyn] = h.take();
    h.guest(80, dSyn!.srcPort, { seq: 899, ack: dSyn!.seq + 1, flags: SYN | ACK });
    d.onEnd();
    h.guest(80, dSyn!.srcPort, { seq: 900, ack: dSyn!.seq + 2, flags: ACK | FIN });
    h.take();
    expect(h.engine.stats.active).toBe(4);
    // Each RST goes out before its connection's host socket is destroyed.
    const hostOf = new Map([
      [a.port, a.client],
      [bSyn!.srcPort, b],
    ]);
    const destroyedWhenReset: boolean[] = [];
    const send = h.out.push.bind(h.out);
    h.out.push = (...sent) => {
      for (const s of sent) destroyedWhenReset.push(hostOf.get(s.seg.srcPort)?.destroyed ?? false);
      return send(...sent);
    };
    h.engine.close();
    const resets = h.take();
    expect(resets).toMatchObject([
      { flags: RST | ACK, dstPort: 80, srcPort: a.port, seq: a.engineSeq, ack: a.guestSeq },
      { flags: RST, dstPort: 80, srcPort: bSyn!.srcPort, seq: bSyn!.seq + 1 },
      { flags: RST | ACK, dstPort: 40000, srcPort: 8000, ack: 78 },
    ]);
    expect(destroyedWhenReset).toEqual([false, false, false]);
    expect([a.client.destroyed, b.destroyed, d.destroyed]).toEqual([true, true, true]);
    expect(h.engine.stats).toMatchObject({ active: 0, resetsOnClose: 3, resetsSent: 3 });
    const late = new FakeConnection();
    h.host.outgoing[0]!.done(late);
    expect(late.destroyed).toBe(true);
    h.engine.close(); // twice is harmless
    expect(h.take()).toEqual([]);
  });
});
