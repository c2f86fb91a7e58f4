/**
 * The one encoding table. Each instruction group contributes its encodings (pattern, decode,
 * semantics, assembly); lookup tries the most specific pattern first (most fixed bits), so an
 * encoding the ARM ARM carves out of a wider one ("see TST" inside ANDS) wins without any
 * hand ordering. Lookups happen once per decoded address.
 */
import type { Encoding } from '../insn.js';
import { groups } from './groups.js';

function popcount(x: number): number {
  let c = 0;
  for (let v = x >>> 0; v !== 0; v >>>= 1) c += v & 1;
  return c;
}

function build(size: 16 | 32): Encoding[][] {
  const all = groups.flat().filter((e) => e.size === size);
  all.sort((a, b) => popcount(b.mask) - popcount(a.mask));
  // Bucket by the top 5 bits (16-bit) or top 5 bits of the first halfword + bit 15 of the
  // second (32-bit) when the encoding fixes them; otherwise the entry goes in every bucket.
  const shift = size === 16 ? 11 : 27;
  const buckets: Encoding[][] = Array.from({ length: 32 }, () => []);
  for (const e of all) {
    const m = (e.mask >>> shift) & 31;
    const v = (e.value >>> shift) & 31;
    for (let k = 0; k < 32; k++) if ((k & m) === v) buckets[k]!.push(e);
  }
  return buckets;
}

let table16: Encoding[][] | null = null;
let table32: Encoding[][] | null = null;

export function lookup(raw: number, size: 16 | 32): Encoding | undefined {
  if (size === 16) {
    table16 ??= build(16);
    for (const e of table16[(raw >>> 11) & 31]!) if ((raw & e.mask) >>> 0 === e.value) return e;
  } else {
    table32 ??= build(32);
    for (const e of table32[(raw >>> 27) & 31]!) if ((raw & e.mask) >>> 0 === e.value) return e;
  }
  return undefined;
}

/** Every encoding, for the disassembler's and the tests' use. */
export function allEncodings(): Encoding[] {
  return groups.flat();
}
