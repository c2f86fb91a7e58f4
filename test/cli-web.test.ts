/**
 * `f4emu web`: the built page served on 127.0.0.1 (static files only, with a Content Security
 * Policy), never a file outside the build, and a clear one-line reason when it cannot serve.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, f4emu, tmpDir } from './helpers/cli.js';

let dir: string;
let server: ChildProcess;
let base: string;

function serve(args: string[]): Promise<{ p: ChildProcess; url: string }> {
  const p = spawn(process.execPath, [CLI, 'web', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    p.stderr!.setEncoding('utf8');
    p.stderr!.on('data', (d: string) => {
      err += d;
      const m = /at (http:\/\/\S+\/)/.exec(err);
      if (m) resolve({ p, url: m[1]! });
    });
    p.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

describe('f4emu web', () => {
  beforeAll(async () => {
    const outer = tmpDir();
    dir = path.join(outer, 'web');
    fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><p>board</p>');
    fs.writeFileSync(path.join(dir, 'assets', 'x.js'), 'export {};');
    fs.writeFileSync(path.join(outer, 'secret.txt'), 'not for you');
    ({ p: server, url: base } = await serve(['--port', '0', '--dir', dir]));
  });
  afterAll(() => server?.kill());

  it('serves the page on 127.0.0.1 with its types and a CSP', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await fetch(base);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<p>board</p>');
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(r.headers.get('cache-control')).toBe('no-cache');
    const js = await fetch(base + 'assets/x.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(base + 'nothing.js')).status).toBe(404);
    expect((await fetch(base, { method: 'POST' })).status).toBe(405);
  });

  it('never serves a file outside the build', async () => {
    // Raw requests: fetch() would normalise the dots away.
    for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const status = await new Promise<string>((resolve) => {
        const u = new URL(base);
        const s = net.connect(Number(u.port), u.hostname, () =>
          s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('end', () => resolve(got.split('\r\n')[0]!));
      });
      expect(status, target).toMatch(/^HTTP\/1\.1 (404|400)/);
    }
  });

  it('says why it cannot serve: no build, a port in use, a bad option', () => {
    const empty = tmpDir();
    const r1 = f4emu(['web', '--dir', empty, '--port', '0']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/^f4emu: the page is not built .*run 'npm run build:web' first\n$/);
    const port = new URL(base).port;
    const r2 = f4emu(['web', '--dir', dir, '--port', port]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe(`f4emu: web: cannot listen on 127.0.0.1:${port}: the port is in use\n`);
    const r3 = f4emu(['web', '--port', 'eighty']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toBe("f4emu: --port needs a port number 0-65535, got 'eighty'\n");
  });
});
