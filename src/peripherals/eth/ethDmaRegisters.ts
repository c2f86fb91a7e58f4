/**
 * The Ethernet DMA's registers (RM0090 33.8.4, offsets 0x1000-0x1054 of the ETH block) and the
 * bits of its status, control and descriptor words, declared for ./ethDma.ts, whose engine acts
 * on them through the hooks below.
 */
import type { Register, RegisterBlock } from '../registers.js';

// DMASR status bits; DMAIER has its enables at the same positions (RM0090 33.8.4).
export const TS = 1 << 0;
export const TPSS = 1 << 1;
export const TBUS = 1 << 2;
export const TJTS = 1 << 3;
export const ROS = 1 << 4;
export const TUS = 1 << 5;
export const RS = 1 << 6;
export const RBUS = 1 << 7;
export const RPSS = 1 << 8;
export const RWTS = 1 << 9;
export const ETS = 1 << 10;
export const FBES = 1 << 13;
export const ERS = 1 << 14;
export const AIS = 1 << 15;
export const NIS = 1 << 16;
export const NORMAL = TS | TBUS | RS | ERS;
export const ABNORMAL = TPSS | TJTS | ROS | TUS | RBUS | RPSS | RWTS | ETS | FBES;

// Descriptor bits (RM0090 33.6.7, 33.6.8).
export const OWN = 1 << 31;
export const TDES0_IC = 1 << 30;
export const TDES0_LS = 1 << 29;
export const TDES0_FS = 1 << 28;
export const TDES0_DC = 1 << 27;
export const TDES0_DP = 1 << 26;
export const TDES0_TER = 1 << 21;
export const TDES0_TCH = 1 << 20;
export const TDES0_IHE = 1 << 16;
export const TDES0_ES = 1 << 15;
export const TDES0_JT = 1 << 14;
export const TDES0_FF = 1 << 13;
export const TDES0_IPE = 1 << 12;
export const TDES0_VF = 1 << 7;
export const TDES0_STATUS = 0x3ffff;
export const RDES0_AFM = 1 << 30;
export const RDES0_ES = 1 << 15;
export const RDES0_DE = 1 << 14;
export const RDES0_SAF = 1 << 13;
export const RDES0_VLAN = 1 << 10;
export const RDES0_FS = 1 << 9;
export const RDES0_LS = 1 << 8;
export const RDES0_IPHCE = 1 << 7;
export const RDES0_FT = 1 << 5;
/** Payload checksum error (normal descriptors) or extended status available (enhanced). */
export const RDES0_PCE_ESA = 1 << 0;
export const RDES1_DIC = 1 << 31;
export const RDES1_RER = 1 << 15;
export const RDES1_RCH = 1 << 14;
export const RDES4_IPV6PR = 1 << 7;
export const RDES4_IPV4PR = 1 << 6;
export const RDES4_IPCB = 1 << 5;
export const RDES4_IPPE = 1 << 4;
export const RDES4_IPHE = 1 << 3;

// DMAOMR, DMABMR bits.
export const OMR_SR = 1 << 1;
export const OMR_ST = 1 << 13;
export const OMR_FTF = 1 << 20;
export const BMR_SR = 1 << 0;
export const BMR_EDFE = 1 << 7;
// MACCR bits the DMA looks at.
export const MACCR_TE = 1 << 3;
export const MACCR_APCS = 1 << 7;
export const MACCR_IPCO = 1 << 10;
export const MACCR_LM = 1 << 12;
export const MACCR_FES = 1 << 14;
export const MACCR_JD = 1 << 22;
export const MACCR_CSTF = 1 << 25;

export interface EthDmaRegisters {
  bmr: Register;
  rdlar: Register;
  tdlar: Register;
  sr: Register;
  omr: Register;
  ier: Register;
  mfbocr: Register;
  chtdr: Register;
  chrdr: Register;
  chtbar: Register;
  chrbar: Register;
}

/** What the engine does when the firmware touches a register. */
export interface EthDmaRegisterHooks {
  softwareResetRequested(): void;
  txPoll(): void;
  rxPoll(): void;
  rdlarWritten(value: number): void;
  tdlarWritten(value: number): void;
  /** DMASR as read: the stored flags with the process states and MAC sources filled in. */
  statusRead(value: number): number;
  statusWritten(): void;
  operationWritten(value: number, previous: number): void;
  interruptEnableWritten(): void;
}

