import { describe, expect, it } from 'vitest';
import { pcapHeader, pcapRecord } from './pcap.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('pcap writer', () => {
  it('writes the classic file header: magic, version 2.4, zone, sigfigs, snaplen, LINKTYPE_ETHERNET', () => {
    // Little-endian fields (pcap-savefile(5)): a reader sees d4c3b2a1 / 4d3cb2a1 and swaps.
    expect(hex(pcapHeader())).toBe(
      '4d3cb2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000',
    );
    expect(hex(pcapHeader({ resolution: 'us', snaplen: 65535 }))).toBe(
      'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '01000000',
    );
    const v = new DataView(pcapHeader().buffer);
    expect(v.getUint32(0, true)).toBe(0xa1b23c4d);
    expect(v.getUint32(20, true)).toBe(1);
  });

  it('writes records with seconds, fraction, captured and original length, then the bytes', () => {
    const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
    const t = 3 * 1e9 + 123_456_789; // 3.123456789 s of virtual time
    const r = pcapRecord(frame, t);
    expect(r.length).toBe(16 + 60);
    expect(hex(r.subarray(0, 16))).toBe('03000000' + '15cd5b07' + '3c000000' + '3c000000');
    expect(hex(r.subarray(16))).toBe(hex(frame));
    const us = new DataView(pcapRecord(frame, t, { resolution: 'us' }).buffer);
    expect([us.getUint32(0, true), us.getUint32(4, true)]).toEqual([3, 123456]);
    // snaplen cuts the capture but keeps the original length.
    const cut = new DataView(pcapRecord(frame, 0.7, { snaplen: 20 }).buffer);
    expect([cut.getUint32(0, true), cut.getUint32(4, true)]).toEqual([0, 0]);
    expect([cut.getUint32(8, true), cut.getUint32(12, true), cut.byteLength]).toEqual([20, 60, 36]);
  });
});
