/**
 * Generates a block's JavaScript function. The instructions keep their meaning from the encoding
 * table: each one calls its encoding's own semantics function (the `exec` the interpreter calls)
 * with its own decoded Insn, so there is no second copy of any instruction's meaning. What the
 * translation removes is the interpreter's work around them: fetch and dispatch (every call site
 * here has one target, which V8 inlines with the Insn's fields), the loop's checks, and the IT
 * bookkeeping, which is known at translation time.
 *
 * After each instruction the block does what the interpreter's loop does, in the same order:
 * ITSTATE advance, PC update, instruction and cycle counts, and the look at `attention`. It
 * leaves as soon as the instruction left the straight line (`nextPc` is not the next address),
 * raised attention, or the clock reached the batch's cycle limit; so it stops exactly where the
 * interpreter would, and a fault inside it is taken by the caller (see Jit) at the same place.
 */
import { conditionPassed } from '../alu.js';
import type { ExecFn, Insn } from '../insn.js';
import type { Block, BlockFn } from './block.js';

/** ITAdvance() (A7.3.3): the ITSTATE after an instruction that ran with `it`. */
export function itAdvance(it: number): number {
  return (it & 7) === 0 ? 0 : (it & 0xe0) | ((it << 1) & 0x1f);
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

/** The source of the block's function body; `E[k]`/`I[k]` are its instructions' exec and Insn. */
export function blockSource(block: Block): string {
  const lines: string[] = [];
  const n = block.insns.length;
  for (let k = 0; k < n; k++) lines.push(`const e${k} = E[${k}], i${k} = I[${k}];`);
  lines.push(`return function block_${block.start.toString(16)}(cpu, cycleLimit) {`);
  lines.push('  const r = cpu.r, clock = cpu.clock;');
  for (let k = 0; k < n; k++) {
    const insn = block.insns[k]!;
    const addr = insn.addr;
    const next = (addr + insn.size) >>> 0;
    const it = block.itBefore[k]!;
    lines.push(`  // ${hex(addr)}: ${insn.encoding.asm(insn).replace(/\*\//g, '* /')}`);
    lines.push(`  cpu.pc = ${hex(addr)}; r[15] = ${hex(addr + 4)}; cpu.nextPc = ${hex(next)};`);
    if (it === 0) lines.push(`  e${k}(cpu, i${k});`);
    else {
      lines.push(`  if (cond(cpu, ${it >>> 4})) e${k}(cpu, i${k});`);
      lines.push(`  if (cpu.it === ${it}) cpu.it = ${itAdvance(it)};`);
    }
    // Where the interpreter's loop would look again: after a branch, on attention, at the limit.
    const counts = `cpu.instructions += ${k + 1}; clock.cycles += ${insn.cycles};`;
    if (k === n - 1) {
      lines.push(`  cpu.pc = cpu.nextPc; ${counts}`);
    } else {
      lines.push(`  clock.cycles += ${insn.cycles};`);
      lines.push(
        `  if (cpu.nextPc !== ${hex(next)} || cpu.attention !== 0 || clock.cycles >= cycleLimit) {`,
      );
      lines.push(`    cpu.pc = cpu.nextPc; cpu.instructions += ${k + 1}; return;`);
      lines.push('  }');
    }
  }
  lines.push('};');
  return lines.join('\n');
}

/** Compiles a block: returns its function and the length of its source. */
export function compileBlock(block: Block): { fn: BlockFn; size: number } {
  const source = blockSource(block);
  const execs: ExecFn[] = block.insns.map((i) => i.exec);
  const insns: Insn[] = block.insns.slice();
  const factory = new Function('E', 'I', 'cond', source) as (
    e: ExecFn[],
    i: Insn[],
    c: typeof conditionPassed,
  ) => BlockFn;
  return { fn: factory(execs, insns, conditionPassed), size: source.length };
}
