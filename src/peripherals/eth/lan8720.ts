/**
 * The Ethernet baseboard's PHY: a Microchip (formerly SMSC) LAN8720A 10/100 RMII transceiver,
 * as its datasheet (DS00002165B, section 4 "Register Descriptions") describes it, answering the
 * MAC's MDIO reads and writes at the address its PHYAD strap sets (the board's `phyAddress`).
 *
 * The cable is the host's: `setLink(up)` plugs or unplugs it. While it is plugged in, the PHY is
 * powered up and no reset is under way, the link comes up `autonegNanos` of virtual time after
 * every (re)start: auto-negotiation with the link partner (100BASE-TX and 10BASE-T, full and half
 * duplex, IEEE 802.3 selector) resolves the highest common mode (IEEE 802.3 annex 28B.3 priority),
 * or, with auto-negotiation disabled, the link comes up in the mode BMCR forces. Losing the link
 * restarts auto-negotiation, as the chip does (datasheet 3.2 "Auto-negotiation").
 *
 * Register behaviour follows IEEE 802.3 clause 22.2.4: BMCR's reset (bit 15) reads 1 until the
 * reset completes and its restart bit (9) clears itself at once; BMSR's link status is latching-low
 * (22.2.4.2.13: a read returns 0 if the link failed since the last read, then the current state);
 * ANER's page-received bit latches high. The vendor registers 17-31 are the LAN8720A's: interrupt
 * source flags clear on read and drive nINT (`onInterrupt`) through the interrupt mask, and
 * register 31 reports the negotiated speed and duplex with its autodone bit. The addresses the
 * LAN8720A leaves reserved (7-16, 19-25, 28) read 0, ignore writes and are reported once each
 * through `warn`.
 *
 * Not modelled: energy-detect power-down (EDPWRDOWN is stored), the ALTINT interrupt mode (stored;
 * flags always clear on read), cable faults (remote fault, jabber, parallel-detection fault and
 * the symbol error counter stay 0), HP Auto-MDIX, and the data path: frames cross the MAC's typed
 * calls, which ask `linkUp`, `speed`, `fullDuplex` and `loopback` here.
 */
import type { Alarm, Clock } from '../../clock/clock.js';

/**
 * The MDIO side of a PHY as the MAC's management interface (MACMIIAR/MACMIIDR) sees it. The same
 * shape as the MAC's own `MiiPhy` (src/peripherals/eth/mac.ts); declared here too so this file
 * stands alone, and structural typing makes the two one type.
 */
export interface MiiPhy {
  readRegister(reg: number): number;
  writeRegister(reg: number, value: number): void;
}

/** Register indices (datasheet table 4-2, SMI register map). */
export const PhyReg = {
  BMCR: 0,
  BMSR: 1,
  PHYID1: 2,
  PHYID2: 3,
  ANAR: 4,
  ANLPAR: 5,
  ANER: 6,
  /** Mode control/status. */
  MCSR: 17,
  /** Special modes: MODE[2:0] and PHYAD. */
  SMR: 18,
  /** Symbol error counter. */
  SECR: 26,
  /** Special control/status indications. */
  SCSIR: 27,
  /** Interrupt source flags. */
  ISFR: 29,
  /** Interrupt mask. */
  IMR: 30,
  /** PHY special control/status. */
  PSCSR: 31,
} as const;

/** Basic control register bits (4.2.1; IEEE 802.3 22.2.4.1). */
export const Bmcr = {
  SOFT_RESET: 1 << 15,
  LOOPBACK: 1 << 14,
  SPEED_100: 1 << 13,
  AN_ENABLE: 1 << 12,
  POWER_DOWN: 1 << 11,
  ISOLATE: 1 << 10,
  AN_RESTART: 1 << 9,
  FULL_DUPLEX: 1 << 8,
} as const;

/** Basic status register bits (4.2.2; IEEE 802.3 22.2.4.2). */
export const Bmsr = {
  CAN_100TX_FD: 1 << 14,
  CAN_100TX_HD: 1 << 13,
  CAN_10T_FD: 1 << 12,
  CAN_10T_HD: 1 << 11,
  AN_COMPLETE: 1 << 5,
  REMOTE_FAULT: 1 << 4,
  AN_ABILITY: 1 << 3,
  LINK_STATUS: 1 << 2,
  JABBER: 1 << 1,
  EXTENDED_CAPABILITIES: 1 << 0,
} as const;

