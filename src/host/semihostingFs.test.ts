import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeSemihostingHost } from './semihostingFs.js';

const io = { write: () => {}, read: () => new Uint8Array(0) };

describe('semihosting host files', () => {
  it('reads and writes files inside the named directory only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-sh-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-out-'));
    fs.writeFileSync(path.join(outside, 'secret'), 'x');
    fs.symlinkSync(outside, path.join(dir, 'link'));
    const host = new NodeSemihostingHost(io, dir);
    const h = host.open('data.txt', 'w+');
    expect(h).toBeGreaterThan(0);
    expect(host.write(h, new TextEncoder().encode('hello'))).toBe(5);
    expect(host.length(h)).toBe(5);
    host.seek(h, 1);
    expect(new TextDecoder().decode(host.read(h, 3)!)).toBe('ell');
    host.close(h);
    expect(fs.readFileSync(path.join(dir, 'data.txt'), 'utf8')).toBe('hello');
    expect(host.open('../x', 'w')).toBe(-1);
    expect(host.errno).toBe(13);
    expect(host.open('link/secret', 'r')).toBe(-1);
    expect(host.rename('data.txt', '../stolen')).toBe(-1);
    expect(host.remove('data.txt')).toBe(0);
    expect(new NodeSemihostingHost(io, null).open('data.txt', 'r')).toBe(-1);
  });
});
