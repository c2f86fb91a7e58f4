import { describe, expect, it } from 'vitest';
import { BusError } from '../../bus/bus.js';
import { Machine } from '../../machine/machine.js';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { testContext } from '../rcc/testing.js';
import { FSMC_BCR, FSMC_PCR, Fsmc, FsmcBanks, type FsmcDevice } from './fsmc.js';

const REGS = 0xa0000000;
const BCR = (n: number) => REGS + 8 * (n - 1);
const BTR = (n: number) => REGS + 8 * (n - 1) + 4;
const BWTR = (n: number) => REGS + 0x104 + 8 * (n - 1);
const PCR = (n: number) => REGS + 0x60 + 0x20 * (n - 2);
const SR = (n: number) => PCR(n) + 4;
const FSMC_IRQ = 48;

function setup() {
  const t = testContext();
  const fsmc = t.attach(new Fsmc(socBlock('FSMC'), t.ctx));
  const clock = { on: true };
  const banks = t.attach(new FsmcBanks(socBlock('FSMC banks'), t.ctx, fsmc, () => clock.on));
  return { ...t, fsmc, banks, clock };
}

/** Remembers every access and answers reads from a small memory. */
class TestDevice implements FsmcDevice {
  readonly log: string[] = [];
  readonly mem = new Map<number, number>();
  read(offset: number, size: number): number {
    this.log.push(`r${size} ${offset.toString(16)}`);
    return this.mem.get(offset) ?? 0x1234;
  }
  write(offset: number, value: number, size: number): void {
    this.log.push(`w${size} ${offset.toString(16)}=${value.toString(16)}`);
    this.mem.set(offset, value);
  }
}

function busError(f: () => void): BusError {
  try {
    f();
  } catch (e) {
    if (e instanceof BusError) return e;
    throw e;
  }
  throw new Error('no BusError');
}

describe('FSMC registers', () => {
  it('reset values as RM0090 36.5/36.6 give them', () => {
    const { bus } = setup();
    expect(bus.read32(BCR(1))).toBe(0x30db);
    for (const n of [2, 3, 4]) expect(bus.read32(BCR(n))).toBe(0x30d2);
    for (const n of [1, 2, 3, 4]) {
      expect(bus.read32(BTR(n))).toBe(0x0fffffff);
      expect(bus.read32(BWTR(n))).toBe(0x0fffffff);
    }
    for (const n of [2, 3, 4]) {
      expect(bus.read32(PCR(n))).toBe(0x18);
      expect(bus.read32(SR(n))).toBe(0x40);
      expect(bus.read32(PCR(n) + 8)).toBe(0xfcfcfcfc); // PMEM
      expect(bus.read32(PCR(n) + 0xc)).toBe(0xfcfcfcfc); // PATT
    }
    expect(bus.read32(REGS + 0xb0)).toBe(0xfcfcfcfc); // PIO4
    expect(bus.read32(REGS + 0x74)).toBe(0); // ECCR2
  });

  it('stores the timings and control bits, masks reserved bits, keeps FEMPT and ECCR read-only', () => {
    const { bus } = setup();
    bus.write32(BTR(1), 0xffffffff);
    expect(bus.read32(BTR(1))).toBe(0x3fffffff);
    bus.write32(BTR(2), 0x00000201); // ADDSET 1, DATAST 2
    expect(bus.read32(BTR(2))).toBe(0x201);
    bus.write32(BWTR(3), 0x0001_0f05);
    expect(bus.read32(BWTR(3))).toBe(0x10f05);
    bus.write32(BCR(2), 0xffffffff);
    expect(bus.read32(BCR(2))).toBe(0x8ffff);
    bus.write32(SR(2), 0);
    expect(bus.read32(SR(2))).toBe(0x40);
    bus.write32(REGS + 0x74, 0xffffffff);
    expect(bus.read32(REGS + 0x74)).toBe(0);
  });

  it('raises the FSMC interrupt from a status bit with its enable', () => {
    const { bus, irqs } = setup();
    bus.write32(SR(3), 0x01); // IRS without IREN
    expect(irqs.get(FSMC_IRQ)).toBe(false);
    bus.write32(SR(3), 0x09); // IRS + IREN
    expect(irqs.get(FSMC_IRQ)).toBe(true);
    bus.write32(SR(3), 0x08);
    expect(irqs.get(FSMC_IRQ)).toBe(false);
  });
});

