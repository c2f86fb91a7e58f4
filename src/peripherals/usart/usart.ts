/**
 * STM32F407 USART/UART (RM0090 section 30) in asynchronous mode, on virtual time.
 *
 * Transmit: a DR write fills the transmit data register (TXE=0); when the shift register is free
 * the byte moves there at once (TXE=1 again) and leaves the line one character time later
 * (start + 8 or 9 data bits + stop bits at the programmed baud rate), when `onTx(byte)` reports
 * it and TC sets if nothing else is waiting. Enabling the transmitter first sends an idle frame,
 * as the chip does. Receive: `receive(byte)` from the host sets RXNE (or ORE when RXNE is still
 * set: the byte is lost); IDLE sets one character time after the last byte. `send(bytes)` queues
 * host bytes and feeds them at the baud rate, by default waiting while RXNE is set (like a
 * sender honouring RTS), so pasted text is not lost to a slow reader.
 *
 * Flags clear as on the chip: RXNE by reading DR or writing 0; TC by writing 0 or by SR read
 * then DR write; PE/FE/NF/ORE/IDLE by an SR read followed by a DR read (only the flags that read
 * saw). DMA requests (RM0090 30.3.13): with CR3.DMAT the TX request is high while TXE is set, with
 * CR3.DMAR the RX request while RXNE is set; a DMA controller drives from them the request lines
 * `connectDma` connects (the DMA's DR accesses go through the bus like the CPU's, so its DR read
 * clears RXNE). Synchronous, LIN, smartcard and IrDA bits are stored only.
 */
