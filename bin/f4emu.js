#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`f4emu: internal error: ${err && err.message ? err.message : err}\n`);
    process.exit(70);
  },
);
