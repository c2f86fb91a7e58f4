/**
 * A QEMU `-d`-like log: chosen kinds of events, one line each, without a full instruction trace.
 *
 *   int           exceptions and interrupts taken and returned ("USART2 (IRQ 38)", "SysTick")
 *   exc           faults: what raised them, the decoded CFSR/HFSR/BFAR/MMFAR, lockup
 *   unimp         every access to an unmodelled register or block (the warning is only the first)
 *   guest_errors  bus errors: accesses to addresses nothing answers
 *   mmio=NAME     every read/write of peripheral NAME's registers, by register name (repeatable;
 *                 `mmio` alone: every peripheral)
 *
 * Costs nothing while off: the exception model calls its observer behind a null check on its
 * rare paths, and MMIO logging swaps a logging wrapper into the bus's device map only for the
 * blocks asked for (removed again by the detach function), so other accesses are untouched.
 * Platform-neutral: lines go to a `write` callback.
 */
import type { AccessSize, BusError, MmioDevice } from '../bus/bus.js';
import type { ExceptionObserver, LockupInfo } from '../core/exceptions.js';
import {
  CFSR_BFARVALID,
  CFSR_IBUSERR,
  CFSR_MMARVALID,
  EXC_HARDFAULT,
  EXC_USAGEFAULT,
  describeCfsr,
  describeHfsr,
  exceptionName,
  type CpuFault,
} from '../core/faults.js';
import type { SymbolTable } from '../loader/elf.js';
import type { Machine } from '../machine/machine.js';
import { UnimplementedPeripheral } from '../peripherals/unimplemented.js';
import type { Peripheral } from '../peripherals/peripheral.js';
import { describeAddress } from './faultReport.js';
import { exceptionLabel } from './irqNames.js';

export interface LogSpec {
  int: boolean;
  exc: boolean;
  unimp: boolean;
  guestErrors: boolean;
  /** Peripheral names as given (`mmio=NAME`), 'all' (`mmio`), or null. */
  mmio: readonly string[] | 'all' | null;
  /** `help` was asked for: print `logHelp()` instead of running. */
  help: boolean;
}

/** The items a spec may hold, with what each logs (the text of `help`). */
export const LOG_ITEMS: readonly (readonly [string, string])[] = [
  ['int', 'exceptions and interrupts taken and returned, by name, with PC and handler'],
  ['exc', 'faults (HardFault, MemManage, BusFault, UsageFault) with the decoded reason; lockup'],
  ['unimp', 'every access to a register or block f4emu does not model'],
  ['guest_errors', 'bus errors: accesses to addresses where nothing answers'],
  ['mmio=NAME', "each read/write of peripheral NAME's registers (repeatable, e.g. mmio=USART2)"],
  ['mmio', 'each read/write of every peripheral register'],
  ['help', 'this list'],
];

export function logHelp(): string {
  const width = Math.max(...LOG_ITEMS.map(([name]) => name.length));
  return [
    'Log items (comma-separated, e.g. int,exc,mmio=USART2):',
    ...LOG_ITEMS.map(([name, what]) => `  ${name.padEnd(width)}  ${what}`),
  ].join('\n');
}

const VALID = LOG_ITEMS.map(([name]) => name).join(', ');

type Flag = 'int' | 'exc' | 'unimp' | 'guestErrors' | 'help';
const FLAGS = new Map<string, Flag>([
  ['int', 'int'],
  ['exc', 'exc'],
  ['unimp', 'unimp'],
  ['guest_errors', 'guestErrors'],
  ['help', 'help'],
]);

/** Parses `int,exc,unimp,mmio=USART2,guest_errors,...`; throws an Error naming a bad item. */
export function parseLogSpec(spec: string): LogSpec {
  const out: LogSpec = {
    int: false,
    exc: false,
    unimp: false,
    guestErrors: false,
    mmio: null,
    help: false,
  };
  const items = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new Error(`empty log specification (valid items: ${VALID})`);
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? null : item.slice(eq + 1).trim();
    if (key === 'mmio') {
      if (value === null) out.mmio = 'all';
      else if (value === '') throw new Error(`log item 'mmio=' needs a peripheral name`);
      else if (out.mmio !== 'all') out.mmio = [...(out.mmio ?? []), value];
      continue;
    }
    const flag = FLAGS.get(key);
    if (flag === undefined) throw new Error(`unknown log item '${item}' (valid items: ${VALID})`);
    if (value !== null) throw new Error(`log item '${key}' takes no value (got '${item}')`);
    out[flag] = true;
  }
  return out;
}

const hex = (v: number, digits = 8) => '0x' + (v >>> 0).toString(16).padStart(digits, '0');

