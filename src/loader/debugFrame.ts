/**
 * DWARF call frame information in .debug_frame (DWARF 5 §6.4; CIE versions 1, 3 and 4): for an
 * address, how to compute the Canonical Frame Address and where the caller's registers were
 * saved. Headers and instructions are decoded when the section is parsed (a malformed section
 * raises an ImageError then); answering a query never throws.
 */
import { ImageError } from './elf.js';
import { DwarfReader } from './dwarfLine.js';

/** How to recover one register of the caller (DWARF 5 §6.4.1). */
export type RegisterRule =
  | { kind: 'undefined' }
  | { kind: 'same' }
  /** Saved at CFA + offset. */
  | { kind: 'offset'; offset: number }
  /** The value is CFA + offset itself. */
  | { kind: 'valOffset'; offset: number }
  /** Held in another register. */
  | { kind: 'register'; reg: number }
  /** A DWARF expression: not evaluated here, so the register is unknown. */
  | { kind: 'expression' };

/** CFA = reg + offset, or null when the CFA is a DWARF expression (not evaluated). */
export type CfaRule = { reg: number; offset: number } | null;

/** The row of the CFI table covering one address. */
export interface FrameRow {
  /** The function (FDE) the row belongs to: [start, end). */
  start: number;
  end: number;
  cfa: CfaRule;
  /** Rules the CIE and FDE give; a register not listed keeps its value ("same value"). */
  registers: ReadonlyMap<number, RegisterRule>;
  /** The column holding the return address (r14 on ARM). */
  returnAddressRegister: number;
}

/** A decoded DW_CFA_* instruction; advances are already scaled to bytes or addresses. */
type CfaOp =
  | { op: 'advance'; delta: number }
  | { op: 'setLoc'; address: number }
  | { op: 'defCfa'; reg: number; offset: number }
  | { op: 'defCfaRegister'; reg: number }
  | { op: 'defCfaOffset'; offset: number }
  | { op: 'defCfaExpression' }
  | { op: 'rule'; reg: number; rule: RegisterRule }
  | { op: 'restore'; reg: number }
  | { op: 'remember' }
  | { op: 'restoreState' };

interface Cie {
  codeAlign: number;
  dataAlign: number;
  returnAddressRegister: number;
  addressSize: number;
  segmentSize: number;
  initial: CfaOp[];
  /** False when the augmentation is one this reader cannot skip: its FDEs are not used. */
  usable: boolean;
}

interface Fde {
  start: number;
  end: number;
  cie: Cie;
  ops: CfaOp[];
  /** False when an instruction was not understood: no rows from this FDE. */
  usable: boolean;
}

// Call frame instructions (DWARF 5 §6.4.2, Table 7.29) and GNU extensions.
const DW_CFA_advance_loc = 0x40;
const DW_CFA_offset = 0x80;
const DW_CFA_restore = 0xc0;
const DW_CFA_nop = 0x00;
const DW_CFA_set_loc = 0x01;
const DW_CFA_advance_loc1 = 0x02;
const DW_CFA_advance_loc2 = 0x03;
const DW_CFA_advance_loc4 = 0x04;
const DW_CFA_offset_extended = 0x05;
const DW_CFA_restore_extended = 0x06;
const DW_CFA_undefined = 0x07;
const DW_CFA_same_value = 0x08;
const DW_CFA_register = 0x09;
const DW_CFA_remember_state = 0x0a;
const DW_CFA_restore_state = 0x0b;
const DW_CFA_def_cfa = 0x0c;
const DW_CFA_def_cfa_register = 0x0d;
const DW_CFA_def_cfa_offset = 0x0e;
const DW_CFA_def_cfa_expression = 0x0f;
const DW_CFA_expression = 0x10;
const DW_CFA_offset_extended_sf = 0x11;
const DW_CFA_def_cfa_sf = 0x12;
const DW_CFA_def_cfa_offset_sf = 0x13;
const DW_CFA_val_offset = 0x14;
const DW_CFA_val_offset_sf = 0x15;
const DW_CFA_val_expression = 0x16;
const DW_CFA_GNU_args_size = 0x2e;
const DW_CFA_GNU_negative_offset_extended = 0x2f;

