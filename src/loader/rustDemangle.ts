/**
 * Rust symbol names for reports: `_RNvMNtNtCs..._3std3sys5mutexNtB2_5Mutex4lock` reads as
 * `<std::sys::mutex::Mutex>::lock`, `_ZN3std2io5stdio6_print17h0123456789abcdefE` as
 * `std::io::stdio::_print`. Both manglings rustc uses: v0 (RFC 2603) and the legacy
 * Itanium-like one. Paths, generic arguments and the common types are decoded; what is not
 * (consts, function pointer types, dyn bounds) shows as `_` rather than failing. A name that
 * does not parse is returned unchanged.
 */

const BASIC_TYPES: Record<string, string> = {
  a: 'i8',
  b: 'bool',
  c: 'char',
  d: 'f64',
  e: 'str',
  f: 'f32',
  h: 'u8',
  i: 'isize',
  j: 'usize',
  l: 'i32',
  m: 'u32',
  n: 'i128',
  o: 'u128',
  s: 'i16',
  t: 'u16',
  u: '()',
  v: '...',
  x: 'i64',
  y: 'u64',
  z: '!',
  p: '_',
};

class V0Error extends Error {}

/** A v0 parser over the text after `_R` (backreferences count from that point). */
class V0 {
  private pos = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  private peek(): string {
    return this.s[this.pos] ?? '';
  }

  private next(): string {
    const c = this.s[this.pos++];
    if (c === undefined) throw new V0Error('end');
    return c;
  }

  private eat(c: string): boolean {
    if (this.peek() !== c) return false;
    this.pos++;
    return true;
  }

  /** <base-62-number>: digits 0-9a-zA-Z then `_`; `_` alone is 0. */
  private base62(): number {
    if (this.eat('_')) return 0;
    let n = 0;
    for (;;) {
      const c = this.next();
      if (c === '_') return n + 1;
      const d = /[0-9]/.test(c)
        ? c.charCodeAt(0) - 48
        : /[a-z]/.test(c)
          ? c.charCodeAt(0) - 87
          : /[A-Z]/.test(c)
            ? c.charCodeAt(0) - 29
            : -1;
      if (d < 0) throw new V0Error('base62');
      n = n * 62 + d;
    }
  }

  private disambiguator(): void {
    if (this.eat('s')) this.base62();
  }

  private ident(): string {
    this.disambiguator();
    const punycode = this.eat('u');
    let len = 0;
    if (!/[0-9]/.test(this.peek())) throw new V0Error('ident');
    while (/[0-9]/.test(this.peek())) len = len * 10 + Number(this.next());
    this.eat('_');
    const text = this.s.slice(this.pos, this.pos + len);
    if (text.length !== len) throw new V0Error('ident length');
    this.pos += len;
    return punycode ? `{punycode ${text}}` : text;
  }

  private backref<T>(parse: () => T): T {
    const target = this.base62();
    if (target >= this.pos - 1) throw new V0Error('backref');
    const saved = this.pos;
    this.pos = target;
    try {
      return parse();
    } finally {
      this.pos = saved;
    }
  }

