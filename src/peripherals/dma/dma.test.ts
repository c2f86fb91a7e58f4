import { describe, expect, it } from 'vitest';
import { testContext } from '../rcc/testing.js';
import { USART_BLOCKS, socBlock } from '../../machine/soc/stm32f407Map.js';
import { Usart } from '../usart/usart.js';
import {
  DMA_USART_REQUESTS,
  DmaController,
  M2M_ITEM_CYCLES,
  REQUEST_CYCLES,
  connectUsartDma,
  dmaControllers,
} from './dma.js';

const DMA1 = 0x40026000;
const DMA2 = 0x40026400;
const LISR = 0x00;
const HISR = 0x04;
const LIFCR = 0x08;
const HIFCR = 0x0c;
const CR = (x: number) => 0x10 + 0x18 * x;
const NDTR = (x: number) => 0x14 + 0x18 * x;
const PAR = (x: number) => 0x18 + 0x18 * x;
const M0AR = (x: number) => 0x1c + 0x18 * x;
const M1AR = (x: number) => 0x20 + 0x18 * x;
const FCR = (x: number) => 0x24 + 0x18 * x;

// SxCR
const EN = 1 << 0;
const TEIE = 1 << 2;
const HTIE = 1 << 3;
const TCIE = 1 << 4;
const P2M = 0 << 6;
const M2P = 1 << 6;
const M2M = 2 << 6;
const CIRC = 1 << 8;
const PINC = 1 << 9;
const MINC = 1 << 10;
const PSIZE = (s: 1 | 2 | 4) => (s >> 1) << 11;
const MSIZE = (s: 1 | 2 | 4) => (s >> 1) << 13;
const DBM = 1 << 18;
const CT = 1 << 19;
const CHSEL = (c: number) => c << 25;
// SxFCR
const DMDIS = 1 << 2;
// Flags of stream 0 (shift for the others: 0, 6, 16, 22)
const FEIF = 1 << 0;
const TEIF = 1 << 3;
const HTIF = 1 << 4;
const TCIF = 1 << 5;
const SHIFT = [0, 6, 16, 22];

const SRC = 0x20000100;
const DST = 0x20000400;

function setup() {
  const t = testContext();
  const dma1 = t.attach(new DmaController(socBlock('DMA1'), t.ctx));
  const dma2 = t.attach(new DmaController(socBlock('DMA2'), t.ctx));
  const bytes = (addr: number, n: number) =>
    Array.from({ length: n }, (_, i) => t.bus.read8(addr + i));
  const fill = (addr: number, data: number[]) => data.forEach((b, i) => t.bus.write8(addr + i, b));
  return { ...t, dma1, dma2, bytes, fill };
}

type Setup = ReturnType<typeof setup>;

/** Programs DMA2 stream `x` for memory-to-memory and enables it. */
function m2m(t: Setup, x: number, n: number, cr: number, base = DMA2): void {
  t.bus.write32(base + PAR(x), SRC);
  t.bus.write32(base + M0AR(x), DST);
  t.bus.write32(base + NDTR(x), n);
  t.bus.write32(base + CR(x), cr | M2M);
  t.bus.write32(base + CR(x), cr | M2M | EN);
}

const pattern = (n: number) => Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff);

