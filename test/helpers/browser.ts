/**
 * The browser tests' plumbing: the page built by `npm run build:web`, served by `f4emu web` on a
 * free port, and Debian's chromium driven headless by playwright-core (no browser download).
 *
 * Without /usr/bin/chromium (or $CHROMIUM) the browser tests are skipped with a line saying so,
 * except where F4EMU_REQUIRE_BROWSER=1 (CI installs chromium and sets it): there a missing
 * browser fails the run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CLI, ROOT } from './cli.js';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_BROWSER = fs.existsSync(CHROMIUM);
export const REQUIRE_BROWSER = process.env.F4EMU_REQUIRE_BROWSER === '1';
export const SHOTS = path.join(ROOT, 'test-results', 'web');

if (!HAVE_BROWSER && !REQUIRE_BROWSER) {
  process.stderr.write(
    `browser tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)\n`,
  );
}

/** Builds the page when its sources are newer than the build (or it was never built). */
export function buildPage(): void {
  const built = path.join(ROOT, 'dist/web/index.html');
  const newest = (dir: string): number =>
    Math.max(
      ...fs
        .readdirSync(dir, { withFileTypes: true })
        .map((d) =>
          d.isDirectory()
            ? newest(path.join(dir, d.name))
            : fs.statSync(path.join(dir, d.name)).mtimeMs,
        ),
    );
  const sources = Math.max(
    newest(path.join(ROOT, 'src')),
    fs.statSync(path.join(ROOT, 'firmware/prebuilt/demo.elf')).mtimeMs,
  );
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) return;
  const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
  // A Node module in the page's graph is "externalized for browser compatibility": a failure.
  if (/externalized/.test(r.stdout + r.stderr)) throw new Error(`vite build:\n${r.stderr}`);
}

/** `f4emu web --port 0`: resolves with the page's URL once it listens. */
export function servePage(): Promise<{ url: string; server: ChildProcess }> {
  const server = spawn(process.execPath, [CLI, 'web', '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    server.stderr!.setEncoding('utf8');
    server.stderr!.on('data', (d: string) => {
      err += d;
      const m = /serving the board's page at (http:\/\/\S+\/)/.exec(err);
      if (m) resolve({ url: m[1]!, server });
    });
    server.on('exit', (code) => reject(new Error(`f4emu web exited ${code}: ${err}`)));
  });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