describe('FSMC external banks', () => {
  it('bank 1 NE1 answers at reset (BCR1.MBKEN set); NE2-4 and banks 2-4 fault until enabled', () => {
    const { bus } = setup();
    bus.write16(0x60000000, 0xbeef);
    expect(bus.read16(0x60000000)).toBe(0xbeef); // nothing attached: the last value written
    for (const a of [0x64000000, 0x68000000, 0x6c000000, 0x70000000, 0x80000000, 0x90000000]) {
      const e = busError(() => bus.read16(a));
      expect(e.address, a.toString(16)).toBe(a);
      expect(e.write).toBe(false);
      expect(busError(() => bus.write16(a + 2, 1)).write).toBe(true);
    }
    bus.write32(BCR(3), bus.read32(BCR(3)) | FSMC_BCR.mask.MBKEN);
    expect(() => bus.write16(0x68000000, 5)).not.toThrow();
    bus.write32(PCR(4), bus.read32(PCR(4)) | FSMC_PCR.mask.PBKEN);
    expect(bus.read8(0x9fffffff)).toBe(5);
    expect(busError(() => bus.read8(0x8fffffff)).reason).toMatch(/bank 3 \(PCR3\.PBKEN clear\)/);
    bus.write32(BCR(1), 0x30da); // MBKEN clear
    expect(busError(() => bus.write32(0x60000000, 0)).reason).toMatch(/NE1, BCR1\.MBKEN/);
  });

  it('faults while the FSMC clock (RCC_AHB3ENR.FSMCEN) is off, even on an enabled bank', () => {
    const { bus, clock } = setup();
    clock.on = false;
    expect(busError(() => bus.write16(0x60000000, 1)).reason).toMatch(/FSMCEN/);
    clock.on = true;
    expect(() => bus.write16(0x60000000, 1)).not.toThrow();
  });

  it('an undriven bus reads the last value written, masked to the access size', () => {
    const { bus } = setup();
    expect(bus.read32(0x60000100)).toBe(0);
    bus.write32(0x60000000, 0x12345678);
    expect(bus.read32(0x60000004)).toBe(0x12345678);
    expect(bus.read16(0x60000004)).toBe(0x5678);
    expect(bus.read8(0x60000004)).toBe(0x78);
  });

  it('passes accesses to an attached device with offsets inside its bank', () => {
    const { bus, banks, fsmc } = setup();
    const lcd = new TestDevice();
    const nand = new TestDevice();
    banks.attach(1, lcd, 2);
    const detach = banks.attach(3, nand);
    expect(() => banks.attach(1, new TestDevice(), 2)).toThrow(/already/);
    fsmc.bcr[1]!.value |= FSMC_BCR.mask.MBKEN;
    fsmc.pcr[1]!.value |= FSMC_PCR.mask.PBKEN;
    bus.write16(0x64000000, 0x22); // LCD register select
    bus.write16(0x64020000, 0x5555); // LCD data (A16 high)
    expect(bus.read16(0x64020000)).toBe(0x5555);
    expect(bus.read8(0x60000000)).toBe(0x55); // NE1: nothing there, the bus floats
    bus.write8(0x80000010, 0x70);
    expect(bus.read32(0x80010000)).toBe(0x1234);
    expect(lcd.log).toEqual(['w2 0=22', 'w2 20000=5555', 'r2 20000']);
    expect(nand.log).toEqual(['w1 10=70', 'r4 10000']);
    detach();
    expect(bus.read32(0x80010000)).toBe(0x70); // floats again
  });

  it('the machine maps the banks, and the board attaches devices', () => {
    const m = new Machine({ warn: () => {} });
    const dev = new TestDevice();
    m.board.attachFsmcDevice(1, dev);
    expect(() => m.bus.write16(0x60000002, 1)).toThrow(BusError); // FSMCEN clear at reset
    m.bus.write32(0x40023838, 1); // RCC_AHB3ENR.FSMCEN
    m.bus.write16(0x60000002, 0xabcd);
    expect(m.bus.read16(0x60000002)).toBe(0xabcd);
    expect(dev.log).toEqual(['w2 2=abcd', 'r2 2']);
    expect(() => m.bus.read16(0x70000000)).toThrow(BusError);
  });
});

