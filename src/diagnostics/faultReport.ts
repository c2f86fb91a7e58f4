/**
 * Human-readable state of a stopped core: registers, the fault status decoded into words, the
 * stacked frame of the exception being handled, and symbols for PC and LR.
 */
import type { Machine } from '../machine/machine.js';
import { describeCfsr, describeHfsr, exceptionName } from '../core/faults.js';
import type { SymbolTable } from '../loader/elf.js';

const h = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

export function describeAddress(symbols: SymbolTable | null, addr: number): string {
  const s = symbols?.describe(addr);
  return s ? `${h(addr)} <${s}>` : h(addr);
}

export function faultReport(m: Machine, symbols: SymbolTable | null): string {
  const cpu = m.cpu;
  const scb = m.scb;
  const lines: string[] = [];
  const r = cpu.r;
  for (let i = 0; i < 13; i += 4) {
    const row: string[] = [];
    for (let j = i; j < Math.min(i + 4, 13); j++) row.push(`r${j}`.padStart(3) + ' ' + h(r[j]!));
    lines.push('  ' + row.join('  '));
  }
  lines.push(`   sp ${h(r[13]!)}   lr ${describeAddress(symbols, r[14]!)}`);
  lines.push(`   pc ${describeAddress(symbols, cpu.pc)}`);
  lines.push(
    `  xpsr ${h(cpu.xpsr)} (${cpu.ipsr ? exceptionName(cpu.ipsr) : 'thread mode'})  msp ${h(cpu.msp)}  psp ${h(cpu.psp)}`,
  );
  lines.push(
    `  primask ${cpu.primask}  basepri 0x${cpu.basepri.toString(16)}  faultmask ${cpu.faultmask}  control 0x${cpu.control.toString(16)}`,
  );
  if (scb.cfsr) lines.push(`  CFSR ${h(scb.cfsr)}: ${describeCfsr(scb.cfsr).join(', ')}`);
  if (scb.hfsr) lines.push(`  HFSR ${h(scb.hfsr)}: ${describeHfsr(scb.hfsr).join(', ')}`);
  if (scb.cfsr & (1 << 7)) lines.push(`  MMFAR ${h(scb.mmfar)}`);
  if (scb.cfsr & (1 << 15)) lines.push(`  BFAR ${describeAddress(symbols, scb.bfar)}`);
  if (cpu.ipsr >= 2 && cpu.ipsr <= 6) {
    // The frame the fault stacked: where the program was when it faulted.
    const lr = r[14]!;
    const sp = (lr >>> 28 === 0xf && (lr & 4) !== 0 ? cpu.psp : cpu.msp) >>> 0;
    const peek = (a: number) => {
      let v = 0;
      for (let i = 3; i >= 0; i--) v = (v << 8) | (m.bus.peek8(a + i) ?? 0);
      return v >>> 0;
    };
    if (lr >>> 28 === 0xf && m.bus.isMemory(sp, 32)) {
      lines.push(
        `  stacked frame at ${h(sp)}: pc ${describeAddress(symbols, peek(sp + 24))}  lr ${describeAddress(symbols, peek(sp + 20))}  xpsr ${h(peek(sp + 28))}`,
      );
    }
  }
  return lines.join('\n');
}
