/**
 * When blocks are translated: at hotEntries interpreted entries, or earlier (at a quarter of
 * that, rounded down to a power of two) when the block has been entered at least once every
 * EARLY_SPACING (1600) instructions since it was found, but not in the first 200000
 * instructions of a run (start-up code). Both machines of each Pair must stay identical whatever
 * is translated when. A cold block is interpreted only as far as control follows it, so the
 * next block starts where the code went, and translated only as far as that ever went.
 */
import { describe, expect, it } from 'vitest';
import { Asm, Pair } from '../../../test/helpers/lockstep.js';
import { COND, t16 as br16, t32 as br32 } from '../encode/branch.js';
import { t16 as dp16 } from '../encode/dataProcessing.js';

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
