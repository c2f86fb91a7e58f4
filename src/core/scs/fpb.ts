/**
 * The Flash Patch and Breakpoint unit at 0xE0002000 (ARMv7-M ARM C1.11, FPB version 1), as the
 * Cortex-M4 has it: six instruction comparators (FP_COMP0-5) and two literal comparators
 * (FP_COMP6-7), with flash patch remapping (FP_REMAP.RMPSPT reads 1, C1.11.5).
 *
 * Breakpoints: an enabled instruction comparator with REPLACE != 0 acts as a BKPT at its
 * address (C1.11.3): a halting debugger stops there, otherwise DEMCR.MON_EN takes the
 * DebugMonitor exception (DFSR.BKPT), otherwise the event escalates to HardFault.
 *
 * Remapping (C1.11.3, C1.11.5): FP_REMAP.REMAP gives an SRAM table at 0x20000000 | REMAP[28:5],
 * one word per comparator. An enabled instruction comparator n with REPLACE = 00 makes the
 * instruction fetches of its Code-region word read the table's word n instead; an enabled
 * literal comparator (n = 6, 7; REPLACE ignored) does the same for naturally aligned data reads
 * of its word (the Cortex-M3 TRM 7.3.1: unaligned literal accesses are not remapped). The MPU
 * checks the original address, as on the chip.
 *
 * Both are kept off the hot path. A breakpoint, and an instruction patch, is a code hook on the
 * matched addresses (Cpu.addCodeHook): a hooked copy in the decode cache, so code already
 * decoded is caught and unhooked code pays nothing. A patch hook builds the instruction from
 * the halfwords as fetched (the table's where remapped) each time it runs, so it always shows
 * the table's current word: nothing to invalidate when the table is written. A literal patch is
 * a bus read redirect: the word's page leaves the fast path, as a watchpoint's does.
 */
