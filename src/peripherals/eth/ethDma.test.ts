import { describe, expect, it } from 'vitest';
import { internetChecksum, transportChecksum } from '../../net/checksum.js';
import { FETCH_NS, RX_FIFO_FRAMES } from './ethDma.js';
import {
  AIS,
  ETS,
  FBES,
  NIS,
  OWN,
  RBUS,
  RDES0_DE,
  RDES0_ES,
  RDES0_FS,
  RDES0_FT,
  RDES0_LS,
  RDES0_PCE_ESA,
  RDES1_DIC,
  RDES1_RCH,
  RDES1_RER,
  RDES4_IPV4PR,
  ROS,
  RS,
  TBUS,
  TDES0_FS,
  TDES0_IC,
  TDES0_LS,
  TDES0_TCH,
  TDES0_TER,
  TS,
} from './ethDmaRegisters.js';
import { crc32, insertChecksums, IPPT_UDP } from './offload.js';
import {
  BMR_EDFE,
  ETH_IRQ,
  MACCR_DM,
  MACCR_FES,
  MACCR_IPCO,
  MACCR_RE,
  MACCR_TE,
  OMR_SR,
  OMR_ST,
  OWN_MAC,
  PEER_MAC,
  REG,
  frame,
  pattern,
  setupEth,
  udpFrame,
} from './testing.js';

const TXD = 0x20001000;
const TXB = 0x20002000;
const RXD = 0x20003000;
const RXB = 0x20004000;
/** Every DMAIER enable the tests look at: TIE, TBUIE, RIE, RBUIE, FBEIE, AISE, NISE. */
const IER = TS | TBUS | RS | RBUS | FBES | AIS | NIS;
const TPS = (sr: number) => (sr >>> 20) & 7;
const RPS = (sr: number) => (sr >>> 17) & 7;
const EBS = (sr: number) => (sr >>> 23) & 7;
const FL = (rdes0: number) => (rdes0 >>> 16) & 0x3fff;
const CIC = (n: number) => n << 22;

function started(bmr = 0x2100, maccr = 0) {
  const t = setupEth();
  t.write(REG.DMABMR, bmr);
  t.write(REG.DMAIER, IER);
  t.write(REG.MACCR, MACCR_RE | MACCR_TE | MACCR_FES | MACCR_DM | maccr);
  return t;
}
type Eth = ReturnType<typeof started>;

/** Four normal TX descriptors in ring mode, none owned, the last with TER. */
function txRing(t: Eth) {
  for (let i = 0; i < 4; i++) t.desc(TXD + 16 * i, i === 3 ? TDES0_TER : 0, 0, 0, 0);
  t.write(REG.DMATDLAR, TXD);
}

