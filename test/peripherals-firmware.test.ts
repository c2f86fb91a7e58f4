/**
 * The STM32F407 peripheral test programs (firmware/prebuilt/periph/*.elf, from firmware/periph/)
 * on f4emu. Each checks its peripheral from the inside and prints PASS/FAIL lines through
 * semihosting and ends with "OK: 0 failure(s)" (firmware/periph/stm32f4.h); it must exit 0 with
 * no FAIL line.
 *  - through the command line, as a user runs them (`f4emu run ELF --semihosting`);
 *  - in process on a Machine, where the host side is visible too: what periph_usart sends on
 *    USART2, and host input through the USART's receive queue.
 * QEMU has no STM32 peripherals, so these are the only runs (`make -C firmware check` skips them).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseImage } from '../src/loader/image.js';
import { boot } from '../src/machine/firmware.js';
import { Machine } from '../src/machine/machine.js';
import { ConsoleOnlyHost } from '../src/machine/semihosting.js';
import type { Gpio } from '../src/peripherals/gpio/gpio.js';
import { I2cMemoryDevice } from '../src/peripherals/i2c/i2cDevices.js';
import { SpiRegisterDevice } from '../src/peripherals/spi/spiDevices.js';
import type { Usart } from '../src/peripherals/usart/usart.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'f4emu.js');
const PERIPH = path.join(ROOT, 'firmware', 'prebuilt', 'periph');
const MAX_INSTRUCTIONS = 50_000_000;
/** The last line of a periph program that passed (periph_finish in firmware/periph/stm32f4.h). */
const FINISHED = /^OK: 0 failure\(s\)$/m;

const programs = fs.existsSync(PERIPH)
  ? fs
      .readdirSync(PERIPH)
      .filter((f) => f.endsWith('.elf'))
      .map((f) => f.slice(0, -'.elf'.length))
      .sort()
  : [];

/** A Machine (it maps the STM32F407 peripherals itself), quiet about unmodelled registers. */
function stm32Machine(): Machine {
  return new Machine({ warn: () => {} });
}

interface Run {
  stdout: string;
  code: number | null;
  machine: Machine;
}

function runInProcess(name: string, setup: (m: Machine) => void = () => {}, cmdline = ''): Run {
  const machine = stm32Machine();
  setup(machine);
  let stdout = '';
  const host = new ConsoleOnlyHost((_fd, data) => (stdout += Buffer.from(data).toString('utf8')));
  const image = parseImage(fs.readFileSync(path.join(PERIPH, `${name}.elf`)), name);
  const booted = boot(machine, image, { semihosting: host, cmdline });
  const reason = machine.run(MAX_INSTRUCTIONS);
  const code = reason === 'exit' ? (booted.semihosting?.exitStatus?.code ?? null) : null;
  return { stdout, code, machine };
}

function runCli(elf: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, 'run', elf, '--semihosting', '--max-instructions', String(MAX_INSTRUCTIONS)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ); // no console input: none is waited for
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The devices periph_spi and periph_i2c expect when their command line says "devices": a
 * register file on SPI2 with its chip select on PB12 (register 0x0F reads 0x5A) and an
 * EEPROM-like memory at 0x50 on I2C1. Without them the same programs check that the buses
 * answer 0xFF and NACK there.
 */
function attachTestDevices(m: Machine): { spi: SpiRegisterDevice; mem: I2cMemoryDevice } {
  const spi = new SpiRegisterDevice({ registers: { 0x0f: 0x5a }, readOnly: [0x0f] });
  m.board.attachSpiDevice('SPI2', { port: 1, pin: 12 }, spi);
  const mem = new I2cMemoryDevice(0x50);
  m.board.attachI2cDevice('I2C1', mem);
  return { spi, mem };
}

/** Whether `sequence` appears in `list` as consecutive items. */
function contains(list: readonly string[], sequence: readonly string[]): boolean {
  return list.some((_, i) => sequence.every((item, k) => list[i + k] === item));
}

function failures(stdout: string): string[] {
  return stdout.split('\n').filter((l) => /^(FAIL|SKIP)\b/.test(l));
}

describe('peripheral firmware is present', () => {
  it('has prebuilt periph programs', () => {
    expect(programs).toEqual(
      expect.arrayContaining(['periph_exti', 'periph_gpio', 'periph_usart']),
    );
  });
});

