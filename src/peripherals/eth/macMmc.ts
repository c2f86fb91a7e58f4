/**
 * The Ethernet MAC's MMC (RM0090 33.5.9, registers 33.8.2) for ./mac.ts: MMCCR (reset, preset,
 * freeze, reset on read), the receive and transmit interrupt registers and their masks, and the
 * six counters modelled (the others read 0), each raising its interrupt bit at half and full.
 */
import type { Register, RegisterBlock } from '../registers.js';

/** The MMC counters modelled (RM0090 33.8.2), by name and offset. */
const MMC_COUNTERS = [
  ['TGFSCCR', 0x14c, 'tx', 14],
  ['TGFMSCCR', 0x150, 'tx', 15],
  ['TGFCR', 0x168, 'tx', 21],
  ['RFCECR', 0x194, 'rx', 5],
  ['RFAECR', 0x198, 'rx', 6],
  ['RGUFCR', 0x1c4, 'rx', 17],
] as const;
export type MmcCounter = (typeof MMC_COUNTERS)[number][0];

/** The MMC registers, declared into the MAC's register block, and the counting of events. */
export class MmcCounters {
  readonly mmccr: Register;
  readonly mmcrir: Register;
  readonly mmctir: Register;
  readonly mmcrimr: Register;
  readonly mmctimr: Register;

  private readonly counters = new Map<MmcCounter, Register>();

  constructor(
    private readonly regs: RegisterBlock,
    /** The MAC's interrupt line follows the MMC's interrupt bits. */
    private readonly updateIrq: () => void,
  ) {
    [this.mmccr, this.mmcrir, this.mmctir, this.mmcrimr, this.mmctimr] = this.defineMmc();
  }

  /** MMCCR, MMCRIR, MMCTIR, MMCRIMR, MMCTIMR and the counters. */
  private defineMmc(): [Register, Register, Register, Register, Register] {
    const r = this.regs;
    const mmccr = r.define({
      name: 'MMCCR',
      offset: 0x100,
      fields: [
        { name: 'CR', bits: 0 },
        { name: 'CSR', bits: 1 },
        { name: 'ROR', bits: 2 },
        { name: 'MCF', bits: 3 },
        { name: 'MCP', bits: 4 },
        { name: 'MCFHP', bits: 5 },
      ],
      onWrite: (v) => {
        // CR (reset) and MCP (preset) act once and clear themselves (RM0090 33.8.2).
        if (v & 0x11) {
          const preset = v & 0x10 ? (v & 0x20 ? 0xfffffff0 : 0x7ffffff0) : 0;
          for (const c of this.counters.values()) c.value = preset;
          mmccr.value &= ~0x11;
        }
      },
    });
    const irBits = (bits: number[], access: 'rc_r' | 'rw') =>
      bits.map((b) => ({ name: `B${b}`, bits: b, access }));
    // Cleared by the read (before onRead runs), so the interrupt line follows at once.
    const cleared = (v: number) => {
      this.updateIrq();
      return v;
    };
    const mmcrir = r.define({
      name: 'MMCRIR',
      offset: 0x104,
      fields: irBits([5, 6, 17], 'rc_r'),
      onRead: cleared,
    });
    const mmctir = r.define({
      name: 'MMCTIR',
      offset: 0x108,
      fields: irBits([14, 15, 21], 'rc_r'),
      onRead: cleared,
    });
    const update = () => this.updateIrq();
    const mmcrimr = r.define({
      name: 'MMCRIMR',
      offset: 0x10c,
      fields: irBits([5, 6, 17], 'rw'),
      onWrite: update,
    });
    const mmctimr = r.define({
      name: 'MMCTIMR',
      offset: 0x110,
      fields: irBits([14, 15, 21], 'rw'),
      onWrite: update,
    });
    for (const [name, offset] of MMC_COUNTERS) {
      const reg: Register = r.define({
        name,
        offset,
        access: 'ro',
        // MMCCR.ROR: counters reset when read.
        onRead: (v) => {
          if (mmccr.value & 4) reg.value = 0;
          return v;
        },
      });
      this.counters.set(name, reg);
    }
    return [mmccr, mmcrir, mmctir, mmcrimr, mmctimr];
  }

  /** One event for an MMC counter: half and full raise its interrupt bit (RM0090 33.5.9). */
  count(name: MmcCounter): void {
    const ccr = this.mmccr.value;
    if (ccr & 8) return; // MCF: frozen
    const reg = this.counters.get(name)!;
    const spec = MMC_COUNTERS.find((c) => c[0] === name)!;
    const v = reg.value;
    if (v === 0xffffffff) {
      if (!(ccr & 2)) reg.value = 0; // rolls over unless CSR stops it
    } else reg.value = v + 1;
    if (reg.value === 0x80000000 || reg.value === 0xffffffff) {
      const ir = spec[2] === 'rx' ? this.mmcrir : this.mmctir;
      ir.value |= 1 << spec[3];
      this.updateIrq();
    }
  }
}
