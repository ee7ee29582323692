#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (npm run build).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => exit(typeof code === 'number' ? code : 0),
  (err) => {
    process.stderr.write(`causeway: ${err?.message ?? err}\n`);
    exit(1);
  },
);

// A command is over once main() settles: leave a moment for buffered output, then exit even if a
// peer keeps a connection open.
function exit(code) {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 500).unref();
}