describe('peripheral firmware on a Machine (firmware/prebuilt/periph)', () => {
  for (const name of programs) {
    it(name, () => {
      const r = runInProcess(name);
      expect(failures(r.stdout), r.stdout).toEqual([]);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout, r.stdout).toMatch(FINISHED);
    });
  }

  it('periph_usart sends its text on USART2', () => {
    const sent: number[] = [];
    const r = runInProcess('periph_usart', (m) => {
      (m.peripherals.get('USART2') as Usart).onTx = (b) => sent.push(b);
    });
    expect(r.code, r.stdout).toBe(0);
    const text = String.fromCharCode(...sent.filter((b) => b !== 0 && b < 0x100));
    expect(text).toBe('periph_usart: polled\r\nperiph_usart: interrupts\r\n');
  });

  it('periph_dma sends its line on USART2 through DMA1 stream 6', () => {
    const sent: [number, number][] = [];
    const r = runInProcess('periph_dma', (m) => {
      (m.peripherals.get('USART2') as Usart).onTx = (b) => sent.push([b, m.clock.cycles]);
    });
    expect(failures(r.stdout), r.stdout).toEqual([]);
    expect(r.code, r.stdout).toBe(0);
    const text = String.fromCharCode(...sent.map(([b]) => b));
    expect(text).toBe('periph_dma: sent by DMA1 stream 6\r\n');
    // One character time apart (115200 baud at 16 MHz: 1390 cycles) as the DMA keeps DR full;
    // the run loop sees an alarm at the end of the instruction it falls in (a few cycles late).
    const gaps = sent.slice(1).map(([, at], i) => at - sent[i]![1]);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1390 - 4);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(1390 + 4);
    expect(sent.at(-1)![1] - sent[0]![1]).toBeLessThanOrEqual(34 * 1390 + 4);
  });

  it('periph_spi with nothing on SPI2 reads 0xFF throughout', () => {
    const r = runInProcess('periph_spi');
    expect(r.stdout).toContain('periph_spi: nothing on SPI2');
    expect(r.stdout).toContain('PASS LIS3DSH WHO_AM_I on SPI1 (PE3)');
    expect(r.stdout).toMatch(/^ ff ff ff ff ff ff$/m); // the interrupt-driven exchange
  });

  it('periph_spi with the register-file device on SPI2 (chip select PB12)', () => {
    let devices: ReturnType<typeof attachTestDevices> | undefined;
    const r = runInProcess('periph_spi', (m) => (devices = attachTestDevices(m)), 'devices');
    expect(failures(r.stdout), r.stdout).toEqual([]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(FINISHED);
    expect(r.stdout).toContain('periph_spi: test device on SPI2 (PB12)');
    expect(r.stdout).toMatch(/^ ff 5a 11 22 33 00$/m);
    const spi = devices!.spi;
    expect([...spi.registers.subarray(0x10, 0x17)]).toEqual([
      0x11, 0x22, 0x33, 0, 0xa1, 0xb2, 0xc3,
    ]);
    // What the device saw, command by command: polled read of 0x0F, write 0x10-0x12, read
    // them, the interrupt-driven read, the DMA write and read, the read after it.
    expect(spi.received).toEqual([
      ...[0x8f, 0],
      ...[0x10, 0x11, 0x22, 0x33],
      ...[0x90, 0, 0, 0],
      ...[0x8f, 0, 0, 0, 0, 0],
      ...[0x14, 0xa1, 0xb2, 0xc3],
      ...[0x94, 0, 0, 0],
    ]);
    // Selected at power-on (PB12 floats low until the program drives it), then once per
    // transfer the program makes.
    expect(spi.selections).toBe(1 + 6);
    expect(spi.isSelected).toBe(false);
  });

  it('periph_i2c with the memory device at 0x50 on I2C1', () => {
    let devices: ReturnType<typeof attachTestDevices> | undefined;
    const r = runInProcess('periph_i2c', (m) => (devices = attachTestDevices(m)), 'devices');
    expect(failures(r.stdout), r.stdout).toEqual([]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(FINISHED);
    expect(r.stdout).toContain('periph_i2c: memory device at 0x50 on I2C1');
    const mem = devices!.mem;
    expect([...mem.memory.subarray(0x30, 0x36)]).toEqual([0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5]);
    expect([...mem.memory.subarray(0x40, 0x44)]).toEqual([0xe0, 0xe1, 0xe2, 0xe3]);
    expect([...mem.memory.subarray(0x50, 0x57)]).toEqual([
      0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
    ]);
    const log = mem.log;
    // Each read procedure clocks exactly the bytes it asked for (the last one NACKed), with a
    // repeated start after the address byte and a stop at the end.
    const reads = (at: number, bytes: number[]) => [
      'start W',
      `write 0x${at.toString(16)}`,
      'start R',
      ...bytes.map((b) => `read 0x${b.toString(16)}`),
      'stop',
    ];
    expect(contains(log, reads(0x32, [0xd2])), log.join(', ')).toBe(true);
    expect(contains(log, reads(0x30, [0xd0, 0xd1])), log.join(', ')).toBe(true);
    expect(contains(log, reads(0x31, [0xd1, 0xd2, 0xd3, 0xd4, 0xd5])), log.join(', ')).toBe(true);
    expect(contains(log, reads(0x50, [0x71, 0x72, 0x73, 0x74, 0x75, 0x76])), log.join(', ')).toBe(
      true,
    );
    // The interrupt-driven read: its own transfer after a write of the address alone.
    expect(
      contains(log, [
        'start W',
        'write 0x40',
        'stop',
        'start R',
        'read 0xe0',
        'read 0xe1',
        'read 0xe2',
        'read 0xe3',
        'stop',
      ]),
      log.join(', '),
    ).toBe(true);
  });

  it('periph_i2c with nothing at 0x50 gets AF there', () => {
    const r = runInProcess('periph_i2c');
    expect(r.stdout).toContain('PASS nothing at 0x50: AF');
    expect(r.stdout).toContain('PASS CS43L22 address (no model): AF, no ADDR');
  });

  it('periph_gpio leaves the LEDs on PD12-15 reporting their changes', () => {
    const changes: string[] = [];
    const r = runInProcess('periph_gpio', (m) => {
      (m.peripherals.get('GPIOD') as Gpio).onOutputChange((pin, level) =>
        changes.push(`PD${pin}=${level ? 1 : 0}`),
      );
    });
    expect(r.code, r.stdout).toBe(0);
    expect(changes.slice(0, 4)).toEqual(['PD12=1', 'PD14=1', 'PD12=0', 'PD13=1']);
  });
});

