/**
 * Guest state in JavaScript locals inside a block: R0-R14 as `R0`..`R14`, the APSR flags N, Z,
 * C, V as `FN`..`FV`, and the ALU's carry/overflow/saturation scratch (alu.ts's `alu` object,
 * which only carries a helper's result to its caller within one instruction) as `AC`, `AV`,
 * `AS`. The engine keeps locals in machine registers and drops stores that a later one
 * overwrites, where every `cpu.r[k]` is a typed-array access and every `cpu.c` a field store.
 *
 * The rewrite is exact, not approximate:
 * - a register local always holds what `cpu.r[k]` would: a write becomes `Rk = (value) >>> 0`,
 *   the conversion a Uint32Array store makes (setReg(13) keeps its `& ~3`);
 * - reads of R15 become the constant the block sets R15 to (the instruction's address + 4);
 * - flags are plain fields, so their locals hold exactly what the fields would;
 * - anything else that could read or write the cached state (the core passed to a function, an
 *   unknown member, a computed register index, `cpu.apsr`, an exception return) makes the
 *   instruction a synchronisation point: the block writes its locals back before it, runs its
 *   code unchanged on `cpu`, and reloads them after it (see codegen.ts);
 * - a fault thrown inside the block writes every local back before the interpreter's fault
 *   path sees the core, so the state it stacks is the state the interpreter would have;
 * - the clock's cycle count is a local too, `CY`: a double field store costs the engine far more
 *   than a local. A call that may read or advance the clock (a memory access that is not in line
 *   reaches devices, whose registers are computed from the time and whose wait states stall the
 *   core; the lazy FP context check stacks to memory) stores `CY` before it and reloads it after
 *   (onClock), with `C$` = 0 meanwhile: a fault thrown inside it leaves the clock as it is.
 *   Such a call is the only way code on locals can fault, raise attention or take more than its
 *   static cycles, so it also sets the PC (`PC$`, which the block fills in: a fault's return
 *   address) and `S$` = 1: an instruction whose code does nothing else on the core (not
 *   `exposed`) is checked after it only when `S$` says a call ran (see codegen.ts). A store to a
 *   code page in line (which may drop the running block) sets them too.
 */
import {
  argumentRanges,
  atStatement,
  closing,
  expressionEnd,
  isAssignment,
  tokenize,
  type Token,
} from './tokens.js';

/** `call` with the clock's local stored before it and reloaded after it (see above). */
function onClock(call: string): string {
  return (
    `( cpu . pc = PC$ , S$ = 1 , F$ = 0 , clock . cycles = CY , C$ = 0 , T$ = ${call} , C$ = 1 , ` +
    'CY = clock . cycles , T$ )'
  );
}

/** Core members whose use reads or writes no R0-R14 and no N, Z, C, V. */
const SAFE_MEMBERS = new Set([
  ...['memU32', 'memU16', 'memU8', 'memA32', 'memA16'],
  ...['writeU32', 'writeU16', 'writeU8', 'writeA32', 'writeA16'],
  ...['s', 'q', 'ge', 'fpscr', 'it', 't', 'pc', 'nextPc', 'exclusiveAddr'],
  ...['setUnprivilegedAccess', 'unprivilegedAccess', 'branchWritePC', 'aluWritePC'],
  ...['blxWritePC', 'privileged', 'control', 'requestAttention', 'ipsr'],
  ...['primask', 'basepri', 'faultmask'],
]);
/** Core methods for BXWritePC (BX, and LoadWritePC for a load of the PC). */
const BX_WRITES = new Set(['bxWritePC', 'loadWritePC']);
/** Members of `cpu.exc` the same holds for (the FP checks, the traps, NVIC pending state). */
const SAFE_EXC_MEMBERS = new Set([
  'scb',
  'fpContextCheck',
  'unalignTrap',
  'divideByZeroTrap',
  'nvic',
]);

/**
 * The core's memory methods whose bus fast path goes in line (Bus.coreRead32...): a RAM or flash
 * access the core's page tables map directly costs no call. Everything else (a device, an
 * unaligned address, a watched or MPU-restricted page, a code page's store) calls the method
 * itself, which takes the same path the interpreter does.
 */
