/**
 * The one run loop. Every front end — the terminal, `--expect`/`--send` scripts, the GDB
 * server, `--trace`, SerialConsole in tests, a browser worker — drives the machine through a
 * Runner: it owns slicing, the wall-clock budget, pacing to the wall clock, script steps and
 * stop reasons; front ends attach to it as endpoints (console output, input queues, a debugger).
 *
 * Platform-neutral: wall time, timers and yielding come from a RunnerHost (Node's setImmediate
 * in host/, a MessageChannel in a worker). Without a host, `runSync` runs flat out on virtual
 * time alone (tests, SerialConsole).
 *
 * Time: pacing compares the clock's monotonic nanoseconds with the wall clock, so a PLL switch
 * does not make the guest burst ahead or stall; `--expect` steps have a budget of virtual time.
 */
import type { StopReason } from '../core/cpu.js';
import type { Machine } from './machine.js';
import { Transcript, type Awaited } from './transcript.js';
import { USART_BLOCKS } from './soc/stm32f407Map.js';

export interface RunnerHost {
  /** Monotonic wall-clock milliseconds. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
  /** Resolves once the host has served its pending I/O (sockets, terminal input). */
  yield(): Promise<void>;
}

/** A serial port as the runner sees it: the USART's host calls. */
export interface SerialPortLike {
  onTx: (byte: number) => void;
  send(bytes: Iterable<number>): void;
}

/** A debugger attached to the runner (the GDB server). */
export interface DebugEndpoint {
  /** The debugger holds the target halted: no slices run and virtual time stands still. */
  readonly holding: boolean;
  /**
   * The machine stopped (breakpoint, watchpoint, fault, exit...). True when the debugger takes
   * the stop (it reports it and holds the target); false to end the run as without a debugger.
   */
  onTargetStop(reason: StopReason): boolean;
}

export type ScriptStep =
  | { expect: Awaited; timeoutNs?: number; maxInstructions?: number }
  | { send: string | Iterable<number> }
  | { pressButton: true; ms?: number };

export type ExpectFailure = 'expect-timeout' | 'timeout' | 'limit' | StopReason;

export type RunEnd =
  /** The machine stopped (exit, lockup, ...) or a limit ended the run. */
  | { kind: 'stop'; reason: StopReason | 'timeout' }
  /** The host ended the run (Ctrl-A X, a debugger's kill). */
  | { kind: 'quit'; why: string }
  /** Every script step was done. */
  | { kind: 'script-done' }
  /** An awaited text did not come: why, after how much virtual time, the last console lines. */
  | {
      kind: 'script-failed';
      waitingFor: Awaited;
      why: ExpectFailure;
      virtualMs: number;
      lastLines: string[];
    };

export type Speed = 'realtime' | 'max' | number;

export interface RunnerOptions {
  /** Console port ('USART2'...), or null for the first USART that transmits. */
  console?: string | null;
  /** Ports a front end bridges elsewhere (`--serial`): never taken as the console. */
  reservedPorts?: string[];
  /** Pacing: the wall clock's pace ('realtime' = 1), a factor of it, or flat out ('max'). */
  speed?: Speed;
  /** Total instructions after which the run stops with 'limit'. */
  maxInstructions?: number;
  /** Wall-clock milliseconds after which the run stops with 'timeout' (needs a host). */
  wallTimeoutMs?: number;
  /** Virtual nanoseconds each `expect` step may wait (default 10 s). */
  expectTimeoutNs?: number;
  host?: RunnerHost | null;
  /** Called before each instruction (`--trace`); slices then run an instruction at a time. */
  trace?: ((pc: number) => void) | null;
}

const SLICE_INSTRUCTIONS = 2_000_000;
const TRACE_SLICE = 20_000;
/**
 * Pacing never lets the guest catch up more than this much wall time (ms) after the host
 * stalled or could not keep up: beyond it the guest's clock falls behind instead of bursting.
 */
const MAX_CATCH_UP_MS = 200;
/** The longest pacing wait (ms): a guest idle until a far alarm is still looked at this often. */
const MAX_PACING_WAIT_MS = 100;
/** The least guest time a paced slice runs (ns). */
const MIN_SLICE_NS = 1e6;

type Tick = { kind: 'continue' } | { kind: 'wait'; ms: number } | { kind: 'end'; end: RunEnd };
const CONTINUE: Tick = { kind: 'continue' };

export class Runner {
  readonly transcript = new Transcript();
  /** The console text from the previous match to the end of the last one. */
  lastSeen = '';
  /** Console output, byte by byte (the terminal, a browser's xterm). */
  onConsoleOutput: (byte: number) => void = () => {};
  /** The console port once known (chosen, or the first that transmitted). */
  consolePort: string | null;
  trace: ((pc: number) => void) | null;
  speed: Speed;

