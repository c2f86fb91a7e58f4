import { describe, expect, it } from 'vitest';
import { SPI_BLOCKS, socBlock, type BlockName } from '../../machine/soc/stm32f407Map.js';
import { DmaController } from '../dma/dma.js';
import { testContext } from '../rcc/testing.js';
import { SPI_CR1, SPI_CR2, SPI_SR, Spi, connectSpiDma, spiCrcStep, type SpiDevice } from './spi.js';
import { LIS3DSH_ID, LIS3DSH_WHO_AM_I, SpiRegisterDevice, lis3dsh } from './spiDevices.js';

const CR1 = 0x00;
const CR2 = 0x04;
const SR = 0x08;
const DR = 0x0c;
const CRCPR = 0x10;
const RXCRCR = 0x14;
const TXCRCR = 0x18;
const I2SCFGR = 0x1c;
const I2SPR = 0x20;

const { SPE, MSTR, SSM, SSI, DFF, LSBFIRST, CRCEN, CRCNEXT, RXONLY, BIDIMODE, BIDIOE } = SPI_CR1;
const { TXEIE, RXNEIE, ERRIE, TXDMAEN, RXDMAEN } = SPI_CR2;
const { TXE, RXNE, BSY, OVR, MODF, CRCERR } = SPI_SR;
/** BR field value for a divider of 2^(n+1). */
const br = (n: number) => n << 3;
/** A master with software NSS held high, enabled. */
const MASTER = SPE | MSTR | SSM | SSI;

function setup(name: BlockName = 'SPI1') {
  const t = testContext();
  const spi = t.attach(new Spi(socBlock(name), t.ctx));
  const irq = () => t.irqs.get(spi.irq) === true;
  return { ...t, spi, irq };
}

/** MISO wired to MOSI: the byte sent comes back. */
class Loopback implements SpiDevice {
  readonly seen: number[] = [];
  select(): void {}
  transfer(byteOut: number): number {
    this.seen.push(byteOut);
    return byteOut;
  }
}

