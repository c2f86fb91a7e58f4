/** Exception numbers, fault status bits (ARMv7-M ARM B1.5, B3.2.15) and the fault signal. */

export const EXC_RESET = 1;
export const EXC_NMI = 2;
export const EXC_HARDFAULT = 3;
export const EXC_MEMMANAGE = 4;
export const EXC_BUSFAULT = 5;
export const EXC_USAGEFAULT = 6;
export const EXC_SVCALL = 11;
export const EXC_DEBUGMONITOR = 12;
export const EXC_PENDSV = 14;
export const EXC_SYSTICK = 15;
export const EXC_IRQ0 = 16;

// CFSR: MMFSR in bits 7:0, BFSR in 15:8, UFSR in 31:16.
export const CFSR_IACCVIOL = 1 << 0;
export const CFSR_DACCVIOL = 1 << 1;
export const CFSR_MUNSTKERR = 1 << 3;
export const CFSR_MSTKERR = 1 << 4;
export const CFSR_MLSPERR = 1 << 5;
export const CFSR_MMARVALID = 1 << 7;
export const CFSR_IBUSERR = 1 << 8;
export const CFSR_PRECISERR = 1 << 9;
export const CFSR_IMPRECISERR = 1 << 10;
export const CFSR_UNSTKERR = 1 << 11;
export const CFSR_STKERR = 1 << 12;
export const CFSR_LSPERR = 1 << 13;
export const CFSR_BFARVALID = 1 << 15;
export const CFSR_UNDEFINSTR = 1 << 16;
export const CFSR_INVSTATE = 1 << 17;
export const CFSR_INVPC = 1 << 18;
export const CFSR_NOCP = 1 << 19;
export const CFSR_UNALIGNED = 1 << 24;
export const CFSR_DIVBYZERO = 1 << 25;

export const HFSR_VECTTBL = 1 << 1;
export const HFSR_FORCED = 1 << 30;
export const HFSR_DEBUGEVT = 1 << 31;

/**
 * Thrown by instruction semantics for a synchronous fault: `exception` is the fault's own
 * handler (MemManage, BusFault, UsageFault); the core escalates to HardFault when that handler
 * cannot be taken. `address` fills MMFAR/BFAR when the fault has one.
 */
export class CpuFault {
  constructor(
    readonly exception: number,
    readonly cfsrBit: number,
    readonly address: number = -1,
  ) {}
}

/**
 * Thrown by an instruction that must not execute because an exception it caused can preempt
 * first (a fault in lazy FP state preservation): the core takes the highest pending exception
 * with the instruction's own address as the return address.
 */
export const PREEMPT_BEFORE_INSTRUCTION = { preemptBeforeInstruction: true } as const;

export function usageFault(bit: number): CpuFault {
  return new CpuFault(EXC_USAGEFAULT, bit);
}

const CFSR_NAMES: [number, string][] = [
  [CFSR_IACCVIOL, 'IACCVIOL (instruction access violation)'],
  [CFSR_DACCVIOL, 'DACCVIOL (data access violation)'],
  [CFSR_MUNSTKERR, 'MUNSTKERR (MemManage fault on unstacking)'],
  [CFSR_MSTKERR, 'MSTKERR (MemManage fault on stacking)'],
  [CFSR_MLSPERR, 'MLSPERR (MemManage fault in lazy FP stacking)'],
  [CFSR_MMARVALID, 'MMARVALID (MMFAR holds the address)'],
  [CFSR_IBUSERR, 'IBUSERR (bus error on instruction fetch)'],
  [CFSR_PRECISERR, 'PRECISERR (precise data bus error)'],
  [CFSR_IMPRECISERR, 'IMPRECISERR (imprecise data bus error)'],
  [CFSR_UNSTKERR, 'UNSTKERR (bus fault on unstacking)'],
  [CFSR_STKERR, 'STKERR (bus fault on stacking)'],
  [CFSR_LSPERR, 'LSPERR (bus fault in lazy FP stacking)'],
  [CFSR_BFARVALID, 'BFARVALID (BFAR holds the address)'],
  [CFSR_UNDEFINSTR, 'UNDEFINSTR (undefined instruction)'],
  [CFSR_INVSTATE, 'INVSTATE (invalid state: EPSR.T or IT bits)'],
  [CFSR_INVPC, 'INVPC (invalid EXC_RETURN or PC load)'],
  [CFSR_NOCP, 'NOCP (coprocessor disabled or absent)'],
  [CFSR_UNALIGNED, 'UNALIGNED (unaligned access trap)'],
  [CFSR_DIVBYZERO, 'DIVBYZERO (divide by zero trap)'],
];

export function describeCfsr(cfsr: number): string[] {
  return CFSR_NAMES.filter(([bit]) => (cfsr & bit) !== 0).map(([, name]) => name);
}

export function describeHfsr(hfsr: number): string[] {
  const out: string[] = [];
  if (hfsr & HFSR_VECTTBL) out.push('VECTTBL (bus fault on vector table read)');
  if (hfsr & HFSR_FORCED) out.push('FORCED (escalated from a configurable fault)');
  if (hfsr & HFSR_DEBUGEVT) out.push('DEBUGEVT (debug event: BKPT without a debugger)');
  return out;
}

export function exceptionName(n: number): string {
  const names: Record<number, string> = {
    1: 'Reset',
    2: 'NMI',
    3: 'HardFault',
    4: 'MemManage',
    5: 'BusFault',
    6: 'UsageFault',
    11: 'SVCall',
    12: 'DebugMonitor',
    14: 'PendSV',
    15: 'SysTick',
  };
  return n >= 16 ? `IRQ${n - 16}` : (names[n] ?? `reserved exception ${n}`);
}
