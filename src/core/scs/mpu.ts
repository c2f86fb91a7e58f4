/**
 * The Cortex-M4 MPU: PMSAv7 with 8 unified regions (ARMv7-M ARM DDI0403E B3.5). Its registers
 * live in the SCS (MPU_TYPE 0xE000ED90 to the RBAR/RASR aliases at 0xE000EDB8); scb.ts hands
 * their offsets here. When enabled it decides every access the core makes, as the pseudocode
 * ValidateAddress / CheckPermission does:
 *  - the PPB (0xE0000000-0xE00FFFFF) and exception vector reads always use the default memory map
 *    (B3.5.3 ValidateAddress; the vector read in exceptions.ts simply bypasses the core's port);
 *  - with MPU_CTRL.HFNMIENA clear the MPU is off while the execution priority is negative
 *    (HardFault, NMI, FAULTMASK);
 *  - otherwise the highest-numbered enabled region that holds the address (and whose
 *    sub-region is not disabled) gives AP and XN; no region: the default map for privileged
 *    accesses when PRIVDEFENA is set, else a background fault; 0xE0000000 and up is always XN.
 * A refused data access is a MemManage DACCVIOL with MMFAR, a refused fetch IACCVIOL (the
 * exception model turns stacking, unstacking and lazy FP stacking faults into MSTKERR,
 * MUNSTKERR and MLSPERR).
 *
 * Cost. Nothing while the MPU is off: the core's port is the bus's shared fast path. When on,
 * two views are kept, privileged and unprivileged, each a per-64 KB-page summary of what the
 * regions allow (R/W/X, or "mixed" when the page holds region or sub-region edges, resolved by a
 * 32-byte granule table built on first use). The core's port (Bus.setCoreRestriction) and the
 * decode cache (Cpu.setFetchView) follow the view of the current privilege, filled lazily with
 * the pages a view frees entirely; mixed pages are checked on each access. The views are rebuilt
 * when MPU_CTRL/RBAR/RASR are written, and `sync` switches view when privilege or execution
 * priority changes (exception entry and return, MSR/CPS through the core's attention).
 *
 * UNPREDICTABLE corners, as QEMU (the project's oracle) does them: RASR.SIZE 0 disables the region,
 * SIZE 1-3 give regions of 4, 8 and 16 bytes, SRD is ignored below 256 bytes, AP 0b100 (reserved)
 * and AP 0b111 decode as "no access" and "read-only" respectively, RNR values (and RBAR.REGION
 * with VALID) of 8 or more are ignored. Where QEMU drops a region whose base is not aligned to
 * its size, this MPU follows the ARM ARM pseudocode and ST's PM0214 (RBAR bits N-1:5 "forced by
 * hardware to 0"): the base is aligned down.
 */
import { RestrictedPages, type AccessPolicy, type AccessSize, type Bus } from '../../bus/bus.js';
import { EMPTY_PAGES, pageTable } from '../../bus/restricted.js';
import type { Cpu } from '../cpu.js';
import type { ExceptionUnit } from '../exceptions.js';
import { CFSR_DACCVIOL, CFSR_IACCVIOL, CpuFault, EXC_MEMMANAGE } from '../faults.js';
import type { Insn } from '../insn.js';

// Register offsets from the SCS base 0xE000E000 (B3.5.5-B3.5.10).
export const MPU_TYPE = 0xd90;
export const MPU_CTRL = 0xd94;
export const MPU_RNR = 0xd98;
/** MPU_RBAR; its aliases are at +8, +0x10 and +0x18, each followed by an MPU_RASR alias. */
export const MPU_RBAR = 0xd9c;
export const MPU_RASR = 0xda0;
export const MPU_ALIASES_END = 0xdbc;

const REGIONS = 8;
const CTRL_ENABLE = 1;
const CTRL_HFNMIENA = 2;
const CTRL_PRIVDEFENA = 4;
/** RBAR.VALID: the store's REGION field selects (and writes RNR with) the region. */
const RBAR_VALID = 0x10;
/** RASR bits that exist: XN, AP, TEX, S, C, B, SRD, SIZE, ENABLE. */
const RASR_MASK = 0x173fff3f;

/** Access rights, as a view's tables hold them. */
export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_X = 4;
/** Page summary only: the page holds edges; look at its granules. */
const MIXED = 8;
/** Granule only: a region smaller than 32 bytes is in it; evaluate each access. */
const GRANULE_EXACT = 0x80;

const PAGE_SHIFT = 16;
const PAGES = 1 << (32 - PAGE_SHIFT);
const GRANULE_SHIFT = 5;
const GRANULES = 1 << (PAGE_SHIFT - GRANULE_SHIFT);

