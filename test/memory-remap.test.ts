/**
 * SYSCFG_MEMRMP on the bus (RM0090 9.2.1): what answers at address 0 follows MEM_MODE, the
 * decode cache forgets instructions fetched through the old mapping, and a reset brings main
 * flash back.
 */
import { describe, expect, it } from 'vitest';
import { Machine, SRAM_BASE, SYSTEM_MEMORY_BASE } from '../src/machine/machine.js';
import { B_SELF, movs } from './helpers/machine.js';

const MEMRMP = 0x40013800;
const RCC_APB2ENR = 0x40023844;

function poke16(m: Machine, addr: number, hw: number): void {
  m.bus.poke8(addr, hw & 0xff);
  m.bus.poke8(addr + 1, hw >>> 8);
}

function machine(): Machine {
  const m = new Machine({ warn: () => {} });
  m.bus.write32(RCC_APB2ENR, 1 << 14); // SYSCFGEN
  return m;
}

describe('memory remap at address 0', () => {
  it('shows main flash, system memory or SRAM1 as MEM_MODE selects', () => {
    const m = machine();
    m.bus.poke8(0x08000010, 0xa5);
    m.bus.write32(SRAM_BASE + 0x10, 0x12345678);
    m.bus.poke8(SYSTEM_MEMORY_BASE + 0x10, 0x5a);
    expect(m.bus.read8(0x10)).toBe(0xa5);
    m.bus.write32(MEMRMP, 3);
    expect(m.bus.read32(0x10)).toBe(0x12345678);
    m.bus.write32(0x14, 0xcafef00d); // SRAM at 0 is writable, and it is SRAM1's storage
    expect(m.bus.read32(SRAM_BASE + 0x14)).toBe(0xcafef00d);
    m.bus.write32(MEMRMP, 1);
    expect(m.bus.read8(0x10)).toBe(0x5a);
    m.bus.write32(MEMRMP, 0);
    expect(m.bus.read8(0x10)).toBe(0xa5);
    expect(m.bus.regionAt(0)?.storageName).toBe('flash');
  });

  it('FSMC bank 1 at 0 (not modelled) leaves address 0 unmapped, with a warning', () => {
    const warnings: string[] = [];
    const m = new Machine({ warn: (w) => warnings.push(w) });
    m.bus.write32(MEMRMP, 2);
    expect(() => m.bus.read32(0x10)).toThrow();
    expect(warnings.join('\n')).toMatch(/FSMC/);
  });

  it('drops instructions decoded through the old mapping', () => {
    const m = machine();
    poke16(m, 0x08000100, movs(0, 1));
    poke16(m, 0x08000102, B_SELF);
    m.bus.write16(SRAM_BASE + 0x100, movs(0, 2));
    m.bus.write16(SRAM_BASE + 0x102, B_SELF);
    m.cpu.setPc(0x100);
    m.cpu.step();
    expect(m.cpu.r[0]).toBe(1);
    m.bus.write32(MEMRMP, 3);
    m.cpu.setPc(0x100);
    m.cpu.step();
    expect(m.cpu.r[0]).toBe(2);
  });

  it('a system reset maps main flash at 0 again', () => {
    const m = machine();
    m.bus.write32(MEMRMP, 3);
    m.clock.cycles = 100;
    m.reset('software');
    expect(m.bus.regionAt(0)?.storageName).toBe('flash');
  });

  it('keeps a debugger watchpoint at 0 across the remap', () => {
    const m = machine();
    m.bus.setWatchpoints([{ address: 0x20, length: 4, kind: 'write' }]);
    m.bus.write32(MEMRMP, 3);
    let hit = -1;
    m.bus.onWatchHit = (a) => (hit = a);
    m.bus.write32(0x20, 1);
    expect(hit).toBe(0x20);
    expect(m.bus.read32(SRAM_BASE + 0x20)).toBe(1);
  });
});
