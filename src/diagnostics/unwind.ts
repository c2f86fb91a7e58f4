/**
 * Backtraces of guest code without frame pointers, at any instruction, and their symbolisation
 * as "function+0x12 (file.c:42)". Each frame is unwound with the image's DWARF call frame
 * information (.debug_frame) when it covers the PC, else with the ARM EHABI table (.ARM.exidx),
 * else by prologue analysis (prologue.ts): the function's code, from its first instruction (by
 * the symbol table) to the PC, says where the CFA is and where LR was saved. Without symbols the
 * innermost frame alone is unwound by taking the return address from LR. Exception frames are
 * followed through EXC_RETURN into the interrupted context (ARMv7-M ARM B1.5.6-B1.5.8). The
 * unwinder never throws: it stops, and says why.
 */
import { ArmExidx, runEhabiOpcodes } from '../loader/armExidx.js';
import { DebugFrame } from '../loader/debugFrame.js';
import { lineTableFromSections, type LineTable } from '../loader/dwarfLine.js';
import type { SymbolTable } from '../loader/elf.js';
import { findSection, type ElfSection } from '../loader/elfSections.js';
import { analyzePrologue, type CodeMemory } from './prologue.js';

export interface Frame {
  /** The frame's PC: the current instruction for frame 0, else a return address. */
  pc: number;
  /** The frame's SP (for frames after the first, the CFA of the frame it returned from). */
  sp: number;
  /**
   * True for frame 0 and for a context an exception interrupted: `pc` is the instruction about
   * to run there, not a return address (so line lookups use `pc` itself, not the call before).
   */
  exact?: boolean;
  /** The EXC_RETURN value through which this frame was reached (interrupted contexts only). */
  excReturn?: number;
}

export interface UnwindRegisters {
  /** r0..r15; r13 is the active stack pointer and r15 the current PC. */
  r: ArrayLike<number>;
  /**
   * The banked stack pointer not in r13 (MSP in thread mode on the process stack, else PSP):
   * needed to follow an EXC_RETURN whose bit 2 says the interrupted context used the other one.
   */
  otherSp?: number;
}

export interface UnwindMemory {
  /**
   * A 32-bit little-endian word, or undefined where nothing readable is mapped. Prologue
   * analysis reads code (flash and RAM alike) through it too, or through read16.
   */
  read32(addr: number): number | undefined;
  /** A halfword; when absent, code is read as halves of aligned read32 words. */
  read16?(addr: number): number | undefined;
}

/** Why a backtrace ended. */
export type UnwindStop =
  | 'outermost' // the return address was marked undefined: the end of the stack
  | 'pc-zero'
  | 'unreadable'
  | 'sp-not-increasing'
  | 'max-frames'
  | 'cantunwind'
  | 'no-unwind-info'
  | 'bad-exc-return'
  | 'unknown-register'
  | 'refused';

export interface UnwindResult {
  frames: Frame[];
  stop: UnwindStop;
  /** One sentence for people: what stopped the unwind, and where. */
  detail: string;
}

/** The unwind tables an Unwinder consults; any of them may be missing. */
export interface UnwindTables {
  debugFrame?: DebugFrame;
  exidx?: ArmExidx;
  /**
   * Function starts for prologue analysis, where no table describes a frame (a function marked
   * EXIDX_CANTUNWIND included: at its first instruction the return address is in LR).
   */
  symbols?: SymbolTable;
}

/** EXC_RETURN values of ARMv7-M with the FP extension (B1.5.8, Table B1-9). */
const EXC_RETURN_VALUES = new Set([
  0xffffffe1, 0xffffffe9, 0xffffffed, 0xfffffff1, 0xfffffff9, 0xfffffffd,
]);
/** Bit 2: the interrupted context used the process stack. */
const EXC_RETURN_PSP = 4;
/** Bit 4 clear: the frame is extended with S0-S15, FPSCR and a reserved word. */
const EXC_RETURN_STANDARD_FRAME = 0x10;
const BASIC_FRAME_BYTES = 0x20;
const FP_STATE_BYTES = 0x48;
/** Stacked xPSR bit 9: the hardware added 4 bytes to keep the frame 8-byte aligned (B1.5.7). */
const XPSR_STACK_ALIGNED = 0x200;
const LR = 14;
const PC = 15;
const SP = 13;
const STT_FUNC = 2;

