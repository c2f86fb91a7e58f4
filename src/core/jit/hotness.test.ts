/**
 * When blocks are translated: at hotEntries interpreted entries, or earlier (at a quarter of
 * that, rounded down to a power of two) when the block has been entered at least once every
 * EARLY_SPACING (1600) instructions since it was found, but not in the first 200000
 * instructions of a run (start-up code). Both machines of each Pair must stay identical whatever
 * is translated when. A cold block is interpreted only as far as control follows it, so the
 * next block starts where the code went, and translated only as far as that ever went, and not
 * into another cached block's start unless it loops to its own.
 */
import { describe, expect, it } from 'vitest';
import { Asm, Pair } from '../../../test/helpers/lockstep.js';
import type { Block } from './block.js';
import { COND, t16 as br16, t32 as br32 } from '../encode/branch.js';
import { t16 as dp16, t32 as dp32 } from '../encode/dataProcessing.js';

/** `adds r0, #1; b loop` forever: its block is entered every 2 instructions. */
function tightLoop(): Asm {
  const a = new Asm();
  a.emit(dp16.movImm(0, 0));
  a.label('loop');
  a.emit(dp16.addImm8(0, 1));
  a.branch('loop', (o) => br16.b(o));
  return a;
}

/**
 * An outer loop (r1 counts its iterations) around an inner countdown of 250 << shift
 * iterations: the inner loop's block is entered every 2 instructions while interpreted; the
 * block that goes back to the outer loop once per outer iteration, 2 * (250 << shift) + 4
 * instructions apart.
 */
function nestedLoops(shift: number): Asm {
  const a = new Asm();
  a.emit(dp16.movImm(1, 0));
  a.label('outer');
  a.emit(dp16.addImm8(1, 1), dp16.movImm(2, 250), dp16.lslImm(2, 2, shift));
  a.label('inner');
  a.emit(dp16.subImm8(2, 1));
  a.branch('inner', (o) => br16.bCond(COND.ne, o));
  a.branch('outer', (o) => br16.b(o));
  return a;
}

/** Runs both machines until the outer loop has started `n` iterations. */
function runOuter(p: Pair, n: number, shift: number): void {
  const per = 2 * (250 << shift) + 4;
  const target = 1 + (n - 1) * per + 3;
  p.both((m) => m.run(target - m.cpu.instructions), `${n} outer iterations`);
  expect(p.ref.cpu.r[1]).toBe(n);
}

describe('translation thresholds', () => {
  // [hotEntries, the early count]: a quarter of the threshold rounded down to a power of two.
  it.each([
    [undefined, 2048], // the default, 10000
    [400, 64],
    [100_000, 16384],
  ])('hotEntries %s: a block entered every 2 instructions goes at %i entries', (hot, early) => {
    const p = new Pair(
      { code: tightLoop().link() },
      hot === undefined ? { startUp: 0 } : { hotEntries: hot, startUp: 0 },
    );
    // The start-up block (3 instructions), then the loop's block every 2.
    p.both((m) => m.run(3 + 2 * (early - 2)), 'before');
    expect(p.stats.translated).toBe(0);
    p.both((m) => m.run(2 * 4), 'after');
    expect(p.stats.translated).toBe(1);
  });

  it('a block entered less often than every 1600 instructions waits for the threshold', () => {
    // Outer iterations 2004 instructions apart (> 1600): only the inner loop goes early.
    const p = new Pair({ code: nestedLoops(2).link() }, { hotEntries: 400, startUp: 0 });
    runOuter(p, 2, 2);
    expect(p.stats.translated).toBe(1); // the inner loop, within the first outer iteration
    runOuter(p, 390, 2);
    expect(p.stats.translated).toBe(1);
    runOuter(p, 410, 2);
    expect(p.stats.translated).toBe(2);
  });

  it('the same block entered every 1004 instructions is translated early', () => {
    const p = new Pair({ code: nestedLoops(1).link() }, { hotEntries: 400, startUp: 0 });
    runOuter(p, 60, 1);
    expect(p.stats.translated).toBe(1);
    runOuter(p, 70, 1);
    expect(p.stats.translated).toBe(2);
  });
});

/** Start addresses of the blocks in the translator's cache (found, translated or not). */
function blockStarts(p: Pair): number[] {
  const jit = p.jit.cpu.jit as unknown as { pageBlocks: ({ start: number }[] | null)[] };
  return jit.pageBlocks.flatMap((list) => (list ?? []).map((b) => b.start)).sort((a, b) => a - b);
}

