/** The one run loop: pacing on virtual nanoseconds, script steps, input, debugger, trace. */
import { describe, expect, it } from 'vitest';
import { bootPrebuilt } from '../../test/helpers/prebuilt.js';
import { ConsoleOnlyHost } from './semihosting.js';
import { Machine } from './machine.js';
import { Runner, type DebugEndpoint, type RunnerHost } from './runner.js';
import { nodeRunnerHost } from '../host/runnerHost.js';

const booted = (name: string): Machine => bootPrebuilt(name);

/**
 * A host whose wall clock moves only when the runner waits on a timer (and by `perYield` ms at
 * each yield): pacing can be checked exactly, without real time.
 */
function fakeHost(perYield = 0) {
  const host = {
    wall: 0,
    samples: [] as { wall: number; nanos: number }[],
    machine: null as Machine | null,
    now: () => host.wall,
    setTimer: (ms: number, fn: () => void) => {
      let live = true;
      queueMicrotask(() => {
        if (!live) return;
        host.wall += ms;
        fn();
      });
      return () => (live = false);
    },
    yield: async () => {
      host.wall += perYield;
      if (host.machine) host.samples.push({ wall: host.wall, nanos: host.machine.clock.nanos });
    },
  } satisfies RunnerHost & Record<string, unknown>;
  return host;
}

describe('Runner pacing', () => {
  it('keeps virtual time with the wall clock across the PLL switch (no burst, no stall)', async () => {
    // The demo switches HCLK from the 16 MHz HSI to 168 MHz within its first milliseconds.
    const m = booted('demo.elf');
    const host = fakeHost();
    host.machine = m;
    const runner = new Runner(m, { host, speed: 'realtime', wallTimeoutMs: 1000 });
    const end = await runner.run();
    expect(end).toEqual({ kind: 'stop', reason: 'timeout' });
    expect(m.clock.frequency).toBe(168e6);
    // Never ahead of the wall clock, and at the end within one pacing wait (20 ms) of it.
    for (const s of host.samples) expect(s.nanos).toBeLessThanOrEqual(s.wall * 1e6 + 1e3);
    expect(m.clock.nanos / 1e6).toBeGreaterThan(1000 - 21);
    expect(m.clock.nanos / 1e6).toBeLessThanOrEqual(1000 + 1e-3);
  });

  it('runs a speed factor of the wall clock', async () => {
    const m = booted('demo.elf');
    const host = fakeHost();
    const runner = new Runner(m, { host, speed: 4, wallTimeoutMs: 250 });
    await runner.run();
    expect(m.clock.nanos / 1e6).toBeGreaterThan(1000 - 4 * 21);
    expect(m.clock.nanos / 1e6).toBeLessThanOrEqual(1000 + 1e-3);
  });
});

