/**
 * Inlines an instruction's semantics into its block, specialised for its decoded operands: the
 * encoding's own exec function (the one the interpreter calls) is read back as source text,
 * `i.rd`, `i.imm`... become the Insn's constant values, single-expression helpers that take the
 * Insn (`setsFlags(cpu, i)`, `shiftedRm(cpu, i)`) are inlined the same way, and every other name
 * the function uses resolves to the same binding in its own module (see semantics.ts). So the
 * generated code is the shared semantics with its operands filled in, not a second copy: change
 * an exec function and the translator follows.
 *
 * Anything this cannot do with certainty (a nested function, a template string, a name it
 * cannot resolve, a bundler that renamed a helper) makes it return null, and the block calls
 * the exec function instead: slower, never different.
 */
import type { ExecFn, Insn } from '../insn.js';
import { fold } from './fold.js';
import {
  assigns,
  closing,
  isAssignment,
  next,
  parse,
  prev,
  splitArgs,
  tokenize,
  type Token,
} from './tokens.js';
import { lookupName, moduleOf, ONCE_PER_BLOCK } from './semantics.js';

const KEYWORDS = new Set(
  (
    'if else return const let var new throw typeof for while do break continue switch case ' +
    'default of in instanceof void true false null undefined Math Number Infinity NaN ' +
    'Uint8Array Uint16Array Uint32Array Int8Array Int16Array Int32Array Float32Array ' +
    'Float64Array DataView Boolean BigInt Object Array'
  ).split(' '),
);

/** The operand fields of an Insn that become constants. */
const FIELDS = new Set([
  ...['raw', 'addr', 'size', 'cycles', 'rd', 'rn', 'rm', 'rt', 'rt2', 'ra', 'rs', 'imm', 'imm2'],
  ...['immCarry', 'shiftType', 'shiftN', 'setflags', 'cond', 'list', 'add', 'index', 'wback'],
  'extra',
]);

/** Where inlined code finds a module's names: `declare(module, name)` gives the local alias. */
export interface InlineScope {
  /** The module (index) an exec or helper function belongs to, or -1. */
  moduleOf(fn: unknown): number;
  /** The value bound to `name` in module `m`, or undefined. */
  lookup(m: number, name: string): unknown;
  /** Declares module `m`'s `name` in the block's factory; returns the alias to use. */
  declare(m: number, name: string): string;
  /** A name not used anywhere else in the block, starting with `prefix`. */
  fresh(prefix: string): string;
}

function fieldLiteral(insn: Insn, field: string): string {
  const v = (insn as unknown as Record<string, unknown>)[field];
  if (typeof v === 'boolean') return String(v);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`field ${field}`);
  return v < 0 || Object.is(v, -0) ? `(${v})` : String(v);
}

interface Context {
  insn: Insn;
  scope: InlineScope;
  label: string;
  /** The names the Insn parameter and the core parameter have in the function being inlined. */
  iName: string | null;
  cpuName: string;
  /** Argument text for each other parameter (helpers inlined as expressions). */
  args: Map<string, string>;
  module: number;
  usesInsn: boolean;
  depth: number;
  /** Local names of the function being rewritten. */
  locals: Set<string>;
  /** For a helper inlined as statements: where `return EXPR;` stores EXPR (else no value). */
  returnTo: string | null;
}

/**
 * `(0, ns.name)`, the call-without-receiver idiom transpilers emit for an imported function,
 * as plain `ns.name` (the binding is then resolved as any other name).
 */
function unwrapNamespaceCalls(t: Token[]): Token[] {
  const out: Token[] = [];
  for (let k = 0; k < t.length; k++) {
    if (t[k]!.text === '(') {
      const zero = next(t, k);
      const comma = next(t, zero);
      const ns = next(t, comma);
      const dot = next(t, ns);
      const member = next(t, dot);
      const close = next(t, member);
      if (
        t[zero]?.text === '0' &&
        t[comma]?.text === ',' &&
        t[ns]?.kind === 'id' &&
        t[dot]?.text === '.' &&
        t[member]?.kind === 'id' &&
        t[close]?.text === ')'
      ) {
        out.push(t[ns]!, t[dot]!, t[member]!);
        k = close;
        continue;
      }
    }
    out.push(t[k]!);
  }
  return out;
}

