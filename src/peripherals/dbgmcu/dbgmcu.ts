/**
 * DBGMCU (RM0090 §38.16) and the chip identity in system memory (§39): the device ID register,
 * the debug-mode control and the peripheral freeze registers (stored: the emulator never stops
 * timers for a debugger), plus the factory data firmware reads to identify the part.
 */
import type { Bus } from '../../bus/bus.js';
import { Peripheral, type BlockPlacement, type PeripheralContext } from '../peripheral.js';

/** DEV_ID 0x413 (STM32F405/407/415/417), REV_ID 0x1007 (revision 2). */
export const DBGMCU_IDCODE = 0x10076413;
/** Unique device ID (96 bits) and flash size (KB) addresses (RM0090 §39.1, §39.2). */
export const UID_BASE = 0x1fff7a10;
export const FLASH_SIZE_REG = 0x1fff7a22;
/**
 * The emulated part's unique ID, as three little-endian words: wafer X/Y coordinates, then
 * wafer number and lot number (ASCII "F4EMU01" in the lot bytes). Fixed, so it is reproducible.
 */
export const UNIQUE_ID: readonly [number, number, number] = [0x002f0041, 0x45344617, 0x3130554d];

export class Dbgmcu extends Peripheral {
  constructor(block: BlockPlacement, ctx: PeripheralContext) {
    super(block, ctx);
    const r = this.regs;
    r.define({ name: 'IDCODE', offset: 0x00, reset: DBGMCU_IDCODE, access: 'ro' });
    r.define({
      name: 'CR',
      offset: 0x04,
      fields: [
        { name: 'DBG_SLEEP', bits: 0 },
        { name: 'DBG_STOP', bits: 1 },
        { name: 'DBG_STANDBY', bits: 2 },
        { name: 'TRACE_IOEN', bits: 5 },
        { name: 'TRACE_MODE', bits: [7, 6] },
      ],
    });
    // Freeze bits: TIM2-7, TIM12-14 (0-8), RTC 10, WWDG 11, IWDG 12, I2C1-3 SMBus timeouts
    // (21-23), CAN1/2 (25, 26).
    r.define({ name: 'APB1_FZ', offset: 0x08, reset: 0, access: 'rw' });
    // TIM1, TIM8 (0, 1), TIM9-11 (16-18).
    r.define({ name: 'APB2_FZ', offset: 0x0c, reset: 0, access: 'rw' });
  }
}

/** Writes the unique ID and the flash size (1024 KB) into system memory. */
export function writeChipIdentity(bus: Bus, flashKb = 1024): void {
  for (let w = 0; w < 3; w++) {
    for (let b = 0; b < 4; b++) bus.poke8(UID_BASE + 4 * w + b, (UNIQUE_ID[w]! >>> (8 * b)) & 0xff);
  }
  bus.poke8(FLASH_SIZE_REG, flashKb & 0xff);
  bus.poke8(FLASH_SIZE_REG + 1, (flashKb >>> 8) & 0xff);
}
