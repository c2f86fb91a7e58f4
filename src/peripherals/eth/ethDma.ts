/**
 * The Ethernet MAC's DMA (RM0090 33.6, registers 33.8.4 at offset 0x1000 of the ETH block): the
 * descriptor engine between memory and the MAC, declared into the MAC's register block by
 * ./mac.ts. Every descriptor and buffer access goes through the bus (`ctx.bus`); one that nothing
 * answers raises the fatal bus error (DMASR.FBES with EBS) and stops that DMA process.
 *
 * Descriptors: normal (4 words) or, with DMABMR.EDFE, enhanced (8 words: RDES4 extended status,
 * time stamps unused); ring mode (next = this + size + DSL words, back to the list base after
 * RER/TER) or chained (RCH/TCH: the second address is the next descriptor). Buffer addresses and
 * sizes are read from each descriptor every time it is used.
 *
 * Transmit: the DMA gathers a frame from FS to LS over as many descriptors and buffers as the
 * driver used (TBS1/TBS2), inserts checksums (TDES0.CIC), pads short frames to 60 bytes unless
 * TDES0.DP, then the frame takes its wire time (preamble, FCS and inter-frame gap at 10 or
 * 100 Mb/s by MACCR.FES); at its end the descriptors are closed (OWN cleared, status in the last)
 * and the MAC reports it. A descriptor still owned by the CPU suspends transmission with TBUS
 * until a transmit poll demand (DMATPDR).
 *
 * Receive: the receive FIFO and the receive DMA are the base class, EthDmaReceive
 * (./ethDmaReceive.ts); this file holds the registers' hooks, status, bus access and descriptor
 * walking both directions share, resets, bus errors and the transmit path.
 */
import { BusError } from '../../bus/bus.js';
import type { Alarm } from '../../clock/clock.js';
import type { PeripheralContext } from '../peripheral.js';
import type { Register, RegisterBlock } from '../registers.js';
import {
  ABNORMAL,
  BMR_EDFE,
  BMR_SR,
  defineEthDmaRegisters,
  type EthDmaRegisters,
  ETS,
  FBES,
  MACCR_FES,
  MACCR_JD,
  MACCR_TE,
  NIS,
  AIS,
  NORMAL,
  OMR_FTF,
  OMR_SR,
  OMR_ST,
  OWN,
  RPSS,
  TBUS,
  TDES0_ES,
  TDES0_FS,
  TDES0_IC,
  TDES0_IHE,
  TDES0_IPE,
  TDES0_DP,
  TDES0_JT,
  TDES0_LS,
  TDES0_STATUS,
  TDES0_TCH,
  TDES0_TER,
  TDES0_VF,
  TJTS,
  TPSS,
  TS,
} from './ethDmaRegisters.js';
import { EthDmaReceive, FETCH_NS, RPS_FETCHING, RPS_STOPPED } from './ethDmaReceive.js';
import { frameType, insertChecksums } from './offload.js';

export { FETCH_NS, RX_FIFO_BYTES, RX_FIFO_FRAMES } from './ethDmaReceive.js';

/** Virtual time of a DMABMR.SR software reset. */
export const SOFT_RESET_NS = 1_000;
/** Descriptors walked per alarm: a ring of owned descriptors without LS cannot hang the host. */
const DESCRIPTORS_PER_STEP = 64;

// Transmit process states as DMASR.TPS reports them (RPS: ./ethDmaReceive.ts).
const TPS_STOPPED = 0;
const TPS_FETCHING = 1;
const TPS_WAITING = 2;
const TPS_SUSPENDED = 6;

export interface EthDmaHost {
  readonly ctx: PeripheralContext;
  readonly regs: RegisterBlock;
  maccr(): number;
  /** A frame left the MAC (without FCS). */
  transmitted(frame: Uint8Array): void;
  /** DMASR bits 27-29 (MMCS, PMTS, TSTS) from the MAC's own interrupt sources. */
  macInterruptBits(): number;
  updateIrq(): void;
  warnOnce(key: string, message: string): void;
  /** DMABMR.SR finished: the MAC and DMA registers and logic are back to reset. */
  softwareReset(): void;
}

interface TxSegment {
  addr: number;
  tdes0: number;
}

export class EthDma extends EthDmaReceive {
  /** DMABMR ... DMACHRBAR (./ethDmaRegisters.ts). */
  readonly reg: EthDmaRegisters;