/**
 * Rewrites `body` for this instruction; null when something is not understood. `exprOnly`:
 * the body of a helper inlined as an expression (no statements of its own).
 */
function rewrite(source: Token[], ctx: Context): string | null {
  const body = unwrapNamespaceCalls(source);
  const locals = ctx.locals;
  for (let k = 0; k < body.length; k++) {
    const tok = body[k]!;
    if (tok.kind !== 'id') continue;
    if (tok.text === 'function' || tok.text === 'this' || tok.text === 'arguments') return null;
    if (tok.text === 'const' || tok.text === 'let' || tok.text === 'var') {
      const j = next(body, k);
      if (body[j]?.kind !== 'id') return null; // destructuring
      locals.add(body[j]!.text);
    }
    if (tok.text === 'catch') {
      const j = next(body, next(body, k));
      if (body[j]?.kind === 'id') locals.add(body[j]!.text);
    }
  }
  let out = '';
  // Inside `return EXPR;` of a value-returning helper: the nesting depth, to find its ';'.
  let returnDepth = -1;
  for (let k = 0; k < body.length; k++) {
    const tok = body[k]!;
    if (tok.kind === 'punct' && tok.text === '=>') return null;
    if (tok.kind !== 'id') {
      if (returnDepth >= 0) {
        if (tok.text === '(' || tok.text === '[' || tok.text === '{') returnDepth++;
        else if (tok.text === ')' || tok.text === ']' || tok.text === '}') returnDepth--;
        else if (tok.text === ';' && returnDepth === 0) {
          out += `; break ${ctx.label}; }`;
          returnDepth = -1;
          continue;
        }
        if (returnDepth < 0) return null;
      }
      out += tok.text;
      continue;
    }
    const before = body[prev(body, k)];
    if (
      before !== undefined &&
      before.kind === 'punct' &&
      (before.text === '.' || before.text === '?.')
    ) {
      out += tok.text; // a property name
      continue;
    }
    let name = tok.text;
    if (name === ctx.iName) {
      const dot = next(body, k);
      const field = next(body, dot);
      if (body[dot]?.text === '.' && body[field]?.kind === 'id' && FIELDS.has(body[field]!.text)) {
        if (isAssignment(body[next(body, field)])) return null;
        out += fieldLiteral(ctx.insn, body[field]!.text);
        k = field;
        continue;
      }
      ctx.usesInsn = true;
      out += 'i$';
      continue;
    }
    if (name === ctx.cpuName) {
      out += 'cpu';
      continue;
    }
    if (ctx.args.has(name)) {
      out += ctx.args.get(name)!;
      continue;
    }
    if (name === 'return') {
      const j = next(body, k);
      if (body[j]?.text === ';' || body[j]?.text === '}') out += `break ${ctx.label}`;
      else if (ctx.returnTo !== null && returnDepth < 0) {
        out += `{ ${ctx.returnTo} = `;
        returnDepth = 0;
      } else if (ctx.depth === 0 && returnDepth < 0) {
        // An exec function's value is never used (`(cpu, i) => helper(cpu, i, 1)`).
        out += '{ ';
        returnDepth = 0;
      } else return null;
      continue;
    }
    if (
      locals.has(name) ||
      KEYWORDS.has(name) ||
      name === 'catch' ||
      name === 'try' ||
      name === 'finally'
    ) {
      out += name;
      continue;
    }
    // A name of the function's module: a helper taking the Insn is inlined when it is one
    // expression; anything else is used through its binding.
    let value = ctx.scope.lookup(ctx.module, name);
    if (value === undefined) {
      // A module namespace a transpiler put in front of an import (`ns.addWithCarry`, as
      // Vite's test runner compiles imports): the module's own binding of that name.
      const dot = next(body, k);
      const prop = next(body, dot);
      const member = body[prop]?.text ?? '';
      if (body[dot]?.text !== '.' || body[prop]?.kind !== 'id') return null;
      value = ctx.scope.lookup(ctx.module, member);
      if (value === undefined) return null;
      name = member;
      k = prop;
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      // A module constant (the semantics modules export no mutable primitives).
      out += typeof value === 'number' && value < 0 ? `(${value})` : String(value);
      continue;
    }
    const call = next(body, k);
    if (typeof value === 'function' && body[call]?.text === '(' && ctx.depth < 3) {
      const inlined = inlineHelperCall(body, call, value, ctx);
      if (inlined !== null) {
        out += inlined.text;
        k = inlined.end;
        continue;
      }
    }
    out += ctx.scope.declare(ctx.module, name);
  }
  return out;
}

