/**
 * ARP for IPv4 over Ethernet (RFC 826): 28-byte packets after the Ethernet header, hardware
 * type 1, protocol type 0x0800, address lengths 6 and 4.
 */
import { allocateFrame, ETH_HEADER_LENGTH, ETHERTYPE_ARP } from './ethernet.js';
import { readU16, readU32, writeU16, writeU32 } from './ipv4.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_LENGTH = 28;

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}

/** The ARP packet of an Ethernet frame; null when truncated or not Ethernet/IPv4 request/reply. */
export function parseArp(frame: Uint8Array): ArpPacket | null {
  const o = ETH_HEADER_LENGTH;
  if (frame.length < o + ARP_LENGTH) return null;
  const op = readU16(frame, o + 6);
  if (
    readU16(frame, o) !== 1 ||
    readU16(frame, o + 2) !== 0x0800 ||
    frame[o + 4] !== 6 ||
    frame[o + 5] !== 4
  )
    return null;
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return null;
  return {
    op,
    senderMac: frame.slice(o + 8, o + 14),
    senderIp: readU32(frame, o + 14),
    targetMac: frame.slice(o + 18, o + 24),
    targetIp: readU32(frame, o + 24),
  };
}

/** A whole Ethernet frame carrying one ARP packet (Ethernet source = ARP sender). */
export function buildArpFrame(ethDst: Uint8Array, arp: ArpPacket): Uint8Array {
  const frame = allocateFrame(ethDst, arp.senderMac, ETHERTYPE_ARP, ARP_LENGTH);
  const o = ETH_HEADER_LENGTH;
  writeU16(frame, o, 1); // Ethernet
  writeU16(frame, o + 2, 0x0800); // IPv4
  frame[o + 4] = 6;
  frame[o + 5] = 4;
  writeU16(frame, o + 6, arp.op);
  frame.set(arp.senderMac.subarray(0, 6), o + 8);
  writeU32(frame, o + 14, arp.senderIp);
  frame.set(arp.targetMac.subarray(0, 6), o + 18);
  writeU32(frame, o + 24, arp.targetIp);
  return frame;
}
