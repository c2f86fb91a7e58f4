/**
 * GDB remote serial protocol framing: `$payload#cs` packets, `+`/`-` acknowledgements, the
 * interrupt byte 0x03, and the hex / binary (`}`-escaped) encodings. Transport-free.
 */

/** Largest packet payload accepted (and announced as PacketSize). */
export const MAX_PACKET = 0x4000;

export type ReaderEvent =
  | { type: 'packet'; payload: Uint8Array }
  /** Checksum mismatch or malformed checksum digits: answered with a NAK (`-`). */
  | { type: 'bad-checksum' }
  /** A packet longer than MAX_PACKET (checksum valid): acknowledged and answered with an error. */
  | { type: 'oversized' }
  | { type: 'interrupt' }
  | { type: 'ack' }
  | { type: 'nak' };

const enum State {
  Idle,
  Payload,
  Checksum1,
  Checksum2,
}

/** Splits a received byte stream into protocol events; keeps partial packets between calls. */
export class PacketReader {
  private state = State.Idle;
  private buf = new Uint8Array(MAX_PACKET);
  private len = 0;
  private sum = 0;
  private overflow = false;
  private cs = 0;

  feed(data: Uint8Array, emit: (e: ReaderEvent) => void): void {
    for (let i = 0; i < data.length; i++) {
      const b = data[i]!;
      switch (this.state) {
        case State.Idle:
          if (b === 0x24 /* $ */) this.start();
          else if (b === 0x03) emit({ type: 'interrupt' });
          else if (b === 0x2b /* + */) emit({ type: 'ack' });
          else if (b === 0x2d /* - */) emit({ type: 'nak' });
          // Anything else between packets is line noise: ignored.
          break;
        case State.Payload:
          if (b === 0x23 /* # */) this.state = State.Checksum1;
          else if (b === 0x24)
            this.start(); // a new packet start: resynchronise
          else {
            this.sum = (this.sum + b) & 0xff;
            if (this.len < MAX_PACKET) this.buf[this.len++] = b;
            else this.overflow = true;
          }
          break;
        case State.Checksum1: {
          const d = hexDigit(b);
          if (d < 0) {
            this.state = State.Idle;
            emit({ type: 'bad-checksum' });
          } else {
            this.cs = d << 4;
            this.state = State.Checksum2;
          }
          break;
        }
        case State.Checksum2: {
          const d = hexDigit(b);
          this.state = State.Idle;
          if (d < 0 || (this.cs | d) !== this.sum) emit({ type: 'bad-checksum' });
          else if (this.overflow) emit({ type: 'oversized' });
          else emit({ type: 'packet', payload: this.buf.slice(0, this.len) });
          break;
        }
      }
    }
  }

  private start(): void {
    this.state = State.Payload;
    this.len = 0;
    this.sum = 0;
    this.overflow = false;
  }
}

export function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

/** Frames a payload (already escaped where needed) as `$payload#cs`. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 4);
  out[0] = 0x24;
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    out[i + 1] = payload[i]!;
    sum = (sum + payload[i]!) & 0xff;
  }
  out[payload.length + 1] = 0x23;
  const cs = sum.toString(16).padStart(2, '0');
  out[payload.length + 2] = cs.charCodeAt(0);
  out[payload.length + 3] = cs.charCodeAt(1);
  return out;
}

export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function toAscii(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Bytes as lowercase hex. */
export function toHex(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! & 0xff).toString(16).padStart(2, '0');
  return s;
}

/** A 32-bit value as 8 hex digits in target (little-endian) byte order. */
export function hexLe32(v: number): string {
  return toHex([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}

/** Decodes an even-length hex string; null when malformed. */
export function fromHex(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Parses an unsigned hex number (at most 8 digits); null when malformed. */
export function parseHex32(s: string | undefined): number | null {
  if (s === undefined || !/^[0-9a-fA-F]{1,8}$/.test(s)) return null;
  return parseInt(s, 16) >>> 0;
}

/** Undoes the binary escaping of X / vFlashWrite data (`}` then byte ^ 0x20). */
export function unescapeBinary(data: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    let b = data[i]!;
    if (b === 0x7d) {
      if (++i >= data.length) return null;
      b = data[i]! ^ 0x20;
    }
    out[n++] = b;
  }
  return out.slice(0, n);
}

/** Escapes binary reply data ($ # } * are sent as `}` then byte ^ 0x20). */
export function escapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const b of data) {
    if (b === 0x24 || b === 0x23 || b === 0x7d || b === 0x2a) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  return Uint8Array.from(out);
}
