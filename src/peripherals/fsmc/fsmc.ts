/**
 * The flexible static memory controller (RM0090 section 36): its control registers at
 * 0xA0000000 (`Fsmc`) and the external bus it drives (`FsmcBanks`), 0x60000000-0x9FFFFFFF:
 *  - bank 1 (NOR/PSRAM/SRAM, an LCD controller), 0x60000000-0x6FFFFFFF, four 64 MB sub-banks
 *    selected by NE1-NE4 and enabled by BCR1-4.MBKEN (BCR1 has it set at reset, RM0090 36.5.6);
 *  - banks 2 and 3 (NAND), 0x70000000 and 0x80000000, enabled by PCR2/PCR3.PBKEN;
 *  - bank 4 (PC Card), 0x90000000, enabled by PCR4.PBKEN.
 *
 * An access to a disabled bank is a BusFault, as on the chip (RM0090 36.3: "an AHB error is
 * generated ... when the corresponding bank is not enabled"), and so is one while the FSMC's
 * clock is off (RCC_AHB3ENR.FSMCEN clear at reset: the controller cannot answer; firmware such
 * as NuttX enables it before touching the banks). An enabled bank passes accesses
 * to the device the board attached there (`attach`, offsets from the start of the sub-bank or
 * bank). With nothing attached, stores complete and loads return what an undriven data bus
 * holds; that value is a model choice: the last value written to the external bus (the data
 * lines' capacitance keeps the level last driven for a while), 0 before any write.
 *
 * Each access takes the bus time its bank's timing registers give (./timing.ts: BTRx/BWTRx,
 * PMEMx/PATTx/PIO4, the memory width, BUSTURN): the core is stalled that many HCLK cycles
 * (Clock.stall), so firmware with slow timings runs slower, as on the chip. Stored, not acted
 * on: the memory type, the NAND ECC (ECCR reads 0: no NAND page is ever transferred). The interrupt (FSMC, IRQ 48) follows SR2-4's status and enable bits;
 * nothing on the board drives the ready/busy line, so only firmware sets the status bits.
 */
