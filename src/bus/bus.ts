/**
 * The system bus: memory regions in a 64 KB page table (O(1) lookup, one typed array per page,
 * aligned word accesses take the fast path), memory-mapped devices in a sorted range list, and
 * the bit-band aliases. Accesses nothing answers throw a `BusError`, which the core turns into
 * a precise BusFault exactly where the chip would raise one.
 *
 * Two masters use the fast path: every bus user (DMA, the debugger, loaders) through read/write,
 * and the core through its own port (coreRead/coreWrite), which its MPU may restrict (see `RestrictedPages`).
 * Both index page tables derived from one mapping table (`memory8`...): a page leaves a master's
 * fast path while something must see each access to it (a watchpoint, write guard or FPB read
 * redirect: every master's, see watch.ts; an MPU region that limits the current privilege: the
 * core's only), and its accesses then take the slow path, which asks whoever took the page out.
 */

import { PAGE_COUNT, pageTable, RestrictedPages, type PageTable } from './restricted.js';
import { WatchList, type ReadRedirect, type WatchKind, type Watchpoint } from './watch.js';
import {
  BusError,
  MemoryRegion,
  type AccessSize,
  type MemoryRegionOptions,
  type MmioDevice,
} from './device.js';

export { RestrictedPages, type AccessPolicy } from './restricted.js';
export type { ReadRedirect, WatchKind, Watchpoint } from './watch.js';

export * from './device.js';

interface DeviceRange {
  base: number;
  end: number;
  dev: MmioDevice;
}

const PAGE_SHIFT = 16;
const PAGE_MASK = (1 << PAGE_SHIFT) - 1;

export type WarnFn = (message: string) => void;

export class Bus {
  // The shared fast path (every master but the core's port): the mapping minus watched pages.
  private readonly page8: PageTable<Uint8Array> = pageTable();
  private readonly page16: PageTable<Uint16Array> = pageTable();
  private readonly page32: PageTable<Uint32Array> = pageTable();
  /** 1 where plain stores reach the memory (RAM), 0 for flash and unmapped pages. */
  private readonly pageWritable = new Uint8Array(PAGE_COUNT);
  // The mapping itself: the memory behind each page, whatever fast path it has left.
  private readonly memory8: PageTable<Uint8Array> = pageTable();
  private readonly memory16: PageTable<Uint16Array> = pageTable();
  private readonly memory32: PageTable<Uint32Array> = pageTable();
  private readonly memoryWritable = new Uint8Array(PAGE_COUNT);
  // The core's port: the shared tables while nothing restricts the core (the same arrays: its
  // fast path costs what the shared one does), else the tables of its RestrictedPages.
  // The block translator's generated code reads these four at each access, as coreRead32 and
  // coreWrite32 do (jit/locals.ts): their fast paths, in line.
  corePage8 = this.page8;
  corePage16 = this.page16;
  corePage32 = this.page32;
  coreWritable = this.pageWritable;
  private coreRestriction: RestrictedPages | null = null;
  private readonly restrictions: RestrictedPages[] = [];
  /** 1 where the decode cache holds instructions: stores there must invalidate it. */
  readonly codePages = new Uint8Array(PAGE_COUNT);
  /** Called for stores into a page flagged in `codePages`. */
  onCodeWrite: (addr: number, size: number) => void = () => {};
  readonly regions: MemoryRegion[] = [];
  private devices: DeviceRange[] = [];
  private lastDevice: DeviceRange | null = null;
  private warned = new Set<string>();
  warn: WarnFn = (m) => console.warn(m);
  /**
   * 1 for memory pages out of every fast path because a watchpoint, write guard or read
   * redirect covers them.
   */
  private readonly watched = new Uint8Array(PAGE_COUNT);
  private watchedCount = 0;
  /** Watchpoints (by owner), write guards and read redirects (see watch.ts). */
  private readonly watch = new WatchList();
  /** Non-zero when a watchpoint covers an address no memory answers (a device register). */
  private deviceWatchCount = 0;
  /**
   * Accesses that reached a device, but for reads it says are stable (MmioDevice.readIsStable):
   * the block translator's wait loops check none did.
   */
  deviceAccesses = 0;
  /**
   * The earliest MmioDevice.readStableUntil of the device reads since it was last set to
   * Infinity (by a wait loop's iteration: they count as stable until then).
   */
  stableUntil = Infinity;
  /** True while the core fetches instructions (not data accesses: no watchpoint match). */
  watchSuppressed = false;
  /** Called after a watched access completed, with the matched address inside the watchpoint. */
  onWatchHit: (address: number, kind: WatchKind) => void = () => {};
  /**
   * Called after a store into a write guard (the diagnostics' stack check: setWriteGuards).
   * Like watchpoints, guards take their pages out of the fast path; unlike them, they never
   * stop the core themselves and are not the debugger's.
   */
  onGuardWrite: (address: number, size: number) => void = () => {};
  /**
   * Consulted for stores to read-only memory before they are ignored: the flash interface
   * programs flash this way (FLASH_CR.PG). Returns true when it took the store.
   */
  readOnlyWriteHandler: ((addr: number, value: number, size: AccessSize) => boolean) | null = null;

