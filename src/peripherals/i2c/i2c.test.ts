import { describe, expect, it } from 'vitest';
import { I2C_BLOCKS, socBlock, type BlockName } from '../../machine/soc/stm32f407Map.js';
import { DmaController } from '../dma/dma.js';
import { testContext } from '../rcc/testing.js';
import { I2C_CCR, I2C_CR1, I2C_CR2, I2C_SR1, I2C_SR2, I2c, connectI2cDma } from './i2c.js';
import { I2cMemoryDevice } from './i2cDevices.js';

const CR1 = 0x00;
const CR2 = 0x04;
const OAR1 = 0x08;
const OAR2 = 0x0c;
const DR = 0x10;
const SR1 = 0x14;
const SR2 = 0x18;
const CCR = 0x1c;
const TRISE = 0x20;

const { PE, START, STOP, ACK, POS, SWRST, SMBUS } = I2C_CR1;
const { ITEVTEN, ITERREN, ITBUFEN, DMAEN, LAST } = I2C_CR2;
const { SB, ADDR, BTF, TxE, RxNE, AF } = I2C_SR1;
const { MSL, BUSY, TRA } = I2C_SR2;
/** 100 kHz from a 16 MHz PCLK1: CCR 80, an SCL period of 160 cycles (HCLK = PCLK1). */
const SCL = 160;
const BYTE = 9 * SCL;

function setup(name: BlockName = 'I2C1') {
  const t = testContext();
  const i2c = t.attach(new I2c(socBlock(name), t.ctx));
  i2c.write(CR2, 16, 4); // FREQ: 16 MHz
  i2c.write(CCR, 80, 4);
  i2c.write(TRISE, 17, 4);
  i2c.write(CR1, PE, 4);
  const mem = new I2cMemoryDevice(0x50);
  i2c.attach(mem);
  const sr1 = () => i2c.read(SR1, 4);
  const sr2 = () => i2c.read(SR2, 4);
  const cr1 = (bits: number) => i2c.write(CR1, PE | bits, 4);
  /** START, wait for SB, then the address byte (SB cleared by SR1 read + DR write). */
  const address = (addr7: number, read: boolean, extra = 0) => {
    cr1(START | extra);
    t.advance(SCL);
    expect(sr1() & SB).toBe(SB);
    i2c.write(DR, (addr7 << 1) | (read ? 1 : 0), 4);
    t.advance(BYTE);
  };
  /** EV6: SR1 then SR2 read. */
  const clearAddr = () => {
    expect(sr1() & ADDR).toBe(ADDR);
    sr2();
  };
  const ev = () => t.irqs.get(i2c.evIrq) === true;
  const er = () => t.irqs.get(i2c.erIrq) === true;
  return { ...t, i2c, mem, sr1, sr2, cr1, address, clearAddr, ev, er };
}

