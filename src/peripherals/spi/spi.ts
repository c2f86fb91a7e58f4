/**
 * STM32F407 SPI1/SPI2/SPI3 in SPI mode (RM0090 section 28), as a master on virtual time.
 *
 * A DR write while the SPI is enabled as a master (SPE, MSTR) fills the transmit buffer (TXE=0);
 * when the shift register is free the frame moves there at once (TXE=1 again, BSY=1) and takes
 * 8 or 16 (DFF) SPI clocks of 2^(BR+1) PCLK cycles (PCLK2 for SPI1 on APB2, PCLK1 for SPI2/3),
 * timed in virtual nanoseconds like the USART's characters. At its end the devices whose chip
 * select is active (`connect`) take the frame and answer on MISO; the answer lands in the
 * receive buffer (RXNE), or is lost with OVR when RXNE is still set. With nothing selected MISO
 * reads all ones, as the line floats high on the board: 0xFF (0xFFFF) comes back. A frame waiting
 * in the transmit buffer follows at once (BSY stays set); otherwise BSY clears.
 *
 * Devices talk bytes as they appear on the wire, most significant bit first: a 16-bit frame is
 * two bytes, and LSBFIRST reverses the frame's bits on the wire (a device sees 0x80 for 0x01).
 * Several selected devices drive MISO together: the answer is the AND of theirs.
 *
 * Modes: full duplex; transmit on the bidirectional line (BIDIMODE+BIDIOE: nothing received);
 * receive-only (RXONLY, or BIDIMODE without BIDIOE), where the master clocks frames continuously
 * while enabled, sending all ones. CPOL/CPHA and FRF (TI frames) are stored: they change edges
 * and NSS pulses, not the data a device sees. Slave mode and I2S mode (I2SCFGR.I2SMOD) log a
 * one-time warning and transfer nothing (no other master clocks the bus; I2S is not modelled).
 *
 * Flags as RM0090 28.4 says: OVR clears by a DR read followed by an SR read; MODF (mode fault)
 * sets when a master sees its NSS input low — with SSM, NSS is SSI; the NSS pin itself is not
 * routed and reads high — and clears SPE and MSTR, and clears by an SR access followed by a CR1
 * write; CRCERR is written 0 to clear. CRC (CRCEN): TXCRCR and RXCRCR are CRC-8 or CRC-16 (DFF)
 * of the transmitted and received wire bits with the CRCPR polynomial, from 0 when CRCEN is set;
 * with CRCNEXT set, the frame after the one shifting is TXCRCR, the received frame is compared
 * with RXCRCR (CRCERR on a mismatch) and CRCNEXT clears. With TXDMAEN the CRC follows by itself
 * once the DMA stops supplying data (RM0090 28.4.5).
 *
 * One interrupt line: TXE/TXEIE, RXNE/RXNEIE, OVR/MODF/CRCERR/FRE with ERRIE. DMA requests
 * (RM0090 28.3.9): TX while TXE and TXDMAEN, RX while RXNE and RXDMAEN; `connectSpiDma` wires
 * them to DMA2 (SPI1) and DMA1 (SPI2/3) per RM0090 tables 42/43.
 */
