/**
 * The board's web page end to end in a real browser (Debian's chromium, headless, driven by
 * playwright-core): the page `npm run build:web` makes, served by `f4emu web`. Screenshots go to
 * test-results/web/ for review.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  HAVE_BROWSER,
  REQUIRE_BROWSER,
  SHOTS,
  buildPage,
  launchBrowser,
  servePage,
} from './helpers/browser.js';
import { ROOT } from './helpers/cli.js';
import { splitFlash } from './helpers/splitImage.js';

const SVC = path.join(ROOT, 'firmware/prebuilt/tests/svc.elf');

let browser: Browser;
let server: ChildProcess;
let url: string;
let context: BrowserContext;
let page: Page;
/** Uncaught exceptions and console errors in the page: none is expected in any test. */
let pageErrors: string[];

async function openPage(): Promise<Page> {
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => window.f4emu !== undefined);
  await page.evaluate(() => window.f4emu.ready);
  return page;
}

const expectText = (text: string, timeoutMs = 15000) =>
  page.evaluate(([t, ms]) => window.f4emu.expect(t as string, { timeoutMs: ms as number }), [
    text,
    timeoutMs,
  ] as const);

const litLeds = () =>
  page.$$eval('[data-testid^="led-"]', (els) =>
    els.filter((e) => e.getAttribute('data-on') === 'true').map((e) => e.dataset.testid!.slice(4)),
  );

/** The sequence of single lit LEDs seen over `ms` of wall time (repeats collapsed). */
async function ledSequence(ms: number): Promise<string[]> {
  const seen: string[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const lit = (await litLeds()).join('+');
    if (lit && seen[seen.length - 1] !== lit) seen.push(lit);
    await page.waitForTimeout(40);
  }
  return seen;
}

