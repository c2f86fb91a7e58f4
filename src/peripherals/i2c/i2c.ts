/**
 * STM32F407 I2C1/I2C2/I2C3 (RM0090 section 27) as a bus master on virtual time, with 7-bit
 * devices attached through `attach` (the board's `attachI2cDevice`).
 *
 * Master events as RM0090 27.3.3 draws them (figures 243/244):
 *  - START (PE=1) generates a start condition, or a repeated start after the current byte:
 *    SB, MSL, BUSY set and START clears (EV5). Reading SR1 then writing DR clears SB and sends
 *    the address byte; nine SCL periods later the addressed device has ACKed (ADDR; TRA and TxE
 *    too for a write: EV6/EV8_1) or nobody has: AF (acknowledge failure), the error interrupt
 *    with ITERREN, and the master waits for software's STOP or START. ADDR clears by reading
 *    SR1 then SR2; SCL is held low meanwhile.
 *  - Transmitter: DR moves to the shift register as soon as it is free (TxE, EV8); each byte
 *    takes nine SCL periods; when one ends with nothing in DR, BTF sets and SCL is held (EV8_2).
 *    A NACKed byte sets AF. STOP generates a stop condition after the current byte (MSL, BUSY,
 *    TRA, TxE, BTF clear; STOP clears).
 *  - Receiver: bytes follow each other while they are ACKed; each lands in DR (RxNE, EV7) or,
 *    when RxNE is still set, waits in the shift register with BTF set and SCL held until DR is
 *    read. The ACK (or NACK) after a byte is CR1.ACK as it is at the byte's end, or with POS
 *    as it was at the end of the previous byte (the address for the first): the 1-, 2- and
 *    N-byte procedures of 27.3.3 and ST's AN2824 work as on the chip. With DMAEN and LAST, the
 *    byte the DMA will take last is NACKed (EOT-1, 27.3.7). A NACKed byte is the last.
 *
 * Timing from CCR and PCLK1 (27.6.8): an SCL period is 2*CCR PCLK1 cycles in standard mode
 * and 3*CCR (DUTY=0) or 25*CCR (DUTY=1) in fast mode; a byte with its ACK bit is nine periods,
 * a start or stop condition one. TRISE, FREQ, OAR1/OAR2 are stored. Interrupts: the event
 * line (ITEVTEN: SB, ADDR, ADD10, STOPF, BTF; with ITBUFEN also TxE, RxNE) and the error line
 * (ITERREN: BERR, ARLO, AF, OVR, PECERR, TIMEOUT, SMBALERT; only AF happens here: there is no
 * other master to lose arbitration to). DMA requests: TX while TxE and DMAEN, RX while RxNE and
 * DMAEN; `connectI2cDma` wires them to DMA1 per RM0090 table 42.
 *
 * Not modelled, with a one-time warning: slave mode (no other master on the board addresses
 * the chip, so ADDR never sets as a slave; ENGC, ENDUAL, NOSTRETCH), SMBus and PEC. Devices have
 * 7-bit addresses: a 10-bit header (11110xx) is an address nobody answers unless a device sits
 * there.
 */
