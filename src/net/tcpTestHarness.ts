/**
 * Test support for the TCP engine's tests (tcp.test.ts, tcpRetransmit.test.ts, tcpClose.test.ts):
 * a scripted guest (segments built by hand), an in-memory host adapter and a manual virtual clock.
 * Every segment the engine emits is checksum-verified on the way out.
 */
import { expect } from 'vitest';
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
  parseTcpSegment,
  seqAdd,
  SYN,
  TCP_PROTOCOL,
  type TcpSegment,
} from './tcpSegment.js';

export const GUEST = 0x0a00020f; // 10.0.2.15
export const GATEWAY = 0x0a000202; // 10.0.2.2
export const MS = 1_000_000;

export class FakeClock {
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

export class FakeConnection implements HostConnection {
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

type OnConnection = Parameters<HostSockets['listenTcp']>[2];

export class FakeHost implements HostSockets {
  listeners = new Map<number, OnConnection>();
  taken = new Set<number>();
  outgoing: { host: string; port: number; done: (c: HostConnection | null) => void }[] = [];
  listenTcp(_host: string, port: number, cb: OnConnection): Promise<HostListener> {
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
    this.listeners.get(port)!(c, { address: '127.0.0.1', port: 40000 }); // the engine ignores it
    return c;
  }
}

export interface Sent {
  src: number;
  dst: number;
  seg: TcpSegment;
}

export function setup(options: Partial<TcpEngineOptions> = {}) {
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

export type Harness = ReturnType<typeof setup>;

/** A forward 8080 → guest port 80, a host client, and the handshake; returns the sequence state. */
export async function established(h: Harness, guestMss = 536, guestWindow = 8192) {
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

export function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Index of the first differing byte (or the shorter length), -1 if identical. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}
