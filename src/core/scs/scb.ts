/**
 * The System Control Space block at 0xE000E000-0xE000EFFF: SCB registers (ARMv7-M B3.2), the
 * NVIC register views, SysTick, the MPU's registers (the MPU itself is mpu.ts), debug
 * DEMCR/DHCSR and STIR. Unprivileged accesses fault, as on the chip.
 */
import { BusError, type AccessSize, type MmioDevice } from '../../bus/bus.js';
import {
  EXC_BUSFAULT,
  EXC_DEBUGMONITOR,
  EXC_MEMMANAGE,
  EXC_NMI,
  EXC_PENDSV,
  EXC_SYSTICK,
  EXC_USAGEFAULT,
} from '../faults.js';
import { MPU_ALIASES_END, MPU_TYPE, Mpu } from './mpu.js';
import { IPR_END, ISER, NUM_IRQS, Nvic, PRIORITY_MASK, STIR } from './nvic.js';
import type { SysTick } from './systick.js';

/** CPUID of the STM32F407's core: ARM Cortex-M4 r0p1. */
export const CPUID_R0P1 = 0x410fc241;
export const CCR_RESET = 0x00000200;

// Register offsets from the SCS base 0xE000E000: SCB and FP registers (ARMv7-M ARM B3.2),
// SysTick (B3.3), MPU (B3.5), debug (C1.6); the NVIC's are in nvic.ts (B3.4).
const ICTR = 0x004;
const ACTLR = 0x008;
const SYST_CSR = 0x010;
const SYST_RVR = 0x014;
const SYST_CVR = 0x018;
const SYST_CALIB = 0x01c;
const CPUID = 0xd00;
const ICSR = 0xd04;
const VTOR = 0xd08;
const AIRCR = 0xd0c;
const SCR = 0xd10;
const CCR = 0xd14;
const SHPR1 = 0xd18;
const SHPR2 = 0xd1c;
const SHPR3 = 0xd20;
const SHCSR = 0xd24;
const CFSR = 0xd28;
const HFSR = 0xd2c;
const DFSR = 0xd30;
const MMFAR = 0xd34;
const BFAR = 0xd38;
const AFSR = 0xd3c;
const CPACR = 0xd88;
const DHCSR = 0xdf0;
const DEMCR = 0xdfc;
/** DEMCR.MON_EN and MON_PEND (C1.6.5). */
const DEMCR_MON_EN = 1 << 16;
const DEMCR_MON_PEND = 1 << 17;
/**
 * DEMCR's stored bits (C1.6.5): the vector catches VC_CORERESET and VC_MMERR..VC_HARDERR
 * (0x7f1), MON_EN, MON_STEP (bit 18: stepping, scs/debugMonitor.ts), MON_REQ (bit 19: a
 * semaphore for the monitor's own use, no effect on the hardware) and TRCENA (bit 24).
 */
const DEMCR_STORED = 0x7f1 | DEMCR_MON_EN | (1 << 18) | (1 << 19) | (1 << 24);
const FPCCR = 0xf34;
const FPCAR = 0xf38;
const FPDSCR = 0xf3c;
const MVFR0 = 0xf40;
const MVFR1 = 0xf44;
const PERIPHERAL_IDS = 0xfd0;

/** The byte lanes a store of 1, 2 or 4 bytes covers, before shifting to its address. */
const SIZE_LANES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

/** A read-write register after a store: the bytes in `byteMask` from `value`, the rest kept. */
function merge(old: number, value: number, byteMask: number): number {
  return ((old & ~byteMask) | (value & byteMask)) >>> 0;
}

/** What the SCB needs from the rest of the system. */
export interface ScbHost {
  privileged(): boolean;
  /** IPSR of the running exception and nesting information for ICSR. */
  vectActive(): number;
  requestSystemReset(): void;
  warnOnce(key: string, message: string): void;
}

