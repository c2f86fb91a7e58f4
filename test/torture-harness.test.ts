import { describe, expect, it } from 'vitest';

import {
  evalStackExpr,
  globMatch,
  parseDirectives,
  parseXFileFlags,
  planTest,
  type PlanContext,
} from '../scripts/torture/directives.js';
import { parseTortureArgs, selectTests } from '../scripts/torture/options.js';
import {
  exitVerdict,
  finalLine,
  hasDisagreements,
  reportJson,
  summarize,
  type Outcome,
} from '../scripts/torture/report.js';

const ctx: PlanContext = { opt: '-O2', float: 'soft', stackSize: 0x10000 };

describe('directive parsing', () => {
  it('reads directives across lines, with nested lists and quoted words', () => {
    const src = `/* { dg-skip-if "requires io" { avr-*-* } }
   { dg-skip-if "requires io" { freestanding } } */
/* { dg-options "-mtune=i686" { target { { i?86-*-* x86_64-*-* } && ia32 } } } */
int main(void) { return 0; }`;
    expect(parseDirectives(src)).toEqual([
      { name: 'dg-skip-if', args: ['requires io', ['avr-*-*']] },
      { name: 'dg-skip-if', args: ['requires io', ['freestanding']] },
      {
        name: 'dg-options',
        args: ['-mtune=i686', ['target', [['i?86-*-*', 'x86_64-*-*'], '&&', 'ia32']]],
      },
    ]);
  });

  it('globs like TCL string match', () => {
    expect(globMatch('arm*-*-*', 'arm-none-eabi')).toBe(true);
    expect(globMatch('i?86-*-*', 'arm-none-eabi')).toBe(false);
    expect(globMatch('i?86-*-*', 'i686-pc-linux')).toBe(true);
    expect(globMatch('-O[0-2]', '-O1')).toBe(true);
  });

  it('evaluates dg-require-stack-size expressions', () => {
    expect(evalStackExpr('40000 * 4 + 256')).toBe(160256);
    expect(evalStackExpr('0x12000')).toBe(0x12000);
    expect(evalStackExpr('8*100*100')).toBe(80000);
    expect(() => evalStackExpr('exec rm')).toThrow();
  });

  it('takes only top-level lappend lines from .x files', () => {
    const x = `if { [check_effective_target_newlib_nano_io] } {
    lappend additional_flags "-Wl,-u,_printf_float"
}
lappend additional_flags "-fno-trapping-math"
return 0`;
    expect(parseXFileFlags(x)).toEqual(['-fno-trapping-math']);
  });
});

describe('planTest', () => {
  const plan = (src: string, c: PlanContext = ctx) => planTest(src, c);

  it('applies options whose target selector matches arm-none-eabi', () => {
    expect(plan('/* { dg-options "-fgnu89-inline" } */').flags).toEqual(['-fgnu89-inline']);
    expect(plan('/* { dg-options { "-fwrapv" } } */').flags).toEqual(['-fwrapv']);
    expect(
      plan('/* { dg-options "-mno-mmx" { target { x86_64-*-* i?86-*-* } } } */').flags,
    ).toEqual([]);
    expect(
      plan(
        '/* { dg-options "-fnon-call-exceptions" } */\n' +
          '/* { dg-additional-options "-DSIGNAL_SUPPRESS" { target { ! signal } } } */\n' +
          '/* { dg-additional-options "-Og -foptimize-strlen" } */',
      ).flags,
    ).toEqual(['-fnon-call-exceptions', '-Og', '-foptimize-strlen']);
  });

  it('skips tests needing what the target lacks, keeps those it has', () => {
    expect(plan('/* { dg-require-effective-target int128 } */').skip).toBe('requires int128');
    expect(plan('/* { dg-require-effective-target mmap } */').skip).toBe('requires mmap');
    expect(plan('/* { dg-require-effective-target trampolines } */').skip).toBeNull();
    expect(plan('/* { dg-require-effective-target label_values } */').skip).toBeNull();
    expect(plan('/* { dg-require-effective-target frobnicate } */').skip).toBe(
      'unknown effective target frobnicate',
    );
    expect(plan('/* { dg-do compile } */').skip).toBe('dg-do compile');
  });

  it('compares dg-require-stack-size with the promised stack', () => {
    expect(plan('/* { dg-require-stack-size "0x10000" } */').skip).toBeNull();
    expect(plan('/* { dg-require-stack-size "0x12000" } */').skip).toBe(
      'needs 73728 bytes of stack',
    );
  });

  it('honours dg-skip-if selectors and option filters', () => {
    const nonX86 = '/* { dg-skip-if "" { ! { i?86-*-* x86_64-*-* } } } */';
    expect(plan(nonX86).skip).toBe('dg-skip-if');
    const alloca = '/* { dg-skip-if "requires alloca" { ! alloca } { "-O0" } { "" } } */';
    expect(plan(alloca, { ...ctx, opt: '-O0' }).skip).toBeNull();
    const o1 = '/* { dg-skip-if "requires higher optimization" { *-*-* } "-O1" "" } */';
    expect(plan(o1).skip).toBeNull();
    expect(plan(o1, { ...ctx, opt: '-O1' }).skip).toBe('requires higher optimization');
    expect(
      plan('/* { dg-skip-if "PTX assembler bug" { nvptx-*-* } { "-O0" } { "" } } */').skip,
    ).toBe(null);
  });

  it('knows hard_float follows --float', () => {
    const src = '/* { dg-require-effective-target hard_float } */';
    expect(plan(src).skip).toBe('requires hard_float');
    expect(plan(src, { ...ctx, float: 'hard' }).skip).toBeNull();
  });
});

