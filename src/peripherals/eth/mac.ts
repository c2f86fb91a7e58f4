/**
 * The STM32F407's Ethernet MAC (RM0090 section 33) at 0x40028000: MAC configuration, the frame
 * filter's registers (the filtering is ./macFilter.ts), the MII management interface to the PHY,
 * the PTP registers (stored only), the MMC counters the firmware can read (./macMmc.ts) and, at
 * offset 0x1000, the DMA whose descriptor engine is ./ethDma.ts. One interrupt line (ETH, 61)
 * from DMASR's summaries and the MAC's MMC/PMT/time stamp sources.
 *
 * Host boundary (DESIGN.md): frames are Uint8Arrays without FCS. `onFrame(frame)` reports each
 * frame the MAC transmitted (padded to 60 bytes unless the descriptor disables padding);
 * `receiveFrame(frame)` offers one from the network: it passes the filter (MACFFR) or is
 * dropped and counted, then waits in the receive FIFO and reaches memory on virtual time, never
 * inside the call. MACCR.RE must be set for the MAC to receive, MACCR.TE to transmit.
 *
 * Management (RM0090 33.4.4 "Station management agent"): a write to MACMIIAR with MB set starts
 * a read or write (MW) of register MR of the PHY at PA; it takes 64 MDC cycles (MDC = HCLK / the
 * divider CR selects), then MB clears and, for a read, MACMIIDR holds the value: 0xFFFF when no
 * PHY answers at PA (MDIO floats high). PHYs attach with `attachPhy(address, phy)`.
 *
 * Not modelled, with a warning once: pause frames (MACFCR.FCB_BPA, flow control is stored), power
 * down and wake-up frames (MACPMTCSR, MACRWUFFR stored; the ETH_WKUP line never rises), the PTP
 * clock (registers stored), MMC counters other than the six of ./macMmc.ts (they read 0). The RCC's
 * ETHMAC clock enables gate what leaves and arrives (txClock/rxClock), and AHB1RSTR.ETHMACRST
 * calls `reset()` (the wiring in src/machine/soc/stm32f407.ts does both).
 */
