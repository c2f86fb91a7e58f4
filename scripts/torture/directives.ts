/*
 * DejaGnu directives of GCC's c-torture execute tests, read the cheap way: every `{ dg-... }`
 * list in the source is parsed as a TCL list and interpreted for one fixed target, an
 * arm-none-eabi Cortex-M4 running newlib (rdimon) under semihosting. Pure: no Node API, so the
 * unit test can feed it strings.
 */

/** A TCL word as directives use it: a bare word or "quoted string" (as string), or a {list}. */
export type TclWord = string | TclWord[];

export interface Directive {
  name: string;
  args: TclWord[];
}

export type FloatAbi = 'soft' | 'hard';

export interface PlanContext {
  /** Optimisation option as passed to gcc, e.g. '-O2'. */
  opt: string;
  float: FloatAbi;
  /** Stack the harness promises the test (-DSTACK_SIZE and dg-require-stack-size). */
  stackSize: number;
}

export interface TestPlan {
  /** Why the test is not built for this target, or null when it is. */
  skip: string | null;
  /** Options from dg-options / dg-additional-options / dg-add-options / the .x file. */
  flags: string[];
}

export const TARGET_TRIPLET = 'arm-none-eabi';

/*
 * Effective targets for arm-none-eabi + newlib as GCC's target-supports.exp would answer them.
 * Deliberate departures: fileio (the test would create files on the host through semihosting,
 * which tests the host file layer, not the CPU) and mmap (newlib has none) are false.
 * Unknown names count as false, and the skip reason says so.
 */
const EFFECTIVE_TARGETS: Readonly<Record<string, (ctx: PlanContext) => boolean>> = {
  int32plus: () => true,
  int32: () => true,
  ilp32: () => true,
  longlong64: () => true,
  double64plus: () => true,
  stdint_types: () => true,
  label_values: () => true,
  indirect_jumps: () => true,
  untyped_assembly: () => true,
  return_address: () => true,
  alloca: () => true,
  trampolines: () => true,
  nonlocal_goto: () => true,
  unwrapped: () => true,
  c99_runtime: () => true,
  signal: () => true,
  fpic: () => true,
  weak: () => true,
  alias: () => true,
  size32plus: () => true,
  ptr32plus: () => true,
  arm_thumb2: () => true,
  arm_eabi: () => true,
  hard_float: (ctx) => ctx.float === 'hard',
  arm_hard_vfp_ok: (ctx) => ctx.float === 'hard',
  lp64: () => false,
  int128: () => false,
  dfp: () => false,
  mmap: () => false,
  fileio: () => false,
  pthread: () => false,
  freestanding: () => false,
  newlib_nano_io: () => false,
  vxworks_kernel: () => false,
  ia32: () => false,
  fopenmp: () => false,
};

/** Parse the TCL list whose '{' is at text[start]; returns the items and the index past '}'. */
export function parseTclList(text: string, start: number): { items: TclWord[]; end: number } {
  const items: TclWord[] = [];
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '}') {
      return { items, end: i + 1 };
    } else if (c === '{') {
      const inner = parseTclList(text, i);
      items.push(inner.items);
      i = inner.end;
    } else if (c === '"') {
      let j = i + 1;
      let word = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        word += text[j];
        j++;
      }
      items.push(word);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s{}]/.test(text[j]!)) j++;
      items.push(text.slice(i, j));
      i = j;
    }
  }
  throw new Error(`unterminated directive at offset ${start}`);
}

/** Every `{ dg-name args... }` in a source file, in order; malformed ones are ignored. */
export function parseDirectives(source: string): Directive[] {
  const out: Directive[] = [];
  const re = /\{\s*dg-[\w-]+/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    try {
      const { items, end } = parseTclList(source, m.index);
      const [name, ...args] = items;
      if (typeof name === 'string') out.push({ name, args });
      re.lastIndex = end;
    } catch {
      // An unterminated list at the end of a file: nothing more to read.
      break;
    }
  }
  return out;
}

