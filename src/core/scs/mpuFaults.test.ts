/**
 * The MemManage faults the PMSAv7 MPU (ARMv7-M ARM B3.5) raises, on a Machine running
 * hand-placed Thumb code: refused loads, stores and fetches, stacking, unstacking and lazy FP
 * stacking faults, escalation, privilege switches, and the fast paths dropped or kept as regions
 * change. Its registers and region matching are in ./mpu.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  BX_LR,
  B_SELF,
  CODE,
  NOP,
  STACK_TOP,
  handlerAddress,
  machineWithVectors,
  place,
  svc,
} from '../../../test/helpers/machine.js';
import { t16 as b16 } from '../encode/branch.js';
import { vmovCoreS } from '../encode/fpu.js';
import { t16, t32 } from '../encode/loadStore.js';
import type { Machine } from '../../machine/machine.js';
import {
  AP_FULL,
  AP_NONE,
  AP_PRIV_RW,
  AP_PRIV_RW_USER_RO,
  ENABLE,
  HFNMIENA,
  MPU_CTRL,
  PRIVDEFENA,
  region,
} from './mpuTestHelpers.js';

const ICSR = 0xe000ed04;
const SHPR2 = 0xe000ed1c;
const SHCSR = 0xe000ed24;
const CFSR = 0xe000ed28;
const HFSR = 0xe000ed2c;
const MMFAR = 0xe000ed34;
const FPCCR = 0xe000ef34;

const MEMFAULTENA = 1 << 16;
const IACCVIOL = 1 << 0;
const DACCVIOL = 1 << 1;
const MUNSTKERR = 1 << 3;
const MSTKERR = 1 << 4;
const MLSPERR = 1 << 5;
const MMARVALID = 1 << 7;
const FORCED = 1 << 30;

/** Test data, in its own 64 KB page above the code, vectors and stack. */
const DATA = 0x20018000;

/**
 * A machine with the MPU on (PRIVDEFENA, MemManage enabled) and region 0 giving everyone full
 * access to the page of code, handlers, vectors and stack (0x20000000-0x2000FFFF).
 */
function protectedMachine(code: number[], ctrl = ENABLE | PRIVDEFENA): Machine {
  const m = machineWithVectors(code);
  m.bus.write32(SHCSR, MEMFAULTENA);
  region(m, 0, 0x20000000, 16, AP_FULL);
  m.bus.write32(MPU_CTRL, ctrl);
  return m;
}

/** Thread mode, unprivileged from the next instruction on (as after MSR CONTROL and an ISB). */
function unprivileged(m: Machine, control = 1): void {
  m.cpu.setModeAndControl(0, control);
  m.cpu.requestAttention();
}

const cfsr = (m: Machine) => m.bus.read32(CFSR) >>> 0;
const stackedPc = (m: Machine, sp = m.cpu.r[13]!) => m.bus.read32(sp + 24) >>> 0;

