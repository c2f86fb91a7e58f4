/**
 * Exception state for every exception number (system exceptions 1-15 and the STM32F407's 82
 * external interrupts): enable, pending, active and priority, with AIRCR.PRIGROUP grouping.
 * The NVIC registers (ISER/ICER/ISPR/ICPR/IABR/IPR/STIR) are views of this state; the core
 * asks `highestPending()` and `executionPriority()`, it keeps none of this itself.
 */

export const NUM_IRQS = 82;
export const NUM_EXCEPTIONS = 16 + NUM_IRQS;
/** The STM32F4 implements the top 4 bits of each 8-bit priority field. */
export const PRIORITY_MASK = 0xf0;

// NVIC register offsets from the SCS base 0xE000E000 (ARMv7-M ARM B3.4). Each set/clear/active
// bank holds up to 16 words of 32 IRQs; IPR0-IPR59 hold one priority byte per IRQ.
export const ISER = 0x100;
export const ICER = 0x180;
export const ISPR = 0x200;
export const ICPR = 0x280;
export const IABR = 0x300;
export const IPR = 0x400;
export const IPR_END = 0x4f0;
export const STIR = 0xf00;
const BANK_MASK = 0xf80;

export class Nvic {
  /** Programmed priority (0-255, low 4 bits zero); Reset/NMI/HardFault hold -3/-2/-1. */
  readonly priority = new Int16Array(NUM_EXCEPTIONS);
  readonly enabled = new Uint8Array(NUM_EXCEPTIONS);
  /** The pending flags, also read a word at a time by anyPending. */
  private readonly pendingWords = new Uint32Array(Math.ceil(NUM_EXCEPTIONS / 4));
  readonly pending = new Uint8Array(this.pendingWords.buffer, 0, NUM_EXCEPTIONS);
  readonly active = new Uint8Array(NUM_EXCEPTIONS);
  /** Level of each external interrupt line as driven by its peripheral. */
  readonly irqLevel = new Uint8Array(NUM_IRQS);
  prigroup = 0;
  /** Called whenever pending/enable/priority state changes (the core re-checks). */
  onChange: () => void = () => {};

  constructor() {
    this.reset();
  }

  reset(): void {
    this.priority.fill(0);
    this.enabled.fill(0);
    this.pending.fill(0);
    this.active.fill(0);
    this.irqLevel.fill(0);
    this.priority[1] = -3;
    this.priority[2] = -2;
    this.priority[3] = -1;
    // Always-enabled system exceptions; MemManage/BusFault/UsageFault follow SHCSR.
    for (const n of [1, 2, 3, 11, 12, 14, 15]) this.enabled[n] = 1;
    this.prigroup = 0;
  }

  /** Group priority of a priority value under the current PRIGROUP. */
  groupPriority(prio: number): number {
    if (prio < 0) return prio;
    const groupValue = 2 << this.prigroup;
    return prio - (prio % groupValue);
  }

  setPending(n: number): void {
    if (this.pending[n] === 0) {
      this.pending[n] = 1;
      this.onChange();
    }
  }

  clearPending(n: number): void {
    this.pending[n] = 0;
    // A level-sensitive line still asserted pends again.
    if (n >= 16 && this.irqLevel[n - 16] === 1 && this.active[n] === 0) this.pending[n] = 1;
  }

  /** A peripheral drives its interrupt line; a high level makes the IRQ pending. */
  setIrqLevel(irq: number, level: boolean): void {
    this.irqLevel[irq] = level ? 1 : 0;
    if (level) this.setPending(16 + irq);
  }

  /**
   * True when any exception is pending, enabled or not: a cheap test that lets the core skip
   * highestPending (a scan of every exception) when there is nothing to take.
   */
  anyPending(): boolean {
    const words = this.pendingWords;
    for (let k = 0; k < words.length; k++) if (words[k] !== 0) return true;
    return false;
  }

