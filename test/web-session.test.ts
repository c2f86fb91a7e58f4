/**
 * The page's worker logic (src/web/session.ts) driven in Node exactly as the worker drives it:
 * commands in, typed events out. The browser tests (test/web-page.test.ts) show the same through
 * the real page; these run without a browser, on every machine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BoardSession } from '../src/web/session.js';
import type { PageCommand, WorkerEvent } from '../src/web/protocol.js';
import { nodeRunnerHost } from '../src/host/runnerHost.js';
import { ROOT } from './helpers/cli.js';
import { splitFlash } from './helpers/splitImage.js';

const DEMO = fs.readFileSync(path.join(ROOT, 'firmware/prebuilt/demo.elf'));
const SVC = fs.readFileSync(path.join(ROOT, 'firmware/prebuilt/tests/svc.elf'));

class Harness {
  events: WorkerEvent[] = [];
  session: BoardSession;
  private waiters: (() => void)[] = [];

  constructor() {
    const emit = (e: WorkerEvent) => {
      this.events.push(e);
      for (const w of this.waiters.splice(0)) w();
    };
    this.session = new BoardSession(nodeRunnerHost, emit);
  }

  send(cmd: PageCommand): void {
    this.session.handle(cmd);
  }

  load(bytes: Uint8Array, name: string, extra: Partial<PageCommand & { type: 'load' }> = {}) {
    this.send({
      type: 'load',
      bytes: new Uint8Array(bytes),
      name,
      flash: null,
      semihosting: true,
      forwards: [80],
      speed: 'max',
      ...extra,
    } as PageCommand);
  }

  console(): string {
    return this.events
      .flatMap((e) => (e.type === 'console' ? [new TextDecoder('latin1').decode(e.bytes)] : []))
      .join('');
  }

  /** Waits (wall time) until `pred` holds over the events so far. */
  async until<T>(pred: () => T | undefined | false, ms = 20000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out; console so far:\n${this.console()}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.send({ type: 'unload' });
  }
}

let h: Harness;
afterEach(() => h?.close());

