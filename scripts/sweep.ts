/**
 * The configuration sweep: boots every NuttX image a user built (never ours: f4emu ships no NuttX)
 * as a new user would, one fresh boot each, and prints a table of what happened — reached its
 * prompt or not, wall time, the unmodelled blocks it touched, faults and panics, and where it
 * waited when it got nowhere.
 *
 *   npm run sweep -- DIR [--timeout S] [--jobs N] [--prompt TEXT] [--json FILE]
 *
 * DIR holds the images: `NAME.elf` (or `NAME/nuttx`) per configuration. A protected build's user
 * image beside it (`NAME.user.elf`, or `NAME.user.bin` with --user-addr, default 0x08020000,
 * NuttX's CONFIG_NUTTX_USERSPACE on this board) is loaded with --load. Each run is
 * `f4emu run IMAGE --expect PROMPT` with a wall-clock time-out (25 s by default, as the issue's
 * first sweep), so a hang costs that and no more.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'bin/f4emu.js');

interface Options {
  dir: string;
  timeout: number;
  jobs: number;
  prompt: string;
  json: string | null;
  userAddr: string;
}

export interface SweepResult {
  name: string;
  result: 'prompt' | 'fault' | 'panic' | 'no prompt' | 'exited' | 'error';
  seconds: number;
  unmodelled: string[];
  detail: string;
}

function usage(why: string): never {
  process.stderr.write(
    `sweep: ${why}\nusage: npm run sweep -- DIR [--timeout S] [--jobs N] [--prompt TEXT] ` +
      '[--user-addr ADDR] [--json FILE]\n',
  );
  process.exit(2);
}

function parse(argv: string[]): Options {
  const o: Options = {
    dir: '',
    timeout: 25,
    jobs: 2,
    prompt: 'nsh> ',
    json: null,
    userAddr: '0x08020000',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--timeout') o.timeout = Number(next());
    else if (a === '--jobs') o.jobs = Math.max(1, Number(next()));
    else if (a === '--prompt') o.prompt = next();
    else if (a === '--json') o.json = next();
    else if (a === '--user-addr') o.userAddr = next();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else o.dir = a;
  }
  if (!o.dir) usage('no directory of images given');
  if (!fs.existsSync(o.dir) || !fs.statSync(o.dir).isDirectory())
    usage(`not a directory: ${o.dir}`);
  if (!(o.timeout > 0)) usage('--timeout needs a positive number of seconds');
  return o;
}

/** The configurations in DIR: [name, image, user image or null]. */
export function findImages(dir: string): [string, string, string | null][] {
  const found: [string, string, string | null][] = [];
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    let name: string;
    let image: string;
    // Follow symbolic links: a directory of links to the builds is the easy way to make one.
    const st = fs.statSync(full, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory() && fs.existsSync(path.join(full, 'nuttx'))) {
      [name, image] = [entry.name, path.join(full, 'nuttx')];
    } else if (st.isFile() && entry.name.endsWith('.elf') && !entry.name.endsWith('.user.elf')) {
      [name, image] = [entry.name.slice(0, -4), full];
    } else continue;
    const base = image.endsWith('.elf') ? image.slice(0, -4) : path.join(full, 'nuttx');
    const user = [
      `${base}.user.elf`,
      `${base}_user.elf`,
      `${base}.user.bin`,
      `${base}_user.bin`,
    ].find((u) => fs.existsSync(u));
    found.push([name, image, user ?? null]);
  }
  return found;
}

function runOne(
  o: Options,
  name: string,
  image: string,
  user: string | null,
): Promise<SweepResult> {
  const args = [CLI, 'run', image, '--expect', o.prompt, '--expect-timeout', '1000'];
  args.push('--timeout', String(o.timeout), '--speed', 'max');
  if (user) args.push('--load', user.endsWith('.bin') ? `${user}@${o.userAddr}` : user);
  const started = Date.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdin.end();
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out = (out + d.toString('latin1')).slice(-65536)));
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString('latin1')).slice(-65536)));
    p.on('close', (code) => {
      const seconds = (Date.now() - started) / 1000;
      resolve({ name, seconds, ...classify(code, out, err) });
    });
  });
}

/** What a run's exit code, console and messages say happened. */
export function classify(
  code: number | null,
  out: string,
  err: string,
): Omit<SweepResult, 'name' | 'seconds'> {
  const unmodelled = [
    ...new Set([...err.matchAll(/f4emu: (\S+) is not modelled/g)].map((m) => m[1]!)),
  ];
  const lines = out.split(/\r?\n/).map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim());
  const panic = lines.find((l) => /Assertion failed|PANIC|up_assert|Unhandled|_assert:/i.test(l));
  const at =
    /(?:stopped: [^\n]*|the CPU was|asleep \(WFI\/WFE\)) at (0x[0-9a-f]+(?: <[^>]+>)?)/.exec(err);
  const where = at ? `${at[0].includes('asleep') ? 'asleep' : 'waited'} at ${at[1]}` : undefined;
  const fault = err.split('\n').find((l) => /f4emu: (lockup|unhandled)/.test(l));
  const last = lines.filter((l) => l !== '').pop() ?? '(no console output)';
  if (code === 0) return { result: 'prompt', unmodelled, detail: '' };
  if (fault) return { result: 'fault', unmodelled, detail: fault.replace(/^f4emu: /, '') };
  if (panic) return { result: 'panic', unmodelled, detail: panic.slice(0, 120) };
  if (code === 2) {
    const why = err.split('\n').find((l) => l.startsWith('f4emu:')) ?? err.trim();
    return { result: 'error', unmodelled, detail: why.replace(/^f4emu: /, '').slice(0, 160) };
  }
  const detail = `last line: "${last.slice(0, 70)}"${where ? `; ${where}` : ''}`;
  return { result: code === 4 || code === 5 ? 'no prompt' : 'exited', unmodelled, detail };
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const images = findImages(o.dir);
  if (images.length === 0) usage(`no NAME.elf or NAME/nuttx images in ${o.dir}`);
  process.stderr.write(
    `sweep: ${images.length} image(s), ${o.jobs} at a time, ${o.timeout} s each at most\n`,
  );
  const results: SweepResult[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(o.jobs, images.length) }, async () => {
      for (;;) {
        const i = next++;
        const item = images[i];
        if (!item) return;
        const r = await runOne(o, ...item);
        results[i] = r;
        process.stderr.write(`  ${r.name}: ${r.result} (${r.seconds.toFixed(1)} s)\n`);
      }
    }),
  );
  const w = Math.max(6, ...results.map((r) => r.name.length));
  console.log(
    `${'config'.padEnd(w)}  ${'result'.padEnd(9)}  ${'wall s'.padStart(6)}  unmodelled blocks / detail`,
  );
  for (const r of results) {
    const blocks = r.unmodelled.length ? r.unmodelled.join(',') : '-';
    console.log(
      `${r.name.padEnd(w)}  ${r.result.padEnd(9)}  ${r.seconds.toFixed(1).padStart(6)}  ${blocks}` +
        (r.detail ? `; ${r.detail}` : ''),
    );
  }
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
  console.log(
    `\n${results.length} image(s): ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}`,
  );
  if (o.json) {
    try {
      fs.writeFileSync(o.json, JSON.stringify({ results }, null, 2) + '\n', { flag: 'wx' });
    } catch (e) {
      const why =
        (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'it exists' : (e as Error).message;
      process.stderr.write(`sweep: not writing ${o.json}: ${why}\n`);
      process.exitCode = 2;
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  void main();
}
