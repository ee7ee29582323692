import assert from 'node:assert/strict';
import { statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openIdentityStore, REGISTRY_FILE } from '../../../src/registry/open-identity-store.js';
import { SqliteIdentityStore } from '../../../src/registry/sqlite-identity-store.js';
import { tempDir } from '../config/temp-dir.js';
import { newKey, rejectsWith } from '../../support/registry.js';

/** What only the SQLite registry does; the behaviour both backends share is in test/unit/store/stores.test.ts. */
describe('SqliteIdentityStore', () => {
  it('creates its schema from nothing, in WAL mode, with a file only the owner can read', async () => {
    const { dir } = tempDir();
    const store = await openIdentityStore(dir);
    await store.close();
    const file = join(dir, REGISTRY_FILE);
    assert.equal(statSync(file).mode & 0o077, 0);
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    db.close();
  });

  it('imports an earlier version\'s identities.json once and sets it aside', async () => {
    const { dir } = tempDir();
    const key = await newKey();
    const legacy = { version: 1, identities: [{ name: 'old@agents.test', role: 'agent', enabled: false, keys: [{ ...key, addedAt: '2025-01-01T00:00:00Z' }], createdAt: '2025-01-01T00:00:00Z' }] };
    writeFileSync(join(dir, 'identities.json'), JSON.stringify(legacy));
    const store = await openIdentityStore(dir);
    assert.equal((await store.findKey(key.keyId))?.record.name, 'old@agents.test');
    assert.equal((await store.get('old@agents.test'))?.enabled, false);
    assert.ok(existsSync(join(dir, 'identities.json.migrated')));
    assert.ok(!existsSync(join(dir, 'identities.json')));
    await store.close();
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
