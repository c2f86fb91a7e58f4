/**
 * Watches a shell's console output for its prompt: each prompt ends the command typed after
 * the previous one (the leak check's checkpoint "between two prompts", as the talk ran `free`
 * before and after each command). The command is the echoed text after the prompt.
 */
export class PromptWatcher {
  private line = '';
  /** The command typed after the last prompt ('' until its line ends), null before any prompt. */
  private command: string | null = null;

  constructor(
    private readonly prompt: string,
    /** A prompt appeared: after `command` (trimmed) ran, or undefined for the first prompt or
     * an empty line. */
    private readonly onPrompt: (command: string | undefined) => void,
  ) {}

  feed(byte: number): void {
    if (byte === 0x0a || byte === 0x0d) {
      if (this.command === '' && this.line.includes(this.prompt)) {
        this.command = this.line.slice(this.line.lastIndexOf(this.prompt) + this.prompt.length);
      }
      this.line = '';
      return;
    }
    this.line += String.fromCharCode(byte);
    if (this.line.length > 512) this.line = this.line.slice(-128);
    if (!this.line.endsWith(this.prompt)) return;
    // A prompt ends the command typed after the previous one (minus terminal escapes).
    const done = this.command?.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim();
    this.onPrompt(done ? done : undefined);
    this.command = '';
  }
}
