/**
 * One stream of an STM32F4 DMA controller (RM0090 section 10): the transfer engine behind the
 * SxCR/SxNDTR/SxPAR/SxM0AR/SxM1AR/SxFCR registers that ./dma.ts declares.
 *
 * Every data item moves through the bus (`ctx.bus.read*`/`write*`, so stores into RAM holding
 * decoded code invalidate the CPU's decode cache, and an access nothing answers is a BusError),
 * one item per alarm on virtual time:
 *  - memory-to-memory runs free, one source item every `M2M_ITEM_CYCLES` HCLK cycles (a read and
 *    a write on the two AHB master ports plus arbitration: a rough figure, not a measured one);
 *  - peripheral-to-memory and memory-to-peripheral move one peripheral item per request, each
 *    `REQUEST_CYCLES` HCLK cycles after the (level-based) request of the selected channel is seen
 *    high; while the request stays high the next item follows at the same pace.
 * Streams do not arbitrate with each other (PL is stored only) and never stall on a busy port.
 *
 * NDTR counts peripheral-size items. In FIFO mode (DMDIS=1, forced for memory-to-memory) items
 * of PSIZE are packed into / unpacked from MSIZE units through a byte FIFO; in direct mode both
 * sides use PSIZE. The FIFO never over- or underruns (the model always keeps up), so FEIF and
 * DMEIF are never raised; FS reads the FIFO level. Burst transfers (PBURST/MBURST) run as single
 * transfers and PFCTRL (peripheral flow control) is not modelled: both are stored and warned of
 * once.
 */
