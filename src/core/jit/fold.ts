/**
 * Folds specialised semantics (inline.ts output) where the decoded operands make the outcome
 * known: `if` conditions made of constants (`if (0 === 1 || ...)`, `if (2 < 13)`), `switch`
 * on a constant, and statements after an unconditional break. It keeps generated blocks small
 * enough for V8 to optimise (whole helpers such as Shift_C are inlined, and a shift of 0 needs
 * one line of them). Only what is certain is folded: a condition with an unknown part is kept
 * unless that part cannot have an effect and does not change the result.
 */
import { isAssignmentText, texts } from './tokens.js';

type Tok = string;

const NAME = /^[A-Za-z_$][\w$]*$/;

/** Index of the token closing the bracket at `open` ('(' '[' '{'), or -1. */
function closeOf(t: Tok[], open: number): number {
  let depth = 0;
  for (let k = open; k < t.length; k++) {
    const x = t[k]!;
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') {
      depth--;
      if (depth === 0) return k;
      if (depth < 0) return -1;
    }
  }
  return -1;
}

/**
 * Thrown where folding gives up (caught a few frames up). Not an Error: folding fails often
 * (most expressions are not constant), and an Error records a stack trace each time.
 */
class Fail {}
const FAIL = new Fail();

/** stmtEnd's answers per token array (folding asks for the same statements repeatedly). */
const ends = new WeakMap<Tok[], Int32Array>();

/** Index just after the statement that starts at `k`. */
function stmtEnd(t: Tok[], k: number): number {
  // Short lists are scanned again (a memo costs more than it saves there).
  if (t.length < 256) return scanStatement(t, k);
  let memo = ends.get(t);
  if (memo === undefined) {
    memo = new Int32Array(t.length + 1).fill(-1);
    ends.set(t, memo);
  }
  const known = memo[k]!;
  if (known >= 0) return known;
  const end = scanStatement(t, k);
  memo[k] = end;
  return end;
}

function scanStatement(t: Tok[], k: number): number {
  const x = t[k];
  if (x === undefined) throw FAIL;
  if (x === '{') return closeOf(t, k) + 1 || fail();
  if (x === ';') return k + 1;
  if (x === 'if') {
    const c = closeOf(t, k + 1);
    if (t[k + 1] !== '(' || c < 0) fail();
    const thenEnd = stmtEnd(t, c + 1);
    return t[thenEnd] === 'else' ? stmtEnd(t, thenEnd + 1) : thenEnd;
  }
  if (x === 'for' || x === 'while') {
    const c = closeOf(t, k + 1);
    if (t[k + 1] !== '(' || c < 0) fail();
    return stmtEnd(t, c + 1);
  }
  if (x === 'switch') {
    const c = closeOf(t, k + 1);
    if (t[k + 1] !== '(' || c < 0 || t[c + 1] !== '{') fail();
    return closeOf(t, c + 1) + 1 || fail();
  }
  if (x === 'do' || x === 'try' || x === 'function' || x === 'class') fail();
  if (NAME.test(x) && t[k + 1] === ':') return stmtEnd(t, k + 2);
  let depth = 0;
  for (let j = k; j < t.length; j++) {
    const y = t[j]!;
    if (y === '(' || y === '[' || y === '{') depth++;
    else if (y === ')' || y === ']' || y === '}') depth--;
    else if (y === ';' && depth === 0) return j + 1;
    if (depth < 0) fail();
  }
  return fail();
}

function fail(): never {
  throw FAIL;
}

// ---- constant conditions ----

interface Value {
  known: boolean;
  value: unknown;
  /** False when evaluating it may have an effect (a call, an assignment). */
  pure: boolean;
}

const UNKNOWN_PURE: Value = { known: false, value: undefined, pure: true };
const BINARY: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '===': 6, '!==': 6, '==': 6, '!=': 6,
  '<': 7, '>': 7, '<=': 7, '>=': 7, '<<': 8, '>>': 8, '>>>': 8, '+': 9, '-': 9,
  '*': 10, '/': 10, '%': 10,
}; // prettier-ignore

function apply(op: string, a: unknown, b: unknown): unknown {
  const x = a as number;
  const y = b as number;
  switch (op) {
    case '|': return x | y;
    case '^': return x ^ y;
    case '&': return x & y;
    case '===': return a === b;
    case '!==': return a !== b;
    case '==': return a == b; // eslint-disable-line eqeqeq
    case '!=': return a != b; // eslint-disable-line eqeqeq
    case '<': return x < y;
    case '>': return x > y;
    case '<=': return x <= y;
    case '>=': return x >= y;
    case '<<': return x << y;
    case '>>': return x >> y;
    case '>>>': return x >>> y;
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return x / y;
    case '%': return x % y;
  }
  return fail();
} // prettier-ignore

