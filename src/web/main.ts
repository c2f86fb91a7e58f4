/**
 * The page: the board drawing with live LEDs and clickable buttons, an xterm.js terminal on the
 * console USART (raw, like the CLI), run/pause/step/reset and the speed, the firmware (the demo
 * preloaded; dropped or picked ELF/bin/hex files, several booting together as with --load), the flash kept in IndexedDB, the HTTP panel and
 * the other serial ports. The guest runs in a Web Worker (worker.ts); this thread only draws.
 */
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import demoUrl from '../../firmware/prebuilt/demo.elf?url';
import type { Speed } from '../machine/runner.js';
import { createApi, type F4emuApi } from './api.js';
import { BoardClient } from './boardClient.js';
import { createBoardView } from './boardView.js';
import { FlashKeeper } from './flashKeeper.js';
import { FlashStore } from './flashStore.js';
import type { PageImage, RunStats } from './protocol.js';

declare global {
  interface Window {
    f4emu: F4emuApi;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const client = new BoardClient(worker);
const store = new FlashStore();
let speed: Speed = 'realtime';
let firmwareName = '';
/** Which board's flash is kept: the running one's, none from before the last erase. */
const keeper = new FlashKeeper();

// ---- the board ----
const board = createBoardView(document, {
  onButton: (pressed) => client.send({ type: 'button', pressed }),
  onReset: () => client.send({ type: 'reset' }),
});
$('board').append(board.element);

// ---- the terminal ----
const term = new Terminal({
  convertEol: false,
  cursorBlink: true,
  fontSize: 13,
  scrollback: 5000,
  theme: { background: '#000000' },
});
const fit = new FitAddon();
term.loadAddon(fit);
term.open($('terminal'));
fit.fit();
new ResizeObserver(() => fit.fit()).observe($('terminal'));
term.onData((data) => client.input(data));
term.onBinary((data) => client.input(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));

// ---- messages ----
function message(text: string | null, kind: 'error' | 'info' = 'error'): void {
  const m = $('message');
  m.hidden = text === null;
  m.textContent = text ?? '';
  m.className = kind;
}

function formatStats(s: RunStats): string {
  const vs = (s.virtualNs / 1e9).toFixed(3);
  const mhz = (s.hclkHz / 1e6).toFixed(0);
  return (
    `${s.state} · virtual ${vs} s · ${s.mips.toFixed(1)} MIPS · ${s.speedFactor.toFixed(2)}× ` +
    `real time · HCLK ${mhz} MHz\n${s.instructions.toLocaleString('en')} instructions · PC 0x${s.pc.toString(16).padStart(8, '0')}`
  );
}

const serialText = new Map<string, HTMLPreElement>();
client.on((e) => {
  switch (e.type) {
    case 'console':
      term.write(e.bytes);
      break;
    case 'leds':
      board.setLeds(e.brightness);
      break;
    case 'stats':
      $('stats').textContent = formatStats(e.stats);
      board.setPowered(e.stats.state !== 'stopped');
      break;
    case 'booted':
      keeper.booted(e.token);
      term.reset();
      message(null);
      $('firmware').textContent =
        `${e.name} (${e.kind}, ${e.symbols} symbols, entry 0x${e.entry.toString(16)}; ` +
        `${e.flashBytes.toLocaleString('en')} flash bytes written` +
        `${e.restoredFlash ? ' over the saved flash' : ''})`;
      break;
    case 'error':
      message(e.message);
      break;
    case 'stopped':
      message(`stopped: ${e.reason}`, e.exitCode === 0 ? 'info' : 'error');
      term.write(`\r\n\x1b[2m[f4emu: stopped: ${e.reason.split('\n')[0]}]\x1b[0m\r\n`);
      break;
    case 'flash':
      if (keeper.keeps(e.token)) void store.saveFlash(e.bytes);
      break;
    case 'serial': {
      let pre = serialText.get(e.port);
      if (!pre) {
        pre = document.createElement('pre');
        pre.dataset.testid = `serial-${e.port}`;
        const title = document.createElement('div');
        title.textContent = e.port;
        $('serial').append(title, pre);
        serialText.set(e.port, pre);
      }
      pre.textContent = (pre.textContent + new TextDecoder().decode(e.bytes)).slice(-20000);
      break;
    }
  }
});

// ---- firmware ----
/**
 * Boots `images` together (one file, or several as the CLI's --load: the first ELF boots);
 * `keep` saves them for the next visit. Rejects with the loader's message.
 */
async function load(images: PageImage[], keep = true): Promise<void> {
  const [first, ...more] = images;
  if (!first) return;
  firmwareName = first.name;
  // Taken before the flash is read: an erase while it is read refuses this load's flash too.
  const token = keeper.nextToken();
  const flash = await store.loadFlash();
  const booted = new Promise<void>((resolve, reject) => {
    const off = client.on((e) => {
      if (e.type === 'booted') {
        off();
        resolve();
      } else if (e.type === 'error') {
        off();
        reject(new Error(e.message));
      }
    });
  });
  const copy = (f: PageImage) => ({ ...f, bytes: f.bytes.slice() });
  client.load(first.bytes.slice(), first.name, { flash, speed, more: more.map(copy), token });
  await booted;
  if (keep) await store.saveFirmware({ name: first.name, bytes: first.bytes, more });
}

async function loadDemo(): Promise<void> {
  const bytes = new Uint8Array(await (await fetch(demoUrl)).arrayBuffer());
  await load([{ name: 'demo.elf', bytes, address: null }], false);
  await store.saveFirmware({ name: 'demo.elf', bytes });
}

/**
 * The address the '.bin at' field gives raw binaries loaded with others (null: empty). A value
 * that is not an address is shown and nothing is loaded.
 */
function binAddress(): number | null | undefined {
  const text = $<HTMLInputElement>('load-at').value.trim();
  if (text === '') return null;
  const value = /^(0x[0-9a-f]+|[0-9]+)$/i.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value > 0xffffffff) {
    message(`'.bin at': '${text}' is not an address (e.g. 0x08020000)`, 'error');
    return undefined;
  }
  return value;
}

/**
 * Picked or dropped files: one boots alone; several boot together as with --load. A raw binary
 * goes where its name says (`user@0x08020000.bin`), else at the '.bin at' address — but with no
 * ELF among them, the first raw binary is the one that boots, at the flash base.
 */
async function loadFiles(files: readonly File[]): Promise<void> {
  if (files.length === 0) return;
  const at = files.length > 1 ? binAddress() : null;
  if (at === undefined) return;
  const images = await Promise.all(
    files.map(async (f) => {
      const named = /@(0x[0-9a-f]{1,8})\.bin$/i.exec(f.name);
      const bin = /\.bin$/i.test(f.name);
      return {
        name: f.name,
        bytes: new Uint8Array(await f.arrayBuffer()),
        address: named ? Number(named[1]) : bin ? at : null,
        fromField: !named && bin,
      };
    }),
  );
  // ELF files (by their magic: NuttX's is plain `nuttx`) first: the first boots, as with --load.
  const isElf = (f: PageImage) =>
    f.bytes[0] === 0x7f && f.bytes[1] === 0x45 && f.bytes[2] === 0x4c && f.bytes[3] === 0x46
      ? 0
      : 1;
  images.sort((a, b) => isElf(a) - isElf(b));
  if (isElf(images[0]!) === 1 && images[0]!.fromField) images[0]!.address = null;
  const set = images.map(({ name, bytes, address }) => ({ name, bytes, address }));
  await load(set).catch(() => {}); // the error is shown by the 'error' event
}

$<HTMLInputElement>('file').addEventListener('change', (ev) => {
  const input = ev.target as HTMLInputElement;
  void loadFiles([...(input.files ?? [])]);
  input.value = '';
});
$('demo').addEventListener('click', () => void loadDemo());
$('erase').addEventListener('click', () => void eraseFlash());

async function eraseFlash(): Promise<void> {
  keeper.erased();
  await store.erase();
  message('flash erased: the demo boots on erased flash', 'info');
  await loadDemo();
}

const drop = $('drop');
let dragDepth = 0;
window.addEventListener('dragenter', (e) => {
  e.preventDefault();
  dragDepth++;
  drop.hidden = false;
});
window.addEventListener('dragleave', () => {
  if (--dragDepth <= 0) drop.hidden = true;
});
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  drop.hidden = true;
  void loadFiles([...(e.dataTransfer?.files ?? [])]);
});

