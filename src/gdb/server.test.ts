import { describe, expect, it } from 'vitest';
import {
  B_SELF,
  CODE,
  NOP,
  bkpt,
  handlerAddress,
  machineWithVectors,
  movs,
  svc,
} from '../../test/helpers/machine.js';
import { Machine } from '../machine/machine.js';
import { MAX_PACKET, ascii, frame, toAscii } from './packets.js';
import { GdbServer } from './server.js';
import { Runner } from '../machine/runner.js';
import { targetXml } from './target.js';

const STR_R0_R1 = 0x6008; // str r0, [r1]
const LDR_R2_R1 = 0x680a; // ldr r2, [r1]
const ITE_EQ = 0xbf0c;
const DATA = 0x20001000;

/** A debugger's view: sends packets, collects the raw bytes the stub answers. */
function connect(m: Machine) {
  const out: string[] = [];
  const events: string[] = [];
  const server = new GdbServer(m, {
    send: (d) => out.push(toAscii(d)),
    onDetach: () => events.push('detach'),
    onKill: () => events.push('kill'),
    onExit: (code) => events.push(`exit ${code}`),
    exitCode: () => 7,
  });
  server.attach();
  // The run loop every front end uses, with the server as its debugger.
  const runner = new Runner(m);
  runner.attachDebugger(server);
  const runSlice = (n: number) => runner.runSync(n);
  const raw = (s: string | Uint8Array) => {
    out.length = 0;
    server.receive(typeof s === 'string' ? ascii(s) : s);
    return out.join('');
  };
  /** Sends one packet; returns the reply payload (running the target until it stops). */
  const cmd = (payload: string | Uint8Array) => {
    let text = raw(frame(typeof payload === 'string' ? ascii(payload) : payload));
    out.length = 0;
    for (let i = 0; i < 100 && server.running; i++) {
      const end = runSlice(1000);
      text += out.join('');
      out.length = 0;
      if (end.kind === 'stop' && end.reason === 'sleep') break; // idle: waits for Ctrl-C
    }
    const match = /\$([^#]*)#[0-9a-f]{2}$/.exec(text);
    if (!text.startsWith('+') || !match) throw new Error(`no reply in '${text}'`);
    return match[1]!;
  };
  return { server, cmd, raw, events, runSlice };
}

describe('packet framing', () => {
  const m = () => machineWithVectors([B_SELF]);

  it('acknowledges good packets and NAKs bad checksums and malformed checksum digits', () => {
    const { raw } = connect(m());
    expect(raw('$?#3f')).toBe('+$S05#b8');
    expect(raw('$?#00')).toBe('-');
    expect(raw('$?#zz')).toBe('-');
  });

  it('assembles packets split across reads, ignores noise and resynchronises on $', () => {
    const { raw } = connect(m());
    expect(raw('noise$q')).toBe('');
    expect(raw('C#b')).toBe('');
    expect(raw('4')).toBe('+$QC1#c5');
    expect(raw('$trunc$qC#b4')).toBe('+$QC1#c5');
  });

  it('resends the last reply on a NAK', () => {
    const { raw } = connect(m());
    raw('$qC#b4');
    expect(raw('-')).toBe('$QC1#c5');
  });

  it('answers an oversized packet with an error, not a crash', () => {
    const { raw } = connect(m());
    const big = frame(ascii('M20000000,1:' + '00'.repeat(MAX_PACKET)));
    expect(raw(big)).toBe('+$E01#a6');
    expect(raw('$qC#b4')).toBe('+$QC1#c5');
  });

  it('answers unknown packets with the empty reply and malformed ones with an error', () => {
    const { cmd } = connect(m());
    expect(cmd('qNoSuchThing')).toBe('');
    expect(cmd('!')).toBe('');
    expect(cmd('mzz,4')).toBe('E01');
    expect(cmd('m20000000')).toBe('E01');
    expect(cmd('M20000000,4:0011')).toBe('E01');
    expect(cmd('Z0,nothex,2')).toBe('E01');
    expect(cmd('p')).toBe('E01');
    expect(cmd('vCont;x')).toBe('E01');
  });

  it('stops acknowledging after QStartNoAckMode', () => {
    const { raw } = connect(m());
    expect(raw('$QStartNoAckMode#b0')).toBe('+$OK#9a');
    expect(raw('$qC#b4')).toBe('$QC1#c5');
  });
});

describe('queries', () => {
  it('advertises features and serves the target description and memory map in chunks', () => {
    const { cmd } = connect(machineWithVectors([B_SELF]));
    const sup = cmd('qSupported:multiprocess+;swbreak+;hwbreak+');
    for (const f of ['PacketSize=4000', 'qXfer:features:read+', 'qXfer:memory-map:read+']) {
      expect(sup).toContain(f);
    }
    for (const f of ['swbreak+', 'hwbreak+', 'vContSupported+']) expect(sup).toContain(f);
    let xml = '';
    for (;;) {
      const part = cmd(`qXfer:features:read:target.xml:${xml.length.toString(16)},100`);
      xml += part.slice(1);
      if (part[0] === 'l') break;
      expect(part[0]).toBe('m');
    }
    expect(xml).toContain('<feature name="org.gnu.gdb.arm.m-profile">');
    expect(xml).toContain('<feature name="org.gnu.gdb.arm.m-system">');
    for (const r of ['r12', 'sp', 'lr', 'pc', 'xpsr', 'msp', 'psp', 'primask', 'control']) {
      expect(xml).toContain(`<reg name="${r}"`);
    }
    const map = cmd('qXfer:memory-map:read::0,3000');
    expect(map[0]).toBe('l');
    expect(map).toMatch(
      /type="flash" start="0x8000000" length="0x10000"><property name="blocksize">0x4000/,
    );
    expect(map).toMatch(
      /type="flash" start="0x8020000" length="0xe0000"><property name="blocksize">0x20000/,
    );
    expect(map).toMatch(/type="flash" start="0x0" length="0x10000"/);
    expect(map).toContain('<memory type="ram" start="0x10000000" length="0x10000"/>');
    expect(map).toContain('<memory type="ram" start="0x20000000" length="0x20000"/>');
    expect(cmd('qXfer:features:read:other.xml:0,100')).toBe('E00');
  });

  it('reports one thread', () => {
    const { cmd } = connect(machineWithVectors([B_SELF]));
    expect(cmd('qfThreadInfo')).toBe('m1');
    expect(cmd('qsThreadInfo')).toBe('l');
    expect(cmd('qC')).toBe('QC1');
    expect(cmd('qAttached')).toBe('1');
    expect(cmd('Hg0')).toBe('OK');
    expect(cmd('T1')).toBe('OK');
    expect(cmd('vCont?')).toBe('vCont;c;C;s;S');
  });
});

describe('registers and memory', () => {
  it('reads and writes registers (g, G, p, P) in target byte order', () => {
    const m = machineWithVectors([B_SELF]);
    const { cmd } = connect(m);
    m.cpu.r[3] = 0x12345678;
    m.cpu.s[2] = 0x3f800000; // d1 = s3:s2
    m.cpu.s[3] = 0x40000000;
    m.cpu.fpscr = 0x03c00000;
    const g = cmd('g');
    // r0-r12 sp lr pc xpsr, msp psp primask basepri faultmask control, d0-d15, fpscr.
    expect(g.length).toBe(23 * 8 + 16 * 16 + 8);
    expect(cmd('p18')).toBe('0000803f00000040'); // d1 (register 24): s2 low word first
    expect(cmd('p27')).toBe('0000c003'); // fpscr (register 39)
    expect(cmd('P18=0000000000000000')).toBe('OK');
    expect(m.cpu.s[3]).toBe(0);
    expect(cmd('P18=00000000')).toBe('E01'); // a 64-bit register needs 8 bytes
    expect(g.slice(24, 32)).toBe('78563412');
    expect(g.slice(15 * 8, 16 * 8)).toBe('00000020'); // pc = CODE
    expect(cmd('p10')).toBe('00000001'); // xpsr: T bit
    expect(cmd('P0=efbeadde')).toBe('OK');
    expect(m.cpu.r[0]).toBe(0xdeadbeef);
    expect(cmd('P13=01000000')).toBe('OK'); // primask
    expect(m.cpu.primask).toBe(1);
    expect(cmd('p63')).toBe('E00');
    expect(targetXml()).toContain('<feature name="org.gnu.gdb.arm.vfp">');
    const regs = g.slice(0, 8) + '11111111' + g.slice(16);
    expect(cmd('G' + regs)).toBe('OK');
    expect(m.cpu.r[1]).toBe(0x11111111);
  });

  it('reads memory, device registers (CPUID) and refuses unmapped addresses', () => {
    const { cmd } = connect(machineWithVectors([NOP, B_SELF]));
    expect(cmd('m20000000,4')).toBe('00bffee7');
    expect(cmd('me000ed00,4')).toBe('41c20f41');
    expect(cmd('m60000000,4')).toBe('E01');
    expect(cmd('m2001fffe,4')).toBe('0000'); // partial read up to the end of SRAM
  });

  it('writes memory with M and binary X (escaped $ # } *)', () => {
    const m = machineWithVectors([B_SELF]);
    const { cmd } = connect(m);
    expect(cmd('M20000100,2:abcd')).toBe('OK');
    const body = [
      ...ascii('X20000200,5:'),
      0x7d,
      0x24 ^ 0x20,
      0x7d,
      0x23 ^ 0x20,
      0x7d,
      0x5d,
      0x7d,
      0x0a,
      0x41,
    ];
    expect(cmd(Uint8Array.from(body))).toBe('OK');
    expect(cmd('m20000200,5')).toBe('24237d2a41');
    expect(cmd('m20000100,2')).toBe('abcd');
    expect(cmd('X20000200,0:')).toBe('OK');
    expect(cmd(Uint8Array.from([...ascii('X20000200,2:'), 0x41, 0x7d]))).toBe('E01');
  });
});

describe('execution control', () => {
  it('software and hardware breakpoints stop without changing memory; continuing steps over', () => {
    const m = machineWithVectors([movs(0, 1), movs(0, 2), movs(0, 3), movs(0, 4), B_SELF]);
    const { cmd, raw, server, runSlice } = connect(m);
    const before = cmd('m20000000,a');
    expect(cmd('Z0,20000004,2')).toBe('OK');
    expect(cmd('Z1,20000006,2')).toBe('OK');
    expect(cmd('m20000000,a')).toBe(before);
    expect(cmd('c')).toBe('T05swbreak:;thread:1;');
    expect(m.cpu.pc).toBe(CODE + 4);
    expect(m.cpu.r[0]).toBe(2);
    expect(cmd('?')).toBe('T05swbreak:;thread:1;');
    expect(cmd('c')).toBe('T05hwbreak:;thread:1;');
    expect(m.cpu.r[0]).toBe(3);
    expect(cmd('z1,20000006,2')).toBe('OK');
    expect(cmd('z0,20000004,2')).toBe('OK');
    m.cpu.setPc(CODE);
    expect(cmd('s')).toBe('T05thread:1;');
    expect(raw('$vCont;c#a8')).toBe('+'); // runs into b .: no stop
    runSlice(100);
    expect(server.running).toBe(true);
  });

  it('a breakpoint set before the code is first decoded, and one inside an IT block, stop', () => {
    // movs r0,#0 (Z=1); ite eq; moveq r1,#1; movne r2,#2 (skipped); b .
    const m = machineWithVectors([movs(0, 0), ITE_EQ, movs(1, 1), movs(2, 2), B_SELF]);
    const { cmd } = connect(m);
    expect(cmd('Z0,20000006,2')).toBe('OK'); // the skipped MOVNE
    expect(cmd('c')).toBe('T05swbreak:;thread:1;');
    expect(m.cpu.pc).toBe(CODE + 6);
    expect(m.cpu.it).not.toBe(0);
    expect(cmd('s')).toBe('T05thread:1;');
    expect(m.cpu.pc).toBe(CODE + 8);
    expect(m.cpu.r[2]).toBe(0);
    expect(m.cpu.it).toBe(0);
  });

  it('single-steps an IT block one instruction at a time', () => {
    const m = machineWithVectors([movs(0, 0), ITE_EQ, movs(1, 1), movs(2, 2), B_SELF]);
    const { cmd } = connect(m);
    const pcs: number[] = [];
    for (let i = 0; i < 4; i++) {
      expect(cmd('vCont;s:1')).toBe('T05thread:1;');
      pcs.push(m.cpu.pc - CODE);
    }
    expect(pcs).toEqual([2, 4, 6, 8]);
    expect(m.cpu.r[1]).toBe(1);
    expect(m.cpu.r[2]).toBe(0);
  });

  it('a step that raises an exception ends at the handler entry', () => {
    const m = machineWithVectors([NOP, svc(0), B_SELF]);
    const { cmd } = connect(m);
    cmd('s');
    expect(cmd('s')).toBe('T05thread:1;');
    expect(m.cpu.pc).toBe(handlerAddress(11));
    expect(m.cpu.ipsr).toBe(11);
  });

  it('write, read and access watchpoints stop after the access with the data address', () => {
    const m = machineWithVectors([
      movs(0, 0x55),
      STR_R0_R1,
      NOP,
      LDR_R2_R1,
      NOP,
      STR_R0_R1,
      B_SELF,
    ]);
    m.cpu.r[1] = DATA + 4;
    const { cmd, raw, server, runSlice } = connect(m);
    expect(cmd('Z2,20001004,4')).toBe('OK');
    expect(cmd('Z3,20001006,1')).toBe('OK');
    expect(cmd('c')).toBe('T05watch:20001004;thread:1;');
    expect(m.cpu.pc).toBe(CODE + 4); // after the store, like the DWT
    expect(cmd('m20001004,1')).toBe('55');
    expect(cmd('c')).toBe('T05rwatch:20001006;thread:1;');
    expect(m.cpu.pc).toBe(CODE + 8);
    expect(m.cpu.r[2]).toBe(0x55);
    expect(cmd('z2,20001004,4')).toBe('OK');
    expect(cmd('z3,20001006,1')).toBe('OK');
    expect(cmd('Z4,20001000,8')).toBe('OK');
    expect(cmd('c')).toBe('T05awatch:20001004;thread:1;');
    expect(cmd('z4,20001000,8')).toBe('OK');
    // Pages back on the fast path: an ordinary access no longer stops.
    m.cpu.setPc(CODE);
    expect(raw('$vCont;c#a8')).toBe('+');
    runSlice(100);
    expect(server.running).toBe(true);
    expect(m.cpu.pc).toBe(CODE + 12);
    expect(m.bus.read32(DATA + 4)).toBe(0x55);
  });

  it('Ctrl-C stops a running target with SIGINT', () => {
    const m = machineWithVectors([B_SELF]);
    const { server, raw, runSlice } = connect(m);
    raw('$c#63');
    expect(server.running).toBe(true);
    const cycles = m.clock.cycles;
    runSlice(1000);
    expect(m.clock.cycles).toBeGreaterThan(cycles);
    expect(raw(Uint8Array.of(3))).toBe('$S02#b5');
    expect(server.running).toBe(false);
    // Virtual time stands still while halted.
    const halted = m.clock.cycles;
    runSlice(1000);
    expect(m.clock.cycles).toBe(halted);
  });

  it('a BKPT stops with SIGTRAP while a debugger is attached', () => {
    const m = machineWithVectors([NOP, bkpt(1), B_SELF]);
    const { cmd, server } = connect(m);
    expect(cmd('c')).toBe('T05thread:1;');
    expect(m.cpu.pc).toBe(CODE + 2);
    expect(m.cpu.ipsr).toBe(0);
    server.close();
    m.run(10);
    expect(m.cpu.ipsr).toBe(3); // without a debugger: HardFault (DEBUGEVT)
  });

  it('reports a lockup as SIGSEGV', () => {
    const m = new Machine({ warn: () => {} }); // blank flash: the reset vector locks up
    const { cmd } = connect(m);
    expect(cmd('c')).toBe('S0B');
    expect(cmd('?')).toBe('S0B');
  });

  it('monitor commands: info (fault report), reset, halt, unknown', () => {
    const m = machineWithVectors([NOP, B_SELF]);
    const { raw } = connect(m);
    const hex = (s: string) => Buffer.from(s).toString('hex');
    const monitor = (c: string) => {
      const text = raw(frame(ascii('qRcmd,' + hex(c))));
      const o = /\$O([0-9a-f]*)#/.exec(text)![1]!;
      expect(text).toMatch(/\$OK#9a$/);
      return Buffer.from(o, 'hex').toString();
    };
    expect(monitor('info')).toMatch(/xpsr 0x01000000 \(thread mode\)/);
    expect(monitor('halt')).toMatch(/halted/);
    expect(monitor('frobnicate')).toMatch(/unknown monitor command/);
    m.cpu.setPc(CODE + 2);
    expect(monitor('reset')).toMatch(/reset/);
  });

  it('D detaches (breakpoints removed), k kills, W reports the exit', () => {
    const m = machineWithVectors([NOP, NOP, B_SELF]);
    const a = connect(m);
    a.cmd('Z0,20000002,2');
    expect(a.cmd('D')).toBe('OK');
    expect(a.events).toEqual(['detach']);
    expect(m.cpu.breakpoints.size).toBe(0);
    const b = connect(m);
    b.raw('$k#6b');
    expect(b.events).toEqual(['kill']);
    const c = connect(m);
    m.requestStop('exit');
    expect(c.cmd('c')).toBe('W07');
    expect(c.events).toEqual(['exit 7']);
  });
});
