/**
 * Wait loops: a block that loops on itself, reading memory and computing with registers only
 * (`while (!flag);`, `while (*p != x);`, `while (!(TIM6->SR & UIF));`), polls state that
 * nothing but an alarm or an interrupt can change: within a batch no other master runs, an
 * interrupt is only taken between batches, and a batch ends at the next alarm. So once an
 * iteration leaves the registers and flags as it found them, having touched no device
 * (Bus.deviceAccesses) but through stable reads, every further iteration until the batch's
 * limit would too. The block then adds the cycles and instructions of the whole iterations
 * after which it would go on, exactly as if it had spun, and runs the rest for real so it
 * stops where the interpreter stops.
 *
 * A device read is stable when the device says so (MmioDevice.readIsStable): a declared
 * peripheral register whose read clears nothing and whose value the model changes only on
 * writes and alarms (a timer's SR, a USART's SR, GPIO IDR, SysTick's CSR while the read did not
 * clear COUNTFLAG). A register computed from the clock may say until when it reads the same
 * (MmioDevice.readStableUntil: a timer's CNT, until its next tick): the loop is then
 * fast-forwarded no further than that, and spins through the tick. A loop reading any other
 * device register is not fast-forwarded: the read may have side effects or change with every
 * cycle (SysTick's CVR, DWT's CYCCNT).
 */
import * as loadStore from '../execute/loadStore.js';
import type { Insn } from '../insn.js';
import type { Block } from './block.js';

/** Loads without writeback or unprivileged access: they change nothing but their register. */
const PLAIN_LOADS: ReadonlySet<unknown> = new Set(
  Object.entries(loadStore)
    .filter(([name]) => /^ldr(|b|sb|h|sh)(Off|Reg|Lit)$/.test(name))
    .map(([, fn]) => fn),
);

/** Registers a piece of inlined code names with a constant index. */
function registersIn(text: string): number[] {
  const found = new Set<number>();
  for (const m of text.matchAll(/\bcpu\s*\.\s*r\s*\[\s*(\d+)\s*\]/g)) found.add(Number(m[1]));
  return [...found];
}

/**
 * The code around a self-loop's body that fast-forwards it, or null when the block is not a
 * wait loop: every instruction register-only or a plain load, inlined, the last one the
 * conditional branch back to the start. `texts` are the instructions' inlined code (null: not
 * inlined), `pure` their register-only flags.
 */
export function waitLoopCode(
  block: Block,
  texts: readonly (string | null)[],
  pure: readonly boolean[],
  entryCycles: number,
  reg: (k: number) => string = (k) => `r[${k}]`,
  flag: (f: string) => string = (f) => `cpu.${f}`,
  /** Where the block keeps the cycle count (`clock.cycles`, or its local). */
  cycles = 'clock.cycles',
): { head: string; tail: string } | null {
  const n = block.insns.length;
  const last: Insn = block.insns[n - 1]!;
  if (!/^(B T1|B T3|CBZ)/.test(last.encoding.name)) return null;
  for (let k = 0; k < n; k++) {
    const text = texts[k];
    if (text === null || text === undefined) return null;
    if (block.itBefore[k] !== 0) return null;
    if (k < n - 1 && !pure[k] && !PLAIN_LOADS.has(block.insns[k]!.exec)) return null;
  }
  // Only then the texts (most loops are no wait loops, and their code can be long).
  const regs = new Set<number>();
  for (const text of texts) {
    // Registers named any other way (a computed index) rule it out.
    if (/\bcpu\s*\.\s*r\b(?!\s*\[\s*\d+\s*\])/.test(text!)) return null;
    for (const r of registersIn(text!)) if (r !== 15) regs.add(r);
  }
  const list = [...regs].sort((a, b) => a - b);
  const flags =
    `(${flag('n')} + 2 * ${flag('z')} + 4 * ${flag('c')} + 8 * ${flag('v')} + ` +
    `16 * cpu.q + 32 * cpu.ge)`;
  const head =
    `  const w$d = cpu.bus.deviceAccesses, w$c = ${cycles}, w$i = cpu.instructions, ` +
    `w$f = ${flags}` +
    list.map((r) => `, w$${r} = ${reg(r)}`).join('') +
    '; cpu.bus.stableUntil = Infinity;';
  const same = list.map((r) => ` && ${reg(r)} === w$${r}`).join('');
  // Whole iterations j = 1..k after each of which the loop would go on: the clock still leaves
  // room for the block's entry (C + j*dc + entryCycles < cycleLimit) and the budget for another
  // iteration (I + j*dn + n <= the instruction limit), as the check before this requires. The
  // loop then runs its next iteration at once, for real (Infinity: nothing to jump to). The
  // iteration's reads of registers computed from the time return the same before
  // bus.stableUntil: iteration j reads before C + j*dc, so C + k*dc <= stableUntil.
  const tail =
    `  if (cpu.bus.deviceAccesses === w$d && ${flags} === w$f${same}) {\n` +
    `    const dc = ${cycles} - w$c, dn = cpu.instructions - w$i;\n` +
    `    const k = Math.min(Math.ceil((cycleLimit - ${cycles} - ${entryCycles}) / dc) - 1, ` +
    `Math.floor((limits.instructions - cpu.instructions - ${n}) / dn), ` +
    `Math.floor((cpu.bus.stableUntil - ${cycles}) / dc));\n` +
    `    if (k > 0 && k !== Infinity && dc > 0 && dn > 0) {\n` +
    `      ${cycles} += k * dc; cpu.instructions += k * dn;\n` +
    `      cpu.jit.stats.fastForwarded += k * dn;\n` +
    `    }\n` +
    `  }`;
  return { head, tail };
}
