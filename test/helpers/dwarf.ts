/**
 * A small DWARF 4 writer for tests: one compilation unit (32-bit DWARF, 4-byte addresses) whose
 * DIEs are built as a tree, each with the abbreviation it needs made on the fly. References
 * between DIEs are by label (DW_FORM_ref4, patched at the end). Enough to describe structures,
 * members, pointers, arrays and typedefs as a compiler would.
 */
import type { ElfSection } from '../../src/loader/elfSections.js';

// Forms (DWARF 4 §7.5.4).
export const FORM = {
  block1: 0x0a,
  data1: 0x0b,
  flag_present: 0x19,
  data2: 0x05,
  string: 0x08,
  ref4: 0x13,
} as const;

// Tags and attributes used by the tests (DWARF 4 §7.5.3, §7.5.4).
export const TAG = {
  compile_unit: 0x11,
  base_type: 0x24,
  structure_type: 0x13,
  union_type: 0x17,
  member: 0x0d,
  pointer_type: 0x0f,
  array_type: 0x01,
  subrange_type: 0x21,
  typedef: 0x16,
} as const;
export const AT = {
  name: 0x03,
  byte_size: 0x0b,
  type: 0x49,
  data_member_location: 0x38,
  upper_bound: 0x2f,
  declaration: 0x3c,
} as const;

/** An attribute value: a number (data1/data2), a string, a reference `{ ref: label }`, bytes. */
export type Value = number | string | { ref: string } | Uint8Array;

export interface Die {
  tag: number;
  label?: string;
  attrs: Array<[attribute: number, form: number, value: Value]>;
  children?: Die[];
}

/** .debug_info and .debug_abbrev for one unit holding `dies` under a compile_unit named `name`. */
export function dwarfSections(name: string, dies: Die[]): ElfSection[] {
  const abbrevs: number[] = [];
  const codes = new Map<string, number>();
  const info: number[] = [];
  const labels = new Map<string, number>();
  const fixups: Array<{ at: number; label: string }> = [];
  const uleb = (out: number[], v: number) => {
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      out.push(b);
    } while (v !== 0);
  };
  const code = (die: Die): number => {
    const key = [die.tag, die.children ? 1 : 0, ...die.attrs.flatMap(([a, f]) => [a, f])].join();
    let c = codes.get(key);
    if (c === undefined) {
      c = codes.size + 1;
      codes.set(key, c);
      uleb(abbrevs, c);
      uleb(abbrevs, die.tag);
      abbrevs.push(die.children ? 1 : 0);
      for (const [a, f] of die.attrs) {
        uleb(abbrevs, a);
        uleb(abbrevs, f);
      }
      abbrevs.push(0, 0);
    }
    return c;
  };
  const write = (die: Die) => {
    if (die.label !== undefined) labels.set(die.label, info.length);
    uleb(info, code(die));
    for (const [, form, v] of die.attrs) {
      if (form === FORM.string) info.push(...new TextEncoder().encode(v as string), 0);
      else if (form === FORM.ref4) {
        fixups.push({ at: info.length, label: (v as { ref: string }).ref });
        info.push(0, 0, 0, 0);
      } else if (form === FORM.block1) info.push((v as Uint8Array).length, ...(v as Uint8Array));
      else if (form === FORM.data2) info.push((v as number) & 0xff, (v as number) >>> 8);
      else if (form === FORM.flag_present)
        continue; // no value bytes
      else info.push(v as number);
    }
    if (die.children) {
      for (const c of die.children) write(c);
      info.push(0);
    }
  };
  // Unit header: length (patched), version 4, abbreviation offset 0, address size 4.
  info.push(0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 4);
  write({ tag: TAG.compile_unit, attrs: [[AT.name, FORM.string, name]], children: dies });
  abbrevs.push(0);
  for (const f of fixups) {
    const v = labels.get(f.label);
    if (v === undefined) throw new Error(`no DIE labelled ${f.label}`);
    info.splice(f.at, 4, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  }
  const len = info.length - 4;
  info.splice(0, 4, len & 0xff, (len >>> 8) & 0xff, (len >>> 16) & 0xff, len >>> 24);
  const section = (sectionName: string, data: number[]): ElfSection => ({
    name: sectionName,
    type: 1,
    flags: 0,
    addr: 0,
    offset: 0,
    size: data.length,
    data: new Uint8Array(data),
  });
  return [section('.debug_info', info), section('.debug_abbrev', abbrevs)];
}

/** A member at a constant offset. */
export function member(name: string, type: string, offset: number): Die {
  return {
    tag: TAG.member,
    attrs: [
      [AT.name, FORM.string, name],
      [AT.type, FORM.ref4, { ref: type }],
      [AT.data_member_location, FORM.data1, offset],
    ],
  };
}