import type { Alarm } from '../../clock/clock.js';
import type { DmaController } from '../dma/dma.js';
import { Peripheral, irqLine, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import { registerFields } from '../registerFields.js';
import type { Register } from '../registers.js';
import { DmaRequestLines } from '../dmaRequestLines.js';

/** A device on an SPI bus (see the board's `attachSpiDevice`). */
export interface SpiDevice {
  /** Chip select changed: `active` while the device's CS line is low. */
  select(active: boolean): void;
  /**
   * One byte on the wire while selected: what the master sends (most significant bit first)
   * and, returned, what the device drives on MISO at the same time.
   */
  transfer(byteOut: number): number;
}

const CR1 = registerFields([
  { name: 'BIDIMODE', bits: 15 },
  { name: 'BIDIOE', bits: 14 },
  { name: 'CRCEN', bits: 13 },
  { name: 'CRCNEXT', bits: 12 },
  { name: 'DFF', bits: 11 },
  { name: 'RXONLY', bits: 10 },
  { name: 'SSM', bits: 9 },
  { name: 'SSI', bits: 8 },
  { name: 'LSBFIRST', bits: 7 },
  { name: 'SPE', bits: 6 },
  { name: 'BR', bits: [5, 3] },
  { name: 'MSTR', bits: 2 },
  { name: 'CPOL', bits: 1 },
  { name: 'CPHA', bits: 0 },
]);
const CR2 = registerFields([
  { name: 'TXEIE', bits: 7 },
  { name: 'RXNEIE', bits: 6 },
  { name: 'ERRIE', bits: 5 },
  { name: 'FRF', bits: 4 },
  { name: 'SSOE', bits: 2 },
  { name: 'TXDMAEN', bits: 1 },
  { name: 'RXDMAEN', bits: 0 },
]);
const SR = registerFields([
  { name: 'FRE', bits: 8, access: 'ro' },
  { name: 'BSY', bits: 7, access: 'ro' },
  { name: 'OVR', bits: 6, access: 'ro' },
  { name: 'MODF', bits: 5, access: 'ro' },
  { name: 'CRCERR', bits: 4, access: 'rc_w0' },
  { name: 'UDR', bits: 3, access: 'ro' },
  { name: 'CHSIDE', bits: 2, access: 'ro' },
  { name: 'TXE', bits: 1, access: 'ro' },
  { name: 'RXNE', bits: 0, access: 'ro' },
]);
const I2SCFGR = registerFields([
  { name: 'I2SMOD', bits: 11 },
  { name: 'I2SE', bits: 10 },
  { name: 'I2SCFG', bits: [9, 8] },
  { name: 'PCMSYNC', bits: 7 },
  { name: 'I2SSTD', bits: [5, 4] },
  { name: 'CKPOL', bits: 3 },
  { name: 'DATLEN', bits: [2, 1] },
  { name: 'CHLEN', bits: 0 },
]);
const I2SPR = registerFields([
  { name: 'MCKOE', bits: 9 },
  { name: 'ODD', bits: 8 },
  { name: 'I2SDIV', bits: [7, 0] },
]);

/** Bit masks of SPI_CR1, SPI_CR2, SPI_SR by field name (RM0090 28.5). */
export const SPI_CR1 = CR1.mask;
export const SPI_CR2 = CR2.mask;
export const SPI_SR = SR.mask;

const { BIDIMODE, BIDIOE, CRCEN, CRCNEXT, DFF, RXONLY, SSM, SSI, LSBFIRST, SPE, MSTR } = CR1.mask;
const { TXEIE, RXNEIE, ERRIE, TXDMAEN, RXDMAEN } = CR2.mask;
const { FRE, BSY, OVR, MODF, CRCERR, TXE, RXNE } = SR.mask;

/** `value`'s low `bits` bits in reverse order. */
function reverseBits(value: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) r = (r << 1) | ((value >>> i) & 1);
  return r;
}

/**
 * One frame through the SPI CRC unit: `crc` (8 or 16 bits) updated with the `bits` wire bits
 * of `data`, first bit first, with polynomial `poly` (CRCPR) — no reflection, no final XOR.
 */
export function spiCrcStep(crc: number, data: number, bits: 8 | 16, poly: number): number {
  const mask = bits === 16 ? 0xffff : 0xff;
  const top = 1 << (bits - 1);
  let c = crc & mask;
  for (let i = bits - 1; i >= 0; i--) {
    const feedback = ((c & top) !== 0) !== (((data >>> i) & 1) !== 0);
    c = (c << 1) & mask;
    if (feedback) c ^= poly & mask;
  }
  return c;
}

interface Connection {
  device: SpiDevice;
  selected: () => boolean;
}

export class Spi extends Peripheral {
  readonly cr1: Register;
  readonly cr2: Register;
  readonly sr: Register;
  readonly dr: Register;
  readonly crcpr: Register;
  readonly rxcrcr: Register;
  readonly txcrcr: Register;
  readonly i2scfgr: Register;
  readonly i2spr: Register;
  /** 'SPI1', 'SPI2', 'SPI3' (the block 'SPI2/I2S2' answers as 'SPI2'). */
  readonly bus: string;
  readonly irq: number;
  /** APB bus whose PCLK clocks the baud-rate generator. */
  readonly apb: 1 | 2;

