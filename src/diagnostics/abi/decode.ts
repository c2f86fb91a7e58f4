/**
 * Decoding numbers into the target OS's constant names, and explaining a number the target does
 * not know (or reads differently) when it is another OS's value of a constant — the "Linux's
 * SOCK_CLOEXEC in a NuttX image" mistake, which only shows at run time as EINVAL, ENOTTY or
 * ENOPROTOOPT, or as an option silently set to something else.
 */
import { LINUX_ARM } from './linux.js';
import { NUTTX } from './nuttx.js';
import { KIND_INFO, type AbiKind, type ConstTable, type OsAbi } from './table.js';

/** `0x` + unsigned hex. */
export function hex(value: number): string {
  return `0x${(value >>> 0).toString(16)}`;
}

/** A number as a kind prints it: hex for requests and flag bits, signed decimal otherwise. */
export function formatNumber(kind: AbiKind, value: number): string {
  return KIND_INFO[kind].radix === 'hex' ? hex(value) : String(value | 0);
}

/** The first name written for `value`, if any. */
export function nameOf(table: ConstTable, value: number): string | undefined {
  for (const name in table) if (table[name] === value) return name;
  return undefined;
}

/** The value of `name`, if the table has it. */
export function valueOf(table: ConstTable, name: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}

/** The value's name, or the number itself (decimal unless `radix` says hex). */
export function decodeEnum(table: ConstTable, value: number, radix: 'dec' | 'hex' = 'dec'): string {
  return nameOf(table, value) ?? (radix === 'hex' ? hex(value) : String(value | 0));
}

/** An enumerated field inside a flag word: socket()'s type in SOCK_TYPE_MASK, open()'s mode. */
export interface FlagField {
  readonly table: ConstTable;
  readonly mask: number;
}

/**
 * Splits `value` into names: the field's name first (if any), then each flag whose bits are all
 * set, in table order (composites such as O_SYNC are written before their parts and so win), then
 * whatever is left as hex. `SOCK_STREAM|SOCK_CLOEXEC`, `SOCK_STREAM|0x100000`, `0` for nothing.
 */
export function decodeFlags(table: ConstTable, value: number, field?: FlagField): string {
  const parts: string[] = [];
  let rest = value >>> 0;
  if (field) {
    const fieldValue = rest & field.mask;
    parts.push(decodeEnum(field.table, fieldValue));
    rest = (rest & ~field.mask) >>> 0;
  }
  for (const name in table) {
    const bits = (table[name] ?? 0) >>> 0;
    if (bits !== 0 && (rest & bits) >>> 0 === bits) {
      parts.push(name);
      rest = (rest & ~bits) >>> 0;
    }
  }
  if (rest !== 0) parts.push(hex(rest));
  else if (parts.length === 0) parts.push('0');
  return parts.join('|');
}

/** The inverse of decodeFlags: `A|B|0x10` back to a number, undefined if a name is unknown. */
export function encodeFlags(
  table: ConstTable,
  text: string,
  field?: FlagField,
): number | undefined {
  let value = 0;
  for (const part of text.split('|')) {
    const known = valueOf(table, part) ?? (field ? valueOf(field.table, part) : undefined);
    if (known !== undefined) value |= known;
    else if (/^(0x[0-9a-f]+|\d+)$/i.test(part)) value |= Number(part);
    else return undefined;
  }
  return value >>> 0;
}

/** The bits of `value` outside `fieldMask` that no flag of the table covers. */
export function unknownFlagBits(table: ConstTable, value: number, fieldMask = 0): number {
  let known = fieldMask;
  for (const name in table) known |= table[name] ?? 0;
  return (value & ~known) >>> 0;
}

/** The errno's name (`EINVAL`), or `errno N` for a number the ABI does not define. */
export function decodeErrno(n: number, abi: OsAbi = NUTTX): string {
  return nameOf(abi.tables.errno, n) ?? `errno ${n}`;
}

/** The kind's field mask inside flag words (socket type, open access mode); 0 for plain sets. */
function fieldMaskOf(kind: AbiKind, abi: OsAbi): number {
  if (kind === 'socketFlag') return abi.socketTypeMask;
  if (kind === 'openFlag') return abi.openAccessMask;
  return 0;
}

/** The single set bits of a number, low to high. */
function bitsOf(value: number): number[] {
  const bits: number[] = [];
  for (let i = 0; i < 32; i++) if ((value >>> i) & 1) bits.push((1 << i) >>> 0);
  return bits;
}

