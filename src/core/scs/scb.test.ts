/**
 * Byte and halfword stores to the NVIC and SCB registers act on the bytes written only (Cortex-M3
 * TRM DDI 0337E 8.1: the NVIC and system control registers take byte, halfword and word accesses
 * unless stated otherwise). A set-enable, clear-pending or fault-status register is
 * write-one-to-set/clear: the unwritten bytes must count as zeros, not as their current value.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.js';

const ISER0 = 0xe000e100;
const ICER0 = 0xe000e180;
const ICER1 = 0xe000e184;
const ISPR0 = 0xe000e200;
const ICPR0 = 0xe000e280;
const IABR0 = 0xe000e300;
const IPR = 0xe000e400;
const SHPR2 = 0xe000ed1c;
const CFSR = 0xe000ed28;
const HFSR = 0xe000ed2c;
const DFSR = 0xe000ed30;
const STIR = 0xe000ef00;

function machine(): Machine {
  return new Machine({ warn: () => {} });
}

/** IRQ numbers set in a 32-bit NVIC register value, for readable failures. */
function irqs(word: number, base = 0): number[] {
  const out: number[] = [];
  for (let b = 0; b < 32; b++) if ((word >>> b) & 1) out.push(base + b);
  return out;
}

describe('NVIC: sub-word stores to the set/clear registers', () => {
  it('a byte store to ICER0 disables only the IRQs of that byte', () => {
    const m = machine();
    m.bus.write32(ISER0, (1 << 0) | (1 << 1) | (1 << 8) | (1 << 9) | (1 << 16) | (1 << 31));
    m.bus.write8(ICER0, 0x01); // IRQ 0
    expect(irqs(m.bus.read32(ISER0))).toEqual([1, 8, 9, 16, 31]);
    m.bus.write8(ICER0 + 1, 0x02); // IRQ 9
    expect(irqs(m.bus.read32(ISER0))).toEqual([1, 8, 16, 31]);
    m.bus.write8(ICER0 + 3, 0x80); // IRQ 31
    expect(irqs(m.bus.read32(ISER0))).toEqual([1, 8, 16]);
  });

  it('a halfword store to ICER0/ICER1 disables only the IRQs of those two bytes', () => {
    const m = machine();
    m.bus.write32(ISER0, (1 << 3) | (1 << 16) | (1 << 17) | (1 << 30));
    m.bus.write32(ISER0 + 4, (1 << 0) | (1 << 8) | (1 << 17)); // IRQs 32, 40, 49
    m.bus.write16(ICER0 + 2, 0x0001); // IRQ 16
    expect(irqs(m.bus.read32(ISER0))).toEqual([3, 17, 30]);
    m.bus.write16(ICER1, 0x0100); // IRQ 40
    expect(irqs(m.bus.read32(ISER0 + 4), 32)).toEqual([32, 49]);
  });

  it('a byte store to ICPR0 clears only the pending IRQs it names', () => {
    const m = machine();
    m.bus.write32(ISPR0, (1 << 2) | (1 << 5) | (1 << 10) | (1 << 26));
    m.bus.write8(ICPR0, 0x04); // IRQ 2
    expect(irqs(m.bus.read32(ISPR0))).toEqual([5, 10, 26]);
    m.bus.write16(ICPR0 + 2, 0x0400); // IRQ 26
    expect(irqs(m.bus.read32(ISPR0))).toEqual([5, 10]);
    expect(m.nvic.pending[16 + 5]).toBe(1);
    expect(m.nvic.pending[16 + 10]).toBe(1);
  });

  it('byte and halfword stores to ISER/ISPR set only the bits written', () => {
    const m = machine();
    m.bus.write8(ISER0 + 1, 0x01); // IRQ 8
    m.bus.write16(ISER0 + 2, 0x8000); // IRQ 31
    expect(irqs(m.bus.read32(ISER0))).toEqual([8, 31]);
    m.bus.write8(ISPR0 + 3, 0x01); // IRQ 24
    expect(irqs(m.bus.read32(ISPR0))).toEqual([24]);
    // A byte read returns the byte of the word it addresses.
    expect(m.bus.read8(ISER0 + 1)).toBe(0x01);
    expect(m.bus.read16(ISER0 + 2)).toBe(0x8000);
  });

  it('IABR ignores stores of any width; IPR takes halfwords byte by byte', () => {
    const m = machine();
    m.bus.write32(IABR0, 0xffffffff);
    m.bus.write8(IABR0 + 1, 0xff);
    expect(m.bus.read32(IABR0)).toBe(0);
    m.bus.write32(IPR + 4, 0x10203040); // IRQs 4-7
    m.bus.write16(IPR + 6, 0xa0b0); // IRQ 6 = 0xb0, IRQ 7 = 0xa0
    expect(m.bus.read32(IPR + 4) >>> 0).toBe(0xa0b03040);
  });
});

