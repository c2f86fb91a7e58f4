#!/usr/bin/env node
/**
 * The page's speed, measured beside the CLI's in one run (`npm run bench:web`): each benchmark
 * ELF runs flat out ('max') in the page's worker in Debian's chromium (headless, playwright-core)
 * and then through `f4emu run --stats` (bin/f4emu), alternately, N times; the page's main thread meanwhile
 * counts its animation frames, so the table also says how responsive the page stayed.
 *
 *   npm run bench:web [-- --runs N] [-- --only sha256,qsort]
 *
 * MIPS: guest instructions over wall seconds, from the page's load to its stop (the CLI's is its
 * --stats figure: run time only). Frames: requestAnimationFrame intervals on the page's thread
 * while the guest ran (16.7 ms at 60 Hz when nothing blocks it).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(arg('--runs', '3'));
const ONLY = arg('--only', 'sha256,qsort,fmatmul').split(',');

if (!fs.existsSync(CHROMIUM)) {
  console.error(
    `bench:web: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`,
  );
  process.exit(2);
}
if (!fs.existsSync(path.join(ROOT, 'dist/web/index.html'))) {
  console.error("bench:web: the page is not built: run 'npm run build:web' first");
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

const server = spawn(process.execPath, [path.join(ROOT, 'bin/f4emu.js'), 'web', '--port', '0'], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
const url = await new Promise((resolve, reject) => {
  let err = '';
  server.stderr.setEncoding('utf8');
  server.stderr.on('data', (d) => {
    err += d;
    const m = /at (http:\/\/\S+\/)/.exec(err);
    if (m) resolve(m[1]);
  });
  server.on('exit', (c) => reject(new Error(`f4emu web exited ${c}: ${err}`)));
});
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});

try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.f4emu !== undefined);
  await page.evaluate(() => window.f4emu.ready);
  await page.evaluate(() => window.f4emu.expect('boot #'));
  console.log(
    `${'workload'.padEnd(10)} ${'page MIPS'.padStart(10)} ${'CLI MIPS'.padStart(9)} ${'CLI/page'.padStart(9)}   frames (median / p95 / max ms)`,
  );
  const ratios = [];
  const allFrames = [];
  for (const name of ONLY) {
    const elf = path.join(ROOT, `firmware/prebuilt/bench/${name}.elf`);
    const bytes = [...fs.readFileSync(elf)];
    const pageMips = [];
    const cliMips = [];
    const frames = [];
    for (let run = 0; run < RUNS; run++) {
      const r = await page.evaluate(
        async ({ bytes, name }) => {
          const f4 = window.f4emu;
          f4.setSpeed('max');
          const intervals = [];
          let last = performance.now();
          let on = true;
          const frame = (t) => {
            intervals.push(t - last);
            last = t;
            if (on) requestAnimationFrame(frame);
          };
          requestAnimationFrame((t) => {
            last = t;
            requestAnimationFrame(frame);
          });
          const t0 = performance.now();
          await f4.load(new Uint8Array(bytes), `${name}.elf`);
          const stop = await f4.waitForStop({ timeoutMs: 120000 });
          const wall = (performance.now() - t0) / 1000;
          on = false;
          return { instructions: stop.stats.instructions, wall, intervals, reason: stop.reason };
        },
        { bytes, name },
      );
      if (!/exited with status 0/.test(r.reason))
        throw new Error(`${name} in the page: ${r.reason}`);
      pageMips.push(r.instructions / r.wall / 1e6);
      frames.push(...r.intervals.slice(1));
      const cli = spawnSync(
        path.join(ROOT, 'bin/f4emu'),
        ['run', elf, '--semihosting', '--stats'],
        { encoding: 'utf8' },
      );
      const m = /mips=([\d.]+)/.exec(cli.stderr);
      if (!m || cli.status !== 0) throw new Error(`${name} on the CLI: ${cli.stderr}`);
      cliMips.push(Number(m[1]));
    }
    const p = median(pageMips);
    const c = median(cliMips);
    ratios.push(c / p);
    allFrames.push(...frames);
    console.log(
      `${name.padEnd(10)} ${p.toFixed(1).padStart(10)} ${c.toFixed(1).padStart(9)} ${(c / p).toFixed(2).padStart(9)}   ` +
        `${median(frames).toFixed(1)} / ${pct(frames, 0.95).toFixed(1)} / ${Math.max(...frames).toFixed(1)} (${frames.length} frames)`,
    );
  }
  console.log(
    `median CLI/page ratio ${median(ratios).toFixed(2)}; page frames while running: median ` +
      `${median(allFrames).toFixed(1)} ms, p95 ${pct(allFrames, 0.95).toFixed(1)} ms, max ${Math.max(...allFrames).toFixed(1)} ms`,
  );
} finally {
  await browser.close();
  server.kill();
}