import { irqLine, Peripheral, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';
import { EthDma } from './ethDma.js';
import { MACCR_LM, MACCR_TE } from './ethDmaRegisters.js';
import { filterFrame } from './macFilter.js';
import { MmcCounters } from './macMmc.js';

/** The MDIO side of a PHY: clause-22 registers 0-31, 16 bits each. */
export interface MiiPhy {
  readRegister(reg: number): number;
  writeRegister(reg: number, value: number): void;
}

export interface EthernetMacOptions {
  /** SYSCFG_PMC.MII_RMII_SEL: true when the MAC talks RMII to its PHY. */
  rmii?: () => boolean;
  /**
   * RCC_AHB1ENR's MAC clocks: ETHMACTXEN (transmit) and ETHMACRXEN (receive), each with
   * ETHMACEN. Without them no frame leaves or arrives (default: always clocked).
   */
  txClock?: () => boolean;
  rxClock?: () => boolean;
}

/** MACMIIAR.CR: HCLK dividers for MDC (RM0090 33.8.1 ETH_MACMIIAR). */
const MDC_DIVIDERS = [42, 62, 16, 26, 102];
/** Largest frame (without FCS) the MAC takes from the network: 1518 with a VLAN tag. */
export const MAX_RX_FRAME = 1518;

const MACCR_RE = 1 << 2;

/** Counters of what the MAC did with the frames the host offered, for tests and diagnostics. */
export interface EthernetMacStats {
  txFrames: number;
  rxFrames: number;
  /** Dropped by the address filter. */
  rxFiltered: number;
  /** Dropped because MACCR.RE was clear or the receive clock was off. */
  rxDisabled: number;
  /** Transmitted by the DMA while the transmit clock was off: never left the chip. */
  txUnclocked: number;
  /** Dropped as longer than MAX_RX_FRAME. */
  rxOversize: number;
  /** Dropped because the receive FIFO was full. */
  rxFifoFull: number;
}

export class EthernetMac extends Peripheral {
  readonly maccr: Register;
  readonly macffr: Register;
  readonly machthr: Register;
  readonly machtlr: Register;
  readonly macmiiar: Register;
  readonly macmiidr: Register;
  readonly macsr: Register;
  readonly macimr: Register;
  readonly mmccr: Register;
  readonly mmcrir: Register;
  readonly mmctir: Register;
  readonly mmcrimr: Register;
  readonly mmctimr: Register;
  /** MACA0HR/LR ... MACA3HR/LR as [high, low]. */
  readonly addresses: [Register, Register][] = [];
  readonly dma: EthDma;
  readonly irq: number;

  /** A frame left the MAC (without FCS). */
  onFrame: (frame: Uint8Array) => void = () => {};
  readonly stats: EthernetMacStats = {
    txFrames: 0,
    rxFrames: 0,
    rxFiltered: 0,
    rxDisabled: 0,
    txUnclocked: 0,
    rxOversize: 0,
    rxFifoFull: 0,
  };

  private readonly mmc: MmcCounters;
  private readonly phys = new Map<number, MiiPhy>();
  private readonly miiAlarm;
  private readonly warned = new Set<string>();
  private irqLevel = false;
  private readonly rmiiSelected: () => boolean;

  constructor(
    block: BlockPlacement,
    ctx: PeripheralContext,
    private readonly options: EthernetMacOptions = {},
  ) {
    super(block, ctx);
    this.irq = irqLine(block, 'ETH');
    this.rmiiSelected = options.rmii ?? (() => false);
    this.miiAlarm = ctx.clock.createAlarm(() => this.miiDone());
    const r = this.regs;
    this.maccr = r.define({
      name: 'MACCR',
      offset: 0x00,
      reset: 0x00008000,
      fields: [
        { name: 'RE', bits: 2 },
        { name: 'TE', bits: 3 },
        { name: 'DC', bits: 4 },
        { name: 'BL', bits: [6, 5] },
        { name: 'APCS', bits: 7 },
        { name: 'RD', bits: 9 },
        { name: 'IPCO', bits: 10 },
        { name: 'DM', bits: 11 },
        { name: 'LM', bits: 12 },
        { name: 'ROD', bits: 13 },
        { name: 'FES', bits: 14 },
        // Reserved, reads 1 (the reset value 0x8000).
        { name: 'RES15', bits: 15, access: 'ro' },
        { name: 'CSD', bits: 16 },
        { name: 'IFG', bits: [19, 17] },
        { name: 'JD', bits: 22 },
        { name: 'WD', bits: 23 },
        { name: 'CSTF', bits: 25 },
      ],
      onWrite: (v, prev) => {
        if (v & MACCR_TE && !(prev & MACCR_TE)) this.dma.transmitterEnabled();
      },
    });
    this.macffr = r.define({
      name: 'MACFFR',
      offset: 0x04,
      fields: [
        { name: 'PM', bits: 0 },
        { name: 'HU', bits: 1 },
        { name: 'HM', bits: 2 },
        { name: 'DAIF', bits: 3 },
        { name: 'PAM', bits: 4 },
        { name: 'BFD', bits: 5 },
        { name: 'PCF', bits: [7, 6] },
        { name: 'SAIF', bits: 8 },
        { name: 'SAF', bits: 9 },
        { name: 'HPF', bits: 10 },
        { name: 'RA', bits: 31 },
      ],
    });
    this.machthr = r.define({ name: 'MACHTHR', offset: 0x08, access: 'rw' });
    this.machtlr = r.define({ name: 'MACHTLR', offset: 0x0c, access: 'rw' });
    this.macmiiar = r.define({
      name: 'MACMIIAR',
      offset: 0x10,
      fields: [
        { name: 'MB', bits: 0 },
        { name: 'MW', bits: 1 },
        { name: 'CR', bits: [4, 2] },
        { name: 'MR', bits: [10, 6] },
        { name: 'PA', bits: [15, 11] },
      ],
      onWrite: (v, prev) => this.miiWritten(v, prev),
    });
    this.macmiidr = r.define({
      name: 'MACMIIDR',
      offset: 0x14,
      fields: [{ name: 'MD', bits: [15, 0] }],
    });
    const fcr = r.define({
      name: 'MACFCR',
      offset: 0x18,
      fields: [
        { name: 'FCB_BPA', bits: 0 },
        { name: 'TFCE', bits: 1 },
        { name: 'RFCE', bits: 2 },
        { name: 'UPFD', bits: 3 },
        { name: 'PLT', bits: [5, 4] },
        { name: 'ZQPD', bits: 7 },
        { name: 'PT', bits: [31, 16] },
      ],
      onWrite: (v) => {
        if (v & 1) {
          // The pause frame (or back pressure) is "sent" at once: FCB_BPA clears.
          this.warnOnce('MACFCR.FCB_BPA', 'pause frames and back pressure are not modelled');
          fcr.value &= ~1;
        }
      },
    });
    r.define({
      name: 'MACVLANTR',
      offset: 0x1c,
      fields: [
        { name: 'VLANTI', bits: [15, 0] },
        { name: 'VLANTC', bits: 16 },
      ],
    });
    r.define({
      name: 'MACRWUFFR',
      offset: 0x28,
      access: 'rw',
      onWrite: () => this.warnOnce('MACRWUFFR', 'wake-up frame filters are stored only'),
    });
    r.define({
      name: 'MACPMTCSR',
      offset: 0x2c,
      fields: [
        { name: 'PD', bits: 0 },
        { name: 'MPE', bits: 1 },
        { name: 'WFE', bits: 2 },
        { name: 'MPR', bits: 5, access: 'rc_r' },
        { name: 'WFR', bits: 6, access: 'rc_r' },
        { name: 'GU', bits: 9 },
        { name: 'WFFRPR', bits: 31 },
      ],
      onWrite: (v) => {
        if (v & 1)
          this.warnOnce('MACPMTCSR.PD', 'power-down is not modelled: the MAC keeps receiving');
      },
    });
    // The FIFOs never hold a frame the firmware could see waiting: all idle.
    r.define({ name: 'MACDBGR', offset: 0x34, access: 'ro' });
    this.macsr = r.define({
      name: 'MACSR',
      offset: 0x38,
      fields: [
        { name: 'PMTS', bits: 3, access: 'ro' },
        { name: 'MMCS', bits: 4, access: 'ro' },
        { name: 'MMCRS', bits: 5, access: 'ro' },
        { name: 'MMCTS', bits: 6, access: 'ro' },
        { name: 'TSTS', bits: 9, access: 'ro' },
      ],
      onRead: () => this.macStatus(),
    });
    this.macimr = r.define({
      name: 'MACIMR',
      offset: 0x3c,
      fields: [
        { name: 'PMTIM', bits: 3 },
        { name: 'TSTIM', bits: 9 },
      ],
      onWrite: () => this.updateIrq(),
    });
    for (let i = 0; i < 4; i++) {
      const high = r.define({
        name: `MACA${i}HR`,
        offset: 0x40 + 8 * i,
        // MACA0 is always enabled: its bit 31 (MO) reads 1 (RM0090 33.8.1).
        reset: i === 0 ? 0x8000ffff : 0x0000ffff,
        fields:
          i === 0
            ? [
                { name: 'MACA0H', bits: [15, 0] },
                { name: 'MO', bits: 31, access: 'ro' },
              ]
            : [
                { name: `MACA${i}H`, bits: [15, 0] },
                { name: 'MBC', bits: [29, 24] },
                { name: 'SA', bits: 30 },
                { name: 'AE', bits: 31 },
              ],
      });
      const low = r.define({
        name: `MACA${i}LR`,
        offset: 0x44 + 8 * i,
        reset: 0xffffffff,
        access: 'rw',
      });
      this.addresses.push([high, low]);
    }
    this.mmc = new MmcCounters(r, () => this.updateIrq());
    ({
      mmccr: this.mmccr,
      mmcrir: this.mmcrir,
      mmctir: this.mmctir,
      mmcrimr: this.mmcrimr,
      mmctimr: this.mmctimr,
    } = this.mmc);
    this.definePtp();
    this.dma = new EthDma({
      ctx,
      regs: r,
      maccr: () => this.maccr.value,
      transmitted: (frame) => this.transmitted(frame),
      macInterruptBits: () => this.dmaMacBits(),
      updateIrq: () => this.updateIrq(),
      warnOnce: (key, message) => {
        if (this.warned.has(key)) return;
        this.warned.add(key);
        ctx.warn(message);
      },
      softwareReset: () => this.softwareReset(),
    });
    this.reset();
  }

  /** RMII selected in SYSCFG_PMC (MII otherwise). */
  get rmii(): boolean {
    return this.rmiiSelected();
  }

  /** Connects a PHY at MDIO address `address` (0-31). */
  attachPhy(address: number, phy: MiiPhy): void {
    if (!Number.isInteger(address) || address < 0 || address > 31)
      throw new RangeError(`ETH: PHY address ${address} is not 0-31`);
    this.phys.set(address, phy);
  }

  detachPhy(address: number): void {
    this.phys.delete(address);
  }

  /**
   * A frame from the network (without FCS). Returns whether the MAC took it into its receive
   * FIFO; it reaches memory later, on virtual time.
   */
  receiveFrame(frame: Uint8Array): boolean {
    if (!(this.maccr.value & MACCR_RE) || this.options.rxClock?.() === false) {
      this.stats.rxDisabled++;
      return false;
    }
    if (frame.length < 14 || frame.length > MAX_RX_FRAME) {
      this.stats.rxOversize++;
      return false;
    }
    const bits = filterFrame(this, frame);
    if (bits === null) {
      this.stats.rxFiltered++;
      return false;
    }
    // A sender's MAC pads runts to the 60-byte minimum; copy so the caller may reuse its array.
    const data = new Uint8Array(Math.max(60, frame.length));
    data.set(frame);
    if (!this.dma.enqueue(data, bits)) {
      this.stats.rxFifoFull++;
      return false;
    }
    this.stats.rxFrames++;
    if (!(frame[0]! & 1)) this.mmc.count('RGUFCR');
    return true;
  }

  override reset(): void {
    this.ctx.clock.cancel(this.miiAlarm);
    this.regs.reset();
    this.dma.reset();
    this.updateIrq();
  }

  override updateIrq(): void {
    const level = this.dma.interrupt || (this.dmaMacBits() & (7 << 27)) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.ctx.setIrq(this.irq, level);
    }
  }

  // ---- MII management ----

  private miiWritten(v: number, prev: number): void {
    if (prev & 1) {
      // Software must not write MACMIIAR while MB is set (RM0090 33.8.1): the write is lost.
      this.macmiiar.value = prev;
      this.warnOnce('MACMIIAR.MB', 'MACMIIAR written while a transfer is busy (MB): ignored');
      return;
    }
    if (!(v & 1)) return;
    const cr = (v >>> 2) & 7;
    const divider = MDC_DIVIDERS[cr] ?? 42;
    if (cr >= MDC_DIVIDERS.length) this.warnOnce('MACMIIAR.CR', `MACMIIAR.CR=${cr} is reserved`);
    // Preamble and frame: 64 MDC cycles.
    const ns = (64 * divider * 1e9) / this.ctx.clocks.hclk;
    this.ctx.clock.scheduleAlarmNanos(this.miiAlarm, ns);
  }

  private miiDone(): void {
    const v = this.macmiiar.value;
    const phy = this.phys.get((v >>> 11) & 0x1f);
    const reg = (v >>> 6) & 0x1f;
    if (v & 2) phy?.writeRegister(reg, this.macmiidr.value & 0xffff);
    else this.macmiidr.value = phy ? phy.readRegister(reg) & 0xffff : 0xffff;
    this.macmiiar.value &= ~1;
  }

  // ---- PTP ----

  private definePtp(): void {
    const ptp: [string, number, number][] = [
      ['PTPTSCR', 0x700, 0x00002000],
      ['PTPSSIR', 0x704, 0],
      ['PTPTSHR', 0x708, 0],
      ['PTPTSLR', 0x70c, 0],
      ['PTPTSHUR', 0x710, 0],
      ['PTPTSLUR', 0x714, 0],
      ['PTPTSAR', 0x718, 0],
      ['PTPTTHR', 0x71c, 0],
      ['PTPTTLR', 0x720, 0],
      ['PTPTSSR', 0x728, 0],
      ['PTPPPSCR', 0x72c, 0],
    ];
    for (const [name, offset, reset] of ptp) {
      this.regs.define({
        name,
        offset,
        reset,
        access: 'rw',
        onWrite: () => this.warnOnce(name, `${name} is stored only: the PTP clock is not modelled`),
      });
    }
  }

  // ---- interrupts and helpers ----

  /** MACSR: PMT and time stamp sources never fire; MMC from the counters' interrupt bits. */
  private macStatus(): number {
    const rx = this.mmcrir.value & ~this.mmcrimr.value;
    const tx = this.mmctir.value & ~this.mmctimr.value;
    return (rx ? 1 << 5 : 0) | (tx ? 1 << 6 : 0) | (rx || tx ? 1 << 4 : 0);
  }

  private dmaMacBits(): number {
    return this.macStatus() & (1 << 4) ? 1 << 27 : 0;
  }

  private transmitted(frame: Uint8Array): void {
    if (this.options.txClock?.() === false) {
      this.stats.txUnclocked++;
      return;
    }
    this.stats.txFrames++;
    this.mmc.count('TGFCR');
    // Loopback (MACCR.LM): the frame comes back to the receiver instead of leaving.
    if (this.maccr.value & MACCR_LM) this.receiveFrame(frame);
    else this.onFrame(frame);
  }

  /** DMABMR.SR completed: every MAC and DMA register back to reset, SR clear. */
  private softwareReset(): void {
    this.ctx.clock.cancel(this.miiAlarm);
    this.regs.reset();
    this.dma.softResetDone();
    this.dma.reset();
    this.updateIrq();
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.ctx.warn(`f4emu: ETH: ${message}`);
  }
}