/** A structure (or union) with members. */
export function struct(
  label: string,
  name: string | undefined,
  size: number,
  members: Die[],
  tag: number = TAG.structure_type,
): Die {
  const attrs: Die['attrs'] = name === undefined ? [] : [[AT.name, FORM.string, name]];
  attrs.push([AT.byte_size, FORM.data1, size]);
  return { tag, label, attrs, children: members };
}

export function baseType(label: string, name: string, size: number): Die {
  return {
    tag: TAG.base_type,
    label,
    attrs: [
      [AT.name, FORM.string, name],
      [AT.byte_size, FORM.data1, size],
    ],
  };
}

export function pointer(label: string, to: string): Die {
  return {
    tag: TAG.pointer_type,
    label,
    attrs: [
      [AT.byte_size, FORM.data1, 4],
      [AT.type, FORM.ref4, { ref: to }],
    ],
  };
}

/** `of[count]`. */
export function array(label: string, of: string, count: number): Die {
  return {
    tag: TAG.array_type,
    label,
    attrs: [[AT.type, FORM.ref4, { ref: of }]],
    children: [{ tag: TAG.subrange_type, attrs: [[AT.upper_bound, FORM.data1, count - 1]] }],
  };
}

export function typedef(label: string, name: string, to: string): Die {
  return {
    tag: TAG.typedef,
    label,
    attrs: [
      [AT.name, FORM.string, name],
      [AT.type, FORM.ref4, { ref: to }],
    ],
  };
}

const DW_OP_plus_uconst = 0x23;

/**
 * DWARF shaped like an older NuttX's TCB (the offsets are this file's own, not NuttX's): pid_t an
 * int16_t behind a typedef, the stack's top (adj_stack_ptr) rather than its base, the saved
 * registers an array inside struct xcptcontext, the name inside an anonymous structure, a union
 * member without an offset, a member located by a DWARF 2 expression; a declaration of tcb_s
 * without members before the definition; and struct pidhash_s, g_pidhash's entry.
 */
export function oldNuttxTcb() {
  return dwarfSections('sched/sched.c', [
    baseType('short', 'short int', 2),
    baseType('u8', 'unsigned char', 1),
    baseType('u32', 'unsigned int', 4),
    baseType('char', 'char', 1),
    typedef('pid_t', 'pid_t', 'short'),
    pointer('voidp', 'u8'),
    array('regs17', 'u32', 17),
    array('name16', 'char', 16),
    // A declaration first, as a unit that only uses pointers to it has.
    {
      tag: TAG.structure_type,
      attrs: [
        [AT.name, FORM.string, 'tcb_s'],
        [AT.declaration, FORM.flag_present, 0],
      ],
    },
    pointer('tcbp', 'tcb'),
    struct('xcp', 'xcptcontext', 68, [member('regs', 'regs17', 0)]),
    struct('tcb', 'tcb_s', 144, [
      member('flink', 'tcbp', 0),
      member('pid', 'pid_t', 4),
      member('sched_priority', 'u8', 6),
      member('task_state', 'u8', 7),
      member('adj_stack_size', 'u32', 8),
      member('stack_alloc_ptr', 'voidp', 12),
      member('adj_stack_ptr', 'voidp', 16),
      // An anonymous structure holding the name.
      anonymousMember('anon', 20),
      member('xcp', 'xcp', 40),
      struct('u', undefined, 4, [unionMember('waitsem', 'voidp')], TAG.union_type),
      member('waitobj', 'u', 108),
      {
        tag: TAG.member,
        attrs: [
          [AT.name, FORM.string, 'legacy'],
          [AT.type, FORM.ref4, { ref: 'u32' }],
          [AT.data_member_location, FORM.block1, new Uint8Array([DW_OP_plus_uconst, 112])],
        ],
      },
    ]),
    struct('anon', undefined, 16, [member('name', 'name16', 0)]),
    struct('pidhash', 'pidhash_s', 8, [member('tcb', 'tcbp', 0), member('pid', 'pid_t', 4)]),
  ]);
}

/** A union member: no DW_AT_data_member_location (it starts where the union does). */
function unionMember(name: string, type: string): Die {
  return {
    tag: TAG.member,
    attrs: [
      [AT.name, FORM.string, name],
      [AT.type, FORM.ref4, { ref: type }],
    ],
  };
}

/** A member without a name (an anonymous structure or union). */
function anonymousMember(type: string, offset: number): Die {
  return { tag: TAG.member, attrs: member('', type, offset).attrs.slice(1) };
}