describe('MPU faults', () => {
  it('a refused load is a MemManage DACCVIOL with MMFAR; the load does not complete', () => {
    const m = protectedMachine([t16.ldrImm(0, 1, 0), B_SELF]);
    region(m, 1, DATA, 10, AP_PRIV_RW);
    m.bus.write32(DATA, 0x12345678);
    m.cpu.r[0] = 0xaaaa;
    m.cpu.r[1] = DATA;
    unprivileged(m);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(4);
    expect(cfsr(m)).toBe(DACCVIOL | MMARVALID);
    expect(m.bus.read32(MMFAR) >>> 0).toBe(DATA);
    expect(m.cpu.r[0]).toBe(0xaaaa);
    expect(stackedPc(m)).toBe(CODE);
    expect(m.bus.read32(m.cpu.r[13]!)).toBe(0xaaaa); // stacked r0
  });

  it('the same load privileged, or by another bus master, is allowed', () => {
    const m = protectedMachine([t16.ldrImm(0, 1, 0), B_SELF]);
    region(m, 1, DATA, 10, AP_PRIV_RW);
    m.bus.write32(DATA, 0x12345678);
    m.cpu.r[1] = DATA;
    m.cpu.step();
    expect(m.cpu.r[0]).toBe(0x12345678);
    unprivileged(m);
    m.cpu.step();
    expect(m.bus.read32(DATA)).toBe(0x12345678); // DMA, debugger: the shared path
  });

  it('a refused store leaves memory unchanged; read-only allows the load', () => {
    const m = protectedMachine([t16.ldrImm(2, 1, 0), t16.strImm(0, 1, 0), B_SELF]);
    region(m, 1, DATA, 10, AP_PRIV_RW_USER_RO);
    m.bus.write32(DATA, 7);
    m.cpu.r[0] = 99;
    m.cpu.r[1] = DATA;
    unprivileged(m);
    m.cpu.step();
    expect(m.cpu.r[2]).toBe(7);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(4);
    expect(cfsr(m)).toBe(DACCVIOL | MMARVALID);
    expect(m.bus.read32(DATA)).toBe(7);
    expect(stackedPc(m)).toBe(CODE + 2);
  });

  it('MemManage disabled: the fault escalates to HardFault (FORCED)', () => {
    const m = protectedMachine([t16.strImm(0, 1, 0), B_SELF]);
    m.bus.write32(SHCSR, 0);
    region(m, 1, DATA, 10, AP_NONE);
    m.cpu.r[1] = DATA + 0x10;
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(3);
    expect(cfsr(m)).toBe(DACCVIOL | MMARVALID);
    expect(m.bus.read32(HFSR) >>> 0).toBe(FORCED);
    expect(m.bus.read32(MMFAR) >>> 0).toBe(DATA + 0x10);
  });

  it('an unaligned access reaching into a refused region faults at the first refused byte', () => {
    const m = protectedMachine([t16.ldrImm(0, 1, 0), B_SELF]);
    region(m, 1, DATA, 10, AP_FULL);
    region(m, 2, DATA + 0x400, 10, AP_NONE);
    m.cpu.r[1] = DATA + 0x3fe;
    unprivileged(m);
    m.cpu.step();
    expect(cfsr(m)).toBe(DACCVIOL | MMARVALID);
    expect(m.bus.read32(MMFAR) >>> 0).toBe(DATA + 0x400);
  });

  it('unaligned accesses inside a page the MPU frees whole read and write its bytes', () => {
    // ldr r0, [r1]; str r2, [r1, #4]; ldr r3, [r1, #4], unprivileged: each is checked by the
    // MPU, then reads or writes the page's bytes on the bus's slow path.
    const m = protectedMachine([t16.ldrImm(0, 1, 0), t16.strImm(2, 1, 4), t16.ldrImm(3, 1, 4)]);
    place(m, CODE + 6, [B_SELF]);
    m.bus.write32(0x20001000, 0x44332211);
    m.bus.write32(0x20001004, 0x88776655);
    m.cpu.r[1] = 0x20001001;
    m.cpu.r[2] = 0xa1b2c3d4;
    unprivileged(m);
    for (let k = 0; k < 3; k++) m.cpu.step();
    expect(m.cpu.ipsr).toBe(0); // no fault taken
    expect(m.cpu.pc).toBe(CODE + 6);
    expect(m.cpu.r[0]! >>> 0).toBe(0x55443322);
    expect(m.cpu.r[3]! >>> 0).toBe(0xa1b2c3d4);
    expect(m.bus.read32(0x20001004) >>> 0).toBe(0xb2c3d455);
    expect(m.bus.read32(0x20001008) >>> 0).toBe(0xa1);
  });

  it('a fetch from an XN region is IACCVIOL, without MMFAR, at the target', () => {
    const m = protectedMachine([b16.bx(1), B_SELF]);
    region(m, 1, DATA, 10, AP_FULL, { xn: true });
    place(m, DATA, [NOP]);
    m.bus.write32(MMFAR, 0x1111);
    m.cpu.r[1] = DATA | 1;
    m.cpu.step(); // bx
    m.cpu.step(); // the fetch faults
    expect(m.cpu.ipsr).toBe(4);
    expect(cfsr(m)).toBe(IACCVIOL);
    expect(m.bus.read32(MMFAR)).toBe(0x1111);
    expect(stackedPc(m)).toBe(DATA);
  });

  it('code already decoded stops running once its region becomes XN or unprivileged-only', () => {
    const m = protectedMachine([NOP, b16.b(-6)]); // a loop: nop; b nop
    unprivileged(m);
    for (let i = 0; i < 6; i++) m.cpu.step();
    expect(m.cpu.ipsr).toBe(0);
    region(m, 0, 0x20000000, 16, AP_FULL, { xn: true });
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(4);
    expect(cfsr(m)).toBe(IACCVIOL);
  });

  it('privilege switches take effect at once: MSR CONTROL, then the next load', () => {
    const msrControlR2: [number, number] = [0xf382, 0x8814];
    const m = protectedMachine([t16.ldrImm(0, 1, 0), ...msrControlR2, t16.ldrImm(0, 1, 0), B_SELF]);
    region(m, 1, DATA, 10, AP_PRIV_RW);
    m.bus.write32(DATA, 5);
    m.cpu.r[1] = DATA;
    m.cpu.r[2] = 1; // nPRIV
    m.cpu.step();
    expect(m.cpu.r[0]).toBe(5);
    m.cpu.r[0] = 0;
    m.cpu.step(); // msr control
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(4);
    expect(m.cpu.r[0]).toBe(0);
    expect(stackedPc(m)).toBe(CODE + 6);
  });

  it('LDRT/STRT check as unprivileged even in privileged code', () => {
    const m = protectedMachine([t32.unpriv('ldr', 0, 1, 0), B_SELF].flat());
    region(m, 1, DATA, 10, AP_PRIV_RW);
    m.cpu.r[1] = DATA;
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(4);
    expect(cfsr(m)).toBe(DACCVIOL | MMARVALID);
    expect(m.cpu.unprivilegedAccess).toBe(false);
    // ... and they pass where unprivileged code may go.
    const ok = protectedMachine([t32.unpriv('str', 0, 1, 4), B_SELF].flat());
    region(ok, 1, DATA, 10, AP_FULL);
    ok.cpu.r[0] = 0x55;
    ok.cpu.r[1] = DATA;
    ok.cpu.step();
    expect(ok.bus.read32(DATA + 4)).toBe(0x55);
  });

  it('a store multiple that reaches a refused region stops there, without writeback', () => {
    const m = protectedMachine([t16.stm(1, [0, 2]), B_SELF]);
    region(m, 1, DATA, 10, AP_FULL);
    region(m, 2, DATA + 0x400, 10, AP_PRIV_RW_USER_RO);
    m.cpu.r[0] = 0x11;
    m.cpu.r[2] = 0x22;
    m.cpu.r[1] = DATA + 0x3fc;
    unprivileged(m);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(4);
    expect(m.bus.read32(MMFAR) >>> 0).toBe(DATA + 0x400);
    expect(m.bus.read32(DATA + 0x3fc)).toBe(0x11); // the first store completed (B1.5.10)
    expect(m.bus.read32(DATA + 0x400)).toBe(0);
    expect(m.cpu.r[1]).toBe(DATA + 0x3fc);
  });

  it('a stacking fault (MSTKERR) is taken on the frame instead; the SVC stays pending', () => {
    const m = protectedMachine([svc(0), B_SELF]);
    region(m, 1, DATA, 10, AP_PRIV_RW_USER_RO);
    m.bus.write32(DATA + 0xe0, 0x5a5a5a5a);
    m.cpu.psp = DATA + 0x100;
    unprivileged(m, 3); // nPRIV, PSP
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(4);
    expect(cfsr(m)).toBe(MSTKERR); // no MMFAR for stacking
    expect(m.nvic.pending[11]).toBe(1);
    expect(m.cpu.r[14]).toBe(0xfffffffd);
    expect(m.cpu.psp).toBe(DATA + 0xe0);
    expect(m.bus.read32(DATA + 0xe0)).toBe(0x5a5a5a5a); // nothing written
  });

  it('MSTKERR with MemManage disabled: HardFault (FORCED)', () => {
    const m = protectedMachine([svc(0), B_SELF]);
    m.bus.write32(SHCSR, 0);
    region(m, 1, DATA, 10, AP_PRIV_RW_USER_RO);
    m.cpu.psp = DATA + 0x100;
    unprivileged(m, 3);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(3);
    expect(cfsr(m)).toBe(MSTKERR);
    expect(m.bus.read32(HFSR) >>> 0).toBe(FORCED);
    expect(m.nvic.pending[11]).toBe(1);
  });

  it('an unstacking fault (MUNSTKERR) is taken on the frame, LR the same EXC_RETURN', () => {
    const m = protectedMachine([BX_LR]);
    region(m, 1, DATA, 10, AP_PRIV_RW);
    m.cpu.psp = DATA + 0x100;
    m.nvic.active[11] = 1;
    m.cpu.setModeAndControl(11, 1); // SVC handler; the thread is unprivileged
    m.cpu.r[14] = 0xfffffffd;
    m.cpu.r[0] = 0x77;
    m.cpu.requestAttention();
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(4);
    expect(cfsr(m)).toBe(MUNSTKERR);
    expect(m.cpu.r[14]).toBe(0xfffffffd);
    expect(m.cpu.psp).toBe(DATA + 0x100); // not popped
    expect(m.cpu.r[0]).toBe(0x77);
    expect(m.nvic.active[11]).toBe(0);
  });

  it('a lazy FP stacking fault (MLSPERR) is taken before the FP instruction, LSPACT kept', () => {
    const m = protectedMachine([svc(0), B_SELF]);
    m.scb.cpacr = 0xf00000;
    // The basic frame may be written by the thread, the FP part only read.
    region(m, 1, DATA, 7, AP_PRIV_RW_USER_RO);
    region(m, 2, DATA, 5, AP_FULL);
    m.bus.write32(SHPR2, 0x80 << 24); // SVCall below MemManage
    place(m, handlerAddress(11), [...vmovCoreS(0, 0, false), BX_LR]);
    m.cpu.s[0] = 0x3f800000;
    m.cpu.r[0] = 0x40000000;
    m.cpu.psp = DATA + 0x68;
    unprivileged(m, 1 | 2 | 4); // nPRIV, PSP, FPCA
    m.cpu.step(); // svc: extended frame, lazy
    expect(m.cpu.ipsr).toBe(11);
    expect(m.bus.read32(FPCCR) & 3).toBe(3); // LSPACT, USER
    m.cpu.step(); // vmov s0, r0: preservation refused
    expect(m.cpu.ipsr).toBe(4);
    expect(cfsr(m)).toBe(MLSPERR);
    expect(m.bus.read32(FPCCR) & 1).toBe(1);
    expect(stackedPc(m)).toBe(handlerAddress(11));
    expect(m.cpu.s[0]).toBe(0x3f800000);
  });

  it('HFNMIENA clear: the MPU is off under FAULTMASK and in NMI; set: it is on (lockup)', () => {
    for (const hfnmiena of [false, true]) {
      const m = protectedMachine(
        [t16.ldrImm(0, 1, 0), B_SELF],
        ENABLE | PRIVDEFENA | (hfnmiena ? HFNMIENA : 0),
      );
      region(m, 1, DATA, 10, AP_NONE);
      m.bus.write32(DATA, 9);
      m.cpu.r[1] = DATA;
      m.cpu.faultmask = 1;
      m.cpu.requestAttention();
      m.cpu.step();
      if (hfnmiena) expect(m.cpu.stopReason).toBe('lockup');
      else expect(m.cpu.r[0]).toBe(9);
    }
    const m = protectedMachine([B_SELF]);
    region(m, 1, DATA, 10, AP_NONE);
    m.bus.write32(DATA, 3);
    place(m, handlerAddress(2), [t16.ldrImm(0, 1, 0), B_SELF]);
    m.cpu.r[1] = DATA;
    m.bus.write32(ICSR, 1 << 31); // NMIPENDSET
    m.cpu.step(); // NMI entry, then its load
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(2);
    expect(m.cpu.r[0]).toBe(3);
  });

  it('reprogramming a region drops the fast path pages filled under the old one', () => {
    const m = protectedMachine([t16.ldrImm(0, 1, 0), b16.b(-6)]);
    region(m, 1, DATA & 0xffff0000, 16, AP_FULL);
    m.bus.write32(DATA, 4);
    m.cpu.r[1] = DATA;
    unprivileged(m);
    for (let i = 0; i < 4; i++) m.cpu.step();
    expect(m.cpu.r[0]).toBe(4);
    region(m, 1, DATA & 0xffff0000, 16, AP_PRIV_RW);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(4);
    expect(cfsr(m)).toBe(DACCVIOL | MMARVALID);
  });

  it('pages a view allows entirely leave the check: the core port fills them on first use', () => {
    const m = protectedMachine([t16.ldrImm(0, 1, 0), t16.strImm(0, 1, 4), b16.b(-8)]);
    // A region inside the page that grants what the background grants: still uniform.
    region(m, 1, DATA, 10, AP_FULL);
    let checks = 0;
    const view = m.scb.mpu.privileged;
    const check = view.check.bind(view);
    view.check = (a, size, write) => {
      checks++;
      check(a, size, write);
    };
    m.cpu.r[1] = DATA;
    for (let i = 0; i < 30; i++) m.cpu.step();
    expect(checks).toBe(1); // the first load; then the page is on the core's fast path
    expect(view.pageFree(DATA >>> 16, true)).toBe(true);
    expect(m.scb.mpu.unprivileged.pageFree(DATA >>> 16, false)).toBe(false);
  });

  it('turning the MPU off restores the default map for the same code', () => {
    const m = protectedMachine([t16.ldrImm(0, 1, 0), b16.b(-6)]);
    region(m, 1, DATA, 10, AP_NONE);
    m.bus.write32(DATA, 6);
    m.cpu.r[1] = DATA;
    m.bus.write32(MPU_CTRL, 0);
    unprivileged(m);
    m.cpu.step();
    expect(m.cpu.r[0]).toBe(6);
    expect(m.cpu.ipsr).toBe(0);
  });

  it('a watchpoint inside a region still stops the core after the access', () => {
    const m = protectedMachine([t16.ldrImm(0, 1, 0), B_SELF]);
    region(m, 1, DATA, 10, AP_FULL);
    m.bus.setWatchpoints([{ address: DATA, length: 4, kind: 'read' }]);
    m.bus.write32(DATA, 8);
    m.cpu.r[1] = DATA;
    unprivileged(m);
    expect(m.run(10)).toBe('watchpoint');
    expect(m.cpu.r[0]).toBe(8);
    expect(m.cpu.ipsr).toBe(0);
  });

  it('the stack pointer in a full-access region: exceptions from unprivileged code still work', () => {
    const m = protectedMachine([svc(0), B_SELF]);
    m.cpu.psp = STACK_TOP - 0x400;
    unprivileged(m, 3);
    m.cpu.step();
    expect(m.cpu.ipsr).toBe(11);
    expect(cfsr(m)).toBe(0);
  });
});
