#!/usr/bin/env node
// Builds dist-sea/causeway, a single-file executable of the CLI (Node's "single executable
// applications"): esbuild bundles bin/causeway.js and everything it imports from dist/ into one CommonJS
// file (Node 20's SEA runs only CommonJS), node writes the SEA blob, postject injects it into a copy of
// this node binary. better-sqlite3's native addon cannot live inside the executable: it is copied beside
// it as dist-sea/better_sqlite3.node, built for this very node (src/sqlite/native-binding.ts loads it).
// Run `npm run build` first (npm run build:sea does both). `--out DIR` writes there instead of dist-sea/.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outFlag = process.argv.indexOf('--out');
const out = outFlag > 0 && process.argv[outFlag + 1] ? resolve(process.argv[outFlag + 1]) : join(root, 'dist-sea');
const work = join(out, 'build');
// The fuse postject flips so node looks for the blob; the value node's docs give for every build.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const require = createRequire(import.meta.url);

const started = Date.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const bundle = join(work, 'causeway.cjs');
await build({
  entryPoints: [join(root, 'bin', 'causeway.js')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: bundle,
  logLevel: 'warning',
  // import.meta does not exist in CommonJS; the few modules that use import.meta.url get a file URL of
  // the running file instead (in a SEA that is the executable, which is all they may rely on there).
  banner: { js: "const __causeway_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__causeway_import_meta_url' },
});

const blob = join(work, 'sea-prep.blob');
const seaConfig = join(work, 'sea-config.json');
writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true }));
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });

const exe = join(out, 'causeway');
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
const postject = join(dirname(require.resolve('postject/package.json')), 'dist', 'cli.js');
// postject's ELF library warns about every note section it cannot name; show its output only on failure.
const injected = spawnSync(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { encoding: 'utf8' });
if (injected.status !== 0) {
  process.stderr.write(`${injected.stdout}${injected.stderr}`);
  throw new Error(`postject failed with status ${injected.status}`);
}

const addon = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
copyFileSync(addon, join(out, 'better_sqlite3.node'));
rmSync(work, { recursive: true, force: true });
process.stdout.write(`build:sea: ${exe} and ${join(out, 'better_sqlite3.node')} (node ${process.version}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
