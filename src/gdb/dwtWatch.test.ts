/**
 * The DWT's comparators with a GDB session: a DWT watchpoint halts the target for GDB (a
 * halting debugger comes before DebugMonitor, ARMv7-M ARM C1.5), and the DWT's watchpoints and
 * GDB's own (Z2-Z4) share the bus's watch list without wiping each other.
 */
import { describe, expect, it } from 'vitest';
import { B_SELF, CODE, NOP, machineWithVectors, movs } from '../../test/helpers/machine.js';
import type { Machine } from '../machine/machine.js';
import { Runner } from '../machine/runner.js';
import { ascii, frame, toAscii } from './packets.js';
import { GdbServer } from './server.js';

const STR_R0_R1 = 0x6008; // str r0, [r1]
const STR_R0_R2 = 0x6010; // str r0, [r2]
const DATA = 0x20001000;
const DWT_COMP0 = 0xe0001020;
const DWT_FUNCTION0 = 0xe0001028;
const DEMCR = 0xe000edfc;
const TRCENA = 1 << 24;
const MON_EN = 1 << 16;

function connect(m: Machine) {
  const out: string[] = [];
  const server = new GdbServer(m, { send: (d) => out.push(toAscii(d)) });
  server.attach();
  const runner = new Runner(m);
  runner.attachDebugger(server);
  const cmd = (payload: string) => {
    out.length = 0;
    server.receive(frame(ascii(payload)));
    for (let i = 0; i < 100 && server.running; i++) runner.runSync(1000);
    const match = /\$([^#]*)#[0-9a-f]{2}$/.exec(out.join(''));
    if (!match) throw new Error(`no reply in '${out.join('')}'`);
    return match[1]!;
  };
  return { server, cmd };
}

/** movs r0,#0x55; str r0,[r1]; nop; str r0,[r2]; nop; b . */
function machine(): Machine {
  const m = machineWithVectors([movs(0, 0x55), STR_R0_R1, NOP, STR_R0_R2, NOP, B_SELF]);
  m.cpu.r[1] = DATA;
  m.cpu.r[2] = DATA + 0x100;
  m.bus.write32(DEMCR, TRCENA | MON_EN);
  return m;
}

describe('DWT watchpoints under GDB', () => {
  it('a DWT write watchpoint halts for GDB after the store, not DebugMonitor', () => {
    const m = machine();
    const { cmd } = connect(m);
    m.bus.write32(DWT_COMP0, DATA);
    m.bus.write32(DWT_FUNCTION0, 6);
    expect(cmd('c')).toBe('T05thread:1;');
    expect(m.cpu.pc).toBe(CODE + 4);
    expect(m.cpu.ipsr).toBe(0);
    expect(m.bus.read32(DATA)).toBe(0x55);
    // Continuing runs on (the store is not repeated) to the idle loop.
    m.bus.write32(DWT_FUNCTION0, 0);
    expect(cmd('s')).toBe('T05thread:1;');
    expect(m.cpu.pc).toBe(CODE + 6);
  });

  it("GDB's watchpoints survive the DWT being programmed, and the DWT's survive z2", () => {
    const m = machine();
    const { cmd } = connect(m);
    expect(cmd('Z2,20001100,4')).toBe('OK'); // GDB watches the second store
    m.bus.write32(DWT_COMP0, DATA);
    m.bus.write32(DWT_FUNCTION0, 6); // the DWT the first
    expect(cmd('c')).toBe('T05thread:1;'); // the DWT's
    expect(m.cpu.pc).toBe(CODE + 4);
    expect(cmd('c')).toBe('T05watch:20001100;thread:1;'); // GDB's, still there
    expect(m.cpu.pc).toBe(CODE + 8);
    expect(cmd('z2,20001100,4')).toBe('OK');
    expect(m.bus.watchpointList.map((w) => w.address)).toEqual([DATA]);
  });

  it('a DWT PC match halts before the instruction; continuing executes it once', () => {
    const m = machine();
    const { cmd } = connect(m);
    m.bus.write32(DWT_COMP0, CODE + 2);
    m.bus.write32(DWT_FUNCTION0, 4);
    expect(cmd('c')).toBe('T05thread:1;');
    expect(m.cpu.pc).toBe(CODE + 2);
    expect(m.bus.read32(DATA)).toBe(0);
    expect(cmd('s')).toBe('T05thread:1;');
    expect(m.cpu.pc).toBe(CODE + 4);
    expect(m.bus.read32(DATA)).toBe(0x55);
  });
});
