/**
 * The TCP engine against a scripted guest (segments built by hand), an in-memory host adapter and
 * a manual virtual clock. Every segment the engine emits is checksum-verified on the way out.
 */
import { describe, expect, it } from 'vitest';
import { transportChecksum } from './checksum.js';
import {
  TcpEngine,
  type HostConnection,
  type HostListener,
  type HostSockets,
  type TcpEngineOptions,
} from './tcp.js';
import {
  ACK,
  buildTcpSegment,
  FIN,
  parseTcpSegment,
  RST,
  seqAdd,
  SYN,
  TCP_PROTOCOL,
  type TcpSegment,
} from './tcpSegment.js';

const GUEST = 0x0a00020f; // 10.0.2.15
const GATEWAY = 0x0a000202; // 10.0.2.2
const MS = 1_000_000;

class FakeClock {
  now = 0;
  private events: { at: number; order: number; fn: () => void; live: boolean }[] = [];
  private order = 0;
  nanos = () => this.now;
  schedule = (ns: number, fn: () => void) => {
    const e = { at: this.now + ns, order: this.order++, fn, live: true };
    this.events.push(e);
    return () => void (e.live = false);
  };
  advance(ns: number): void {
    const end = this.now + ns;
    for (;;) {
      this.events = this.events.filter((e) => e.live);
      this.events.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.events[0];
      if (!next || next.at > end) break;
      this.now = next.at;
      next.live = false;
      next.fn();
    }
    this.now = end;
  }
}

class FakeConnection implements HostConnection {
  chunks: Uint8Array[] = [];
  accept = true; // what write() answers
  ended = false;
  destroyed = false;
  paused = true; // like the Node adapter: nothing is read before the guest side is up
  pauses = 0;
  resumes = 0;
  onData = (_: Uint8Array) => {};
  onEnd = () => {};
  onClose = (_?: string) => {};
  onDrain = () => {};
  write(data: Uint8Array): boolean {
    this.chunks.push(data.slice());
    return this.accept;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
    this.resumes++;
  }
  get received(): Uint8Array {
    return concat(this.chunks);
  }
}

class FakeHost implements HostSockets {
  listeners = new Map<number, (c: HostConnection) => void>();
  taken = new Set<number>();
  outgoing: { host: string; port: number; done: (c: HostConnection | null) => void }[] = [];
  listenTcp(_host: string, port: number, cb: (c: HostConnection) => void): Promise<HostListener> {
    if (this.taken.has(port)) return Promise.reject(new Error('address in use'));
    this.listeners.set(port, cb);
    return Promise.resolve({ port, close: () => this.listeners.delete(port) });
  }
  connectTcp(host: string, port: number, done: (c: HostConnection | null) => void): void {
    this.outgoing.push({ host, port, done });
  }
  /** A host client connecting to the forward listening on `port`. */
  client(port: number): FakeConnection {
    const c = new FakeConnection();
    this.listeners.get(port)!(c);
    return c;
  }
}

interface Sent {
  src: number;
  dst: number;
  seg: TcpSegment;
}

function setup(options: Partial<TcpEngineOptions> = {}) {
  const clock = new FakeClock();
  const host = new FakeHost();
  const out: Sent[] = [];
  const engine = new TcpEngine({
    send: (src, dst, bytes) => {
      expect(transportChecksum(src, dst, TCP_PROTOCOL, bytes, 0, bytes.length)).toBe(0);
      out.push({ src, dst, seg: parseTcpSegment(bytes.slice())! });
    },
    scheduler: clock,
    host,
    restrict: true,
    guestIp: () => GUEST,
    gatewayIps: (ip) => ip === GATEWAY,
    ...options,
  });
  /** Segments the engine sent since the last call. */
  const take = () => out.splice(0).map((s) => s.seg);
  /** The guest sends a segment from `guestPort` to `localPort` on the gateway. */
  const guest = (
    guestPort: number,
    localPort: number,
    f: { seq: number; ack?: number; flags: number; window?: number; mss?: number },
    payload?: Uint8Array,
  ) => {
    const fields = { srcPort: guestPort, dstPort: localPort, ack: 0, window: 8192, ...f };
    engine.receive(GUEST, GATEWAY, buildTcpSegment(GUEST, GATEWAY, fields, payload));
  };
  return { clock, host, engine, out, take, guest };
}

type Harness = ReturnType<typeof setup>;

