/**
 * `f4emu run IMAGE --load FILE[@ADDR]`: several images in one run, as a NuttX protected build
 * needs (the kernel ELF and its user blob at CONFIG_NUTTX_USERSPACE). The prebuilt firmware is
 * split here, in TypeScript (no objcopy in `npm test`'s environment): its segments from the
 * repo's parseElf, written as .bin/.hex/.elf parts that must run exactly as the whole ELF.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseElf, type Segment } from '../src/loader/elf.js';
import { readElfSections } from '../src/loader/elfSections.js';
import { CLI, ROOT, f4emu, tmpDir } from './helpers/cli.js';

const TEST_ELF = path.join(ROOT, 'firmware/prebuilt/tests/basepri.elf');
const DEMO = path.join(ROOT, 'firmware/prebuilt/demo.elf');
const FLASH = 0x08000000;
const hex = (v: number) => '0x' + v.toString(16).padStart(8, '0');

/** An ELF's flash contents as one block from 0x08000000 (the alias at 0 read as flash), and
 * its other segments (SRAM), as parseElf gives them. */
function splitElf(file: string) {
  const image = parseElf(fs.readFileSync(file));
  const phys = (a: number) => (a < 0x100000 ? FLASH + a : a);
  const flashSegment = (s: Segment) =>
    phys(s.address) >= FLASH && phys(s.address) < FLASH + 0x100000;
  const inFlash = image.segments.filter(flashSegment);
  const end = Math.max(...inFlash.map((s) => phys(s.address) + s.data.length));
  const flash = new Uint8Array(end - FLASH).fill(0xff);
  for (const s of inFlash) flash.set(s.data, phys(s.address) - FLASH);
  return { image, flash, ram: image.segments.filter((s) => !flashSegment(s)) };
}

/** Intel HEX of `data` at `address` (extended linear address records, 16 data bytes a line). */
function intelHex(address: number, data: Uint8Array): string {
  const rec = (type: number, addr: number, bytes: number[]) => {
    const all = [bytes.length, (addr >> 8) & 0xff, addr & 0xff, type, ...bytes];
    const sum = (0x100 - (all.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
    return ':' + [...all, sum].map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join('');
  };
  const lines: string[] = [];
  let upper = -1;
  for (let i = 0; i < data.length; i += 16) {
    const a = address + i;
    if (a >>> 16 !== upper) {
      upper = a >>> 16;
      lines.push(rec(4, 0, [upper >> 8, upper & 0xff]));
    }
    lines.push(rec(0, a & 0xffff, [...data.subarray(i, Math.min(i + 16, data.length))]));
  }
  lines.push(rec(1, 0, []));
  return lines.join('\n') + '\n';
}

/**
 * A small ELF32 ARM executable: one PT_LOAD per segment, and (when given) a copy of another
 * ELF's .symtab and .strtab sections, so its symbols are that ELF's.
 */
function writeElf(
  entry: number,
  segments: { address: number; data: Uint8Array }[],
  symbolsFrom?: Uint8Array,
): Uint8Array {
  const sections = symbolsFrom ? readElfSections(symbolsFrom) : [];
  const symtab = sections.find((s) => s.name === '.symtab');
  const strtab = sections.find((s) => s.name === '.strtab');
  const align4 = (n: number) => (n + 3) & ~3;
  let offset = 52 + 32 * segments.length;
  const dataOffsets = segments.map((s) => {
    const at = offset;
    offset = align4(offset + s.data.length);
    return at;
  });
  const symOff = offset;
  const strOff = align4(symOff + (symtab?.size ?? 0));
  const shoff = align4(strOff + (strtab?.size ?? 0));
  const withSymbols = symtab !== undefined && strtab !== undefined;
  const b = new Uint8Array(shoff + (withSymbols ? 3 * 40 : 0));
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 40, true); // EM_ARM
  dv.setUint32(20, 1, true);
  dv.setUint32(24, entry, true);
  dv.setUint32(28, 52, true);
  dv.setUint32(32, withSymbols ? shoff : 0, true);
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, segments.length, true);
  dv.setUint16(46, 40, true);
  dv.setUint16(48, withSymbols ? 3 : 0, true);
  segments.forEach((s, i) => {
    const ph = 52 + 32 * i;
    dv.setUint32(ph, 1, true); // PT_LOAD
    dv.setUint32(ph + 4, dataOffsets[i]!, true);
    dv.setUint32(ph + 8, s.address, true);
    dv.setUint32(ph + 12, s.address, true);
    dv.setUint32(ph + 16, s.data.length, true);
    dv.setUint32(ph + 20, s.data.length, true);
    b.set(s.data, dataOffsets[i]!);
  });
  if (withSymbols) {
    b.set(symtab.data, symOff);
    b.set(strtab.data, strOff);
    // Sections: 0 null, 1 .symtab (sh_link 2, entries of 16 bytes), 2 .strtab.
    const sh = (i: number, type: number, off: number, size: number, link = 0) => {
      const h = shoff + 40 * i;
      dv.setUint32(h + 4, type, true);
      dv.setUint32(h + 16, off, true);
      dv.setUint32(h + 20, size, true);
      dv.setUint32(h + 24, link, true);
      dv.setUint32(h + 36, type === 2 ? 16 : 0, true);
    };
    sh(1, 2, symOff, symtab.size, 2);
    sh(2, 3, strOff, strtab.size);
  }
  return b;
}