type Regs = (number | undefined)[];

type Step = { ok: true; regs: Regs } | { ok: false; stop: UnwindStop; detail: string };

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * Code reads for prologue analysis: the memory's read16 when it has one, else halves of aligned
 * words; a word literal at a 2 mod 4 address from two halfwords.
 */
function codeMemory(mem: UnwindMemory, read32: (a: number) => number | undefined): CodeMemory {
  const read16 = (addr: number): number | undefined => {
    try {
      if (addr & 1) return undefined;
      if (mem.read16 !== undefined) {
        const v = mem.read16(addr >>> 0);
        return v === undefined ? undefined : v & 0xffff;
      }
      const w = read32((addr & ~3) >>> 0);
      return w === undefined ? undefined : (addr & 2 ? w >>> 16 : w) & 0xffff;
    } catch {
      return undefined;
    }
  };
  return {
    read16,
    read32: (addr) => {
      if ((addr & 3) === 0) return read32(addr);
      const lo = read16(addr);
      const hi = read16(addr + 2);
      return lo === undefined || hi === undefined ? undefined : (lo | (hi << 16)) >>> 0;
    },
  };
}

export function isExcReturn(value: number): boolean {
  return EXC_RETURN_VALUES.has(value >>> 0);
}

/**
 * The caller's registers when nothing has been pushed and LR is untouched: true at a function's
 * first instruction, and in leaves that keep the return address in LR.
 */
function returnThroughLr(regs: Regs): Regs {
  const next = regs.slice();
  next[PC] = regs[LR];
  return next;
}

export class Unwinder {
  constructor(private readonly tables: UnwindTables) {}

  /**
   * An Unwinder from an ELF's sections (see readElfSections): .debug_frame, .ARM.exidx and
   * .ARM.extab, whichever are present. A malformed table raises an ImageError here.
   */
  static fromSections(sections: readonly ElfSection[], symbols?: SymbolTable): Unwinder {
    const frame = findSection(sections, '.debug_frame');
    const exidx = findSection(sections, '.ARM.exidx');
    const extab = findSection(sections, '.ARM.extab');
    return new Unwinder({
      debugFrame: frame ? DebugFrame.parse(frame.data) : undefined,
      exidx: exidx ? ArmExidx.parse(exidx, extab) : undefined,
      symbols,
    });
  }

  /** The frames from the current PC outwards (frame 0 first); never throws. */
  backtrace(regs: UnwindRegisters, mem: UnwindMemory, max = 32): Frame[] {
    return this.unwind(regs, mem, max).frames;
  }

  /** backtrace() with the reason it stopped. */
  unwind(regs: UnwindRegisters, mem: UnwindMemory, max = 32): UnwindResult {
    const frames: Frame[] = [];
    try {
      return this.walk(regs, mem, max, frames);
    } catch (e) {
      // Defensive: a bug here must not take the emulator down with it.
      return { frames, stop: 'unreadable', detail: `unwinder error: ${String(e)}` };
    }
  }

