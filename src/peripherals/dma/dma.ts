/**
 * The STM32F407's DMA1 and DMA2 controllers (RM0090 section 10): eight streams each, every stream
 * selecting one of eight request channels (CHSEL). Registers: LISR/HISR (flags of streams 0-3 and
 * 4-7, read-only), LIFCR/HIFCR (write 1 to clear), and per stream x at 0x10 + 0x18 * x: SxCR,
 * SxNDTR, SxPAR, SxM0AR, SxM1AR, SxFCR. The transfer engine is ./dmaStream.ts.
 *
 * Write protection as on the chip: while a stream is enabled, SxCR keeps all bits but EN and the
 * interrupt enables, SxNDTR, SxPAR and SxFCR's DMDIS/FTH ignore writes, and SxM0AR/SxM1AR only
 * take a write to the buffer not in use in double-buffer mode (writing the one in use is a
 * transfer error). One level-based interrupt line per stream: TCIF/HTIF/TEIF/DMEIF with their
 * enables in SxCR, FEIF with FEIE in SxFCR.
 *
 * Requests: a peripheral drives a level-based request line of (stream, channel), from
 * `requestLine()`; `dmaControllers()` wires the USARTs per RM0090 tables 42/43.
 */
import { Peripheral, irqLine, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';
import type { Usart } from '../usart/usart.js';
import {
  CR_WRITABLE_WHILE_ENABLED,
  DMDIS,
  DMEIE,
  DMEIF,
  DmaStream,
  EN,
  FEIE,
  FEIF,
  HTIE,
  HTIF,
  TCIE,
  TCIF,
  TEIE,
  TEIF,
  type StreamHost,
} from './dmaStream.js';

export { M2M_ITEM_CYCLES, REQUEST_CYCLES } from './dmaStream.js';

/** A level-based DMA request input, driven by a peripheral. */
export interface DmaRequestLine {
  set(level: boolean): void;
}

/** Bit position of a stream's flags in LISR/HISR (streams 0-3 and 4-7 alike). */
const FLAG_SHIFT = [0, 6, 16, 22] as const;
/** The flag bits of LISR/HISR (bit 1 of each group is reserved). */
const FLAG_MASK = 0x0f7d0f7d;

export class DmaController extends Peripheral {
  readonly lisr: Register;
  readonly hisr: Register;
  readonly streams: DmaStream[] = [];
  private readonly irqLevels: boolean[] = [];
  private readonly warned = new Set<string>();

  /** NVIC line of each stream (vectors DMAn_Stream0...7, RM0090 table 61). */
  readonly streamIrqs: readonly number[];

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    const name = block.name;
    this.streamIrqs = Array.from({ length: 8 }, (_, x) => irqLine(block, `${name}_Stream${x}`));
    const r = this.regs;
    this.lisr = r.define({ name: 'LISR', offset: 0x00, access: 'ro' });
    this.hisr = r.define({ name: 'HISR', offset: 0x04, access: 'ro' });
    r.define({
      name: 'LIFCR',
      offset: 0x08,
      access: 'wo',
      onWrite: (_v, _p, written) => this.clearFlags(this.lisr, written),
    });
    r.define({
      name: 'HIFCR',
      offset: 0x0c,
      access: 'wo',
      onWrite: (_v, _p, written) => this.clearFlags(this.hisr, written),
    });
    const host: StreamHost = {
      name,
      // Only DMA2 has the AHB port that reaches memory as a source (RM0090 10.3.6).
      memoryToMemory: name === 'DMA2',
      ctx,
      setFlags: (stream, flags) => this.setFlags(stream, flags),
      warnOnce: (key, message) => this.warnOnce(key, message),
    };
    for (let x = 0; x < 8; x++) this.streams.push(this.defineStream(x, host));
    for (let x = 0; x < 8; x++) this.irqLevels.push(false);
  }

  /**
   * The request input of `stream` from `channel` (CHSEL value). `acknowledge`, if given, is
   * called after each item the stream moves for that request (the DMA's acknowledge to a
   * peripheral whose request is an event, not a status level: the timers).
   */
  requestLine(stream: number, channel: number, acknowledge?: () => void): DmaRequestLine {
    const s = this.streams[stream];
    if (!s || channel < 0 || channel > 7)
      throw new Error(`${this.name}: no stream ${stream} channel ${channel}`);
    if (acknowledge) s.onAcknowledge(channel, acknowledge);
    return { set: (level) => s.request(channel, level) };
  }

  /** Drives the request of `stream` from `channel` to `level`. */
  request(stream: number, channel: number, level: boolean): void {
    this.streams[stream]?.request(channel, level);
  }

  /** The LISR/HISR flags of `stream` (FEIF, DMEIF, TEIF, HTIF, TCIF at bits 0, 2, 3, 4, 5). */
  flags(stream: number): number {
    const reg = stream < 4 ? this.lisr : this.hisr;
    return (reg.value >>> FLAG_SHIFT[stream & 3]!) & 0x3d;
  }

  override reset(): void {
    for (const s of this.streams) s.reset();
    this.irqLevels.fill(true); // forces the NVIC lines low on the update below
    super.reset();
  }

  override updateIrq(): void {
    for (let x = 0; x < 8; x++) {
      const s = this.streams[x]!;
      const cr = s.regs.cr.value;
      const f = this.flags(x);
      const level =
        ((f & TCIF && cr & TCIE) ||
          (f & HTIF && cr & HTIE) ||
          (f & TEIF && cr & TEIE) ||
          (f & DMEIF && cr & DMEIE) ||
          (f & FEIF && s.regs.fcr.value & FEIE)) !== 0;
      if (level !== this.irqLevels[x]) {
        this.irqLevels[x] = level;
        this.ctx.setIrq(this.streamIrqs[x]!, level);
      }
    }
  }

  private setFlags(stream: number, flags: number): void {
    const reg = stream < 4 ? this.lisr : this.hisr;
    reg.value = (reg.value | ((flags & 0x3d) << FLAG_SHIFT[stream & 3]!)) >>> 0;
    this.updateIrq();
  }

  private clearFlags(reg: Register, written: number): void {
    reg.value = (reg.value & ~(written & FLAG_MASK)) >>> 0;
    this.updateIrq();
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.ctx.warn(message);
  }

  private defineStream(x: number, host: StreamHost): DmaStream {
    const r = this.regs;
    const base = 0x10 + 0x18 * x;
    const n = `S${x}`;
    // The stream object is created after its registers; hooks reach it through this holder.
    let stream!: DmaStream;
    const cr = r.define({
      name: `${n}CR`,
      offset: base,
      fields: [
        { name: 'CHSEL', bits: [27, 25] },
        { name: 'MBURST', bits: [24, 23] },
        { name: 'PBURST', bits: [22, 21] },
        { name: 'CT', bits: 19 },
        { name: 'DBM', bits: 18 },
        { name: 'PL', bits: [17, 16] },
        { name: 'PINCOS', bits: 15 },
        { name: 'MSIZE', bits: [14, 13] },
        { name: 'PSIZE', bits: [12, 11] },
        { name: 'MINC', bits: 10 },
        { name: 'PINC', bits: 9 },
        { name: 'CIRC', bits: 8 },
        { name: 'DIR', bits: [7, 6] },
        { name: 'PFCTRL', bits: 5 },
        { name: 'TCIE', bits: 4 },
        { name: 'HTIE', bits: 3 },
        { name: 'TEIE', bits: 2 },
        { name: 'DMEIE', bits: 1 },
        { name: 'EN', bits: 0 },
      ],
      onWrite: (v, prev) => {
        if (prev & EN) {
          v = ((prev & ~CR_WRITABLE_WHILE_ENABLED) | (v & CR_WRITABLE_WHILE_ENABLED)) >>> 0;
          cr.value = v;
        }
        stream.controlWritten(v, prev);
        this.updateIrq();
      },
    });
    const ndtr = r.define({
      name: `${n}NDTR`,
      offset: base + 0x04,
      fields: [{ name: 'NDT', bits: [15, 0] }],
      onWrite: (_v, prev) => {
        if (stream.enabled) ndtr.value = prev;
      },
    });
    const par = r.define({
      name: `${n}PAR`,
      offset: base + 0x08,
      access: 'rw',
      onWrite: (_v, prev) => {
        if (stream.enabled) par.value = prev;
      },
    });
    const m0ar = r.define({
      name: `${n}M0AR`,
      offset: base + 0x0c,
      access: 'rw',
      onWrite: (v, prev) => stream.memoryAddressWritten(0, v, prev),
    });
    const m1ar = r.define({
      name: `${n}M1AR`,
      offset: base + 0x10,
      access: 'rw',
      onWrite: (v, prev) => stream.memoryAddressWritten(1, v, prev),
    });
    const fcr = r.define({
      name: `${n}FCR`,
      offset: base + 0x14,
      reset: 0x21,
      fields: [
        { name: 'FEIE', bits: 7 },
        { name: 'FS', bits: [5, 3], access: 'ro' },
        { name: 'DMDIS', bits: 2 },
        { name: 'FTH', bits: [1, 0] },
      ],
      onRead: (v) => (v & ~(7 << 3)) | (this.fifoStatus(stream) << 3),
      onWrite: (v, prev) => {
        if (stream.enabled) fcr.value = ((prev & ~FEIE) | (v & FEIE)) >>> 0;
        this.updateIrq();
      },
    });
    stream = new DmaStream(x, host, { cr, ndtr, par, m0ar, m1ar, fcr });
    return stream;
  }

  /** SxFCR.FS: 100 empty, 101 full, else the quarter of the 16-byte FIFO in use. */
  private fifoStatus(stream: DmaStream): number {
    const level = stream.fifoLevel;
    if (!(stream.regs.fcr.value & DMDIS) || level === 0) return 4;
    if (level >= 16) return 5;
    return level >>> 2;
  }
}

