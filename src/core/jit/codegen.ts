/**
 * Generates a block's JavaScript function. The instructions keep their meaning from the encoding
 * table: each one is its encoding's own semantics function (the `exec` the interpreter calls),
 * inlined with its decoded operands as constants (inline.ts) or, where that is not possible,
 * called with its Insn. So there is no second copy of any instruction's meaning. What the
 * translation removes is the interpreter's work around them: fetch and dispatch, the loop's
 * checks, and the IT bookkeeping, which is known at translation time.
 *
 * Three kinds of instruction:
 * - register-only ones (data processing, multiply, saturate, parallel arithmetic, with no PC
 *   operand) cannot fault, branch, touch memory or raise attention: they run back to back, and
 *   their cycles are added in one step before the next instruction that could observe the clock;
 * - quiet ones (loads and stores on locals, locals.ts) reach the core only through calls on
 *   their slow paths (a device, an unaligned or faulting access, a write to code), which set the
 *   PC themselves and say they ran (`S$`): their static cycles count as the register-only
 *   ones', and the block looks again after one only when a call ran. A conditional branch in
 *   line is quiet too: it leaves its target in the local `N$` (not the core's nextPc), its extra
 *   cycles come only with the jump, and the block leaves when it jumped;
 * - every other one runs as in the interpreter's loop: PC, R15 and nextPc set before it, then
 *   ITSTATE advance, counts, and a look at where the loop would stop: after a branch (`nextPc`
 *   is not the next address), on attention, or when the clock reaches the batch's cycle limit
 *   at any instruction boundary before the next such check (the cycles of the register-only and
 *   quiet run that follows are static, so one comparison covers them).
 * So a block stops exactly where the interpreter would, and a fault inside it is taken by the
 * caller (see Jit) at the same instruction, with the same counts.
 *
 * A block whose last instruction branches back to its start loops inside its function while
 * the entry conditions the run loop checks (see Block.entryCycles) still hold.
 */
import { alu, conditionPassed } from '../alu.js';
import type { ExecFn, Insn } from '../insn.js';
import { branchesTo, branchTarget, type Block, type BlockFn } from './block.js';
import { inlineInsn } from './inline.js';
import { hoistTemporaries } from './hoist.js';
import { overwrittenSlots, withoutDeadWrites } from './deadFlags.js';
import { waitLoopCode } from './waitLoop.js';
import { renameRegisters, renameSlots, twinOf, type Twin } from './shared.js';
import { conditionOnLocals, conditionSlots, localize, slotLoad, type Localized } from './locals.js';
import { FLOW_FREE_MODULES, moduleOf, REGISTER_ONLY_MODULES } from './semantics.js';