/**
 * `helper(a, b)` where helper is `function helper(x, y) { return EXPR; }` and every argument
 * is a plain name or literal: EXPR with its parameters replaced, in parentheses.
 */
function inlineHelperCall(
  body: Token[],
  open: number,
  helper: object,
  ctx: Context,
): { text: string; end: number } | null {
  const parsed = parse(helper);
  if (parsed === null) return null;
  const stmts = parsed.body.filter((x) => x.kind !== 'space');
  if (stmts[0]?.text !== 'return' || stmts.filter((x) => x.text === ';').length > 1) return null;
  if (stmts.some((x) => x.text === 'return' && x !== stmts[0])) return null;
  // Arguments: single tokens (a name or a number) separated by commas.
  const argTokens: Token[] = [];
  let k = next(body, open);
  for (;;) {
    const tok = body[k];
    if (tok === undefined) return null;
    if (tok.text === ')') break;
    if (tok.kind !== 'id' && tok.kind !== 'num') return null;
    argTokens.push(tok);
    k = next(body, k);
    if (body[k]?.text === ',') k = next(body, k);
    else if (body[k]?.text !== ')') return null;
  }
  if (argTokens.length !== parsed.params.length) return null;
  const m = ctx.scope.moduleOf(helper);
  if (m < 0) return null;
  const sub: Context = {
    ...ctx,
    iName: null,
    cpuName: '\0',
    args: new Map(),
    module: m,
    depth: ctx.depth + 1,
    locals: new Set(),
    returnTo: null,
  };
  for (let a = 0; a < argTokens.length; a++) {
    const param = parsed.params[a]!;
    const arg = argTokens[a]!;
    if (arg.kind === 'id' && arg.text === ctx.iName) sub.iName = param;
    else if (arg.kind === 'id' && arg.text === ctx.cpuName) sub.cpuName = param;
    else {
      // The argument as the caller's code names it (a caller's local, an argument, a literal).
      const text = rewrite([arg], { ...ctx, depth: ctx.depth + 1, locals: new Set(ctx.locals) });
      if (text === null) return null;
      sub.args.set(param, `(${text})`);
    }
  }
  // The helper's body without 'return' and the final ';'.
  const start = parsed.body.findIndex((x) => x.text === 'return') + 1;
  let end = parsed.body.length;
  while (
    end > start &&
    (parsed.body[end - 1]!.kind === 'space' || parsed.body[end - 1]!.text === ';')
  )
    end--;
  const text = rewrite(parsed.body.slice(start, end), sub);
  if (text === null) return null;
  if (sub.usesInsn) ctx.usesInsn = true;
  return { text: `(${text})`, end: k };
}

/**
 * The statement that performs `exec(cpu, insn)` for this Insn, specialised; null when the
 * function cannot be inlined. `label` must be unique in the block; `insnName` is the
 * expression that holds the Insn in the generated code.
 */
export function inlineExec(
  exec: ExecFn,
  insn: Insn,
  scope: InlineScope,
  label: string,
  insnName: string,
  itState: number,
): string | null {
  const module = scope.moduleOf(exec);
  if (module < 0) return null;
  const parsed = parse(exec);
  // (cpu, i), or fewer for semantics that need neither (the memory hints' NOP).
  if (parsed === null || parsed.params.length > 2) return null;
  const ctx: Context = {
    insn,
    scope,
    label,
    cpuName: parsed.params[0] ?? '',
    iName: parsed.params[1] ?? '',
    args: new Map(),
    module,
    usesInsn: false,
    depth: 0,
    locals: new Set(),
    returnTo: null,
  };
  let text: string | null;
  try {
    text = rewrite(parsed.body, ctx);
  } catch {
    return null;
  }
  if (text === null) return null;
  text = inlineCalls(fold(text), insn, scope, 0);
  // ITSTATE is known here (the block sets it before the instruction): reads of it are
  // constants, up to a write of it (IT's own) in code without loops.
  const write = /\bcpu\s*\.\s*it\s*=[^=]/.exec(text);
  const known = write === null ? text.length : /\b(for|while|do)\b/.test(text) ? 0 : write.index;
  text = text.slice(0, known).replace(/\bcpu\s*\.\s*it\b/g, `(${itState})`) + text.slice(known);
  text = fold(text);
  const bind = /\bi\$/.test(text) ? `const i$ = ${insnName}; ` : '';
  return `${label}: { ${bind}${text} }`;
}