/** "X is Linux's NAME; NuttX's is Y" (or "NuttX has no NAME"), for one value of `other`. */
function otherSentence(
  kind: AbiKind,
  value: number,
  otherName: string,
  target: OsAbi,
  other: OsAbi,
): string {
  const targetValue = valueOf(target.tables[kind], otherName);
  const theirs =
    targetValue === undefined
      ? `${target.name} has no ${otherName}`
      : `${target.name}'s is ${formatNumber(kind, targetValue)}`;
  return `${formatNumber(kind, value)} is ${other.name}'s ${otherName}; ${theirs}`;
}

/**
 * For a value the target OS does not define (or, for a flag kind, each bit of it the target does
 * not define), the other OS's constant it equals: `0x5451 is Linux's FIOCLEX; NuttX's is 0x30b`.
 * Undefined when the value is known to the target, or unknown to both.
 */
export function explainUnknown(
  kind: AbiKind,
  value: number,
  target: OsAbi = NUTTX,
  other: OsAbi = LINUX_ARM,
): string | undefined {
  const table = target.tables[kind];
  if (KIND_INFO[kind].flags) {
    const unknown = unknownFlagBits(table, value, fieldMaskOf(kind, target));
    if (unknown === 0) return undefined;
    const sentences: string[] = [];
    // A whole unknown composite of the other OS first (its O_SYNC), then single bits.
    const whole = nameOf(other.tables[kind], unknown);
    if (whole !== undefined) sentences.push(otherSentence(kind, unknown, whole, target, other));
    else {
      for (const bit of bitsOf(unknown)) {
        const name = nameOf(other.tables[kind], bit);
        if (name !== undefined) sentences.push(otherSentence(kind, bit, name, target, other));
      }
    }
    return sentences.length > 0 ? sentences.join('; ') : undefined;
  }
  if (nameOf(table, value) !== undefined) return undefined;
  const name = nameOf(other.tables[kind], value);
  return name === undefined ? undefined : otherSentence(kind, value, name, target, other);
}

/**
 * For a value the target OS does define, but under another name than the other OS gives the same
 * number: `2 is Linux's SO_REUSEADDR; NuttX's is 11 (NuttX reads 2 as SO_DEBUG)`. This is the
 * silent case — the call may well succeed, doing the wrong thing. For flag kinds each flag of the
 * target found in the value is checked. Undefined when the names agree (aliases count).
 */
export function explainMisread(
  kind: AbiKind,
  value: number,
  target: OsAbi = NUTTX,
  other: OsAbi = LINUX_ARM,
): string | undefined {
  const table = target.tables[kind];
  const one = (v: number): string | undefined => {
    const targetName = nameOf(table, v);
    const otherName = nameOf(other.tables[kind], v);
    if (targetName === undefined || otherName === undefined) return undefined;
    if (valueOf(table, otherName) === v) return undefined; // same meaning, maybe another alias
    const reading = `${target.name} reads ${formatNumber(kind, v)} as ${targetName}`;
    return `${otherSentence(kind, v, otherName, target, other)} (${reading})`;
  };
  if (!KIND_INFO[kind].flags) return one(value);
  const sentences: string[] = [];
  let rest = (value & ~fieldMaskOf(kind, target)) >>> 0;
  for (const name in table) {
    const bits = (table[name] ?? 0) >>> 0;
    if (bits !== 0 && (rest & bits) >>> 0 === bits) {
      rest = (rest & ~bits) >>> 0;
      const s = one(bits);
      if (s !== undefined) sentences.push(s);
    }
  }
  return sentences.length > 0 ? sentences.join('; ') : undefined;
}

/** socket()'s type argument: `SOCK_STREAM|SOCK_CLOEXEC`. */
export function decodeSocketType(value: number, abi: OsAbi = NUTTX): string {
  return decodeFlags(abi.tables.socketFlag, value, {
    table: abi.tables.socketType,
    mask: abi.socketTypeMask,
  });
}

/** open()'s flags: `O_WRONLY|O_CREAT|O_TRUNC`. */
export function decodeOpenFlags(value: number, abi: OsAbi = NUTTX): string {
  return decodeFlags(abi.tables.openFlag, value, {
    table: abi.tables.openAccessMode,
    mask: abi.openAccessMask,
  });
}
