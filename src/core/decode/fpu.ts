/**
 * FPv4-SP-D16 encodings (ARMv7-M ARM A6: floating-point data-processing, extension register
 * load/store, 32- and 64-bit transfers between core and extension registers). Only the single
 * precision data-processing forms exist (sz = 0); sz = 1 data processing and the UNDEFINED
 * rows fall through to the coprocessor catch-all of system.ts (NOCP or UNDEFINSTR).
 *
 * Cycle counts follow the Cortex-M4 TRM (7.2, FPU instruction set): 1 for most, 3 for the
 * multiply-accumulates, 14 for VDIV and VSQRT, 2/3 for VLDR/VSTR S/D, 1 + N for N words moved
 * by VLDM/VSTM/VPUSH/VPOP, 2 for the two-register VMOVs.
 *
 * Pattern letters: D/N/M = the extra register bit, d/n/m = Vd/Vn/Vm, o = op bits, t = Rt,
 * i = immediate, x = other fields read by the decode function.
 */
import { reg } from '../insn.js';
import * as x from '../execute/fpu.js';
import { toDouble } from '../fpu/softfloat.js';
import { enc, unpredictable, type Encoding, type ExecFn, type Insn } from '../insn.js';

const sreg = (n: number): string => `s${n}`;

/** Sd = Vd:D, Sn = Vn:N, Sm = Vm:M. */
function sd(raw: number): number {
  return (((raw >>> 12) & 15) << 1) | ((raw >>> 22) & 1);
}
function sn(raw: number): number {
  return (((raw >>> 16) & 15) << 1) | ((raw >>> 7) & 1);
}
function sm(raw: number): number {
  return ((raw & 15) << 1) | ((raw >>> 5) & 1);
}
/** Dd = D:Vd, Dm = M:Vm. */
function dd(raw: number): number {
  return (((raw >>> 22) & 1) << 4) | ((raw >>> 12) & 15);
}
function dm(raw: number): number {
  return (((raw >>> 5) & 1) << 4) | (raw & 15);
}

function dnm(raw: number, i: Insn): void {
  i.rd = sd(raw);
  i.rn = sn(raw);
  i.rm = sm(raw);
}
function dm1(raw: number, i: Insn): void {
  i.rd = sd(raw);
  i.rm = sm(raw);
}

/** VFPExpandImm(imm8) for single precision. */
export function vfpExpandImm(imm8: number): number {
  const b6 = (imm8 >>> 6) & 1;
  const exp = ((b6 ^ 1) << 7) | (b6 ? 0x7c : 0) | ((imm8 >>> 4) & 3);
  return (((imm8 >>> 7) << 31) | (exp << 23) | ((imm8 & 15) << 19)) >>> 0;
}

function floatText(bits: number): string {
  const v = toDouble(bits);
  const t = String(v);
  return Number.isInteger(v) && !t.includes('e') ? `${t}.0` : t;
}

/** A three-operand data-processing form: '11101110 o D oo nnnn dddd 1010 N o M 0 mmmm'. */
function dp3(
  name: string,
  mn: string,
  hi: string,
  op: string,
  exec: ExecFn,
  extra: number,
  cycles = 1,
) {
  return enc(
    `${name} T1`,
    `11101110${hi[0]}x${hi.slice(1)}xxxx xxxx1010x${op}x0xxxx`,
    (raw, i) => {
      dnm(raw, i);
      i.extra = extra;
      i.cycles = cycles;
    },
    exec,
    (i) => `${mn}.f32\t${sreg(i.rd)}, ${sreg(i.rn)}, ${sreg(i.rm)}`,
  );
}

/** A two-operand form: '111011101D11 oooo dddd 1010 o1M0 mmmm'. */
function dp2(name: string, mn: string, opc2: string, b7: string, exec: ExecFn, extra = 0) {
  // Cortex-M4 TRM 7.2: VSQRT takes 14 cycles, the other two-operand forms 1.
  const cycles = exec === x.vsqrt ? 14 : 1;
  return enc(
    `${name} T1`,
    `111011101x11${opc2} xxxx1010${b7}1x0xxxx`,
    (raw, i) => {
      dm1(raw, i);
      i.extra = extra;
      i.cycles = cycles;
    },
    exec,
    (i) => `${mn}\t${sreg(i.rd)}, ${sreg(i.rm)}`,
  );
}

