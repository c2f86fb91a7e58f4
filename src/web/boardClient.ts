/**
 * The page's side of the worker: sends typed commands, keeps what the events say (the console
 * transcript, LED states, the latest stats) and hands events to whoever listens (the terminal,
 * the board drawing, the panels, window.f4emu). Requests that expect an answer (HTTP, pcap)
 * carry an id.
 */
import type { Speed } from '../machine/runner.js';
import type { LedStates, PageCommand, PageImage, RunStats, WorkerEvent } from './protocol.js';

/** The console transcript kept for consoleText()/expect() (the oldest text goes first). */
const TRANSCRIPT_MAX = 1 << 20;

export interface HttpResult {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
  bytes: Uint8Array;
}

export class BoardClient {
  transcript = '';
  /** How much was dropped from the transcript's start (so positions stay absolute). */
  transcriptBase = 0;
  leds: LedStates = {};
  button = false;
  stats: RunStats | null = null;
  lastError: string | null = null;
  lastStop: string | null = null;
  private readonly listeners = new Set<(e: WorkerEvent) => void>();
  private nextId = 1;
  private readonly pending = new Map<number, (e: WorkerEvent) => void>();
  readonly ready: Promise<void>;

  constructor(private readonly worker: Worker) {
    let isReady = () => {};
    this.ready = new Promise((resolve) => (isReady = resolve));
    worker.onmessage = (m: MessageEvent<WorkerEvent>) => {
      const e = m.data;
      switch (e.type) {
        case 'ready':
          isReady();
          break;
        case 'console':
          this.transcript += latin1(e.bytes);
          if (this.transcript.length > TRANSCRIPT_MAX) {
            const cut = this.transcript.length - TRANSCRIPT_MAX / 2;
            this.transcript = this.transcript.slice(cut);
            this.transcriptBase += cut;
          }
          break;
        case 'leds':
          this.leds = e.leds;
          this.button = e.button;
          break;
        case 'stats':
          this.stats = e.stats;
          break;
        case 'error':
          this.lastError = e.message;
          break;
        case 'stopped':
          this.lastStop = e.reason;
          break;
        case 'booted':
          this.lastError = null;
          this.lastStop = null;
          break;
        case 'http':
        case 'pcap':
          this.pending.get(e.id)?.(e);
          this.pending.delete(e.id);
          break;
      }
      for (const l of this.listeners) l(e);
    };
  }

  on(listener: (e: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(cmd: PageCommand, transfer: Transferable[] = []): void {
    this.worker.postMessage(cmd, transfer);
  }

  load(
    bytes: Uint8Array,
    name: string,
    options: {
      flash: Uint8Array | null;
      speed: Speed;
      forwards?: number[];
      paused?: boolean;
      more?: PageImage[];
      token?: number;
    },
  ): void {
    this.send({
      type: 'load',
      bytes,
      name,
      more: options.more ?? [],
      flash: options.flash,
      semihosting: true,
      forwards: options.forwards ?? [80, 8080],
      speed: options.speed,
      paused: options.paused,
      token: options.token,
    });
  }

  input(text: string | Uint8Array, port: string | null = null): void {
    const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    this.send({ type: 'input', port, bytes });
  }

  http(path: string, port = 80, timeoutMs = 15000): Promise<HttpResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (e) => {
        if (e.type !== 'http') return;
        if (e.response) {
          const r = e.response;
          resolve({ ...r, bytes: r.body, body: new TextDecoder().decode(r.body) });
        } else reject(new Error(e.error ?? 'no response'));
      });
      this.send({ type: 'http', id, port, path, timeoutMs });
    });
  }

  pcap(): Promise<Uint8Array> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (e) => {
        if (e.type === 'pcap') resolve(e.bytes);
      });
      this.send({ type: 'pcap', id });
    });
  }
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}
