import { describe, expect, it } from 'vitest';
import { Clock } from '../../clock/clock.js';
import {
  Ability,
  Bmcr,
  Bmsr,
  DEFAULT_AUTONEG_NANOS,
  DEFAULT_RESET_NANOS,
  Lan8720Phy,
  PhyInterrupt,
  PhyReg,
  Pscsr,
  SpeedIndication,
  type Lan8720Options,
} from './lan8720.js';

function setup(options: Partial<Lan8720Options> = {}) {
  const clock = new Clock();
  const warnings: string[] = [];
  const phy = new Lan8720Phy({ clock, address: 0, warn: (w) => warnings.push(w), ...options });
  const interrupts: boolean[] = [];
  phy.onInterrupt = (asserted) => interrupts.push(asserted);
  /** Runs `ns` of virtual time, firing the alarms due in it. */
  const advance = (ns: number) => {
    clock.cycles += clock.cyclesForNanos(ns);
    clock.fireDue();
  };
  const read = (reg: number) => phy.readRegister(reg);
  const write = (reg: number, value: number) => phy.writeRegister(reg, value);
  return { clock, phy, warnings, interrupts, advance, read, write };
}

const linkStatus = (bmsr: number) => (bmsr & Bmsr.LINK_STATUS) !== 0;
const speedIndication = (pscsr: number) => (pscsr & Pscsr.SPEED_MASK) >>> Pscsr.SPEED_SHIFT;

