import { describe, expect, it } from 'vitest';
import { Machine } from './machine.js';
import { boot } from './firmware.js';
import { ConsoleOnlyHost, SYS, type SemihostingHost } from './semihosting.js';
import { SymbolTable } from '../loader/elf.js';

const CODE = 0x20000000;
const BLOCK = 0x20001000;
const TEXT = 0x20001100;

/** Boots a tiny image: vector table in flash, `bkpt 0xab` at CODE (in SRAM). */
function setup(host: SemihostingHost, cmdline = '') {
  const m = new Machine({ warn: () => {} });
  const vec = new Uint8Array(8);
  new DataView(vec.buffer).setUint32(0, 0x20010000, true);
  new DataView(vec.buffer).setUint32(4, CODE | 1, true);
  const b = boot(
    m,
    {
      format: 'bin',
      entry: null,
      symbols: new SymbolTable(),
      segments: [{ address: 0x08000000, data: vec, zeroFill: 0 }],
    },
    { semihosting: host, cmdline },
  );
  m.bus.write16(CODE, 0xbeab);
  const call = (op: number, words: number[] = [], arg?: number) => {
    words.forEach((w, i) => m.bus.write32(BLOCK + 4 * i, w));
    m.cpu.setPc(CODE);
    m.cpu.r[0] = op;
    m.cpu.r[1] = arg ?? BLOCK;
    m.cpu.step();
    return m.cpu.r[0]! | 0;
  };
  const putString = (s: string) => {
    const bytes = new TextEncoder().encode(s);
    bytes.forEach((c, i) => m.bus.write8(TEXT + i, c));
    m.bus.write8(TEXT + bytes.length, 0);
    return bytes.length;
  };
  return { m, b, call, putString };
}

function recordingHost() {
  const out: string[] = [];
  const host = new ConsoleOnlyHost((fd, data) =>
    out.push(`${fd}:${new TextDecoder().decode(data)}`),
  );
  return { host, out };
}

describe('semihosting', () => {
  it('writes to the console with WRITE0, WRITEC and WRITE on :tt', () => {
    const { host, out } = recordingHost();
    const { call, putString } = setup(host);
    putString('hello');
    expect(call(SYS.WRITE0, [], TEXT)).toBe(0);
    expect(call(SYS.WRITEC, [], TEXT)).toBe(0);
    const len = putString(':tt');
    const fd = call(SYS.OPEN, [TEXT, 4, len]); // "w" → stdout
    putString('abc');
    expect(call(SYS.WRITE, [fd, TEXT, 3])).toBe(0);
    expect(out).toEqual(['1:hello', '1:h', '1:abc']);
    expect(call(SYS.ISTTY, [fd])).toBe(1);
  });

  it('refuses host files without a directory and SYSTEM always', () => {
    const { host } = recordingHost();
    const { call, putString } = setup(host);
    const len = putString('/etc/passwd');
    expect(call(SYS.OPEN, [TEXT, 0, len])).toBe(-1);
    expect(call(SYS.ERRNO)).toBe(13);
    expect(call(SYS.SYSTEM, [TEXT, len])).toBe(-1);
  });

  it('reports features, heap info, command line and virtual time', () => {
    const { host } = recordingHost();
    const { m, call, putString } = setup(host, 'prog -v');
    const len = putString(':semihosting-features');
    const fd = call(SYS.OPEN, [TEXT, 0, len]);
    expect(call(SYS.READ, [fd, TEXT, 5])).toBe(0);
    expect([0, 1, 2, 3, 4].map((i) => m.bus.read8(TEXT + i))).toEqual([0x53, 0x48, 0x46, 0x42, 3]);
    expect(call(SYS.HEAPINFO, [TEXT])).toBe(0);
    expect(m.bus.read32(TEXT + 8)).toBe(0x20020000);
    expect(call(SYS.GET_CMDLINE, [TEXT + 0x40, 64])).toBe(0);
    expect(m.bus.read32(BLOCK + 4)).toBe(7);
    expect(call(SYS.TICKFREQ)).toBe(1_000_000_000);
    m.clock.cycles = 16_000_000 * 2;
    expect(call(SYS.CLOCK)).toBe(200);
  });

  /** SYS_ELAPSED's 64-bit tick count, low word first. */
  function elapsed(m: Machine, call: (op: number, words?: number[]) => number): number {
    expect(call(SYS.ELAPSED, [0, 0])).toBe(0);
    return m.bus.read32(BLOCK) + m.bus.read32(BLOCK + 4) * 0x100000000;
  }

  it('CLOCK and ELAPSED count virtual time across HCLK changes and never go back', () => {
    const { m, call } = setup(recordingHost().host);
    // 16 MHz HSI for 3 s, then the firmware's PLL: 168 MHz. Each call also runs the one BKPT
    // instruction (a cycle), so the values are read just after the stated instants.
    const base = m.clock.cycles;
    m.clock.cycles = base + 3 * 16_000_000;
    expect(call(SYS.CLOCK)).toBe(300);
    const before = elapsed(m, call);
    expect(before).toBeGreaterThanOrEqual(3e9);
    expect(before).toBeLessThan(3e9 + 1000);
    m.clock.setFrequency(168_000_000);
    // Right after the switch time goes on from 3 s: the old formula (all cycles divided by the
    // new frequency) said 28 centiseconds here.
    expect(call(SYS.CLOCK)).toBe(300);
    expect(elapsed(m, call)).toBeGreaterThan(before);
    m.clock.cycles += 168_000_000 / 2;
    expect(call(SYS.CLOCK)).toBe(350);
    m.clock.setFrequency(42_000_000);
    m.clock.cycles += 42_000_000;
    expect(call(SYS.CLOCK)).toBe(450);
    const ns = elapsed(m, call);
    expect(ns).toBeGreaterThanOrEqual(4.5e9);
    expect(ns).toBeLessThan(4.5e9 + 1000);
  });

  it('EXIT_EXTENDED carries the exit status; EXIT with another reason is status 1', () => {
    const { host } = recordingHost();
    const { m, b, call } = setup(host);
    call(SYS.EXIT_EXTENDED, [0x20026, 42]);
    expect(m.cpu.stopReason).toBe('exit');
    expect(b.semihosting!.exitStatus!.code).toBe(42);
    const s2 = setup(recordingHost().host);
    s2.call(SYS.EXIT, [], 0x20023);
    expect(s2.b.semihosting!.exitStatus!.code).toBe(1);
  });
});