describe.skipIf(!HAVE_BROWSER && !REQUIRE_BROWSER)('the board’s web page in chromium', () => {
  beforeAll(async () => {
    buildPage();
    fs.mkdirSync(SHOTS, { recursive: true });
    ({ url, server } = await servePage());
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill();
  });

  afterEach(async () => {
    expect(pageErrors).toEqual([]);
    await context?.close();
  });

  it('boots the demo: banner in the terminal, LEDs taking turns, B1 reverses them', async () => {
    await openPage();
    await expectText('f4emu board demo on STM32F4Discovery');
    await expectText('boot #1 ');
    await expect
      .poll(() => page.locator('.xterm-rows').innerText(), { timeout: 5000 })
      .toContain('f4emu board demo on STM32F4Discovery');
    // Clockwise: LD4 (green) → LD3 (orange) → LD5 (red) → LD6 (blue), 250 ms each.
    const before = await ledSequence(1600);
    expect(before.length).toBeGreaterThanOrEqual(4);
    const order = ['LD4', 'LD3', 'LD5', 'LD6'];
    const steps = (seq: string[]) =>
      seq.slice(1).map((s, i) => (order.indexOf(s) - order.indexOf(seq[i]!) + 4) % 4);
    // Each step one LED on (1); a busy machine may stall the sampling past a whole LED (2), but
    // never turns the other way (3).
    const clockwise = (seq: string[]) => steps(seq).every((d) => d === 1 || d === 2);
    const counter = (seq: string[]) => steps(seq).every((d) => d === 3 || d === 2);
    expect(clockwise(before) && steps(before).includes(1)).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'demo.png') });

    // Press and hold B1 with the mouse for 150 ms.
    const b1 = page.getByTestId('button-B1');
    const box = (await b1.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await expect.poll(() => b1.getAttribute('data-pressed')).toBe('true');
    await page.waitForTimeout(150);
    await page.mouse.up();
    await expect.poll(() => b1.getAttribute('data-pressed')).toBe('false');
    await expectText('B1 pressed (1): counter-clockwise');
    const after = await ledSequence(1600);
    expect(counter(after) && steps(after).includes(3)).toBe(true);
  });

  it('echoes what is typed in the terminal', async () => {
    await openPage();
    await expectText('LEDs LD4 LD3 LD5 LD6 take turns');
    await page.locator('#terminal').click();
    await page.keyboard.type('hello board');
    await expectText('hello board');
    await expect
      .poll(() => page.locator('.xterm-rows').innerText(), { timeout: 5000 })
      .toContain('hello board');
  });

  it('runs a dropped ELF (a prebuilt test program) to its exit', async () => {
    await openPage();
    await expectText('boot #');
    const bytes = [...fs.readFileSync(SVC)];
    // A real drop event with a File in its DataTransfer, on the page.
    await page.evaluate((b) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], 'svc.elf'));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
    }, bytes);
    await expect.poll(() => page.getByTestId('firmware').innerText()).toMatch(/^svc\.elf \(elf/);
    await expect
      .poll(() => page.getByTestId('message').innerText(), { timeout: 15000 })
      .toContain('stopped: the firmware exited with status 0');
    expect(await page.evaluate(() => window.f4emu.consoleText())).toMatch(/passed/i);
  });

  it('shows the loader’s error for a bad file, in the page', async () => {
    await openPage();
    await expectText('boot #');
    await page.getByTestId('file').setInputFiles({
      name: 'truncated.elf',
      mimeType: 'application/octet-stream',
      buffer: fs.readFileSync(SVC).subarray(0, 200),
    });
    const msg = page.getByTestId('message');
    await expect.poll(() => msg.innerText()).toMatch(/^truncated\.elf: /);
    expect(await msg.isVisible()).toBe(true);
    expect(await page.evaluate(() => window.f4emu.lastError)).toMatch(/^truncated\.elf: /);
    // The demo goes on, its terminal kept: a bad file replaces nothing.
    expect((await ledSequence(800)).length).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.xterm-rows').innerText()).toContain('f4emu board demo');
    await page.screenshot({ path: path.join(SHOTS, 'bad-file.png') });
  });

  it('boots several picked files together: raw binaries at the .bin-at field or their names', async () => {
    await openPage();
    await expectText('boot #');
    const { head, tail, data } = splitFlash(SVC, 0x1000);
    const file = (name: string, b: Uint8Array) => ({
      name,
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(b),
    });
    const files = [
      file('head.bin', head),
      file('tail.bin', tail),
      file('data@0x20000000.bin', data),
    ];
    // A field that is not an address loads nothing and says so.
    await page.getByTestId('load-at').fill('08001000h');
    await page.getByTestId('file').setInputFiles(files);
    const msg = page.getByTestId('message');
    await expect.poll(() => msg.innerText()).toMatch(/'08001000h' is not an address/);
    await page.getByTestId('load-at').fill('0x08001000');
    await page.getByTestId('file').setInputFiles(files);
    await expect
      .poll(() => page.getByTestId('firmware').innerText())
      .toMatch(/^head\.bin \+ 2 more \(bin/);
    await expect
      .poll(() => msg.innerText(), { timeout: 15000 })
      .toContain('stopped: the firmware exited with status 0');
    expect(await page.evaluate(() => window.f4emu.consoleText())).toMatch(/passed/i);
    // An ELF boots whatever its name and place in the pick (NuttX's kernel is plain `nuttx`).
    const extra = file('extra.bin', new Uint8Array(64).fill(0x5a));
    await page.getByTestId('load-at').fill('0x20010000');
    await page.getByTestId('file').setInputFiles([extra, file('svc', fs.readFileSync(SVC))]);
    await expect
      .poll(() => page.getByTestId('firmware').innerText())
      .toMatch(/^svc \+ 1 more \(elf/);
    await expect
      .poll(() => msg.innerText(), { timeout: 15000 })
      .toContain('stopped: the firmware exited with status 0');
  });

  it('gets the demo’s hello page through the HTTP panel, and from f4emu.http()', async () => {
    await openPage();
    await expectText('web server on port 80', 30000);
    await page.getByTestId('http-path').fill('/');
    await page.getByTestId('http-send').click();
    await expect
      .poll(() => page.getByTestId('http-status').innerText(), { timeout: 20000 })
      .toBe('HTTP 200 OK');
    expect(await page.getByTestId('http-headers').innerText()).toContain('content-type: text/html');
    const frame = page.frameLocator('[data-testid="http-body"]');
    await expect.poll(() => frame.locator('body').innerText()).toMatch(/hello/i);
    // The whole page in the viewport (a fullPage capture leaves the frame blank in headless).
    await page.setViewportSize({ width: 1280, height: 1320 });
    await page.screenshot({ path: path.join(SHOTS, 'http.png') });
    const r = await page.evaluate(() => window.f4emu.http('/no-such-page'));
    expect(r.status).toBe(404);
    // The frames as a pcap file, from the panel's button.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('pcap').click(),
    ]);
    expect(download.suggestedFilename()).toBe('f4emu-demo.pcap');
    const pcap = fs.readFileSync((await download.path())!);
    expect(pcap.readUInt32LE(0)).toBe(0xa1b23c4d); // nanosecond pcap
    expect(pcap.length).toBeGreaterThan(24 + 10 * 54); // DHCP, ARP and the two exchanges
  });

  it('keeps the flash-stored boot counter across a reload, until the flash is erased', async () => {
    await openPage();
    await expectText('boot #1 ');
    // The flash goes to IndexedDB shortly after the counter is programmed.
    await page.waitForTimeout(1500);
    await page.reload();
    await page.waitForFunction(() => window.f4emu !== undefined);
    await expectText('boot #2 ');
    // Erased while the board is still booting: it counts its boot in flash and sends the flash
    // to be kept 300 ms later, while the erase (the demo's download held up for a second) is
    // under way. That must not undo the erase.
    await page.route('**/*.elf', async (route) => {
      await new Promise((r) => setTimeout(r, 1000));
      await route.continue();
    });
    await page.reload();
    await page.waitForFunction(() => window.f4emu !== undefined);
    await expectText('f4emu board demo');
    await page.getByTestId('erase-flash').click();
    await expectText('boot #1 ');
  });
});