  addRegion(opts: MemoryRegionOptions): MemoryRegion {
    if ((opts.base & PAGE_MASK) !== 0 || (opts.size & PAGE_MASK) !== 0) {
      throw new Error(`region ${opts.name}: base and size must be multiples of 64 KB`);
    }
    const region = new MemoryRegion(opts.name, opts.base, opts.size, opts.writable, opts.aliasOf);
    const buf = region.bytes.buffer;
    const off0 = region.bytes.byteOffset;
    for (let off = 0; off < opts.size; off += 1 << PAGE_SHIFT) {
      const page = (opts.base + off) >>> PAGE_SHIFT;
      this.memory8[page] = new Uint8Array(buf, off0 + off, 1 << PAGE_SHIFT);
      this.memory16[page] = new Uint16Array(buf, off0 + off, 1 << (PAGE_SHIFT - 1));
      this.memory32[page] = new Uint32Array(buf, off0 + off, 1 << (PAGE_SHIFT - 2));
      this.memoryWritable[page] = opts.writable ? 1 : 0;
      this.refreshPage(page);
    }
    this.regions.push(region);
    return region;
  }

  /**
   * Unmaps a memory region: its pages answer with a BusError until something else is mapped
   * there (the boot alias at 0 when SYSCFG remaps it). Watchpoints over it are kept.
   */
  removeRegion(region: MemoryRegion): void {
    const i = this.regions.indexOf(region);
    if (i < 0) return;
    this.regions.splice(i, 1);
    for (let off = 0; off < region.size; off += 1 << PAGE_SHIFT) {
      const page = (region.base + off) >>> PAGE_SHIFT;
      this.memory8[page] = this.memory16[page] = this.memory32[page] = null;
      this.memoryWritable[page] = 0;
      this.refreshPage(page);
    }
    this.refreshWatchedPages();
  }

  /** Maps `target`'s storage at `base` too (a boot alias), writable as the target is. */
  addAlias(name: string, base: number, target: MemoryRegion): MemoryRegion {
    const region = this.addRegion({
      name,
      base,
      size: target.size,
      writable: target.writable,
      aliasOf: target,
    });
    this.refreshWatchedPages();
    return region;
  }

  /** Maps a device over [base, base+size). Ranges must not overlap memory or each other. */
  mapDevice(base: number, size: number, dev: MmioDevice): void {
    const range = { base: base >>> 0, end: (base + size) >>> 0 || 0x1_0000_0000, dev };
    for (const d of this.devices) {
      if (range.base < d.end && d.base < range.end) {
        throw new Error(`device ${dev.name} overlaps ${d.dev.name}`);
      }
    }
    this.devices.push(range);
    this.devices.sort((a, b) => a.base - b.base);
  }

  /**
   * Puts `replacement` where `dev` is mapped (same range), e.g. a logging wrapper that a
   * diagnostic log installs only while it is attached, so unlogged accesses pay nothing.
   * Returns false when `dev` is not mapped.
   */
  replaceDevice(dev: MmioDevice, replacement: MmioDevice): boolean {
    const range = this.devices.find((d) => d.dev === dev);
    if (range === undefined) return false;
    range.dev = replacement;
    return true;
  }

  regionAt(addr: number): MemoryRegion | undefined {
    return this.regions.find((r) => r.contains(addr >>> 0));
  }

