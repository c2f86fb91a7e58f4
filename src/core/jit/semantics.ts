/**
 * The modules that hold instruction semantics, as the inliner sees them: which module an exec or
 * helper function belongs to, and what each name means inside that module (its exports and its
 * `jitScope`: the imports and private helpers its functions use).
 */
import * as alu from '../alu.js';
import * as branch from '../execute/branch.js';
import * as dataProcessing from '../execute/dataProcessing.js';
import * as dataProcessingMisc from '../execute/dataProcessingMisc.js';
import * as fpu from '../execute/fpu.js';
import * as loadStore from '../execute/loadStore.js';
import * as loadStoreMultiple from '../execute/loadStoreMultiple.js';
import * as multiply from '../execute/multiply.js';
import * as parallel from '../execute/parallel.js';
import * as system from '../execute/system.js';

type Namespace = Record<string, unknown> & { jitScope?: Record<string, unknown> };

const MODULES: readonly Namespace[] = [
  alu,
  branch,
  dataProcessing,
  dataProcessingMisc,
  fpu,
  loadStore,
  loadStoreMultiple,
  multiply,
  parallel,
  system,
];

/**
 * Checks a block needs to make only once while nothing it could change the answer of has run:
 * the FP instructions' FPU-enabled check (CPACR, privilege, and the lazy FP context whose
 * preservation the check itself finishes). Inlined, such a check runs only while the block's
 * flag `F$` is 0 and sets it; every call that may reach other state (a memory access off the
 * in-line path, the code a block runs on the core) clears it (locals.ts, codegen.ts).
 */
export const ONCE_PER_BLOCK: ReadonlySet<unknown> = new Set([fpu.fpCheck]);

/** Modules whose semantics touch only registers and flags (no memory, no PC, no faults). */
export const REGISTER_ONLY_MODULES: ReadonlySet<number> = new Set(
  [dataProcessing, dataProcessingMisc, multiply, parallel].map((ns) => MODULES.indexOf(ns)),
);

/** Modules whose semantics never write the PC except through a PC operand (checked apart). */
export const FLOW_FREE_MODULES: ReadonlySet<number> = new Set(
  [dataProcessing, dataProcessingMisc, multiply, parallel, loadStore, loadStoreMultiple, fpu].map(
    (ns) => MODULES.indexOf(ns),
  ),
);

/**
 * Modules whose semantics use a low register number only to index the registers or to compare
 * it with 13, 15 or another register (instructions that differ only in their registers share
 * their translation: shared.ts).
 */
export const SHARABLE_MODULES: ReadonlySet<number> = new Set(
  [dataProcessing, dataProcessingMisc, multiply, parallel, loadStore, loadStoreMultiple].map((ns) =>
    MODULES.indexOf(ns),
  ),
);

let names: Map<string, unknown>[] | null = null;
let owner: Map<unknown, number> | null = null;

function build(): void {
  names = [];
  owner = new Map();
  for (let m = 0; m < MODULES.length; m++) {
    const ns = MODULES[m]!;
    const map = new Map<string, unknown>();
    for (const [k, v] of Object.entries(ns)) if (k !== 'jitScope') map.set(k, v);
    for (const [k, v] of Object.entries(ns.jitScope ?? {})) map.set(k, v);
    names.push(map);
    const exported = new Set(Object.values(ns));
    for (const v of map.values()) {
      // A function imported from another semantics module belongs to the one that defines it.
      if (typeof v === 'function' && !owner.has(v) && exported.has(v)) owner.set(v, m);
    }
    for (const v of map.values()) if (typeof v === 'function' && !owner.has(v)) owner.set(v, m);
  }
}

/** The module index of a semantics function, or -1. */
export function moduleOf(fn: unknown): number {
  if (owner === null) build();
  return owner!.get(fn) ?? -1;
}

/** What `name` is bound to in module `m`. */
export function lookupName(m: number, name: string): unknown {
  if (names === null) build();
  return names![m]?.get(name);
}