export class Scb implements MmioDevice {
  readonly name = 'SCS';
  vtor = 0;
  scr = 0;
  ccr = CCR_RESET;
  cfsr = 0;
  hfsr = 0;
  dfsr = 0;
  mmfar = 0;
  bfar = 0;
  cpacr = 0;
  actlr = 0;
  demcr = 0;
  dhcsr = 0;
  /** MPU_TYPE to MPU_RASR_A3 (0xE000ED90-0xE000EDBB) are the MPU's. */
  readonly mpu: Mpu;
  fpccr = 0xc0000000;
  fpcar = 0;
  fpdscr = 0;

  constructor(
    private readonly nvic: Nvic,
    private readonly systick: SysTick,
    private readonly host: ScbHost,
  ) {
    this.mpu = new Mpu(host);
  }

  reset(): void {
    this.vtor = 0;
    this.scr = 0;
    this.ccr = CCR_RESET;
    this.cfsr = this.hfsr = this.dfsr = this.mmfar = this.bfar = 0;
    this.cpacr = this.actlr = this.demcr = this.dhcsr = 0;
    this.mpu.reset();
    this.fpccr = 0xc0000000;
    this.fpcar = this.fpdscr = 0;
  }

  get unalignTrap(): boolean {
    return (this.ccr & 0x8) !== 0;
  }
  get divideByZeroTrap(): boolean {
    return (this.ccr & 0x10) !== 0;
  }
  /**
   * Wraps a write to DEMCR's stored bits: TRCENA gates the DWT, whose cycle counter must stop
   * or go on at the value it had (Machine wires Dwt.traceEnableChange here).
   */
  onDemcrWrite: (write: () => void) => void = (write) => write();

  /** DEMCR.MON_EN: breakpoint debug events take the DebugMonitor exception. */
  get monitorEnabled(): boolean {
    return (this.demcr & DEMCR_MON_EN) !== 0;
  }
  get stackAlign8(): boolean {
    return (this.ccr & 0x200) !== 0;
  }

  read(offset: number, size: AccessSize): number {
    if (!this.host.privileged())
      throw new BusError(0xe000e000 + offset, false, 'unprivileged SCS access');
    const aligned = offset & ~3;
    const word = this.readWord(aligned);
    return size === 4 ? word : (word >>> (8 * (offset & 3))) & (size === 1 ? 0xff : 0xffff);
  }

  /** MmioDevice.readIsStable: SysTick's registers say (its CSR, RVR and CALIB); no other. */
  readIsStable(offset: number): boolean {
    const aligned = offset & ~3;
    return (
      aligned >= SYST_CSR && aligned <= SYST_CALIB && this.systick.readIsStable(aligned - SYST_CSR)
    );
  }

  /**
   * A byte or halfword store acts on the bytes it writes only (the Cortex-M3 TRM, DDI 0337E 8.1:
   * the NVIC and system control registers take byte, halfword and word accesses unless stated
   * otherwise; IPR, SHPR and CFSR's MMFSR/BFSR/UFSR are byte-accessible by definition in the
   * ARMv7-M ARM). The store reaches the word's handler as the written bytes in their lanes, zeros
   * elsewhere, and the lanes' mask: write-one-to-set/clear registers (ISER, ICER, ISPR, ICPR,
   * CFSR, HFSR, DFSR) and the action bits of ICSR and AIRCR see zeros in the bytes not written, as
   * the hardware does, instead of their current contents (a read-modify-write of the word would
   * clear every other flag of the word); read-write registers keep their unwritten bytes. A store
   * that crosses a word boundary (UNPREDICTABLE) loses the bytes past the word.
   */
  write(offset: number, value: number, size: AccessSize): void {
    if (!this.host.privileged())
      throw new BusError(0xe000e000 + offset, true, 'unprivileged SCS access');
    const shift = 8 * (offset & 3);
    const byteMask = (SIZE_LANES[size] << shift) >>> 0;
    this.writeWord(offset & ~3, ((value << shift) & byteMask) >>> 0, byteMask);
  }

