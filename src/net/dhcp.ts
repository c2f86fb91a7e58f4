/**
 * A DHCP server for the one guest on the virtual link (RFC 2131, options from RFC 2132). It
 * leases a single address (10.0.2.15 by default, as QEMU's slirp does for its first client):
 * the board has one Ethernet port, so whichever client asks gets it; a different client
 * hardware address (firmware that changed its MAC) simply takes the lease over.
 *
 * The server sees BOOTP messages (the UDP data) and answers with BOOTP messages and where to
 * send them; UDP, IPv4 and Ethernet framing are the network's.
 */
import { readU16, readU32, writeU16, writeU32 } from './ipv4.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

// Message types, option 53 (RFC 2132 §9.6).
export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

// Option codes (RFC 2132).
export const OPT_PAD = 0;
export const OPT_SUBNET_MASK = 1;
export const OPT_ROUTER = 3;
export const OPT_DNS = 6;
export const OPT_REQUESTED_IP = 50;
export const OPT_LEASE_TIME = 51;
export const OPT_OVERLOAD = 52;
export const OPT_MESSAGE_TYPE = 53;
export const OPT_SERVER_ID = 54;
export const OPT_RENEWAL_TIME = 58;
export const OPT_REBINDING_TIME = 59;
export const OPT_END = 255;

/** The fixed BOOTP part: op … file (RFC 2131 figure 1), then the magic cookie at 236. */
export const BOOTP_FIXED_LENGTH = 236;
export const MAGIC_COOKIE = 0x63825363; // 99.130.83.99
const BOOTREQUEST = 1;
const BOOTREPLY = 2;
const BROADCAST_FLAG = 0x8000;

export interface DhcpServerConfig {
  serverIp: number;
  leaseIp: number;
  subnetMask: number;
  router: number;
  dns: number;
  leaseSeconds: number;
}

export interface DhcpMessage {
  op: number;
  xid: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  giaddr: number;
  chaddr: Uint8Array;
  /** Options by code (the last occurrence wins; RFC 3396 concatenation is not needed here). */
  options: Map<number, Uint8Array>;
}

/** A BOOTP/DHCP message; null when truncated, not a 6-byte-Ethernet request or without a cookie. */
export function parseDhcp(data: Uint8Array): DhcpMessage | null {
  if (data.length < BOOTP_FIXED_LENGTH + 4) return null;
  if (data[1] !== 1 || data[2] !== 6) return null; // htype Ethernet, hlen 6
  if (readU32(data, BOOTP_FIXED_LENGTH) !== MAGIC_COOKIE) return null;
  const options = new Map<number, Uint8Array>();
  let i = BOOTP_FIXED_LENGTH + 4;
  while (i < data.length) {
    const code = data[i]!;
    if (code === OPT_END) break;
    if (code === OPT_PAD) {
      i++;
      continue;
    }
    if (i + 1 >= data.length) return null;
    const length = data[i + 1]!;
    if (i + 2 + length > data.length) return null;
    options.set(code, data.slice(i + 2, i + 2 + length));
    i += 2 + length;
  }
  return {
    op: data[0]!,
    xid: readU32(data, 4),
    flags: readU16(data, 10),
    ciaddr: readU32(data, 12),
    yiaddr: readU32(data, 16),
    giaddr: readU32(data, 24),
    chaddr: data.slice(28, 34),
    options,
  };
}

export function dhcpMessageType(message: DhcpMessage): number {
  const t = message.options.get(OPT_MESSAGE_TYPE);
  return t?.length === 1 ? t[0]! : 0;
}

function optionIp(message: DhcpMessage, code: number): number | null {
  const v = message.options.get(code);
  return v?.length === 4 ? readU32(v, 0) : null;
}

export interface DhcpReply {
  /** The BOOTP message to send from port 67 to port 68. */
  message: Uint8Array;
  /** Where to: broadcast (255.255.255.255, ff:ff:ff:ff:ff:ff) or unicast to ip at mac. */
  broadcast: boolean;
  ip: number;
  mac: Uint8Array;
  type: number;
  /** The address given to the client (0 for NAK and INFORM's ACK). */
  yiaddr: number;
}

export class DhcpServer {
  /** The client holding the lease (after an ACK), for the network to learn the guest from. */
  leasedTo: Uint8Array | null = null;

  constructor(readonly config: DhcpServerConfig) {}

