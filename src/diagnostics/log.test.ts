/**
 * The `-d`-like log on real firmware (the board demo, the fault tests) and on hand-placed code
 * for what the prebuilt firmware does not do (unmodelled registers, unmapped addresses).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseImage, type LoadedImage } from '../loader/image.js';
import { boot } from '../machine/firmware.js';
import { Machine } from '../machine/machine.js';
import { ConsoleOnlyHost } from '../machine/semihosting.js';
import type { Usart } from '../peripherals/usart/usart.js';
import { exceptionLabel } from './irqNames.js';
import { attachLog, logHelp, parseLogSpec } from './log.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PREBUILT = path.join(ROOT, 'firmware', 'prebuilt');

function load(m: Machine, file: string, semihosting = false): LoadedImage {
  const image = parseImage(fs.readFileSync(path.join(PREBUILT, file)), file);
  const host = new ConsoleOnlyHost(() => {});
  boot(m, image, semihosting ? { semihosting: host } : {});
  return image;
}

/** Runs `ms` milliseconds of virtual time at the demo's 168 MHz (the first few at 16 MHz). */
function runCycles(m: Machine, cycles: number): void {
  const end = m.clock.cycles + cycles;
  while (m.clock.cycles < end) expect(m.run(Infinity, end - m.clock.cycles)).toBe('limit');
}

