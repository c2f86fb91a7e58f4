/*
 * A long-lived f4emu for the torture harness (scripts/torture/workerPool.ts forks it): imports
 * the CLI once, then runs one `f4emu ARGV...` after another, each through the CLI's own main()
 * exactly as bin/f4emu.js does, so a test costs its run and not Node's start and module loading.
 *
 * Protocol (the IPC channel of child_process.fork):
 *   parent -> worker  { seq, argv, cwd }       one job at a time
 *   worker -> parent  { ready: true }          once, when the CLI has loaded
 *   worker -> parent  { seq, code, recycle, resources, listeners }
 * The guest's output and f4emu's messages go to this process's stdout and stderr as they would
 * from `f4emu run` (the CLI writes to fds 1 and 2, partly with fs.writeSync); after each job the
 * worker writes MARKER(seq) to both, and the parent splits the streams there. The marker holds a
 * random nonce from argv[2], so no guest prints it by chance.
 *
 * Between runs nothing of one reaches the next: each run gets its own empty stdin (as `f4emu
 * run` under the harness reads /dev/null), the working directory is set per job, and `resources`
 * and `listeners` report what is still registered after a run so the parent (and the tests) can
 * see that nothing accumulates. An exception out of main() is answered as bin/f4emu.js answers it
 * (`f4emu: internal error: ...`, exit code 70), and the worker then exits: its state is unknown.
 */

import { Readable } from 'node:stream';

import { main } from '../../src/cli/main.js';
import { workerMarker, type WorkerAnswer, type WorkerJob } from './workerPool.js';

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

function processListeners(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of process.eventNames()) {
    if (typeof name === 'string') out[name] = process.listenerCount(name);
  }
  return out;
}

async function runJob(nonce: string, job: WorkerJob): Promise<WorkerAnswer> {
  let code: number;
  let recycle = false;
  try {
    process.chdir(job.cwd);
    // An empty stdin that ends at once, like the /dev/null a spawned `f4emu run` gets.
    code = await main(job.argv, { stdin: Readable.from([]) });
  } catch (err) {
    // As bin/f4emu.js reports a rejected main().
    const e = err as Error | undefined;
    process.stderr.write(`f4emu: internal error: ${e && e.message ? e.message : String(err)}\n`);
    code = 70;
    recycle = true;
  }
  const marker = workerMarker(nonce, job.seq);
  await write(process.stdout, marker);
  await write(process.stderr, marker);
  return {
    seq: job.seq,
    code,
    recycle,
    resources: process.getActiveResourcesInfo(),
    listeners: processListeners(),
  };
}

function serve(nonce: string): void {
  let chain = Promise.resolve();
  process.on('message', (message) => {
    const job = message as WorkerJob;
    chain = chain.then(async () => {
      const answer = await runJob(nonce, job);
      process.send!(answer, undefined, undefined, () => {
        if (answer.recycle) process.exit(0);
      });
    });
  });
  // The parent went away (or asked the worker to go): nothing more to do.
  process.on('disconnect', () => process.exit(0));
  // The CLI loaded (a static import above): tell the pool this worker can start at all.
  process.send!({ ready: true });
}

const nonce = process.argv[2];
if (process.send === undefined || nonce === undefined) {
  process.stderr.write('f4emuWorker: meant to be forked by scripts/torture/workerPool.ts\n');
  process.exit(2);
}
serve(nonce);
