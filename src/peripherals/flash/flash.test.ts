import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { BusError } from '../../bus/bus.js';
import { testContext } from '../rcc/testing.js';
import { FLASH_KEY1, FLASH_KEY2, FLASH_OPTKEY1, FLASH_OPTKEY2, FlashInterface } from './flash.js';

const F = 0x40023c00;
const ACR = F + 0x00;
const KEYR = F + 0x04;
const OPTKEYR = F + 0x08;
const SR = F + 0x0c;
const CR = F + 0x10;
const OPTCR = F + 0x14;
const PG = 1;
const SER = 2;
const MER = 4;
const STRT = 1 << 16;
const EOPIE = 1 << 24;
const ERRIE = 1 << 25;
const BSY = 1 << 16;
const PSIZE32 = 2 << 8;

function setup() {
  const t = testContext();
  const flash = t.attach(new FlashInterface(socBlock('FLASH'), t.ctx));
  const rd = (a: number) => t.bus.read32(a) >>> 0;
  const unlock = () => {
    t.bus.write32(KEYR, FLASH_KEY1);
    t.bus.write32(KEYR, FLASH_KEY2);
  };
  const waitIdle = () => {
    for (let i = 0; i < 10_000 && rd(SR) & BSY; i++) t.advance(1000);
  };
  return { ...t, flash, rd, unlock, waitIdle };
}

