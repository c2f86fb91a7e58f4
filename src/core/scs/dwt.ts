/**
 * The Data Watchpoint and Trace unit (ARMv7-M ARM C1.8) as the Cortex-M4 has it, and the ITM
 * (stimulus ports as output channels).
 *
 * DWT: the cycle counter (CYCCNT) and four comparators DWT_COMPn/MASKn/FUNCTIONn (C1.8.7,
 * C1.8.15-C1.8.17). A comparator with FUNCTION 4-7 is a watchpoint: 4 on the address of an
 * instruction about to execute (PC match), 5 on data reads, 6 on writes, 7 on both; MASKn
 * ignores the low MASK address bits (an access matches when any byte it touches lies in the
 * masked range). FUNCTION 8-11 (ETM triggers, same matches) only set MATCHED: there is no ETM.
 * A match sets FUNCTION.MATCHED (cleared when FUNCTION is read) and a watchpoint is a debug
 * event (scs/debugMonitor.ts): a halting debugger stops, else DEMCR.MON_EN takes DebugMonitor
 * with DFSR.DWTTRAP (for a data access once its instruction completed; for a PC match before
 * the instruction executes), else it is ignored. Comparator 0 also matches CYCCNT against COMP0
 * (CYCMATCH), checked by a clock alarm. Comparator 1 also matches data values (DATAVMATCH,
 * LNK1ENA reads 1): COMP1 holds the value, DATAVSIZE the access size, and the access must hit
 * the address range of the linked comparators DATAVADDR0 and DATAVADDR1 (the Cortex-M3 TRM,
 * DDI 0337G p. 11-25: value comparisons follow an address match by the associated comparators;
 * only their bits 1:0 exist, as there are four comparators). MASKn has bits 3:0 (the same
 * TRM: at most a 32 KB range). Everything is gated by DEMCR.TRCENA, as on the chip. Trace
 * functions (1-3, 12-15) emit packets on a real chip: stored here, they match nothing.
 *
 * Data comparators are bus watchpoints owned by 'dwt' (the GDB server's are 'debugger'): the
 * pages they cover leave the fast path, other pages pay nothing; instruction fetches never
 * match them (the bus suppresses watchpoints while the core decodes). PC comparators are code
 * hooks (Cpu.addCodeHook), free for unhooked code.
 */
import type { Alarm, Clock } from '../../clock/clock.js';
import type { Bus, MmioDevice, AccessSize, Watchpoint, WatchKind } from '../../bus/bus.js';
import type { Cpu } from '../cpu.js';
import { HaltedAt, type DebugMonitor } from './debugMonitor.js';

// Register offsets (C1.8.7-C1.8.17) from 0xE0001000.
const DWT_CTRL = 0x000;
const DWT_CYCCNT = 0x004;
const DWT_COMP0 = 0x020;
/** COMPn, MASKn, FUNCTIONn repeat every 16 bytes. */
const COMPARATOR_STRIDE = 0x10;
const DWT_MASK = 0x4;
const DWT_FUNCTION = 0x8;
const PERIPHERAL_IDS = 0xfd0;

export const DWT_NUM_COMP = 4;
/** DWT_CTRL at reset: NUMCOMP 4; NOTRCPKT, NOEXTTRIG, NOCYCCNT, NOPRFCNT 0 (all present). */
const CTRL_RESET = (DWT_NUM_COMP << 28) >>> 0;
/** DWT_CTRL writable fields: CYCCNTENA..PCSAMPLENA (12:0), EXCTRCENA..CYCEVTENA (22:16). */
const CTRL_WRITABLE = 0x007f1fff;
const CTRL_CYCCNTENA = 1;
/** DWT_MASKn: MASK[3:0] on the Cortex-M3/M4 (at most a 32 KB range). */
const MASK_BITS = 0xf;
/** DWT_FUNCTIONn fields (C1.8.17). */
const FUNCTION_MATCHED = 1 << 24;
const FUNCTION_CYCMATCH = 1 << 7;
const FUNCTION_DATAVMATCH = 1 << 8;
const FUNCTION_LNK1ENA = 1 << 9;
/** FUNCTION and EMITRANGE on every comparator; CYCMATCH on comparator 0 only. */
const FUNCTION_WRITABLE = 0x2f;
/** Comparator 1's value-matching fields: DATAVMATCH, DATAVSIZE, DATAVADDR0[1:0], DATAVADDR1[1:0]. */
const FUNCTION1_WRITABLE = FUNCTION_WRITABLE | FUNCTION_DATAVMATCH | 0x33c00;
/** The comparator that can match data values. */
const VALUE_COMPARATOR = 1;