import type { Alarm } from '../../clock/clock.js';
import { Peripheral, irqLine, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';
import { DmaRequestLines } from '../dmaRequestLines.js';

export interface UsartConfig {
  name: string;
  base: number;
  irq: number;
  /** APB bus whose PCLK clocks the baud generator. */
  apb: 1 | 2;
}

// SR bits
const PE = 1 << 0;
const FE = 1 << 1;
const NF = 1 << 2;
const ORE = 1 << 3;
const IDLE = 1 << 4;
const RXNE = 1 << 5;
const TC = 1 << 6;
const TXE = 1 << 7;
/** Flags cleared by the SR-read-then-DR-read sequence. */
const SEQUENCE_FLAGS = PE | FE | NF | ORE | IDLE;
// CR1 bits
const RE = 1 << 2;
const TE = 1 << 3;
const IDLEIE = 1 << 4;
const RXNEIE = 1 << 5;
const TCIE = 1 << 6;
const TXEIE = 1 << 7;
const PEIE = 1 << 8;
const M = 1 << 12;
const UE = 1 << 13;
const OVER8 = 1 << 15;
// CR3 bits
const DMAR = 1 << 6;
const DMAT = 1 << 7;

/** Stop bits per CR2.STOP encoding (00: 1, 01: 0.5, 10: 2, 11: 1.5). */
const STOP_BITS = [1, 0.5, 2, 1.5];

export class Usart extends Peripheral {
  readonly sr: Register;
  readonly dr: Register;
  readonly brr: Register;
  readonly cr1: Register;
  readonly cr2: Register;
  readonly cr3: Register;
  readonly gtpr: Register;

  /** A character finished leaving the transmit line. */
  onTx: (byte: number) => void = () => {};
  /** `send` waits while RXNE is set or the receiver is off instead of losing bytes. */
  flowControl = true;

  private tdr = 0;
  private tdrFull = false;
  /** Character in the transmit shift register: a byte, -1 for the idle frame, null when empty. */
  private shifting: number | null = null;
  private rdr = 0;
  /** The sequence flags the last SR read saw set. */
  private srSeen = 0;
  private irqLevel = false;
  private readonly dma = new DmaRequestLines();
  /** Request levels last driven (null: drive them on the next update, after a reset). */
  private readonly txAlarm: Alarm;
  private readonly idleAlarm: Alarm;
  private readonly rxAlarm: Alarm;
  private readonly rxQueue: number[] = [];
  private rxHead = 0;
  /** Virtual nanosecond at which the host's previous byte finished arriving. */
  private rxLineFree = 0;

  readonly config: UsartConfig;

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    // The vector carries the block's name (USART1...UART5, RM0090 table 61).
    const irq = irqLine(block, block.name);
    this.config = { name: block.name, base: block.base, irq, apb: block.bus === 'APB2' ? 2 : 1 };
    const clock = ctx.clock;
    this.txAlarm = clock.createAlarm(() => this.txDone());
    this.idleAlarm = clock.createAlarm(() => this.idleDetected());
    this.rxAlarm = clock.createAlarm(() => this.rxDeliver());
    const r = this.regs;
    this.sr = r.define({
      name: 'SR',
      offset: 0x00,
      reset: TXE | TC,
      fields: [
        { name: 'CTS', bits: 9, access: 'rc_w0' },
        { name: 'LBD', bits: 8, access: 'rc_w0' },
        { name: 'TXE', bits: 7, access: 'ro' },
        { name: 'TC', bits: 6, access: 'rc_w0' },
        { name: 'RXNE', bits: 5, access: 'rc_w0' },
        { name: 'IDLE', bits: 4, access: 'ro' },
        { name: 'ORE', bits: 3, access: 'ro' },
        { name: 'NF', bits: 2, access: 'ro' },
        { name: 'FE', bits: 1, access: 'ro' },
        { name: 'PE', bits: 0, access: 'ro' },
      ],
      onRead: (v) => {
        this.srSeen = v & SEQUENCE_FLAGS;
        return v;
      },
      // Reading SR again notes the same flags: a loop polling TXE or TC is a wait loop.
      readIdempotent: true,
      onWrite: () => {
        this.updateIrq();
        this.kickRx();
      },
    });
    this.dr = r.define({
      name: 'DR',
      offset: 0x04,
      fields: [{ name: 'DR', bits: [8, 0] }],
      onRead: () => this.readData(),
      onWrite: (v) => this.writeData(v & 0x1ff),
    });
    this.brr = r.define({
      name: 'BRR',
      offset: 0x08,
      fields: [
        { name: 'DIV_Mantissa', bits: [15, 4] },
        { name: 'DIV_Fraction', bits: [3, 0] },
      ],
    });
    this.cr1 = r.define({
      name: 'CR1',
      offset: 0x0c,
      fields: [
        { name: 'OVER8', bits: 15 },
        { name: 'UE', bits: 13 },
        { name: 'M', bits: 12 },
        { name: 'WAKE', bits: 11 },
        { name: 'PCE', bits: 10 },
        { name: 'PS', bits: 9 },
        { name: 'PEIE', bits: 8 },
        { name: 'TXEIE', bits: 7 },
        { name: 'TCIE', bits: 6 },
        { name: 'RXNEIE', bits: 5 },
        { name: 'IDLEIE', bits: 4 },
        { name: 'TE', bits: 3 },
        { name: 'RE', bits: 2 },
        { name: 'RWU', bits: 1 },
        { name: 'SBK', bits: 0 },
      ],
      onWrite: (v, prev) => this.controlWritten(v, prev),
    });
    this.cr2 = r.define({
      name: 'CR2',
      offset: 0x10,
      fields: [
        { name: 'LINEN', bits: 14 },
        { name: 'STOP', bits: [13, 12] },
        { name: 'CLKEN', bits: 11 },
        { name: 'CPOL', bits: 10 },
        { name: 'CPHA', bits: 9 },
        { name: 'LBCL', bits: 8 },
        { name: 'LBDIE', bits: 6 },
        { name: 'LBDL', bits: 5 },
        { name: 'ADD', bits: [3, 0] },
      ],
    });
    this.cr3 = r.define({
      name: 'CR3',
      offset: 0x14,
      fields: [
        { name: 'ONEBIT', bits: 11 },
        { name: 'CTSIE', bits: 10 },
        { name: 'CTSE', bits: 9 },
        { name: 'RTSE', bits: 8 },
        { name: 'DMAT', bits: 7 },
        { name: 'DMAR', bits: 6 },
        { name: 'SCEN', bits: 5 },
        { name: 'NACK', bits: 4 },
        { name: 'HDSEL', bits: 3 },
        { name: 'IRLP', bits: 2 },
        { name: 'IREN', bits: 1 },
        { name: 'EIE', bits: 0 },
      ],
      onWrite: () => this.updateIrq(),
    });
    this.gtpr = r.define({
      name: 'GTPR',
      offset: 0x18,
      fields: [
        { name: 'GT', bits: [15, 8] },
        { name: 'PSC', bits: [7, 0] },
      ],
    });
  }

  /**
   * Nanoseconds one character takes on the line: (1 start + 8 or 9 data + stop) bits, each of
   * USARTDIV * 8 * (2 - OVER8) PCLK cycles; BRR holds USARTDIV with a 4-bit fraction (3 bits
   * with OVER8), so a bit is BRR PCLK cycles at 16x oversampling. The line runs on PCLK, not
   * HCLK: characters are timed in virtual nanoseconds, so one in flight when the firmware
   * changes HCLK (keeping PCLK) still ends on time.
   */
  characterNanos(): number {
    const cr1 = this.cr1.value;
    const brr = this.brr.value & 0xffff;
    const pclkPerBit = cr1 & OVER8 ? (brr >>> 4) * 8 + (brr & 7) : brr;
    const bits = 1 + (cr1 & M ? 9 : 8) + STOP_BITS[(this.cr2.value >>> 12) & 3]!;
    const clocks = this.ctx.clocks;
    const pclk = this.config.apb === 1 ? clocks.pclk1 : clocks.pclk2;
    return (bits * Math.max(pclkPerBit, 1) * 1e9) / pclk;
  }

  /** The character time in core cycles at the current HCLK (rounded up). */
  characterCycles(): number {
    return this.ctx.clock.cyclesForNanos(this.characterNanos());
  }

  /** Baud rate as programmed (bits per second). */
  get baudRate(): number {
    const cr1 = this.cr1.value;
    const brr = this.brr.value & 0xffff;
    const pclkPerBit = cr1 & OVER8 ? (brr >>> 4) * 8 + (brr & 7) : brr;
    const clocks = this.ctx.clocks;
    return (this.config.apb === 1 ? clocks.pclk1 : clocks.pclk2) / Math.max(pclkPerBit, 1);
  }

  /**
   * A byte arrives from the host now. Returns false when it is lost: the receiver is disabled,
   * or RXNE is still set (ORE sets).
   */
  receive(byte: number): boolean {
    const cr1 = this.cr1.value;
    if (!(cr1 & UE) || !(cr1 & RE)) return false;
    this.ctx.clock.scheduleAlarmNanos(this.idleAlarm, this.characterNanos());
    if (this.sr.value & RXNE) {
      this.sr.value |= ORE;
      this.updateIrq();
      return false;
    }
    this.rdr = byte & (cr1 & M ? 0x1ff : 0xff);
    this.sr.value |= RXNE;
    this.updateIrq();
    return true;
  }

  /** Queues host bytes; they arrive one character time apart (see `flowControl`). */
  send(bytes: Iterable<number>): void {
    for (const b of bytes) this.rxQueue.push(b & 0xff);
    this.kickRx();
  }

  /** Host bytes queued by `send` and not yet delivered. */
  get pendingInput(): number {
    return this.rxQueue.length - this.rxHead;
  }

  /**
   * Connects a DMA request line: `drive(level)` is called with the current level and on every
   * change (several lines may share a request: RM0090 maps USART3_TX to two DMA1 streams).
   */
  connectDma(request: 'tx' | 'rx', drive: (level: boolean) => void): void {
    const sr = this.sr.value;
    const cr3 = this.cr3.value;
    const level =
      request === 'tx' ? (cr3 & DMAT && sr & TXE) !== 0 : (cr3 & DMAR && sr & RXNE) !== 0;
    this.dma.connect(request, drive, level);
  }

  override updateIrq(): void {
    this.updateDmaRequests();
    const sr = this.sr.value;
    const cr1 = this.cr1.value;
    const level =
      ((sr & TXE && cr1 & TXEIE) ||
        (sr & TC && cr1 & TCIE) ||
        (sr & (RXNE | ORE) && cr1 & RXNEIE) ||
        (sr & IDLE && cr1 & IDLEIE) ||
        (sr & PE && cr1 & PEIE)) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.ctx.setIrq(this.config.irq, level);
    }
  }

  private updateDmaRequests(): void {
    const sr = this.sr.value;
    const cr3 = this.cr3.value;
    const tx = (cr3 & DMAT) !== 0 && (sr & TXE) !== 0;
    const rx = (cr3 & DMAR) !== 0 && (sr & RXNE) !== 0;
    this.dma.update(tx, rx);
  }

  override reset(): void {
    const clock = this.ctx.clock;
    clock.cancel(this.txAlarm);
    clock.cancel(this.idleAlarm);
    clock.cancel(this.rxAlarm);
    this.tdr = 0;
    this.tdrFull = false;
    this.shifting = null;
    this.rdr = 0;
    this.srSeen = 0;
    this.rxLineFree = 0;
    this.irqLevel = true; // forces the NVIC line low on the update below
    this.dma.forget();
    super.reset();
    this.kickRx();
  }

  private get transmitterOn(): boolean {
    return (this.cr1.value & (UE | TE)) === (UE | TE);
  }

  private readData(): number {
    const v = this.rdr;
    const sr = this.sr.value;
    // RXNE clears on any DR read; the error flags only after an SR read that saw them.
    this.sr.value = sr & ~RXNE & ~this.srSeen;
    this.srSeen = 0;
    this.updateIrq();
    this.kickRx();
    return v;
  }

  private writeData(v: number): void {
    this.tdr = this.cr1.value & M ? v : v & 0xff;
    this.tdrFull = true;
    this.sr.value &= ~(TXE | TC);
    this.startTx();
    this.updateIrq();
  }

  private controlWritten(v: number, prev: number): void {
    const on = UE | TE;
    // Enabling the transmitter sends an idle frame first (RM0090 30.3.2).
    if ((v & on) === on && (prev & on) !== on && this.shifting === null) this.shift(-1);
    else this.startTx();
    // A break is one character of zeros; the bit clears when its stop bit is sent. Not modelled
    // on the line, so it clears at once.
    if (v & 1) this.cr1.value &= ~1;
    this.updateIrq();
    this.kickRx();
  }

  /** Moves the transmit data register into a free shift register. */
  private startTx(): void {
    if (this.shifting !== null || !this.tdrFull || !this.transmitterOn) return;
    this.tdrFull = false;
    this.sr.value |= TXE;
    this.shift(this.tdr);
  }

  private shift(char: number): void {
    this.shifting = char;
    this.ctx.clock.scheduleAlarmNanos(this.txAlarm, this.characterNanos());
  }

  private txDone(): void {
    const char = this.shifting;
    this.shifting = null;
    if (char !== null && char >= 0) this.onTx(char);
    if (this.tdrFull && this.transmitterOn) this.startTx();
    else if (!this.tdrFull) this.sr.value |= TC;
    this.updateIrq();
  }

  private idleDetected(): void {
    if ((this.cr1.value & (UE | RE)) !== (UE | RE)) return;
    this.sr.value |= IDLE;
    this.updateIrq();
  }

  /**
   * Starts the next queued host byte if the line is free: it arrives one character time later.
   * With flow control a byte starts only while the receiver is on and RXNE is clear (like a
   * sender that honours the chip's RTS, checked at each frame start).
   */
  private kickRx(): void {
    if (this.rxAlarm.scheduled || this.rxHead >= this.rxQueue.length) return;
    if (this.flowControl && !this.canAccept()) return;
    const clock = this.ctx.clock;
    const start = Math.max(clock.nanos, this.rxLineFree);
    clock.scheduleAlarmAtNanos(this.rxAlarm, start + this.characterNanos());
  }

  private canAccept(): boolean {
    const cr1 = this.cr1.value;
    return (cr1 & (UE | RE)) === (UE | RE) && !(this.sr.value & RXNE);
  }

  private rxDeliver(): void {
    const byte = this.rxQueue[this.rxHead++]!;
    if (this.rxHead === this.rxQueue.length) {
      this.rxQueue.length = 0;
      this.rxHead = 0;
    }
    this.rxLineFree = this.ctx.clock.nanos;
    this.receive(byte);
    this.kickRx();
  }
}