/** inlineExec's result for one Insn and ITSTATE: the text and the module names it uses. */
interface Inlined {
  text: string | null;
  aliases: [string, unknown][];
}
const inlinedCache = new WeakMap<Insn, Map<number, Inlined>>();
/** One alias per bound value, the same in every block (so inlined text can be reused). */
const canonicalAliases = new Map<unknown, string>();

/**
 * inlineExec for a block's instruction, remembered per decoded Insn and ITSTATE (a block that
 * overlaps another, or is translated again, reuses it). `use(alias, value)` is told each module
 * binding the text needs. The Insn is `I$` and the label `L` in the text.
 */
export function inlineInsn(
  insn: Insn,
  itState: number,
  use: (alias: string, value: unknown) => void,
): string | null {
  let perIt = inlinedCache.get(insn);
  if (perIt === undefined) {
    perIt = new Map();
    inlinedCache.set(insn, perIt);
  }
  let entry = perIt.get(itState);
  if (entry === undefined) {
    const aliases: [string, unknown][] = [];
    let fresh = 0;
    const scope: InlineScope = {
      moduleOf,
      lookup: lookupName,
      declare(m, name) {
        const value = lookupName(m, name);
        let alias = canonicalAliases.get(value);
        if (alias === undefined) {
          alias = `$${m}_${name}`;
          canonicalAliases.set(value, alias);
        }
        if (!aliases.some(([a]) => a === alias)) aliases.push([alias, value]);
        return alias;
      },
      fresh: (prefix) => `${prefix}$${fresh++}`,
    };
    entry = { text: inlineExec(insn.exec, insn, scope, 'L', 'I$', itState), aliases };
    perIt.set(itState, entry);
  }
  for (const [alias, value] of entry.aliases) use(alias, value);
  return entry.text;
}

/**
 * Expansions of helper calls already made, by helper, arguments and (when the Insn is passed)
 * the instruction: translating a block mostly meets calls it has expanded before.
 */
const expansions = new Map<string, string | null>();

/** A cached expansion with fresh local names for this block, its module names declared. */
function reuse(text: string, scope: InlineScope): string {
  // Only the names it declares itself: its arguments may name the caller's.
  const renamed = new Map<string, string>();
  for (const m of text.matchAll(/\b(?:let|const) ([Hta])\$(\d+)\b|\b([Hta])\$(\d+) ?:(?!:)/g)) {
    const prefix = m[1] ?? m[3]!;
    renamed.set(`${prefix}$${m[2] ?? m[4]}`, scope.fresh(prefix));
  }
  const out = text.replace(/\b[Hta]\$\d+\b/g, (name) => renamed.get(name) ?? name);
  for (const m of out.matchAll(/\$(\d+)_(\w+)/g)) scope.declare(Number(m[1]), m[2]!);
  return out;
}

const ALIAS = /^\$(\d+)_(\w+)$/;

/**
 * Second pass over specialised code: a call of a module helper (`$m_name(...)`) that is a
 * statement of its own (`helper(args);`) or initialises a constant (`const x = helper(args);`)
 * becomes the helper's body, rewritten the same way (its Insn argument specialised, its other
 * parameters bound to the argument values, `return` turned into a break out of its block).
 */