  private walk(
    input: UnwindRegisters,
    mem: UnwindMemory,
    max: number,
    frames: Frame[],
  ): UnwindResult {
    const read32 = (addr: number): number | undefined => {
      try {
        const v = mem.read32(addr >>> 0);
        return v === undefined ? undefined : v >>> 0;
      } catch {
        return undefined;
      }
    };
    const code = codeMemory(mem, read32);
    let regs: Regs = [];
    for (let i = 0; i < 16; i++) {
      const v = input.r[i];
      regs.push(v === undefined ? undefined : v >>> 0);
    }
    let otherSp = input.otherSp === undefined ? undefined : input.otherSp >>> 0;
    const end = (stop: UnwindStop, detail: string): UnwindResult => ({ frames, stop, detail });

    const pc0 = regs[PC];
    const sp0 = regs[SP];
    if (pc0 === undefined || sp0 === undefined) return end('unknown-register', 'no PC or SP given');
    if (max <= 0) return end('max-frames', 'max is 0');
    frames.push({ pc: (pc0 & ~1) >>> 0, sp: sp0, exact: true });
    let exact = true;
    for (;;) {
      const frame = frames[frames.length - 1]!;
      if (frames.length >= max) return end('max-frames', `stopped after ${max} frames`);
      const step = this.step(regs, frame.pc, exact, frames.length === 1, read32, code);
      if (!step.ok) return end(step.stop, step.detail);
      let next = step.regs;
      const ra = next[PC];
      const sp = next[SP];
      if (ra === undefined || sp === undefined) {
        return end('unknown-register', `the caller of ${hex(frame.pc)} has no known PC or SP`);
      }
      if (isExcReturn(ra)) {
        // An exception handler's frame: the hardware stacked r0-r3, r12, lr, pc, xPSR on the
        // stack EXC_RETURN bit 2 names (B1.5.6). In handler mode r13 is MSP, so PSP is otherSp.
        const onPsp = (ra & EXC_RETURN_PSP) !== 0;
        const base = onPsp ? otherSp : sp;
        if (base === undefined) {
          return end('bad-exc-return', `EXC_RETURN ${hex(ra)} names PSP, whose value is unknown`);
        }
        const words: number[] = [];
        for (let i = 0; i < 8; i++) {
          const w = read32(base + 4 * i);
          if (w === undefined)
            return end('unreadable', `exception frame at ${hex(base)} is unreadable`);
          words.push(w);
        }
        const [r0, r1, r2, r3, r12, lr, pc, xpsr] = words as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        let size = BASIC_FRAME_BYTES;
        if ((ra & EXC_RETURN_STANDARD_FRAME) === 0) size += FP_STATE_BYTES;
        if (xpsr & XPSR_STACK_ALIGNED) size += 4;
        next = next.slice();
        next[0] = r0;
        next[1] = r1;
        next[2] = r2;
        next[3] = r3;
        next[12] = r12;
        next[LR] = lr;
        next[PC] = pc;
        next[SP] = (base + size) >>> 0;
        if (onPsp) otherSp = sp; // back in thread mode on PSP: MSP is now the banked one
        if (!onPsp && next[SP]! < frame.sp) {
          return end(
            'sp-not-increasing',
            `exception frame at ${hex(base)} lies below SP ${hex(frame.sp)}`,
          );
        }
        if ((pc & ~1) >>> 0 === 0) return end('pc-zero', 'the interrupted context has PC 0');
        frames.push({ pc: (pc & ~1) >>> 0, sp: next[SP]!, exact: true, excReturn: ra });
        regs = next;
        exact = true;
        continue;
      }
      // A frame that is not the innermost (or an interrupted one) made a call, so its CFA lies
      // strictly above its SP; only an exact frame may be a leaf whose CFA is its SP.
      if (sp < frame.sp || (sp === frame.sp && !exact)) {
        return end('sp-not-increasing', `the caller of ${hex(frame.pc)} would have SP ${hex(sp)}`);
      }
      if ((ra & ~1) >>> 0 === 0)
        return end('pc-zero', `the caller of ${hex(frame.pc)} returns to 0`);
      frames.push({ pc: (ra & ~1) >>> 0, sp });
      regs = next;
      exact = false;
    }
  }