/**
 * Decodes one CIE's or FDE's instruction bytes. Returns null at an opcode this reader does not
 * know (its operands cannot be skipped); a truncated operand raises an ImageError.
 */
function decodeOps(
  r: DwarfReader,
  end: number,
  cie: Omit<Cie, 'initial' | 'usable'>,
): CfaOp[] | null {
  const ops: CfaOp[] = [];
  const factored = (n: number) => n * cie.dataAlign;
  const address = () => (cie.addressSize === 8 ? r.u64() : r.u32());
  while (r.pos < end) {
    const byte = r.u8();
    const high = byte & 0xc0;
    const low = byte & 0x3f;
    if (high === DW_CFA_advance_loc) {
      ops.push({ op: 'advance', delta: low * cie.codeAlign });
      continue;
    }
    if (high === DW_CFA_offset) {
      ops.push({ op: 'rule', reg: low, rule: { kind: 'offset', offset: factored(r.uleb()) } });
      continue;
    }
    if (high === DW_CFA_restore) {
      ops.push({ op: 'restore', reg: low });
      continue;
    }
    switch (byte) {
      case DW_CFA_nop:
        break;
      case DW_CFA_set_loc:
        ops.push({ op: 'setLoc', address: address() });
        break;
      case DW_CFA_advance_loc1:
        ops.push({ op: 'advance', delta: r.u8() * cie.codeAlign });
        break;
      case DW_CFA_advance_loc2:
        ops.push({ op: 'advance', delta: r.u16() * cie.codeAlign });
        break;
      case DW_CFA_advance_loc4:
        ops.push({ op: 'advance', delta: r.u32() * cie.codeAlign });
        break;
      case DW_CFA_offset_extended: {
        const reg = r.uleb();
        ops.push({ op: 'rule', reg, rule: { kind: 'offset', offset: factored(r.uleb()) } });
        break;
      }
      case DW_CFA_offset_extended_sf: {
        const reg = r.uleb();
        ops.push({ op: 'rule', reg, rule: { kind: 'offset', offset: factored(r.sleb()) } });
        break;
      }
      case DW_CFA_GNU_negative_offset_extended: {
        const reg = r.uleb();
        ops.push({ op: 'rule', reg, rule: { kind: 'offset', offset: -factored(r.uleb()) } });
        break;
      }
      case DW_CFA_val_offset: {
        const reg = r.uleb();
        ops.push({ op: 'rule', reg, rule: { kind: 'valOffset', offset: factored(r.uleb()) } });
        break;
      }
      case DW_CFA_val_offset_sf: {
        const reg = r.uleb();
        ops.push({ op: 'rule', reg, rule: { kind: 'valOffset', offset: factored(r.sleb()) } });
        break;
      }
      case DW_CFA_restore_extended:
        ops.push({ op: 'restore', reg: r.uleb() });
        break;
      case DW_CFA_undefined:
        ops.push({ op: 'rule', reg: r.uleb(), rule: { kind: 'undefined' } });
        break;
      case DW_CFA_same_value:
        ops.push({ op: 'rule', reg: r.uleb(), rule: { kind: 'same' } });
        break;
      case DW_CFA_register: {
        const reg = r.uleb();
        ops.push({ op: 'rule', reg, rule: { kind: 'register', reg: r.uleb() } });
        break;
      }
      case DW_CFA_remember_state:
        ops.push({ op: 'remember' });
        break;
      case DW_CFA_restore_state:
        ops.push({ op: 'restoreState' });
        break;
      case DW_CFA_def_cfa: {
        const reg = r.uleb();
        ops.push({ op: 'defCfa', reg, offset: r.uleb() });
        break;
      }
      case DW_CFA_def_cfa_sf: {
        const reg = r.uleb();
        ops.push({ op: 'defCfa', reg, offset: factored(r.sleb()) });
        break;
      }
      case DW_CFA_def_cfa_register:
        ops.push({ op: 'defCfaRegister', reg: r.uleb() });
        break;
      case DW_CFA_def_cfa_offset:
        ops.push({ op: 'defCfaOffset', offset: r.uleb() });
        break;
      case DW_CFA_def_cfa_offset_sf:
        ops.push({ op: 'defCfaOffset', offset: factored(r.sleb()) });
        break;
      case DW_CFA_def_cfa_expression:
        r.skip(r.uleb());
        ops.push({ op: 'defCfaExpression' });
        break;
      case DW_CFA_expression:
      case DW_CFA_val_expression: {
        const reg = r.uleb();
        r.skip(r.uleb());
        ops.push({ op: 'rule', reg, rule: { kind: 'expression' } });
        break;
      }
      case DW_CFA_GNU_args_size:
        r.uleb(); // bytes of outgoing arguments pushed: irrelevant to the CFA on ARM
        break;
      default:
        return null;
    }
  }
  return ops;
}

