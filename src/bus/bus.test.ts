import { describe, expect, it } from 'vitest';
import { Machine } from '../machine/machine.js';
import { B_SELF, CODE, NOP, machineWithVectors, movs, place } from '../../test/helpers/machine.js';

const SRAM = 0x20000000;

describe('STM32F407 memory map', () => {
  it('aliases flash at 0 and keeps it read-only to plain stores (one warning)', () => {
    const warnings: string[] = [];
    const m = new Machine({ warn: (w) => warnings.push(w) });
    m.bus.poke8(0x08000010, 0x5a);
    expect(m.bus.read8(0x00000010)).toBe(0x5a);
    m.bus.write32(0x08000010, 0);
    m.bus.write8(0x00000011, 0);
    expect(m.bus.read8(0x08000010)).toBe(0x5a);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/read-only flash/);
  });

  it('maps SRAM1+SRAM2 (128 KB), CCM (64 KB) and backup SRAM; nothing past them', () => {
    const m = new Machine();
    m.bus.write32(0x2001fffc, 0x11223344);
    expect(m.bus.read32(0x2001fffc)).toBe(0x11223344);
    m.bus.write32(0x1000fffc, 0x55667788);
    expect(m.bus.read32(0x1000fffc)).toBe(0x55667788);
    m.bus.write16(0x40024ffe, 0xbeef);
    expect(m.bus.read16(0x40024ffe)).toBe(0xbeef);
    expect(() => m.bus.read32(0x20020000)).toThrow();
    expect(() => m.bus.read32(0x10010000)).toThrow();
  });

  it('reads and writes unaligned words little-endian, across a page boundary', () => {
    const m = new Machine();
    m.bus.write32(0x2000fffe, 0xa1b2c3d4);
    expect(m.bus.read8(0x2000fffe)).toBe(0xd4);
    expect(m.bus.read8(0x20010001)).toBe(0xa1);
    expect(m.bus.read32(0x2000fffe)).toBe(0xa1b2c3d4);
  });

  it("the core's unaligned accesses: bytes in a page and across pages, watchpoints, flash and code", () => {
    const m = new Machine({ warn: () => {} });
    const bus = m.bus;
    bus.coreWrite32(0x20000101, 0xa1b2c3d4);
    bus.coreWrite16(0x20000107, 0xe5f6);
    expect(
      [0x100, 0x101, 0x102, 0x103, 0x104, 0x107, 0x108].map((o) => bus.read8(SRAM + o)),
    ).toEqual([0, 0xd4, 0xc3, 0xb2, 0xa1, 0xf6, 0xe5]);
    expect(bus.coreRead32(0x20000101)).toBe(0xa1b2c3d4);
    expect(bus.coreRead32(0x20000103)).toBe(0x00a1b2); // [0x103..0x106]
    expect(bus.coreRead16(0x20000107)).toBe(0xe5f6);
    expect(bus.coreRead16(0x20000103)).toBe(0xa1b2);
    // The page's last bytes: inside it, then across the boundary (the shared slow path).
    bus.coreWrite32(0x2000fffc + 1, 0x11223344);
    expect(bus.coreRead32(0x2000fffd)).toBe(0x11223344);
    expect(bus.read8(0x20010000)).toBe(0x11);
    bus.coreWrite16(0x2000ffff, 0x5566);
    expect(bus.coreRead16(0x2000ffff)).toBe(0x5566);
    expect(bus.read8(0x20010000)).toBe(0x55);
    // Flash is read unaligned, never written by a store.
    bus.poke8(0x08000101, 0x78);
    bus.poke8(0x08000102, 0x56);
    expect(bus.coreRead16(0x08000101)).toBe(0x5678);
    bus.coreWrite16(0x08000101, 0);
    expect(bus.coreRead16(0x08000101)).toBe(0x5678);
    // A watched page is off the fast path: the unaligned access is seen.
    const hits: string[] = [];
    bus.setWatchpoints(
      [
        {
          address: 0x20000104,
          length: 4,
          kind: 'access',
          onHit: (a, n, w) => hits.push(`${a.toString(16)} ${n} ${w}`),
        },
      ],
      'dwt',
    );
    expect(bus.coreRead32(0x20000103)).toBe(0x00a1b2);
    bus.coreWrite16(0x20000105, 0);
    expect(hits).toEqual(['20000103 4 false', '20000105 2 true']);
    bus.setWatchpoints([], 'dwt');
    // An unaligned store into code the translator or decode cache holds is a code write.
    const writes: string[] = [];
    const old = bus.onCodeWrite;
    bus.onCodeWrite = (a, n) => {
      writes.push(`${a.toString(16)} ${n}`);
      old(a, n);
    };
    bus.codePages[0x2000] = 1;
    bus.coreWrite32(0x20000201, 0);
    expect(writes).toEqual(['20000201 4']);
  });

  it('bit-band aliases address single bits of SRAM', () => {
    const m = new Machine();
    m.bus.write32(0x20000100, 0);
    m.bus.write32(0x22000000 + 0x100 * 32 + 5 * 4, 1); // bit 5 of byte 0x20000100
    m.bus.write32(0x22000000 + 0x101 * 32 + 7 * 4, 1); // bit 7 of byte 0x20000101
    expect(m.bus.read32(0x20000100)).toBe(0x8020);
    expect(m.bus.read32(0x22000000 + 0x100 * 32 + 5 * 4)).toBe(1);
    m.bus.write32(0x22000000 + 0x100 * 32 + 5 * 4, 0);
    expect(m.bus.read32(0x20000100)).toBe(0x8000);
  });

  it('an unmapped load from code is a precise BusFault with BFAR', () => {
    // ldr r0, [r1]
    const m = machineWithVectors([0x6808, B_SELF]);
    m.bus.write32(0xe000ed24, 1 << 17); // BUSFAULTENA
    m.cpu.r[1] = 0x60000000;
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(5);
    expect(m.bus.read32(0xe000ed28)).toBe((1 << 9) | (1 << 15)); // PRECISERR | BFARVALID
    expect(m.bus.read32(0xe000ed38) >>> 0).toBe(0x60000000);
    expect(m.bus.read32(m.cpu.r[13]! + 24)).toBe(CODE); // return address: the faulting LDR
  });

  it('executing from the peripheral region is a MemManage IACCVIOL', () => {
    const m = machineWithVectors([NOP]);
    m.bus.write32(0xe000ed24, 1 << 16); // MEMFAULTENA
    m.cpu.setPc(0x40000000);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(4);
    expect(m.bus.read32(0xe000ed28) & 1).toBe(1);
  });
});

describe('predecode cache', () => {
  it('sees code rewritten in RAM (self-modifying code, trampolines)', () => {
    const m = machineWithVectors([movs(0, 1), B_SELF]);
    m.cpu.step();
    expect(m.cpu.r[0]).toBe(1);
    place(m, CODE, [movs(0, 2)]);
    m.cpu.setPc(CODE);
    m.cpu.step();
    expect(m.cpu.r[0]).toBe(2);
    // A store that overwrites the second half of a 32-bit instruction invalidates it too.
    place(m, CODE + 4, [0xf04f, 0x0005]); // mov.w r0, #5
    m.cpu.setPc(CODE + 4);
    m.cpu.step();
    expect(m.cpu.r[0]).toBe(5);
    m.bus.write16(CODE + 6, 0x0007); // mov.w r0, #7
    m.cpu.setPc(CODE + 4);
    m.cpu.step();
    expect(m.cpu.r[0]).toBe(7);
  });
});