  /**
   * One frame: the caller's registers. `exact` says `pc` is not a return address; otherwise
   * the tables are consulted at pc - 2, inside the call instruction (the return address may be
   * the first instruction of the next function when a call to a noreturn function ends this one).
   */
  private step(
    regs: Regs,
    pc: number,
    exact: boolean,
    innermost: boolean,
    read32: (a: number) => number | undefined,
    code: CodeMemory,
  ): Step {
    const at = exact ? pc : (pc - 2) >>> 0;
    const row = this.tables.debugFrame?.rowAt(at);
    if (row !== undefined && row.cfa !== null) {
      const base = regs[row.cfa.reg];
      if (base === undefined) {
        return {
          ok: false,
          stop: 'unknown-register',
          detail: `CFA register r${row.cfa.reg} is unknown at ${hex(pc)}`,
        };
      }
      const cfa = (base + row.cfa.offset) >>> 0;
      const next = regs.slice();
      for (const [reg, rule] of row.registers) {
        if (reg > 15) continue; // VFP registers: not needed to unwind
        switch (rule.kind) {
          case 'offset': {
            const v = read32(cfa + rule.offset);
            if (v === undefined) {
              return {
                ok: false,
                stop: 'unreadable',
                detail: `r${reg} saved at ${hex(cfa + rule.offset)} is unreadable`,
              };
            }
            next[reg] = v;
            break;
          }
          case 'valOffset':
            next[reg] = (cfa + rule.offset) >>> 0;
            break;
          case 'register':
            next[reg] = regs[rule.reg];
            break;
          case 'undefined':
          case 'expression':
            next[reg] = undefined;
            break;
          case 'same':
            break;
        }
      }
      const raRule = row.registers.get(row.returnAddressRegister);
      if (raRule?.kind === 'undefined') {
        return { ok: false, stop: 'outermost', detail: `${hex(pc)} is the outermost frame (CFI)` };
      }
      next[PC] = next[row.returnAddressRegister];
      next[SP] = cfa;
      return { ok: true, regs: next };
    }
    const entry = this.tables.exidx?.find(at);
    if (entry !== undefined && entry.kind === 'opcodes' && exact && at === entry.start) {
      // EHABI opcodes undo the prologue, so they hold only once it has run (IHI 0038 §9.2:
      // the table describes the state at call sites). At the function's first instruction
      // nothing is pushed yet and the return address is in LR.
      return { ok: true, regs: returnThroughLr(regs) };
    }
    if (entry !== undefined && entry.kind === 'opcodes') {
      const r = runEhabiOpcodes(entry.opcodes, regs, read32);
      if (r.ok) return { ok: true, regs: r.regs };
      if (r.reason.startsWith('refuse'))
        return { ok: false, stop: 'refused', detail: `${hex(pc)}: ${r.reason}` };
      const stop: UnwindStop = r.reason.startsWith('unreadable') ? 'unreadable' : 'no-unwind-info';
      return { ok: false, stop, detail: `${hex(pc)}: ${r.reason}` };
    }
    const cantunwind = entry?.kind === 'cantunwind';
    const fn = this.functionAt(at);
    if (fn !== undefined) {
      // No table describes the frame (EXIDX_CANTUNWIND says no exception may pass; linkers
      // also cover code built without unwind tables with it): the function's own code does.
      const where = cantunwind
        ? `${hex(pc)} is in code marked EXIDX_CANTUNWIND`
        : `no unwind table covers ${hex(pc)}`;
      const byCode = this.byPrologue(regs, fn, pc, exact, read32, code, where);
      if (byCode.ok) return byCode;
      return {
        ok: false,
        stop: byCode.stop === 'no-unwind-info' && cantunwind ? 'cantunwind' : byCode.stop,
        detail: byCode.detail,
      };
    }
    if (
      entry !== undefined &&
      entry.kind === 'cantunwind' &&
      !(innermost && this.atFunctionEntry(pc, entry.start))
    ) {
      return {
        ok: false,
        stop: 'cantunwind',
        detail: `${hex(pc)} is in a function marked EXIDX_CANTUNWIND`,
      };
    }
    if (innermost) return { ok: true, regs: returnThroughLr(regs) };
    return { ok: false, stop: 'no-unwind-info', detail: `no unwind information for ${hex(pc)}` };
  }

  /** The function symbol (STT_FUNC) holding `at`: its first instruction and its name. */
  private functionAt(at: number): { start: number; name: string } | undefined {
    const sym = this.tables.symbols?.containing(at);
    if (sym === undefined || sym.type !== STT_FUNC) return undefined;
    const start = (sym.value & ~1) >>> 0;
    return { start, name: this.tables.symbols?.describe(start) ?? sym.name };
  }