export function defineEthDmaRegisters(
  r: RegisterBlock,
  hooks: EthDmaRegisterHooks,
): EthDmaRegisters {
  const bmr = r.define({
    name: 'DMABMR',
    offset: 0x1000,
    reset: 0x00002101,
    fields: [
      { name: 'SR', bits: 0 },
      { name: 'DA', bits: 1 },
      { name: 'DSL', bits: [6, 2] },
      { name: 'EDFE', bits: 7 },
      { name: 'PBL', bits: [13, 8] },
      { name: 'RTPR', bits: [15, 14] },
      { name: 'FB', bits: 16 },
      { name: 'RDP', bits: [22, 17] },
      { name: 'USP', bits: 23 },
      { name: 'FPM', bits: 24 },
      { name: 'AAB', bits: 25 },
      { name: 'MB', bits: 26 },
    ],
    onWrite: (v, prev) => {
      // SR cannot be cleared by software; it clears when the reset has run (RM0090 33.8.4).
      if (prev & BMR_SR) bmr.value |= BMR_SR;
      else if (v & BMR_SR) hooks.softwareResetRequested();
    },
  });
  r.define({ name: 'DMATPDR', offset: 0x1004, access: 'wo', onWrite: () => hooks.txPoll() });
  r.define({ name: 'DMARPDR', offset: 0x1008, access: 'wo', onWrite: () => hooks.rxPoll() });
  const rdlar = r.define({
    name: 'DMARDLAR',
    offset: 0x100c,
    access: 'rw',
    onWrite: (v) => hooks.rdlarWritten(v),
  });
  const tdlar = r.define({
    name: 'DMATDLAR',
    offset: 0x1010,
    access: 'rw',
    onWrite: (v) => hooks.tdlarWritten(v),
  });
  const sr = r.define({
    name: 'DMASR',
    offset: 0x1014,
    fields: [
      { name: 'TS', bits: 0, access: 'w1c' },
      { name: 'TPSS', bits: 1, access: 'w1c' },
      { name: 'TBUS', bits: 2, access: 'w1c' },
      { name: 'TJTS', bits: 3, access: 'w1c' },
      { name: 'ROS', bits: 4, access: 'w1c' },
      { name: 'TUS', bits: 5, access: 'w1c' },
      { name: 'RS', bits: 6, access: 'w1c' },
      { name: 'RBUS', bits: 7, access: 'w1c' },
      { name: 'RPSS', bits: 8, access: 'w1c' },
      { name: 'RWTS', bits: 9, access: 'w1c' },
      { name: 'ETS', bits: 10, access: 'w1c' },
      { name: 'FBES', bits: 13, access: 'w1c' },
      { name: 'ERS', bits: 14, access: 'w1c' },
      { name: 'AIS', bits: 15, access: 'w1c' },
      { name: 'NIS', bits: 16, access: 'w1c' },
      { name: 'RPS', bits: [19, 17], access: 'ro' },
      { name: 'TPS', bits: [22, 20], access: 'ro' },
      { name: 'EBS', bits: [25, 23], access: 'ro' },
      { name: 'MMCS', bits: 27, access: 'ro' },
      { name: 'PMTS', bits: 28, access: 'ro' },
      { name: 'TSTS', bits: 29, access: 'ro' },
    ],
    onRead: (v) => hooks.statusRead(v),
    onWrite: () => hooks.statusWritten(),
  });
  const omr = r.define({
    name: 'DMAOMR',
    offset: 0x1018,
    fields: [
      { name: 'SR', bits: 1 },
      { name: 'OSF', bits: 2 },
      { name: 'RTC', bits: [4, 3] },
      { name: 'FUGF', bits: 6 },
      { name: 'FEF', bits: 7 },
      { name: 'ST', bits: 13 },
      { name: 'TTC', bits: [16, 14] },
      { name: 'FTF', bits: 20 },
      { name: 'TSF', bits: 21 },
      { name: 'DFRF', bits: 24 },
      { name: 'RSF', bits: 25 },
      { name: 'DTCEFD', bits: 26 },
    ],
    onWrite: (v, prev) => hooks.operationWritten(v, prev),
  });
  const ier = r.define({
    name: 'DMAIER',
    offset: 0x101c,
    fields: ['TIE', 'TPSIE', 'TBUIE', 'TJTIE', 'ROIE', 'TUIE', 'RIE', 'RBUIE', 'RPSIE', 'RWTIE']
      .map((name, bit) => ({ name, bits: bit }))
      .concat([
        { name: 'ETIE', bits: 10 },
        { name: 'FBEIE', bits: 13 },
        { name: 'ERIE', bits: 14 },
        { name: 'AISE', bits: 15 },
        { name: 'NISE', bits: 16 },
      ]),
    onWrite: () => hooks.interruptEnableWritten(),
  });
  // Missed frames: cleared when read (RM0090 33.8.4 ETH_DMAMFBOCR).
  const mfbocr = r.define({
    name: 'DMAMFBOCR',
    offset: 0x1020,
    fields: [
      { name: 'MFC', bits: [15, 0], access: 'rc_r' },
      { name: 'OMFC', bits: 16, access: 'rc_r' },
      { name: 'MFA', bits: [27, 17], access: 'rc_r' },
      { name: 'OFOC', bits: 28, access: 'rc_r' },
    ],
  });
  r.define({
    name: 'DMARSWTR',
    offset: 0x1024,
    fields: [{ name: 'RSWTC', bits: [7, 0] }],
  });
  const chtdr = r.define({ name: 'DMACHTDR', offset: 0x1048, access: 'ro' });
  const chrdr = r.define({ name: 'DMACHRDR', offset: 0x104c, access: 'ro' });
  const chtbar = r.define({ name: 'DMACHTBAR', offset: 0x1050, access: 'ro' });
  const chrbar = r.define({ name: 'DMACHRBAR', offset: 0x1054, access: 'ro' });
  return { bmr, rdlar, tdlar, sr, omr, ier, mfbocr, chtdr, chrdr, chtbar, chrbar };
}