/** A peripheral, or a core block on the bus (SCS, DWT, ITM), that mmio=NAME may name. */
interface LoggableDevice {
  dev: MmioDevice;
  name: string;
  base: number;
  regs?: Peripheral['regs'];
}

function loggableDevices(machine: Machine): LoggableDevice[] {
  const list: LoggableDevice[] = [...machine.peripherals.values()].map((p) => ({
    dev: p,
    name: p.name,
    base: p.base,
    regs: p.regs,
  }));
  list.push(
    { dev: machine.scb, name: machine.scb.name, base: 0xe000e000 },
    { dev: machine.dwt, name: machine.dwt.name, base: 0xe0001000 },
    { dev: machine.itm, name: machine.itm.name, base: 0xe0000000 },
  );
  return list;
}

/** `name` matches a block by its full name or the part before a '/' ("SPI2" for "SPI2/I2S2"). */
function findDevice(devices: LoggableDevice[], name: string): LoggableDevice | undefined {
  const norm = (s: string) => s.replace(/\s+/g, '').toUpperCase();
  const want = norm(name);
  return (
    devices.find((d) => norm(d.name) === want) ??
    devices.find((d) => norm(d.name).split('/')[0] === want)
  );
}

/** Forwards every access to the real device and reports it; mapped only while a log asks. */
class LoggedDevice implements MmioDevice {
  readonly name: string;
  constructor(
    readonly inner: MmioDevice,
    private readonly report: (offset: number, size: AccessSize, write: boolean, v: number) => void,
  ) {
    this.name = inner.name;
  }
  read(offset: number, size: AccessSize): number {
    const v = this.inner.read(offset, size);
    this.report(offset, size, false, v);
    return v;
  }
  write(offset: number, value: number, size: AccessSize): void {
    // Before the write: a line for the access comes before whatever the write sets off.
    this.report(offset, size, true, value);
    this.inner.write(offset, value, size);
  }
}

const sized = (v: number, size: AccessSize) =>
  size === 4 ? hex(v) : hex(v & (size === 1 ? 0xff : 0xffff), size * 2);

/**
 * Starts logging `spec` on `machine`, one line per event to `write` (no trailing newline), each
 * stamped with virtual time. `symbols` names PCs and handlers. Returns the function that stops
 * it and restores the machine exactly. Throws for a `mmio=NAME` naming no block, and when the
 * machine already has a log attached.
 */
export function attachLog(
  machine: Machine,
  spec: string | LogSpec,
  write: (line: string) => void,
  symbols: SymbolTable | null = null,
): () => void {
  const s = typeof spec === 'string' ? parseLogSpec(spec) : spec;
  const cpu = machine.cpu;
  const exc = machine.exc;
  // The observer slot doubles as the mark of an attached log (two would wrap devices twice).
  if (exc.observer !== null) throw new Error('a log is already attached to this machine');
  const at = (addr: number) => describeAddress(symbols, addr);
  // The clock gains monotonic nanoseconds (issue 9); until then the stamp is in cycles.
  const clock = machine.clock as { cycles: number; nanos?: number };
  const hasNanos = typeof clock.nanos === 'number';
  const stamp = (): string => {
    if (!hasNanos) return `[cycle ${clock.cycles}]`;
    const ns = Math.floor(clock.nanos!);
    return `[${Math.floor(ns / 1e9)}.${String(ns % 1e9).padStart(9, '0')}]`;
  };
  const line = (category: string, text: string) => write(`${stamp()} ${category}: ${text}`);

  const undo: (() => void)[] = [];

  // ---- MMIO and unmodelled blocks: wrappers in the bus's device map ----
  const devices = loggableDevices(machine);
  const mmio = new Set<LoggableDevice>();
  if (s.mmio === 'all') for (const d of devices) mmio.add(d);
  else if (s.mmio !== null) {
    for (const name of s.mmio) {
      const d = findDevice(devices, name);
      if (d === undefined) {
        const names = devices.map((x) => x.name).sort();
        throw new Error(`mmio=${name}: no such peripheral (peripherals: ${names.join(', ')})`);
      }
      mmio.add(d);
    }
  }
  const registerName = (d: LoggableDevice, offset: number): string => {
    const reg = d.regs?.register(offset & ~3);
    if (reg === undefined) return `${d.name}+0x${offset.toString(16)} (${hex(d.base + offset)})`;
    return `${d.name}.${reg.name}${offset & 3 ? `+${offset & 3}` : ''}`;
  };
  const bytes = (size: AccessSize) => (size === 1 ? '1 byte' : `${size} bytes`);
  for (const d of devices) {
    const logMmio = mmio.has(d);
    const unmodelledBlock = s.unimp && d.dev instanceof UnimplementedPeripheral;
    if (!logMmio && !unmodelledBlock) continue;
    const wrapper = new LoggedDevice(d.dev, (offset, size, isWrite, v) => {
      const what = `${isWrite ? 'write' : 'read'} ${sized(v, size)} (${bytes(size)})`;
      if (logMmio) line('mmio', `${registerName(d, offset)} ${what} at pc ${at(cpu.pc)}`);
      if (unmodelledBlock) {
        const effect = isWrite ? 'write ignored' : 'read returns 0';
        line(
          'unimp',
          `${d.name} is not modelled: ${isWrite ? 'write' : 'read'} at ${hex(d.base + offset)} ` +
            `(offset 0x${offset.toString(16)}, ${bytes(size)}), ${effect}, at pc ${at(cpu.pc)}`,
        );
      }
    });
    if (!machine.bus.replaceDevice(d.dev, wrapper)) continue;
    undo.push(() => machine.bus.replaceDevice(wrapper, d.dev));
  }
  // Unmodelled offsets inside modelled blocks: the register block reports them itself.
  if (s.unimp) {
    for (const d of devices) {
      const regs = d.regs;
      if (regs === undefined || d.dev instanceof UnimplementedPeripheral) continue;
      regs.onUnmodelled = (offset, size, isWrite, v) => {
        const access = isWrite ? `write ${sized(v, size)} ignored` : 'read returns 0';
        line(
          'unimp',
          `${d.name}: no register at offset 0x${offset.toString(16)} (${hex(d.base + offset)}), ` +
            `${bytes(size)} ${access}, at pc ${at(cpu.pc)}`,
        );
      };
      undo.push(() => (regs.onUnmodelled = null));
    }
  }

  // ---- exceptions (installed even when no category needs them: see the check above) ----
  exc.observer = exceptionObserver(machine, s, line, at);
  undo.push(() => (exc.observer = null));
  return () => {
    for (const u of undo.splice(0).reverse()) u();
  };
}

