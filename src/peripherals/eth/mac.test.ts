import { describe, expect, it } from 'vitest';
import { SOFT_RESET_NS } from './ethDma.js';
import { crc32, hashIndex } from './offload.js';
import {
  ETH_IRQ,
  FakePhy,
  MACCR_RE,
  MACCR_TE,
  OWN_MAC,
  PEER_MAC,
  REG,
  frame,
  pattern,
  setupEth,
} from './testing.js';

const MIIAR = (pa: number, mr: number, cr: number, write = false) =>
  (pa << 11) | (mr << 6) | (cr << 2) | (write ? 2 : 0) | 1;

describe('Ethernet MAC registers', () => {
  it('has the RM0090 reset values, IRQ 61 and the SYSCFG RMII selection', () => {
    const t = setupEth();
    expect(t.mac.irq).toBe(ETH_IRQ);
    expect(t.mac.base).toBe(0x40028000);
    expect(t.read(REG.MACCR)).toBe(0x8000);
    expect(t.read(REG.MACA1HR)).toBe(0x0000ffff);
    expect(t.read(REG.MACA1LR)).toBe(0xffffffff);
    expect(t.read(REG.DMABMR)).toBe(0x2100); // SR cleared after the reset
    t.write(REG.MACA0HR, 0x1234);
    expect(t.read(REG.MACA0HR)).toBe(0x80001234); // MO reads 1
    expect(t.mac.rmii).toBe(false);
  });

  it('DMABMR.SR reads 1 until the software reset completes, which resets the MAC', () => {
    const t = setupEth();
    t.write(REG.MACCR, MACCR_RE | MACCR_TE);
    t.write(REG.MACFFR, 1);
    t.write(REG.DMABMR, 0x2101);
    expect(t.read(REG.DMABMR) & 1).toBe(1);
    t.write(REG.DMABMR, 0x2100); // software cannot clear it
    expect(t.read(REG.DMABMR) & 1).toBe(1);
    t.advance(t.clock.cyclesForNanos(SOFT_RESET_NS / 2));
    expect(t.read(REG.DMABMR) & 1).toBe(1);
    t.advance(t.clock.cyclesForNanos(SOFT_RESET_NS));
    expect(t.read(REG.DMABMR)).toBe(0x2100);
    expect(t.read(REG.MACCR)).toBe(0x8000);
    expect(t.read(REG.MACFFR)).toBe(0);
    // No further resets are pending: registers written now stay.
    t.write(REG.MACFFR, 1);
    t.us(100);
    expect(t.read(REG.MACFFR)).toBe(1);
  });

  it('reads and writes PHY registers through MACMIIAR/MACMIIDR, MB busy for 64 MDC cycles', () => {
    const t = setupEth();
    const phy = new FakePhy();
    phy.regs[2] = 0x0007;
    t.mac.attachPhy(1, phy);
    // HCLK 16 MHz, CR=2 (HCLK/16): 64 MDC cycles = 1024 HCLK cycles.
    t.write(REG.MACMIIAR, MIIAR(1, 2, 2));
    expect(t.read(REG.MACMIIAR) & 1).toBe(1);
    t.advance(1000);
    expect(t.read(REG.MACMIIAR) & 1).toBe(1);
    t.advance(30);
    expect(t.read(REG.MACMIIAR) & 1).toBe(0);
    expect(t.read(REG.MACMIIDR)).toBe(0x0007);

    t.write(REG.MACMIIDR, 0x3100);
    t.write(REG.MACMIIAR, MIIAR(1, 0, 2, true));
    // A write while busy is lost.
    t.write(REG.MACMIIAR, MIIAR(1, 4, 2, true));
    expect(phy.writes).toEqual([]);
    t.advance(1100);
    expect(phy.writes).toEqual([[0, 0x3100]]);
    expect(t.read(REG.MACMIIAR) & 1).toBe(0);
    expect(t.warnings.some((w) => w.includes('MACMIIAR'))).toBe(true);

    // Nobody answers at address 5: MDIO floats high.
    t.write(REG.MACMIIAR, MIIAR(5, 1, 2));
    t.advance(1100);
    expect(t.read(REG.MACMIIDR)).toBe(0xffff);
  });
});

