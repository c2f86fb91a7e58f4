/**
 * What differs between the timers f4emu models (RM0090 17.1, 18.1, 21.1), and the bits the timer
 * model acts on, by register.
 */
import { irqLine, type BlockPlacement } from '../peripheral.js';

export interface TimerSpec {
  name: string;
  /** The update interrupt line (TIM1/TIM8: their UP line). */
  irq: number;
  /** TIM1/TIM8 only: their break, trigger/commutation and capture/compare lines. */
  advancedIrqs?: { brk: number; trgCom: number; cc: number };
  /** The APB bus whose timer clock drives the counter. */
  apb: 1 | 2;
  /** Counter width: TIM2/TIM5 are 32-bit, the others 16-bit. */
  bits: 16 | 32;
  /** Basic timers (TIM6/TIM7) have only the time base registers. */
  basic: boolean;
}

/**
 * By block name; address and IRQ come from the SoC table. `vector`: the RM0090 table 61 name of
 * the update interrupt.
 */
interface TimerKind {
  bits: 16 | 32;
  basic: boolean;
  vector: string;
  apb: 1 | 2;
  /** Advanced-control timers (RM0090 17): their BRK, TRG_COM and CC vectors. */
  advanced?: { brk: string; trgCom: string; cc: string };
}

const TIMER_KINDS: Readonly<Record<string, TimerKind>> = {
  TIM1: {
    bits: 16,
    basic: false,
    vector: 'TIM1_UP_TIM10',
    apb: 2,
    advanced: { brk: 'TIM1_BRK_TIM9', trgCom: 'TIM1_TRG_COM_TIM11', cc: 'TIM1_CC' },
  },
  TIM2: { bits: 32, basic: false, vector: 'TIM2', apb: 1 },
  TIM3: { bits: 16, basic: false, vector: 'TIM3', apb: 1 },
  TIM4: { bits: 16, basic: false, vector: 'TIM4', apb: 1 },
  TIM5: { bits: 32, basic: false, vector: 'TIM5', apb: 1 },
  TIM6: { bits: 16, basic: true, vector: 'TIM6_DAC', apb: 1 },
  TIM7: { bits: 16, basic: true, vector: 'TIM7', apb: 1 },
  TIM8: {
    bits: 16,
    basic: false,
    vector: 'TIM8_UP_TIM13',
    apb: 2,
    advanced: { brk: 'TIM8_BRK_TIM12', trgCom: 'TIM8_TRG_COM_TIM14', cc: 'TIM8_CC' },
  },
};

export function timerSpec(block: BlockPlacement): TimerSpec {
  const kind = TIMER_KINDS[block.name];
  if (!kind) throw new Error(`${block.name}: not a timer f4emu models (TIM1-TIM8)`);
  const adv = kind.advanced;
  return {
    name: block.name,
    irq: irqLine(block, kind.vector),
    bits: kind.bits,
    basic: kind.basic,
    apb: kind.apb,
    ...(adv
      ? {
          advancedIrqs: {
            brk: irqLine(block, adv.brk),
            trgCom: irqLine(block, adv.trgCom),
            cc: irqLine(block, adv.cc),
          },
        }
      : {}),
  };
}

// CR1 (RM0090 17.4.1, 18.4.1)
export const CEN = 1 << 0;
export const UDIS = 1 << 1;
export const URS = 1 << 2;
export const OPM = 1 << 3;
export const DIR = 1 << 4;
export const CMS = 3 << 5;
export const CMS_SHIFT = 5;
export const ARPE = 1 << 7;
export const CKD_SHIFT = 8;
// CR2 (17.4.2)
export const CCPC = 1 << 0;
export const CCUS = 1 << 2;
export const CCDS = 1 << 3;
// SR / DIER (17.4.4, 17.4.5): flag bit n pairs with interrupt enable n and DMA enable n + 8.
export const UIF = 1 << 0;
export const CC1IF = 1 << 1;
export const COMIF = 1 << 5;
export const TIF = 1 << 6;
export const BIF = 1 << 7;
export const UDE = 1 << 8;
export const CC1DE = 1 << 9;
export const COMDE = 1 << 13;
export const TDE = 1 << 14;
// EGR (17.4.6)
export const UG = 1 << 0;
export const COMG = 1 << 5;
export const TG = 1 << 6;
export const BG = 1 << 7;
// BDTR (17.4.18)
export const MOE = 1 << 15;
export const AOE = 1 << 14;
export const DTG_MASK = 0xff;
/**
 * CCER bits preloaded when CR2.CCPC=1: CCxE and CCxNE of channels 1-3, the channels with a
 * complementary output (RM0090 17.4.2: "this bit acts only on channels that have a
 * complementary output"); CCxP/CCxNP are not preloaded.
 */
export const CCER_PRELOADED = 0x555;
/** CCMR1 OC1M/OC2M and CCMR2 OC3M: the OCxM fields preloaded when CCPC=1. */
export const CCMR_PRELOADED: readonly [number, number] = [0x7070, 0x0070];