describe('options', () => {
  it('has defaults and accepts dashed or bare levels', () => {
    const o = parseTortureArgs([], 2);
    expect(o).toMatchObject({ opts: ['O2'], float: 'soft', jobs: 2, qemuOnly: false });
    const p = parseTortureArgs(['--opt', '-O0,O2,Os', '--float=hard', '-j', '4', '--qemu-only'], 2);
    expect(p).toMatchObject({ opts: ['O0', 'O2', 'Os'], float: 'hard', jobs: 4, qemuOnly: true });
  });

  it('rejects bad values with a clear message', () => {
    expect(() => parseTortureArgs(['--opt', 'O9'], 2)).toThrow(/not an optimisation level: O9/);
    expect(() => parseTortureArgs(['--float', 'vfp'], 2)).toThrow(/soft or hard/);
    expect(() => parseTortureArgs(['--jobs', '0'], 2)).toThrow(/positive integer/);
    expect(() => parseTortureArgs(['--bogus'], 2)).toThrow(/unknown option --bogus/);
  });

  it('filters by substring', () => {
    expect(selectTests(['pr123', 'va-arg-1', 'ieee/inf-1'], ['va-', 'inf'])).toEqual([
      'va-arg-1',
      'ieee/inf-1',
    ]);
    expect(selectTests(['a', 'b'], [])).toEqual(['a', 'b']);
  });
});

describe('report', () => {
  it('turns exit statuses into verdicts', () => {
    expect(exitVerdict(0, null, null)).toEqual({ pass: true, detail: 'pass' });
    expect(exitVerdict(1, null, null)).toEqual({ pass: false, detail: 'exit 1' });
    expect(exitVerdict(131, null, null)).toEqual({ pass: false, detail: 'HardFault (exit 131)' });
    expect(exitVerdict(null, 'SIGKILL', 10)).toEqual({ pass: false, detail: 'timeout after 10 s' });
    expect(exitVerdict(null, 'SIGSEGV', null).detail).toBe('killed by SIGSEGV');
  });

  const pass = { pass: true, detail: 'pass' };
  const fail = { pass: false, detail: 'exit 1' };
  const outcomes: Outcome[] = [
    { name: 'b', status: 'ran', qemu: pass, f4emu: pass },
    { name: 'a', status: 'ran', qemu: pass, f4emu: fail },
    { name: 'c', status: 'ran', qemu: fail, f4emu: fail },
    { name: 'd', status: 'unsupported', reason: 'ld: region RAM overflowed' },
    { name: 'e', status: 'skipped', reason: 'requires int128' },
  ];

  it('counts, excludes unsupported and skipped from totals, lists disagreements', () => {
    const r = summarize('O2', 'soft', outcomes, false);
    expect(r).toMatchObject({
      opt: 'O2',
      float: 'soft',
      total: 3,
      f4emuPassed: 1,
      qemuPassed: 2,
      unsupported: 1,
      skipped: 1,
      disagreements: ['a'],
      failures: ['c'],
      unsupportedTests: ['d'],
      skippedTests: { e: 'requires int128' },
    });
    expect(r.details).toEqual({
      a: { qemu: 'pass', f4emu: 'exit 1' },
      c: { qemu: 'exit 1', f4emu: 'exit 1' },
    });
    expect(finalLine([r])).toBe('torture: 1 passed, 2 failed');
    expect(hasDisagreements([r])).toBe(true);
    expect(JSON.parse(reportJson([r]))).toMatchObject({ opt: 'O2', total: 3 });
    expect(JSON.parse(reportJson([r, { ...r, opt: 'Os' }]))).toHaveLength(2);
  });

  it('sums the final line over optimisation levels', () => {
    const r = summarize('O2', 'soft', outcomes, false);
    expect(finalLine([r, { ...r, opt: 'O0' }])).toBe('torture: 2 passed, 4 failed');
  });

  it('reports QEMU alone with --qemu-only', () => {
    const qemuOnly: Outcome[] = [
      { name: 'x', status: 'ran', qemu: pass, f4emu: null },
      { name: 'y', status: 'ran', qemu: fail, f4emu: null },
    ];
    const r = summarize('O2', 'soft', qemuOnly, true);
    expect(r).toMatchObject({ total: 2, f4emuPassed: null, qemuPassed: 1, failures: ['y'] });
    expect(r.disagreements).toEqual([]);
    expect(hasDisagreements([r])).toBe(false);
    expect(finalLine([r])).toBe('torture (qemu only): 1 passed, 1 failed');
  });
});