describe('FLASH interface', () => {
  it('has the RM0090 reset values', () => {
    const { rd } = setup();
    expect(rd(ACR)).toBe(0);
    expect(rd(SR)).toBe(0);
    expect(rd(CR)).toBe(0x80000000);
    expect(rd(OPTCR)).toBe(0x0fffaaed);
  });

  it('stores ACR latency and cache bits', () => {
    const { bus, rd } = setup();
    bus.write32(ACR, 0x705);
    expect(rd(ACR)).toBe(0x705);
  });

  it('unlocks with the key sequence and locks until reset on a wrong key', () => {
    const { bus, rd, unlock, flash } = setup();
    bus.write32(CR, PG); // locked: ignored
    expect(rd(CR)).toBe(0x80000000);
    unlock();
    expect(rd(CR)).toBe(0);
    bus.write32(CR, 0x80000000); // LOCK
    expect(rd(CR)).toBe(0x80000000);
    bus.write32(KEYR, FLASH_KEY1);
    expect(() => bus.write32(KEYR, 0x12345678)).toThrow(BusError);
    expect(() => unlock()).toThrow(BusError);
    expect(rd(CR)).toBe(0x80000000);
    flash.reset();
    unlock();
    expect(rd(CR)).toBe(0);
  });

  it('programs words while PG is set, clearing bits only, with BSY and EOP', () => {
    const { bus, rd, unlock, waitIdle, irqs, flash } = setup();
    const changes: [number, number][] = [];
    flash.onProgram((o, n) => changes.push([o, n]));
    unlock();
    bus.write32(CR, PG | PSIZE32 | EOPIE);
    bus.write32(0x08004000, 0x12345678);
    expect(rd(SR) & BSY).toBe(BSY);
    expect(rd(0x08004000)).toBe(0x12345678);
    expect(rd(0x00004000)).toBe(0x12345678); // boot alias
    waitIdle();
    expect(rd(SR)).toBe(1); // EOP
    expect(irqs.get(4)).toBe(true);
    bus.write32(SR, 1);
    expect(irqs.get(4)).toBe(false);
    bus.write32(0x00004000, 0xffff0000); // through the alias, AND with the old contents
    waitIdle();
    expect(rd(0x08004000)).toBe(0x12340000);
    expect(changes).toEqual([
      [0x4000, 4],
      [0x4000, 4],
    ]);
  });

  it('flags parallelism, alignment and sequence errors', () => {
    const { bus, rd, unlock, irqs } = setup();
    bus.write32(0x08000000, 0); // no PG: PGSERR
    expect(rd(SR)).toBe(0x80);
    bus.write32(SR, 0xf3);
    unlock();
    bus.write32(CR, PG | PSIZE32 | ERRIE);
    bus.write16(0x08000000, 0); // x16 access with PSIZE x32
    expect(rd(SR)).toBe(0x42); // PGPERR | OPERR
    expect(irqs.get(4)).toBe(true);
    bus.write32(SR, 0xf3);
    bus.write32(CR, PG | (1 << 8));
    bus.write16(0x08000001, 0); // misaligned
    expect(rd(SR) & 0x20).toBe(0x20);
    expect(rd(0x08000000)).toBe(0xffffffff);
  });

  it('erases a sector and the whole array', () => {
    const { bus, rd, unlock, waitIdle, flash, clock } = setup();
    flash.contents.fill(0);
    unlock();
    bus.write32(CR, SER | (5 << 3) | PSIZE32); // sector 5: 0x08020000, 128 KB
    bus.write32(CR, SER | (5 << 3) | PSIZE32 | STRT);
    const start = clock.cycles;
    expect(rd(SR) & BSY).toBe(BSY);
    expect(rd(CR) & STRT).toBe(STRT);
    waitIdle();
    expect(clock.cycles - start).toBeGreaterThan(16_000_000 * 0.019);
    expect(rd(CR) & STRT).toBe(0);
    expect(rd(0x0801fffc)).toBe(0);
    expect(rd(0x08020000)).toBe(0xffffffff);
    expect(rd(0x0803fffc)).toBe(0xffffffff);
    expect(rd(0x08040000)).toBe(0);
    bus.write32(CR, MER | STRT);
    waitIdle();
    expect(rd(0x08000000)).toBe(0xffffffff);
    expect(rd(0x080ffffc)).toBe(0xffffffff);
  });

  it('refuses writes to write-protected sectors and reloads OPTCR from the option bytes', () => {
    const { bus, rd, unlock, waitIdle, flash } = setup();
    bus.write32(OPTCR, 0); // locked
    expect(rd(OPTCR)).toBe(0x0fffaaed);
    bus.write32(OPTKEYR, FLASH_OPTKEY1);
    bus.write32(OPTKEYR, FLASH_OPTKEY2);
    expect(rd(OPTCR)).toBe(0x0fffaaec);
    bus.write32(OPTCR, 0x0ffeaaec); // protect sector 0
    bus.write32(OPTCR, 0x0ffeaaee); // OPTSTRT
    waitIdle();
    expect(rd(OPTCR)).toBe(0x0ffeaaec);
    flash.reset();
    expect(rd(OPTCR)).toBe(0x0ffeaaed);
    unlock();
    bus.write32(CR, PG | PSIZE32);
    bus.write32(0x08000000, 0);
    expect(rd(SR) & 0x10).toBe(0x10); // WRPERR
    expect(rd(0x08000000)).toBe(0xffffffff);
  });

  it('loads saved contents', () => {
    const { rd, flash } = setup();
    flash.loadContents(new Uint8Array([1, 2, 3, 4, 5]));
    expect(rd(0x08000000)).toBe(0x04030201);
    expect(rd(0x08000004)).toBe(0xffffff05);
  });

  it('programs the OTP area', () => {
    const { bus, rd, unlock } = setup();
    unlock();
    bus.write32(CR, PG | PSIZE32);
    bus.write32(0x1fff7800, 0xa5a5a5a5);
    expect(rd(0x1fff7800)).toBe(0xa5a5a5a5);
  });

  it('warns once when HCLK outruns the configured wait states', () => {
    const { bus, clocks, warnings } = setup();
    bus.write32(ACR, 5);
    clocks.set(168_000_000, 42_000_000, 84_000_000);
    expect(warnings).toEqual([]);
    bus.write32(ACR, 0);
    clocks.set(16_000_000, 16_000_000, 16_000_000);
    clocks.set(168_000_000, 42_000_000, 84_000_000);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/LATENCY/);
  });
});