/** FUNCTION values (CYCMATCH and DATAVMATCH clear): the watchpoints and ETM triggers. */
const FN_WATCH_PC = 4;
const FN_ETM_PC = 8;
const DATA_KINDS: Partial<Record<number, WatchKind>> = {
  5: 'read',
  6: 'write',
  7: 'access',
  9: 'read',
  10: 'write',
  11: 'access',
};

export class Dwt implements MmioDevice {
  readonly name = 'DWT';
  ctrl = CTRL_RESET;
  private cyccntBase = 0;
  private cyccntFrozen = 0;
  /** CPICNT...PCSR: stored only. */
  private regs = new Map<number, number>();
  readonly comp = new Uint32Array(DWT_NUM_COMP);
  readonly mask = new Uint32Array(DWT_NUM_COMP);
  readonly func = new Uint32Array(DWT_NUM_COMP);
  /** FUNCTION.MATCHED per comparator, one bit each. */
  private matched = 0;
  /** DEMCR.TRCENA gates the DWT, as on the chip. */
  traceEnabled: () => boolean = () => true;
  /** Removers of the code hooks standing for the PC comparators now armed. */
  private pcHooks: Array<() => void> = [];
  /** A PC match a debugger halted at, executed once when resumed from it (-1: none). */
  private readonly halted = new HaltedAt();
  private cpu: Cpu | null = null;
  private bus: Bus | null = null;
  private monitor: DebugMonitor | null = null;
  private readonly cycleAlarm: Alarm;

  constructor(private readonly clock: Clock) {
    this.cycleAlarm = clock.createAlarm(() => this.cycleMatch());
  }

  /** Connects the comparators to the core, its bus and the debug event logic. */
  attach(cpu: Cpu, bus: Bus, monitor: DebugMonitor): void {
    this.cpu = cpu;
    this.bus = bus;
    this.monitor = monitor;
  }

  reset(): void {
    this.ctrl = CTRL_RESET;
    this.cyccntBase = this.clock.cycles;
    this.cyccntFrozen = 0;
    this.regs.clear();
    this.comp.fill(0);
    this.mask.fill(0);
    this.func.fill(0);
    this.matched = 0;
    this.halted.clear();
    this.rearm();
  }

  private get counting(): boolean {
    return (this.ctrl & CTRL_CYCCNTENA) !== 0 && this.traceEnabled();
  }

  get cyccnt(): number {
    return this.counting ? (this.clock.cycles - this.cyccntBase) >>> 0 : this.cyccntFrozen;
  }

  read(offset: number, size: AccessSize): number {
    const word = this.readWord(offset & ~3);
    return size === 4 ? word : (word >>> (8 * (offset & 3))) & (size === 1 ? 0xff : 0xffff);
  }

  private readWord(offset: number): number {
    if (offset === DWT_CTRL) return this.ctrl >>> 0;
    if (offset === DWT_CYCCNT) return this.cyccnt;
    if (offset >= PERIPHERAL_IDS) return DWT_IDS[(offset - PERIPHERAL_IDS) >>> 2] ?? 0;
    const n = this.comparatorAt(offset);
    if (n >= 0) {
      const reg = offset & (COMPARATOR_STRIDE - 1);
      if (reg === 0) return this.comp[n]!;
      if (reg === DWT_MASK) return this.mask[n]!;
      if (reg === DWT_FUNCTION) {
        // MATCHED: set by a match, cleared by this read (C1.8.17).
        const v = this.functionBits(n) | ((this.matched >>> n) & 1 ? FUNCTION_MATCHED : 0);
        this.matched &= ~(1 << n);
        return v >>> 0;
      }
      return 0;
    }
    return this.regs.get(offset) ?? 0;
  }

