/** The instruction groups that make up the encoding table. */
import type { Encoding } from '../insn.js';
import { branchEncodings } from './branch.js';
import { dataProcessingEncodings } from './dataProcessing.js';
import { fpuEncodings } from './fpu.js';
import { loadStoreEncodings } from './loadStore.js';
import { multiplyEncodings } from './multiply.js';
import { systemEncodings } from './system.js';

export const groups: Encoding[][] = [
  dataProcessingEncodings,
  loadStoreEncodings,
  branchEncodings,
  multiplyEncodings,
  systemEncodings,
  fpuEncodings,
];