  // ---- the fast-path tables, derived from the mapping ----

  /**
   * Recomputes page `pg`'s shared fast-path entry from the mapping and the watched flag, and
   * drops it from every restricted table (they copy it in again when next used).
   */
  private refreshPage(pg: number): void {
    const fast = this.watched[pg] === 0;
    this.page8[pg] = fast ? this.memory8[pg]! : null;
    this.page16[pg] = fast ? this.memory16[pg]! : null;
    this.page32[pg] = fast ? this.memory32[pg]! : null;
    this.pageWritable[pg] = fast ? this.memoryWritable[pg]! : 0;
    for (const r of this.restrictions) {
      r.p8[pg] = r.p16[pg] = r.p32[pg] = null;
      r.writable[pg] = 0;
    }
  }

  /** Registers a restricted table: the bus empties its pages whenever the mapping changes. */
  addRestrictedPages(r: RestrictedPages): void {
    this.restrictions.push(r);
  }

  /**
   * Selects what the core's port sees: `r`'s pages under its policy, or (null) the shared fast
   * path with no check, as when the core has no MPU or it is off.
   */
  setCoreRestriction(r: RestrictedPages | null): void {
    if (r === this.coreRestriction) return;
    this.coreRestriction = r;
    this.corePage8 = r ? r.p8 : this.page8;
    this.corePage16 = r ? r.p16 : this.page16;
    this.corePage32 = r ? r.p32 : this.page32;
    this.coreWritable = r ? r.writable : this.pageWritable;
  }

  // ---- architectural accesses (may throw BusError) ----

  read32(addr: number): number {
    const p = this.page32[addr >>> PAGE_SHIFT];
    if (p !== null && p !== undefined && (addr & 3) === 0) return p[(addr & PAGE_MASK) >>> 2]!;
    return this.slowRead(addr >>> 0, 4);
  }

  read16(addr: number): number {
    const p = this.page16[addr >>> PAGE_SHIFT];
    if (p !== null && p !== undefined && (addr & 1) === 0) return p[(addr & PAGE_MASK) >>> 1]!;
    return this.slowRead(addr >>> 0, 2);
  }

  read8(addr: number): number {
    const p = this.page8[addr >>> PAGE_SHIFT];
    if (p !== null && p !== undefined) return p[addr & PAGE_MASK]!;
    return this.slowRead(addr >>> 0, 1);
  }

  write32(addr: number, value: number): void {
    const page = addr >>> PAGE_SHIFT;
    if (this.pageWritable[page] === 1 && (addr & 3) === 0) {
      this.page32[page]![(addr & PAGE_MASK) >>> 2] = value;
      if (this.codePages[page] === 1) this.onCodeWrite(addr >>> 0, 4);
      return;
    }
    this.slowWrite(addr >>> 0, value, 4);
  }

  write16(addr: number, value: number): void {
    const page = addr >>> PAGE_SHIFT;
    if (this.pageWritable[page] === 1 && (addr & 1) === 0) {
      this.page16[page]![(addr & PAGE_MASK) >>> 1] = value;
      if (this.codePages[page] === 1) this.onCodeWrite(addr >>> 0, 2);
      return;
    }
    this.slowWrite(addr >>> 0, value, 2);
  }

  write8(addr: number, value: number): void {
    const page = addr >>> PAGE_SHIFT;
    if (this.pageWritable[page] === 1) {
      this.page8[page]![addr & PAGE_MASK] = value;
      if (this.codePages[page] === 1) this.onCodeWrite(addr >>> 0, 1);
      return;
    }
    this.slowWrite(addr >>> 0, value, 1);
  }

  // ---- the core's data accesses (its MPU may refuse them: the policy throws) ----

  coreRead32(addr: number): number {
    const p = this.corePage32[addr >>> PAGE_SHIFT];
    if (p !== null && p !== undefined && (addr & 3) === 0) return p[(addr & PAGE_MASK) >>> 2]!;
    return this.coreSlowRead(addr >>> 0, 4);
  }

  coreRead16(addr: number): number {
    const p = this.corePage16[addr >>> PAGE_SHIFT];
    if (p !== null && p !== undefined && (addr & 1) === 0) return p[(addr & PAGE_MASK) >>> 1]!;
    return this.coreSlowRead(addr >>> 0, 2);
  }

