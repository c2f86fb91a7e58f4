/**
 * FPv4-SP instructions: encoders against the GNU assembler, disassembly like objdump, the CPACR
 * check, and per-encoding semantics with hand-computed edge cases (rounding modes, flags, NaNs,
 * flush-to-zero). Exhaustive checking is the Unicorn differential's job (docs/differential.md).
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.js';
import { decodeRaw } from '../decode/cache.js';
import * as E from '../encode/fpu.js';
import type { Halfwords } from '../encode/fpu.js';

const BASE = 0x20000000;
const DATA = 0x20001000;
const CPACR = 0xe000ed88;
const SHCSR = 0xe000ed24;
const CFSR = 0xe000ed28;

const machine = new Machine();
machine.bus.write32(CPACR, 0x00f00000);

interface Setup {
  s?: Record<number, number>;
  r?: Record<number, number>;
  fpscr?: number;
}

function run(hw: Halfwords, setup: Setup = {}, m = machine): Machine {
  m.bus.write16(BASE, hw[0]);
  m.bus.write16(BASE + 2, hw[1]);
  m.cpu.setPc(BASE);
  m.cpu.r.fill(0, 0, 13);
  m.cpu.r[13] = DATA + 0x800;
  m.cpu.s.fill(0);
  m.cpu.fpscr = setup.fpscr ?? 0;
  m.cpu.ipsr = 0;
  for (const [k, v] of Object.entries(setup.r ?? {})) m.cpu.r[Number(k)] = v;
  for (const [k, v] of Object.entries(setup.s ?? {})) m.cpu.s[Number(k)] = v;
  m.cpu.step();
  return m;
}

const hex = (x: number): string => '0x' + (x >>> 0).toString(16).padStart(8, '0');
const raw = (hw: Halfwords): number => ((hw[0] << 16) | hw[1]) >>> 0;
const f = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;

const RN = 0;
const RP = 1 << 22;
const RM = 2 << 22;
const RZ = 3 << 22;
const FZ = 1 << 24;
const DN = 1 << 25;
const AHP = 1 << 26;
const IOC = 1;
const DZC = 2;
const OFC = 4;
const UFC = 8;
const IXC = 16;
const IDC = 128;

describe('encodings agree with the GNU assembler and disassemble like objdump', () => {
  // arm-none-eabi-as -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mthumb; arm-none-eabi-objdump -d
  const cases: [Halfwords, number, string][] = [
    [E.vadd(0, 1, 2), 0xee300a81, 'vadd.f32\ts0, s1, s2'],
    [E.vsub(31, 30, 29), 0xee7ffa6e, 'vsub.f32\ts31, s30, s29'],
    [E.vmul(3, 4, 5), 0xee621a22, 'vmul.f32\ts3, s4, s5'],
    [E.vnmul(3, 4, 5), 0xee621a62, 'vnmul.f32\ts3, s4, s5'],
    [E.vdiv(6, 7, 8), 0xee833a84, 'vdiv.f32\ts6, s7, s8'],
    [E.vmla(0, 1, 2), 0xee000a81, 'vmla.f32\ts0, s1, s2'],
    [E.vmls(0, 1, 2), 0xee000ac1, 'vmls.f32\ts0, s1, s2'],
    [E.vnmla(0, 1, 2), 0xee100ac1, 'vnmla.f32\ts0, s1, s2'],
    [E.vnmls(0, 1, 2), 0xee100a81, 'vnmls.f32\ts0, s1, s2'],
    [E.vfma(0, 1, 2), 0xeea00a81, 'vfma.f32\ts0, s1, s2'],
    [E.vfms(0, 1, 2), 0xeea00ac1, 'vfms.f32\ts0, s1, s2'],
    [E.vfnma(0, 1, 2), 0xee900ac1, 'vfnma.f32\ts0, s1, s2'],
    [E.vfnms(0, 1, 2), 0xee900a81, 'vfnms.f32\ts0, s1, s2'],
    [E.vsqrt(1, 2), 0xeef10ac1, 'vsqrt.f32\ts1, s2'],
    [E.vabs(1, 2), 0xeef00ac1, 'vabs.f32\ts1, s2'],
    [E.vneg(1, 2), 0xeef10a41, 'vneg.f32\ts1, s2'],
    [E.vmovReg(1, 2), 0xeef00a41, 'vmov.f32\ts1, s2'],
    // objdump prints the raw imm8 (#112 @ 0x3f800000 1.0); f4emu prints the UAL value.
    [E.vmovImm(1, 112), 0xeef70a00, 'vmov.f32\ts1, #1.0'],
    [E.vmovImm(1, 192), 0xeefc0a00, 'vmov.f32\ts1, #-0.125'],
    [E.vmovImm(1, 63), 0xeef30a0f, 'vmov.f32\ts1, #31.0'],
    [E.vcmp(1, 2), 0xeef40a41, 'vcmp.f32\ts1, s2'],
    [E.vcmpe(1, 2), 0xeef40ac1, 'vcmpe.f32\ts1, s2'],
    [E.vcmpZero(1), 0xeef50a40, 'vcmp.f32\ts1, #0.0'],
    [E.vcmpZero(1, true), 0xeef50ac0, 'vcmpe.f32\ts1, #0.0'],
    [E.vcvtIntF32(0, 1, true), 0xeebd0ae0, 'vcvt.s32.f32\ts0, s1'],
    [E.vcvtIntF32(0, 1, false), 0xeebc0ae0, 'vcvt.u32.f32\ts0, s1'],
    [E.vcvtIntF32(0, 1, true, true), 0xeebd0a60, 'vcvtr.s32.f32\ts0, s1'],
    [E.vcvtIntF32(0, 1, false, true), 0xeebc0a60, 'vcvtr.u32.f32\ts0, s1'],
    [E.vcvtF32Int(0, 1, true), 0xeeb80ae0, 'vcvt.f32.s32\ts0, s1'],
    [E.vcvtF32Int(0, 1, false), 0xeeb80a60, 'vcvt.f32.u32\ts0, s1'],
    [E.vcvtFixed(0, true, false, 16, 3), 0xeebe0a66, 'vcvt.s16.f32\ts0, s0, #3'],
    [E.vcvtFixed(0, true, true, 16, 16), 0xeebf0a40, 'vcvt.u16.f32\ts0, s0, #16'],
    [E.vcvtFixed(0, true, false, 32, 1), 0xeebe0aef, 'vcvt.s32.f32\ts0, s0, #1'],
    [E.vcvtFixed(0, true, true, 32, 32), 0xeebf0ac0, 'vcvt.u32.f32\ts0, s0, #32'],
    [E.vcvtFixed(0, false, false, 16, 3), 0xeeba0a66, 'vcvt.f32.s16\ts0, s0, #3'],
    [E.vcvtFixed(0, false, true, 16, 1), 0xeebb0a67, 'vcvt.f32.u16\ts0, s0, #1'],
    [E.vcvtFixed(0, false, false, 32, 7), 0xeeba0aec, 'vcvt.f32.s32\ts0, s0, #7'],
    [E.vcvtFixed(0, false, true, 32, 32), 0xeebb0ac0, 'vcvt.f32.u32\ts0, s0, #32'],
    [E.vcvtbF32F16(0, 1), 0xeeb20a60, 'vcvtb.f32.f16\ts0, s1'],
    [E.vcvttF32F16(0, 1), 0xeeb20ae0, 'vcvtt.f32.f16\ts0, s1'],
    [E.vcvtbF16F32(0, 1), 0xeeb30a60, 'vcvtb.f16.f32\ts0, s1'],
    [E.vcvttF16F32(0, 1), 0xeeb30ae0, 'vcvtt.f16.f32\ts0, s1'],
    [E.vmovCoreS(0, 1, false), 0xee001a10, 'vmov\ts0, r1'],
    [E.vmovCoreS(31, 1, true), 0xee1f1a90, 'vmov\tr1, s31'],
    [E.vmov2CoreS(0, 2, 3, false), 0xec432a10, 'vmov\ts0, s1, r2, r3'],
    [E.vmov2CoreS(30, 2, 3, true), 0xec532a1f, 'vmov\tr2, r3, s30, s31'],
    [E.vmov2CoreD(0, 2, 3, false), 0xec432b10, 'vmov\td0, r2, r3'],
    [E.vmov2CoreD(15, 2, 3, true), 0xec532b1f, 'vmov\tr2, r3, d15'],
    [E.vmovScalar(0, 0, 1, false), 0xee001b10, 'vmov.32\td0[0], r1'],
    [E.vmovScalar(15, 1, 1, false), 0xee2f1b10, 'vmov.32\td15[1], r1'],
    [E.vmovScalar(0, 0, 1, true), 0xee101b10, 'vmov.32\tr1, d0[0]'],
    [E.vmovScalar(7, 1, 1, true), 0xee371b10, 'vmov.32\tr1, d7[1]'],
    [E.vldrVstr(true, false, 0, 1, 0), 0xed910a00, 'vldr\ts0, [r1]'],
    [E.vldrVstr(true, false, 0, 1, -8), 0xed110a02, 'vldr\ts0, [r1, #-8]'],
    [E.vldrVstr(true, true, 3, 1, 1020), 0xed913bff, 'vldr\td3, [r1, #1020]'],
    [E.vldrVstr(false, false, 31, 13, 4), 0xedcdfa01, 'vstr\ts31, [sp, #4]'],
    [E.vldrVstr(false, true, 15, 1, -4), 0xed01fb01, 'vstr\td15, [r1, #-4]'],
    [E.vldrVstr(true, false, 2, 15, 8), 0xed9f1a02, 'vldr\ts2, [pc, #8]'],
    [E.vldmVstm(true, false, 0, 0, 4, false, false), 0xec900a04, 'vldmia\tr0, {s0-s3}'],
    [E.vldmVstm(true, false, 0, 4, 4, false, true), 0xecb02a04, 'vldmia\tr0!, {s4-s7}'],
    [E.vldmVstm(true, true, 0, 0, 4, true, true), 0xed300b08, 'vldmdb\tr0!, {d0-d3}'],
    [E.vldmVstm(false, true, 0, 1, 1, false, false), 0xec801b02, 'vstmia\tr0, {d1}'],
    [E.vldmVstm(false, false, 0, 1, 1, false, true), 0xece00a01, 'vstmia\tr0!, {s1}'],
    [E.vldmVstm(false, false, 0, 2, 4, true, true), 0xed201a04, 'vstmdb\tr0!, {s2-s5}'],
    [E.vpush(false, 16, 16), 0xed2d8a10, 'vpush\t{s16-s31}'],
    [E.vpop(false, 16, 16), 0xecbd8a10, 'vpop\t{s16-s31}'],
    [E.vpush(true, 8, 8), 0xed2d8b10, 'vpush\t{d8-d15}'],
    [E.vpop(true, 0, 1), 0xecbd0b02, 'vpop\t{d0}'],
    [E.vldmVstm(true, false, 13, 0, 1, false, false), 0xec9d0a01, 'vldmia\tsp, {s0}'],
    [E.vmrs(0), 0xeef10a10, 'vmrs\tr0, fpscr'],
    [E.vmrs(15), 0xeef1fa10, 'vmrs\tAPSR_nzcv, fpscr'],
    [E.vmsr(3), 0xeee13a10, 'vmsr\tfpscr, r3'],
  ];
  it.each(cases.map(([hw, want, text]) => [text, hw, want] as const))('%s', (text, hw, want) => {
    expect(hex(raw(hw))).toBe(hex(want));
    const insn = decodeRaw(want, 4);
    expect(insn.encoding.asm(insn)).toBe(text);
  });

  it('cycle counts follow the Cortex-M4 TRM', () => {
    const cycles = (hw: Halfwords): number => decodeRaw(raw(hw), 4).cycles;
    expect(cycles(E.vadd(0, 1, 2))).toBe(1);
    expect(cycles(E.vmla(0, 1, 2))).toBe(3);
    expect(cycles(E.vfma(0, 1, 2))).toBe(3);
    expect(cycles(E.vdiv(0, 1, 2))).toBe(14);
    expect(cycles(E.vsqrt(0, 1))).toBe(14);
    expect(cycles(E.vldrVstr(true, true, 0, 1, 0))).toBe(3);
    expect(cycles(E.vpush(true, 8, 8))).toBe(17);
  });

  it('double-precision data processing is UNDEFINED on FPv4-SP', () => {
    const insn = decodeRaw(0xee300b01, 4); // vadd.f64 d0, d0, d1
    expect(insn.encoding.name).toBe('coprocessor space');
  });
});

describe('ExecuteFPCheck', () => {
  it('raises NOCP while CPACR denies CP10, and executes once granted', () => {
    const m = new Machine();
    m.bus.write32(SHCSR, 1 << 18);
    m.cpu.r[13] = 0x20008000;
    m.bus.write32(0, 0x20008000);
    run(E.vadd(0, 1, 2), { s: { 1: f(1), 2: f(2) } }, m);
    expect(m.bus.read32(CFSR) & (1 << 19)).not.toBe(0);
    m.bus.write32(CFSR, 0xffffffff);
    m.bus.write32(CPACR, 0x00500000); // privileged only: thread mode is privileged here
    run(E.vadd(0, 1, 2), { s: { 1: f(1), 2: f(2) } }, m);
    expect(m.cpu.s[0]).toBe(f(3));
  });
});

describe('faults and UNPREDICTABLE encodings', () => {
  it('CPACR privileged-only access: NOCP from unprivileged thread mode', () => {
    const m = new Machine();
    m.bus.write32(SHCSR, 1 << 18);
    m.bus.write32(CPACR, 0x00500000);
    m.cpu.control = 1; // unprivileged
    m.cpu.r[13] = 0x20008000;
    run(E.vmovReg(0, 1), {}, m);
    expect(m.bus.read32(CFSR) & (1 << 19)).not.toBe(0);
  });

  it('VLDR/VSTR/VLDM require word alignment (UNALIGNED whatever CCR says)', () => {
    const m = new Machine();
    m.bus.write32(SHCSR, 1 << 18);
    m.bus.write32(CPACR, 0x00f00000);
    m.cpu.r[13] = 0x20008000;
    run(E.vldrVstr(true, false, 0, 1, 0), { r: { 1: DATA + 2 } }, m);
    expect(m.bus.read32(CFSR) & (1 << 24)).not.toBe(0);
  });

  it('SP or PC as a core register, S31 as a pair start, empty lists are undefined', () => {
    const undef = (hw: Halfwords): string => decodeRaw(raw(hw), 4).encoding.name;
    expect(undef(E.vmovCoreS(0, 13, true))).toMatch(/undefined/i);
    expect(undef(E.vmovCoreS(0, 15, false))).toMatch(/undefined/i);
    expect(undef(E.vmov2CoreS(31, 1, 2, false))).toMatch(/undefined/i);
    expect(undef(E.vmov2CoreD(0, 1, 1, true))).toMatch(/undefined/i);
    expect(undef(E.vmsr(15))).toMatch(/undefined/i);
    expect(undef(E.vldmVstm(true, false, 0, 30, 3, false, false))).toMatch(/undefined/i);
    expect(undef(E.vldmVstm(true, false, 15, 0, 1, false, false))).toMatch(/undefined/i);
    expect(undef(E.vcvtFixed(0, true, false, 16, -1))).toMatch(/undefined/i);
  });
});

describe('arithmetic', () => {
  const bin = (hw: Halfwords, a: number, b: number, fpscr = 0): [string, number] => {
    const m = run(hw, { s: { 1: a, 2: b }, fpscr });
    return [hex(m.cpu.s[0]!), m.cpu.fpscr];
  };

  it('VADD/VSUB: exact, inexact, zero signs, infinities', () => {
    expect(bin(E.vadd(0, 1, 2), f(1.5), f(2.25))).toEqual([hex(f(3.75)), 0]);
    expect(bin(E.vadd(0, 1, 2), f(1), f(2 ** -30))).toEqual([hex(f(1)), IXC]);
    expect(bin(E.vadd(0, 1, 2), f(1), f(2 ** -30), RP)).toEqual([hex(0x3f800001), RP | IXC]);
    expect(bin(E.vadd(0, 1, 2), f(1), f(-(2 ** -30)), RZ)).toEqual([hex(0x3f7fffff), RZ | IXC]);
    expect(bin(E.vsub(0, 1, 2), f(1), f(1))).toEqual([hex(0), 0]);
    expect(bin(E.vsub(0, 1, 2), f(1), f(1), RM)).toEqual([hex(0x80000000), RM]);
    expect(bin(E.vadd(0, 1, 2), 0x80000000, 0x80000000)).toEqual([hex(0x80000000), 0]);
    expect(bin(E.vadd(0, 1, 2), 0x7f800000, 0xff800000)).toEqual([hex(0x7fc00000), IOC]);
    expect(bin(E.vsub(0, 1, 2), 0x7f800000, 0xff800000)).toEqual([hex(0x7f800000), 0]);
    // Overflow: to infinity in RN, to the largest finite in RZ.
    expect(bin(E.vadd(0, 1, 2), 0x7f7fffff, 0x7f7fffff)).toEqual([hex(0x7f800000), OFC | IXC]);
    expect(bin(E.vadd(0, 1, 2), 0x7f7fffff, 0x7f7fffff, RZ)).toEqual([
      hex(0x7f7fffff),
      RZ | OFC | IXC,
    ]);
    // RN ties to even.
    expect(bin(E.vadd(0, 1, 2), f(1), f(2 ** -24))).toEqual([hex(f(1)), IXC]);
    expect(bin(E.vadd(0, 1, 2), 0x3f800001, f(2 ** -24))).toEqual([hex(0x3f800002), IXC]);
  });

  it('NaN propagation: signalling first, quieted; operand order; default NaN', () => {
    expect(bin(E.vadd(0, 1, 2), 0x7fc00001, 0x7f800002)).toEqual([hex(0x7fc00002), IOC]);
    expect(bin(E.vadd(0, 1, 2), 0xffc00001, 0x7fc00002)).toEqual([hex(0xffc00001), 0]);
    expect(bin(E.vmul(0, 1, 2), f(1), 0x7f800003)).toEqual([hex(0x7fc00003), IOC]);
    expect(bin(E.vmul(0, 1, 2), f(1), 0x7f800003, DN)).toEqual([hex(0x7fc00000), DN | IOC]);
    expect(bin(E.vdiv(0, 1, 2), 0xffc12345, f(0), DN)).toEqual([hex(0x7fc00000), DN]);
  });

  it('flush-to-zero: denormal inputs (IDC) and tiny results (UFC)', () => {
    expect(bin(E.vadd(0, 1, 2), 0x00000001, f(1), FZ)).toEqual([hex(f(1)), FZ | IDC]);
    expect(bin(E.vadd(0, 1, 2), 0x00000001, f(1))).toEqual([hex(f(1)), IXC]);
    // 2^-100 * 2^-30 is tiny: flushed with UFC (no IXC) under FZ, a denormal otherwise.
    expect(bin(E.vmul(0, 1, 2), f(2 ** -100), f(2 ** -30), FZ)).toEqual([hex(0), FZ | UFC]);
    expect(bin(E.vmul(0, 1, 2), f(2 ** -100), f(2 ** -30))).toEqual([hex(f(2 ** -130)), 0]);
    expect(bin(E.vmul(0, 1, 2), f(2 ** -100), f(3 * 2 ** -50))).toEqual([
      hex(0x00000002),
      UFC | IXC,
    ]);
    // Tininess before rounding: rounds up to the smallest normal and still signals UFC.
    expect(bin(E.vmul(0, 1, 2), 0x3f7fffff, 0x00800000, RP)).toEqual([
      hex(0x00800000),
      RP | UFC | IXC,
    ]);
  });

  it('VMUL/VNMUL/VDIV: signs, division by zero, 0 * inf', () => {
    expect(bin(E.vnmul(0, 1, 2), f(2), f(3))).toEqual([hex(f(-6)), 0]);
    expect(bin(E.vmul(0, 1, 2), f(0), 0xff800000)).toEqual([hex(0x7fc00000), IOC]);
    expect(bin(E.vdiv(0, 1, 2), f(1), 0x80000000)).toEqual([hex(0xff800000), DZC]);
    expect(bin(E.vdiv(0, 1, 2), f(0), f(0))).toEqual([hex(0x7fc00000), IOC]);
    expect(bin(E.vdiv(0, 1, 2), f(1), f(3))).toEqual([hex(f(1 / 3)), IXC]);
    expect(bin(E.vdiv(0, 1, 2), f(1), f(3), RP)).toEqual([hex(0x3eaaaaab), RP | IXC]);
    expect(bin(E.vdiv(0, 1, 2), f(1), f(3), RZ)).toEqual([hex(0x3eaaaaaa), RZ | IXC]);
    expect(bin(E.vdiv(0, 1, 2), f(6), f(3))).toEqual([hex(f(2)), 0]);
  });

  it('VSQRT: exact, inexact in each mode, -0, negative', () => {
    const sq = (a: number, fpscr = 0): [string, number] => {
      const m = run(E.vsqrt(0, 1), { s: { 1: a }, fpscr });
      return [hex(m.cpu.s[0]!), m.cpu.fpscr];
    };
    expect(sq(f(4))).toEqual([hex(f(2)), 0]);
    expect(sq(f(2))).toEqual([hex(f(Math.SQRT2)), IXC]);
    expect(sq(f(2), RZ)).toEqual([hex(0x3fb504f3), RZ | IXC]);
    expect(sq(f(2), RP)).toEqual([hex(0x3fb504f4), RP | IXC]);
    expect(sq(0x80000000)).toEqual([hex(0x80000000), 0]);
    expect(sq(f(-1))).toEqual([hex(0x7fc00000), IOC]);
    expect(sq(0x00000001)).toEqual([hex(f(Math.sqrt(2 ** -149))), IXC]);
  });

  it('VMLA rounds twice; VFMA rounds once', () => {
    const acc = (hw: Halfwords, d: number, n: number, m: number, fpscr = 0): [string, number] => {
      const mm = run(hw, { s: { 0: d, 1: n, 2: m }, fpscr });
      return [hex(mm.cpu.s[0]!), mm.cpu.fpscr];
    };
    // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24; + 2^-70 lies just above the halfway point.
    const a = 0x3f800800;
    expect(acc(E.vfma(0, 1, 2), f(2 ** -70), a, a)).toEqual([hex(0x3f801001), IXC]);
    expect(acc(E.vmla(0, 1, 2), f(2 ** -70), a, a)).toEqual([hex(0x3f801000), IXC]);
    expect(acc(E.vfms(0, 1, 2), f(3), f(1), f(2))).toEqual([hex(f(1)), 0]);
    expect(acc(E.vfnma(0, 1, 2), f(3), f(1), f(2))).toEqual([hex(f(-5)), 0]);
    expect(acc(E.vfnms(0, 1, 2), f(3), f(1), f(2))).toEqual([hex(f(-1)), 0]);
    expect(acc(E.vmls(0, 1, 2), f(3), f(1), f(2))).toEqual([hex(f(1)), 0]);
    expect(acc(E.vnmla(0, 1, 2), f(3), f(1), f(2))).toEqual([hex(f(-5)), 0]);
    expect(acc(E.vnmls(0, 1, 2), f(3), f(1), f(2))).toEqual([hex(f(-1)), 0]);
    // A quiet NaN addend with 0 * inf: default NaN and IOC.
    expect(acc(E.vfma(0, 1, 2), 0x7fc00001, 0, 0x7f800000)).toEqual([hex(0x7fc00000), IOC]);
    // VNMLA negates a NaN product.
    expect(acc(E.vnmla(0, 1, 2), f(1), 0x7fc00001, f(1))).toEqual([hex(0xffc00001), 0]);
  });

  it('VABS/VNEG/VMOV touch only the sign and raise nothing', () => {
    expect(hex(run(E.vabs(0, 1), { s: { 1: 0xff800001 } }).cpu.s[0]!)).toBe(hex(0x7f800001));
    expect(hex(run(E.vneg(0, 1), { s: { 1: 0x7f800001 } }).cpu.s[0]!)).toBe(hex(0xff800001));
    expect(run(E.vneg(0, 1), { s: { 1: 0x7f800001 } }).cpu.fpscr).toBe(0);
    expect(hex(run(E.vmovReg(0, 1), { s: { 1: 0x12345678 } }).cpu.s[0]!)).toBe(hex(0x12345678));
    expect(hex(run(E.vmovImm(3, 112)).cpu.s[3]!)).toBe(hex(f(1)));
    expect(hex(run(E.vmovImm(3, 0xff)).cpu.s[3]!)).toBe(hex(f(-1.9375)));
  });

  it('VCMP/VCMPE write FPSCR NZCV; VMRS APSR_nzcv copies them', () => {
    const cmp = (hw: Halfwords, a: number, b: number): number =>
      run(hw, { s: { 1: a, 2: b } }).cpu.fpscr;
    expect(cmp(E.vcmp(1, 2), f(1), f(2))).toBe(0x80000000);
    expect(cmp(E.vcmp(1, 2), f(2), f(1))).toBe(0x20000000);
    expect(cmp(E.vcmp(1, 2), 0x80000000, 0)).toBe(0x60000000);
    expect(cmp(E.vcmp(1, 2), 0x7fc00000, 0)).toBe(0x30000000);
    expect(cmp(E.vcmpe(1, 2), 0x7fc00000, 0)).toBe(0x30000000 | IOC);
    expect(cmp(E.vcmp(1, 2), 0x7f800001, 0)).toBe(0x30000000 | IOC);
    expect(cmp(E.vcmpZero(1), f(-1), 0)).toBe(0x80000000);
    const m = run(E.vmrs(15), { fpscr: 0x60000000 });
    expect([m.cpu.n, m.cpu.z, m.cpu.c, m.cpu.v]).toEqual([0, 1, 1, 0]);
    expect(run(E.vmrs(4), { fpscr: 0x60000010 }).cpu.r[4]).toBe(0x60000010);
    expect(run(E.vmsr(4), { r: { 4: 0xffffffff } }).cpu.fpscr).toBe(0xf7c0009f);
  });
});

describe('conversions', () => {
  const cv = (hw: Halfwords, a: number, fpscr = 0, d = 0): [string, number] => {
    const m = run(hw, { s: { 0: d, 1: a }, fpscr });
    return [hex(m.cpu.s[0]!), m.cpu.fpscr];
  };
  it('VCVT to integer: round towards zero, or the FPSCR mode (VCVTR); saturation', () => {
    expect(cv(E.vcvtIntF32(0, 1, true), f(-2.5))).toEqual([hex(-2), IXC]);
    expect(cv(E.vcvtIntF32(0, 1, true, true), f(-2.5))).toEqual([hex(-2), IXC]);
    expect(cv(E.vcvtIntF32(0, 1, true, true), f(-3.5))).toEqual([hex(-4), IXC]);
    expect(cv(E.vcvtIntF32(0, 1, true, true), f(-2.5), RM)).toEqual([hex(-3), RM | IXC]);
    expect(cv(E.vcvtIntF32(0, 1, false), f(-0.5))).toEqual([hex(0), IXC]);
    expect(cv(E.vcvtIntF32(0, 1, false), f(-1))).toEqual([hex(0), IOC]);
    expect(cv(E.vcvtIntF32(0, 1, true), f(2 ** 31))).toEqual([hex(0x7fffffff), IOC]);
    expect(cv(E.vcvtIntF32(0, 1, true), 0x7fc00000)).toEqual([hex(0), IOC]);
    expect(cv(E.vcvtIntF32(0, 1, false), 0x7f800000)).toEqual([hex(0xffffffff), IOC]);
    expect(cv(E.vcvtIntF32(0, 1, true), 0x00000001, FZ)).toEqual([hex(0), FZ | IDC]);
  });
  it('VCVT from integer rounds in the FPSCR mode', () => {
    expect(cv(E.vcvtF32Int(0, 1, true), 0xffffffff)).toEqual([hex(f(-1)), 0]);
    expect(cv(E.vcvtF32Int(0, 1, false), 0xffffffff)).toEqual([hex(f(2 ** 32)), IXC]);
    expect(cv(E.vcvtF32Int(0, 1, false), 0xffffffff, RZ)).toEqual([hex(0x4f7fffff), RZ | IXC]);
    expect(cv(E.vcvtF32Int(0, 1, true), 0)).toEqual([hex(0), 0]);
  });
  it('fixed point in place, 16-bit forms sign- or zero-extended', () => {
    const fx = (hw: Halfwords, d: number, fpscr = 0): [string, number] => {
      const m = run(hw, { s: { 0: d }, fpscr });
      return [hex(m.cpu.s[0]!), m.cpu.fpscr];
    };
    expect(fx(E.vcvtFixed(0, true, false, 16, 3), f(-1.25))).toEqual([hex(-10), 0]);
    expect(fx(E.vcvtFixed(0, true, false, 16, 3), f(5000))).toEqual([hex(0x7fff), IOC]);
    expect(fx(E.vcvtFixed(0, true, true, 16, 16), f(0.5))).toEqual([hex(0x8000), 0]);
    expect(fx(E.vcvtFixed(0, false, false, 16, 3), 0x1234fff6)).toEqual([hex(f(-1.25)), 0]);
    expect(fx(E.vcvtFixed(0, false, true, 16, 3), 0x1234fff6)).toEqual([hex(f(65526 / 8)), 0]);
    expect(fx(E.vcvtFixed(0, false, true, 32, 32), 0x80000000)).toEqual([hex(f(0.5)), 0]);
    // From fixed point always rounds to nearest, whatever FPSCR.RMode (2^24 + 1 is inexact).
    expect(fx(E.vcvtFixed(0, false, true, 32, 1), 0x02000003, RZ)).toEqual([
      hex(f(2 ** 24 + 2)),
      RZ | IXC,
    ]);
    expect(fx(E.vcvtFixed(0, false, true, 32, 1), 0x02000003, RM)).toEqual([
      hex(f(2 ** 24 + 2)),
      RM | IXC,
    ]);
  });
  it('half precision: VCVTB/VCVTT both ways, AHP, NaNs', () => {
    expect(cv(E.vcvtbF32F16(0, 1), 0x3c00)).toEqual([hex(f(1)), 0]);
    expect(cv(E.vcvttF32F16(0, 1), 0xc0000000)).toEqual([hex(f(-2)), 0]);
    expect(cv(E.vcvtbF32F16(0, 1), 0x0001)).toEqual([hex(f(2 ** -24)), 0]);
    expect(cv(E.vcvtbF32F16(0, 1), 0x7c01)).toEqual([hex(0x7fc02000), IOC]);
    expect(cv(E.vcvtbF32F16(0, 1), 0x7c00, AHP)).toEqual([hex(f(65536)), AHP]);
    expect(cv(E.vcvtbF16F32(0, 1), f(1), 0, 0xaaaaaaaa)).toEqual([hex(0xaaaa3c00), 0]);
    expect(cv(E.vcvttF16F32(0, 1), f(1), 0, 0xaaaaaaaa)).toEqual([hex(0x3c00aaaa), 0]);
    expect(cv(E.vcvtbF16F32(0, 1), f(65520))).toEqual([hex(0x7c00), OFC | IXC]);
    expect(cv(E.vcvtbF16F32(0, 1), f(65520), RZ)).toEqual([hex(0x7bff), RZ | IXC]); // rounds first
    expect(cv(E.vcvtbF16F32(0, 1), f(2 ** -25))).toEqual([hex(0), UFC | IXC]);
    expect(cv(E.vcvtbF16F32(0, 1), f(1e6), AHP)).toEqual([hex(0x7fff), AHP | IOC]);
    expect(cv(E.vcvtbF16F32(0, 1), 0x7f800000, AHP)).toEqual([hex(0x7fff), AHP | IOC]);
    expect(cv(E.vcvtbF16F32(0, 1), 0xffc00000, AHP)).toEqual([hex(0x8000), AHP | IOC]);
    expect(cv(E.vcvtbF16F32(0, 1), 0x7fa00000)).toEqual([hex(0x7f00), IOC]);
  });
});

describe('transfers, loads and stores', () => {
  it('VMOV between core and S/D registers and scalars', () => {
    expect(run(E.vmovCoreS(5, 3, false), { r: { 3: 0xdeadbeef } }).cpu.s[5]).toBe(0xdeadbeef);
    expect(run(E.vmovCoreS(5, 3, true), { s: { 5: 0xcafe } }).cpu.r[3]).toBe(0xcafe);
    let m = run(E.vmov2CoreS(6, 1, 2, false), { r: { 1: 11, 2: 22 } });
    expect([m.cpu.s[6], m.cpu.s[7]]).toEqual([11, 22]);
    m = run(E.vmov2CoreD(3, 1, 2, true), { s: { 6: 33, 7: 44 } });
    expect([m.cpu.r[1], m.cpu.r[2]]).toEqual([33, 44]);
    expect(run(E.vmovScalar(2, 1, 4, false), { r: { 4: 9 } }).cpu.s[5]).toBe(9);
    expect(run(E.vmovScalar(2, 0, 4, true), { s: { 4: 7 } }).cpu.r[4]).toBe(7);
  });
  it('VLDR/VSTR S and D, PC-relative', () => {
    machine.bus.write32(DATA + 8, 0x11111111);
    machine.bus.write32(DATA + 12, 0x22222222);
    let m = run(E.vldrVstr(true, true, 1, 1, 8), { r: { 1: DATA } });
    expect([hex(m.cpu.s[2]!), hex(m.cpu.s[3]!)]).toEqual(['0x11111111', '0x22222222']);
    m = run(E.vldrVstr(true, false, 4, 1, -4), { r: { 1: DATA + 16 } });
    expect(hex(m.cpu.s[4]!)).toBe('0x22222222');
    run(E.vldrVstr(false, true, 2, 1, 0), { r: { 1: DATA + 32 }, s: { 4: 5, 5: 6 } });
    expect([machine.bus.read32(DATA + 32), machine.bus.read32(DATA + 36)]).toEqual([5, 6]);
    machine.bus.write32(BASE + 8, 0x77);
    expect(run(E.vldrVstr(true, false, 0, 15, 4)).cpu.s[0]).toBe(0x77);
  });
  it('VPUSH/VPOP and VLDM/VSTM with writeback', () => {
    const s: Record<number, number> = {};
    for (let k = 0; k < 32; k++) s[k] = 0x100 + k;
    let m = run(E.vpush(true, 8, 8), { s });
    const sp = DATA + 0x800 - 64;
    expect(hex(m.cpu.r[13]!)).toBe(hex(sp));
    expect(machine.bus.read32(sp)).toBe(0x110);
    expect(machine.bus.read32(sp + 60)).toBe(0x11f);
    m = run(E.vpop(false, 0, 3), { r: { 13: sp } });
    expect([m.cpu.s[0], m.cpu.s[1], m.cpu.s[2], hex(m.cpu.r[13]!)]).toEqual([
      0x110,
      0x111,
      0x112,
      hex(sp + 12),
    ]);
    m = run(E.vldmVstm(true, false, 0, 5, 2, true, true), { r: { 0: sp + 8 } });
    expect([m.cpu.s[5], m.cpu.s[6], hex(m.cpu.r[0]!)]).toEqual([0x110, 0x111, hex(sp)]);
  });
});