/** ITAdvance() (A7.3.3): the ITSTATE after an instruction that ran with `it`. */
export function itAdvance(it: number): number {
  return (it & 7) === 0 ? 0 : (it & 0xe0) | ((it << 1) & 0x1f);
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

/** Text in generated code that shows an instruction leaves the registers-and-flags world. */
const EFFECTS =
  /clock|exc\b|throw|WritePC|\[\s*15\s*\]|setReg\s*\(\s*15\b|nextPc|mem[UA]|write[UA]|bus|attention|mpu|setUnpriv/;

/**
 * True when `insn` touches only registers and flags (no PC, memory, clock, fault). `inlined`:
 * `text` is its specialised code, where a PC operand shows as R15 (`[15]`, `setReg(15`); an
 * exec function's own source names registers by field, so there a field of 15 counts (also a
 * compare's unused Rd of 15 or an FP register S15, for safety).
 */
export function registerOnly(insn: Insn, text: string, inlined = true): boolean {
  if (!REGISTER_ONLY_MODULES.has(moduleOf(insn.exec))) return false;
  if (!inlined && pcOperand(insn)) return false;
  return !EFFECTS.test(text);
}

/** Core methods that never change the flow (memory accesses through the core's port). */
const SAFE_METHODS =
  /^(memU32|memU16|memU8|memA32|memA16|writeU32|writeU16|writeU8|writeA32|writeA16|conditionPassed|setUnprivilegedAccess)$/;

function pcOperand(insn: Insn): boolean {
  const { rd, rn, rm, rt, rt2, ra, rs } = insn;
  return rd === 15 || rn === 15 || rm === 15 || rt === 15 || rt2 === 15 || ra === 15 || rs === 15;
}

/**
 * True when the instruction may write nextPc (a branch, an exception return, a PC load) or
 * read it: anything but inlined loads, stores, data processing and FP arithmetic whose code
 * names no PC write and gives the core to no helper it left as a call (a helper given numbers,
 * as the FP arithmetic is, cannot change the flow).
 */
export function mayBranch(insn: Insn, text: string | null): boolean {
  if (text === null || (insn.list & 0x8000) !== 0) return true;
  if (!FLOW_FREE_MODULES.has(moduleOf(insn.exec))) return true;
  if (/nextPc|WritePC|setReg\s*\(\s*15\b/.test(text)) return true;
  // An element 15 written: R15, unless it is the FP registers' array (S15).
  const fp = new Set(Array.from(text.matchAll(/\bconst (\w+) = cpu \. s ;/g), (m) => m[1]));
  for (const m of text.matchAll(/(\bcpu\s*\.\s*s|\w+)\s*\[\s*15\s*\]\s*=[^=]/g))
    if (!/^cpu\s*\.\s*s$/.test(m[1]!) && !fp.has(m[1]!)) return true;
  for (const m of text.matchAll(/\bexc\s*\.\s*(\w+)/g)) if (!SAFE_EXC.test(m[1]!)) return true;
  for (const m of text.matchAll(/\bcpu\s*\.\s*(\w+)\s*\(/g)) {
    // SetReg of a register named by a constant (15 is caught above); any other index may be 15.
    if (m[1] === 'setReg') {
      if (!/^\s*\d+\s*,/.test(text.slice(m.index! + m[0].length))) return true;
    } else if (!SAFE_METHODS.test(m[1]!)) return true;
  }
  // A helper left as a call can change the flow only if it is given the core itself.
  for (const m of text.matchAll(/(\$\d+_\w+)\s*\(/g)) {
    if (m[1]!.endsWith('CpuFault')) continue;
    if (/\bcpu\b(?!\s*\.)/.test(callArguments(text, m.index! + m[0].length - 1))) return true;
  }
  return false;
}

/** Inlined code that only sets ITSTATE to a constant (IT outside an IT block). */
const IT_ONLY = /^L\s*:\s*\{\s*cpu\s*\.\s*it\s*=\s*\d+\s*;\s*\}$/;

/** Exception-unit members that only read configuration or check the FP context. */
const SAFE_EXC = /^(scb|unalignTrap|divideByZeroTrap|fpContextCheck)$/;

/** The text of the call arguments whose '(' is at `open` (to its matching ')'). */
function callArguments(text: string, open: number): string {
  let depth = 0;
  for (let k = open; k < text.length; k++) {
    const c = text[k];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return text.slice(open + 1, k);
  }
  return text.slice(open + 1);
}

/** A block's generated source and the values its factory binds. */
export interface BlockSource {
  source: string;
  /** Values of the module bindings the inlined code uses, in declaration order. */
  bindings: unknown[];
  /** Instructions whose semantics are inlined (the rest are called). */
  inlined: number;
  /** Static cycles the run loop must have room for at entry (see Block.entryCycles). */
  entryCycles: number;
  /** Instructions whose code was made as their twin's (shared.ts). */
  shared: number;
}

/**
 * An instruction's inlined code (null when it cannot be inlined), made as its twin's when it has
 * one (shared.ts): `shared` says which. The twin is remembered for prepare.
 */
function inlineText(
  insn: Insn,
  it: number,
  use: (alias: string, value: unknown) => void,
  share: boolean,
): { text: string | null; shared: boolean } {
  if (share) {
    let perIt = sharedTexts.get(insn);
    let known = perIt?.get(it);
    if (known === undefined) {
      const twin = twinOf(insn, it);
      const text = twin === null ? null : inlineInsn(twin.insn, it, use);
      const renamed = text === null ? null : renameRegisters(text, twin!.rename);
      known = renamed === null ? null : { text: renamed, twin: twin!, twinText: text! };
      if (perIt === undefined) {
        perIt = new Map();
        sharedTexts.set(insn, perIt);
      }
      perIt.set(it, known);
    } else if (known !== null) {
      inlineInsn(known.twin.insn, it, use); // declares the bindings its code uses (cached)
    }
    if (known !== null) return { text: known.text, shared: true };
  }
  return { text: inlineInsn(insn, it, use), shared: false };
}

/** Per instruction and ITSTATE: its code made as its twin's, or null when it has none. */
const sharedTexts = new WeakMap<
  Insn,
  Map<number, { text: string; twin: Twin; twinText: string } | null>
>();

export function blockSource(block: Block, inline = true, share = true): BlockSource {
  const bindings = new Map<string, unknown>();
  const use = (alias: string, value: unknown): void => {
    bindings.set(alias, value);
  };
  const insns = block.insns;
  const n = insns.length;
  const bodies: string[] = [];
  const texts: (string | null)[] = [];
  const pure: boolean[] = [];
  const branches: boolean[] = [];
  const readsPc: boolean[] = [];
  let inlined = 0;
  let shared = 0;
  for (let k = 0; k < n; k++) {
    const insn = insns[k]!;
    const made = inline ? inlineText(insn, block.itBefore[k]!, use, share) : null;
    const text = made === null ? null : made.text;
    if (text !== null) inlined++;
    if (made?.shared === true) shared++;
    texts.push(text);
    // Each instruction's code is its own block statement: its names never meet another's.
    const body = text === null ? `e${k}(cpu, i${k});` : `{ const I$ = i${k}; ${text} }`;
    bodies.push(body);
    // IT outside an IT block only sets ITSTATE (its check for one folded away): nothing to
    // fault, branch or wait for, as a register-only instruction.
    const itOnly = text !== null && IT_ONLY.test(text);
    pure.push(
      itOnly ||
        registerOnly(insn, text ?? Function.prototype.toString.call(insn.exec), text !== null),
    );
    branches.push(!itOnly && mayBranch(insn, text));
    readsPc.push(text === null || pcOperand(insn) || /\[\s*15\s*\]/.test(text));
  }
  // Registers and flags in locals (locals.ts): `loc[k]` is instruction k's code on them, null
  // where it must run on the core (a sync point: locals stored before it, reloaded after it).
  const aluAlias = [...bindings].find(([, v]) => v === alu)?.[0] ?? null;
  const prepared = texts.map((text, k) =>
    prepare(insns[k]!, block.itBefore[k]!, text, aluAlias, share),
  );
  const loc: (Localized | null)[] = prepared.map((p) => p.loc);
  const slots = new Set<string>();
  const allWritten = new Set<string>();
  loc.forEach((l, k) => {
    for (const s of l?.used ?? []) if (s[0] !== 'A') slots.add(s);
    for (const s of l?.written ?? []) if (s[0] !== 'A') allWritten.add(s);
    const it = block.itBefore[k]!;
    if (it !== 0) for (const s of conditionSlots(it >>> 4)) slots.add(s);
  });
  const caching = slots.size > 0;
  // Quiet instructions: on locals, code that reaches the core only through onClock's calls
  // (locals.ts), which set the PC and S$ themselves. Their static cycles join the checks of the
  // register-only runs; after one, the block looks again only when a call ran (S$).
  const quiet = insns.map((insn, k) => {
    const l = loc[k] ?? null;
    if (!caching || pure[k] || l === null || l.exposed) return false;
    // A load or store; or a conditional branch in line that makes no call, whose extra cycles
    // come only with the jump (then the block leaves at once).
    if (!branches[k]) return !l.clocked;
    if (!l.localNext || l.text.includes('S$')) return false;
    return block.follow[k] === (insn.addr + insn.size) >>> 0;
  });
  const slotList = [...slots].sort();
  const hasSync = caching && loc.some((l) => l === null || l.synced);
  const store = (set: Iterable<string>): string =>
    [...set].map((s) => `${slotLoad(s)} = ${s};`).join(' ');
  const reload = slotList.map((s) => `${s} = ${slotLoad(s)};`).join(' ');
  // The cycle count: the local CY where the registers are locals (locals.ts), stored at every
  // exit and before code run on the core, reloaded after it.
  const cy = caching ? 'CY' : 'clock.cycles';
  const exit = (set: Iterable<string>): string =>
    store(set) + (caching ? ' clock.cycles = CY;' : '');
  // runAfter[k]: static cycles of the register-only instructions after k up to the boundary
  // before the next checked instruction (or before the last instruction).
  const runAfter = (k: number): number => {
    let sum = 0;
    for (let j = k + 1; j < n - 1 && (pure[j] || quiet[j]); j++) sum += insns[j]!.cycles;
    return sum;
  };
  // Flag writes the next register-only instruction overwrites before anything sees them.
  const dead = insns.map((_, k) => {
    const j = k + 1;
    if (!caching || j >= n || !pure[k] || !pure[j] || loc[k] === null || loc[j] === null) {
      return null;
    }
    if (block.itBefore[k] !== 0 || block.itBefore[j] !== 0) return null;
    const p = prepared[j]!;
    p.overwrites ??= overwrittenSlots(p.hoistedLocal?.text ?? loc[j]!.text);
    return p.overwrites.size === 0 ? null : p.overwrites;
  });
  const loops = endsWithBranchTo(block);
  const regExpr = (k: number): string => (slots.has(`R${k}`) ? `R${k}` : `r[${k}]`);
  const flagExpr = (f: string): string =>
    slots.has(`F${f.toUpperCase()}`) ? `F${f.toUpperCase()}` : `cpu.${f}`;
  const entryCycles = entryRoom(block, pure, quiet);
  const wait = loops ? waitLoopCode(block, texts, pure, entryCycles, regExpr, flagExpr, cy) : null;
  const lines: string[] = ["'use strict';"];
  for (let k = 0; k < n; k++) lines.push(`const e${k} = E[${k}], i${k} = I[${k}];`);
  lines.push('const B = BINDINGS;');
  [...bindings.keys()].forEach((alias, k) => lines.push(`const ${alias} = B[${k}];`));
  lines.push(`return function block_${block.start.toString(16)}(cpu, limits) {`);
  lines.push('  const r = cpu.r, clock = cpu.clock, cycleLimit = limits.cycles, bus = cpu.bus;');
  lines.push('  let F$ = 0;'); // ONCE_PER_BLOCK checks made (semantics.ts)
  const accesses = Math.max(0, ...loc.map((l) => l?.accesses ?? 0));
  for (let j = 0; j < accesses; j++) lines.push(`  let M$a${j}, M$v${j}, M$p${j};`);
  const temporariesAt = lines.length;
  if (caching) {
    lines.push(`  let ${slotList.map((s) => `${s} = ${slotLoad(s)}`).join(', ')};`);
    lines.push('  let AC = 0, AV = 0, AS = false' + (hasSync ? ', L$ = 1;' : ';'));
    lines.push('  let CY = clock.cycles, C$ = 1, T$, S$ = 0, N$ = 0;');
    lines.push('  try {');
  }
  // Locals that may differ from the core: stored at every exit (a loop carries its writes).
  const dirty = new Set<string>(loops ? allWritten : []);
  if (loops) lines.push('  for (;;) {');
  if (wait !== null) lines.push(wait.head);
  let pending = 0;
  let temporaries = 0;
  for (let k = 0; k < n; k++) {
    const insn = insns[k]!;
    const addr = insn.addr;
    const next = (addr + insn.size) >>> 0;
    const follow = block.follow[k]!;
    const it = block.itBefore[k]!;
    const l = caching ? loc[k]! : null;
    lines.push(`  // ${hex(addr)}: ${insn.encoding.asm(insn).replace(/\*\//g, '* /')}`);
    let body = bodies[k]!;
    const inner = l !== null ? l.text : texts[k];
    if (inner !== null && inner !== undefined) {
      // Temporaries shared between instructions (hoist.ts); the Insn by its factory name.
      const p = prepared[k]!;
      const hoisted = l !== null ? p.hoistedLocal : (p.hoisted ??= hoistTemporaries(texts[k]!));
      if (hoisted !== null) {
        temporaries = Math.max(temporaries, hoisted.count);
        let text = hoisted.text.includes('I$')
          ? hoisted.text.replace(/(^|[^\w$])I\$(?![\w$])/g, `$1i${k}`)
          : hoisted.text;
        const deadHere = l !== null ? dead[k] : null;
        if (deadHere !== null && deadHere !== undefined) {
          // Per instruction and dead slots (blocks overlap: the next instruction decides).
          const key = [...deadHere].sort().join() + (text === hoisted.text ? '' : `#${k}`);
          const cache = (prepared[k]!.withoutDead ??= new Map());
          let lean = cache.get(key);
          if (lean === undefined) {
            lean = withoutDeadWrites(text, deadHere) ?? text;
            cache.set(key, lean);
          }
          text = lean;
        }
        body = `{ ${text} }`;
      } else body = `{ const I$ = i${k}; ${inner} }`;
    }
    // Code run on the core: the locals stored before it (the catch must then leave the core
    // alone: L$ = 0), reloaded after it. A sync point stores them whether or not its
    // condition passes.
    const resume = `L$ = 1; C$ = 1; F$ = 0; CY = clock.cycles; ${reload}`;
    let before = '';
    if (caching && l === null) {
      before = exit(dirty);
      body = `L$ = 0; C$ = 0; ${body} ${resume}`;
      dirty.clear();
    }
    for (const s of l?.written ?? []) if (s[0] !== 'A') dirty.add(s);
    if (l !== null && l.synced) {
      // A slow path on the core inside the instruction (its own writes before it included, as
      // `dirty` now has them).
      const leave = `L$ = 0; C$ = 0; ${exit(dirty)}`;
      body = body.replace(/\bSYNC\$/g, () => leave).replace(/\bRELOAD\$/g, () => resume);
    }
    // The PC a call made by the code sets (see locals.ts).
    if (body.includes('PC$')) body = body.replace(/(?<![\w$])PC\$(?![\w$])/g, hex(addr));
    const test = caching ? conditionOnLocals(it >>> 4) : `cond(cpu, ${it >>> 4})`;
    // Without locals, code calls the core directly: every instruction's checks are made anew.
    if (!caching && body.includes('F$')) body = `F$ = 0; ${body}`;
    const run = before + (it === 0 ? body : `if (${test}) { ${body} }`);
    const advance = it === 0 ? '' : ` if (cpu.it === ${it}) cpu.it = ${itAdvance(it)};`;
    if (pure[k]) {
      lines.push(`  ${run}${advance}`);
      pending += insn.cycles;
      if (k === n - 1) {
        lines.push(
          `  ${cy} += ${pending}; cpu.pc = ${hex(next)}; cpu.instructions += ${n}; ` +
            (loops ? '' : exit(dirty)),
        );
      }
      continue;
    }
    if (pending !== 0) lines.push(`  ${cy} += ${pending};`);
    pending = 0;
    // The PC for a fault's return address; R15 where it is read; nextPc where it may change.
    const flow = branches[k]!;
    // Where the instruction leaves the next PC: the local N$ for a branch in line.
    const nextPc = l !== null && l.localNext ? 'N$' : 'cpu.nextPc';
    if (!quiet[k]) {
      lines.push(
        `  cpu.pc = ${hex(addr)};` +
          (readsPc[k] && (!caching || l === null) ? ` r[15] = ${hex(addr + 4)};` : '') +
          (flow ? ` ${nextPc} = ${hex(next)};` : ''),
      );
    } else if (flow) lines.push(`  N$ = ${hex(next)};`);
    lines.push(`  ${run}${advance}`);
    const after = flow ? nextPc : hex(next);
    if (k === n - 1) {
      lines.push(
        `  cpu.pc = ${after}; cpu.instructions += ${n}; ${cy} += ${insn.cycles}; ` +
          (loops ? '' : exit(dirty)),
      );
    } else {
      const room = runAfter(k);
      lines.push(`  ${cy} += ${insn.cycles};`);
      const leave = `    cpu.pc = ${after}; cpu.instructions += ${k + 1}; ${exit(dirty)} return;`;
      if (quiet[k] && flow) {
        // Taken: the block leaves (no call can have run: conditional branches read no memory).
        lines.push(`  if (N$ !== ${hex(follow)}) {`, leave, '  }');
        continue;
      }
      const check =
        `if (${flow ? `${nextPc} !== ${hex(follow)} || ` : ''}cpu.attention !== 0 || ` +
        `${cy}${room === 0 ? '' : ` + ${room}`} >= cycleLimit) {`;
      lines.push(quiet[k] ? `  if (S$ !== 0) { S$ = 0; ${check}` : `  ${check}`);
      lines.push(leave);
      lines.push(quiet[k] ? '  } }' : '  }');
    }
  }
  if (loops) {
    lines.push(
      `  if (cpu.pc !== ${hex(block.start)} || cpu.attention !== 0 || cpu.it !== 0 || ` +
        `${cy}${entryCycles === 0 ? '' : ` + ${entryCycles}`} >= cycleLimit || ` +
        `cpu.instructions + ${n} > limits.instructions) { ${exit(dirty)} return; }`,
    );
    if (wait !== null) lines.push(wait.tail);
    lines.push('  }');
  }
  if (caching) {
    lines.push(
      `  } catch (e$) { ${hasSync ? 'if (L$ === 1) ' : ''}{ ${store(slotList)} } ` +
        'if (C$ === 1) clock.cycles = CY; throw e$; }',
    );
  }
  lines.push('};');
  if (temporaries > 0) {
    const names = Array.from({ length: temporaries }, (_, j) => `V$${j}`);
    lines.splice(temporariesAt, 0, `  let ${names.join(', ')};`);
  }
  return {
    source: lines.join('\n'),
    bindings: [...bindings.values()],
    inlined,
    entryCycles,
    shared,
  };
}

/** An instruction's code as blocks use it: on locals (or not), with shared temporaries. */
interface Prepared {
  loc: Localized | null;
  /**
   * hoistTemporaries of the inlined text (made when first needed: only blocks without
   * locals use it), and of its version on locals.
   */
  hoisted?: { text: string; count: number } | null;
  hoistedLocal: { text: string; count: number } | null;
  /** Slots its code on locals overwrites before reading them (deadFlags.ts), once asked. */
  overwrites?: Set<string>;
  /** Its code on locals without the writes a next instruction makes dead, by dead slots. */
  withoutDead?: Map<string, string>;
}
/**
 * Per decoded instruction and ITSTATE: blocks overlap, and a block may be translated again. (The
 * ALU alias is the same in every block: inline.ts names each bound value once.)
 */
const preparedCache = new WeakMap<Insn, Map<number, Prepared>>();

function prepare(
  insn: Insn,
  it: number,
  text: string | null,
  aluAlias: string | null,
  share: boolean,
): Prepared {
  let perIt = preparedCache.get(insn);
  if (perIt === undefined) {
    perIt = new Map();
    preparedCache.set(insn, perIt);
  }
  const key = text === null ? -1 - it : it;
  let p = perIt.get(key);
  if (p === undefined) {
    const shared = text === null || !share ? undefined : sharedTexts.get(insn)?.get(it);
    if (shared != null && shared.text === text) {
      p = renamedPrepared(
        prepare(shared.twin.insn, it, shared.twinText, aluAlias, false),
        shared.twin,
      );
    }
    if (p === undefined) {
      const loc = text === null ? null : localize(text, (insn.addr + 4) >>> 0, aluAlias);
      p = {
        loc,
        hoistedLocal: loc === null ? null : hoistTemporaries(loc.text),
      };
    }
    perIt.set(key, p);
  }
  return p;
}

/** A twin's prepared code with an instruction's own registers (undefined: not renameable). */
function renamedPrepared(t: Prepared, twin: Twin): Prepared | undefined {
  if (t.loc === null) return { loc: null, hoistedLocal: null };
  const text = renameRegisters(t.loc.text, twin.rename);
  if (text === null) return undefined;
  let hoistedLocal: Prepared['hoistedLocal'] = null;
  if (t.hoistedLocal !== null) {
    const h = renameRegisters(t.hoistedLocal.text, twin.rename);
    if (h === null) return undefined;
    hoistedLocal = { text: h, count: t.hoistedLocal.count };
  }
  const loc: Localized = {
    ...t.loc,
    text,
    used: renameSlots(t.loc.used, twin.rename),
    written: renameSlots(t.loc.written, twin.rename),
  };
  return { loc, hoistedLocal };
}

/** Cycles of the register-only and quiet instructions at the block's start (see runAfter). */
function entryRoom(block: Block, pure: boolean[], quiet: boolean[]): number {
  let sum = 0;
  for (let j = 0; j < block.insns.length - 1 && (pure[j] || quiet[j]); j++) {
    sum += block.insns[j]!.cycles;
  }
  return sum;
}

/** True when the last instruction is a direct branch whose target is the block's start. */
function endsWithBranchTo(block: Block): boolean {
  return branchesTo(block.insns[block.insns.length - 1]!, block.start);
}

/** Compiles a block: its function, source length and how many instructions were inlined. */
export function compileBlock(
  block: Block,
  inline = true,
  onSource?: (start: number, source: string) => void,
  share = true,
): { fn: BlockFn; size: number; inlined: number; entryCycles: number; shared: number } {
  const src = blockSource(block, inline, share);
  onSource?.(block.start, src.source);
  const execs: ExecFn[] = block.insns.map((i) => i.exec);
  const insns: Insn[] = block.insns.slice();
  const values = src.bindings;
  const factory = new Function('E', 'I', 'cond', 'BINDINGS', src.source) as (
    e: ExecFn[],
    i: Insn[],
    c: typeof conditionPassed,
    b: unknown[],
  ) => BlockFn;
  return {
    fn: factory(execs, insns, conditionPassed, values),
    size: src.source.length,
    inlined: src.inlined,
    entryCycles: src.entryCycles,
    shared: src.shared,
  };
}
