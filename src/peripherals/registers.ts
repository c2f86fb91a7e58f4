/**
 * Declarative peripheral registers (DESIGN.md, "Peripherals"): each register is declared with
 * its offset, reset value and fields with an access mode; the block handles byte/half-word
 * accesses, reset, and logs each unmodelled register once by name. Behaviour hangs on
 * onRead/onWrite hooks, so a peripheral file reads like its reference-manual register table.
 *
 *   regs.define({ name: 'CR1', offset: 0x0c, reset: 0,
 *     fields: [{ name: 'UE', bits: 13 }, { name: 'TE', bits: 3 }],
 *     onWrite: () => this.updateIrq() });
 */
import type { AccessSize, MmioDevice } from '../bus/bus.js';

/**
 * rw: read/write. ro: read-only (hardware sets it through `Register.set`). wo: write-only, reads 0.
 * w1c: write 1 to clear. w1s: write 1 to set. rc_w0: read, write 0 to clear (STM32 status
 * flags). rc_r: cleared by a read.
 */
export type FieldAccess = 'rw' | 'ro' | 'wo' | 'w1c' | 'w1s' | 'rc_w0' | 'rc_r';

export interface FieldSpec {
  name: string;
  /** A bit number, or [msb, lsb]. */
  bits: number | [number, number];
  access?: FieldAccess;
}

export interface RegisterSpec {
  name: string;
  offset: number;
  reset?: number;
  fields?: FieldSpec[];
  /** Access mode of bits not covered by a field; default: such bits are reserved (read 0). */
  access?: FieldAccess;
  /** Computes the value a read returns (after field semantics); the stored value is unchanged. */
  onRead?: (value: number) => number;
  /**
   * With onRead: it computes its value from state only writes and alarms change, and at most
   * notes what was read (as USART SR does for its clearing sequence) without changing any
   * register's value, so reading again with nothing in between returns the same and leaves the
   * same state. (SPI SR, whose read after a DR read clears OVR, is not.) Then a read is stable
   * (RegisterBlock.readIsStable) as it is for a register without onRead.
   */
  readIdempotent?: boolean;
  /**
   * Called after a write with the new and the previous stored value, the raw written value and
   * the bytes the access wrote (a byte or half-word store leaves the others alone; `written`
   * carries ones there, so rc_w0 flags in them stay set).
   */
  onWrite?: (value: number, previous: number, written: number, byteMask: number) => void;
}

interface Field {
  name: string;
  mask: number;
  shift: number;
  access: FieldAccess;
}

export class Register {
  value: number;
  readonly fields = new Map<string, Field>();
  /** Bit masks per access mode, for the write path. */
  readonly masks: Record<FieldAccess, number> = {
    rw: 0,
    ro: 0,
    wo: 0,
    w1c: 0,
    w1s: 0,
    rc_w0: 0,
    rc_r: 0,
  };

  constructor(readonly spec: RegisterSpec) {
    this.value = (spec.reset ?? 0) >>> 0;
    let covered = 0;
    for (const f of spec.fields ?? []) {
      const [msb, lsb] = typeof f.bits === 'number' ? [f.bits, f.bits] : f.bits;
      const width = msb - lsb + 1;
      const mask = (width === 32 ? 0xffffffff : ((1 << width) - 1) << lsb) >>> 0;
      if (covered & mask) throw new Error(`${spec.name}.${f.name} overlaps another field`);
      covered |= mask;
      const access = f.access ?? 'rw';
      this.fields.set(f.name, { name: f.name, mask, shift: lsb, access });
      this.masks[access] = (this.masks[access] | mask) >>> 0;
    }
    if (spec.access) this.masks[spec.access] = (this.masks[spec.access] | (~covered >>> 0)) >>> 0;
  }

  get name(): string {
    return this.spec.name;
  }

  private field(name: string): Field {
    const f = this.fields.get(name);
    if (!f) throw new Error(`register ${this.spec.name} has no field ${name}`);
    return f;
  }

  /** Field value (hardware view). */
  get(name: string): number {
    const f = this.field(name);
    return (this.value & f.mask) >>> f.shift;
  }

  /** Sets a field from the hardware side (no access checks, no hooks). */
  set(name: string, v: number): void {
    const f = this.field(name);
    this.value = ((this.value & ~f.mask) | ((v << f.shift) & f.mask)) >>> 0;
  }

