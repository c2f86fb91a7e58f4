/**
 * --stack-check's main (MSP) stack: bounds from the linker's symbols (CMSIS __StackLimit /
 * __StackTop); a push loop runs SP down through the limit and the check stops the machine at the
 * first store below it. Without the symbols nothing is guarded.
 */
import { describe, expect, it } from 'vitest';
import { CODE, machineWithVectors, STACK_TOP } from '../../test/helpers/machine.js';
import { SymbolTable, type ElfSymbol } from '../loader/elf.js';
import { attachDiagnostics } from './attach.js';
import { noDiagnostics } from './options.js';

const PUSH_R0_R3 = 0xb40f;
const B_BACK = 0xe7fd; // b CODE (from CODE + 2)
const LIMIT = STACK_TOP - 0x100;

function setup(symbols: ElfSymbol[]) {
  const m = machineWithVectors([PUSH_R0_R3, B_BACK]);
  const lines: string[] = [];
  const image = {
    format: 'elf' as const,
    segments: [],
    entry: CODE,
    symbols: new SymbolTable(symbols),
  };
  const diag = attachDiagnostics(
    m,
    image,
    { ...noDiagnostics(), stackCheck: true },
    {
      line: (t) => lines.push(t),
    },
  );
  return { m, diag, lines };
}

describe('--stack-check on the main stack', () => {
  it('stops at the first push below __StackLimit', () => {
    const { m, diag } = setup([
      { name: '__StackLimit', value: LIMIT, size: 0, type: 0 },
      { name: '__StackTop', value: STACK_TOP, size: 0, type: 0 },
      { name: 'loop', value: CODE | 1, size: 4, type: 2 },
    ]);
    const reason = m.run(10_000);
    expect(reason).toBe('breakpoint');
    expect(diag.stoppedRun).toBe(true);
    const [f] = diag.findings.list;
    expect(f?.message).toBe(
      `stack overflow in the main stack (MSP): 4-byte store at 0x${(LIMIT - 16).toString(16)}, ` +
        `16 bytes below its stack [0x${LIMIT.toString(16)}, 0x${STACK_TOP.toString(16)}) ` +
        `(SP 0x${LIMIT.toString(16)}) at loop`,
    );
    // 0x100 bytes of pushes (16 each) fit; the 17th push crosses, its first store (r0) lowest.
    expect(m.cpu.instructions).toBe(2 * 16 + 1);
  });

  it('guards nothing when the image does not say where the stack ends', () => {
    const { m, diag } = setup([]);
    expect(m.run(200)).toBe('limit');
    expect(diag.findings.list).toEqual([]);
  });
});