import type { Alarm } from '../../clock/clock.js';
import { BusError } from '../../bus/bus.js';
import type { PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';

/** HCLK cycles per memory-to-memory source item. */
export const M2M_ITEM_CYCLES = 4;
/** HCLK cycles from a peripheral request to its data item on the bus. */
export const REQUEST_CYCLES = 4;

// SxCR bits
export const EN = 1 << 0;
export const DMEIE = 1 << 1;
export const TEIE = 1 << 2;
export const HTIE = 1 << 3;
export const TCIE = 1 << 4;
export const PFCTRL = 1 << 5;
export const CIRC = 1 << 8;
export const PINC = 1 << 9;
export const MINC = 1 << 10;
export const PINCOS = 1 << 15;
export const DBM = 1 << 18;
export const CT = 1 << 19;
/** SxCR bits software may change while the stream is enabled. */
export const CR_WRITABLE_WHILE_ENABLED = EN | DMEIE | TEIE | HTIE | TCIE;
// SxFCR bits
export const DMDIS = 1 << 2;
export const FEIE = 1 << 7;

// Flags of a stream in LISR/HISR, before shifting to the stream's position.
export const FEIF = 1 << 0;
export const DMEIF = 1 << 2;
export const TEIF = 1 << 3;
export const HTIF = 1 << 4;
export const TCIF = 1 << 5;

/** DIR encodings. */
const P2M = 0;
const M2P = 1;
const M2M = 2;

export interface StreamRegisters {
  cr: Register;
  ndtr: Register;
  par: Register;
  m0ar: Register;
  m1ar: Register;
  fcr: Register;
}

export interface StreamHost {
  /** Controller name ('DMA1', 'DMA2'). */
  name: string;
  /** Only DMA2 can do memory-to-memory (RM0090 10.3.6). */
  memoryToMemory: boolean;
  ctx: PeripheralContext;
  setFlags(stream: number, flags: number): void;
  warnOnce(key: string, message: string): void;
}

const SIZES = [1, 2, 4] as const;

export class DmaStream {
  /** Channels (bit n = channel n) whose request is high. */
  requests = 0;
  private readonly alarm: Alarm;
  /** Items still to move in this cycle is NDTR; these are the value reloaded and the pointers. */
  private reload = 0;
  private periphAddr = 0;
  private memAddr = 0;
  /** The FIFO: bytes in order, oldest first. */
  private readonly fifo: number[] = [];
  /** EN was written 0: the stream stops after the current item. */
  private stopping = false;
  /** Per channel: who hears that an item was moved for its request (`onAcknowledge`). */
  private readonly acknowledges: (() => void)[][] = [[], [], [], [], [], [], [], []];

  constructor(
    readonly index: number,
    private readonly host: StreamHost,
    readonly regs: StreamRegisters,
  ) {
    this.alarm = host.ctx.clock.createAlarm(() => this.step());
  }

  get enabled(): boolean {
    return (this.regs.cr.value & EN) !== 0;
  }

  /** Bytes held in the FIFO (for FS). */
  get fifoLevel(): number {
    return this.fifo.length;
  }

  private get dir(): number {
    return (this.regs.cr.value >>> 6) & 3;
  }

  private get channel(): number {
    return (this.regs.cr.value >>> 25) & 7;
  }

  reset(): void {
    this.host.ctx.clock.cancel(this.alarm);
    this.fifo.length = 0;
    this.stopping = false;
    this.reload = 0;
  }

  /** Calls `ack` after each item moved for `channel`'s request. */
  onAcknowledge(channel: number, ack: () => void): void {
    this.acknowledges[channel]!.push(ack);
  }

  /** A request line of this stream changed. */
  request(channel: number, level: boolean): void {
    if (level) this.requests |= 1 << channel;
    else {
      this.requests &= ~(1 << channel);
      // The item waiting for this request will not move.
      if (channel === this.channel && this.dir !== M2M && this.alarm.scheduled) {
        this.host.ctx.clock.cancel(this.alarm);
        if (this.stopping) this.finish(TCIF, 'disabled');
      }
    }
    if (level && channel === this.channel) this.kick();
  }

  /** SxCR written (after the write-protection filter in ./dma.ts). */
  controlWritten(value: number, previous: number): void {
    if (value & EN && !(previous & EN)) this.start();
    else if (!(value & EN) && previous & EN) {
      // Stays enabled until the item in flight is done (RM0090 10.3.14).
      this.regs.cr.value |= EN;
      this.stopping = true;
      if (!this.alarm.scheduled) this.finish(TCIF, 'disabled');
    }
  }

  /** SxM0AR/SxM1AR written while enabled in double-buffer mode: not the buffer in use. */
  memoryAddressWritten(which: 0 | 1, value: number, previous: number): void {
    const cr = this.regs.cr.value;
    if (!(cr & EN)) return;
    const inUse = cr & CT ? 1 : 0;
    if (cr & DBM && which !== inUse) return;
    (which === 0 ? this.regs.m0ar : this.regs.m1ar).value = previous;
    if (cr & DBM) {
      // RM0090 10.5.7/10.5.8: writing the address in use sets TEIF and disables the stream.
      this.host.warnOnce(
        `m${which}ar-in-use`,
        `f4emu: ${this.host.name} stream ${this.index}: M${which}AR written while in use ` +
          `(0x${(value >>> 0).toString(16)}): transfer error, stream disabled`,
      );
      this.finish(TEIF, 'error');
    }
  }

  private start(): void {
    const { cr, ndtr, par, m0ar, m1ar, fcr } = this.regs;
    const host = this.host;
    const v = cr.value;
    this.stopping = false;
    this.fifo.length = 0;
    if (v & PFCTRL) {
      host.warnOnce(
        'pfctrl',
        `f4emu: ${host.name}: SxCR.PFCTRL (peripheral flow control) is not modelled: the DMA counts NDTR`,
      );
    }
    if (v & (0xf << 21)) {
      host.warnOnce(
        'burst',
        `f4emu: ${host.name}: SxCR.PBURST/MBURST are not modelled: bursts run as single transfers`,
      );
    }
    if (this.dir === M2M) {
      if (!host.memoryToMemory) {
        host.warnOnce(
          'm2m',
          `f4emu: ${host.name} stream ${this.index}: memory-to-memory is only possible on DMA2 (RM0090 10.3.6): transfer error`,
        );
        this.finish(TEIF, 'error');
        return;
      }
      fcr.value |= DMDIS; // direct mode is not allowed: set by hardware (RM0090 10.5.10)
      if (v & (CIRC | DBM)) {
        host.warnOnce(
          'm2m-circ',
          `f4emu: ${host.name}: circular and double-buffer modes are not allowed in memory-to-memory mode (RM0090 10.3.6): ignored`,
        );
      }
    }
    if (this.dir === 3) {
      host.warnOnce(
        'dir3',
        `f4emu: ${host.name} stream ${this.index}: SxCR.DIR=11 is reserved: transfer error`,
      );
      this.finish(TEIF, 'error');
      return;
    }
    this.reload = ndtr.value & 0xffff;
    if (this.reload === 0) {
      host.warnOnce(
        'ndtr0',
        `f4emu: ${host.name} stream ${this.index}: enabled with NDTR=0: nothing to transfer`,
      );
      this.finish(TCIF, 'disabled');
      return;
    }
    this.periphAddr = par.value;
    this.memAddr = v & DBM && v & CT ? m1ar.value : m0ar.value;
    this.kick();
  }

  /** Schedules the next item if the stream can move one. */
  private kick(): void {
    if (!this.enabled || this.stopping || this.alarm.scheduled) return;
    if (this.dir === M2M) this.host.ctx.clock.scheduleAlarm(this.alarm, M2M_ITEM_CYCLES);
    else if (this.requests & (1 << this.channel)) {
      this.host.ctx.clock.scheduleAlarm(this.alarm, REQUEST_CYCLES);
    }
  }

  private step(): void {
    if (!this.enabled) return;
    if (this.dir !== M2M && !(this.requests & (1 << this.channel))) {
      // The request dropped before its item: nothing moves.
      if (this.stopping) this.finish(TCIF, 'disabled');
      return;
    }
    try {
      if (this.dir === M2P) this.memoryToPeripheral();
      else this.toMemory();
    } catch (e) {
      if (!(e instanceof BusError)) throw e;
      this.host.warnOnce(
        `bus-error-${e.address}`,
        `f4emu: ${this.host.name} stream ${this.index}: bus error at 0x${e.address.toString(16)} ` +
          `(${e.write ? 'write' : 'read'}, ${e.reason}): transfer error, stream disabled`,
      );
      this.finish(TEIF, 'error');
      return;
    }
    // The request was served: a peripheral that waits for the acknowledge drops it now, before
    // the stream looks for the next one.
    if (this.dir !== M2M) for (const ack of this.acknowledges[this.channel]!) ack();
    this.itemDone();
  }

  /** Peripheral (or, memory-to-memory, PAR) to memory: one PSIZE item in, MSIZE units out. */
  private toMemory(): void {
    const cr = this.regs.cr.value;
    const psize = this.peripheralSize(cr);
    const msize = this.memorySize(cr);
    const value = this.read(this.periphAddr, psize);
    this.periphAddr = (this.periphAddr + this.peripheralStep(cr, psize)) >>> 0;
    for (let i = 0; i < psize; i++) this.fifo.push((value >>> (8 * i)) & 0xff);
    while (this.fifo.length >= msize) this.writeMemoryUnit(cr, msize);
    // The last items of a cycle that do not fill a memory unit are flushed byte by byte.
    if ((this.regs.ndtr.value & 0xffff) === 1) while (this.fifo.length) this.writeMemoryUnit(cr, 1);
  }

  /** Memory to peripheral: MSIZE units in as needed, one PSIZE item out. */
  private memoryToPeripheral(): void {
    const cr = this.regs.cr.value;
    const psize = this.peripheralSize(cr);
    const msize = this.memorySize(cr);
    while (this.fifo.length < psize) {
      const value = this.read(this.memAddr, msize);
      this.memAddr = (this.memAddr + (cr & MINC ? msize : 0)) >>> 0;
      for (let i = 0; i < msize; i++) this.fifo.push((value >>> (8 * i)) & 0xff);
    }
    let value = 0;
    for (let i = 0; i < psize; i++) value |= this.fifo[i]! << (8 * i);
    this.fifo.splice(0, psize);
    this.write(this.periphAddr, value >>> 0, psize);
    this.periphAddr = (this.periphAddr + this.peripheralStep(cr, psize)) >>> 0;
  }

  private writeMemoryUnit(cr: number, size: number): void {
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.fifo[i]! << (8 * i);
    this.fifo.splice(0, size);
    this.write(this.memAddr, value >>> 0, size);
    this.memAddr = (this.memAddr + (cr & MINC ? size : 0)) >>> 0;
  }

  private peripheralSize(cr: number): number {
    return this.size((cr >>> 11) & 3, 'PSIZE');
  }

  private memorySize(cr: number): number {
    // Direct mode: MSIZE is ignored, memory accesses use PSIZE (RM0090 10.3.11).
    if (!(this.regs.fcr.value & DMDIS)) return this.peripheralSize(cr);
    return this.size((cr >>> 13) & 3, 'MSIZE');
  }

  private size(code: number, field: string): number {
    const s = SIZES[code];
    if (s !== undefined) return s;
    this.host.warnOnce(
      `size-${field}`,
      `f4emu: ${this.host.name}: SxCR.${field}=11 is reserved: using words`,
    );
    return 4;
  }

  /** PINCOS fixes the peripheral increment at 4 bytes (RM0090 10.3.10). */
  private peripheralStep(cr: number, psize: number): number {
    if (!(cr & PINC)) return 0;
    return cr & PINCOS ? 4 : psize;
  }

  private read(addr: number, size: number): number {
    const bus = this.host.ctx.bus;
    return size === 4 ? bus.read32(addr) : size === 2 ? bus.read16(addr) : bus.read8(addr);
  }

  private write(addr: number, value: number, size: number): void {
    const bus = this.host.ctx.bus;
    if (size === 4) bus.write32(addr, value);
    else if (size === 2) bus.write16(addr, value & 0xffff);
    else bus.write8(addr, value & 0xff);
  }

  /** NDTR, half/complete flags, reload, next item. */
  private itemDone(): void {
    const { cr, ndtr } = this.regs;
    const left = ((ndtr.value & 0xffff) - 1) & 0xffff;
    ndtr.value = left;
    let flags = 0;
    if (left === this.reload >>> 1) flags |= HTIF;
    if (left === 0) {
      flags |= TCIF;
      const v = cr.value;
      const m2m = this.dir === M2M;
      if (!m2m && v & DBM) {
        // Double buffer: switch to the other memory target (RM0090 10.3.9).
        cr.value = v ^ CT;
        this.restartCycle();
      } else if (!m2m && v & CIRC) this.restartCycle();
      else {
        this.finish(flags, 'done');
        return;
      }
    }
    if (flags) this.host.setFlags(this.index, flags);
    if (this.stopping) this.finish(TCIF, 'disabled');
    else this.kick();
  }

  private restartCycle(): void {
    const { cr, ndtr, par, m0ar, m1ar } = this.regs;
    ndtr.value = this.reload;
    this.periphAddr = par.value;
    this.memAddr = cr.value & DBM && cr.value & CT ? m1ar.value : m0ar.value;
    this.fifo.length = 0;
  }

  /** The stream stops: EN clears and `flags` are raised. */
  private finish(flags: number, _why: 'done' | 'disabled' | 'error'): void {
    this.host.ctx.clock.cancel(this.alarm);
    this.regs.cr.value &= ~EN;
    this.stopping = false;
    this.fifo.length = 0;
    this.host.setFlags(this.index, flags);
  }
}