describe('start-up', () => {
  it('a dense block found in the first 200000 instructions waits for the threshold', () => {
    const p = new Pair({ code: tightLoop().link() }, {});
    p.both((m) => m.run(3 + 2 * 9998), 'before the threshold');
    expect(p.stats.translated).toBe(0);
    p.both((m) => m.run(2 * 4), 'after');
    expect(p.stats.translated).toBe(1);
  });

  it('past them, a dense block is translated at the early count', () => {
    // A countdown of 2^17 iterations (393216 instructions), then the tight loop.
    const a = new Asm();
    a.emit(dp16.movImm(1, 1), dp16.lslImm(1, 1, 17));
    a.label('count');
    a.emit(dp16.subImm8(1, 1));
    a.branch('count', (o) => br16.bCond(COND.ne, o));
    a.emit(dp16.movImm(0, 0));
    a.label('loop');
    a.emit(dp16.addImm8(0, 1));
    a.branch('loop', (o) => br16.b(o));
    const p = new Pair({ code: a.link() }, {});
    const countdown = 2 + 2 * (1 << 17) + 1;
    p.both((m) => m.run(countdown + 2 * 2046), 'before the early count');
    expect(p.stats.translated).toBe(1); // the countdown, at the threshold
    p.both((m) => m.run(2 * 4), 'after');
    expect(p.stats.translated).toBe(2);
  });
});

describe('cold blocks', () => {
  /**
   * `loop: adds r0, #1; cmp r0, #0; bne skip; adds r1, #1 (x5); skip: b loop`: the loop's block
   * runs on past the bne (its fall-through, never taken), so it is 9 instructions long, while
   * control goes from the bne to `skip` every time (4 instructions an iteration).
   */
  function branchAway(): Asm {
    const a = new Asm();
    a.label('start');
    a.emit(dp16.movImm(0, 0));
    a.label('loop');
    a.emit(dp16.addImm8(0, 1), dp16.cmpImm(0, 0));
    a.branch('skip', (o) => br16.bCond(COND.ne, o));
    for (let k = 0; k < 5; k++) a.emit(dp16.addImm8(1, 1));
    a.label('skip');
    a.branch('loop', (o) => br16.b(o));
    return a;
  }

  it('stop where control leaves them: the next block starts at the branch target', () => {
    const a = branchAway();
    // Never translated: every entry is a cold one.
    const p = new Pair({ code: a.link() }, { hotEntries: 1_000_000 });
    p.both((m) => m.run(1 + 4 * 500), '500 iterations');
    expect(p.ref.cpu.r[0]).toBe(500);
    expect(p.ref.cpu.r[1]).toBe(0);
    // The start-up block, the loop's and the one at `skip`. Had the loop's block been
    // interpreted for its 9 instructions each time, the next would start 9 instructions on,
    // inside the loop (at the cmp), and `skip` would have none.
    expect(blockStarts(p)).toEqual([a.at('start'), a.at('loop'), a.at('skip')]);
  });

  it('are translated only as far as an interpreted entry went; later entries may go on', () => {
    // `loop: bl sub; b loop` and `sub: adds r0, #1; cmp r0, #200; bne ret; adds r1, #1 (x5);
    // ret: bx lr`: a block follows the BL into sub and runs to the BX, but its bne leaves it
    // until r0 reaches 200.
    const a = new Asm();
    a.emit(dp16.movImm(0, 0));
    a.label('loop');
    a.branch('sub', (o) => br32.bl(o));
    a.label('back');
    a.branch('loop', (o) => br16.b(o));
    a.label('sub');
    a.emit(dp16.addImm8(0, 1), dp16.cmpImm(0, 200));
    a.branch('ret', (o) => br16.bCond(COND.ne, o));
    a.label('fall');
    for (let k = 0; k < 5; k++) a.emit(dp16.addImm8(1, 1));
    a.label('ret');
    a.emit(br16.bx(14));
    const p = new Pair({ code: a.link() }, { hotEntries: 64, startUp: 0 });
    p.both((m) => m.run(1 + 6 * 100), '100 iterations');
    // The hot blocks: at `ret` (the BX) and at `back` (b loop, bl sub, adds, cmp, bne, adds x5,
    // bx lr: 11 instructions, its entries all gone at the bne, the fifth).
    expect(p.stats.translated).toBe(2);
    expect(p.stats.blockInstructions).toBe(1 + 5);
    expect(blockStarts(p)).not.toContain(a.at('fall'));
    // The 200th iteration falls through: the translated block ends before the instructions
    // no entry had reached, and the next block starts there.
    p.both((m) => m.run(6 * 150 + 5), 'past the fall-through');
    expect(p.ref.cpu.r[0]).toBe(250);
    expect(p.ref.cpu.r[1]).toBe(5);
    expect(blockStarts(p)).toContain(a.at('fall'));
  });
});