describe('SPI', () => {
  it('has the RM0090 addresses, interrupts, clocks and reset values', () => {
    const spis = SPI_BLOCKS.map((name) => setup(name).spi);
    expect(spis.map((s) => [s.bus, s.base, s.irq, s.apb])).toEqual([
      ['SPI1', 0x40013000, 35, 2],
      ['SPI2', 0x40003800, 36, 1],
      ['SPI3', 0x40003c00, 51, 1],
    ]);
    const { spi } = setup();
    expect(spi.read(SR, 4)).toBe(0x0002);
    expect(spi.read(CRCPR, 4)).toBe(0x0007);
    expect(spi.read(I2SPR, 4)).toBe(0x0002);
    for (const off of [CR1, CR2, DR, RXCRCR, TXCRCR, I2SCFGR]) expect(spi.read(off, 4)).toBe(0);
    spi.write(CR2, 0xffffffff, 4);
    expect(spi.read(CR2, 4)).toBe(0xf7); // bit 3 reserved
    spi.write(I2SPR, 0xffffffff, 4);
    expect(spi.read(I2SPR, 4)).toBe(0x3ff);
    spi.write(SR, 0, 4); // TXE is read-only
    expect(spi.read(SR, 4)).toBe(TXE);
  });

  it('clocks a frame in 8 SPI clocks of PCLK/2^(BR+1): 0xFF back with nothing on the bus', () => {
    const { spi, advance } = setup();
    spi.write(CR1, MASTER | br(2), 4); // PCLK2 16 MHz / 8: 64 cycles a frame
    spi.write(DR, 0x5a, 4);
    expect(spi.read(SR, 4) & (TXE | BSY | RXNE)).toBe(TXE | BSY); // moved to the shift register
    advance(63);
    expect(spi.read(SR, 4) & RXNE).toBe(0);
    advance(1);
    expect(spi.read(SR, 4) & (TXE | BSY | RXNE)).toBe(TXE | RXNE);
    expect(spi.read(DR, 4)).toBe(0xff);
    expect(spi.read(SR, 4) & RXNE).toBe(0);
    // 16-bit frames: twice as long, 0xFFFF.
    spi.write(CR1, MASTER | br(2) | DFF, 4);
    spi.write(DR, 0x1234, 4);
    advance(127);
    expect(spi.read(SR, 4) & RXNE).toBe(0);
    advance(1);
    expect(spi.read(DR, 4)).toBe(0xffff);
  });

  it('follows the APB clock: PCLK2 for SPI1, PCLK1 for SPI2', () => {
    const one = setup('SPI1');
    one.clocks.set(168_000_000, 42_000_000, 84_000_000);
    one.spi.write(CR1, MASTER | br(0), 4); // 84 MHz / 2: 8 bits in 190.5 ns = 32 core cycles
    expect(one.clock.cyclesForNanos(one.spi.frameNanos())).toBe(32);
    const two = setup('SPI2/I2S2');
    two.clocks.set(168_000_000, 42_000_000, 84_000_000);
    two.spi.write(CR1, MASTER | br(1), 4); // 42 MHz / 4: 8 bits in 761.9 ns = 128 cycles
    two.spi.write(DR, 0, 4);
    two.advance(127);
    expect(two.spi.read(SR, 4) & RXNE).toBe(0);
    two.advance(1);
    expect(two.spi.read(SR, 4) & RXNE).toBe(RXNE);
  });

  it('keeps BSY across back-to-back frames; a frame not read is lost with OVR', () => {
    const { spi, advance } = setup();
    const dev = new Loopback();
    spi.connect(dev, () => true);
    spi.write(CR1, MASTER | br(0), 4); // 16 cycles a frame
    spi.write(DR, 0x11, 4);
    spi.write(DR, 0x22, 4); // waits in the buffer
    expect(spi.read(SR, 4) & (TXE | BSY)).toBe(BSY);
    advance(16);
    expect(spi.read(SR, 4) & (TXE | BSY | RXNE)).toBe(TXE | BSY | RXNE);
    spi.write(DR, 0x33, 4);
    advance(16); // 0x22 arrives while 0x11 is unread: lost
    expect(spi.read(SR, 4) & (OVR | RXNE | BSY)).toBe(OVR | RXNE | BSY);
    advance(16);
    expect(spi.read(SR, 4) & BSY).toBe(0);
    expect(dev.seen).toEqual([0x11, 0x22, 0x33]);
    // OVR clears by a DR read followed by an SR read; DR kept the first frame.
    expect(spi.read(SR, 4) & OVR).toBe(OVR);
    expect(spi.read(DR, 4)).toBe(0x11);
    expect(spi.read(SR, 4) & OVR).toBe(OVR); // this read completes the sequence
    expect(spi.read(SR, 4) & (OVR | RXNE)).toBe(0);
  });

  it('exchanges bytes with the selected device, MSB first on the wire', () => {
    const { spi, advance } = setup();
    const dev = new SpiRegisterDevice({ registers: { 0x0f: 0x3f, 0x20: 0x07 } });
    let cs = false;
    spi.connect(dev, () => cs);
    dev.select(false);
    const xfer = (byte: number) => {
      spi.write(DR, byte, 4);
      advance(16);
      return spi.read(DR, 4);
    };
    spi.write(CR1, MASTER | br(0), 4);
    expect(xfer(0x8f)).toBe(0xff); // not selected: nothing answers
    expect(dev.received).toEqual([]);
    cs = true;
    dev.select(true);
    expect(xfer(0x8f)).toBe(0xff); // command: read from 0x0F
    expect(xfer(0x00)).toBe(0x3f);
    dev.select(false);
    dev.select(true);
    expect([xfer(0x20), xfer(0x47), xfer(0x55)]).toEqual([0xff, 0xff, 0xff]); // write 0x20, 0x21
    dev.select(false);
    expect([dev.registers[0x20], dev.registers[0x21]]).toEqual([0x47, 0x55]);
    dev.select(true);
    expect([xfer(0xa0), xfer(0), xfer(0)]).toEqual([0xff, 0x47, 0x55]);
    // LSBFIRST: the frame's bits are reversed on the wire, both ways.
    dev.select(false);
    dev.select(true);
    spi.write(CR1, MASTER | br(0) | LSBFIRST, 4);
    expect(xfer(0xf1)).toBe(0xff); // 0xF1 reversed is 0x8F: read from 0x0F
    expect(dev.received.at(-1)).toBe(0x8f);
    expect(xfer(0)).toBe(0xfc); // 0x3F reversed
    // 16-bit frames are two bytes, high byte first.
    dev.select(false);
    dev.select(true);
    spi.write(CR1, MASTER | br(0) | DFF, 4);
    spi.write(DR, 0x8f00, 4);
    advance(32);
    expect(spi.read(DR, 4)).toBe(0xff3f);
  });

  it('drives MISO as the AND of the selected devices', () => {
    const { spi, advance } = setup();
    const a = { select() {}, transfer: () => 0xf0 };
    const b = { select() {}, transfer: () => 0x3c };
    spi.connect(a, () => true);
    const remove = spi.connect(b, () => true);
    spi.write(CR1, MASTER, 4);
    spi.write(DR, 0, 4);
    advance(16);
    expect(spi.read(DR, 4)).toBe(0x30);
    remove();
    spi.write(DR, 0, 4);
    advance(16);
    expect(spi.read(DR, 4)).toBe(0xf0);
  });

  it('raises a mode fault when a master sees NSS low, cleared by SR access then CR1 write', () => {
    const { spi, irq } = setup();
    spi.write(CR2, ERRIE, 4);
    spi.write(CR1, SPE | MSTR | SSM, 4); // SSI=0: NSS low
    expect(spi.read(CR1, 4) & (SPE | MSTR)).toBe(0);
    expect(irq()).toBe(true);
    spi.write(CR1, SSM | SSI, 4); // a CR1 write without the SR access first: MODF stays
    expect(spi.read(SR, 4) & MODF).toBe(MODF);
    spi.write(CR1, MASTER, 4);
    expect(spi.read(SR, 4) & MODF).toBe(0);
    expect(spi.read(CR1, 4) & (SPE | MSTR)).toBe(SPE | MSTR);
    expect(irq()).toBe(false);
  });

  it('drives one interrupt line from TXE, RXNE and the errors with their enables', () => {
    const { spi, irq, advance } = setup();
    expect(irq()).toBe(false);
    spi.write(CR2, TXEIE, 4);
    expect(irq()).toBe(true); // TXE is set at reset
    spi.write(CR2, RXNEIE, 4);
    expect(irq()).toBe(false);
    spi.write(CR1, MASTER, 4);
    spi.write(DR, 1, 4);
    advance(16);
    expect(irq()).toBe(true);
    spi.read(DR, 4);
    expect(irq()).toBe(false);
    spi.reset();
    expect(irq()).toBe(false);
  });

  it('requests DMA while TXE/TXDMAEN and RXNE/RXDMAEN', () => {
    const { spi, advance } = setup();
    const tx: boolean[] = [];
    const rx: boolean[] = [];
    spi.connectDma('tx', (l) => tx.push(l));
    spi.connectDma('rx', (l) => rx.push(l));
    spi.write(CR2, TXDMAEN | RXDMAEN, 4);
    expect(tx).toEqual([false, true]);
    spi.write(CR1, MASTER, 4);
    spi.write(DR, 1, 4); // straight to the shift register: TXE stays set
    spi.write(DR, 2, 4);
    expect(tx).toEqual([false, true, false]);
    advance(16);
    expect(tx).toEqual([false, true, false, true]);
    expect(rx).toEqual([false, true]);
    spi.read(DR, 4);
    expect(rx).toEqual([false, true, false]);
  });

  it('moves frames through DMA1 streams 4 (TX) and 3 (RX) for SPI2', () => {
    const t = testContext();
    const spi = t.attach(new Spi(socBlock('SPI2/I2S2'), t.ctx));
    const dma1 = t.attach(new DmaController(socBlock('DMA1'), t.ctx));
    connectSpiDma([dma1], [spi]);
    const dev = new SpiRegisterDevice({ registers: { 5: 0xa5, 6: 0xb6, 7: 0xc7 } });
    spi.connect(dev, () => true);
    dev.select(true);
    const src = 0x20000000;
    const dst = 0x20000100;
    [0x85, 0, 0, 0].forEach((b, i) => t.bus.write8(src + i, b));
    const stream = (x: number) => 0x40026010 + 0x18 * x;
    t.bus.write32(stream(3) + 0x04, 4); // NDTR
    t.bus.write32(stream(3) + 0x08, spi.base + DR);
    t.bus.write32(stream(3) + 0x0c, dst);
    t.bus.write32(stream(3), (1 << 10) | 1); // channel 0, P2M, MINC, EN
    t.bus.write32(stream(4) + 0x04, 4);
    t.bus.write32(stream(4) + 0x08, spi.base + DR);
    t.bus.write32(stream(4) + 0x0c, src);
    t.bus.write32(stream(4), (1 << 10) | (1 << 6) | 1); // channel 0, M2P, MINC, EN
    spi.write(CR1, MASTER, 4);
    spi.write(CR2, TXDMAEN | RXDMAEN, 4);
    t.advance(200);
    expect([0, 1, 2, 3].map((i) => t.bus.read8(dst + i))).toEqual([0xff, 0xa5, 0xb6, 0xc7]);
    expect(dma1.flags(3) & 0x20).toBe(0x20); // TCIF
    expect(dev.received).toEqual([0x85, 0, 0, 0]);
  });

  it('sends the CRC by itself once the TX DMA (DMA2 stream 3, SPI1) has no more data', () => {
    const t = testContext();
    const spi = t.attach(new Spi(socBlock('SPI1'), t.ctx));
    const dma2 = t.attach(new DmaController(socBlock('DMA2'), t.ctx));
    connectSpiDma([dma2], [spi]);
    const dev = new Loopback();
    spi.connect(dev, () => true);
    [0x31, 0x32, 0x33].forEach((b, i) => t.bus.write8(0x20000000 + i, b));
    const s3 = 0x40026410 + 0x18 * 3;
    t.bus.write32(s3 + 0x04, 3);
    t.bus.write32(s3 + 0x08, spi.base + DR);
    t.bus.write32(s3 + 0x0c, 0x20000000);
    t.bus.write32(s3, (3 << 25) | (1 << 10) | (1 << 6) | 1); // channel 3, M2P, MINC, EN
    spi.write(CR1, MASTER | CRCEN, 4);
    spi.write(CR2, TXDMAEN, 4);
    t.advance(200);
    const crc = [0x31, 0x32, 0x33].reduce((c, b) => spiCrcStep(c, b, 8, 7), 0);
    expect(dev.seen).toEqual([0x31, 0x32, 0x33, crc]);
    expect(spi.read(SR, 4) & BSY).toBe(0);
  });

  it('computes CRC-8 and CRC-16 over the frames and sends TXCRCR after CRCNEXT', () => {
    // The CRC check values of "123456789": CRC-8 poly 0x07 -> 0xF4, CRC-16 poly 0x1021 -> 0x31C3.
    const text = [...'123456789'].map((c) => c.charCodeAt(0));
    expect(text.reduce((c, b) => spiCrcStep(c, b, 8, 0x07), 0)).toBe(0xf4);
    const words = [0x3132, 0x3334, 0x3536, 0x3738];
    expect(words.reduce((c, w) => spiCrcStep(c, w, 16, 0x1021), 0)).toBe(0x9015);

    const { spi, advance } = setup();
    const dev = new Loopback();
    spi.connect(dev, () => true);
    spi.write(CR1, MASTER | CRCEN, 4);
    for (const b of text) {
      spi.write(DR, b, 4);
      advance(16);
      spi.read(DR, 4);
    }
    expect(spi.read(TXCRCR, 4)).toBe(0xf4);
    expect(spi.read(RXCRCR, 4)).toBe(0xf4); // the loopback returned the same bits
    spi.write(CR1, MASTER | CRCEN | CRCNEXT, 4);
    advance(16); // nothing in the buffer: CRCNEXT takes effect after the next data frame
    spi.write(DR, 0x31, 4);
    advance(32); // the data frame, then the CRC frame
    expect(dev.seen.slice(-2)).toEqual([0x31, spiCrcStep(0xf4, 0x31, 8, 7)]);
    expect(spi.read(SR, 4) & (CRCERR | OVR)).toBe(OVR); // RXNE held the data frame
    expect(spi.read(CR1, 4) & CRCNEXT).toBe(0);

    // With nothing on the bus the received CRC (0xFF) is wrong: CRCERR, cleared by writing 0.
    const bare = setup();
    bare.spi.write(CR2, ERRIE, 4);
    bare.spi.write(CR1, MASTER | CRCEN | DFF, 4);
    for (const w of words) {
      bare.spi.write(DR, w, 4);
      bare.advance(32);
      bare.spi.read(DR, 4);
    }
    bare.spi.write(CRCPR, 0x1021, 4);
    expect(bare.spi.read(TXCRCR, 4)).not.toBe(0x9015); // polynomial 7 was used so far
    bare.spi.write(CR1, MASTER, 4);
    bare.spi.write(CR1, MASTER | CRCEN | DFF, 4); // setting CRCEN clears the CRCs
    expect(bare.spi.read(TXCRCR, 4)).toBe(0);
    for (const w of words) {
      bare.spi.write(DR, w, 4);
      if (w === 0x3738) bare.spi.write(CR1, MASTER | CRCEN | DFF | CRCNEXT, 4);
      bare.advance(32);
      bare.spi.read(DR, 4);
    }
    expect(bare.spi.read(TXCRCR, 4)).toBe(0x9015);
    bare.advance(32);
    expect(bare.spi.read(DR, 4)).toBe(0xffff); // the CRC frame's answer
    expect(bare.spi.read(SR, 4) & CRCERR).toBe(CRCERR);
    expect(bare.irq()).toBe(true);
    bare.spi.write(SR, ~CRCERR, 4);
    expect(bare.spi.read(SR, 4) & CRCERR).toBe(0);
    expect(bare.irq()).toBe(false);
  });

  it('clocks continuously in receive-only mode and receives nothing in bidirectional transmit', () => {
    const { spi, advance } = setup();
    spi.write(CR1, MASTER | RXONLY, 4);
    advance(16);
    expect(spi.read(DR, 4)).toBe(0xff);
    advance(32);
    expect(spi.read(SR, 4) & (OVR | RXNE | BSY)).toBe(OVR | RXNE | BSY);
    spi.write(CR1, MSTR | SSM | SSI | RXONLY, 4); // SPE off: the clock stops
    expect(spi.read(SR, 4) & BSY).toBe(0);
    spi.reset();
    const dev = new Loopback();
    spi.connect(dev, () => true);
    spi.write(CR1, MASTER | BIDIMODE | BIDIOE, 4);
    spi.write(DR, 0x42, 4);
    advance(16);
    expect(dev.seen).toEqual([0x42]);
    expect(spi.read(SR, 4) & (RXNE | BSY)).toBe(0);
  });

  it('warns once about slave and I2S mode and transfers nothing there', () => {
    const { spi, advance, warnings } = setup('SPI3/I2S3');
    spi.write(CR1, SPE, 4);
    spi.write(DR, 1, 4);
    advance(1000);
    expect(spi.read(SR, 4) & (RXNE | TXE)).toBe(0);
    spi.write(CR1, SPE | SSM, 4);
    spi.write(I2SCFGR, 1 << 11, 4);
    expect(warnings).toEqual([
      'f4emu: SPI3: slave mode (CR1.MSTR=0) is not modelled: no master clocks the bus, nothing is transferred',
      'f4emu: SPI3: I2S mode (I2SCFGR.I2SMOD) is not modelled',
    ]);
  });

  it('abandons a frame when disabled mid-frame', () => {
    const { spi, advance } = setup();
    spi.write(CR1, MASTER | br(3), 4);
    spi.write(DR, 1, 4);
    advance(50);
    spi.write(CR1, MSTR | SSM | SSI | br(3), 4);
    advance(1000);
    expect(spi.read(SR, 4) & (RXNE | BSY)).toBe(0);
  });

  it('models the LIS3DSH at the level of WHO_AM_I', () => {
    const { spi, advance } = setup();
    const acc = lis3dsh();
    spi.connect(acc, () => acc.isSelected);
    acc.select(true);
    spi.write(CR1, MASTER, 4);
    const xfer = (byte: number) => {
      spi.write(DR, byte, 4);
      advance(16);
      return spi.read(DR, 4);
    };
    expect([xfer(0x80 | LIS3DSH_WHO_AM_I), xfer(0)]).toEqual([0xff, LIS3DSH_ID]);
    acc.select(false);
    acc.select(true);
    xfer(LIS3DSH_WHO_AM_I); // write 0x12 to it
    xfer(0x12);
    acc.select(false);
    acc.select(true);
    expect([xfer(0x80 | LIS3DSH_WHO_AM_I), xfer(0)]).toEqual([0xff, 0x3f]); // read-only
  });
});