  write(offset: number, value: number, size: AccessSize): void {
    if (size !== 4) {
      // A narrower store merges into the word (the DWT's registers are word registers).
      const shift = 8 * (offset & 3);
      const lanes = ((size === 2 ? 0xffff : 0xff) << shift) >>> 0;
      offset &= ~3;
      const old = this.peekWord(offset);
      value = ((old & ~lanes) | ((value << shift) & lanes)) >>> 0;
    }
    if (offset === DWT_CTRL) {
      const cyc = this.cyccnt;
      this.ctrl = (CTRL_RESET | (value & CTRL_WRITABLE)) >>> 0;
      this.setCyccnt(cyc);
      return;
    }
    if (offset === DWT_CYCCNT) {
      this.setCyccnt(value >>> 0);
      return;
    }
    const n = this.comparatorAt(offset);
    if (n < 0) {
      if (offset < PERIPHERAL_IDS) this.regs.set(offset, value >>> 0);
      return;
    }
    const reg = offset & (COMPARATOR_STRIDE - 1);
    if (reg === 0) this.comp[n] = value >>> 0;
    else if (reg === DWT_MASK) this.mask[n] = value & MASK_BITS;
    else if (reg === DWT_FUNCTION) {
      const writable =
        n === 0
          ? FUNCTION_WRITABLE | FUNCTION_CYCMATCH
          : n === VALUE_COMPARATOR
            ? FUNCTION1_WRITABLE
            : FUNCTION_WRITABLE;
      this.func[n] = value & writable;
    } else return;
    this.rearm();
  }

  /** A register's value without a read's side effect (MATCHED is not cleared). */
  private peekWord(offset: number): number {
    const n = this.comparatorAt(offset);
    if (n >= 0 && (offset & (COMPARATOR_STRIDE - 1)) === DWT_FUNCTION) return this.functionBits(n);
    return this.readWord(offset);
  }

  /** DWT_FUNCTIONn without MATCHED: LNK1ENA reads 1 on comparator 1 (two linked comparators). */
  private functionBits(n: number): number {
    return (this.func[n]! | (n === VALUE_COMPARATOR ? FUNCTION_LNK1ENA : 0)) >>> 0;
  }

  /** The comparator whose COMP/MASK/FUNCTION block holds `offset`, or -1. */
  private comparatorAt(offset: number): number {
    if (offset < DWT_COMP0) return -1;
    const n = Math.floor((offset - DWT_COMP0) / COMPARATOR_STRIDE);
    return n < DWT_NUM_COMP ? n : -1;
  }

  /**
   * DEMCR.TRCENA may change in `write`: CYCCNT stops, or goes on, at the value it had, and the
   * CYCMATCH alarm follows.
   */
  traceEnableChange(write: () => void): void {
    const cyc = this.cyccnt;
    write();
    this.setCyccnt(cyc);
  }

  private setCyccnt(value: number): void {
    this.cyccntFrozen = value;
    this.cyccntBase = this.clock.cycles - value;
    this.rearmCycleMatch();
  }

  // ---- comparators ----

  /** Address matching: the masked range of comparator n (C1.8.15-16). */
  private range(n: number): { address: number; length: number } {
    const bits = this.mask[n]!;
    const length = 2 ** bits;
    return { address: (this.comp[n]! & ~(length - 1)) >>> 0, length };
  }

  /** Rebuilds the bus watchpoints, PC hooks and cycle alarm from the registers. */
  private rearm(): void {
    for (const remove of this.pcHooks) remove();
    this.pcHooks = [];
    this.rearmCycleMatch();
    const cpu = this.cpu;
    const bus = this.bus;
    if (cpu === null || bus === null) return;
    const watches: Watchpoint[] = [];
    for (let n = 0; n < DWT_NUM_COMP; n++) {
      const f = this.func[n]!;
      if (n === 0 && (f & FUNCTION_CYCMATCH) !== 0) continue; // compares CYCCNT instead
      if ((f & FUNCTION_DATAVMATCH) !== 0) {
        watches.push(...this.valueWatches(n));
        continue;
      }
      const fn = f & 0xf;
      const { address, length } = this.range(n);
      const kind = DATA_KINDS[fn];
      if (kind !== undefined) {
        watches.push({ address, length, kind, onHit: () => this.dataHit(n) });
      } else if (fn === FN_WATCH_PC || fn === FN_ETM_PC) {
        const first = address & ~1;
        for (let a = first; a < address + length; a += 2) {
          this.pcHooks.push(cpu.addCodeHook(a >>> 0, (c) => this.pcHit(n, c)));
        }
      }
    }
    bus.setWatchpoints(watches, 'dwt');
  }