const MEMORY: Record<string, { size: number; write: boolean }> = {
  memU32: { size: 4, write: false },
  memA32: { size: 4, write: false },
  memU16: { size: 2, write: false },
  memA16: { size: 2, write: false },
  memU8: { size: 1, write: false },
  writeU32: { size: 4, write: true },
  writeA32: { size: 4, write: true },
  writeU16: { size: 2, write: true },
  writeA16: { size: 2, write: true },
  writeU8: { size: 1, write: true },
};
const PAGE_TABLE: Record<number, string> = { 4: 'corePage32', 2: 'corePage16', 1: 'corePage8' };

/** The memory access at `k` (`cpu . method ( args )`) in line, or null to leave it a call. */
function memoryAccess(
  ctx: Ctx,
  k: number,
  method: string,
  to: number,
): { text: string; end: number } | null {
  const t = ctx.t;
  const { size, write } = MEMORY[method]!;
  const open = k + 3;
  if (t[open]?.text !== '(') return null;
  const close = closing(t, open);
  if (close < 0 || close >= to) return null;
  const ranges = close === open + 1 ? [] : argumentRanges(t, open, close);
  if (ranges.length !== (write ? 2 : 1)) return null;
  const args: string[] = [];
  for (const [from, end] of ranges) {
    const a = rewrite(ctx, from, end);
    if (a === null) return null;
    args.push(a);
  }
  const n = ctx.accesses++;
  const a = `M$a${n}`;
  const p = `M$p${n}`;
  const aligned = size === 1 ? 'true' : `( ${a} & ${size - 1} ) === 0`;
  const index = `( ${a} & 65535 )${size === 1 ? '' : ` >>> ${size >> 1}`}`;
  const table = PAGE_TABLE[size]!;
  if (!write) {
    // Bus.coreRead<size>: the page's typed array when the core's table has one.
    const text =
      `( ${a} = ( ${args[0]} ) , ( ${p} = bus . ${table} [ ${a} >>> 16 ] ) !== null && ` +
      `${p} !== undefined && ${aligned} ? ${p} [ ${index} ] : ${onClock(`cpu . ${method} ( ${a} )`)} )`;
    return { text, end: close };
  }
  // A store in line only as a statement of its own (its value is never used).
  if (!atStatement(t, k) || t[close + 1]?.text !== ';') return null;
  const v = `M$v${n}`;
  // Bus.coreWrite<size>: a writable page of the core's table, then the code-page check.
  const text =
    `{ ${a} = ( ${args[0]} ) ; ${v} = ( ${args[1]} ) ; ${p} = ${a} >>> 16 ; ` +
    `if ( bus . coreWritable [ ${p} ] === 1 && ${aligned} ) { ` +
    `bus . ${table} [ ${p} ] [ ${index} ] = ${v} ; ` +
    `if ( bus . codePages [ ${p} ] === 1 ) { cpu . pc = PC$ ; S$ = 1 ; ` +
    `bus . onCodeWrite ( ${a} >>> 0 , ${size} ) ; } } ` +
    `else ${onClock(`cpu . ${method} ( ${a} , ${v} )`)} ; }`;
  return { text, end: close };
}

const FLAGS: Record<string, string> = { n: 'FN', z: 'FZ', c: 'FC', v: 'FV' };
const ALU_FIELDS: Record<string, string> = { carry: 'AC', overflow: 'AV', sat: 'AS' };

/** A local's name and how it is loaded from, and stored to, the core. */
export function slotLoad(slot: string): string {
  return slot[0] === 'R' ? `r[${slot.slice(1)}]` : `cpu.${slot[1]!.toLowerCase()}`;
}

/** ConditionPassed (alu.ts) on the flag locals, for a constant condition. */
export function conditionOnLocals(cond: number): string {
  const inv = (cond & 1) === 1 && cond !== 15;
  let e: string;
  switch (cond >>> 1) {
    case 0:
      e = 'FZ === 1';
      break;
    case 1:
      e = 'FC === 1';
      break;
    case 2:
      e = 'FN === 1';
      break;
    case 3:
      e = 'FV === 1';
      break;
    case 4:
      e = 'FC === 1 && FZ === 0';
      break;
    case 5:
      e = 'FN === FV';
      break;
    case 6:
      e = 'FN === FV && FZ === 0';
      break;
    default:
      return 'true';
  }
  return inv ? `!(${e})` : `(${e})`;
}

