import { describe, expect, it } from 'vitest';
import { Bus } from '../../bus/bus.js';
import { Clock } from '../../clock/clock.js';
import { ClockTree, type PeripheralContext } from '../peripheral.js';
import { USART_BLOCKS, socBlock, type BlockName } from '../../machine/soc/stm32f407Map.js';
import { Usart } from './usart.js';

const SR = 0x00;
const DR = 0x04;
const BRR = 0x08;
const CR1 = 0x0c;
const CR2 = 0x10;
const CR3 = 0x14;
const GTPR = 0x18;

const TXE = 0x80;
const TC = 0x40;
const RXNE = 0x20;
const IDLE = 0x10;
const ORE = 0x08;
const UE = 1 << 13;
const TE = 1 << 3;
const RE = 1 << 2;
const TXEIE = 1 << 7;
const TCIE = 1 << 6;
const RXNEIE = 1 << 5;
const IDLEIE = 1 << 4;

function setup(name: BlockName = 'USART2') {
  const clock = new Clock();
  const clocks = new ClockTree();
  const irqs = new Map<number, boolean>();
  const ctx: PeripheralContext = {
    clock,
    clocks,
    setIrq: (irq, level) => irqs.set(irq, level),
    bus: new Bus(),
    warn: () => {},
    requestReset: () => {},
  };
  const usart = new Usart(socBlock(name), ctx);
  const tx: [number, number][] = [];
  usart.onTx = (b) => tx.push([b, clock.cycles]);
  /** Advances virtual time by `n` cycles, firing alarms on the way. */
  const advance = (n: number) => {
    const end = clock.cycles + n;
    while (clock.nextDue() <= end) {
      clock.cycles = clock.nextDue();
      clock.fireDue();
    }
    clock.cycles = end;
  };
  return {
    usart,
    clock,
    clocks,
    irqs,
    tx,
    advance,
    irq: () => irqs.get(usart.config.irq) === true,
  };
}

/** 115200 baud from a 16 MHz PCLK at 16x oversampling: USARTDIV 8.6875 (mantissa 8, fraction 11). */
const BRR_115200 = (8 << 4) | 11;
/** 10 bits of 139 PCLK cycles each, at HCLK = PCLK. */
const CHAR_115200 = 1390;

