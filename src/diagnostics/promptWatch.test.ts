import { describe, expect, it } from 'vitest';
import { PromptWatcher } from './promptWatch.js';

describe('PromptWatcher', () => {
  it('calls back with each command when the next prompt appears', () => {
    const done: Array<string | undefined> = [];
    const w = new PromptWatcher('nsh> ', (c) => done.push(c));
    const feed = (s: string) => [...s].forEach((ch) => w.feed(ch.charCodeAt(0)));
    feed('\r\nNuttShell (NSH)\r\nnsh> ');
    expect(done).toEqual([undefined]);
    feed('\x1b[Khello\r\nHello, World!!\r\nnsh> ');
    feed('\r\nnsh> '); // an empty command
    feed('free\r\n   total used\r\nnsh> ');
    expect(done).toEqual([undefined, 'hello', undefined, 'free']);
  });
});
