// A stand-in for scripts/torture/f4emuWorker.ts in test/torture-workers.test.ts: speaks the
// same protocol (see scripts/torture/workerPool.ts) without the emulator. A job's argv[0] says
// what to do: ok TEXT CODE, crash, hang, split (the marker in pieces), slowready.
const nonce = process.argv[2];
const mode = process.argv[3] ?? '';
if (mode === 'nostart') {
  process.stderr.write('Error: cannot load the CLI (stand-in)\n');
  process.exit(1);
}
const marker = (seq) => `\u0000f4emu-worker:${nonce}:${seq}\u0000`;
const write = (stream, text) => new Promise((resolve) => stream.write(text, () => resolve()));
const answer = (seq, code) =>
  process.send({
    seq,
    code,
    recycle: false,
    resources: process.getActiveResourcesInfo(),
    listeners: {},
  });

process.on('message', async ({ seq, argv }) => {
  const [what, text = '', code = '0'] = argv;
  if (what === 'crash') process.kill(process.pid, 'SIGSEGV');
  if (what === 'exit') process.exit(3);
  if (what === 'hang') for (;;);
  if (what === 'split') {
    const m = marker(seq);
    await write(process.stdout, `${text}${m.slice(0, 5)}`);
    await new Promise((r) => setTimeout(r, 50));
    await write(process.stdout, m.slice(5));
    await write(process.stderr, m);
    answer(seq, Number(code));
    return;
  }
  await write(process.stdout, text);
  await write(process.stderr, `pid ${process.pid}`);
  await write(process.stdout, marker(seq));
  await write(process.stderr, marker(seq));
  answer(seq, Number(code));
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