  private txState = TPS_STOPPED;
  private txDesc = 0;
  private readonly txAlarm: Alarm;
  protected readonly rxAlarm: Alarm;
  private readonly resetAlarm: Alarm;
  /** The frame being gathered: its descriptors and data so far. */
  private txSegments: TxSegment[] = [];
  private txData: Uint8Array[] = [];
  private txBytes = 0;
  /** A gathered frame on the wire, closed when txAlarm fires. */
  private txOnWire: { frame: Uint8Array | null; segments: TxSegment[]; status: number } | null =
    null;
  /** Which access a bus error hit: EBS bits 25 (descriptor) and 23 (TX) set by the caller. */
  protected access = 0;

  constructor(protected readonly host: EthDmaHost) {
    super();
    const clock = host.ctx.clock;
    this.txAlarm = clock.createAlarm(() => this.txRun());
    this.rxAlarm = clock.createAlarm(() => this.rxRun());
    this.resetAlarm = clock.createAlarm(() => this.host.softwareReset());
    this.reg = defineEthDmaRegisters(host.regs, {
      softwareResetRequested: () => clock.scheduleAlarmNanos(this.resetAlarm, SOFT_RESET_NS),
      txPoll: () => this.txPoll(),
      rxPoll: () => this.rxPoll(),
      rdlarWritten: (v) => {
        if (this.rxState === RPS_STOPPED) this.rxDesc = v & ~3;
        else host.warnOnce('rdlar', 'f4emu: ETH: DMARDLAR written while reception runs: ignored');
      },
      tdlarWritten: (v) => {
        if (this.txState === TPS_STOPPED) this.txDesc = v & ~3;
        else
          host.warnOnce('tdlar', 'f4emu: ETH: DMATDLAR written while transmission runs: ignored');
      },
      statusRead: (v) =>
        (v & ~((7 << 17) | (7 << 20) | (7 << 27))) |
        (this.rxState << 17) |
        (this.txState << 20) |
        this.host.macInterruptBits(),
      statusWritten: () => this.host.updateIrq(),
      operationWritten: (v, prev) => this.operationWritten(v, prev),
      interruptEnableWritten: () => {
        this.summarise(this.reg.sr.value);
        this.host.updateIrq();
      },
    });
  }

  /** Back to reset (after the register block's reset); SR of DMABMR clears after SOFT_RESET_NS. */
  reset(): void {
    const clock = this.host.ctx.clock;
    clock.cancel(this.txAlarm);
    clock.cancel(this.rxAlarm);
    this.txState = TPS_STOPPED;
    this.rxState = RPS_STOPPED;
    this.txDesc = 0;
    this.rxDesc = 0;
    this.txFlush();
    this.txOnWire = null;
    this.rxFifo.length = 0;
    this.rxFifoBytes = 0;
    this.rxLastReady = 0;
    this.rxStarved = false;
    if (this.reg.bmr.value & BMR_SR) clock.scheduleAlarmNanos(this.resetAlarm, SOFT_RESET_NS);
  }

  /** The software reset's end: the block's reset with DMABMR.SR cleared. */
  softResetDone(): void {
    this.reg.bmr.value &= ~BMR_SR;
  }

  /** True while DMASR's summaries call for the ETH interrupt. */
  get interrupt(): boolean {
    const sr = this.reg.sr.value;
    const ier = this.reg.ier.value;
    return ((sr & NIS && ier & NIS) || (sr & AIS && ier & AIS)) !== 0;
  }

  // ---- status ----

  /** Sets DMASR bits and the summaries their enabled bits call for (NIS/AIS are sticky). */
  protected raise(bits: number): void {
    this.reg.sr.value = (this.reg.sr.value | bits) >>> 0;
    this.summarise(bits);
    this.host.updateIrq();
  }

  private summarise(bits: number): void {
    const enabled = bits & this.reg.ier.value;
    if (enabled & NORMAL) this.reg.sr.value |= NIS;
    if (enabled & ABNORMAL) this.reg.sr.value |= AIS;
  }