/** Evaluates t[from, to) as far as constants allow. */
function evaluate(t: Tok[], from: number, to: number): Value {
  let k = from;
  const primary = (): Value => {
    const x = t[k];
    if (x === undefined || k >= to) fail();
    if (x === '(') {
      const c = closeOf(t, k);
      if (c < 0 || c >= to) fail();
      const v = evaluate(t, k + 1, c);
      k = c + 1;
      return v;
    }
    if (x === '!' || x === '-' || x === '~') {
      k++;
      const v = primary();
      if (!v.known) return v;
      const n = v.value as number;
      return { known: true, pure: v.pure, value: x === '!' ? !v.value : x === '-' ? -n : ~n };
    }
    k++;
    if (/^[0-9]/.test(x)) return { known: true, value: Number(x), pure: true };
    if (x === 'Math' && t[k] === '.' && t[k + 1] === 'clz32' && t[k + 2] === '(') {
      const c = closeOf(t, k + 2);
      if (c < 0 || c >= to) fail();
      const v = evaluate(t, k + 3, c);
      k = c + 1;
      return v.known ? { known: true, value: Math.clz32(v.value as number), pure: v.pure } : v;
    }
    if (x === 'true' || x === 'false') return { known: true, value: x === 'true', pure: true };
    if (!NAME.test(x)) fail();
    // A name and its member accesses, indexes, calls: unknown.
    let pure = true;
    for (;;) {
      if (t[k] === '.' && k + 1 < to) k += 2;
      else if ((t[k] === '[' || t[k] === '(') && k < to) {
        if (t[k] === '(') pure = false;
        const c = closeOf(t, k);
        if (c < 0 || c >= to) fail();
        const inner = t.slice(k + 1, c);
        if (inner.some((y) => /^([-+*/%&|^]|<<|>>>?)?=$|^\+\+$|^--$/.test(y))) pure = false;
        k = c + 1;
      } else break;
    }
    return { known: false, value: undefined, pure };
  };
  const binary = (minPrec: number): Value => {
    let left = primary();
    for (;;) {
      const op = t[k];
      const prec = op === undefined || k >= to ? 0 : (BINARY[op] ?? 0);
      if (prec === 0 || prec < minPrec) return left;
      k++;
      const right = binary(prec + 1);
      left = combine(op!, left, right);
    }
  };
  const v = binary(1);
  if (k !== to) fail();
  return v;
}

/** evaluate, or unknown where the expression is beyond it. */
function tryEvaluate(t: Tok[], from: number, to: number): Value {
  try {
    return evaluate(t, from, to);
  } catch (e) {
    if (e instanceof Fail) return { known: false, value: undefined, pure: false };
    throw e;
  }
}

function combine(op: string, a: Value, b: Value): Value {
  const pure = a.pure && b.pure;
  if (op === '&&' || op === '||') {
    const stop = op === '&&' ? false : true; // the value that decides alone
    if (a.known) return Boolean(a.value) === stop ? a : b;
    if (b.known && Boolean(b.value) === stop && a.pure)
      return { known: true, value: b.value, pure };
    return { known: false, value: undefined, pure };
  }
  if (a.known && b.known) return { known: true, value: apply(op, a.value, b.value), pure };
  return pure ? UNKNOWN_PURE : { known: false, value: undefined, pure: false };
}

// ---- statements ----

/** True when control never leaves the statement t[k, end) at its end. */
function alwaysJumps(t: Tok[], k: number, end: number): boolean {
  const x = t[k];
  if (x === 'break' || x === 'continue' || x === 'throw' || x === 'return') return true;
  if (x === '{') {
    let j = k + 1;
    while (j < end - 1) {
      const e = stmtEnd(t, j);
      if (alwaysJumps(t, j, e)) return true;
      j = e;
    }
  }
  return false;
}

let switchLabels = 0;

/** Simplifies the statement list t[from, to); returns its new tokens. */
function foldList(t: Tok[], from: number, to: number): Tok[] {
  const out: Tok[] = [];
  let k = from;
  while (k < to) {
    const end = stmtEnd(t, k);
    const stmt = foldStatement(t, k, end);
    const constant = constantDeclared(stmt);
    if (constant !== null) {
      const rest = substituted(t.slice(end, to), constant.name, constant.literal);
      if (rest !== null) {
        // The rest of the list sees the constant's value (so its conditions fold), and the
        // declaration (of a pure value) goes.
        out.push(...foldList(rest, 0, rest.length));
        break;
      }
    }
    out.push(...stmt);
    const folded = stmt.length > 0 ? stmt : [';'];
    if (alwaysJumps(folded, 0, folded.length)) break; // the rest is unreachable
    k = end;
  }
  return out;
}