describe('the page worker’s board session', () => {
  it('boots the demo: banner, LEDs taking turns, B1 reverses them', async () => {
    h = new Harness();
    h.load(DEMO, 'demo.elf');
    await h.until(() => h.console().includes('f4emu board demo on STM32F4Discovery'));
    const booted = h.events.find((e) => e.type === 'booted');
    expect(booted).toMatchObject({ type: 'booted', name: 'demo.elf', kind: 'elf' });
    // LEDs in turn: at least three distinct single-LED states seen.
    const states = await h.until(() => {
      const s = new Set(
        h.events.flatMap((e) =>
          e.type === 'leds'
            ? [
                Object.keys(e.leds)
                  .filter((k) => e.leds[k])
                  .join(),
              ]
            : [],
        ),
      );
      return s.size >= 4 ? s : undefined;
    });
    expect([...states].filter((s) => s !== '').every((s) => !s.includes(','))).toBe(true);
    // A pin driven high is brightness 1, low 0 (a PWM duty cycle would be in between).
    for (const e of h.events) {
      if (e.type !== 'leds') continue;
      for (const name of Object.keys(e.leds)) expect(e.brightness[name]).toBe(e.leds[name] ? 1 : 0);
    }
    h.send({ type: 'press', ms: 100 });
    await h.until(() => h.console().includes('B1 pressed (1): counter-clockwise'));
  });

  it('answers the HTTP panel through the in-memory forward and records a pcap', async () => {
    h = new Harness();
    h.load(DEMO, 'demo.elf', { speed: 'realtime' });
    await h.until(() => h.console().includes('web server on port 80'));
    const ask = async (id: number, p: string) => {
      h.send({ type: 'http', id, port: 80, path: p, timeoutMs: 15000 });
      return h.until(() => h.events.find((e) => e.type === 'http' && e.id === id));
    };
    const r = await ask(1, '/');
    if (r.type !== 'http') throw new Error('unreachable');
    expect(r.error).toBeUndefined();
    expect(r.response!.status).toBe(200);
    expect(new TextDecoder().decode(r.response!.body)).toMatch(/<html/);
    const missing = await ask(2, '/nothing-here');
    expect(missing.type === 'http' && missing.response?.status).toBe(404);
    const closed = await ask(3, '/');
    expect(closed.type === 'http' && closed.response?.status).toBe(200);
    h.send({ type: 'http', id: 4, port: 81, path: '/', timeoutMs: 1000 });
    const unforwarded = await h.until(() => h.events.find((e) => e.type === 'http' && e.id === 4));
    expect(unforwarded).toMatchObject({ error: 'guest port 81 is not forwarded to the page' });
    h.send({ type: 'pcap', id: 5 });
    const pcap = await h.until(() => h.events.find((e) => e.type === 'pcap'));
    if (pcap.type !== 'pcap') throw new Error('unreachable');
    expect(new DataView(pcap.bytes.buffer).getUint32(0, true)).toBe(0xa1b23c4d);
    expect(pcap.bytes.length).toBeGreaterThan(24 + 3 * 60);
  });

  it('keeps the boot counter in the flash it hands out, and boots from it again', async () => {
    h = new Harness();
    h.load(DEMO, 'demo.elf');
    await h.until(() => h.console().includes('boot #1 '));
    const saved = await h.until(() => h.events.find((e) => e.type === 'flash'));
    if (saved.type !== 'flash') throw new Error('unreachable');
    expect(saved.bytes.length).toBe(1024 * 1024);
    h.close();
    h = new Harness();
    h.load(DEMO, 'demo.elf', { flash: saved.bytes });
    await h.until(() => h.console().includes('boot #2 '));
    expect(h.events.find((e) => e.type === 'booted')).toMatchObject({ restoredFlash: true });
  });

  it("tags the flash with its board's load, and drops a replaced board's pending save", async () => {
    h = new Harness();
    h.load(DEMO, 'demo.elf', { token: 1 });
    // The demo has just programmed its boot counter: the save is due 300 ms later. A program
    // that never programs the flash replaces it first: the demo's save must not come.
    await h.until(() => h.console().includes('boot #1 '));
    expect(h.events.some((e) => e.type === 'flash')).toBe(false);
    h.load(SVC, 'svc.elf', { token: 2 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(h.events.filter((e) => e.type === 'flash')).toEqual([]);
    h.load(DEMO, 'demo.elf', { token: 3 });
    const flash = await h.until(() => h.events.find((e) => e.type === 'flash'));
    expect(flash).toMatchObject({ token: 3 });
    const booted = h.events.flatMap((e) => (e.type === 'booted' ? [e.token] : []));
    expect(booted).toEqual([1, 2, 3]);
  });

  it('runs a semihosting test program to its exit and says so', async () => {
    h = new Harness();
    h.load(SVC, 'svc.elf');
    const stop = await h.until(() => h.events.find((e) => e.type === 'stopped'));
    expect(stop).toMatchObject({ exitCode: 0, reason: 'the firmware exited with status 0' });
    expect(h.console()).toMatch(/passed/i);
  });

  it('hands another USART’s output to the serial panel', async () => {
    h = new Harness();
    h.load(fs.readFileSync(path.join(ROOT, 'firmware/prebuilt/periph/periph_dma.elf')), 'dma.elf');
    await h.until(() => h.events.find((e) => e.type === 'stopped'));
    const usart3 = h.events.flatMap((e) =>
      e.type === 'serial' && e.port === 'USART3' ? [...e.bytes] : [],
    );
    // Its circular DMA sends the 4-byte ring 'abcd' over USART3 until the second complete.
    expect(String.fromCharCode(...usart3)).toMatch(/^(abcd){2,}$/);
    expect(h.console()).not.toContain('abcd');
  });

  it('gives the loader’s message for a bad file, and pauses, steps and resets', async () => {
    h = new Harness();
    h.load(DEMO, 'demo.elf');
    await h.until(() => h.console().includes('boot #1 '));
    h.load(DEMO.subarray(0, 100), 'broken.elf');
    const err = h.events.find((e) => e.type === 'error');
    expect(err).toBeDefined();
    expect(err && err.type === 'error' && err.message).toMatch(/^broken\.elf: /);
    // The demo goes on: a bad file replaces nothing (Enter prints its status line).
    h.send({ type: 'input', port: null, bytes: new TextEncoder().encode('\r') });
    await h.until(() => h.console().includes('uptime '));
    const banners = () => h.console().split('f4emu board demo').length - 1;
    const before = banners();
    h.load(DEMO, 'demo.elf', { paused: true });
    h.send({ type: 'step', count: 3 });
    const s1 = h.session.stats()!;
    expect(s1.state).toBe('paused');
    expect(s1.instructions).toBe(3);
    h.send({ type: 'run' });
    const last = () => h.console().split('f4emu board demo').pop()!;
    await h.until(() => banners() === before + 1 && last().includes('for status'));
    // The reset button: the demo starts again, and counts one more boot in its flash.
    h.send({ type: 'reset' });
    await h.until(() => banners() === before + 2 && /boot #2 [^]*for status/.test(last()));
  });

  describe("several images, as the CLI's --load", () => {
    const SVC_FILE = path.join(ROOT, 'firmware/prebuilt/tests/svc.elf');
    const split = () => {
      const { head, tail, data } = splitFlash(SVC_FILE, 0x1000);
      return { head, tail, data: { name: 'data.bin', bytes: data, address: 0x20000000 } };
    };

    it('boots a program split in two raw binaries, the second at its address', async () => {
      h = new Harness();
      const { head, tail, data } = split();
      const more = [{ name: 'tail.bin', bytes: tail, address: 0x08001000 }, data];
      h.load(head, 'head.bin', { more });
      const booted = await h.until(() => h.events.find((e) => e.type === 'booted'));
      expect(booted).toMatchObject({ name: 'head.bin + 2 more', kind: 'bin' });
      const stop = await h.until(() => h.events.find((e) => e.type === 'stopped'));
      expect(stop).toMatchObject({ exitCode: 0 });
      expect(h.console()).toMatch(/passed/i);
    });

    it('without the tail the same program does not pass (the test can fail)', async () => {
      h = new Harness();
      const { head, data } = split();
      h.load(head, 'head.bin', { more: [data] });
      const stop = await h.until(() => h.events.find((e) => e.type === 'stopped'));
      expect(stop).not.toMatchObject({ exitCode: 0 });
    });

    it("a raw binary without an address, or overlapping another, is the loader's message", () => {
      h = new Harness();
      const { head, tail } = split();
      h.load(SVC, 'svc.elf', { more: [{ name: 'tail.bin', bytes: tail, address: null }] });
      h.load(head, 'head.bin', { more: [{ name: 'tail.bin', bytes: tail, address: 0x08000800 }] });
      const errors = h.events.flatMap((e) => (e.type === 'error' ? [e.message] : []));
      expect(errors).toEqual([
        expect.stringMatching(
          /^tail\.bin: a raw binary needs an address: give it one in the page's/,
        ),
        expect.stringMatching(/^head\.bin and tail\.bin@0x08000800 overlap at 0x08000800-/),
      ]);
      expect(h.events.find((e) => e.type === 'booted')).toBeUndefined();
    });
  });
});
