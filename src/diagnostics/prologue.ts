/**
 * Prologue analysis of Thumb-2 code, for frames no unwind table describes (code built without
 * .debug_frame or .ARM.exidx, as Rust's std for thumbv7em-nuttx-eabi is). As GDB does it
 * (thumb_analyze_prologue): the instructions from the function's first one (by the symbol
 * table) up to the frame's PC are simulated on symbolic values — "the SP at entry plus k", "the
 * caller's r4", a constant (thumbSim.ts, thumbSim32.ts) — which says where the CFA (the SP at
 * entry) is at the PC and where LR and the callee-saved registers were stored. Recognised on the
 * way: PUSH (T1, T2 = STMDB SP!, T3 = STR Rt, [SP, #-4]!), SUB/ADD SP by an immediate or by a
 * register holding a constant (MOV, MOVW/MOVT, MVN, LDR literal), VPUSH/VSTMDB SP!, the r7 frame
 * pointer (ADD r7, SP, #imm; MOV r7, SP), stores to the frame, and the pops of an epilogue.
 *
 * The scan follows the straight path to the PC. It steps over calls (the AAPCS keeps SP and
 * r4-r11 across them) and over conditional branches, remembering the state each one carries;
 * where a branch target is reached the paths must agree on the frame. Where the straight path
 * ends (a return, a jump, a UDF trap) it goes on at the nearest pending branch target, so an
 * early return before the pushes (shrink-wrapping) is no obstacle. With no target left, or after
 * MAX_INSTRUCTIONS, the state there stands for the rest of the function, as GDB assumes: bodies
 * do not move SP, and alloca goes through the frame pointer, which is preferred then.
 *
 * It refuses — the unwinder then stops rather than invent a frame — on an undecodable
 * instruction, a PC off the instruction boundaries, paths that disagree at a join, a frame change
 * in an IT block or a loop, an SP that cannot be tracked without a frame pointer, and an exact PC
 * (not a return address) inside an epilogue the scan could not reach.
 */

import {
  FP,
  LR,
  NEXT,
  SP,
  UNKNOWN,
  clone,
  entryState,
  same,
  type CodeMemory,
  type Flow,
  type State,
  type Val,
} from './thumbSim.js';
import { execute, is32 } from './thumbSim32.js';

export type { CodeMemory } from './thumbSim.js';

/** What the analysis learnt about the frame at `pc`. */
export interface PrologueFrame {
  /** The CFA (SP at the function's entry) is `r[cfaReg] + cfaOffset` at `pc`. */
  cfaReg: 7 | 13;
  cfaOffset: number;
  /** With an r7 frame pointer and a tracked SP both known: the SP-based rule too (a check). */
  spCfaOffset?: number;
  /** Registers (r4-r11, r14) stored by the function: their offset from the CFA. */
  saved: Map<number, number>;
  /** LR still holds its value at entry (nothing stored or overwrote it). */
  lrLive: boolean;
  /** True when the scan reached `pc`; false when it ended earlier (branch or bound). */
  complete: boolean;
}

export type PrologueAnalysis = ({ ok: true } & PrologueFrame) | { ok: false; reason: string };

/** Instructions simulated at most: prologues are a handful; the bound keeps every scan short. */
export const MAX_INSTRUCTIONS = 64;

const key = (v: Val): string => (v.k === 'unknown' ? '?' : `${v.k}${v.n}`);

/**
 * The slot (offset from the CFA) where each of r4-r11 and LR was stored; the highest wins. Slots
 * below a tracked SP were popped: dead, an interrupt may overwrite them.
 */
function savedRegisters(s: State): Map<number, number> {
  const saved = new Map<number, number>();
  const sp = s.r[SP]!;
  for (const [off, v] of s.slots) {
    if (v.k !== 'entry' || v.n < 4 || v.n === 12 || (sp.k === 'sp' && off < sp.n)) continue;
    const prev = saved.get(v.n);
    if (prev === undefined || off > prev) saved.set(v.n, off);
  }
  return saved;
}

/** What a frame change compares: SP, a frame pointer in r7, LR while unsaved, the saves. */
function frameKey(s: State): string {
  const saved = savedRegisters(s);
  const r7 = s.r[FP]!;
  const parts = [key(s.r[SP]!), r7.k === 'sp' ? key(r7) : '-', saved.has(LR) ? '' : key(s.r[LR]!)];
  for (const [r, off] of [...saved].sort((a, b) => a[0] - b[0])) parts.push(`${r}@${off}`);
  return parts.join('|');
}

