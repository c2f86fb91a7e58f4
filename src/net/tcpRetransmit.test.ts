/**
 * The TCP engine's timers toward the guest: the persist timer probing a closed window, the
 * retransmission timer with its backoff and its limit, and our SYN's retransmission. The harness
 * is in tcpTestHarness.ts.
 */
import { describe, expect, it } from 'vitest';
import { ACK, RST, seqAdd, SYN } from './tcpSegment.js';
import { MS, setup, established, bytes } from './tcpTestHarness.js';

describe('TcpEngine: host → guest forwards', () => {
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
});
