/**
 * The board starting traffic of its own, with the project's own firmware: the demo's console
 * commands `ping` (lwIP's raw API) and `wget` (lwIP's TCP) on the user network. ICMP echo to the
 * gateway is answered, echo beyond the link is not; a guest-initiated connection to 10.0.2.2:PORT
 * reaches a host server on 127.0.0.1:PORT only with restrict=off, and is refused otherwise.
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers/cli.js';

const DEMO = path.join(ROOT, 'firmware/prebuilt/demo.elf');
const DHCP = ['--expect-re', 'net: 10\\.0\\.2\\.15 \\(DHCP\\)'];

/** Runs the CLI without blocking this process's event loop (the host server lives in it). */
function f4emuAsync(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let server: http.Server;
let port = 0;
const requests: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers['user-agent']}`);
    res.setHeader('Connection', 'close');
    res.end(`hello board, this is the host (${req.url})\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the demo firmware’s own ping and wget on the user network', () => {
  // Nothing on the host takes part in a ping: virtual time may run flat out.
  it('ping: the gateway answers every echo, an address beyond the link none', async () => {
    const r = await f4emuAsync([
      'run', DEMO, '--net', 'user', '--speed', 'max', ...DHCP,
      '--send', 'ping 10.0.2.2\r', '--expect', 'ping: 4 sent',
      '--send', 'ping 192.0.2.1\r', '--expect-re', 'ping: 4 sent, \\d received',
    ]); // prettier-ignore
    expect(r.stderr).not.toMatch(/expected/);
    expect(r.code).toBe(0);
    for (let seq = 1; seq <= 4; seq++) {
      expect(r.stdout).toMatch(
        new RegExp(`reply from 10\\.0\\.2\\.2: icmp_seq=${seq} time=\\d+ ms`),
      );
      expect(r.stdout).toContain(`no reply: icmp_seq=${seq}`);
    }
    expect(r.stdout).toContain('ping: 4 sent, 4 received');
    expect(r.stdout).toContain('ping: 4 sent, 0 received');
  }, 90_000);

  it('wget with restrict=off reaches the host server on 127.0.0.1 through 10.0.2.2', async () => {
    requests.length = 0;
    const r = await f4emuAsync([
      'run', DEMO, '--net', 'user,restrict=off', ...DHCP,
      '--send', `wget http://10.0.2.2:${port}/from-the-board\r`, '--expect', 'bytes received',
    ]); // prettier-ignore
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('connected\r\nHTTP/1.1 200 OK');
    expect(r.stdout).toContain('hello board, this is the host (/from-the-board)');
    expect(r.stdout).toMatch(/wget: connection closed by the server, \d+ bytes received/);
    expect(requests).toEqual(['GET /from-the-board f4emu-demo']);
  }, 90_000);

  it('wget with the default restrict=on is refused and the host server sees nothing', async () => {
    requests.length = 0;
    const r = await f4emuAsync([
      'run', DEMO, '--net', 'user', ...DHCP,
      '--send', `wget http://10.0.2.2:${port}/\r`, '--expect', 'bytes received',
    ]); // prettier-ignore
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wget: connection refused or reset, 0 bytes received');
    expect(r.stdout).not.toContain('hello board');
    expect(requests).toEqual([]);
  }, 90_000);

  it('wget with restrict=off to a closed host port is refused too', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await f4emuAsync([
      'run', DEMO, '--net', 'user,restrict=off', ...DHCP,
      '--send', `wget http://10.0.2.2:${closedPort}/\r`, '--expect', 'bytes received',
    ]); // prettier-ignore
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wget: connection refused or reset, 0 bytes received');
  }, 90_000);
});