/** Base page bits shared by ANAR and ANLPAR (4.2.5, 4.2.6; IEEE 802.3 28.2.1.2). */
export const Ability = {
  NEXT_PAGE: 1 << 15,
  ACKNOWLEDGE: 1 << 14,
  REMOTE_FAULT: 1 << 13,
  PAUSE: 3 << 10,
  TX_FD: 1 << 8,
  TX_HD: 1 << 7,
  T10_FD: 1 << 6,
  T10_HD: 1 << 5,
  SELECTOR_IEEE_802_3: 0b00001,
} as const;

/** Auto-negotiation expansion bits (4.2.7). */
export const Aner = { PAGE_RECEIVED: 1 << 1, LP_AN_ABLE: 1 << 0 } as const;

/** Mode control/status bits (4.2.8). */
export const Mcsr = {
  EDPWRDOWN: 1 << 13,
  FARLOOPBACK: 1 << 9,
  ALTINT: 1 << 6,
  ENERGYON: 1 << 1,
} as const;

/** Special modes fields (4.2.9); bit 14 is reserved and reads (and must be written) 1. */
export const Smr = { RESERVED_ONE: 1 << 14, MODE_SHIFT: 5, MODE_MASK: 7 << 5, PHYAD_MASK: 0x1f };

/** Interrupt source flag and mask bits (4.2.12, 4.2.13). */
export const PhyInterrupt = {
  ENERGYON: 1 << 7,
  AN_COMPLETE: 1 << 6,
  REMOTE_FAULT: 1 << 5,
  LINK_DOWN: 1 << 4,
  AN_LP_ACKNOWLEDGE: 1 << 3,
  PARALLEL_DETECTION_FAULT: 1 << 2,
  AN_PAGE_RECEIVED: 1 << 1,
} as const;

/** PHY special control/status bits (4.2.14). */
export const Pscsr = {
  AUTODONE: 1 << 12,
  ENABLE_4B5B: 1 << 6,
  SPEED_SHIFT: 2,
  SPEED_MASK: 7 << 2,
} as const;

/** PSCSR bits 4:2, the speed indication: bit 2 = 10 Mb/s, bit 3 = 100 Mb/s, bit 4 = full duplex. */
export const SpeedIndication = {
  T10_HD: 0b001,
  TX_HD: 0b010,
  T10_FD: 0b101,
  TX_FD: 0b110,
} as const;

/** PHYID1/PHYID2: Microchip's OUI, model 0x0F, revision 1 (the "A" part; the LAN8720 is 0xC0F0). */
export const LAN8720A_PHYID1 = 0x0007;
export const LAN8720A_PHYID2 = 0xc0f1;

/**
 * A soft reset's duration. The datasheet gives none; IEEE 802.3 22.2.4.1.1 lets a PHY take up to
 * 0.5 s. A tenth of a millisecond keeps firmware that polls the bit brief, and any firmware that
 * waits a fixed time after the reset (NuttX waits 65 ms) finds it long done.
 */
export const DEFAULT_RESET_NANOS = 100_000;

/**
 * From a (re)start of auto-negotiation to link up. A real negotiation takes seconds: FLP bursts
 * every 16 ms and the 750-1000 ms link_fail_inhibit_timer (IEEE 802.3 clause 28, 28.3.2).
 * 1.5 ms of virtual time stands for that: short enough for firmware that gives up after a fixed
 * number of BMSR polls (NuttX's PHY_RETRY_TIMEOUT loop count), as on a board whose cable was in
 * long before the firmware looked.
 */
export const DEFAULT_AUTONEG_NANOS = 1_500_000;

/** The four technology bits, in IEEE 802.3 annex 28B.3 priority order, with what they resolve to. */
const TECHNOLOGIES = [
  { bit: Ability.TX_FD, speed: 100, fullDuplex: true, indication: SpeedIndication.TX_FD },
  { bit: Ability.TX_HD, speed: 100, fullDuplex: false, indication: SpeedIndication.TX_HD },
  { bit: Ability.T10_FD, speed: 10, fullDuplex: true, indication: SpeedIndication.T10_FD },
  { bit: Ability.T10_HD, speed: 10, fullDuplex: false, indication: SpeedIndication.T10_HD },
] as const;
const TECHNOLOGY_BITS = Ability.TX_FD | Ability.TX_HD | Ability.T10_FD | Ability.T10_HD;