  private readonly ports = new Map<string, SerialPortLike>();
  private readonly script: ScriptStep[] = [];
  private stepStartNs = 0;
  private stepStartInstructions = 0;
  private stepStarted = false;
  private readonly pendingInput: { port: string | null; bytes: number[] }[] = [];
  private openInputs = 0;
  private debug: DebugEndpoint | null = null;
  private holdUntilDebugger = false;
  private ended: RunEnd | null = null;
  private hostStop = false;
  private wakeUp: (() => void) | null = null;
  /** Pacing origin: wall ms and virtual ns that correspond. */
  private paceWall = 0;
  private paceNs = 0;
  /** Wall ms when the core went to sleep waiting for input with nothing scheduled. */
  private idleSince: number | null = null;
  private wallDeadline = Infinity;
  private readonly host: RunnerHost | null;
  private readonly maxInstructions: number;
  private readonly expectTimeoutNs: number;

  constructor(
    readonly machine: Machine,
    options: RunnerOptions = {},
  ) {
    this.host = options.host ?? null;
    this.speed = options.speed ?? 'max';
    this.trace = options.trace ?? null;
    this.maxInstructions = options.maxInstructions ?? Infinity;
    this.expectTimeoutNs = options.expectTimeoutNs ?? 10e9;
    this.consolePort = options.console ?? null;
    const reserved = new Set(options.reservedPorts ?? []);
    for (const name of USART_BLOCKS) {
      const port = machine.peripherals.get(name) as unknown as SerialPortLike | undefined;
      if (!port || typeof port.send !== 'function') continue;
      this.ports.set(name, port);
      if (reserved.has(name)) continue;
      const previous = port.onTx;
      port.onTx = (byte) => {
        previous(byte);
        this.consoleByte(name, byte);
      };
    }
    if (this.host !== null) {
      const now = this.host.now();
      this.paceWall = now;
      if (options.wallTimeoutMs !== undefined && Number.isFinite(options.wallTimeoutMs)) {
        this.wallDeadline = now + options.wallTimeoutMs;
      }
    }
    this.paceNs = machine.clock.nanos;
  }

  /** A serial port of the chip by name ('USART3'), for front ends that bridge it. */
  port(name: string): SerialPortLike | undefined {
    return this.ports.get(name);
  }

  /** The port console input goes to: the console, or the board's until one transmitted. */
  get inputPort(): string {
    return this.consolePort ?? this.machine.board.description.console;
  }

  // ---- endpoints ----

  /** Attaches a debugger; with `holdAtReset` nothing runs until it says so (`--wait-gdb`). */
  attachDebugger(debug: DebugEndpoint): void {
    this.debug = debug;
  }

  /** Runs nothing until a debugger holds or releases the target (`--wait-gdb`). */
  holdForDebugger(hold: boolean): void {
    this.holdUntilDebugger = hold;
    this.wake();
  }

