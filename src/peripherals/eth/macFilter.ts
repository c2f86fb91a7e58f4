/**
 * The Ethernet MAC's receive frame filter (RM0090 33.5.3 "MAC frame filtering"), for ./mac.ts:
 * the destination address against MACA0-3 (perfect, with MBC byte masks), the hash table
 * (MACHTHR/MACHTLR) and the broadcast/multicast rules of MACFFR, the source address against the
 * MACAx marked SA, and the RDES0 bits (AFM, SAF) a frame that passes carries.
 */
import type { Register } from '../registers.js';
import { RDES0_AFM, RDES0_SAF } from './ethDmaRegisters.js';
import { hashIndex } from './offload.js';

// MACFFR bits.
const PM = 1 << 0;
const HU = 1 << 1;
const HM = 1 << 2;
const DAIF = 1 << 3;
const PAM = 1 << 4;
const BFD = 1 << 5;
const SAIF = 1 << 8;
const SAF = 1 << 9;
const HPF = 1 << 10;
const RA = 1 << 31;
// MACAxHR bits.
const AE = 1 << 31;
const SA = 1 << 30;

/** The MAC registers the filter reads (./mac.ts's EthernetMac). */
export interface MacFilterRegisters {
  readonly macffr: Register;
  readonly machthr: Register;
  readonly machtlr: Register;
  /** MACA0HR/LR ... MACA3HR/LR as [high, low]. */
  readonly addresses: readonly [Register, Register][];
}

/** RDES0 filter bits (AFM, SAF) of a frame that passes, or null when it is dropped. */
export function filterFrame(mac: MacFilterRegisters, frame: Uint8Array): number | null {
  const ffr = mac.macffr.value;
  const broadcast = frame.subarray(0, 6).every((b) => b === 0xff);
  const multicast = (frame[0]! & 1) !== 0;
  let daPass: boolean;
  if (broadcast) daPass = !(ffr & BFD);
  else if (multicast && ffr & PAM) daPass = true;
  else {
    const hashed = ffr & (multicast ? HM : HU);
    const perfect = perfectMatch(mac, frame, 0, false) !== !!(ffr & DAIF);
    if (hashed) daPass = hashMatch(mac, frame) || (!!(ffr & HPF) && perfect);
    else daPass = perfect;
  }
  const saMatch = perfectMatch(mac, frame, 6, true) !== !!(ffr & SAIF);
  const saFail = !!(ffr & SAF) && !saMatch;
  const bits = (daPass ? 0 : RDES0_AFM) | (saFail ? RDES0_SAF : 0);
  if (ffr & (PM | RA)) return ffr & PM ? 0 : bits;
  return daPass && !saFail ? bits : null;
}

/** Compares the address at `offset` with MACA0 (destination only) and the enabled MACA1-3. */
function perfectMatch(
  mac: MacFilterRegisters,
  frame: Uint8Array,
  offset: number,
  source: boolean,
): boolean {
  for (let i = 0; i < 4; i++) {
    const [high, low] = mac.addresses[i]!;
    const h = high.value;
    if (i > 0 && (!(h & AE) || !!(h & SA) !== source)) continue;
    if (i === 0 && source) continue;
    const mbc = i === 0 ? 0 : (h >>> 24) & 0x3f;
    let match = true;
    for (let b = 0; b < 6 && match; b++) {
      if (mbc & (1 << b)) continue; // MBC masks byte b from the comparison
      const want = b < 4 ? (low.value >>> (8 * b)) & 0xff : (h >>> (8 * (b - 4))) & 0xff;
      match = frame[offset + b] === want;
    }
    if (match) return true;
  }
  return false;
}

function hashMatch(mac: MacFilterRegisters, frame: Uint8Array): boolean {
  const index = hashIndex(frame, 0);
  const table = index & 32 ? mac.machthr.value : mac.machtlr.value;
  return ((table >>> (index & 31)) & 1) !== 0;
}
