/**
 * A bus master's own fast-path page table under an access policy (bus.ts: the core's port under
 * its MPU). Kept apart from bus.ts, which indexes these tables on its fast paths.
 */
import type { AccessSize } from './bus.js';

/** Pages of 64 KB: the bus's page table has one entry for each. */
export const PAGE_COUNT = 1 << 16;

export type PageTable<T> = (T | null)[];

export function pageTable<T>(): PageTable<T> {
  return new Array<T | null>(PAGE_COUNT).fill(null);
}

/**
 * One all-null table shared by every table not yet needed: allocating a 64K-entry JS array
 * costs milliseconds, and a Machine whose MPU is never enabled never needs its views' tables.
 * Only nulls are ever stored in it (clearing a page); whatever stores anything else first takes
 * a table of its own (`RestrictedPages.own`, MpuView).
 */
export const EMPTY_PAGES: PageTable<never> = pageTable();

/** What restricts a bus master's accesses (the core's MPU for the current privilege). */
export interface AccessPolicy {
  /** Throws when the master may not make this access (before any of it happens). */
  check(addr: number, size: AccessSize, write: boolean): void;
  /** True when every read (every write, with `write`) of the 64 KB page needs no check. */
  pageFree(page: number, write: boolean): boolean;
}

/**
 * A master's own fast-path page table under an access policy. It starts empty; a page is copied
 * in from the shared table by the master's slow path once the policy says the whole page is free
 * (reads, and writes when also free for writes), so only pages the master uses are filled.
 * Emptied when the shared table changes (Bus.addRestrictedPages) or the policy does (`clear`).
 */
export class RestrictedPages {
  // The shared empty table until `own()`: the bus's clearing stores nulls into it, no harm.
  p8: PageTable<Uint8Array> = EMPTY_PAGES;
  p16: PageTable<Uint16Array> = EMPTY_PAGES;
  p32: PageTable<Uint32Array> = EMPTY_PAGES;
  readonly writable = new Uint8Array(PAGE_COUNT);
  private readonly filled: number[] = [];

  constructor(readonly policy: AccessPolicy) {}

  /**
   * Gives these pages tables of their own (once): before the bus takes them as the core's port
   * (the MPU's sync) and before anything is filled in.
   */
  own(): this {
    if (this.p8 === EMPTY_PAGES) {
      this.p8 = pageTable();
      this.p16 = pageTable();
      this.p32 = pageTable();
    }
    return this;
  }

  /** Forgets every page copied in (the policy changed). */
  clear(): void {
    for (const pg of this.filled) {
      this.p8[pg] = this.p16[pg] = this.p32[pg] = null;
      this.writable[pg] = 0;
    }
    this.filled.length = 0;
  }

  /** Copies page `pg` in from `bus`'s shared table when the policy frees it (see Bus.coreSlow*). */
  fill(pg: number, p8: Uint8Array, p16: Uint16Array, p32: Uint32Array, writable: boolean): void {
    if (this.p8[pg] !== null || !this.policy.pageFree(pg, false)) return;
    this.own();
    this.p8[pg] = p8;
    this.p16[pg] = p16;
    this.p32[pg] = p32;
    this.writable[pg] = writable && this.policy.pageFree(pg, true) ? 1 : 0;
    this.filled.push(pg);
  }
}
