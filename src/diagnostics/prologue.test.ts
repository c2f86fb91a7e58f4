/**
 * Prologue analysis on hand-assembled Thumb-2: each program's halfwords were produced by
 * arm-none-eabi-as (-mcpu=cortex-m4 -mfpu=fpv4-sp-d16) and are listed with objdump's
 * disassembly beside them. Offsets are from the function's first instruction; `ret` labels
 * follow a BL (a return address), other PCs are "exact" (an interrupted or stopped PC).
 */
import { describe, expect, it } from 'vitest';
import { SymbolTable } from '../loader/elf.js';
import { MAX_INSTRUCTIONS, analyzePrologue, type CodeMemory } from './prologue.js';
import { entryState } from './thumbSim.js';
import { execute } from './thumbSim32.js';
import { Unwinder, type UnwindMemory } from './unwind.js';

const BASE = 0x0800_1000;

/** Code memory holding `hws` from `base`; nothing else is readable. */
function code(hws: number[], base = BASE): CodeMemory {
  const read16 = (a: number) => {
    const i = (a - base) / 2;
    return Number.isInteger(i) && i >= 0 && i < hws.length ? hws[i] : undefined;
  };
  return {
    read16,
    read32: (a) => {
      const lo = read16(a);
      const hi = read16(a + 2);
      return lo === undefined || hi === undefined ? undefined : (lo | (hi << 16)) >>> 0;
    },
  };
}

/** The analysis at BASE + offset, in a form toEqual can compare. */
function analyze(hws: number[], offset: number, exact: boolean) {
  const a = analyzePrologue(code(hws), BASE | 1, BASE + offset, exact);
  if (!a.ok) return { refused: a.reason };
  const saved: Record<number, number> = {};
  for (const [r, off] of [...a.saved].sort((x, y) => x[0] - y[0])) saved[r] = off;
  return {
    cfa: `r${a.cfaReg}+${a.cfaOffset}`,
    saved,
    lrLive: a.lrLive,
    complete: a.complete,
  };
}

const PUSH16 = [
  0xb5f0, //  0: push {r4, r5, r6, r7, lr}
  0xaf03, //  2: add r7, sp, #12
  0xb084, //  4: sub sp, #16
  0xf7ff,
  0xfffb, //  6: bl start
  0xbf00, //  a: ret: nop
];
const PUSH16_SAVED = { 4: -20, 5: -16, 6: -12, 7: -8, 14: -4 };