describe('DMA controllers', () => {
  it('has the RM0090 addresses, interrupts and reset values', () => {
    const t = setup();
    expect([t.dma1, t.dma2].map((d) => [d.name, d.base, [...d.streamIrqs]])).toEqual([
      ['DMA1', DMA1, [11, 12, 13, 14, 15, 16, 17, 47]],
      ['DMA2', DMA2, [56, 57, 58, 59, 60, 68, 69, 70]],
    ]);
    for (const base of [DMA1, DMA2]) {
      expect(t.bus.read32(base + LISR)).toBe(0);
      expect(t.bus.read32(base + HISR)).toBe(0);
      for (let x = 0; x < 8; x++) {
        for (const off of [CR(x), NDTR(x), PAR(x), M0AR(x), M1AR(x)]) {
          expect(t.bus.read32(base + off)).toBe(0);
        }
        expect(t.bus.read32(base + FCR(x))).toBe(0x21);
      }
    }
    t.bus.write32(DMA2 + CR(3), 0xffffffff & ~EN);
    expect(t.bus.read32(DMA2 + CR(3))).toBe(0x0fefffff & ~EN); // bits 31:28 and 20 reserved
    t.bus.write32(DMA2 + NDTR(3), 0xffffffff);
    expect(t.bus.read32(DMA2 + NDTR(3))).toBe(0xffff);
    t.bus.write32(DMA2 + FCR(3), 0xffffffff);
    expect(t.bus.read32(DMA2 + FCR(3))).toBe(0x87 | (4 << 3)); // FS: FIFO empty
  });

  it('maps the USART requests as RM0090 tables 42 and 43', () => {
    const row = (d: string, s: number, c: number) =>
      DMA_USART_REQUESTS.filter((m) => m.dma === d && m.stream === s && m.channel === c).map(
        (m) => `${m.usart}_${m.request.toUpperCase()}`,
      );
    expect(row('DMA1', 6, 4)).toEqual(['USART2_TX']);
    expect(row('DMA1', 5, 4)).toEqual(['USART2_RX']);
    expect(row('DMA1', 4, 7)).toEqual(['USART3_TX']);
    expect(row('DMA1', 0, 4)).toEqual(['UART5_RX']);
    expect(row('DMA2', 7, 4)).toEqual(['USART1_TX']);
    expect(row('DMA2', 6, 5)).toEqual(['USART6_TX']);
    expect(DMA_USART_REQUESTS).toHaveLength(16);
  });

  it('copies bytes memory to memory over virtual time, NDTR counting down', () => {
    const t = setup();
    t.fill(SRC, pattern(8));
    m2m(t, 0, 8, PINC | MINC | PSIZE(1) | MSIZE(1));
    expect(t.bytes(DST, 8)).toEqual(Array(8).fill(0)); // not instantly at EN
    t.advance(3 * M2M_ITEM_CYCLES);
    expect(t.bus.read32(DMA2 + NDTR(0))).toBe(5);
    expect(t.bytes(DST, 4)).toEqual([...pattern(3), 0]);
    expect(t.bus.read32(DMA2 + CR(0)) & EN).toBe(EN);
    t.advance(5 * M2M_ITEM_CYCLES);
    expect(t.bytes(DST, 9)).toEqual([...pattern(8), 0]);
    expect(t.bus.read32(DMA2 + NDTR(0))).toBe(0);
    expect(t.bus.read32(DMA2 + CR(0)) & EN).toBe(0);
    expect(t.bus.read32(DMA2 + LISR)).toBe(TCIF | HTIF);
    // DMDIS is forced in memory-to-memory mode.
    expect(t.bus.read32(DMA2 + FCR(0)) & DMDIS).toBe(DMDIS);
  });

  it('copies half-words and words, with and without PINC/MINC', () => {
    const t = setup();
    t.fill(SRC, pattern(16));
    m2m(t, 1, 4, PINC | MINC | PSIZE(2) | MSIZE(2));
    t.advance(4 * M2M_ITEM_CYCLES);
    expect(t.bytes(DST, 10)).toEqual([...pattern(8), 0, 0]);
    m2m(t, 2, 4, PINC | MINC | PSIZE(4) | MSIZE(4));
    t.advance(4 * M2M_ITEM_CYCLES);
    expect(t.bytes(DST, 16)).toEqual(pattern(16));
    // Fixed source (PINC=0): a fill.
    m2m(t, 3, 3, MINC | PSIZE(4) | MSIZE(4));
    t.advance(3 * M2M_ITEM_CYCLES);
    expect(t.bytes(DST, 12)).toEqual([...pattern(4), ...pattern(4), ...pattern(4)]);
    // Fixed destination (MINC=0): the last word wins.
    m2m(t, 4, 3, PINC | PSIZE(4) | MSIZE(4));
    t.advance(3 * M2M_ITEM_CYCLES);
    expect(t.bytes(DST, 4)).toEqual(pattern(12).slice(8));
  });

  it('packs and unpacks through the FIFO when PSIZE and MSIZE differ', () => {
    const t = setup();
    t.fill(SRC, pattern(8));
    // Bytes in, words out: NDTR counts the 8 bytes, memory sees two word writes.
    m2m(t, 0, 8, PINC | MINC | PSIZE(1) | MSIZE(4));
    t.advance(3 * M2M_ITEM_CYCLES);
    expect(t.bytes(DST, 4)).toEqual([0, 0, 0, 0]); // three bytes wait in the FIFO
    expect((t.bus.read32(DMA2 + FCR(0)) >>> 3) & 7).toBe(0); // FS: under a quarter full
    t.advance(M2M_ITEM_CYCLES);
    expect(t.bytes(DST, 4)).toEqual(pattern(4));
    t.advance(4 * M2M_ITEM_CYCLES);
    expect(t.bytes(DST, 8)).toEqual(pattern(8));
    // Words in, half-words out.
    t.fill(DST, Array(16).fill(0));
    m2m(t, 1, 2, PINC | MINC | PSIZE(4) | MSIZE(2));
    t.advance(2 * M2M_ITEM_CYCLES);
    expect(t.bytes(DST, 9)).toEqual([...pattern(8), 0]);
  });

  it('raises HTIF and TCIF with their interrupt line, cleared through LIFCR/HIFCR', () => {
    const t = setup();
    t.fill(SRC, pattern(4));
    m2m(t, 5, 4, PINC | MINC | HTIE | TCIE);
    t.advance(M2M_ITEM_CYCLES);
    expect(t.irqs.get(68)).toBeFalsy();
    t.advance(M2M_ITEM_CYCLES);
    expect(t.bus.read32(DMA2 + HISR)).toBe(HTIF << SHIFT[1]!);
    expect(t.irqs.get(68)).toBe(true);
    t.bus.write32(DMA2 + LIFCR, 0xffffffff); // the other register: no effect
    expect(t.irqs.get(68)).toBe(true);
    t.bus.write32(DMA2 + HIFCR, HTIF << SHIFT[1]!);
    expect(t.irqs.get(68)).toBe(false);
    t.advance(2 * M2M_ITEM_CYCLES);
    expect(t.dma2.flags(5)).toBe(TCIF);
    expect(t.irqs.get(68)).toBe(true);
    expect(t.bus.read32(DMA2 + HIFCR)).toBe(0); // write-only
    t.bus.write32(DMA2 + HIFCR, TCIF << SHIFT[1]!);
    expect(t.bus.read32(DMA2 + HISR)).toBe(0);
    expect(t.irqs.get(68)).toBe(false);
    // Stream 2 of DMA2: LISR bits 16-21, NVIC 58.
    m2m(t, 2, 1, TCIE);
    t.advance(M2M_ITEM_CYCLES);
    expect(t.bus.read32(DMA2 + LISR)).toBe((TCIF | HTIF) << SHIFT[2]!);
    expect(t.irqs.get(58)).toBe(true);
    t.bus.write8(DMA2 + LIFCR + 2, TCIF | HTIF);
    expect(t.irqs.get(58)).toBe(false);
  });

  it('ignores configuration writes while enabled; EN=0 stops after the current item', () => {
    const t = setup();
    t.fill(SRC, pattern(8));
    m2m(t, 0, 8, PINC | MINC | PSIZE(1) | MSIZE(1));
    const cr = t.bus.read32(DMA2 + CR(0));
    t.bus.write32(DMA2 + CR(0), EN | TCIE | (1 << 11)); // PSIZE change ignored, TCIE taken
    expect(t.bus.read32(DMA2 + CR(0))).toBe(cr | TCIE);
    t.bus.write32(DMA2 + NDTR(0), 100);
    t.bus.write32(DMA2 + PAR(0), 0x20001000);
    t.bus.write32(DMA2 + M0AR(0), 0x20001000);
    t.bus.write32(DMA2 + FCR(0), 0);
    expect(t.bus.read32(DMA2 + NDTR(0))).toBe(8);
    expect(t.bus.read32(DMA2 + PAR(0))).toBe(SRC);
    expect(t.bus.read32(DMA2 + M0AR(0))).toBe(DST);
    expect(t.bus.read32(DMA2 + FCR(0)) & 7).toBe(DMDIS | 1);
    t.advance(2 * M2M_ITEM_CYCLES + 1);
    t.bus.write32(DMA2 + CR(0), cr & ~EN);
    expect(t.bus.read32(DMA2 + CR(0)) & EN).toBe(EN); // until the item in flight is done
    t.advance(M2M_ITEM_CYCLES);
    expect(t.bus.read32(DMA2 + CR(0)) & EN).toBe(0);
    expect(t.bus.read32(DMA2 + NDTR(0))).toBe(5);
    expect(t.bytes(DST, 4)).toEqual([...pattern(3), 0]);
    expect(t.dma2.flags(0)).toBe(TCIF);
    t.advance(100);
    expect(t.bytes(DST, 4)).toEqual([...pattern(3), 0]);
    // Now writable again.
    t.bus.write32(DMA2 + NDTR(0), 100);
    expect(t.bus.read32(DMA2 + NDTR(0))).toBe(100);
  });

  it('sets TEIF and disables the stream on a bus error', () => {
    const t = setup();
    t.bus.write32(DMA2 + PAR(6), 0x60000000); // nothing there
    t.bus.write32(DMA2 + M0AR(6), DST);
    t.bus.write32(DMA2 + NDTR(6), 4);
    t.bus.write32(DMA2 + CR(6), M2M | PINC | MINC | TEIE | EN);
    t.advance(M2M_ITEM_CYCLES);
    expect(t.dma2.flags(6)).toBe(TEIF);
    expect(t.bus.read32(DMA2 + CR(6)) & EN).toBe(0);
    expect(t.bus.read32(DMA2 + NDTR(6))).toBe(4);
    expect(t.irqs.get(69)).toBe(true);
    expect(t.warnings.join('\n')).toMatch(/DMA2 stream 6: bus error at 0x60000000/);
  });

  it('refuses memory-to-memory on DMA1 with a transfer error', () => {
    const t = setup();
    t.fill(SRC, pattern(4));
    m2m(t, 7, 4, PINC | MINC | TEIE, DMA1);
    expect(t.dma1.flags(7)).toBe(TEIF);
    expect(t.irqs.get(47)).toBe(true);
    expect(t.bus.read32(DMA1 + CR(7)) & EN).toBe(0);
    t.advance(100);
    expect(t.bytes(DST, 4)).toEqual([0, 0, 0, 0]);
    expect(t.warnings.join('\n')).toMatch(/DMA1.*memory-to-memory is only possible on DMA2/);
  });

  it('serves a peripheral request one item at a time, circularly', () => {
    const t = setup();
    // A "peripheral" register in SRAM, read on each request of DMA1 stream 3 channel 2.
    t.fill(SRC, [0x11, 0x22, 0x33, 0x44]);
    t.bus.write32(DMA1 + PAR(3), SRC);
    t.bus.write32(DMA1 + M0AR(3), DST);
    t.bus.write32(DMA1 + NDTR(3), 4);
    t.bus.write32(DMA1 + CR(3), CHSEL(2) | P2M | PINC | MINC | CIRC | HTIE | EN);
    t.advance(100);
    expect(t.bus.read32(DMA1 + NDTR(3))).toBe(4); // no request yet
    t.dma1.request(3, 1, true); // another channel: ignored
    t.advance(100);
    expect(t.bus.read32(DMA1 + NDTR(3))).toBe(4);
    const line = t.dma1.requestLine(3, 2);
    line.set(true);
    t.advance(REQUEST_CYCLES);
    expect(t.bus.read32(DMA1 + NDTR(3))).toBe(3);
    t.advance(REQUEST_CYCLES);
    expect(t.dma1.flags(3)).toBe(HTIF);
    expect(t.irqs.get(14)).toBe(true);
    line.set(false);
    t.advance(100);
    expect(t.bus.read32(DMA1 + NDTR(3))).toBe(2);
    line.set(true);
    t.advance(2 * REQUEST_CYCLES);
    // Wrapped: NDTR reloaded, addresses back at the start, EN kept.
    expect(t.dma1.flags(3)).toBe(HTIF | TCIF);
    expect(t.bus.read32(DMA1 + NDTR(3))).toBe(4);
    expect(t.bus.read32(DMA1 + CR(3)) & EN).toBe(EN);
    expect(t.bytes(DST, 5)).toEqual([0x11, 0x22, 0x33, 0x44, 0]);
    t.fill(SRC, [0x55, 0x66]);
    t.advance(2 * REQUEST_CYCLES);
    expect(t.bytes(DST, 5)).toEqual([0x55, 0x66, 0x33, 0x44, 0]);
    line.set(false);
    t.bus.write32(DMA1 + CR(3), 0);
    expect(t.bus.read32(DMA1 + CR(3)) & EN).toBe(0);
  });

  it('switches buffers in double-buffer mode (CT), M0AR/M1AR writable when not in use', () => {
    const t = setup();
    const M1 = 0x20000800;
    t.fill(SRC, [0xa1, 0xa2, 0xa3, 0xa4]);
    t.bus.write32(DMA1 + PAR(1), SRC);
    t.bus.write32(DMA1 + M0AR(1), DST);
    t.bus.write32(DMA1 + M1AR(1), M1);
    t.bus.write32(DMA1 + NDTR(1), 2);
    t.bus.write32(DMA1 + CR(1), CHSEL(0) | P2M | PINC | MINC | DBM | TCIE | TEIE | EN);
    t.dma1.request(1, 0, true);
    t.advance(2 * REQUEST_CYCLES);
    expect(t.bytes(DST, 3)).toEqual([0xa1, 0xa2, 0]);
    expect(t.bus.read32(DMA1 + CR(1)) & CT).toBe(CT);
    expect(t.bus.read32(DMA1 + NDTR(1))).toBe(2);
    expect(t.dma1.flags(1)).toBe(TCIF | HTIF);
    t.bus.write32(DMA1 + LIFCR, 0x3d << SHIFT[1]!);
    t.bus.write32(DMA1 + M0AR(1), DST + 0x10); // not in use: taken
    expect(t.bus.read32(DMA1 + M0AR(1))).toBe(DST + 0x10);
    t.advance(2 * REQUEST_CYCLES);
    expect(t.bytes(M1, 3)).toEqual([0xa1, 0xa2, 0]);
    expect(t.bus.read32(DMA1 + CR(1)) & CT).toBe(0);
    t.advance(2 * REQUEST_CYCLES);
    expect(t.bytes(DST + 0x10, 3)).toEqual([0xa1, 0xa2, 0]);
    expect(t.bus.read32(DMA1 + CR(1)) & CT).toBe(CT);
    // Writing the address in use (M1AR while CT=1) is a transfer error.
    t.bus.write32(DMA1 + LIFCR, 0x3d << SHIFT[1]!);
    t.bus.write32(DMA1 + M1AR(1), 0x20000900);
    expect(t.bus.read32(DMA1 + M1AR(1))).toBe(M1);
    expect(t.dma1.flags(1)).toBe(TEIF);
    expect(t.bus.read32(DMA1 + CR(1)) & EN).toBe(0);
    expect(t.irqs.get(12)).toBe(true);
  });

  it('writes into code through the bus path that invalidates decoded instructions', () => {
    const t = setup();
    const writes: number[] = [];
    t.fill(SRC, pattern(4));
    t.bus.codePages[DST >>> 16] = 1;
    t.bus.onCodeWrite = (addr) => writes.push(addr);
    m2m(t, 0, 2, PINC | MINC | PSIZE(2) | MSIZE(2));
    t.advance(2 * M2M_ITEM_CYCLES);
    expect(writes).toEqual([DST, DST + 2]);
  });

  it('resets registers, flags and scheduled transfers', () => {
    const t = setup();
    t.fill(SRC, pattern(8));
    m2m(t, 0, 8, PINC | MINC | TCIE);
    t.advance(2 * M2M_ITEM_CYCLES);
    t.dma2.reset();
    expect(t.bus.read32(DMA2 + CR(0))).toBe(0);
    expect(t.bus.read32(DMA2 + NDTR(0))).toBe(0);
    expect(t.bus.read32(DMA2 + FCR(0))).toBe(0x21);
    t.advance(100);
    expect(t.bytes(DST, 3)).toEqual([...pattern(2), 0]);
    expect(t.bus.read32(DMA2 + LISR)).toBe(0);
    expect(t.irqs.get(56)).toBe(false);
  });

  it('warns once about unmodelled PFCTRL and bursts', () => {
    const t = setup();
    t.bus.write32(DMA1 + NDTR(0), 1);
    t.bus.write32(DMA1 + CR(0), (1 << 5) | (1 << 21) | EN);
    t.bus.write32(DMA1 + CR(0), 0);
    t.bus.write32(DMA1 + CR(0), (1 << 5) | (1 << 21) | EN);
    expect(t.warnings.filter((w) => w.includes('PFCTRL'))).toHaveLength(1);
    expect(t.warnings.filter((w) => w.includes('PBURST'))).toHaveLength(1);
    expect(t.dma1.flags(0) & FEIF).toBe(0);
  });
});

