import { describe, expect, it } from 'vitest';
import { parse, tokenize } from './tokens.js';

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
