/** The page's rule for which board's flash it keeps (src/web/flashKeeper.ts). */
import { describe, expect, it } from 'vitest';
import { FlashKeeper } from './flashKeeper.js';

describe('FlashKeeper', () => {
  it("keeps the running board's flash, not the one it replaced", () => {
    const k = new FlashKeeper();
    const a = k.nextToken();
    k.booted(a);
    expect(k.keeps(a)).toBe(true);
    const b = k.nextToken();
    expect(k.keeps(a)).toBe(true); // b not booted yet: a still runs
    k.booted(b);
    expect(k.keeps(a)).toBe(false); // a's late save
    expect(k.keeps(b)).toBe(true);
  });

  it('goes on keeping the running board when a load fails', () => {
    const k = new FlashKeeper();
    const a = k.nextToken();
    k.booted(a);
    k.nextToken(); // a bad file: no 'booted'
    expect(k.keeps(a)).toBe(true);
  });

  it('refuses the board an erase replaces, until the reloaded one boots', () => {
    const k = new FlashKeeper();
    const a = k.nextToken();
    k.booted(a);
    k.erased();
    expect(k.keeps(a)).toBe(false); // its save 300 ms after programming
    const demo = k.nextToken();
    expect(k.keeps(a)).toBe(false);
    k.booted(demo);
    expect(k.keeps(demo)).toBe(true);
  });

  it('refuses a board still booting from a load asked for before the erase', () => {
    // The page opens and boots the saved firmware; the erase is clicked before it has booted.
    const k = new FlashKeeper();
    const saved = k.nextToken();
    k.erased();
    k.booted(saved); // its 'booted' arrives after the erase
    expect(k.keeps(saved)).toBe(false);
    const demo = k.nextToken();
    k.booted(demo);
    expect(k.keeps(saved)).toBe(false);
    expect(k.keeps(demo)).toBe(true);
  });
});
