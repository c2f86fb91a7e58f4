/**
 * Symbolic execution of Thumb instructions for prologue analysis (prologue.ts): registers and
 * stack slots hold "the SP at entry + n", "the caller's rN", a constant, or unknown. This file
 * has the values, the state, the memory effects and the 16-bit instructions (ARMv7-M ARM A5.2);
 * thumbSim32.ts has the 32-bit ones (A5.3). Every instruction is decoded far enough to know which
 * registers it writes, so nothing unrecognised can move SP or the frame pointer unseen.
 */

/** Code reads; `undefined` where nothing readable is mapped. */
export interface CodeMemory {
  read16(addr: number): number | undefined;
  read32(addr: number): number | undefined;
}

export const SP = 13;
export const LR = 14;
export const FP = 7;

/** A symbolic register or stack-slot value. */
export type Val =
  | { k: 'sp'; n: number } // the SP at entry + n
  | { k: 'const'; n: number }
  | { k: 'entry'; n: number } // register n's value at entry (the caller's)
  | { k: 'unknown' };

export const UNKNOWN: Val = { k: 'unknown' };
export const cst = (n: number): Val => ({ k: 'const', n: n >>> 0 });

export function add(a: Val, b: Val): Val {
  if (a.k === 'sp' && b.k === 'const') return { k: 'sp', n: a.n + (b.n | 0) };
  if (a.k === 'const' && b.k === 'sp') return { k: 'sp', n: b.n + (a.n | 0) };
  if (a.k === 'const' && b.k === 'const') return cst(a.n + b.n);
  return UNKNOWN;
}

export function sub(a: Val, b: Val): Val {
  if (a.k === 'sp' && b.k === 'const') return { k: 'sp', n: a.n - (b.n | 0) };
  if (a.k === 'sp' && b.k === 'sp') return cst(a.n - b.n);
  if (a.k === 'const' && b.k === 'const') return cst(a.n - b.n);
  return UNKNOWN;
}

export const same = (a: Val, b: Val): boolean =>
  a.k === b.k && (a.k === 'unknown' || a.n === (b as { n: number }).n);

export interface State {
  /** r0-r15; r15 stays unknown (reg() reads the PC as the instruction's address + 4). */
  r: Val[];
  /** Word-sized stack slots by offset from the SP at entry. */
  slots: Map<number, Val>;
}

/** The state at a function's first instruction. */
export function entryState(): State {
  const r: Val[] = [];
  for (let i = 0; i < 16; i++)
    r.push(i === SP ? { k: 'sp', n: 0 } : i === 15 ? UNKNOWN : { k: 'entry', n: i });
  return { r, slots: new Map() };
}

export function clone(s: State): State {
  return { r: s.r.slice(), slots: new Map(s.slots) };
}

/** How control leaves an instruction. */
export type Flow =
  | { f: 'next' }
  | { f: 'call' } // BL/BLX/SVC: back at the next instruction with SP and r4-r11 kept (AAPCS)
  | { f: 'cond'; target: number } // a conditional branch
  | { f: 'end'; target?: number } // unconditional branch (B: with its target) or return
  | { f: 'it'; count: number }
  | { f: 'undefined' };

export const NEXT: Flow = { f: 'next' };
export const END: Flow = { f: 'end' };
export const UNDEFINED: Flow = { f: 'undefined' };

export const signExtend = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);
export const align4 = (a: number): number => a & ~3;

export function popcount(x: number): number {
  let n = 0;
  for (let v = x & 0xffff; v; v &= v - 1) n++;
  return n;
}

/** Register m's value, with the PC read as the instruction's address + 4. */
export function reg(s: State, m: number, addr: number): Val {
  return m === 15 ? cst(addr + 4) : s.r[m]!;
}

/** A register operand's shift (DecodeImmShift): only constants and the identity are known. */
export function shifted(v: Val, type: number, imm5: number): Val {
  if (type === 0 && imm5 === 0) return v;
  if (v.k !== 'const') return UNKNOWN;
  const n = v.n;
  switch (type) {
    case 0:
      return cst(n << imm5);
    case 1:
      return cst(imm5 === 0 ? 0 : n >>> imm5);
    case 2:
      return cst(imm5 === 0 ? n >> 31 : n >> imm5);
    default:
      return imm5 === 0 ? UNKNOWN : cst((n >>> imm5) | (n << (32 - imm5)));
  }
}

/** A load into rt: a word from a known stack slot keeps its value; anything else is unknown. */
export function load(s: State, rt: number, address: Val, size: number): void {
  s.r[rt] = size === 4 && address.k === 'sp' ? (s.slots.get(address.n) ?? UNKNOWN) : UNKNOWN;
}

