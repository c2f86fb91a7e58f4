/** Running the f4emu command as a user does, for the CLI tests. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(ROOT, 'bin', 'f4emu.js');

/** Runs `f4emu ARGS` to completion (stdin: `input`, or an empty pipe). */
export function f4emu(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 90_000,
    input,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A new empty directory under the system's temporary folder. */
export function tmpDir(prefix = 'f4emu-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
