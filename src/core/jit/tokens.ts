/**
 * A small JavaScript lexer for the block translator's inliner: enough for the semantics
 * functions as TypeScript compiles them (no template strings or regular expressions), and the
 * parameters and body of a `function name(a, b) { ... }` read back with Function.toString.
 */
export type TokenKind = 'id' | 'num' | 'str' | 'punct' | 'space';
export interface Token {
  kind: TokenKind;
  text: string;
}

/** Operators of more than one character. */
const PUNCT = [
  '>>>=', '===', '!==', '>>>', '<<=', '>>=', '**=', '...', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=',
  '%=', '&=', '|=', '^=', '<<', '>>', '**',
]; // prettier-ignore
/** True for the first code unit of a name (an identifier or keyword). */
export function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * One token at a time, longest first where it matters: whitespace runs (any code unit up to
 * 32), comments (to be dropped; a block comment may be unterminated, then refused), names,
 * numbers (hexadecimal ones first: their `e` is a digit, not an exponent followed by a sign),
 * strings (a quote that opens none is a code unit alone, then refused), the operators of PUNCT
 * longest first, and any other code unit alone. One native call splits the whole source: the
 * translator's code is cold when it starts, and a character loop in JavaScript is slow until
 * the engine has optimised it.
 */
const TOKEN = new RegExp(
  [
    '[\\x00-\\x20]+',
    '//[^\\n]*',
    '/\\*[^]*?(?:\\*/|$)',
    '[A-Za-z_$][\\w$]*',
    '0[xX][\\w$.]*',
    '(?:\\d|\\.\\d)(?:[\\w$.]|(?<=[eE])[+-])*',
    "'(?:[^'\\\\]|\\\\[^])*'",
    '"(?:[^"\\\\]|\\\\[^])*"',
    ...[...PUNCT].sort((a, b) => b.length - a.length).map((op) => op.replace(/[^\w]/g, '\\$&')),
    '[^]',
  ].join('|'),
  'g',
);

/** A part's kind ('comment' to drop), or null for what this small lexer does not handle. */
function kindOf(t: string): TokenKind | 'comment' | null {
  const c = t.charCodeAt(0);
  if (c <= 32) return 'space';
  if (c === 47 && t.length > 1 && (t.charCodeAt(1) === 47 || t.charCodeAt(1) === 42)) {
    // A comment: dropped (a block comment must be closed).
    return t.charCodeAt(1) === 42 && (t.length < 4 || !t.endsWith('*/')) ? null : 'comment';
  }
  if (isNameStart(c)) return 'id';
  if (isDigit(c) || (c === 46 && t.length > 1 && isDigit(t.charCodeAt(1)))) return 'num';
  // A string (a quote alone: one left open).
  if (c === 39 || c === 34) return t.length < 2 ? null : 'str';
  if (c === 96) return null; // template strings may hold expressions: not handled
  return 'punct';
}

/** A '/' that could start a regular expression (not handled): after no token or punctuation. */
function startsRegExp(t: string, prev: string | undefined): boolean {
  if (t !== '/' && t !== '/=') return false;
  return prev === undefined || (kindOf(prev) === 'punct' && !/[)\]]/.test(prev));
}

/** Splits JavaScript source into tokens; null for what this small lexer does not handle. */
export function tokenize(src: string): Token[] | null {
  const parts = src.match(TOKEN);
  const out: Token[] = [];
  if (parts === null) return out;
  for (let k = 0; k < parts.length; k++) {
    const t = parts[k]!;
    const kind = kindOf(t);
    if (kind === null) return null;
    if (kind === 'comment') continue;
    if (kind === 'space') out.push({ kind, text: ' ' });
    else {
      if (kind === 'punct' && startsRegExp(t, lastSignificant(out)?.text)) return null;
      out.push({ kind, text: t });
    }
  }
  return out;
}

/**
 * The texts of the tokens of `src` without spaces and comments, as tokenize would give them
 * (null where it gives null), without making a token object for each: most passes look at
 * texts only, and a block's translation splits hundreds of kilobytes of code.
 */
export function texts(src: string): string[] | null {
  const parts = src.match(TOKEN);
  const out: string[] = [];
  if (parts === null) return out;
  for (let k = 0; k < parts.length; k++) {
    const t = parts[k]!;
    const c = t.charCodeAt(0);
    if (c <= 32) continue;
    if (isNameStart(c) || (c >= 48 && c <= 57))
      out.push(t); // the common cases first
    else {
      const kind = kindOf(t);
      if (kind === null) return null;
      if (kind === 'comment') continue;
      if (kind === 'punct' && startsRegExp(t, out[out.length - 1])) return null;
      out.push(t);
    }
  }
  return out;
}

function lastSignificant(tokens: Token[]): Token | null {
  for (let k = tokens.length - 1; k >= 0; k--) if (tokens[k]!.kind !== 'space') return tokens[k]!;
  return null;
}

/** A function's parameters and body tokens, for `function name(a, b) { ... }` only. */
export interface Parsed {
  params: string[];
  body: Token[];
}

const parsedCache = new WeakMap<object, Parsed | null>();