/** BMSR's fixed part: what the LAN8720A can do (4.2.2). */
const BMSR_CAPABILITIES =
  Bmsr.CAN_100TX_FD |
  Bmsr.CAN_100TX_HD |
  Bmsr.CAN_10T_FD |
  Bmsr.CAN_10T_HD |
  Bmsr.AN_ABILITY |
  Bmsr.EXTENDED_CAPABILITIES;

const BMCR_WRITABLE =
  Bmcr.LOOPBACK |
  Bmcr.SPEED_100 |
  Bmcr.AN_ENABLE |
  Bmcr.POWER_DOWN |
  Bmcr.ISOLATE |
  Bmcr.FULL_DUPLEX;
/** ANAR: remote fault, pause, the four technologies and the selector are read/write (4.2.5). */
const ANAR_WRITABLE = Ability.REMOTE_FAULT | Ability.PAUSE | TECHNOLOGY_BITS | 0x1f;
const ANAR_ALL = TECHNOLOGY_BITS | Ability.SELECTOR_IEEE_802_3;
const MCSR_WRITABLE = Mcsr.EDPWRDOWN | Mcsr.FARLOOPBACK | Mcsr.ALTINT;
const SMR_WRITABLE = Smr.RESERVED_ONE | Smr.MODE_MASK | Smr.PHYAD_MASK;
/** SCSIR: AMDIXCTRL (15), CH_SELECT (13), SQEOFF (11) are read/write; XPOL (4) reads 0. */
const SCSIR_WRITABLE = (1 << 15) | (1 << 13) | (1 << 11);
const INTERRUPT_BITS = 0xfe;

/**
 * BMCR and ANAR after a reset for each MODE[2:0] (datasheet 3.7.2, MODE[2:0]). The board straps
 * MODE = 111, all capable with auto-negotiation; firmware can write another mode into SMR and
 * soft-reset to apply it. Speed and duplex are "don't care" under auto-negotiation; they read
 * here as 100 Mb/s full duplex (BMCR 0x3100). Mode 110 wakes the transceiver powered down.
 */
const MODE_DEFAULTS: readonly { bmcr: number; anar: number }[] = [
  { bmcr: 0, anar: ANAR_ALL }, // 000: 10BASE-T half duplex, no auto-negotiation
  { bmcr: Bmcr.FULL_DUPLEX, anar: ANAR_ALL }, // 001: 10BASE-T full duplex
  { bmcr: Bmcr.SPEED_100, anar: ANAR_ALL }, // 010: 100BASE-TX half duplex
  { bmcr: Bmcr.SPEED_100 | Bmcr.FULL_DUPLEX, anar: ANAR_ALL }, // 011: 100BASE-TX full duplex
  // 100 and 101 (repeater): auto-negotiation advertising 100BASE-TX half duplex only
  { bmcr: Bmcr.SPEED_100 | Bmcr.AN_ENABLE, anar: Ability.TX_HD | Ability.SELECTOR_IEEE_802_3 },
  { bmcr: Bmcr.SPEED_100 | Bmcr.AN_ENABLE, anar: Ability.TX_HD | Ability.SELECTOR_IEEE_802_3 },
  { bmcr: Bmcr.POWER_DOWN, anar: ANAR_ALL }, // 110: power-down mode
  { bmcr: Bmcr.SPEED_100 | Bmcr.AN_ENABLE | Bmcr.FULL_DUPLEX, anar: ANAR_ALL }, // 111
];
const MODE_ALL_CAPABLE = 0b111;

export interface Lan8720Options {
  clock: Clock;
  /** MDIO address the PHYAD[0] strap latches at power-on (the board description's phyAddress). */
  address: number;
  /** Reports a register the LAN8720A does not have, once per register. */
  warn: (message: string) => void;
  /** Virtual time a soft reset takes; default DEFAULT_RESET_NANOS. */
  resetNanos?: number;
  /** Virtual time from a (re)start of auto-negotiation to link up; default DEFAULT_AUTONEG_NANOS. */
  autonegNanos?: number;
  /**
   * The link partner's base page (what ANLPAR shows, acknowledge bit aside); default a switch
   * port doing 100BASE-TX and 10BASE-T in both duplexes without PAUSE: the user-mode network
   * behind the cable sends no pause frames.
   */
  partnerAbilities?: number;
}