/**
 * AP encodings (B3.5.9, table B3-15): [privileged, unprivileged] rights. 0b100 is reserved
 * (QEMU: no access); 0b111 is read-only for both like 0b110.
 */
const AP_RIGHTS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [PERM_R | PERM_W, 0],
  [PERM_R | PERM_W, PERM_R],
  [PERM_R | PERM_W, PERM_R | PERM_W],
  [0, 0],
  [PERM_R, 0],
  [PERM_R, PERM_R],
  [PERM_R, PERM_R],
];

/** Default memory map rights (B3.1, table B3-1): everything is accessible; XN as the map says. */
export function defaultRights(addr: number): number {
  const top = addr >>> 29;
  // 2: Peripheral, 5/6: Device, 7: System are Execute Never.
  return top === 2 || top >= 5 ? PERM_R | PERM_W : PERM_R | PERM_W | PERM_X;
}

/** One enabled region, decoded. `lsbit` = log2(size); `base` aligned down to the size. */
interface Region {
  base: number;
  lsbit: number;
  /** RASR.SRD, 0 when the region has no sub-regions (below 256 bytes). */
  srd: number;
  /** Rights by view: [privileged, unprivileged], X included unless XN. */
  rights: readonly [number, number];
}

function regionHolds(r: Region, addr: number): boolean {
  if (r.lsbit < 32 && (addr ^ r.base) >>> r.lsbit !== 0) return false;
  return r.srd === 0 || ((r.srd >>> ((addr >>> (r.lsbit - 3)) & 7)) & 1) === 0;
}

type DecodePage = (Insn | undefined)[];

/**
 * What one privilege level may do under the current regions: the core's access policy for its
 * bus port, and the decode-cache pages it may fetch from without a check.
 */
export class MpuView implements AccessPolicy {
  /** Per 64 KB page: PERM_* bits, or MIXED. */
  readonly pages = new Uint8Array(PAGES);
  /** Per mixed page, built on first use: rights per 32-byte granule (or GRANULE_EXACT). */
  private granules: (Uint8Array | null)[] = EMPTY_PAGES;
  private readonly granulePages: number[] = [];
  readonly restricted: RestrictedPages;
  /** The decode cache as this view may fetch it: pages entirely executable, filled on use. */
  // The shared empty table (restricted.ts) until the view is first used: see own().
  fetchPages: (DecodePage | null)[] = EMPTY_PAGES;
  private readonly fetchFilled: number[] = [];

  constructor(
    private readonly mpu: Mpu,
    readonly unprivileged: boolean,
  ) {
    this.restricted = new RestrictedPages(this);
  }

  /**
   * Tables of its own for this view (once), before the core's port and fetches use it: a
   * Machine whose MPU stays off never allocates them.
   */
  own(): this {
    this.restricted.own();
    if (this.fetchPages === EMPTY_PAGES) this.fetchPages = pageTable();
    return this;
  }

  /** Rights at `addr` in this view. */
  rightsAt(addr: number): number {
    const p = this.pages[addr >>> PAGE_SHIFT]!;
    if ((p & MIXED) === 0) return p;
    let g = this.granules[addr >>> PAGE_SHIFT];
    if (g == null) g = this.buildGranules(addr >>> PAGE_SHIFT);
    const r = g[(addr & 0xffff) >>> GRANULE_SHIFT]!;
    return r === GRANULE_EXACT ? this.mpu.evaluate(addr, this.unprivileged) : r;
  }

  check(addr: number, size: AccessSize, write: boolean): void {
    const need = write ? PERM_W : PERM_R;
    if ((this.rightsAt(addr) & need) === 0) {
      throw new CpuFault(EXC_MEMMANAGE, CFSR_DACCVIOL, addr);
    }
    // An unaligned access that crosses into the next granule: each byte is checked, and the
    // first refused byte is the fault address.
    if (size !== 1 && ((addr & 31) + size > 32 || this.mpu.hasTinyRegions)) {
      for (let i = 1; i < size; i++) {
        const a = (addr + i) >>> 0;
        if ((this.rightsAt(a) & need) === 0) throw new CpuFault(EXC_MEMMANAGE, CFSR_DACCVIOL, a);
      }
    }
  }

  pageFree(page: number, write: boolean): boolean {
    const p = this.pages[page]!;
    return (p & MIXED) === 0 && (p & (write ? PERM_W | PERM_R : PERM_R)) === (write ? 3 : 1);
  }

