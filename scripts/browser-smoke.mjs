#!/usr/bin/env node
/**
 * The browser guard's last step: boots the board demo from the browser bundle with Node's
 * globals unavailable. Run by `npm run browser:check` after `typecheck:browser` and
 * `bundle:browser`; exits 0 and prints the demo's banner, or prints why and exits 1.
 *
 * - dist/browser/f4emu.meta.json (esbuild's metafile) must show that the bundle's inputs are all
 *   under src/ (no runtime dependency) and that the ES module imports nothing (self-contained)
 *   and exports the public API.
 * - dist/browser/f4emu.iife.js (the same entry as a classic script defining `F4emu`) runs in a
 *   fresh node:vm context: its globals are the JavaScript built-ins plus only what a browser
 *   worker has and the code needs (console, TextEncoder, TextDecoder); no process, Buffer,
 *   require, module, global, setImmediate, setTimeout or __dirname. The firmware's bytes are
 *   copied into a Uint8Array of that context, so no Buffer reaches the code.
 *
 * Plain JavaScript, so it needs no build step of its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ESM = 'dist/browser/f4emu.js';
const IIFE = 'dist/browser/f4emu.iife.js';
const META = 'dist/browser/f4emu.meta.json';
const DEMO = 'firmware/prebuilt/demo.elf';
const API = ['Machine', 'boot', 'parseImage', 'SerialConsole', 'Runner'];
/** Node's globals a browser does not have; each must be undefined inside the context. */
const NODE_ONLY = [
  'process',
  'Buffer',
  'require',
  'module',
  'exports',
  'global',
  'setImmediate',
  'clearImmediate',
  'setTimeout',
  'setInterval',
  '__dirname',
  '__filename',
];

class SmokeFailure extends Error {}
const fail = (message) => {
  throw new SmokeFailure(message);
};

function read(rel) {
  const file = path.join(ROOT, rel);
  if (!fs.existsSync(file)) fail(`${rel} is missing (run npm run bundle:browser first)`);
  return fs.readFileSync(file);
}

function checkMetafile() {
  const meta = JSON.parse(read(META).toString('utf8'));
  const outside = Object.keys(meta.inputs).filter((p) => !p.startsWith('src/'));
  if (outside.length > 0) {
    fail(
      `the bundle pulls in code from outside src/ (a runtime dependency?): ${outside.join(', ')}`,
    );
  }
  const out = meta.outputs[ESM];
  if (!out) fail(`${META} does not describe ${ESM}`);
  if (out.imports.length > 0) {
    fail(`${ESM} imports ${out.imports.map((i) => i.path).join(', ')}; it must be self-contained`);
  }
  const missing = API.filter((name) => !out.exports.includes(name));
  if (missing.length > 0) fail(`${ESM} does not export ${missing.join(', ')}`);
  return Object.keys(meta.inputs).length;
}

/** console for the bundle: everything it says goes to stderr, marked as coming from inside. */
function bundleConsole() {
  const say =
    (level) =>
    (...args) =>
      process.stderr.write(`[bundle console.${level}] ${args.map(String).join(' ')}\n`);
  return {
    log: say('log'),
    info: say('info'),
    warn: say('warn'),
    error: say('error'),
    debug: say('debug'),
  };
}

function main() {
  const t0 = performance.now();
  const inputs = checkMetafile();
  const esmBytes = fs.statSync(path.join(ROOT, ESM)).size;
  const iifeBytes = fs.statSync(path.join(ROOT, IIFE)).size;
  const iifeSource = read(IIFE).toString('utf8');
  const demo = read(DEMO);

  const context = vm.createContext({ console: bundleConsole(), TextEncoder, TextDecoder });
  const present = vm.runInContext(
    `${JSON.stringify(NODE_ONLY)}.filter((name) => typeof globalThis[name] !== 'undefined')`,
    context,
  );
  if (present.length > 0) fail(`the sandbox still has Node globals: ${present.join(', ')}`);

  new vm.Script(iifeSource, { filename: IIFE }).runInContext(context, { timeout: 10_000 });
  const F4emu = vm.runInContext('typeof F4emu === "undefined" ? undefined : F4emu', context);
  if (!F4emu) fail(`${IIFE} did not define the global F4emu`);
  const missing = API.filter((name) => typeof F4emu[name] !== 'function');
  if (missing.length > 0) fail(`${IIFE}: F4emu lacks ${missing.join(', ')}`);

  // The firmware as the page would have it: a Uint8Array of the bundle's own realm.
  const bytes = vm.runInContext('(n) => new Uint8Array(n)', context)(demo.length);
  bytes.set(demo);

  const t1 = performance.now();
  const machine = new F4emu.Machine();
  F4emu.boot(machine, F4emu.parseImage(bytes, 'demo.elf'));
  const con = new F4emu.SerialConsole(machine);
  let banner = con.expect('f4emu board demo on STM32F4Discovery');
  banner += con.expect('Enter for status\r\n');
  con.send('\r'); // the demo answers Enter with a status line; checks the receive path too
  const status = con.expect(' time(s), B1 is ') + con.expect('\n');
  // The Runner itself, as a worker drives it: console output byte by byte, a script step.
  const other = new F4emu.Machine();
  F4emu.boot(other, F4emu.parseImage(bytes, 'demo.elf'));
  const runner = new F4emu.Runner(other);
  let printed = '';
  runner.onConsoleOutput = (b) => (printed += String.fromCharCode(b));
  runner.push({ expect: 'Enter for status' });
  const end = runner.runSync();
  if (end.kind !== 'script-done' || !printed.includes('SYSCLK 168 MHz')) {
    fail(`the Runner did not run the demo to its prompt: ${JSON.stringify(end)}`);
  }
  const t2 = performance.now();

  for (const line of (banner + status).split(/\r?\n/)) if (line.trim()) console.log(`  | ${line}`);
  console.log(
    `browser bundle: ${ESM} ${esmBytes} bytes from ${inputs} modules under src/, ` +
      `${IIFE} ${iifeBytes} bytes; booted the demo without Node's globals ` +
      `(sandbox globals: console, TextEncoder, TextDecoder) in ${(t2 - t1).toFixed(0)} ms, ` +
      `${(t2 - t0).toFixed(0)} ms in all; ${machine.cpu.instructions} instructions`,
  );
}

try {
  main();
} catch (e) {
  const why = e instanceof SmokeFailure ? e.message : (e && e.stack) || String(e);
  console.error(`browser smoke test FAILED: ${why}`);
  process.exit(1);
}
