/**
 * The f4emu command (bin/f4emu): starts Node with its thread pool sized to the machine
 * (--v8-pool-size=0), runs bin/f4emu.js in the same process (exec: its exit code and signals are
 * the command's), works through a symbolic link as npm installs it, and keeps a pool size given
 * in NODE_OPTIONS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const COMMAND = path.join(ROOT, 'bin', 'f4emu');
const DEMO = path.join(ROOT, 'firmware/prebuilt/demo.elf');
const PROC = fs.existsSync('/proc/self/cmdline');

const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** The command line the process `pid` runs once it is Node (the script execs it). */
async function nodeCommandLine(pid: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').slice(0, -1);
    if (args.some((a) => a.endsWith('f4emu.js'))) return args;
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs ${args.join(' ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts the demo through `command` and returns Node's arguments before the script. */
async function nodeFlags(command: string, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(command, ['run', DEMO, '--timeout', '30'], { env, stdio: 'ignore' });
  running.push(child);
  const args = await nodeCommandLine(child.pid!);
  child.kill('SIGTERM');
  const signal = await new Promise((resolve) => child.on('exit', (_c, s) => resolve(s)));
  expect(signal).toBe('SIGTERM'); // the signal reached Node itself: no wrapper in between
  return args.slice(1, args.findIndex((a) => a.endsWith('f4emu.js')));
}

describe('bin/f4emu', () => {
  it('runs the command and exits with its status', () => {
    const version = spawnSync(COMMAND, ['--version'], { encoding: 'utf8' });
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^f4emu \d+\.\d+\.\d+/);
    const missing = spawnSync(COMMAND, ['run', path.join(os.tmpdir(), 'no-such-f4emu.elf')], {
      encoding: 'utf8',
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/f4emu: cannot read '.*no-such-f4emu\.elf'/);
  });

  it('works through a symbolic link elsewhere (as npm links it into node_modules/.bin)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-bin-'));
    const link = path.join(dir, 'f4emu');
    fs.symlinkSync(COMMAND, link);
    const r = spawnSync(link, ['--version'], { encoding: 'utf8', cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^f4emu \d+\.\d+\.\d+/);
  });

  it.skipIf(!PROC)('starts Node with the thread pool sized to the machine', async () => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    expect(await nodeFlags(COMMAND, env)).toEqual(['--v8-pool-size=0']);
  });

  it.skipIf(!PROC)('keeps a pool size given in NODE_OPTIONS', async () => {
    const env = { ...process.env, NODE_OPTIONS: '--max-old-space-size=512 --v8-pool-size=2' };
    expect(await nodeFlags(COMMAND, env)).toEqual([]);
  });
});