  /**
   * The caller's registers by prologue analysis of `fn` up to `pc`. LR still holding the return
   * address counts only for an exact frame: at a return address LR has been reused by the call.
   */
  private byPrologue(
    regs: Regs,
    fn: { start: number; name: string },
    pc: number,
    exact: boolean,
    read32: (a: number) => number | undefined,
    code: CodeMemory,
    where: string,
  ): Step {
    const fail = (stop: UnwindStop, why: string): Step => ({
      ok: false,
      stop,
      detail: `${where}; prologue analysis of ${fn.name}: ${why}`,
    });
    const a = analyzePrologue(code, fn.start, pc, exact);
    if (!a.ok) return fail('no-unwind-info', a.reason);
    const base = regs[a.cfaReg];
    if (base === undefined) return fail('unknown-register', `r${a.cfaReg} is unknown`);
    const cfa = (base + a.cfaOffset) >>> 0;
    const sp = regs[SP];
    if (a.spCfaOffset !== undefined && sp !== undefined && cfa < (sp + a.spCfaOffset) >>> 0) {
      // alloca only lowers SP: a frame pointer giving a CFA below SP's is not one
      return fail('no-unwind-info', `r7 ${hex(base)} puts the CFA below what SP says`);
    }
    if (cfa & 3) return fail('no-unwind-info', `the CFA ${hex(cfa)} is not word-aligned`);
    const next = regs.slice();
    for (const [reg, offset] of a.saved) {
      const v = read32(cfa + offset);
      if (v === undefined) {
        return fail('unreadable', `r${reg} saved at ${hex(cfa + offset)} is unreadable`);
      }
      next[reg] = v;
    }
    if (!a.saved.has(LR)) {
      if (!a.lrLive) return fail('no-unwind-info', 'LR is overwritten and was not saved');
      if (!exact) return fail('no-unwind-info', `LR was not saved before ${hex(pc)}, a call`);
    }
    next[PC] = next[LR];
    next[SP] = cfa;
    return { ok: true, regs: next };
  }

  private atFunctionEntry(pc: number, tableStart: number): boolean {
    if (pc === tableStart) return true;
    const name = this.tables.symbols?.describe(pc);
    return name !== undefined && !/\+0x[0-9a-f]+$/.test(name);
  }
}

/**
 * "name+0x12 (file.c:42)" for an address; `returnAddress` looks the function and line up at
 * pc - 2 (the call instruction), as debuggers do, while the offset shown stays pc's.
 */
export function symbolize(
  pc: number,
  symbols?: SymbolTable,
  lines?: LineTable,
  returnAddress = false,
): string {
  const at = returnAddress ? (pc - 2) >>> 0 : pc >>> 0;
  let name: string | undefined;
  const d = symbols?.describe(at);
  if (d !== undefined) {
    const m = /^(.*?)(?:\+0x([0-9a-f]+))?$/.exec(d);
    const off = (m?.[2] === undefined ? 0 : parseInt(m[2], 16)) + (pc >>> 0) - at;
    name = off === 0 ? (m?.[1] ?? d) : `${m?.[1] ?? d}+0x${off.toString(16)}`;
  }
  const loc = lines?.lookup(at);
  const where = loc === undefined ? undefined : `${loc.file}:${loc.line}`;
  if (name !== undefined && where !== undefined) return `${name} (${where})`;
  return name ?? (where !== undefined ? `?? (${where})` : '??');
}

/** One "#N 0x08000abc name+0x12 (file.c:42)" line per frame. */
export function formatBacktrace(
  frames: readonly Frame[],
  symbols?: SymbolTable,
  lines?: LineTable,
): string[] {
  return frames.map((f, i) => {
    const text = symbolize(f.pc, symbols, lines, !(f.exact ?? i === 0));
    const exc = f.excReturn === undefined ? '' : ` <exception, EXC_RETURN ${hex(f.excReturn)}>`;
    return `#${i} ${hex(f.pc)} ${text}${exc}`;
  });
}

/** Line table and unwinder of an ELF's sections, as the diagnostics use them. */
export interface DebugInfo {
  lines?: LineTable;
  unwinder: Unwinder;
}

/** Builds the DebugInfo of an ELF's sections; a malformed table raises an ImageError. */
export function debugInfoFromSections(
  sections: readonly ElfSection[],
  symbols?: SymbolTable,
): DebugInfo {
  return {
    lines: lineTableFromSections(sections),
    unwinder: Unwinder.fromSections(sections, symbols),
  };
}
