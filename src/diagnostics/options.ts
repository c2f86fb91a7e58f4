/** What diagnostics a run asks for (the CLI's and the page's options; no code behind them). */
import type { CheckName } from './findings.js';

export interface DiagOptions {
  leakCheck: boolean;
  stackCheck: boolean;
  /** Function names to trace ([] = the default POSIX set), or null when off. */
  traceCalls: string[] | null;
  abiCheck: boolean;
  /** JSON report files by check (`--leak-check=json:FILE`). */
  json: Partial<Record<CheckName, string>>;
  /** The exit code when a check found something (0: do not change the exit code). */
  exitCode: number;
}

export function noDiagnostics(): DiagOptions {
  return {
    leakCheck: false,
    stackCheck: false,
    traceCalls: null,
    abiCheck: false,
    json: {},
    exitCode: 6,
  };
}

export function anyDiagnostics(o: DiagOptions): boolean {
  return o.leakCheck || o.stackCheck || o.traceCalls !== null || o.abiCheck;
}