  /** An instruction fetch from `pc`: IACCVIOL (no MMFAR) unless readable and executable. */
  checkFetch(pc: number): void {
    if ((this.rightsAt(pc) & (PERM_R | PERM_X)) !== (PERM_R | PERM_X)) {
      throw new CpuFault(EXC_MEMMANAGE, CFSR_IACCVIOL);
    }
  }

  private execFree(page: number): boolean {
    return (this.pages[page]! & (MIXED | PERM_R | PERM_X)) === (PERM_R | PERM_X);
  }

  /**
   * Lets fetches from decode-cache page `pg` skip the check when the whole page is executable
   * here; not while its last slot holds a 32-bit instruction reaching into a page that is not.
   */
  fillFetch(pg: number, decoded: DecodePage): void {
    if (this.fetchPages[pg] === decoded || !this.execFree(pg)) return;
    const last = decoded[0x7fff];
    if (last !== undefined && last.size === 4 && (pg === PAGES - 1 || !this.execFree(pg + 1))) {
      return;
    }
    if (this.fetchPages === EMPTY_PAGES) return; // not in use (own() comes first)
    this.fetchPages[pg] = decoded;
    this.fetchFilled.push(pg);
  }

  dropFetch(pg: number): void {
    this.fetchPages[pg] = null;
  }

  clearFetch(): void {
    for (const pg of this.fetchFilled) this.fetchPages[pg] = null;
    this.fetchFilled.length = 0;
  }

  /** Recomputes the page summaries from the regions (the tables filled from them are emptied). */
  rebuild(regions: readonly (Region | null)[], privdefena: boolean): void {
    const pages = this.pages;
    const view = this.unprivileged ? 1 : 0;
    // Background: the default map for privileged accesses with PRIVDEFENA, else no access.
    if (this.unprivileged || !privdefena) pages.fill(0);
    else {
      for (let top = 0; top < 8; top++) {
        pages.fill(defaultRights(top << 29), top << 13, (top + 1) << 13);
      }
    }
    // Lowest region first: a higher-numbered one covering a whole page overrides it.
    for (const r of regions) {
      if (r === null) continue;
      const rights = r.rights[view];
      if (r.lsbit < PAGE_SHIFT) {
        if (r.srd !== 0xff) pages[r.base >>> PAGE_SHIFT]! |= MIXED;
        continue;
      }
      const regionPages = 2 ** (r.lsbit - PAGE_SHIFT);
      const first = r.base >>> PAGE_SHIFT;
      if (r.srd === 0) {
        pages.fill(rights, first, first + regionPages);
        continue;
      }
      // Eight sub-regions: whole pages each (regions of 512 KB and more), or several per page.
      const subPages = regionPages / 8;
      if (subPages >= 1) {
        for (let s = 0; s < 8; s++) {
          if (((r.srd >>> s) & 1) === 0) {
            pages.fill(rights, first + s * subPages, first + (s + 1) * subPages);
          }
        }
      } else {
        const perPage = 1 / subPages; // 2, 4 or 8 sub-regions in each page
        const all = (1 << perPage) - 1;
        for (let p = 0; p < regionPages; p++) {
          const bits = (r.srd >>> (p * perPage)) & all;
          if (bits === 0) pages[first + p] = rights;
          else if (bits !== all) pages[first + p]! |= MIXED;
        }
      }
    }
    // The PPB always uses the default map (B3.5.3); the System region is always XN.
    pages.fill(PERM_R | PERM_W, 0xe000, 0xe010);
    for (let pg = 0xe010; pg < PAGES; pg++) pages[pg]! &= ~PERM_X;
    for (const pg of this.granulePages) this.granules[pg] = null;
    this.granulePages.length = 0;
    this.restricted.clear();
    this.clearFetch();
  }

  private buildGranules(pg: number): Uint8Array {
    const g = new Uint8Array(GRANULES);
    const base = (pg << PAGE_SHIFT) >>> 0;
    let same = true;
    for (let i = 0; i < GRANULES; i++) {
      const a = (base + (i << GRANULE_SHIFT)) >>> 0;
      g[i] = this.mpu.hasTinyRegionIn(a) ? GRANULE_EXACT : this.mpu.evaluate(a, this.unprivileged);
      same &&= g[i] === g[0];
    }
    // Edges that change nothing here (a region inside the page granting what the background
    // grants): the page is uniform after all, and free for the fast path.
    if (same && g[0] !== GRANULE_EXACT) this.pages[pg] = g[0]!;
    if (this.granules === EMPTY_PAGES) this.granules = pageTable();
    this.granules[pg] = g;
    this.granulePages.push(pg);
    return g;
  }
}

export interface MpuHost {
  warnOnce(key: string, message: string): void;
}