/** A store: to the stack it replaces what the slots held; through a pointer it is not tracked. */
export function store(s: State, value: Val, address: Val, size: number): void {
  if (address.k !== 'sp') return;
  const a = address.n;
  for (const off of [...s.slots.keys()]) if (off < a + size && off + 4 > a) s.slots.delete(off);
  if (size === 4 && (a & 3) === 0) s.slots.set(a, value);
}

/** LDM/STM of `list` (bit i: ri) from `lowest` upwards; the caller does the writeback. */
export function multiple(s: State, isLoad: boolean, list: number, lowest: Val): void {
  let a = lowest;
  for (let i = 0; i < 16; i++) {
    if (!(list & (1 << i))) continue;
    if (isLoad) load(s, i, a, 4);
    else store(s, s.r[i]!, a, 4);
    a = add(a, cst(4));
  }
}

/** The word at Align(PC, 4) + offset, from code memory. */
export function literal(code: CodeMemory, addr: number, offset: number): Val {
  const v = code.read32((align4(addr + 4) + offset) >>> 0);
  return v === undefined ? UNKNOWN : cst(v);
}

/** A call: the AAPCS lets it change r0-r3, r12 and LR (the return address), nothing else. */
export function call(s: State): Flow {
  for (const i of [0, 1, 2, 3, 12, LR]) s.r[i] = UNKNOWN;
  return { f: 'call' };
}

/** A 16-bit instruction (A5.2); `s` is untouched when it returns 'end' or 'undefined'. */
export function exec16(code: CodeMemory, s: State, addr: number, hw: number): Flow {
  const r = s.r;
  const rd = hw & 7;
  const r810 = (hw >> 8) & 7;
  const imm8 = hw & 0xff;
  if (hw >>> 14 === 0) {
    // A5.2.1 shift (immediate), add, subtract, move and compare
    const op5 = hw >>> 11;
    const rn = (hw >> 3) & 7;
    if (op5 <= 2)
      r[rd] = op5 === 0 && ((hw >> 6) & 31) === 0 ? r[rn]! : UNKNOWN; // MOVS Rd, Rm
    else if (op5 === 3) {
      const operand = hw & 0x400 ? cst((hw >> 6) & 7) : r[(hw >> 6) & 7]!;
      r[rd] = hw & 0x200 ? sub(r[rn]!, operand) : add(r[rn]!, operand);
    } else if (op5 === 4) r[r810] = cst(imm8);
    else if (op5 === 6) r[r810] = add(r[r810]!, cst(imm8));
    else if (op5 === 7) r[r810] = sub(r[r810]!, cst(imm8));
    return NEXT; // op5 5 is CMP
  }
  if (hw >>> 10 === 0b010000) {
    // A5.2.2 data processing on low registers; TST, CMP and CMN write none
    const op = (hw >> 6) & 15;
    if (op !== 8 && op !== 10 && op !== 11) r[rd] = UNKNOWN;
    return NEXT;
  }
  if (hw >>> 10 === 0b010001) {
    // A5.2.3 special data instructions and branch and exchange
    const d = ((hw >> 4) & 8) | rd;
    const m = (hw >> 3) & 15;
    switch ((hw >> 8) & 3) {
      case 0: // ADD Rdn, Rm (ADD SP, Rm among them)
        if (d === 15) return END;
        r[d] = add(reg(s, d, addr), reg(s, m, addr));
        return NEXT;
      case 1: // CMP
        return NEXT;
      case 2: // MOV Rd, Rm (MOV r7, SP; MOV SP, r7)
        if (d === 15) return END;
        r[d] = reg(s, m, addr);
        return NEXT;
      default: // BX / BLX
        return hw & 0x80 ? call(s) : END;
    }
  }
  if (hw >>> 11 === 0b01001) {
    r[r810] = literal(code, addr, imm8 * 4); // LDR Rt, [PC, #imm8]
    return NEXT;
  }
  if (hw >>> 12 === 0b0101) {
    // A5.2.4 load/store with a register offset: STR STRH STRB LDRSB LDR LDRH LDRB LDRSH
    const opB = (hw >> 9) & 7;
    const address = add(r[(hw >> 3) & 7]!, r[(hw >> 6) & 7]!);
    if (opB >= 3) load(s, rd, address, opB === 4 ? 4 : 1);
    else store(s, r[rd]!, address, opB === 0 ? 4 : opB === 1 ? 2 : 1);
    return NEXT;
  }
  if (hw >>> 13 === 0b011 || hw >>> 12 === 0b1000) {
    // STR/LDR/STRB/LDRB Rt, [Rn, #imm5] and STRH/LDRH
    const size = hw >>> 12 === 0b1000 ? 2 : hw & 0x1000 ? 1 : 4;
    const address = add(r[(hw >> 3) & 7]!, cst(((hw >> 6) & 31) * size));
    if (hw & 0x800) load(s, rd, address, size);
    else store(s, r[rd]!, address, size);
    return NEXT;
  }
  if (hw >>> 12 === 0b1001) {
    // STR/LDR Rt, [SP, #imm8]
    const address = add(r[SP]!, cst(imm8 * 4));
    if (hw & 0x800) load(s, r810, address, 4);
    else store(s, r[r810]!, address, 4);
    return NEXT;
  }
  if (hw >>> 11 === 0b10100) {
    r[r810] = cst(align4(addr + 4) + imm8 * 4); // ADR
    return NEXT;
  }
  if (hw >>> 11 === 0b10101) {
    r[r810] = add(r[SP]!, cst(imm8 * 4)); // ADD Rd, SP, #imm8 (the frame pointer: ADD r7, SP)
    return NEXT;
  }
  if (hw >>> 12 === 0b1011) return misc16(s, addr, hw);
  if (hw >>> 12 === 0b1100) {
    // STM/LDM Rn!, {list} on low registers
    const n = (hw >> 8) & 7;
    const base = r[n]!;
    const isLoad = (hw & 0x800) !== 0;
    multiple(s, isLoad, imm8, base);
    if (!isLoad || !(imm8 & (1 << n))) r[n] = add(base, cst(4 * popcount(imm8)));
    return NEXT;
  }
  if (hw >>> 12 === 0b1101) {
    const cond = (hw >> 8) & 15;
    if (cond === 14) return END; // UDF: a trap (Rust's unreachable), nothing runs after it
    if (cond === 15) return call(s); // SVC: the OS returns to the next instruction
    return { f: 'cond', target: (addr + 4 + signExtend(imm8 << 1, 9)) >>> 0 }; // B<c> (T1)
  }
  if (hw >>> 11 === 0b11100) {
    return { f: 'end', target: (addr + 4 + signExtend((hw & 0x7ff) << 1, 12)) >>> 0 }; // B (T2)
  }
  return UNDEFINED;
}

