import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execForm, parseCopy, parseDockerfile, type Stage } from '../support/dockerfile.js';

// No Docker engine runs here: this checks what the image would run, outside Docker. The deps stage's
// `npm ci --omit=dev` runs for real into a temporary /app; `npm rebuild better-sqlite3` (a 2-minute compile
// without network access to prebuilt addons) is replaced by the addon this checkout already built for
// the same package version and node.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const stage = (name: string): Stage => stages.find((s) => s.name === name) ?? assert.fail(`no stage ${name}`);
const runtime = stages.at(-1)!;
const work = mkdtempSync(join(tmpdir(), 'causeway-docker-'));
const app = join(work, 'app');
after(() => rmSync(work, { recursive: true, force: true }));

const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const workdir = (s: Stage): string => s.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args.trim() ?? '/';
const args = (s: Stage, keyword: string): string[] => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args.trim());

/** Where a path inside a stage lives in this test's emulation of it. */
function hostPath(stageName: string, path: string): string {
  const s = stage(stageName);
  const abs = path.startsWith('/') ? path : `${workdir(s)}/${path}`;
  if (stageName === 'build' && abs.startsWith('/src/')) return join(ROOT, abs.slice('/src/'.length));
  if (stageName === 'deps' && abs.startsWith('/app/')) return join(work, 'deps', abs.slice('/app/'.length));
  return assert.fail(`no emulation for ${stageName}:${path}`);
}

/** Starts `node bin/causeway.js ARGS` from the assembled image tree; resolves with its ready line. */
function startFromImage(argv: string[]): Promise<{ ready: Record<string, unknown>; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(app, 'bin', 'causeway.js'), ...argv], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready:\n${lines.join('\n')}`)), 20_000);
    void exited.then(() => reject(new Error(`exited before ready:\n${lines.join('\n')}`)));
    createInterface({ input: child.stderr }).on('line', (line) => {
      lines.push(line);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed['event'] !== 'ready') return;
      clearTimeout(timer);
      resolve({ ready: parsed, stop: () => (child.kill('SIGTERM'), exited) });
    });
  });
}

describe('Dockerfile', { timeout: 120_000 }, () => {
  before(() => {
    // The deps stage: COPY package files, then its npm ci exactly as written.
    const deps = join(work, 'deps');
    mkdirSync(deps);
    for (const ins of stage('deps').instructions.filter((i) => i.keyword === 'COPY')) {
      const copy = parseCopy(ins.args);
      for (const src of copy.sources) copyFileSync(join(ROOT, src), join(deps, src));
    }
    const runs = args(stage('deps'), 'RUN').filter((r) => !r.startsWith('apt-get'));
    assert.deepEqual(runs, ['npm ci --omit=dev --no-audit --no-fund --ignore-scripts', 'npm rebuild better-sqlite3'], 'update this test with the deps stage');
    const install = spawnSync('sh', ['-c', runs[0]!], { cwd: deps, encoding: 'utf8', timeout: 90_000 });
    assert.equal(install.status, 0, install.stderr);
    const addon = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    mkdirSync(join(deps, addon, '..'), { recursive: true });
    copyFileSync(join(ROOT, addon), join(deps, addon));

    // The runtime stage, assembled from its COPY lines into a temporary /app.
    assert.equal(workdir(runtime), '/app');
    for (const ins of runtime.instructions.filter((i) => i.keyword === 'COPY')) {
      const copy = parseCopy(ins.args);
      for (const src of copy.sources) {
        const from = copy.from === undefined ? join(ROOT, src) : hostPath(copy.from, src);
        const dest = join(app, copy.dest.replace(/^\.\/?/, ''));
        cpSync(from, copy.sources.length > 1 || copy.dest.endsWith('/') ? join(dest, src) : dest, { recursive: true });
      }
    }
  });

  test('every COPY source exists and is not excluded by .dockerignore', () => {
    for (const s of stages) {
      for (const ins of s.instructions.filter((i) => i.keyword === 'COPY')) {
        const copy = parseCopy(ins.args);
        for (const src of copy.sources) {
          const path = copy.from === undefined ? join(ROOT, src) : hostPath(copy.from, src);
          assert.ok(existsSync(path), `line ${ins.line}: ${src} (${path}) does not exist`);
          if (copy.from === undefined) assert.ok(!ignored.some((p) => src === p || src.startsWith(`${p}/`)), `line ${ins.line}: ${src} is in .dockerignore`);
        }
      }
    }
  });

  test('the runtime stage is small, runs as 10001 and leaves only /var/lib/causeway writable', () => {
    assert.match(runtime.image, /^node:20-bookworm-slim$/);
    assert.deepEqual(args(runtime, 'USER'), ['10001:10001']);
    assert.deepEqual(args(runtime, 'VOLUME'), ['["/var/lib/causeway"]']);
    assert.ok(!existsSync(join(app, 'node_modules', 'typescript')), 'dev dependencies stay out of the image');
    assert.ok(!existsSync(join(app, 'dist', 'test')), 'tests stay out of the image');
  });

  test('ENTRYPOINT runs the CLI from the image tree with production dependencies only', () => {
    const entry = execForm(args(runtime, 'ENTRYPOINT')[0]!);
    assert.equal(entry[0], 'node');
    const script = join(app, entry[1]!.replace(/^\/app\//, ''));
    assert.ok(existsSync(script), `${entry[1]} is not in the image`);
    const help = spawnSync(process.execPath, [script, ...execForm(args(runtime, 'CMD')[0]!)], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: causeway <command>/);
    // The SQLite store (registry) loads from the image's node_modules.
    const data = join(work, 'data');
    const ca = spawnSync(process.execPath, [script, 'ca', 'init', '--data-dir', data, '--trust-domain', 'docker.causeway'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(ca.status, 0, ca.stderr);
    const id = spawnSync(process.execPath, [script, 'identity', 'create', '--data-dir', data, '--role', 'agent', '--name', 'a@agents.docker.causeway', '--server', '127.0.0.1:8443', '--server-name', 'localhost', '--out', join(work, 'a.json')], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(id.status, 0, id.stderr);
  });

  test('the HEALTHCHECK command passes against a running server and fails once it is gone', async () => {
    const health = args(runtime, 'HEALTHCHECK')[0]!;
    const m = /^(?:--\S+\s+)*CMD\s+(\[.*\])$/.exec(health);
    assert.ok(m, `HEALTHCHECK must use the exec form: ${health}`);
    const command = execForm(m[1]!);
    assert.equal(command[0], 'node', 'the image has no curl: node itself probes');
    const config = join(work, 'server.yaml');
    writeFileSync(config, `listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\ndataDir: ${join(work, 'data')}\n`);
    const server = await startFromImage(['server', '--config', config]);
    const port = String(server.ready['adminPort']);
    const probe = () => spawnSync(process.execPath, command.slice(1), { encoding: 'utf8', timeout: 10_000, env: { ...process.env, CAUSEWAY_HEALTH_PORT: port } });
    try {
      const ok = probe();
      assert.equal(ok.status, 0, ok.stderr);
    } finally {
      await server.stop();
    }
    assert.equal(probe().status, 1);
  });
});
