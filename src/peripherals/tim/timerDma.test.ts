import { describe, expect, it } from 'vitest';
import { TIMER_BLOCKS, socBlock } from '../../machine/soc/stm32f407Map.js';
import { DMA_USART_REQUESTS, DmaController } from '../dma/dma.js';
import { DMA_I2C_REQUESTS } from '../i2c/i2c.js';
import { DMA_SPI_REQUESTS } from '../spi/spi.js';
import { testContext } from '../rcc/testing.js';
import { Timer } from './timer.js';
import { TIMER_DMA_REQUESTS, connectTimerDma } from './timerDma.js';

const DMA1 = 0x40026000;
const DMA2 = 0x40026400;
const CR = (x: number) => 0x10 + 0x18 * x;
const NDTR = (x: number) => 0x14 + 0x18 * x;
const PAR = (x: number) => 0x18 + 0x18 * x;
const M0AR = (x: number) => 0x1c + 0x18 * x;
const EN = 1;
const M2P = 1 << 6;
const MINC = 1 << 10;
const HALF = (1 << 11) | (1 << 13); // PSIZE = MSIZE = 16 bits
const CHSEL = (c: number) => c << 25;

// Timer registers
const CR1 = 0x00;
const CR2 = 0x04;
const DIER = 0x0c;
const EGR = 0x14;
const CNT = 0x24;
const ARR = 0x2c;
const CCR1 = 0x34;
const DCR = 0x48;
const DMAR = 0x4c;
const UDE = 1 << 8;
const CC1DE = 1 << 9;
const COMDE = 1 << 13;
const TDE = 1 << 14;
const MEM = 0x20000100;

function setup() {
  const t = testContext();
  const dmas = [
    t.attach(new DmaController(socBlock('DMA1'), t.ctx)),
    t.attach(new DmaController(socBlock('DMA2'), t.ctx)),
  ];
  const timers = TIMER_BLOCKS.map((name) => t.attach(new Timer(socBlock(name), t.ctx)));
  connectTimerDma(dmas, timers);
  const tim = (name: string) => {
    const timer = timers.find((x) => x.name === name)!;
    return {
      rd: (off: number) => t.bus.read32(timer.base + off) >>> 0,
      wr: (off: number, v: number) => t.bus.write32(timer.base + off, v),
      base: timer.base,
    };
  };
  /** Programs and enables stream `x` of `dma` on `channel`. */
  const stream = (dma: number, x: number, channel: number, par: number, n: number, cr: number) => {
    t.bus.write32(dma + PAR(x), par);
    t.bus.write32(dma + M0AR(x), MEM);
    t.bus.write32(dma + NDTR(x), n);
    t.bus.write32(dma + CR(x), cr | CHSEL(channel) | EN);
  };
  const ndtr = (dma: number, x: number) => t.bus.read32(dma + NDTR(x));
  const half = (i: number) => t.bus.read16(MEM + 2 * i);
  const setHalves = (v: number[]) => v.forEach((h, i) => t.bus.write16(MEM + 2 * i, h));
  return { ...t, tim, stream, ndtr, half, setHalves };
}