  /**
   * Comparator n matching data values: a watch over each linked comparator's address range
   * (DATAVADDR0, and DATAVADDR1 when it names another one), checked for the value.
   */
  private valueWatches(n: number): Watchpoint[] {
    const f = this.func[n]!;
    const kind = DATA_KINDS[f & 0xf];
    if (kind === undefined) return [];
    const links = new Set([(f >>> 12) & 3, (f >>> 16) & 3]);
    links.delete(n);
    return [...links].map((k) => ({
      ...this.range(k),
      kind,
      onHit: (_a: number, size: number, _w: boolean, value: number) =>
        this.valueHit(n, size, value),
    }));
  }

  /** An access in a linked range: a match when its size is DATAVSIZE and its value COMPn's. */
  private valueHit(n: number, size: number, value: number): void {
    const bytes = 1 << ((this.func[n]! >>> 10) & 3);
    if (size !== bytes) return;
    const lanes = bytes === 4 ? 0xffffffff : (1 << (8 * bytes)) - 1;
    if (((value ^ this.comp[n]!) & lanes) !== 0) return;
    this.dataHit(n);
  }

  /** A data access matched comparator n (after the access completed). */
  private dataHit(n: number): void {
    if (!this.traceEnabled()) return;
    this.matched |= 1 << n;
    const fn = this.func[n]! & 0xf;
    if (fn >= 5 && fn <= 7 && this.monitor !== null) this.monitor.dataWatchpoint();
  }

  /** The instruction at cpu.pc is about to execute and comparator n matches its address. */
  private pcHit(n: number, cpu: Cpu): void {
    if (!this.traceEnabled() || this.monitor === null) return;
    const pc = cpu.pc;
    if (this.halted.resuming(cpu)) return; // resuming from the halt: the instruction executes
    this.matched |= 1 << n;
    if ((this.func[n]! & 0xf) !== FN_WATCH_PC) return; // an ETM trigger: MATCHED only
    if (!this.monitor.pcWatchpoint()) return; // ignored: the instruction executes
    this.halted.note(cpu, pc);
  }

  /** CYCMATCH on comparator 0: an alarm at the cycle CYCCNT next equals COMP0. */
  private rearmCycleMatch(): void {
    this.clock.cancel(this.cycleAlarm);
    const f = this.func[0]!;
    if ((f & FUNCTION_CYCMATCH) === 0 || (f & 0xf) === 0 || !this.counting) return;
    const delay = (this.comp[0]! - this.cyccnt) >>> 0 || 2 ** 32;
    this.clock.scheduleAlarm(this.cycleAlarm, delay);
  }

  private cycleMatch(): void {
    if (!this.counting) return;
    this.matched |= 1;
    if ((this.func[0]! & 0xf) === FN_WATCH_PC && this.monitor !== null) {
      this.monitor.dataWatchpoint(); // an asynchronous watchpoint event, like a data match
    }
    this.clock.scheduleAlarm(this.cycleAlarm, 2 ** 32);
  }
}

/** Cortex-M4 DWT CoreSight IDs: PID4-PID7, PID0-PID3, CID0-CID3. */
const DWT_IDS = [0x04, 0, 0, 0, 0x02, 0xb0, 0x3b, 0, 0x0d, 0xe0, 0x05, 0xb1];

export class Itm implements MmioDevice {
  readonly name = 'ITM';
  ter = 0;
  tcr = 0;
  tpr = 0;
  /** Bytes written to a stimulus port reach the host here. */
  onOutput: (port: number, data: number, size: AccessSize) => void = () => {};

  reset(): void {
    this.ter = 0;
    this.tcr = 0;
    this.tpr = 0;
  }

  read(offset: number, _size: AccessSize): number {
    if (offset < 0x80) return 1; // stimulus port: FIFO always ready
    if (offset === 0xe00) return this.ter;
    if (offset === 0xe40) return this.tpr;
    if (offset === 0xe80) return this.tcr;
    return 0;
  }

  write(offset: number, value: number, size: AccessSize): void {
    if (offset < 0x80) {
      const port = offset >>> 2;
      if ((this.tcr & 1) !== 0 && ((this.ter >>> port) & 1) !== 0) this.onOutput(port, value, size);
    } else if (offset === 0xe00) this.ter = value >>> 0;
    else if (offset === 0xe40) this.tpr = value >>> 0;
    else if (offset === 0xe80) this.tcr = value >>> 0;
  }
}
