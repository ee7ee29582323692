import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// dist/test/e2e/ → the repository root, where scripts/ and node_modules/ are.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'causeway-sea-'));
const buildDir = join(work, 'build');
// Where the executable runs: a directory with nothing but the executable and its SQLite addon.
const shipDir = join(work, 'ship');
const runDir = join(work, 'run');
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * PATH with only the tools quickstart drives (git, curl): a directory of links to them, so that node —
 * which usually sits beside git in /usr/bin — cannot be found on it.
 */
function toolPath(): string {
  const bin = join(work, 'tools');
  if (!existsSync(bin)) {
    mkdirSync(bin);
    for (const tool of ['git', 'curl']) {
      symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    }
  }
  return bin;
}

function runShipped(args: string[], timeout: number): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { PATH: toolPath(), HOME: runDir };
  return spawnSync(join(shipDir, 'causeway'), args, { cwd: runDir, env, encoding: 'utf8', timeout });
}

describe('single-file executable (npm run build:sea)', { timeout: 120_000 }, () => {
  before(() => {
    const started = Date.now();
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-sea.js'), '--out', buildDir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 90_000 });
    process.stdout.write(`# build:sea took ${Date.now() - started} ms\n`);
    mkdirSync(shipDir);
    mkdirSync(runDir);
    copyFileSync(join(buildDir, 'causeway'), join(shipDir, 'causeway'));
    copyFileSync(join(buildDir, 'better_sqlite3.node'), join(shipDir, 'better_sqlite3.node'));
    execFileSync('chmod', ['755', join(shipDir, 'causeway')]);
  });

  test('runs --help with no node_modules, no node on PATH and NODE_PATH unset', () => {
    assert.equal(existsSync(join(runDir, 'node_modules')), false);
    const lookup = (tool: string) => spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env: { PATH: toolPath() }, encoding: 'utf8' });
    assert.equal(lookup('git').status, 0, 'git must be on the test PATH');
    assert.notEqual(lookup('node').status, 0, `node is reachable on the test PATH: ${lookup('node').stdout}`);
    const r = runShipped(['--help'], 10_000);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: causeway <command>/);
    const v = runShipped(['--version'], 10_000);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  });

  test('quickstart --once clones through a whole tunnel of child processes that are the executable itself', () => {
    const r = runShipped(['quickstart', '--once', '--dir', join(runDir, 'qs')], 90_000);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /7\. git clone .* through the tunnel: OK/);
  });

  test('without the SQLite addon beside it, a command that needs the store says so in one line', () => {
    const lone = join(work, 'lone');
    mkdirSync(lone);
    copyFileSync(join(buildDir, 'causeway'), join(lone, 'causeway'));
    execFileSync('chmod', ['755', join(lone, 'causeway')]);
    const data = join(runDir, 'lone-data');
    const env = { PATH: toolPath() };
    const ca = spawnSync(join(lone, 'causeway'), ['ca', 'init', '--data-dir', data, '--trust-domain', 'lone.causeway'], { cwd: runDir, env, encoding: 'utf8', timeout: 20_000 });
    assert.equal(ca.status, 0, ca.stderr);
    const r = spawnSync(
      join(lone, 'causeway'),
      ['identity', 'create', '--data-dir', data, '--role', 'agent', '--name', 'a@agents.lone.causeway', '--server', '127.0.0.1:8443', '--server-name', 'localhost', '--out', join(runDir, 'a.json')],
      { cwd: runDir, env, encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /better_sqlite3\.node is missing.*\(ERR_SQLITE_ADDON_MISSING\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
