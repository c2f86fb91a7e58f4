/**
 * Power controller of the STM32F405/407 (RM0090 §5.4): PWR_CR and PWR_CSR. Low-power modes,
 * the PVD and wake-up pins are not modelled; the bits are stored. VOSRDY reports the regulator
 * output scale as ready once the main PLL runs (voltage scaling takes effect with the PLL on);
 * BRR follows BRE at once.
 */
import { Peripheral, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';

export class Pwr extends Peripheral {
  readonly cr: Register;
  readonly csr: Register;

  /** `pllReady`: the RCC's PLLRDY (drives VOSRDY); without it VOSRDY reads 1. */
  constructor(
    block: BlockPlacement,
    ctx: PeripheralContext,
    private readonly pllReady: () => boolean = () => true,
  ) {
    super(block, ctx);
    this.cr = this.regs.define({
      name: 'CR',
      offset: 0x00,
      reset: 0x00004000,
      fields: [
        { name: 'LPDS', bits: 0 },
        { name: 'PDDS', bits: 1 },
        { name: 'CWUF', bits: 2, access: 'wo' },
        { name: 'CSBF', bits: 3, access: 'wo' },
        { name: 'PVDE', bits: 4 },
        { name: 'PLS', bits: [7, 5] },
        { name: 'DBP', bits: 8 },
        { name: 'FPDS', bits: 9 },
        { name: 'VOS', bits: 14 },
      ],
      onWrite: (v) => {
        // CWUF / CSBF: write 1 to clear WUF / SBF; they read 0.
        if (v & (1 << 2)) this.csr.set('WUF', 0);
        if (v & (1 << 3)) this.csr.set('SBF', 0);
        this.cr.value = (v & ~0xc) >>> 0;
      },
    });
    this.csr = this.regs.define({
      name: 'CSR',
      offset: 0x04,
      fields: [
        { name: 'WUF', bits: 0, access: 'ro' },
        { name: 'SBF', bits: 1, access: 'ro' },
        { name: 'PVDO', bits: 2, access: 'ro' },
        { name: 'BRR', bits: 3, access: 'ro' },
        { name: 'EWUP', bits: 8 },
        { name: 'BRE', bits: 9 },
        { name: 'VOSRDY', bits: 14, access: 'ro' },
      ],
      onWrite: (v) => this.csr.set('BRR', (v >>> 9) & 1),
      onRead: (v) => (this.pllReady() ? v | (1 << 14) : v & ~(1 << 14)),
    });
  }
}