import { BusError, type AccessSize, type MmioDevice } from '../../bus/bus.js';
import type { Cpu } from '../cpu.js';
import { decodeRaw, isThumb32 } from '../decode/cache.js';
import type { Insn } from '../insn.js';
import { HaltedAt } from './debugMonitor.js';

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
/** FP_REMAP: REMAP[28:5] (the table's address in SRAM); RMPSPT (bit 29) 1: remap supported. */
const FP_REMAP_MASK = 0x1fffffe0;
const FP_REMAP_RMPSPT = 1 << 29;
const SRAM_REGION = 0x20000000;
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
  private readonly halted = new HaltedAt();
  /** Patched instruction words (Code region) and the table word each is fetched from. */
  private patched = new Map<number, number>();
  /** The last instruction decoded for each patched address (decoded again when it changes). */
  private readonly patchedInsns = new Map<number, Insn>();

  constructor(
    private readonly cpu: Cpu,
    private readonly privileged: () => boolean,
  ) {}

  reset(): void {
    this.ctrl = 0;
    this.remap = 0;
    this.comp.fill(0);
    this.halted.clear();
    this.rearm();
  }

  read(offset: number, size: AccessSize): number {
    if (!this.privileged()) throw new BusError(FPB_BASE + offset, false, 'unprivileged FPB access');
    const word = this.readWord(offset & ~3);
    return size === 4 ? word : (word >>> (8 * (offset & 3))) & (size === 1 ? 0xff : 0xffff);
  }

  private readWord(offset: number): number {
    if (offset === FP_CTRL) return (FP_CTRL_RO | (this.ctrl & FP_CTRL_ENABLE)) >>> 0;
    if (offset === FP_REMAP) return (this.remap | FP_REMAP_RMPSPT) >>> 0;
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

  /** The remap table's address (FP_REMAP.REMAP in the SRAM region). */
  get remapBase(): number {
    return (SRAM_REGION | this.remap) >>> 0;
  }

  /**
   * The Code-region words the enabled comparators remap, each with the table word it reads
   * (C1.11.5): instruction comparators with REPLACE = 00, and the literal comparators.
   */
  remappedWords(): { instruction: Map<number, number>; literal: Map<number, number> } {
    const instruction = new Map<number, number>();
    const literal = new Map<number, number>();
    if ((this.ctrl & FP_CTRL_ENABLE) === 0) return { instruction, literal };
    for (let n = 0; n < NUM_COMP; n++) {
      const c = this.comp[n]!;
      if ((c & FP_COMP_ENABLE) === 0) continue;
      const word = c & 0x1ffffffc;
      const table = (this.remapBase + 4 * n) >>> 0;
      if (n >= NUM_CODE) {
        if (!literal.has(word)) literal.set(word, table);
      } else if (c >>> 30 === 0 && !instruction.has(word)) instruction.set(word, table);
    }
    return { instruction, literal };
  }

  private rearm(): void {
    for (const remove of this.armed) remove();
    const cpu = this.cpu;
    this.armed = this.breakpointAddresses().map((a) => cpu.addCodeHook(a, (c) => this.hit(c)));
    const { instruction, literal } = this.remappedWords();
    this.patched = instruction;
    this.patchedInsns.clear();
    const hooked = new Set<number>();
    for (const word of instruction.keys()) {
      // An instruction that starts in the word, or a 32-bit one that ends in it.
      for (const a of [word - 2, word, word + 2]) {
        if (a < 0 || hooked.has(a)) continue;
        hooked.add(a);
        this.armed.push(cpu.addCodeHook(a, (c) => this.patch(c)));
      }
    }
    cpu.bus.setReadRedirects([...literal].map(([address, target]) => ({ address, target })));
  }

  /** A halfword as the core fetches it: from the remap table inside a patched word. */
  private fetchHalfword(addr: number): number | undefined {
    const table = this.patched.get(addr & ~3);
    const from = table === undefined ? addr : table + (addr & 2);
    const bus = this.cpu.bus;
    const lo = bus.peek8(from);
    const hi = bus.peek8(from + 1);
    return lo === undefined || hi === undefined ? undefined : lo | (hi << 8);
  }

  /**
   * The instruction at cpu.pc may have halfwords in a patched word: when it has, the
   * instruction decoded from the fetched halfwords executes in the original's place.
   */
  private patch(cpu: Cpu): void {
    if (cpu.hookReplaced) return; // a breakpoint took the instruction's place
    const pc = cpu.pc;
    const hw1 = this.fetchHalfword(pc);
    if (hw1 === undefined) return;
    const size = isThumb32(hw1) ? 4 : 2;
    const remapped = (a: number) => this.patched.has(a & ~3);
    if (!remapped(pc) && !(size === 4 && remapped(pc + 2))) return;
    let raw = hw1;
    if (size === 4) {
      const hw2 = this.fetchHalfword(pc + 2);
      if (hw2 === undefined) return;
      raw = ((hw1 << 16) | hw2) >>> 0;
    }
    let insn = this.patchedInsns.get(pc);
    if (insn === undefined || insn.raw !== raw || insn.size !== size) {
      insn = decodeRaw(raw, size, pc);
      this.patchedInsns.set(pc, insn);
    }
    cpu.replaceHookedInstruction();
    cpu.nextPc = (pc + size) >>> 0;
    insn.exec(cpu, insn);
  }

  /** A breakpoint matched the instruction about to execute: a BKPT in its place (C1.11.3). */
  private hit(cpu: Cpu): void {
    const pc = cpu.pc;
    if (this.halted.resuming(cpu)) return; // resuming from the halt: the instruction executes
    cpu.replaceHookedInstruction();
    if (cpu.bkptHandler !== null && cpu.bkptHandler(cpu, FPB_BREAKPOINT_IMM)) {
      this.halted.note(cpu, pc);
      return;
    }
    cpu.exc.debugEvent(`FPB breakpoint at 0x${pc.toString(16)}`);
  }
}
