import { describe, expect, it } from 'vitest';
import { NOP, STACK_TOP, machineWithVectors, svc } from '../../test/helpers/machine.js';

const FPCCR = 0xe000ef34;
const FPCAR = 0xe000ef38;
const FPDSCR = 0xe000ef3c;

function withFpContext(code: number[]) {
  const m = machineWithVectors(code);
  for (let i = 0; i < 16; i++) m.cpu.s[i] = 0x3f800000 + i;
  m.cpu.fpscr = 0x00c00000; // RMode = RZ
  m.cpu.control |= 4; // FPCA: the thread has used the FPU
  return m;
}

describe('FP context and exceptions', () => {
  it('reserves an extended frame lazily (LSPEN at reset) and returns through 0xFFFFFFE9', () => {
    const m = withFpContext([svc(0), NOP]);
    expect(m.bus.read32(FPCCR) >>> 0).toBe(0xc0000000);
    m.cpu.step();
    const frame = STACK_TOP - 0x68;
    expect(m.cpu.r[13]).toBe(frame);
    expect(m.cpu.r[14]).toBe(0xffffffe9);
    expect(m.cpu.control & 4).toBe(0); // handler starts without an FP context
    expect(m.bus.read32(FPCCR) & 1).toBe(1); // LSPACT
    expect(m.bus.read32(FPCCR) & (1 << 3)).toBe(1 << 3); // THREAD
    expect(m.bus.read32(FPCAR)).toBe(frame + 0x20);
    expect(m.bus.read32(frame + 0x20)).toBe(0); // nothing stored yet
    m.cpu.step(); // nop
    m.cpu.step(); // bx lr
    expect(m.cpu.ipsr).toBe(0);
    expect(m.cpu.r[13]).toBe(STACK_TOP);
    expect(m.cpu.control & 4).toBe(4);
    expect(m.bus.read32(FPCCR) & 1).toBe(0);
    expect(m.cpu.s[3]).toBe(0x3f800003);
  });

  it("preserves the thread's S0-S15 and FPSCR on the handler's first FP instruction", () => {
    const m = withFpContext([svc(0), NOP]);
    m.bus.write32(FPDSCR, 0x03000000); // handler contexts start with DN and FZ
    m.cpu.step();
    const area = m.bus.read32(FPCAR);
    m.exc.fpContextCheck(); // what the handler's first FP instruction does
    expect(m.bus.read32(area + 4 * 5)).toBe(0x3f800005);
    expect(m.bus.read32(area + 0x40)).toBe(0x00c00000);
    expect(m.bus.read32(FPCCR) & 1).toBe(0);
    expect(m.cpu.control & 4).toBe(4); // ASPEN: a new context in the handler
    expect(m.cpu.fpscr).toBe(0x03000000); // from FPDSCR
    m.cpu.s[5] = 0xdeadbeef; // the handler clobbers a register
    m.cpu.step(); // nop
    m.cpu.step(); // bx lr: EXC_RETURN says extended frame, registers come back
    expect(m.cpu.s[5]).toBe(0x3f800005);
    expect(m.cpu.fpscr).toBe(0x00c00000);
  });

  it('stores the FP context at once when LSPEN is clear', () => {
    const m = withFpContext([svc(0), NOP]);
    m.bus.write32(FPCCR, 0x80000000); // ASPEN only
    m.cpu.step();
    const frame = STACK_TOP - 0x68;
    expect(m.bus.read32(frame + 0x20)).toBe(0x3f800000);
    expect(m.bus.read32(frame + 0x20 + 0x3c)).toBe(0x3f80000f);
    expect(m.bus.read32(frame + 0x60)).toBe(0x00c00000);
    expect(m.bus.read32(FPCCR) & 1).toBe(0);
  });

  it('uses a basic frame and 0xFFFFFFF9 without an FP context', () => {
    const m = machineWithVectors([svc(0), NOP]);
    m.cpu.step();
    expect(m.cpu.r[14]).toBe(0xfffffff9);
    expect(m.cpu.r[13]).toBe(STACK_TOP - 0x20);
  });
});
