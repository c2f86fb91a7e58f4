/*
 * A pool of long-lived f4emu processes for the torture harness (each runs ./f4emuWorker.ts): a
 * job is `f4emu ARGV...` run by the CLI's main() inside a worker that has already started Node
 * and loaded the emulator, so the harness pays for the run alone. At most `size` workers exist;
 * each runs one job at a time.
 *
 * A job ends with the worker's answer (f4emu's exit code) once both of its output streams have
 * shown the job's marker (see f4emuWorker.ts), so the output is complete and belongs to that job
 * alone. A worker that dies during a job, or gives no answer within the job's timeout (it is then
 * killed with SIGKILL), fails that job with `workerError` saying so, and the next job gets a new
 * worker.
 */

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface WorkerJob {
  seq: number;
  argv: string[];
  cwd: string;
}

export interface WorkerAnswer {
  seq: number;
  code: number;
  /** The worker exits after this answer (main() threw). */
  recycle: boolean;
  /** process.getActiveResourcesInfo() after the run. */
  resources: string[];
  /** Listeners on the process object after the run, by event. */
  listeners: Record<string, number>;
}

/** Written to stdout and stderr after job `seq`; `nonce` is the worker's, random. */
export function workerMarker(nonce: string, seq: number): string {
  return `\u0000f4emu-worker:${nonce}:${seq}\u0000`;
}

export interface PoolJob {
  /** The f4emu command line after the program name: ['run', 'x.elf', '--semihosting', ...]. */
  argv: string[];
  cwd: string;
  /** The harness's limit for this job; the worker is killed after it. */
  timeoutMs: number;
}

export interface PoolResult {
  /** f4emu's exit code; null when the worker died or was killed instead of answering. */
  code: number | null;
  /** The signal that ended the worker, if one did. */
  signal: string | null;
  timedOut: boolean;
  /** Why the job has no exit code (the worker died or hung), or null. */
  workerError: string | null;
  stdout: string;
  stderr: string;
  /** The last few KB of stdout and stderr, interleaved in arrival order. */
  output: string;
  /** The worker's answer (null when it gave none). */
  answer: WorkerAnswer | null;
}

export interface PoolOptions {
  /** Most workers at once. */
  size: number;
  /** The worker program (dist/scripts/torture/f4emuWorker.js, or a stand-in in tests). */
  script: string;
  /** Arguments after the nonce (tests' stand-ins use them). */
  args?: string[];
}

/** Each stream's text kept per job (the tail beyond it is dropped). */
const STREAM_KEEP = 1 << 20;
const OUTPUT_TAIL = 4096;

function tail(text: string, keep: number): string {
  return text.length > 2 * keep ? text.slice(-keep) : text;
}

/** The line of a dying Node's stderr that says why: its Error line, else its last line. */
export function gist(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Node\.js v\d/.test(l));
  return (lines.find((l) => /^\w*Error\b|^f4emu:/.test(l)) ?? lines.pop() ?? '').slice(0, 300);
}

/** Workers dying before they are ready, in a row, that make the pool give up. */
const START_FAILURES = 3;

interface StreamState {
  text: string;
  /** Not yet passed on: it may be the start of the marker. */
  pending: string;
  done: boolean;
}

interface Running {
  marker: string;
  streams: [StreamState, StreamState];
  output: string;
  answer: WorkerAnswer | null;
  timedOut: boolean;
  timeoutMs: number;
  timer: NodeJS.Timeout;
  resolve: (r: PoolResult) => void;
}

class PoolWorker {
  private readonly child: ChildProcess;
  private readonly nonce = randomBytes(8).toString('hex');
  private seq = 0;
  private job: Running | null = null;
  /** Output that arrived with no job to take it (the next job gets it). */
  private stray: [string, string] = ['', ''];
  private spawnError: string | null = null;
  /** False once the worker exited, was killed, or said it will exit. */
  usable = true;
  /** The worker loaded the CLI (one that dies before cannot start at all). */
  ready = false;
  /** Why the worker could not start, once it died before it was ready. */
  startFailure: string | null = null;
  readonly exited: Promise<void>;

