/**
 * The classic libpcap file format (draft-ietf-opsawg-pcap; tcpdump's pcap-savefile(5)) as pure
 * functions: the host side only appends the returned bytes to a file, so recording costs no
 * Node API here and works the same in a browser (a Blob of the pieces).
 *
 * Fields are written little-endian; readers detect the byte order from the magic number.
 * Virtual time is kept in nanoseconds, so the default is the nanosecond-resolution magic
 * 0xa1b23c4d (Wireshark and tshark read it); 'us' gives the original 0xa1b2c3d4.
 */

export const LINKTYPE_ETHERNET = 1;
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
/** tcpdump's default snapshot length: more than any Ethernet frame, so nothing is cut. */
export const PCAP_DEFAULT_SNAPLEN = 262144;

export type PcapResolution = 'ns' | 'us';

export interface PcapOptions {
  resolution?: PcapResolution;
  snaplen?: number;
}

/** The 24-byte file header: magic, version 2.4, zone 0, sigfigs 0, snaplen, link type. */
export function pcapHeader(options: PcapOptions = {}): Uint8Array {
  const header = new Uint8Array(PCAP_HEADER_LENGTH);
  const v = new DataView(header.buffer);
  const magic = options.resolution === 'us' ? PCAP_MAGIC_MICROSECONDS : PCAP_MAGIC_NANOSECONDS;
  v.setUint32(0, magic, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true); // thiszone: timestamps are UTC (here: virtual time from power-on)
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, options.snaplen ?? PCAP_DEFAULT_SNAPLEN, true);
  v.setUint32(20, LINKTYPE_ETHERNET, true);
  return header;
}

/**
 * One record: seconds, fraction (ns or µs, as the header said), captured length (at most
 * snaplen), original length, then the captured bytes. `nanos` is the virtual time.
 */
export function pcapRecord(
  frame: Uint8Array,
  nanos: number,
  options: PcapOptions = {},
): Uint8Array {
  const snaplen = options.snaplen ?? PCAP_DEFAULT_SNAPLEN;
  const captured = Math.min(frame.length, snaplen);
  const record = new Uint8Array(PCAP_RECORD_HEADER_LENGTH + captured);
  const v = new DataView(record.buffer);
  const whole = Math.max(0, Math.floor(nanos));
  const seconds = Math.floor(whole / 1e9);
  const fraction = whole - seconds * 1e9;
  v.setUint32(0, seconds >>> 0, true);
  v.setUint32(4, options.resolution === 'us' ? Math.floor(fraction / 1000) : fraction, true);
  v.setUint32(8, captured, true);
  v.setUint32(12, frame.length, true);
  record.set(frame.subarray(0, captured), PCAP_RECORD_HEADER_LENGTH);
  return record;
}
