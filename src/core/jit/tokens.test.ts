import { describe, expect, it } from 'vitest';
import { parse, texts as significant, tokenize, type Token } from './tokens.js';

const texts = (src: string) => tokenize(src)?.map((t) => `${t.kind}:${t.text}`) ?? null;

describe('the translator lexer', () => {
  it('splits names, numbers, strings and operators; drops comments; one space per run', () => {
    expect(texts('a1 = 0x1E+2 - .5e-3 * 1.5E+3;')).toEqual([
      ...['id:a1', 'space: ', 'punct:=', 'space: ', 'num:0x1E', 'punct:+', 'num:2', 'space: '],
      ...['punct:-', 'space: ', 'num:.5e-3', 'space: ', 'punct:*', 'space: ', 'num:1.5E+3'],
      'punct:;',
    ]);
    expect(texts(`x >>>= y ?? z?.w; s = "a\\"b" + 'c\\'d'`)).toEqual([
      ...['id:x', 'space: ', 'punct:>>>=', 'space: ', 'id:y', 'space: ', 'punct:??', 'space: '],
      ...['id:z', 'punct:?.', 'id:w', 'punct:;', 'space: ', 'id:s', 'space: ', 'punct:='],
      ...['space: ', 'str:"a\\"b"', 'space: ', 'punct:+', 'space: ', "str:'c\\'d'"],
    ]);
    expect(texts('a /* note */\n\t b // to the end\nc')).toEqual([
      ...['id:a', 'space: ', 'space: ', 'id:b', 'space: ', 'space: ', 'id:c'],
    ]);
    expect(texts('( a ) / 2 ; b[1] /= c')).toContain('punct:/=');
  });

  it('refuses what it does not handle: templates, regular expressions, unterminated text', () => {
    for (const src of ['`t${x}`', 'x = /re/.test(y)', 'f(/a/)', 'a /* open', 'x = "open'])
      expect(tokenize(src), src).toBeNull();
  });

  it('reads back functions and arrow functions; an expression body becomes a return', () => {
    const body = (fn: object) =>
      parse(fn)
        ?.body.filter((t) => t.kind !== 'space')
        .map((t) => t.text)
        .join(' ');
    function f(cpu: number, i: number): number {
      return cpu + i;
    }
    expect(parse(f)?.params).toEqual(['cpu', 'i']);
    expect(body(f)).toBe('return cpu + i ;');
    const arrow = (cpu: number, i: number) => cpu * i;
    expect(parse(arrow)?.params).toEqual(['cpu', 'i']);
    expect(body(arrow)).toBe('return cpu * i ;');
    const block = (a: number) => {
      return a;
    };
    expect(body(block)).toBe('return a ;');
    expect(parse(() => 0)?.params).toEqual([]);
  });
});

/**
 * The lexer as it was written first, a loop over characters: the reference the one-regex
 * lexer must match token for token, refusals included.
 */
const PUNCT = [
  '>>>=', '===', '!==', '>>>', '<<=', '>>=', '**=', '...', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=',
  '%=', '&=', '|=', '^=', '<<', '>>', '**',
]; // prettier-ignore
const PUNCT_BY_CHAR = new Map<number, string[]>();
for (const op of PUNCT) {
  const list = PUNCT_BY_CHAR.get(op.charCodeAt(0)) ?? [];
  list.push(op);
  PUNCT_BY_CHAR.set(op.charCodeAt(0), list);
}
const isIdStart = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
const isIdPart = (c: number) => isIdStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number) => c >= 48 && c <= 57;
function lastSignificant(tokens: Token[]): Token | null {
  for (let k = tokens.length - 1; k >= 0; k--) if (tokens[k]!.kind !== 'space') return tokens[k]!;
  return null;
}

