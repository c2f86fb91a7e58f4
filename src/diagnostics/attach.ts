/**
 * The diagnostics a run asks for (--leak-check, --stack-check, --trace-calls, --abi-check),
 * attached to a booted machine through call hooks, with one findings list and one report
 * format. Browser-safe: output goes to the callbacks the front end gives.
 */
import type { LoadedImage } from '../loader/elf.js';
import type { Machine } from '../machine/machine.js';
import { CallHooks, type Call } from './callHooks.js';
import { Findings, formatFinding, groupDigits, hex8 } from './findings.js';
import { busMemory, type GuestMemory } from './guestMemory.js';
import { LeakCheck } from './leakCheck.js';
import { allocatorFamily, HeapBlocks, type Block } from './heapBlocks.js';
import { HeapStacks } from './heapStacks.js';
import type { DiagOptions } from './options.js';
import { TaskList, type TaskInfo } from './tasks.js';
import { symbolize, type DebugInfo } from './unwind.js';
import { TraceCalls } from './traceCalls.js';
import { PromptWatcher } from './promptWatch.js';
import { AbiCheck, checkTypeSizes } from './abiCheck.js';
import type { ElfSection } from '../loader/elfSections.js';
import { StackCheck } from './stackCheck.js';
import { NUTTX } from './abi/nuttx.js';
import { withNewlibErrno } from './abi/newlib.js';

/** Functions a task ends in: NuttX's exit hook, the test OS's task_exit. */
const TASK_EXIT_FUNCTIONS = ['nxtask_exithook', 'task_exit'];
/** NuttX's shell prompt: the leak check's checkpoint between two commands. */
const NSH_PROMPT = 'nsh> ';
/** The largest main stack scanned as a root (from MSP up to the initial MSP). */
const MAX_MAIN_STACK = 0x10000;

export interface DiagOutput {
  /** A finding or a trace line, as it happens (stderr or the log file). */
  line(text: string): void;
}

export class AttachedDiagnostics {
  readonly findings = new Findings();
  readonly hooks: CallHooks;
  readonly memory: GuestMemory;
  leak: LeakCheck | null = null;
  /** The allocator's live blocks, when a check needs them. */
  heap: HeapBlocks | null = null;
  trace: TraceCalls | null = null;
  abi: AbiCheck | null = null;
  stack: StackCheck | null = null;
  /** Compilation units whose DWARF described shared types (--abi-check). */
  private typeUnits = 0;
  /** A diagnostic stopped the run (a stack overflow). */
  stoppedRun = false;
  /** NuttX's shell prompt ends a command: a leak checkpoint. */
  private readonly prompts = new PromptWatcher(NSH_PROMPT, (command) => this.commandDone(command));
  private commandSeq = 0;
  private taskList: TaskList | null | undefined;
  /** The reset value of MSP: the main stack's top. */
  private readonly initialMsp: number;

