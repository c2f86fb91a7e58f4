/**
 * Encodings of the data-processing group: the 16-bit forms (A5.2.1-A5.2.3 and part of A5.2.5)
 * and the 32-bit forms (A5.3.1, A5.3.3, A5.3.11, A5.3.12 minus the DSP instructions).
 */
import type { Encoding } from '../insn.js';
import { dataProcessing16 } from './dataProcessing16.js';
import { dataProcessing32 } from './dataProcessing32.js';
import { dataProcessingMisc32 } from './dataProcessingMisc32.js';

export const dataProcessingEncodings: Encoding[] = [
  ...dataProcessing16,
  ...dataProcessing32,
  ...dataProcessingMisc32,
];