describe('USART', () => {
  it('has the RM0090 addresses, interrupts and reset values', () => {
    const configs = USART_BLOCKS.map((name) => setup(name).usart.config);
    expect(configs.map((u) => [u.name, u.base, u.irq, u.apb])).toEqual([
      ['USART1', 0x40011000, 37, 2],
      ['USART2', 0x40004400, 38, 1],
      ['USART3', 0x40004800, 39, 1],
      ['UART4', 0x40004c00, 52, 1],
      ['UART5', 0x40005000, 53, 1],
      ['USART6', 0x40011400, 71, 2],
    ]);
    const { usart } = setup();
    expect(usart.read(SR, 4)).toBe(0xc0);
    for (const off of [DR, BRR, CR1, CR2, CR3, GTPR]) expect(usart.read(off, 4)).toBe(0);
    usart.write(CR1, 0xffffffff, 4);
    expect(usart.read(CR1, 4)).toBe(0xbffe); // bit 14 reserved; SBK clears itself
    usart.write(CR2, 0xffffffff, 4);
    expect(usart.read(CR2, 4)).toBe(0x7f6f);
    usart.write(CR3, 0xffffffff, 4);
    expect(usart.read(CR3, 4)).toBe(0xfff);
    usart.write(GTPR, 0xffffffff, 4);
    expect(usart.read(GTPR, 4)).toBe(0xffff);
    usart.write(BRR, 0xffffffff, 4);
    expect(usart.read(BRR, 4)).toBe(0xffff);
  });

  it('computes the character time from BRR, OVER8, M, STOP and the APB clock', () => {
    const { usart, clocks, clock } = setup();
    usart.write(BRR, BRR_115200, 4);
    expect(usart.characterCycles()).toBe(CHAR_115200);
    expect(Math.round(usart.baudRate)).toBe(115108);
    usart.write(CR1, 1 << 12, 4); // 9 data bits
    expect(usart.characterCycles()).toBe(11 * 139);
    usart.write(CR1, 0, 4);
    usart.write(CR2, 2 << 12, 4); // 2 stop bits
    expect(usart.characterCycles()).toBe(11 * 139);
    usart.write(CR2, 0, 4);
    // OVER8: USARTDIV = mantissa + fraction/8; a bit is 8 * USARTDIV PCLK cycles.
    usart.write(CR1, 1 << 15, 4);
    usart.write(BRR, (17 << 4) | 3, 4);
    expect(usart.characterCycles()).toBe(10 * (17 * 8 + 3));
    // 168 MHz core, 42 MHz APB1: four core cycles per PCLK cycle.
    usart.write(CR1, 0, 4);
    usart.write(BRR, 0x16d, 4); // 115200 at 42 MHz
    clocks.set(168_000_000, 42_000_000, 84_000_000);
    clock.setFrequency(168_000_000);
    expect(usart.characterCycles()).toBe(10 * 0x16d * 4);
  });

  it('transmits on virtual time: idle frame, TXE, TC, onTx', () => {
    const { usart, tx, advance, clock } = setup();
    usart.write(BRR, BRR_115200, 4);
    usart.write(CR1, UE | TE, 4); // the idle frame starts
    usart.write(DR, 0x41, 4); // waits in TDR behind the idle frame
    expect(usart.read(SR, 4) & (TXE | TC)).toBe(0);
    advance(CHAR_115200 - 1);
    expect(tx).toEqual([]);
    advance(1); // idle frame done: 'A' moves to the shift register
    expect(usart.read(SR, 4) & (TXE | TC)).toBe(TXE);
    usart.write(DR, 0x42, 4);
    expect(usart.read(SR, 4) & (TXE | TC)).toBe(0);
    advance(CHAR_115200);
    expect(tx).toEqual([[0x41, 2 * CHAR_115200]]);
    expect(usart.read(SR, 4) & (TXE | TC)).toBe(TXE);
    advance(CHAR_115200);
    expect(tx).toEqual([
      [0x41, 2 * CHAR_115200],
      [0x42, 3 * CHAR_115200],
    ]);
    expect(usart.read(SR, 4) & (TXE | TC)).toBe(TXE | TC);
    expect(clock.cycles).toBe(3 * CHAR_115200);
    // TC clears by writing 0 to it.
    usart.write(SR, ~TC, 4);
    expect(usart.read(SR, 4) & TC).toBe(0);
  });

  it('holds data written while the transmitter is off', () => {
    const { usart, tx, advance } = setup();
    usart.write(BRR, BRR_115200, 4);
    usart.write(CR1, UE, 4);
    usart.write(DR, 0x31, 4);
    advance(10 * CHAR_115200);
    expect(tx).toEqual([]);
    expect(usart.read(SR, 4) & TXE).toBe(0);
    usart.write(CR1, UE | TE, 4);
    advance(2 * CHAR_115200);
    expect(tx.map(([b]) => b)).toEqual([0x31]);
  });

  it('drives one level interrupt from TXE/TC/RXNE/ORE/IDLE and their enables', () => {
    const { usart, advance, irq } = setup();
    usart.write(BRR, BRR_115200, 4);
    usart.write(CR1, UE | TE | RE | TXEIE, 4);
    expect(irq()).toBe(true); // TXE
    usart.write(DR, 0x55, 4);
    expect(irq()).toBe(false);
    advance(CHAR_115200); // idle frame done, byte moves in: TXE again
    expect(irq()).toBe(true);
    usart.write(CR1, UE | TE | RE | TCIE, 4);
    expect(irq()).toBe(false);
    advance(CHAR_115200);
    expect(irq()).toBe(true); // TC
    usart.write(CR1, UE | TE | RE | RXNEIE, 4);
    expect(irq()).toBe(false);
    usart.receive(0x61);
    expect(irq()).toBe(true);
    expect(usart.read(DR, 4)).toBe(0x61);
    expect(irq()).toBe(false);
    usart.write(CR1, UE | TE | RE | IDLEIE, 4);
    advance(CHAR_115200);
    expect(irq()).toBe(true); // IDLE one character after the last byte
  });

  it('receives: RXNE, overrun, and the SR-then-DR clear sequence', () => {
    const { usart, advance } = setup();
    usart.write(BRR, BRR_115200, 4);
    expect(usart.receive(0x10)).toBe(false); // receiver off: lost
    usart.write(CR1, UE | RE, 4);
    expect(usart.receive(0x11)).toBe(true);
    expect(usart.read(SR, 4) & RXNE).toBe(RXNE);
    expect(usart.receive(0x12)).toBe(false);
    expect(usart.read(SR, 4) & (RXNE | ORE)).toBe(RXNE | ORE);
    // The SR read above saw ORE, so this DR read clears both.
    expect(usart.read(DR, 4)).toBe(0x11);
    expect(usart.read(SR, 4) & (RXNE | ORE)).toBe(0);
    usart.receive(0x13);
    usart.receive(0x14); // overrun, not yet seen by an SR read
    expect(usart.read(DR, 4)).toBe(0x13);
    expect(usart.read(SR, 4) & (RXNE | ORE)).toBe(ORE);
    expect(usart.read(DR, 4)).toBe(0x13); // RDR unchanged; ORE cleared now
    expect(usart.read(SR, 4) & ORE).toBe(0);
    // RXNE also clears by writing 0.
    usart.receive(0x15);
    usart.write(SR, ~RXNE, 4);
    expect(usart.read(SR, 4) & RXNE).toBe(0);
    // IDLE: one character after the last byte, cleared by SR then DR read.
    advance(CHAR_115200);
    expect(usart.read(SR, 4) & IDLE).toBe(IDLE);
    usart.read(DR, 4);
    expect(usart.read(SR, 4) & IDLE).toBe(0);
  });

  it('feeds queued host bytes at the baud rate, waiting while RXNE is set', () => {
    const { usart, advance, clock } = setup();
    usart.write(BRR, BRR_115200, 4);
    usart.send([0x61, 0x62, 0x63]); // receiver off: held
    advance(5 * CHAR_115200);
    expect(usart.pendingInput).toBe(3);
    usart.write(CR1, UE | RE, 4);
    const start = clock.cycles;
    advance(CHAR_115200 - 1);
    expect(usart.read(SR, 4) & RXNE).toBe(0);
    advance(1);
    expect(usart.read(SR, 4) & RXNE).toBe(RXNE);
    advance(3 * CHAR_115200); // nothing more while RXNE is set
    expect(usart.read(SR, 4) & ORE).toBe(0);
    expect(usart.read(DR, 4)).toBe(0x61);
    advance(CHAR_115200);
    expect(usart.read(DR, 4)).toBe(0x62);
    advance(CHAR_115200);
    expect(usart.read(DR, 4)).toBe(0x63);
    expect(usart.pendingInput).toBe(0);
    expect(clock.cycles - start).toBe(6 * CHAR_115200);
    // Without flow control a slow reader loses bytes.
    usart.flowControl = false;
    usart.send([1, 2, 3]);
    advance(3 * CHAR_115200);
    expect(usart.read(SR, 4) & ORE).toBe(ORE);
    expect(usart.read(DR, 4)).toBe(1);
  });

  it('resets its state and alarms', () => {
    const { usart, advance, tx, irq } = setup();
    usart.write(BRR, BRR_115200, 4);
    usart.write(CR1, UE | TE | TCIE, 4);
    usart.write(DR, 0x41, 4);
    usart.reset();
    advance(10 * CHAR_115200);
    expect(tx).toEqual([]);
    expect(usart.read(SR, 4)).toBe(0xc0);
    expect(irq()).toBe(false);
  });

  it('drives its DMA request outputs from TXE/DMAT and RXNE/DMAR', () => {
    const { usart, advance } = setup();
    const txLevels: boolean[] = [];
    const rxLevels: boolean[] = [];
    usart.connectDma('tx', (l) => txLevels.push(l));
    usart.connectDma('rx', (l) => rxLevels.push(l));
    expect(txLevels).toEqual([false]); // the current level on connection
    expect(rxLevels).toEqual([false]);
    usart.write(CR3, 1 << 7, 4); // DMAT: TXE is set at reset
    expect(txLevels).toEqual([false, true]);
    usart.write(BRR, BRR_115200, 4);
    usart.write(CR1, UE | TE, 4); // the idle frame occupies the shift register
    usart.write(DR, 0x41, 4);
    expect(txLevels).toEqual([false, true, false]);
    advance(CHAR_115200);
    expect(txLevels).toEqual([false, true, false, true]);
    usart.write(CR3, 1 << 6, 4); // DMAR only
    expect(txLevels.at(-1)).toBe(false);
    usart.write(CR1, UE | RE, 4);
    usart.receive(0x42);
    expect(rxLevels).toEqual([false, true]);
    expect(usart.read(DR, 4)).toBe(0x42); // a DR read (the DMA's too) drops the request
    expect(rxLevels).toEqual([false, true, false]);
    usart.receive(0x43);
    usart.reset(); // drives the reset levels again
    expect(rxLevels.slice(-2)).toEqual([true, false]);
    expect(txLevels.at(-1)).toBe(false);
  });
});
