/**
 * The Ethernet DMA's receive path (RM0090 33.6.8 "Receive DMA operation"), the base class of
 * EthDma (./ethDma.ts), which adds the registers' hooks, the status and bus helpers declared
 * abstract below and the transmit path.
 *
 * Frames the MAC accepted wait in a bounded FIFO (RX_FIFO_FRAMES / RX_FIFO_BYTES; the chip's is
 * 2 KB, ours is larger so a slow guest loses nothing it could have kept) and reach memory one wire
 * time apart. With no descriptor owned by the DMA, reception suspends with RBUS and the frame
 * waits; a receive poll demand (DMARPDR) or the next arriving frame makes the DMA fetch the
 * descriptor again. RDES0.FL counts the 4-byte FCS the MAC writes after the data (unless
 * MACCR.CSTF/APCS strip it). A frame that outgrows the descriptors the DMA owns is truncated with
 * RDES0.DE.
 */
import { BusError } from '../../bus/bus.js';
import type { Alarm } from '../../clock/clock.js';
import type { Register } from '../registers.js';
import type { EthDmaHost } from './ethDma.js';
import {
  BMR_EDFE,
  ERS,
  MACCR_APCS,
  MACCR_CSTF,
  MACCR_IPCO,
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
  RS,
  type EthDmaRegisters,
} from './ethDmaRegisters.js';
import { crc32, frameType, receiveStatus } from './offload.js';

/** Frames and bytes the receive FIFO holds before it drops (counted as missed frames). */
export const RX_FIFO_FRAMES = 32;
export const RX_FIFO_BYTES = 64 * 1024;
/** Virtual time of a descriptor fetch after a poll demand (receive and transmit). */
export const FETCH_NS = 100;

// Receive process states as DMASR.RPS reports them.
export const RPS_STOPPED = 0;
export const RPS_FETCHING = 1;
export const RPS_WAITING = 3;
export const RPS_SUSPENDED = 4;

interface RxEntry {
  data: Uint8Array;
  /** RDES0.AFM / SAF from the MAC's filter (receive-all mode passes failing frames). */
  filterBits: number;
  /** Virtual nanosecond at which the frame's last bit has arrived. */
  readyAt: number;
}

export abstract class EthDmaReceive {
  /** DMABMR ... DMACHRBAR (./ethDmaRegisters.ts). */
  abstract readonly reg: EthDmaRegisters;

  /** Frames dropped because the receive FIFO was full. */
  rxFifoDrops = 0;

  protected rxState = RPS_STOPPED;
  protected rxDesc = 0;
  protected readonly rxFifo: RxEntry[] = [];
  protected rxFifoBytes = 0;
  protected rxLastReady = 0;
  /** The receive DMA last found no descriptor of its own (RBUS) and has delivered nothing since. */
  protected rxStarved = false;

  // ---- what the receive path takes from EthDma ----

  protected abstract readonly host: EthDmaHost;
  protected abstract readonly rxAlarm: Alarm;
  /** Which access a bus error hit: EBS bit 25 (descriptor) set by read32/write32. */
  protected abstract access: number;
  /** Sets DMASR bits and the summaries their enabled bits call for. */
  protected abstract raise(bits: number): void;
  protected abstract read32(addr: number, descriptor: boolean): number;
  protected abstract write32(addr: number, value: number, descriptor: boolean): void;
  /** Next descriptor: the list base after end of ring, the chained address, or the next in ring. */
  protected abstract nextDescriptor(
    addr: number,
    endOfRing: boolean,
    chained: boolean,
    des3: number,
    base: Register,
  ): number;
  /** A bus error: DMASR.FBES with EBS, and the process stops. */
  protected abstract fatal(e: BusError, tx: boolean): void;
  /** Preamble and SFD, FCS and the inter-frame gap around `length` bytes, at MACCR.FES speed. */
  abstract wireNanos(length: number): number;

  /** Frames waiting in the receive FIFO. */
  get rxPending(): number {
    return this.rxFifo.length;
  }

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

  protected rxPoll(): void {
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

  protected rxRun(): void {
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