interface PhyRegister {
  read(): number;
  write(value: number): void;
}

const readOnly = (_value: number): void => {};

export class Lan8720Phy implements MiiPhy {
  /** nINT: called with `true` when the pin is asserted (driven low), `false` when released. */
  onInterrupt: (asserted: boolean) => void = () => {};

  private readonly clock: Clock;
  private readonly strapAddress: number;
  private readonly warn: (message: string) => void;
  private readonly resetNanos: number;
  private readonly autonegNanos: number;
  private readonly partner: number;
  private readonly registers: (PhyRegister | undefined)[] = [];
  private readonly warned = new Set<number>();
  private readonly resetAlarm: Alarm;
  private readonly linkAlarm: Alarm;

  private bmcr = 0;
  private anar = 0;
  private anlpar = 0;
  private aner = 0;
  private mcsr = 0;
  private smr = 0;
  private scsir = 0;
  private isfr = 0;
  private imr = 0;
  private pscsr = 0;

  /** The host's cable. */
  private cable = true;
  /** Energy on the line as ENERGYON sees it (cable in and powered up). */
  private energy = false;
  private link = false;
  /** BMSR's latching-low link status: the link failed since BMSR was last read. */
  private linkFailedSinceRead = false;
  private anComplete = false;
  private resetting = false;
  private resolved: (typeof TECHNOLOGIES)[number] = TECHNOLOGIES[0];
  private interruptAsserted = false;

  constructor(options: Lan8720Options) {
    this.clock = options.clock;
    this.strapAddress = options.address & Smr.PHYAD_MASK;
    this.warn = options.warn;
    this.resetNanos = options.resetNanos ?? DEFAULT_RESET_NANOS;
    this.autonegNanos = options.autonegNanos ?? DEFAULT_AUTONEG_NANOS;
    this.partner = options.partnerAbilities ?? ANAR_ALL;
    this.resetAlarm = this.clock.createAlarm(() => this.finishSoftReset());
    this.linkAlarm = this.clock.createAlarm(() => this.establishLink());

    // The register map, one entry per address the LAN8720A decodes (datasheet table 4-2).
    const r = this.registers;
    r[PhyReg.BMCR] = {
      read: () => this.bmcr | (this.resetting ? Bmcr.SOFT_RESET : 0),
      write: (v) => this.writeBmcr(v),
    };
    r[PhyReg.BMSR] = { read: () => this.readBmsr(), write: readOnly };
    r[PhyReg.PHYID1] = { read: () => LAN8720A_PHYID1, write: readOnly };
    r[PhyReg.PHYID2] = { read: () => LAN8720A_PHYID2, write: readOnly };
    // A new advertisement goes out only at the next restart (datasheet 3.2).
    r[PhyReg.ANAR] = { read: () => this.anar, write: (v) => (this.anar = v & ANAR_WRITABLE) };
    r[PhyReg.ANLPAR] = { read: () => this.anlpar, write: readOnly };
    r[PhyReg.ANER] = { read: () => this.readAner(), write: readOnly };
    r[PhyReg.MCSR] = {
      read: () => this.mcsr | (this.energy ? Mcsr.ENERGYON : 0),
      write: (v) => (this.mcsr = v & MCSR_WRITABLE),
    };
    // PHYAD is the SMI address from the write on (`address`).
    r[PhyReg.SMR] = { read: () => this.smr, write: (v) => (this.smr = v & SMR_WRITABLE) };
    r[PhyReg.SECR] = { read: () => 0, write: readOnly }; // no symbol errors on a virtual cable
    r[PhyReg.SCSIR] = { read: () => this.scsir, write: (v) => (this.scsir = v & SCSIR_WRITABLE) };
    r[PhyReg.ISFR] = { read: () => this.readIsfr(), write: readOnly };
    r[PhyReg.IMR] = { read: () => this.imr, write: (v) => this.writeImr(v) };
    r[PhyReg.PSCSR] = {
      read: () => this.readPscsr(),
      write: (v) => (this.pscsr = v & Pscsr.ENABLE_4B5B),
    };

    this.reset();
  }

