/**
 * The two bounded buffers of a spliced TCP connection: the send queue (bytes from the host socket
 * not yet acknowledged by the guest, RFC 9293 §3.3.1's SND.UNA..) and the reassembly queue (guest
 * segments that arrived ahead of RCV.NXT, RFC 9293 §3.10.7.4 "segments with higher beginning
 * sequence numbers may be held for later processing"). Both are capped by their owner.
 */
import { seqAdd, seqDiff, seqLe } from './tcpSegment.js';

const CHUNK_SIZE = 16 * 1024;

interface Chunk {
  bytes: Uint8Array;
  start: number;
  end: number;
}

/**
 * A FIFO of bytes read at an offset (retransmission re-reads bytes still unacknowledged). Data is
 * copied into 16 KB chunks, so a host writing one byte at a time costs no more than one writing
 * megabytes, and the caller's buffer may be reused.
 */
export class ByteQueue {
  private readonly chunks: Chunk[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(data: Uint8Array): void {
    let from = 0;
    while (from < data.length) {
      let tail = this.chunks[this.chunks.length - 1];
      if (!tail || tail.end === tail.bytes.length) {
        tail = { bytes: new Uint8Array(CHUNK_SIZE), start: 0, end: 0 };
        this.chunks.push(tail);
      }
      const n = Math.min(data.length - from, tail.bytes.length - tail.end);
      tail.bytes.set(data.subarray(from, from + n), tail.end);
      tail.end += n;
      from += n;
    }
    this.size += data.length;
  }

  /** A copy of `count` bytes starting `offset` bytes from the head. */
  read(offset: number, count: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, Math.min(count, this.size - offset)));
    let skip = offset;
    let filled = 0;
    for (const chunk of this.chunks) {
      if (filled === out.length) break;
      const available = chunk.end - chunk.start;
      if (skip >= available) {
        skip -= available;
        continue;
      }
      const n = Math.min(available - skip, out.length - filled);
      out.set(chunk.bytes.subarray(chunk.start + skip, chunk.start + skip + n), filled);
      filled += n;
      skip = 0;
    }
    return out;
  }

  /** Discards `count` bytes from the head (they were acknowledged). */
  drop(count: number): void {
    let left = Math.min(count, this.size);
    this.size -= left;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      const n = Math.min(left, chunk.end - chunk.start);
      chunk.start += n;
      left -= n;
      if (chunk.start === chunk.end) this.chunks.shift();
    }
  }

  clear(): void {
    this.chunks.length = 0;
    this.size = 0;
  }
}

interface Held {
  seq: number;
  data: Uint8Array;
}

/**
 * Out-of-order guest data held until the gap before it is filled. The owner only offers data that
 * lies inside the window it advertised, and the queue refuses anything past `limit` bytes in
 * total, so a guest sending the same out-of-order range again and again cannot grow it.
 */
export class ReassemblyQueue {
  private readonly held: Held[] = [];
  private bytes = 0;

  constructor(private readonly limit: number) {}

  get heldBytes(): number {
    return this.bytes;
  }

  /** Holds a copy of `data` (sequence number `seq`); false when it did not fit. */
  insert(seq: number, data: Uint8Array): boolean {
    const end = seqAdd(seq, data.length);
    let index = 0;
    for (; index < this.held.length; index++) {
      const h = this.held[index]!;
      const hEnd = seqAdd(h.seq, h.data.length);
      if (seqLe(h.seq, seq) && seqLe(end, hEnd)) return true; // already held: a duplicate
      if (seqDiff(h.seq, seq) > 0) break;
    }
    if (this.bytes + data.length > this.limit) return false;
    this.held.splice(index, 0, { seq, data: data.slice() });
    this.bytes += data.length;
    return true;
  }

  /**
   * Removes and returns the bytes that now continue the stream at `next` (RCV.NXT), in order;
   * held data entirely before `next` is discarded.
   */
  take(next: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.held.length > 0) {
      const h = this.held[0]!;
      if (seqDiff(h.seq, next) > 0) break;
      this.held.shift();
      this.bytes -= h.data.length;
      const skip = seqDiff(next, h.seq);
      if (skip < h.data.length) {
        const fresh = h.data.subarray(skip);
        out.push(fresh);
        next = seqAdd(next, fresh.length);
      }
    }
    return out;
  }

  clear(): void {
    this.held.length = 0;
    this.bytes = 0;
  }
}