/** Where two paths join: registers on which they disagree are unknown, and so are such slots. */
function merge(into: State, other: State): void {
  for (let i = 0; i < 16; i++) if (!same(into.r[i]!, other.r[i]!)) into.r[i] = UNKNOWN;
  for (const [off, v] of into.slots) {
    const o = other.slots.get(off);
    if (o === undefined || !same(o, v)) into.slots.delete(off);
  }
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * The frame at `pc` of the function starting at `start`. `exact` says `pc` is the next
 * instruction to run (the innermost frame, or one an exception interrupted); otherwise `pc` is a
 * return address and the analysis covers the call before it.
 */
export function analyzePrologue(
  code: CodeMemory,
  start: number,
  pc: number,
  exact: boolean,
): PrologueAnalysis {
  start = (start & ~1) >>> 0;
  pc = (pc & ~1) >>> 0;
  const refuse = (reason: string): PrologueAnalysis => ({ ok: false, reason });
  if (pc < start) return refuse(`${hex(pc)} lies before the function's start ${hex(start)}`);
  let st = entryState();
  let addr = start;
  let itLeft = 0;
  let complete = false;
  /** Forward branches to at most pc not yet joined: where they go, and the state they carry. */
  const pending: Array<{ target: number; from: number; state: State }> = [];
  /** The frame at each instruction scanned, for branches back to it. */
  const seen = new Map<number, string>();
  for (let count = 0; ; count++) {
    // Paths that branched here join the one arriving: their frames must agree.
    for (let i = pending.length - 1; i >= 0; i--) {
      const p = pending[i]!;
      if (p.target !== addr) continue;
      if (frameKey(p.state) !== frameKey(st)) {
        return refuse(`the branch at ${hex(p.from)} reaches ${hex(addr)} with another frame`);
      }
      merge(st, p.state);
      pending.splice(i, 1);
    }
    if (addr >= pc) {
      if (addr > pc)
        return refuse(`${hex(pc)} is not on an instruction boundary from ${hex(start)}`);
      complete = true;
      break;
    }
    if (count >= MAX_INSTRUCTIONS) break;
    const hw1 = code.read16(addr);
    if (hw1 === undefined) return refuse(`code at ${hex(addr)} is unreadable`);
    let hw2 = 0;
    if (is32(hw1)) {
      const h = code.read16(addr + 2);
      if (h === undefined) return refuse(`code at ${hex(addr + 2)} is unreadable`);
      hw2 = h;
    }
    const size = is32(hw1) ? 4 : 2;
    const before = frameKey(st);
    seen.set(addr, before);
    let flow: Flow;
    if (itLeft > 0) {
      itLeft--;
      // IT-conditional: the frame must not depend on whether it ran; registers it wrote are lost
      const taken = clone(st);
      flow = execute(code, taken, addr, hw1, hw2);
      if (flow.f === 'undefined') return refuse(`undecodable instruction at ${hex(addr)}`);
      // A conditional return leaves the fall-through path alone; a B in the block is a branch.
      if (flow.f === 'end') {
        flow = flow.target === undefined ? NEXT : { f: 'cond', target: flow.target };
      } else if (frameKey(taken) !== before) {
        return refuse(`the conditional instruction at ${hex(addr)} changes the frame`);
      }
      merge(st, taken);
    } else {
      flow = execute(code, st, addr, hw1, hw2);
      if (flow.f === 'undefined') return refuse(`undecodable instruction at ${hex(addr)}`);
    }
    if (flow.f === 'end') {
      // This path ends (a return, a jump, a trap): go on where a pending branch went, with its
      // state. With none left the scan ends, and what the prologue left stands for the body.
      if (flow.target !== undefined && flow.target > addr && flow.target <= pc) {
        pending.push({ target: flow.target, from: addr, state: clone(st) });
      }
      let next: (typeof pending)[number] | undefined;
      for (const p of pending) if (p.target > addr && (!next || p.target < next.target)) next = p;
      if (next === undefined) break;
      pending.splice(pending.indexOf(next), 1);
      st = clone(next.state);
      addr = next.target;
      itLeft = 0;
      continue;
    }
    if (flow.f === 'cond') {
      const t = flow.target;
      if (t > addr && t <= pc) pending.push({ target: t, from: addr, state: clone(st) });
      else if (t <= addr && seen.has(t) && seen.get(t) !== frameKey(st)) {
        return refuse(`the loop back to ${hex(t)} at ${hex(addr)} changes the frame`);
      }
    } else if (flow.f === 'it') itLeft = flow.count;
    addr += size;
  }
  if (!complete && exact) {
    const why = epilogueBefore(code, pc);
    if (why !== undefined) return refuse(`${hex(pc)} is in an epilogue (${why})`);
  }
  const sp = st.r[SP]!;
  const r7 = st.r[FP]!;
  const spCfa = sp.k === 'sp' ? -sp.n : undefined;
  const fpCfa = r7.k === 'sp' ? -r7.n : undefined;
  const saved = savedRegisters(st);
  const lr = st.r[LR]!;
  const lrLive = lr.k === 'entry' && lr.n === LR;
  const frame = { saved, lrLive, complete };
  // A complete scan knows SP exactly; a partial one trusts the frame pointer (alloca moves SP).
  if (spCfa !== undefined && (complete || fpCfa === undefined)) {
    return { ok: true, cfaReg: SP, cfaOffset: spCfa, ...frame };
  }
  if (fpCfa !== undefined) {
    return { ok: true, cfaReg: FP, cfaOffset: fpCfa, spCfaOffset: spCfa, ...frame };
  }
  return refuse(`SP is not tracked at ${hex(complete ? pc : addr)} and r7 is no frame pointer`);
}

/**
 * Why the instruction before `pc` (read either as a 16-bit one at pc - 2 or a 32-bit one at
 * pc - 4) has started an epilogue — it raised SP or set it from another register — or undefined.
 */
function epilogueBefore(code: CodeMemory, pc: number): string | undefined {
  const h1 = code.read16(pc - 2);
  const h2 = code.read16(pc - 4);
  if (h1 === undefined) return 'the code before it is unreadable';
  // Both readings are tried: a wrong one can only make the analysis refuse, never misread.
  const candidates: Array<[number, number, number]> = [];
  if (!is32(h1)) candidates.push([pc - 2, h1, 0]);
  if (h2 !== undefined && is32(h2)) candidates.push([pc - 4, h2, h1]);
  for (const [at, a, b] of candidates) {
    const s: State = { r: new Array<Val>(16).fill(UNKNOWN), slots: new Map() };
    s.r[SP] = { k: 'sp', n: 0 };
    const flow = execute(code, s, at, a, b);
    if (flow.f === 'undefined' || flow.f === 'end') continue;
    const after = s.r[SP]!;
    if (after.k !== 'sp' || after.n > 0) return `the instruction at ${hex(at)} restores SP`;
  }
  return undefined;
}