const dataProcessing: Encoding[] = [
  dp3('VMLA', 'vmla', '000', '0', x.vmla, 0, 3),
  dp3('VMLS', 'vmls', '000', '1', x.vmla, 1, 3),
  dp3('VNMLS', 'vnmls', '001', '0', x.vmla, 2, 3),
  dp3('VNMLA', 'vnmla', '001', '1', x.vmla, 3, 3),
  dp3('VMUL', 'vmul', '010', '0', x.vmul, 0),
  dp3('VNMUL', 'vnmul', '010', '1', x.vnmul, 0),
  dp3('VADD', 'vadd', '011', '0', x.vadd, 0),
  dp3('VSUB', 'vsub', '011', '1', x.vsub, 0),
  dp3('VDIV', 'vdiv', '100', '0', x.vdiv, 0, 14),
  dp3('VFNMS', 'vfnms', '101', '0', x.vfma, 2, 3),
  dp3('VFNMA', 'vfnma', '101', '1', x.vfma, 3, 3),
  dp3('VFMA', 'vfma', '110', '0', x.vfma, 0, 3),
  dp3('VFMS', 'vfms', '110', '1', x.vfma, 1, 3),
  enc(
    'VMOV (immediate) T1',
    '111011101x11iiii xxxx10100000iiii',
    (raw, i) => {
      i.rd = sd(raw);
      i.imm2 = ((raw >>> 12) & 0xf0) | (raw & 15);
      i.imm = vfpExpandImm(i.imm2);
    },
    x.vmovImm,
    (i) => `vmov.f32\t${sreg(i.rd)}, #${floatText(i.imm)}`,
  ),
  dp2('VMOV (register)', 'vmov.f32', '0000', '0', x.vmovReg),
  dp2('VABS', 'vabs.f32', '0000', '1', x.vabs),
  dp2('VNEG', 'vneg.f32', '0001', '0', x.vneg),
  dp2('VSQRT', 'vsqrt.f32', '0001', '1', x.vsqrt),
  dp2('VCVTB (F32.F16)', 'vcvtb.f32.f16', '0010', '0', x.vcvtFromHalf),
  dp2('VCVTT (F32.F16)', 'vcvtt.f32.f16', '0010', '1', x.vcvtFromHalf, 16),
  dp2('VCVTB (F16.F32)', 'vcvtb.f16.f32', '0011', '0', x.vcvtToHalf),
  dp2('VCVTT (F16.F32)', 'vcvtt.f16.f32', '0011', '1', x.vcvtToHalf, 16),
  dp2('VCMP', 'vcmp.f32', '0100', '0', x.vcmp, 0),
  dp2('VCMPE', 'vcmpe.f32', '0100', '1', x.vcmp, 1),
  ...[0, 1].map((e) =>
    enc(
      `VCMP${e ? 'E' : ''} (zero) T2`,
      `111011101x110101 xxxx1010${e}1000000`,
      (raw, i) => {
        i.rd = sd(raw);
        i.imm = 1;
        i.extra = e;
      },
      x.vcmp,
      (i) => `vcmp${e ? 'e' : ''}.f32\t${sreg(i.rd)}, #0.0`,
    ),
  ),
  dp2('VCVT (F32.U32)', 'vcvt.f32.u32', '1000', '0', x.vcvtFromInt, 1),
  dp2('VCVT (F32.S32)', 'vcvt.f32.s32', '1000', '1', x.vcvtFromInt, 0),
  dp2('VCVTR (U32.F32)', 'vcvtr.u32.f32', '1100', '0', x.vcvtToInt, 1),
  dp2('VCVT (U32.F32)', 'vcvt.u32.f32', '1100', '1', x.vcvtToInt, 3),
  dp2('VCVTR (S32.F32)', 'vcvtr.s32.f32', '1101', '0', x.vcvtToInt, 0),
  dp2('VCVT (S32.F32)', 'vcvt.s32.f32', '1101', '1', x.vcvtToInt, 2),
  enc(
    'VCVT (between floating-point and fixed-point) T1',
    '111011101x111o1u xxxx1010s1i0iiii',
    (raw, i) => {
      i.rd = sd(raw);
      const toFixed = (raw >>> 18) & 1;
      const unsigned = (raw >>> 16) & 1;
      const size = raw & 0x80 ? 32 : 16;
      const imm5 = ((raw & 15) << 1) | ((raw >>> 5) & 1);
      if (size === 16 && imm5 > 16) unpredictable('fixed-point VCVT with imm > 16');
      i.imm2 = size;
      i.imm = size - imm5;
      i.extra = unsigned | (toFixed << 1);
    },
    x.vcvtFixed,
    (i) => {
      const t = `${i.extra & 1 ? 'u' : 's'}${i.imm2}`;
      const types = i.extra & 2 ? `${t}.f32` : `f32.${t}`;
      return `vcvt.${types}\t${sreg(i.rd)}, ${sreg(i.rd)}, #${i.imm}`;
    },
  ),
];

