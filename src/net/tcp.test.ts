/**
 * The TCP engine's data path and dispatch: handshakes, moving data both ways with back-pressure,
 * reassembly, the limits, guest-initiated connections and segments for no connection. The
 * harness (scripted guest, in-memory host, manual clock) is in tcpTestHarness.ts; retransmission
 * and persist timers are tested in tcpRetransmit.test.ts, closing, resets and idle time-outs in
 * tcpClose.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ACK, buildTcpSegment, FIN, RST, seqAdd, SYN, type TcpSegment } from './tcpSegment.js';
import {
  GUEST,
  GATEWAY,
  MS,
  FakeConnection,
  setup,
  established,
  bytes,
  firstDifference,
  concat,
} from './tcpTestHarness.js';

describe('TcpEngine: host → guest forwards', () => {
  it('opens with a SYN carrying MSS 1460 from the gateway, and honours the guest MSS 536', async () => {
    const h = setup();
    await h.engine.addForwards([
      { proto: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestAddress: null, guestPort: 80 },
    ]);
    const client = h.host.client(8080);
    expect(h.out[0]).toMatchObject({ src: GATEWAY, dst: GUEST });
    const [syn] = h.take();
    expect(syn).toMatchObject({ flags: SYN, dstPort: 80, mss: 1460 });
    expect(syn!.srcPort).toBeGreaterThanOrEqual(49152);
    expect(syn!.window).toBeGreaterThan(0);
    expect(client.paused).toBe(true);
    h.guest(80, syn!.srcPort, { seq: 1, ack: syn!.seq + 1, flags: SYN | ACK, mss: 536 });
    expect(h.take()).toMatchObject([{ flags: ACK, ack: 2 }]);
    expect(client.paused).toBe(false); // reading starts once the guest side is established
    expect(h.engine.stats).toMatchObject({ connections: 1, active: 1 });
    const data = bytes(5000);
    client.onData(data);
    const segs = h.take();
    expect(segs.length).toBe(10); // 9 × 536 + 176, all inside the 8 KB window
    expect(Math.max(...segs.map((s) => s.payload.length))).toBe(536);
    expect(concat(segs.map((s) => s.payload))).toEqual(data);
  });

  it('a forward to a static-address guest comes from its x.y.z.1 gateway', async () => {
    const h = setup({ guestIp: () => 0x0a000002, gatewayIps: () => true });
    await h.engine.addForwards([
      { proto: 'tcp', hostAddress: '127.0.0.1', hostPort: 2323, guestAddress: null, guestPort: 23 },
    ]);
    h.host.client(2323);
    expect(h.out[0]).toMatchObject({ src: 0x0a000001, dst: 0x0a000002 });
  });

  it('moves 1 MB through a 4 KB guest window byte-identical despite losses, pausing the host', async () => {
    const h = setup();
    const c = await established(h, 536, 4096);
    const source = bytes(1 << 20, 7);
    let written = 0;
    // A host producer that respects pause(): it writes 64 KB chunks while not paused.
    const produce = () => {
      while (!c.client.paused && written < source.length) {
        const n = Math.min(65536, source.length - written);
        written += n;
        c.client.onData(source.subarray(written - n, written));
      }
      if (written === source.length) c.client.onEnd();
    };
    // The guest: a 4 KB receive buffer.
    const received: Uint8Array[] = [];
    let rcvNxt = c.engineSeq;
    let buffered = 0;
    let finSeen = false;
    let maxPayload = 0;
    let segments = 0;
    const ackNow = () =>
      h.guest(80, c.port, { seq: c.guestSeq, ack: rcvNxt, flags: ACK, window: 4096 - buffered });
    for (let ms = 0; ms < 100_000 && !finSeen; ms++) {
      produce();
      for (const s of h.take()) {
        maxPayload = Math.max(maxPayload, s.payload.length);
        if (s.payload.length > 0 && ++segments % 97 === 0) continue; // lost on the wire
        if (s.seq === rcvNxt && s.payload.length <= 4096 - buffered) {
          received.push(s.payload.slice());
          buffered += s.payload.length;
          rcvNxt = seqAdd(rcvNxt, s.payload.length);
          if (s.flags & FIN) {
            rcvNxt = seqAdd(rcvNxt, 1);
            finSeen = true;
          }
        }
        if (s.payload.length > 0 || s.flags & FIN) ackNow(); // a duplicate ACK when dropped
      }
      if (ms % 4 === 3) {
        // The application reads everything every 4 ms; a window that was (nearly) closed is
        // reopened with a window update, as a receiver does (RFC 9293 §3.8.6.2.2).
        const wasClosed = buffered > 4096 - 536;
        buffered = 0;
        if (wasClosed) ackNow();
      }
      h.clock.advance(MS);
    }
    expect(finSeen).toBe(true);
    expect(maxPayload).toBe(536);
    expect(firstDifference(concat(received), source)).toBe(-1); // toEqual is slow on 1 MB
    expect(c.client.pauses).toBeGreaterThan(0);
    expect(c.client.resumes).toBeGreaterThan(1);
    expect(h.engine.stats.bytesToGuest).toBe(source.length);
    expect(h.engine.stats.retransmits).toBeGreaterThan(0);
  });

  it('acknowledges guest data only as far as the host socket drains', async () => {
    const h = setup({ limits: { maxBufferBytes: 2000 } });
    const c = await established(h);
    c.client.accept = false; // the host socket is full from the first write
    let seq = c.guestSeq;
    let lastAck: TcpSegment | undefined;
    for (let i = 0; i < 6; i++) {
      h.guest(80, c.port, { seq, ack: c.engineSeq, flags: ACK }, bytes(500, i));
      lastAck = h.take().at(-1);
      if (lastAck!.ack === seqAdd(seq, 500)) seq = seqAdd(seq, 500);
    }
    // 2000 bytes of window: four segments accepted, then the window is zero and data refused.
    expect(lastAck).toMatchObject({ ack: c.guestSeq + 2000, window: 0 });
    expect(c.client.received.length).toBe(2000);
    c.client.onDrain();
    expect(h.take()).toMatchObject([{ flags: ACK, ack: c.guestSeq + 2000, window: 2000 }]);
    c.client.accept = true;
    h.guest(80, c.port, { seq, ack: c.engineSeq, flags: ACK }, bytes(500, 9));
    expect(h.take()).toMatchObject([{ ack: c.guestSeq + 2500 }]);
    expect(c.client.received.length).toBe(2500);
  });

  it('holds out-of-order guest segments, re-acks duplicates, delivers in order', async () => {
    const h = setup();
    const c = await established(h);
    const data = bytes(300);
    const g = (from: number, to: number) =>
      h.guest(
        80,
        c.port,
        { seq: c.guestSeq + from, ack: c.engineSeq, flags: ACK },
        data.subarray(from, to),
      );
    g(100, 200);
    expect(h.take()).toMatchObject([{ ack: c.guestSeq }]); // immediate duplicate ACK
    expect(c.client.received.length).toBe(0);
    g(200, 300);
    h.take();
    g(0, 100);
    expect(h.take()).toMatchObject([{ ack: c.guestSeq + 300 }]);
    expect(c.client.received).toEqual(data);
    g(0, 100); // a duplicate
    g(150, 300); // overlapping, nothing new
    expect(h.take()).toMatchObject([{ ack: c.guestSeq + 300 }, { ack: c.guestSeq + 300 }]);
    expect(c.client.received).toEqual(data);
    expect(h.engine.stats.outOfOrder).toBe(2);
    expect(h.engine.stats.duplicates).toBeGreaterThanOrEqual(2);
  });

  it('refuses host clients beyond the connection limit', async () => {
    const h = setup({ limits: { maxConnections: 2 } });
    await h.engine.addForwards([
      { proto: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestAddress: null, guestPort: 80 },
    ]);
    const clients = [h.host.client(8080), h.host.client(8080), h.host.client(8080)];
    expect(clients.map((c) => c.destroyed)).toEqual([false, false, true]);
    expect(h.take().length).toBe(2);
    expect(h.engine.stats).toMatchObject({ active: 2, refused: 1 });
    h.guest(1234, 80, { seq: 1, flags: SYN }); // a guest SYN is refused too, even unrestricted
    expect(h.take()).toMatchObject([{ flags: RST | ACK }]);
  });

  it('bounds the send queue: a host socket that ignores pause() is reset', async () => {
    const h = setup({ limits: { maxBufferBytes: 4096 } });
    const c = await established(h, 536, 0); // the guest's window is shut
    for (let i = 0; i < 12 && !c.client.destroyed; i++) c.client.onData(bytes(1024));
    expect(c.client.pauses).toBe(1);
    expect(c.client.destroyed).toBe(true);
    expect(h.take().at(-1)).toMatchObject({ flags: RST | ACK });
    expect(h.engine.stats).toMatchObject({ active: 0, dropped: 1 });
  });

  it('names the forward whose host port is taken', async () => {
    const h = setup();
    h.host.taken.add(8080);
    await expect(
      h.engine.addForwards([
        {
          proto: 'tcp',
          hostAddress: '127.0.0.1',
          hostPort: 8080,
          guestAddress: null,
          guestPort: 80,
        },
      ]),
    ).rejects.toThrow('hostfwd=tcp:127.0.0.1:8080-:80: address in use');
  });
});

describe('TcpEngine: guest → host connections', () => {
  it('restrict=true answers a guest SYN with RST,ACK and counts it', () => {
    const h = setup();
    h.guest(40000, 8000, { seq: 77, flags: SYN, mss: 536 });
    expect(h.take()).toMatchObject([{ flags: RST | ACK, seq: 0, ack: 78, srcPort: 8000 }]);
    expect(h.host.outgoing).toEqual([]);
    expect(h.engine.stats).toMatchObject({ refused: 1, resetsSent: 1, active: 0 });
  });

  it('restrict=false connects to 127.0.0.1 and splices both ways', () => {
    const h = setup({ restrict: false });
    h.guest(40000, 8000, { seq: 77, flags: SYN, mss: 536, window: 4096 });
    expect(h.take()).toEqual([]); // nothing until the host socket is up
    expect(h.host.outgoing).toMatchObject([{ host: '127.0.0.1', port: 8000 }]);
    const host = new FakeConnection();
    h.host.outgoing[0]!.done(host);
    const [synAck] = h.take();
    expect(synAck).toMatchObject({ flags: SYN | ACK, ack: 78, mss: 1460, srcPort: 8000 });
    const ours = synAck!.seq + 1;
    h.guest(40000, 8000, { seq: 78, ack: ours, flags: ACK }, new TextEncoder().encode('GET /'));
    expect(new TextDecoder().decode(host.received)).toBe('GET /');
    expect(h.take()).toMatchObject([{ flags: ACK, ack: 83 }]);
    expect(host.paused).toBe(false);
    host.onData(bytes(1000));
    expect(h.take().map((s) => s.payload.length)).toEqual([536, 464]);
  });

  it('restrict=false: a refused host connection resets the guest', () => {
    const h = setup({ restrict: false });
    h.guest(40000, 8001, { seq: 5, flags: SYN });
    h.host.outgoing[0]!.done(null);
    expect(h.take()).toMatchObject([{ flags: RST | ACK, ack: 6 }]);
    expect(h.engine.stats.active).toBe(0);
  });

  it('a guest RST while the host connects withdraws the SYN; the late host socket is closed', () => {
    const h = setup({ restrict: false });
    h.guest(40000, 8002, { seq: 5, flags: SYN });
    h.guest(40000, 8002, { seq: 5, flags: SYN }); // retransmitted meanwhile: no second connect
    expect(h.host.outgoing.length).toBe(1);
    h.guest(40000, 8002, { seq: 6, flags: RST });
    const late = new FakeConnection();
    h.host.outgoing[0]!.done(late);
    expect(late.destroyed).toBe(true);
    expect(h.take()).toEqual([]);
    expect(h.engine.stats.active).toBe(0);
  });

  it('only gateway addresses reach the host', () => {
    const h = setup({ restrict: false });
    h.engine.receive(
      GUEST,
      0x08080808,
      buildTcpSegment(GUEST, 0x08080808, {
        srcPort: 40000,
        dstPort: 80,
        seq: 1,
        ack: 0,
        flags: SYN,
        window: 100,
      }),
    );
    expect(h.out).toMatchObject([{ src: 0x08080808, seg: { flags: RST | ACK, ack: 2 } }]);
  });
});

describe('TcpEngine: segments for no connection (RFC 9293 §3.10.7.1)', () => {
  it('answers with RST, except to a RST; malformed segments are dropped and counted', () => {
    const h = setup();
    h.guest(40000, 80, { seq: 10, ack: 1234, flags: ACK }, bytes(5));
    expect(h.take()).toMatchObject([{ flags: RST, seq: 1234 }]);
    h.guest(40000, 80, { seq: 10, flags: FIN }, bytes(5));
    expect(h.take()).toMatchObject([{ flags: RST | ACK, seq: 0, ack: 16 }]);
    h.guest(40000, 80, { seq: 10, flags: RST });
    expect(h.take()).toEqual([]);
    h.engine.receive(GUEST, GATEWAY, new Uint8Array(12));
    expect(h.engine.stats).toMatchObject({ resetsSent: 2, dropped: 1 });
  });
});
