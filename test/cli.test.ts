/** The f4emu command as a user meets it: the demo, exit codes, and one-line errors. */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CLI, ROOT, f4emu as run } from './helpers/cli.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** `f4emu ARGS...` to completion. */
const f4emu = (...args: string[]) => run(args);

function tmpFile(name: string, bytes: Uint8Array | string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-cli-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

describe('f4emu run', () => {
  const DEMO = path.join(ROOT, 'firmware/prebuilt/demo.elf');

  it('boots the bundled board demo: banner on USART2, status on Enter, B1 reverses the LEDs', () => {
    const r = f4emu(
      'run',
      DEMO,
      '--expect',
      'Enter for status',
      '--send',
      '\\r',
      '--expect',
      'B1 is up',
      '--press-button',
      '--expect',
      'B1 pressed (1): counter-clockwise',
      '--timeout',
      '20',
    );
    expect(r.stdout).toMatch(/^f4emu board demo on STM32F4Discovery\r$/m);
    expect(r.stdout).toMatch(
      /CPU: Cortex-M4F \(CPUID 410FC241\), SYSCLK 168 MHz from the 8 MHz HSE/,
    );
    expect(r.stdout).toMatch(
      /chip: STM32F407 \(IDCODE 10076413\), 1024 KB flash, unique ID [0-9A-F]{24}/,
    );
    expect(r.stdout).toMatch(/uptime 0\.0 s, LD4 green lit, B1 pressed 0 time\(s\), B1 is up/);
    expect(r.code, r.stderr).toBe(0);
  });

  it('keeps flash in --flash-file: the demo counts its boots, and boots from the file alone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-flash-'));
    const file = path.join(dir, 'flash.bin');
    const boot = (...image: string[]) =>
      f4emu(
        'run',
        ...image,
        '--flash-file',
        file,
        '--expect',
        'keeps it across runs',
        '--timeout',
        '20',
      );
    expect(boot(DEMO).stdout).toMatch(/boot #1 /);
    expect(fs.statSync(file).size).toBe(1024 * 1024);
    expect(boot(DEMO).stdout).toMatch(/boot #2 /);
    const alone = boot();
    expect(alone.stdout).toMatch(/boot #3 /);
    expect(alone.code, alone.stderr).toBe(0);
    // The counter's words in sector 11 (0x080E0000): 1, 2, 3, then erased flash.
    const saved = fs.readFileSync(file);
    expect([0, 4, 8, 12].map((o) => saved.readUInt32LE(0xe0000 + o))).toEqual([
      1, 2, 3, 0xffffffff,
    ]);
  });

  it('refuses a flash file it cannot use, with one clear line (exit 2)', () => {
    const missing = f4emu('run', '--flash-file', path.join(os.tmpdir(), 'f4emu-no-such-flash.bin'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no image given and flash file '.*' does not exist/);
    const big = f4emu(
      'run',
      DEMO,
      '--flash-file',
      tmpFile('big.bin', new Uint8Array(1024 * 1024 + 1)),
    );
    expect(big.code).toBe(2);
    expect(big.stderr.trim().split('\n')).toHaveLength(1);
    expect(big.stderr).toMatch(/holds 1048577 bytes but the flash is 1048576 bytes \(1024 KB\)/);
    const dir = f4emu('run', DEMO, '--flash-file', os.tmpdir());
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/is a directory: a flash file must be a regular file/);
  });

  it("passes the guest's exit status through (SYS_EXIT_EXTENDED)", () => {
    // movs r0, #0x20; add r1, pc, #4; bkpt 0xab; b . ; then the block {ApplicationExit, 42}.
    const bin = new Uint8Array(32);
    const dv = new DataView(bin.buffer);
    dv.setUint32(0, 0x20001000, true);
    dv.setUint32(4, 0x08000011, true);
    [0x2020, 0xa101, 0xbeab, 0xe7fe].forEach((hw, i) => dv.setUint16(16 + 2 * i, hw, true));
    dv.setUint32(24, 0x20026, true);
    dv.setUint32(28, 42, true);
    const r = f4emu('run', tmpFile('exit42.bin', bin), '--semihosting');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(42);
  });

  it('stops at --max-instructions with exit code 4 and says where', () => {
    const r = f4emu('run', DEMO, '--max-instructions', '1000');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/instruction limit \(1000\) reached.* at 0x[0-9a-f]{8}/);
  });

  it('reports a lockup with registers, decoded fault status and symbols (exit 3)', () => {
    // Vector table: SP, reset → 0x08000009; code: udf #0 at reset and as HardFault handler.
    const img = new Uint8Array(16);
    const dv = new DataView(img.buffer);
    dv.setUint32(0, 0x20001000, true);
    dv.setUint32(4, 0x08000011, true);
    dv.setUint32(8, 0x08000011, true); // NMI
    dv.setUint32(12, 0x08000011, true); // HardFault
    const code = new Uint8Array([0x00, 0xde, 0x00, 0xde]);
    const bin = new Uint8Array(20);
    bin.set(img);
    bin.set(code, 16);
    const r = f4emu('run', tmpFile('lock.bin', bin));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/lockup/);
    expect(r.stderr).toMatch(/UNDEFINSTR \(undefined instruction\)/);
    expect(r.stderr).toMatch(/HFSR 0x40000000: FORCED/);
    expect(r.stderr).toMatch(/pc 0x08000010/);
  });

  it('says to add --semihosting when a newlib program locks up on its first semihosting call', () => {
    const r = f4emu('run', path.join(ROOT, 'firmware/prebuilt/console-echo.elf'), '--speed', 'max');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/lockup: BKPT #171/);
    expect(r.stderr).toMatch(/BKPT 0xAB is a semihosting call .*: run with --semihosting/);
  });

  it('stops at a fault handler that spins (b .) and shows where the program faulted', () => {
    // reset → 0x08000011: ldr r0, [r1] with r1 = 0 → ... use an undefined instruction instead.
    const bin = new Uint8Array(24);
    const dv = new DataView(bin.buffer);
    dv.setUint32(0, 0x20001000, true);
    dv.setUint32(4, 0x08000011, true);
    dv.setUint32(8, 0x08000015, true);
    dv.setUint32(12, 0x08000015, true); // HardFault → b .
    bin.set([0x00, 0xde, 0x00, 0xbf, 0xfe, 0xe7], 16); // udf #0; nop; b .
    const r = f4emu('run', tmpFile('spin.bin', bin));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/unhandled HardFault: its handler at 0x08000014 branches to itself/);
    expect(r.stderr).toMatch(/stacked frame at 0x20000fe0: pc 0x08000010/);
  });

  it('scripts the console: --expect/--send in order, exit 0 when all were seen', () => {
    const echo = path.join(ROOT, 'firmware/prebuilt/console-echo.elf');
    const r = f4emu(
      'run',
      echo,
      '--semihosting',
      '--expect',
      'echo ready',
      '--send',
      'hello world\\r',
      '--expect',
      'you said: HELLO WORLD',
      '--timeout',
      '20',
    );
    expect(r.stdout).toMatch(/you said: HELLO WORLD/);
    expect(r.code).toBe(0);
  });

  it('an --expect text that never comes: exit 5, the awaited text and the last console lines', () => {
    const echo = path.join(ROOT, 'firmware/prebuilt/console-echo.elf');
    const r = f4emu(
      'run',
      echo,
      '--semihosting',
      '--expect',
      'echo ready',
      '--send',
      'x\\r',
      '--expect',
      'never printed',
      // The wall-clock limit must come first: virtual time follows the wall clock here. Flat
      // out, the echo loop's wait for input (polling USART SR, a wait loop the translator
      // skips to the next alarm) covers even 1000 virtual seconds in under a wall second.
      '--speed',
      'realtime',
      '--expect-timeout',
      '1000',
      '--timeout',
      '1',
    );
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /expected 'never printed' on the console, but it did not appear before the wall-clock --timeout \(1 s;/,
    );
    expect(r.stderr).toMatch(/\| you said: X/);
  });

  it('sends another USART to a file with --serial usartN=file:PATH', () => {
    const echo = path.join(ROOT, 'firmware/prebuilt/console-echo.elf');
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-serial-')), 'usart2.txt');
    const r = f4emu(
      'run',
      echo,
      '--semihosting',
      '--serial',
      `usart2=file:${out}`,
      '--max-instructions',
      '2000000',
    );
    expect(r.code).toBe(4);
    expect(fs.readFileSync(out, 'utf8')).toBe('echo ready\r\n> ');
  });

  it('gives one clear line and exit 2 for bad images and bad options', () => {
    const truncated = f4emu(
      'run',
      tmpFile('t.elf', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1])),
    );
    expect(truncated.code).toBe(2);
    expect(truncated.stderr.trim().split('\n')).toHaveLength(1);
    expect(truncated.stderr).toMatch(/truncated ELF/);
    const missing = f4emu('run', '/nonexistent/fw.elf');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
    const option = f4emu('run', 'x.elf', '--frobnicate');
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--frobnicate'/);
    const limit = f4emu('run', 'x.elf', '--max-instructions', 'lots');
    expect(limit.code).toBe(2);
    expect(f4emu('run', 'x.elf', '--console', 'usart9').stderr).toMatch(
      /--console needs usart1..usart6/,
    );
    expect(f4emu('run', 'x.elf', '--speed', 'warp').code).toBe(2);
    expect(f4emu('run', 'x.elf', '--serial', 'usart2=tcp:0.0.0.0:5555').stderr).toMatch(/loopback/);
    expect(f4emu('bogus').code).toBe(2);
  });

  it('traces instructions with symbols and disassembly', () => {
    const r = f4emu('run', DEMO, '--trace', '--max-instructions', '3');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('0x'));
    expect(lines[0]).toMatch(/^0x[0-9a-f]{8} <Reset_Handler>: /);
    expect(lines.length).toBe(3);
  });
});