  /**
   * Registers a source of input (a terminal, a TCP client): while one is open, a core asleep
   * with nothing scheduled waits for it instead of ending the run. Returns the close function.
   */
  openInput(): () => void {
    this.openInputs++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.openInputs--;
      this.wake();
    };
  }

  /**
   * Bytes for a port's receiver (null: the console). Delivered at the start of the next slice,
   * after virtual time has caught up with the wall clock for a sleeping core.
   */
  input(port: string | null, bytes: Iterable<number>): void {
    this.pendingInput.push({ port, bytes: Array.from(bytes) });
    this.wake();
  }

  /** Adds script steps (done in order, after those already queued). */
  push(...steps: ScriptStep[]): void {
    this.script.push(...steps);
  }

  /**
   * Ends the run at the next slice boundary (Ctrl-A X, a debugger's kill): host events arrive
   * between slices, so the current one needs no stop.
   */
  quit(why: string): void {
    if (this.ended === null) this.ended = { kind: 'quit', why };
    this.wake();
  }

  /** Something happened that may let a waiting run continue (input, a debugger packet). */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  // ---- running ----

  /** Runs until the run ends, yielding to the host between slices. */
  async run(): Promise<RunEnd> {
    const host = this.host;
    if (host === null) throw new Error('Runner.run needs a host (use runSync without one)');
    this.paceWall = host.now(); // pacing starts with the run, not with the set-up before it
    this.paceNs = this.machine.clock.nanos;
    for (;;) {
      const t = this.tick(true);
      if (t.kind === 'end') return t.end;
      if (t.kind === 'continue') {
        await host.yield();
        continue;
      }
      const left = this.wallDeadline - host.now();
      await new Promise<void>((resolve) => {
        let cancel: () => void = () => {};
        const done = () => {
          cancel();
          if (this.wakeUp === done) this.wakeUp = null;
          resolve();
        };
        this.wakeUp = done;
        const ms = Math.max(0, Math.min(t.ms, left));
        if (Number.isFinite(ms)) cancel = host.setTimer(ms, done);
      });
    }
  }

  /**
   * Runs flat out on virtual time until the run ends (or `budget` more instructions ran),
   * without a host: nothing external can arrive, so a core asleep with nothing scheduled ends
   * it, and so does a debugger holding the target ('halt').
   */
  runSync(budget = Infinity): RunEnd {
    const cpu = this.machine.cpu;
    const end = cpu.instructions + budget;
    for (;;) {
      const t = this.tick(false, end);
      if (t.kind === 'end') return t.end;
      if (t.kind === 'wait') {
        // Only a debugger holding the target makes a run without a host wait.
        return { kind: 'stop', reason: 'halt' };
      }
      if (cpu.instructions >= end) return { kind: 'stop', reason: 'limit' };
    }
  }

  /** One slice: what the run loop should do next. */
  private tick(canWait: boolean, instructionEnd = Infinity): Tick {
    const machine = this.machine;
    const cpu = machine.cpu;
    const clock = machine.clock;
    const now = this.host?.now() ?? 0;
    this.catchUpIdle(now);
    if (this.ended !== null) return this.end(this.ended);
    this.deliverInput();
    const scripted = this.advanceScript();
    if (scripted !== null) return scripted;
    if (cpu.instructions >= this.maxInstructions) return this.stopped('limit');
    if (now >= this.wallDeadline) return this.stopped('timeout');
    if (this.holdUntilDebugger || this.debug?.holding) {
      this.paceWall = now; // time stands still while halted: no catching up afterwards
      this.paceNs = clock.nanos;
      return { kind: 'wait', ms: Infinity };
    }

    let cycles = Infinity;
    let instructions = Math.min(
      this.trace ? TRACE_SLICE : SLICE_INSTRUCTIONS,
      Math.min(this.maxInstructions, instructionEnd) - cpu.instructions,
    );
    const factor = this.speed === 'max' ? 0 : this.speed === 'realtime' ? 1 : this.speed;
    if (factor > 0 && this.host !== null) {
      let allowedNs = (now - this.paceWall) * 1e6 * factor - (clock.nanos - this.paceNs);
      const maxCatchUpNs = MAX_CATCH_UP_MS * 1e6 * factor;
      if (allowedNs > maxCatchUpNs) {
        // The host stalled or cannot keep up: don't burst to catch up.
        this.paceWall = now;
        this.paceNs = clock.nanos - maxCatchUpNs;
        allowedNs = maxCatchUpNs;
      }
      // Run once there is something worth running: a millisecond of guest time, or for a
      // sleeping core its next alarm (input wakes the runner sooner). Without this floor a
      // sub-millisecond wall clock would run a sliver after every yield and spin.
      let needNs = MIN_SLICE_NS;
      if (cpu.sleeping) {
        const due = clock.nextDue();
        const untilDue = due === Infinity ? Infinity : clock.cyclesToNanos(due - clock.cycles);
        // At least every 100 ms, so virtual time keeps up with the wall clock meanwhile.
        needNs = Math.min(untilDue, MAX_PACING_WAIT_MS * 1e6 * factor);
      }
      if (allowedNs < needNs) {
        const ms = (needNs - allowedNs) / 1e6 / factor;
        return { kind: 'wait', ms: Math.min(MAX_PACING_WAIT_MS, Math.max(1, ms)) };
      }
      cycles = clock.cyclesForNanos(allowedNs);
    }
    const step = this.script[0];
    if (step !== undefined && 'expect' in step) {
      const leftNs = this.stepStartNs + (step.timeoutNs ?? this.expectTimeoutNs) - clock.nanos;
      if (leftNs <= 0) return this.failed(step.expect, 'expect-timeout');
      cycles = Math.min(cycles, clock.cyclesForNanos(leftNs));
      if (step.maxInstructions !== undefined) {
        const left = this.stepStartInstructions + step.maxInstructions - cpu.instructions;
        if (left <= 0) return this.failed(step.expect, 'limit');
        instructions = Math.min(instructions, left);
      }
    }

    const reason = this.trace
      ? this.traced(instructions, cycles)
      : machine.run(instructions, cycles);
    switch (reason) {
      case 'limit':
        return CONTINUE;
      case 'halt':
        if (this.hostStop) {
          this.hostStop = false;
          return CONTINUE;
        }
        break;
      case 'sleep':
      case 'input':
        // Asleep with nothing scheduled (or a semihosting read waiting for input): only input
        // or a debugger can change that.
        if (canWait && (this.openInputs > 0 || this.debug !== null)) {
          this.idleSince = now;
          return { kind: 'wait', ms: Infinity };
        }
        if (reason === 'input' && this.openInputs === 0) return CONTINUE; // the read sees EOF
        return this.stopped(reason);
    }
    if (this.debug !== null && this.debug.onTargetStop(reason)) return CONTINUE;
    return this.stopped(reason);
  }

  /** `--trace`: an instruction at a time, the trace callback before each. */
  private traced(instructions: number, cycles: number): StopReason {
    const machine = this.machine;
    const clock = machine.clock;
    const cycleEnd = clock.cycles + cycles;
    for (let i = 0; i < instructions; i++) {
      if (machine.cpu.sleeping) {
        // Wake first, so the handler's first instruction is traced like any other.
        const woken = machine.sleepUntilWake(cycleEnd - clock.cycles);
        if (woken !== 'limit') return woken;
        if (machine.cpu.sleeping) break; // out of cycles
      }
      this.trace!(machine.cpu.pc);
      const reason = machine.run(1, cycleEnd - clock.cycles);
      if (reason !== 'limit') return reason;
      if (clock.cycles >= cycleEnd) break;
    }
    return 'limit';
  }

  /**
   * A core that slept with nothing scheduled while the runner waited for input: the wall time
   * it waited passes on the virtual clock too, before the input arrives (as on the chip).
   */
  private catchUpIdle(now: number): void {
    const since = this.idleSince;
    if (since === null) return;
    this.idleSince = null;
    const machine = this.machine;
    if (!machine.cpu.sleeping || now <= since) return;
    const factor = typeof this.speed === 'number' ? this.speed : 1;
    machine.run(Infinity, machine.clock.cyclesForNanos((now - since) * 1e6 * factor));
  }

  private deliverInput(): void {
    for (const { port, bytes } of this.pendingInput.splice(0)) {
      this.ports.get(port ?? this.inputPort)?.send(bytes);
    }
  }

  private consoleByte(name: string, byte: number): void {
    if (this.consolePort === null) this.consolePort = name;
    if (name !== this.consolePort) return;
    this.onConsoleOutput(byte);
    // The awaited text just completed: stop the slice here, so what the script does next
    // (send, press the button) happens at this virtual time, not a slice later.
    if (this.transcript.append(byte)) {
      this.hostStop = true;
      this.machine.requestStop('halt');
    }
  }

  /** Does the script steps that can be done now; the end of the run when none is left. */
  private advanceScript(): Tick | null {
    if (this.script.length === 0) return null;
    const machine = this.machine;
    for (;;) {
      const s = this.script[0];
      if (s === undefined) return this.end({ kind: 'script-done' });
      if (!this.stepStarted) {
        this.stepStarted = true;
        this.stepStartNs = machine.clock.nanos;
        this.stepStartInstructions = machine.cpu.instructions;
      }
      if ('pressButton' in s) {
        machine.board.click(s.ms);
      } else if ('send' in s) {
        const bytes =
          typeof s.send === 'string' ? Array.from(s.send, (c) => c.charCodeAt(0) & 0xff) : s.send;
        this.ports.get(this.inputPort)?.send(bytes);
      } else {
        this.transcript.awaiting = s.expect;
        const seen = this.transcript.take(s.expect);
        if (seen === null) return null;
        this.transcript.awaiting = null;
        this.lastSeen = seen;
      }
      this.script.shift();
      this.stepStarted = false;
    }
  }

  private failed(waitingFor: Awaited, why: ExpectFailure): Tick {
    const ns = this.machine.clock.nanos - this.stepStartNs;
    this.script.length = 0;
    this.stepStarted = false;
    this.transcript.awaiting = null;
    return this.end({
      kind: 'script-failed',
      waitingFor,
      why,
      virtualMs: ns / 1e6,
      lastLines: this.transcript.lastLines(),
    });
  }

  /** The run ends for `reason`; while a script waits for a text, that is how its step failed. */
  private stopped(reason: StopReason | 'timeout'): Tick {
    const step = this.script[0];
    if (step !== undefined && 'expect' in step) return this.failed(step.expect, reason);
    return this.end({ kind: 'stop', reason });
  }

  private end(end: RunEnd): Tick {
    this.ended = null;
    return { kind: 'end', end };
  }
}
