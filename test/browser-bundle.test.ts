/**
 * The browser guard under `npm test`: `npm run browser:check` type-checks the browser layers
 * without Node's types (tsconfig.browser.json), bundles src/browser.ts with esbuild for the
 * browser, and boots the board demo from the bundle in a node:vm context without Node's globals
 * (scripts/browser-smoke.mjs). CI runs the same command as a step of its own.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('browser bundle', () => {
  it('type-checks without Node types, bundles, and boots the demo without Node globals', () => {
    const r = spawnSync('npm', ['run', '--silent', 'browser:check'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 170_000,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.error, output).toBeUndefined();
    expect(r.status, output).toBe(0);
    expect(r.stdout).toContain('f4emu board demo on STM32F4Discovery');
    expect(r.stdout).toContain('SYSCLK 168 MHz');
    expect(r.stdout).toMatch(/booted the demo without Node's globals/);
  }, 180_000);
});
