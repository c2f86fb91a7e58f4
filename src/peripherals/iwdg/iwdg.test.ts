import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { Rcc } from '../rcc/rcc.js';
import { testContext } from '../rcc/testing.js';
import { Iwdg } from './iwdg.js';

const IWDG_BASE = socBlock('IWDG').base;

const KR = 0x00;
const PR = 0x04;
const RLR = 0x08;
const SR = 0x0c;

function setup() {
  const t = testContext();
  const rcc = t.attach(new Rcc(socBlock('RCC'), t.ctx));
  const iwdg = t.attach(new Iwdg(socBlock('IWDG'), t.ctx, () => rcc.startLsi()));
  const rd = (off: number) => t.bus.read32(IWDG_BASE + off) >>> 0;
  const wr = (off: number, v: number) => t.bus.write32(IWDG_BASE + off, v);
  return { ...t, rcc, iwdg, rd, wr };
}

describe('IWDG', () => {
  it('has the RM0090 reset values', () => {
    const { rd } = setup();
    expect([rd(KR), rd(PR), rd(RLR), rd(SR)]).toEqual([0, 0, 0xfff, 0]);
  });

  it('resets the chip (RLR+1) LSI ticks after the start, and starts the LSI', () => {
    const { wr, advance, resets, rcc } = setup();
    expect(rcc.csr.value & 3).toBe(0);
    wr(KR, 0x5555);
    wr(PR, 0); // /4: 8 kHz, 2000 HCLK cycles per tick at 16 MHz
    wr(RLR, 99);
    wr(KR, 0xcccc);
    expect(rcc.csr.value & 3).toBe(3); // LSION, LSIRDY
    advance(100 * 2000 - 1);
    expect(resets).toEqual([]);
    advance(1);
    expect(resets).toEqual(['iwdg']);
  });

  it('reload postpones the reset', () => {
    const { wr, advance, resets, iwdg } = setup();
    wr(KR, 0x5555);
    wr(PR, 2); // /16: 8000 cycles per tick
    wr(RLR, 9); // 10 ticks = 80000 cycles
    wr(KR, 0xcccc);
    for (let i = 0; i < 5; i++) {
      advance(70_000);
      expect(iwdg.counter()).toBe(1);
      wr(KR, 0xaaaa);
    }
    expect(resets).toEqual([]);
    advance(79_999);
    expect(resets).toEqual([]);
    advance(1);
    expect(resets).toEqual(['iwdg']);
  });

  it('follows HCLK changes', () => {
    const { wr, advance, resets, clocks } = setup();
    wr(KR, 0xcccc); // /4, RLR 0xFFF: 4096 ticks of 125 µs = 512 ms
    advance(8_192_000 / 2); // 256 ms at 16 MHz
    clocks.set(32_000_000, 16_000_000, 16_000_000);
    advance(8_192_000 - 1); // 256 ms at 32 MHz, minus a cycle
    expect(resets).toEqual([]);
    advance(1);
    expect(resets).toEqual(['iwdg']);
  });

  it('protects PR and RLR unless 0x5555 was written, and reports the update', () => {
    const { wr, rd, advance } = setup();
    wr(PR, 5);
    wr(RLR, 0x123);
    expect([rd(PR), rd(RLR)]).toEqual([0, 0xfff]);
    wr(KR, 0x5555);
    wr(PR, 5);
    expect(rd(SR)).toBe(1); // PVU
    wr(RLR, 0x123);
    expect(rd(SR)).toBe(3); // PVU | RVU
    expect([rd(PR), rd(RLR)]).toEqual([5, 0x123]);
    advance(5 * 500);
    expect(rd(SR)).toBe(0);
    wr(KR, 0xaaaa); // any other key locks again
    wr(RLR, 7);
    expect(rd(RLR)).toBe(0x123);
  });

  it('cannot be stopped: only a reset does', () => {
    const { wr, advance, resets, iwdg } = setup();
    wr(KR, 0x5555);
    wr(RLR, 10);
    wr(KR, 0xcccc);
    wr(KR, 0);
    wr(KR, 0x5555);
    wr(PR, 6);
    wr(RLR, 0xfff); // takes effect at the next reload only
    advance(11 * 2000);
    expect(resets).toEqual(['iwdg']);
    iwdg.reset('iwdg');
    expect(iwdg.started).toBe(false);
    advance(10_000_000);
    expect(resets).toEqual(['iwdg']);
  });
});
