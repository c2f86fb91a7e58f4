#!/usr/bin/env node
// The f4emu command: runs the compiled TypeScript in dist/ (`npm run build` makes it).
const entry = new URL('../dist/src/cli/main.js', import.meta.url);

let main;
try {
  ({ main } = await import(entry));
} catch (err) {
  if (
    err &&
    err.code === 'ERR_MODULE_NOT_FOUND' &&
    String(err.message).includes('dist/src/cli/main.js')
  ) {
    process.stderr.write("f4emu: not built yet: run 'npm run build' (or 'npm start') first\n");
  } else {
    process.stderr.write(
      `f4emu: cannot load ${entry.pathname}: ${err && err.message ? err.message : err}\n`,
    );
  }
  process.exit(2);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`f4emu: internal error: ${err && err.message ? err.message : err}\n`);
    process.exit(70);
  },
);