  private readonly connections: Connection[] = [];
  private txBuffer = 0;
  private txFull = false;
  private rxBuffer = 0;
  private shifting = false;
  /** The frame in the shift register, as the SPI sends it (before LSBFIRST reversal). */
  private shiftOut = 0;
  /** The frame shifting is the CRC phase. */
  private crcFrame = false;
  /** A DR read happened while OVR was set: the next SR read clears OVR. */
  private ovrDrRead = false;
  /** SR was accessed while MODF was set: the next CR1 write clears MODF. */
  private modfSeen = false;
  private irqLevel = false;
  private readonly dma = new DmaRequestLines();
  private readonly frameAlarm: Alarm;
  private readonly warned = new Set<string>();

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    this.bus = block.name.split('/')[0]!;
    this.irq = irqLine(block, this.bus);
    this.apb = block.bus === 'APB2' ? 2 : 1;
    this.frameAlarm = ctx.clock.createAlarm(() => this.frameDone());
    const r = this.regs;
    this.cr1 = r.define({
      name: 'CR1',
      offset: 0x00,
      fields: CR1.specs,
      onWrite: (v, prev) => this.controlWritten(v, prev),
    });
    this.cr2 = r.define({
      name: 'CR2',
      offset: 0x04,
      fields: CR2.specs,
      onWrite: () => {
        this.checkModeFault();
        this.updateIrq();
      },
    });
    this.sr = r.define({
      name: 'SR',
      offset: 0x08,
      reset: TXE,
      fields: SR.specs,
      onRead: (v) => this.statusRead(v),
      onWrite: () => {
        if (this.sr.value & MODF) this.modfSeen = true;
        this.updateIrq();
      },
    });
    this.dr = r.define({
      name: 'DR',
      offset: 0x0c,
      fields: [{ name: 'DR', bits: [15, 0] }],
      onRead: () => this.readData(),
      onWrite: (v) => this.writeData(v),
    });
    this.crcpr = r.define({
      name: 'CRCPR',
      offset: 0x10,
      reset: 0x0007,
      fields: [{ name: 'CRCPOLY', bits: [15, 0] }],
    });
    this.rxcrcr = r.define({
      name: 'RXCRCR',
      offset: 0x14,
      fields: [{ name: 'RXCRC', bits: [15, 0], access: 'ro' }],
    });
    this.txcrcr = r.define({
      name: 'TXCRCR',
      offset: 0x18,
      fields: [{ name: 'TXCRC', bits: [15, 0], access: 'ro' }],
    });
    this.i2scfgr = r.define({
      name: 'I2SCFGR',
      offset: 0x1c,
      fields: I2SCFGR.specs,
      onWrite: (v) => {
        if (v & I2SCFGR.mask.I2SMOD)
          this.warnOnce('i2s', `f4emu: ${this.bus}: I2S mode (I2SCFGR.I2SMOD) is not modelled`);
        this.kick();
      },
    });
    this.i2spr = r.define({ name: 'I2SPR', offset: 0x20, reset: 0x0002, fields: I2SPR.specs });
  }

  /**
   * Puts `device` on the bus; it takes part in a frame while `selected()` is true at the
   * frame's end (the board passes its chip-select pin). Returns a function that removes it.
   */
  connect(device: SpiDevice, selected: () => boolean): () => void {
    const c: Connection = { device, selected };
    this.connections.push(c);
    return () => {
      const i = this.connections.indexOf(c);
      if (i >= 0) this.connections.splice(i, 1);
    };
  }

  /** Frame length in bits (DFF). */
  get frameBits(): 8 | 16 {
    return this.cr1.value & DFF ? 16 : 8;
  }

  /** Nanoseconds one frame takes: 8 or 16 SPI clocks of 2^(BR+1) PCLK cycles each. */
  frameNanos(): number {
    const divider = 2 << ((this.cr1.value >>> 3) & 7);
    const clocks = this.ctx.clocks;
    const pclk = this.apb === 2 ? clocks.pclk2 : clocks.pclk1;
    return (this.frameBits * divider * 1e9) / pclk;
  }

  /**
   * Connects a DMA request line: `drive(level)` is called with the current level and on every
   * change (RM0090 maps SPI3_RX and SPI3_TX to two DMA1 streams each).
   */
  connectDma(request: 'tx' | 'rx', drive: (level: boolean) => void): void {
    this.dma.connect(request, drive, request === 'tx' ? this.txRequest() : this.rxRequest());
  }

  override updateIrq(): void {
    this.updateDmaRequests();
    const sr = this.sr.value;
    const cr2 = this.cr2.value;
    const level =
      ((sr & TXE && cr2 & TXEIE) ||
        (sr & RXNE && cr2 & RXNEIE) ||
        (sr & (OVR | MODF | CRCERR | FRE) && cr2 & ERRIE)) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.ctx.setIrq(this.irq, level);
    }
  }

  override reset(): void {
    this.ctx.clock.cancel(this.frameAlarm);
    this.txBuffer = this.rxBuffer = this.shiftOut = 0;
    this.txFull = this.shifting = this.crcFrame = false;
    this.ovrDrRead = this.modfSeen = false;
    this.irqLevel = true; // forces the NVIC line low on the update below
    this.dma.forget();
    super.reset();
  }

  private txRequest(): boolean {
    return (this.cr2.value & TXDMAEN) !== 0 && (this.sr.value & TXE) !== 0;
  }

  private rxRequest(): boolean {
    return (this.cr2.value & RXDMAEN) !== 0 && (this.sr.value & RXNE) !== 0;
  }

  private updateDmaRequests(): void {
    const tx = this.txRequest();
    const rx = this.rxRequest();
    this.dma.update(tx, rx);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.ctx.warn(message);
  }

  /** Enabled as a master in SPI mode: frames can be clocked. */
  private get clocking(): boolean {
    const cr1 = this.cr1.value;
    return (cr1 & (SPE | MSTR)) === (SPE | MSTR) && !(this.i2scfgr.value & I2SCFGR.mask.I2SMOD);
  }

  /** Receive-only master: RXONLY, or the bidirectional line as input. */
  private get receiveOnly(): boolean {
    const cr1 = this.cr1.value;
    return (cr1 & RXONLY) !== 0 || (cr1 & (BIDIMODE | BIDIOE)) === BIDIMODE;
  }

  /** Transmitting on the bidirectional line: the receiver sees nothing. */
  private get transmitOnly(): boolean {
    return (this.cr1.value & (BIDIMODE | BIDIOE)) === (BIDIMODE | BIDIOE);
  }

  private statusRead(v: number): number {
    if (v & MODF) this.modfSeen = true;
    if (this.ovrDrRead && v & OVR) {
      // DR read then SR read: OVR clears (this read still shows it).
      this.sr.value &= ~OVR;
      this.ovrDrRead = false;
      this.updateIrq();
    }
    return v;
  }

  private readData(): number {
    this.sr.value &= ~RXNE;
    if (this.sr.value & OVR) this.ovrDrRead = true;
    this.updateIrq();
    return this.rxBuffer;
  }

  private writeData(v: number): void {
    this.dr.value = 0; // a byte store next time carries no stale high byte
    this.txBuffer = v & (this.frameBits === 16 ? 0xffff : 0xff);
    this.txFull = true;
    this.sr.value &= ~TXE;
    this.kick();
    this.updateIrq();
  }

  private controlWritten(v: number, prev: number): void {
    if (this.modfSeen) {
      // SR access while MODF was set, then this CR1 write: MODF clears (RM0090 28.4.8).
      this.sr.value &= ~MODF;
      this.modfSeen = false;
    }
    // Setting CRCEN clears both CRC registers (RM0090 28.4.5).
    if (v & CRCEN && !(prev & CRCEN)) this.rxcrcr.value = this.txcrcr.value = 0;
    if (prev & SPE && !(v & SPE)) this.abortFrame();
    this.checkModeFault();
    const cr1 = this.cr1.value;
    if (cr1 & SPE && !(cr1 & MSTR) && !(this.i2scfgr.value & I2SCFGR.mask.I2SMOD)) {
      this.warnOnce(
        'slave',
        `f4emu: ${this.bus}: slave mode (CR1.MSTR=0) is not modelled: no master clocks the bus, nothing is transferred`,
      );
    }
    this.kick();
    this.updateIrq();
  }

  /** A master whose NSS input is low has a mode fault: SPE and MSTR clear (RM0090 28.4.8). */
  private checkModeFault(): void {
    const cr1 = this.cr1.value;
    if ((cr1 & (SPE | MSTR)) !== (SPE | MSTR)) return;
    // The NSS input is SSI with software management (SSM). Otherwise it is the NSS pin, which
    // is not routed and reads high, or an output (SSOE): never low.
    if (!(cr1 & SSM) || cr1 & SSI) return;
    this.cr1.value = cr1 & ~(SPE | MSTR);
    this.sr.value |= MODF;
    this.modfSeen = false;
    this.abortFrame();
    this.updateIrq();
  }

  /** Disabled mid-frame: the frame is abandoned (a frame waiting in the buffer stays there). */
  private abortFrame(): void {
    this.ctx.clock.cancel(this.frameAlarm);
    this.shifting = false;
    this.crcFrame = false;
    this.sr.value &= ~BSY;
  }

  /** Starts the next data frame if the shift register is free and there is one to clock. */
  private kick(): void {
    if (this.shifting || !this.clocking) return;
    if (this.receiveOnly) {
      this.shift(this.frameBits === 16 ? 0xffff : 0xff, false);
    } else if (this.txFull) {
      this.txFull = false;
      this.sr.value |= TXE;
      this.shift(this.txBuffer, false);
    }
  }

  private shift(frame: number, crc: boolean): void {
    this.shifting = true;
    this.shiftOut = frame;
    this.crcFrame = crc;
    this.sr.value |= BSY;
    this.ctx.clock.scheduleAlarmNanos(this.frameAlarm, this.frameNanos());
  }

  /** The devices selected now take `wireOut` byte by byte; MISO is the AND of their answers. */
  private exchange(wireOut: number, bits: 8 | 16): number {
    let wireIn = 0;
    for (let shift = bits - 8; shift >= 0; shift -= 8) {
      const out = (wireOut >>> shift) & 0xff;
      let answer = 0xff;
      for (const c of this.connections) if (c.selected()) answer &= c.device.transfer(out) & 0xff;
      wireIn = (wireIn << 8) | answer;
    }
    return wireIn;
  }

  private frameDone(): void {
    this.shifting = false;
    const cr1 = this.cr1.value;
    const bits = this.frameBits;
    const lsbFirst = (cr1 & LSBFIRST) !== 0;
    const wireOut = lsbFirst ? reverseBits(this.shiftOut, bits) : this.shiftOut;
    const wireIn = this.exchange(wireOut, bits);
    const received = lsbFirst ? reverseBits(wireIn, bits) : wireIn;
    const receiving = !this.transmitOnly;
    const wasCrc = this.crcFrame;
    this.crcFrame = false;
    if (cr1 & CRCEN) {
      const poly = this.crcpr.value;
      if (wasCrc) {
        if (receiving && received !== this.rxcrcr.value) this.sr.value |= CRCERR;
        this.cr1.value &= ~CRCNEXT;
      } else {
        if (!this.receiveOnly)
          this.txcrcr.value = spiCrcStep(this.txcrcr.value, wireOut, bits, poly);
        if (receiving) this.rxcrcr.value = spiCrcStep(this.rxcrcr.value, wireIn, bits, poly);
      }
    }
    if (receiving) {
      if (this.sr.value & RXNE)
        this.sr.value |= OVR; // the new frame is lost
      else {
        this.rxBuffer = received;
        this.sr.value |= RXNE;
      }
    }
    if (this.clocking) {
      // The CRC phase follows the last data frame: CRCNEXT, or the DMA supplying no more.
      const cr = this.cr1.value;
      const crcNext = cr & CRCNEXT || (this.cr2.value & TXDMAEN && !this.receiveOnly);
      if (!wasCrc && cr & CRCEN && crcNext && !this.txFull) this.shift(this.txcrcr.value, true);
      else this.kick();
    }
    if (!this.shifting) this.sr.value &= ~BSY;
    this.updateIrq();
  }
}

