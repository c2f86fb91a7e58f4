/**
 * The Flash Patch and Breakpoint unit at 0xE0002000 (ARMv7-M ARM C1.11, FPB version 1), as the
 * Cortex-M4 has it: six instruction comparators (FP_COMP0-5) and two literal comparators
 * (FP_COMP6-7). An enabled instruction comparator with REPLACE != 0 is a breakpoint: it acts as
 * a BKPT at its address (C1.11.3): a halting debugger stops there, otherwise DEMCR.MON_EN takes
 * the DebugMonitor exception (DFSR.BKPT), otherwise the event escalates to HardFault. Flash patch
 * remapping (REPLACE = 0, and the literal comparators) is not modelled, so FP_REMAP.RMPSPT reads
 * 0 (C1.11.5): firmware sees that remapping is not supported; FP_REMAP writes are stored only.
 *
 * A breakpoint is a code hook on the matched address (Cpu.addCodeHook): a hooked copy in the
 * decode cache, so code already decoded is caught and unhooked code pays nothing.
 */
import { BusError, type AccessSize, type MmioDevice } from '../../bus/bus.js';
import type { Cpu } from '../cpu.js';

export const FPB_BASE = 0xe0002000;

// Register offsets (C1.11.4-C1.11.6) and the CoreSight identification block.
export const FP_CTRL = 0x000;
export const FP_REMAP = 0x004;
export const FP_COMP0 = 0x008;
const PERIPHERAL_IDS = 0xfd0;

export const NUM_CODE = 6;
export const NUM_LIT = 2;
const NUM_COMP = NUM_CODE + NUM_LIT;

/** FP_CTRL: ENABLE (bit 0), KEY (bit 1, write-only: a write without it is ignored). */
export const FP_CTRL_ENABLE = 1 << 0;
export const FP_CTRL_KEY = 1 << 1;
/** FP_CTRL read-only fields: NUM_CODE[3:0] at 7:4, NUM_LIT at 11:8, NUM_CODE[6:4] at 14:12, REV 0. */
const FP_CTRL_RO = ((NUM_CODE & 0xf) << 4) | (NUM_LIT << 8) | ((NUM_CODE >>> 4) << 12);
/** FP_REMAP: REMAP[28:5]; RMPSPT (bit 29) 0 as remapping is not modelled. */
const FP_REMAP_MASK = 0x1fffffe0;
/** FP_COMPn: REPLACE[31:30], COMP[28:2], ENABLE (bit 0). */
const FP_COMP_MASK = 0xdffffffd;
export const FP_COMP_ENABLE = 1;

/** What a BkptHandler is passed for an FPB breakpoint: no BKPT immediate can equal it. */
export const FPB_BREAKPOINT_IMM = -1;

/** Cortex-M4 FPB CoreSight IDs: PID4-PID7, PID0-PID3, CID0-CID3. */
const FPB_IDS = [0x04, 0, 0, 0, 0x03, 0xb0, 0x2b, 0x00, 0x0d, 0xe0, 0x05, 0xb1];

export class Fpb implements MmioDevice {
  readonly name = 'FPB';
  ctrl = 0;
  remap = 0;
  readonly comp = new Uint32Array(NUM_COMP);
  /** Removers of the code hooks standing for the breakpoints now armed. */
  private armed: Array<() => void> = [];
  /** A breakpoint a debugger halted at, executed once when resumed from it (-1: none). */
  private resumeAddr = -1;
  private resumeCount = 0;

  constructor(
    private readonly cpu: Cpu,
    private readonly privileged: () => boolean,
  ) {}

  reset(): void {
    this.ctrl = 0;
    this.remap = 0;
    this.comp.fill(0);
    this.resumeAddr = -1;
    this.rearm();
  }

  read(offset: number, size: AccessSize): number {
    if (!this.privileged()) throw new BusError(FPB_BASE + offset, false, 'unprivileged FPB access');
    const word = this.readWord(offset & ~3);
    return size === 4 ? word : (word >>> (8 * (offset & 3))) & (size === 1 ? 0xff : 0xffff);
  }

  private readWord(offset: number): number {
    if (offset === FP_CTRL) return (FP_CTRL_RO | (this.ctrl & FP_CTRL_ENABLE)) >>> 0;
    if (offset === FP_REMAP) return this.remap;
    const n = (offset - FP_COMP0) >>> 2;
    if (offset >= FP_COMP0 && n < NUM_COMP) return this.comp[n]!;
    if (offset >= PERIPHERAL_IDS) return FPB_IDS[(offset - PERIPHERAL_IDS) >>> 2] ?? 0;
    return 0;
  }

  write(offset: number, value: number, size: AccessSize): void {
    if (!this.privileged()) throw new BusError(FPB_BASE + offset, true, 'unprivileged FPB access');
    const shift = 8 * (offset & 3);
    const lanes = (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff) << shift;
    offset &= ~3;
    const merged = (old: number) => ((old & ~lanes) | ((value << shift) & lanes)) >>> 0;
    if (offset === FP_CTRL) {
      const v = merged(this.ctrl);
      if ((v & FP_CTRL_KEY) === 0) return; // C1.11.4: written only with KEY = 1
      this.ctrl = v & FP_CTRL_ENABLE;
    } else if (offset === FP_REMAP) {
      this.remap = merged(this.remap) & FP_REMAP_MASK;
      return;
    } else {
      const n = (offset - FP_COMP0) >>> 2;
      if (offset < FP_COMP0 || n >= NUM_COMP) return;
      this.comp[n] = merged(this.comp[n]!) & FP_COMP_MASK;
    }
    this.rearm();
  }

  /**
   * The halfword addresses the enabled instruction comparators break on (C1.11.5): COMP holds
   * address bits 28:2 (Code region only); REPLACE 01 the lower halfword, 10 the upper, 11 both.
   */
  breakpointAddresses(): number[] {
    const out: number[] = [];
    if ((this.ctrl & FP_CTRL_ENABLE) === 0) return out;
    for (let n = 0; n < NUM_CODE; n++) {
      const c = this.comp[n]!;
      const replace = c >>> 30;
      if ((c & FP_COMP_ENABLE) === 0 || replace === 0) continue;
      const word = c & 0x1ffffffc;
      if (replace & 1 && !out.includes(word)) out.push(word);
      if (replace & 2 && !out.includes(word + 2)) out.push(word + 2);
    }
    return out;
  }

  private rearm(): void {
    for (const remove of this.armed) remove();
    this.armed = this.breakpointAddresses().map((a) =>
      this.cpu.addCodeHook(a, (cpu) => this.hit(cpu)),
    );
  }

  /** A breakpoint matched the instruction about to execute: a BKPT in its place (C1.11.3). */
  private hit(cpu: Cpu): void {
    const pc = cpu.pc;
    if (pc === this.resumeAddr && cpu.instructions === this.resumeCount) {
      this.resumeAddr = -1; // resuming from the halt: the instruction executes once
      return;
    }
    cpu.replaceHookedInstruction();
    if (cpu.bkptHandler !== null && cpu.bkptHandler(cpu, FPB_BREAKPOINT_IMM)) {
      if (cpu.stopReason === 'breakpoint' && cpu.nextPc === pc) {
        // Halted: the stand-in retires as BKPT does; the next instruction is the original.
        this.resumeAddr = pc;
        this.resumeCount = cpu.instructions + 1;
      }
      return;
    }
    cpu.exc.debugEvent(`FPB breakpoint at 0x${pc.toString(16)}`);
  }
}