describe('parseLogSpec', () => {
  it('reads categories, repeated mmio=NAME and mmio for all', () => {
    expect(parseLogSpec('int,exc, unimp ,guest_errors,mmio=USART2,mmio=RCC')).toEqual({
      int: true,
      exc: true,
      unimp: true,
      guestErrors: true,
      mmio: ['USART2', 'RCC'],
      help: false,
    });
    expect(parseLogSpec('mmio=USART2,mmio').mmio).toBe('all');
    expect(parseLogSpec('help').help).toBe(true);
    expect(logHelp()).toMatch(/^ {2}guest_errors +bus errors/m);
    expect(logHelp()).toMatch(/^ {2}mmio=NAME +each read\/write/m);
  });

  it('names a bad item and lists the valid ones', () => {
    expect(() => parseLogSpec('int,intr')).toThrow(
      "unknown log item 'intr' (valid items: int, exc, unimp, guest_errors, mmio=NAME, mmio, help)",
    );
    expect(() => parseLogSpec('int=1')).toThrow("log item 'int' takes no value (got 'int=1')");
    expect(() => parseLogSpec('mmio=')).toThrow("log item 'mmio=' needs a peripheral name");
    expect(() => parseLogSpec(' , ')).toThrow(/^empty log specification \(valid items: int,/);
  });

  it('refuses mmio=NAME for a block the chip does not have, listing those it has', () => {
    const m = new Machine({ warn: () => {} });
    expect(() => attachLog(m, 'mmio=USART9', () => {})).toThrow(
      /^mmio=USART9: no such peripheral \(peripherals: .*\bGPIOA\b.*\bUSART2\b/,
    );
    expect(m.exc.observer).toBeNull(); // nothing left attached
  });
});

describe('IRQ names', () => {
  it('follow RM0090 table 61', () => {
    expect(exceptionLabel(16 + 6)).toBe('EXTI0 (IRQ 6)');
    expect(exceptionLabel(16 + 38)).toBe('USART2 (IRQ 38)');
    expect(exceptionLabel(16 + 71)).toBe('USART6 (IRQ 71)');
    expect(exceptionLabel(16 + 81)).toBe('FPU (IRQ 81)');
    expect(exceptionLabel(15)).toBe('SysTick');
  });
});

describe('the log on the board demo', () => {
  it('int: SysTick, EXTI0 and USART2 taken and returned, by name, with handler symbols', () => {
    const m = new Machine({ warn: () => {} });
    const image = load(m, 'demo.elf');
    const lines: string[] = [];
    attachLog(m, 'int', (l) => lines.push(l), image.symbols);
    runCycles(m, 20e6);
    const usart = m.peripherals.get('USART2') as Usart;
    for (const c of 'x') usart.receive(c.charCodeAt(0));
    m.board.click();
    runCycles(m, 20e6);
    const stamp = /^\[(cycle \d+|\d+\.\d{9})\] int: /;
    expect(lines.every((l) => stamp.test(l))).toBe(true);
    const taken = (what: string, handler: string) =>
      lines.find((l) => l.includes(`int: ${what} taken at pc 0x`) && l.includes(`<${handler}>`));
    expect(taken('SysTick', 'SysTick_Handler')).toBeDefined();
    expect(taken('EXTI0 (IRQ 6)', 'EXTI0_IRQHandler')).toBeDefined();
    expect(taken('USART2 (IRQ 38)', 'USART2_IRQHandler')).toBeDefined();
    expect(
      lines.some((l) => /int: USART2 \(IRQ 38\) returns to thread mode at 0x0800/.test(l)),
    ).toBe(true);
    // Every entry is matched by a return (the demo does not nest its handlers).
    const entries = lines.filter((l) => l.includes(' taken at ')).length;
    const returns = lines.filter((l) => l.includes(' returns to ')).length;
    expect(entries).toBeGreaterThan(10);
    expect(Math.abs(entries - returns)).toBeLessThanOrEqual(1);
  });

  it('mmio=USART2: BRR by name, and DR writes carrying exactly what the USART sent', () => {
    const m = new Machine({ warn: () => {} });
    const image = load(m, 'demo.elf');
    let sent = '';
    (m.peripherals.get('USART2') as Usart).onTx = (b) => (sent += String.fromCharCode(b));
    const lines: string[] = [];
    const detach = attachLog(m, 'mmio=usart2', (l) => lines.push(l), image.symbols);
    // Only up to the banner's first line: polling SR logs thousands of reads per character.
    while (!sent.includes('STM32F4Discovery\r\n')) runCycles(m, 100_000);
    expect(sent).toMatch(/^\r\nf4emu board demo/);
    expect(
      lines.some((l) => /mmio: USART2\.BRR write 0x0000016d \(4 bytes\) at pc 0x0800/.test(l)),
    ).toBe(true);
    expect(
      lines.some((l) => /mmio: USART2\.SR read 0x[0-9a-f]{8} \(4 bytes\) at pc .*<puts2/.test(l)),
    ).toBe(true);
    expect(lines.every((l) => l.includes('mmio: USART2.'))).toBe(true);
    const dr = lines
      .map((l) => /mmio: USART2\.DR write (0x[0-9a-f]+)/.exec(l)?.[1])
      .filter((v) => v !== undefined)
      .map((v) => String.fromCharCode(parseInt(v, 16)))
      .join('');
    // DR takes a character before the wire has sent it: at most two (DR and the shift
    // register) are still on their way.
    expect(dr.slice(0, sent.length)).toBe(sent);
    expect(dr.length - sent.length).toBeLessThanOrEqual(2);
    // Detached: the USART is back on the bus as itself, and nothing more is logged.
    detach();
    const count = lines.length;
    runCycles(m, 20e6);
    expect(lines.length).toBe(count);
    expect(m.exc.observer).toBeNull();
  });
});

describe('the log on the fault tests', () => {
  it('exc: the fault raised, the handler taken with HFSR/CFSR decoded', () => {
    const m = new Machine({ warn: () => {} });
    const image = load(m, 'tests/faults.elf', true);
    const lines: string[] = [];
    attachLog(m, 'exc', (l) => lines.push(l), image.symbols);
    expect(m.run(50_000_000)).toBe('exit');
    const text = lines.join('\n');
    expect(text).toMatch(
      /exc: HardFault taken at pc 0x[0-9a-f]{8} <main\+0x[0-9a-f]+>: HFSR 0x40000000 FORCED \(escalated from a configurable fault\); handler 0x[0-9a-f]{8} <HardFault_Handler/,
    );
    expect(text).toMatch(
      /exc: UsageFault raised at pc 0x[0-9a-f]{8} <main\+0x[0-9a-f]+>: UNDEFINSTR \(undefined instruction\)\n.*exc: HardFault taken at pc 0x[0-9a-f]{8} <main\+0x[0-9a-f]+>: HFSR 0x40000000 FORCED .*; CFSR 0x00010000 UNDEFINSTR/,
    );
    expect(text).toMatch(
      /exc: UsageFault taken at pc 0x[0-9a-f]{8} <main\+0x[0-9a-f]+>: CFSR 0x00010000 UNDEFINSTR .*; handler .*<UsageFault_Handler/,
    );
    expect(text).toMatch(/exc: UsageFault raised at pc 0x[0-9a-f]{8} <target_function>: INVSTATE/);
    expect(text).toMatch(
      /exc: MemManage taken at pc 0xe0000000: CFSR 0x00000001 IACCVIOL .*; handler .*<MemManage_Handler/,
    );
    expect(lines.every((l) => / exc: /.test(l))).toBe(true);
  });
});

/** Thumb: STR r1, [r0, #imm]; LDR r2, [r0, #imm]; B . (imm a multiple of 4, < 128). */
const str = (imm: number) => 0x6000 | ((imm >> 2) << 6) | (0 << 3) | 1;
const ldr = (imm: number) => 0x6800 | ((imm >> 2) << 6) | (0 << 3) | 2;
const B_SELF = 0xe7fe;

/** A machine running `code` from SRAM with r0 = `base`, r1 = 0x5a, a vector table in SRAM. */
function handPlaced(code: number[], base: number, warn: (m: string) => void = () => {}): Machine {
  const m = new Machine({ warn });
  const vectors = 0x20008000;
  m.scb.vtor = vectors;
  for (let n = 2; n < 98; n++) m.bus.write32(vectors + 4 * n, 0x20004001); // handlers: B .
  m.bus.write16(0x20004000, B_SELF);
  code.forEach((hw, i) => m.bus.write16(0x20000000 + 2 * i, hw));
  m.cpu.r[13] = 0x20010000;
  m.cpu.r[0] = base;
  m.cpu.r[1] = 0x5a;
  m.cpu.setPc(0x20000000 | 1);
  return m;
}

describe('unimp and guest_errors on hand-placed code', () => {
  it('unimp: every access to an unmodelled block or register, not only the first', () => {
    const warnings: string[] = [];
    const can = handPlaced([str(0), ldr(0), str(0), ldr(0), B_SELF], 0x40006400, (w) =>
      warnings.push(w),
    );
    const lines: string[] = [];
    attachLog(can, 'unimp', (l) => lines.push(l));
    can.run(5);
    expect(lines.map((l) => l.replace(/^\[[^\]]*\] /, ''))).toEqual([
      'unimp: CAN1 is not modelled: write at 0x40006400 (offset 0x0, 4 bytes), write ignored, at pc 0x20000000',
      'unimp: CAN1 is not modelled: read at 0x40006400 (offset 0x0, 4 bytes), read returns 0, at pc 0x20000002',
      'unimp: CAN1 is not modelled: write at 0x40006400 (offset 0x0, 4 bytes), write ignored, at pc 0x20000004',
      'unimp: CAN1 is not modelled: read at 0x40006400 (offset 0x0, 4 bytes), read returns 0, at pc 0x20000006',
    ]);
    expect(warnings).toHaveLength(1); // the one-time warning (per offset) is unchanged

    // USART2 is modelled, but has nothing at offset 0x20.
    const usart = handPlaced([ldr(0x20), ldr(0x20), str(0x20), B_SELF], 0x40004400);
    lines.length = 0;
    const detach = attachLog(usart, 'unimp', (l) => lines.push(l));
    usart.run(4);
    expect(lines.map((l) => l.replace(/^\[[^\]]*\] /, ''))).toEqual([
      'unimp: USART2: no register at offset 0x20 (0x40004420), 4 bytes read returns 0, at pc 0x20000000',
      'unimp: USART2: no register at offset 0x20 (0x40004420), 4 bytes read returns 0, at pc 0x20000002',
      'unimp: USART2: no register at offset 0x20 (0x40004420), 4 bytes write 0x0000005a ignored, at pc 0x20000004',
    ]);
    detach();
    expect(usart.peripherals.get('USART2')!.regs.onUnmodelled).toBeNull();
  });

  it('guest_errors and exc: a store to an unmapped address, escalated to HardFault', () => {
    const m = handPlaced([str(0), B_SELF], 0xc0000000);
    const lines: string[] = [];
    attachLog(m, 'guest_errors,exc,int', (l) => lines.push(l));
    m.run(3);
    expect(lines.map((l) => l.replace(/^\[[^\]]*\] /, ''))).toEqual([
      'exc: BusFault raised at pc 0x20000000: PRECISERR (precise data bus error), BFARVALID (BFAR holds the address) (address 0xc0000000)',
      'guest_errors: write to 0xc0000000: no memory or device at this address (PRECISERR (precise data bus error), BFARVALID (BFAR holds the address)) at pc 0x20000000',
      'int: HardFault taken at pc 0x20000000, handler 0x20004000',
      'exc: HardFault taken at pc 0x20000000: HFSR 0x40000000 FORCED (escalated from a configurable fault); CFSR 0x00008200 PRECISERR (precise data bus error), BFARVALID (BFAR holds the address); BFAR 0xc0000000; handler 0x20004000',
    ]);
  });

  it('stamps lines with virtual time', () => {
    const m = handPlaced([str(0), B_SELF], 0xc0000000);
    const lines: string[] = [];
    m.clock.cycles = 16_000_000; // one second at the reset clock (16 MHz HSI)
    attachLog(m, 'guest_errors', (l) => lines.push(l));
    m.run(3);
    const clock = m.clock as { nanos?: number };
    expect(lines[0]).toMatch(
      clock.nanos === undefined ? /^\[cycle 16000001\] / : /^\[1\.0000000\d\d\] guest_errors/,
    );
  });
});
