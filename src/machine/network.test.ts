/**
 * The board's Ethernet on the user-mode network, end to end inside one Machine: a driver's
 * register writes and descriptors in SRAM (as NuttX's or lwIP's driver does them), the MAC's
 * DMA, the LAN8720A over MDIO, and the network's ARP, ICMP and DHCP answers, on virtual time.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from './machine.js';
import { attachUserNetwork } from './network.js';
import {
  ETH,
  REG,
  MACCR_RE,
  MACCR_TE,
  MACCR_FES,
  MACCR_DM,
  OMR_SR,
  OMR_ST,
} from '../peripherals/eth/testing.js';
import {
  GUEST_MAC,
  GW_MAC,
  arpRequestFrame,
  ethernet,
  icmpEcho,
  ipv4Packet,
  mac,
} from '../net/testing.js';
import { internetChecksum } from '../net/checksum.js';
import { ipv4Frame, tcpSegment, udpDatagram } from '../net/testing.js';
import { parseHostForward } from '../net/options.js';
import { nodeHostSockets } from '../host/netSockets.js';
import * as dgram from 'node:dgram';
import * as net from 'node:net';

const RX_DESC = 0x20001000;
const TX_DESC = 0x20001100;
const RX_BUF = 0x20002000;
const TX_BUF = 0x20004000;
const RX_COUNT = 4;
const BUF = 1536;
const OWN = 0x80000000;

/** A machine whose core sleeps (wfi; b .) so virtual time can pass with nothing else running. */
function idleMachine(): Machine {
  const m = new Machine({ warn: () => {} });
  const v = new DataView(m.flash.bytes.buffer, m.flash.bytes.byteOffset);
  v.setUint32(0, 0x20001000, true);
  v.setUint32(4, 0x08000009, true);
  v.setUint16(8, 0xbf30, true); // wfi
  v.setUint16(10, 0xe7fd, true); // b wfi
  m.reset();
  return m;
}

const wait = (m: Machine, ms: number) => m.run(Infinity, m.clock.cyclesForNanos(ms * 1e6));
const reg = (m: Machine, offset: number) => m.bus.read32(ETH + offset);
const setReg = (m: Machine, offset: number, value: number) => m.bus.write32(ETH + offset, value);

/** MDIO read as a driver does it: PA, MR, CR, MB; wait for MB to clear; MACMIIDR. */
function mdioRead(m: Machine, phy: number, register: number): number {
  setReg(m, REG.MACMIIAR, (phy << 11) | (register << 6) | 1);
  for (let i = 0; i < 100 && reg(m, REG.MACMIIAR) & 1; i++) wait(m, 0.01);
  expect(reg(m, REG.MACMIIAR) & 1).toBe(0);
  return reg(m, REG.MACMIIDR) & 0xffff;
}

/** Brings the MAC up: DMA reset, PHY link, MAC address, descriptor rings, RX and TX on. */
const RCC_AHB1ENR = 0x40023830;
const RCC_AHB1RSTR = 0x40023810;
const ETH_CLOCKS = (1 << 25) | (1 << 26) | (1 << 27); // ETHMACEN, ETHMACTXEN, ETHMACRXEN

function bringUp(m: Machine, clocks = ETH_CLOCKS): void {
  m.bus.write32(RCC_AHB1ENR, m.bus.read32(RCC_AHB1ENR) | clocks);
  setReg(m, REG.DMABMR, 1);
  wait(m, 0.1);
  expect(reg(m, REG.DMABMR) & 1).toBe(0);
  expect(mdioRead(m, 0, 2)).toBe(0x0007);
  expect(mdioRead(m, 0, 3)).toBe(0xc0f1);
  wait(m, 5); // auto-negotiation
  expect(mdioRead(m, 0, 1) & 0x24).toBe(0x24); // link up, autoneg complete
  expect((mdioRead(m, 0, 31) >> 2) & 7).toBe(0b110); // 100BASE-TX full duplex
  const own = mac(GUEST_MAC);
  setReg(m, REG.MACA0HR, (own[5]! << 8) | own[4]!);
  setReg(m, REG.MACA0LR, own[0]! | (own[1]! << 8) | (own[2]! << 16) | (own[3]! << 24));
  for (let i = 0; i < RX_COUNT; i++) {
    const d = RX_DESC + 16 * i;
    m.bus.write32(d, OWN);
    m.bus.write32(d + 4, (i === RX_COUNT - 1 ? 1 << 15 : 0) | BUF); // RER on the last, RBS1
    m.bus.write32(d + 8, RX_BUF + BUF * i);
    m.bus.write32(d + 12, 0);
  }
  setReg(m, REG.DMARDLAR, RX_DESC);
  setReg(m, REG.DMATDLAR, TX_DESC);
  setReg(m, REG.MACCR, MACCR_FES | MACCR_DM | MACCR_TE | MACCR_RE);
  setReg(m, REG.DMAOMR, OMR_SR | OMR_ST);
}

