/**
 * `window.f4emu`: the page's scripting API, for automation and tests (Playwright drives the
 * page through it) and for anyone at the browser's console.
 *
 *   await f4emu.ready;
 *   await f4emu.expect('boot #');            // console text, like the CLI's --expect
 *   f4emu.send('hello\r');                   // typed into the console
 *   f4emu.leds;                              // { LD3: false, LD4: true, LD5: false, LD6: false }
 *   f4emu.press(100);                        // B1 held for 100 ms of virtual time
 *   await f4emu.http('/');                   // the guest's web server: { status, headers, body }
 *   await f4emu.load(bytes, 'app.elf');      // resolves once booted, rejects with the loader's error
 *   await f4emu.loadImages([{ bytes: kernel, name: 'nuttx' },
 *     { bytes: user, name: 'nuttx_user.bin', address: 0x08020000 }]);  // as --load FILE@ADDR
 */
import type { Speed } from '../machine/runner.js';
import type { BoardClient, HttpResult } from './boardClient.js';
import type { LedStates, PageImage, RunStats } from './protocol.js';

const u8 = (b: Uint8Array | ArrayBuffer) => (b instanceof Uint8Array ? b : new Uint8Array(b));

export interface F4emuApi {
  readonly ready: Promise<void>;
  load(bytes: Uint8Array | ArrayBuffer, name?: string): Promise<void>;
  /** Several images booted together, as the CLI's --load (the first ELF boots). */
  loadImages(
    images: { bytes: Uint8Array | ArrayBuffer; name: string; address?: number }[],
  ): Promise<void>;
  reset(): void;
  run(): void;
  pause(): void;
  step(count?: number): void;
  setSpeed(speed: Speed): void;
  consoleText(): string;
  send(text: string): void;
  expect(text: string | RegExp, options?: { timeoutMs?: number }): Promise<string>;
  readonly leds: LedStates;
  readonly button: boolean;
  press(ms?: number): void;
  http(
    path: string,
    options?: { port?: number; timeoutMs?: number },
  ): Promise<Omit<HttpResult, 'bytes'>>;
  stats(): RunStats | null;
  /** Resolves when the firmware stops (exit, lockup...), or at once if it has stopped. */
  waitForStop(options?: {
    timeoutMs?: number;
  }): Promise<{ reason: string; stats: RunStats | null }>;
  pcap(): Promise<Uint8Array>;
  eraseFlash(): Promise<void>;
  /** The last loader or boot error shown in the page, if any. */
  readonly lastError: string | null;
}

export interface PageActions {
  load(images: PageImage[]): Promise<void>;
  setSpeed(speed: Speed): void;
  eraseFlash(): Promise<void>;
}

export function createApi(client: BoardClient, page: PageActions): F4emuApi {
  /** Where the next expect() starts looking (an absolute transcript position). */
  let expectFrom = 0;
  return {
    ready: client.ready,
    load: (bytes, name = 'firmware.elf') => page.load([{ bytes: u8(bytes), name, address: null }]),
    loadImages: (images) =>
      page.load(
        images.map((i) => ({ bytes: u8(i.bytes), name: i.name, address: i.address ?? null })),
      ),
    reset: () => client.send({ type: 'reset' }),
    run: () => client.send({ type: 'run' }),
    pause: () => client.send({ type: 'pause' }),
    step: (count = 1) => client.send({ type: 'step', count }),
    setSpeed: (speed) => page.setSpeed(speed),
    consoleText: () => client.transcript,
    send: (text) => client.input(text),
    expect(text, options = {}) {
      const timeoutMs = options.timeoutMs ?? 10000;
      const started = performance.now();
      return new Promise((resolve, reject) => {
        const look = (): boolean => {
          const from = Math.max(0, expectFrom - client.transcriptBase);
          const rest = client.transcript.slice(from);
          let at = -1;
          let seen = '';
          if (typeof text === 'string') {
            at = rest.indexOf(text);
            seen = text;
          } else {
            const m = text.exec(rest);
            if (m) [at, seen] = [m.index, m[0]];
          }
          if (at < 0) return false;
          expectFrom = client.transcriptBase + from + at + seen.length;
          resolve(seen);
          return true;
        };
        if (look()) return;
        const off = client.on((e) => {
          if (e.type === 'console' && look()) finish();
        });
        const timer = setTimeout(() => {
          finish();
          const lines = client.transcript.split(/\r?\n/).slice(-5).join('\n');
          reject(
            new Error(
              `expect: ${String(text)} not seen in ${Math.round(performance.now() - started)} ms; ` +
                `last lines:\n${lines}`,
            ),
          );
        }, timeoutMs);
        const finish = () => {
          off();
          clearTimeout(timer);
        };
      });
    },
    get leds() {
      return { ...client.leds };
    },
    get button() {
      return client.button;
    },
    press: (ms = 100) => client.send({ type: 'press', ms }),
    async http(path, options = {}) {
      const { bytes: _bytes, ...rest } = await client.http(path, options.port, options.timeoutMs);
      return rest;
    },
    stats: () => client.stats,
    waitForStop(options = {}) {
      const done = () => ({ reason: client.lastStop!, stats: client.stats });
      if (client.lastStop !== null) return Promise.resolve(done());
      return new Promise((resolve, reject) => {
        const off = client.on((e) => {
          if (e.type !== 'stopped') return;
          off();
          clearTimeout(timer);
          resolve(done());
        });
        const timer = setTimeout(() => {
          off();
          reject(new Error(`waitForStop: still running after ${options.timeoutMs} ms`));
        }, options.timeoutMs ?? 60000);
      });
    },
    pcap: () => client.pcap(),
    eraseFlash: () => page.eraseFlash(),
    get lastError() {
      return client.lastError;
    },
  };
}