function inlineCalls(text: string, insn: Insn, scope: InlineScope, depth: number): string {
  if (depth > 3) return text;
  const t = tokenize(text);
  if (t === null) return text;
  let out = '';
  let changed = false;
  for (let k = 0; k < t.length; k++) {
    const tok = t[k]!;
    const p = prev(t, k);
    const atStatement =
      p < 0 ||
      /^(;|\{|\}|\)|else)$/.test(t[p]!.text) ||
      (t[p]!.text === ':' && /^L/.test(t[prev(t, p)]?.text ?? ''));
    if (!atStatement) {
      out += tok.text;
      continue;
    }
    // `const NAME = [(] ALIAS(args) [)];` or `ALIAS(args);`
    let j = k;
    let target: string | null = null;
    if (tok.text === 'const' || tok.text === 'let') {
      const nameAt = next(t, k);
      const eq = next(t, nameAt);
      if (t[nameAt]?.kind !== 'id' || t[eq]?.text !== '=') {
        out += tok.text;
        continue;
      }
      target = t[nameAt]!.text;
      j = next(t, eq);
    }
    let wrapped = false;
    if (target !== null && t[j]?.text === '(') {
      wrapped = true;
      j = next(t, j);
    }
    const m = ALIAS.exec(t[j]?.text ?? '');
    const open = next(t, j);
    if (m === null || t[j]!.kind !== 'id' || t[open]?.text !== '(') {
      out += tok.text;
      continue;
    }
    const close = closing(t, open);
    let end = close < 0 ? -1 : next(t, close);
    if (wrapped && end >= 0) end = t[end]?.text === ')' ? next(t, end) : -1;
    if (end < 0 || t[end]?.text !== ';') {
      out += tok.text;
      continue;
    }
    const args = splitArgs(t, open, close);
    const key =
      `${m[1]}:${m[2]}(${args.join(',')})=${target ?? ''}` +
      (args.some((a) => a.replace(/\s+/g, '') === 'i$')
        ? `#${insn.encoding.name}#${insn.raw}#${insn.addr}`
        : '');
    const cached = expansions.get(key);
    if (cached !== undefined) {
      if (cached === null) {
        out += tok.text;
        continue;
      }
      out += reuse(cached, scope);
      changed = true;
      k = end;
      continue;
    }
    const replacement = inlineCall(
      Number(m[1]),
      m[2]!,
      splitArgs(t, open, close),
      target,
      insn,
      scope,
    );
    if (replacement === null) {
      expansions.set(key, null);
      out += tok.text;
      continue;
    }
    const expanded = inlineCalls(replacement, insn, scope, depth + 1);
    expansions.set(key, expanded);
    out += expanded;
    changed = true;
    k = end;
  }
  return changed ? out : text;
}

/** A helper's body for one call (see inlineCalls); null when it cannot be inlined. */
function inlineCall(
  module: number,
  name: string,
  args: string[],
  target: string | null,
  insn: Insn,
  scope: InlineScope,
): string | null {
  const helper = scope.lookup(module, name);
  if (typeof helper !== 'function') return null;
  const m = scope.moduleOf(helper);
  const parsed = m < 0 ? null : parse(helper);
  if (parsed === null || parsed.params.length !== args.length) return null;
  const label = scope.fresh('H');
  const result = scope.fresh('t');
  const ctx: Context = {
    insn,
    scope,
    label,
    iName: null,
    cpuName: '\0',
    args: new Map(),
    module: m,
    usesInsn: false,
    depth: 1,
    locals: new Set(),
    returnTo: result,
  };
  let bindings = '';
  parsed.params.forEach((param, a) => {
    const arg = args[a]!.replace(/\s+/g, '');
    if (arg === 'cpu') ctx.cpuName = param;
    else if (arg === 'i$') ctx.iName = param;
    else if (
      /^(\(-?[0-9][\w.]*\)|-?[0-9][\w.]*|true|false)$/.test(arg) &&
      !assigns(parsed.body, param)
    ) {
      ctx.args.set(param, arg); // a constant: substituted, so conditions on it fold
    } else {
      const bound = scope.fresh('a');
      bindings += `let ${bound} = (${arg}); `;
      ctx.args.set(param, bound);
    }
  });
  let body: string | null;
  try {
    body = rewrite(parsed.body, ctx);
    if (body !== null) body = fold(body);
  } catch {
    return null;
  }
  if (body === null) return null;
  const code = `let ${result}; { ${bindings}${label}: { ${body} } }`;
  // A check made once while nothing that could change its answer ran (ONCE_PER_BLOCK).
  if (target === null && ONCE_PER_BLOCK.has(helper))
    return `{ if ( F$ === 0 ) { ${code} F$ = 1 ; } }`;
  // A statement of its own may be the body of an `if`: one block statement.
  return target === null ? `{ ${code} }` : `${code} const ${target} = ${result};`;
}