  constructor(options: PoolOptions) {
    this.child = fork(options.script, [this.nonce, ...(options.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stdout!.on('data', (c: Buffer) => this.data(0, c.toString('latin1')));
    this.child.stderr!.on('data', (c: Buffer) => this.data(1, c.toString('latin1')));
    this.child.on('message', (m) => {
      if ((m as { ready?: boolean }).ready === true) this.ready = true;
      else this.answered(m as WorkerAnswer);
    });
    this.child.on('error', (e) => {
      this.spawnError = e.message;
      this.usable = false;
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.usable = false;
        this.closed(code, signal);
        resolve();
      });
    });
  }

  run(job: PoolJob): Promise<PoolResult> {
    if (this.job !== null) throw new Error('worker busy');
    const seq = ++this.seq;
    const stray = this.stray;
    this.stray = ['', ''];
    return new Promise((resolve) => {
      const running: Running = {
        marker: workerMarker(this.nonce, seq),
        streams: [
          { text: '', pending: '', done: false },
          { text: '', pending: '', done: false },
        ],
        output: '',
        answer: null,
        timedOut: false,
        timeoutMs: job.timeoutMs,
        timer: setTimeout(() => {
          running.timedOut = true;
          this.usable = false;
          this.child.kill('SIGKILL');
        }, job.timeoutMs),
        resolve,
      };
      this.job = running;
      for (const i of [0, 1] as const) if (stray[i] !== '') this.data(i, stray[i]);
      const message: WorkerJob = { seq, argv: job.argv, cwd: job.cwd };
      try {
        this.child.send(message);
      } catch {
        // The channel is gone: the worker is exiting, and 'close' ends the job.
        this.usable = false;
      }
    });
  }

  /**
   * Ends an idle worker. (With SIGTERM: after a disconnect() from this side Node reports the
   * child's 'exit' but never its 'close'.)
   */
  stop(): void {
    this.usable = false;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }

  private data(i: 0 | 1, text: string): void {
    const j = this.job;
    if (j === null || j.streams[i].done) {
      this.stray[i] += text;
      return;
    }
    const s = j.streams[i];
    s.pending += text;
    const at = s.pending.indexOf(j.marker);
    let passed: string;
    if (at >= 0) {
      passed = s.pending.slice(0, at);
      this.stray[i] += s.pending.slice(at + j.marker.length);
      s.pending = '';
      s.done = true;
    } else {
      const keep = Math.min(s.pending.length, j.marker.length - 1);
      passed = s.pending.slice(0, s.pending.length - keep);
      s.pending = s.pending.slice(s.pending.length - keep);
    }
    this.pass(j, s, passed);
    this.finishIfComplete();
  }

  private pass(j: Running, s: StreamState, text: string): void {
    if (text === '') return;
    s.text = tail(s.text + text, STREAM_KEEP);
    j.output = tail(j.output + text, OUTPUT_TAIL);
  }

  private answered(answer: WorkerAnswer): void {
    const j = this.job;
    if (j === null || answer.seq !== this.seq) return;
    j.answer = answer;
    if (answer.recycle) this.usable = false;
    this.finishIfComplete();
  }

  private finishIfComplete(): void {
    const j = this.job;
    if (j === null || j.answer === null || !j.streams[0].done || !j.streams[1].done) return;
    this.finish(j, { code: j.answer.code, signal: null, workerError: null });
  }

  private closed(code: number | null, signal: NodeJS.Signals | null): void {
    const j = this.job;
    if (!this.ready) {
      const text = (j?.streams[1].text ?? '') + (j?.streams[1].pending ?? '') + this.stray[1];
      this.startFailure = `${this.spawnError ?? `exit status ${code ?? signal}`}: ${gist(text)}`;
    }
    if (j === null) return;
    for (const s of j.streams) {
      this.pass(j, s, s.pending);
      s.pending = '';
    }
    if (j.answer !== null) {
      this.finish(j, { code: j.answer.code, signal: null, workerError: null });
      return;
    }
    const seconds = j.timeoutMs / 1000;
    let why: string;
    if (j.timedOut) why = `timeout after ${seconds} s (f4emu worker killed)`;
    else {
      const how =
        this.spawnError ?? (signal !== null ? `killed by ${signal}` : `exit status ${code}`);
      const last = gist(j.streams[1].text);
      why = `f4emu worker died: ${how}${last ? ` (${last})` : ''}`;
    }
    this.finish(j, { code: null, signal, workerError: why });
  }

  private finish(
    j: Running,
    end: { code: number | null; signal: string | null; workerError: string | null },
  ): void {
    clearTimeout(j.timer);
    this.job = null;
    j.resolve({
      ...end,
      timedOut: j.timedOut,
      stdout: j.streams[0].text,
      stderr: j.streams[1].text,
      output: j.output.slice(-OUTPUT_TAIL),
      answer: j.answer,
    });
  }
}

export class WorkerPool {
  private readonly idle: PoolWorker[] = [];
  private readonly all = new Set<PoolWorker>();
  private readonly waiting: (() => void)[] = [];
  private closing = false;
  /** Workers started so far (a replaced one counts again). */
  started = 0;
  private startFailures = 0;
  /** Set when workers cannot start (the CLI does not load): every job then rejects. */
  fatal: string | null = null;

  constructor(private readonly options: PoolOptions) {
    if (!(options.size >= 1)) throw new Error('WorkerPool: size must be at least 1');
  }

  async run(job: PoolJob): Promise<PoolResult> {
    const worker = await this.acquire();
    try {
      const r = await worker.run(job);
      if (worker.ready) this.startFailures = 0;
      else if (worker.startFailure !== null && ++this.startFailures >= START_FAILURES) {
        this.fatal ??= `f4emu workers cannot start (${worker.startFailure})`;
      }
      return r;
    } finally {
      this.release(worker);
    }
  }

  /** Stops every worker once idle; resolves when all have exited. */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.idle.splice(0)) w.stop();
    await Promise.all([...this.all].map((w) => w.exited));
  }

  private async acquire(): Promise<PoolWorker> {
    for (;;) {
      if (this.fatal !== null) throw new Error(this.fatal);
      if (this.closing) throw new Error('WorkerPool: closed');
      const w = this.idle.pop();
      if (w !== undefined) {
        if (w.usable) return w;
        continue;
      }
      // A worker that died or was killed may not have closed yet: it no longer counts.
      const live = [...this.all].filter((x) => x.usable).length;
      if (live < this.options.size) {
        const fresh = new PoolWorker(this.options);
        this.started++;
        this.all.add(fresh);
        void fresh.exited.then(() => this.all.delete(fresh));
        return fresh;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(worker: PoolWorker): void {
    if (worker.usable && !this.closing) this.idle.push(worker);
    else if (worker.usable) worker.stop();
    this.waiting.shift()?.();
  }
}