export interface SpiDmaRequest {
  dma: 'DMA1' | 'DMA2';
  stream: number;
  channel: number;
  spi: 'SPI1' | 'SPI2' | 'SPI3';
  request: 'tx' | 'rx';
}

/** The SPI requests of RM0090 tables 42 (DMA1) and 43 (DMA2). */
export const DMA_SPI_REQUESTS: readonly SpiDmaRequest[] = [
  { dma: 'DMA1', stream: 0, channel: 0, spi: 'SPI3', request: 'rx' },
  { dma: 'DMA1', stream: 2, channel: 0, spi: 'SPI3', request: 'rx' },
  { dma: 'DMA1', stream: 3, channel: 0, spi: 'SPI2', request: 'rx' },
  { dma: 'DMA1', stream: 4, channel: 0, spi: 'SPI2', request: 'tx' },
  { dma: 'DMA1', stream: 5, channel: 0, spi: 'SPI3', request: 'tx' },
  { dma: 'DMA1', stream: 7, channel: 0, spi: 'SPI3', request: 'tx' },
  { dma: 'DMA2', stream: 0, channel: 3, spi: 'SPI1', request: 'rx' },
  { dma: 'DMA2', stream: 2, channel: 3, spi: 'SPI1', request: 'rx' },
  { dma: 'DMA2', stream: 3, channel: 3, spi: 'SPI1', request: 'tx' },
  { dma: 'DMA2', stream: 5, channel: 3, spi: 'SPI1', request: 'tx' },
];

/** Connects the SPIs' request outputs to the DMA streams (tables 42/43). */
export function connectSpiDma(dmas: readonly DmaController[], spis: readonly Spi[]): void {
  for (const m of DMA_SPI_REQUESTS) {
    const dma = dmas.find((d) => d.name === m.dma);
    const spi = spis.find((s) => s.bus === m.spi);
    if (!dma || !spi) continue;
    const line = dma.requestLine(m.stream, m.channel);
    spi.connectDma(m.request, (level) => line.set(level));
  }
}
