/**
 * Test scaffolding for the Ethernet MAC and its DMA: a MAC on the shared peripheral test
 * context (../rcc/testing.ts, SRAM at 0x20000000), register offsets, descriptor writers and
 * frame builders.
 */
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { EthernetMac, type MiiPhy } from './mac.js';
import { SOFT_RESET_NS } from './ethDma.js';

export const ETH = 0x40028000;
export const REG = {
  MACCR: 0x00,
  MACFFR: 0x04,
  MACHTHR: 0x08,
  MACHTLR: 0x0c,
  MACMIIAR: 0x10,
  MACMIIDR: 0x14,
  MACSR: 0x38,
  MACA0HR: 0x40,
  MACA0LR: 0x44,
  MACA1HR: 0x48,
  MACA1LR: 0x4c,
  MMCCR: 0x100,
  MMCRIR: 0x104,
  MMCRIMR: 0x10c,
  MMCTIMR: 0x110,
  TGFCR: 0x168,
  RGUFCR: 0x1c4,
  DMABMR: 0x1000,
  DMATPDR: 0x1004,
  DMARPDR: 0x1008,
  DMARDLAR: 0x100c,
  DMATDLAR: 0x1010,
  DMASR: 0x1014,
  DMAOMR: 0x1018,
  DMAIER: 0x101c,
  DMAMFBOCR: 0x1020,
  DMACHTDR: 0x1048,
} as const;

export const MACCR_RE = 1 << 2;
export const MACCR_TE = 1 << 3;
export const MACCR_IPCO = 1 << 10;
export const MACCR_DM = 1 << 11;
export const MACCR_FES = 1 << 14;
export const OMR_SR = 1 << 1;
export const OMR_ST = 1 << 13;
export const BMR_EDFE = 1 << 7;
export const ETH_IRQ = 61;

/** The MAC address the tests give MACA0: 02:00:00:00:00:01. */
export const OWN_MAC = [0x02, 0, 0, 0, 0, 0x01];
export const PEER_MAC = [0x02, 0, 0, 0, 0, 0x99];

export class FakePhy implements MiiPhy {
  readonly regs = new Uint16Array(32);
  readonly writes: [number, number][] = [];
  readRegister(reg: number): number {
    return this.regs[reg]!;
  }
  writeRegister(reg: number, value: number): void {
    this.writes.push([reg, value]);
    this.regs[reg] = value;
  }
}

export function setupEth() {
  const t = testContext();
  const mac = t.attach(new EthernetMac(socBlock('ETH'), t.ctx));
  const sent: Uint8Array[] = [];
  mac.onFrame = (f) => sent.push(f);
  const write = (off: number, v: number) => t.bus.write32(ETH + off, v >>> 0);
  const read = (off: number) => t.bus.read32(ETH + off);
  const us = (n: number) => t.advance(t.clock.cyclesForNanos(n * 1000));
  // The reset's DMABMR.SR clears after SOFT_RESET_NS.
  t.advance(t.clock.cyclesForNanos(SOFT_RESET_NS) + 1);
  write(REG.MACA0HR, 0x0100);
  write(REG.MACA0LR, 0x00000002);
  const fill = (addr: number, data: ArrayLike<number>) => {
    for (let i = 0; i < data.length; i++) t.bus.write8(addr + i, data[i]!);
  };
  const bytes = (addr: number, n: number) =>
    Uint8Array.from({ length: n }, (_, i) => t.bus.read8(addr + i));
  /** Writes a descriptor's first four words (and zeros the enhanced ones when `words` is 8). */
  const desc = (addr: number, d0: number, d1: number, d2: number, d3: number, words = 4) => {
    [d0, d1, d2, d3, 0, 0, 0, 0]
      .slice(0, words)
      .forEach((w, i) => t.bus.write32(addr + 4 * i, w >>> 0));
  };
  const word = (addr: number) => t.bus.read32(addr) >>> 0;
  return { ...t, mac, sent, write, read, us, fill, bytes, desc, word };
}

/** An Ethernet frame: destination, source, type, payload. */
export function frame(
  dst: ArrayLike<number>,
  src: ArrayLike<number>,
  type: number,
  payload: ArrayLike<number>,
): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(Array.from(dst), 0);
  f.set(Array.from(src), 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(Array.from(payload), 14);
  return f;
}

export const pattern = (n: number, seed = 1) =>
  Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

/** An IPv4/UDP frame 10.0.2.15:5000 -> 10.0.2.2:53 with zero checksums. */
export function udpFrame(payload: ArrayLike<number>, dst = OWN_MAC): Uint8Array {
  const udpLength = 8 + payload.length;
  const ip = new Uint8Array(20 + udpLength);
  ip.set([0x45, 0, (20 + udpLength) >> 8, (20 + udpLength) & 0xff, 0, 1, 0, 0, 64, 17, 0, 0]);
  ip.set([10, 0, 2, 15, 10, 0, 2, 2], 12);
  ip.set([0x13, 0x88, 0, 53, udpLength >> 8, udpLength & 0xff, 0, 0], 20);
  ip.set(Array.from(payload), 28);
  return frame(dst, PEER_MAC, 0x0800, ip);
}