/** A5.2.5 miscellaneous 16-bit instructions. */
function misc16(s: State, addr: number, hw: number): Flow {
  const r = s.r;
  if ((hw & 0xff00) === 0xb000) {
    const imm = cst((hw & 0x7f) * 4); // ADD/SUB SP, SP, #imm7
    r[SP] = hw & 0x80 ? sub(r[SP]!, imm) : add(r[SP]!, imm);
    return NEXT;
  }
  if ((hw & 0xf500) === 0xb100) {
    const offset = ((hw >> 3) & 0x1f) * 2 + ((hw >> 9) & 1) * 64; // CBZ/CBNZ: i:imm5:'0'
    return { f: 'cond', target: (addr + 4 + offset) >>> 0 };
  }
  if ((hw & 0xff00) === 0xb200 || ((hw & 0xff00) === 0xba00 && (hw & 0xc0) !== 0x80)) {
    r[hw & 7] = UNKNOWN; // SXTH SXTB UXTH UXTB; REV REV16 REVSH
    return NEXT;
  }
  if ((hw & 0xfe00) === 0xb400) {
    // PUSH (T1), LR in bit 8
    const list = (hw & 0xff) | (hw & 0x100 ? 1 << LR : 0);
    const lowest = sub(r[SP]!, cst(4 * popcount(list)));
    multiple(s, false, list, lowest);
    r[SP] = lowest;
    return NEXT;
  }
  if ((hw & 0xffec) === 0xb660) return NEXT; // CPS
  if ((hw & 0xfe00) === 0xbc00) {
    if (hw & 0x100) return END; // POP {..., pc}: a return
    const base = r[SP]!;
    multiple(s, true, hw & 0xff, base);
    r[SP] = add(base, cst(4 * popcount(hw & 0xff)));
    return NEXT;
  }
  if ((hw & 0xff00) === 0xbe00) {
    r[0] = UNKNOWN; // BKPT: a semihosting call answers in r0
    return NEXT;
  }
  if ((hw & 0xff00) === 0xbf00) {
    const mask = hw & 15;
    if (mask === 0) return NEXT; // NOP, YIELD, WFE, WFI, SEV
    let count = 4; // IT: as many instructions as the mask has bits above its lowest set one, + 1
    while (!(mask & (1 << (4 - count)))) count--;
    return { f: 'it', count };
  }
  return UNDEFINED;
}
