/**
 * True random number generator of the STM32F405/407 (RM0090 §24), made deterministic: the data
 * are an xorshift32 sequence from a seed (same firmware + same seed → same numbers). A new word
 * is ready 40 RNG clock periods (PLL48CLK, taken as 48 MHz) after RNGEN or after DR was read.
 * Clock and seed errors (CECS/SECS) never occur.
 */
import type { Alarm } from '../../clock/clock.js';
import { Peripheral, irqLine, type BlockPlacement, type PeripheralContext } from '../peripheral.js';
import type { Register } from '../registers.js';

/** HASH_RNG global interrupt. */
export const RNG_DEFAULT_SEED = 0x2545f491;
const RNG_CLOCK_HZ = 48_000_000;
const RNGEN = 1 << 2;
const IE = 1 << 3;
const DRDY = 1 << 0;

export class Rng extends Peripheral {
  readonly cr: Register;
  readonly sr: Register;
  private state: number;
  private data = 0;
  private readonly alarm: Alarm;

  /** NVIC line HASH_RNG. */
  readonly irq: number;

  constructor(
    block: BlockPlacement,
    ctx: PeripheralContext,
    private readonly seed = RNG_DEFAULT_SEED,
  ) {
    super(block, ctx);
    this.irq = irqLine(block, 'HASH_RNG');
    this.state = seed >>> 0 || 1;
    this.alarm = ctx.clock.createAlarm(() => this.generate());
    this.cr = this.regs.define({
      name: 'CR',
      offset: 0x00,
      fields: [
        { name: 'RNGEN', bits: 2 },
        { name: 'IE', bits: 3 },
      ],
      onWrite: (v, old) => {
        if (v & RNGEN && !(old & RNGEN)) this.scheduleNext();
        if (!(v & RNGEN)) ctx.clock.cancel(this.alarm);
        this.updateIrq();
      },
    });
    this.sr = this.regs.define({
      name: 'SR',
      offset: 0x04,
      fields: [
        { name: 'DRDY', bits: 0, access: 'ro' },
        { name: 'CECS', bits: 1, access: 'ro' },
        { name: 'SECS', bits: 2, access: 'ro' },
        { name: 'CEIS', bits: 5, access: 'rc_w0' },
        { name: 'SEIS', bits: 6, access: 'rc_w0' },
      ],
      onWrite: () => this.updateIrq(),
    });
    this.regs.define({
      name: 'DR',
      offset: 0x08,
      access: 'ro',
      onRead: () => this.readData(),
    });
  }

  override reset(): void {
    this.ctx.clock.cancel(this.alarm);
    super.reset();
    // The sequence continues across a system reset, as a real generator would not repeat.
    this.data = 0;
  }

  override updateIrq(): void {
    const sr = this.sr.value;
    this.ctx.setIrq(this.irq, (this.cr.value & IE) !== 0 && (sr & (DRDY | 0x60)) !== 0);
  }

  /** Restarts the sequence from `seed` (or the constructor's). */
  reseed(seed = this.seed): void {
    this.state = seed >>> 0 || 1;
  }

  private next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  private scheduleNext(): void {
    // 40 periods of the RNG's own clock (PLL48CLK), whatever HCLK does meanwhile.
    this.ctx.clock.scheduleAlarmNanos(this.alarm, (40 * 1e9) / RNG_CLOCK_HZ);
  }

  private generate(): void {
    if (!(this.cr.value & RNGEN)) return;
    this.data = this.next();
    this.sr.value = (this.sr.value | DRDY) >>> 0;
    this.updateIrq();
  }

  private readData(): number {
    if (!(this.sr.value & DRDY)) return 0;
    const v = this.data;
    this.sr.value = (this.sr.value & ~DRDY) >>> 0;
    this.updateIrq();
    this.scheduleNext();
    return v;
  }
}