  flag(name: string): boolean {
    return this.get(name) !== 0;
  }

  reset(): void {
    this.value = (this.spec.reset ?? 0) >>> 0;
  }

  /** The bus read: field semantics (wo reads 0, rc_r clears) and onRead. */
  busRead(): number {
    const m = this.masks;
    let v = this.value & ~m.wo;
    if (m.rc_r) this.value = (this.value & ~m.rc_r) >>> 0;
    v >>>= 0;
    return this.spec.onRead ? this.spec.onRead(v) >>> 0 : v;
  }

  /** The bus write of `written` to the bytes in `byteMask`. */
  busWrite(written: number, byteMask = 0xffffffff): void {
    const m = this.masks;
    const old = this.value;
    const w = written & byteMask;
    let v = old;
    const plain = (m.rw | m.wo) & byteMask;
    v = (v & ~plain) | (w & plain);
    v &= ~(w & m.w1c);
    v |= w & m.w1s;
    v &= ~(~written & byteMask & m.rc_w0);
    this.value = v >>> 0;
    this.spec.onWrite?.(this.value, old, written >>> 0, byteMask >>> 0);
  }
}

export class RegisterBlock implements MmioDevice {
  private readonly byOffset = new Map<number, Register>();
  private readonly warned = new Set<number>();
  /**
   * Sees every access to an offset no register answers (the warning above is only the first
   * one's); a diagnostic log sets it. Only the unmodelled path checks it.
   */
  onUnmodelled: ((offset: number, size: AccessSize, write: boolean, value: number) => void) | null =
    null;

  constructor(
    readonly name: string,
    private readonly warn: (message: string) => void,
  ) {}

  define(spec: RegisterSpec): Register {
    if (spec.offset & 3) throw new Error(`${this.name}.${spec.name}: offset must be word-aligned`);
    if (this.byOffset.has(spec.offset))
      throw new Error(`${this.name}: two registers at 0x${spec.offset.toString(16)}`);
    const reg = new Register(spec);
    this.byOffset.set(spec.offset, reg);
    return reg;
  }

  register(offset: number): Register | undefined {
    return this.byOffset.get(offset);
  }

  /**
   * MmioDevice.readIsStable: a declared register whose read clears nothing (no rc_r bits) and
   * computes nothing (no onRead, or an idempotent one). Its stored value changes only through
   * writes and the model's own code, which runs on writes, alarms and other masters' accesses;
   * a value computed from the time at each read (a timer's CNT) has an onRead. Offsets no
   * register answers are not stable: each such access is logged for the diagnostics.
   */
  readIsStable(offset: number): boolean {
    const reg = this.byOffset.get(offset & ~3);
    if (reg === undefined || reg.masks.rc_r !== 0) return false;
    return reg.spec.onRead === undefined || reg.spec.readIdempotent === true;
  }

  reset(): void {
    for (const r of this.byOffset.values()) r.reset();
  }

  read(offset: number, size: AccessSize): number {
    const reg = this.byOffset.get(offset & ~3);
    if (!reg) {
      if (this.onUnmodelled !== null) this.onUnmodelled(offset, size, false, 0);
      this.unmodelled(offset, 'read');
      return 0;
    }
    const v = reg.busRead();
    const shift = 8 * (offset & 3);
    return size === 4 ? v : (v >>> shift) & (size === 1 ? 0xff : 0xffff);
  }

  write(offset: number, value: number, size: AccessSize): void {
    const reg = this.byOffset.get(offset & ~3);
    if (!reg) {
      if (this.onUnmodelled !== null) this.onUnmodelled(offset, size, true, value);
      this.unmodelled(offset, 'write');
      return;
    }
    if (size === 4) reg.busWrite(value);
    else {
      const shift = 8 * (offset & 3);
      const mask = ((size === 1 ? 0xff : 0xffff) << shift) >>> 0;
      // The unwritten bytes carry ones so rc_w0 bits there are left alone.
      reg.busWrite(((value << shift) & mask) | (~mask >>> 0), mask);
    }
  }

  private unmodelled(offset: number, what: string): void {
    const key = offset & ~3;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(
      `f4emu: ${this.name}: unimplemented register at offset 0x${key.toString(16)} (${what} ignored)`,
    );
  }
}