  private shprIndex(byte: number): number {
    return 4 + byte; // SHPR1 byte 0 = exception 4 (MemManage)
  }

  private writeShprByte(byte: number, v: number): void {
    const n = this.shprIndex(byte);
    if (n === 4 || n === 5 || n === 6 || n === 11 || n === 12 || n === 14 || n === 15) {
      this.nvic.priority[n] = v & PRIORITY_MASK;
    }
  }

  private readWord(offset: number): number {
    const nvic = this.nvic;
    if (offset >= ISER && offset < IPR_END) return nvic.readRegister(offset);
    if (offset >= MPU_TYPE && offset < MPU_ALIASES_END) return this.mpu.readRegister(offset);
    switch (offset) {
      case ICTR:
        return Math.ceil(NUM_IRQS / 32) - 1; // INTLINESNUM
      case ACTLR:
        return this.actlr;
      case SYST_CSR:
      case SYST_RVR:
      case SYST_CVR:
      case SYST_CALIB:
        return this.systick.read(offset - SYST_CSR);
      case CPUID:
        return CPUID_R0P1;
      case ICSR:
        return this.icsr();
      case VTOR:
        return this.vtor;
      case AIRCR:
        return (0xfa050000 | (nvic.prigroup << 8)) >>> 0;
      case SCR:
        return this.scr;
      case CCR:
        return this.ccr;
      case SHPR1:
      case SHPR2:
      case SHPR3: {
        let v = 0;
        for (let b = 3; b >= 0; b--) {
          const n = this.shprIndex(offset - SHPR1 + b);
          const implemented = n === 4 || n === 5 || n === 6 || n === 11 || n === 12 || n >= 14;
          v = (v << 8) | (implemented ? nvic.priority[n]! & 0xff : 0);
        }
        return v >>> 0;
      }
      case SHCSR:
        return this.shcsr();
      case CFSR:
        return this.cfsr >>> 0;
      case HFSR:
        return this.hfsr >>> 0;
      case DFSR:
        return this.dfsr;
      case MMFAR:
        return this.mmfar;
      case BFAR:
        return this.bfar;
      case AFSR:
        return 0;
      case 0xd40:
        return 0x00000030; // ID_PFR0
      case 0xd44:
        return 0x00000200; // ID_PFR1
      case 0xd48:
        return 0x00100000; // ID_DFR0
      case 0xd4c:
        return 0; // ID_AFR0
      case 0xd50:
        return 0x00100030; // ID_MMFR0
      case 0xd54:
        return 0;
      case 0xd58:
        return 0x01000000; // ID_MMFR2
      case 0xd5c:
        return 0;
      case 0xd60:
        return 0x01101110; // ID_ISAR0
      case 0xd64:
        return 0x02111000;
      case 0xd68:
        return 0x21112231;
      case 0xd6c:
        return 0x01111110;
      case 0xd70:
        return 0x01310132;
      case CPACR:
        return this.cpacr;
      case DHCSR:
        return this.dhcsr;
      case DEMCR:
        return (this.demcr | (nvic.pending[EXC_DEBUGMONITOR]! << 17)) >>> 0;
      case FPCCR:
        return this.fpccr;
      case MVFR0:
        return 0x10110021; // single-precision FPv4, 16 double registers
      case MVFR1:
        return 0x11000011;
      case FPCAR:
        return this.fpcar;
      case FPDSCR:
        return this.fpdscr;
      default:
        if (offset >= PERIPHERAL_IDS) return SCS_IDS[(offset - PERIPHERAL_IDS) >>> 2] ?? 0;
        this.host.warnOnce(
          `scs:${offset}`,
          `f4emu: unimplemented SCS register 0x${(0xe000e000 + offset).toString(16)} reads as 0`,
        );
        return 0;
    }
  }