describe('prologue forms', () => {
  it('PUSH (T1) with LR, ADD r7, SP and SUB SP (T1), instruction by instruction', () => {
    const frame = (cfa: string, saved: object, lrLive = true) => ({
      cfa,
      saved,
      lrLive,
      complete: true,
    });
    expect(analyze(PUSH16, 0, true)).toEqual(frame('r13+0', {}));
    expect(analyze(PUSH16, 2, true)).toEqual(frame('r13+20', PUSH16_SAVED));
    expect(analyze(PUSH16, 4, true)).toEqual(frame('r13+20', PUSH16_SAVED));
    expect(analyze(PUSH16, 6, true)).toEqual(frame('r13+36', PUSH16_SAVED));
    // At the return address the call has replaced LR: only the saved copy is the caller's.
    expect(analyze(PUSH16, 0xa, false)).toEqual(frame('r13+36', PUSH16_SAVED, false));
  });

  it('STMDB SP! (PUSH T2) and SUB.W SP, SP, #const (T2)', () => {
    const hws = [
      0xe92d,
      0x4ff0, // 0: stmdb sp!, {r4, r5, r6, r7, r8, r9, sl, fp, lr}
      0xf5ad,
      0x7d16, // 4: sub.w sp, sp, #600
      0xf7ff,
      0xfffa, // 8: bl start
      0xbf00, //         c: ret: nop
    ];
    const saved: Record<number, number> = { 14: -4 };
    for (let r = 4; r <= 11; r++) saved[r] = -36 + 4 * (r - 4);
    expect(analyze(hws, 0xc, false)).toMatchObject({ cfa: 'r13+636', saved });
  });

  it('STR Rt, [SP, #-4]! (PUSH T3) after MOV r7, SP, then SUB SP', () => {
    const hws = [
      0xb580, //         0: push {r7, lr}
      0x466f, //         2: mov r7, sp
      0xf84d,
      0xbd04, // 4: str.w fp, [sp, #-4]!
      0xb083, //         8: sub sp, #12
      0xf7ff,
      0xfff9, // a: bl start
      0xbf00, //         e: ret: nop
    ];
    expect(analyze(hws, 0xe, false)).toMatchObject({
      cfa: 'r13+24',
      saved: { 7: -8, 11: -12, 14: -4 },
    });
  });

  it('STR LR, [SP, #-4]! alone and SUBW SP, SP, #imm12 (T3)', () => {
    const hws = [
      0xf84d,
      0xed04, // 0: str.w lr, [sp, #-4]!
      0xf6ad,
      0x7dff, // 4: subw sp, sp, #4095
      0xf7ff,
      0xfffa, // 8: bl start
      0xbf00, //         c: ret: nop
    ];
    expect(analyze(hws, 0xc, false)).toMatchObject({ cfa: 'r13+4099', saved: { 14: -4 } });
  });

  it('SUB SP, SP, Rm after MOVW, LDR literal, MVN and MOVW/MOVT of the constant', () => {
    const hws = [
      0xb510, //         0: push {r4, lr}
      0xf241,
      0x3488, // 2: movw r4, #5000
      0xebad,
      0x0d04, // 6: sub.w sp, sp, r4
      0x4b07, //         a: ldr r3, [pc, #28]   (the word at 0x28: 70000)
      0xebad,
      0x0d03, // c: sub.w sp, sp, r3
      0xf06f,
      0x02ff, // 10: mvn.w r2, #255    (r2 = -256)
      0x4495, //         14: add sp, r2
      0xf241,
      0x1170, // 16: movw r1, #0x1170
      0xf2c0,
      0x0101, // 1a: movt r1, #1      (r1 = 0x11170)
      0xebad,
      0x0d41, // 1e: sub.w sp, sp, r1, lsl #1
      0xf7ff,
      0xffed, // 22: bl start
      0xe7fe, //         26: ret: b.n ret
      0x1170,
      0x0001, // 28: .word 70000
    ];
    const frame = 8 + 5000 + 70000 + 256 + 2 * 0x11170;
    expect(analyze(hws, 0x26, false)).toMatchObject({ cfa: `r13+${frame}`, saved: { 4: -8 } });
  });

  it('VPUSH of doubles and singles, and VSTMDB SP!', () => {
    const hws = [
      0xb510, //         0: push {r4, lr}
      0xed2d,
      0x8b04, // 2: vpush {d8-d9}
      0xed2d,
      0x8a03, // 6: vpush {s16-s18}
      0xed2d,
      0xab02, // a: vpush {d10}    (vstmdb sp!, {d10})
      0xf7ff,
      0xfff7, // e: bl start
      0xbf00, //         12: ret: nop
    ];
    expect(analyze(hws, 0x12, false)).toMatchObject({
      cfa: 'r13+44',
      saved: { 4: -8, 14: -4 },
    });
  });

  it('an r7 frame pointer carries the CFA across alloca (SUB SP, SP, Rm unknown)', () => {
    const alloca = [
      0xb590, //         0: push {r4, r7, lr}
      0xaf01, //         2: add r7, sp, #4
      0xebad,
      0x0d00, // 4: sub.w sp, sp, r0
      0x466c, //         8: mov r4, sp
      0xf7ff,
      0xfff9, // a: bl start
      0xbf00, //         e: ret: nop
    ];
    expect(analyze(alloca, 0xe, false)).toMatchObject({
      cfa: 'r7+8',
      saved: { 4: -12, 7: -8, 14: -4 },
    });
    const addw = [
      0xb580, //         0: push {r7, lr}
      0xb082, //         2: sub sp, #8
      0xf10d,
      0x0708, // 4: add.w r7, sp, #8
      0xebad,
      0x0d00, // 8: sub.w sp, sp, r0
      0xf7ff,
      0xfff8, // c: bl start
      0xbf00, //         10: ret: nop
    ];
    expect(analyze(addw, 0x10, false)).toMatchObject({ cfa: 'r7+8' });
    const movw = [
      0xb580, //         0: push {r7, lr}
      0xea4f,
      0x070d, // 2: mov.w r7, sp
      0xebad,
      0x0d00, // 6: sub.w sp, sp, r0
      0xf7ff,
      0xfff9, // a: bl start
      0xbf00, //         e: ret: nop
    ];
    expect(analyze(movw, 0xe, false)).toMatchObject({ cfa: 'r7+8' });
  });

  it('r7 overwritten after the frame pointer setup: back to SP', () => {
    const hws = [
      0xb590, //         0: push {r4, r7, lr}
      0xaf01, //         2: add r7, sp, #4
      0xb082, //         4: sub sp, #8
      0x2700, //         6: movs r7, #0
      0xf7ff,
      0xfffa, // 8: bl start
      0xbf00, //         c: ret: nop
    ];
    expect(analyze(hws, 0xc, false)).toMatchObject({ cfa: 'r13+20' });
  });

  it('STR and STRD to [SP, #imm] after the SUB', () => {
    const hws = [
      0xb084, //         0: sub sp, #16
      0xf8cd,
      0xe00c, // 2: str.w lr, [sp, #12]
      0xe9cd,
      0x4501, // 6: strd r4, r5, [sp, #4]
      0xf8cd,
      0x6000, // a: str.w r6, [sp]
      0xf7ff,
      0xfff7, // e: bl start
      0xbf00, //         12: ret: nop
    ];
    expect(analyze(hws, 0x12, false)).toMatchObject({
      cfa: 'r13+16',
      saved: { 4: -12, 5: -8, 6: -16, 14: -4 },
    });
  });

  it('a leaf: nothing saved, LR live (usable for an exact frame only)', () => {
    const hws = [
      0x2001, // 0: movs r0, #1
      0x1881, // 2: adds r1, r0, r2
      0x684b, // 4: ldr r3, [r1, #4]
      0x4770, // 6: bx lr
    ];
    expect(analyze(hws, 6, true)).toEqual({
      cfa: 'r13+0',
      saved: {},
      lrLive: true,
      complete: true,
    });
  });

  it('after a pop: dead slots below SP are not saves (LDMIA SP!, LDR Rt, [SP], #4)', () => {
    const tail = [
      0xb580, //         0: push {r7, lr}
      0x466f, //         2: mov r7, sp
      0xf7ff,
      0xfffc, // 4: bl start
      0xe8bd,
      0x4080, // 8: ldmia.w sp!, {r7, lr}
      0xf7ff,
      0xbff8, // c: b.w start     (a tail call)
    ];
    expect(analyze(tail, 0xc, true)).toEqual({
      cfa: 'r13+0',
      saved: {},
      lrLive: true,
      complete: true,
    });
    const ldr = [
      0xb510, //         0: push {r4, lr}
      0xf84d,
      0x5d04, // 2: str.w r5, [sp, #-4]!
      0xf7ff,
      0xfffb, // 6: bl start
      0xf85d,
      0x5b04, // a: ldr.w r5, [sp], #4
      0xbd10, //         e: pop {r4, pc}
    ];
    expect(analyze(ldr, 0xe, true)).toMatchObject({ cfa: 'r13+8', saved: { 4: -8, 14: -4 } });
  });

  it('follows a conditional branch over an early return (shrink-wrapping)', () => {
    const hws = [
      0xb118, //         0: cbz r0, early
      0xb510, //         2: push {r4, lr}
      0xf7ff,
      0xfffc, // 4: bl start
      0xbd10, //         8: ret: pop {r4, pc}
      0x4770, //         a: early: bx lr
    ];
    expect(analyze(hws, 8, false)).toMatchObject({ cfa: 'r13+8', saved: { 4: -8, 14: -4 } });
    // At the early return the path is the branch's, where nothing was pushed.
    expect(analyze(hws, 0xa, true)).toEqual({
      cfa: 'r13+0',
      saved: {},
      lrLive: true,
      complete: true,
    });
  });

  it('continues where a branch goes when the straight path ends (return, B, UDF trap)', () => {
    const trap = [
      0xb530, //         0: push {r4, r5, lr}
      0x2800, //         2: cmp r0, #0
      0xd100, //         4: bne.n 8
      0xdefe, //         6: udf #254
      0xb081, //         8: sub sp, #4
      0xf7ff,
      0xfff9, // a: bl start
      0xbf00, //         e: ret: nop
    ];
    expect(analyze(trap, 0xe, false)).toMatchObject({ cfa: 'r13+16' });
    const epilogue = [
      0xb510, //         0: push {r4, lr}
      0xb082, //         2: sub sp, #8
      0xf7ff,
      0xfffc, // 4: bl start
      0x2800, //         8: cmp r0, #0
      0xd000, //         a: beq.n e
      0xe000, //         c: b.n 10
      0x2001, //         e: movs r0, #1
      0xb002, //         10: add sp, #8
      0xbd10, //         12: pop {r4, pc}
    ];
    // Both paths reach 0x10 with the same frame; the ADD SP before 0x12 is seen.
    expect(analyze(epilogue, 0x10, true)).toMatchObject({ cfa: 'r13+16', complete: true });
    expect(analyze(epilogue, 0x12, true)).toMatchObject({ cfa: 'r13+8', complete: true });
  });

  it('modified immediates: each ThumbExpandImm pattern and a rotation', () => {
    const hws = [
      0xf1ad,
      0x0d2c, // 0: sub.w sp, sp, #0x2c
      0xf1ad,
      0x1d04, // 4: sub.w sp, sp, #0x40004       (00XY00XY)
      0xf1ad,
      0x2d04, // 8: sub.w sp, sp, #0x4000400     (XY00XY00)
      0xf1ad,
      0x3d01, // c: sub.w sp, sp, #0x1010101     (XYXYXYXY)
      0xf5ad,
      0x3d7f, // 10: sub.w sp, sp, #0x3fc00      (rotated)
      0xf50d,
      0x5d80, // 14: add.w sp, sp, #0x1000
      0xf7ff,
      0xfff2, // 18: bl start
      0xbf00, //         1c: ret: nop
    ];
    const frame = 0x2c + 0x40004 + 0x4000400 + 0x1010101 + 0x3fc00 - 0x1000;
    expect(analyze(hws, 0x1c, false)).toMatchObject({ cfa: `r13+${frame}` });
  });

  it('IT blocks of several instructions', () => {
    const ittt = [
      0xb510, //         0: push {r4, lr}
      0x2800, //         2: cmp r0, #0
      0xbf1e, //         4: ittt ne
      0x2101, //         6: movne r1, #1
      0x2202, //         8: movne r2, #2
      0x2303, //         a: movne r3, #3
      0xb082, //         c: sub sp, #8      (after the block: unconditional)
      0xf7ff,
      0xfff7, // e: bl start
      0xbf00, //         12: ret: nop
    ];
    expect(analyze(ittt, 0x12, false)).toMatchObject({ cfa: 'r13+16' });
  });

  it('an IT-conditional return leaves the fall-through path as it was', () => {
    const hws = [
      0xb510, //         0: push {r4, lr}
      0x2800, //         2: cmp r0, #0
      0xbf08, //         4: it eq
      0xbd10, //         6: popeq {r4, pc}
      0xf7ff,
      0xfffa, // 8: bl start
      0xbf00, //         c: ret: nop
    ];
    expect(analyze(hws, 0xc, false)).toMatchObject({ cfa: 'r13+8', saved: { 4: -8, 14: -4 } });
  });
});

