/** Small helpers for tests that hand-place Thumb code and a vector table in a Machine. */
import { Machine } from '../../src/machine/machine.js';

export const CODE = 0x20000000;
export const VECTORS = 0x20008000;
export const STACK_TOP = 0x20010000;
/** Handlers are placed at HANDLERS + 0x40 * exception number. */
export const HANDLERS = 0x20004000;

export const NOP = 0xbf00;
export const B_SELF = 0xe7fe;
export const BX_LR = 0x4770;
export const CPSID_I = 0xb672;
export const CPSIE_I = 0xb662;
export const WFI = 0xbf30;
export const svc = (n: number) => 0xdf00 | n;
export const movs = (rd: number, imm: number) => 0x2000 | (rd << 8) | imm;
export const bkpt = (n: number) => 0xbe00 | n;

export function place(m: Machine, addr: number, halfwords: number[]): void {
  halfwords.forEach((hw, i) => m.bus.write16(addr + 2 * i, hw));
}

export function handlerAddress(n: number): number {
  return HANDLERS + 0x40 * n;
}

/**
 * A machine whose vector table (in SRAM, through VTOR) points exception n at
 * handlerAddress(n); each handler defaults to `nop; bx lr`. Thread code starts at CODE.
 */
export function machineWithVectors(code: number[]): Machine {
  const m = new Machine({ warn: () => {} });
  m.scb.vtor = VECTORS;
  m.bus.write32(VECTORS, STACK_TOP);
  m.bus.write32(VECTORS + 4, CODE | 1);
  for (let n = 2; n < 98; n++) {
    m.bus.write32(VECTORS + 4 * n, handlerAddress(n) | 1);
    place(m, handlerAddress(n), [NOP, BX_LR]);
  }
  place(m, CODE, code);
  m.cpu.r[13] = STACK_TOP;
  m.cpu.setPc(CODE);
  return m;
}

/** Steps until `pred` holds (at most `max` instructions); returns the steps taken. */
export function stepUntil(m: Machine, pred: () => boolean, max = 1000): number {
  for (let i = 0; i < max; i++) {
    if (pred()) return i;
    m.cpu.step();
  }
  throw new Error(`condition not reached in ${max} steps (pc 0x${m.cpu.pc.toString(16)})`);
}