/** Flag locals a condition reads. */
export function conditionSlots(cond: number): readonly string[] {
  return CONDITION_SLOTS[cond >>> 1] ?? [];
}
const CONDITION_SLOTS: readonly (readonly string[])[] = [
  ['FZ'], ['FC'], ['FN'], ['FV'], ['FC', 'FZ'], ['FN', 'FV'], ['FN', 'FV', 'FZ'],
]; // prettier-ignore

export interface Localized {
  text: string;
  /** Locals the text reads or writes (loaded at the block's entry and after each sync). */
  used: Set<string>;
  /** Locals it may write (stored back at the block's exits). */
  written: Set<string>;
  /** Memory accesses put in line (see MEMORY): the block declares their temporaries. */
  accesses: number;
  /**
   * True when the text reads or writes the core other than through its locals and onClock's
   * calls (a member such as `cpu . it` or `cpu . nextPc`, a helper call, a throw): the block
   * then sets the PC before it and checks after it, whatever ran.
   */
  exposed: boolean;
  /** True when the text changes the cycle count beyond the instruction's static cycles. */
  clocked: boolean;
  /** True when it branches through BranchWritePC in line: it writes the local `N$`. */
  localNext: boolean;
  /**
   * True when the text has a slow path that runs on the core (see BX_WRITES): `SYNC$` before it
   * and `RELOAD$` after it stand for storing the locals and reloading them, which the block fills
   * in (codegen.ts), as around a whole instruction that is a sync point.
   */
  synced: boolean;
}

/**
 * `text` (an instruction's inlined code) with the core's registers and flags as locals, or null
 * when it must run on the core itself (see the file comment). `pcValue` is what R15 reads as;
 * `aluAlias` the name the text gives alu.ts's scratch object (or null).
 */
export function localize(text: string, pcValue: number, aluAlias: string | null): Localized | null {
  const all = tokenize(text);
  if (all === null) return null;
  const t = unaliasRegisters(all.filter((x) => x.kind !== 'space'));
  // A helper left as a call might write the ALU scratch: keep the object then.
  const calls = t.some(
    (x, k) =>
      x.kind === 'id' &&
      /^\$\d+_/.test(x.text) &&
      x.text !== aluAlias &&
      t[k + 1]?.text === '(' &&
      t[k - 1]?.text !== 'new',
  );
  const ctx: Ctx = {
    t,
    used: new Set(),
    written: new Set(),
    pc: pcValue,
    alu: calls ? null : aluAlias,
    accesses: 0,
    synced: false,
    exposed: false,
    clocked: false,
    localNext: false,
  };
  const out = rewrite(ctx, 0, t.length);
  if (out === null) return null;
  // The next PC in one place only: N$, or the core's nextPc (then all of it on the core).
  if (ctx.localNext && /\bnextPc\b|WritePC/.test(out)) return null;
  const { used, written, accesses, synced, exposed, clocked, localNext } = ctx;
  return { text: out, used, written, accesses, synced, exposed, clocked, localNext };
}

/**
 * `const r = cpu.r; ... r[4] ...` (as multiply.ts writes its semantics) read as `cpu.r[4]`, so
 * the registers it names become locals too. Only for a name declared once and never assigned
 * again; a reference outside the declaration's scope could only be the block's own `r`, which is
 * `cpu.r` as well.
 */
function unaliasRegisters(t: Token[]): Token[] {
  for (let k = 0; k + 5 < t.length; k++) {
    if (t[k]!.text !== 'const') continue; // (most tokens: no slice for them)
    const [decl, name, eq, core, dot, member, end] = t.slice(k, k + 7).map((x) => x.text);
    if (decl !== 'const' || eq !== '=' || core !== 'cpu' || dot !== '.' || member !== 'r') continue;
    if (end !== ';' || t[k + 1]!.kind !== 'id') continue;
    const uses = t.filter((x, j) => x.text === name && t[j - 1]?.text !== '.');
    const declarations = t.filter(
      (x, j) => x.text === name && /^(const|let|var)$/.test(t[j - 1]?.text ?? ''),
    );
    const unsafe = t.some(
      (x, j) =>
        x.text === name &&
        j !== k + 1 &&
        t[j - 1]?.text !== '.' &&
        (isAssignment(t[j + 1]) ||
          t[j + 1]?.text === ':' ||
          ['++', '--'].includes(t[j - 1]?.text ?? '')),
    );
    if (declarations.length !== 1 || unsafe || uses.length === 0) return t;
    const out: Token[] = [];
    for (let j = 0; j < t.length; j++) {
      if (j === k) {
        j = k + 6; // the declaration goes
        continue;
      }
      const x = t[j]!;
      if (x.text === name && t[j - 1]?.text !== '.') {
        out.push(
          { kind: 'id', text: 'cpu' },
          { kind: 'punct', text: '.' },
          { kind: 'id', text: 'r' },
        );
      } else out.push(x);
    }
    return unaliasRegisters(out);
  }
  return t;
}