  /** Exception number of the highest-priority pending and enabled exception, or 0. */
  highestPending(): number {
    let best = 0;
    let bestPrio = 0x7fff;
    for (let n = 1; n < NUM_EXCEPTIONS; n++) {
      if (this.pending[n] === 1 && this.enabled[n] === 1) {
        const p = this.priority[n]!;
        if (p < bestPrio) {
          best = n;
          bestPrio = p;
        }
      }
    }
    return best;
  }

  /** Number of active exceptions (for RETTOBASE and the NONBASETHRDENA check). */
  activeCount(): number {
    let count = 0;
    for (let n = 1; n < NUM_EXCEPTIONS; n++) count += this.active[n]!;
    return count;
  }

  /** Highest (numerically lowest) group priority among active exceptions, 256 if none. */
  activePriority(): number {
    let best = 256;
    for (let n = 1; n < NUM_EXCEPTIONS; n++) {
      if (this.active[n] === 1) {
        const g = this.groupPriority(this.priority[n]!);
        if (g < best) best = g;
      }
    }
    return best;
  }

  // ---- register views, offsets relative to 0xE000E000 ----

  /** The word at `offset` (word-aligned, ISER to IPR_END). */
  readRegister(offset: number): number {
    if (offset >= IPR) {
      let v = 0;
      for (let b = 3; b >= 0; b--) {
        const irq = offset - IPR + b;
        v = (v << 8) | (irq < NUM_IRQS ? this.priority[16 + irq]! & 0xff : 0);
      }
      return v >>> 0;
    }
    const first = ((offset & 0x7f) >>> 2) * 32;
    const bits = (arr: Uint8Array): number => {
      let v = 0;
      for (let b = 31; b >= 0; b--) {
        const irq = first + b;
        v = (v << 1) | (irq < NUM_IRQS ? arr[16 + irq]! : 0);
      }
      return v >>> 0;
    };
    switch (offset & BANK_MASK) {
      case ISER:
      case ICER:
        return bits(this.enabled);
      case ISPR:
      case ICPR:
        return bits(this.pending);
      case IABR:
        return bits(this.active);
      default:
        return 0;
    }
  }

  /**
   * A store to the word at `offset` (word-aligned): `value` holds the stored bytes in their lanes
   * of the word and zeros elsewhere; `byteMask` has 0xff in each lane written. A byte or halfword
   * store so sets, clears or reprioritises only the IRQs of the bytes it covers: ISER/ISPR set
   * and ICER/ICPR clear the IRQs whose bits are one, IPR takes the bytes written.
   */
  writeRegister(offset: number, value: number, byteMask: number): void {
    if (offset >= IPR) {
      for (let b = 0; b < 4; b++) {
        const irq = offset - IPR + b;
        if (((byteMask >>> (8 * b)) & 0xff) !== 0 && irq < NUM_IRQS) {
          this.priority[16 + irq] = (value >>> (8 * b)) & PRIORITY_MASK;
        }
      }
      this.onChange();
      return;
    }
    const bank = offset & BANK_MASK;
    if (bank === IABR) return; // read-only
    const first = ((offset & 0x7f) >>> 2) * 32;
    for (let b = 0; b < 32; b++) {
      if (((value >>> b) & 1) === 0) continue;
      const irq = first + b;
      if (irq >= NUM_IRQS) break;
      const n = 16 + irq;
      switch (bank) {
        case ISER:
          this.enabled[n] = 1;
          break;
        case ICER:
          this.enabled[n] = 0;
          break;
        case ISPR:
          this.pending[n] = 1;
          break;
        case ICPR:
          this.clearPending(n);
          break;
      }
    }
    this.onChange();
  }

  /** STIR: software trigger of an external interrupt. */
  triggerSoftware(value: number): void {
    const irq = value & 0x1ff;
    if (irq < NUM_IRQS) this.setPending(16 + irq);
  }
}