  /** The SMI address the PHY answers: SMR's PHYAD, latched from the strap at power-on. */
  get address(): number {
    return this.smr & Smr.PHYAD_MASK;
  }

  /** Whether the link is up now (BMSR's latch aside). */
  get linkUp(): boolean {
    return this.link;
  }

  /** Line speed in Mb/s of the current (or last) link. */
  get speed(): 10 | 100 {
    return this.resolved.speed;
  }

  get fullDuplex(): boolean {
    return this.resolved.fullDuplex;
  }

  /** BMCR near-end loopback: the MAC's transmitted frames come back to it, none reach the cable. */
  get loopback(): boolean {
    return (this.bmcr & Bmcr.LOOPBACK) !== 0;
  }

  /** BMCR isolate: the PHY ignores the RMII data path (management still answers). */
  get isolated(): boolean {
    return (this.bmcr & Bmcr.ISOLATE) !== 0;
  }

  /** Whether nINT is asserted: an interrupt source flag is set whose mask bit is set. */
  get interrupt(): boolean {
    return this.interruptAsserted;
  }

  /** Plugs (true) or unplugs (false) the cable, as the host decides. */
  setLink(up: boolean): void {
    if (up === this.cable) return;
    this.cable = up;
    this.updateEnergy();
    this.restartLink();
  }

  /**
   * Hardware reset (power-on, or the nRST pin): every register to its default, the straps
   * latched again (PHYAD from the board, MODE = all capable), auto-negotiation started.
   */
  reset(): void {
    this.clock.cancel(this.resetAlarm);
    this.resetting = false;
    this.smr = Smr.RESERVED_ONE | (MODE_ALL_CAPABLE << Smr.MODE_SHIFT) | this.strapAddress;
    this.loadDefaults();
    this.restartLink();
  }

  readRegister(reg: number): number {
    const register = this.registers[reg & 0x1f];
    if (!register) {
      this.warnOnce(reg & 0x1f);
      return 0;
    }
    return register.read() & 0xffff;
  }

  writeRegister(reg: number, value: number): void {
    const register = this.registers[reg & 0x1f];
    if (!register) {
      this.warnOnce(reg & 0x1f);
      return;
    }
    register.write(value & 0xffff);
  }

  private warnOnce(reg: number): void {
    if (this.warned.has(reg)) return;
    this.warned.add(reg);
    this.warn(`LAN8720A: PHY register ${reg} does not exist on this PHY (reads 0, writes ignored)`);
  }

  /** Register defaults for a reset; SMR is left alone (its fields are NASR: not affected). */
  private loadDefaults(): void {
    const mode = MODE_DEFAULTS[(this.smr & Smr.MODE_MASK) >>> Smr.MODE_SHIFT]!;
    this.bmcr = mode.bmcr;
    this.anar = mode.anar;
    this.anlpar = 0;
    this.aner = 0;
    this.mcsr = 0;
    this.scsir = 0;
    this.isfr = 0;
    this.imr = 0;
    this.pscsr = Pscsr.ENABLE_4B5B;
    this.link = false;
    this.linkFailedSinceRead = false;
    this.anComplete = false;
    this.energy = this.cable && !(this.bmcr & Bmcr.POWER_DOWN);
    this.updateInterrupt();
  }

  private writeBmcr(value: number): void {
    // IEEE 802.3 22.2.4.1.1: a PHY need not accept writes while its reset is under way.
    if (this.resetting) return;
    if (value & Bmcr.SOFT_RESET) {
      this.startSoftReset();
      return;
    }
    const before = this.bmcr;
    this.bmcr = value & BMCR_WRITABLE;
    const changed = before ^ this.bmcr;
    const autoneg = (this.bmcr & Bmcr.AN_ENABLE) !== 0;
    if (changed & Bmcr.POWER_DOWN) this.updateEnergy();
    // Restart reads back 0 at once: the chip clears it as soon as negotiation restarts, and it
    // means nothing with auto-negotiation off (22.2.4.1.7). Speed and duplex matter only then.
    const restart =
      (autoneg && (value & Bmcr.AN_RESTART) !== 0) ||
      (changed & (Bmcr.AN_ENABLE | Bmcr.POWER_DOWN)) !== 0 ||
      (!autoneg && (changed & (Bmcr.SPEED_100 | Bmcr.FULL_DUPLEX)) !== 0);
    if (restart) this.restartLink();
  }