/** Sends one frame with a single TX descriptor (FS, LS, TER) and a poll demand. */
function transmit(m: Machine, frame: ArrayLike<number>): void {
  for (let i = 0; i < frame.length; i++) m.bus.write8(TX_BUF + i, frame[i]!);
  m.bus.write32(TX_DESC + 4, frame.length);
  m.bus.write32(TX_DESC + 8, TX_BUF);
  m.bus.write32(TX_DESC, OWN | (1 << 29) | (1 << 28) | (1 << 21));
  setReg(m, REG.DMATPDR, 0);
}

/** The frames the DMA wrote into RX descriptors the CPU owns now (FL less the 4-byte FCS). */
function received(m: Machine): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < RX_COUNT; i++) {
    const d = RX_DESC + 16 * i;
    const rdes0 = m.bus.read32(d);
    if (rdes0 & OWN) continue;
    const length = ((rdes0 >>> 16) & 0x3fff) - 4;
    const bytes = new Uint8Array(length);
    for (let j = 0; j < length; j++) bytes[j] = m.bus.read8(RX_BUF + BUF * i + j);
    frames.push(bytes);
    m.bus.write32(d, OWN); // back to the DMA
  }
  setReg(m, REG.DMARPDR, 0);
  return frames;
}

describe('the board on the user-mode network', () => {
  it('answers ARP and ping for the static gateway NuttX uses (10.0.0.1)', () => {
    const m = idleMachine();
    const taps: number[] = [];
    const attached = attachUserNetwork(m, { tap: (f) => taps.push(f.length) });
    bringUp(m);
    transmit(m, arpRequestFrame('10.0.0.2', '10.0.0.1'));
    wait(m, 1);
    const [arp] = received(m);
    expect(arp).toBeDefined();
    expect(Array.from(arp!.subarray(0, 12))).toEqual([...mac(GUEST_MAC), ...mac(GW_MAC)]);
    expect((arp![12]! << 8) | arp![13]!).toBe(0x0806);
    expect((arp![20]! << 8) | arp![21]!).toBe(2); // reply
    const payload = Array.from({ length: 56 }, (_, i) => i);
    const ping = ethernet(
      GW_MAC,
      GUEST_MAC,
      0x0800,
      ipv4Packet('10.0.0.2', '10.0.0.1', 1, icmpEcho(0x1234, 1, payload)),
    );
    transmit(m, ping);
    wait(m, 1);
    const [reply] = received(m);
    expect(reply).toBeDefined();
    const icmp = reply!.subarray(14 + 20, 14 + 20 + 8 + 56);
    expect(icmp[0]).toBe(0); // echo reply
    expect(internetChecksum(icmp)).toBe(0);
    expect(Array.from(icmp.subarray(8))).toEqual(payload);
    expect(attached.net.stats.icmpEchoReplies).toBe(1);
    expect(taps.length).toBe(4); // two frames each way, for --pcap
  });

  it('needs the RCC clocks of the MAC, and AHB1RSTR.ETHMACRST resets it', () => {
    const m = idleMachine();
    const attached = attachUserNetwork(m);
    bringUp(m, 1 << 25); // ETHMACEN alone: neither the transmit nor the receive clock
    transmit(m, arpRequestFrame('10.0.0.2', '10.0.0.1'));
    wait(m, 1);
    expect(attached.net.stats.framesIn).toBe(0);
    expect(m.soc.eth.stats.txUnclocked).toBe(1);
    expect(reg(m, REG.MACCR)).not.toBe(0x8000);
    m.bus.write32(RCC_AHB1RSTR, 1 << 25);
    m.bus.write32(RCC_AHB1RSTR, 0);
    expect(reg(m, REG.MACCR)).toBe(0x8000); // RM0090 33.8.1: MACCR resets to 0x0000 8000
  });

  it('drops frames while the cable is out, and carries them again once it is back', () => {
    const m = idleMachine();
    const attached = attachUserNetwork(m);
    bringUp(m);
    m.phy.setLink(false);
    transmit(m, arpRequestFrame('10.0.0.2', '10.0.0.1'));
    wait(m, 1);
    expect(received(m)).toEqual([]);
    expect(attached.net.stats.framesIn).toBe(0);
    m.phy.setLink(true);
    wait(m, 5);
    transmit(m, arpRequestFrame('10.0.0.2', '10.0.0.1'));
    wait(m, 1);
    expect(received(m)).toHaveLength(1);
  });
});

