/**
 * A Machine wires the Cortex-M4 core, the STM32F407 memory map, the system control space and
 * virtual time together, and runs them: batches of instructions up to the next clock event,
 * exceptions taken between instructions, WFI jumping the clock to the next alarm.
 */
import {
  Bus,
  type AccessSize,
  type MemoryRegion,
  type MmioDevice,
  type WatchKind,
} from '../bus/bus.js';
import { Clock } from '../clock/clock.js';
import { Cpu, type StopReason } from '../core/cpu.js';
import { ExceptionUnit } from '../core/exceptions.js';
import { Jit, type JitOptions } from '../core/jit/jit.js';
import { DebugMonitor, DEMCR_TRCENA } from '../core/scs/debugMonitor.js';
import { Dwt, Itm } from '../core/scs/dwt.js';
import { Fpb } from '../core/scs/fpb.js';
import { Nvic } from '../core/scs/nvic.js';
import { Scb } from '../core/scs/scb.js';
import { SysTick } from '../core/scs/systick.js';
import {
  ClockTree,
  type Peripheral,
  type PeripheralContext,
  type ResetCause,
} from '../peripherals/peripheral.js';
import type { MemoryMode } from '../peripherals/syscfg/syscfg.js';
import { createStm32f407, type Stm32f407Soc } from './soc/stm32f407.js';
import { STM32F407_MEMORY as MEMORY, socBlock } from './soc/stm32f407Map.js';
import { STM32F4DISCOVERY, type BoardDescription } from '../boards/stm32f4discovery.js';
import { Board } from './board.js';
import { Lan8720Phy } from '../peripherals/eth/lan8720.js';

// Addresses and sizes from the SoC table (./soc/stm32f407Map.ts).
export const FLASH_BASE: number = MEMORY.flash.base;
export const FLASH_SIZE: number = MEMORY.flash.size;
export const SRAM_BASE: number = MEMORY.sram.base;
export const SRAM_SIZE: number = MEMORY.sram.size;
export const CCM_BASE: number = MEMORY.ccm.base;
export const CCM_SIZE: number = MEMORY.ccm.size;
export const SYSTEM_MEMORY_BASE: number = MEMORY.systemMemory.base;
export const BKPSRAM_BASE: number = MEMORY.backupSram.base;

export interface MachineOptions {
  /** The board around the chip (default: the STM32F4Discovery). */
  board?: BoardDescription;
  /** Where one-time warnings (unimplemented registers...) go. */
  warn?: (message: string) => void;
  /**
   * The block translator (src/core/jit): on unless false. Options tune it (tests translate
   * every block at its first entry, or make single-instruction blocks).
   */
  jit?: boolean | JitOptions;
}

/** RAM behind a device window (regions smaller than the bus's 64 KB pages). */
class RamDevice implements MmioDevice {
  readonly bytes: Uint8Array;
  constructor(
    readonly name: string,
    size: number,
  ) {
    this.bytes = new Uint8Array(size);
  }
  read(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.bytes[offset + i]!;
    return v >>> 0;
  }
  write(offset: number, value: number, size: AccessSize): void {
    for (let i = 0; i < size; i++) this.bytes[offset + i] = (value >>> (8 * i)) & 0xff;
  }
  /** Memory: only a write changes it. */
  readIsStable(): boolean {
    return true;
  }
}

export class Machine {
  readonly clock = new Clock();
  readonly bus = new Bus();
  readonly cpu: Cpu;
  readonly nvic = new Nvic();
  readonly systick: SysTick;
  readonly scb: Scb;
  readonly dwt: Dwt;
  readonly fpb: Fpb;
  /** DWT watchpoint events and DEMCR.MON_STEP (the debug events that do not escalate). */
  readonly debugMonitor: DebugMonitor;
  readonly itm = new Itm();
  readonly exc: ExceptionUnit;
  readonly flash;
  readonly sram;
  readonly ccm;
  readonly systemMemory;
  /** What SYSCFG_MEMRMP shows at address 0 (main flash after reset). */
  private bootAlias: MemoryRegion | null;
  /** Bus clocks as the RCC sets them; the core clock follows HCLK. */
  readonly clocks = new ClockTree();
  /** LEDs and the user button of the board. */
  readonly board: Board;
  /** The Ethernet PHY of the board (LAN8720A), on the MAC's MDIO bus. */
  readonly phy: Lan8720Phy;
  /** The STM32F407's peripherals, typed: `soc.rcc`, `soc.usarts[1]` (USART2), `soc.gpios[3]`. */
  readonly soc: Stm32f407Soc;
  /** The same peripherals by name (e.g. 'USART2', 'GPIOD', 'RCC'). */
  readonly peripherals = new Map<string, Peripheral>();
  /** Cause of the system reset requested for after the current instruction, if any. */
  private resetRequested: ResetCause | null = null;
  /** The data access that stopped the machine with reason 'watchpoint'. */
  watchHit: { address: number; kind: WatchKind } | null = null;
  /** Called after every reset (the CLI re-announces, peripherals re-arm). */
  onReset: () => void = () => {};