/** The exception-model test ELF as raw parts in a temp dir: part1.bin (the vector table and the
 * first half of flash), part2.bin (the rest, at `cut`), ram0.bin... (SRAM segments). */
function binParts() {
  const { flash, ram } = splitElf(TEST_ELF);
  const dir = tmpDir('f4emu-load-');
  const cut = (flash.length >> 1) & ~0xff;
  fs.writeFileSync(path.join(dir, 'part1.bin'), flash.subarray(0, cut));
  fs.writeFileSync(path.join(dir, 'part2.bin'), flash.subarray(cut));
  const ramArgs = ram.flatMap((s, i) => {
    fs.writeFileSync(path.join(dir, `ram${i}.bin`), s.data);
    return ['--load', `${path.join(dir, `ram${i}.bin`)}@${hex(s.address)}`];
  });
  const at = (name: string) => path.join(dir, name);
  return { dir, cut, flash, ram, ramArgs, at };
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill();
});

describe('f4emu run --load', () => {
  let wholeRun: ReturnType<typeof f4emu> | null = null;
  /** The whole ELF's run, once. */
  const whole = () => (wholeRun ??= f4emu(['run', TEST_ELF, '--semihosting']));

  it('runs a split image exactly as the whole ELF: same console output, same exit code', () => {
    expect(whole().code, whole().stderr).toBe(0);
    expect(whole().stdout).toMatch(/^DONE \d+ passed, 0 failed/m);
    const p = binParts();
    expect(p.cut).toBeGreaterThan(0x1000);
    expect(p.ram.length).toBeGreaterThan(0);
    const split = f4emu([
      'run',
      p.at('part1.bin'),
      '--load',
      `${p.at('part2.bin')}@${hex(FLASH + p.cut)}`,
      ...p.ramArgs,
      '--semihosting',
    ]);
    expect(split.stderr).toBe(whole().stderr);
    expect(split.stdout).toBe(whole().stdout);
    expect(split.code).toBe(whole().code);
    // Without the second half the same first half does not get there.
    const half = f4emu([
      'run',
      p.at('part1.bin'),
      ...p.ramArgs,
      '--semihosting',
      '--max-instructions',
      '5000000',
    ]);
    expect(half.stdout).not.toBe(whole().stdout);
    expect(half.code).not.toBe(0);
  });

  it('boots with no positional image: the first --load .bin goes to 0x08000000; decimal ADDR', () => {
    const p = binParts();
    const r = f4emu([
      'run',
      '--load',
      p.at('part1.bin'),
      '--load',
      `${p.at('part2.bin')}@${FLASH + p.cut}`,
      ...p.ramArgs,
      '--semihosting',
    ]);
    expect(r.stdout).toBe(whole().stdout);
    expect(r.code).toBe(whole().code);
  });

  it('loads a .hex by its own records, and refuses an @ADDR on it', () => {
    const p = binParts();
    const part2 = p.at('part2.hex');
    fs.writeFileSync(part2, intelHex(FLASH + p.cut, p.flash.subarray(p.cut)));
    const r = f4emu(['run', p.at('part1.bin'), '--load', part2, ...p.ramArgs, '--semihosting']);
    expect(r.stdout).toBe(whole().stdout);
    expect(r.code).toBe(whole().code);
    const bad = f4emu(['run', p.at('part1.bin'), '--load', `${part2}@0x08020000`]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      `f4emu: ${part2}@0x08020000: an Intel HEX file loads at the addresses its records give; ` +
        'drop the @0x08020000\n',
    );
  });

  it('refuses overlapping images, naming both files and the range, and runs nothing', () => {
    const p = binParts();
    const at = FLASH + p.cut - 0x100;
    const r = f4emu([
      'run',
      p.at('part1.bin'),
      '--load',
      `${p.at('part2.bin')}@${hex(at)}`,
      '--semihosting',
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `f4emu: ${p.at('part1.bin')} and ${p.at('part2.bin')}@${hex(at)} overlap at ` +
        `${hex(at)}-${hex(at + 0xff)} (256 bytes): the later one would overwrite the other; ` +
        'load each at its own address\n',
    );
    // The flash alias at 0 is the same bytes as 0x08000000.
    const alias = f4emu(['run', p.at('part1.bin'), '--load', `${p.at('part2.bin')}@0x100`]);
    expect(alias.code).toBe(2);
    expect(alias.stderr).toMatch(/overlap at 0x08000100-0x/);
  });

  it('says an ELF loads at its own addresses, a .bin needs one, and a bad ADDR is one line', () => {
    const p = binParts();
    const elf = f4emu(['run', p.at('part1.bin'), '--load', `${DEMO}@0x08020000`]);
    expect(elf.code).toBe(2);
    expect(elf.stderr).toBe(
      `f4emu: ${DEMO}@0x08020000: an ELF loads at the addresses it was linked for; ` +
        'drop the @0x08020000\n',
    );
    const noAddr = f4emu(['run', p.at('part1.bin'), '--load', p.at('part2.bin')]);
    expect(noAddr.code).toBe(2);
    expect(noAddr.stderr).toBe(
      `f4emu: ${p.at('part2.bin')}: a raw binary needs an address: --load ` +
        `${p.at('part2.bin')}@ADDR (only the first image goes to 0x08000000 without one)\n`,
    );
    const badAddr = f4emu(['run', p.at('part1.bin'), '--load', `${p.at('part2.bin')}@0x0802zz`]);
    expect(badAddr.code).toBe(2);
    expect(badAddr.stderr).toMatch(/^f4emu: --load .*part2\.bin@0x0802zz: bad address '0x0802zz'/);
    expect(badAddr.stderr.trimEnd().split('\n')).toHaveLength(1);
    const outside = f4emu(['run', p.at('part1.bin'), '--load', `${p.at('part2.bin')}@0x30000000`]);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(
      new RegExp(
        `^f4emu: ${p.at('part2.bin')}@0x30000000: segment at 0x30000000 \\(\\d+ bytes\\) lies ` +
          "outside the STM32F407's memory",
      ),
    );
  });

  it('names a missing --load file in one line, exit 2, as for the positional image', () => {
    const p = binParts();
    const missing = path.join(p.dir, 'nope.bin');
    const r = f4emu(['run', p.at('part1.bin'), '--load', `${missing}@0x08020000`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^f4emu: cannot read '${missing}': ENOENT[^\\n]*\\n$`));
  });

  it('keeps what --load wrote in the --flash-file: the saved flash boots alone', () => {
    const { flash } = splitElf(DEMO);
    const dir = tmpDir('f4emu-load-');
    const cut = 0x4000;
    fs.writeFileSync(path.join(dir, 'a.bin'), flash.subarray(0, cut));
    fs.writeFileSync(path.join(dir, 'b.bin'), flash.subarray(cut));
    const saved = path.join(dir, 'flash.img');
    const expectBoot = ['--expect', 'keeps it across runs', '--timeout', '30'];
    const first = f4emu([
      'run',
      path.join(dir, 'a.bin'),
      '--load',
      `${path.join(dir, 'b.bin')}@${hex(FLASH + cut)}`,
      '--flash-file',
      saved,
      ...expectBoot,
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/boot #1 \(counted in flash sector 11/);
    const again = f4emu(['run', '--flash-file', saved, ...expectBoot]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/f4emu board demo on STM32F4Discovery[\s\S]*boot #2 /);
  });

  it('the diagnostics see the symbols of every ELF: --leak-check on a split leak.elf', () => {
    const leakElf = path.join(ROOT, 'firmware/prebuilt/diag/leak.elf');
    const { image, flash, ram } = splitElf(leakElf);
    const dir = tmpDir('f4emu-load-');
    const cut = (flash.length >> 1) & ~0xff;
    // The main ELF: the first half of flash, no symbols, no debug info; the extra ELF: the rest
    // (flash and SRAM) and every symbol of leak.elf.
    const a = path.join(dir, 'a.elf');
    const b = path.join(dir, 'b.elf');
    fs.writeFileSync(a, writeElf(image.entry!, [{ address: FLASH, data: flash.subarray(0, cut) }]));
    const rest = [{ address: FLASH + cut, data: flash.subarray(cut) }, ...ram];
    fs.writeFileSync(b, writeElf(image.entry!, rest, fs.readFileSync(leakElf)));
    const findings = (stderr: string) =>
      stderr.split('\n').filter((l) => l.startsWith('f4emu: leak-check:'));
    const wholeRun = f4emu(['run', leakElf, '--semihosting', '--leak-check']);
    const split = f4emu(['run', a, '--load', b, '--semihosting', '--leak-check']);
    expect(split.stdout).toBe(wholeRun.stdout);
    expect(split.code).toBe(6);
    expect(split.code).toBe(wholeRun.code);
    // The same findings, by function name; file:line come from the main ELF's DWARF (none here).
    const whole = findings(wholeRun.stderr).map((l) => l.replace(/ \([^()]*:\d+\)/g, ''));
    expect(whole.length).toBeGreaterThan(3);
    expect(whole.join('\n')).toMatch(/allocated at make_message\+0x8/);
    expect(findings(split.stderr)).toEqual(whole);
  });

  it('--gdb sees the symbols of every ELF: the extra one names the reset handler', async () => {
    const { image, flash } = splitElf(DEMO);
    const dir = tmpDir('f4emu-load-');
    const cut = 0x4000;
    const entry = image.entry!;
    expect(entry & ~1).toBeLessThan(FLASH + cut); // the reset handler is in the first part
    const name = image.symbols.describe(entry)!;
    expect(name).toBeTruthy();
    // part A: the vector table and reset handler, no symbols; part B: the rest, every symbol.
    const a = path.join(dir, 'a.elf');
    const b = path.join(dir, 'b.elf');
    fs.writeFileSync(a, writeElf(entry, [{ address: FLASH, data: flash.subarray(0, cut) }]));
    fs.writeFileSync(
      b,
      writeElf(entry, [{ address: FLASH + cut, data: flash.subarray(cut) }], fs.readFileSync(DEMO)),
    );
    expect(parseElf(fs.readFileSync(a)).symbols.size).toBe(0);

    const info = async (images: string[]) => {
      const child = spawn(
        process.execPath,
        [CLI, 'run', ...images, '--gdb', '127.0.0.1:0', '--wait-gdb'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      running.push(child);
      let stdout = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      const port = await new Promise<number>((resolve, reject) => {
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', () => reject(new Error(`f4emu exited: ${stderr}`)));
      });
      const rsp = await Rsp.connect(port);
      const text = await rsp.monitor('info');
      await rsp.command('c', false); // run on: the banner shows both parts were loaded
      await waitUntil(() => /f4emu board demo/.test(stdout));
      rsp.close();
      child.kill();
      return text;
    };
    const merged = await info([a, '--load', b]);
    expect(merged).toMatch(new RegExp(`pc ${hex(entry & ~1)} <${name.replace(/\+/g, '\\+')}>`));
    // The first ELF is the main one when every image comes with --load; symbols still merge.
    expect(await info(['--load', a, '--load', b])).toContain(`<${name}>`);
    // With part B as a .bin (the same bytes, no symbols) nothing names it: the name came
    // from part B's symbols.
    fs.writeFileSync(path.join(dir, 'b.bin'), flash.subarray(cut));
    const unnamed = await info([a, '--load', `${path.join(dir, 'b.bin')}@${hex(FLASH + cut)}`]);
    expect(unnamed).toMatch(new RegExp(`pc ${hex(entry & ~1)}\\n`));
    expect(unnamed).not.toContain(`<${name}>`);
  }, 60_000);
});

/** Resolves once `cond()` holds (polled), or rejects after 20 s. */
function waitUntil(cond: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (cond()) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > 20_000) {
        clearInterval(poll);
        reject(new Error('timed out'));
      }
    }, 20);
  });
}

/** A minimal GDB remote protocol client: packets with checksums, acknowledged. */
class Rsp {
  private buffer = '';
  private waiters: (() => void)[] = [];
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('latin1');
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static connect(port: number): Promise<Rsp> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Rsp(s)));
      s.on('error', reject);
    });
  }

  private async packet(): Promise<string> {
    for (;;) {
      const m = /\$([^#]*)#[0-9a-f]{2}/.exec(this.buffer);
      if (m) {
        this.buffer = this.buffer.slice(m.index + m[0].length);
        this.socket.write('+');
        return m[1]!;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private send(body: string): void {
    let sum = 0;
    for (const c of body) sum = (sum + c.charCodeAt(0)) & 0xff;
    this.socket.write(`$${body}#${sum.toString(16).padStart(2, '0')}`);
  }

  async command(body: string, reply = true): Promise<string> {
    this.send(body);
    return reply ? this.packet() : '';
  }

  /** `monitor CMD`: its console output (O packets) up to the final OK. */
  async monitor(cmd: string): Promise<string> {
    this.send('qRcmd,' + Buffer.from(cmd).toString('hex'));
    let out = '';
    for (;;) {
      const p = await this.packet();
      if (p === 'OK') return out;
      if (!p.startsWith('O')) throw new Error(`unexpected reply ${p}`);
      out += Buffer.from(p.slice(1), 'hex').toString();
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
