/**
 * STM32F407 system configuration controller (RM0090 section 9) at 0x40013800: the memory
 * remap at address 0 (MEMRMP), the Ethernet MII/RMII selection (PMC), the EXTI line to GPIO
 * port multiplexers (EXTICR1-4) and the I/O compensation cell (CMPCR).
 *
 * The remap itself belongs to the bus: `onRemap(mode)` tells the machine which memory to show
 * at 0 (0 main flash, 1 system memory, 2 FSMC bank 1, 3 SRAM1).
 */
import { Peripheral, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';

export type MemoryMode = 0 | 1 | 2 | 3;

export class Syscfg extends Peripheral {
  readonly memrmp: Register;
  readonly pmc: Register;
  readonly exticr: Register[];
  readonly cmpcr: Register;
  /** Memory mapped at address 0 changed (MEM_MODE); the machine maps it. */
  onRemap: (mode: MemoryMode) => void = () => {};
  private readonly exticrListeners: ((line: number, port: number) => void)[] = [];

  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    const r = this.regs;
    // Reset MEM_MODE follows the BOOT pins; the Discovery board boots from main flash (00).
    this.memrmp = r.define({
      name: 'MEMRMP',
      offset: 0x00,
      fields: [{ name: 'MEM_MODE', bits: [1, 0] }],
      onWrite: (v, prev) => {
        if ((v & 3) !== (prev & 3)) this.onRemap((v & 3) as MemoryMode);
      },
    });
    this.pmc = r.define({
      name: 'PMC',
      offset: 0x04,
      fields: [{ name: 'MII_RMII_SEL', bits: 23 }],
    });
    this.exticr = [0, 1, 2, 3].map((n) =>
      r.define({
        name: `EXTICR${n + 1}`,
        offset: 0x08 + 4 * n,
        fields: [0, 1, 2, 3].map((i) => ({
          name: `EXTI${4 * n + i}`,
          bits: [4 * i + 3, 4 * i] as [number, number],
        })),
        onWrite: (v, prev) => {
          for (let i = 0; i < 4; i++) {
            const port = (v >>> (4 * i)) & 0xf;
            if (port !== ((prev >>> (4 * i)) & 0xf)) {
              for (const l of this.exticrListeners) l(4 * n + i, port);
            }
          }
        },
      }),
    );
    this.cmpcr = r.define({
      name: 'CMPCR',
      offset: 0x20,
      fields: [
        { name: 'READY', bits: 8, access: 'ro' },
        { name: 'CMP_PD', bits: 0 },
      ],
      // The compensation cell is ready as soon as it is powered (no settling time modelled).
      onWrite: (v) => this.cmpcr.set('READY', v & 1),
    });
  }

  /** GPIO port (0 = A ... 8 = I) selected for EXTI line 0-15. */
  extiPort(line: number): number {
    return (this.exticr[line >>> 2]!.value >>> (4 * (line & 3))) & 0xf;
  }

  /** Called when EXTICR selects another port for a line. */
  onExtiSelect(listener: (line: number, port: number) => void): void {
    this.exticrListeners.push(listener);
  }

  /** The memory at address 0 (MEM_MODE). */
  get memoryMode(): MemoryMode {
    return (this.memrmp.value & 3) as MemoryMode;
  }

  override reset(): void {
    const before = this.memoryMode;
    const ports = Array.from({ length: 16 }, (_, line) => this.extiPort(line));
    super.reset();
    if (before !== 0) this.onRemap(0);
    ports.forEach((port, line) => {
      if (port !== 0) for (const l of this.exticrListeners) l(line, 0);
    });
  }
}
