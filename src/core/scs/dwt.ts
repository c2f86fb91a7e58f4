/**
 * DWT (cycle counter) and ITM (stimulus ports as output channels). The DWT comparators belong
 * to the debugger (watchpoints) and are modelled as plain registers here.
 */
import type { Clock } from '../../clock/clock.js';
import type { MmioDevice, AccessSize } from '../../bus/bus.js';

export class Dwt implements MmioDevice {
  readonly name = 'DWT';
  ctrl = 0x40000000; // NUMCOMP = 4
  private cyccntBase = 0;
  private cyccntFrozen = 0;
  private regs = new Map<number, number>();
  /** DEMCR.TRCENA gates the DWT, as on the chip. */
  traceEnabled: () => boolean = () => true;

  constructor(private readonly clock: Clock) {}

  reset(): void {
    this.ctrl = 0x40000000;
    this.cyccntBase = this.clock.cycles;
    this.cyccntFrozen = 0;
    this.regs.clear();
  }

  private get counting(): boolean {
    return (this.ctrl & 1) !== 0 && this.traceEnabled();
  }

  get cyccnt(): number {
    return this.counting ? (this.clock.cycles - this.cyccntBase) >>> 0 : this.cyccntFrozen;
  }

  read(offset: number, _size: AccessSize): number {
    if (offset === 0x0) return this.ctrl;
    if (offset === 0x4) return this.cyccnt;
    if (offset >= 0xfd0) return DWT_IDS[(offset - 0xfd0) >>> 2] ?? 0;
    return this.regs.get(offset) ?? 0;
  }

  write(offset: number, value: number, _size: AccessSize): void {
    if (offset === 0x0) {
      const cyc = this.cyccnt;
      this.ctrl = (this.ctrl & 0xf0000000) | (value & 0x0fffffff);
      this.setCyccnt(cyc);
    } else if (offset === 0x4) this.setCyccnt(value >>> 0);
    else this.regs.set(offset, value >>> 0);
  }

  private setCyccnt(value: number): void {
    this.cyccntFrozen = value;
    this.cyccntBase = this.clock.cycles - value;
  }
}

const DWT_IDS = [0x04, 0, 0, 0, 0x02, 0xb0, 0x3b, 0, 0x0d, 0xe0, 0x05, 0xb1];

export class Itm implements MmioDevice {
  readonly name = 'ITM';
  ter = 0;
  tcr = 0;
  tpr = 0;
  /** Bytes written to a stimulus port reach the host here. */
  onOutput: (port: number, data: number, size: AccessSize) => void = () => {};

  reset(): void {
    this.ter = 0;
    this.tcr = 0;
    this.tpr = 0;
  }

  read(offset: number, _size: AccessSize): number {
    if (offset < 0x80) return 1; // stimulus port: FIFO always ready
    if (offset === 0xe00) return this.ter;
    if (offset === 0xe40) return this.tpr;
    if (offset === 0xe80) return this.tcr;
    return 0;
  }

  write(offset: number, value: number, size: AccessSize): void {
    if (offset < 0x80) {
      const port = offset >>> 2;
      if ((this.tcr & 1) !== 0 && ((this.ter >>> port) & 1) !== 0) this.onOutput(port, value, size);
    } else if (offset === 0xe00) this.ter = value >>> 0;
    else if (offset === 0xe40) this.tpr = value >>> 0;
    else if (offset === 0xe80) this.tcr = value >>> 0;
  }
}
