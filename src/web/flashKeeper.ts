/**
 * Which board's flash the page keeps (IndexedDB): only the running board's, and none booted from
 * a load asked for before the last erase. Each load gets a token; the worker tags the board's
 * 'booted' and 'flash' events with it. An erase refuses every token issued so far, so neither the
 * board it replaces (which sends its flash 300 ms after programming it) nor a board still booting
 * from an earlier load (the saved firmware, at the page's first moments) can undo it; a load that
 * fails leaves the running board's flash kept.
 */
export class FlashKeeper {
  private issued = 0;
  private floor = 1;
  private running = 0;

  /** The token for a new load. */
  nextToken(): number {
    return ++this.issued;
  }

  /** The board of load `token` booted (it replaced the running one). */
  booted(token: number): void {
    this.running = token;
  }

  /** The kept flash was erased: no board from a load asked for until now may save it again. */
  erased(): void {
    this.floor = this.issued + 1;
  }

  /** True when flash sent by the board of load `token` is to be kept. */
  keeps(token: number): boolean {
    return token === this.running && token >= this.floor;
  }
}
