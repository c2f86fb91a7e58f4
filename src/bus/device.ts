/**
 * What the bus maps and throws (bus.ts re-exports all of it): the access sizes, the interface a
 * memory-mapped device implements, the error for an access nothing answers, memory regions.
 */

export type AccessSize = 1 | 2 | 4;

/** A memory-mapped block: offsets are relative to the base it is mapped at. */
export interface MmioDevice {
  readonly name: string;
  read(offset: number, size: AccessSize): number;
  write(offset: number, value: number, size: AccessSize): void;
  /**
   * True when a read at `offset` changes nothing (or nothing a second read would not change
   * the same way) and its value changes only through a write, another bus master or an alarm on
   * the clock, never with the mere passing of time: a loop polling it may be fast-forwarded to
   * the batch's end (src/core/jit/waitLoop.ts). Absent: false.
   */
  readIsStable?(offset: number, size: AccessSize): boolean;
  /**
   * For a read that is not stable: the clock cycle before which reads at `offset` return what
   * this one did and change nothing (a counter computed from the time: its next tick), or
   * Infinity; absent or undefined: no such time. A loop polling it may be fast-forwarded up to
   * that cycle.
   */
  readStableUntil?(offset: number, size: AccessSize): number | undefined;
}

/** Thrown (never an Error: no stack capture on the hot path) for an access nothing answers. */
export class BusError {
  constructor(
    readonly address: number,
    readonly write: boolean,
    readonly reason: string,
  ) {}
}

export interface MemoryRegionOptions {
  name: string;
  base: number;
  size: number;
  /** Plain stores are ignored (with a one-time warning) when false: flash. */
  writable: boolean;
  /** Share storage with an already mapped region (the flash boot alias). */
  aliasOf?: MemoryRegion;
}

export class MemoryRegion {
  readonly bytes: Uint8Array;
  /** Name of the memory behind the region (an alias shares its target's). */
  readonly storageName: string;
  constructor(
    readonly name: string,
    readonly base: number,
    readonly size: number,
    readonly writable: boolean,
    aliasOf?: MemoryRegion,
  ) {
    this.bytes = aliasOf?.bytes ?? new Uint8Array(size);
    this.storageName = aliasOf?.storageName ?? name;
  }
  contains(addr: number): boolean {
    return addr >= this.base && addr - this.base < this.size;
  }
}