export interface DmaUsartRequest {
  dma: 'DMA1' | 'DMA2';
  stream: number;
  channel: number;
  usart: string;
  request: 'tx' | 'rx';
}

/** The USART requests of RM0090 tables 42 (DMA1) and 43 (DMA2). */
export const DMA_USART_REQUESTS: readonly DmaUsartRequest[] = [
  { dma: 'DMA1', stream: 0, channel: 4, usart: 'UART5', request: 'rx' },
  { dma: 'DMA1', stream: 1, channel: 4, usart: 'USART3', request: 'rx' },
  { dma: 'DMA1', stream: 2, channel: 4, usart: 'UART4', request: 'rx' },
  { dma: 'DMA1', stream: 3, channel: 4, usart: 'USART3', request: 'tx' },
  { dma: 'DMA1', stream: 4, channel: 4, usart: 'UART4', request: 'tx' },
  { dma: 'DMA1', stream: 4, channel: 7, usart: 'USART3', request: 'tx' },
  { dma: 'DMA1', stream: 5, channel: 4, usart: 'USART2', request: 'rx' },
  { dma: 'DMA1', stream: 6, channel: 4, usart: 'USART2', request: 'tx' },
  { dma: 'DMA1', stream: 7, channel: 4, usart: 'UART5', request: 'tx' },
  { dma: 'DMA2', stream: 1, channel: 5, usart: 'USART6', request: 'rx' },
  { dma: 'DMA2', stream: 2, channel: 4, usart: 'USART1', request: 'rx' },
  { dma: 'DMA2', stream: 2, channel: 5, usart: 'USART6', request: 'rx' },
  { dma: 'DMA2', stream: 5, channel: 4, usart: 'USART1', request: 'rx' },
  { dma: 'DMA2', stream: 6, channel: 5, usart: 'USART6', request: 'tx' },
  { dma: 'DMA2', stream: 7, channel: 4, usart: 'USART1', request: 'tx' },
  { dma: 'DMA2', stream: 7, channel: 5, usart: 'USART6', request: 'tx' },
];

/** Connects the USART request outputs among `peripherals` to the DMA streams (tables 42/43). */
export function connectUsartDma(dmas: readonly DmaController[], usarts: readonly Usart[]): void {
  for (const m of DMA_USART_REQUESTS) {
    const dma = dmas.find((d) => d.name === m.dma);
    const usart = usarts.find((u) => u.name === m.usart);
    if (!dma || !usart) continue;
    const line = dma.requestLine(m.stream, m.channel);
    usart.connectDma(m.request, (level) => line.set(level));
  }
}

/** Creates DMA1 and DMA2 on `blocks` and wires the USARTs' request outputs to them. */
export function dmaControllers(
  blocks: readonly [BlockPlacement, BlockPlacement],
  ctx: PeripheralContext,
  usarts: readonly Usart[],
): [DmaController, DmaController] {
  const dmas: [DmaController, DmaController] = [
    new DmaController(blocks[0], ctx),
    new DmaController(blocks[1], ctx),
  ];
  connectUsartDma(dmas, usarts);
  return dmas;
}
