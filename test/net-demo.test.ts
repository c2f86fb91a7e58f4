/**
 * The board demo's web server through `--net user,hostfwd=...`: the project's own firmware
 * (lwIP on the STM32F407's MAC and the LAN8720A) answering real HTTP clients on 127.0.0.1 —
 * Node's http, curl, sequential and concurrent load, a 1 MiB download checked byte by byte, and
 * the pcap of it read by tshark where Debian's tshark is installed (CI installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, tmpDir } from './helpers/cli.js';

const DEMO = path.join(ROOT, 'firmware/prebuilt/demo.elf');
const haveCurl = spawnSync('curl', ['--version']).status === 0;
const haveTshark = spawnSync('tshark', ['--version']).status === 0;

let child: ChildProcess;
let port = 0;
let stdout = '';
let stderr = '';
const pcap = path.join(tmpDir('f4emu-net-'), 'demo.pcap');

/** GET on the forward with a fresh connection; resolves with status and body. */
function get(urlPath: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${urlPath} timed out`)));
  });
}

beforeAll(async () => {
  child = spawn(
    process.execPath,
    [CLI, 'run', DEMO, '--net', 'user,hostfwd=tcp::0-:80', '--pcap', pcap, '--timeout', '600'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/net: 10\.0\.2\.15 \(DHCP\)/.test(stdout)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the demo did not get its address:\n${stdout}\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  port = Number(/forwarding tcp:127\.0\.0\.1:(\d+) to the guest:80/.exec(stderr)![1]);
}, 90_000);

afterAll(() => {
  if (child.exitCode === null) child.kill();
});

describe('the board demo serves HTTP through the forward', () => {
  it('answers /, a 404, /leds.json and /leds', async () => {
    const hello = await get('/');
    expect(hello.status).toBe(200);
    expect(hello.body.toString()).toMatch(/<h1>Hello!<\/h1>/);
    const missing = await get('/no/such/page');
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toMatch(/no page at <code>\/no\/such\/page<\/code>/);
    const leds = JSON.parse((await get('/leds.json')).body.toString());
    expect(leds.leds.map((l: { name: string }) => l.name)).toEqual(['LD4', 'LD3', 'LD5', 'LD6']);
    expect(leds.leds.filter((l: { on: boolean }) => l.on)).toHaveLength(1);
    expect(leds.button).toBe('up');
    expect((await get('/leds')).body.toString()).toMatch(/leds\.json/);
  });

  it.skipIf(!haveCurl)('answers curl', () => {
    const r = spawnSync('curl', ['-s', '-i', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(r.stdout).toMatch(/Hello!/);
  });

  it('answers 1,000 sequential requests, none lost', async () => {
    const first = (await get('/')).body;
    for (let i = 0; i < 1000; i++) {
      const r = await get('/');
      if (r.status !== 200 || !r.body.equals(first)) throw new Error(`request ${i}: ${r.status}`);
    }
  }, 300_000);

  it('answers 10 clients making 100 requests each at the same time', async () => {
    const first = (await get('/')).body;
    let ok = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 100; i++) {
          const r = await get('/');
          if (r.status === 200 && r.body.equals(first)) ok++;
        }
      }),
    );
    expect(ok).toBe(1000);
  }, 300_000);

  it('sends 1 MiB byte-identical', async () => {
    const r = await get('/bytes/1048576');
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(1 << 20);
    for (let i = 0; i < r.body.length; i++) {
      const j = i % 4096;
      if (r.body[i] !== ((j * 7 + (j >> 8)) & 0xff)) throw new Error(`byte ${i} differs`);
    }
  }, 120_000);

  it('keeps answering while /sleep waits its 5 seconds', async () => {
    const started = Date.now();
    const slow = get('/sleep');
    const quick = await get('/');
    const quickMs = Date.now() - started;
    expect(quick.status).toBe(200);
    const slept = await slow;
    expect(slept.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900); // paced to the wall clock
    expect(quickMs).toBeLessThan(Date.now() - started);
  }, 60_000);

  it.skipIf(!haveTshark)(
    'records a pcap tshark reads: DHCP, ARP, the TCP handshake, HTTP',
    async () => {
      expect((await get('/')).status).toBe(200);
      const r = spawnSync('tshark', ['-r', pcap, '-c', '400'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/DHCP.*Discover/);
      expect(r.stdout).toMatch(/ARP/);
      expect(r.stdout).toMatch(/\[SYN\]/);
      expect(r.stdout).toMatch(/\[SYN, ACK\]/);
      expect(r.stdout).toMatch(/HTTP.*GET \/ HTTP\/1\.1/);
    },
  );
});