  private startSoftReset(): void {
    this.clock.cancel(this.linkAlarm);
    this.loadDefaults();
    this.resetting = true;
    this.clock.scheduleAlarmNanos(this.resetAlarm, this.resetNanos);
  }

  private finishSoftReset(): void {
    this.resetting = false;
    this.restartLink();
  }

  private readBmsr(): number {
    const link = this.link && !this.linkFailedSinceRead;
    this.linkFailedSinceRead = false;
    return (
      BMSR_CAPABILITIES | (this.anComplete ? Bmsr.AN_COMPLETE : 0) | (link ? Bmsr.LINK_STATUS : 0)
    );
  }

  private readAner(): number {
    const value = this.aner;
    this.aner &= ~Aner.PAGE_RECEIVED; // latching high: cleared by the read
    return value;
  }

  private readIsfr(): number {
    const value = this.isfr;
    this.isfr = 0;
    this.updateInterrupt();
    return value;
  }

  private writeImr(value: number): void {
    this.imr = value & INTERRUPT_BITS;
    this.updateInterrupt();
  }

  private readPscsr(): number {
    const autoneg = (this.bmcr & Bmcr.AN_ENABLE) !== 0;
    // Under auto-negotiation the indication is valid only with autodone; forced, it is the mode.
    const indication = autoneg
      ? this.anComplete
        ? this.resolved.indication
        : 0
      : this.forcedTechnology().indication;
    return this.pscsr | (this.anComplete ? Pscsr.AUTODONE : 0) | (indication << Pscsr.SPEED_SHIFT);
  }

  private forcedTechnology(): (typeof TECHNOLOGIES)[number] {
    const speed = this.bmcr & Bmcr.SPEED_100 ? 100 : 10;
    const fullDuplex = (this.bmcr & Bmcr.FULL_DUPLEX) !== 0;
    return TECHNOLOGIES.find((t) => t.speed === speed && t.fullDuplex === fullDuplex)!;
  }

  /**
   * Drops the link (if up) and starts bringing it up again: negotiation from scratch when the
   * cable is in, the PHY powered and not in reset; otherwise the link stays down.
   */
  private restartLink(): void {
    this.clock.cancel(this.linkAlarm);
    if (this.link) {
      this.link = false;
      this.linkFailedSinceRead = true;
      this.raise(PhyInterrupt.LINK_DOWN);
    }
    this.anComplete = false;
    this.anlpar = 0;
    this.aner = 0;
    if (!this.cable || this.resetting || this.bmcr & Bmcr.POWER_DOWN) return;
    this.clock.scheduleAlarmNanos(this.linkAlarm, this.autonegNanos);
  }

  private establishLink(): void {
    if (this.bmcr & Bmcr.AN_ENABLE) {
      const common = this.anar & this.partner & TECHNOLOGY_BITS;
      // No highest common denominator (IEEE 802.3 28B.3): no link, negotiation never completes.
      const best = TECHNOLOGIES.find((t) => common & t.bit);
      if (!best) return;
      this.resolved = best;
      this.anlpar = (this.partner & ~Ability.NEXT_PAGE) | Ability.ACKNOWLEDGE;
      this.aner = Aner.LP_AN_ABLE | Aner.PAGE_RECEIVED;
      this.anComplete = true;
      this.link = true;
      this.raise(
        PhyInterrupt.AN_PAGE_RECEIVED | PhyInterrupt.AN_LP_ACKNOWLEDGE | PhyInterrupt.AN_COMPLETE,
      );
    } else {
      this.resolved = this.forcedTechnology();
      this.link = true;
    }
  }

  /** ENERGYON follows the line; its rising edge is an interrupt source (INT7). */
  private updateEnergy(): void {
    const energy = this.cable && !(this.bmcr & Bmcr.POWER_DOWN);
    if (energy === this.energy) return;
    this.energy = energy;
    if (energy) this.raise(PhyInterrupt.ENERGYON);
  }

  private raise(bits: number): void {
    this.isfr |= bits;
    this.updateInterrupt();
  }

  private updateInterrupt(): void {
    const asserted = (this.isfr & this.imr) !== 0;
    if (asserted === this.interruptAsserted) return;
    this.interruptAsserted = asserted;
    this.onInterrupt(asserted);
  }
}
