/** Helpers shared by the load/store and branch decoders: assembly text and "SEE" redirects. */
import { reg } from '../insn.js';

export { reg };
import type { Encoding, Insn } from '../insn.js';

export const COND_NAMES = [
  'eq',
  'ne',
  'cs',
  'cc',
  'mi',
  'pl',
  'vs',
  'vc',
  'hi',
  'ls',
  'ge',
  'lt',
  'gt',
  'le',
  'al',
  'nv',
];

export function cond(c: number): string {
  return COND_NAMES[c & 15]!;
}

/** '{r0, r4, lr}' for a register list bit mask. */
export function regList(list: number): string {
  const names: string[] = [];
  for (let k = 0; k < 16; k++) if (list & (1 << k)) names.push(reg(k));
  return `{${names.join(', ')}}`;
}

export function popcount(x: number): number {
  let c = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) c++;
  return c;
}

/** '#-4', '#12'. */
export function signedImm(v: number): string {
  return `#${v}`;
}

/**
 * Decodes `raw` as encoding `e` instead: for the ARM ARM's "if Rn == '1111' then SEE ..." cases
 * that a mask/value pair cannot express (a field that must *not* be all ones), so the result does
 * not depend on which of two equally specific patterns the table tries first.
 */
export function redirect(e: Encoding, raw: number, i: Insn): void {
  i.encoding = e;
  i.exec = e.exec;
  e.decode(raw, i);
}