// ---- transfers ----

const noSpPc = (r: number, what: string): void => {
  if (r === 13 || r === 15) unpredictable(`${what} is SP or PC`);
};

const transfers: Encoding[] = [
  enc(
    'VMOV (between ARM core register and single-precision register) T1',
    '11101110000onnnn tttt1010x0010000',
    (raw, i) => {
      i.rn = sn(raw);
      i.rt = (raw >>> 12) & 15;
      i.extra = (raw >>> 20) & 1;
      noSpPc(i.rt, 'Rt');
    },
    x.vmovCoreSingle,
    (i) => (i.extra ? `vmov\t${reg(i.rt)}, ${sreg(i.rn)}` : `vmov\t${sreg(i.rn)}, ${reg(i.rt)}`),
  ),
  enc(
    'VMOV (between two ARM core registers and two single-precision registers) T1',
    '11101100010otttt tttt101000x1xxxx',
    (raw, i) => {
      i.rm = sm(raw);
      i.rt = (raw >>> 12) & 15;
      i.rt2 = (raw >>> 16) & 15;
      i.extra = (raw >>> 20) & 1;
      noSpPc(i.rt, 'Rt');
      noSpPc(i.rt2, 'Rt2');
      if (i.rm === 31) unpredictable('Sm is S31');
      if (i.extra && i.rt === i.rt2) unpredictable('Rt == Rt2');
      i.cycles = 2;
    },
    x.vmovCoreTwo,
    (i) => {
      const s = `${sreg(i.rm)}, ${sreg(i.rm + 1)}`;
      const r = `${reg(i.rt)}, ${reg(i.rt2)}`;
      return i.extra ? `vmov\t${r}, ${s}` : `vmov\t${s}, ${r}`;
    },
  ),
  enc(
    'VMOV (between two ARM core registers and a doubleword register) T1',
    '11101100010otttt tttt101100x1xxxx',
    (raw, i) => {
      i.rm = dm(raw) * 2;
      i.rt = (raw >>> 12) & 15;
      i.rt2 = (raw >>> 16) & 15;
      i.extra = (raw >>> 20) & 1;
      noSpPc(i.rt, 'Rt');
      noSpPc(i.rt2, 'Rt2');
      if (i.rm >= 32) unpredictable('D16-D31 do not exist');
      if (i.extra && i.rt === i.rt2) unpredictable('Rt == Rt2');
      i.cycles = 2;
    },
    x.vmovCoreTwo,
    (i) => {
      const r = `${reg(i.rt)}, ${reg(i.rt2)}`;
      return i.extra ? `vmov\t${r}, d${i.rm / 2}` : `vmov\td${i.rm / 2}, ${r}`;
    },
  ),
  enc(
    'VMOV (ARM core register to scalar) T1',
    '1110111000h0xxxx tttt1011x0010000',
    (raw, i) => {
      const d = (((raw >>> 7) & 1) << 4) | ((raw >>> 16) & 15);
      i.rn = d * 2 + ((raw >>> 21) & 1);
      i.rt = (raw >>> 12) & 15;
      i.extra = 0;
      noSpPc(i.rt, 'Rt');
      if (d >= 16) unpredictable('D16-D31 do not exist');
    },
    x.vmovScalar,
    (i) => `vmov.32\td${i.rn >>> 1}[${i.rn & 1}], ${reg(i.rt)}`,
  ),
  enc(
    'VMOV (scalar to ARM core register) T1',
    '1110111000h1xxxx tttt1011x0010000',
    (raw, i) => {
      const d = (((raw >>> 7) & 1) << 4) | ((raw >>> 16) & 15);
      i.rn = d * 2 + ((raw >>> 21) & 1);
      i.rt = (raw >>> 12) & 15;
      i.extra = 1;
      noSpPc(i.rt, 'Rt');
      if (d >= 16) unpredictable('D16-D31 do not exist');
    },
    x.vmovScalar,
    (i) => `vmov.32\t${reg(i.rt)}, d${i.rn >>> 1}[${i.rn & 1}]`,
  ),
  enc(
    'VMRS T1',
    '1110111011110001 tttt101000010000',
    (raw, i) => {
      i.rt = (raw >>> 12) & 15;
      if (i.rt === 13) unpredictable('Rt is SP');
    },
    x.vmrs,
    (i) => `vmrs\t${i.rt === 15 ? 'APSR_nzcv' : reg(i.rt)}, fpscr`,
  ),
  enc(
    'VMSR T1',
    '1110111011100001 tttt101000010000',
    (raw, i) => {
      i.rt = (raw >>> 12) & 15;
      noSpPc(i.rt, 'Rt');
    },
    x.vmsr,
    (i) => `vmsr\tfpscr, ${reg(i.rt)}`,
  ),
];

