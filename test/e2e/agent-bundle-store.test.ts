import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { initCa } from '../../src/pki/ca.js';
import { CAUSEWAY_BIN } from '../../src/quickstart/launch.js';
import { openIdentities } from '../../src/store/open-stores.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const TRUST_DOMAIN = 'bundle-store.causeway';

/** Runs the real CLI with exactly `env` beside PATH (nothing inherited that names a store). */
function causeway(cwd: string, env: Record<string, string>, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CAUSEWAY_BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env['PATH'] ?? '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A server whose replicas share PostgreSQL: `agent-bundle` must register the agent where the servers
 * look (the store of --store, CAUSEWAY_STORE_URL or the server config), not in a SQLite file in the data
 * directory that no replica reads — there the agent's key would be unknown and it could never connect.
 */
describe('agent-bundle with a PostgreSQL store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-bundle-store-'));
  const dataDir = join(dir, 'data');
  let postgres: TestPostgres;

  before(async () => {
    postgres = await startPostgres();
    await initCa(join(dataDir, 'ca'), { trustDomain: TRUST_DOMAIN });
  });
  after(async () => {
    await postgres?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const bundleArgs = (name: string): string[] => ['agent-bundle', '--name', name, '--server', 'tunnel.example.com:8443', '--allow', 'git.internal.test:443', '--out', join(dir, name)];

  async function registered(url: string, name: string): Promise<boolean> {
    const store = await openIdentities({ target: { kind: 'postgres', url }, password: postgres.password }, dataDir);
    try {
      return (await store.get(`${name}@agents.${TRUST_DOMAIN}`)) !== undefined;
    } finally {
      await store.close();
    }
  }

  it('registers in the store named by CAUSEWAY_STORE_URL', async () => {
    const url = await postgres.createDatabase('bundle_env');
    const r = causeway(dir, { CAUSEWAY_STORE_URL: url, CAUSEWAY_STORE_PASSWORD_FILE: postgres.passwordFile }, ...bundleArgs('from-env'), '--data-dir', dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await registered(url, 'from-env'), true, 'the identity is in PostgreSQL');
    assert.equal(existsSync(join(dataDir, 'identities.db')), false, 'no SQLite registry was created beside the CA');
  });

  it('registers in the store named by --store and --store-password-file', async () => {
    const url = await postgres.createDatabase('bundle_flag');
    const r = causeway(dir, {}, ...bundleArgs('from-flag'), '--data-dir', dataDir, '--store', url, '--store-password-file', postgres.passwordFile);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await registered(url, 'from-flag'), true);
  });

  it('takes the data directory, store and password file from --config', async () => {
    const url = await postgres.createDatabase('bundle_config');
    const config = join(dir, 'server.yaml');
    writeFileSync(
      config,
      stringify({ listen: '127.0.0.1:0', dataDir, serverNames: ['tunnel.example.com'], store: url, storePasswordFile: postgres.passwordFile, acl: [] }),
    );
    const r = causeway(dir, {}, ...bundleArgs('from-config'), '--config', config);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await registered(url, 'from-config'), true);
    const both = causeway(dir, {}, ...bundleArgs('both'), '--config', config, '--data-dir', dataDir);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /--data-dir or --config, not both/);
  });

  it('refuses before writing anything when the store cannot be reached, and leaves no credential behind', async () => {
    const r = causeway(dir, {}, ...bundleArgs('unreachable'), '--data-dir', dataDir, '--store', `postgres://causeway@127.0.0.1:1/none`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unavailable/);
    assert.equal(existsSync(join(dir, 'unreachable', 'agent.json')), false);
  });
});