  constructor(
    readonly machine: Machine,
    readonly image: LoadedImage,
    readonly options: DiagOptions,
    private readonly out: DiagOutput,
    /** Unwind tables and line info, when the ELF has them (debugInfoFromSections). */
    readonly debug?: DebugInfo,
    /** The ELF's sections (DWARF type information for --abi-check). */
    readonly sections: readonly ElfSection[] = [],
  ) {
    this.hooks = new CallHooks(machine.cpu, image.symbols);
    if (image.symbols.size === 0) {
      out.line(
        `diagnostics: the image has no symbols (a ${image.format === 'elf' ? 'stripped ELF' : `.${image.format} file`}): ` +
          'they need the ELF with its symbol table to find functions, tasks and stacks',
      );
    }
    this.memory = busMemory(machine.bus);
    this.initialMsp = machine.cpu.r[13]!;
    this.findings.onFinding = (f) => out.line(formatFinding(f));
    // Task stacks as heap blocks when the OS publishes no task list (and has an allocator).
    const heapStacks =
      options.stackCheck && !this.tasks() && allocatorFamily(image.symbols) !== undefined;
    if (options.leakCheck || heapStacks) {
      this.heap = new HeapBlocks({
        hooks: this.hooks,
        symbols: image.symbols,
        unwind: (call) => this.unwind(call),
        currentTask: () => this.taskName(this.tasks()?.current()),
      });
    }
    if (options.leakCheck) {
      this.leak = new LeakCheck({
        heap: this.heap!,
        memory: this.memory,
        findings: this.findings,
        symbolize: (pc) => this.symbolize(pc),
        currentTask: () => this.taskName(this.tasks()?.current()),
        roots: () => this.roots(),
        stackScanStart: (block) => this.taskStacks().get(block)?.[0],
      });
    }
    if (options.stackCheck) {
      this.sayStackSource(heapStacks);
      const heap = this.heap;
      this.stack = new StackCheck({
        machine,
        hooks: this.hooks,
        findings: this.findings,
        tasks: () => this.tasks(),
        taskName: (t) => this.taskName(t)!,
        backtraceHere: () => this.backtraceHere(),
        inStaticObject: (addr) => this.objectAt(addr) !== undefined,
        mainStack: () => this.mainStack(),
        symbolize: (pc, ret) => symbolize(pc, this.image.symbols, this.debug?.lines, ret),
        heapStacks:
          heap && heapStacks ? new HeapStacks(machine, heap, (b) => this.stackName(b)) : null,
        blockAt: heap ? (addr) => heap.blockContaining(addr, true) : undefined,
        allocationSite: (b) => this.allocationSite(b),
        stop: () => {
          this.stoppedRun = true;
          // As a breakpoint does: an attached GDB gets SIGTRAP in the overflowing thread.
          machine.requestStop('breakpoint');
        },
      });
      this.stack.onMark = (line) => out.line(line);
    }
    if (this.leak || this.stack) {
      for (const name of TASK_EXIT_FUNCTIONS) {
        this.hooks.hook(name, () => this.taskExits());
      }
    }
    if (options.traceCalls !== null) this.attachTrace(options.traceCalls);
    if (options.abiCheck) {
      this.abi = new AbiCheck({
        hooks: this.hooks,
        symbols: image.symbols,
        memory: this.memory,
        findings: this.findings,
        currentTask: () => this.taskName(this.tasks()?.current()),
        unwind: (call) => this.unwind(call),
        symbolize: (pc) => this.symbolize(pc),
      });
      this.typeUnits = checkTypeSizes(this.sections, this.findings, (m) => out.line(m));
    }
  }

  private attachTrace(names: string[]): void {
    this.trace = new TraceCalls(
      {
        hooks: this.hooks,
        symbols: this.image.symbols,
        memory: this.memory,
        findings: this.findings,
        line: (text) => this.out.line(text),
        currentTask: () => this.taskName(this.tasks()?.current()),
        unwind: (call) => this.unwind(call),
        symbolize: (pc) => this.symbolize(pc),
        // NuttX's constants; errno numbers are the C library's: NuttX's own libc, or newlib.
        abi: this.image.symbols.lookup('nx_start') ? NUTTX : withNewlibErrno(NUTTX),
      },
      names,
    );
    if (this.trace.missing.length > 0) {
      this.out.line(`trace-calls: not in the image: ${this.trace.missing.join(', ')}`);
    }
  }

  /** The OS's task list (NuttX's g_tcbinfo, else its TCB's DWARF), looked for once. */
  tasks(): TaskList | null {
    if (this.taskList === undefined) {
      this.taskList = TaskList.detect(this.image.symbols, this.memory, this.sections);
    }
    return this.taskList;
  }

  /** Says where the task stacks come from when it is not the OS's g_tcbinfo. */
  private sayStackSource(heapStacks: boolean): void {
    const list = this.tasks();
    if (list?.source === 'DWARF') {
      this.out.line(
        'stack-check: the image has no g_tcbinfo: task stacks from the DWARF of struct tcb_s',
      );
    } else if (heapStacks) {
      this.out.line(
        'stack-check: no task list in the image (no g_tcbinfo, no DWARF for struct tcb_s): ' +
          'a task stack is the heap block its SP is in when the scheduler switches to it',
      );
    } else if (!list) {
      this.out.line('stack-check: no task list and no allocator in the image: no task stacks');
    }
  }