/** All strings of a word, flattened, then split on whitespace ("-O -fno-x" gives two). */
export function flattenWords(word: TclWord | undefined): string[] {
  if (word === undefined) return [];
  if (typeof word === 'string') return word.split(/\s+/).filter((s) => s !== '');
  return word.flatMap((w) => flattenWords(w));
}

/** TCL `string match` globbing: * ? and [...] classes. */
export function globMatch(pattern: string, value: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i);
      if (close < 0) re += '\\[';
      else {
        re += '[' + pattern.slice(i + 1, close).replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else if (c === '\\' && i + 1 < pattern.length) re += '\\' + pattern[++i];
    else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(re + '$').test(value);
}

function isTripletGlob(word: string): boolean {
  return /^[\w.*?[\]]+-[\w.*?[\]]+-[\w.*?[\]-]+$/.test(word);
}

/** Unknown effective-target names met while evaluating (reported in skip reasons). */
export class SelectorScope {
  readonly unknown = new Set<string>();
  constructor(readonly ctx: PlanContext) {}

  atom(word: TclWord): boolean {
    if (Array.isArray(word)) return this.selector(word);
    if (isTripletGlob(word)) return globMatch(word, TARGET_TRIPLET);
    const check = EFFECTIVE_TARGETS[word];
    if (!check) {
      this.unknown.add(word);
      return false;
    }
    return check(this.ctx);
  }

  /**
   * A DejaGnu target selector: either a plain list (any element matches) or an expression with
   * `!`, `&&` and `||` (evaluated left to right, as dejagnu's selector expressions are).
   */
  selector(words: TclWord[]): boolean {
    const isExpr = words.some((w) => w === '!' || w === '&&' || w === '||');
    if (!isExpr) return words.some((w) => this.atom(w));
    let result: boolean | null = null;
    let pendingOp: '&&' | '||' | null = null;
    for (let i = 0; i < words.length; i++) {
      let negate = false;
      while (words[i] === '!') {
        negate = !negate;
        i++;
      }
      const w = words[i];
      if (w === '&&' || w === '||') {
        pendingOp = w;
        continue;
      }
      if (w === undefined) break;
      const value = this.atom(w) !== negate;
      if (result === null) result = value;
      else if (pendingOp === '||') result = result || value;
      else result = result && value;
      pendingOp = null;
    }
    return result ?? false;
  }

  /** `{ target sel }` / `{ xfail sel }` / bare selector as the optional last directive arg. */
  applies(arg: TclWord | undefined): boolean {
    if (arg === undefined) return true;
    if (!Array.isArray(arg)) return this.atom(arg);
    const [kind, sel] = arg;
    if (kind === 'target' && sel !== undefined) {
      return this.selector(Array.isArray(sel) ? sel : [sel]);
    }
    if (kind === 'xfail') return true;
    return this.selector(arg);
  }
}

