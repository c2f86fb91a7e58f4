/**
 * A register's fields declared once, with their bit masks by name derived from the declaration
 * (DESIGN.md, "Say a bit once"): the model passes `specs` to `RegisterBlock.define` and uses
 * `mask.SPE`, and its test imports the same masks instead of repeating bit numbers.
 *
 *   const CR1 = registerFields([{ name: 'PE', bits: 0 }, { name: 'BR', bits: [5, 3] }]);
 *   regs.define({ name: 'CR1', offset: 0, fields: CR1.specs });
 *   CR1.mask.BR; // 0x38
 */
import type { FieldAccess, FieldSpec } from './registers.js';

/** A field as written in a declaration (literal names kept, so masks are typed by name). */
export interface FieldDeclaration {
  readonly name: string;
  /** A bit number, or [msb, lsb]. */
  readonly bits: number | readonly [number, number];
  readonly access?: FieldAccess;
}

export type FieldMasks<F extends readonly FieldDeclaration[]> = {
  readonly [K in F[number]['name']]: number;
};

export interface RegisterFields<F extends readonly FieldDeclaration[]> {
  /** For `RegisterSpec.fields`. */
  readonly specs: FieldSpec[];
  /** Each field's mask in the register, by name. */
  readonly mask: FieldMasks<F>;
}

export function registerFields<const F extends readonly FieldDeclaration[]>(
  declarations: F,
): RegisterFields<F> {
  const mask: Record<string, number> = {};
  const specs: FieldSpec[] = [];
  for (const f of declarations) {
    const [msb, lsb] = typeof f.bits === 'number' ? [f.bits, f.bits] : f.bits;
    const width = msb - lsb + 1;
    mask[f.name] = (width === 32 ? 0xffffffff : ((1 << width) - 1) << lsb) >>> 0;
    specs.push({ name: f.name, bits: [msb, lsb], ...(f.access ? { access: f.access } : {}) });
  }
  return { specs, mask: mask as FieldMasks<F> };
}