describe('I2C', () => {
  it('has the RM0090 addresses, two interrupts each, and reset values', () => {
    const all = I2C_BLOCKS.map((name) => setup(name).i2c);
    expect(all.map((i) => [i.name, i.base, i.evIrq, i.erIrq])).toEqual([
      ['I2C1', 0x40005400, 31, 32],
      ['I2C2', 0x40005800, 33, 34],
      ['I2C3', 0x40005c00, 72, 73],
    ]);
    const t = testContext();
    const i2c = new I2c(socBlock('I2C2'), t.ctx);
    expect(i2c.read(TRISE, 4)).toBe(2);
    for (const off of [CR1, CR2, OAR1, OAR2, DR, SR1, SR2, CCR]) expect(i2c.read(off, 4)).toBe(0);
    i2c.write(CR2, 0xffffffff, 4);
    expect(i2c.read(CR2, 4)).toBe(0x1f3f);
    i2c.write(OAR1, 0xffffffff, 4);
    expect(i2c.read(OAR1, 4)).toBe(0xc3ff);
    i2c.write(CCR, 0xffffffff, 4);
    expect(i2c.read(CCR, 4)).toBe(0xcfff);
    i2c.write(TRISE, 0xffffffff, 4);
    expect(i2c.read(TRISE, 4)).toBe(0x3f);
  });

  it('NACKs an address nobody answers: AF after the address phase, the error interrupt', () => {
    const { i2c, advance, sr1, sr2, cr1, ev, er } = setup();
    i2c.write(CR2, 16 | ITEVTEN | ITERREN, 4);
    cr1(START);
    advance(SCL - 1);
    expect(sr1() & SB).toBe(0);
    advance(1);
    expect(sr1() & SB).toBe(SB);
    expect(sr2()).toBe(MSL | BUSY);
    expect(i2c.read(CR1, 4) & START).toBe(0);
    expect(ev()).toBe(true);
    i2c.write(DR, 0x3c << 1, 4); // SR1 was read: the address goes out
    expect(ev()).toBe(false);
    advance(BYTE - 1);
    expect(sr1() & (AF | ADDR)).toBe(0);
    advance(1);
    expect(sr1() & (AF | ADDR)).toBe(AF);
    expect(er()).toBe(true);
    cr1(STOP);
    advance(SCL);
    expect(sr2() & (MSL | BUSY)).toBe(0);
    expect(i2c.read(CR1, 4) & STOP).toBe(0);
    i2c.write(SR1, ~AF, 4);
    expect(sr1()).toBe(0);
    expect(er()).toBe(false);
  });

  it('sends the address only after SR1 was read with SB set (EV5)', () => {
    const { i2c, advance, sr1, cr1 } = setup();
    cr1(START);
    advance(SCL);
    i2c.write(DR, 0xa0, 4); // SR1 not read since SB set
    advance(2 * BYTE);
    expect(sr1() & (SB | ADDR | AF)).toBe(SB);
    i2c.write(DR, 0xa0, 4);
    advance(BYTE);
    expect(sr1() & (SB | ADDR)).toBe(ADDR);
  });

  it('writes to a device: ADDR with TxE and TRA, bytes of nine SCL periods, BTF, STOP', () => {
    const { i2c, mem, advance, sr1, sr2, cr1, address } = setup();
    address(0x50, false);
    expect(sr1()).toBe(ADDR | TxE);
    expect(sr2()).toBe(TRA | BUSY | MSL); // also clears ADDR
    expect(sr1()).toBe(TxE);
    i2c.write(DR, 0x10, 4); // the memory address: straight to the shift register
    expect(sr1()).toBe(TxE);
    i2c.write(DR, 0xab, 4);
    expect(sr1()).toBe(0);
    advance(BYTE);
    expect(sr1()).toBe(TxE); // 0xAB moved on
    advance(BYTE - 1);
    expect(sr1() & BTF).toBe(0);
    advance(1);
    expect(sr1()).toBe(TxE | BTF);
    cr1(STOP);
    advance(SCL);
    expect(sr1()).toBe(0);
    expect(sr2()).toBe(0);
    expect(mem.memory[0x10]).toBe(0xab);
    expect(mem.log).toEqual(['start W', 'write 0x10', 'write 0xab', 'stop']);
  });

  it('sets AF when the device NACKs a data byte', () => {
    const { i2c, advance, sr1, sr2, address } = setup();
    const rom = new I2cMemoryDevice(0x51, { writeProtected: true });
    i2c.attach(rom);
    address(0x51, false);
    sr1();
    sr2();
    i2c.write(DR, 0x00, 4);
    i2c.write(DR, 0x55, 4);
    advance(2 * BYTE);
    expect(sr1() & (AF | BTF)).toBe(AF);
    expect(rom.memory[0]).toBe(0);
  });

  /** Writes the memory address, then a repeated start into a read of 0x50. */
  function randomRead(s: ReturnType<typeof setup>, at: number, extra: number) {
    s.mem.memory.set([0x11, 0x22, 0x33, 0x44, 0x55], at);
    s.address(0x50, false);
    s.clearAddr();
    s.i2c.write(DR, at, 4);
    s.advance(BYTE);
    expect(s.sr1() & BTF).toBe(BTF);
    s.address(0x50, true, extra); // START with BTF set: a repeated start
    expect(s.sr2()).toBe(MSL | BUSY); // no SR1 read since SB: this does not clear ADDR
  }

  it('reads N bytes: ACK until the last, BTF holding two bytes, STOP (N=3)', () => {
    const s = setup();
    randomRead(s, 0x20, ACK);
    s.clearAddr();
    s.advance(2 * BYTE); // byte 1 in DR, byte 2 in the shift register
    expect(s.sr1()).toBe(RxNE | BTF);
    s.advance(5 * BYTE); // SCL held: nothing more
    expect(s.mem.log.filter((l) => l.startsWith('read'))).toHaveLength(2);
    s.cr1(0); // ACK=0: byte 3 is NACKed
    expect(s.i2c.read(DR, 4)).toBe(0x11);
    s.advance(BYTE);
    expect(s.sr1()).toBe(RxNE | BTF);
    s.cr1(STOP);
    expect(s.i2c.read(DR, 4)).toBe(0x22);
    expect(s.i2c.read(DR, 4)).toBe(0x33);
    expect(s.sr1() & RxNE).toBe(0);
    s.advance(SCL);
    expect(s.sr2() & BUSY).toBe(0);
    expect(s.mem.log.slice(-5)).toEqual(['start R', 'read 0x11', 'read 0x22', 'read 0x33', 'stop']);
  });

  it('reads one byte: ACK cleared before ADDR, STOP during the byte', () => {
    const s = setup();
    randomRead(s, 0x40, ACK);
    s.cr1(0); // ACK=0
    s.clearAddr();
    s.cr1(STOP);
    s.advance(BYTE);
    expect(s.sr1()).toBe(RxNE);
    s.advance(SCL);
    expect(s.sr2()).toBe(0);
    expect(s.i2c.read(DR, 4)).toBe(0x11);
    expect(s.mem.log.slice(-3)).toEqual(['start R', 'read 0x11', 'stop']);
  });

  it('reads two bytes with POS: the NACK applies to the next byte', () => {
    const s = setup();
    randomRead(s, 0x60, ACK);
    s.cr1(POS); // ACK=0, POS=1 before clearing ADDR (as ST's HAL and NuttX do)
    s.clearAddr();
    s.advance(2 * BYTE);
    expect(s.sr1()).toBe(RxNE | BTF);
    s.cr1(STOP | POS);
    expect([s.i2c.read(DR, 4), s.i2c.read(DR, 4)]).toEqual([0x11, 0x22]);
    s.advance(5 * BYTE);
    expect(s.mem.log.slice(-4)).toEqual(['start R', 'read 0x11', 'read 0x22', 'stop']);
    // The same without POS NACKs the first byte: the device sends only one.
    const t = setup();
    randomRead(t, 0x60, ACK);
    t.cr1(0);
    t.clearAddr();
    t.advance(5 * BYTE);
    expect(t.mem.log.filter((l) => l.startsWith('read'))).toEqual(['read 0x11']);
  });

  it('times SCL from CCR: standard mode 2*CCR, fast mode 3*CCR or 25*CCR (DUTY)', () => {
    const { i2c, advance, sr1, cr1, clocks, clock } = setup();
    const startTime = () => {
      const t0 = clock.cycles;
      cr1(START);
      while (!(sr1() & SB)) advance(1);
      const took = clock.cycles - t0;
      cr1(0);
      i2c.write(CR1, 0, 4); // PE=0 clears SB and MSL
      return took;
    };
    expect(startTime()).toBe(SCL);
    i2c.write(CCR, I2C_CCR.F_S | 14, 4);
    expect(startTime()).toBe(42);
    i2c.write(CCR, I2C_CCR.F_S | I2C_CCR.DUTY | 2, 4);
    expect(startTime()).toBe(50);
    i2c.write(CCR, 210, 4); // 100 kHz from 42 MHz: 420 PCLK1 cycles, 1680 at 168 MHz
    clocks.set(168_000_000, 42_000_000, 84_000_000);
    expect(i2c.sclNanos()).toBeCloseTo(10_000, 6);
    expect(startTime()).toBe(1680);
  });

  it('raises event interrupts for SB, ADDR, BTF and, with ITBUFEN, TxE and RxNE', () => {
    const s = setup();
    s.i2c.write(CR2, 16 | ITEVTEN, 4);
    s.cr1(START);
    s.advance(SCL);
    expect(s.ev()).toBe(true);
    s.sr1();
    s.i2c.write(DR, 0xa0, 4);
    expect(s.ev()).toBe(false);
    s.advance(BYTE);
    expect(s.ev()).toBe(true); // ADDR
    s.clearAddr();
    expect(s.ev()).toBe(false); // TxE alone needs ITBUFEN
    s.i2c.write(CR2, 16 | ITEVTEN | ITBUFEN, 4);
    expect(s.ev()).toBe(true);
    s.i2c.write(DR, 0, 4);
    s.i2c.write(DR, 0, 4);
    expect(s.ev()).toBe(false);
    s.i2c.write(CR2, 16 | ITEVTEN, 4);
    s.advance(2 * BYTE);
    expect(s.ev()).toBe(true); // BTF
  });

  it('requests DMA on TxE and RxNE with DMAEN; LAST NACKs the DMA stream last byte', () => {
    const s = setup();
    const tx: boolean[] = [];
    s.i2c.connectDma('tx', (l) => tx.push(l));
    s.address(0x50, false);
    s.i2c.write(CR2, 16 | DMAEN, 4);
    expect(tx).toEqual([false, true]);
    s.clearAddr();
    s.i2c.write(DR, 0, 4);
    s.i2c.write(DR, 0, 4);
    expect(tx).toEqual([false, true, false]);
    s.cr1(STOP);
    s.advance(3 * BYTE);

    // Through DMA1 stream 0 channel 1 (I2C1_RX): four bytes, the fourth NACKed by LAST.
    const t = setup();
    const dma1 = t.attach(new DmaController(socBlock('DMA1'), t.ctx));
    connectI2cDma(dma1, [t.i2c]);
    randomRead(t, 0x80, ACK);
    t.clearAddr();
    t.bus.write32(0x40026014, 4); // S0NDTR
    t.bus.write32(0x40026018, t.i2c.base + DR); // S0PAR
    t.bus.write32(0x4002601c, 0x20000000); // S0M0AR
    t.bus.write32(0x40026010, (1 << 25) | (1 << 10) | 1); // channel 1, P2M, MINC, EN
    t.i2c.write(CR2, 16 | DMAEN | LAST, 4);
    t.advance(6 * BYTE);
    expect(dma1.flags(0) & 0x20).toBe(0x20); // TCIF
    expect([0, 1, 2, 3].map((i) => t.bus.read8(0x20000000 + i))).toEqual([0x11, 0x22, 0x33, 0x44]);
    expect(t.mem.log.filter((l) => l.startsWith('read'))).toHaveLength(4);
    t.cr1(STOP);
    t.advance(SCL);
    expect(t.mem.log.at(-1)).toBe('stop');
  });

  it('PE=0 and SWRST clear the interface; SMBus is warned about', () => {
    const s = setup();
    s.address(0x50, false);
    expect(s.sr2() & MSL).toBe(MSL);
    s.i2c.write(CR1, ACK, 4); // PE=0
    expect([s.sr1(), s.sr2(), s.i2c.read(CR1, 4)]).toEqual([0, 0, 0]);
    expect(s.mem.log.at(-1)).toBe('stop');
    s.i2c.write(CR1, SWRST, 4);
    expect(s.i2c.read(CR1, 4)).toBe(SWRST);
    expect(s.i2c.read(CCR, 4)).toBe(0);
    expect(s.i2c.read(TRISE, 4)).toBe(2);
    s.i2c.write(CR1, PE | SMBUS, 4);
    expect(s.warnings).toContain('f4emu: I2C1: SMBus mode (CR1.SMBUS) is not modelled');
    // SWRST cleared CR2.FREQ too: enabling with it says so once.
    expect(s.warnings).toContain(
      'f4emu: I2C1: CR2.FREQ=0 MHz is outside 2-42 (SCL timing follows PCLK1)',
    );
  });
});
