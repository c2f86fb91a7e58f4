/**
 * The PMSAv7 MPU (ARMv7-M ARM B3.5): its registers, and how regions match and what they allow.
 * The MemManage faults it raises on running code are in ./mpuFaults.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.js';
import { PERM_R, PERM_W, PERM_X } from './mpu.js';
import {
  AP_FULL,
  AP_NONE,
  AP_PRIV_RO,
  AP_PRIV_RW,
  AP_PRIV_RW_USER_RO,
  AP_RESERVED,
  AP_RO,
  AP_RO_7,
  ENABLE,
  MPU_CTRL,
  MPU_RASR,
  MPU_RBAR,
  MPU_RNR,
  MPU_TYPE,
  PRIVDEFENA,
  rasr,
  region,
} from './mpuTestHelpers.js';

const RW = PERM_R | PERM_W;
const RWX = RW | PERM_X;
const RX = PERM_R | PERM_X;

describe('MPU registers', () => {
  it('MPU_TYPE says 8 unified regions and ignores stores', () => {
    const m = new Machine();
    expect(m.bus.read32(MPU_TYPE)).toBe(0x800);
    m.bus.write32(MPU_TYPE, 0xffffffff);
    expect(m.bus.read32(MPU_TYPE)).toBe(0x800);
  });

  it('RNR selects the region; values of 8 and more are ignored', () => {
    const m = new Machine();
    m.bus.write32(MPU_RNR, 3);
    expect(m.bus.read32(MPU_RNR)).toBe(3);
    m.bus.write32(MPU_RNR, 8);
    expect(m.bus.read32(MPU_RNR)).toBe(3);
    m.bus.write32(MPU_RBAR, 0x20001000);
    expect(m.bus.read32(MPU_RBAR) >>> 0).toBe(0x20001003);
  });

  it('RBAR with VALID writes RNR and that region; VALID reads as zero; REGION 8+ ignored', () => {
    const m = new Machine();
    m.bus.write32(MPU_RNR, 2);
    m.bus.write32(MPU_RBAR, 0x08000000);
    m.bus.write32(MPU_RBAR, 0x20001000 | 0x10 | 5);
    expect(m.bus.read32(MPU_RNR)).toBe(5);
    expect(m.bus.read32(MPU_RBAR) >>> 0).toBe(0x20001005);
    m.bus.write32(MPU_RNR, 2);
    expect(m.bus.read32(MPU_RBAR) >>> 0).toBe(0x08000002);
    m.bus.write32(MPU_RBAR, 0x30000000 | 0x10 | 9);
    expect(m.bus.read32(MPU_RNR)).toBe(2);
    expect(m.bus.read32(MPU_RBAR) >>> 0).toBe(0x08000002);
    m.bus.write32(MPU_RNR, 5);
    expect(m.bus.read32(MPU_RBAR) >>> 0).toBe(0x20001005);
  });

  it('the RBAR/RASR aliases at +8, +0x10 and +0x18 reach the region RNR selects', () => {
    const m = new Machine();
    for (let alias = 1; alias <= 3; alias++) {
      m.bus.write32(MPU_RBAR + 8 * alias, (0x20000000 + alias * 0x1000) | 0x10 | alias);
      m.bus.write32(MPU_RASR + 8 * alias, rasr(10, AP_FULL));
    }
    for (let n = 1; n <= 3; n++) {
      m.bus.write32(MPU_RNR, n);
      for (let alias = 0; alias <= 3; alias++) {
        expect(m.bus.read32(MPU_RBAR + 8 * alias) >>> 0).toBe(0x20000000 + n * 0x1000 + n);
        expect(m.bus.read32(MPU_RASR + 8 * alias) >>> 0).toBe(rasr(10, AP_FULL));
      }
    }
  });

  it('RASR keeps XN, AP, TEX, S, C, B, SRD, SIZE, ENABLE; CTRL its three bits', () => {
    const m = new Machine();
    m.bus.write32(MPU_RASR, 0xffffffff);
    expect(m.bus.read32(MPU_RASR) >>> 0).toBe(0x173fff3f);
    m.bus.write32(MPU_CTRL, 0xffffffff);
    expect(m.bus.read32(MPU_CTRL)).toBe(7);
  });

  it('reset clears every register', () => {
    const m = new Machine();
    region(m, 4, 0x20000000, 10, AP_FULL);
    m.bus.write32(MPU_CTRL, ENABLE);
    m.reset();
    expect(m.bus.read32(MPU_CTRL)).toBe(0);
    expect(m.bus.read32(MPU_RNR)).toBe(0);
    m.bus.write32(MPU_RNR, 4);
    expect(m.bus.read32(MPU_RBAR)).toBe(4);
    expect(m.bus.read32(MPU_RASR)).toBe(0);
  });

  it('enabling it is not reported as unenforced; a SIZE below 4 is warned about once', () => {
    const warnings: string[] = [];
    const m = new Machine({ warn: (w) => warnings.push(w) });
    region(m, 1, 0x20000000, 2, AP_FULL);
    region(m, 2, 0x20000010, 3, AP_FULL);
    m.bus.write32(MPU_CTRL, ENABLE | PRIVDEFENA);
    expect(warnings.filter((w) => /not enforced/.test(w))).toEqual([]);
    expect(warnings.filter((w) => /SIZE/.test(w))).toHaveLength(1);
  });
});

describe('MPU region matching', () => {
  const rights = (m: Machine, addr: number, unpriv = false) =>
    m.scb.mpu.evaluate(addr >>> 0, unpriv);

  it('a region covers [base, base + size), base aligned down to the size', () => {
    const m = new Machine();
    region(m, 1, 0x20001000, 10, AP_FULL);
    expect(rights(m, 0x20000fff, true)).toBe(0);
    expect(rights(m, 0x20001000, true)).toBe(RWX);
    expect(rights(m, 0x200013ff, true)).toBe(RWX);
    expect(rights(m, 0x20001400, true)).toBe(0);
    region(m, 1, 0x20001100, 10, AP_FULL); // misaligned: bits 9:5 are ignored
    expect(rights(m, 0x20001000, true)).toBe(RWX);
    expect(rights(m, 0x20001400, true)).toBe(0);
  });

  it('a 4 GB region covers everything; SIZE 0 disables the region; SIZE 1 is 4 bytes (QEMU)', () => {
    const m = new Machine({ warn: () => {} });
    region(m, 0, 0x12345678, 32, AP_RO);
    expect(rights(m, 0, true)).toBe(RX);
    expect(rights(m, 0xdfffffff, true)).toBe(RX);
    m.bus.write32(MPU_RBAR, 0x20000000 | 0x10 | 1);
    m.bus.write32(MPU_RASR, (AP_FULL << 24) | 1); // SIZE 0
    expect(rights(m, 0x20000000, true)).toBe(RX);
    region(m, 1, 0x20000020, 2, AP_FULL); // RBAR holds bits 31:5 only
    expect(rights(m, 0x2000001f, true)).toBe(RX);
    expect(rights(m, 0x20000020, true)).toBe(RWX);
    expect(rights(m, 0x20000023, true)).toBe(RWX);
    expect(rights(m, 0x20000024, true)).toBe(RX);
  });

  it('SRD disables eighths of regions of 256 bytes and more, not of smaller ones', () => {
    const m = new Machine();
    region(m, 0, 0x20000000, 16, AP_RO);
    region(m, 1, 0x20001000, 11, AP_FULL, { srd: 0b10000010 });
    expect(rights(m, 0x20001000, true)).toBe(RWX);
    expect(rights(m, 0x20001100, true)).toBe(RX); // sub-region 1 off: region 0 shows
    expect(rights(m, 0x200011ff, true)).toBe(RX);
    expect(rights(m, 0x20001200, true)).toBe(RWX);
    expect(rights(m, 0x20001700, true)).toBe(RX); // sub-region 7
    region(m, 2, 0x20002000, 7, AP_FULL, { srd: 0xff }); // 128 bytes: SRD ignored
    expect(rights(m, 0x20002040, true)).toBe(RWX);
  });

  it('the highest-numbered matching region wins', () => {
    const m = new Machine();
    region(m, 1, 0x20000000, 16, AP_FULL);
    region(m, 5, 0x20001000, 10, AP_NONE);
    expect(rights(m, 0x20001000, true)).toBe(0);
    expect(rights(m, 0x20002000, true)).toBe(RWX);
    region(m, 5, 0x20000000, 16, AP_FULL);
    region(m, 1, 0x20001000, 10, AP_NONE);
    expect(rights(m, 0x20001000, true)).toBe(RWX);
  });

  it('AP: every encoding, privileged and unprivileged (0b100 reserved: no access, as QEMU)', () => {
    const m = new Machine();
    const table: [number, number, number][] = [
      [AP_NONE, 0, 0],
      [AP_PRIV_RW, RWX, 0],
      [AP_PRIV_RW_USER_RO, RWX, RX],
      [AP_FULL, RWX, RWX],
      [AP_RESERVED, 0, 0],
      [AP_PRIV_RO, RX, 0],
      [AP_RO, RX, RX],
      [AP_RO_7, RX, RX],
    ];
    for (const [ap, priv, unpriv] of table) {
      region(m, 3, 0x20000000, 12, ap);
      expect([ap, rights(m, 0x20000800), rights(m, 0x20000800, true)]).toEqual([ap, priv, unpriv]);
      region(m, 3, 0x20000000, 12, ap, { xn: true });
      expect(rights(m, 0x20000800) & PERM_X).toBe(0);
    }
  });

  it('no region: the default map for privileged accesses with PRIVDEFENA, else nothing', () => {
    const m = new Machine();
    expect(rights(m, 0x08000000)).toBe(0);
    m.bus.write32(MPU_CTRL, PRIVDEFENA);
    expect(rights(m, 0x08000000)).toBe(RWX);
    expect(rights(m, 0x40020000)).toBe(RW); // Peripheral: XN
    expect(rights(m, 0xa0000000)).toBe(RW); // Device: XN
    expect(rights(m, 0x08000000, true)).toBe(0);
  });

  it('the PPB always uses the default map; the System region is always XN', () => {
    const m = new Machine();
    region(m, 7, 0xe0000000, 29, AP_NONE);
    expect(rights(m, 0xe000ed00)).toBe(RW);
    expect(rights(m, 0xe000ed00, true)).toBe(RW);
    expect(rights(m, 0xe0100000)).toBe(0);
    region(m, 7, 0xe0000000, 29, AP_FULL);
    expect(rights(m, 0xe0100000)).toBe(RW);
  });

  it("each view's page and granule tables agree with the regions everywhere", () => {
    // A pseudo-random mix of sizes, overlaps and sub-regions; the tables the fast path uses
    // must say what the pseudocode says for every address looked at.
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 8; round++) {
      const m = new Machine({ warn: () => {} });
      const placed: [number, number][] = [];
      for (let n = 0; n < 8; n++) {
        // 32 bytes to 1 MB, with page-sized ones (sub-regions of 8-32 KB) more often.
        const lsbit = rnd(3) === 0 ? 16 + rnd(3) : 5 + rnd(16);
        const base = (0x20000000 + rnd(0x40) * 0x4000 + rnd(0x200) * 32) >>> 0;
        const srd = rnd(3) === 0 ? rnd(256) : 0;
        region(m, n, base, lsbit, rnd(8), { xn: rnd(2) === 1, srd });
        placed.push([base & ~(2 ** lsbit - 1), 2 ** lsbit]);
      }
      m.bus.write32(MPU_CTRL, ENABLE | (round & 1 ? PRIVDEFENA : 0));
      const mpu = m.scb.mpu;
      for (let i = 0; i < 6000; i++) {
        const [base, size] = placed[rnd(8)]!;
        const addr =
          i % 3 === 0
            ? (0x1ff00000 + rnd(0x1200000)) >>> 0
            : (base - size / 2 + ((rnd(0x10000) * 0x10000 + rnd(0x10000)) % (2 * size))) >>> 0;
        expect(mpu.privileged.rightsAt(addr)).toBe(mpu.evaluate(addr, false));
        expect(mpu.unprivileged.rightsAt(addr)).toBe(mpu.evaluate(addr, true));
      }
    }
  });
});
