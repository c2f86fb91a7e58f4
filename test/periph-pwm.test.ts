/**
 * firmware/periph/periph_pwm.c on f4emu: TIM4 dims the four LEDs (PD12-PD15 in AF2) to 25%,
 * 50%, 75% and 100% in edge-aligned up- and down-counting and centre-aligned mode; the firmware
 * checks the pins through GPIOD_IDR from the inside, and here the board's LED brightness (what
 * the terminal status line and the web page show) must be the programmed duty cycles in the mode
 * it leaves TIM4 running in.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseImage } from '../src/loader/image.js';
import { boot } from '../src/machine/firmware.js';
import { Machine } from '../src/machine/machine.js';
import { ConsoleOnlyHost } from '../src/machine/semihosting.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ELF = path.join(ROOT, 'firmware', 'prebuilt', 'periph', 'periph_pwm.elf');
const TIM4 = 0x40000800;

function run(mode: string) {
  const machine = new Machine({ warn: () => {} });
  let stdout = '';
  const host = new ConsoleOnlyHost((_fd, data) => (stdout += Buffer.from(data).toString('utf8')));
  const booted = boot(machine, parseImage(fs.readFileSync(ELF), 'periph_pwm'), {
    semihosting: host,
    cmdline: `periph_pwm ${mode}`,
  });
  const reason = machine.run(50_000_000);
  const code = reason === 'exit' ? (booted.semihosting?.exitStatus?.code ?? null) : null;
  return { machine, stdout, code };
}

describe('periph_pwm: LED brightness from TIM4 PWM', () => {
  for (const [mode, cr1] of [
    ['up', 0x81],
    ['down', 0x91],
    ['center', 0xa1],
  ] as const) {
    it(`${mode}-counting: LD4, LD3, LD5, LD6 at 25%, 50%, 75%, 100%`, () => {
      const { machine, stdout, code } = run(mode);
      expect(stdout).not.toContain('FAIL');
      expect(stdout).toContain(`TIM4 left running ${mode}-counting`);
      expect(stdout).toMatch(/^OK: 0 failure\(s\)$/m);
      expect(code).toBe(0);
      // The mode the firmware left (CR1: ARPE, DIR or CMS=01, CEN; DIR may read either way
      // in centre-aligned mode, where it follows the counting direction).
      const mask = mode === 'center' ? ~0x10 : ~0;
      expect(machine.bus.read32(TIM4) & mask).toBe(cr1 & mask);
      const leds = machine.board.leds;
      expect(leds.map((l) => l.name)).toEqual(['LD4', 'LD3', 'LD5', 'LD6']);
      expect(leds.map((l) => l.brightness)).toEqual([0.25, 0.5, 0.75, 1]);
      expect(leds.every((l) => l.on)).toBe(true);
    });
  }
});