describe('Ethernet DMA transmit', () => {
  it('sends a frame spread over two buffers, then suspends with TBUS and resumes on TPDR', () => {
    const t = started();
    txRing(t);
    const f1 = frame(PEER_MAC, OWN_MAC, 0x0800, pattern(86)); // 100 bytes
    t.fill(TXB, f1.subarray(0, 40));
    t.fill(TXB + 0x100, f1.subarray(40));
    t.desc(TXD, OWN | TDES0_IC | TDES0_LS | TDES0_FS, (60 << 16) | 40, TXB, TXB + 0x100);
    t.write(REG.DMAOMR, OMR_ST);
    expect(t.sent).toHaveLength(0);
    t.us(5); // 100 bytes at 100 Mb/s take ~10 µs on the wire
    expect(t.sent).toHaveLength(0);
    expect(t.word(TXD) & OWN).not.toBe(0);
    t.us(10);
    expect(t.sent).toHaveLength(1);
    expect([...t.sent[0]!]).toEqual([...f1]);
    expect(t.word(TXD) & OWN).toBe(0);
    let sr = t.read(REG.DMASR);
    expect(sr & (TS | TBUS | NIS)).toBe(TS | TBUS | NIS);
    expect(TPS(sr)).toBe(6); // suspended: descriptor 1 belongs to the CPU
    expect(t.irqs.get(ETH_IRQ)).toBe(true);
    expect(t.read(REG.DMACHTDR)).toBe(TXD + 16);

    expect(sr & ETS).toBe(ETS); // the frame went whole into the transmit FIFO
    // W1C: the summary is sticky until written too.
    t.write(REG.DMASR, TS | TBUS | ETS);
    expect(t.read(REG.DMASR) & (TS | TBUS | NIS)).toBe(NIS);
    expect(t.irqs.get(ETH_IRQ)).toBe(true);
    t.write(REG.DMASR, NIS);
    expect(t.read(REG.DMASR) & 0x1ffff).toBe(0);
    expect(t.irqs.get(ETH_IRQ)).toBe(false);

    // Frame 2 over descriptors 1 and 2; nothing moves until the poll demand.
    const f2 = frame(PEER_MAC, OWN_MAC, 0x0806, pattern(50, 9)); // 64 bytes
    t.fill(TXB + 0x200, f2.subarray(0, 20));
    t.fill(TXB + 0x300, f2.subarray(20));
    t.desc(TXD + 16, OWN | TDES0_FS, 20, TXB + 0x200, 0);
    t.desc(TXD + 32, OWN | TDES0_LS | TDES0_IC, 44, TXB + 0x300, 0);
    t.us(50);
    expect(t.sent).toHaveLength(1);
    t.write(REG.DMATPDR, 1);
    t.us(50);
    expect(t.sent.map((f) => [...f])).toEqual([[...f1], [...f2]]);
    expect(t.word(TXD + 16) & OWN).toBe(0);
    expect(t.word(TXD + 32) & OWN).toBe(0);
    sr = t.read(REG.DMASR);
    expect(sr & (TS | TBUS)).toBe(TS | TBUS);

    // Descriptor 3 (end of ring): a short frame padded to 60 bytes; then back to descriptor 0.
    t.fill(TXB + 0x400, [1, 2, 3]);
    t.desc(TXD + 48, OWN | TDES0_TER | TDES0_FS | TDES0_LS, 3, TXB + 0x400, 0);
    t.write(REG.DMATPDR, 1);
    t.us(50);
    expect(t.sent).toHaveLength(3);
    expect([...t.sent[2]!]).toEqual([1, 2, 3, ...new Array<number>(57).fill(0)]);
    expect(t.read(REG.DMACHTDR)).toBe(TXD);
    expect(t.read(REG.TGFCR)).toBe(3);
  });

  it('waits for MACCR.TE and stops with TPSS when ST clears', () => {
    const t = started();
    t.write(REG.MACCR, MACCR_RE | MACCR_FES);
    txRing(t);
    t.fill(TXB, pattern(60));
    t.desc(TXD, OWN | TDES0_FS | TDES0_LS, 60, TXB, 0);
    t.write(REG.DMAOMR, OMR_ST);
    t.us(50);
    expect(t.sent).toHaveLength(0);
    t.write(REG.MACCR, MACCR_RE | MACCR_TE | MACCR_FES);
    t.us(50);
    expect(t.sent).toHaveLength(1);
    t.write(REG.DMAOMR, 0);
    expect(TPS(t.read(REG.DMASR))).toBe(0);
    expect(t.read(REG.DMASR) & 2).toBe(2); // TPSS
  });

  it('follows chained descriptors and the descriptor skip length in ring mode', () => {
    const t = started(0x2100 | (2 << 2)); // DSL = 2 words: descriptors 24 bytes apart
    t.fill(TXB, pattern(60));
    t.desc(TXD, OWN | TDES0_FS | TDES0_LS, 60, TXB, 0);
    t.desc(TXD + 24, OWN | TDES0_FS | TDES0_LS | TDES0_TCH, 60, TXB, TXD + 0x80);
    t.desc(TXD + 0x80, OWN | TDES0_FS | TDES0_LS, 60, TXB, 0);
    t.desc(TXD + 0x98, 0, 0, 0, 0);
    t.write(REG.DMATDLAR, TXD);
    t.write(REG.DMAOMR, OMR_ST);
    t.us(100);
    expect(t.sent).toHaveLength(3);
    expect(t.read(REG.DMACHTDR)).toBe(TXD + 0x98);
  });

  it('inserts IPv4 header and UDP/ICMP checksums (TDES0.CIC)', () => {
    const t = started();
    txRing(t);
    const udp = udpFrame(pattern(31));
    const icmp = frame(
      PEER_MAC,
      OWN_MAC,
      0x0800,
      [
        0x45, 0, 0, 28, 0, 2, 0, 0, 64, 1, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2, 8, 0, 0, 0, 0x12, 0x34,
        0, 1,
      ],
    );
    t.fill(TXB, udp);
    t.fill(TXB + 0x100, icmp);
    t.fill(TXB + 0x200, udp);
    t.desc(TXD, OWN | TDES0_FS | TDES0_LS | CIC(3), udp.length, TXB, 0);
    t.desc(TXD + 16, OWN | TDES0_FS | TDES0_LS | CIC(3), icmp.length, TXB + 0x100, 0);
    t.desc(TXD + 32, OWN | TDES0_FS | TDES0_LS | CIC(1), udp.length, TXB + 0x200, 0);
    t.write(REG.DMAOMR, OMR_ST);
    t.us(100);
    expect(t.sent).toHaveLength(3);
    const [u, i, h] = t.sent as [Uint8Array, Uint8Array, Uint8Array];
    expect(internetChecksum(u, 14, 20)).toBe(0);
    expect(u[14 + 10]! | u[14 + 11]!).not.toBe(0);
    const udpLength = udp.length - 34;
    expect(transportChecksum(0x0a00020f, 0x0a000202, 17, u, 34, udpLength)).toBe(0);
    expect(u[40]! | u[41]!).not.toBe(0);
    expect(internetChecksum(i, 14, 20)).toBe(0);
    expect(internetChecksum(i, 34, 8)).toBe(0);
    // CIC=1: the header only; the UDP checksum stays as software left it.
    expect(internetChecksum(h, 14, 20)).toBe(0);
    expect(h[40]! | h[41]!).toBe(0);
    // The first descriptor's status shows no IP header or payload error.
    expect(t.word(TXD) & ((1 << 16) | (1 << 12) | (1 << 15))).toBe(0);
  });

  it('raises a fatal bus error, not an exception, for a descriptor outside memory', () => {
    const t = started();
    t.write(REG.DMATDLAR, 0x60000000);
    t.write(REG.DMAOMR, OMR_ST);
    expect(() => t.us(10)).not.toThrow();
    const sr = t.read(REG.DMASR);
    expect(sr & (FBES | AIS)).toBe(FBES | AIS);
    expect(EBS(sr)).toBe(7); // transmit DMA, read, descriptor
    expect(TPS(sr)).toBe(0);
    expect(t.irqs.get(ETH_IRQ)).toBe(true);
    expect(t.warnings.some((w) => w.includes('bus error at 0x60000000'))).toBe(true);
    // A poll demand does not restart a stopped process.
    t.write(REG.DMATPDR, 1);
    t.us(10);
    expect(TPS(t.read(REG.DMASR))).toBe(0);
  });
});

