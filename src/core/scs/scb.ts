/**
 * The System Control Space block at 0xE000E000-0xE000EFFF: SCB registers (ARMv7-M B3.2), the
 * NVIC register views, SysTick, the MPU registers (stored with their reset values; regions are
 * not enforced yet), debug DEMCR/DHCSR and STIR. Unprivileged accesses fault, as on the chip.
 */
import { BusError, type AccessSize, type MmioDevice } from '../../bus/bus.js';
import {
  EXC_BUSFAULT,
  EXC_MEMMANAGE,
  EXC_NMI,
  EXC_PENDSV,
  EXC_SYSTICK,
  EXC_USAGEFAULT,
} from '../faults.js';
import { NUM_IRQS, Nvic, PRIORITY_MASK } from './nvic.js';
import type { SysTick } from './systick.js';

export const CPUID = 0x410fc241;
export const CCR_RESET = 0x00000200;

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
  mpuCtrl = 0;
  mpuRnr = 0;
  readonly mpuRbar = new Uint32Array(8);
  readonly mpuRasr = new Uint32Array(8);
  fpccr = 0xc0000000;
  fpcar = 0;
  fpdscr = 0;

  constructor(
    private readonly nvic: Nvic,
    private readonly systick: SysTick,
    private readonly host: ScbHost,
  ) {}

  reset(): void {
    this.vtor = 0;
    this.scr = 0;
    this.ccr = CCR_RESET;
    this.cfsr = this.hfsr = this.dfsr = this.mmfar = this.bfar = 0;
    this.cpacr = this.actlr = this.demcr = this.dhcsr = 0;
    this.mpuCtrl = this.mpuRnr = 0;
    this.mpuRbar.fill(0);
    this.mpuRasr.fill(0);
    this.fpccr = 0xc0000000;
    this.fpcar = this.fpdscr = 0;
  }

  get unalignTrap(): boolean {
    return (this.ccr & 0x8) !== 0;
  }
  get divideByZeroTrap(): boolean {
    return (this.ccr & 0x10) !== 0;
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

  write(offset: number, value: number, size: AccessSize): void {
    if (!this.host.privileged())
      throw new BusError(0xe000e000 + offset, true, 'unprivileged SCS access');
    // Byte-accessible registers: IPR, SHPR, CFSR sub-registers.
    if (offset >= 0x400 && offset < 0x4f0) {
      // IPR0-IPR59: priorities of IRQs the STM32F407 lacks are RAZ/WI.
      this.nvic.writeRegister(offset, value, size);
      return;
    }
    if (offset >= 0xd18 && offset < 0xd24) {
      for (let b = 0; b < size; b++) this.writeShpr(offset - 0xd18 + b, (value >>> (8 * b)) & 0xff);
      this.nvic.onChange();
      return;
    }
    if (size !== 4) {
      const shift = 8 * (offset & 3);
      if (offset >= 0xd28 && offset < 0xd2c) {
        this.cfsr &= ~((value << shift) >>> 0); // W1C at any width
        return;
      }
      // Other registers: merge as a read-modify-write of the word.
      const mask = (size === 1 ? 0xff : 0xffff) << shift;
      const old = this.peekWord(offset & ~3);
      value = ((old & ~mask) | ((value << shift) & mask)) >>> 0;
      offset &= ~3;
    }
    this.writeWord(offset, value >>> 0);
  }

  private peekWord(offset: number): number {
    // Registers whose read has no side effect (SysTick CSR's COUNTFLAG is the exception).
    return offset === 0x010 ? this.systick.csr : this.readWord(offset);
  }

  private shprIndex(byte: number): number {
    return 4 + byte; // SHPR1 byte 0 = exception 4 (MemManage)
  }

  private writeShpr(byte: number, v: number): void {
    const n = this.shprIndex(byte);
    if (n === 4 || n === 5 || n === 6 || n === 11 || n === 12 || n === 14 || n === 15) {
      this.nvic.priority[n] = v & PRIORITY_MASK;
    }
  }

  private readWord(offset: number): number {
    const nvic = this.nvic;
    if (offset >= 0x100 && offset < 0x4f0) return nvic.readRegister(offset);
    switch (offset) {
      case 0x004:
        return Math.ceil(NUM_IRQS / 32) - 1; // ICTR.INTLINESNUM
      case 0x008:
        return this.actlr;
      case 0x010:
      case 0x014:
      case 0x018:
      case 0x01c:
        return this.systick.read(offset - 0x10);
      case 0xd00:
        return CPUID;
      case 0xd04:
        return this.icsr();
      case 0xd08:
        return this.vtor;
      case 0xd0c:
        return (0xfa050000 | (nvic.prigroup << 8)) >>> 0;
      case 0xd10:
        return this.scr;
      case 0xd14:
        return this.ccr;
      case 0xd18:
      case 0xd1c:
      case 0xd20: {
        let v = 0;
        for (let b = 3; b >= 0; b--) {
          const n = this.shprIndex(offset - 0xd18 + b);
          const implemented = n === 4 || n === 5 || n === 6 || n === 11 || n === 12 || n >= 14;
          v = (v << 8) | (implemented ? nvic.priority[n]! & 0xff : 0);
        }
        return v >>> 0;
      }
      case 0xd24:
        return this.shcsr();
      case 0xd28:
        return this.cfsr >>> 0;
      case 0xd2c:
        return this.hfsr >>> 0;
      case 0xd30:
        return this.dfsr;
      case 0xd34:
        return this.mmfar;
      case 0xd38:
        return this.bfar;
      case 0xd3c:
        return 0; // AFSR
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
      case 0xd88:
        return this.cpacr;
      case 0xd90:
        return 0x00000800; // MPU_TYPE: 8 unified regions
      case 0xd94:
        return this.mpuCtrl;
      case 0xd98:
        return this.mpuRnr;
      case 0xd9c:
      case 0xda4:
      case 0xdac:
      case 0xdb4:
        return (this.mpuRbar[this.mpuRnr & 7]! & ~0x1f) | (this.mpuRnr & 7) | 0;
      case 0xda0:
      case 0xda8:
      case 0xdb0:
      case 0xdb8:
        return this.mpuRasr[this.mpuRnr & 7]!;
      case 0xdf0:
        return this.dhcsr;
      case 0xdfc:
        return this.demcr;
      case 0xf34:
        return this.fpccr;
      case 0xf40:
        return 0x10110021; // MVFR0: single-precision FPv4, 16 double registers
      case 0xf44:
        return 0x11000011; // MVFR1
      case 0xf38:
        return this.fpcar;
      case 0xf3c:
        return this.fpdscr;
      default:
        if (offset >= 0xfd0) return SCS_IDS[(offset - 0xfd0) >>> 2] ?? 0;
        this.host.warnOnce(
          `scs:${offset}`,
          `f4emu: unimplemented SCS register 0x${(0xe000e000 + offset).toString(16)} reads as 0`,
        );
        return 0;
    }
  }

  private writeWord(offset: number, value: number): void {
    const nvic = this.nvic;
    if (offset >= 0x100 && offset < 0x400) {
      nvic.writeRegister(offset, value, 4);
      return;
    }
    switch (offset) {
      case 0x008:
        this.actlr = value & 0x307;
        return;
      case 0x010:
      case 0x014:
      case 0x018:
        this.systick.write(offset - 0x10, value);
        return;
      case 0xd04:
        this.writeIcsr(value);
        return;
      case 0xd08:
        this.vtor = value & 0xffffff80;
        return;
      case 0xd0c:
        if (value >>> 16 !== 0x05fa) return; // VECTKEY
        nvic.prigroup = (value >>> 8) & 7;
        if (value & 2) {
          nvic.active.fill(0); // VECTCLRACTIVE (debug use)
        }
        if (value & 4) this.host.requestSystemReset();
        nvic.onChange();
        return;
      case 0xd10:
        this.scr = value & 0x16;
        return;
      case 0xd14:
        this.ccr = value & 0x31b; // NONBASETHRDENA USERSETMPEND UNALIGN_TRP DIV_0_TRP BFHFNMIGN STKALIGN
        return;
      case 0xd24:
        this.writeShcsr(value);
        return;
      case 0xd28:
        this.cfsr &= ~value;
        return;
      case 0xd2c:
        this.hfsr &= ~value;
        return;
      case 0xd30:
        this.dfsr &= ~value;
        return;
      case 0xd34:
        this.mmfar = value;
        return;
      case 0xd38:
        this.bfar = value;
        return;
      case 0xd88:
        this.cpacr = value & 0x00f00000;
        return;
      case 0xd94:
        this.mpuCtrl = value & 7;
        if (value & 1) {
          this.host.warnOnce('mpu', 'f4emu: MPU enabled; region protection is not enforced yet');
        }
        return;
      case 0xd98:
        this.mpuRnr = value & 0xff;
        return;
      case 0xd9c:
      case 0xda4:
      case 0xdac:
      case 0xdb4:
        if (value & 0x10) this.mpuRnr = value & 7;
        this.mpuRbar[this.mpuRnr & 7] = value & ~0x1f;
        return;
      case 0xda0:
      case 0xda8:
      case 0xdb0:
      case 0xdb8:
        this.mpuRasr[this.mpuRnr & 7] = value;
        return;
      case 0xdf0:
        return; // DHCSR: debugger only
      case 0xdfc:
        this.demcr = value & 0x010f07f1;
        return;
      case 0xf00:
        nvic.triggerSoftware(value);
        return;
      case 0xf34:
        this.fpccr = (value & 0xc000017b) >>> 0; // ASPEN LSPEN MONRDY BFRDY MMRDY HFRDY THREAD USER LSPACT
        return;
      case 0xf38:
        this.fpcar = value & ~7;
        return;
      case 0xf3c:
        this.fpdscr = value & 0x07c00000;
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