  private guard<T>(f: () => T): T {
    if (++this.depth > 64) throw new V0Error('depth');
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  path(): string {
    return this.guard(() => {
      const tag = this.next();
      switch (tag) {
        case 'C':
          return this.ident();
        case 'N': {
          const ns = this.next();
          const parent = this.path();
          const name = this.ident();
          if (/[A-Z]/.test(ns)) {
            // Closures and shims: `{closure#0}` style.
            const kind = ns === 'C' ? 'closure' : ns === 'S' ? 'shim' : ns;
            return `${parent}::{${kind}${name ? `:${name}` : ''}}`;
          }
          return name ? `${parent}::${name}` : parent;
        }
        case 'M': {
          this.disambiguator();
          this.path(); // the impl's own path (where it is written)
          return `<${this.type()}>`;
        }
        case 'X': {
          this.disambiguator();
          this.path();
          const self = this.type();
          return `<${self} as ${this.path()}>`;
        }
        case 'Y': {
          const self = this.type();
          return `<${self} as ${this.path()}>`;
        }
        case 'I': {
          const base = this.path();
          const args: string[] = [];
          while (!this.eat('E')) args.push(this.genericArg());
          return `${base}<${args.join(', ')}>`;
        }
        case 'B':
          return this.backref(() => this.path());
        default:
          throw new V0Error(`path ${tag}`);
      }
    });
  }

  private genericArg(): string {
    if (this.eat('L')) {
      this.base62();
      return "'_";
    }
    if (this.eat('K')) return this.constant();
    return this.type();
  }

  private constant(): string {
    if (this.eat('B')) return this.backref(() => this.constant());
    const t = this.next();
    if (t === 'p') return '_';
    let hex = '';
    const negative = this.eat('n');
    while (!this.eat('_')) hex += this.next();
    const v = hex === '' ? 0 : parseInt(hex, 16);
    if (t === 'b') return v ? 'true' : 'false';
    return `${negative ? '-' : ''}${v}`;
  }

  type(): string {
    return this.guard(() => {
      const c = this.peek();
      const basic = BASIC_TYPES[c];
      if (basic !== undefined) {
        this.pos++;
        return basic;
      }
      switch (this.next()) {
        case 'A': {
          const t = this.type();
          return `[${t}; ${this.constant()}]`;
        }
        case 'S':
          return `[${this.type()}]`;
        case 'T': {
          const items: string[] = [];
          while (!this.eat('E')) items.push(this.type());
          return `(${items.join(', ')}${items.length === 1 ? ',' : ''})`;
        }
        case 'R':
        case 'Q': {
          const mut = this.s[this.pos - 1] === 'Q';
          if (this.eat('L')) this.base62();
          return `&${mut ? 'mut ' : ''}${this.type()}`;
        }
        case 'P':
          return `*const ${this.type()}`;
        case 'O':
          return `*mut ${this.type()}`;
        case 'F':
        case 'D':
          throw new V0Error('fn/dyn type'); // rare in symbol paths: give up cleanly
        case 'B':
          return this.backref(() => this.type());
        default:
          this.pos--;
          return this.path();
      }
    });
  }
}

function demangleV0(rest: string): string | undefined {
  try {
    const p = new V0(rest);
    return p.path();
  } catch (e) {
    if (e instanceof V0Error) return undefined;
    throw e;
  }
}

const LEGACY_ESCAPES: Record<string, string> = {
  SP: '@',
  BP: '*',
  RF: '&',
  LT: '<',
  GT: '>',
  LP: '(',
  RP: ')',
  C: ',',
};

function demangleLegacy(rest: string): string | undefined {
  const parts: string[] = [];
  let pos = 0;
  while (pos < rest.length && rest[pos] !== 'E') {
    const m = /^\d+/.exec(rest.slice(pos));
    if (!m) return undefined;
    pos += m[0].length;
    const len = Number(m[0]);
    const part = rest.slice(pos, pos + len);
    if (part.length !== len) return undefined;
    pos += len;
    parts.push(part);
  }
  if (rest[pos] !== 'E') return undefined;
  // The last component is a hash (h + 16 hex digits) in rustc's legacy mangling.
  if (parts.length > 1 && /^h[0-9a-f]{16}$/.test(parts[parts.length - 1]!)) parts.pop();
  return parts
    .map((p) =>
      p
        .replace(/^_\$/, '$')
        .replace(/\$([A-Z]{1,2})\$/g, (all, e: string) => LEGACY_ESCAPES[e] ?? all)
        .replace(/\$u([0-9a-f]{2,6})\$/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
        .replace(/\.\./g, '::'),
    )
    .join('::');
}

/** The readable form of a Rust symbol name; anything else unchanged. */
export function demangleRust(name: string): string {
  const v0 = /^_?_R/.exec(name);
  if (v0) {
    const body = name.slice(v0[0].length).replace(/\.llvm\.\d+$/, '');
    // Backreferences count from just after `_R`.
    return demangleV0(body) ?? name;
  }
  if (name.startsWith('_ZN') && /17h[0-9a-f]{16}E/.test(name)) {
    return demangleLegacy(name.slice(3)) ?? name;
  }
  return name;
}
