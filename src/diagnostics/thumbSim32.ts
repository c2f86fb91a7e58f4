/**
 * Symbolic execution of 32-bit Thumb-2 instructions (ARMv7-M ARM A5.3) for prologue analysis;
 * the values, state and 16-bit instructions are in thumbSim.ts. Groups are named after the
 * ARM ARM's tables; each writes what the instruction writes, or marks it unknown.
 */
import {
  END,
  NEXT,
  SP,
  UNDEFINED,
  UNKNOWN,
  add,
  align4,
  call,
  cst,
  exec16,
  literal,
  load,
  multiple,
  popcount,
  reg,
  shifted,
  signExtend,
  store,
  sub,
  type CodeMemory,
  type Flow,
  type State,
  type Val,
} from './thumbSim.js';

/** True when hw1 is the first halfword of a 32-bit instruction (A5.1). */
export const is32 = (hw1: number): boolean => hw1 >>> 11 >= 0b11101;

/**
 * Executes one instruction (hw2 only read when is32(hw1)); `s` is left untouched when the
 * result is 'end' or 'undefined'.
 */
export function execute(code: CodeMemory, s: State, addr: number, hw1: number, hw2: number): Flow {
  if (!is32(hw1)) return exec16(code, s, addr, hw1);
  const op1 = (hw1 >> 11) & 3;
  if (op1 === 1) {
    if ((hw1 & 0x600) === 0) {
      return hw1 & 0x40 ? dualExclusive(s, addr, hw1, hw2) : multiple32(s, hw1, hw2);
    }
    if ((hw1 & 0x600) === 0x200) return dataShifted(s, addr, hw1, hw2);
    return coprocessor(s, hw1, hw2);
  }
  if (op1 === 2) {
    if (hw2 & 0x8000) return branchMisc(s, addr, hw1, hw2);
    return hw1 & 0x200 ? plainImmediate(s, addr, hw1, hw2) : modifiedImmediate(s, hw1, hw2);
  }
  const op2 = (hw1 >> 4) & 0x7f;
  if ((op2 & 0x71) === 0) return storeSingle(s, addr, hw1, hw2);
  if ((op2 & 0x60) === 0 && op2 & 1 && (op2 & 7) !== 7) return loadSingle(code, s, addr, hw1, hw2);
  const rd = (hw2 >> 8) & 15;
  if ((op2 & 0x70) === 0x20 || (op2 & 0x78) === 0x30) {
    // A5.3.12 data processing (register), A5.3.16 multiply and accumulate: Rd
    if (rd === 15) return UNDEFINED;
    s.r[rd] = UNKNOWN;
    return NEXT;
  }
  if ((op2 & 0x78) === 0x38) {
    // A5.3.17 long multiply and divide: SDIV/UDIV write Rd, the others RdLo and RdHi
    const divide = ((op2 & 7) === 1 || (op2 & 7) === 3) && ((hw2 >> 4) & 15) === 15;
    const rdLo = hw2 >>> 12;
    if (rd === 15 || (!divide && rdLo === 15)) return UNDEFINED;
    s.r[rd] = UNKNOWN;
    if (!divide) s.r[rdLo] = UNKNOWN;
    return NEXT;
  }
  if (op2 & 0x40) return coprocessor(s, hw1, hw2);
  return UNDEFINED;
}

/** A5.3.5 load/store multiple: STMIA, STMDB (PUSH T2 is STMDB SP!), LDMIA (POP T2), LDMDB. */
function multiple32(s: State, hw1: number, hw2: number): Flow {
  const mode = (hw1 >> 7) & 3; // 1: increment after, 2: decrement before
  if (mode === 0 || mode === 3) return UNDEFINED; // SRS, RFE: not in ARMv7-M
  const isLoad = (hw1 & 0x10) !== 0;
  const n = hw1 & 15;
  if (isLoad && hw2 & 0x8000) return END; // loads the PC: a return
  const base = s.r[n]!;
  const bytes = cst(4 * popcount(hw2));
  const lowest = mode === 1 ? base : sub(base, bytes);
  multiple(s, isLoad, hw2, lowest);
  const writeback = (hw1 & 0x20) !== 0 && !(isLoad && hw2 & (1 << n));
  if (writeback) s.r[n] = mode === 1 ? add(base, bytes) : lowest;
  return NEXT;
}

