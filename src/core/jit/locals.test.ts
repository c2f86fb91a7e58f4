/**
 * The two source rewrites behind a block's locals: registers and flags as locals (locals.ts)
 * and shared temporaries (hoist.ts). Their effect on whole programs is checked by the lockstep
 * and both-ways tests; these pin down what each rewrite accepts and what it refuses.
 */
import { describe, expect, it } from 'vitest';
import { hoistTemporaries } from './hoist.js';
import { conditionOnLocals, localize } from './locals.js';
import { conditionPassed } from '../alu.js';

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('registers and flags as locals', () => {
  it('register writes truncate as a Uint32Array store does; R15 reads are the constant', () => {
    const l = localize('cpu.r[3] = cpu.r[1] + cpu.r[15];', 0x1004, null)!;
    expect(squash(l.text)).toBe('R3 = ( R1 + 0x1004 ) >>> 0 ;');
    expect([...l.written]).toEqual(['R3']);
    expect([...l.used].sort()).toEqual(['R1', 'R3']);
    // Evaluated, the local holds what the typed array would.
    const R1 = 0xffffffff;
    const run = new Function('R1', `let R3; ${l.text} return R3;`) as (x: number) => number;
    const typed = new Uint32Array(1);
    typed[0] = R1 + 0x1004;
    expect(run(R1)).toBe(typed[0]);
  });

  it('setReg keeps its SP alignment; flags and the ALU scratch become locals', () => {
    const l = localize('cpu.setReg(13, x); cpu.c = $0_alu.carry; y = cpu.n;', 0, '$0_alu')!;
    expect(squash(l.text)).toBe('R13 = ( ( x ) & ~ 3 ) >>> 0 ; FC = AC ; y = FN ;');
    expect([...l.written].sort()).toEqual(['FC', 'R13']);
  });

  it('refuses what could touch the state another way: the core passed on, a computed index', () => {
    expect(localize('f(cpu);', 0, null)).toBeNull();
    expect(localize('cpu.r[i] = 1;', 0, null)).toBeNull();
    expect(localize('cpu.r[2] += 1;', 0, null)).toBeNull();
    expect(localize('x = cpu.apsr;', 0, null)).toBeNull();
    expect(localize('cpu.bxWritePC(x);', 0, null)).toBeNull();
    expect(localize('x = (cpu.r[1] = 2);', 0, null)).toBeNull();
  });

  it('puts a memory access in line with the call as its slow path', () => {
    const l = localize('const v = cpu.memU32(cpu.r[2]);', 0, null)!;
    expect(l.accesses).toBe(1);
    expect(l.text).toContain('bus . corePage32 [ M$a0 >>> 16 ]');
    expect(l.text).toContain('cpu . memU32 ( M$a0 )');
    const s = localize('cpu.writeU16(cpu.r[2], cpu.r[3]);', 0, null)!;
    expect(s.text).toContain('bus . coreWritable [ M$p0 ] === 1 && ( M$a0 & 1 ) === 0');
    expect(s.text).toContain('bus . onCodeWrite ( M$a0 >>> 0 , 2 )');
  });

  it('conditions on the flag locals agree with ConditionPassed for every flag value', () => {
    for (let cond = 0; cond < 16; cond++) {
      const test = new Function('FN', 'FZ', 'FC', 'FV', `return ${conditionOnLocals(cond)};`);
      for (let f = 0; f < 16; f++) {
        const flags = { n: f & 1, z: (f >> 1) & 1, c: (f >> 2) & 1, v: (f >> 3) & 1 };
        const cpu = flags as unknown as Parameters<typeof conditionPassed>[0];
        expect(test(flags.n, flags.z, flags.c, flags.v), `cond ${cond} flags ${f}`).toBe(
          conditionPassed(cpu, cond),
        );
      }
    }
  });
});

describe('shared temporaries', () => {
  it('renames declarations by scope, shadowing included, and resets uninitialised ones', () => {
    const h = hoistTemporaries(
      'let t; { const x = 1; { const x = 2; t = x; } t += x; } r[0] = t;',
    )!;
    expect(h.count).toBe(3);
    expect(squash(h.text)).toBe(
      'V$0 = undefined ; { V$1 = 1 ; { V$2 = 2 ; V$0 = V$2 ; } V$0 += V$1 ; } r [ 0 ] = V$0 ;',
    );
    const run = new Function('r', `let V$0, V$1, V$2; ${h.text}`) as (r: number[]) => void;
    const r = [0];
    run(r);
    expect(r[0]).toBe(3);
  });

  it('leaves labels, properties and conditional expressions alone; refuses patterns', () => {
    const h = hoistTemporaries('const a = 1; H: { b = c ? a : d; o.a = a; break H; }')!;
    expect(squash(h.text)).toBe('V$0 = 1 ; H : { b = c ? V$0 : d ; o . a = V$0 ; break H ; }');
    expect(hoistTemporaries('const { a } = o;')).toBeNull();
    expect(hoistTemporaries('const f = function () {};')).toBeNull();
  });
});
