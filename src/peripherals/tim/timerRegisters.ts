/**
 * The register tables of TIM1-TIM8 (RM0090 17.4, 18.4, 20.4): which registers and fields each
 * kind of timer has. Behaviour hangs on the hooks ./timer.ts passes in.
 */
import type { RegisterBlock, Register } from '../registers.js';
import type { TimerSpec } from './timerKinds.js';

export interface TimerRegisterHooks {
  cr1Written(v: number, old: number): void;
  cr2Written(v: number, old: number): void;
  smcrWritten(v: number): void;
  dierWritten(v: number, old: number): void;
  srWritten(): void;
  egrWritten(v: number): void;
  ccmrWritten(index: 0 | 1): void;
  ccerWritten(): void;
  readCounter(): number;
  setCounter(v: number): void;
  arrWritten(v: number): void;
  ccrWritten(): void;
  dcrWritten(): void;
  dmarRead(): number;
  dmarWritten(v: number, byteMask: number): void;
}

export interface TimerRegisters {
  cr1: Register;
  cr2: Register;
  dier: Register;
  sr: Register;
  egr: Register;
  /** CCMR1, CCMR2 (none on basic timers). */
  ccmr: Register[];
  ccer: Register | undefined;
  cnt: Register;
  psc: Register;
  arr: Register;
  /** CCR1-CCR4 (none on basic timers). */
  ccr: Register[];
  dcr: Register | undefined;
  rcr: Register | undefined;
  bdtr: Register | undefined;
}