// ---- controls ----
$('run').addEventListener('click', () => client.send({ type: 'run' }));
$('pause').addEventListener('click', () => client.send({ type: 'pause' }));
$('step').addEventListener('click', () => client.send({ type: 'step', count: 1 }));
$('reset').addEventListener('click', () => client.send({ type: 'reset' }));
function setSpeed(s: Speed): void {
  speed = s;
  $<HTMLSelectElement>('speed').value = String(s);
  client.send({ type: 'speed', speed: s });
}
$<HTMLSelectElement>('speed').addEventListener('change', (e) => {
  const v = (e.target as HTMLSelectElement).value;
  setSpeed(v === 'realtime' || v === 'max' ? v : Number(v));
});

// ---- other serial ports ----
$('serial-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $<HTMLInputElement>('serial-text');
  client.input(text.value + '\r', $<HTMLSelectElement>('serial-port').value);
  text.value = '';
});

// ---- HTTP panel ----
$('http-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const port = Number($<HTMLInputElement>('http-port').value);
  const path = $<HTMLInputElement>('http-path').value || '/';
  $('http-status').textContent = `GET ${path} …`;
  client.http(path, port).then(
    (r) => {
      $('http-status').textContent = `HTTP ${r.status} ${r.statusText}`;
      $('http-headers').textContent = r.headers.map(([k, v]) => `${k}: ${v}`).join('\n');
      const type = r.headers.find(([k]) => k === 'content-type')?.[1] ?? '';
      const frame = $<HTMLIFrameElement>('http-body');
      if (/html/.test(type)) frame.srcdoc = r.body;
      else
        frame.srcdoc = `<pre>${r.body.replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;'))}</pre>`;
    },
    (err: Error) => {
      $('http-status').textContent = `failed: ${err.message}`;
      $('http-headers').textContent = '';
    },
  );
});
$('pcap').addEventListener('click', () => {
  void client.pcap().then((bytes) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(
      new Blob([bytes as BlobPart], { type: 'application/vnd.tcpdump.pcap' }),
    );
    a.download = `f4emu-${firmwareName.replace(/\.[^.]*$/, '') || 'board'}.pcap`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
});

// ---- start ----
window.f4emu = createApi(client, {
  load: (images) => load(images),
  setSpeed,
  eraseFlash,
});
void client.ready.then(async () => {
  const saved = await store.loadFirmware();
  if (saved) {
    const images = [{ name: saved.name, bytes: saved.bytes, address: null }, ...(saved.more ?? [])];
    await load(images, false).catch(() => loadDemo());
  } else await loadDemo();
  term.focus();
});
