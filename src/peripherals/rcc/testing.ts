/**
 * A stand-alone peripheral context for register-level tests: virtual clock, bus with the
 * STM32F407's flash (and boot alias) and system memory, clock tree, and recorded IRQ lines.
 */
import { Bus } from '../../bus/bus.js';
import { Clock } from '../../clock/clock.js';
import {
  ClockTree,
  type Peripheral,
  type PeripheralContext,
  type ResetCause,
} from '../peripheral.js';

export interface TestContext {
  ctx: PeripheralContext;
  clock: Clock;
  clocks: ClockTree;
  bus: Bus;
  irqs: Map<number, boolean>;
  warnings: string[];
  /** Resets requested by the peripherals (watchdogs), in order. */
  resets: ResetCause[];
  /** Advances virtual time by `cycles`, firing alarms on their due cycle. */
  advance(cycles: number): void;
  /** Maps a peripheral at its base address and returns it. */
  attach<T extends Peripheral>(p: T): T;
}

export function testContext(): TestContext {
  const clock = new Clock();
  const bus = new Bus();
  const clocks = new ClockTree();
  const irqs = new Map<number, boolean>();
  const warnings: string[] = [];
  const resets: ResetCause[] = [];
  bus.warn = (m) => warnings.push(m);
  const flash = bus.addRegion({ name: 'flash', base: 0x08000000, size: 0x100000, writable: false });
  flash.bytes.fill(0xff);
  bus.addRegion({ name: 'flash alias', base: 0, size: 0x100000, writable: false, aliasOf: flash });
  bus.addRegion({ name: 'SRAM', base: 0x20000000, size: 0x20000, writable: true });
  const sys = bus.addRegion({
    name: 'system memory',
    base: 0x1fff0000,
    size: 0x10000,
    writable: false,
  });
  sys.bytes.fill(0xff);
  clocks.onChange(() => {
    clock.setFrequency(clocks.hclk);
  });
  const ctx: PeripheralContext = {
    clock,
    clocks,
    bus,
    setIrq: (irq, level) => irqs.set(irq, level),
    warn: (m) => warnings.push(m),
    requestReset: (cause) => resets.push(cause),
  };
  return {
    ctx,
    clock,
    clocks,
    bus,
    irqs,
    warnings,
    resets,
    advance(cycles: number) {
      const end = clock.cycles + cycles;
      while (clock.nextDue() <= end) {
        clock.cycles = Math.max(clock.cycles, Math.ceil(clock.nextDue()));
        clock.fireDue();
      }
      clock.cycles = end;
    },
    attach(p) {
      bus.mapDevice(p.base, p.size, p);
      return p;
    },
  };
}