// ---- extension register loads and stores ----

function vldrVstr(load: boolean, double: boolean): Encoding {
  const mn = load ? 'vldr' : 'vstr';
  return enc(
    `${mn.toUpperCase()} T${double ? 1 : 2}`,
    `11101101ux0${load ? 1 : 0}nnnn xxxx101${double ? 1 : 0}iiiiiiii`,
    (raw, i) => {
      i.rd = double ? dd(raw) * 2 : sd(raw);
      i.rn = (raw >>> 16) & 15;
      i.imm2 = double ? 2 : 1;
      i.imm = (raw & 0xff) * 4 * ((raw >>> 23) & 1 ? 1 : -1);
      i.add = ((raw >>> 23) & 1) === 1;
      if (double && i.rd >= 32) unpredictable('D16-D31 do not exist');
      if (!load && i.rn === 15) unpredictable('VSTR with Rn = PC');
      i.cycles = double ? 3 : 2;
    },
    load ? x.vldr : x.vstr,
    (i) => {
      const r = double ? `d${i.rd / 2}` : sreg(i.rd);
      const off = i.imm === 0 && i.add ? '' : `, #${i.add ? '' : '-'}${Math.abs(i.imm)}`;
      return `${mn}\t${r}, [${reg(i.rn)}${off}]`;
    },
  );
}

function vldmVstm(load: boolean, double: boolean, pu: string, w: number): Encoding {
  const mode = pu === '01' ? 'ia' : 'db';
  const mn = load ? 'vldm' : 'vstm';
  return enc(
    `${mn.toUpperCase()}${mode.toUpperCase()}${w ? '!' : ''} T${double ? 1 : 2}`,
    `1110110${pu}x${w}${load ? 1 : 0}nnnn xxxx101${double ? 1 : 0}iiiiiiii`,
    (raw, i) => {
      const imm8 = raw & 0xff;
      i.rn = (raw >>> 16) & 15;
      i.add = pu === '01';
      i.wback = w === 1;
      i.imm = imm8 * 4;
      i.imm2 = double ? 2 : 1;
      if (i.rn === 15) unpredictable('Rn is PC');
      if (double) {
        const d = dd(raw);
        const regs = imm8 >>> 1;
        if (regs === 0 || regs > 16 || d + regs > 16) unpredictable('register list');
        i.rd = d * 2;
        i.list = regs * 2;
      } else {
        const d = sd(raw);
        if (imm8 === 0 || d + imm8 > 32) unpredictable('register list');
        i.rd = d;
        i.list = imm8;
      }
      i.cycles = 1 + i.list;
    },
    load ? x.vldm : x.vstm,
    (i) => {
      const double = i.imm2 === 2;
      const first = double ? i.rd / 2 : i.rd;
      const last = first + (double ? i.list / 2 : i.list) - 1;
      const p = double ? 'd' : 's';
      const list = `{${p}${first}${last !== first ? `-${p}${last}` : ''}}`;
      if (i.rn === 13 && i.wback && load === i.add) return `${load ? 'vpop' : 'vpush'}\t${list}`;
      return `${mn}${mode}\t${reg(i.rn)}${i.wback ? '!' : ''}, ${list}`;
    },
  );
}

const loadStore: Encoding[] = [];
for (const load of [true, false]) {
  for (const double of [false, true]) {
    loadStore.push(vldrVstr(load, double));
    loadStore.push(vldmVstm(load, double, '01', 0));
    loadStore.push(vldmVstm(load, double, '01', 1));
    loadStore.push(vldmVstm(load, double, '10', 1));
  }
}

export const fpuEncodings: Encoding[] = [...dataProcessing, ...transfers, ...loadStore];