/** Evaluate a dg-require-stack-size expression such as "40000 * 4 + 256" or "0x12000". */
export function evalStackExpr(expr: string): number {
  const tokens = expr.match(/0x[0-9a-f]+|\d+|[-+*/()]/gi) ?? [];
  if (tokens.join('') !== expr.replace(/\s+/g, '')) throw new Error(`bad expression: ${expr}`);
  let pos = 0;
  const primary = (): number => {
    const t = tokens[pos++];
    if (t === '(') {
      const v = sum();
      if (tokens[pos++] !== ')') throw new Error(`bad expression: ${expr}`);
      return v;
    }
    if (t === '-') return -primary();
    if (t === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(t))
      throw new Error(`bad expression: ${expr}`);
    return Number(t);
  };
  const product = (): number => {
    let v = primary();
    while (tokens[pos] === '*' || tokens[pos] === '/') {
      const op = tokens[pos++];
      const r = primary();
      v = op === '*' ? v * r : Math.trunc(v / r);
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[pos] === '+' || tokens[pos] === '-') {
      const op = tokens[pos++];
      const r = product();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  if (pos !== tokens.length) throw new Error(`bad expression: ${expr}`);
  return v;
}

/** True when some compiler option matches the (possibly multi-word) glob pattern. */
function optionPresent(pattern: string, options: readonly string[]): boolean {
  const parts = pattern.split(/\s+/).filter((p) => p !== '');
  return parts.length > 0 && parts.every((p) => options.some((o) => globMatch(p, o)));
}

/** dg-skip-if's option filter: skip when an include option is present and no exclude one. */
function skipOptionsMatch(args: TclWord[], options: readonly string[]): boolean {
  const include = args[2] === undefined ? ['*'] : listStrings(args[2]);
  const exclude = args[3] === undefined ? [] : listStrings(args[3]);
  const included =
    include.length === 0 || include.includes('*') || include.some((p) => optionPresent(p, options));
  const excluded = exclude.some((p) => p !== '' && optionPresent(p, options));
  return included && !excluded;
}

/** The elements of a list argument as strings, not split on whitespace ("-O3 -g" stays one). */
function listStrings(word: TclWord): string[] {
  if (typeof word === 'string') return [word];
  return word.map((w) => (typeof w === 'string' ? w : flattenWords(w).join(' ')));
}

/**
 * Top-level `lappend additional_flags "..."` lines of a c-torture .x file (ieee/ uses them for
 * -fno-trapping-math); indented ones sit inside target conditions that do not concern us.
 */
export function parseXFileFlags(xFile: string): string[] {
  const flags: string[] = [];
  for (const m of xFile.matchAll(/^lappend additional_flags "([^"]*)"/gm)) {
    flags.push(...flattenWords(m[1]));
  }
  return flags;
}

/** Decide whether a test is built for ctx, and with which extra options. */
export function planTest(source: string, ctx: PlanContext, xFile?: string): TestPlan {
  const scope = new SelectorScope(ctx);
  const flags: string[] = xFile ? parseXFileFlags(xFile) : [];
  const skip = (reason: string): TestPlan => ({ skip: reason, flags });

  for (const { name, args } of parseDirectives(source)) {
    switch (name) {
      case 'dg-do': {
        if (args[0] !== 'run' && scope.applies(args[1])) return skip(`dg-do ${String(args[0])}`);
        break;
      }
      case 'dg-options':
      case 'dg-additional-options': {
        if (scope.applies(args[1])) flags.push(...flattenWords(args[0]));
        break;
      }
      case 'dg-add-options': {
        // stack_size: -DSTACK_SIZE is passed to every test; ieee adds nothing on ARM.
        break;
      }
      case 'dg-require-effective-target': {
        const want = typeof args[0] === 'string' ? args[0] : '';
        if (scope.applies(args[1]) && !scope.atom(want)) {
          const why = scope.unknown.has(want) ? 'unknown effective target' : 'requires';
          return skip(`${why} ${want}`);
        }
        break;
      }
      case 'dg-require-stack-size': {
        const expr = flattenWords(args[0]).join(' ');
        let need: number;
        try {
          need = evalStackExpr(expr);
        } catch {
          return skip(`unreadable dg-require-stack-size "${expr}"`);
        }
        if (need > ctx.stackSize) return skip(`needs ${need} bytes of stack`);
        break;
      }
      case 'dg-skip-if': {
        const sel = args[1];
        const selected =
          sel === undefined ? true : Array.isArray(sel) ? scope.selector(sel) : scope.atom(sel);
        if (selected && skipOptionsMatch(args, [ctx.opt, ...flags])) {
          const comment = typeof args[0] === 'string' && args[0] !== '' ? args[0] : 'dg-skip-if';
          return skip(comment);
        }
        break;
      }
      default:
        // dg-xfail-if, dg-prune-output, dg-require-alias/weak (both true on ELF): no effect.
        break;
    }
  }
  return { skip: null, flags };
}