describe('Runner script steps', () => {
  it('waits for a text or a regular expression, sends, and stops where the match completes', () => {
    const m = booted('demo.elf');
    const runner = new Runner(m);
    runner.push({ expect: /SYSCLK (\d+) MHz/ });
    expect(runner.runSync()).toEqual({ kind: 'script-done' });
    expect(runner.lastSeen).toMatch(/SYSCLK 168 MHz$/);
    runner.push({ expect: 'Enter for status\r\n' }, { send: '\r' }, { expect: 'B1 is up' });
    expect(runner.runSync()).toEqual({ kind: 'script-done' });
    expect(runner.lastSeen).toMatch(/^\r\nuptime 0\.\d s, LD4 green lit/);
  });

  it('matches ^ and $ at line boundaries in regular expressions', () => {
    const m = booted('demo.elf');
    const runner = new Runner(m);
    runner.push({ expect: /^ {2}CPU: Cortex-M4F/ }, { expect: /^ {2}chip: (\w+)/ });
    expect(runner.runSync()).toEqual({ kind: 'script-done' });
    expect(runner.lastSeen).toMatch(/chip: STM32F407$/);
    // '^' does not match mid-line, right after the previous match.
    runner.push({ expect: /^ \(IDCODE/, timeoutNs: 1e8 });
    expect(runner.runSync()).toMatchObject({ kind: 'script-failed', why: 'expect-timeout' });
  });

  it('gives an expect step a budget of virtual time (default 10 s)', () => {
    const m = booted('demo.elf');
    const runner = new Runner(m);
    runner.push({ expect: 'never printed' });
    const end = runner.runSync();
    expect(end.kind).toBe('script-failed');
    if (end.kind !== 'script-failed') return;
    expect(end.why).toBe('expect-timeout');
    expect(end.virtualMs).toBeCloseTo(10_000, 0);
    expect(end.lastLines.join('\n')).toMatch(/Enter for status/);
    expect(m.clock.nanos / 1e9).toBeCloseTo(10, 2);
  });

  it('reports how an awaited text was missed when the machine stops first', () => {
    const m = booted('tests/svc.elf');
    const runner = new Runner(m);
    runner.push({ expect: 'never printed' });
    const end = runner.runSync();
    expect(end).toMatchObject({ kind: 'script-failed', waitingFor: 'never printed' });
  });
});

describe('Runner input and sleep', () => {
  it('delivers input queued from the host to the console', async () => {
    const m = bootPrebuilt('console-echo.elf', { semihosting: new ConsoleOnlyHost(() => {}) });
    // Paced as on a terminal: flat out, the echo loop's wait for input (polling USART SR, a
    // wait loop the translator skips) would use up the step's 10 virtual seconds before the
    // host's timer fires.
    const runner = new Runner(m, { host: nodeRunnerHost, speed: 'realtime' });
    runner.push({ expect: 'echo ready\r\n> ' });
    expect(await runner.run()).toEqual({ kind: 'script-done' });
    // Input from the host's event loop reaches the console at a slice boundary.
    const close = runner.openInput();
    setTimeout(() => runner.input(null, [...Buffer.from('hi\r')]), 5);
    runner.push({ expect: 'you said: HI' });
    const end = await runner.run();
    expect(end).toEqual({ kind: 'script-done' });
    close();
  });

  it('lets the wall time a sleeping core waited for input pass on the virtual clock', async () => {
    // A reset handler that sleeps with nothing scheduled: wfi; b wfi.
    const m = new Machine({ warn: () => {} });
    const code = [0xbf30, 0xe7fd];
    const view = new DataView(m.flash.bytes.buffer, m.flash.bytes.byteOffset);
    view.setUint32(0, 0x20001000, true);
    view.setUint32(4, 0x08000009, true);
    view.setUint16(8, code[0]!, true);
    view.setUint16(10, code[1]!, true);
    m.reset();
    const host = fakeHost();
    const runner = new Runner(m, { host });
    expect(new Runner(m).runSync()).toEqual({ kind: 'stop', reason: 'sleep' });
    const before = m.clock.nanos; // the PHY's auto-negotiation was the last thing scheduled
    const close = runner.openInput();
    const done = runner.run();
    await new Promise((r) => setTimeout(r, 10));
    host.wall += 250; // a quarter of a second passes while the guest sleeps
    runner.quit('test over');
    expect(await done).toEqual({ kind: 'quit', why: 'test over' });
    expect((m.clock.nanos - before) / 1e6).toBeCloseTo(250, 3);
    close();
  });
});

describe('Runner with a debugger and a trace', () => {
  it('runs nothing while the debugger holds the target, and hands it every stop', () => {
    const m = booted('demo.elf');
    const stops: string[] = [];
    const debug: DebugEndpoint & { holding: boolean } = {
      holding: true,
      onTargetStop: (reason) => {
        stops.push(reason);
        debug.holding = true;
        return true;
      },
    };
    const runner = new Runner(m);
    runner.attachDebugger(debug);
    expect(runner.runSync()).toEqual({ kind: 'stop', reason: 'halt' });
    expect(m.cpu.instructions).toBe(0);
    debug.holding = false;
    m.cpu.addBreakpoint(m.cpu.pc + 2);
    expect(runner.runSync()).toEqual({ kind: 'stop', reason: 'halt' });
    expect(stops).toEqual(['breakpoint']);
  });

  it('calls the trace before every instruction, the first after a wake-up from WFI too', () => {
    const m = booted('demo.elf');
    const pcs: number[] = [];
    // 5M instructions: the demo's boot, then WFI sleeps woken by SysTick and its LED timer.
    const runner = new Runner(m, { trace: (pc) => pcs.push(pc), maxInstructions: 5_000_000 });
    expect(runner.runSync()).toEqual({ kind: 'stop', reason: 'limit' });
    expect(m.clock.nanos).toBeGreaterThan(100e6); // it did sleep and wake many times
    expect(pcs.length).toBe(5_000_000);
    expect(m.cpu.instructions).toBe(5_000_000);
  });
});