import { BusError, type AccessSize } from '../../bus/bus.js';
import { Peripheral, irqLine, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import { registerFields } from '../registerFields.js';
import type { Register } from '../registers.js';
import { busTurnaround, holdsAddress, nandAccessCycles, sramAccessCycles } from './timing.js';

/** A device on the FSMC's external bus (an LCD controller, a PSRAM...). */
export interface FsmcDevice {
  /** `offset` from the start of the bank (or bank 1's sub-bank) the device sits on. */
  read(offset: number, size: AccessSize): number;
  write(offset: number, value: number, size: AccessSize): void;
}

/** SRAM/NOR-flash chip-select control register (BCR1-4). */
export const FSMC_BCR = registerFields([
  { name: 'MBKEN', bits: 0 },
  { name: 'MUXEN', bits: 1 },
  { name: 'MTYP', bits: [3, 2] },
  { name: 'MWID', bits: [5, 4] },
  { name: 'FACCEN', bits: 6 },
  { name: 'RESERVED7', bits: 7 }, // reads 1 (reset value), kept as written
  { name: 'BURSTEN', bits: 8 },
  { name: 'WAITPOL', bits: 9 },
  { name: 'WRAPMOD', bits: 10 },
  { name: 'WAITCFG', bits: 11 },
  { name: 'WREN', bits: 12 },
  { name: 'WAITEN', bits: 13 },
  { name: 'EXTMOD', bits: 14 },
  { name: 'ASYNCWAIT', bits: 15 },
  { name: 'CBURSTRW', bits: 19 },
]);

/** Chip-select timing registers (BTR1-4) and write timing registers (BWTR1-4). */
export const FSMC_BTR = registerFields([
  { name: 'ADDSET', bits: [3, 0] },
  { name: 'ADDHLD', bits: [7, 4] },
  { name: 'DATAST', bits: [15, 8] },
  { name: 'BUSTURN', bits: [19, 16] },
  { name: 'CLKDIV', bits: [23, 20] },
  { name: 'DATLAT', bits: [27, 24] },
  { name: 'ACCMOD', bits: [29, 28] },
]);

/** PC Card/NAND control registers (PCR2-4). */
export const FSMC_PCR = registerFields([
  { name: 'PWAITEN', bits: 1 },
  { name: 'PBKEN', bits: 2 },
  { name: 'PTYP', bits: 3 },
  { name: 'PWID', bits: [5, 4] },
  { name: 'ECCEN', bits: 6 },
  { name: 'TCLR', bits: [12, 9] },
  { name: 'TAR', bits: [16, 13] },
  { name: 'ECCPS', bits: [19, 17] },
]);

/** FIFO status and interrupt registers (SR2-4). */
export const FSMC_SR = registerFields([
  { name: 'IRS', bits: 0 },
  { name: 'ILS', bits: 1 },
  { name: 'IFS', bits: 2 },
  { name: 'IREN', bits: 3 },
  { name: 'ILEN', bits: 4 },
  { name: 'IFEN', bits: 5 },
  { name: 'FEMPT', bits: 6, access: 'ro' },
]);

const SPACE = registerFields([
  { name: 'MEMSET', bits: [7, 0] },
  { name: 'MEMWAIT', bits: [15, 8] },
  { name: 'MEMHOLD', bits: [23, 16] },
  { name: 'MEMHIZ', bits: [31, 24] },
]);

/** Where the external banks start, and bank 1's sub-bank size. */
export const FSMC_BANKS_BASE = 0x60000000;
const SUB_BANK_SIZE = 0x04000000; // 64 MB
const BANK_SIZE = 0x10000000; // 256 MB

export class Fsmc extends Peripheral {
  /** BCR1-4, BTR1-4, BWTR1-4 (index 0 = bank 1's NE1). */
  readonly bcr: Register[] = [];
  readonly btr: Register[] = [];
  readonly bwtr: Register[] = [];
  /** PCR2-4 and SR2-4 (index 0 = bank 2). */
  readonly pcr: Register[] = [];
  readonly sr: Register[] = [];
  /** PMEM2-4 and PATT2-4 (index 0 = bank 2), and PIO4. */
  readonly pmem: Register[] = [];
  readonly patt: Register[] = [];
  private pio4!: Register;
  private readonly irq: number;

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    this.irq = irqLine(block, 'FSMC');
    const r = this.regs;
    for (let n = 1; n <= 4; n++) {
      const at = 8 * (n - 1);
      // RM0090 36.5.6: BCR1 resets to 0x000030DB (bank enabled, NOR), BCR2-4 to 0x000030D2.
      this.bcr.push(
        r.define({
          name: `BCR${n}`,
          offset: at,
          reset: n === 1 ? 0x30db : 0x30d2,
          fields: FSMC_BCR.specs,
        }),
      );
      this.btr.push(
        r.define({ name: `BTR${n}`, offset: at + 4, reset: 0x0fffffff, fields: FSMC_BTR.specs }),
      );
      this.bwtr.push(
        r.define({
          name: `BWTR${n}`,
          offset: 0x104 + at,
          reset: 0x0fffffff,
          fields: FSMC_BTR.specs,
        }),
      );
    }
    for (let n = 2; n <= 4; n++) {
      const at = 0x60 + 0x20 * (n - 2);
      this.pcr.push(r.define({ name: `PCR${n}`, offset: at, reset: 0x18, fields: FSMC_PCR.specs }));
      this.sr.push(
        r.define({
          name: `SR${n}`,
          offset: at + 4,
          reset: 0x40, // FEMPT: the FIFO is empty
          fields: FSMC_SR.specs,
          onWrite: () => this.updateIrq(),
        }),
      );
      const space = (name: string, offset: number) =>
        r.define({ name, offset, reset: 0xfcfcfcfc, fields: SPACE.specs });
      this.pmem.push(space(`PMEM${n}`, at + 8));
      this.patt.push(space(`PATT${n}`, at + 0xc));
      if (n === 4) this.pio4 = space('PIO4', 0xb0);
      else
        r.define({
          name: `ECCR${n}`,
          offset: at + 0x14,
          fields: [{ name: 'ECC', bits: [31, 0], access: 'ro' }],
        });
    }
  }

  override updateIrq(): void {
    let level = false;
    for (const reg of this.sr) {
      const v = reg.value;
      // Each status bit (IRS, ILS, IFS) with its enable three bits up (IREN, ILEN, IFEN).
      if (v & (v >>> 3) & 7) level = true;
    }
    this.ctx.setIrq(this.irq, level);
  }

  /**
   * The HCLK cycles an access of `size` bytes at `inBank` (its offset inside the bank) holds the
   * bus for, and the turnaround it leaves before the next one (./timing.ts).
   */
  accessCycles(index: number, inBank: number, write: boolean, size: AccessSize): number {
    if (index < 4) {
      return sramAccessCycles(this.sramTiming(index), write, size);
    }
    const n = index - 4;
    const space =
      inBank < 0x08000000
        ? this.pmem[n]!
        : n === 2 && inBank >= 0x0c000000
          ? this.pio4
          : this.patt[n]!;
    return nandAccessCycles({ pcr: this.pcr[n]!.value, space: space.value }, size);
  }

  /**
   * The turnaround (BUSTURN) a transaction on `index` leaves before the next one, or -1 when it
   * leaves none (RM0090 36.5.6): after a write, or a read in mode D or multiplexed, on bank 1.
   */
  turnaroundAfter(index: number, write: boolean): number {
    if (index >= 4) return -1;
    const t = this.sramTiming(index);
    return write || holdsAddress(t, false) ? busTurnaround(t, write) : -1;
  }

  /** Whether two writes in a row to `index` skip the turnaround (asynchronous, not muxed/D). */
  writesChain(index: number): boolean {
    if (index >= 4) return true;
    const t = this.sramTiming(index);
    return (t.bcr & FSMC_BCR.mask.CBURSTRW) === 0 && !holdsAddress(t, true);
  }

  private sramTiming(index: number) {
    return {
      bcr: this.bcr[index]!.value,
      btr: this.btr[index]!.value,
      bwtr: this.bwtr[index]!.value,
    };
  }

  /**
   * Whether the bank at `index` (0-3: bank 1's NE1-NE4, 4-6: banks 2, 3, 4) answers accesses:
   * BCRx.MBKEN for bank 1, PCRx.PBKEN for the others.
   */
  bankEnabled(index: number): boolean {
    if (index < 4) return (this.bcr[index]!.value & FSMC_BCR.mask.MBKEN) !== 0;
    return (this.pcr[index - 4]!.value & FSMC_PCR.mask.PBKEN) !== 0;
  }
}