/** RX descriptors chained in a loop, enhanced (32 bytes), each with one 64-byte buffer. */
function rxChain(t: Eth, n: number, owned = true) {
  for (let i = 0; i < n; i++) {
    const next = RXD + 32 * ((i + 1) % n);
    t.desc(RXD + 32 * i, owned ? OWN : 0, RDES1_RCH | 64, RXB + 0x100 * i, next, 8);
  }
  t.write(REG.DMARDLAR, RXD);
}

describe('Ethernet DMA receive', () => {
  it('writes a frame over chained enhanced descriptors with FL counting the FCS', () => {
    const t = started(0x2100 | BMR_EDFE, MACCR_IPCO);
    rxChain(t, 3);
    t.write(REG.DMAOMR, OMR_SR);
    const f = udpFrame(pattern(72)); // 114 bytes
    insertChecksums(f, 3);
    expect(t.mac.receiveFrame(f)).toBe(true);
    expect(t.word(RXD) & OWN).not.toBe(0); // never inside the host call
    t.us(30);
    const d0 = t.word(RXD);
    const d1 = t.word(RXD + 32);
    expect(d0 & (OWN | RDES0_FS | RDES0_LS)).toBe(RDES0_FS);
    expect(d1 & (OWN | RDES0_FS | RDES0_LS | RDES0_ES)).toBe(RDES0_LS);
    expect(FL(d1)).toBe(114 + 4);
    expect(d1 & (RDES0_FT | RDES0_PCE_ESA)).toBe(RDES0_FT | RDES0_PCE_ESA);
    expect(t.word(RXD + 32 + 16)).toBe(RDES4_IPV4PR | IPPT_UDP);
    const fcs = crc32(f);
    const expected = [...f, fcs & 0xff, (fcs >>> 8) & 0xff, (fcs >>> 16) & 0xff, fcs >>> 24];
    expect([...t.bytes(RXB, 64), ...t.bytes(RXB + 0x100, 54)]).toEqual(expected);
    expect(t.read(REG.DMASR) & (RS | NIS)).toBe(RS | NIS);
    expect(t.irqs.get(ETH_IRQ)).toBe(true);

    // The next frame lands in descriptor 2, read afresh (buffer address changed by the CPU).
    t.desc(RXD + 64, OWN, RDES1_RCH | 64, RXB + 0x800, RXD, 8);
    const arp = frame([255, 255, 255, 255, 255, 255], PEER_MAC, 0x0806, pattern(28));
    t.mac.receiveFrame(arp);
    t.us(30);
    const d2 = t.word(RXD + 64);
    expect(d2 & (OWN | RDES0_FS | RDES0_LS)).toBe(RDES0_FS | RDES0_LS);
    expect(FL(d2)).toBe(64); // padded to 60, plus FCS
    expect([...t.bytes(RXB + 0x800, 42)]).toEqual([...arp]);
    expect(t.word(RXD + 64 + 16)).toBe(0); // not IP: no extended status
  });

  it('uses both buffers of a ring descriptor, and RDES1.DIC suppresses RS', () => {
    const t = started();
    t.desc(RXD, OWN, RDES1_DIC | RDES1_RER | (64 << 16) | 32, RXB, RXB + 0x100);
    t.write(REG.DMARDLAR, RXD);
    t.write(REG.DMAOMR, OMR_SR);
    const f = frame(OWN_MAC, PEER_MAC, 0x0800, pattern(50)); // 64 bytes + 4 FCS
    t.mac.receiveFrame(f);
    t.us(30);
    const d = t.word(RXD);
    expect(d & (OWN | RDES0_FS | RDES0_LS)).toBe(RDES0_FS | RDES0_LS);
    expect(FL(d)).toBe(68);
    expect([...t.bytes(RXB, 32), ...t.bytes(RXB + 0x100, 32)]).toEqual([...f]);
    expect(t.read(REG.DMASR) & RS).toBe(0);
  });

  it('suspends with RBUS while no descriptor is owned; the frame waits for RPDR', () => {
    const t = started(0x2100 | BMR_EDFE);
    rxChain(t, 2, false);
    t.write(REG.DMAOMR, OMR_SR);
    t.advance(t.clock.cyclesForNanos(2 * FETCH_NS));
    let sr = t.read(REG.DMASR);
    expect(sr & (RBUS | AIS)).toBe(RBUS | AIS);
    expect(RPS(sr)).toBe(4);
    t.write(REG.DMASR, RBUS | AIS);

    const f = frame(OWN_MAC, PEER_MAC, 0x0800, pattern(46));
    expect(t.mac.receiveFrame(f)).toBe(true);
    t.us(50);
    expect(t.mac.dma.rxPending).toBe(1);
    expect(t.read(REG.DMASR) & RBUS).toBe(RBUS); // fetched again when the frame came
    t.write(REG.DMASR, RBUS | AIS);

    t.desc(RXD, OWN, RDES1_RCH | 64, RXB, RXD + 32, 8); // the CPU gives a descriptor back
    t.us(50);
    expect(t.mac.dma.rxPending).toBe(1); // the DMA has not looked yet
    t.write(REG.DMARPDR, 0);
    t.us(50);
    expect(t.mac.dma.rxPending).toBe(0);
    expect(FL(t.word(RXD))).toBe(64);
    expect([...t.bytes(RXB, 60)]).toEqual([...f]);
    sr = t.read(REG.DMASR);
    expect(sr & RS).toBe(RS);
    expect(RPS(sr)).toBe(4); // descriptor 1 is still the CPU's
  });

  it('truncates a frame with RDES0.DE when the descriptors run out mid-frame', () => {
    const t = started(0x2100 | BMR_EDFE);
    rxChain(t, 2);
    t.desc(RXD + 32, 0, RDES1_RCH | 64, RXB + 0x100, RXD, 8);
    t.write(REG.DMAOMR, OMR_SR);
    t.mac.receiveFrame(frame(OWN_MAC, PEER_MAC, 0x0800, pattern(100)));
    t.us(50);
    const d0 = t.word(RXD);
    expect(d0 & (RDES0_FS | RDES0_LS | RDES0_DE | RDES0_ES)).toBe(
      RDES0_FS | RDES0_LS | RDES0_DE | RDES0_ES,
    );
    expect(FL(d0)).toBe(64);
    expect(t.read(REG.DMASR) & RBUS).toBe(RBUS);
  });

  it('keeps at most RX_FIFO_FRAMES frames waiting and counts the missed ones', () => {
    const t = started();
    rxChain(t, 2, false);
    t.write(REG.DMAOMR, OMR_SR);
    t.us(1);
    let accepted = 0;
    for (let i = 0; i < RX_FIFO_FRAMES + 8; i++)
      if (t.mac.receiveFrame(frame(OWN_MAC, PEER_MAC, 0x0800, pattern(46, i)))) accepted++;
    expect(accepted).toBe(RX_FIFO_FRAMES);
    expect(t.mac.stats.rxFifoFull).toBe(8);
    expect(t.read(REG.DMASR) & ROS).toBe(ROS);
    expect(t.read(REG.DMAMFBOCR) & 0xffff).toBe(8); // MFC: missed for want of descriptors
    expect(t.read(REG.DMAMFBOCR)).toBe(0); // cleared by the read
  });

  it('reports a bus error on a receive buffer outside memory (EBS: receive, write, buffer)', () => {
    const t = started(0x2100 | BMR_EDFE);
    t.desc(RXD, OWN, RDES1_RCH | 64, 0x60000000, RXD, 8);
    t.write(REG.DMARDLAR, RXD);
    t.write(REG.DMAOMR, OMR_SR);
    t.mac.receiveFrame(frame(OWN_MAC, PEER_MAC, 0x0800, pattern(46)));
    expect(() => t.us(50)).not.toThrow();
    const sr = t.read(REG.DMASR);
    expect(sr & FBES).toBe(FBES);
    expect(EBS(sr)).toBe(0);
    expect(RPS(sr)).toBe(0);
  });

  it('flags an IPv4 header checksum error in RDES0 (normal descriptors, IPCO)', () => {
    const t = started(0x2100, MACCR_IPCO);
    t.desc(RXD, OWN, RDES1_RER | 1536, RXB, 0);
    t.write(REG.DMARDLAR, RXD);
    t.write(REG.DMAOMR, OMR_SR);
    const f = udpFrame(pattern(20));
    insertChecksums(f, 3);
    f[14 + 10]! ^= 0xff; // corrupt the header checksum
    t.mac.receiveFrame(f);
    t.us(30);
    const d = t.word(RXD);
    expect(d & ((1 << 7) | RDES0_ES | RDES0_FT)).toBe((1 << 7) | RDES0_ES | RDES0_FT);
  });
});
