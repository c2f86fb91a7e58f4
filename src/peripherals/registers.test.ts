import { describe, expect, it } from 'vitest';
import { RegisterBlock } from './registers.js';

function block() {
  const warnings: string[] = [];
  const regs = new RegisterBlock('USART2', (w) => warnings.push(w));
  return { regs, warnings };
}

describe('RegisterBlock', () => {
  it('applies reset values and field access modes', () => {
    const { regs } = block();
    const sr = regs.define({
      name: 'SR',
      offset: 0x0,
      reset: 0xc0,
      fields: [
        { name: 'TXE', bits: 7, access: 'ro' },
        { name: 'TC', bits: 6, access: 'rc_w0' },
        { name: 'RXNE', bits: 5, access: 'rc_w0' },
      ],
    });
    const cr = regs.define({
      name: 'CR1',
      offset: 0xc,
      fields: [
        { name: 'UE', bits: 13 },
        { name: 'M', bits: [12, 12] },
      ],
    });
    expect(regs.read(0x0, 4)).toBe(0xc0);
    regs.write(0x0, 0xffffffbf, 4); // write 0 to TC: clears it; TXE is read-only
    expect(regs.read(0x0, 4)).toBe(0x80);
    sr.set('RXNE', 1);
    regs.write(0x0, 0xffffffff, 4); // writing 1 leaves rc_w0 bits alone
    expect(sr.flag('RXNE')).toBe(true);
    regs.write(0xc, 0xffffffff, 4);
    expect(regs.read(0xc, 4)).toBe(0x3000); // reserved bits read 0
    expect(cr.get('UE')).toBe(1);
    regs.reset();
    expect(regs.read(0x0, 4)).toBe(0xc0);
    expect(regs.read(0xc, 4)).toBe(0);
  });

  it('handles byte and half-word accesses as the bytes they touch', () => {
    const { regs } = block();
    regs.define({ name: 'BRR', offset: 0x8, access: 'rw' });
    const sr = regs.define({
      name: 'SR',
      offset: 0x0,
      reset: 0x60,
      fields: [
        { name: 'TC', bits: 6, access: 'rc_w0' },
        { name: 'RXNE', bits: 5, access: 'rc_w0' },
      ],
    });
    regs.write(0x8, 0x1234, 2);
    regs.write(0xb, 0xab, 1);
    expect(regs.read(0x8, 4) >>> 0).toBe(0xab001234);
    expect(regs.read(0x9, 1)).toBe(0x12);
    regs.write(0x1, 0x00, 1); // byte 1 holds no flags: TC, RXNE untouched
    expect(sr.value).toBe(0x60);
  });

  it('w1c, w1s, wo and rc_r fields; hooks see the values', () => {
    const { regs } = block();
    const seen: number[] = [];
    const r = regs.define({
      name: 'ISR',
      offset: 0x4,
      fields: [
        { name: 'F', bits: [3, 0], access: 'w1c' },
        { name: 'S', bits: [7, 4], access: 'w1s' },
        { name: 'CMD', bits: [11, 8], access: 'wo' },
        { name: 'R', bits: 12, access: 'rc_r' },
      ],
      onWrite: (v, _old, written) => seen.push(v, written),
      onRead: (v) => v | 0x80000000,
    });
    r.set('F', 0xf);
    r.set('R', 1);
    regs.write(0x4, 0x0000035, 4);
    expect(r.get('F')).toBe(0b1010);
    expect(r.get('S')).toBe(0b0011);
    regs.write(0x4, 0x700, 4);
    expect(r.get('CMD')).toBe(7);
    expect(regs.read(0x4, 4) >>> 0).toBe((0x80000000 | 0x1000 | 0x3a) >>> 0); // CMD reads 0
    expect(r.get('R')).toBe(0); // cleared by that read
    expect(seen[1]).toBe(0x35);
  });

  it('logs an unmodelled register once, by block and offset', () => {
    const { regs, warnings } = block();
    expect(regs.read(0x20, 4)).toBe(0);
    regs.write(0x20, 1, 4);
    expect(warnings).toEqual([
      'f4emu: USART2: unimplemented register at offset 0x20 (read ignored)',
    ]);
  });
});