  /**
   * A store to the word at `offset`: `value` has the written bytes in their lanes and zeros in
   * the others, `byteMask` 0xff in each lane written (see `write`).
   */
  private writeWord(offset: number, value: number, byteMask: number): void {
    const nvic = this.nvic;
    if (offset >= ISER && offset < IPR_END) {
      // IPR0-IPR59 included: priorities of IRQs the STM32F407 lacks are RAZ/WI.
      nvic.writeRegister(offset, value, byteMask);
      return;
    }
    if (offset >= MPU_TYPE && offset < MPU_ALIASES_END) {
      this.mpu.writeRegister(offset, value, byteMask);
      return;
    }
    switch (offset) {
      case ACTLR:
        this.actlr = merge(this.actlr, value, byteMask) & 0x307;
        return;
      case SYST_CSR:
        // Merged with the CSR as stored: reading it here would clear COUNTFLAG.
        this.systick.write(0, merge(this.systick.csr, value, byteMask));
        return;
      case SYST_RVR:
        this.systick.write(4, merge(this.systick.rvr, value, byteMask));
        return;
      case SYST_CVR:
        this.systick.write(8, value); // any store clears the counter
        return;
      case ICSR:
        this.writeIcsr(value); // set/clear action bits only; the rest is read-only
        return;
      case VTOR:
        this.vtor = merge(this.vtor, value, byteMask) & 0xffffff80;
        return;
      case AIRCR:
        // VECTKEY must be written with the store (B3.2.6); VECTCLRACTIVE and SYSRESETREQ act
        // only when written as one, PRIGROUP changes only when its byte is written.
        if ((byteMask & 0xffff0000) >>> 0 !== 0xffff0000 || value >>> 16 !== 0x05fa) return;
        if (byteMask & 0x0700) nvic.prigroup = (value >>> 8) & 7;
        if (value & 2) {
          nvic.active.fill(0); // VECTCLRACTIVE (debug use)
        }
        if (value & 4) this.host.requestSystemReset();
        nvic.onChange();
        return;
      case SCR:
        this.scr = merge(this.scr, value, byteMask) & 0x16;
        return;
      case CCR:
        // NONBASETHRDENA USERSETMPEND UNALIGN_TRP DIV_0_TRP BFHFNMIGN STKALIGN
        this.ccr = merge(this.ccr, value, byteMask) & 0x31b;
        return;
      case SHPR1:
      case SHPR2:
      case SHPR3:
        for (let b = 0; b < 4; b++) {
          if ((byteMask >>> (8 * b)) & 0xff) {
            this.writeShprByte(offset - SHPR1 + b, (value >>> (8 * b)) & 0xff);
          }
        }
        nvic.onChange();
        return;
      case SHCSR:
        this.writeShcsr(merge(this.shcsr(), value, byteMask));
        return;
      case CFSR:
        this.cfsr &= ~value; // write-one-to-clear, like HFSR and DFSR
        return;
      case HFSR:
        this.hfsr &= ~value;
        return;
      case DFSR:
        this.dfsr &= ~value;
        return;
      case MMFAR:
        this.mmfar = merge(this.mmfar, value, byteMask);
        return;
      case BFAR:
        this.bfar = merge(this.bfar, value, byteMask);
        return;
      case CPACR:
        this.cpacr = merge(this.cpacr, value, byteMask) & 0x00f00000;
        return;
      case DHCSR:
        return; // debugger only
      case DEMCR: {
        // MON_PEND (bit 17) is the DebugMonitor's pending state, set or cleared here whatever
        // MON_EN says (C1.6.5); the other bits are stored.
        const v = merge(this.demcr, value, byteMask);
        this.onDemcrWrite(() => (this.demcr = v & DEMCR_STORED));
        if (byteMask & DEMCR_MON_PEND) {
          nvic.pending[EXC_DEBUGMONITOR] = (v & DEMCR_MON_PEND) !== 0 ? 1 : 0;
          nvic.onChange();
        }
        return;
      }
      case STIR:
        nvic.triggerSoftware(value);
        return;
      case FPCCR:
        // ASPEN LSPEN MONRDY BFRDY MMRDY HFRDY THREAD USER LSPACT
        this.fpccr = (merge(this.fpccr, value, byteMask) & 0xc000017b) >>> 0;
        return;
      case FPCAR:
        this.fpcar = merge(this.fpcar, value, byteMask) & ~7;
        return;
      case FPDSCR:
        this.fpdscr = merge(this.fpdscr, value, byteMask) & 0x07c00000;
        return;
      default:
        this.host.warnOnce(
          `scs-w:${offset}`,
          `f4emu: write to unimplemented SCS register 0x${(0xe000e000 + offset).toString(16)} ignored`,
        );
    }
  }