  constructor(options: MachineOptions = {}) {
    if (options.warn) this.bus.warn = options.warn;
    const bus = this.bus;
    this.flash = bus.addRegion({ ...MEMORY.flash, writable: false });
    this.flash.bytes.fill(0xff); // erased
    this.bootAlias = bus.addAlias(MEMORY.bootAlias.name, MEMORY.bootAlias.base, this.flash);
    this.sram = bus.addRegion({ ...MEMORY.sram, writable: true });
    this.ccm = bus.addRegion({ ...MEMORY.ccm, writable: true });
    this.systemMemory = bus.addRegion({ ...MEMORY.systemMemory, writable: false });
    this.systemMemory.bytes.fill(0xff);
    const backup = MEMORY.backupSram; // 4 KB: smaller than a bus page, so behind a device window
    bus.mapDevice(backup.base, backup.size, new RamDevice(backup.name, backup.size));

    this.cpu = new Cpu(bus, this.clock);
    if (options.jit !== false) {
      this.cpu.jit = new Jit(typeof options.jit === 'object' ? options.jit : {});
    }
    // A peripheral that schedules an alarm inside the current batch ends the batch.
    this.clock.onEarlierAlarm = () => this.cpu.requestAttention();
    this.systick = new SysTick(this.clock, () => this.nvic.setPending(15));
    const cpu = this.cpu;
    this.scb = new Scb(this.nvic, this.systick, {
      privileged: () => cpu.accessPrivileged,
      vectActive: () => cpu.ipsr,
      requestSystemReset: () => this.requestReset('software'),
      warnOnce: (key, message) => bus.warnOnce(key, message),
    });
    this.dwt = new Dwt(this.clock);
    this.dwt.traceEnabled = () => (this.scb.demcr & DEMCR_TRCENA) !== 0;
    this.scb.onDemcrWrite = (write) => this.dwt.traceEnableChange(write);
    this.exc = new ExceptionUnit(cpu, this.nvic, this.scb);
    cpu.exc = this.exc;
    this.debugMonitor = new DebugMonitor(cpu);
    this.debugMonitor.attach();
    this.dwt.attach(cpu, bus, this.debugMonitor);
    this.fpb = new Fpb(cpu, () => cpu.accessPrivileged);
    for (const [name, dev] of [
      ['SCS', this.scb],
      ['DWT', this.dwt],
      ['FPB', this.fpb],
      ['ITM', this.itm],
    ] as const) {
      const b = socBlock(name);
      bus.mapDevice(b.base, b.size, dev);
    }

    // The STM32F407's peripherals on their RM0090 addresses; the core clock follows HCLK.
    const ctx: PeripheralContext = {
      clock: this.clock,
      clocks: this.clocks,
      setIrq: (irq, level) => this.nvic.setIrqLevel(irq, level),
      bus,
      warn: (m) => bus.warnOnce(m, m),
      requestReset: (cause) => this.requestReset(cause),
    };
    this.clocks.onChange(() => {
      this.clock.setFrequency(this.clocks.hclk);
    });
    const board = options.board ?? STM32F4DISCOVERY;
    this.soc = createStm32f407(ctx, { hseHz: board.hseHz });
    for (const p of this.soc.all) {
      bus.mapDevice(p.base, p.size, p);
      this.peripherals.set(p.name, p);
    }
    this.board = new Board(board, this.soc.gpios, this.clock, this.soc);
    // The baseboard's LAN8720A on the MAC's MDIO bus, at the address its straps give.
    this.phy = new Lan8720Phy({
      clock: this.clock,
      address: board.phyAddress,
      warn: (m) => bus.warnOnce(m, m),
    });
    this.soc.eth.attachPhy(board.phyAddress, this.phy);
    this.soc.syscfg.onRemap = (mode) => this.remapBootMemory(mode);
    // Like the DWT: the access completes, the machine stops after the instruction.
    bus.onWatchHit = (address, kind) => {
      this.watchHit = { address, kind };
      this.requestStop('watchpoint');
    };
    this.reset();
  }

  /**
   * Power-on or system reset: core registers, SCS, peripherals, then SP and PC from the vector
   * table. Without a cause, a reset at virtual cycle 0 is the power-on reset and a later one a
   * software reset (as by SYSRESETREQ); RCC_CSR records it and the backup domain survives all
   * but power-on.
   */
  reset(cause: ResetCause = this.clock.cycles === 0 ? 'power-on' : 'software'): void {
    const cpu = this.cpu;
    this.resetRequested = null;
    this.nvic.reset();
    this.systick.reset();
    this.scb.reset();
    this.debugMonitor.reset();
    this.dwt.reset();
    this.fpb.reset();
    this.itm.reset();
    this.exc.reset();
    for (const p of this.peripherals.values()) p.reset(cause);
    // Every reset drives NRST low, and the baseboard ties the PHY's nRST to it.
    this.phy.reset();
    cpu.r.fill(0);
    cpu.apsr = 0;
    cpu.it = 0;
    cpu.ipsr = 0;
    cpu.primask = cpu.faultmask = cpu.basepri = 0;
    cpu.control = 0;
    cpu.otherSp = 0;
    cpu.exclusiveAddr = -1;
    cpu.sleeping = false;
    cpu.eventRegister = false;
    cpu.stopReason = null;
    cpu.attention = 0;
    cpu.r[14] = 0xffffffff;
    const sp = this.bus.read32(0);
    const pc = this.bus.read32(4);
    cpu.r[13] = sp & ~3;
    cpu.t = pc & 1;
    cpu.setPc(pc);
    this.onReset();
  }

