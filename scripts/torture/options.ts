/* Command line of `npm run torture -- ...`. Pure. */

import type { FloatAbi } from './directives.js';

export interface TortureOptions {
  /** Optimisation levels without the dash: 'O0', 'O2', 'Os'... */
  opts: string[];
  float: FloatAbi;
  jobs: number;
  /** Substrings; a test runs when its name contains any of them (all tests when empty). */
  filters: string[];
  qemuOnly: boolean;
  /** Start `f4emu run` as a new process per test instead of in the persistent workers. */
  spawn: boolean;
  /** Ignore cached ELFs and cached QEMU verdicts. */
  rebuild: boolean;
  reportPath: string;
  help: boolean;
}

export const USAGE = `usage: npm run torture -- [options]
  --opt O0,O2,Os     optimisation levels, comma separated (default O2)
  --float soft|hard  float ABI; hard adds -mfloat-abi=hard -mfpu=fpv4-sp-d16 and execute/ieee/
  --jobs N           parallel builds/runs (default: number of CPUs)
  --filter a,b       only tests whose name contains one of the substrings
  --qemu-only        build and run under QEMU only (checks the harness without f4emu)
  --spawn            run each f4emu test as a new \`f4emu run\` process (the old way) instead of
                     in --jobs long-lived f4emu workers that load the emulator once
  --rebuild          ignore cached ELFs and cached QEMU verdicts
  --report FILE      where to write the JSON report (default torture-report.json)`;

const OPT_LEVEL = /^O([0-3sgz]|fast)?$/;

export function parseTortureArgs(argv: readonly string[], defaultJobs: number): TortureOptions {
  const o: TortureOptions = {
    opts: ['O2'],
    float: 'soft',
    jobs: defaultJobs,
    filters: [],
    qemuOnly: false,
    spawn: false,
    rebuild: false,
    reportPath: 'torture-report.json',
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--opt': {
        const levels = value()
          .split(',')
          .map((s) => s.trim().replace(/^-/, ''))
          .filter((s) => s !== '');
        const bad = levels.find((l) => !OPT_LEVEL.test(l));
        if (bad !== undefined || levels.length === 0) {
          throw new Error(`--opt: not an optimisation level: ${bad ?? '(none)'}`);
        }
        o.opts = [...new Set(levels)];
        break;
      }
      case '--float': {
        const v = value();
        if (v !== 'soft' && v !== 'hard') throw new Error(`--float must be soft or hard, not ${v}`);
        o.float = v;
        break;
      }
      case '--jobs':
      case '-j': {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new Error(`--jobs needs a positive integer: ${v}`);
        o.jobs = n;
        break;
      }
      case '--filter':
        o.filters.push(
          ...value()
            .split(',')
            .filter((s) => s !== ''),
        );
        break;
      case '--qemu-only':
        o.qemuOnly = true;
        break;
      case '--spawn':
        o.spawn = true;
        break;
      case '--rebuild':
        o.rebuild = true;
        break;
      case '--report':
        o.reportPath = value();
        break;
      case '--help':
      case '-h':
        o.help = true;
        break;
      default:
        throw new Error(`unknown option ${arg} (see --help)`);
    }
  }
  return o;
}

export function selectTests(names: readonly string[], filters: readonly string[]): string[] {
  if (filters.length === 0) return [...names];
  return names.filter((n) => filters.some((f) => n.includes(f)));
}
