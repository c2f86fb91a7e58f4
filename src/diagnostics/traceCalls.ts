/**
 * --trace-calls: strace for firmware. Each call to a traced POSIX/libc function is one line
 * when it returns — arguments decoded with the target OS's constants (NuttX's), the return
 * value and errno — and a call the OS did not understand (EINVAL, ENOTTY, ENOPROTOOPT... for
 * an argument it does not define, or a value Linux means differently) is also a finding that
 * names the argument and the Linux constant it is. Calls still running at the end are listed
 * as unfinished (a lock that never returned).
 *
 * errno is read where the C library keeps it: the pointer the guest's own __errno() last
 * returned (newlib, and NuttX's per-thread errno, both reach errno through it).
 */
import type { SymbolTable } from '../loader/elf.js';
import type { Call, CallHooks } from './callHooks.js';
import {
  CALL_SIGNATURES,
  abiNotes,
  diagnose,
  failureCode,
  formatCall,
  formatReturn,
  readCallArgs,
  type CallSignature,
} from './callSignatures.js';
import type { OsAbi } from './abi/table.js';
import { backtraceLines, type Findings } from './findings.js';
import type { GuestMemory } from './guestMemory.js';

/** Traced unless named: the allocator is busy and has --leak-check. */
const ON_REQUEST = new Set(['malloc', 'calloc', 'realloc', 'free', 'memalign']);

export interface TraceEnvironment {
  hooks: CallHooks;
  symbols: SymbolTable;
  memory: GuestMemory;
  findings: Findings;
  /** A trace line. */
  line(text: string): void;
  currentTask(): string | undefined;
  /** Return addresses of a call, innermost first (its LR first). */
  unwind(call: Call): number[];
  symbolize(pc: number): string;
  /** The target's constants (NuttX's; with newlib's errno numbers on a newlib C library). */
  abi: OsAbi;
}

/**
 * Linux constants a program commonly passes: a successful call with one of these values that
 * NuttX reads as something rarely used (2: Linux's SO_REUSEADDR, NuttX's SO_DEBUG) is the silent
 * form of the talk's bug; the reverse (NuttX's SO_REUSEADDR is 11, Linux's SO_NO_CHECK) is
 * ordinary NuttX code and is not flagged.
 */
const COMMON_LINUX = [
  'SO_REUSEADDR',
  'SO_REUSEPORT',
  'SO_KEEPALIVE',
  'SO_BROADCAST',
  'SO_LINGER',
  'SO_RCVBUF',
  'SO_SNDBUF',
  'SO_RCVTIMEO',
  'SO_SNDTIMEO',
  'SO_ERROR',
  'TCP_NODELAY',
  'FIOCLEX',
  'FIONCLEX',
  'FIONBIO',
  'FIONREAD',
  'F_GETFD',
  'F_SETFD',
  'F_GETFL',
  'F_SETFL',
  'SOCK_CLOEXEC',
  'SOCK_NONBLOCK',
];
const COMMON_NOTE = new RegExp(
  `is Linux's (${COMMON_LINUX.join('|')});.*reads \\S+ as (?!(${COMMON_LINUX.join('|')})\\))`,
);

interface Running {
  call: Call;
  frames: number[];
  text: string;
  task: string | undefined;
}

export class TraceCalls {
  /** Names traced (present in the image). */
  readonly traced: string[] = [];
  /** Names asked for that the image does not have. */
  readonly missing: string[] = [];
  private readonly running = new Set<Running>();
  private errnoPtr = 0;
  calls = 0;

  constructor(
    private readonly env: TraceEnvironment,
    names: readonly string[],
  ) {
    const wanted =
      names.length > 0 ? names : Object.keys(CALL_SIGNATURES).filter((n) => !ON_REQUEST.has(n));
    env.hooks.hook('__errno', () => (ret) => (this.errnoPtr = ret.r0));
    for (const name of wanted) {
      const sig = CALL_SIGNATURES[name] ?? genericSignature(name);
      if (env.hooks.hook(name, (call) => this.enter(sig, call))) this.traced.push(name);
      else if (names.length > 0) this.missing.push(name);
    }
  }

  private enter(sig: CallSignature, call: Call) {
    const mem = this.env.memory;
    const args = readCallArgs(sig, (n) => call.arg(n), call.sp, mem);
    const running: Running = {
      call,
      text: formatCall(sig, args, mem, {
        abi: this.env.abi,
        symbolize: (a) => this.env.symbols.describe(a),
      }),
      task: this.env.currentTask(),
      // Unwound now, while the registers are the call's.
      frames: this.env.unwind(call),
    };
    // A call inside another traced call (socket() inside a wrapper) is shown as it happens.
    this.running.add(running);
    this.errnoPtr = 0;
    return (ret: { r0: number }) => {
      this.running.delete(running);
      this.calls++;
      const abi = this.env.abi;
      const failed = failureCode(sig, ret.r0, this.readErrno()) !== undefined;
      const errno = failed && sig.returns !== 'pthread' ? this.readErrno() : undefined;
      const result = formatReturn(sig, ret.r0, errno, { abi });
      const why = failed ? diagnose(sig, args, ret.r0, errno, { abi, mem }) : undefined;
      const notes = failed ? [] : abiNotes(sig, args, { abi }).filter((n) => COMMON_NOTE.test(n));
      const prefix = running.task ? `[${running.task}] ` : '';
      const text = `${prefix}${running.text} ${result}`.trim();
      const finding =
        why !== undefined && mentionsOtherOs(why)
          ? why
          : notes.length
            ? notes.join('; ')
            : undefined;
      if (finding === undefined) {
        this.env.line(`trace-calls: ${text}${why ? ` — ${why}` : ''}`);
        return;
      }
      const frames = running.frames;
      this.env.findings.add({
        check: 'trace-calls',
        kind: failed ? 'failed-call' : 'misread-constant',
        message: `${text} — ${finding}`,
        task: running.task,
        pc: frames[0],
        backtrace: backtraceLines(frames, (pc) => this.env.symbolize(pc)),
        data: { function: sig.name, args, ret: ret.r0 | 0, errno },
      });
    };
  }

  private readErrno(): number | undefined {
    return this.errnoPtr === 0 ? undefined : this.env.memory.read32(this.errnoPtr);
  }

  /** Calls that have not returned (at the end of the run). */
  unfinished(): string[] {
    return [...this.running].map(
      (r) =>
        `trace-calls: ${r.task ? `[${r.task}] ` : ''}${r.text} <unfinished: never returned>` +
        ` (called from ${this.env.symbolize(r.call.lr & ~1)})`,
    );
  }
}

/** A function the table does not know: four words in, one word out (shown in hex). */
function genericSignature(name: string): CallSignature {
  return {
    name,
    returns: 'pointer-value',
    args: ['a0', 'a1', 'a2', 'a3'].map((n) => ({ name: n, kind: 'hex' as const })),
  };
}

/** Findings are the calls explained by another OS's constant, not every failure. */
function mentionsOtherOs(text: string): boolean {
  return /Linux's|Linux means|initiali[sz]er/.test(text);
}