interface Ctx {
  t: Token[];
  used: Set<string>;
  written: Set<string>;
  pc: number;
  alu: string | null;
  /** Memory accesses put in line so far (each has its own temporaries M$a<n>, M$v<n>, M$p<n>). */
  accesses: number;
  synced: boolean;
  exposed: boolean;
  clocked: boolean;
  localNext: boolean;
}

function rewrite(ctx: Ctx, from: number, to: number): string | null {
  const t = ctx.t;
  const out: string[] = [];
  for (let k = from; k < to; k++) {
    const tok = t[k]!;
    if (tok.kind === 'id' && tok.text === 'return') return null;
    const afterDot = t[k - 1]?.text === '.';
    if (tok.kind === 'id' && tok.text === ctx.alu && !afterDot) {
      const field = ALU_FIELDS[t[k + 2]?.text ?? ''];
      if (t[k + 1]?.text !== '.' || field === undefined) return null;
      if (t[k + 3]?.text !== '=' && isAssignment(t[k + 3])) return null;
      out.push(field);
      ctx.used.add(field);
      k += 2;
      continue;
    }
    if (tok.kind !== 'id' || tok.text !== 'cpu' || afterDot) {
      // A throw, or a helper left as a call (which may throw): the PC must be set before it.
      if (tok.kind === 'id' && !afterDot && (tok.text === 'throw' || /^\$\d+_/.test(tok.text))) {
        ctx.exposed = true;
      }
      out.push(tok.text);
      continue;
    }
    // `cpu` as a value (passed to a function, aliased): anything may happen to the state.
    if (t[k + 1]?.text !== '.' || t[k + 2]?.kind !== 'id') return null;
    const member = t[k + 2]!.text;
    if (member === 'r') {
      if (t[k + 3]?.text !== '[' || t[k + 4]?.kind !== 'num' || t[k + 5]?.text !== ']') return null;
      const index = Number(t[k + 4]!.text);
      if (!Number.isInteger(index) || index < 0 || index > 15) return null;
      const after = t[k + 6];
      if (['++', '--'].includes(t[k - 1]?.text ?? '')) return null;
      if (index === 15) {
        if (isAssignment(after)) return null;
        out.push(`0x${ctx.pc.toString(16)}`);
        k += 5;
        continue;
      }
      const slot = `R${index}`;
      ctx.used.add(slot);
      if (after?.text === '=') {
        if (!atStatement(t, k)) return null;
        const end = expressionEnd(t, k + 7, to);
        const rhs = rewrite(ctx, k + 7, end);
        if (rhs === null) return null;
        out.push(`${slot} = ( ${rhs} ) >>> 0`);
        ctx.written.add(slot);
        k = end - 1;
        continue;
      }
      if (isAssignment(after)) return null;
      out.push(slot);
      k += 5;
      continue;
    }
    if (member in FLAGS && t[k + 3]?.text !== '(') {
      const slot = FLAGS[member]!;
      const after = t[k + 3];
      if (['++', '--'].includes(t[k - 1]?.text ?? '')) return null;
      if (isAssignment(after)) {
        if (after!.text !== '=') return null;
        ctx.written.add(slot);
      }
      ctx.used.add(slot);
      out.push(slot);
      k += 2;
      continue;
    }
    if (member === 'conditionPassed') {
      if (t[k + 3]?.text !== '(' || t[k + 4]?.kind !== 'num' || t[k + 5]?.text !== ')') return null;
      const cond = Number(t[k + 4]!.text);
      for (const s of conditionSlots(cond)) ctx.used.add(s);
      out.push(`( ${conditionOnLocals(cond)} )`);
      k += 5;
      continue;
    }
    if (member === 'setReg') {
      if (t[k + 3]?.text !== '(' || t[k + 4]?.kind !== 'num' || t[k + 5]?.text !== ',') return null;
      const index = Number(t[k + 4]!.text);
      const close = closing(t, k + 3);
      if (close < 0 || !Number.isInteger(index) || index < 0 || index > 15) return null;
      const value = rewrite(ctx, k + 6, close);
      if (value === null) return null;
      if (index === 15) {
        out.push(`cpu . aluWritePC ( ${value} )`);
        ctx.exposed = true;
      } else {
        const slot = `R${index}`;
        ctx.used.add(slot);
        ctx.written.add(slot);
        out.push(
          index === 13 ? `${slot} = ( ( ${value} ) & ~ 3 ) >>> 0` : `${slot} = ( ${value} ) >>> 0`,
        );
      }
      k = close;
      continue;
    }
    if (member in MEMORY) {
      const access = memoryAccess(ctx, k, member, to);
      if (access !== null) {
        out.push(access.text);
        k = access.end;
        continue;
      }
      // Not in line: a call, which may reach a device.
      const close = t[k + 3]?.text === '(' ? closing(t, k + 3) : -1;
      const args = close < 0 || close >= to ? null : rewrite(ctx, k + 4, close);
      if (args === null) return null;
      out.push(onClock(`cpu . ${member} ( ${args} )`));
      k = close;
      continue;
    }
    if (member === 'clock') {
      if (t[k + 3]?.text !== '.' || t[k + 4]?.text !== 'cycles') return null;
      ctx.clocked = true;
      out.push('CY');
      k += 4;
      continue;
    }
    if (member === 'branchWritePC' && atStatement(t, k)) {
      // BranchWritePC (cpu.ts) in line, as a statement: the next PC = address with bit 0
      // clear, in the block's local N$ (codegen.ts reads it where it would read nextPc).
      const close = t[k + 3]?.text === '(' ? closing(t, k + 3) : -1;
      const value = close < 0 || close >= to ? null : rewrite(ctx, k + 4, close);
      if (value === null) return null;
      out.push(`N$ = ( ( ${value} ) & ~ 1 ) >>> 0`);
      ctx.localNext = true;
      k = close;
      continue;
    }
    if (BX_WRITES.has(member) && atStatement(t, k)) {
      // BXWritePC (cpu.ts) in line for a Thumb address that is no exception return: nextPc =
      // address with bit 0 clear. Otherwise (EXC_RETURN in Handler mode, which unstacks
      // registers; bit 0 clear, which clears EPSR.T) the core's own method runs, on the core.
      const close = t[k + 3]?.text === '(' ? closing(t, k + 3) : -1;
      const value = close < 0 || close >= to ? null : rewrite(ctx, k + 4, close);
      if (value === null) return null;
      const a = `M$a${ctx.accesses++}`;
      out.push(
        `{ ${a} = ( ${value} ) >>> 0 ; ` +
          `if ( ( ${a} & 1 ) === 1 && ( cpu . ipsr === 0 || ${a} >>> 28 !== 15 ) ) ` +
          `cpu . nextPc = ( ${a} & ~ 1 ) >>> 0 ; ` +
          `else { SYNC$ ; cpu . ${member} ( ${a} ) ; RELOAD$ ; } }`,
      );
      ctx.synced = true;
      ctx.exposed = true;
      k = close;
      continue;
    }
    if (member === 'exc') {
      if (t[k + 3]?.text !== '.' || !SAFE_EXC_MEMBERS.has(t[k + 4]?.text ?? '')) return null;
      if (t[k + 4]!.text === 'fpContextCheck') {
        // Lazy FP state preservation stacks to memory.
        if (t[k + 5]?.text !== '(' || t[k + 6]?.text !== ')') return null;
        out.push(onClock('cpu . exc . fpContextCheck ( )'));
        k += 6;
        continue;
      }
      ctx.exposed = true;
      out.push('cpu');
      continue;
    }
    if (!SAFE_MEMBERS.has(member)) return null;
    ctx.exposed = true;
    out.push('cpu');
  }
  return out.join(' ');
}