/** `const NAME = EXPR ;` with EXPR a known integer or boolean: the name and its literal. */
function constantDeclared(stmt: Tok[]): { name: string; literal: Tok[] } | null {
  if (stmt[0] !== 'const' || !NAME.test(stmt[1] ?? '') || stmt[2] !== '=') return null;
  if (stmt[stmt.length - 1] !== ';') return null;
  const v = tryEvaluate(stmt, 3, stmt.length - 1);
  if (!v.known || !v.pure) return null;
  return literalOf(stmt[1]!, v.value);
}

function literalOf(name: string, value: unknown): { name: string; literal: Tok[] } | null {
  if (typeof value === 'boolean') return { name, literal: [String(value)] };
  if (typeof value !== 'number' || !Number.isInteger(value) || Object.is(value, -0)) return null;
  return { name, literal: value < 0 ? ['(', '-', String(-value), ')'] : [String(value)] };
}

/**
 * `t` with the uses of the constant `name` replaced by its literal; null where `name` may mean
 * something else somewhere in `t` (declared again, assigned, a label or property key, a closure).
 */
function substituted(t: Tok[], name: string, literal: Tok[]): Tok[] | null {
  const out: Tok[] = [];
  for (let j = 0; j < t.length; j++) {
    const x = t[j]!;
    if (x === 'function' || x === '=>' || x === 'class') return null;
    if (x !== name) {
      out.push(x);
      continue;
    }
    const before = t[j - 1];
    const after = t[j + 1];
    if (before === '.') {
      out.push(x); // a property of the same name
      continue;
    }
    if (before === 'let' || before === 'const' || before === 'var' || before === ',') return null;
    if (after !== undefined && isAssignmentText(after)) return null;
    if (before === '++' || before === '--' || (after === ':' && before !== '?')) return null;
    if (before === '{' && after === '}') return null;
    out.push(...literal);
  }
  return out;
}

function foldStatement(t: Tok[], k: number, end: number): Tok[] {
  const x = t[k]!;
  if (x === '{') return ['{', ...foldList(t, k + 1, end - 1), '}'];
  if (x === 'if') {
    const c = closeOf(t, k + 1);
    const thenEnd = stmtEnd(t, c + 1);
    const hasElse = t[thenEnd] === 'else';
    const cond = tryEvaluate(t, k + 2, c);
    if (cond.known && cond.pure) {
      if (cond.value) return foldStatement(t, c + 1, thenEnd);
      return hasElse ? foldStatement(t, thenEnd + 1, end) : [];
    }
    const thenPart = asStatement(foldStatement(t, c + 1, thenEnd));
    const elsePart = hasElse ? ['else', ...asStatement(foldStatement(t, thenEnd + 1, end))] : [];
    return [...t.slice(k, c + 1), ...thenPart, ...elsePart];
  }
  if (x === 'switch') return foldSwitch(t, k, end);
  if (x === 'for') {
    const unrolled = unroll(t, k, end);
    if (unrolled !== null) return ['{', ...foldList(unrolled, 0, unrolled.length), '}'];
    return t.slice(k, end);
  }
  if (NAME.test(x) && t[k + 1] === ':' && t[k + 2] === '{') {
    return [x, ':', ...foldStatement(t, k + 2, end)];
  }
  return t.slice(k, end);
}

/** Iterations a loop may have to be unrolled. */
const MAX_UNROLL = 16;

/**
 * `for (let V = INIT; COND; UPDATE) BODY` whose iterations are known from constants (LDM/STM
 * walking a decoded register list): `{ const V = value; BODY }` for each, so the registers the
 * body indexes become constants. Null when the loop is anything else: a body that breaks,
 * continues, assigns V or makes a closure, an iteration count past MAX_UNROLL.
 */
