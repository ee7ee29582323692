#!/usr/bin/env node
// Writes docs/config.md from the zod config schemas (src/config/reference.ts). Run `npm run docs:config`
// (it builds first); `--check` only compares and exits 1 when docs/config.md is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { renderConfigReference } = await import(join(root, 'dist', 'src', 'config', 'reference.js'));
const target = join(root, 'docs', 'config.md');
let text;
try {
  text = renderConfigReference();
} catch (err) {
  process.stderr.write(`docs:config: ${err.message}\n`);
  process.exit(1);
}
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    process.stderr.write('docs/config.md is stale: run npm run docs:config\n');
    process.exit(1);
  }
  process.stdout.write('docs/config.md is up to date\n');
} else {
  writeFileSync(target, text);
  process.stdout.write(`docs:config: wrote ${target}\n`);
}
