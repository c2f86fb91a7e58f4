/*
 * Verdicts and the torture report. Pure: the runner feeds outcomes in, gets JSON and text out.
 *
 * torture-report.json holds one OptReport per optimisation level: a single object when one
 * --opt was given, an array of them (in --opt order) when several were.
 */

import type { FloatAbi } from './directives.js';

export interface Verdict {
  pass: boolean;
  /** 'pass', 'exit 1', 'HardFault (exit 131)', 'timeout after 10 s', 'killed by SIGSEGV'... */
  detail: string;
}

export type Outcome =
  | { name: string; status: 'skipped'; reason: string }
  | { name: string; status: 'unsupported'; reason: string }
  | { name: string; status: 'ran'; qemu: Verdict; f4emu: Verdict | null };

export interface OptReport {
  opt: string;
  float: FloatAbi;
  /** Tests built and run (under f4emu, or under QEMU alone with --qemu-only). */
  total: number;
  /** null with --qemu-only. */
  f4emuPassed: number | null;
  qemuPassed: number;
  /** Tests that failed to compile or link; not in total. */
  unsupported: number;
  /** Tests whose directives rule them out for this target; not in total. */
  skipped: number;
  /** Tests where f4emu and QEMU verdicts differ. */
  disagreements: string[];
  /** Tests failing on both (with --qemu-only: failing on QEMU). */
  failures: string[];
  unsupportedTests: string[];
  /** Why each skipped test was left out. */
  skippedTests: Record<string, string>;
  /** How each run that did not pass on both sides ended. */
  details: Record<string, { qemu: string; f4emu: string | null }>;
}

const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  2: 'NMI',
  3: 'HardFault',
  4: 'MemManage',
  5: 'BusFault',
  6: 'UsageFault',
  11: 'SVCall',
  12: 'DebugMonitor',
  14: 'PendSV',
  15: 'SysTick',
};

/**
 * Verdict from how a guest process ended. startup.S exits with 128 + exception number on an
 * unhandled exception, so 131..143 name the fault; 144 and up are IRQ n - 16.
 */
export function exitVerdict(
  code: number | null,
  signal: string | null,
  timedOutAfterSeconds: number | null,
): Verdict {
  if (timedOutAfterSeconds !== null) {
    return { pass: false, detail: `timeout after ${timedOutAfterSeconds} s` };
  }
  if (code === null) return { pass: false, detail: `killed by ${signal ?? 'unknown signal'}` };
  if (code === 0) return { pass: true, detail: 'pass' };
  const exception = code - 128;
  if (exception >= 2 && exception < 256) {
    const name = EXCEPTION_NAMES[exception] ?? (exception >= 16 ? `IRQ ${exception - 16}` : null);
    if (name) return { pass: false, detail: `${name} (exit ${code})` };
  }
  return { pass: false, detail: `exit ${code}` };
}

export function summarize(
  opt: string,
  float: FloatAbi,
  outcomes: readonly Outcome[],
  qemuOnly: boolean,
): OptReport {
  const report: OptReport = {
    opt,
    float,
    total: 0,
    f4emuPassed: qemuOnly ? null : 0,
    qemuPassed: 0,
    unsupported: 0,
    skipped: 0,
    disagreements: [],
    failures: [],
    unsupportedTests: [],
    skippedTests: {},
    details: {},
  };
  const sorted = [...outcomes].sort((a, b) => compareNames(a.name, b.name));
  for (const o of sorted) {
    if (o.status === 'skipped') {
      report.skipped++;
      report.skippedTests[o.name] = o.reason;
      continue;
    }
    if (o.status === 'unsupported') {
      report.unsupported++;
      report.unsupportedTests.push(o.name);
      continue;
    }
    report.total++;
    if (o.qemu.pass) report.qemuPassed++;
    if (o.f4emu) {
      if (o.f4emu.pass) report.f4emuPassed = (report.f4emuPassed ?? 0) + 1;
      if (o.f4emu.pass !== o.qemu.pass) report.disagreements.push(o.name);
      else if (!o.qemu.pass) report.failures.push(o.name);
    } else if (!o.qemu.pass) {
      report.failures.push(o.name);
    }
    if (!o.qemu.pass || (o.f4emu && !o.f4emu.pass)) {
      report.details[o.name] = { qemu: o.qemu.detail, f4emu: o.f4emu?.detail ?? null };
    }
  }
  return report;
}

/** Order test names as `ls` would in the C locale, ieee/ after the top-level ones. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The JSON written to torture-report.json (see the header comment for its shape). */
export function reportJson(reports: readonly OptReport[]): string {
  return JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n';
}

/** Human summary for one optimisation level, several lines, no trailing newline. */
export function formatSummary(r: OptReport): string {
  const lines: string[] = [];
  const head = `torture: -${r.opt} ${r.float}-float: ${r.total} run, ${r.unsupported} unsupported, ${r.skipped} skipped`;
  const f4 = r.f4emuPassed === null ? '' : `, f4emu passed ${r.f4emuPassed}`;
  lines.push(`${head}; QEMU passed ${r.qemuPassed}${f4}`);
  const list = (label: string, names: readonly string[]): void => {
    if (names.length === 0) return;
    lines.push(`  ${label} (${names.length}):`);
    for (const n of names) {
      const d = r.details[n];
      const how = d ? ` - qemu: ${d.qemu}${d.f4emu === null ? '' : `, f4emu: ${d.f4emu}`}` : '';
      lines.push(`    ${n}${how}`);
    }
  };
  list('disagreements', r.disagreements);
  list(r.f4emuPassed === null ? 'QEMU failures' : 'failing on both', r.failures);
  if (r.unsupportedTests.length > 0) {
    lines.push(`  unsupported: ${r.unsupportedTests.join(' ')}`);
  }
  return lines.join('\n');
}

/**
 * The closing line. N + M is the number of tests run under f4emu over all optimisation levels;
 * with --qemu-only the counts are QEMU's and the line says so.
 */
export function finalLine(reports: readonly OptReport[]): string {
  const total = reports.reduce((n, r) => n + r.total, 0);
  const qemuOnly = reports.some((r) => r.f4emuPassed === null);
  const passed = reports.reduce((n, r) => n + (qemuOnly ? r.qemuPassed : (r.f4emuPassed ?? 0)), 0);
  const prefix = qemuOnly ? 'torture (qemu only)' : 'torture';
  return `${prefix}: ${passed} passed, ${total - passed} failed`;
}

export function hasDisagreements(reports: readonly OptReport[]): boolean {
  return reports.some((r) => r.disagreements.length > 0);
}
