/**
 * The bus's watch list (watch.ts): watchpoints by owner, callbacks for the DWT's, device
 * registers matched, read redirects for the FPB's literal remap; pages nothing watches keep
 * the fast path.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../machine/machine.js';

const SRAM = 0x20000000;

describe('bus watch list', () => {
  it("keeps each owner's watchpoints; a debugger hit is reported once per access", () => {
    const m = new Machine({ warn: () => {} });
    const hits: string[] = [];
    m.bus.onWatchHit = (a, kind) => hits.push(`gdb ${kind} ${a.toString(16)}`);
    m.bus.setWatchpoints([
      { address: SRAM, length: 4, kind: 'write' },
      { address: SRAM + 2, length: 4, kind: 'access' },
    ]);
    m.bus.setWatchpoints(
      [
        {
          address: SRAM,
          length: 8,
          kind: 'write',
          onHit: (a, s, w) => hits.push(`dwt ${a.toString(16)} ${s} ${w}`),
        },
      ],
      'dwt',
    );
    m.bus.write32(SRAM, 1);
    expect(hits.sort()).toEqual(['dwt 20000000 4 true', 'gdb write 20000000']);
    hits.length = 0;
    m.bus.setWatchpoints([], 'dwt');
    expect(m.bus.watchpointList).toHaveLength(2);
    m.bus.read16(SRAM + 4);
    expect(hits).toEqual(['gdb access 20000004']);
    m.bus.setWatchpoints([]);
    expect(m.bus.watchpointList).toHaveLength(0);
    hits.length = 0;
    m.bus.write32(SRAM, 2);
    expect(hits).toEqual([]);
  });

  it('matches accesses to device registers', () => {
    const m = new Machine({ warn: () => {} });
    const hits: number[] = [];
    m.bus.setWatchpoints(
      [{ address: 0x40020c14, length: 4, kind: 'write', onHit: (a) => hits.push(a) }],
      'dwt',
    );
    m.bus.read32(0x40020c14);
    m.bus.write32(0x40020c14, 1);
    m.bus.write32(0x40020c18, 1);
    expect(hits).toEqual([0x40020c14]);
  });

  it('redirects aligned data reads of a word; instruction fetches, unaligned reads and writes are not', () => {
    const m = new Machine({ warn: () => {} });
    m.bus.poke8(0x08000100, 0x11);
    m.bus.write32(SRAM + 0x40, 0xaabbccdd);
    m.bus.setReadRedirects([{ address: 0x08000100, target: SRAM + 0x40 }]);
    expect(m.bus.read32(0x08000100)).toBe(0xaabbccdd);
    expect(m.bus.read8(0x08000103)).toBe(0xaa);
    expect(m.bus.read16(0x08000102)).toBe(0xaabb);
    expect(m.bus.read16(0x080000ff) >>> 8).toBe(0x11); // unaligned: the original bytes
    m.bus.watchSuppressed = true; // the core fetching an instruction
    expect(m.bus.read8(0x08000100)).toBe(0x11);
    m.bus.watchSuppressed = false;
    m.bus.setReadRedirects([]);
    expect(m.bus.read32(0x08000100)).toBe(0xffffff11);
  });
});
