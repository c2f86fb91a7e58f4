/**
 * Debian's gdb-multiarch against `f4emu run --gdb`: the GDB stub as a user meets it, on the
 * debug-info test program firmware/prebuilt/gdbtest.elf (source: firmware/gdb/gdbtest.c).
 * Skipped, with a message, where gdb-multiarch is not installed (CI installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGdbAddress } from '../src/host/gdbTcp.js';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'f4emu.js');
const FIRMWARE = path.join(ROOT, 'firmware');
const ELF = 'prebuilt/gdbtest.elf';
const GDB = 'gdb-multiarch';
const haveGdb = spawnSync(GDB, ['--version']).status === 0;
if (!haveGdb) console.warn(`test/gdb.test.ts: ${GDB} not found; skipping the GDB session tests`);

const source = fs.readFileSync(path.join(FIRMWARE, 'gdb/gdbtest.c'), 'utf8').split('\n');
/** Line number of the source line carrying `marker`. */
const line = (marker: string) => source.findIndex((l) => l.includes(marker)) + 1;

interface Emulator {
  port: number;
  exit: Promise<number | null>;
  child: ChildProcess;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill();
});

/** Starts `f4emu run gdbtest.elf --gdb 0 --wait-gdb`; resolves once it listens. */
function startEmulator(): Promise<Emulator> {
  const child = spawn(
    process.execPath,
    [CLI, 'run', path.join(FIRMWARE, ELF), '--semihosting', '--gdb', '127.0.0.1:0', '--wait-gdb'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.push(child);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) resolve({ port: Number(m[1]), exit, child });
    });
    void exit.then(() => reject(new Error(`f4emu exited before listening: ${stderr}`)));
  });
}

/** Runs gdb-multiarch in batch mode with `commands` after connecting; resolves with its output. */
function gdb(
  port: number,
  commands: string[],
  whileRunning?: (g: ChildProcess, out: string) => void,
) {
  const args = [
    '-batch',
    '-nx',
    '-ex',
    'set confirm off',
    '-ex',
    `target remote 127.0.0.1:${port}`,
  ];
  for (const c of commands) args.push('-ex', c);
  args.push(ELF);
  const g = spawn(GDB, args, { cwd: FIRMWARE, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(g);
  let out = '';
  g.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    whileRunning?.(g, out);
  });
  g.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise<string>((resolve) => g.on('exit', () => resolve(out)));
}

describe('--gdb address', () => {
  it('parses [tcp:][HOST:]PORT with 127.0.0.1 as the default host', () => {
    expect(parseGdbAddress('3333')).toEqual({ host: '127.0.0.1', port: 3333 });
    expect(parseGdbAddress('tcp:127.0.0.1:3333')).toEqual({ host: '127.0.0.1', port: 3333 });
    expect(parseGdbAddress('tcp::1234')).toEqual({ host: '127.0.0.1', port: 1234 });
    expect(parseGdbAddress('0.0.0.0:1')).toEqual({ host: '0.0.0.0', port: 1 });
    expect(parseGdbAddress('tcp:')).toBeNull();
    expect(parseGdbAddress('99999')).toBeNull();
  });
});