describe('SCB: sub-word stores', () => {
  it('HFSR: a byte store of FORCED clears FORCED and leaves VECTTBL', () => {
    const m = machine();
    m.scb.hfsr = (1 << 30) | (1 << 1); // FORCED, VECTTBL
    m.bus.write8(HFSR + 3, 0x40);
    expect(m.bus.read32(HFSR)).toBe(1 << 1);
    m.scb.hfsr = ((1 << 31) | (1 << 30) | (1 << 1)) >>> 0; // DEBUGEVT too
    m.bus.write16(HFSR + 2, 0x8000);
    expect(m.bus.read32(HFSR) >>> 0).toBe(((1 << 30) | (1 << 1)) >>> 0);
  });

  it('DFSR: a byte store clears only the bits it writes', () => {
    const m = machine();
    m.scb.dfsr = 0x1f; // EXTERNAL VCATCH DWTTRAP BKPT HALTED
    m.bus.write8(DFSR, 0x02); // BKPT
    expect(m.bus.read32(DFSR)).toBe(0x1d);
    // The upper bytes hold no flags: a store there writes zeros to DFSR's bits, clearing none.
    m.bus.write8(DFSR + 1, 0x00);
    m.bus.write16(DFSR + 2, 0xffff);
    expect(m.bus.read32(DFSR)).toBe(0x1d);
  });

  it('CFSR: byte and halfword stores to MMFSR/BFSR/UFSR clear only their own bits', () => {
    const m = machine();
    const IACCVIOL = 1 << 0;
    const PRECISERR = 1 << 9;
    const BFARVALID = 1 << 15;
    const UNDEFINSTR = 1 << 16;
    const DIVBYZERO = 1 << 25;
    m.scb.cfsr = IACCVIOL | PRECISERR | BFARVALID | UNDEFINSTR | DIVBYZERO;
    m.bus.write8(CFSR + 1, 0x02); // BFSR.PRECISERR
    expect(m.bus.read32(CFSR)).toBe(IACCVIOL | BFARVALID | UNDEFINSTR | DIVBYZERO);
    m.bus.write16(CFSR + 2, 0x0001); // UFSR.UNDEFINSTR
    expect(m.bus.read32(CFSR)).toBe(IACCVIOL | BFARVALID | DIVBYZERO);
    m.bus.write8(CFSR, 0xff); // MMFSR
    expect(m.bus.read32(CFSR)).toBe(BFARVALID | DIVBYZERO);
    expect(m.bus.read8(CFSR + 3)).toBe(0x02);
    expect(m.bus.read16(CFSR + 2)).toBe(0x0200);
  });

  it('read-write registers keep their unwritten bytes (VTOR, SHPR2)', () => {
    const m = machine();
    m.bus.write32(0xe000ed08, 0x08004000);
    m.bus.write16(0xe000ed08 + 2, 0x2000);
    expect(m.bus.read32(0xe000ed08) >>> 0).toBe(0x20004000);
    m.bus.write8(SHPR2 + 3, 0x80); // SVCall priority
    expect(m.nvic.priority[11]).toBe(0x80);
    expect(m.bus.read32(SHPR2) >>> 0).toBe(0x80000000);
  });

  it('STIR: a byte store triggers the IRQ in its low byte', () => {
    const m = machine();
    m.bus.write8(STIR, 7);
    expect(irqs(m.bus.read32(ISPR0))).toEqual([7]);
  });
});