  coreRead8(addr: number): number {
    const p = this.corePage8[addr >>> PAGE_SHIFT];
    if (p !== null && p !== undefined) return p[addr & PAGE_MASK]!;
    return this.coreSlowRead(addr >>> 0, 1);
  }

  coreWrite32(addr: number, value: number): void {
    const page = addr >>> PAGE_SHIFT;
    if (this.coreWritable[page] === 1 && (addr & 3) === 0) {
      this.corePage32[page]![(addr & PAGE_MASK) >>> 2] = value;
      if (this.codePages[page] === 1) this.onCodeWrite(addr >>> 0, 4);
      return;
    }
    this.coreSlowWrite(addr >>> 0, value, 4);
  }

  coreWrite16(addr: number, value: number): void {
    const page = addr >>> PAGE_SHIFT;
    if (this.coreWritable[page] === 1 && (addr & 1) === 0) {
      this.corePage16[page]![(addr & PAGE_MASK) >>> 1] = value;
      if (this.codePages[page] === 1) this.onCodeWrite(addr >>> 0, 2);
      return;
    }
    this.coreSlowWrite(addr >>> 0, value, 2);
  }

  coreWrite8(addr: number, value: number): void {
    const page = addr >>> PAGE_SHIFT;
    if (this.coreWritable[page] === 1) {
      this.corePage8[page]![addr & PAGE_MASK] = value;
      if (this.codePages[page] === 1) this.onCodeWrite(addr >>> 0, 1);
      return;
    }
    this.coreSlowWrite(addr >>> 0, value, 1);
  }

  /** The core's slow path: its policy's check, then the shared path (which may copy the page in). */
  private coreSlowRead(addr: number, size: AccessSize): number {
    const r = this.coreRestriction;
    if (r === null) return this.slowRead(addr, size);
    r.policy.check(addr, size, false);
    this.fillRestricted(r, addr >>> PAGE_SHIFT);
    return size === 4 ? this.read32(addr) : size === 2 ? this.read16(addr) : this.read8(addr);
  }

  private coreSlowWrite(addr: number, value: number, size: AccessSize): void {
    const r = this.coreRestriction;
    if (r === null) {
      this.slowWrite(addr, value, size);
      return;
    }
    r.policy.check(addr, size, true);
    this.fillRestricted(r, addr >>> PAGE_SHIFT);
    if (size === 4) this.write32(addr, value);
    else if (size === 2) this.write16(addr, value);
    else this.write8(addr, value);
  }

  private fillRestricted(r: RestrictedPages, pg: number): void {
    const p8 = this.page8[pg];
    if (p8 == null || r.p8[pg] !== null) return;
    r.fill(pg, p8, this.page16[pg]!, this.page32[pg]!, this.pageWritable[pg] === 1);
  }

  // ---- debugger / loader accesses: never fault, bypass write protection ----

  /** Reads a byte for a debugger; undefined where nothing answers. Devices are not read. */
  peek8(addr: number): number | undefined {
    const p = this.memory8[addr >>> PAGE_SHIFT];
    return p ? p[addr & PAGE_MASK] : undefined;
  }

  /** Writes memory directly (flash included); false where no memory is mapped. */
  poke8(addr: number, value: number): boolean {
    const page = addr >>> PAGE_SHIFT;
    const p = this.memory8[page];
    if (!p) return false;
    p[addr & PAGE_MASK] = value;
    if (this.codePages[page] === 1) this.onCodeWrite(addr >>> 0, 1);
    return true;
  }

  /** True when [addr, addr+len) lies entirely in mapped memory. */
  isMemory(addr: number, len: number): boolean {
    for (let a = addr; a < addr + len; a = (((a >>> PAGE_SHIFT) + 1) << PAGE_SHIFT) >>> 0) {
      if (!this.memory8[a >>> PAGE_SHIFT]) return false;
      if (a >>> PAGE_SHIFT === PAGE_COUNT - 1) break;
    }
    return true;
  }

