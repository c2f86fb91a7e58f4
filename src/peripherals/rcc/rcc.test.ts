import { describe, expect, it } from 'vitest';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { HSE_STARTUP_CYCLES, PLL_LOCK_CYCLES, Rcc } from './rcc.js';
import { testContext } from './testing.js';

const RCC = 0x40023800;
const CR = RCC + 0x00;
const PLLCFGR = RCC + 0x04;
const CFGR = RCC + 0x08;
const CIR = RCC + 0x0c;
const CSR = RCC + 0x74;

function setup() {
  const t = testContext();
  const rcc = t.attach(new Rcc(socBlock('RCC'), t.ctx));
  return { ...t, rcc };
}

describe('RCC', () => {
  it('has the RM0090 reset values', () => {
    const { bus } = setup();
    const expected: [number, number][] = [
      [0x00, 0x00000083],
      [0x04, 0x24003010],
      [0x08, 0],
      [0x0c, 0],
      [0x10, 0],
      [0x30, 0x00100000],
      [0x40, 0],
      [0x50, 0x7e6791ff],
      [0x54, 0x000000f1],
      [0x58, 0x00000001],
      [0x60, 0x36fec9ff],
      [0x64, 0x00075f33],
      [0x70, 0],
      [0x74, 0x0e000000],
      [0x80, 0],
      [0x84, 0x20003000],
    ];
    for (const [off, v] of expected) expect(bus.read32(RCC + off) >>> 0, `offset ${off}`).toBe(v);
  });

  it('starts HSE after a virtual delay and keeps HSI running while it is SYSCLK', () => {
    const { bus, advance } = setup();
    bus.write32(CR, bus.read32(CR) | (1 << 16));
    expect(bus.read32(CR) & (1 << 17)).toBe(0);
    advance(HSE_STARTUP_CYCLES);
    expect(bus.read32(CR) & (1 << 17)).not.toBe(0);
    expect(bus.read32(CIR) & (1 << 3)).not.toBe(0); // HSERDYF
    bus.write32(CIR, 1 << 19); // HSERDYC
    expect(bus.read32(CIR) & (1 << 3)).toBe(0);
    bus.write32(CR, 1 << 16); // try to switch HSI off: it feeds SYSCLK
    expect(bus.read32(CR) & 3).toBe(3);
  });

  it('runs at 168 MHz from the 8 MHz HSE like a real startup', () => {
    const { bus, advance, clocks } = setup();
    bus.write32(CR, bus.read32(CR) | (1 << 16));
    advance(HSE_STARTUP_CYCLES);
    // PLLM=8, PLLN=336, PLLP=2 (00), PLLSRC=HSE, PLLQ=7
    bus.write32(PLLCFGR, 8 | (336 << 6) | (0 << 16) | (1 << 22) | (7 << 24));
    // AHB /1, APB1 /4, APB2 /2
    bus.write32(CFGR, (5 << 10) | (4 << 13));
    expect(clocks.pclk1).toBe(4_000_000);
    bus.write32(CR, bus.read32(CR) | (1 << 24));
    bus.write32(CFGR, bus.read32(CFGR) | 2); // SW=PLL before lock: SWS stays HSI
    expect((bus.read32(CFGR) >>> 2) & 3).toBe(0);
    advance(PLL_LOCK_CYCLES);
    expect(bus.read32(CR) & (1 << 25)).not.toBe(0);
    expect((bus.read32(CFGR) >>> 2) & 3).toBe(2);
    expect(clocks.hclk).toBe(168_000_000);
    expect(clocks.pclk1).toBe(42_000_000);
    expect(clocks.pclk2).toBe(84_000_000);
    expect(clocks.timerClock(1)).toBe(84_000_000);
    // The PLL feeding SYSCLK cannot be switched off.
    bus.write32(CR, bus.read32(CR) & ~(1 << 24));
    expect(bus.read32(CR) & (1 << 25)).not.toBe(0);
    // Back to HSI, with an AHB prescaler.
    bus.write32(CFGR, (0b1000 << 4) | 0);
    expect(clocks.hclk).toBe(8_000_000);
  });

  it('switches to HSE and divides by HPRE/PPRE', () => {
    const { bus, advance, clocks } = setup();
    bus.write32(CR, bus.read32(CR) | (1 << 16));
    bus.write32(CFGR, 1 | (0b1001 << 4) | (7 << 10));
    expect(clocks.hclk).toBe(4_000_000); // still HSI (HSE not ready), /4
    advance(HSE_STARTUP_CYCLES);
    expect(clocks.hclk).toBe(2_000_000);
    expect(clocks.pclk1).toBe(125_000);
  });

  it('write-protects BDCR (backup domain) until PWR_CR.DBP, with a warning', () => {
    const { bus, rcc, warnings } = setup();
    let dbp = false;
    rcc.backupWritable = () => dbp;
    const BDCR = RCC + 0x70;
    bus.write32(BDCR, 1 | (1 << 8) | (1 << 15)); // LSEON, RTCSEL = LSE, RTCEN
    expect(bus.read32(BDCR)).toBe(0);
    expect(warnings.join('\n')).toMatch(/BDCR write ignored: .*set PWR_CR\.DBP/);
    dbp = true;
    bus.write32(BDCR, 1 | (1 << 8) | (1 << 15));
    expect(bus.read32(BDCR) >>> 0).toBe(1 | (1 << 8) | (1 << 15));
  });

  it('keeps reset flags across a software reset until RMVF', () => {
    const { bus, rcc, clock } = setup();
    expect(bus.read32(CSR) >>> 0).toBe(0x0e000000);
    bus.write32(CSR, 1 << 24); // RMVF
    expect(bus.read32(CSR) >>> 0).toBe(0);
    clock.cycles = 1000;
    rcc.reset('software');
    expect(bus.read32(CSR) >>> 0).toBe(((1 << 28) | (1 << 26)) >>> 0); // SFTRSTF | PINRSTF
    rcc.reset('power-on');
    expect(bus.read32(CSR) >>> 0).toBe(0x0e000000);
    bus.write32(CSR, 1); // LSION
    expect(bus.read32(CSR) & 3).toBe(3);
  });

  it('raises the RCC interrupt for enabled ready flags', () => {
    const { bus, advance, irqs } = setup();
    bus.write32(CIR, 1 << 11); // HSERDYIE
    bus.write32(CR, bus.read32(CR) | (1 << 16));
    advance(HSE_STARTUP_CYCLES);
    expect(irqs.get(5)).toBe(true);
    bus.write32(CIR, (1 << 11) | (1 << 19));
    expect(irqs.get(5)).toBe(false);
  });
});