  /**
   * SYSCFG_MEMRMP.MEM_MODE: main flash (0), system memory (1), FSMC bank 1 (2, not modelled:
   * nothing answers at 0) or SRAM1 (3) at address 0. Decoded instructions are dropped: the same
   * addresses now hold other code.
   */
  private remapBootMemory(mode: MemoryMode): void {
    if (this.bootAlias) this.bus.removeRegion(this.bootAlias);
    const target = [this.flash, this.systemMemory, null, this.sram][mode];
    if (!target)
      this.bus.warnOnce(
        'fsmc-remap',
        'f4emu: SYSCFG: FSMC bank 1 remapped at 0, but the FSMC is not modelled: nothing answers there',
      );
    const names = ['flash', 'system memory', 'FSMC', 'SRAM'];
    this.bootAlias = target ? this.bus.addAlias(`${names[mode]} (boot alias)`, 0, target) : null;
    this.cpu.invalidateAll();
  }

  /** A system reset after the current instruction (SYSRESETREQ, a watchdog). */
  requestReset(cause: ResetCause): void {
    this.resetRequested = cause;
    this.cpu.requestAttention();
  }

  /** Asks the run loop to stop after the current instruction. */
  requestStop(reason: StopReason): void {
    this.cpu.stopReason = reason;
    this.cpu.requestAttention();
  }

  /**
   * Executes exactly one instruction for a debugger's single step. An exception that becomes
   * pending is taken, so the step ends at the handler's first instruction; a step that starts
   * with an exception already pending ends there without executing anything else.
   */
  step(): StopReason {
    const cpu = this.cpu;
    if (cpu.attention !== 0 && cpu.stopReason === null) {
      const pc = cpu.pc;
      const ipsr = cpu.ipsr;
      if (this.resetRequested) this.reset(this.resetRequested);
      this.exc.serviceAttention();
      if (cpu.pc !== pc || cpu.ipsr !== ipsr) return 'limit';
    }
    const reason = this.run(1);
    if (reason === 'limit' && cpu.attention !== 0 && cpu.stopReason === null) {
      if (this.resetRequested) this.reset(this.resetRequested);
      this.exc.serviceAttention();
    }
    return reason;
  }

  /**
   * While the core sleeps (WFI/WFE): virtual time jumps from alarm to alarm, within `maxCycles`,
   * until an exception wakes it (taken, so the PC is at the handler) — without executing an
   * instruction, so a trace can show the handler's first one. 'limit' when awake or out of
   * cycles, 'sleep' when nothing could ever wake it, or another stop reason.
   */
  sleepUntilWake(maxCycles = Infinity): StopReason {
    return this.run(Infinity, maxCycles, true);
  }

  /**
   * Runs until a stop reason, `maxInstructions` more instructions or `maxCycles` more cycles.
   * Returns why it stopped ('limit' when a budget ran out, or with `untilAwake` as soon as the
   * core is not asleep).
   */
  run(maxInstructions = Infinity, maxCycles = Infinity, untilAwake = false): StopReason {
    const cpu = this.cpu;
    const clock = this.clock;
    const instrEnd = cpu.instructions + maxInstructions;
    const cycleEnd = clock.cycles + maxCycles;
    for (;;) {
      if (cpu.attention !== 0) {
        if (this.resetRequested) this.reset(this.resetRequested);
        this.exc.serviceAttention();
      }
      const stop = cpu.stopReason;
      if (stop !== null) {
        if (stop !== 'lockup') cpu.stopReason = null;
        return stop;
      }
      if (cpu.instructions >= instrEnd || clock.cycles >= cycleEnd) return 'limit';
      if (untilAwake && !cpu.sleeping) return 'limit';
      const due = Math.min(clock.nextDue(), cycleEnd);
      if (cpu.sleeping) {
        if (due === Infinity) return 'sleep';
        if (clock.cycles < due) clock.cycles = due;
        clock.fireDue();
        continue;
      }
      clock.horizon = due;
      clock.executing = true;
      try {
        cpu.executeBatch(instrEnd, due);
      } finally {
        clock.executing = false;
        clock.horizon = Infinity;
      }
      clock.fireDue();
    }
  }
}