describe.skipIf(!haveGdb)('gdb-multiarch session', () => {
  it('breaks at main, steps into a function, prints locals and structs', async () => {
    const emu = await startEmulator();
    const out = await gdb(emu.port, [
      'break main',
      'continue',
      'next',
      'next',
      'step',
      'info args',
      'next',
      'info locals',
      'up',
      'print p',
      'print p.name',
      'print origin',
      'kill',
    ]);
    expect(out).toMatch(/Breakpoint 1, main \(\) at gdb\/gdbtest\.c:\d+/);
    expect(out).toMatch(
      new RegExp(
        `add_scaled \\(a=5, b=10, scale=3\\) at gdb/gdbtest\\.c:${line('add_scaled body')}`,
      ),
    );
    expect(out).toMatch(/^sum = 15$/m);
    expect(out).toMatch(/\$1 = \{x = 10, y = 20, name = 0x[0-9a-f]+ "p"\}/);
    expect(out).toMatch(/\$2 = 0x[0-9a-f]+ "p"/);
    expect(out).toMatch(/\$3 = \{x = 3, y = 4, name = 0x[0-9a-f]+ "origin"\}/);
    expect(await emu.exit).toBe(0);
  });

  it('a write watchpoint on a global stops at the line that wrote it', async () => {
    const emu = await startEmulator();
    const out = await gdb(emu.port, [
      'break main',
      'continue',
      'watch counter',
      'continue',
      'continue',
      'kill',
    ]);
    const at = `(0x[0-9a-f]+ in )?bump \\(by=(\\d+)\\) at gdb/gdbtest\\.c:${line('line: counter write')}`;
    expect(out).toMatch(/Hardware watchpoint 2: counter/);
    expect(out).toMatch(new RegExp(`Old value = 0\\s+New value = 45\\s+${at}`));
    expect(out).toMatch(new RegExp(`Old value = 45\\s+New value = 49\\s+${at}`));
    await emu.exit;
  });

  it('reads system registers and the SCB (CPUID), runs monitor commands', async () => {
    const emu = await startEmulator();
    const out = await gdb(emu.port, [
      'x/4wx 0xE000ED00',
      'info registers',
      'monitor info',
      'break add_scaled',
      'continue',
      'monitor reset',
      'maint flush register-cache',
      'info registers pc',
      'continue',
      'delete',
      'continue',
    ]);
    expect(out).toMatch(/0xe000ed00:\s+0x410fc241\s+0x[0-9a-f]{8}\s+0x00000000\s+0xfa050000/i);
    for (const r of ['xpsr', 'msp', 'psp', 'primask', 'basepri', 'faultmask', 'control']) {
      expect(out).toMatch(new RegExp(`^${r}\\s+0x[0-9a-f]+`, 'm'));
    }
    expect(out).toMatch(/^xpsr\s+0x1000000\s/m);
    expect(out).toMatch(/xpsr 0x01000000 \(thread mode\)/); // monitor info: the fault report
    expect(out).toMatch(/reset: halted at the reset vector/);
    expect(out).toMatch(/pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <Reset_Handler>/);
    // Restarted from reset: the breakpoint is hit a second time, then the program exits.
    expect(out.match(/Breakpoint 1, add_scaled/g)?.length).toBe(2);
    expect(out).toMatch(/\[Inferior 1 \(Remote target\) exited with code 07\]/);
    expect(await emu.exit).toBe(7);
  });

  it('shows the FPU registers (org.gnu.gdb.arm.vfp: d0-d15, fpscr; s0-s31 derived)', async () => {
    const emu = await startEmulator();
    const out = await gdb(emu.port, [
      'set $d1 = 2.5',
      'p $d1',
      'p/x $s3',
      'set $s4 = 1.5',
      'p/x $d2',
      'info registers fpscr',
      'kill',
    ]);
    expect(out).toMatch(/\$1 = 2\.5/);
    expect(out).toMatch(/\$2 = 0x40040000/); // high word of d1
    expect(out).toMatch(/\$3 = 0x3fc00000/); // s4 is the low word of d2
    expect(out).toMatch(/^fpscr\s+0x0\s/m);
    await emu.exit;
  });

  it('Ctrl-C interrupts a running program; continue runs to the semihosting exit', async () => {
    const emu = await startEmulator();
    let sent = false;
    const out = await gdb(
      emu.port,
      [
        'break main',
        'continue',
        'delete',
        'set var spin = 1',
        'continue',
        'print ticks > 0',
        'set var spin = 0',
        'continue',
      ],
      (g, out) => {
        // Once stopped at main, the next commands set `spin` and continue within milliseconds.
        if (!sent && out.includes('Breakpoint 1, main')) {
          sent = true;
          setTimeout(() => g.kill('SIGINT'), 1000);
        }
      },
    );
    expect(out).toMatch(/Program received signal SIGINT, Interrupt\./);
    expect(out).toMatch(/\$1 = 1/);
    expect(out).toMatch(/\[Inferior 1 \(Remote target\) exited with code 07\]/);
    expect(await emu.exit).toBe(7);
  });
});
