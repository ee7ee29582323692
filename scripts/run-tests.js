#!/usr/bin/env node
// Runs every compiled test file with node's test runner. Listing the files here keeps this working on
// Node 20, whose --test does not expand globs. Pass "unit" or "e2e" to run one suite.
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
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=600000', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
