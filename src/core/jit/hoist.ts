/**
 * Shares the temporaries of a block's instructions. Inlined semantics declare their own names in
 * nested block scopes (`let t$1`, `const result`...), and the engine gives every such
 * declaration of a function its own register: a 64-instruction block had over 200, and the
 * optimising compiler copies its environment of registers at every branch. Declarations are
 * scope-resolved and renamed to function-level temporaries `V$0, V$1, ...` numbered afresh for
 * each instruction, so a block needs as many as its largest instruction does. Nothing is
 * captured by a closure in inlined code, and each temporary is assigned before it is read (a
 * `let x;` becomes `V$k = undefined`), so sharing them changes no result.
 */
import { isNameStart, texts } from './tokens.js';

const DECLARE = new Set(['let', 'const', 'var']);

/**
 * `text` with its declarations renamed to `V$0...`; null when it has something this does not
 * handle (a destructuring pattern, a function). `count` is how many temporaries it uses.
 */
export function hoistTemporaries(text: string): { text: string; count: number } | null {
  const t = texts(text);
  if (t === null) return null;
  const scopes: Map<string, string>[] = [new Map()];
  const out: string[] = [];
  let count = 0;
  const resolve = (name: string): string | undefined => {
    for (let s = scopes.length - 1; s >= 0; s--) {
      const v = scopes[s]!.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  // Declarators still to close: the nesting depth at which the declaration's list ends.
  let declaring = -1;
  let depth = 0;
  // True when the next identifier names a declared variable (after `let`, or after a ',' that
  // separates declarators of the current declaration).
  let expectName = false;
  // Open `?` of conditional expressions per nesting depth (their ':' is not a label's).
  const questions: number[] = [0];
  for (let k = 0; k < t.length; k++) {
    const x = t[k]!;
    // Anything but a name: the punctuation that nests or ends declarations, or a literal.
    if (!isNameStart(x.charCodeAt(0))) {
      if (x === '{' || x === '(' || x === '[') {
        depth++;
        questions[depth] = 0;
        if (x === '{') scopes.push(new Map());
      } else if (x === '}' || x === ')' || x === ']') {
        depth--;
        if (x === '}') scopes.pop();
        if (scopes.length === 0 || depth < 0) return null;
      } else if (x === '?') {
        questions[depth]!++;
      } else if (x === ':' && questions[depth]! > 0) {
        questions[depth]!--;
      } else if (declaring === depth && x === ',') {
        expectName = true;
      } else if (declaring === depth && x === ';') {
        declaring = -1;
      }
      out.push(x);
      continue;
    }
    if (x === 'function' || x === 'class' || x === 'arguments' || x === 'eval') return null;
    if (DECLARE.has(x)) {
      if (declaring >= 0) return null;
      declaring = depth;
      expectName = true;
      continue; // the keyword goes: the names become function-level temporaries
    }
    if (expectName) {
      expectName = false;
      const v = `V$${count++}`;
      scopes[scopes.length - 1]!.set(x, v);
      out.push(v);
      const after = t[k + 1];
      if (after === ',' || after === ';') out.push('= undefined');
      else if (after !== '=') return null; // a pattern, or `for (let x of ...)`
      continue;
    }
    const prev = t[k - 1];
    if (prev === '.' || prev === '?.') {
      out.push(x);
      continue;
    }
    const renamed = resolve(x);
    // A label, an object key or a case: never a renamed variable's name (not handled).
    if (t[k + 1] === ':' && questions[depth] === 0) {
      if (renamed !== undefined) return null;
      out.push(x);
      continue;
    }
    out.push(renamed ?? x);
  }
  if (declaring >= 0 || depth !== 0) return null;
  return { text: out.join(' '), count };
}
