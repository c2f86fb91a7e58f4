/** Semantics of the system group (ARMv7-M ARM B5.2: MRS, MSR, CPS; A7.7: SVC, BKPT, hints). */
import type { Cpu } from '../cpu.js';
import { CpuFault, CFSR_NOCP, CFSR_UNDEFINSTR, EXC_USAGEFAULT } from '../faults.js';
import type { Insn } from '../insn.js';
import { PRIORITY_MASK } from '../scs/nvic.js';

export function mrs(cpu: Cpu, i: Insn): void {
  const s = i.imm;
  let v = 0;
  if (s < 8) {
    if ((s & 1) === 1) v |= cpu.ipsr;
    if ((s & 4) === 0) v |= cpu.apsr & 0xf80f0000;
    // EPSR reads as zero through MRS.
  } else if (s === 8 || s === 9) {
    v = cpu.privileged ? (s === 8 ? cpu.msp : cpu.psp) : 0;
  } else if (s === 16) v = cpu.primask;
  else if (s === 17 || s === 18) v = cpu.basepri;
  else if (s === 19) v = cpu.faultmask;
  else if (s === 20) v = cpu.control;
  cpu.r[i.rd] = v;
}

export function msr(cpu: Cpu, i: Insn): void {
  const s = i.imm;
  const v = cpu.r[i.rn]!;
  if (s < 8) {
    if ((s & 4) === 0) {
      if (i.extra & 2) {
        cpu.n = v >>> 31;
        cpu.z = (v >>> 30) & 1;
        cpu.c = (v >>> 29) & 1;
        cpu.v = (v >>> 28) & 1;
        cpu.q = (v >>> 27) & 1;
      }
      if (i.extra & 1) cpu.ge = (v >>> 16) & 0xf;
    }
    return;
  }
  if (!cpu.privileged) return; // unprivileged writes to special registers are ignored
  switch (s) {
    case 8:
      cpu.msp = v;
      break;
    case 9:
      cpu.psp = v;
      break;
    case 16:
      cpu.primask = v & 1;
      maskWritten(cpu);
      return;
    case 17:
      cpu.basepri = v & PRIORITY_MASK;
      maskWritten(cpu);
      return;
    case 18: {
      const nv = v & PRIORITY_MASK;
      if (nv !== 0 && (nv < cpu.basepri || cpu.basepri === 0)) cpu.basepri = nv;
      maskWritten(cpu);
      return;
    }
    case 19:
      if (cpu.exc.executionPriority() > -1) cpu.faultmask = v & 1;
      break;
    case 20: {
      // nPRIV always; SPSEL only in thread mode; FPCA (bit 2) kept for the FPU.
      let control = (cpu.control & ~5) | (v & 5);
      if (cpu.ipsr === 0) control = (control & ~2) | (v & 2);
      cpu.setModeAndControl(cpu.ipsr, control);
      break;
    }
  }
  cpu.requestAttention();
}

/**
 * PRIMASK or BASEPRI written: an exception the new mask lets through is taken after this
 * instruction (the run loop looks on attention). With none pending there is nothing to take, and
 * one that becomes pending later raises attention itself, so the batch goes on: NuttX brackets
 * every critical section with MSR BASEPRI. Priority stays at 0 or above, so the MPU's view
 * (HFNMIENA applies below 0) does not change; FAULTMASK and CONTROL writes always stop.
 */
function maskWritten(cpu: Cpu): void {
  if (cpu.exc.nvic.anyPending()) cpu.requestAttention();
}

export function cps(cpu: Cpu, i: Insn): void {
  if (!cpu.privileged) return;
  const disable = i.extra === 1;
  if (i.imm & 2) cpu.primask = disable ? 1 : 0;
  if (i.imm & 1) {
    if (!disable) cpu.faultmask = 0;
    else if (cpu.exc.executionPriority() > -1) cpu.faultmask = 1;
    cpu.requestAttention();
    return;
  }
  maskWritten(cpu);
}

export function svc(cpu: Cpu, _i: Insn): void {
  cpu.exc.svc();
}

export function bkpt(cpu: Cpu, i: Insn): void {
  if (cpu.bkptHandler !== null && cpu.bkptHandler(cpu, i.imm)) return;
  cpu.exc.debugEvent(`BKPT #${i.imm}`);
}

export function udf(_cpu: Cpu, _i: Insn): void {
  throw new CpuFault(EXC_USAGEFAULT, CFSR_UNDEFINSTR);
}

export function nop(_cpu: Cpu, _i: Insn): void {}

export function yieldHint(_cpu: Cpu, _i: Insn): void {}

export function isb(cpu: Cpu, _i: Insn): void {
  // Context synchronisation: a pending exception unmasked by the preceding code is taken now.
  cpu.requestAttention();
}

export function wfi(cpu: Cpu, _i: Insn): void {
  cpu.sleeping = true;
  cpu.requestAttention();
}

export function wfe(cpu: Cpu, _i: Insn): void {
  if (cpu.eventRegister) {
    cpu.eventRegister = false;
    return;
  }
  cpu.sleeping = true;
  cpu.requestAttention();
}

export function sev(cpu: Cpu, _i: Insn): void {
  cpu.eventRegister = true;
}

/**
 * The coprocessor space (A5.3.18) outside the FPU's encodings. Other coprocessors are absent:
 * NOCP. Unallocated CP10/CP11 encodings: NOCP when CPACR denies access, else UNDEFINSTR.
 */
export function coprocessor(cpu: Cpu, i: Insn): void {
  const cp = i.imm;
  if (cp !== 10 && cp !== 11) throw new CpuFault(EXC_USAGEFAULT, CFSR_NOCP);
  const access = (cpu.exc.scb.cpacr >>> (20 + 2 * (cp - 10))) & 3;
  if (access === 0 || access === 2 || (access === 1 && !cpu.privileged)) {
    throw new CpuFault(EXC_USAGEFAULT, CFSR_NOCP);
  }
  // CP10/CP11 encodings the FPv4-SP-D16 does not have (double-precision arithmetic...).
  throw new CpuFault(EXC_USAGEFAULT, CFSR_UNDEFINSTR);
}

/**
 * The names this module's semantics use that are not exported, for the block translator, which
 * inlines them resolving each name in this module (src/core/jit/inline.ts, semantics.ts).
 */
export const jitScope = {
  CpuFault,
  CFSR_NOCP,
  CFSR_UNDEFINSTR,
  EXC_USAGEFAULT,
  PRIORITY_MASK,
  maskWritten,
};
