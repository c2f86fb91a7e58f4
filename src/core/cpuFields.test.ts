/**
 * The core's PC, next PC and ITSTATE, and an instruction's immediate and encoding, stay fields
 * in which V8 keeps small integers unboxed (the constructors in cpu.ts and insn.ts): a
 * machine's first reset loads PC 0xFFFFFFFE from the erased vector table, the IT instruction's
 * immediate comes from a field that also holds large immediates, and 32-bit encodings and some
 * immediates are large themselves; in a plain field any of them turns it into a boxed double
 * for the rest of the process (the interpreter then took 1.3-1.5 times as long). Checked in a
 * child Node that can print an object's fields (--allow-natives-syntax), on the built modules
 * (npm test builds), with a plain class as the control that shows the check sees a boxed field.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/src/', import.meta.url));
const QSORT = fileURLToPath(new URL('../../firmware/prebuilt/bench/qsort.elf', import.meta.url));

/** The line of a %DebugPrint dump that shows field `name`. */
function field(dump: string, name: string): string {
  const line = dump.split('\n').find((l) => l.includes(`#${name}:`));
  if (line === undefined) throw new Error(`no field ${name} in the dump`);
  return line;
}

describe("the core's hot fields", () => {
  it('stay unboxed through a blank reset, IT blocks and large immediates; a plain field does not', () => {
    expect(fs.existsSync(path.join(DIST, 'machine/machine.js')), 'npm run build').toBe(true);
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'f4emu-fields-')), 't.mjs');
    const dist = (p: string): string => JSON.stringify(path.join(DIST, p));
    fs.writeFileSync(
      script,
      `import fs from 'node:fs';
const { Machine } = await import(${dist('machine/machine.js')});
const { boot } = await import(${dist('machine/firmware.js')});
const { parseImage } = await import(${dist('loader/image.js')});
const { NodeSemihostingHost } = await import(${dist('host/semihostingFs.js')});
class Plain { pc = 0; }
const control = new Plain();
control.pc = 0xfffffffe;
control.pc = 0x100;
%DebugPrint(control);
const m = new Machine({ warn: () => {}, jit: false });
console.error('blank', m.cpu.pc.toString(16));
const io = { write: () => {}, read: () => new Uint8Array(0) };
boot(m, parseImage(fs.readFileSync(${JSON.stringify(QSORT)}), 'qsort.elf'), { semihosting: new NodeSemihostingHost(io, null) });
m.run(3_000_000);
console.error('ran', m.cpu.instructions);
%DebugPrint(m.cpu);
%DebugPrint(m.cpu.fetch(m.cpu.pc));
`,
    );
    // The dumps go through the engine's own output (in order); the script's lines to stderr.
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', script], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    expect(r.status, r.stderr).toBe(0);
    const [, control, cpu, insn] = r.stdout.split(/^DebugPrint:/m);
    // The blank machine's reset still loads the erased vector (the chip's behaviour).
    expect(r.stderr).toContain('blank fffffffe');
    expect(r.stderr).toContain('ran 3000000');
    expect(field(control!, 'pc'), 'the control: a plain field is boxed').toContain('HeapNumber');
    for (const name of ['pc', 'nextPc', 'it']) {
      expect(field(cpu!, name), name).not.toContain('HeapNumber');
    }
    // An instruction's immediate and encoding, which also hold large values (insn.ts).
    for (const name of ['imm', 'raw']) {
      expect(field(insn!, name), name).not.toContain('HeapNumber');
    }
  });
});
