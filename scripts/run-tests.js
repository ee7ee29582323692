#!/usr/bin/env node
// Runs every compiled test file with node's test runner. Listing the files here keeps this working on
// Node 20, whose --test does not expand globs. Pass "unit" or "e2e" to run one suite.
//
// Files named *.serial.test.js measure timing or throughput (a neighbour tunnel's share of the machine,
// how long a failover leaves new connections failing). On a 2-core machine another test file running
// beside them takes half the CPU and skews exactly what they measure, so they run after the rest, one
// at a time, with the machine to themselves. Every other file runs two at a time.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const suites = process.argv.slice(2);
const roots = (suites.length > 0 ? suites : ['unit', 'e2e']).map((s) => join('dist', 'test', s));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js')) files.push(path);
  }
};
for (const root of roots) walk(root);
files.sort();
const serial = files.filter((f) => f.endsWith('.serial.test.js'));
const parallel = files.filter((f) => !f.endsWith('.serial.test.js'));

const run = (list, concurrency) => {
  if (list.length === 0) return 0;
  const args = ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...list];
  return spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1;
};
const first = run(parallel, 2);
if (serial.length > 0) console.log(`# serial pass: ${serial.length} timing-sensitive file(s), one at a time`);
const second = run(serial, 1);
if (first !== 0 || second !== 0) {
  console.error(`# tests failed: ${first !== 0 ? 'parallel pass' : ''}${first !== 0 && second !== 0 ? ' and ' : ''}${second !== 0 ? 'serial pass' : ''}`);
}
process.exit(first !== 0 ? first : second);
