/**
 * structLayouts: members of a named structure from hand-made DWARF shaped like an older NuttX's
 * struct tcb_s (an int16_t pid_t behind a typedef, the saved registers as an array inside a
 * nested structure, the name inside an anonymous structure, a union member without an offset, a
 * member located by a DWARF 2 expression), after a declaration of the same name without
 * members; and from the project's own firmware, where it must agree with what the diag OS's
 * g_tcbinfo table says (that comparison is test/diag-stack-sources.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { oldNuttxTcb } from '../../test/helpers/dwarf.js';
import { structLayouts } from './dwarfMembers.js';

describe('structLayouts on hand-made DWARF', () => {
  const layouts = structLayouts(oldNuttxTcb(), ['struct tcb_s', 'struct pidhash_s', 'struct nope']);
  const tcb = layouts.get('struct tcb_s')!;

  it('finds each requested structure that has members (not its declaration)', () => {
    expect([...layouts.keys()]).toEqual(['struct tcb_s', 'struct pidhash_s']);
    expect(tcb.unit).toBe('sched/sched.c');
    expect(tcb.size).toBe(144);
    expect(layouts.get('struct pidhash_s')!.size).toBe(8);
    expect(layouts.get('struct pidhash_s')!.member('tcb')).toEqual({
      offset: 0,
      size: 4,
      kind: 'pointer',
    });
  });

  it('gives offset, size (through typedefs) and kind of each member', () => {
    expect(tcb.member('pid')).toEqual({ offset: 4, size: 2, kind: 'other' });
    expect(tcb.member('task_state')).toEqual({ offset: 7, size: 1, kind: 'other' });
    expect(tcb.member('adj_stack_ptr')).toEqual({ offset: 16, size: 4, kind: 'pointer' });
    expect(tcb.member('xcp')).toEqual({ offset: 40, size: 68, kind: 'aggregate' });
    expect(tcb.member('stack_base_ptr')).toBeUndefined();
  });

  it('follows paths into nested structures and through anonymous ones', () => {
    expect(tcb.member('xcp.regs')).toEqual({ offset: 40, size: 68, kind: 'array' });
    expect(tcb.member('name')).toEqual({ offset: 20, size: 16, kind: 'array' });
    expect(tcb.member('waitobj.waitsem')).toEqual({ offset: 108, size: 4, kind: 'pointer' });
    expect(tcb.member('xcp.nope')).toBeUndefined();
    expect(tcb.member('pid.x')).toBeUndefined(); // pid is no structure
  });

  it('leaves a member located by an expression (DWARF 2) unknown', () => {
    expect(tcb.member('legacy')).toBeUndefined();
  });

  it('is empty without .debug_info', () => {
    expect(structLayouts([], ['struct tcb_s']).size).toBe(0);
  });
});
