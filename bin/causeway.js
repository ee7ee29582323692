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

// A command is over once main() settles: leave a moment for buffered output, then exit explicitly.
// Letting the event loop run dry is not safe: with HTTP/2 sessions just closed, node 20 can spin
// forever in its handle cleanup at exit (seen after 10,000 aborted tunnels), and a peer that keeps a
// connection open would keep the process alive.
function exit(code) {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 100);
}