import type { Alarm } from '../../clock/clock.js';
import type { DmaController } from '../dma/dma.js';
import { Peripheral, irqLine, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import { registerFields } from '../registerFields.js';
import type { Register } from '../registers.js';
import { DmaRequestLines } from '../dmaRequestLines.js';

/** A device on an I2C bus with a 7-bit address. */
export interface I2cDevice {
  /** The 7-bit address it answers at (0x4A for the CS43L22's 0x94 write address). */
  readonly address: number;
  /** Addressed after a start or repeated start (`read`: R/W bit 1); returns its ACK. */
  start(read: boolean): boolean;
  /** A byte from the master; returns the ACK. */
  write(byte: number): boolean;
  /** The next byte the master clocks in. */
  read(): number;
  /** A stop condition ended the transfer. */
  stop(): void;
}

const CR1 = registerFields([
  { name: 'SWRST', bits: 15 },
  { name: 'ALERT', bits: 13 },
  { name: 'PEC', bits: 12 },
  { name: 'POS', bits: 11 },
  { name: 'ACK', bits: 10 },
  { name: 'STOP', bits: 9 },
  { name: 'START', bits: 8 },
  { name: 'NOSTRETCH', bits: 7 },
  { name: 'ENGC', bits: 6 },
  { name: 'ENPEC', bits: 5 },
  { name: 'ENARP', bits: 4 },
  { name: 'SMBTYPE', bits: 3 },
  { name: 'SMBUS', bits: 1 },
  { name: 'PE', bits: 0 },
]);
const CR2 = registerFields([
  { name: 'LAST', bits: 12 },
  { name: 'DMAEN', bits: 11 },
  { name: 'ITBUFEN', bits: 10 },
  { name: 'ITEVTEN', bits: 9 },
  { name: 'ITERREN', bits: 8 },
  { name: 'FREQ', bits: [5, 0] },
]);
const SR1 = registerFields([
  { name: 'SMBALERT', bits: 15, access: 'rc_w0' },
  { name: 'TIMEOUT', bits: 14, access: 'rc_w0' },
  { name: 'PECERR', bits: 12, access: 'rc_w0' },
  { name: 'OVR', bits: 11, access: 'rc_w0' },
  { name: 'AF', bits: 10, access: 'rc_w0' },
  { name: 'ARLO', bits: 9, access: 'rc_w0' },
  { name: 'BERR', bits: 8, access: 'rc_w0' },
  { name: 'TxE', bits: 7, access: 'ro' },
  { name: 'RxNE', bits: 6, access: 'ro' },
  { name: 'STOPF', bits: 4, access: 'ro' },
  { name: 'ADD10', bits: 3, access: 'ro' },
  { name: 'BTF', bits: 2, access: 'ro' },
  { name: 'ADDR', bits: 1, access: 'ro' },
  { name: 'SB', bits: 0, access: 'ro' },
]);
const SR2 = registerFields([
  { name: 'PEC', bits: [15, 8], access: 'ro' },
  { name: 'DUALF', bits: 7, access: 'ro' },
  { name: 'SMBHOST', bits: 6, access: 'ro' },
  { name: 'SMBDEFAULT', bits: 5, access: 'ro' },
  { name: 'GENCALL', bits: 4, access: 'ro' },
  { name: 'TRA', bits: 2, access: 'ro' },
  { name: 'BUSY', bits: 1, access: 'ro' },
  { name: 'MSL', bits: 0, access: 'ro' },
]);
const CCR = registerFields([
  { name: 'F_S', bits: 15 },
  { name: 'DUTY', bits: 14 },
  { name: 'CCR', bits: [11, 0] },
]);

/** Bit masks of I2C_CR1, CR2, SR1, SR2, CCR by field name (RM0090 27.6). */
export const I2C_CR1 = CR1.mask;
export const I2C_CR2 = CR2.mask;
export const I2C_SR1 = SR1.mask;
export const I2C_SR2 = SR2.mask;
export const I2C_CCR = CCR.mask;

const { SWRST, POS, ACK, STOP, START, PE } = CR1.mask;
const { LAST, DMAEN, ITBUFEN, ITEVTEN, ITERREN } = CR2.mask;
const { TxE, RxNE, STOPF, ADD10, BTF, ADDR, SB, AF } = SR1.mask;
const { TRA, BUSY, MSL } = SR2.mask;
/** SR1 error flags (the error interrupt's sources). */
const SR1_ERRORS = 0xdf00;
/** CR1 bits for SMBus, PEC and the slave side, none of which is modelled. */
const CR1_UNMODELLED: readonly [number, string][] = [
  [CR1.mask.SMBUS, 'SMBus mode (CR1.SMBUS)'],
  [CR1.mask.ENARP | CR1.mask.SMBTYPE | CR1.mask.ALERT, 'SMBus ARP/host/alert (CR1)'],
  [CR1.mask.ENPEC | CR1.mask.PEC, 'packet error checking (CR1.ENPEC/PEC)'],
  [CR1.mask.ENGC | CR1.mask.NOSTRETCH, 'slave mode (CR1.ENGC/NOSTRETCH)'],
];

/** What the alarm in flight completes. */
type BusPhase = 'start' | 'address' | 'byte' | 'stop';

export class I2c extends Peripheral {
  readonly cr1: Register;
  readonly cr2: Register;
  readonly oar1: Register;
  readonly oar2: Register;
  readonly dr: Register;
  readonly sr1: Register;
  readonly sr2: Register;
  readonly ccr: Register;
  readonly trise: Register;
  readonly evIrq: number;
  readonly erIrq: number;
  /**
   * Items the DMA stream serving the RX request has left (its NDTR), or null when none is
   * enabled: how LAST knows the next byte is the DMA's last (EOT-1). Set by `connectI2cDma`.
   */
  dmaRxRemaining: () => number | null = () => null;

  private readonly devices: I2cDevice[] = [];
  /** The phase the bus alarm completes, or null when nothing is on the wire. */
  private phase: BusPhase | null = null;
  private readonly busAlarm: Alarm;
  /** The device that ACKed the last address, and every device addressed since the last stop. */
  private target: I2cDevice | null = null;
  private readonly addressed = new Set<I2cDevice>();
  /** Byte on the wire (address or data), and the receiver's byte held with BTF. */
  private shiftByte = 0;
  private shiftFull = false;
  /** Transmit data waiting in DR (TxE clear), and the data DR reads. */
  private txData = 0;
  private txFull = false;
  private rxData = 0;
  /** The receiver ACKed its last byte, so the device goes on sending. */
  private lastAcked = false;
  /** CR1.ACK as it was at the end of the previous byte (or the address): the ACK with POS. */
  private ackForNext = false;
  /** AF: the master does nothing but a START or STOP software asks for. */
  private stalled = false;
  /** SR1 as the last SR1 read saw it (the first half of the SB and ADDR clearing sequences). */
  private sr1Seen = 0;
  private evLevel = false;
  private erLevel = false;
  private readonly dma = new DmaRequestLines();
  private readonly warned = new Set<string>();

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    this.evIrq = irqLine(block, `${block.name}_EV`);
    this.erIrq = irqLine(block, `${block.name}_ER`);
    this.busAlarm = ctx.clock.createAlarm(() => this.phaseDone());
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
      onWrite: () => this.updateIrq(),
    });
    this.oar1 = r.define({
      name: 'OAR1',
      offset: 0x08,
      fields: [
        { name: 'ADDMODE', bits: 15 },
        { name: 'BIT14', bits: 14 }, // "must be kept at 1 by software"
        { name: 'ADD', bits: [9, 0] },
      ],
    });
    this.oar2 = r.define({
      name: 'OAR2',
      offset: 0x0c,
      fields: [
        { name: 'ADD2', bits: [7, 1] },
        { name: 'ENDUAL', bits: 0 },
      ],
      onWrite: (v) => {
        if (v & 1) this.unmodelled('dual', 'dual addressing (OAR2.ENDUAL, slave mode)');
      },
    });
    this.dr = r.define({
      name: 'DR',
      offset: 0x10,
      fields: [{ name: 'DR', bits: [7, 0] }],
      onRead: () => this.readData(),
      onWrite: (v) => this.writeData(v & 0xff),
    });
    this.sr1 = r.define({
      name: 'SR1',
      offset: 0x14,
      fields: SR1.specs,
      onRead: (v) => {
        this.sr1Seen = v;
        return v;
      },
      onWrite: () => this.updateIrq(),
    });
    this.sr2 = r.define({
      name: 'SR2',
      offset: 0x18,
      fields: SR2.specs,
      onRead: (v) => {
        this.status2Read();
        return v;
      },
    });
    this.ccr = r.define({ name: 'CCR', offset: 0x1c, fields: CCR.specs });
    this.trise = r.define({
      name: 'TRISE',
      offset: 0x20,
      reset: 0x0002,
      fields: [{ name: 'TRISE', bits: [5, 0] }],
    });
  }

  /** Puts `device` on the bus at its address. Returns a function that removes it. */
  attach(device: I2cDevice): () => void {
    this.devices.push(device);
    return () => {
      const i = this.devices.indexOf(device);
      if (i >= 0) this.devices.splice(i, 1);
      this.addressed.delete(device);
      if (this.target === device) this.target = null;
    };
  }

  /** Nanoseconds of one SCL period from CCR (minimum 4 in standard mode, 1 in fast mode). */
  sclNanos(): number {
    const ccr = this.ccr.value;
    const n = ccr & CCR.mask.CCR;
    let cycles: number;
    if (!(ccr & CCR.mask.F_S)) cycles = 2 * Math.max(n, 4);
    else cycles = (ccr & CCR.mask.DUTY ? 25 : 3) * Math.max(n, 1);
    return (cycles * 1e9) / this.ctx.clocks.pclk1;
  }

  /** Connects a DMA request line (`drive` gets the current level, then every change). */
  connectDma(request: 'tx' | 'rx', drive: (level: boolean) => void): void {
    this.dma.connect(request, drive, request === 'tx' ? this.txRequest() : this.rxRequest());
  }

  override updateIrq(): void {
    this.updateDmaRequests();
    const sr1 = this.sr1.value;
    const cr2 = this.cr2.value;
    const ev =
      (cr2 & ITEVTEN) !== 0 &&
      ((sr1 & (SB | ADDR | ADD10 | STOPF | BTF)) !== 0 ||
        ((cr2 & ITBUFEN) !== 0 && (sr1 & (TxE | RxNE)) !== 0));
    const er = (cr2 & ITERREN) !== 0 && (sr1 & SR1_ERRORS) !== 0;
    if (ev !== this.evLevel) {
      this.evLevel = ev;
      this.ctx.setIrq(this.evIrq, ev);
    }
    if (er !== this.erLevel) {
      this.erLevel = er;
      this.ctx.setIrq(this.erIrq, er);
    }
  }

  override reset(): void {
    this.clearState();
    this.evLevel = this.erLevel = true; // forces the NVIC lines low on the update below
    this.dma.forget();
    super.reset();
  }

  private clearState(): void {
    this.ctx.clock.cancel(this.busAlarm);
    this.phase = null;
    this.target = null;
    this.addressed.clear();
    this.shiftByte = this.txData = this.rxData = this.sr1Seen = 0;
    this.shiftFull = this.txFull = this.lastAcked = this.ackForNext = this.stalled = false;
  }

  private txRequest(): boolean {
    return (this.cr2.value & DMAEN) !== 0 && (this.sr1.value & TxE) !== 0;
  }

  private rxRequest(): boolean {
    return (this.cr2.value & DMAEN) !== 0 && (this.sr1.value & RxNE) !== 0;
  }

  private updateDmaRequests(): void {
    const tx = this.txRequest();
    const rx = this.rxRequest();
    this.dma.update(tx, rx);
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.ctx.warn(`f4emu: ${this.name}: ${message}`);
  }

  private unmodelled(key: string, what: string): void {
    this.warnOnce(key, `${what} is not modelled`);
  }

  private get master(): boolean {
    return (this.sr2.value & MSL) !== 0;
  }

  private controlWritten(v: number, prev: number): void {
    if (v & SWRST) {
      // Software reset: every register and the bus state back to reset, SWRST kept (27.6.1).
      this.releaseBus();
      this.clearState();
      this.regs.reset();
      this.cr1.value = SWRST;
      this.updateIrq();
      return;
    }
    for (const [mask, what] of CR1_UNMODELLED) if (v & mask) this.unmodelled(what, what);
    if (!(v & PE)) {
      // PE=0: the interface stops; START, STOP, ACK, POS and PEC and every flag clear.
      if (prev & PE) this.releaseBus();
      this.clearState();
      this.cr1.value = v & ~(START | STOP | ACK | POS | CR1.mask.PEC);
      this.sr1.value = 0;
      this.sr2.value = 0;
      this.updateIrq();
      return;
    }
    const freq = this.cr2.value & CR2.mask.FREQ;
    if (freq < 2 || freq > 42)
      this.warnOnce('freq', `CR2.FREQ=${freq} MHz is outside 2-42 (SCL timing follows PCLK1)`);
    this.step();
    this.updateIrq();
  }

  /** Stop callbacks to the devices addressed since the last stop (PE=0 or reset mid-transfer). */
  private releaseBus(): void {
    for (const d of this.addressed) d.stop();
    this.addressed.clear();
  }

  private schedule(phase: BusPhase, periods: number): void {
    this.phase = phase;
    this.ctx.clock.scheduleAlarmNanos(this.busAlarm, periods * this.sclNanos());
  }

  /**
   * Moves the bus on when nothing is on the wire: a requested start or stop first, then the
   * next data byte if software has let the transfer go on.
   */
  private step(): void {
    if (this.phase !== null) return;
    const cr1 = this.cr1.value;
    if (!(cr1 & PE)) return;
    if (cr1 & START) {
      this.schedule('start', 1);
      return;
    }
    if (cr1 & STOP) {
      if (this.master) this.schedule('stop', 1);
      else this.cr1.value &= ~STOP; // as a slave: nothing to release
      return;
    }
    if (!this.master || this.stalled || this.sr1.value & (SB | ADDR)) return;
    if (this.sr2.value & TRA) {
      if (!this.txFull) return;
      this.txFull = false;
      this.shiftByte = this.txData;
      this.sr1.value = (this.sr1.value | TxE) & ~BTF;
      this.schedule('byte', 9);
    } else if (this.lastAcked && !this.shiftFull && this.target) {
      this.shiftByte = this.target.read() & 0xff;
      this.schedule('byte', 9);
    }
  }

  private phaseDone(): void {
    const phase = this.phase;
    this.phase = null;
    if (phase === 'start') this.startDone();
    else if (phase === 'address') this.addressDone();
    else if (phase === 'byte') {
      if (this.sr2.value & TRA) this.byteSent();
      else this.byteReceived();
    } else if (phase === 'stop') this.stopDone();
    this.step();
    this.updateIrq();
  }

  private startDone(): void {
    this.cr1.value &= ~START;
    // BTF and TxE clear at a start condition in transmission; a receiver's data stays readable.
    const sr1 = this.sr1.value;
    this.sr1.value = (this.sr2.value & TRA ? sr1 & ~(BTF | TxE) : sr1) | SB;
    if (this.sr2.value & TRA) this.txFull = false;
    this.sr2.value |= MSL | BUSY;
    this.stalled = false;
  }

  private addressDone(): void {
    const byte = this.shiftByte;
    const read = (byte & 1) !== 0;
    const device = this.devices.find((d) => d.address === byte >>> 1);
    const ack = device ? device.start(read) : false;
    if (!ack) {
      this.target = null;
      this.sr1.value |= AF;
      this.stalled = true;
      return;
    }
    this.target = device!;
    this.addressed.add(device!);
    this.lastAcked = true;
    this.ackForNext = (this.cr1.value & ACK) !== 0;
    this.sr1.value |= ADDR;
    if (read) this.sr2.value &= ~TRA;
    else {
      this.sr2.value |= TRA;
      if (!this.txFull) this.sr1.value |= TxE;
    }
  }

  private byteSent(): void {
    const ack = this.target ? this.target.write(this.shiftByte) : false;
    if (!ack) {
      this.sr1.value |= AF;
      this.stalled = true;
    } else if (!this.txFull) this.sr1.value |= BTF; // EV8_2: nothing left to send, SCL held
  }

  private byteReceived(): void {
    const cr1 = this.cr1.value;
    let ack = cr1 & POS ? this.ackForNext : (cr1 & ACK) !== 0;
    this.ackForNext = (cr1 & ACK) !== 0;
    // LAST: the DMA's last byte (it has this one and no other left) is NACKed (27.3.7).
    if (this.cr2.value & DMAEN && this.cr2.value & LAST && (this.dmaRxRemaining() ?? 2) <= 1)
      ack = false;
    this.lastAcked = ack;
    if (this.sr1.value & RxNE) {
      this.shiftFull = true;
      this.sr1.value |= BTF; // DR and shift register full: SCL held until DR is read
    } else {
      this.rxData = this.shiftByte;
      this.sr1.value |= RxNE;
    }
  }

  private stopDone(): void {
    this.cr1.value &= ~STOP;
    this.sr1.value &= ~(TxE | BTF | SB | ADDR);
    this.sr2.value &= ~(MSL | BUSY | TRA);
    this.txFull = false;
    this.stalled = false;
    this.target = null;
    this.releaseBus();
  }

  private status2Read(): void {
    if (this.sr1Seen & ADDR && this.sr1.value & ADDR) {
      // SR1 read then SR2 read: ADDR clears and SCL is released (EV6).
      this.sr1.value &= ~ADDR;
      this.sr1Seen = 0;
      this.step();
      this.updateIrq();
    }
  }

  private readData(): number {
    const v = this.rxData;
    if (this.shiftFull) {
      // BTF: the byte held in the shift register moves to DR; RxNE stays set (EV7).
      this.rxData = this.shiftByte;
      this.shiftFull = false;
      this.sr1.value &= ~BTF;
    } else if (this.sr2.value & TRA) this.sr1.value &= ~BTF;
    else this.sr1.value &= ~RxNE;
    this.step();
    this.updateIrq();
    return v;
  }

  private writeData(v: number): void {
    const sr1 = this.sr1.value;
    if (sr1 & SB) {
      // SR1 read then DR write: SB clears and the address byte goes out (EV5).
      if (!(this.sr1Seen & SB) || this.phase !== null) return;
      this.sr1.value = sr1 & ~SB;
      this.sr1Seen = 0;
      this.shiftByte = v;
      this.schedule('address', 9);
    } else if (this.master && this.sr2.value & TRA) {
      this.txData = v;
      this.txFull = true;
      this.sr1.value = sr1 & ~(TxE | BTF);
      this.step();
    }
    this.updateIrq();
  }
}

