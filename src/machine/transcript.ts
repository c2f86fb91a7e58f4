/**
 * What a console printed, searched in order for the texts a script waits for (`--expect`,
 * `--expect-re`, SerialConsole.expect): each match starts after the previous one. Keeps the
 * last MiB. `append` tells the moment the awaited text completes, so the runner can stop the
 * machine at that very instruction.
 */

/** A literal text, or a regular expression (tested within the current line as bytes arrive). */
export type Awaited = string | RegExp;

const KEEP = 1 << 20;

export class Transcript {
  text = '';
  /** Where the next search starts (just after the previous match). */
  private from = 0;
  /** Start of the current line (for regular expressions as bytes arrive). */
  private lineStart = 0;
  /** The text being waited for, so `append` can tell the moment it completes. */
  awaiting: Awaited | null = null;

  /** Adds a character; true when it completes the awaited text. */
  append(byte: number): boolean {
    this.text += String.fromCharCode(byte);
    if (this.text.length > KEEP) {
      const drop = this.text.length - (KEEP >> 1);
      this.text = this.text.slice(drop);
      this.from = Math.max(0, this.from - drop);
      this.lineStart = Math.max(0, this.lineStart - drop);
    }
    const w = this.awaiting;
    let done = false;
    if (typeof w === 'string') {
      done = w.charCodeAt(w.length - 1) === byte && this.text.indexOf(w, this.from) >= 0;
    } else if (w !== null) {
      // From the current line only, so each byte costs a line's worth of matching; `take`
      // (at the end of every slice) still finds matches that start on earlier lines.
      done = this.search(w, Math.max(this.from, this.lineStart)) !== null;
    }
    if (byte === 0x0a) this.lineStart = this.text.length;
    return done;
  }

  /** If `what` appears after the previous match: the text up to its end, and it becomes the match. */
  take(what: Awaited): string | null {
    let at: number;
    let length: number;
    if (typeof what === 'string') {
      at = this.text.indexOf(what, this.from);
      length = what.length;
    } else {
      const m = this.search(what, this.from);
      if (m === null) return null;
      at = m.index;
      length = m[0].length;
    }
    if (at < 0) return null;
    const seen = this.text.slice(this.from, at + length);
    this.from = at + length;
    return seen;
  }

  /**
   * The first match of `re` starting at or after `from`, searched in the whole text so `^` and
   * `$` see real line boundaries (the multiline flag is added: a console is a text of lines).
   * A match counts once a character follows it, so `(\w+)` captures a whole word rather than
   * the first letter to arrive (the line's end comes at the latest).
   */
  private search(re: RegExp, from: number): RegExpExecArray | null {
    let g = this.searchers.get(re);
    if (g === undefined) {
      const flags = re.flags.replace(/[gy]/g, '');
      g = new RegExp(re.source, flags.includes('m') ? `${flags}g` : `${flags}gm`);
      this.searchers.set(re, g);
    }
    g.lastIndex = from;
    const m = g.exec(this.text);
    return m !== null && m.index + m[0].length < this.text.length ? m : null;
  }

  private readonly searchers = new WeakMap<RegExp, RegExp>();

  lastLines(n = 10): string[] {
    return this.text.split(/\r?\n/).slice(-n);
  }
}

/** How a script step names what it waits for, in messages. */
export function describeAwaited(w: Awaited): string {
  return typeof w === 'string' ? `'${w}'` : `/${w.source}/${w.flags}`;
}
