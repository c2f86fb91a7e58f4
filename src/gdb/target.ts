/**
 * What GDB learns about the target: the register set (one table drives the target description
 * XML, g/G and p/P) and the memory map. The FPU is org.gnu.gdb.arm.vfp: d0-d15 and fpscr; GDB
 * derives s0-s31 from the d registers.
 */
import type { Cpu } from '../core/cpu.js';
import { STM32F407_BLOCKS, STM32F407_MEMORIES } from '../machine/soc/stm32f407Map.js';

export interface GdbRegister {
  name: string;
  bitsize: 32 | 64;
  type?: 'data_ptr' | 'code_ptr' | 'int' | 'ieee_double';
  group?: 'general' | 'system' | 'float';
  /** The (low) 32-bit word. */
  read(cpu: Cpu): number;
  write(cpu: Cpu, value: number): void;
  /** The high word of a 64-bit register. */
  readHigh?(cpu: Cpu): number;
  writeHigh?(cpu: Cpu, value: number): void;
}

/** d<n> of the FPU: S[2n] is the low word, S[2n+1] the high word. */
const dRegister = (n: number): GdbRegister => ({
  name: `d${n}`,
  bitsize: 64,
  type: 'ieee_double',
  group: 'float',
  read: (cpu) => cpu.s[2 * n]!,
  write: (cpu, v) => void (cpu.s[2 * n] = v),
  readHigh: (cpu) => cpu.s[2 * n + 1]!,
  writeHigh: (cpu, v) => void (cpu.s[2 * n + 1] = v),
});

export interface GdbFeature {
  name: string;
  registers: GdbRegister[];
}

const core = (n: number): GdbRegister => ({
  name: `r${n}`,
  bitsize: 32,
  group: 'general',
  read: (cpu) => cpu.r[n]!,
  write: (cpu, v) => {
    cpu.r[n] = v;
  },
});

const system = (
  name: string,
  read: (cpu: Cpu) => number,
  write: (cpu: Cpu, v: number) => void,
  type?: GdbRegister['type'],
): GdbRegister => ({ name, bitsize: 32, group: 'system', type, read, write });

export const REGISTER_FEATURES: GdbFeature[] = [
  {
    name: 'org.gnu.gdb.arm.m-profile',
    registers: [
      ...Array.from({ length: 13 }, (_, n) => core(n)),
      { ...core(13), name: 'sp', type: 'data_ptr', write: (cpu, v) => void (cpu.r[13] = v & ~3) },
      { ...core(14), name: 'lr' },
      {
        name: 'pc',
        bitsize: 32,
        type: 'code_ptr',
        group: 'general',
        read: (cpu) => cpu.pc,
        write: (cpu, v) => cpu.setPc(v),
      },
      {
        name: 'xpsr',
        bitsize: 32,
        group: 'general',
        read: (cpu) => cpu.xpsr,
        write: (cpu, v) => {
          const control = cpu.control;
          cpu.xpsr = (v & ~0x1ff) | (cpu.ipsr & 0x1ff);
          cpu.setModeAndControl(v & 0x1ff, control); // keeps r13 the active stack pointer
        },
      },
    ],
  },
  {
    name: 'org.gnu.gdb.arm.m-system',
    registers: [
      system(
        'msp',
        (c) => c.msp,
        (c, v) => void (c.msp = v),
        'data_ptr',
      ),
      system(
        'psp',
        (c) => c.psp,
        (c, v) => void (c.psp = v),
        'data_ptr',
      ),
      system(
        'primask',
        (c) => c.primask,
        (c, v) => void (c.primask = v & 1),
        'int',
      ),
      system(
        'basepri',
        (c) => c.basepri,
        (c, v) => void (c.basepri = v & 0xff),
        'int',
      ),
      system(
        'faultmask',
        (c) => c.faultmask,
        (c, v) => void (c.faultmask = v & 1),
        'int',
      ),
      system(
        'control',
        (c) => c.control,
        (c, v) => c.setModeAndControl(c.ipsr, v & 7),
        'int',
      ),
    ],
  },
  {
    name: 'org.gnu.gdb.arm.vfp',
    registers: [
      ...Array.from({ length: 16 }, (_, n) => dRegister(n)),
      {
        name: 'fpscr',
        bitsize: 32,
        type: 'int',
        group: 'float',
        read: (cpu) => cpu.fpscr,
        write: (cpu, v) => void (cpu.fpscr = v & 0xf7c0009f),
      },
    ],
  },
];

/** Registers in GDB's numbering (the order of the target description). */
export const REGISTERS: GdbRegister[] = REGISTER_FEATURES.flatMap((f) => f.registers);

export function targetXml(): string {
  const lines = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    '<architecture>arm</architecture>',
  ];
  let regnum = 0;
  for (const f of REGISTER_FEATURES) {
    lines.push(`<feature name="${f.name}">`);
    for (const r of f.registers) {
      const type = r.type ? ` type="${r.type}"` : ' type="uint32"';
      const group = r.group ? ` group="${r.group}"` : '';
      lines.push(
        `<reg name="${r.name}" bitsize="${r.bitsize}" regnum="${regnum++}"${type}${group}/>`,
      );
    }
    lines.push('</feature>');
  }
  lines.push('</target>');
  return lines.join('\n') + '\n';
}

const hex = (v: number) => '0x' + (v >>> 0).toString(16);

/** STM32F407 flash sectors: 4 x 16 KB, 1 x 64 KB, 7 x 128 KB (1 MB), as GDB flash blocks. */
function flashBlocks(base: number): string[] {
  const runs = [
    { offset: 0, length: 0x10000, block: 0x4000 },
    { offset: 0x10000, length: 0x10000, block: 0x10000 },
    { offset: 0x20000, length: 0xe0000, block: 0x20000 },
  ];
  return runs.map(
    (r) =>
      `<memory type="flash" start="${hex(base + r.offset)}" length="${hex(r.length)}">` +
      `<property name="blocksize">${hex(r.block)}</property></memory>`,
  );
}

/**
 * The memory map, from the SoC table: flash (and its boot alias at 0) as flash in its sectors,
 * system memory as rom, the RAMs, bit-band aliases and every block's registers as ram (GDB
 * refuses accesses outside the map, and reads registers only when asked). Adjacent ram ranges
 * are merged, so the map stays short; reserved gaps stay out of it, as they fault on the bus.
 */
export function memoryMapXml(): string {
  const ranges = [...STM32F407_MEMORIES, ...STM32F407_BLOCKS]
    .map((r) => ({ kind: 'kind' in r ? r.kind : 'ram', start: r.base, end: r.base + r.size }))
    .sort((a, b) => a.start - b.start);
  const merged: typeof ranges = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && last.kind === 'ram' && r.kind === 'ram' && last.end === r.start) last.end = r.end;
    else merged.push({ ...r });
  }
  const entries = merged.flatMap((r) => {
    if (r.kind === 'flash') {
      if (r.end - r.start !== 0x100000) throw new Error('flash sector layout is for 1 MB flash');
      return flashBlocks(r.start);
    }
    return [`<memory type="${r.kind}" start="${hex(r.start)}" length="${hex(r.end - r.start)}"/>`];
  });
  return (
    [
      '<?xml version="1.0"?>',
      '<!DOCTYPE memory-map PUBLIC "+//IDN gnu.org//DTD GDB Memory Map V1.0//EN" "http://sourceware.org/gdb/gdb-memory-map.dtd">',
      '<memory-map>',
      ...entries,
      '</memory-map>',
    ].join('\n') + '\n'
  );
}
