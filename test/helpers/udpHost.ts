/** Test scaffolding for the user-mode network's UDP: a fake host adapter and a frame reader. */
import { expect } from 'vitest';
import { formatIpv4, internetChecksum, transportChecksum } from '../../src/net/checksum.js';
import type { HostSockets, HostUdpSocket } from '../../src/net/hostSockets.js';

export const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
export const u32 = (b: Uint8Array, o: number) =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
export const hex = (b: ArrayLike<number>) =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');

export interface FakeUdpSocket extends HostUdpSocket {
  readonly address: string;
  readonly sent: { data: number[]; address: string; port: number }[];
  closed: boolean;
}

/**
 * A host whose bindUdp hands out fake sockets (port 0 → 40000, 40001, ...), or fails with the
 * reason `fail` gives for that address and port (true: every bind fails).
 */
export function fakeUdpHost(
  fail: boolean | ((address: string, port: number) => string | null) = false,
) {
  const sockets: FakeUdpSocket[] = [];
  let nextPort = 40000;
  const host: HostSockets = {
    listenTcp: () => Promise.reject(new Error('no tcp here')),
    connectTcp: (_h, _p, done) => done(null, 'no tcp here'),
    bindUdp: (address, port) => {
      const why = typeof fail === 'function' ? fail(address, port) : fail ? 'no UDP for you' : null;
      if (why !== null) return Promise.reject(new Error(why));
      const s: FakeUdpSocket = {
        address,
        port: port === 0 ? nextPort++ : port,
        sent: [],
        closed: false,
        send: (data, to, toPort) =>
          s.sent.push({ data: Array.from(data), address: to, port: toPort }),
        close: () => {
          s.closed = true;
        },
        onMessage: () => {},
      };
      sockets.push(s);
      return Promise.resolve(s);
    },
  };
  return { host, sockets };
}

/** The UDP datagram in a frame to the guest, with the IPv4 and UDP checksums verified. */
export function udpOf(frame: Uint8Array) {
  expect(u16(frame, 12)).toBe(0x0800);
  expect(frame[23]).toBe(17);
  expect(internetChecksum(frame, 14, 20)).toBe(0);
  const total = u16(frame, 16);
  const src = u32(frame, 26);
  const dst = u32(frame, 30);
  const udp = frame.subarray(34, 14 + total);
  expect(u16(udp, 4)).toBe(udp.length);
  expect(u16(udp, 6)).not.toBe(0); // a checksum was computed
  expect(transportChecksum(src, dst, 17, udp, 0, udp.length)).toBe(0);
  return {
    dstMac: hex(frame.subarray(0, 6)),
    src: formatIpv4(src),
    dst: formatIpv4(dst),
    srcPort: u16(udp, 0),
    dstPort: u16(udp, 2),
    data: Array.from(udp.subarray(8)),
  };
}