describe('timer DMA requests (RM0090 tables 42/43)', () => {
  it('UDE: one transfer per update event (TIM4_UP on DMA1 stream 6 channel 2)', () => {
    const t = setup();
    const tim4 = t.tim('TIM4');
    t.setHalves([11, 22, 33, 44]);
    t.stream(DMA1, 6, 2, tim4.base + CCR1, 4, M2P | MINC | HALF);
    tim4.wr(ARR, 99);
    tim4.wr(DIER, UDE);
    tim4.wr(CR1, 1);
    t.advance(99);
    expect(t.ndtr(DMA1, 6)).toBe(4);
    t.advance(1 + 10); // the update event, and the DMA's request latency
    expect(t.ndtr(DMA1, 6)).toBe(3); // one item, not the whole buffer: the request was served
    expect(tim4.rd(CCR1)).toBe(11);
    t.advance(300);
    expect(t.ndtr(DMA1, 6)).toBe(0);
    expect(tim4.rd(CCR1)).toBe(44);
    t.advance(500); // stream done: later requests wait
    expect(tim4.rd(CCR1)).toBe(44);
  });

  it('CCxDE at the compare match, or at the update event with CCDS (TIM2_CH1, DMA1 S5 C3)', () => {
    for (const [ccds, when] of [
      [0, 50],
      [1, 0],
    ] as const) {
      const t = setup();
      const tim2 = t.tim('TIM2');
      // Peripheral to memory: the counter value when the request is served.
      t.stream(DMA1, 5, 3, tim2.base + CNT, 1, MINC | HALF);
      tim2.wr(ARR, 99);
      tim2.wr(CCR1, 50);
      tim2.wr(CR2, ccds << 3);
      tim2.wr(DIER, CC1DE);
      tim2.wr(CR1, 1);
      t.advance(150);
      expect(t.ndtr(DMA1, 5)).toBe(0);
      const cnt = t.half(0);
      expect(cnt).toBeGreaterThanOrEqual(when);
      expect(cnt).toBeLessThan(when + 10);
    }
  });

  it('DCR/DMAR burst: DBL+1 transfers from one update event (TIM1_UP, DMA2 S5 C6)', () => {
    const t = setup();
    const tim1 = t.tim('TIM1');
    t.setHalves([199, 3, 77, 0x5555]);
    t.stream(DMA2, 5, 6, tim1.base + DMAR, 3, M2P | MINC | HALF);
    tim1.wr(DCR, (2 << 8) | (ARR >>> 2)); // DBA = ARR, DBL = 2: ARR, RCR, CCR1
    tim1.wr(DIER, UDE);
    tim1.wr(EGR, 1); // UG: an update event
    t.advance(50);
    expect(t.ndtr(DMA2, 5)).toBe(0);
    expect([tim1.rd(ARR), tim1.rd(0x30), tim1.rd(CCR1)]).toEqual([199, 3, 77]);
    expect(tim1.rd(0x38)).toBe(0); // CCR2: past the burst
  });

  it('COMDE and TDE (TIM8_CH4/TRIG/COM on DMA2 S7 C7), TIM1_TRIG on DMA2 S0 C6', () => {
    const t = setup();
    const tim8 = t.tim('TIM8');
    t.setHalves([5, 6, 7]);
    t.stream(DMA2, 7, 7, tim8.base + CCR1, 3, M2P | MINC | HALF);
    tim8.wr(EGR, 1 << 5); // COMG without COMDE: no request
    t.advance(20);
    expect(t.ndtr(DMA2, 7)).toBe(3);
    tim8.wr(DIER, COMDE | TDE);
    tim8.wr(EGR, 1 << 5);
    t.advance(20);
    expect([t.ndtr(DMA2, 7), tim8.rd(CCR1)]).toEqual([2, 5]);
    tim8.wr(EGR, 1 << 6); // TG
    t.advance(20);
    expect([t.ndtr(DMA2, 7), tim8.rd(CCR1)]).toEqual([1, 6]);
    const tim1 = t.tim('TIM1');
    t.stream(DMA2, 0, 6, tim1.base + CCR1, 1, M2P | MINC | HALF);
    tim1.wr(DIER, TDE);
    tim1.wr(EGR, 1 << 6);
    t.advance(20);
    expect([t.ndtr(DMA2, 0), tim1.rd(CCR1)]).toEqual([0, 5]);
  });

  it('URS: UG raises no update DMA request', () => {
    const t = setup();
    const tim3 = t.tim('TIM3');
    t.stream(DMA1, 2, 5, tim3.base + CCR1, 1, M2P | HALF); // TIM3_CH4/UP
    tim3.wr(DIER, UDE);
    tim3.wr(CR1, 1 << 2); // URS
    tim3.wr(EGR, 1);
    t.advance(20);
    expect(t.ndtr(DMA1, 2)).toBe(1);
    tim3.wr(CR1, 0);
    tim3.wr(EGR, 1);
    t.advance(20);
    expect(t.ndtr(DMA1, 2)).toBe(0);
  });

  it('no stream and channel is given both to a timer and to another peripheral', () => {
    const others = [
      ...DMA_USART_REQUESTS.map((r) => `${r.dma} ${r.stream} ${r.channel}`),
      ...DMA_SPI_REQUESTS.map((r) => `${r.dma} ${r.stream} ${r.channel}`),
      ...DMA_I2C_REQUESTS.map((r) => `DMA1 ${r.stream} ${r.channel}`),
    ];
    const timers = TIMER_DMA_REQUESTS.map((r) => `${r.dma} ${r.stream} ${r.channel}`);
    expect(timers.filter((k) => others.includes(k))).toEqual([]);
    expect(new Set(timers).size).toBe(timers.length);
    expect(timers.length).toBe(35);
  });
});
