/**
 * Shared by the MPU's tests (./mpu.test.ts, ./mpuFaults.test.ts): the MPU's register addresses,
 * CTRL bits and AP encodings, and programming a region straight into its registers.
 */
import type { Machine } from '../../machine/machine.js';

export const MPU_TYPE = 0xe000ed90;
export const MPU_CTRL = 0xe000ed94;
export const MPU_RNR = 0xe000ed98;
export const MPU_RBAR = 0xe000ed9c;
export const MPU_RASR = 0xe000eda0;

export const ENABLE = 1;
export const HFNMIENA = 2;
export const PRIVDEFENA = 4;

/** AP encodings (B3.5.9): privileged / unprivileged rights. */
export const AP_NONE = 0;
export const AP_PRIV_RW = 1;
export const AP_PRIV_RW_USER_RO = 2;
export const AP_FULL = 3;
export const AP_RESERVED = 4;
export const AP_PRIV_RO = 5;
export const AP_RO = 6;
export const AP_RO_7 = 7;

export interface RegionOptions {
  xn?: boolean;
  srd?: number;
}

export function rasr(sizeLog2: number, ap: number, o: RegionOptions = {}): number {
  return (
    (((o.xn ? 1 : 0) << 28) | (ap << 24) | ((o.srd ?? 0) << 8) | ((sizeLog2 - 1) << 1) | 1) >>> 0
  );
}

/**
 * Programs region `n` as firmware does, RBAR (VALID) then RASR, straight into the registers (as a
 * debugger would: some tests reprogram while the core is unprivileged).
 */
export function region(
  m: Machine,
  n: number,
  base: number,
  sizeLog2: number,
  ap: number,
  o?: RegionOptions,
) {
  m.scb.mpu.writeRegister(MPU_RBAR - 0xe000e000, (base | 0x10 | n) >>> 0, 0xffffffff);
  m.scb.mpu.writeRegister(MPU_RASR - 0xe000e000, rasr(sizeLog2, ap, o), 0xffffffff);
}
