/**
 * A peripheral's two DMA request lines (TX and RX), as the USARTs, SPIs and I2Cs have them: each
 * may drive several DMA streams (RM0090 maps some requests to two), and a line is driven only
 * when its level changes.
 */
export type DmaRequest = 'tx' | 'rx';

export class DmaRequestLines {
  private readonly drivers: Record<DmaRequest, ((level: boolean) => void)[]> = { tx: [], rx: [] };
  private readonly levels: Record<DmaRequest, boolean | null> = { tx: false, rx: false };

  /** Adds a driver for `request`; it gets `level` (the line's level now) at once. */
  connect(request: DmaRequest, drive: (level: boolean) => void, level: boolean): void {
    this.drivers[request].push(drive);
    drive(level);
  }

  /** Drives each line whose level changed. */
  update(tx: boolean, rx: boolean): void {
    this.drive('tx', tx);
    this.drive('rx', rx);
  }

  /** After a reset: the next update drives both lines, whatever their level. */
  forget(): void {
    this.levels.tx = this.levels.rx = null;
  }

  private drive(request: DmaRequest, level: boolean): void {
    if (level === this.levels[request]) return;
    this.levels[request] = level;
    for (const drive of this.drivers[request]) drive(level);
  }
}
