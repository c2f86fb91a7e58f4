/**
 * The two source rewrites behind a block's locals: registers and flags as locals (locals.ts)
 * and shared temporaries (hoist.ts). Their effect on whole programs is checked by the lockstep
 * and both-ways tests; these pin down what each rewrite accepts and what it refuses.
 */
import { describe, expect, it } from 'vitest';
import { hoistTemporaries } from './hoist.js';
import { conditionOnLocals, localize } from './locals.js';
import { conditionPassed } from '../alu.js';
import { CpuFault } from '../faults.js';
import { Machine } from '../../machine/machine.js';
import { decodeRaw } from '../decode/cache.js';
import { allEncodings } from '../decode/table.js';
import { inlineInsn } from './inline.js';
import { Block } from './block.js';
import { blockSource, mayBranch } from './codegen.js';
import { COND, t16 as br16 } from '../encode/branch.js';
import { t16 as dp16 } from '../encode/dataProcessing.js';

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
    expect(localize('cpu.exc.exceptionReturn(x);', 0, null)).toBeNull();
    expect(localize('y = cpu.bxWritePC(x);', 0, null)).toBeNull();
    expect(localize('x = (cpu.r[1] = 2);', 0, null)).toBeNull();
  });

  it('BXWritePC in line, its exception return and EPSR.T paths on the core between markers', () => {
    const bx = localize('cpu.bxWritePC(cpu.r[14]);', 0, null)!;
    expect(bx.synced).toBe(true);
    expect([...bx.used]).toEqual(['R14']);
    expect(bx.written.size).toBe(0);
    // Run it with the markers counted: the fast path only for a Thumb address outside an
    // exception return; the core's method, between SYNC$ and RELOAD$, otherwise.
    const calls: string[] = [];
    const run = new Function(
      'cpu',
      'R14',
      'SYNC',
      'RELOAD',
      `let M$a0; const SYNC$ = 0, RELOAD$ = 0; ${bx.text.replace(/SYNC\$ ;/, 'SYNC();').replace(/RELOAD\$ ;/, 'RELOAD();')}`,
    ) as (cpu: unknown, r14: number, s: () => void, r: () => void) => void;
    for (const [ipsr, lr, slow] of [
      [0, 0x08000101, false],
      [0, 0xfffffff9, false], // thread mode: an ordinary (odd) address
      [3, 0x08000101, false],
      [3, 0xfffffff9, true], // EXC_RETURN in Handler mode
      [0, 0x08000100, true], // bit 0 clear: EPSR.T = 0
    ] as const) {
      calls.length = 0;
      const cpu = {
        ipsr,
        nextPc: 0,
        bxWritePC: (a: number) => calls.push(`bx ${a.toString(16)}`),
      };
      run(
        cpu,
        lr,
        () => calls.push('sync'),
        () => calls.push('reload'),
      );
      const label = `ipsr ${ipsr} lr ${lr.toString(16)}`;
      if (slow) expect(calls, label).toEqual(['sync', `bx ${lr.toString(16)}`, 'reload']);
      else {
        expect(calls, label).toEqual([]);
        expect(cpu.nextPc, label).toBe((lr & ~1) >>> 0);
      }
    }
  });

  it('an access in line reads and writes what the core method does, fast path or slow', () => {
    const m = new Machine({ warn: () => {} });
    const load = localize('cpu.r[3] = cpu.memU32(cpu.r[2]);', 0, null)!;
    const store = localize('cpu.writeU16(cpu.r[2], cpu.r[3]);', 0, null)!;
    expect([load.accesses, store.accesses]).toEqual([1, 1]);
    expect([load.exposed, store.exposed]).toEqual([false, false]);
    // As in a block: the clock's cycle count in the local CY (stored back at the end), the
    // instruction's address for PC$; S$ says whether a call ran (returned with R3).
    const run = (text: string) =>
      new Function(
        'cpu',
        'bus',
        'R2',
        'R3',
        'const clock = cpu.clock; let CY = clock.cycles, C$ = 1, T$, S$ = 0, M$a0, M$v0, M$p0; ' +
          `${text.replace(/PC\$/g, '0x8000abc')}; clock.cycles = CY; return [R3, S$];`,
      ) as (c: unknown, b: unknown, r2: number, r3: number) => [number, number];
    const doLoad = run(load.text);
    const doStore = run(store.text);
    m.bus.write32(0x20000100, 0xcafef00d);
    m.bus.write32(0x20000104, 0x12345678);
    // SRAM and flash (the page tables), unaligned SRAM and a device (the method's slow path,
    // which sets the PC for a fault and S$).
    for (const [addr, slow] of [
      [0x20000100, 0],
      [0x08000000, 0],
      [0x20000102, 1],
      [0x40023800, 1],
      [0xe000ed00, 1],
    ] as const) {
      m.cpu.pc = 0;
      expect(doLoad(m.cpu, m.bus, addr, 0), `load at ${addr.toString(16)}`).toEqual([
        m.cpu.memU32(addr),
        slow,
      ]);
      expect(m.cpu.pc).toBe(slow === 1 ? 0x8000abc : 0);
    }
    const seen: number[] = [];
    m.bus.onCodeWrite = (addr) => seen.push(addr);
    expect(doStore(m.cpu, m.bus, 0x20000106, 0xbeef)[1]).toBe(0);
    expect(m.bus.read32(0x20000104)).toBe(0xbeef5678);
    expect(seen).toEqual([]);
    m.bus.codePages[0x2000] = 1; // a page holding decoded code: the store must say so
    expect(doStore(m.cpu, m.bus, 0x20000108, 0x1111)[1]).toBe(1);
    expect(seen).toEqual([0x20000108]);
    m.bus.write32(0xe000ed14, m.bus.read32(0xe000ed14) | 8); // CCR.UNALIGN_TRP
    expect(() => doStore(m.cpu, m.bus, 0x20000101, 1)).toThrow(CpuFault);
    expect(() => m.cpu.writeU16(0x20000101, 1)).toThrow(CpuFault);
    // A device read in the slow path sees the block's cycle count (its local CY), not the
    // field's older value, and CY takes back what the clock has after it: DWT's CYCCNT.
    m.bus.write32(0xe000edfc, 1 << 24); // DEMCR.TRCENA
    m.bus.write32(0xe0001000, 1); // DWT_CTRL.CYCCNTENA
    const timed = new Function(
      'cpu',
      'bus',
      'CY0',
      'const clock = cpu.clock; let CY = CY0, C$ = 1, T$, S$ = 0, M$a0, M$v0, M$p0;' +
        `let R2 = 0xe0001004, R3 = 0; ${load.text.replace(/PC\$/g, '0')}; ` +
        'return [R3, CY, clock.cycles];',
    ) as (c: unknown, b: unknown, cy: number) => [number, number, number];
    const base = m.cpu.clock.cycles;
    const [before] = timed(m.cpu, m.bus, base + 1000);
    const [after, cy, field] = timed(m.cpu, m.bus, base + 5000);
    expect((after - before) >>> 0).toBe(4000);
    expect([cy, field]).toEqual([base + 5000, base + 5000]);
  });

  it('says when code reaches the core other than through its calls (exposed)', () => {
    const exposed = (text: string) => localize(text, 0x100, null)?.exposed;
    expect(exposed('cpu.r[1] = cpu.r[2] + cpu.r[15];')).toBe(false);
    expect(exposed('cpu.r[1] = cpu.memU8(cpu.r[2]); cpu.c = 1;')).toBe(false);
    expect(exposed('if (cpu.r[1] === 0) throw new $1_CpuFault(6, 1);')).toBe(true);
    expect(exposed('cpu.r[1] = $2_helper(cpu.r[2]);')).toBe(true);
    expect(exposed('cpu.it = 8;')).toBe(true);
    expect(exposed('cpu.setReg(15, cpu.r[2]);')).toBe(true);
    // The cycle count and a branch in line are the block's own locals (CY, N$), said apart.
    const clock = localize('cpu.clock.cycles += 2;', 0x100, null)!;
    expect([clock.exposed, clock.clocked, clock.localNext]).toEqual([false, true, false]);
    const branch = localize('if (cpu.z === 1) cpu.branchWritePC(cpu.r[15] + 8);', 0x100, null)!;
    expect([branch.exposed, branch.clocked, branch.localNext]).toEqual([false, false, true]);
    expect(branch.text).toContain('N$ = ( ( 0x100 + 8 ) & ~ 1 ) >>> 0');
    // Not both N$ and the core's nextPc: such code runs on the core.
    expect(localize('cpu.branchWritePC(cpu.nextPc);', 0x100, null)).toBeNull();
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

describe('sync points', () => {
  it('every encoding runs on locals in a block except the few that must run on the core', () => {
    // A sync point costs a store of the block's locals and a reload of all of them. LDM, STM,
    // PUSH and POP (their register-list loops unrolled by fold.ts), the parallel arithmetic
    // (arrow functions) and the memory hints (no parameters) used to be among them. This pins
    // which instructions run on locals (a matter of speed); that they run exactly as on the core
    // is what the both-ways, lockstep and Unicorn differential runs through blocks check.
    const notInlined: string[] = [];
    const onCore: string[] = [];
    for (const e of allEncodings()) {
      // The fixed bits, and a few operand bits set so register fields are not all zero.
      const raw = (e.value | (~e.mask & 0x21212121)) >>> 0;
      const insn = decodeRaw(e.size === 32 ? raw : raw & 0xffff, e.size === 32 ? 4 : 2, 0x1000);
      if (insn.encoding !== e) continue; // a more specific encoding, or UNPREDICTABLE
      const text = inlineInsn(insn, 0, () => {});
      if (text === null) notInlined.push(e.name);
      else if (localize(text, 0x1004, null) === null) onCore.push(e.name);
    }
    expect(notInlined).toEqual(['BKPT T1']);
    expect(onCore.sort()).toEqual(
      ['QADD T1', 'QDADD T1', 'QDSUB T1', 'QSUB T1', 'SEV T1', 'SEV T2', 'SVC T1']
        .concat(['WFE T1', 'WFE T2', 'WFI T1', 'WFI T2'])
        .sort(),
    );
  });
});

describe('IT in a block', () => {
  /** `cmp r0, #1; ite eq; movs r1, #1; movs r1, #2; adds r2, #1` at 0x1000, with ITSTATEs. */
  function itBlock(): Block {
    const hw = [dp16.cmpImm(0, 1), br16.it(COND.eq, 'e'), dp16.movImm(1, 1)];
    hw.push(dp16.movImm(1, 2), dp16.addImm8(2, 1));
    let addr = 0x1000;
    const insns = hw.map((h) => {
      const i = decodeRaw(h, 2, addr);
      addr += 2;
      return i;
    });
    const it = insns[1]!.imm & 0xff;
    const itBefore = [0, 0, it, ((it & 0xe0) | ((it << 1) & 0x1f)) & 0xff, 0];
    return new Block(0x1000, insns, itBefore, true, [0x1002, 0x1004, 0x1006, 0x1008, 0x100a]);
  }

  it('outside an IT block, IT only sets ITSTATE: no check, no PC store, as register-only', () => {
    const b = itBlock();
    // Its check for an IT inside an IT block (UNPREDICTABLE) reads the known ITSTATE.
    expect(squash(inlineInsn(b.insns[1]!, 0, () => {})!)).toBe(
      `L: { cpu . it = ${b.itBefore[2]} ; }`,
    );
    expect(inlineInsn(b.insns[1]!, b.itBefore[2]!, () => {})).toMatch(/\bthrow\b/);
    const source = blockSource(b).source;
    expect(source).toContain(`cpu . it = ${b.itBefore[2]} ;`);
    expect(source).not.toMatch(/cpu\.pc = 0x1002;|cpu\.nextPc/);
  });
});

describe('which instructions may branch (a next-PC store and check after them)', () => {
  const at = (raw: number, size: 2 | 4) => {
    const insn = decodeRaw(raw, size, 0x1000);
    return mayBranch(
      insn,
      inlineInsn(insn, 0, () => {}),
    );
  };
  it('FP code writing S15 or writing back its base register does not; a write of R15 does', () => {
    expect(at(0xeee67a87, 4)).toBe(false); // vfma.f32 s15, s13, s14 (S15 is no PC)
    expect(at(0xecf26a01, 4)).toBe(false); // vldmia r2!, {s13} (SetReg of r2)
    expect(at(0xed997a00, 4)).toBe(false); // vldr s14, [r9]
    expect(at(dp16.addHi(15, 0), 2)).toBe(true); // add pc, r0
    expect(at(dp16.movHi(15, 1), 2)).toBe(true); // mov pc, r1
  });
});
