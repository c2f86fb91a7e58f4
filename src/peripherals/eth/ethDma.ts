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
 * Receive: frames the MAC accepted wait in a bounded FIFO (RX_FIFO_FRAMES / RX_FIFO_BYTES; the
 * chip's is 2 KB, ours is larger so a slow guest loses nothing it could have kept) and reach
 * memory one wire time apart. With no descriptor owned by the DMA, reception suspends with RBUS
 * and the frame waits; a receive poll demand (DMARPDR) or the next arriving frame makes the DMA
 * fetch the descriptor again (RM0090 33.6.8 "Receive DMA operation"). RDES0.FL counts the 4-byte
 * FCS the MAC writes after the data (unless MACCR.CSTF/APCS strip it). A frame that outgrows the
 * descriptors the DMA owns is truncated with RDES0.DE.
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
  ERS,
  ETS,
  FBES,
  MACCR_APCS,
  MACCR_CSTF,
  MACCR_FES,
  MACCR_IPCO,
  MACCR_JD,
  MACCR_TE,
  NIS,
  AIS,
  NORMAL,
  OMR_FTF,
  OMR_SR,
  OMR_ST,
  OWN,
  RBUS,
  RDES0_DE,
  RDES0_ES,
  RDES0_FS,
  RDES0_LS,
  RDES1_DIC,
  RDES1_RCH,
  RDES1_RER,
  ROS,
  RPSS,
  RS,
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
import { crc32, frameType, insertChecksums, receiveStatus } from './offload.js';

/** Frames and bytes the receive FIFO holds before it drops (counted as missed frames). */
export const RX_FIFO_FRAMES = 32;
export const RX_FIFO_BYTES = 64 * 1024;
/** Virtual time of a DMABMR.SR software reset and of a descriptor fetch after a poll demand. */
export const SOFT_RESET_NS = 1_000;
export const FETCH_NS = 100;
/** Descriptors walked per alarm: a ring of owned descriptors without LS cannot hang the host. */
const DESCRIPTORS_PER_STEP = 64;

// Process states as DMASR.TPS / RPS report them.
const TPS_STOPPED = 0;
const TPS_FETCHING = 1;
const TPS_WAITING = 2;
const TPS_SUSPENDED = 6;
const RPS_STOPPED = 0;
const RPS_FETCHING = 1;
const RPS_WAITING = 3;
const RPS_SUSPENDED = 4;

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

interface RxEntry {
  data: Uint8Array;
  /** RDES0.AFM / SAF from the MAC's filter (receive-all mode passes failing frames). */
  filterBits: number;
  /** Virtual nanosecond at which the frame's last bit has arrived. */
  readyAt: number;
}

interface TxSegment {
  addr: number;
  tdes0: number;
}

export class EthDma {
  /** DMABMR ... DMACHRBAR (./ethDmaRegisters.ts). */
  readonly reg: EthDmaRegisters;

  /** Frames dropped because the receive FIFO was full. */
  rxFifoDrops = 0;

  private txState = TPS_STOPPED;
  private rxState = RPS_STOPPED;
  private txDesc = 0;
  private rxDesc = 0;
  private readonly txAlarm: Alarm;
  private readonly rxAlarm: Alarm;
  private readonly resetAlarm: Alarm;
  /** The frame being gathered: its descriptors and data so far. */
  private txSegments: TxSegment[] = [];
  private txData: Uint8Array[] = [];
  private txBytes = 0;
  /** A gathered frame on the wire, closed when txAlarm fires. */
  private txOnWire: { frame: Uint8Array | null; segments: TxSegment[]; status: number } | null =
    null;
  private readonly rxFifo: RxEntry[] = [];
  private rxFifoBytes = 0;
  private rxLastReady = 0;
  /** The receive DMA last found no descriptor of its own (RBUS) and has delivered nothing since. */
  private rxStarved = false;
  /** Which access a bus error hit: EBS bits 25 (descriptor) and 23 (TX) set by the caller. */
  private access = 0;

  constructor(private readonly host: EthDmaHost) {
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

  /** Frames waiting in the receive FIFO. */
  get rxPending(): number {
    return this.rxFifo.length;
  }

  // ---- status ----

  /** Sets DMASR bits and the summaries their enabled bits call for (NIS/AIS are sticky). */
  private raise(bits: number): void {
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
  private nextDescriptor(
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

  private fatal(e: BusError, tx: boolean): void {
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

  private read32(addr: number, descriptor: boolean): number {
    this.access = descriptor ? 4 : 0;
    return this.host.ctx.bus.read32(addr);
  }

  private write32(addr: number, value: number, descriptor: boolean): void {
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

  // ---- receive ----

  /**
   * A frame the MAC's filter passed enters the receive FIFO; false when the FIFO is full (the
   * frame is dropped and counted in DMAMFBOCR).
   */
  enqueue(data: Uint8Array, filterBits: number): boolean {
    if (this.rxFifo.length >= RX_FIFO_FRAMES || this.rxFifoBytes + data.length > RX_FIFO_BYTES) {
      this.rxFifoDrops++;
      this.countMissed(this.rxStarved);
      this.raise(ROS);
      return false;
    }
    const now = this.host.ctx.clock.nanos;
    const readyAt = Math.max(now, this.rxLastReady) + this.wireNanos(data.length);
    this.rxLastReady = readyAt;
    this.rxFifo.push({ data, filterBits, readyAt });
    this.rxFifoBytes += data.length;
    // A suspended DMA fetches the descriptor again when the next frame comes in.
    if (this.rxState === RPS_SUSPENDED) this.rxState = RPS_FETCHING;
    if (this.rxState !== RPS_STOPPED && !this.rxAlarm.scheduled) this.rxSchedule();
    return true;
  }

  /** Missed frames: MFC for want of descriptors, MFA for FIFO overflow, saturating with flags. */
  private countMissed(noBuffers: boolean): void {
    const m = this.reg.mfbocr;
    if (noBuffers) {
      if (m.get('MFC') === 0xffff) m.set('OMFC', 1);
      else m.set('MFC', m.get('MFC') + 1);
    } else if (m.get('MFA') === 0x7ff) m.set('OFOC', 1);
    else m.set('MFA', m.get('MFA') + 1);
  }

  private rxPoll(): void {
    if (this.rxState !== RPS_SUSPENDED) return;
    this.rxState = RPS_FETCHING;
    this.host.ctx.clock.scheduleAlarmNanos(this.rxAlarm, FETCH_NS);
  }

  private rxSchedule(): void {
    const head = this.rxFifo[0];
    const clock = this.host.ctx.clock;
    if (!head) return;
    clock.scheduleAlarmAtNanos(this.rxAlarm, Math.max(head.readyAt, clock.nanos));
  }

  private rxRun(): void {
    if (this.rxState === RPS_STOPPED || this.rxState === RPS_SUSPENDED) return;
    try {
      const head = this.rxFifo[0];
      if (!head) {
        // Started or polled with nothing to receive: fetch the descriptor to see it is ours.
        this.rxOwned(this.rxDesc);
        return;
      }
      if (head.readyAt > this.host.ctx.clock.nanos) {
        this.rxSchedule();
        return;
      }
      if (!this.rxOwned(this.rxDesc)) return;
      this.rxDeliver(head);
      this.rxStarved = false;
      this.rxFifo.shift();
      this.rxFifoBytes -= head.data.length;
      if (this.rxState === RPS_SUSPENDED) return;
      // The DMA fetches the next descriptor as it closes one, frame or not (RM0090 33.6.8).
      if (this.rxFifo.length === 0) this.rxOwned(this.rxDesc);
      else this.rxSchedule();
    } catch (e) {
      if (!(e instanceof BusError)) throw e;
      // The frame in transfer is lost with the process.
      const lost = this.rxFifo.shift();
      if (lost) this.rxFifoBytes -= lost.data.length;
      this.fatal(e, false);
    }
  }

  /** Reads RDES0 of `addr`: owned by the DMA, or reception suspends with RBUS. */
  private rxOwned(addr: number): boolean {
    this.reg.chrdr.value = addr;
    if (this.read32(addr, true) & OWN) {
      this.rxState = RPS_WAITING;
      return true;
    }
    this.rxState = RPS_SUSPENDED;
    this.rxStarved = true;
    this.raise(RBUS);
    return false;
  }

  /** Writes one frame (and its FCS) over as many owned descriptors as it needs. */
  private rxDeliver(entry: RxEntry): void {
    const maccr = this.host.maccr();
    const typeFrame = frameType(entry.data).type >= 0x600;
    const strip = typeFrame ? maccr & MACCR_CSTF : maccr & MACCR_APCS;
    const data = entry.data;
    const total = data.length + (strip ? 0 : 4);
    const fcs = crc32(data);
    const byteAt = (i: number) =>
      i < data.length ? data[i]! : (fcs >>> (8 * (i - data.length))) & 0xff;

    const enhanced = (this.reg.bmr.value & BMR_EDFE) !== 0;
    const ipco = (maccr & MACCR_IPCO) !== 0;
    const checked = receiveStatus(data, ipco, enhanced);
    const status = entry.filterBits | checked.rdes0;
    const rdes4 = checked.rdes4;

    const bus = this.host.ctx.bus;
    let addr = this.rxDesc;
    let written = 0;
    let first = true;
    for (let n = 0; ; n++) {
      const rdes1 = this.read32(addr + 4, true);
      const b1 = this.read32(addr + 8, true);
      const b2 = this.read32(addr + 12, true);
      const chained = (rdes1 & RDES1_RCH) !== 0;
      for (const [buf, size] of [
        [b1, rdes1 & 0x1fff],
        [b2, chained ? 0 : (rdes1 >>> 16) & 0x1fff],
      ] as const) {
        const k = Math.min(size, total - written);
        if (k <= 0) continue;
        this.reg.chrbar.value = buf;
        this.access = 0;
        for (let i = 0; i < k; i++) bus.write8((buf + i) >>> 0, byteAt(written + i));
        written += k;
      }
      const next = this.nextDescriptor(
        addr,
        (rdes1 & RDES1_RER) !== 0,
        chained,
        b2,
        this.reg.rdlar,
      );
      const fs = first ? RDES0_FS : 0;
      if (written >= total) {
        if (enhanced) this.write32(addr + 16, rdes4, true);
        this.write32(addr, fs | RDES0_LS | (total << 16) | status, true);
        this.rxDesc = next;
        this.reg.chrdr.value = next;
        this.rxComplete(rdes1);
        return;
      }
      this.reg.chrdr.value = next;
      if (n >= 4096 || !(this.read32(next, true) & OWN)) {
        // No descriptor for the rest: truncated, descriptor error (RDES0.DE), then suspended.
        this.write32(addr, fs | RDES0_LS | (written << 16) | status | RDES0_DE | RDES0_ES, true);
        this.rxDesc = next;
        this.rxComplete(rdes1);
        this.rxState = RPS_SUSPENDED;
        this.rxStarved = true;
        this.raise(RBUS);
        return;
      }
      this.write32(addr, fs, true);
      if (first) this.raise(ERS); // the first buffer is filled (early receive)
      first = false;
      addr = next;
    }
  }

  private rxComplete(lastRdes1: number): void {
    // RS clears ER; RDES1.DIC of the last descriptor suppresses RS (RM0090 33.6.8).
    if (lastRdes1 & RDES1_DIC) return;
    this.reg.sr.value &= ~ERS;
    this.raise(RS);
  }
}
