/**
 * The board demo (firmware/prebuilt/demo.elf) on a Machine, with the board's side visible: the
 * LEDs on PD12-15 take turns every 250 ms of virtual time, B1 (PA0, EXTI0) reverses them, and
 * the clock tree runs at the 168 MHz the firmware programs from the 8 MHz crystal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseImage } from '../src/loader/image.js';
import { boot } from '../src/machine/firmware.js';
import { Machine } from '../src/machine/machine.js';
import type { Usart } from '../src/peripherals/usart/usart.js';
import { BoardStatusLine, renderBoardStatus } from '../src/host/boardStatus.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEMO = path.join(ROOT, 'firmware', 'prebuilt', 'demo.elf');

function demo(): { m: Machine; out: () => string; lit: string[]; runMs: (ms: number) => void } {
  const m = new Machine({ warn: () => {} });
  boot(m, parseImage(fs.readFileSync(DEMO), 'demo.elf'));
  let text = '';
  (m.peripherals.get('USART2') as Usart).onTx = (b) => (text += String.fromCharCode(b));
  const lit: string[] = [];
  m.board.onLedChange((led) => {
    if (led.on) lit.push(`${Math.round((m.clock.cycles / 168e6) * 1000)}ms ${led.name}`);
  });
  const runMs = (ms: number) => {
    const end = m.clock.cycles + ms * 168e3;
    // The first milliseconds run at 16 MHz (HSI) until the PLL is up; cycles are cycles.
    while (m.clock.cycles < end) expect(m.run(Infinity, end - m.clock.cycles)).toBe('limit');
  };
  return { m, out: () => text, lit, runMs };
}

describe('board demo on a Machine', () => {
  it('runs at 168 MHz from the PLL and prints its banner on USART2', () => {
    const { m, out, runMs } = demo();
    runMs(100);
    expect(m.clocks.hclk).toBe(168_000_000);
    expect(m.clocks.pclk1).toBe(42_000_000);
    expect(out()).toMatch(/f4emu board demo on STM32F4Discovery\r\n/);
    expect(out()).toMatch(/boot #1 /);
  });

  it('lights LD4, LD3, LD5, LD6 in turn every 250 ms; B1 reverses the order', () => {
    const { m, lit, runMs, out } = demo();
    runMs(1100);
    const names = lit.map((l) => l.split(' ')[1]);
    expect(names).toEqual(['LD4', 'LD3', 'LD5', 'LD6', 'LD4']);
    const times = lit.map((l) => parseInt(l, 10));
    for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(250);
    expect(m.board.leds.filter((l) => l.on).map((l) => l.name)).toEqual(['LD4']);
    lit.length = 0;
    m.board.click();
    expect(m.board.buttonPressed).toBe(true);
    runMs(800);
    expect(m.board.buttonPressed).toBe(false); // released 100 ms later
    expect(out()).toMatch(/B1 pressed \(1\): counter-clockwise\r\n/);
    expect(lit.map((l) => l.split(' ')[1])).toEqual(['LD6', 'LD5', 'LD3']);
  });

  it('shows the LEDs on a terminal status line below a scroll region', () => {
    const { m, runMs } = demo();
    runMs(400); // LD3 lit (from about 300 ms, once the banner is out, to 550 ms)
    expect(renderBoardStatus(m.board, false)).toBe(
      'LD4 \u25cb green  LD3 \u25cf orange  LD5 \u25cb red  LD6 \u25cb blue   B1 up (Ctrl-A b presses)',
    );
    let screen = '';
    const line = new BoardStatusLine(m.board, {
      write: (t) => (screen += t),
      rows: 30,
      columns: 120,
    });
    expect(screen).toContain('\x1b[1;29r'); // rows 1-29 scroll, row 30 is the status
    expect(screen).toContain(
      '\x1b[30;1H\x1b[2KLD4 \u25cb green  LD3 \x1b[1;33m\u25cf\x1b[0m orange',
    );
    screen = '';
    line.close();
    expect(screen).toContain('\x1b[r'); // the whole screen scrolls again
  });
});