describe('log output through a pipe', () => {
  it('keeps every line when the reader lags (stderr is a non-blocking pipe)', async () => {
    const args = [
      'run',
      path.join(ROOT, 'firmware/prebuilt/console-echo.elf'),
      '--semihosting',
      '--log',
      'mmio=USART2',
      '--expect',
      'never printed',
      '--expect-timeout',
      '0.01',
      '--timeout',
      '20',
    ];
    // The same run with the log in a file: how many lines there are.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-log-')), 'log.txt');
    expect(f4emu(...args, '--log-file', file).code).toBe(5);
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('mmio:'));
    expect(lines.length).toBeGreaterThan(5000); // far more than a pipe holds
    // Through a pipe nobody reads for a second, shared with stdout as `2>&1 | less` does (the
    // console's output makes Node set it non-blocking): the writes must wait, not fail.
    const child = spawn('sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, CLI, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 1000));
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.resume();
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(5);
    // (The console's own output, `echo ready` and the prompt, may land between log lines.)
    const logged = err.split('\n').filter((l) => l.includes('mmio:'));
    expect(logged.map((l) => l.slice(l.indexOf('[')))).toEqual(lines);
  }, 30_000);
});

describe('--jit / --no-jit on the command line', () => {
  it('gives the same output and counts; --stats shows the translator only when it is on', () => {
    const elf = path.join(ROOT, 'firmware/prebuilt/fpu/libm.elf');
    const stat = (stderr: string) => /instructions=(\d+) cycles=(\d+)/.exec(stderr)?.slice(1);
    const args = ['run', elf, '--semihosting', '--stats', '--trace-calls=malloc'];
    const on = run(args);
    const hot = run([...args, '--jit-hot', '20']); // more of it translated than by default
    const off = run([...args, '--no-jit']);
    for (const r of [on, hot, off]) expect(r.code).toBe(0);
    for (const r of [on, hot]) {
      expect(r.stdout).toBe(off.stdout);
      expect(stat(r.stderr)).toEqual(stat(off.stderr));
      expect(r.stderr).toMatch(/stats: jit blocks=[1-9]\d* .*translated-insns=/);
    }
    const blocks = (stderr: string) => Number(/jit blocks=(\d+)/.exec(stderr)![1]);
    expect(blocks(hot.stderr)).toBeGreaterThan(blocks(on.stderr));
    expect(off.stderr).not.toMatch(/stats: jit/);
    expect(run([...args, '--jit-hot', 'x']).stderr).toMatch(/--jit-hot needs a positive number/);
    const both = run([...args, '--no-jit', '--jit-hot', '5']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--jit-hot has no effect with --no-jit/);
  });
});
