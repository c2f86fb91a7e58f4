/**
 * One report format for every diagnostic: a finding is one line on stderr (with its backtrace
 * indented below it), an entry in the JSON report for CI, and a reason for exit code 6.
 */

export type CheckName = 'leak-check' | 'stack-check' | 'trace-calls' | 'abi-check';

export interface Finding {
  check: CheckName;
  /** A short kind within the check: 'leak', 'invalid-free', 'double-free', 'overflow', ... */
  kind: string;
  /** The one line a person reads. */
  message: string;
  /** The task (thread) it happened in, when the OS is known. */
  task?: string;
  /** The guest PC it is about (a call site, a faulting store). */
  pc?: number;
  /** Symbolised frames, innermost first (`#0 0x08000abc f+0x12 (x.c:42)`). */
  backtrace?: string[];
  /** Bytes involved (leaks: total size), for sorting and the JSON report. */
  bytes?: number;
  /** Extra machine-readable data for the JSON report. */
  data?: Record<string, unknown>;
}

/** Collects findings and passes each on as it is made. */
export class Findings {
  readonly list: Finding[] = [];
  /** Called for each finding as it is added (the CLI prints it). */
  onFinding: ((f: Finding) => void) | null = null;

  add(f: Finding): void {
    this.list.push(f);
    this.onFinding?.(f);
  }

  count(check?: CheckName): number {
    return check ? this.list.filter((f) => f.check === check).length : this.list.length;
  }
}

/** `#i 0x0800abcd f+0x12 (x.c:42)` lines for a backtrace (return addresses, innermost first). */
export function backtraceLines(
  frames: readonly number[],
  symbolize: (pc: number, index: number) => string,
): string[] {
  return frames.map((pc, i) => `#${i} 0x${hex8(pc)} ${symbolize(pc, i)}`);
}

/** An address as 8 hex digits. */
export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** The finding as text: its line, then its backtrace indented. */
export function formatFinding(f: Finding): string {
  const lines = [`${f.check}: ${f.message}`];
  for (const frame of f.backtrace ?? []) lines.push(`    ${frame}`);
  return lines.join('\n');
}

/** The JSON report (`--leak-check=json:FILE` and friends). */
export function findingsJson(findings: readonly Finding[], extra: Record<string, unknown> = {}) {
  return JSON.stringify(
    {
      findings: findings.map((f) => ({
        ...f,
        pc: f.pc === undefined ? undefined : `0x${(f.pc >>> 0).toString(16).padStart(8, '0')}`,
      })),
      ...extra,
    },
    null,
    2,
  );
}

/** 1234567 → "1,234,567" (valgrind's style for byte counts). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
