/**
 * The board's LEDs (and the user button) in the terminal: a status line pinned to the bottom
 * row while the guest's console scrolls above it (a VT100 scroll region), redrawn when an LED
 * changes. Only on a TTY; `close()` gives the terminal its whole height back.
 *
 *   LD4 ● green  LD3 ○ orange  LD5 ○ red  LD6 ○ blue   B1 up (Ctrl-A b presses)
 *
 * An LED a timer dims by PWM shows a half dot and its duty cycle (`LD4 ◐ green 40%`); the line
 * is redrawn on pin changes, so a new duty cycle shows at the next redraw.
 */
import type { Board, LedState } from '../machine/board.js';

const COLORS: Record<LedState['color'], number> = { green: 32, orange: 33, red: 31, blue: 34 };
/** Redraws at most this often (ms): LEDs blinking faster than the eye need not cost output. */
const REDRAW_MS = 30;

export interface StatusTerminal {
  write(text: string): unknown;
  rows?: number;
  columns?: number;
  isTTY?: boolean;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

/** The status text for the current board state (ANSI colours for lit LEDs). */
export function renderBoardStatus(board: Board, color = true): string {
  const leds = board.leds.map((led) => {
    // A PWM-dimmed LED (0 < brightness < 1): a half-lit dot and its duty cycle.
    const dimmed = led.brightness > 0 && led.brightness < 1;
    const dot = dimmed ? '\u25d0' : led.on ? '\u25cf' : '\u25cb';
    const lit = color && led.on ? `\x1b[1;${COLORS[led.color]}m${dot}\x1b[0m` : dot;
    const level = dimmed ? ` ${Math.round(led.brightness * 100)}%` : '';
    return `${led.name} ${lit} ${led.color}${level}`;
  });
  const b = board.description.button;
  return `${leds.join('  ')}   ${b.name} ${board.buttonPressed ? 'down' : 'up'} (Ctrl-A b presses)`;
}

export class BoardStatusLine {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private rows = 0;

  constructor(
    private readonly board: Board,
    private readonly term: StatusTerminal,
  ) {
    this.layout();
    board.onLedChange(() => this.schedule());
    term.on?.('resize', this.onResize);
  }

  private readonly onResize = () => this.layout();

  /** Reserves the bottom row: scroll region above it, cursor back at the region's last line. */
  private layout(): void {
    if (this.closed) return;
    this.rows = this.term.rows ?? 24;
    if (this.rows < 3) return;
    // DECSTBM homes the cursor: make room first, then go back to the last scrolling row.
    this.term.write(`\n\x1b[1;${this.rows - 1}r\x1b[${this.rows - 1};1H`);
    this.draw();
  }

  private schedule(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draw();
    }, REDRAW_MS);
  }

  /** Draws the status row now (save cursor, bottom row, clear it, text, restore cursor). */
  draw(): void {
    if (this.closed || this.rows < 3) return;
    const width = this.term.columns ?? 80;
    const plain = renderBoardStatus(this.board, false);
    const text = plain.length > width ? plain.slice(0, width) : renderBoardStatus(this.board);
    this.term.write(`\x1b7\x1b[${this.rows};1H\x1b[2K${text}\x1b8`);
  }

  close(): void {
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.term.off?.('resize', this.onResize);
    if (this.rows >= 3) this.term.write(`\x1b[${this.rows};1H\x1b[2K\x1b[r\x1b[${this.rows};1H`);
    this.closed = true;
  }
}
