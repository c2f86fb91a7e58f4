import { describe, expect, it } from 'vitest';
import { transportChecksum } from './checksum.js';
import { ByteQueue, ReassemblyQueue } from './tcpBuffers.js';
import {
  ACK,
  buildTcpSegment,
  FIN,
  flagNames,
  parseTcpSegment,
  segmentLength,
  seqAdd,
  seqDiff,
  seqLt,
  SYN,
  TCP_PROTOCOL,
} from './tcpSegment.js';

const A = 0x0a00020f;
const B = 0x0a000202;

describe('TCP segments', () => {
  it('builds a segment whose checksum verifies and parses back', () => {
    const payload = new Uint8Array([1, 2, 3, 4, 5]);
    const fields = { srcPort: 80, dstPort: 49152, seq: 0xfffffffe, ack: 7, flags: ACK | FIN };
    const bytes = buildTcpSegment(A, B, { ...fields, window: 4096 }, payload);
    expect(transportChecksum(A, B, TCP_PROTOCOL, bytes, 0, bytes.length)).toBe(0);
    expect(transportChecksum(B, A, TCP_PROTOCOL, bytes, 0, bytes.length)).toBe(0); // symmetric sum
    bytes[21] ^= 1;
    expect(transportChecksum(A, B, TCP_PROTOCOL, bytes, 0, bytes.length)).not.toBe(0);
    bytes[21] ^= 1;
    const seg = parseTcpSegment(bytes)!;
    expect(seg).toMatchObject({ ...fields, window: 4096, mss: null });
    expect([...seg.payload]).toEqual([1, 2, 3, 4, 5]);
    expect(segmentLength(seg)).toBe(6);
    expect(flagNames(seg.flags)).toBe('FIN,ACK');
  });

  it('carries the MSS option on a SYN and skips NOPs and unknown options', () => {
    const syn = buildTcpSegment(A, B, {
      srcPort: 1,
      dstPort: 2,
      seq: 0,
      ack: 0,
      flags: SYN,
      window: 1,
      mss: 536,
    });
    expect(syn.length).toBe(24);
    expect(parseTcpSegment(syn)!.mss).toBe(536);
    // NOP, window scale (3 bytes), NOP, MSS 1460, then padding.
    const header = new Uint8Array(32);
    header[12] = 8 << 4;
    header.set([1, 3, 3, 7, 1, 2, 4, 0x05, 0xb4, 0, 0, 0], 20);
    expect(parseTcpSegment(header)!.mss).toBe(1460);
  });

  it('rejects truncated segments and bad data offsets instead of trusting them', () => {
    expect(parseTcpSegment(new Uint8Array(19))).toBeNull();
    const bad = new Uint8Array(20);
    bad[12] = 15 << 4; // 60-byte header in a 20-byte segment
    expect(parseTcpSegment(bad)).toBeNull();
    bad[12] = 4 << 4; // 16 bytes: less than the fixed header
    expect(parseTcpSegment(bad)).toBeNull();
    const option = new Uint8Array(24);
    option[12] = 6 << 4;
    option.set([2, 40], 20); // an option longer than the header ends option parsing
    expect(parseTcpSegment(option)!.mss).toBeNull();
  });

  it('compares sequence numbers modulo 2^32', () => {
    expect(seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(seqLt(0x10, 0xfffffff0)).toBe(false);
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqAdd(0xffffffff, 2)).toBe(1);
  });
});

describe('TCP buffers', () => {
  it('ByteQueue reads at offsets across chunks and drops from the head', () => {
    const q = new ByteQueue();
    const data = new Uint8Array(40000).map((_, i) => i * 7);
    q.push(data.subarray(0, 1));
    q.push(data.subarray(1, 30000));
    q.push(data.subarray(30000));
    expect(q.length).toBe(40000);
    expect(q.read(16380, 10)).toEqual(data.subarray(16380, 16390));
    q.drop(20000);
    expect(q.length).toBe(20000);
    expect(q.read(0, 20000)).toEqual(data.subarray(20000));
    expect(q.read(19990, 100).length).toBe(10);
  });

  it('ReassemblyQueue returns held data in order once the gap fills, bounded in size', () => {
    const r = new ReassemblyQueue(10);
    expect(r.insert(105, new Uint8Array([5, 6, 7]))).toBe(true);
    expect(r.insert(102, new Uint8Array([2, 3, 4]))).toBe(true);
    expect(r.insert(105, new Uint8Array([5, 6]))).toBe(true); // already held
    expect(r.heldBytes).toBe(6);
    expect(r.insert(110, new Uint8Array(5))).toBe(false); // over the limit
    expect(r.take(100)).toEqual([]); // 100..101 still missing
    expect(r.take(103).map((b) => [...b])).toEqual([
      [3, 4],
      [5, 6, 7],
    ]);
    expect(r.heldBytes).toBe(0);
  });
});