/** Bank numbers as RM0090 counts them; `subBank` 1-4 (NE1-NE4) for bank 1. */
export type FsmcBank = 1 | 2 | 3 | 4;

/** The bank index (0-6) of an offset from 0x60000000, and the offset inside it. */
function bankIndex(offset: number): number {
  return offset < BANK_SIZE ? offset >>> 26 : 3 + (offset >>> 28);
}

/**
 * The external bus, 0x60000000-0x9FFFFFFF: the banks `Fsmc` enables, with the devices the
 * board attached.
 */
export class FsmcBanks extends Peripheral {
  private readonly devices: (FsmcDevice | undefined)[] = new Array<FsmcDevice | undefined>(7);
  /** What the undriven data lines read back: the last value written to the bus. */
  private floating = 0;
  /** The turnaround the last transaction left (-1: none), its bank, and whether it wrote. */
  private turnaround = -1;
  private lastIndex = -1;
  private lastWrite = false;

  constructor(
    block: BlockPlacement,
    ctx: PeripheralContext,
    private readonly fsmc: Fsmc,
    /** RCC_AHB3ENR.FSMCEN: the controller's clock. */
    private readonly clockEnabled: () => boolean = () => true,
  ) {
    super(block, ctx);
  }

  /**
   * Puts `device` on `bank` (bank 1: on sub-bank `subBank`, NE1-NE4). Returns a function that
   * takes it off again.
   */
  attach(bank: FsmcBank, device: FsmcDevice, subBank: 1 | 2 | 3 | 4 = 1): () => void {
    const index = bank === 1 ? subBank - 1 : bank + 2;
    if (this.devices[index])
      throw new Error(`FSMC bank ${bank}${bank === 1 ? `.${subBank}` : ''} already has a device`);
    this.devices[index] = device;
    return () => {
      if (this.devices[index] === device) this.devices[index] = undefined;
    };
  }

  /** Offset of `offset` (from 0x60000000) inside its bank or sub-bank. */
  private static inBank(offset: number, index: number): number {
    return index < 4 ? offset & (SUB_BANK_SIZE - 1) : offset & (BANK_SIZE - 1);
  }

  private check(offset: number, index: number, write: boolean): void {
    if (this.fsmc.bankEnabled(index) && this.clockEnabled()) return;
    const address = (this.base + offset) >>> 0;
    if (!this.clockEnabled())
      throw new BusError(address, write, 'the FSMC clock is off (RCC_AHB3ENR.FSMCEN clear)');
    const bank =
      index < 4
        ? `bank 1 (NE${index + 1}, BCR${index + 1}.MBKEN clear)`
        : `bank ${index - 2} (PCR${index - 2}.PBKEN clear)`;
    throw new BusError(address, write, `FSMC ${bank} is not enabled`);
  }

  /** Stalls the core for the access's bus time (./timing.ts), turnaround included. */
  private busTime(index: number, inBank: number, write: boolean, size: AccessSize): void {
    let cycles = this.fsmc.accessCycles(index, inBank, write, size);
    const chained =
      write && this.lastWrite && this.lastIndex === index && this.fsmc.writesChain(index);
    if (this.turnaround > 0 && !chained) cycles += this.turnaround;
    this.turnaround = this.fsmc.turnaroundAfter(index, write);
    this.lastIndex = index;
    this.lastWrite = write;
    this.ctx.clock.stall(cycles);
  }

  override read(offset: number, size: AccessSize): number {
    const index = bankIndex(offset);
    this.check(offset, index, false);
    this.busTime(index, FsmcBanks.inBank(offset, index), false, size);
    const device = this.devices[index];
    if (device) return device.read(FsmcBanks.inBank(offset, index), size) >>> 0;
    const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return (this.floating & mask) >>> 0;
  }

  override write(offset: number, value: number, size: AccessSize): void {
    const index = bankIndex(offset);
    this.check(offset, index, true);
    this.busTime(index, FsmcBanks.inBank(offset, index), true, size);
    this.floating = value >>> 0;
    this.devices[index]?.write(FsmcBanks.inBank(offset, index), value, size);
  }

  override reset(): void {
    super.reset();
    this.floating = 0;
    this.turnaround = this.lastIndex = -1;
    this.lastWrite = false;
  }
}