  private operationWritten(v: number, prev: number): void {
    if (v & OMR_FTF) {
      // The transmit FIFO flush is done at once; FTF clears itself (RM0090 33.8.4).
      this.reg.omr.value &= ~OMR_FTF;
      if (this.txState === TPS_STOPPED) this.txFlush();
    }
    const clock = this.host.ctx.clock;
    if (v & OMR_ST && !(prev & OMR_ST)) {
      this.txState = TPS_FETCHING;
      clock.scheduleAlarmNanos(this.txAlarm, FETCH_NS);
    } else if (!(v & OMR_ST) && prev & OMR_ST) {
      // A frame on the wire completes first (txRun sees ST clear and stops).
      if (!this.txOnWire) this.txStop();
    }
    if (v & OMR_SR && !(prev & OMR_SR)) {
      this.rxState = RPS_FETCHING;
      clock.scheduleAlarmNanos(this.rxAlarm, FETCH_NS);
    } else if (!(v & OMR_SR) && prev & OMR_SR) {
      clock.cancel(this.rxAlarm);
      this.rxState = RPS_STOPPED;
      this.raise(RPSS);
    }
  }

  private descriptorBytes(): number {
    const bmr = this.reg.bmr.value;
    return (bmr & BMR_EDFE ? 32 : 16) + 4 * ((bmr >>> 2) & 0x1f);
  }

  /** Next descriptor: the list base after end of ring, the chained address, or the next in ring. */
  protected nextDescriptor(
    addr: number,
    endOfRing: boolean,
    chained: boolean,
    des3: number,
    base: Register,
  ): number {
    if (endOfRing) return base.value & ~3;
    if (chained) return des3 & ~3;
    return (addr + this.descriptorBytes()) >>> 0;
  }

  protected fatal(e: BusError, tx: boolean): void {
    // EBS: bit 23 transmit DMA, bit 24 read access, bit 25 descriptor access.
    const ebs = (tx ? 1 : 0) | (e.write ? 0 : 2) | this.access;
    this.reg.sr.value = ((this.reg.sr.value & ~(7 << 23)) | (ebs << 23)) >>> 0;
    this.host.warnOnce(
      `bus-${tx ? 'tx' : 'rx'}`,
      `f4emu: ETH: ${tx ? 'transmit' : 'receive'} DMA bus error at 0x${e.address.toString(16)} ` +
        `(${this.access ? 'descriptor' : 'buffer'} ${e.write ? 'write' : 'read'}): fatal bus error, ` +
        `${tx ? 'transmission' : 'reception'} stopped`,
    );
    if (tx) {
      this.host.ctx.clock.cancel(this.txAlarm);
      this.txState = TPS_STOPPED;
      this.txFlush();
      this.txOnWire = null;
    } else {
      this.host.ctx.clock.cancel(this.rxAlarm);
      this.rxState = RPS_STOPPED;
    }
    this.raise(FBES);
  }

  protected read32(addr: number, descriptor: boolean): number {
    this.access = descriptor ? 4 : 0;
    return this.host.ctx.bus.read32(addr);
  }

  protected write32(addr: number, value: number, descriptor: boolean): void {
    this.access = descriptor ? 4 : 0;
    this.host.ctx.bus.write32(addr, value >>> 0);
  }

  // ---- transmit ----

  private txPoll(): void {
    if (this.txState !== TPS_SUSPENDED) return;
    this.txState = TPS_FETCHING;
    this.host.ctx.clock.scheduleAlarmNanos(this.txAlarm, FETCH_NS);
  }

  /** MACCR.TE was set: a transmit DMA waiting for the transmitter goes on. */
  transmitterEnabled(): void {
    if (this.txState === TPS_FETCHING && !this.txAlarm.scheduled)
      this.host.ctx.clock.scheduleAlarmNanos(this.txAlarm, FETCH_NS);
  }

  private txStop(): void {
    this.host.ctx.clock.cancel(this.txAlarm);
    this.txState = TPS_STOPPED;
    this.raise(TPSS);
  }

  private txFlush(): void {
    this.txSegments = [];
    this.txData = [];
    this.txBytes = 0;
  }

  private txRun(): void {
    try {
      if (this.txOnWire) this.txClose();
      if (!(this.reg.omr.value & OMR_ST)) {
        if (this.txState !== TPS_STOPPED) this.txStop();
        return;
      }
      if (this.txState !== TPS_FETCHING) return;
      if (!(this.host.maccr() & MACCR_TE)) {
        // The frame would wait in the transmit FIFO; transmitterEnabled() resumes.
        this.host.warnOnce(
          'te',
          'f4emu: ETH: transmit DMA started with MACCR.TE clear: frames wait',
        );
        return;
      }
      this.txGather();
    } catch (e) {
      if (!(e instanceof BusError)) throw e;
      this.fatal(e, true);
    }
  }

