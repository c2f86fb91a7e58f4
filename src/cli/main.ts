/**
 * The f4emu command. `f4emu run <image>` loads firmware into a virtual STM32F4Discovery and runs
 * it (./run.ts); `f4emu web` serves the board's web page (./web.ts). The guest's semihosting exit status becomes the exit code. Other exit codes:
 *   2 bad usage or bad image, 3 lockup or unhandled fault, 4 instruction limit or timeout,
 *   5 an --expect text did not appear in time, 70 internal error.
 */
import * as fs from 'node:fs';
import { USAGE, UsageError, parseRunArgs } from './options.js';
import { EXIT_USAGE } from './report.js';
import { run, type RunIo } from './run.js';
import { serveWeb } from './web.js';
import { logHelp } from '../diagnostics/log.js';

export { EXIT_USAGE, EXIT_FAULT, EXIT_LIMIT, EXIT_EXPECT } from './report.js';

function version(): string {
  const pkg = JSON.parse(
    fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  return pkg.version;
}

/** `io`: where `f4emu run` reads console input (see RunIo); process.stdin unless given. */
export async function main(argv: string[], io: RunIo = {}): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command === undefined ? EXIT_USAGE : 0;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`f4emu ${version()}\n`);
    return 0;
  }
  if (command === 'web') return serveWeb(rest);
  if (command !== 'run') {
    process.stderr.write(
      `f4emu: unknown command '${command}' (try 'f4emu run <image>' or 'f4emu web')\n`,
    );
    return EXIT_USAGE;
  }
  if (rest.includes('--version')) {
    process.stdout.write(`f4emu ${version()}\n`);
    return 0;
  }
  let options;
  try {
    options = parseRunArgs(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`f4emu: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (options.log?.help) {
    process.stdout.write(logHelp() + '\n');
    return 0;
  }
  if (options.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  return run(options, io);
}