  /**
   * Answers one client message (the UDP data sent to port 67): a reply, null when none is due
   * (RELEASE, a request meant for another server), or 'malformed'.
   */
  handle(data: Uint8Array): DhcpReply | null | 'malformed' {
    const m = parseDhcp(data);
    if (!m || m.op !== BOOTREQUEST) return 'malformed';
    const c = this.config;
    switch (dhcpMessageType(m)) {
      case DHCPDISCOVER:
        return this.reply(m, DHCPOFFER, c.leaseIp);
      case DHCPREQUEST: {
        const serverId = optionIp(m, OPT_SERVER_ID);
        const requested = optionIp(m, OPT_REQUESTED_IP);
        // SELECTING (server id present): the client chose a server; not us → forget it
        // (RFC 2131 §4.3.2). INIT-REBOOT: requested address, no ciaddr. RENEWING/REBINDING:
        // ciaddr, no requested address.
        if (serverId !== null && serverId !== c.serverIp) return null;
        const wanted = requested ?? m.ciaddr;
        if (wanted !== c.leaseIp) return this.reply(m, DHCPNAK, 0);
        this.leasedTo = m.chaddr;
        return this.reply(m, DHCPACK, c.leaseIp);
      }
      case DHCPINFORM:
        // The client has an address already and wants only the parameters (§4.3.5).
        return this.reply(m, DHCPACK, 0);
      case DHCPRELEASE:
      case DHCPDECLINE:
        // A release frees the lease; a decline says the address is in use on the link, which
        // on a link with one guest can only be the guest's own misconfiguration: both simply
        // end the lease, and the next DISCOVER offers the address again.
        this.leasedTo = null;
        return null;
      default:
        return 'malformed'; // no or unknown message type: BOOTP, which we do not serve
    }
  }

  private reply(request: DhcpMessage, type: number, yiaddr: number): DhcpReply {
    const c = this.config;
    const options: number[] = [OPT_MESSAGE_TYPE, 1, type, OPT_SERVER_ID, 4, ...bytes(c.serverIp)];
    if (type !== DHCPNAK) {
      options.push(OPT_SUBNET_MASK, 4, ...bytes(c.subnetMask));
      options.push(OPT_ROUTER, 4, ...bytes(c.router));
      options.push(OPT_DNS, 4, ...bytes(c.dns));
      if (type !== DHCPACK || yiaddr !== 0) {
        // Not for INFORM: "the server MUST NOT send a lease expiration time" (§4.3.5).
        const t = c.leaseSeconds;
        options.push(OPT_LEASE_TIME, 4, ...bytes(t));
        options.push(OPT_RENEWAL_TIME, 4, ...bytes(Math.floor(t / 2))); // T1 = 0.5 (§4.4.5)
        options.push(OPT_REBINDING_TIME, 4, ...bytes(Math.floor((t * 7) / 8))); // T2 = 0.875
      }
    }
    options.push(OPT_END);
    const message = new Uint8Array(Math.max(300, BOOTP_FIXED_LENGTH + 4 + options.length));
    message[0] = BOOTREPLY;
    message[1] = 1;
    message[2] = 6;
    writeU32(message, 4, request.xid);
    writeU16(message, 10, request.flags & BROADCAST_FLAG);
    if (type === DHCPACK && yiaddr === 0) writeU32(message, 12, request.ciaddr);
    writeU32(message, 16, yiaddr);
    writeU32(message, 20, type === DHCPNAK ? 0 : c.serverIp); // siaddr
    writeU32(message, 24, request.giaddr);
    message.set(request.chaddr, 28);
    writeU32(message, BOOTP_FIXED_LENGTH, MAGIC_COOKIE);
    message.set(options, BOOTP_FIXED_LENGTH + 4);
    // Where to (§4.1): a NAK is broadcast; a client that has an address (ciaddr) gets unicast
    // there; otherwise the broadcast bit decides between broadcast and unicast to yiaddr at
    // chaddr (a client without an address may not accept unicast IP yet).
    let broadcast = type === DHCPNAK || (request.flags & BROADCAST_FLAG) !== 0;
    let ip = yiaddr;
    if (request.ciaddr !== 0 && type !== DHCPNAK) {
      broadcast = false;
      ip = request.ciaddr;
    }
    if (ip === 0) broadcast = true;
    return {
      message,
      broadcast,
      ip: broadcast ? 0xffffffff : ip,
      mac: request.chaddr,
      type,
      yiaddr,
    };
  }
}

function bytes(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}
