/**
 * Instructions that differ only in which of r0-r12 they name share their translation work.
 * Inlining an instruction's semantics (inline.ts) and putting it on locals (locals.ts) are most
 * of what translating a block costs, and a program's blocks hold many instructions that are the
 * same but for their registers (`adds r3, #1` and `adds r5, #1`): in the bench programs half of
 * the distinct instructions of qsort, a third of intmix's.
 *
 * So an instruction is inlined as its canonical twin: the same encoding, fields and ITSTATE, its
 * low registers renamed in order of appearance to r9, r10, r11, r12 (equal registers stay
 * equal; SP and LR stay as they are). The twin's code, made once, is given back the real
 * registers by renaming tokens: `r [ 10 ]` and the local `R10`. That is exact because the
 * semantics of the modules that share (SHARABLE_MODULES) use a low register number only as an
 * index into the registers or in comparisons that r9-r12 and r0-r12 answer alike (`=== 13`,
 * `=== 15`, `< 13`, one register against another): checked here, so a new semantics function
 * that did more would fall back rather than go wrong, by refusing any twin whose code holds
 * one of the numbers 9-12 anywhere else, or 15 at all (reading PC, the code would depend on the
 * address; a field of 15 that the code does not read, as CMP's Rd, is kept), or whose register
 * list names r9-r12. shared.test.ts compares shared and unshared source.
 */
import { Insn } from '../insn.js';
import { moduleOf, SHARABLE_MODULES } from './semantics.js';

const REGISTERS = ['rd', 'rn', 'rm', 'rt', 'rt2', 'ra', 'rs'] as const;
const OTHER = [
  'size', 'cycles', 'imm', 'imm2', 'immCarry', 'shiftType', 'shiftN', 'setflags', 'cond', 'list',
  'add', 'index', 'wback', 'extra',
] as const; // prettier-ignore
/** The registers twins use, in order of appearance. */
const CANONICAL = [9, 10, 11, 12];
/** r9-r12 in a register list. */
const CANONICAL_LIST = 0x1e00;

/** An instruction's twin and the renaming from the twin's registers to its own. */
export interface Twin {
  insn: Insn;
  /** Canonical register (9-12) to the instruction's own. */
  rename: Map<number, number>;
}

/** Twins by exec function and key (fields, ITSTATE). */
const twins = new Map<unknown, Map<string, Insn>>();
let twinCount = 0;

/** The twin `insn` is inlined as, or null when it is inlined as itself. */
export function twinOf(insn: Insn, it: number): Twin | null {
  if (!SHARABLE_MODULES.has(moduleOf(insn.exec))) return null;
  if ((insn.list & CANONICAL_LIST) !== 0) return null;
  const toCanonical = new Map<number, number>();
  const regs: number[] = [];
  for (const f of REGISTERS) {
    const v = insn[f];
    if (v < 13 && !toCanonical.has(v)) {
      if (toCanonical.size === CANONICAL.length) return null;
      toCanonical.set(v, CANONICAL[toCanonical.size]!);
    }
    regs.push(toCanonical.get(v) ?? v);
  }
  const key = `${it}|${regs.join(',')}|${OTHER.map((f) => insn[f]).join(',')}`;
  let byKey = twins.get(insn.exec);
  if (byKey === undefined) {
    byKey = new Map();
    twins.set(insn.exec, byKey);
  }
  let twin = byKey.get(key);
  if (twin === undefined) {
    if (twinCount >= 100_000) {
      twins.clear();
      twinCount = 0;
    }
    twin = new Insn(insn.encoding, insn.exec);
    for (const f of OTHER) (twin as unknown as Record<string, unknown>)[f] = insn[f];
    REGISTERS.forEach((f, k) => (twin![f] = regs[k]!));
    twin.raw = insn.raw;
    // A distinct address per twin (the inliner tells Insns apart by encoding, raw and address);
    // its code never depends on it (PC-relative code is refused: see rename).
    twin.addr = -1 - twinCount++;
    byKey.set(key, twin);
  }
  const rename = new Map<number, number>();
  for (const [a, c] of toCanonical) rename.set(c, a);
  return { insn: twin, rename };
}

/**
 * The twin's code with the instruction's own registers: register indices (`r [ 10 ]`, also
 * `cpu . r [ 10 ]`), comparisons of a register number (`10 === 13`) and locals (`R10`) renamed;
 * null where the code uses 9-12 or 15 otherwise.
 */
export function renameRegisters(text: string, rename: ReadonlyMap<number, number>): string | null {
  let refused = false;
  const out = text.replace(NAMES, (m: string, reg: string | undefined, num: string, at: number) => {
    if (reg !== undefined) return `R${rename.get(Number(reg)) ?? reg}`;
    if (num === '15') refused = true;
    else if (
      INDEX_BEFORE.test(text.slice(Math.max(0, at - 12), at)) &&
      INDEX_AFTER.test(text.slice(at + m.length, at + m.length + 4))
    ) {
      return String(rename.get(Number(num)) ?? num);
    } else if (COMPARED.test(text.slice(at + m.length, at + m.length + 12))) {
      return String(rename.get(Number(num)) ?? num);
    } else refused = true;
    return m;
  });
  return refused ? null : out;
}

/** A local R9-R12, or a number 9-12 or 15 standing alone (not part of a name or a literal). */
const NAMES = /(?<![\w$])R(9|1[0-2])(?![\w$])|(?<![\w$.])(9|1[0-2]|15)(?![\w$.])/g;
const INDEX_BEFORE = /(?<![\w$])r\s*\[\s*$/;
const INDEX_AFTER = /^\s*\]/;
/** `=== 13`, `!== 15`, `< 13`... (fold leaves conditional expressions to the engine). */
const COMPARED = /^\s*(===|!==|<)\s*(13|14|15)(?![\w$.])/;

/** A set of slot names (`R10`, `FN`) with the instruction's own registers. */
export function renameSlots(slots: ReadonlySet<string>, rename: ReadonlyMap<number, number>) {
  const out = new Set<string>();
  for (const s of slots) {
    const m = /^R(9|1[0-2])$/.exec(s);
    out.add(m === null ? s : `R${rename.get(Number(m[1])) ?? m[1]}`);
  }
  return out;
}
