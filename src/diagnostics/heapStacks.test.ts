/**
 * --stack-check's heap-block stacks on a hand-placed program with no task list: a bump
 * allocator (malloc) hands out two adjacent blocks; thread code moves its stack (the process
 * stack, or the main stack as NuttX without an interrupt stack does) inside the second and takes
 * an SVC, whose exception return to thread mode (EXC_RETURN 0xFFFFFFFD or 0xFFFFFFF9) loads that
 * SP — so the second block is a task's stack. A push loop then runs below the block's start into
 * the first block: the run stops at the first store there, naming both blocks by where they were
 * allocated. Once the stack's block is freed, its guard goes.
 */
import { describe, expect, it } from 'vitest';
import { CODE, machineWithVectors, NOP, place, svc } from '../../test/helpers/machine.js';
import { SymbolTable } from '../loader/elf.js';
import { attachDiagnostics } from './attach.js';
import { noDiagnostics } from './options.js';

const MALLOC = 0x20003000;
const FREE = 0x20003020;
const HEAP_PTR = 0x20006000; // the bump allocator's next free byte
const HEAP = 0x20005000;
const BUFFER_SIZE = 128; // the first block
const STACK_SIZE = 200; // the second, the task's stack
const STACK_SP = 192; // where in it the task's SP starts

// malloc(r0): ldr r1,[pc,#8]; ldr r2,[r1]; adds r3,r2,r0; str r3,[r1]; mov r0,r2; bx lr; .word
const MALLOC_CODE = [
  0x4902,
  0x680a,
  0x1813,
  0x600b,
  0x4610,
  0x4770,
  HEAP_PTR & 0xffff,
  HEAP_PTR >>> 16,
];
const BX_LR = 0x4770;

const movs = (rd: number, imm: number) => 0x2000 | (rd << 8) | imm;
const BLX_R4 = 0x47a0; // malloc
const BLX_R5 = 0x47a8; // free
const MOV_R6_R0 = 0x4606;
const MOV_R0_R6 = 0x4630;
const ADDS_R0 = (imm: number) => 0x3000 | imm;
const MSR_PSP_R0 = [0xf380, 0x8809];
const MSR_CONTROL_R0 = [0xf380, 0x8814];
const ISB = [0xf3bf, 0x8f6f];
const PUSH_R0_R3 = 0xb40f;
const B_BACK = 0xe7fd; // b to the push before it

const MOV_SP_R0 = 0x4685;

/**
 * Allocates the buffer, then the stack (kept in r6), moves onto it — the process stack, or with
 * `onMsp` the main stack, as NuttX without an interrupt stack runs tasks — and takes an SVC.
 */
function prologue(onMsp = false): number[] {
  const moveOnto = onMsp
    ? [MOV_SP_R0, NOP, NOP, NOP, NOP, NOP]
    : [...MSR_PSP_R0, movs(0, 2), ...MSR_CONTROL_R0, ...ISB];
  return [
    movs(0, BUFFER_SIZE), BLX_R4, // alloc_buffer: malloc(128)
    movs(0, STACK_SIZE), BLX_R4, MOV_R6_R0, // alloc_stack: malloc(200)
    ADDS_R0(STACK_SP), ...moveOnto,
    svc(0), // the "scheduler" returns into thread mode on that stack
  ]; // prettier-ignore
}

function setup(program: number[]) {
  const m = machineWithVectors(program);
  place(m, MALLOC, MALLOC_CODE);
  place(m, FREE, [BX_LR]);
  m.bus.write32(HEAP_PTR, HEAP);
  m.cpu.r[4] = MALLOC | 1;
  m.cpu.r[5] = FREE | 1;
  const symbols = new SymbolTable([
    { name: 'malloc', value: MALLOC | 1, size: 16, type: 2 },
    { name: 'free', value: FREE | 1, size: 2, type: 2 },
    { name: 'alloc_buffer', value: CODE | 1, size: 4, type: 2 },
    { name: 'alloc_stack', value: (CODE + 4) | 1, size: 6, type: 2 },
    { name: 'task_body', value: (CODE + 10) | 1, size: 0x40, type: 2 },
  ]);
  const image = { format: 'elf' as const, segments: [], entry: CODE, symbols };
  const lines: string[] = [];
  const diag = attachDiagnostics(
    m,
    image,
    { ...noDiagnostics(), stackCheck: true },
    { line: (t) => lines.push(t) },
  );
  return { m, diag, lines };
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

describe('--stack-check: a heap block the scheduler loads SP from is a task stack', () => {
  it.each([
    ['the process stack (EXC_RETURN 0xFFFFFFFD)', false],
    ['the main stack (EXC_RETURN 0xFFFFFFF9)', true],
  ])('stops at the first store below it, in the block below, naming both: %s', (_, onMsp) => {
    const program = prologue(onMsp);
    const { m, diag, lines } = setup([...program, PUSH_R0_R3, B_BACK]);
    expect(lines).toContain(
      'stack-check: no task list in the image (no g_tcbinfo, no DWARF for struct tcb_s): ' +
        'a task stack is the heap block its SP is in when the scheduler switches to it',
    );
    expect(m.run(10_000)).toBe('breakpoint');
    const buffer = HEAP;
    const stack = HEAP + BUFFER_SIZE;
    const [f] = diag.findings.list;
    // 192 bytes of pushes (16 each) fit; the 13th crosses, its first store (r0) lowest.
    expect(f?.message).toBe(
      `stack overflow in stack 0x${hex(stack)} (allocated at alloc_stack): 4-byte store at ` +
        `0x${hex(stack - 16)} (in the 128-byte block at 0x${hex(buffer)} allocated at ` +
        `alloc_buffer), 16 bytes below its stack [0x${hex(stack)}, 0x${hex(stack + STACK_SIZE)}) ` +
        `(SP 0x${hex(stack)}) at task_body+0x${(2 * program.length - 10).toString(16)}`,
    );
    expect(f?.task).toBe(`stack 0x${hex(stack)} (allocated at alloc_stack)`);
    expect(f?.data?.block).toEqual({ ptr: `0x${hex(buffer)}`, size: BUFFER_SIZE });
  });

  it('forgets the stack when its block is freed', () => {
    const { m, diag } = setup([...prologue(), MOV_R0_R6, BLX_R5, PUSH_R0_R3, B_BACK]);
    expect(m.run(400)).toBe('limit');
    expect(diag.findings.list).toEqual([]);
    expect(m.cpu.r[13]).toBeLessThan(HEAP); // it did run through both blocks and below
  });

  it('knows no stack until an exception returns onto it', () => {
    // The same program without the SVC: the PSP was never loaded by an exception return.
    const program = prologue().slice(0, -1);
    const { m, diag } = setup([...program, PUSH_R0_R3, B_BACK]);
    expect(m.run(400)).toBe('limit');
    expect(diag.findings.list).toEqual([]);
  });
});