describe('Ethernet MAC frame filter', () => {
  const other = [0x02, 0, 0, 0, 0, 0x42];

  function receiving() {
    const t = setupEth();
    t.write(REG.MACCR, MACCR_RE);
    return t;
  }

  it('drops frames while the receiver is off', () => {
    const t = setupEth();
    expect(t.mac.receiveFrame(frame(OWN_MAC, PEER_MAC, 0x0800, pattern(46)))).toBe(false);
    expect(t.mac.stats.rxDisabled).toBe(1);
  });

  it('passes its own unicast and broadcast, drops unicast for another MAC unless promiscuous', () => {
    const t = receiving();
    expect(t.mac.receiveFrame(frame(OWN_MAC, PEER_MAC, 0x0800, pattern(46)))).toBe(true);
    expect(t.mac.receiveFrame(frame(other, PEER_MAC, 0x0800, pattern(46)))).toBe(false);
    expect(t.mac.stats.rxFiltered).toBe(1);
    expect(t.mac.receiveFrame(frame([255, 255, 255, 255, 255, 255], PEER_MAC, 0x806, []))).toBe(
      true,
    );
    t.write(REG.MACFFR, 1 << 5); // BFD
    expect(t.mac.receiveFrame(frame([255, 255, 255, 255, 255, 255], PEER_MAC, 0x806, []))).toBe(
      false,
    );
    t.write(REG.MACFFR, 1); // PM
    expect(t.mac.receiveFrame(frame(other, PEER_MAC, 0x0800, pattern(46)))).toBe(true);
    expect(t.mac.stats.rxFiltered).toBe(2);
  });

  it('perfect-filters on MACA1 when AE is set, with MBC masking bytes', () => {
    const t = receiving();
    expect(t.mac.receiveFrame(frame(other, PEER_MAC, 0x0800, []))).toBe(false);
    t.write(REG.MACA1LR, 0x00000002);
    t.write(REG.MACA1HR, 0x4200); // AE clear: not compared
    expect(t.mac.receiveFrame(frame(other, PEER_MAC, 0x0800, []))).toBe(false);
    t.write(REG.MACA1HR, 0x80004200);
    expect(t.mac.receiveFrame(frame(other, PEER_MAC, 0x0800, []))).toBe(true);
    const near = [0x02, 0, 0, 0, 0, 0x43];
    expect(t.mac.receiveFrame(frame(near, PEER_MAC, 0x0800, []))).toBe(false);
    t.write(REG.MACA1HR, 0x80004200 | (0x20 << 24)); // MBC bit 5: ignore the last byte
    expect(t.mac.receiveFrame(frame(near, PEER_MAC, 0x0800, []))).toBe(true);
  });

  it('computes the hash index as RM0090 and the Synopsys examples do', () => {
    // Destination addresses 0x1F52419CB6AF -> 0x2C and 0xA00A98000045 -> 0x07.
    expect(hashIndex(Uint8Array.of(0x1f, 0x52, 0x41, 0x9c, 0xb6, 0xaf))).toBe(0x2c);
    expect(hashIndex(Uint8Array.of(0xa0, 0x0a, 0x98, 0x00, 0x00, 0x45))).toBe(0x07);
    // IEEE 802.3 CRC-32 check value.
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('hash-filters multicast through MACHTHR/MACHTLR, or passes all with PAM', () => {
    const t = receiving();
    const group = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb]; // mDNS 224.0.0.251
    expect(t.mac.receiveFrame(frame(group, PEER_MAC, 0x0800, []))).toBe(false);
    t.write(REG.MACFFR, 1 << 2); // HM
    expect(t.mac.receiveFrame(frame(group, PEER_MAC, 0x0800, []))).toBe(false);
    const index = hashIndex(Uint8Array.from(group));
    t.write(index >= 32 ? REG.MACHTHR : REG.MACHTLR, 1 << (index & 31));
    expect(t.mac.receiveFrame(frame(group, PEER_MAC, 0x0800, []))).toBe(true);
    const otherGroup = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
    expect(hashIndex(Uint8Array.from(otherGroup))).not.toBe(index);
    expect(t.mac.receiveFrame(frame(otherGroup, PEER_MAC, 0x0800, []))).toBe(false);
    t.write(REG.MACFFR, 1 << 4); // PAM
    expect(t.mac.receiveFrame(frame(otherGroup, PEER_MAC, 0x0800, []))).toBe(true);
  });

  it('hash-filters unicast with HU, and HPF adds the perfect filter', () => {
    const t = receiving();
    t.write(REG.MACFFR, 1 << 1); // HU: the perfect filter no longer applies
    expect(t.mac.receiveFrame(frame(OWN_MAC, PEER_MAC, 0x0800, []))).toBe(false);
    t.write(REG.MACFFR, (1 << 1) | (1 << 10)); // HU + HPF
    expect(t.mac.receiveFrame(frame(OWN_MAC, PEER_MAC, 0x0800, []))).toBe(true);
  });

  it('counts received unicast and transmitted frames in the MMC, reset by MMCCR.CR', () => {
    const t = receiving();
    t.mac.receiveFrame(frame(OWN_MAC, PEER_MAC, 0x0800, []));
    t.mac.receiveFrame(frame([255, 255, 255, 255, 255, 255], PEER_MAC, 0x0806, []));
    expect(t.read(REG.RGUFCR)).toBe(1);
    t.write(REG.MMCCR, 1);
    expect(t.read(REG.RGUFCR)).toBe(0);
    expect(t.read(REG.MMCCR)).toBe(0);
  });

  it('raises the MMC interrupt when a counter reaches half, unless masked', () => {
    const t = receiving();
    t.write(REG.MMCCR, 1 << 4); // preset to almost half
    for (let i = 0; i < 16; i++) t.mac.receiveFrame(frame(OWN_MAC, PEER_MAC, 0x0800, []));
    expect(t.read(REG.RGUFCR)).toBe(0x80000000);
    expect(t.read(REG.MACSR) & (1 << 5)).not.toBe(0);
    expect(t.irqs.get(ETH_IRQ)).toBe(true);
    expect(t.read(REG.DMASR) & (1 << 27)).not.toBe(0);
    expect(t.read(REG.MMCRIR)).toBe(1 << 17); // read clears
    expect(t.read(REG.MACSR)).toBe(0);
    expect(t.irqs.get(ETH_IRQ)).toBe(false);
  });
});