/** A5.3.6 load/store dual or exclusive, table branch. */
function dualExclusive(s: State, addr: number, hw1: number, hw2: number): Flow {
  const p = (hw1 >> 8) & 1;
  const u = (hw1 >> 7) & 1;
  const w = (hw1 >> 5) & 1;
  const isLoad = (hw1 >> 4) & 1;
  const n = hw1 & 15;
  const rt = hw2 >>> 12;
  if (p === 0 && w === 0) {
    if (u === 0)
      s.r[isLoad ? rt : (hw2 >> 8) & 15] = UNKNOWN; // LDREX; STREX's status
    else if (!isLoad)
      s.r[hw2 & 15] = UNKNOWN; // STREXB/H's status
    else if (((hw2 >> 4) & 15) <= 1)
      return END; // TBB/TBH
    else s.r[rt] = UNKNOWN; // LDREXB/H
    return NEXT;
  }
  // STRD/LDRD Rt, Rt2, [Rn, #+/-imm8*4]{!} or [Rn], #+/-imm8*4
  const rt2 = (hw2 >> 8) & 15;
  if (rt === 15 || rt2 === 15) return UNDEFINED;
  const base = n === 15 ? cst(align4(addr + 4)) : s.r[n]!;
  const offset = cst((u ? 1 : -1) * (hw2 & 0xff) * 4);
  const address = p ? add(base, offset) : base;
  if (isLoad) {
    load(s, rt, address, 4);
    load(s, rt2, add(address, cst(4)), 4);
  } else {
    const [v1, v2] = [s.r[rt]!, s.r[rt2]!];
    store(s, v1, address, 4);
    store(s, v2, add(address, cst(4)), 4);
  }
  if (w) s.r[n] = add(base, offset);
  return NEXT;
}

/** TST, TEQ, CMN and CMP: the data-processing ops that with Rd = PC and S set write nothing. */
const isCompare = (op: number): boolean => op === 0 || op === 4 || op === 8 || op === 13;

/** A5.3.11 data processing (shifted register): MOV.W, ADD.W, SUB.W (SUB SP, SP, Rm)... */
function dataShifted(s: State, addr: number, hw1: number, hw2: number): Flow {
  const op = (hw1 >> 5) & 15;
  const n = hw1 & 15;
  const d = (hw2 >> 8) & 15;
  if (d === 15) return hw1 & 0x10 && isCompare(op) ? NEXT : UNDEFINED;
  const imm5 = (((hw2 >> 12) & 7) << 2) | ((hw2 >> 6) & 3);
  const operand = shifted(reg(s, hw2 & 15, addr), (hw2 >> 4) & 3, imm5);
  let v: Val = UNKNOWN;
  if (op === 2 && n === 15) v = operand;
  else if (op === 8) v = add(reg(s, n, addr), operand);
  else if (op === 13) v = sub(reg(s, n, addr), operand);
  s.r[d] = v;
  return NEXT;
}

/** ThumbExpandImm (A5.3.2) of i:imm3:imm8. */
export function thumbExpandImm(imm12: number): number {
  const imm8 = imm12 & 0xff;
  if ((imm12 & 0xc00) === 0) {
    switch ((imm12 >> 8) & 3) {
      case 0:
        return imm8;
      case 1:
        return (imm8 << 16) | imm8;
      case 2:
        return ((imm8 << 24) | (imm8 << 8)) >>> 0;
      default:
        return ((imm8 << 24) | (imm8 << 16) | (imm8 << 8) | imm8) >>> 0;
    }
  }
  const unrotated = 0x80 | (imm12 & 0x7f);
  const rot = (imm12 >> 7) & 31;
  return ((unrotated >>> rot) | (unrotated << (32 - rot))) >>> 0;
}

/** i:imm3:imm8 of a 32-bit data-processing immediate. */
const imm12Of = (hw1: number, hw2: number): number =>
  ((hw1 & 0x400) << 1) | ((hw2 >> 4) & 0x700) | (hw2 & 0xff);