describe('DMA with the USARTs', () => {
  function usartSetup() {
    const t = setup();
    const usart2 = t.attach(new Usart(socBlock('USART2'), t.ctx));
    connectUsartDma([t.dma1, t.dma2], [usart2]);
    return { ...t, usart2 };
  }

  it('dmaControllers creates DMA1/DMA2 wired to the USARTs given', () => {
    const t = testContext();
    const usarts = USART_BLOCKS.map((name) => new Usart(socBlock(name), t.ctx));
    const dmas = dmaControllers([socBlock('DMA1'), socBlock('DMA2')], t.ctx, usarts);
    expect(dmas.map((d) => d.name)).toEqual(['DMA1', 'DMA2']);
    // USART1 TXE is set at reset: with DMAT its request reaches DMA2 stream 7 channel 4.
    usarts[0]!.write(0x14, 1 << 7, 4);
    expect(dmas[1]!.streams[7]!.requests).toBe(1 << 4);
    // USART3 TX goes to DMA1 stream 3 channel 4 and stream 4 channel 7.
    usarts[2]!.write(0x14, 1 << 7, 4);
    expect(dmas[0]!.streams[3]!.requests).toBe(1 << 4);
    expect(dmas[0]!.streams[4]!.requests).toBe(1 << 7);
    usarts[2]!.write(0x14, 0, 4);
    expect(dmas[0]!.streams[4]!.requests).toBe(0);
  });

  it('sends a buffer on USART2 through DMA1 stream 6 at the baud rate', () => {
    const t = usartSetup();
    const dma = t.dma1;
    const tx: [number, number][] = [];
    t.usart2.onTx = (b) => tx.push([b, t.clock.cycles]);
    t.fill(SRC, [0x61, 0x62, 0x63]);
    t.bus.write32(0x40004408, (8 << 4) | 11); // 115200 at 16 MHz: 1390 cycles per character
    t.bus.write32(0x4000440c, (1 << 13) | (1 << 3)); // UE, TE: an idle frame first
    t.bus.write32(0x40004414, 1 << 7); // DMAT
    t.advance(1390);
    const start = t.clock.cycles;
    t.bus.write32(DMA1 + PAR(6), 0x40004404); // USART2_DR
    t.bus.write32(DMA1 + M0AR(6), SRC);
    t.bus.write32(DMA1 + NDTR(6), 3);
    t.bus.write32(DMA1 + CR(6), CHSEL(4) | M2P | MINC | TCIE | EN);
    t.advance(10_000);
    const at = (n: number) => start + REQUEST_CYCLES + n;
    expect(tx).toEqual([
      [0x61, at(1390)],
      [0x62, at(2 * 1390)],
      [0x63, at(3 * 1390)],
    ]);
    expect(dma.flags(6)).toBe(TCIF | HTIF);
    expect(t.irqs.get(17)).toBe(true);
    expect(t.bus.read32(DMA1 + CR(6)) & EN).toBe(0);
  });

  it('receives on USART2 through DMA1 stream 5; the DMA read clears RXNE', () => {
    const t = usartSetup();
    const dma = t.dma1;
    t.bus.write32(0x40004408, (8 << 4) | 11);
    t.bus.write32(0x4000440c, (1 << 13) | (1 << 2)); // UE, RE
    t.bus.write32(0x40004414, 1 << 6); // DMAR
    t.bus.write32(DMA1 + PAR(5), 0x40004404);
    t.bus.write32(DMA1 + M0AR(5), DST);
    t.bus.write32(DMA1 + NDTR(5), 3);
    t.bus.write32(DMA1 + CR(5), CHSEL(4) | P2M | MINC | EN);
    t.usart2.send([0x6f, 0x6b, 0x21]);
    // With flow control the next byte starts once the DMA has emptied DR.
    t.advance(3 * (1390 + REQUEST_CYCLES));
    expect(t.bytes(DST, 4)).toEqual([0x6f, 0x6b, 0x21, 0]);
    expect(t.bus.read32(0x40004400) & 0x28).toBe(0); // no RXNE, no overrun
    expect(dma.flags(5)).toBe(TCIF | HTIF);
  });
});
