/**
 * Reading the guest's memory for diagnostics, as a debugger does: through the bus's peek (RAM,
 * flash, CCM; never a device register, never a fault, no watchpoint), undefined where nothing
 * is mapped.
 */
import type { Bus } from '../bus/bus.js';

export interface GuestMemory {
  read8(addr: number): number | undefined;
  read16(addr: number): number | undefined;
  read32(addr: number): number | undefined;
}

export function busMemory(bus: Bus): GuestMemory {
  const read = (addr: number, size: number): number | undefined => {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const b = bus.peek8((addr + i) >>> 0);
      if (b === undefined) return undefined;
      v = v * 256 + b;
    }
    return v >>> 0;
  };
  return {
    read8: (addr) => bus.peek8(addr >>> 0),
    read16: (addr) => read(addr, 2),
    read32: (addr) => read(addr, 4),
  };
}

/** The NUL-terminated string at `addr` (Latin-1), at most `max` bytes; undefined if unreadable. */
export function readCString(mem: GuestMemory, addr: number, max = 64): string | undefined {
  let s = '';
  for (let i = 0; i < max; i++) {
    const b = mem.read8((addr + i) >>> 0);
    if (b === undefined) return i === 0 ? undefined : s;
    if (b === 0) return s;
    s += String.fromCharCode(b);
  }
  return s;
}