function characterLoop(src: string): Token[] | null {
  const out: Token[] = [];
  const n = src.length;
  let p = 0;
  while (p < n) {
    const c = src.charCodeAt(p);
    if (c <= 32) {
      let q = p + 1;
      while (q < n && src.charCodeAt(q) <= 32) q++;
      out.push({ kind: 'space', text: ' ' });
      p = q;
    } else if (c === 47 && src.charCodeAt(p + 1) === 47) {
      const q = src.indexOf('\n', p);
      p = q < 0 ? n : q;
    } else if (c === 47 && src.charCodeAt(p + 1) === 42) {
      const q = src.indexOf('*/', p + 2);
      if (q < 0) return null;
      p = q + 2;
    } else if (isIdStart(c)) {
      let q = p + 1;
      while (q < n && isIdPart(src.charCodeAt(q))) q++;
      out.push({ kind: 'id', text: src.slice(p, q) });
      p = q;
    } else if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(p + 1)))) {
      let q = p + 1;
      // Digits, hex/binary letters, '.', exponents with a sign, a BigInt 'n'.
      while (q < n) {
        const d = src.charCodeAt(q);
        if (isIdPart(d) || d === 46) q++;
        else if (
          (d === 43 || d === 45) &&
          (src[q - 1] === 'e' || src[q - 1] === 'E') &&
          !/^0[xX]/.test(src.slice(p, q))
        )
          q++;
        else break;
      }
      out.push({ kind: 'num', text: src.slice(p, q) });
      p = q;
    } else if (c === 39 || c === 34) {
      let q = p + 1;
      while (q < n && src.charCodeAt(q) !== c) q += src.charCodeAt(q) === 92 ? 2 : 1;
      if (q >= n) return null;
      out.push({ kind: 'str', text: src.slice(p, q + 1) });
      p = q + 1;
    } else if (c === 96) {
      return null; // template strings may hold expressions: not handled
    } else {
      let op = src[p]!;
      for (const o of PUNCT_BY_CHAR.get(c) ?? []) {
        if (src.startsWith(o, p)) {
          op = o;
          break;
        }
      }
      // A '/' that could start a regular expression is not handled.
      if (op === '/' || op === '/=') {
        const prev = lastSignificant(out);
        if (prev === null || (prev.kind === 'punct' && !/[)\]]/.test(prev.text))) return null;
      }
      out.push({ kind: 'punct', text: op });
      p += op.length;
    }
  }
  return out;
}

describe('the lexer against its character-loop reference', () => {
  it('gives the same tokens, or the same refusal, for 50000 random texts', () => {
    const pieces = [
      ...['a', 'x1', '$', '_', 'return', '0', '7', '0x', '0X1e', '1e', 'e', 'E', '+', '-', '.'],
      ...['..', '...', '5', '/', '/=', '*', '/*', '*/', '//', '\n', ' ', '\t', "'", '"', '\\'],
      ...['`', '(', ')', '[', ']', '{', '}', '>', '>>', '>>>=', '=', '==', '!', '?', '?.', '??'],
      ...['&', '|', '^', '%', '<', ',', ';', ':', '#', '\u00e9', '\u00a0', '\x00', '\x1f'],
    ];
    let seed = 12345;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    let refused = 0;
    for (let k = 0; k < 50000; k++) {
      let src = '';
      for (let j = 1 + random(12); j > 0; j--) src += pieces[random(pieces.length)];
      const expected = characterLoop(src);
      if (expected === null) refused++;
      expect(tokenize(src), JSON.stringify(src)).toEqual(expected);
      // texts(): the same tokens' texts without spaces (the folder's and hoist's input).
      const plain = expected?.filter((t) => t.kind !== 'space').map((t) => t.text) ?? null;
      expect(significant(src), JSON.stringify(src)).toEqual(plain);
    }
    // Both kinds of result are exercised.
    expect(refused).toBeGreaterThan(5000);
    expect(refused).toBeLessThan(45000);
  });

  it('splits every semantics function as the reference does', async () => {
    const modules = [
      await import('../execute/dataProcessing.js'),
      await import('../execute/loadStore.js'),
      await import('../execute/loadStoreMultiple.js'),
      await import('../execute/branch.js'),
      await import('../execute/fpu.js'),
      await import('../execute/multiply.js'),
      await import('../execute/parallel.js'),
      await import('../execute/system.js'),
      await import('../alu.js'),
    ];
    let n = 0;
    for (const ns of modules) {
      for (const v of Object.values(ns)) {
        if (typeof v !== 'function') continue;
        const src = Function.prototype.toString.call(v);
        const expected = characterLoop(src);
        expect(tokenize(src)).toEqual(expected);
        expect(significant(src)).toEqual(
          expected?.filter((t) => t.kind !== 'space').map((t) => t.text) ?? null,
        );
        n++;
      }
    }
    expect(n).toBeGreaterThan(200);
  });
});