describe('FSMC bus time (./timing.ts)', () => {
  const BANK1 = 0x60000000;
  /** The HCLK cycles `access` stalls the core for, as if the core made it. */
  function stall(clock: { cycles: number; executing: boolean }, access: () => void): number {
    const before = clock.cycles;
    clock.executing = true;
    try {
      access();
    } finally {
      clock.executing = false;
    }
    return clock.cycles - before;
  }

  it('charges the reset timings (multiplexed NOR, 16 bits: ADDSET 15 + ADDHLD 15 + DATAST 255)', () => {
    const { bus, ctx } = setup();
    const clock = ctx.clock;
    expect(stall(clock, () => bus.read16(BANK1))).toBe(15 + 15 + 255);
  });

  it('SRAM mode 1: ADDSET + DATAST a read, + 1 a write, a beat per 16 bits', () => {
    const { bus, ctx } = setup();
    const clock = ctx.clock;
    bus.write32(BTR(1), 0x0601); // ADDSET 1, DATAST 6, BUSTURN 0
    bus.write32(BCR(1), FSMC_BCR.mask.MBKEN | 0x10 | FSMC_BCR.mask.WREN); // SRAM, 16 bits
    expect(stall(clock, () => bus.read16(BANK1))).toBe(1 + 6);
    expect(stall(clock, () => bus.write16(BANK1, 1))).toBe(1 + 6 + 1);
    expect(stall(clock, () => bus.write32(BANK1, 1))).toBe(2 * (1 + 6 + 1));
    expect(stall(clock, () => bus.read8(BANK1))).toBe(1 + 6);
    bus.write32(BCR(1), FSMC_BCR.mask.MBKEN | FSMC_BCR.mask.WREN); // 8 bits
    expect(stall(clock, () => bus.read32(BANK1))).toBe(4 * (1 + 6));
  });

  it('EXTMOD: writes take BWTR timings; mode D adds ADDHLD', () => {
    const { bus, ctx } = setup();
    const clock = ctx.clock;
    bus.write32(BTR(1), 0x0601);
    bus.write32(BWTR(1), 0x3000_0322); // ACCMOD D, DATAST 3, ADDHLD 2, ADDSET 2
    bus.write32(BCR(1), FSMC_BCR.mask.MBKEN | 0x10 | FSMC_BCR.mask.WREN | FSMC_BCR.mask.EXTMOD);
    expect(stall(clock, () => bus.write16(BANK1, 1))).toBe(2 + 2 + 3 + 1);
    expect(stall(clock, () => bus.read16(BANK1))).toBe(1 + 6);
  });

  it('BUSTURN after a write, not between asynchronous writes to one bank', () => {
    const { bus, ctx } = setup();
    const clock = ctx.clock;
    bus.write32(BTR(1), 0x0003_0601); // BUSTURN 3
    bus.write32(BCR(1), FSMC_BCR.mask.MBKEN | 0x10 | FSMC_BCR.mask.WREN);
    expect(stall(clock, () => bus.write16(BANK1, 1))).toBe(8);
    expect(stall(clock, () => bus.write16(BANK1, 2))).toBe(8);
    expect(stall(clock, () => bus.read16(BANK1))).toBe(3 + 7);
    expect(stall(clock, () => bus.read16(BANK1))).toBe(7); // mode 1 reads leave no turnaround
  });

  it('synchronous bursts: (DATLAT + 2 + beats - 1) memory clocks of CLKDIV + 1', () => {
    const { bus, ctx } = setup();
    const clock = ctx.clock;
    bus.write32(BTR(1), 0x0210_0000); // DATLAT 2, CLKDIV 1
    bus.write32(BCR(1), FSMC_BCR.mask.MBKEN | 0x10 | 0x4 | FSMC_BCR.mask.BURSTEN); // PSRAM
    expect(stall(clock, () => bus.read16(BANK1))).toBe(2 * (2 + 2));
    expect(stall(clock, () => bus.read32(BANK1))).toBe(2 * (2 + 2 + 1));
  });

  it('NAND: (MEMSET + 1) + (MEMWAIT + 1) + MEMHOLD from PMEM, PATT for the attribute space', () => {
    const { bus, ctx } = setup();
    const clock = ctx.clock;
    bus.write32(PCR(2), FSMC_PCR.mask.PBKEN | 0x10); // 16 bits
    bus.write32(PCR(2) + 8, 0x0003_0502); // PMEM2: MEMHOLD 3, MEMWAIT 5, MEMSET 2
    bus.write32(PCR(2) + 0xc, 0x0001_0101); // PATT2
    expect(stall(clock, () => bus.read16(0x70000000))).toBe(3 + 6 + 3);
    expect(stall(clock, () => bus.read16(0x78000000))).toBe(2 + 2 + 1);
  });

  it('costs nothing outside the core (a debugger, a transfer between batches)', () => {
    const { bus, ctx } = setup();
    const clock = ctx.clock;
    const before = clock.cycles;
    bus.read16(BANK1);
    bus.write16(BANK1, 1);
    expect(clock.cycles).toBe(before);
  });

  it('a store loop runs slower with slower timings (whole machine, virtual time)', () => {
    const run = (btr: number): number => {
      const m = new Machine();
      m.bus.write32(0x40023838, 1); // RCC_AHB3ENR.FSMCEN
      m.bus.write32(BTR(1), btr);
      m.bus.write32(BCR(1), FSMC_BCR.mask.MBKEN | 0x10 | FSMC_BCR.mask.WREN);
      // movs r0,#0x60; lsls r0,#24; strh r1,[r0]; strh r1,[r0]; b .
      const code = [0x2060, 0x0600, 0x8001, 0x8001, 0xe7fe];
      code.forEach((h, i) => m.bus.write16(0x20000000 + 2 * i, h));
      m.cpu.pc = 0x20000000;
      m.cpu.nextPc = m.cpu.pc;
      const start = m.clock.cycles;
      m.run(4);
      return m.clock.cycles - start;
    };
    expect(run(0x0f01) - run(0x0101)).toBe(2 * (0x0f - 0x01));
  });
});