/** The parsed .debug_frame of one image. */
export class DebugFrame {
  private readonly fdes: Fde[];

  private constructor(fdes: Fde[]) {
    this.fdes = fdes.sort((a, b) => a.start - b.start);
  }

  /** Parses a whole .debug_frame section (CIE id 0xffffffff, DWARF 5 §6.4.1). */
  static parse(bytes: Uint8Array): DebugFrame {
    const r = new DwarfReader(bytes, '.debug_frame');
    const cies = new Map<number, Cie>();
    const pendingFdes: { cieOffset: number; at: number; end: number }[] = [];
    while (!r.atEnd) {
      const entryStart = r.pos;
      const { length, offsetSize } = r.initialLength();
      if (length === 0) continue; // padding
      const end = r.pos + length;
      if (end > bytes.length) {
        throw new ImageError(
          `.debug_frame: the entry at offset ${entryStart} runs past the section's end`,
        );
      }
      // The CIE id is all ones in .debug_frame (0 is .eh_frame's, which this reader is not for).
      const idLow = r.u32();
      const idHigh = offsetSize === 8 ? r.u32() : 0xffffffff;
      const isCie = idLow === 0xffffffff && idHigh === 0xffffffff;
      const id = offsetSize === 8 ? idHigh * 0x1_0000_0000 + idLow : idLow;
      if (isCie)
        cies.set(
          entryStart,
          readCie(new DwarfReader(bytes.subarray(0, end), '.debug_frame', r.pos), end),
        );
      else pendingFdes.push({ cieOffset: id, at: r.pos, end });
      r.pos = end;
    }
    const fdes: Fde[] = [];
    for (const p of pendingFdes) {
      const cie = cies.get(p.cieOffset);
      if (cie === undefined) {
        throw new ImageError(
          `.debug_frame: an FDE names a CIE at offset ${p.cieOffset}, where there is none`,
        );
      }
      const fr = new DwarfReader(bytes.subarray(0, p.end), '.debug_frame', p.at);
      fr.skip(cie.segmentSize);
      const start = cie.addressSize === 8 ? fr.u64() : fr.u32();
      const range = cie.addressSize === 8 ? fr.u64() : fr.u32();
      const ops = decodeOps(fr, p.end, cie);
      fdes.push({
        start,
        end: start + range,
        cie,
        ops: ops ?? [],
        usable: cie.usable && ops !== null,
      });
    }
    return new DebugFrame(fdes);
  }

  /** Number of FDEs (functions described). */
  get size(): number {
    return this.fdes.length;
  }

  /** True when an FDE covers `pc`. */
  covers(pc: number): boolean {
    return this.findFde(pc) !== undefined;
  }

