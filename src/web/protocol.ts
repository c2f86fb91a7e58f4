/**
 * The typed messages between the page (main thread) and the board's Web Worker. Bytes cross as
 * Uint8Arrays (transferred where large); nothing crosses as strings but names and texts.
 */
import type { Speed } from '../machine/runner.js';

/** An image booted with others (`more`): a raw binary needs its `address`. */
export interface PageImage {
  name: string;
  bytes: Uint8Array;
  address: number | null;
}

export type PageCommand =
  /**
   * Boot `bytes` (ELF, .bin at the flash base, or Intel HEX) with the images in `more` (as the
   * CLI's --load: the first ELF boots); `flash`: saved flash to restore first.
   */
  | {
      type: 'load';
      bytes: Uint8Array;
      name: string;
      more?: PageImage[];
      flash: Uint8Array | null;
      semihosting: boolean;
      /** Guest TCP ports reachable from the page's HTTP panel (forwards). */
      forwards: number[];
      speed: Speed;
      paused?: boolean;
      /** The page's number for this load: the board's 'booted' and 'flash' events carry it. */
      token?: number;
    }
  /** Stops the running firmware and forgets it (the worker idles). */
  | { type: 'unload' }
  | { type: 'reset' }
  | { type: 'run' }
  | { type: 'pause' }
  | { type: 'step'; count: number }
  | { type: 'speed'; speed: Speed }
  /** Bytes for a port's receiver (null: the console). */
  | { type: 'input'; port: string | null; bytes: Uint8Array }
  | { type: 'button'; pressed: boolean }
  /** Press B1 for `ms` of virtual time. */
  | { type: 'press'; ms: number }
  | { type: 'http'; id: number; port: number; path: string; timeoutMs: number }
  | { type: 'pcap'; id: number };

export interface LedStates {
  [name: string]: boolean;
}

export interface RunStats {
  /** 'running', 'paused' (by the page), 'stopped' (the firmware stopped: exit, lockup...). */
  state: 'running' | 'paused' | 'stopped' | 'idle';
  instructions: number;
  cycles: number;
  virtualNs: number;
  /** Guest instructions per wall second over the last interval (millions). */
  mips: number;
  /** Virtual time over wall time over the last interval. */
  speedFactor: number;
  pc: number;
  hclkHz: number;
}

export type WorkerEvent =
  | { type: 'ready' }
  | {
      type: 'booted';
      name: string;
      kind: string;
      entry: number;
      symbols: number;
      /** Bytes written to flash by the image. */
      flashBytes: number;
      restoredFlash: boolean;
      /** The load's token (0 when it gave none). */
      token: number;
    }
  /** The image could not be loaded or booted: the loader's own message. */
  | { type: 'error'; message: string }
  | { type: 'console'; bytes: Uint8Array }
  | { type: 'serial'; port: string; bytes: Uint8Array }
  /** On/off, and the brightness 0..1 (a PWM duty cycle; 1 for a pin simply driven high). */
  | { type: 'leds'; leds: LedStates; brightness: Record<string, number>; button: boolean }
  | { type: 'stats'; stats: RunStats }
  /** The firmware stopped (exit, lockup, breakpoint...): why, in words. */
  | { type: 'stopped'; reason: string; exitCode: number | null }
  /** The flash changed: its whole contents, for the page to keep; `token`: the board's load. */
  | { type: 'flash'; bytes: Uint8Array; token: number }
  | {
      type: 'http';
      id: number;
      response?: {
        status: number;
        statusText: string;
        headers: [string, string][];
        body: Uint8Array;
      };
      error?: string;
    }
  | { type: 'pcap'; id: number; bytes: Uint8Array };