/** A forward 8080 → guest port 80, a host client, and the handshake; returns the sequence state. */
async function established(h: Harness, guestMss = 536, guestWindow = 8192) {
  await h.engine.addForwards([
    { proto: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestAddress: null, guestPort: 80 },
  ]);
  const client = h.host.client(8080);
  const [syn] = h.take();
  expect(syn!.flags).toBe(SYN);
  const port = syn!.srcPort;
  const conn = { client, port, guestSeq: 5000, engineSeq: seqAdd(syn!.seq, 1) };
  h.guest(80, port, {
    seq: 4999,
    ack: conn.engineSeq,
    flags: SYN | ACK,
    mss: guestMss,
    window: guestWindow,
  });
  const [ack] = h.take();
  expect(ack).toMatchObject({ flags: ACK, seq: conn.engineSeq, ack: 5000 });
  return conn;
}

function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Index of the first differing byte (or the shorter length), -1 if identical. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

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

  it('probes a closed guest window on the persist timer and resumes when it opens', async () => {
    const h = setup();
    const c = await established(h, 536, 1072);
    c.client.onData(bytes(3000));
    const first = h.take();
    expect(first.map((s) => s.payload.length)).toEqual([536, 536]);
    h.guest(80, c.port, { seq: c.guestSeq, ack: seqAdd(c.engineSeq, 1072), flags: ACK, window: 0 });
    expect(h.take()).toEqual([]);
    h.clock.advance(199 * MS);
    expect(h.take()).toEqual([]);
    h.clock.advance(1 * MS);
    const [probe] = h.take();
    expect(probe).toMatchObject({ seq: seqAdd(c.engineSeq, 1072) });
    expect(probe!.payload.length).toBe(1);
    // The guest keeps the window closed but answers: probing continues with backoff, no abort.
    for (let i = 0; i < 12; i++) {
      h.guest(80, c.port, {
        seq: c.guestSeq,
        ack: seqAdd(c.engineSeq, 1072),
        flags: ACK,
        window: 0,
      });
      h.clock.advance(60_000 * MS);
    }
    expect(h.engine.stats.windowProbes).toBeGreaterThan(12);
    expect(c.client.destroyed).toBe(false);
    h.take();
    h.guest(80, c.port, {
      seq: c.guestSeq,
      ack: seqAdd(c.engineSeq, 1072),
      flags: ACK,
      window: 4000,
    });
    const rest = h.take();
    expect(rest[0]!.seq).toBe(seqAdd(c.engineSeq, 1072));
    expect(rest.reduce((n, s) => n + s.payload.length, 0)).toBe(1928);
  });

  it('retransmits a lost segment after the RTO, doubling it each time, then gives up with RST', async () => {
    const h = setup({ tuning: { maxRetries: 4 } });
    const c = await established(h);
    const data = bytes(100);
    c.client.onData(data);
    const [orig] = h.take();
    const times: number[] = [];
    const start = h.clock.now;
    for (let i = 0; i < 40 && times.length < 4; i++) {
      h.clock.advance(100 * MS);
      for (const s of h.take()) {
        expect(s).toMatchObject({ seq: orig!.seq, payload: data });
        times.push((h.clock.now - start) / MS);
      }
    }
    expect(times).toEqual([200, 600, 1400, 3000]); // 200, 400, 800, 1600 ms apart
    expect(h.engine.stats.retransmits).toBe(4);
    h.clock.advance(3200 * MS);
    expect(h.take()).toMatchObject([{ flags: RST | ACK, seq: seqAdd(orig!.seq, 100) }]);
    expect(c.client.destroyed).toBe(true);
    expect(h.engine.stats).toMatchObject({ active: 0, timeouts: 1 });
  });

  it('retransmits an unanswered SYN and stops once acknowledged', async () => {
    const h = setup();
    await h.engine.addForwards([
      { proto: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestAddress: null, guestPort: 80 },
    ]);
    h.host.client(8080);
    const [syn] = h.take();
    h.clock.advance(200 * MS);
    expect(h.take()).toMatchObject([{ flags: SYN, seq: syn!.seq, mss: 1460 }]);
    h.guest(80, syn!.srcPort, { seq: 9, ack: syn!.seq + 1, flags: SYN | ACK });
    h.take();
    h.clock.advance(10_000 * MS);
    expect(h.take()).toEqual([]);
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
