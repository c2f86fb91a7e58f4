import { describe, expect, it } from 'vitest';
import { bootPrebuilt } from '../../test/helpers/prebuilt.js';
import type { Machine } from './machine.js';
import { ExpectError, SerialConsole } from './serialConsole.js';

const booted = (name: string): Machine => bootPrebuilt(name);

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
