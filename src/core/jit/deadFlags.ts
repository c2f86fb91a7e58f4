/**
 * Flags computed lazily: inside a run of register-only instructions nothing observes the flag
 * locals between two instructions (no exit, no check, no fault), so an instruction's writes to N,
 * Z, C or V are dead when the next instruction's first use of that flag is an assignment every
 * path through it runs. Thumb's 16-bit ALU instructions set the flags outside IT blocks, so most
 * flag computations in a run are dead. They are dropped from the generated code (V8's optimizing
 * compiler would drop them too, but a block runs unoptimized until it is compiled), and with them
 * the ALU's carry and overflow scratch (AC, AV) when nothing else in the instruction reads them.
 */
import { atStatement, expressionEnd, isAssignment, tokenize, type Token } from './tokens.js';

const FLAG_SLOTS = ['FN', 'FZ', 'FC', 'FV'];
const SCRATCH_SLOTS = ['AC', 'AV'];

function solid(text: string): Token[] | null {
  const t = tokenize(text);
  return t === null ? null : t.filter((x) => x.kind !== 'space');
}

/**
 * True when token `k` is a plain assignment's target (`X = ...`) at the start of a statement that
 * no `if` or `else` governs directly (after `;` or a brace; braces are tracked by the caller).
 */
function statementAssignment(t: Token[], k: number): boolean {
  const p = t[k - 1]?.text;
  const unconditional = p === undefined || p === ';' || p === '{' || p === '}';
  return unconditional && t[k + 1]?.text === '=';
}

/** The index of the `;` ending the assignment's value that starts at `k`, or -1. */
function statementEnd(t: Token[], k: number): number {
  const end = expressionEnd(t, k, t.length);
  return t[end]?.text === ';' ? end : -1;
}

/** True when tokens [from, to) compute a value without side effects (no call, no assignment). */
function pure(t: Token[], from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const x = t[k]!;
    if (x.kind === 'id' && (x.text === 'new' || x.text === 'delete' || x.text === 'function')) {
      return false;
    }
    if (x.text === '(' && (t[k - 1]?.kind === 'id' || t[k - 1]?.text === ')')) return false;
    if (isAssignment(x) || x.text === '++' || x.text === '--') return false;
  }
  return true;
}

/**
 * The slots (flags and ALU scratch) whose first use in `text` is a plain assignment that every
 * path through the text runs, from a value that does not read the slot: the value the slot had
 * before `text` is never observed by it. Conservative: a write under an `if`, after a jump that
 * could skip it, or inside an expression does not count.
 */
export function overwrittenSlots(text: string): Set<string> {
  const out = new Set<string>();
  const t = solid(text);
  if (t === null) return out;
  const seen = new Set<string>();
  // Open braces: a conditional one (if, else, loop, anything but a block or a labeled block)
  // or one a jump may leave early (a break to its label, or any other jump) makes what follows
  // inside it conditional.
  const open: { conditional: boolean; label: string | null; left: boolean }[] = [];
  for (let k = 0; k < t.length; k++) {
    const x = t[k]!;
    if (x.text === '{') {
      const p = t[k - 1]?.text;
      const labeled = p === ':' && t[k - 2]?.kind === 'id' && t[k - 3]?.text !== '?';
      const plain = p === undefined || p === ';' || p === '{' || p === '}' || labeled;
      open.push({ conditional: !plain, label: labeled ? t[k - 2]!.text : null, left: false });
      continue;
    }
    if (x.text === '}') {
      open.pop();
      continue;
    }
    if (x.kind !== 'id') continue;
    if (x.text === 'break' && t[k + 1]?.kind === 'id') {
      let at = open.length - 1;
      while (at >= 0 && open[at]!.label !== t[k + 1]!.text) at--;
      for (let j = Math.max(at, 0); j < open.length; j++) open[j]!.left = true;
      continue;
    }
    if (['break', 'continue', 'return', 'throw'].includes(x.text)) {
      for (const b of open) b.left = true;
      continue;
    }
    const slot = x.text;
    if (!FLAG_SLOTS.includes(slot) && !SCRATCH_SLOTS.includes(slot)) continue;
    if (t[k - 1]?.text === '.' || seen.has(slot)) continue;
    seen.add(slot);
    if (!statementAssignment(t, k) || open.some((b) => b.conditional || b.left)) continue;
    const end = statementEnd(t, k + 2);
    if (end < 0 || !pure(t, k + 2, end)) continue;
    let readsItself = false;
    for (let j = k + 2; j < end; j++) {
      if (t[j]!.text === slot && t[j - 1]?.text !== '.') readsItself = true;
    }
    if (readsItself) continue;
    out.add(slot);
  }
  return out;
}

/** True when `t` reads `slot` anywhere (any use but a plain assignment's target). */
function reads(t: Token[], slot: string): boolean {
  return t.some((x, k) => x.text === slot && t[k - 1]?.text !== '.' && t[k + 1]?.text !== '=');
}

/**
 * `text` without its writes to the flags in `dead` (statements `FN = value ;` with a pure value)
 * and then to the ALU scratch in `dead` that nothing left in it reads; null when there is
 * nothing to drop or the text is not understood.
 */
export function withoutDeadWrites(text: string, dead: ReadonlySet<string>): string | null {
  let t = solid(text);
  if (t === null) return null;
  let changed = false;
  const drop = (slots: string[]): void => {
    const out: Token[] = [];
    for (let k = 0; k < t!.length; k++) {
      const x = t![k]!;
      if (slots.includes(x.text) && t![k - 1]?.text !== '.') {
        const end = t![k + 1]?.text === '=' ? statementEnd(t!, k + 2) : -1;
        if (atStatement(t!, k) && end >= 0 && pure(t!, k + 2, end)) {
          k = end - 1; // keeps the ';' (an empty statement where a statement is required)
          changed = true;
          continue;
        }
      }
      out.push(x);
    }
    t = out;
  };
  drop(FLAG_SLOTS.filter((s) => dead.has(s)));
  drop(SCRATCH_SLOTS.filter((s) => dead.has(s) && !reads(t!, s)));
  return changed ? t.map((x) => x.text).join(' ') : null;
}
