/**
 * Frame arithmetic of the Ethernet MAC that is not register work: the IEEE 802.3 CRC-32 (the
 * FCS and the hash filter's index) and the checksum offload engine (RM0090 33.5.7 "Checksum
 * offload"): IPv4 header, TCP, UDP and ICMP checksums inserted on transmit (TDES0.CIC) and checked
 * on receive (MACCR.IPCO). Frames are Uint8Arrays without FCS; nothing here touches the bus.
 */
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from '../../net/checksum.js';
import {
  RDES0_ES,
  RDES0_FT,
  RDES0_IPHCE,
  RDES0_PCE_ESA,
  RDES0_VLAN,
  RDES4_IPCB,
  RDES4_IPHE,
  RDES4_IPPE,
  RDES4_IPV4PR,
  RDES4_IPV6PR,
} from './ethDmaRegisters.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The Ethernet CRC-32 (reflected, as the FCS carries it: least significant byte first). */
export function crc32(data: Uint8Array, offset = 0, length = data.length - offset): number {
  let c = 0xffffffff;
  for (let i = offset; i < offset + length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Index into the 64-bit hash table (MACHTHR:MACHTLR) of a destination address: the upper 6 bits
 * of the bit-reversed CRC-32 of the 6 address bytes (RM0090 33.5.3 "Hash table filtering";
 * bit 5 selects MACHTHR, bits 4:0 the bit in it). The bit-reversed CRC's top bits are the
 * reflected CRC's low bits in reverse order.
 */
export function hashIndex(frame: Uint8Array, offset = 0): number {
  const crc = crc32(frame, offset, 6);
  let index = 0;
  for (let i = 0; i < 6; i++) index |= ((crc >>> i) & 1) << (5 - i);
  return index;
}

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;

const be16 = (f: Uint8Array, i: number) => (f[i]! << 8) | f[i + 1]!;
const be32 = (f: Uint8Array, i: number) =>
  ((f[i]! << 24) | (f[i + 1]! << 16) | (f[i + 2]! << 8) | f[i + 3]!) >>> 0;

/** Length/type of a frame and where its payload starts, past one VLAN tag if present. */
export function frameType(frame: Uint8Array): { type: number; offset: number; vlan: boolean } {
  if (frame.length < 14) return { type: 0, offset: frame.length, vlan: false };
  const t = be16(frame, 12);
  if (t === ETHERTYPE_VLAN && frame.length >= 18)
    return { type: be16(frame, 16), offset: 18, vlan: true };
  return { type: t, offset: 14, vlan: false };
}

/** IP payload types as RDES4.IPPT reports them. */
export const IPPT_UNKNOWN = 0;
export const IPPT_UDP = 1;
export const IPPT_TCP = 2;
export const IPPT_ICMP = 3;

/** What the checksum engine found in one frame. */
export interface ChecksumStatus {
  /** IPv4 or IPv6 by the type field, else null (the engine bypasses the frame). */
  ip: 4 | 6 | null;
  /** Version/length inconsistency, too short a header, or (IPv4) a wrong header checksum. */
  headerError: boolean;
  /** TCP/UDP/ICMP checksum wrong, or the payload shorter than the IP header says. */
  payloadError: boolean;
  /** Payload not checked: fragment, or a protocol other than TCP/UDP/ICMP. */
  bypassed: boolean;
  /** RDES4.IPPT. */
  payloadType: number;
}

interface IpLayout {
  ip: 4 | 6;
  /** Header is inconsistent (checked fields only). */
  bad: boolean;
  l4: number;
  l4Length: number;
  protocol: number;
  fragment: boolean;
  /** One's-complement sum of the pseudo-header (0 for ICMPv4, which has none). */
  pseudo: number;
  l3: number;
  headerLength: number;
}

function ipLayout(frame: Uint8Array): IpLayout | null {
  const { type, offset: l3 } = frameType(frame);
  if (type === ETHERTYPE_IPV4) {
    const base = { ip: 4 as const, l3, l4: l3, l4Length: 0, protocol: 0, fragment: false };
    if (frame.length < l3 + 20 || frame[l3]! >> 4 !== 4)
      return { ...base, bad: true, pseudo: 0, headerLength: 0 };
    const headerLength = (frame[l3]! & 0xf) * 4;
    const total = be16(frame, l3 + 2);
    const bad = headerLength < 20 || total < headerLength || l3 + total > frame.length;
    const protocol = frame[l3 + 9]!;
    const l4Length = bad ? 0 : total - headerLength;
    const pseudo =
      protocol === 1
        ? 0
        : pseudoHeaderSum(be32(frame, l3 + 12), be32(frame, l3 + 16), protocol, l4Length);
    return {
      ...base,
      bad,
      headerLength,
      l4: l3 + headerLength,
      l4Length,
      protocol,
      fragment: (be16(frame, l3 + 6) & 0x3fff) !== 0,
      pseudo,
    };
  }
  if (type === ETHERTYPE_IPV6) {
    const base = { ip: 6 as const, l3, headerLength: 40, fragment: false };
    if (frame.length < l3 + 40 || frame[l3]! >> 4 !== 6)
      return { ...base, bad: true, l4: l3, l4Length: 0, protocol: 0, pseudo: 0 };
    const l4Length = be16(frame, l3 + 4);
    const protocol = frame[l3 + 6]!;
    const bad = l3 + 40 + l4Length > frame.length;
    // RFC 8200 8.1: source and destination, upper-layer length, next header.
    const pseudo = onesComplementSum(frame, l3 + 8, 32) + l4Length + protocol;
    return { ...base, bad, l4: l3 + 40, l4Length, protocol, pseudo };
  }
  return null;
}

/** Offset of the checksum field in a TCP/UDP/ICMP header and the minimum header length. */
function transportField(
  ip: 4 | 6,
  protocol: number,
): { field: number; min: number; type: number } | null {
  if (protocol === 6) return { field: 16, min: 20, type: IPPT_TCP };
  if (protocol === 17) return { field: 6, min: 8, type: IPPT_UDP };
  if ((ip === 4 && protocol === 1) || (ip === 6 && protocol === 58))
    return { field: 2, min: 4, type: IPPT_ICMP };
  return null;
}

/** The receive checksum check (MACCR.IPCO), as reported in RDES0 and, enhanced, RDES4. */
export function checkReceived(frame: Uint8Array): ChecksumStatus {
  const status: ChecksumStatus = {
    ip: null,
    headerError: false,
    payloadError: false,
    bypassed: true,
    payloadType: IPPT_UNKNOWN,
  };
  const l = ipLayout(frame);
  if (!l) return status;
  status.ip = l.ip;
  if (l.bad) {
    status.headerError = true;
    return status;
  }
  if (l.ip === 4 && finishChecksum(onesComplementSum(frame, l.l3, l.headerLength)) !== 0)
    status.headerError = true;
  const t = transportField(l.ip, l.protocol);
  if (!t || l.fragment) return status;
  status.bypassed = false;
  status.payloadType = t.type;
  if (l.l4Length < t.min) {
    status.payloadError = true;
    return status;
  }
  // A UDP/IPv4 checksum of 0 means "none" (RFC 768).
  if (t.type === IPPT_UDP && l.ip === 4 && be16(frame, l.l4 + 6) === 0) return status;
  const sum = onesComplementSum(frame, l.l4, l.l4Length, l.pseudo);
  status.payloadError = finishChecksum(sum) !== 0;
  return status;
}

/** TDES0.CIC: 1 IPv4 header only, 2 header and payload (pseudo-header from software), 3 all. */
export function insertChecksums(
  frame: Uint8Array,
  cic: number,
): { headerError: boolean; payloadError: boolean } {
  const result = { headerError: false, payloadError: false };
  if (cic === 0) return result;
  const l = ipLayout(frame);
  if (!l) return result;
  if (l.ip === 4 && l.headerLength >= 20 && frame.length >= l.l3 + l.headerLength) {
    // Inserted even when the header is inconsistent, if the type says IPv4 (RM0090 33.5.7).
    frame[l.l3 + 10] = 0;
    frame[l.l3 + 11] = 0;
    const c = finishChecksum(onesComplementSum(frame, l.l3, l.headerLength));
    frame[l.l3 + 10] = c >> 8;
    frame[l.l3 + 11] = c & 0xff;
  }
  if (l.bad) {
    result.headerError = true;
    return result;
  }
  if (cic < 2 || l.fragment) return result;
  const t = transportField(l.ip, l.protocol);
  if (!t) return result;
  if (l.l4Length < t.min) {
    result.payloadError = true;
    return result;
  }
  const at = l.l4 + t.field;
  // CIC=2: software left the pseudo-header sum in the field; CIC=3: the MAC computes it.
  let initial = 0;
  if (cic === 3) {
    frame[at] = 0;
    frame[at + 1] = 0;
    initial = l.pseudo;
  }
  let c = finishChecksum(onesComplementSum(frame, l.l4, l.l4Length, initial));
  if (t.type === IPPT_UDP && c === 0) c = 0xffff; // 0 would mean "no checksum" (RFC 768)
  frame[at] = c >> 8;
  frame[at + 1] = c & 0xff;
  return result;
}

/**
 * The frame-type and checksum status bits of a received frame's last RDES0 (and, enhanced, its
 * RDES4), with MACCR.IPCO on or off (RM0090 33.6.8, table "Receive descriptor 0").
 */
export function receiveStatus(
  frame: Uint8Array,
  ipco: boolean,
  enhanced: boolean,
): { rdes0: number; rdes4: number } {
  const { type, vlan } = frameType(frame);
  const typeFrame = type >= 0x600;
  let rdes0 = vlan ? RDES0_VLAN : 0;
  let rdes4 = 0;
  if (!ipco) return { rdes0: rdes0 | (typeFrame ? RDES0_FT : 0), rdes4 };
  const c = checkReceived(frame);
  if (enhanced) {
    // Bit 0 is ESA: the IP status is in RDES4; bit 7 still flags an IPv4 header error.
    if (typeFrame) rdes0 |= RDES0_FT;
    if (c.ip !== null) {
      rdes0 |= RDES0_PCE_ESA;
      if (c.ip === 4 && c.headerError) rdes0 |= RDES0_IPHCE | RDES0_ES;
      rdes4 =
        (c.ip === 4 ? RDES4_IPV4PR : RDES4_IPV6PR) |
        (c.bypassed ? RDES4_IPCB : 0) |
        (c.payloadError ? RDES4_IPPE : 0) |
        (c.headerError ? RDES4_IPHE : 0) |
        c.payloadType;
    }
  } else if (c.ip === null) {
    // A type frame neither IPv4 nor IPv6 (the engine bypasses it): bits 7 and 0 set, FT clear.
    // Not an error: ES stays clear so drivers that drop frames on ES keep ARP.
    if (typeFrame) rdes0 |= RDES0_IPHCE | RDES0_PCE_ESA;
  } else if (c.bypassed && !c.headerError) rdes0 |= RDES0_PCE_ESA;
  else {
    rdes0 |= RDES0_FT;
    if (c.headerError) rdes0 |= RDES0_IPHCE | RDES0_ES;
    if (c.payloadError) rdes0 |= RDES0_PCE_ESA;
  }
  return { rdes0, rdes4 };
}