export function defineTimerRegisters(
  r: RegisterBlock,
  spec: TimerSpec,
  h: TimerRegisterHooks,
): TimerRegisters {
  const basic = spec.basic;
  const adv = spec.advancedIrqs !== undefined;
  const width: [number, number] = [spec.bits - 1, 0];
  const cr1 = r.define({
    name: 'CR1',
    offset: 0x00,
    fields: basic
      ? [
          { name: 'CEN', bits: 0 },
          { name: 'UDIS', bits: 1 },
          { name: 'URS', bits: 2 },
          { name: 'OPM', bits: 3 },
          { name: 'ARPE', bits: 7 },
        ]
      : [
          { name: 'CEN', bits: 0 },
          { name: 'UDIS', bits: 1 },
          { name: 'URS', bits: 2 },
          { name: 'OPM', bits: 3 },
          { name: 'DIR', bits: 4 },
          { name: 'CMS', bits: [6, 5] },
          { name: 'ARPE', bits: 7 },
          { name: 'CKD', bits: [9, 8] },
        ],
    onWrite: (v, old) => h.cr1Written(v, old),
  });
  const cr2 = r.define({
    name: 'CR2',
    offset: 0x04,
    fields: basic
      ? [{ name: 'MMS', bits: [6, 4] }]
      : adv
        ? [
            { name: 'CCPC', bits: 0 },
            { name: 'CCUS', bits: 2 },
            { name: 'CCDS', bits: 3 },
            { name: 'MMS', bits: [6, 4] },
            { name: 'TI1S', bits: 7 },
            { name: 'OIS', bits: [14, 8] }, // OIS1, OIS1N ... OIS4: idle levels
          ]
        : [
            { name: 'CCDS', bits: 3 },
            { name: 'MMS', bits: [6, 4] },
            { name: 'TI1S', bits: 7 },
          ],
    onWrite: (v, old) => h.cr2Written(v, old),
  });
  if (!basic) {
    r.define({
      name: 'SMCR',
      offset: 0x08,
      fields: [
        { name: 'SMS', bits: [2, 0] },
        { name: 'TS', bits: [6, 4] },
        { name: 'MSM', bits: 7 },
        { name: 'ETF', bits: [11, 8] },
        { name: 'ETPS', bits: [13, 12] },
        { name: 'ECE', bits: 14 },
        { name: 'ETP', bits: 15 },
      ],
      onWrite: (v) => h.smcrWritten(v),
    });
  }
  const dier = r.define({
    name: 'DIER',
    offset: 0x0c,
    fields: basic
      ? [
          { name: 'UIE', bits: 0 },
          { name: 'UDE', bits: 8 },
        ]
      : [
          { name: 'UIE', bits: 0 },
          { name: 'CCIE', bits: [4, 1] },
          ...(adv ? [{ name: 'COMIE', bits: 5 }] : []),
          { name: 'TIE', bits: 6 },
          ...(adv ? [{ name: 'BIE', bits: 7 }] : []),
          { name: 'UDE', bits: 8 },
          { name: 'CCDE', bits: [12, 9] as [number, number] },
          ...(adv ? [{ name: 'COMDE', bits: 13 }] : []),
          { name: 'TDE', bits: 14 },
        ],
    onWrite: (v, old) => h.dierWritten(v, old),
  });
  const sr = r.define({
    name: 'SR',
    offset: 0x10,
    fields: basic
      ? [{ name: 'UIF', bits: 0, access: 'rc_w0' }]
      : [
          { name: 'UIF', bits: 0, access: 'rc_w0' },
          { name: 'CCIF', bits: [4, 1], access: 'rc_w0' },
          ...(adv ? [{ name: 'COMIF', bits: 5, access: 'rc_w0' as const }] : []),
          { name: 'TIF', bits: 6, access: 'rc_w0' },
          ...(adv ? [{ name: 'BIF', bits: 7, access: 'rc_w0' as const }] : []),
          { name: 'CCOF', bits: [12, 9] as [number, number], access: 'rc_w0' },
        ],
    onWrite: () => h.srWritten(),
  });
  const egr = r.define({
    name: 'EGR',
    offset: 0x14,
    fields: basic
      ? [{ name: 'UG', bits: 0, access: 'wo' }]
      : [
          { name: 'UG', bits: 0, access: 'wo' },
          { name: 'CCG', bits: [4, 1], access: 'wo' },
          ...(adv ? [{ name: 'COMG', bits: 5, access: 'wo' as const }] : []),
          { name: 'TG', bits: 6, access: 'wo' },
          ...(adv ? [{ name: 'BG', bits: 7, access: 'wo' as const }] : []),
        ],
    onWrite: (v) => h.egrWritten(v),
  });
  const ccmr: Register[] = [];
  let ccer: Register | undefined;
  if (!basic) {
    for (const [name, offset, index] of [
      ['CCMR1', 0x18, 0],
      ['CCMR2', 0x1c, 1],
    ] as const) {
      ccmr.push(
        r.define({
          name,
          offset,
          fields: [{ name: 'CCMR', bits: [15, 0] }],
          onWrite: () => h.ccmrWritten(index),
        }),
      );
    }
    ccer = r.define({
      name: 'CCER',
      offset: 0x20,
      fields: [{ name: 'CCER', bits: [15, 0] }],
      onWrite: () => h.ccerWritten(),
    });
  }
  const cnt = r.define({
    name: 'CNT',
    offset: 0x24,
    fields: [{ name: 'CNT', bits: width }],
    onRead: () => h.readCounter(),
    onWrite: (v) => h.setCounter(v),
  });
  const psc = r.define({ name: 'PSC', offset: 0x28, fields: [{ name: 'PSC', bits: [15, 0] }] });
  // RM0090 gives 0 as the ARR reset value: the counter is blocked until firmware sets it.
  const arr = r.define({
    name: 'ARR',
    offset: 0x2c,
    fields: [{ name: 'ARR', bits: width }],
    onWrite: (v) => h.arrWritten(v),
  });
  const ccr: Register[] = [];
  let dcr: Register | undefined;
  let rcr: Register | undefined;
  let bdtr: Register | undefined;
  if (!basic) {
    for (let ch = 1; ch <= 4; ch++) {
      ccr.push(
        r.define({
          name: `CCR${ch}`,
          offset: 0x30 + 4 * ch,
          fields: [{ name: 'CCR', bits: width }],
          onWrite: () => h.ccrWritten(),
        }),
      );
    }
    dcr = r.define({
      name: 'DCR',
      offset: 0x48,
      fields: [
        { name: 'DBA', bits: [4, 0] },
        { name: 'DBL', bits: [12, 8] },
      ],
      onWrite: () => h.dcrWritten(),
    });
    r.define({
      name: 'DMAR',
      offset: 0x4c,
      fields: [{ name: 'DMAB', bits: [15, 0] }],
      onRead: () => h.dmarRead(),
      onWrite: (_v, _old, written, byteMask) => h.dmarWritten(written, byteMask),
    });
    if (adv) {
      // RCR is preloaded: it becomes the repetition counter at the next update event.
      rcr = r.define({ name: 'RCR', offset: 0x30, fields: [{ name: 'REP', bits: [7, 0] }] });
      bdtr = r.define({
        name: 'BDTR',
        offset: 0x44,
        fields: [
          { name: 'DTG', bits: [7, 0] },
          { name: 'LOCK', bits: [9, 8] },
          { name: 'OSSI', bits: 10 },
          { name: 'OSSR', bits: 11 },
          { name: 'BKE', bits: 12 },
          { name: 'BKP', bits: 13 },
          { name: 'AOE', bits: 14 },
          { name: 'MOE', bits: 15 },
        ],
      });
    }
    if (spec.name === 'TIM2')
      r.define({ name: 'OR', offset: 0x50, fields: [{ name: 'ITR1_RMP', bits: [11, 10] }] });
    if (spec.name === 'TIM5')
      r.define({ name: 'OR', offset: 0x50, fields: [{ name: 'TI4_RMP', bits: [7, 6] }] });
  }
  return { cr1, cr2, dier, sr, egr, ccmr, ccer, cnt, psc, arr, ccr, dcr, rcr, bdtr };
}