describe('LAN8720A PHY', () => {
  it('identifies itself as a LAN8720A (PHYID 0x0007 / 0xC0F1) with its capabilities', () => {
    const { read } = setup();
    expect(read(PhyReg.PHYID1)).toBe(0x0007);
    expect(read(PhyReg.PHYID2)).toBe(0xc0f1);
    expect(read(PhyReg.ANAR)).toBe(0x01e1); // 100/10 full/half, IEEE 802.3
    // 100BASE-TX FD/HD, 10BASE-T FD/HD, auto-negotiation ability, extended capabilities
    expect(read(PhyReg.BMSR) & ~(Bmsr.LINK_STATUS | Bmsr.AN_COMPLETE)).toBe(0x7809);
  });

  it('powers on like a board with the cable in: negotiates 100 Mb/s full duplex on virtual time', () => {
    const { phy, read, advance } = setup();
    expect(read(PhyReg.BMCR)).toBe(0x3100); // auto-negotiation on (MODE = 111)
    expect(read(PhyReg.BMSR) & (Bmsr.LINK_STATUS | Bmsr.AN_COMPLETE)).toBe(0);
    expect(read(PhyReg.PSCSR) & Pscsr.AUTODONE).toBe(0);
    advance(DEFAULT_AUTONEG_NANOS - 1000);
    expect(phy.linkUp).toBe(false);
    advance(1000);
    expect(read(PhyReg.BMSR)).toBe(0x782d);
    expect(read(PhyReg.PSCSR)).toBe(0x1058); // autodone, 4B5B, speed indication 110
    expect(speedIndication(read(PhyReg.PSCSR))).toBe(SpeedIndication.TX_FD);
    expect(read(PhyReg.ANLPAR)).toBe(0x41e1); // partner: ACK, 100/10 FD/HD, IEEE 802.3
    expect(read(PhyReg.ANER) & 1).toBe(1); // link partner auto-negotiation able
    expect(phy.linkUp).toBe(true);
    expect(phy.speed).toBe(100);
    expect(phy.fullDuplex).toBe(true);
  });

  it('soft reset reads 1 until the reset time passes, then restores defaults and renegotiates', () => {
    const { phy, read, write, advance } = setup();
    advance(DEFAULT_AUTONEG_NANOS);
    write(PhyReg.ANAR, 0x0021);
    write(PhyReg.IMR, 0xfe);
    write(PhyReg.BMCR, Bmcr.SOFT_RESET);
    expect(read(PhyReg.BMCR) & Bmcr.SOFT_RESET).toBe(Bmcr.SOFT_RESET);
    expect(phy.linkUp).toBe(false);
    write(PhyReg.BMCR, Bmcr.LOOPBACK); // ignored while the reset runs
    advance(DEFAULT_RESET_NANOS - 1000);
    expect(read(PhyReg.BMCR) & Bmcr.SOFT_RESET).toBe(Bmcr.SOFT_RESET);
    advance(1000);
    expect(read(PhyReg.BMCR)).toBe(0x3100);
    expect(read(PhyReg.ANAR)).toBe(0x01e1);
    expect(read(PhyReg.IMR)).toBe(0);
    expect(phy.interrupt).toBe(false);
    advance(DEFAULT_AUTONEG_NANOS);
    expect(read(PhyReg.BMSR) & (Bmsr.LINK_STATUS | Bmsr.AN_COMPLETE)).toBe(
      Bmsr.LINK_STATUS | Bmsr.AN_COMPLETE,
    );
  });

  it('restart auto-negotiation clears itself and completes again after the negotiation time', () => {
    const { read, write, advance } = setup();
    advance(DEFAULT_AUTONEG_NANOS);
    write(PhyReg.BMCR, Bmcr.AN_ENABLE | Bmcr.AN_RESTART);
    expect(read(PhyReg.BMCR) & Bmcr.AN_RESTART).toBe(0);
    expect(read(PhyReg.BMSR) & Bmsr.AN_COMPLETE).toBe(0);
    expect(read(PhyReg.ANLPAR)).toBe(0);
    advance(DEFAULT_AUTONEG_NANOS);
    expect(read(PhyReg.BMSR) & Bmsr.AN_COMPLETE).toBe(Bmsr.AN_COMPLETE);
    // Enabling auto-negotiation when it is already on (NuttX writes MCR = ANENABLE) restarts nothing.
    write(PhyReg.BMCR, Bmcr.AN_ENABLE);
    expect(read(PhyReg.BMSR) & Bmsr.AN_COMPLETE).toBe(Bmsr.AN_COMPLETE);
  });

  it('latches a link failure low in BMSR until read (IEEE 802.3 22.2.4.2.13)', () => {
    const { phy, read, advance } = setup();
    advance(DEFAULT_AUTONEG_NANOS);
    expect(linkStatus(read(PhyReg.BMSR))).toBe(true);
    phy.setLink(false);
    expect(phy.linkUp).toBe(false);
    phy.setLink(true);
    advance(DEFAULT_AUTONEG_NANOS); // the link is back before anybody looked
    expect(phy.linkUp).toBe(true);
    expect(linkStatus(read(PhyReg.BMSR))).toBe(false); // but it failed since the last read
    expect(linkStatus(read(PhyReg.BMSR))).toBe(true);
    phy.setLink(false);
    expect(linkStatus(read(PhyReg.BMSR))).toBe(false);
    expect(linkStatus(read(PhyReg.BMSR))).toBe(false); // still down: reads the current state
    expect(read(PhyReg.BMSR) & Bmsr.AN_COMPLETE).toBe(0);
  });

  it('raises interrupt sources through the mask on nINT; reading them clears them', () => {
    const { phy, read, write, advance, interrupts } = setup();
    advance(DEFAULT_AUTONEG_NANOS);
    expect(read(PhyReg.ISFR) & PhyInterrupt.AN_COMPLETE).toBe(PhyInterrupt.AN_COMPLETE);
    expect(read(PhyReg.ISFR)).toBe(0); // read-clear
    write(PhyReg.IMR, PhyInterrupt.AN_COMPLETE | PhyInterrupt.LINK_DOWN);
    expect(interrupts).toEqual([]);

    phy.setLink(false);
    expect(interrupts).toEqual([true]);
    expect(phy.interrupt).toBe(true);
    expect(read(PhyReg.ISFR)).toBe(PhyInterrupt.LINK_DOWN);
    expect(interrupts).toEqual([true, false]);
    expect(read(PhyReg.ISFR)).toBe(0);

    phy.setLink(true); // ENERGYON is flagged but masked: nINT stays released
    expect(interrupts).toEqual([true, false]);
    advance(DEFAULT_AUTONEG_NANOS);
    expect(interrupts).toEqual([true, false, true]);
    const flags = read(PhyReg.ISFR);
    expect(flags & PhyInterrupt.AN_COMPLETE).toBe(PhyInterrupt.AN_COMPLETE);
    expect(flags & PhyInterrupt.ENERGYON).toBe(PhyInterrupt.ENERGYON);
    expect(flags & PhyInterrupt.LINK_DOWN).toBe(0);
    expect(interrupts).toEqual([true, false, true, false]);
  });

  it('holds the board PHY address in special modes (PHYAD) with MODE = all capable', () => {
    expect(setup().read(PhyReg.SMR)).toBe(0x40e0);
    const { phy, read, write, advance } = setup({ address: 5 });
    expect(read(PhyReg.SMR)).toBe(0x40e5);
    expect(phy.address).toBe(5);
    write(PhyReg.SMR, 0x40e7);
    expect(phy.address).toBe(7);
    write(PhyReg.BMCR, Bmcr.SOFT_RESET); // SMR is not affected by a soft reset
    advance(DEFAULT_RESET_NANOS);
    expect(read(PhyReg.SMR)).toBe(0x40e7);
    phy.reset(); // a hardware reset latches the strap again
    expect(phy.address).toBe(5);
  });

  it('applies a MODE written to special modes at the next soft reset', () => {
    const { phy, read, write, advance } = setup();
    write(PhyReg.SMR, 0x4000 | (0b010 << 5)); // 100BASE-TX half duplex, no auto-negotiation
    write(PhyReg.BMCR, Bmcr.SOFT_RESET);
    advance(DEFAULT_RESET_NANOS);
    expect(read(PhyReg.BMCR)).toBe(Bmcr.SPEED_100);
    advance(DEFAULT_AUTONEG_NANOS);
    expect(phy.linkUp).toBe(true);
    expect(phy.speed).toBe(100);
    expect(phy.fullDuplex).toBe(false);
    expect(read(PhyReg.PSCSR) & Pscsr.AUTODONE).toBe(0);
  });

  it('negotiates the highest common mode of ANAR and the partner', () => {
    const { phy, read, write, advance } = setup();
    write(PhyReg.ANAR, Ability.T10_FD | Ability.T10_HD | Ability.SELECTOR_IEEE_802_3);
    write(PhyReg.BMCR, Bmcr.AN_ENABLE | Bmcr.AN_RESTART);
    advance(DEFAULT_AUTONEG_NANOS);
    expect(speedIndication(read(PhyReg.PSCSR))).toBe(SpeedIndication.T10_FD);
    expect(phy.speed).toBe(10);
    expect(phy.fullDuplex).toBe(true);

    const halfOnly = setup({ partnerAbilities: Ability.TX_HD | Ability.T10_HD | 1 });
    halfOnly.advance(DEFAULT_AUTONEG_NANOS);
    expect(speedIndication(halfOnly.read(PhyReg.PSCSR))).toBe(SpeedIndication.TX_HD);
    expect(halfOnly.read(PhyReg.ANLPAR)).toBe(0x40a1);

    const nothingInCommon = setup({ partnerAbilities: Ability.T10_HD | 1 });
    nothingInCommon.write(PhyReg.ANAR, Ability.TX_FD | 1);
    nothingInCommon.write(PhyReg.BMCR, Bmcr.AN_ENABLE | Bmcr.AN_RESTART);
    nothingInCommon.advance(10 * DEFAULT_AUTONEG_NANOS);
    expect(nothingInCommon.phy.linkUp).toBe(false);
  });

  it('forces speed and duplex with auto-negotiation off', () => {
    const { phy, read, write, advance } = setup();
    advance(DEFAULT_AUTONEG_NANOS);
    write(PhyReg.BMCR, Bmcr.SPEED_100 | Bmcr.FULL_DUPLEX); // AN off: the link restarts
    expect(phy.linkUp).toBe(false);
    advance(DEFAULT_AUTONEG_NANOS);
    expect(phy.linkUp).toBe(true);
    const pscsr = read(PhyReg.PSCSR);
    expect(pscsr & Pscsr.AUTODONE).toBe(0);
    expect(speedIndication(pscsr)).toBe(SpeedIndication.TX_FD);
    write(PhyReg.BMCR, 0); // 10BASE-T half duplex
    advance(DEFAULT_AUTONEG_NANOS);
    expect(speedIndication(read(PhyReg.PSCSR))).toBe(SpeedIndication.T10_HD);
    expect(phy.speed).toBe(10);
  });

  it('drops the link while powered down and renegotiates when powered up', () => {
    const { phy, read, write, advance } = setup();
    advance(DEFAULT_AUTONEG_NANOS);
    write(PhyReg.BMCR, Bmcr.AN_ENABLE | Bmcr.POWER_DOWN);
    expect(phy.linkUp).toBe(false);
    expect(read(PhyReg.MCSR) & 2).toBe(0); // no ENERGYON while powered down
    advance(10 * DEFAULT_AUTONEG_NANOS);
    expect(phy.linkUp).toBe(false);
    write(PhyReg.BMCR, Bmcr.AN_ENABLE);
    expect(read(PhyReg.MCSR) & 2).toBe(2);
    advance(DEFAULT_AUTONEG_NANOS);
    expect(phy.linkUp).toBe(true);
  });

  it('keeps the link down while unplugged', () => {
    const { phy, read, advance } = setup();
    phy.setLink(false);
    advance(10 * DEFAULT_AUTONEG_NANOS);
    expect(phy.linkUp).toBe(false);
    expect(read(PhyReg.BMSR) & (Bmsr.LINK_STATUS | Bmsr.AN_COMPLETE)).toBe(0);
    expect(read(PhyReg.MCSR) & 2).toBe(0);
  });

  it('stays on its nanosecond schedule across a core clock change', () => {
    const { clock, phy, advance } = setup();
    advance(DEFAULT_AUTONEG_NANOS / 2);
    clock.setFrequency(168_000_000);
    advance(DEFAULT_AUTONEG_NANOS / 2 - 1000);
    expect(phy.linkUp).toBe(false);
    advance(1000);
    expect(phy.linkUp).toBe(true);
  });

  it('reads reserved registers as 0 and warns once per register, naming it', () => {
    const { read, write, warnings } = setup();
    expect(read(15)).toBe(0);
    expect(read(15)).toBe(0);
    write(15, 0xffff);
    expect(read(15)).toBe(0);
    write(28, 1);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/register 15\b/);
    expect(warnings[1]).toMatch(/register 28\b/);
  });
});
