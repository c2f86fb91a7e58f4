/** Encodings of the load/store group: single, multiple, dual and exclusive accesses, hints. */
import type { Encoding } from '../insn.js';
import { loadStoreMultipleEncodings } from './loadStoreMultiple.js';
import { loadStoreSingleEncodings } from './loadStoreSingle.js';

export const loadStoreEncodings: Encoding[] = [
  ...loadStoreSingleEncodings,
  ...loadStoreMultipleEncodings,
];