describe('where the analysis refuses', () => {
  const refused = (hws: number[], offset: number, exact: boolean) =>
    (analyze(hws, offset, exact) as { refused?: string }).refused;

  it('a frame change made by an IT-conditional instruction', () => {
    const hws = [0xb510, 0x2800, 0xbf08, 0xb082, 0xf7ff, 0xfffa, 0xbf00]; // ... it eq; subeq sp, #8
    expect(refused(hws, 0xc, false)).toMatch(/conditional instruction at 0x08001006/);
  });

  it('a frame change in the else half of an ITE block', () => {
    const hws = [
      0xb510, //         0: push {r4, lr}
      0x2800, //         2: cmp r0, #0
      0xbf0c, //         4: ite eq
      0x2401, //         6: moveq r4, #1
      0xb082, //         8: subne sp, #8
      0xf7ff,
      0xfff9, // a: bl start
      0xbf00, //         e: ret: nop
    ];
    expect(refused(hws, 0xe, false)).toMatch(/conditional instruction at 0x08001008/);
  });

  it('a loop that moves SP', () => {
    const hws = [
      0xb510, //         0: push {r4, lr}
      0xb081, //         2: 1: sub sp, #4
      0x3801, //         4: subs r0, #1
      0xd1fc, //         6: bne.n 1b
      0xf7ff,
      0xfffa, // 8: bl start
      0xbf00, //         c: ret: nop
    ];
    expect(refused(hws, 0xc, false)).toMatch(/loop back to 0x08001002/);
  });

  it('a branch that skips the frame setup to a point the fall-through also reaches', () => {
    const hws = [
      0xb100, //         0: cbz r0, join
      0xb510, //         2: push {r4, lr}
      0xf7ff,
      0xfffc, // 4: join: bl start
      0xbf00, //         8: ret: nop
    ];
    expect(refused(hws, 8, false)).toMatch(/branch at 0x08001000 reaches 0x08001004 with another/);
  });

  it('SP set from an unknown value without a frame pointer', () => {
    const hws = [0xb510, 0x4685, 0xf7ff, 0xfffc, 0xbf00]; // push {r4, lr}; mov sp, r0; bl; nop
    expect(refused(hws, 8, false)).toMatch(/SP is not tracked/);
  });

  it('an undecodable instruction', () => {
    const hws = [0xb510, 0xb800, 0xf7ff, 0xfffc, 0xbf00]; // push {r4, lr}; .short 0xb800; bl
    expect(refused(hws, 8, false)).toMatch(/undecodable instruction at 0x08001002/);
  });

  it('an exact PC in an epilogue the scan did not reach', () => {
    const hws = [
      0xb510, //         0: push {r4, lr}
      0xb082, //         2: sub sp, #8
      0xe001, //         4: b.n body
      0xb002, //         6: exit: add sp, #8
      0xbd10, //         8: pop {r4, pc}
      0xf7ff,
      0xfff9, // a: body: bl start
      0xe7fa, //         e: b.n exit
    ];
    expect(refused(hws, 8, true)).toMatch(/in an epilogue \(the instruction at 0x08001006/);
    // At the epilogue's first instruction nothing is undone yet: the body's frame holds.
    expect(analyze(hws, 6, true)).toMatchObject({ cfa: 'r13+16', complete: false });
    // The call site is reached through the branch.
    expect(analyze(hws, 0xe, false)).toMatchObject({ cfa: 'r13+16', complete: true });
  });

  it('a PC that is not on an instruction boundary, and unreadable code', () => {
    expect(refused(PUSH16, 8, true)).toMatch(/not on an instruction boundary/);
    expect(refused(PUSH16.slice(0, 2), 6, true)).toMatch(/code at 0x08001004 is unreadable/);
  });

  it(`gives up scanning after ${MAX_INSTRUCTIONS} instructions`, () => {
    // A push beyond the bound is not seen: the state at the bound stands for the body.
    const far = [...new Array<number>(MAX_INSTRUCTIONS).fill(0xbf00), 0xb510, 0xbf00];
    expect(analyze(far, 2 * far.length - 2, true)).toEqual({
      cfa: 'r13+0',
      saved: {},
      lrLive: true,
      complete: false,
    });
    const within = far.slice(1);
    expect(analyze(within, 2 * within.length - 2, true)).toMatchObject({ cfa: 'r13+8' });
  });
});

describe('the Unwinder with symbols and no tables', () => {
  // outer (STMDB + 600 bytes) calls middle (alloca behind r7) calls leaf; stopped in leaf.
  const OUTER = BASE;
  const MIDDLE = BASE + 0x100;
  const LEAF = BASE + 0x200;
  const outer = [0xe92d, 0x4ff0, 0xf5ad, 0x7d16, 0xf7ff, 0xfffa, 0xbf00];
  const middle = [0xb590, 0xaf01, 0xebad, 0x0d00, 0x466c, 0xf7ff, 0xfff9, 0xbf00];
  const leaf = [0x2001, 0x1881, 0x684b, 0x4770];
  const symbols = new SymbolTable([
    { name: 'outer', value: OUTER | 1, size: 2 * outer.length, type: 2 },
    { name: 'middle', value: MIDDLE | 1, size: 2 * middle.length, type: 2 },
    { name: 'leaf', value: LEAF | 1, size: 2 * leaf.length, type: 2 },
  ]);
  const unwinder = new Unwinder({ symbols });

  const CFA_MIDDLE = 0x2000_4000;
  const CFA_OUTER = CFA_MIDDLE + 636;
  const SP_LEAF = CFA_MIDDLE - 12 - 24; // middle pushed 12 bytes and allocated 24
  const CALLER_OF_OUTER = 0x0800_5001;
  const words = new Map<number, number>();
  words.set(CFA_MIDDLE - 12, 0x44); // middle's r4, r7, lr
  words.set(CFA_MIDDLE - 8, 0x77);
  words.set(CFA_MIDDLE - 4, (OUTER + 0xc) | 1);
  for (let r = 4; r <= 11; r++) words.set(CFA_OUTER - 36 + 4 * (r - 4), 0x100 + r);
  words.set(CFA_OUTER - 4, CALLER_OF_OUTER);
  const program: Array<[number, number[]]> = [
    [OUTER, outer],
    [MIDDLE, middle],
    [LEAF, leaf],
  ];
  const mem: UnwindMemory = {
    read32: (a) => words.get(a),
    read16: (a) => {
      for (const [base, hws] of program) {
        const v = code(hws, base).read16(a);
        if (v !== undefined) return v;
      }
      return undefined;
    },
  };
  const regs = (pc: number, lr: number) => {
    const r = new Array<number>(16).fill(0);
    r[7] = CFA_MIDDLE - 8;
    r[13] = SP_LEAF;
    r[14] = lr;
    r[15] = pc;
    return { r };
  };

  it('unwinds leaf (through LR), middle (through r7) and outer (through SP)', () => {
    const result = unwinder.unwind(regs(LEAF + 6, (MIDDLE + 0xe) | 1), mem);
    expect(result.frames).toEqual([
      { pc: LEAF + 6, sp: SP_LEAF, exact: true },
      { pc: MIDDLE + 0xe, sp: SP_LEAF },
      { pc: OUTER + 0xc, sp: CFA_MIDDLE },
      { pc: CALLER_OF_OUTER & ~1, sp: CFA_OUTER },
    ]);
    // No symbol for outer's caller: nothing to analyse.
    expect(result.stop).toBe('no-unwind-info');
  });

  it('stops, saying why, at a frame whose LR the call replaced and nothing saved', () => {
    // Stopped at middle's first instruction with LR pointing into leaf, as if leaf had called
    // it: leaf never saved LR, and at a return address LR is no longer its caller's.
    const result = unwinder.unwind(regs(MIDDLE, (LEAF + 6) | 1), mem);
    expect(result.frames.map((f) => f.pc)).toEqual([MIDDLE, LEAF + 6]);
    expect(result.stop).toBe('no-unwind-info');
    expect(result.detail).toMatch(/prologue analysis of leaf: LR was not saved before 0x08001206/);
  });
});

describe('branch targets', () => {
  it('are those objdump gives for each encoding (B<c> T1/T3, B T2/T4, CBNZ)', () => {
    const hws = [
      0xf000,
      0xa000, // 0: beq.w 0x40004
      0xf47f,
      0x8ffe, // 4: bne.w 0xfffc0004
      0xf33f,
      0xa7fe, // 8: bgt.w 0x80008
      0xf000,
      0xb000, // c: b.w 0x400010
      0xf6dc,
      0xbdd3, // 10: b.w 0xffedcbba
      0xd00e, //         14: beq.n 0x34
      0xe77e, //         16: b.n 0xffffff16
      0xb9fb, //         18: cbnz r3, 0x5a
    ];
    const flows = [];
    for (let a = 0; a < 2 * hws.length;) {
      const hw1 = hws[a / 2]!;
      const wide = hw1 >>> 11 >= 0b11101;
      flows.push(execute(code(hws, 0), entryState(), a, hw1, wide ? hws[a / 2 + 1]! : 0));
      a += wide ? 4 : 2;
    }
    expect(flows).toEqual([
      { f: 'cond', target: 0x40004 },
      { f: 'cond', target: 0xfffc0004 },
      { f: 'cond', target: 0x80008 },
      { f: 'end', target: 0x400010 },
      { f: 'end', target: 0xffedcbba },
      { f: 'cond', target: 0x34 },
      { f: 'end', target: 0xffffff16 },
      { f: 'cond', target: 0x5a },
    ]);
  });
});