export class Mpu {
  ctrl = 0;
  rnr = 0;
  readonly rbar = new Uint32Array(REGIONS);
  readonly rasr = new Uint32Array(REGIONS);
  /** Decoded enabled regions by number (null: disabled). */
  private regions: (Region | null)[] = new Array<Region | null>(REGIONS).fill(null);
  /** Some enabled region is smaller than a 32-byte granule (RASR.SIZE 1-3). */
  hasTinyRegions = false;
  readonly privileged = new MpuView(this, false);
  readonly unprivileged = new MpuView(this, true);
  /** The views need rebuilding before use (registers written while the MPU was off). */
  private stale = true;
  /** The view the core uses now; null while the MPU is off (or HFNMIENA lets it be). */
  current: MpuView | null = null;
  private cpu: Cpu | null = null;
  private exc: ExceptionUnit | null = null;
  private bus: Bus | null = null;

  constructor(private readonly host: MpuHost) {}

  /** Connects the MPU to the core it protects (done by the ExceptionUnit). */
  attach(cpu: Cpu, exc: ExceptionUnit, bus: Bus): void {
    this.cpu = cpu;
    this.exc = exc;
    this.bus = bus;
    bus.addRestrictedPages(this.privileged.restricted);
    bus.addRestrictedPages(this.unprivileged.restricted);
    cpu.mpu = this;
    this.reconfigure();
  }

  reset(): void {
    this.ctrl = this.rnr = 0;
    this.rbar.fill(0);
    this.rasr.fill(0);
    this.reconfigure();
  }

  get enabled(): boolean {
    return (this.ctrl & CTRL_ENABLE) !== 0;
  }

  // ---- registers (word offsets from the SCS base) ----

  readRegister(offset: number): number {
    switch (offset) {
      case MPU_TYPE:
        return REGIONS << 8; // DREGION = 8, IREGION = 0, SEPARATE = 0 (unified)
      case MPU_CTRL:
        return this.ctrl;
      case MPU_RNR:
        return this.rnr;
      default:
        if (((offset - MPU_RBAR) & 7) === 0) return (this.rbar[this.rnr]! | this.rnr) >>> 0;
        return this.rasr[this.rnr]!;
    }
  }

  /** A store of `value` (the bytes in `byteMask` written, see Scb.write) to an MPU register. */
  writeRegister(offset: number, value: number, byteMask: number): void {
    switch (offset) {
      case MPU_TYPE:
        return; // read-only
      case MPU_CTRL:
        this.ctrl = merge(this.ctrl, value, byteMask) & 7;
        if ((this.ctrl & (CTRL_ENABLE | CTRL_HFNMIENA)) === CTRL_HFNMIENA) {
          this.host.warnOnce(
            'mpu-hfnmiena',
            'f4emu: MPU_CTRL.HFNMIENA set with the MPU disabled is UNPREDICTABLE (MPU stays off)',
          );
        }
        break;
      case MPU_RNR: {
        const v = merge(this.rnr, value, byteMask);
        if (v < REGIONS) this.rnr = v;
        return;
      }
      default:
        if (((offset - MPU_RBAR) & 7) === 0) {
          const v = merge(this.rbar[this.rnr]! | this.rnr, value, byteMask);
          if (v & RBAR_VALID) {
            if ((v & 0xf) >= REGIONS) return;
            this.rnr = v & 0xf;
          }
          this.rbar[this.rnr] = v & ~0x1f;
        } else {
          this.rasr[this.rnr] = merge(this.rasr[this.rnr]!, value, byteMask) & RASR_MASK;
        }
    }
    this.reconfigure();
  }

  // ---- permissions ----

  /** Rights at `addr` for one privilege, from the registers (the MPU taken as enabled). */
  evaluate(addr: number, unprivileged: boolean): number {
    if (addr >>> 20 === 0xe00) return PERM_R | PERM_W; // PPB: default map, XN
    for (let n = REGIONS - 1; n >= 0; n--) {
      const r = this.regions[n];
      if (r == null || !regionHolds(r, addr)) continue;
      const rights = r.rights[unprivileged ? 1 : 0];
      return addr >>> 29 === 7 ? rights & ~PERM_X : rights;
    }
    if (!unprivileged && (this.ctrl & CTRL_PRIVDEFENA) !== 0) return defaultRights(addr);
    return 0;
  }