  private icsr(): number {
    const nvic = this.nvic;
    const active = this.host.vectActive();
    let pendingExternal = 0;
    for (let n = 16; n < 16 + NUM_IRQS; n++) pendingExternal |= nvic.pending[n]!;
    let v = active & 0x1ff;
    if (nvic.activeCount() <= 1) v |= 1 << 11; // RETTOBASE
    v |= (nvic.highestPending() & 0x1ff) << 12;
    if (pendingExternal) v |= 1 << 22;
    if (nvic.pending[EXC_SYSTICK]) v |= 1 << 26;
    if (nvic.pending[EXC_PENDSV]) v |= 1 << 28;
    if (nvic.pending[EXC_NMI]) v |= 1 << 31;
    return v >>> 0;
  }

  private writeIcsr(value: number): void {
    const nvic = this.nvic;
    if (value & (1 << 31)) nvic.setPending(EXC_NMI);
    if (value & (1 << 28)) nvic.setPending(EXC_PENDSV);
    if (value & (1 << 27)) nvic.pending[EXC_PENDSV] = 0;
    if (value & (1 << 26)) nvic.setPending(EXC_SYSTICK);
    if (value & (1 << 25)) nvic.pending[EXC_SYSTICK] = 0;
    nvic.onChange();
  }

  private shcsr(): number {
    const n = this.nvic;
    return (
      (n.active[EXC_MEMMANAGE]! << 0) |
      (n.active[EXC_BUSFAULT]! << 1) |
      (n.active[EXC_USAGEFAULT]! << 3) |
      (n.active[11]! << 7) |
      (n.active[12]! << 8) |
      (n.active[EXC_PENDSV]! << 10) |
      (n.active[EXC_SYSTICK]! << 11) |
      (n.pending[EXC_USAGEFAULT]! << 12) |
      (n.pending[EXC_MEMMANAGE]! << 13) |
      (n.pending[EXC_BUSFAULT]! << 14) |
      (n.pending[11]! << 15) |
      (n.enabled[EXC_MEMMANAGE]! << 16) |
      (n.enabled[EXC_BUSFAULT]! << 17) |
      (n.enabled[EXC_USAGEFAULT]! << 18)
    );
  }

  private writeShcsr(v: number): void {
    const n = this.nvic;
    const bit = (b: number) => (v >>> b) & 1;
    n.active[EXC_MEMMANAGE] = bit(0);
    n.active[EXC_BUSFAULT] = bit(1);
    n.active[EXC_USAGEFAULT] = bit(3);
    n.active[11] = bit(7);
    n.active[12] = bit(8);
    n.active[EXC_PENDSV] = bit(10);
    n.active[EXC_SYSTICK] = bit(11);
    n.pending[EXC_USAGEFAULT] = bit(12);
    n.pending[EXC_MEMMANAGE] = bit(13);
    n.pending[EXC_BUSFAULT] = bit(14);
    n.pending[11] = bit(15);
    n.enabled[EXC_MEMMANAGE] = bit(16);
    n.enabled[EXC_BUSFAULT] = bit(17);
    n.enabled[EXC_USAGEFAULT] = bit(18);
    n.onChange();
  }
}

const SCS_IDS = [0x04, 0, 0, 0, 0x00, 0xb0, 0x0b, 0, 0x0d, 0xe0, 0x05, 0xb1];