  /** Logs `message` once per key. */
  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(message);
  }

  // ---- watchpoints (the debugger's and the DWT's), write guards, read redirects ----

  /** Every owner's watchpoints together. */
  get watchpointList(): readonly Watchpoint[] {
    return this.watch.watchpoints;
  }

  /**
   * Replaces the watchpoints of `owner` ('debugger': the GDB server's; 'dwt': the DWT
   * comparators), keeping the other owners'. Pages they touch leave the fast path (their
   * accesses go through the slow path, which matches them); pages no longer watched get their
   * fast path back. Device registers are matched too (their accesses are all slow).
   */
  setWatchpoints(list: readonly Watchpoint[], owner = 'debugger'): void {
    this.watch.setWatchpoints(list, owner);
    this.refreshWatchedPages();
  }

  /** Replaces the read redirects (the FPB's literal remap; see ReadRedirect). */
  setReadRedirects(list: readonly ReadRedirect[]): void {
    this.watch.setReadRedirects(list);
    this.refreshWatchedPages();
  }

  /** Replaces the write guards (see onGuardWrite). */
  setWriteGuards(list: ReadonlyArray<{ address: number; length: number }>): void {
    this.watch.setWriteGuards(list);
    this.refreshWatchedPages();
  }

  private refreshWatchedPages(): void {
    const wanted = new Uint8Array(PAGE_COUNT);
    let devices = 0;
    for (const w of this.watch.ranges()) {
      const last = (w.address + Math.max(w.length, 1) - 1) >>> 0;
      for (let pg = w.address >>> PAGE_SHIFT; pg <= last >>> PAGE_SHIFT; pg++) {
        if (this.memory8[pg]) wanted[pg] = 1;
        else if (w.watchpoint) devices++;
      }
    }
    this.deviceWatchCount = devices;
    let count = 0;
    for (let pg = 0; pg < PAGE_COUNT; pg++) {
      count += wanted[pg]!;
      if (wanted[pg] === this.watched[pg]) continue;
      this.watched[pg] = wanted[pg]!;
      this.refreshPage(pg);
    }
    this.watchedCount = count;
  }

  /** A completed access of `size` bytes at `addr` that read or wrote `value`. */
  private matchWatch(addr: number, size: number, write: boolean, value: number): void {
    if (!this.watchSuppressed) this.watch.match(addr, size, write, value, this);
  }

  private watchedRead(addr: number, size: AccessSize): number {
    // A data read inside a remapped word reads the remap table's word (FPB, C1.11.3); an
    // instruction fetch (watchSuppressed) is not remapped.
    const from =
      this.watch.readRedirects.length !== 0 && !this.watchSuppressed
        ? this.watch.readSource(addr, size)
        : addr;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const a = (from + i) >>> 0;
      const p = this.memory8[a >>> PAGE_SHIFT];
      if (!p) throw new BusError(a, false, 'no memory or device at this address');
      v = (v << 8) | p[a & PAGE_MASK]!;
    }
    this.matchWatch(addr, size, false, v >>> 0);
    return v >>> 0;
  }

  private watchedWrite(addr: number, value: number, size: AccessSize): void {
    if (this.memoryWritable[addr >>> PAGE_SHIFT] === 0) {
      if (!this.readOnlyWriteHandler?.(addr, value, size)) {
        this.warnOnce(
          `ro:${this.regionAt(addr)?.storageName}`,
          `f4emu: store to read-only memory at 0x${hex(addr)} ignored`,
        );
      }
    } else {
      for (let i = 0; i < size; i++) {
        const a = (addr + i) >>> 0;
        const byte = (value >>> (8 * i)) & 0xff;
        const pg = a >>> PAGE_SHIFT;
        if (this.watched[pg] === 0) this.write8(a, byte);
        else {
          this.memory8[pg]![a & PAGE_MASK] = byte;
          if (this.codePages[pg] === 1) this.onCodeWrite(a, 1);
        }
      }
    }
    this.matchWatch(addr, size, true, value);
  }

  // ---- slow paths: unaligned memory, bit-band, devices ----

  private slowRead(addr: number, size: AccessSize): number {
    if (this.watchedCount !== 0 && this.watched[addr >>> PAGE_SHIFT] === 1) {
      return this.watchedRead(addr, size);
    }
    const p = this.page8[addr >>> PAGE_SHIFT];
    if (p) {
      // Unaligned access inside memory: its little-endian bytes (memcpy's unaligned words), one
      // by one where it crosses into the next page.
      const o = addr & PAGE_MASK;
      if (o <= PAGE_MASK + 1 - size) {
        if (size === 1) return p[o]!;
        const half = p[o]! | (p[o + 1]! << 8);
        return size === 2 ? half : (half | (p[o + 2]! << 16) | (p[o + 3]! << 24)) >>> 0;
      }
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.read8((addr + i) >>> 0);
      return v >>> 0;
    }
    const bb = bitBandByte(addr);
    if (bb >= 0) return (this.read8(bb) >>> ((addr >>> 2) & 7)) & 1;
    const dev = this.findDevice(addr);
    if (dev) {
      const v = dev.dev.read(addr - dev.base, size) >>> 0;
      if (this.deviceWatchCount !== 0) {
        this.deviceAccesses++;
        this.matchWatch(addr, size, false, v);
      } else if (dev.dev.readIsStable?.(addr - dev.base, size) !== true) {
        const until = dev.dev.readStableUntil?.(addr - dev.base, size);
        if (until === undefined) this.deviceAccesses++;
        else if (until < this.stableUntil) this.stableUntil = until;
      }
      return v;
    }
    throw new BusError(addr, false, 'no memory or device at this address');
  }

  private slowWrite(addr: number, value: number, size: AccessSize): void {
    const page = addr >>> PAGE_SHIFT;
    if (this.watchedCount !== 0 && this.watched[page] === 1) {
      this.watchedWrite(addr, value, size);
      return;
    }
    const p = this.page8[page];
    if (p) {
      if (this.pageWritable[page] === 0) {
        if (this.readOnlyWriteHandler?.(addr, value, size)) return;
        const r = this.regionAt(addr);
        this.warnOnce(
          `ro:${r?.storageName}`,
          `f4emu: store to read-only ${r?.storageName ?? 'memory'} at 0x${hex(addr)} ignored ` +
            '(flash is written through the flash interface)',
        );
        return;
      }
      const o = addr & PAGE_MASK;
      if (o > PAGE_MASK + 1 - size) {
        for (let i = 0; i < size; i++) this.write8((addr + i) >>> 0, (value >>> (8 * i)) & 0xff);
        return;
      }
      for (let i = 0; i < size; i++) p[o + i] = value >>> (8 * i);
      if (this.codePages[page] === 1) this.onCodeWrite(addr, size);
      return;
    }
    const bb = bitBandByte(addr);
    if (bb >= 0) {
      const byteAddr = bb;
      const bit = (addr >>> 2) & 7;
      const old = this.read8(byteAddr);
      this.write8(byteAddr, value & 1 ? old | (1 << bit) : old & ~(1 << bit));
      return;
    }
    const dev = this.findDevice(addr);
    if (dev) {
      this.deviceAccesses++;
      dev.dev.write(addr - dev.base, value >>> 0, size);
      if (this.deviceWatchCount !== 0) this.matchWatch(addr, size, true, value >>> 0);
      return;
    }
    throw new BusError(addr, true, 'no memory or device at this address');
  }

  private findDevice(addr: number): DeviceRange | null {
    const last = this.lastDevice;
    if (last && addr >= last.base && addr < last.end) return last;
    const list = this.devices;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const d = list[mid]!;
      if (addr < d.base) hi = mid - 1;
      else if (addr >= d.end) lo = mid + 1;
      else {
        this.lastDevice = d;
        return d;
      }
    }
    return null;
  }
}

/**
 * Bit-band alias → the byte it addresses (the bit is address bits 4:2), or -1.
 * SRAM alias 0x22000000-0x23FFFFFF maps 0x20000000-0x200FFFFF; peripheral alias
 * 0x42000000-0x43FFFFFF maps 0x40000000-0x400FFFFF.
 */
function bitBandByte(addr: number): number {
  const top = (addr & 0xfe000000) >>> 0;
  if (top !== 0x22000000 && top !== 0x42000000) return -1;
  return (top - 0x02000000 + ((addr & 0x01ffffff) >>> 5)) >>> 0;
}

export function hex(v: number, width = 8): string {
  return (v >>> 0).toString(16).padStart(width, '0');
}