export function parse(fn: object): Parsed | null {
  if (parsedCache.has(fn)) return parsedCache.get(fn)!;
  let result: Parsed | null = null;
  const tokens = tokenize(Function.prototype.toString.call(fn));
  if (tokens !== null) {
    const t = tokens.filter((x, k) => x.kind !== 'space' || k > 0);
    let k = 0;
    const skip = (): void => {
      while (t[k]?.kind === 'space') k++;
    };
    /** `( a , b )` at k: the names, with k after the ')'; null for anything else. */
    const paramList = (): string[] | null => {
      if (t[k]?.text !== '(') return null;
      k++;
      const params: string[] = [];
      for (;;) {
        skip();
        const tok = t[k];
        if (tok?.text === ')') break;
        if (tok?.kind !== 'id') return null;
        params.push(tok.text);
        k++;
        skip();
        if (t[k]?.text === ',') k++;
      }
      k++;
      skip();
      return params;
    };
    const last = t.length - 1 - [...t].reverse().findIndex((x) => x.kind !== 'space');
    skip();
    if (t[k]?.text === 'function') {
      k++;
      skip();
      if (t[k]?.kind === 'id') k++;
      skip();
      const params = paramList();
      if (params !== null && t[k]?.text === '{' && t[last]?.text === '}') {
        result = { params, body: t.slice(k + 1, last) };
      }
    } else {
      // An arrow function: `(a, b) => { ... }` or `(a, b) => expression`.
      const params = paramList();
      if (params !== null && t[k]?.text === '=>') {
        k++;
        skip();
        if (t[k]?.text === '{' && t[last]?.text === '}') {
          result = { params, body: t.slice(k + 1, last) };
        } else if (k <= last) {
          const expr = t.slice(k, last + 1);
          const space: Token = { kind: 'space', text: ' ' };
          const body: Token[] = [{ kind: 'id', text: 'return' }, space, ...expr];
          result = { params, body: [...body, { kind: 'punct', text: ';' }] };
        }
      }
    }
  }
  parsedCache.set(fn, result);
  return result;
}

export function next(t: Token[], k: number): number {
  let j = k + 1;
  while (t[j]?.kind === 'space') j++;
  return j;
}
export function prev(t: Token[], k: number): number {
  let j = k - 1;
  while (j >= 0 && t[j]!.kind === 'space') j--;
  return j;
}

/** True for an assignment operator (=, +=, >>>=...) or ++/--, as text. */
export function isAssignmentText(op: string): boolean {
  return (
    op === '=' ||
    op === '++' ||
    op === '--' ||
    /^[^=!<>]+=$/.test(op) ||
    op === '>>>=' ||
    op === '<<=' ||
    op === '>>='
  );
}

/** True for an assignment operator (=, +=, >>>=...) or ++/--. */
export function isAssignment(tok: Token | undefined): boolean {
  return tok !== undefined && tok.kind === 'punct' && isAssignmentText(tok.text);
}

/** True when `name` is assigned anywhere in `body` (a parameter that cannot be a constant). */
export function assigns(body: Token[], name: string): boolean {
  for (let k = 0; k < body.length; k++) {
    if (body[k]!.kind !== 'id' || body[k]!.text !== name) continue;
    if (isAssignment(body[next(body, k)])) return true;
    const p = body[prev(body, k)];
    if (p !== undefined && (p.text === '++' || p.text === '--')) return true;
  }
  return false;
}

/** Index of the ')' matching the '(' at `open`, or -1. */
export function closing(t: Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < t.length; k++) {
    const x = t[k]!.text;
    if (t[k]!.kind !== 'punct') continue;
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') {
      depth--;
      if (depth === 0) return x === ')' ? k : -1;
    }
  }
  return -1;
}

/** The argument ranges [from, to) of a call whose parentheses are at `open` and `close`. */
export function argumentRanges(t: Token[], open: number, close: number): [number, number][] {
  const ranges: [number, number][] = [];
  let depth = 0;
  let from = open + 1;
  for (let k = open + 1; k < close; k++) {
    const x = t[k]!.kind === 'punct' ? t[k]!.text : '';
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') depth--;
    else if (x === ',' && depth === 0) {
      ranges.push([from, k]);
      from = k + 1;
    }
  }
  ranges.push([from, close]);
  return ranges;
}

/** The argument texts of a call whose parentheses are at `open` and `close`. */
export function splitArgs(t: Token[], open: number, close: number): string[] {
  const args = argumentRanges(t, open, close).map(([from, to]) =>
    t
      .slice(from, to)
      .map((x) => x.text)
      .join('')
      .trim(),
  );
  return args.length === 1 && args[0] === '' ? [] : args;
}

/**
 * True when token `k` starts a statement: after `;`, a brace, `)` (an `if`'s condition), `else`
 * or a label's colon (not a conditional expression's). Tokens are without spaces.
 */
export function atStatement(t: Token[], k: number): boolean {
  const p = t[k - 1]?.text;
  if (p === undefined || p === ';' || p === '{' || p === '}' || p === ')' || p === 'else') {
    return true;
  }
  return p === ':' && t[k - 2]?.kind === 'id' && (k < 3 || atStatement(t, k - 2));
}

/** The end (exclusive) of the expression starting at `k`: an assignment's right-hand side. */
export function expressionEnd(t: Token[], k: number, to: number): number {
  let depth = 0;
  let ternary = 0;
  for (; k < to; k++) {
    const x = t[k]!.kind === 'punct' ? t[k]!.text : '';
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') {
      if (depth === 0) return k;
      depth--;
    } else if (depth === 0 && (x === ';' || x === ',')) return k;
    else if (depth === 0 && x === '?') ternary++;
    else if (depth === 0 && x === ':') {
      if (ternary === 0) return k;
      ternary--;
    }
  }
  return to;
}