  /** True when a region below 32 bytes shares the 32-byte granule at `granule`. */
  hasTinyRegionIn(granule: number): boolean {
    if (!this.hasTinyRegions) return false;
    for (const r of this.regions) {
      if (r !== null && r.lsbit < GRANULE_SHIFT && (r.base ^ granule) >>> GRANULE_SHIFT === 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks an access made with an explicit privilege and priority rather than the current
   * ones: lazy FP state preservation uses FPCCR.USER and FPCCR.HFRDY (B1.5.7). Throws the
   * DACCVIOL CpuFault the caller reports as its own kind.
   */
  checkAccess(
    addr: number,
    write: boolean,
    unprivileged: boolean,
    negativePriority: boolean,
  ): void {
    if (!this.enabled) return;
    if (negativePriority && (this.ctrl & CTRL_HFNMIENA) === 0) return;
    this.ensureBuilt();
    (unprivileged ? this.unprivileged : this.privileged).check(addr, 4, write);
  }

  /**
   * Selects the view for the core's current privilege and execution priority: called after
   * every change of either (exception entry and return, the core's attention after MSR/CPS).
   */
  sync(): void {
    const cpu = this.cpu;
    if (cpu === null) return;
    let view: MpuView | null = null;
    if ((this.ctrl & CTRL_ENABLE) !== 0) {
      if ((this.ctrl & CTRL_HFNMIENA) !== 0 || !this.negativePriority()) {
        view = cpu.privileged && !cpu.unprivilegedAccess ? this.privileged : this.unprivileged;
        this.ensureBuilt();
      }
    }
    if (view === this.current) return;
    this.current = view;
    this.bus!.setCoreRestriction(view === null ? null : view.own().restricted);
    cpu.setFetchView(view);
  }

  /**
   * ExecutionPriority() < 0, cheaply: only FAULTMASK and an active NMI or HardFault (fixed
   * priorities -2 and -1) make it negative; every other exception's priority is 0 or more.
   */
  private negativePriority(): boolean {
    const nvic = this.exc!.nvic;
    return this.cpu!.faultmask !== 0 || nvic.active[2] === 1 || nvic.active[3] === 1;
  }

  /** A 32-bit instruction at the end of decode page `pg` reaches into the next page. */
  dropFetchPage(pg: number): void {
    this.privileged.dropFetch(pg);
    this.unprivileged.dropFetch(pg);
  }

  /** The decode cache was emptied. */
  clearFetch(): void {
    this.privileged.clearFetch();
    this.unprivileged.clearFetch();
  }

  private ensureBuilt(): void {
    if (!this.stale) return;
    this.stale = false;
    const privdefena = (this.ctrl & CTRL_PRIVDEFENA) !== 0;
    this.privileged.rebuild(this.regions, privdefena);
    this.unprivileged.rebuild(this.regions, privdefena);
  }

  /** Registers changed: decode the regions again, rebuild the views when in use. */
  private reconfigure(): void {
    this.hasTinyRegions = false;
    for (let n = 0; n < REGIONS; n++) {
      this.regions[n] = this.decodeRegion(n);
      if ((this.regions[n]?.lsbit ?? 32) < GRANULE_SHIFT) this.hasTinyRegions = true;
    }
    this.stale = true;
    if (this.enabled) this.ensureBuilt();
    else {
      this.privileged.restricted.clear();
      this.unprivileged.restricted.clear();
      this.clearFetch();
    }
    this.current = null;
    if (this.cpu !== null) {
      this.bus!.setCoreRestriction(null);
      this.cpu.setFetchView(null);
      this.sync();
    }
  }

  private decodeRegion(n: number): Region | null {
    const rasr = this.rasr[n]!;
    const size = (rasr >>> 1) & 0x1f;
    if ((rasr & 1) === 0 || size === 0) return null;
    const lsbit = size + 1;
    if (size < 4) {
      this.host.warnOnce(
        'mpu-size',
        `f4emu: MPU region ${n} with RASR.SIZE ${size} (below 32 bytes) is UNPREDICTABLE; ` +
          `taken as ${2 ** lsbit} bytes, as QEMU does`,
      );
    }
    const base = lsbit >= 32 ? 0 : (this.rbar[n]! & ~((2 ** lsbit - 1) >>> 0)) >>> 0;
    const ap = (rasr >>> 24) & 7;
    const x = (rasr & (1 << 28)) === 0 ? PERM_X : 0;
    const [priv, unpriv] = AP_RIGHTS[ap]!;
    const srd = lsbit >= 8 ? (rasr >>> 8) & 0xff : 0;
    const withX = (r: number) => ((r & PERM_R) !== 0 ? r | x : r);
    return { base, lsbit, srd, rights: [withX(priv), withX(unpriv)] };
  }
}

function merge(old: number, value: number, byteMask: number): number {
  return ((old & ~byteMask) | (value & byteMask)) >>> 0;
}
