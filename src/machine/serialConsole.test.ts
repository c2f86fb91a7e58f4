import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseImage } from '../loader/image.js';
import { boot } from './firmware.js';
import { Machine } from './machine.js';
import { ExpectError, SerialConsole } from './serialConsole.js';

const PREBUILT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../firmware/prebuilt',
);

function booted(name: string): Machine {
  const m = new Machine({ warn: () => {} });
  boot(m, parseImage(fs.readFileSync(path.join(PREBUILT, name)), name));
  return m;
}

describe('SerialConsole (the scripting API)', () => {
  it('waits for texts in order and types into the console, on virtual time', () => {
    const m = booted('demo.elf');
    const con = new SerialConsole(m);
    expect(con.expect('f4emu board demo')).toMatch(/^\r\nf4emu board demo$/);
    con.expect('Enter for status\r\n');
    const at = m.clock.cycles;
    con.send('hi\r');
    expect(con.expect('B1 is up\r\n')).toMatch(/^hi\r\nuptime 0\.0 s, LD4 green lit/);
    // Three characters at 115200 baud and the reply: milliseconds, not a whole run slice.
    expect((m.clock.cycles - at) / 168e6).toBeLessThan(0.02);
    m.board.click();
    expect(con.expect('counter-clockwise')).toMatch(/B1 pressed \(1\)/);
  });

  it('gives up after its virtual-time budget with the awaited text and the last lines', () => {
    const m = booted('demo.elf');
    const con = new SerialConsole(m);
    con.expect('Enter for status');
    const start = m.clock.cycles;
    let error: unknown;
    try {
      con.expect('never printed', { virtualMs: 500 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExpectError);
    expect((error as ExpectError).why).toBe('budget');
    expect((error as ExpectError).message).toMatch(/expected 'never printed'.*\n.*\| LEDs LD4/s);
    expect((m.clock.cycles - start) / 168e6).toBeCloseTo(0.5, 2);
  });

  it('reports a machine that stops (a semihosting exit) instead of waiting on', () => {
    const m = booted('console-echo.elf'); // rdimon startup: without semihosting, BKPT locks up
    const con = new SerialConsole(m);
    expect(() => con.expect('echo ready')).toThrow(/machine stopped \(lockup\)/);
  });
});