describe('peripheral firmware through the command line', () => {
  for (const name of programs) {
    it(name, async () => {
      const r = await runCli(path.join(PERIPH, `${name}.elf`));
      const t = `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
      expect(failures(r.stdout), t).toEqual([]);
      expect(r.code, t).toBe(0);
      expect(r.stdout, t).toMatch(FINISHED);
    });
  }
});

describe('host side of the I/O blocks on a Machine', () => {
  it('the user button on PA0 raises EXTI0 in the NVIC', () => {
    const m = stm32Machine();
    const gpioa = m.peripherals.get('GPIOA') as Gpio;
    gpioa.setInput(0, false); // the board's pull-down
    m.bus.write32(0x40013c00, 1); // EXTI_IMR: line 0
    m.bus.write32(0x40013c08, 1); // EXTI_RTSR: rising
    expect(m.nvic.pending[16 + 6]).toBe(0);
    gpioa.setInput(0, true); // pressed
    expect(m.bus.read32(0x40020010) & 1).toBe(1); // GPIOA_IDR
    expect(m.bus.read32(0x40013c14)).toBe(1); // EXTI_PR
    expect(m.nvic.pending[16 + 6]).toBe(1);
    expect(m.nvic.irqLevel[6]).toBe(1);
    m.bus.write32(0x40013c14, 1);
    expect(m.nvic.irqLevel[6]).toBe(0);
  });

  it('host bytes reach USART2 at the baud rate and raise its interrupt', () => {
    const m = stm32Machine();
    const usart = m.peripherals.get('USART2') as Usart;
    m.bus.write32(0x40004408, 0x8b); // BRR: 115200 at 16 MHz
    m.bus.write32(0x4000440c, (1 << 13) | (1 << 5) | (1 << 2)); // UE, RXNEIE, RE
    usart.send([0x68, 0x69]);
    const start = m.clock.cycles;
    while (!(m.bus.read32(0x40004400) & 0x20)) {
      m.clock.cycles = m.clock.nextDue();
      m.clock.fireDue();
    }
    expect(m.clock.cycles - start).toBe(1390);
    expect(m.nvic.irqLevel[38]).toBe(1);
    expect(m.bus.read32(0x40004404)).toBe(0x68);
    expect(m.nvic.irqLevel[38]).toBe(0);
    expect(usart.pendingInput).toBe(1);
  });
});
