import assert from 'node:assert/strict';
import { statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { generateServiceAccountKey } from '../../../src/pki/service-account.js';
import { RegistryError, type RegistryErrorCode } from '../../../src/registry/identity-store.js';
import { openIdentityStore, REGISTRY_FILE } from '../../../src/registry/open-identity-store.js';
import { SqliteIdentityStore } from '../../../src/registry/sqlite-identity-store.js';
import { tempDir } from '../config/temp-dir.js';

function rejectsWith(code: RegistryErrorCode) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

async function newKey(): Promise<{ keyId: string; publicJwk: import('jose').JWK }> {
  const key = await generateServiceAccountKey();
  return { keyId: key.keyId, publicJwk: key.publicJwk };
}

describe('SqliteIdentityStore', () => {
  it('creates its schema from nothing, in WAL mode, with a file only the owner can read', () => {
    const { dir } = tempDir();
    const store = openIdentityStore(dir);
    store.close();
    const file = join(dir, REGISTRY_FILE);
    assert.equal(statSync(file).mode & 0o077, 0);
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    db.close();
  });

  it('shows a write from another connection to the next read, without reopening', async () => {
    const { dir } = tempDir();
    const server = openIdentityStore(dir);
    const admin = openIdentityStore(dir);
    const key = await newKey();
    admin.create('a@agents.test', 'agent', key);
    assert.equal(server.findKey(key.keyId)?.record.name, 'a@agents.test');
    admin.setEnabled('a@agents.test', false);
    assert.equal(server.get('a@agents.test')?.enabled, false);
    admin.removeKey('a@agents.test', key.keyId);
    assert.equal(server.findKey(key.keyId), undefined);
    server.close();
    admin.close();
  });

  it('keeps several keys per identity, and a key id belongs to one identity only', async () => {
    const { dir } = tempDir();
    const store = openIdentityStore(dir);
    const [k1, k2] = [await newKey(), await newKey()];
    store.create('c@clients.test', 'client', k1, { cidrs: ['10.0.0.0/8'] });
    const record = store.addKey('c@clients.test', k2);
    assert.deepEqual(record.keys.map((k) => k.keyId).sort(), [k1.keyId, k2.keyId].sort());
    assert.deepEqual(record.cidrs, ['10.0.0.0/8']);
    store.create('d@clients.test', 'client', undefined);
    assert.throws(() => store.addKey('d@clients.test', k1), rejectsWith('ERR_KEY_EXISTS'));
    assert.throws(() => store.create('c@clients.test', 'client', undefined), rejectsWith('ERR_IDENTITY_EXISTS'));
    assert.throws(() => store.setEnabled('nobody', false), rejectsWith('ERR_IDENTITY_UNKNOWN'));
    assert.throws(() => store.removeKey('c@clients.test', 'no-such-key'), rejectsWith('ERR_KEY_UNKNOWN'));
    assert.deepEqual(store.setCidrs('c@clients.test', []).cidrs, []);
    assert.deepEqual(store.list().map((r) => r.name), ['c@clients.test', 'd@clients.test']);
    store.close();
  });

  it('remembers which key bought a certificate, and prunes records of expired certificates', async () => {
    const { dir } = tempDir();
    const store = openIdentityStore(dir);
    const now = new Date('2026-01-01T00:00:00Z');
    store.recordIssuance({ serial: 'AB01', identity: 'c', keyId: 'k1', notAfter: new Date(now.getTime() + 5000) }, now);
    assert.deepEqual(store.issuance('ab01'), { serial: 'ab01', identity: 'c', keyId: 'k1', notAfter: new Date(now.getTime() + 5000) });
    const later = new Date(now.getTime() + 10_000);
    store.recordIssuance({ serial: 'cd02', identity: 'c', keyId: 'k1', notAfter: new Date(later.getTime() + 5000) }, later);
    assert.equal(store.issuance('ab01'), undefined);
    assert.ok(store.issuance('cd02'));
    store.close();
  });

  it('imports an earlier version\'s identities.json once and sets it aside', async () => {
    const { dir } = tempDir();
    const key = await newKey();
    const legacy = { version: 1, identities: [{ name: 'old@agents.test', role: 'agent', enabled: false, keys: [{ ...key, addedAt: '2025-01-01T00:00:00Z' }], createdAt: '2025-01-01T00:00:00Z' }] };
    writeFileSync(join(dir, 'identities.json'), JSON.stringify(legacy));
    const store = openIdentityStore(dir);
    assert.equal(store.findKey(key.keyId)?.record.name, 'old@agents.test');
    assert.equal(store.get('old@agents.test')?.enabled, false);
    assert.ok(existsSync(join(dir, 'identities.json.migrated')));
    assert.ok(!existsSync(join(dir, 'identities.json')));
    store.close();
  });

  it('refuses a registry written by a newer schema', () => {
    const { dir } = tempDir();
    const file = join(dir, REGISTRY_FILE);
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => new SqliteIdentityStore(file), rejectsWith('ERR_REGISTRY_VERSION'));
  });

  it('refuses a file that is not a SQLite database', () => {
    const { write } = tempDir();
    const file = write(REGISTRY_FILE, 'this is not sqlite, just text that is long enough to be a header'.repeat(20));
    assert.throws(() => new SqliteIdentityStore(file), rejectsWith('ERR_REGISTRY_CORRUPT'));
  });
});
