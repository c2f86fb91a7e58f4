/**
 * Every data-processing encoding form: the in-repo encoder agrees with the GNU assembler
 * (arm-none-eabi-as -mcpu=cortex-m4 -mthumb), the table decodes it as the named encoding, and
 * the disassembly matches arm-none-eabi-objdump -d (with r10-r12 for sl/fp/ip and without the
 * '@' comments). The expected values were recorded from binutils; the test needs only Node.
 */
import { describe, expect, it } from 'vitest';
import { dataProcessingEncodings } from '../decode/dataProcessing.js';
import { decodeRaw } from '../decode/cache.js';
import { asr, lsl, lsr, ror, RRX, t16, t32 } from '../encode/dataProcessing.js';

const hex = (x: number, digits: number): string =>
  '0x' + (x >>> 0).toString(16).padStart(digits, '0');

// [encoder output, raw encoding (first halfword high), encoding name, objdump text]
const cases: [number | readonly number[], number, string, string][] = [
  [t16.movs(1, 2), 0x0011, 'MOV (register) T2', 'movs\tr1, r2'],
  [t16.lslImm(1, 2, 5), 0x0151, 'LSL (immediate) T1', 'lsls\tr1, r2, #5'],
  [t16.lsrImm(1, 2, 32), 0x0811, 'LSR (immediate) T1', 'lsrs\tr1, r2, #32'],
  [t16.asrImm(1, 2, 7), 0x11d1, 'ASR (immediate) T1', 'asrs\tr1, r2, #7'],
  [t16.addReg(1, 2, 3), 0x18d1, 'ADD (register) T1', 'adds\tr1, r2, r3'],
  [t16.subReg(1, 2, 3), 0x1ad1, 'SUB (register) T1', 'subs\tr1, r2, r3'],
  [t16.addImm3(1, 2, 3), 0x1cd1, 'ADD (immediate) T1', 'adds\tr1, r2, #3'],
  [t16.subImm3(1, 2, 7), 0x1fd1, 'SUB (immediate) T1', 'subs\tr1, r2, #7'],
  [t16.movImm(5, 200), 0x25c8, 'MOV (immediate) T1', 'movs\tr5, #200'],
  [t16.cmpImm(5, 200), 0x2dc8, 'CMP (immediate) T1', 'cmp\tr5, #200'],
  [t16.addImm8(5, 200), 0x35c8, 'ADD (immediate) T2', 'adds\tr5, #200'],
  [t16.subImm8(5, 200), 0x3dc8, 'SUB (immediate) T2', 'subs\tr5, #200'],
  [t16.and(1, 2), 0x4011, 'AND (register) T1', 'ands\tr1, r2'],
  [t16.eor(1, 2), 0x4051, 'EOR (register) T1', 'eors\tr1, r2'],
  [t16.lslReg(1, 2), 0x4091, 'LSL (register) T1', 'lsls\tr1, r2'],
  [t16.lsrReg(1, 2), 0x40d1, 'LSR (register) T1', 'lsrs\tr1, r2'],
  [t16.asrReg(1, 2), 0x4111, 'ASR (register) T1', 'asrs\tr1, r2'],
  [t16.adc(1, 2), 0x4151, 'ADC (register) T1', 'adcs\tr1, r2'],
  [t16.sbc(1, 2), 0x4191, 'SBC (register) T1', 'sbcs\tr1, r2'],
  [t16.rorReg(1, 2), 0x41d1, 'ROR (register) T1', 'rors\tr1, r2'],
  [t16.tst(1, 2), 0x4211, 'TST (register) T1', 'tst\tr1, r2'],
  [t16.rsb(1, 2), 0x4251, 'RSB (immediate) T1', 'negs\tr1, r2'],
  [t16.cmp(1, 2), 0x4291, 'CMP (register) T1', 'cmp\tr1, r2'],
  [t16.cmp(1, 9), 0x4549, 'CMP (register) T2', 'cmp\tr1, r9'],
  [t16.cmp(10, 2), 0x4592, 'CMP (register) T2', 'cmp\tr10, r2'],
  [t16.cmn(1, 2), 0x42d1, 'CMN (register) T1', 'cmn\tr1, r2'],
  [t16.orr(1, 2), 0x4311, 'ORR (register) T1', 'orrs\tr1, r2'],
  [t16.mul(1, 2), 0x4351, 'MUL T1', 'muls\tr1, r2'],
  [t16.bic(1, 2), 0x4391, 'BIC (register) T1', 'bics\tr1, r2'],
  [t16.mvn(1, 2), 0x43d1, 'MVN (register) T1', 'mvns\tr1, r2'],
  [t16.addHi(1, 2), 0x4411, 'ADD (register) T2', 'add\tr1, r2'],
  [t16.addHi(9, 12), 0x44e1, 'ADD (register) T2', 'add\tr9, r12'],
  [t16.addHi(15, 1), 0x448f, 'ADD (register) T2', 'add\tpc, r1'],
  [t16.addHi(1, 15), 0x4479, 'ADD (register) T2', 'add\tr1, pc'],
  [t16.addHi(13, 1), 0x448d, 'ADD (register) T2', 'add\tsp, r1'],
  [t16.addHi(2, 13), 0x446a, 'ADD (register) T2', 'add\tr2, sp'],
  [t16.movHi(8, 1), 0x4688, 'MOV (register) T1', 'mov\tr8, r1'],
  [t16.movHi(15, 14), 0x46f7, 'MOV (register) T1', 'mov\tpc, lr'],
  [t16.movHi(0, 13), 0x4668, 'MOV (register) T1', 'mov\tr0, sp'],
  [t16.adr(3, 16), 0xa304, 'ADR T1', 'add\tr3, pc, #16'],
  [t16.addSpImm(3, 16), 0xab04, 'ADD (SP plus immediate) T1', 'add\tr3, sp, #16'],
  [t16.addSp(508), 0xb07f, 'ADD (SP plus immediate) T2', 'add\tsp, #508'],
  [t16.subSp(16), 0xb084, 'SUB (SP minus immediate) T1', 'sub\tsp, #16'],
  [t16.sxth(1, 2), 0xb211, 'SXTH T1', 'sxth\tr1, r2'],
  [t16.sxtb(1, 2), 0xb251, 'SXTB T1', 'sxtb\tr1, r2'],
  [t16.uxth(1, 2), 0xb291, 'UXTH T1', 'uxth\tr1, r2'],
  [t16.uxtb(1, 2), 0xb2d1, 'UXTB T1', 'uxtb\tr1, r2'],
  [t16.rev(1, 2), 0xba11, 'REV T1', 'rev\tr1, r2'],
  [t16.rev16(1, 2), 0xba51, 'REV16 T1', 'rev16\tr1, r2'],
  [t16.revsh(1, 2), 0xbad1, 'REVSH T1', 'revsh\tr1, r2'],
  [t32.andImm(1, 2, 0xff00ff00), 0xf00221ff, 'AND (immediate) T1', 'and.w\tr1, r2, #4278255360'],
  [
    t32.andImm(1, 2, 0x80000000, true),
    0xf0124100,
    'AND (immediate) T1',
    'ands.w\tr1, r2, #2147483648',
  ],
  [t32.tstImm(2, 0x3fc), 0xf4127f7f, 'TST (immediate) T1', 'tst.w\tr2, #1020'],
  [t32.bicImm(1, 2, 0x11111111), 0xf0223111, 'BIC (immediate) T1', 'bic.w\tr1, r2, #286331153'],
  [t32.orrImm(1, 2, 0x00ab00ab), 0xf04211ab, 'ORR (immediate) T1', 'orr.w\tr1, r2, #11206827'],
  [t32.movImm(1, 0x12000), 0xf44f3190, 'MOV (immediate) T2', 'mov.w\tr1, #73728'],
  [t32.movImm(1, 0x12, true), 0xf05f0112, 'MOV (immediate) T2', 'movs.w\tr1, #18'],
  [t32.ornImm(1, 2, 0x7f), 0xf062017f, 'ORN (immediate) T1', 'orn\tr1, r2, #127'],
  [t32.mvnImm(1, 0xff), 0xf06f01ff, 'MVN (immediate) T1', 'mvn.w\tr1, #255'],
  [t32.eorImm(1, 2, 0xab000000), 0xf082412b, 'EOR (immediate) T1', 'eor.w\tr1, r2, #2868903936'],
  [t32.teqImm(2, 1), 0xf0920f01, 'TEQ (immediate) T1', 'teq\tr2, #1'],
  [t32.addImm(1, 2, 0x100), 0xf5027180, 'ADD (immediate) T3', 'add.w\tr1, r2, #256'],
  [t32.addImm(11, 12, 0x100, true), 0xf51c7b80, 'ADD (immediate) T3', 'adds.w\tr11, r12, #256'],
  [t32.addSpImm(13, 0x100), 0xf50d7d80, 'ADD (SP plus immediate) T3', 'add.w\tsp, sp, #256'],
  [t32.cmnImm(2, 0x100), 0xf5127f80, 'CMN (immediate) T1', 'cmn.w\tr2, #256'],
  [t32.adcImm(1, 2, 0x100), 0xf5427180, 'ADC (immediate) T1', 'adc.w\tr1, r2, #256'],
  [t32.sbcImm(1, 2, 0x100), 0xf5627180, 'SBC (immediate) T1', 'sbc.w\tr1, r2, #256'],
  [t32.subImm(1, 2, 0x100), 0xf5a27180, 'SUB (immediate) T3', 'sub.w\tr1, r2, #256'],
  [t32.subSpImm(13, 0x100), 0xf5ad7d80, 'SUB (SP minus immediate) T2', 'sub.w\tsp, sp, #256'],
  [t32.cmpImm(2, 0x100), 0xf5b27f80, 'CMP (immediate) T2', 'cmp.w\tr2, #256'],
  [t32.rsbImm(1, 2, 0x100), 0xf5c27180, 'RSB (immediate) T2', 'rsb\tr1, r2, #256'],
  [t32.addw(1, 2, 0xabc), 0xf60221bc, 'ADD (immediate) T4', 'addw\tr1, r2, #2748'],
  [t32.addw(1, 13, 0xabc), 0xf60d21bc, 'ADD (SP plus immediate) T4', 'addw\tr1, sp, #2748'],
  [t32.subw(1, 2, 0xabc), 0xf6a221bc, 'SUB (immediate) T4', 'subw\tr1, r2, #2748'],
  [t32.subw(13, 13, 0xabc), 0xf6ad2dbc, 'SUB (SP minus immediate) T3', 'subw\tsp, sp, #2748'],
  [t32.adr(1, 0xabc), 0xf60f21bc, 'ADR T3', 'addw\tr1, pc, #2748'],
  [t32.adr(1, -0xabc), 0xf6af21bc, 'ADR T2', 'subw\tr1, pc, #2748'],
  [t32.movw(1, 0xabcd), 0xf64a31cd, 'MOV (immediate) T3', 'movw\tr1, #43981'],
  [t32.movt(1, 0xabcd), 0xf6ca31cd, 'MOVT T1', 'movt\tr1, #43981'],
  [t32.ssat(1, 8, 2), 0xf3020107, 'SSAT T1', 'ssat\tr1, #8, r2'],
  [t32.ssat(1, 32, 2, lsl(3)), 0xf30201df, 'SSAT T1', 'ssat\tr1, #32, r2, lsl #3'],
  [t32.ssat(1, 1, 2, asr(31)), 0xf32271c0, 'SSAT T1', 'ssat\tr1, #1, r2, asr #31'],
  [t32.ssat16(1, 16, 2), 0xf322010f, 'SSAT16 T1', 'ssat16\tr1, #16, r2'],
  [t32.usat(1, 8, 2), 0xf3820108, 'USAT T1', 'usat\tr1, #8, r2'],
  [t32.usat(1, 31, 2, asr(4)), 0xf3a2111f, 'USAT T1', 'usat\tr1, #31, r2, asr #4'],
  [t32.usat16(1, 15, 2), 0xf3a2010f, 'USAT16 T1', 'usat16\tr1, #15, r2'],
  [t32.sbfx(1, 2, 4, 8), 0xf3421107, 'SBFX T1', 'sbfx\tr1, r2, #4, #8'],
  [t32.ubfx(1, 2, 0, 32), 0xf3c2011f, 'UBFX T1', 'ubfx\tr1, r2, #0, #32'],
  [t32.bfi(1, 2, 4, 8), 0xf362110b, 'BFI T1', 'bfi\tr1, r2, #4, #8'],
  [t32.bfc(1, 4, 8), 0xf36f110b, 'BFC T1', 'bfc\tr1, #4, #8'],
  [t32.and(1, 2, 3, false, lsl(3)), 0xea0201c3, 'AND (register) T2', 'and.w\tr1, r2, r3, lsl #3'],
  [t32.and(1, 2, 3, true, lsr(32)), 0xea120113, 'AND (register) T2', 'ands.w\tr1, r2, r3, lsr #32'],
  [t32.tst(2, 3, asr(5)), 0xea121f63, 'TST (register) T2', 'tst.w\tr2, r3, asr #5'],
  [t32.bic(1, 2, 3, false, ror(7)), 0xea2211f3, 'BIC (register) T2', 'bic.w\tr1, r2, r3, ror #7'],
  [t32.orr(1, 2, 3, false, RRX), 0xea420133, 'ORR (register) T2', 'orr.w\tr1, r2, r3, rrx'],
  [t32.mov(1, 3), 0xea4f0103, 'MOV (register) T3', 'mov.w\tr1, r3'],
  [t32.mov(1, 3, true), 0xea5f0103, 'MOV (register) T3', 'movs.w\tr1, r3'],
  [t32.mov(1, 3, false, lsl(4)), 0xea4f1103, 'LSL (immediate) T2', 'mov.w\tr1, r3, lsl #4'],
  [t32.mov(1, 3, true, lsr(32)), 0xea5f0113, 'LSR (immediate) T2', 'movs.w\tr1, r3, lsr #32'],
  [t32.mov(1, 3, false, asr(4)), 0xea4f1123, 'ASR (immediate) T2', 'mov.w\tr1, r3, asr #4'],
  [t32.mov(1, 3, false, ror(4)), 0xea4f1133, 'ROR (immediate) T1', 'mov.w\tr1, r3, ror #4'],
  [t32.mov(1, 3, false, RRX), 0xea4f0133, 'RRX T1', 'mov.w\tr1, r3, rrx'],
  [t32.orn(1, 2, 3), 0xea620103, 'ORN (register) T1', 'orn\tr1, r2, r3'],
  [t32.mvn(1, 3, false, lsl(1)), 0xea6f0143, 'MVN (register) T2', 'mvn.w\tr1, r3, lsl #1'],
  [t32.eor(1, 2, 3), 0xea820103, 'EOR (register) T2', 'eor.w\tr1, r2, r3'],
  [t32.teq(2, 3), 0xea920f03, 'TEQ (register) T1', 'teq\tr2, r3'],
  [t32.add(1, 2, 3, false, lsl(2)), 0xeb020183, 'ADD (register) T3', 'add.w\tr1, r2, r3, lsl #2'],
  [t32.add(1, 13, 3), 0xeb0d0103, 'ADD (SP plus register) T3', 'add.w\tr1, sp, r3'],
  [t32.cmn(2, 3), 0xeb120f03, 'CMN (register) T2', 'cmn.w\tr2, r3'],
  [t32.adc(1, 2, 3), 0xeb420103, 'ADC (register) T2', 'adc.w\tr1, r2, r3'],
  [t32.sbc(1, 2, 3), 0xeb620103, 'SBC (register) T2', 'sbc.w\tr1, r2, r3'],
  [t32.sub(1, 2, 3), 0xeba20103, 'SUB (register) T2', 'sub.w\tr1, r2, r3'],
  [
    t32.sub(13, 13, 3, false, lsl(2)),
    0xebad0d83,
    'SUB (SP minus register) T1',
    'sub.w\tsp, sp, r3, lsl #2',
  ],
  [t32.cmp(2, 3), 0xebb20f03, 'CMP (register) T3', 'cmp.w\tr2, r3'],
  [t32.rsb(1, 2, 3), 0xebc20103, 'RSB (register) T1', 'rsb\tr1, r2, r3'],
  [t32.lslReg(1, 2, 3), 0xfa02f103, 'LSL (register) T2', 'lsl.w\tr1, r2, r3'],
  [t32.lsrReg(1, 2, 3, true), 0xfa32f103, 'LSR (register) T2', 'lsrs.w\tr1, r2, r3'],
  [t32.asrReg(1, 2, 3), 0xfa42f103, 'ASR (register) T2', 'asr.w\tr1, r2, r3'],
  [t32.rorReg(1, 2, 3), 0xfa62f103, 'ROR (register) T2', 'ror.w\tr1, r2, r3'],
  [t32.sxtah(1, 2, 3, 8), 0xfa02f193, 'SXTAH T1', 'sxtah\tr1, r2, r3, ror #8'],
  [t32.sxth(1, 3), 0xfa0ff183, 'SXTH T2', 'sxth.w\tr1, r3'],
  [t32.uxtah(1, 2, 3), 0xfa12f183, 'UXTAH T1', 'uxtah\tr1, r2, r3'],
  [t32.uxth(1, 3, 16), 0xfa1ff1a3, 'UXTH T2', 'uxth.w\tr1, r3, ror #16'],
  [t32.sxtab16(1, 2, 3), 0xfa22f183, 'SXTAB16 T1', 'sxtab16\tr1, r2, r3'],
  [t32.sxtb16(1, 3, 24), 0xfa2ff1b3, 'SXTB16 T1', 'sxtb16\tr1, r3, ror #24'],
  [t32.uxtab16(1, 2, 3), 0xfa32f183, 'UXTAB16 T1', 'uxtab16\tr1, r2, r3'],
  [t32.uxtb16(1, 3), 0xfa3ff183, 'UXTB16 T1', 'uxtb16\tr1, r3'],
  [t32.sxtab(1, 2, 3), 0xfa42f183, 'SXTAB T1', 'sxtab\tr1, r2, r3'],
  [t32.sxtb(1, 3), 0xfa4ff183, 'SXTB T2', 'sxtb.w\tr1, r3'],
  [t32.uxtab(1, 2, 3, 24), 0xfa52f1b3, 'UXTAB T1', 'uxtab\tr1, r2, r3, ror #24'],
  [t32.uxtb(1, 3), 0xfa5ff183, 'UXTB T2', 'uxtb.w\tr1, r3'],
  [t32.rev(1, 3), 0xfa93f183, 'REV T2', 'rev.w\tr1, r3'],
  [t32.rev16(1, 3), 0xfa93f193, 'REV16 T2', 'rev16.w\tr1, r3'],
  [t32.rbit(1, 3), 0xfa93f1a3, 'RBIT T1', 'rbit\tr1, r3'],
  [t32.revsh(1, 3), 0xfa93f1b3, 'REVSH T2', 'revsh.w\tr1, r3'],
  [t32.clz(1, 3), 0xfab3f183, 'CLZ T1', 'clz\tr1, r3'],
];

describe('encodings agree with the GNU assembler and disassemble like objdump', () => {
  it.each(cases.map(([hw, raw, name, text]) => [text, hw, raw, name] as const))(
    '%s',
    (text, hw, raw, name) => {
      const size = typeof hw === 'number' ? 2 : 4;
      const got = typeof hw === 'number' ? hw : ((hw[0]! << 16) | hw[1]!) >>> 0;
      expect(hex(got, size * 2)).toBe(hex(raw, size * 2));
      const insn = decodeRaw(raw, size);
      expect(insn.encoding.name).toBe(name);
      expect(insn.encoding.asm(insn)).toBe(text);
    },
  );

  it('covers every encoding of the group', () => {
    const tested = new Set(cases.map((c) => c[2]));
    const untested = dataProcessingEncodings.map((e) => e.name).filter((n) => !tested.has(n));
    expect(untested).toEqual([]);
  });
});