describe('a connection the guest opens', () => {
  /** The guest sends SYN to 10.0.0.1:port; resolves with the TCP flags of the answer. */
  async function synFromGuest(restrict: boolean, port: number) {
    const m = idleMachine();
    attachUserNetwork(m, { host: nodeHostSockets(), restrict });
    bringUp(m);
    transmit(m, arpRequestFrame('10.0.0.2', '10.0.0.1'));
    wait(m, 1);
    received(m);
    transmit(
      m,
      ipv4Frame(
        '10.0.0.2',
        '10.0.0.1',
        6,
        tcpSegment('10.0.0.2', '10.0.0.1', 40000, port, 1000, 0x02),
      ),
    );
    // The host's connect happens in Node's event loop: let it, then let virtual time pass.
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 10));
      wait(m, 1);
      const frames = received(m);
      const tcp = frames.find((f) => f[23] === 6);
      if (tcp) return tcp[14 + 20 + 13]!;
    }
    return null;
  }

  it('reaches a host server through the gateway only with restrict=off', async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(await synFromGuest(true, port)).toBe(0x14); // RST+ACK: restricted
      expect(accepted).toHaveLength(0);
      expect(await synFromGuest(false, port)).toBe(0x12); // SYN+ACK from the host's side
      expect(accepted).toHaveLength(1);
    } finally {
      for (const s of accepted) s.destroy();
      server.close();
    }
  });
});

describe('a UDP forward (hostfwd=udp:) with Node sockets', () => {
  it('carries a host client’s datagram to the guest’s port and the guest’s answer back', async () => {
    const m = idleMachine();
    const sockets = nodeHostSockets();
    let port = 0;
    const attached = attachUserNetwork(m, {
      host: {
        ...sockets,
        bindUdp: async (h, p) => {
          const u = await sockets.bindUdp!(h, p);
          port = u.port;
          return u;
        },
      },
      forwards: [parseHostForward('udp::0-:7')],
    });
    const client = dgram.createSocket('udp4');
    try {
      await attached.net.startForwards();
      expect(port).toBeGreaterThan(0);
      bringUp(m);
      transmit(m, arpRequestFrame('10.0.0.2', '10.0.0.1')); // the guest makes itself known
      wait(m, 1);
      expect(received(m)).toHaveLength(1);
      await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
      const answers: number[][] = [];
      client.on('message', (d) => answers.push(Array.from(d)));
      client.send(Uint8Array.of(1, 2, 3, 4), port, '127.0.0.1');
      // The datagram arrives in Node's event loop; then virtual time carries it to the MAC.
      let frame: Uint8Array | undefined;
      for (let i = 0; i < 50 && !frame; i++) {
        await new Promise((r) => setTimeout(r, 10));
        wait(m, 1);
        frame = received(m).find((f) => f[23] === 17);
      }
      expect(frame).toBeDefined();
      const f = frame!;
      const u16 = (o: number) => (f[o]! << 8) | f[o + 1]!;
      expect(Array.from(f.subarray(26, 34))).toEqual([10, 0, 0, 1, 10, 0, 0, 2]);
      expect(u16(34 + 2)).toBe(7);
      expect(Array.from(f.subarray(42, 46))).toEqual([1, 2, 3, 4]);
      // The guest's echo server answers the gateway's port; the client hears it.
      const gatewayPort = u16(34);
      transmit(
        m,
        ipv4Frame(
          '10.0.0.2',
          '10.0.0.1',
          17,
          udpDatagram('10.0.0.2', '10.0.0.1', 7, gatewayPort, [5, 6, 7]),
        ),
      );
      for (let i = 0; i < 50 && answers.length === 0; i++) {
        wait(m, 1);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(answers).toEqual([[5, 6, 7]]);
      expect(attached.net.stats.udpForwardedIn).toBe(1);
      expect(attached.net.stats.udpForwardedOut).toBe(1);
    } finally {
      client.close();
      attached.close();
    }
  });
});