/** A5.3.1 data processing (modified immediate): MOV.W, MVN, ADD.W and SUB.W (SP too)... */
function modifiedImmediate(s: State, hw1: number, hw2: number): Flow {
  const op = (hw1 >> 5) & 15;
  const n = hw1 & 15;
  const d = (hw2 >> 8) & 15;
  if (d === 15) return hw1 & 0x10 && isCompare(op) ? NEXT : UNDEFINED;
  const imm = thumbExpandImm(imm12Of(hw1, hw2));
  let v: Val = UNKNOWN;
  if (op === 2 && n === 15) v = cst(imm);
  else if (op === 3 && n === 15) v = cst(~imm);
  else if (op === 8) v = add(s.r[n]!, cst(imm));
  else if (op === 13) v = sub(s.r[n]!, cst(imm));
  s.r[d] = v;
  return NEXT;
}

/** A5.3.3 data processing (plain binary immediate): ADDW, SUBW (and ADR), MOVW, MOVT... */
function plainImmediate(s: State, addr: number, hw1: number, hw2: number): Flow {
  const op = (hw1 >> 4) & 31;
  const n = hw1 & 15;
  const d = (hw2 >> 8) & 15;
  if (d === 15) return UNDEFINED;
  const imm12 = imm12Of(hw1, hw2);
  const imm16 = ((hw1 & 15) << 12) | imm12;
  const base = n === 15 ? cst(align4(addr + 4)) : s.r[n]!;
  let v: Val = UNKNOWN;
  if (op === 0) v = add(base, cst(imm12));
  else if (op === 10) v = sub(base, cst(imm12));
  else if (op === 4) v = cst(imm16);
  else if (op === 12) {
    const low = s.r[d]!; // MOVT keeps the low half
    v = low.k === 'const' ? cst((low.n & 0xffff) | (imm16 << 16)) : UNKNOWN;
  }
  s.r[d] = v;
  return NEXT;
}

/** A5.3.4 branches and miscellaneous control. */
function branchMisc(s: State, addr: number, hw1: number, hw2: number): Flow {
  const op1 = (hw2 >> 12) & 5; // hw2 bits 14 and 12
  if (op1 === 5) return call(s); // BL
  const sign = (hw1 >> 10) & 1;
  const j1 = (hw2 >> 13) & 1;
  const j2 = (hw2 >> 11) & 1;
  if (op1 === 1) {
    // B (T4): S:I1:I2:imm10:imm11:'0', I1 = NOT(J1 XOR S), I2 = NOT(J2 XOR S)
    const imm =
      sign * 0x1000000 +
      (1 ^ j1 ^ sign) * 0x800000 +
      (1 ^ j2 ^ sign) * 0x400000 +
      (hw1 & 0x3ff) * 0x1000 +
      (hw2 & 0x7ff) * 2;
    return { f: 'end', target: (addr + 4 + signExtend(imm, 25)) >>> 0 };
  }
  if (op1 !== 0) return UNDEFINED; // BLX (immediate): not in ARMv7-M
  if ((hw1 & 0xfff0) === 0xf7f0 && (hw2 & 0xf000) === 0xa000) return END; // UDF (T2): a trap
  const op = (hw1 >> 4) & 0x7f;
  if ((op & 0x38) !== 0x38) {
    // B<c> (T3): S:J2:J1:imm6:imm11:'0'
    const imm =
      sign * 0x100000 + j2 * 0x80000 + j1 * 0x40000 + (hw1 & 0x3f) * 0x1000 + (hw2 & 0x7ff) * 2;
    return { f: 'cond', target: (addr + 4 + signExtend(imm, 21)) >>> 0 };
  }
  if (op === 0x38 || op === 0x39) {
    // MSR: writing MSP, PSP or CONTROL (SPSEL) may change which stack r13 is
    const sysm = hw2 & 0xff;
    if (sysm === 8 || sysm === 9 || sysm === 20) s.r[SP] = UNKNOWN;
    return NEXT;
  }
  if (op === 0x3a || op === 0x3b) return NEXT; // hints; CLREX, DSB, DMB, ISB
  if (op === 0x3e || op === 0x3f) {
    const d = (hw2 >> 8) & 15; // MRS
    if (d === 15) return UNDEFINED;
    s.r[d] = UNKNOWN;
    return NEXT;
  }
  return UNDEFINED;
}

