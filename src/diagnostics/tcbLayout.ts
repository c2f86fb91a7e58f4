/**
 * Where a NuttX task control block keeps what a debugger shows (pid, state, priority, name,
 * stack, saved registers) and where the list of TCBs is — from the OS's own g_tcbinfo table when
 * the image has one, else from the DWARF description of struct tcb_s (NuttX releases before
 * g_tcbinfo; any build with debugging information).
 *
 * struct tcbinfo_s (packed): uint16 pid_off, state_off, pri_off, name_off, stack_off,
 * stack_size_off, regs_off, regs_num; then a pointer to regs_num uint16 offsets of each
 * register (GDB's m-profile order r0-r12, sp, lr, pc, xpsr) in the saved-register area that
 * tcb.xcp.regs points to (0xffff: not saved). NuttX's stack_off is stack_base_ptr's: the lowest
 * usable byte, adj_stack_size bytes below the top.
 *
 * From DWARF, by member name: pid, task_state, sched_priority, name (a char array, only with
 * task names configured), the stack (stack_base_ptr; in older releases adj_stack_ptr, its top;
 * else stack_alloc_ptr), adj_stack_size and xcp.regs (a pointer in recent NuttX, the array
 * itself in older ones). Which register sits where in the saved area is the architecture port's
 * #define, not in the DWARF: from DWARF a sleeping task's registers are unknown.
 *
 * The TCBs: g_pidhash, a pointer to g_npidhash TCB pointers (recent NuttX); older NuttX has no
 * g_npidhash and g_pidhash is an array of struct pidhash_s whose `tcb` member points to the TCB,
 * its length the symbol's size over the entry's (both from DWARF).
 */
import type { ElfSection } from '../loader/elfSections.js';
import type { SymbolTable } from '../loader/elf.js';
import { structLayouts } from '../loader/dwarfMembers.js';
import type { GuestMemory } from './guestMemory.js';

export interface TcbLayout {
  /** Where the offsets came from. */
  source: 'g_tcbinfo' | 'DWARF';
  pid: number;
  /** pid_t's size: 4, or 2 in NuttX releases whose pid_t was an int16_t. */
  pidSize: number;
  state: number;
  priority: number;
  /** The task's name (a NUL-terminated char array), undefined without task names. */
  name: number | undefined;
  nameSize: number;
  /** The stack field: its lowest usable byte, or its top with `stackIsTop`. */
  stack: number;
  stackIsTop: boolean;
  stackSize: number;
  /** xcp.regs: a pointer to the saved registers, or with `regsInline` the array itself. */
  regs: number | undefined;
  regsInline: boolean;
  /** Each GDB register's offset in the saved area (0xffff: not saved); empty when unknown. */
  regOffsets: number[];
}

/** Where the TCB pointers are. */
export interface PidTable {
  /** g_pidhash's address. */
  at: number;
  /**
   * g_npidhash's address: g_pidhash points to that many TCB pointers. Undefined for the older
   * inline array of `count` entries, `stride` bytes each, the TCB pointer at `tcb` in each.
   */
  npidhash: number | undefined;
  count: number;
  stride: number;
  tcb: number;
}

/** The longest name read (NuttX's default CONFIG_TASK_NAME_SIZE is 31). */
const NAME_MAX = 32;
const MAX_REGS = 64;

/** The layout NuttX's g_tcbinfo publishes, if the image has it (it lives in flash or RAM). */
export function tcbinfoLayout(symbols: SymbolTable, mem: GuestMemory): TcbLayout | undefined {
  const info = symbols.lookup('g_tcbinfo');
  if (!info) return undefined;
  const at = info.value >>> 0;
  const fields = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => mem.read16(at + 2 * i));
  if (fields.some((f) => f === undefined)) return undefined;
  const [pid, state, pri, name, stack, stackSize, regs, regsNum] = fields as number[];
  const table = mem.read32(at + 16);
  const regOffsets: number[] = [];
  for (let i = 0; i < Math.min(regsNum!, MAX_REGS) && table !== undefined; i++) {
    regOffsets.push(mem.read16(table + 2 * i) ?? 0xffff);
  }
  return {
    source: 'g_tcbinfo',
    pid: pid!,
    pidSize: 4,
    state: state!,
    priority: pri!,
    // NuttX writes 0 without task names (a TCB starts with its list link, never the name).
    name: name === 0 ? undefined : name!,
    nameSize: NAME_MAX,
    stack: stack!,
    stackIsTop: false,
    stackSize: stackSize!,
    regs: regs!,
    regsInline: false,
    regOffsets,
  };
}

/** The layout struct tcb_s has in the DWARF, with the TCB table's, if complete enough. */
export function dwarfLayout(
  sections: readonly ElfSection[],
  symbols: SymbolTable,
): { layout: TcbLayout; table: PidTable } | undefined {
  const pidhash = symbols.lookup('g_pidhash');
  if (!pidhash) return undefined;
  const structs = structLayouts(sections, ['struct tcb_s', 'struct pidhash_s']);
  const tcb = structs.get('struct tcb_s');
  if (!tcb) return undefined;
  const pid = tcb.member('pid');
  const state = tcb.member('task_state');
  const stackSize = tcb.member('adj_stack_size');
  const top = tcb.member('adj_stack_ptr');
  const stack = tcb.member('stack_base_ptr') ?? top ?? tcb.member('stack_alloc_ptr');
  if (!pid || !state || !stackSize || !stack) return undefined;
  const name = tcb.member('name');
  const regs = tcb.member('xcp.regs');
  const layout: TcbLayout = {
    source: 'DWARF',
    pid: pid.offset,
    pidSize: pid.size === 2 ? 2 : 4,
    state: state.offset,
    priority: tcb.member('sched_priority')?.offset ?? state.offset,
    name: name?.kind === 'array' ? name.offset : undefined,
    nameSize: Math.min(name?.size ?? NAME_MAX, NAME_MAX),
    stack: stack.offset,
    stackIsTop: stack === top,
    stackSize: stackSize.offset,
    regs: regs?.offset,
    regsInline: regs?.kind === 'array',
    regOffsets: [],
  };
  const npidhash = symbols.lookup('g_npidhash');
  const at = pidhash.value >>> 0;
  if (npidhash) {
    return { layout, table: { at, npidhash: npidhash.value >>> 0, count: 0, stride: 4, tcb: 0 } };
  }
  const entry = structs.get('struct pidhash_s');
  const tcbPtr = entry?.member('tcb');
  if (!entry?.size || !tcbPtr || pidhash.size < entry.size) return undefined;
  const count = Math.floor(pidhash.size / entry.size);
  return {
    layout,
    table: { at, npidhash: undefined, count, stride: entry.size, tcb: tcbPtr.offset },
  };
}
