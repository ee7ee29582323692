import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { CAUSEWAY_BIN, launch } from '../../src/quickstart/launch.js';

const dir = mkdtempSync(join(tmpdir(), 'causeway-cakeys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CAUSEWAY_BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('encrypted CA keys and intermediate rotation through the CLI', () => {
  const dataDir = join(dir, 'data');
  const passFile = join(dir, 'ca-pass');
  const serverYaml = join(dir, 'server.yaml');
  writeFileSync(passFile, 'a long passphrase\n', { mode: 0o600 });
  writeFileSync(serverYaml, stringify({ listen: '127.0.0.1:0', dataDir: './data', serverNames: ['localhost'] }));
  const withPass = { CAUSEWAY_CA_PASSPHRASE_FILE: passFile };

  test('ca init --encrypt writes encrypted keys; the server starts only with the passphrase', async () => {
    const init = cli(['ca', 'init', '--data-dir', dataDir, '--trust-domain', 'keys.causeway', '--encrypt'], withPass);
    assert.equal(init.code, 0, init.stderr);
    assert.match(readFileSync(join(dataDir, 'ca', 'intermediate.key'), 'utf8'), /ENCRYPTED PRIVATE KEY/);

    const refused = cli(['server', '--config', serverYaml]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr.trim(), /intermediate\.key is encrypted.*ERR_CA_PASSPHRASE/);
    assert.equal(refused.stderr.trim().split('\n').length, 1);

    const server = await launch(['server', '--config', serverYaml], { env: { ...process.env, ...withPass } });
    assert.ok(Number(server.ready['port']) > 0);
    await server.stop();
  });

  test('rotate-intermediate replaces the signing intermediate and keeps the old one for the overlap', async () => {
    const before = readFileSync(join(dataDir, 'ca', 'intermediate.crt'), 'utf8');
    const rotate = cli(['ca', 'rotate-intermediate', '--data-dir', dataDir, '--overlap', '24h'], withPass);
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.match(rotate.stdout, /stays in bundles for 1d/);
    assert.notEqual(readFileSync(join(dataDir, 'ca', 'intermediate.crt'), 'utf8'), before);
    assert.equal(readFileSync(join(dataDir, 'ca', 'intermediate.previous.crt'), 'utf8'), before);
    const server = await launch(['server', '--config', serverYaml], { env: { ...process.env, ...withPass } });
    assert.ok(Number(server.ready['port']) > 0);
    await server.stop();
  });
});