describe('translated length', () => {
  /** The cache's blocks: start, translated length (span, 0 while cold) and interpreted entries. */
  function blocks(p: Pair): { start: number; span: number; count: number; n: number }[] {
    const jit = p.jit.cpu.jit as unknown as { pageBlocks: (Block[] | null)[] };
    return jit.pageBlocks
      .flatMap((list) => list ?? [])
      .map((b) => ({ start: b.start, span: b.fn === null ? 0 : b.span, count: b.count, n: b.n }))
      .sort((x, y) => x.start - y.start);
  }

  /**
   * The program `body` makes, with r5 = `callee` | 1 (found by building it twice: its layout
   * does not depend on the address), after calling `callee` 20 times through BLX r5: its block
   * is translated (at 16 entries) before the rest of the program runs.
   */
  function afterCalls(callee: string, body: (a: Asm) => void): Asm {
    const build = (target: number): Asm => {
      const a = new Asm();
      a.emit(dp16.movImm(0, 0), dp16.movImm(6, 20), dp16.movImm(7, 0));
      a.emit(dp32.movw(5, (target | 1) & 0xffff), dp32.movt(5, target >>> 16));
      a.label('warm');
      a.emit(br16.blx(5), dp16.subImm8(6, 1));
      a.branch('warm', (o) => br16.bCond(COND.ne, o));
      body(a);
      return a;
    };
    return build(build(0).at(callee));
  }

  it('stops where another cached block starts (its code is translated there)', () => {
    // Then `loop: blx r4; b loop` and `sub: adds r0, #1; lsls r3, r0, #31; beq skip; adds r1,
    // #1; skip: adds r2, #1; bx lr`, r4 = sub | 1: the block at `sub` runs to its end on odd r0.
    const program = (sub: number): Asm =>
      afterCalls('skip', (a) => {
        a.emit(dp32.movw(4, (sub | 1) & 0xffff), dp32.movt(4, sub >>> 16));
        a.label('loop');
        a.emit(br16.blx(4));
        a.branch('loop', (o) => br16.b(o));
        a.label('sub');
        a.emit(dp16.addImm8(0, 1), dp16.lslImm(3, 0, 31));
        a.branch('skip', (o) => br16.bCond(COND.eq, o));
        a.emit(dp16.addImm8(1, 1));
        a.label('skip');
        a.emit(dp16.addImm8(2, 1), br16.bx(14));
      });
    const b = program(program(0).at('sub'));
    const p = new Pair({ code: b.link() }, { hotEntries: 64, startUp: 0 });
    p.both((m) => m.run(5 + 20 * 5 + 2), 'the calls to skip');
    expect(p.ref.cpu.r[2]).toBe(20);
    const skip = blocks(p).find((x) => x.start === b.at('skip'))!;
    expect(skip.span).toBe(2); // adds, bx lr: translated
    // Two calls of sub take 15 instructions (odd r0: blx, 6, b; even: blx, 5, b).
    p.both((m) => m.run(100 * 15), '200 calls');
    expect([p.ref.cpu.r[0], p.ref.cpu.r[1], p.ref.cpu.r[2]]).toEqual([200, 100, 220]);
    // `sub` is translated as adds, lsls, beq, adds: up to `skip`, not its 6 instructions.
    const found = blocks(p).find((x) => x.start === b.at('sub'))!;
    expect([found.n, found.span]).toEqual([6, 4]);
    p.both((m) => m.run(500 * 15), '1000 more calls');
    expect(p.ref.cpu.r[0]).toBe(1200);
  });

  it('is the whole block when it loops to its start', () => {
    // Then r7 = 1 and `loop: adds r0, #1; adds r1, #1; inner: adds r2, #1; cmp r7, #0; bne loop;
    // bx lr`: `inner` was called (r7 = 0: it returns), and is inside the loop's block, which
    // cut there could not loop inside its function.
    const a = afterCalls('inner', (a) => {
      a.emit(dp16.movImm(7, 1));
      a.label('loop');
      a.emit(dp16.addImm8(0, 1), dp16.addImm8(1, 1));
      a.label('inner');
      a.emit(dp16.addImm8(2, 1), dp16.cmpImm(7, 0));
      a.branch('loop', (o) => br16.bCond(COND.ne, o));
      a.emit(br16.bx(14));
    });
    const p = new Pair({ code: a.link() }, { hotEntries: 64, startUp: 0 });
    p.both((m) => m.run(5 + 20 * 7 + 1 + 200 * 5), 'the calls, then 200 iterations');
    expect([p.ref.cpu.r[0], p.ref.cpu.r[2]]).toEqual([200, 220]);
    const found = blocks(p);
    expect(found.find((x) => x.start === a.at('inner'))!.span).toBe(4); // translated by then
    expect(found.find((x) => x.start === a.at('loop'))!.span).toBe(5);
  });
});
