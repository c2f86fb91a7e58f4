/**
 * The network figures of `npm run bench`: the board demo's web server through
 * `--net user,hostfwd=...` (paced to the wall clock, as a user runs it), measured from the host:
 * requests per second for GET / with 10 connections for 5 seconds (Debian's wrk when it is
 * installed, else Node's http with the same concurrency), and MB/s of a 4 MiB /bytes download.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as http from 'node:http';

export interface NetBench {
  client: 'wrk' | 'node';
  requestsPerSecond: number;
  /** Requests that failed or returned something else than 200 (wrk: its error count). */
  errors: number;
  megabytesPerSecond: number;
}

const CONNECTIONS = 10;
const SECONDS = 5;
const DOWNLOAD = 4 << 20;

function get(port: number, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${path} timed out`)));
  });
}

async function nodeLoad(port: number): Promise<{ requests: number; errors: number }> {
  const end = Date.now() + SECONDS * 1000;
  let requests = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) {
        try {
          const r = await get(port, '/');
          if (r.status === 200) requests++;
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { requests, errors };
}

function wrkLoad(port: number): { requestsPerSecond: number; errors: number } | null {
  const r = spawnSync(
    'wrk',
    [`-t2`, `-c${CONNECTIONS}`, `-d${SECONDS}s`, `http://127.0.0.1:${port}/`],
    { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 },
  );
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !rps) return null;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    r.stdout,
  );
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const errors =
    (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0) +
    (non2xx ? Number(non2xx[1]) : 0);
  return { requestsPerSecond: Number(rps[1]), errors };
}

/** Boots the demo on the user-mode network and measures it; throws with f4emu's output on failure. */
export async function benchNetwork(cli: string, demo: string): Promise<NetBench> {
  const child = spawn(cli, ['run', demo, '--net', 'user,hostfwd=tcp::0-:80', '--timeout', '300'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const deadline = Date.now() + 60_000;
    while (!/net: 10\.0\.2\.15/.test(stdout)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the demo did not get its address: ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const port = Number(/forwarding tcp:127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
    let client: NetBench['client'] = 'wrk';
    let load = wrkLoad(port);
    if (load === null) {
      client = 'node';
      const n = await nodeLoad(port);
      load = { requestsPerSecond: n.requests / SECONDS, errors: n.errors };
    }
    let best = 0;
    for (let i = 0; i < 3; i++) {
      const started = process.hrtime.bigint();
      const r = await get(port, `/bytes/${DOWNLOAD}`);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (r.status !== 200 || r.bytes !== DOWNLOAD) {
        throw new Error(`/bytes/${DOWNLOAD} gave ${r.status} with ${r.bytes} bytes`);
      }
      best = Math.max(best, DOWNLOAD / 1e6 / seconds);
    }
    return { client, ...load, megabytesPerSecond: best };
  } finally {
    child.kill();
  }
}