  private findFde(pc: number): Fde | undefined {
    const addr = pc >>> 0;
    let lo = 0;
    let hi = this.fdes.length - 1;
    let best: Fde | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = this.fdes[mid]!;
      if (f.start <= addr) {
        best = f;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // A zero-length FDE is never found; overlapping FDEs (rare) answer with the later start.
    return best !== undefined && addr < best.end ? best : undefined;
  }

  /**
   * The CFI row in effect at `pc`: the CIE's initial instructions, then the FDE's up to the last
   * location not beyond `pc`. Undefined when no usable FDE covers it.
   */
  rowAt(pc: number): FrameRow | undefined {
    const fde = this.findFde(pc);
    if (fde === undefined || !fde.usable) return undefined;
    const addr = pc >>> 0;
    let cfa: CfaRule = null;
    let regs = new Map<number, RegisterRule>();
    const stack: { cfa: CfaRule; regs: Map<number, RegisterRule> }[] = [];
    let initialRegs = new Map<number, RegisterRule>();
    let loc = fde.start;
    const run = (ops: CfaOp[], isInitial: boolean): boolean => {
      for (const o of ops) {
        switch (o.op) {
          case 'advance':
            loc += o.delta;
            if (loc > addr) return false;
            break;
          case 'setLoc':
            loc = o.address;
            if (loc > addr) return false;
            break;
          case 'defCfa':
            cfa = { reg: o.reg, offset: o.offset };
            break;
          case 'defCfaRegister':
            cfa = cfa === null ? null : { reg: o.reg, offset: cfa.offset };
            break;
          case 'defCfaOffset':
            cfa = cfa === null ? null : { reg: cfa.reg, offset: o.offset };
            break;
          case 'defCfaExpression':
            cfa = null;
            break;
          case 'rule':
            regs.set(o.reg, o.rule);
            break;
          case 'restore': {
            // Back to the CIE's rule (DWARF 5 §6.4.2.3); in the CIE itself, to the default.
            const initial = isInitial ? undefined : initialRegs.get(o.reg);
            if (initial === undefined) regs.delete(o.reg);
            else regs.set(o.reg, initial);
            break;
          }
          case 'remember':
            stack.push({ cfa, regs: new Map(regs) });
            break;
          case 'restoreState': {
            // The CFA rule is restored too (DWARF 5 §6.4.2.4 says the state includes it).
            const s = stack.pop();
            if (s !== undefined) {
              cfa = s.cfa;
              regs = s.regs;
            }
            break;
          }
        }
      }
      return true;
    };
    run(fde.cie.initial, true);
    initialRegs = new Map(regs);
    run(fde.ops, false);
    return {
      start: fde.start,
      end: fde.end,
      cfa,
      registers: regs,
      returnAddressRegister: fde.cie.returnAddressRegister,
    };
  }
}

/** A CIE's header and initial instructions (DWARF 5 §6.4.1). */
function readCie(r: DwarfReader, end: number): Cie {
  const version = r.u8();
  if (version !== 1 && version !== 3 && version !== 4) {
    throw new ImageError(`.debug_frame: CIE version ${version} (expected 1, 3 or 4)`);
  }
  const augmentation = r.cstring();
  let addressSize = 4;
  let segmentSize = 0;
  if (version >= 4) {
    addressSize = r.u8();
    segmentSize = r.u8();
    if (addressSize !== 4 && addressSize !== 8) {
      throw new ImageError(`.debug_frame: CIE address size ${addressSize}`);
    }
  }
  const codeAlign = r.uleb();
  const dataAlign = r.sleb();
  const returnAddressRegister = version === 1 ? r.u8() : r.uleb();
  let usable = true;
  if (augmentation.startsWith('z'))
    r.skip(r.uleb()); // augmentation data, sized
  else if (augmentation !== '') usable = false; // unknown layout: the instructions cannot be found
  const header = { codeAlign, dataAlign, returnAddressRegister, addressSize, segmentSize };
  const initial = usable ? decodeOps(r, end, header) : [];
  return { ...header, initial: initial ?? [], usable: usable && initial !== null };
}