/** The address of a single load/store: [Rn, #imm12], imm8 with P/U/W, or [Rn, Rm, LSL #imm2]. */
function addressing(
  s: State,
  hw1: number,
  hw2: number,
): { address: Val; writeback?: Val } | undefined {
  const base = s.r[hw1 & 15]!;
  if (hw1 & 0x80) return { address: add(base, cst(hw2 & 0xfff)) };
  if (hw2 & 0x800) {
    const p = (hw2 >> 10) & 1;
    const w = (hw2 >> 8) & 1;
    if (!p && !w) return undefined;
    const moved = add(base, cst(((hw2 >> 9) & 1 ? 1 : -1) * (hw2 & 0xff)));
    return { address: p ? moved : base, writeback: w ? moved : undefined };
  }
  if ((hw2 & 0xfc0) !== 0) return undefined;
  return { address: add(base, shifted(s.r[hw2 & 15]!, 0, (hw2 >> 4) & 3)) };
}

/** A5.3.10 store single data item (STR Rt, [SP, #-4]! is PUSH T3). */
function storeSingle(s: State, addr: number, hw1: number, hw2: number): Flow {
  const size = 1 << ((hw1 >> 5) & 3);
  const n = hw1 & 15;
  if (size === 8 || n === 15) return UNDEFINED;
  const access = addressing(s, hw1, hw2);
  if (access === undefined) return UNDEFINED;
  store(s, reg(s, hw2 >>> 12, addr), access.address, size);
  if (access.writeback !== undefined) s.r[n] = access.writeback;
  return NEXT;
}

/** A5.3.7-A5.3.9 loads of a word, halfword or byte, and the preload hints. */
function loadSingle(code: CodeMemory, s: State, addr: number, hw1: number, hw2: number): Flow {
  const kind = (hw1 >> 4) & 7; // 1 byte, 3 halfword, 5 word
  const size = kind === 5 ? 4 : kind === 3 ? 2 : 1;
  const n = hw1 & 15;
  const t = hw2 >>> 12;
  if (t === 15) return size === 4 ? END : NEXT; // LDR PC: a return or a jump; PLD/PLI
  if (n === 15) {
    const offset = (hw1 & 0x80 ? 1 : -1) * (hw2 & 0xfff); // literal
    s.r[t] = size === 4 ? literal(code, addr, offset) : UNKNOWN;
    return NEXT;
  }
  const access = addressing(s, hw1, hw2);
  if (access === undefined) return UNDEFINED;
  load(s, t, access.address, size);
  if (access.writeback !== undefined && t !== n) s.r[n] = access.writeback;
  return NEXT;
}

/**
 * A5.3.18 coprocessor and floating point: VPUSH (VSTMDB SP!), VPOP (VLDMIA SP!), VSTM/VLDM,
 * VSTR/VLDR, and the transfers to core registers (VMOV, VMRS, MRC, MRRC).
 */
function coprocessor(s: State, hw1: number, hw2: number): Flow {
  const op = (hw1 >> 4) & 0x3f;
  if ((op & 0x3e) === 0x04) {
    if (op & 1) {
      s.r[hw2 >>> 12] = UNKNOWN; // MRRC, VMOV Rt, Rt2, Dm
      s.r[hw1 & 15] = UNKNOWN;
    }
    return NEXT;
  }
  if ((op & 0x20) === 0) {
    if ((op & 0x3a) === 0) return UNDEFINED;
    const n = hw1 & 15;
    const p = (op >> 4) & 1;
    const u = (op >> 3) & 1;
    const w = (op >> 1) & 1;
    const bytes = (hw2 & 0xff) * 4;
    const base = n === 15 ? UNKNOWN : s.r[n]!;
    if (!(op & 1)) {
      // FP register contents are not tracked: the slots stored over are forgotten. VSTR (P=1,
      // W=0) stores one register at base +/- offset; VSTM from base upwards or below it.
      const single = p && !w;
      const size = single ? (((hw2 >> 8) & 15) === 11 ? 8 : 4) : bytes;
      let lowest = u ? base : sub(base, cst(bytes));
      if (single) lowest = add(base, cst((u ? 1 : -1) * bytes));
      store(s, UNKNOWN, lowest, size);
    }
    if (w) s.r[n] = u ? add(base, cst(bytes)) : sub(base, cst(bytes));
    return NEXT;
  }
  if ((op & 0x30) === 0x20) {
    const t = hw2 >>> 12; // MRC, VMOV Rt, Sn, VMRS (Rt = 15: the flags only)
    if (hw2 & 0x10 && op & 1 && t !== 15) s.r[t] = UNKNOWN;
    return NEXT; // CDP, MCR, VFP data processing
  }
  return UNDEFINED;
}