  /** "f (file:line)" where a block was allocated: its first frame outside the allocator. */
  private allocationSite(block: Block): string {
    const pc = block.frames[0];
    if (pc === undefined) return 'an unknown site';
    return this.symbolize(pc).replace(/\+0x[0-9a-f]+(?= \(|$)/, '');
  }

  /** A heap block's name as a task stack: "stack 0x20001d98 (allocated at f (file:line))". */
  private stackName(block: Block): string {
    return `stack 0x${hex8(block.ptr)} (allocated at ${this.allocationSite(block)})`;
  }

  private taskName(t: TaskInfo | undefined): string | undefined {
    return t ? `${t.name} (pid ${t.pid})` : undefined;
  }

  /** A task is ending: the blocks it allocated that nobody can reach any more are lost. */
  private taskExits(): void {
    const t = this.tasks()?.current();
    if (!t) return;
    this.stack?.taskExits(t);
    if (!this.leak) return;
    const name = this.taskName(t)!;
    // Its stack and TCB die with it: they are no roots for its blocks.
    const exclude = new Set<number>();
    for (const addr of [t.stackBase, t.tcb, this.machine.cpu.r[13]!]) {
      const b = this.leak.blockContaining(addr, true);
      if (b) exclude.add(b.ptr);
    }
    this.leak.reportLost(`when task ${name} exited`, name, exclude);
  }

  /**
   * A byte the guest printed on its console. NuttX's shell prompt ends a command: the blocks
   * allocated since the previous prompt that nobody can reach any more were lost by it.
   */
  consoleByte(byte: number): void {
    this.prompts.feed(byte);
  }

  /** The blocks allocated since the previous prompt that nobody can reach were lost by it. */
  private commandDone(command: string | undefined): void {
    if (this.leak && command !== undefined) {
      this.leak.reportLost(
        `by the nsh command '${command}'`,
        undefined,
        undefined,
        this.commandSeq,
      );
    }
    this.commandSeq = this.leak?.nextSeq ?? 0;
  }

  /** The current PC and the return addresses above it. */
  backtraceHere(): number[] {
    const cpu = this.machine.cpu;
    const unwinder = this.debug?.unwinder;
    if (!unwinder) return [cpu.pc];
    const r = Array.from(cpu.r);
    r[15] = cpu.pc;
    return unwinder.backtrace({ r, otherSp: cpu.otherSp }, this.memory, 16).map((f) => f.pc);
  }

  /** Return addresses of a call at its first instruction, innermost first. */
  unwind(call: Call): number[] {
    const unwinder = this.debug?.unwinder;
    if (!unwinder) return [call.lr & ~1];
    const cpu = this.machine.cpu;
    const r = Array.from(cpu.r);
    r[15] = call.pc;
    const frames = unwinder.backtrace({ r, otherSp: cpu.otherSp }, this.memory, 17);
    return frames.slice(1).map((f) => f.pc);
  }

  /** "name+0x12 (file.c:42)" for a return address (the line of the call before it). */
  symbolize(pc: number): string {
    return symbolize(pc, this.image.symbols, this.debug?.lines, true);
  }

  /**
   * Root ranges for reachability: .data and .bss by the linker's symbols, the main stack from
   * the current MSP to its top (the vector table's initial SP), and each task's stack from its
   * SP up (below SP is dead: stale copies of pointers there must not keep a block alive).
   */
  roots(): Array<[number, number]> {
    const sym = (...names: string[]) => {
      for (const n of names) {
        const s = this.image.symbols.lookup(n);
        if (s) return s.value >>> 0;
      }
      return undefined;
    };
    const ranges: Array<[number, number]> = [];
    const start = sym('_sdata', '__data_start__', '_data');
    const end = sym('_ebss', '__bss_end__', '_end', 'end', '__end__');
    const cpu = this.machine.cpu;
    // r13 is the MSP in handler mode or when CONTROL.SPSEL is 0; otherwise the banked one is.
    const msp = cpu.ipsr !== 0 || (cpu.control & 2) === 0 ? cpu.r[13]! : cpu.otherSp;
    if (start !== undefined && end !== undefined && end > start) {
      // An interrupt stack in .bss (an array the OS points MSP at): below MSP it holds stale
      // copies of registers the handlers pushed, which must not keep blocks alive.
      const stack = this.objectAt(msp - 1); // MSP at the array's end: an empty stack
      if (stack && stack[0] >= start && stack[1] <= end) {
        ranges.push([start, stack[0]], [msp, end]);
      } else ranges.push([start, end]);
    }
    const top = this.initialMsp;
    if (msp <= top && top - msp <= MAX_MAIN_STACK) ranges.push([msp, top]);
    for (const [from, to] of this.taskStacks().values()) ranges.push([from, to]);
    return ranges;
  }

  /**
   * The MSP stack's bounds from the linker's symbols: CMSIS (__StackLimit/__StackTop), ST's
   * CubeMX scripts (_estack - _Min_Stack_Size), others' _sstack/_estack, NuttX's interrupt stack
   * (g_intstackalloc/g_intstacktop). Undefined when the image does not say where it ends (a
   * newlib program whose heap grows up to its stack).
   */
  mainStack(): { base: number; top: number } | undefined {
    const v = (n: string) => this.image.symbols.lookup(n)?.value;
    const pairs: Array<[number | undefined, number | undefined]> = [
      [v('__StackLimit'), v('__StackTop') ?? v('_estack') ?? this.initialMsp],
      [v('g_intstackalloc'), v('g_intstacktop')],
      [v('_sstack'), v('_estack')],
      [v('__stack_start__'), v('__stack_end__')],
    ];
    const top = v('_estack');
    const min = v('_Min_Stack_Size');
    if (top !== undefined && min !== undefined) pairs.push([top - min, top]);
    for (const [base, end] of pairs) {
      if (base !== undefined && end !== undefined && end > base && end - base <= 0x40000) {
        return { base: base >>> 0, top: end >>> 0 };
      }
    }
    return undefined;
  }

  /** The data object (symbol with a size) holding addr: [start, end). */
  private objectAt(addr: number): [number, number] | undefined {
    const sym = this.image.symbols.containing(addr);
    if (!sym || sym.size === 0) return undefined;
    return [sym.value >>> 0, (sym.value + sym.size) >>> 0];
  }

  /** Each task's live stack, [SP, top), by the stack's base address. */
  taskStacks(): Map<number, [number, number]> {
    const stacks = new Map<number, [number, number]>();
    const list = this.tasks();
    if (!list) return stacks;
    for (const t of list.tasks()) {
      const top = t.stackBase + t.stackSize;
      const sp = list.registers(t, this.machine.cpu)[13];
      if (t.stackSize === 0 || sp === undefined || sp < t.stackBase || sp > top) continue;
      stacks.set(t.stackBase, [sp, top]);
    }
    return stacks;
  }

  /** Figures for the JSON report. */
  summary(): Record<string, unknown> {
    return this.leak ? { leak: this.leak.summary() } : {};
  }

  /** End-of-run reports: leaks nobody can reach any more. Returns the summary lines. */
  finish(): string[] {
    const lines: string[] = [];
    if (this.trace) {
      lines.push(...this.trace.unfinished());
      lines.push(
        `trace-calls: ${this.trace.calls} calls traced (${this.trace.traced.length} functions)`,
      );
    }
    if (this.stack) {
      lines.push(...this.stack.liveMarks());
      lines.push(
        `stack-check: ${this.findings.count('stack-check')} overflow(s)` +
          (this.stoppedRun ? '; the run was stopped at the first one' : ''),
      );
    }
    if (this.abi) {
      lines.push(
        `abi-check: objects checked: ${Object.entries(this.abi.checkedBy)
          .map(([family, n]) => `${n} ${family}`)
          .join(', ')}; type sizes compared across ` +
          `${this.typeUnits} compilation unit(s); ${this.findings.count('abi-check')} finding(s)`,
      );
    }
    if (this.leak) {
      this.leak.reportLost('at the end of the run');
      const s = this.leak.summary();
      lines.push(
        `leak-check: ${s.allocations} allocations, ${s.frees} frees (${s.family} family); at the end ` +
          `${groupDigits(s.liveBytes)} bytes in ${s.liveBlocks} blocks live: ` +
          `${groupDigits(s.lostBytes)} bytes in ${s.lostBlocks} unreachable, ` +
          `${groupDigits(s.reachableBytes)} bytes in ${s.reachableBlocks} still reachable; ` +
          `${this.findings.count('leak-check')} finding(s)`,
      );
    }
    return lines;
  }
}

export function attachDiagnostics(
  machine: Machine,
  image: LoadedImage,
  options: DiagOptions,
  out: DiagOutput,
  debug?: DebugInfo,
  sections?: readonly ElfSection[],
): AttachedDiagnostics {
  return new AttachedDiagnostics(machine, image, options, out, debug, sections);
}
