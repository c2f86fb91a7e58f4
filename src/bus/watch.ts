/**
 * What the bus watches (bus.ts keeps the pages these ranges cover off every fast path): data
 * watchpoints by owner (the GDB server's 'debugger' list and the DWT's 'dwt' list, combined so
 * neither wipes the other's), the diagnostics' write guards, and the FPB's read redirects. The
 * matching runs only on the slow path, after the access completed.
 */

export type WatchKind = 'write' | 'read' | 'access';

/** A data watchpoint over [address, address + length). */
export interface Watchpoint {
  address: number;
  length: number;
  kind: WatchKind;
  /**
   * Called after a matching access completed (its address, size, direction and the value read
   * or written) instead of the bus's onWatchHit: the DWT's comparators. A watchpoint without it
   * is the debugger's.
   */
  onHit?: (address: number, size: number, write: boolean, value: number) => void;
}

/**
 * A word whose data reads come from another word (FPB literal remap, ARMv7-M ARM C1.11):
 * naturally aligned data reads inside [address, address + 4) read the same bytes of
 * [target, target + 4).
 */
export interface ReadRedirect {
  address: number;
  target: number;
}

/** Who hears about matches: the bus's callbacks. */
export interface WatchSink {
  onWatchHit(address: number, kind: WatchKind): void;
  onGuardWrite(address: number, size: number): void;
}

export interface WatchedRange {
  address: number;
  length: number;
  /** A watchpoint (it matches device registers too), not a guard or a redirect. */
  watchpoint: boolean;
}

export class WatchList {
  /** Every owner's watchpoints, combined. */
  watchpoints: Watchpoint[] = [];
  private readonly owners = new Map<string, Watchpoint[]>();
  private writeGuards: Array<{ address: number; length: number }> = [];
  readRedirects: ReadRedirect[] = [];

  setWatchpoints(list: readonly Watchpoint[], owner: string): void {
    this.owners.set(
      owner,
      list.map((w) => ({ ...w, address: w.address >>> 0 })),
    );
    this.watchpoints = [...this.owners.values()].flat();
  }

  setWriteGuards(list: ReadonlyArray<{ address: number; length: number }>): void {
    this.writeGuards = list.map((g) => ({ address: g.address >>> 0, length: g.length }));
  }

  setReadRedirects(list: readonly ReadRedirect[]): void {
    this.readRedirects = list.map((r) => ({
      address: (r.address & ~3) >>> 0,
      target: (r.target & ~3) >>> 0,
    }));
  }

  /** Every range whose pages must leave the fast path. */
  ranges(): WatchedRange[] {
    return [
      ...this.watchpoints.map((w) => ({ address: w.address, length: w.length, watchpoint: true })),
      ...this.writeGuards.map((g) => ({ address: g.address, length: g.length, watchpoint: false })),
      ...this.readRedirects.map((r) => ({ address: r.address, length: 4, watchpoint: false })),
    ];
  }

  /**
   * Where a data read of `size` bytes at `addr` takes its bytes from: a redirect's target for a
   * naturally aligned read inside a redirected word, else `addr` (C1.11: unaligned literal
   * reads are not remapped).
   */
  readSource(addr: number, size: number): number {
    if ((addr & (size - 1)) !== 0) return addr;
    const word = (addr & ~3) >>> 0;
    for (const r of this.readRedirects) {
      if (word === r.address) return (r.target + (addr & 3)) >>> 0;
    }
    return addr;
  }

  /** A completed access: guards and watchpoints that cover any of its bytes hear about it. */
  match(addr: number, size: number, write: boolean, value: number, sink: WatchSink): void {
    if (write) {
      for (const g of this.writeGuards) {
        if (addr < g.address + g.length && g.address < addr + size) {
          sink.onGuardWrite(addr, size);
          break;
        }
      }
    }
    let debuggerHit = false;
    for (const w of this.watchpoints) {
      if (w.kind === (write ? 'read' : 'write')) continue;
      if (addr < w.address + w.length && w.address < addr + size) {
        if (w.onHit !== undefined) w.onHit(addr, size, write, value);
        else if (!debuggerHit) {
          debuggerHit = true;
          sink.onWatchHit(Math.max(addr, w.address) >>> 0, w.kind);
        }
      }
    }
  }
}
