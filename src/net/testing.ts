/**
 * Test support for the user-mode network: a virtual-time scheduler and a guest that builds its
 * frames byte by byte, independently of the network's own builders (so a test does not check
 * the code against itself). Only checksum.ts is shared, which has its own RFC 1071 tests.
 */
import { internetChecksum, parseIpv4, transportChecksum } from './checksum.js';

/** Alarms on a virtual nanosecond clock that only moves when a test advances it. */
export class FakeScheduler {
  now = 0;
  private alarms: { due: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  nanos(): number {
    return this.now;
  }

  schedule(ns: number, fn: () => void): () => void {
    const alarm = { due: this.now + ns, seq: this.seq++, fn };
    this.alarms.push(alarm);
    return () => {
      this.alarms = this.alarms.filter((a) => a !== alarm);
    };
  }

  get pending(): number {
    return this.alarms.length;
  }

  /** Runs every alarm due within `ns` from now, in time order, moving the clock to each. */
  advance(ns: number): void {
    const end = this.now + ns;
    for (;;) {
      this.alarms.sort((a, b) => a.due - b.due || a.seq - b.seq);
      const next = this.alarms[0];
      if (!next || next.due > end) break;
      this.alarms.shift();
      this.now = Math.max(this.now, next.due);
      next.fn();
    }
    this.now = end;
  }
}

export function ip(text: string): number {
  const v = parseIpv4(text);
  if (v === null) throw new Error(`bad address ${text}`);
  return v;
}

export function mac(text: string): number[] {
  return text.split(':').map((h) => parseInt(h, 16));
}

function u16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

export const GUEST_MAC = '00:e0:de:ad:be:ef'; // NuttX's default CONFIG_NETINIT_MACADDR
export const GW_MAC = '52:55:0a:00:02:02';
export const BROADCAST = 'ff:ff:ff:ff:ff:ff';

/** Ethernet II frame, padded to 60 bytes as a MAC pads it. */
export function ethernet(
  dst: string,
  src: string,
  type: number,
  payload: ArrayLike<number>,
): Uint8Array {
  const bytes = [...mac(dst), ...mac(src), ...u16(type), ...Array.from(payload)];
  while (bytes.length < 60) bytes.push(0);
  return Uint8Array.from(bytes);
}

export function arpPacket(
  op: number,
  senderMac: string,
  senderIp: string,
  targetMac: string,
  targetIp: string,
): number[] {
  return [
    ...u16(1),
    ...u16(0x0800),
    6,
    4,
    ...u16(op),
    ...mac(senderMac),
    ...u32(ip(senderIp)),
    ...mac(targetMac),
    ...u32(ip(targetIp)),
  ];
}

export function arpRequestFrame(
  senderIp: string,
  targetIp: string,
  senderMac = GUEST_MAC,
): Uint8Array {
  return ethernet(
    BROADCAST,
    senderMac,
    0x0806,
    arpPacket(1, senderMac, senderIp, '00:00:00:00:00:00', targetIp),
  );
}

/** An IPv4 packet with a 20-byte header (checksum filled in) around `payload`. */
export function ipv4Packet(
  src: string,
  dst: string,
  protocol: number,
  payload: ArrayLike<number>,
  fields: { ttl?: number; id?: number; flagsFragment?: number } = {},
): number[] {
  const header = Uint8Array.from([
    0x45,
    0,
    ...u16(20 + payload.length),
    ...u16(fields.id ?? 1),
    ...u16(fields.flagsFragment ?? 0x4000),
    fields.ttl ?? 64,
    protocol,
    0,
    0,
    ...u32(ip(src)),
    ...u32(ip(dst)),
  ]);
  const sum = internetChecksum(header);
  header[10] = sum >> 8;
  header[11] = sum & 0xff;
  return [...header, ...Array.from(payload)];
}

export function icmpEcho(id: number, seq: number, data: ArrayLike<number>, type = 8): number[] {
  const m = Uint8Array.from([type, 0, 0, 0, ...u16(id), ...u16(seq), ...Array.from(data)]);
  const sum = internetChecksum(m);
  m[2] = sum >> 8;
  m[3] = sum & 0xff;
  return [...m];
}

export function udpDatagram(
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  data: ArrayLike<number>,
): number[] {
  const d = Uint8Array.from([
    ...u16(srcPort),
    ...u16(dstPort),
    ...u16(8 + data.length),
    0,
    0,
    ...Array.from(data),
  ]);
  const sum = transportChecksum(ip(src), ip(dst), 17, d, 0, d.length) || 0xffff;
  d[6] = sum >> 8;
  d[7] = sum & 0xff;
  return [...d];
}

export function tcpSegment(
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  seq: number,
  flags: number,
  data: ArrayLike<number> = [],
  options: number[] = [],
): number[] {
  const headerLength = 20 + options.length;
  const s = Uint8Array.from([
    ...u16(srcPort),
    ...u16(dstPort),
    ...u32(seq),
    ...u32(0),
    (headerLength / 4) << 4,
    flags,
    ...u16(4096),
    0,
    0,
    0,
    0,
    ...options,
    ...Array.from(data),
  ]);
  const sum = transportChecksum(ip(src), ip(dst), 6, s, 0, s.length);
  s[16] = sum >> 8;
  s[17] = sum & 0xff;
  return [...s];
}

export function ipv4Frame(
  src: string,
  dst: string,
  protocol: number,
  payload: ArrayLike<number>,
  dstMac = GW_MAC,
): Uint8Array {
  return ethernet(dstMac, GUEST_MAC, 0x0800, ipv4Packet(src, dst, protocol, payload));
}

export const DHCP = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
};

/** A DHCP client message (RFC 2131 figure 1) with options [code, ...bytes] in order. */
export function dhcpMessage(
  xid: number,
  options: number[][],
  fields: { ciaddr?: string; broadcast?: boolean; chaddr?: string } = {},
): number[] {
  const m = new Array<number>(236).fill(0);
  m[0] = 1; // BOOTREQUEST
  m[1] = 1; // Ethernet
  m[2] = 6;
  m.splice(4, 4, ...u32(xid));
  m.splice(10, 2, ...u16(fields.broadcast ? 0x8000 : 0));
  m.splice(12, 4, ...u32(fields.ciaddr ? ip(fields.ciaddr) : 0));
  m.splice(28, 6, ...mac(fields.chaddr ?? GUEST_MAC));
  m.push(99, 130, 83, 99);
  for (const [code, ...value] of options) m.push(code!, value.length, ...value);
  m.push(255);
  return m;
}

export function dhcpFrame(
  message: number[],
  src = '0.0.0.0',
  dst = '255.255.255.255',
  dstMac = BROADCAST,
): Uint8Array {
  return ethernet(
    dstMac,
    GUEST_MAC,
    0x0800,
    ipv4Packet(src, dst, 17, udpDatagram(src, dst, 68, 67, message)),
  );
}