function unroll(t: Tok[], k: number, end: number): Tok[] | null {
  const close = closeOf(t, k + 1);
  if (t[k + 1] !== '(' || t[k + 2] !== 'let' || !NAME.test(t[k + 3] ?? '') || t[k + 4] !== '=')
    return null;
  const v = t[k + 3]!;
  const semis: number[] = [];
  let depth = 0;
  for (let j = k + 2; j < close; j++) {
    const y = t[j]!;
    if (y === '(' || y === '[' || y === '{') depth++;
    else if (y === ')' || y === ']' || y === '}') depth--;
    else if (y === ';' && depth === 0) semis.push(j);
  }
  if (semis.length !== 2) return null;
  const [s1, s2] = semis as [number, number];
  const init = tryEvaluate(t, k + 5, s1);
  if (!init.known || !init.pure || typeof init.value !== 'number') return null;
  const cond = t.slice(s1 + 1, s2);
  const update = t.slice(s2 + 1, close);
  const body = t.slice(close + 1, end);
  if (body.some((y) => y === 'break' || y === 'continue')) return null;
  if (substituted(body, v, ['0']) === null) return null; // assigns V, or a closure
  // UPDATE: `V op= EXPR`, `V = EXPR`, `V++`, `++V`, `V--`, `--V`.
  let step: (value: number) => number;
  if (update.length === 2 && update.includes(v) && (update.includes('++') || update.includes('--')))
    step = update.includes('++') ? (x) => x + 1 : (x) => x - 1;
  else if (update[0] === v && update.length > 2 && isAssignmentText(update[1]!)) {
    const op = update[1]!.slice(0, -1);
    const rhs = update.slice(2);
    step = (x) => {
      const r = evaluateWith(rhs, v, x);
      if (typeof r !== 'number') fail();
      return op === '' ? r : (apply(op, x, r) as number);
    };
  } else return null;
  const out: Tok[] = [];
  let value = init.value;
  try {
    for (let n = 0; ; n++) {
      const go = evaluateWith(cond, v, value);
      if (go === undefined) return null;
      if (!go) break;
      if (n === MAX_UNROLL) return null;
      out.push('{', 'const', v, '=', ...literalOf(v, value)!.literal, ';', ...body, '}');
      value = step(value);
      if (!Number.isInteger(value)) return null;
    }
  } catch (e) {
    if (e instanceof Fail) return null;
    throw e;
  }
  return out;
}

/** The value of `expr` with `name` = `value`, or undefined when it is not known. */
function evaluateWith(expr: Tok[], name: string, value: number): unknown {
  const lit = literalOf(name, value);
  const e = lit === null ? null : substituted(expr, name, lit.literal);
  if (e === null) return undefined;
  const r = tryEvaluate(e, 0, e.length);
  return r.known && r.pure ? r.value : undefined;
}

/** A branch of an if that folded away entirely still needs a statement. */
function asStatement(s: Tok[]): Tok[] {
  return s.length === 0 ? [';'] : s;
}

/** `switch (CONST) { case CONST: ... }` → the statements from the matching case on. */
function foldSwitch(t: Tok[], k: number, end: number): Tok[] {
  const c = closeOf(t, k + 1);
  const on = tryEvaluate(t, k + 2, c);
  const bodyStart = c + 2;
  const bodyEnd = end - 1;
  if (!on.known || !on.pure) return t.slice(k, end);
  // Case labels at the top level of the body.
  const labels: { at: number; after: number; value: unknown; isDefault: boolean }[] = [];
  let depth = 0;
  for (let j = bodyStart; j < bodyEnd; j++) {
    const y = t[j]!;
    if (y === '(' || y === '[' || y === '{') depth++;
    else if (y === ')' || y === ']' || y === '}') depth--;
    else if (depth === 0 && (y === 'case' || y === 'default')) {
      let colon = j + 1;
      while (colon < bodyEnd && t[colon] !== ':') colon++;
      if (y === 'default')
        labels.push({ at: j, after: colon + 1, value: undefined, isDefault: true });
      else {
        const v = evaluate(t, j + 1, colon);
        if (!v.known) return t.slice(k, end);
        labels.push({ at: j, after: colon + 1, value: v.value, isDefault: false });
      }
      j = colon;
    }
  }
  const hit =
    labels.find((l) => !l.isDefault && l.value === on.value) ?? labels.find((l) => l.isDefault);
  if (hit === undefined) return [];
  // Unlabelled breaks leave the switch: they become breaks out of a labelled block.
  const label = `SW$${switchLabels++}`;
  const body: Tok[] = [];
  let nested = 0;
  for (let j = hit.after; j < bodyEnd; j++) {
    const lab = labels.find((l) => l.at === j);
    if (lab !== undefined) {
      j = lab.after - 1;
      continue;
    }
    const y = t[j]!;
    if (y === 'for' || y === 'while' || y === 'switch' || y === 'do') nested++;
    if (y === 'continue' && t[j + 1] === ';') return t.slice(k, end);
    if (y === 'break' && t[j + 1] === ';') {
      if (nested > 0) return t.slice(k, end);
      body.push('break', label);
      continue;
    }
    body.push(y);
  }
  return [label, ':', '{', ...foldList(body, 0, body.length), '}'];
}

/** Folds `code` (statements); returns it unchanged when it does not parse as expected. */
export function fold(code: string): string {
  const t = texts(code);
  if (t === null) return code;
  try {
    return foldList(t, 0, t.length).join(' ');
  } catch (e) {
    if (e instanceof Fail) return code;
    throw e;
  }
}