export interface I2cDmaRequest {
  stream: number;
  channel: number;
  i2c: 'I2C1' | 'I2C2' | 'I2C3';
  request: 'tx' | 'rx';
}

/** The I2C requests of RM0090 table 42 (all on DMA1). */
export const DMA_I2C_REQUESTS: readonly I2cDmaRequest[] = [
  { stream: 0, channel: 1, i2c: 'I2C1', request: 'rx' },
  { stream: 5, channel: 1, i2c: 'I2C1', request: 'rx' },
  { stream: 6, channel: 1, i2c: 'I2C1', request: 'tx' },
  { stream: 7, channel: 1, i2c: 'I2C1', request: 'tx' },
  { stream: 2, channel: 7, i2c: 'I2C2', request: 'rx' },
  { stream: 3, channel: 7, i2c: 'I2C2', request: 'rx' },
  { stream: 7, channel: 7, i2c: 'I2C2', request: 'tx' },
  { stream: 2, channel: 3, i2c: 'I2C3', request: 'rx' },
  { stream: 4, channel: 3, i2c: 'I2C3', request: 'tx' },
];

/**
 * Connects the I2Cs' request outputs to DMA1's streams (table 42), and gives each I2C the NDTR
 * of whichever of its RX streams is enabled on its channel, for LAST.
 */
export function connectI2cDma(dma1: DmaController, i2cs: readonly I2c[]): void {
  for (const i2c of i2cs) {
    const mine = DMA_I2C_REQUESTS.filter((m) => m.i2c === i2c.name);
    for (const m of mine) {
      const line = dma1.requestLine(m.stream, m.channel);
      i2c.connectDma(m.request, (level) => line.set(level));
    }
    const rx = mine.filter((m) => m.request === 'rx');
    i2c.dmaRxRemaining = () => {
      for (const m of rx) {
        const s = dma1.streams[m.stream]!;
        if (s.enabled && ((s.regs.cr.value >>> 25) & 7) === m.channel)
          return s.regs.ndtr.value & 0xffff;
      }
      return null;
    };
  }
}