function exceptionObserver(
  machine: Machine,
  s: LogSpec,
  line: (category: string, text: string) => void,
  at: (addr: number) => string,
): ExceptionObserver {
  const cpu = machine.cpu;
  const scb = machine.scb;
  const isFault = (n: number) => n >= EXC_HARDFAULT && n <= EXC_USAGEFAULT;
  return {
    entered(n: number, returnAddress: number): void {
      if (s.int) {
        line('int', `${exceptionLabel(n)} taken at pc ${at(returnAddress)}, handler ${at(cpu.pc)}`);
      }
      if (s.exc && isFault(n)) {
        const status: string[] = [];
        if (n === EXC_HARDFAULT && scb.hfsr !== 0) {
          status.push(`HFSR ${hex(scb.hfsr)} ${describeHfsr(scb.hfsr).join(', ')}`);
        }
        if (scb.cfsr !== 0)
          status.push(`CFSR ${hex(scb.cfsr)} ${describeCfsr(scb.cfsr).join(', ')}`);
        if (scb.cfsr & CFSR_BFARVALID) status.push(`BFAR ${hex(scb.bfar)}`);
        if (scb.cfsr & CFSR_MMARVALID) status.push(`MMFAR ${hex(scb.mmfar)}`);
        line(
          'exc',
          `${exceptionName(n)} taken at pc ${at(returnAddress)}` +
            (status.length ? `: ${status.join('; ')}` : '') +
            `; handler ${at(cpu.pc)}`,
        );
      }
    },
    returned(n: number, pc: number): void {
      if (!s.int) return;
      const to = cpu.ipsr === 0 ? 'thread mode' : exceptionLabel(cpu.ipsr);
      line('int', `${exceptionLabel(n)} returns to ${to} at ${at(pc)}`);
    },
    faulted(fault: CpuFault, busError: BusError | null): void {
      const why = describeCfsr(fault.cfsrBit).join(', ');
      if (s.exc) {
        const addr = fault.address >= 0 ? ` (address ${hex(fault.address)})` : '';
        line('exc', `${exceptionName(fault.exception)} raised at pc ${at(cpu.pc)}: ${why}${addr}`);
      }
      if (!s.guestErrors) return;
      if (busError !== null) {
        line(
          'guest_errors',
          `${busError.write ? 'write to' : 'read from'} ${hex(busError.address)}: ` +
            `${busError.reason} (${why}) at pc ${at(cpu.pc)}`,
        );
      } else if (fault.cfsrBit & CFSR_IBUSERR) {
        line('guest_errors', `instruction fetch from ${hex(cpu.pc)}: nothing answers there`);
      }
    },
    lockedUp(info: LockupInfo): void {
      if (s.exc || s.int)
        line(s.exc ? 'exc' : 'int', `lockup at pc ${at(info.pc)}: ${info.reason}`);
    },
  };
}
