/**
 * How long an access to an FSMC bank holds the AHB (RM0090 36.5 and 36.6), in HCLK cycles —
 * the wait states the core is stalled for, charged through Clock.stall. Counted as RM0090's
 * timing-register descriptions count each phase (36.5.6 BTRx/BWTRx, 36.6.8 PMEMx/PATTx/PIO4):
 *
 *  - NOR/PSRAM/SRAM, asynchronous: ADDSET (address setup) + ADDHLD (mode D and multiplexed only)
 *    + DATAST for a read, DATAST + 1 for a write (the extra cycle raises NWE). With EXTMOD set,
 *    writes use BWTRx's timings and access mode.
 *  - NOR/PSRAM, synchronous (BURSTEN for reads, CBURSTRW for writes): DATLAT + 2 memory clocks to
 *    the first data, then one a data beat; a memory clock is CLKDIV + 1 HCLK cycles.
 *  - NAND and PC Card: (MEMSET + 1) + (MEMWAIT + 1) + MEMHOLD from PMEMx for the common memory
 *    space, PATTx for the attribute space, PIO4 for bank 4's I/O space.
 *  - An AHB access wider than the memory (MWID, PWID) is split into several data beats, each a
 *    whole transaction for an asynchronous memory (RM0090 36.4.1).
 *  - BUSTURN is inserted after a write, or after a read in mode D or multiplexed, before the
 *    next transaction, except between two asynchronous non-multiplexed writes to one bank.
 *
 * Not counted: the AHB interface's own latency (RM0090 gives no figure), the NWAIT signal (no
 * device drives it), and the write FIFO, which buffers AHB write bursts only.
 */
import type { AccessSize } from '../../bus/bus.js';

/** The register values an access's timing depends on. */
export interface SramBankTiming {
  readonly bcr: number;
  readonly btr: number;
  readonly bwtr: number;
}

export interface NandBankTiming {
  readonly pcr: number;
  /** PMEMx, PATTx, or PIO4: the timing register of the space accessed. */
  readonly space: number;
}

const field = (v: number, lsb: number, width: number) => (v >>> lsb) & ((1 << width) - 1);

/** Data beats an AHB access of `size` bytes takes on a bus `widthCode` wide (0: 8, 1: 16 bits). */
function beats(size: AccessSize, widthCode: number): number {
  const width = widthCode === 0 ? 1 : 2;
  return size <= width ? 1 : size / width;
}

/** ACCMOD 3: mode D, whose address phase has a hold phase (ADDHLD) as multiplexed mode does. */
const MODE_D = 3;

/** Whether the bank's transactions hold the address (mode D or multiplexed): BUSTURN applies. */
export function holdsAddress(t: SramBankTiming, write: boolean): boolean {
  const extended = write && (t.bcr & (1 << 14)) !== 0;
  const timing = extended ? t.bwtr : t.btr;
  return (t.bcr & (1 << 1)) !== 0 || (field(t.bcr, 14, 1) !== 0 && field(timing, 28, 2) === MODE_D);
}

/** HCLK cycles of one AHB access of `size` bytes to a NOR/PSRAM/SRAM sub-bank. */
export function sramAccessCycles(t: SramBankTiming, write: boolean, size: AccessSize): number {
  const n = beats(size, field(t.bcr, 4, 2));
  const synchronous = (t.bcr & (write ? 1 << 19 : 1 << 8)) !== 0;
  if (synchronous) {
    const memClock = field(t.btr, 20, 4) + 1;
    return memClock * (field(t.btr, 24, 4) + 2 + (n - 1));
  }
  const timing = write && (t.bcr & (1 << 14)) !== 0 ? t.bwtr : t.btr;
  const hold = holdsAddress(t, write) ? field(timing, 4, 4) : 0;
  const perBeat = field(timing, 0, 4) + hold + field(timing, 8, 8) + (write ? 1 : 0);
  return n * perBeat;
}

/** The bus turnaround after a transaction (BUSTURN of the timing register used). */
export function busTurnaround(t: SramBankTiming, write: boolean): number {
  const timing = write && (t.bcr & (1 << 14)) !== 0 ? t.bwtr : t.btr;
  return field(timing, 16, 4);
}

/** HCLK cycles of one AHB access of `size` bytes to a NAND or PC Card bank. */
export function nandAccessCycles(t: NandBankTiming, size: AccessSize): number {
  const n = beats(size, field(t.pcr, 4, 2));
  const s = t.space;
  return n * (field(s, 0, 8) + 1 + field(s, 8, 8) + 1 + field(s, 16, 8));
}