  /** Walks owned descriptors, gathering buffers until the last segment or a CPU-owned one. */
  private txGather(): void {
    const clock = this.host.ctx.clock;
    const limit = this.host.maccr() & MACCR_JD ? 16384 : 2048;
    for (let n = 0; n < DESCRIPTORS_PER_STEP; n++) {
      const addr = this.txDesc;
      this.reg.chtdr.value = addr;
      const tdes0 = this.read32(addr, true);
      if (!(tdes0 & OWN)) {
        this.txState = TPS_SUSPENDED;
        this.raise(TBUS);
        return;
      }
      const tdes1 = this.read32(addr + 4, true);
      const tdes2 = this.read32(addr + 8, true);
      const tdes3 = this.read32(addr + 12, true);
      if (this.txSegments.length === 0 && !(tdes0 & TDES0_FS))
        this.host.warnOnce(
          'fs',
          'f4emu: ETH: transmit frame starts without TDES0.FS: taken as first',
        );
      const chained = (tdes0 & TDES0_TCH) !== 0;
      this.txRead(tdes2, tdes1 & 0x1fff, limit);
      if (!chained) this.txRead(tdes3, (tdes1 >>> 16) & 0x1fff, limit);
      this.txSegments.push({ addr, tdes0 });
      this.txDesc = this.nextDescriptor(
        addr,
        (tdes0 & TDES0_TER) !== 0,
        chained,
        tdes3,
        this.reg.tdlar,
      );
      if (tdes0 & TDES0_LS) {
        this.txOnWire = this.txAssemble();
        this.txState = TPS_WAITING;
        this.raise(ETS); // the whole frame is in the transmit FIFO
        clock.scheduleAlarmNanos(
          this.txAlarm,
          this.wireNanos(this.txOnWire.frame?.length ?? limit),
        );
        return;
      }
    }
    clock.scheduleAlarmNanos(this.txAlarm, FETCH_NS);
  }

  private txRead(addr: number, length: number, limit: number): void {
    if (length === 0) return;
    this.reg.chtbar.value = addr;
    // Data past the jabber limit is not kept (the frame is cut off on the wire anyway).
    const keep = Math.max(0, Math.min(length, limit + 1 - this.txBytes));
    const out = new Uint8Array(keep);
    const bus = this.host.ctx.bus;
    this.access = 0;
    for (let i = 0; i < keep; i++) out[i] = bus.read8((addr + i) >>> 0);
    this.txData.push(out);
    this.txBytes += length;
  }

  private txAssemble(): { frame: Uint8Array | null; segments: TxSegment[]; status: number } {
    const segments = this.txSegments;
    const first = segments[0]!.tdes0;
    const limit = this.host.maccr() & MACCR_JD ? 16384 : 2048;
    let status = 0;
    let frame: Uint8Array | null = null;
    if (this.txBytes > limit) {
      status |= TDES0_JT | TDES0_ES;
      this.raise(TJTS);
    } else {
      const padded = first & TDES0_DP ? this.txBytes : Math.max(60, this.txBytes);
      frame = new Uint8Array(padded);
      let at = 0;
      for (const part of this.txData) {
        frame.set(part, at);
        at += part.length;
      }
      const r = insertChecksums(frame.subarray(0, this.txBytes), (first >>> 22) & 3);
      if (r.headerError) status |= TDES0_IHE | TDES0_ES;
      if (r.payloadError) status |= TDES0_IPE | TDES0_ES;
      if (frameType(frame).vlan) status |= TDES0_VF;
    }
    this.txFlush();
    return { frame, segments, status };
  }

  /** The frame's wire time ended: close its descriptors, report it, fetch the next. */
  private txClose(): void {
    const { frame, segments, status } = this.txOnWire!;
    this.txOnWire = null;
    const last = segments.length - 1;
    segments.forEach((s, i) => {
      const v = i === last ? (s.tdes0 & ~TDES0_STATUS) | status : s.tdes0;
      this.write32(s.addr, v & ~OWN, true);
    });
    this.txState = TPS_FETCHING;
    if (frame) this.host.transmitted(frame);
    if (segments[last]!.tdes0 & TDES0_IC) this.raise(TS);
  }

  /** Preamble and SFD, FCS and the inter-frame gap around `length` bytes, at MACCR.FES speed. */
  wireNanos(length: number): number {
    const bits = (8 + Math.max(60, length) + 4 + 12) * 8;
    return this.host.maccr() & MACCR_FES ? bits * 10 : bits * 100;
  }
}
