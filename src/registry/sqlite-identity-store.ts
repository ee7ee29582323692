import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { sqliteBindingOptions } from '../sqlite/native-binding.js';
import type { JWK } from 'jose';
import { isRole, type Role } from '../pki/spiffe.js';
import {
  RegistryError,
  type IdentityRecord,
  type IdentityStore,
  type IssuedCertificate,
  type RegisteredKey,
} from './identity-store.js';

/** Schema steps; `PRAGMA user_version` says how many have run. Append, never edit. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE identities (
     name TEXT PRIMARY KEY,
     role TEXT NOT NULL CHECK (role IN ('agent', 'client', 'server')),
     enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
     cidrs TEXT NOT NULL DEFAULT '[]',
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT;
   CREATE TABLE identity_keys (
     key_id TEXT PRIMARY KEY,
     identity TEXT NOT NULL REFERENCES identities (name) ON DELETE CASCADE,
     public_jwk TEXT NOT NULL,
     added_at TEXT NOT NULL
   ) STRICT;
   CREATE INDEX identity_keys_by_identity ON identity_keys (identity);
   CREATE TABLE issued_certificates (
     serial TEXT PRIMARY KEY,
     identity TEXT NOT NULL,
     key_id TEXT NOT NULL,
     not_after_ms INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX issued_certificates_by_expiry ON issued_certificates (not_after_ms);`,
];

const BUSY_TIMEOUT_MS = 5000;
const FILE_MODE = 0o600;

interface IdentityRow {
  name: string;
  role: string;
  enabled: number;
  cidrs: string;
  created_at: string;
  updated_at: string;
}

interface KeyRow {
  key_id: string;
  identity: string;
  public_jwk: string;
  added_at: string;
}

interface IssuedRow {
  serial: string;
  identity: string;
  key_id: string;
  not_after_ms: number;
}

/**
 * The identity registry in an embedded SQLite file (WAL mode, so the server reads while an admin
 * command writes). Reads go to the database every time: a change committed by `causeway identity …`
 * is what the next check sees.
 */
export class SqliteIdentityStore implements IdentityStore {
  readonly #db: Database.Database;
  readonly #statements;

  constructor(readonly file: string) {
    const isNew = !existsSync(file);
    const binding = sqliteBindingOptions();
    try {
      this.#db = new Database(file, { timeout: BUSY_TIMEOUT_MS, ...binding });
      if (isNew) chmodSync(file, FILE_MODE);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('foreign_keys = ON');
      this.#db.pragma('synchronous = NORMAL');
      this.#migrate();
    } catch (cause) {
      if (cause instanceof RegistryError) throw cause;
      throw new RegistryError('ERR_REGISTRY_CORRUPT', `${file}: cannot open the identity registry (${(cause as Error).message})`, { cause });
    }
    const db = this.#db;
    this.#statements = {
      all: db.prepare<[], IdentityRow>('SELECT * FROM identities ORDER BY name'),
      one: db.prepare<[string], IdentityRow>('SELECT * FROM identities WHERE name = ?'),
      keysOf: db.prepare<[string], KeyRow>('SELECT * FROM identity_keys WHERE identity = ? ORDER BY added_at, key_id'),
      allKeys: db.prepare<[], KeyRow>('SELECT * FROM identity_keys ORDER BY added_at, key_id'),
      key: db.prepare<[string], KeyRow>('SELECT * FROM identity_keys WHERE key_id = ?'),
      insertIdentity: db.prepare(
        'INSERT INTO identities (name, role, enabled, cidrs, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?)',
      ),
      insertKey: db.prepare('INSERT INTO identity_keys (key_id, identity, public_jwk, added_at) VALUES (?, ?, ?, ?)'),
      deleteKey: db.prepare('DELETE FROM identity_keys WHERE key_id = ? AND identity = ?'),
      setEnabled: db.prepare('UPDATE identities SET enabled = ?, updated_at = ? WHERE name = ?'),
      setCidrs: db.prepare('UPDATE identities SET cidrs = ?, updated_at = ? WHERE name = ?'),
      touch: db.prepare('UPDATE identities SET updated_at = ? WHERE name = ?'),
      insertIssued: db.prepare(
        'INSERT OR REPLACE INTO issued_certificates (serial, identity, key_id, not_after_ms) VALUES (?, ?, ?, ?)',
      ),
      issued: db.prepare<[string], IssuedRow>('SELECT * FROM issued_certificates WHERE serial = ?'),
      pruneIssued: db.prepare('DELETE FROM issued_certificates WHERE not_after_ms < ?'),
    };
  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new RegistryError(
        'ERR_REGISTRY_VERSION',
        `${this.file}: written by a newer causeway (schema ${version}, this one knows ${MIGRATIONS.length})`,
      );
    }
    for (let step = version; step < MIGRATIONS.length; step++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[step]!);
        this.#db.pragma(`user_version = ${step + 1}`);
      }).immediate();
    }
  }

  async list(): Promise<IdentityRecord[]> {
    const keys = new Map<string, RegisteredKey[]>();
    for (const row of this.#statements.allKeys.all()) {
      const list = keys.get(row.identity) ?? [];
      list.push(toKey(row));
      keys.set(row.identity, list);
    }
    return this.#statements.all.all().map((row) => toRecord(row, keys.get(row.name) ?? []));
  }

  async get(name: string): Promise<IdentityRecord | undefined> {
    return this.#get(name);
  }

  #get(name: string): IdentityRecord | undefined {
    const row = this.#statements.one.get(name);
    return row ? toRecord(row, this.#statements.keysOf.all(name).map(toKey)) : undefined;
  }

  async findKey(keyId: string): Promise<{ record: IdentityRecord; key: RegisteredKey } | undefined> {
    const row = this.#statements.key.get(keyId);
    if (!row) return undefined;
    const record = this.#get(row.identity);
    return record ? { record, key: toKey(row) } : undefined;
  }

  async create(
    name: string,
    role: Role,
    key: { keyId: string; publicJwk: JWK } | undefined,
    options: { cidrs?: readonly string[]; now?: Date } = {},
  ): Promise<IdentityRecord> {
    const at = (options.now ?? new Date()).toISOString();
    this.#db.transaction(() => {
      if (this.#statements.one.get(name)) throw new RegistryError('ERR_IDENTITY_EXISTS', `identity ${name} already exists`);
      this.#statements.insertIdentity.run(name, role, JSON.stringify(options.cidrs ?? []), at, at);
      if (key) this.#insertKey(name, key, at);
    }).immediate();
    return this.#get(name)!;
  }

  async setEnabled(name: string, enabled: boolean, now = new Date()): Promise<IdentityRecord> {
    return this.#update(name, () => this.#statements.setEnabled.run(enabled ? 1 : 0, now.toISOString(), name));
  }

  async addKey(name: string, key: { keyId: string; publicJwk: JWK }, now = new Date()): Promise<IdentityRecord> {
    return this.#update(name, () => {
      this.#insertKey(name, key, now.toISOString());
      this.#statements.touch.run(now.toISOString(), name);
    });
  }

  async removeKey(name: string, keyId: string, now = new Date()): Promise<IdentityRecord> {
    return this.#update(name, () => {
      if (this.#statements.deleteKey.run(keyId, name).changes === 0) {
        throw new RegistryError('ERR_KEY_UNKNOWN', `identity ${name} has no key ${keyId}`);
      }
      this.#statements.touch.run(now.toISOString(), name);
    });
  }

  async setCidrs(name: string, cidrs: readonly string[], now = new Date()): Promise<IdentityRecord> {
    return this.#update(name, () => this.#statements.setCidrs.run(JSON.stringify(cidrs), now.toISOString(), name));
  }

  async recordIssuance(issued: IssuedCertificate, now = new Date()): Promise<void> {
    this.#db.transaction(() => {
      this.#statements.pruneIssued.run(now.getTime());
      this.#statements.insertIssued.run(issued.serial.toLowerCase(), issued.identity, issued.keyId, issued.notAfter.getTime());
    }).immediate();
  }

  async issuance(serial: string): Promise<IssuedCertificate | undefined> {
    const row = this.#statements.issued.get(serial.toLowerCase());
    return row
      ? { serial: row.serial, identity: row.identity, keyId: row.key_id, notAfter: new Date(row.not_after_ms) }
      : undefined;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  #insertKey(name: string, key: { keyId: string; publicJwk: JWK }, at: string): void {
    if (this.#statements.key.get(key.keyId)) throw new RegistryError('ERR_KEY_EXISTS', `key ${key.keyId} is already registered`);
    this.#statements.insertKey.run(key.keyId, name, JSON.stringify(key.publicJwk), at);
  }

  #update(name: string, change: () => unknown): IdentityRecord {
    this.#db.transaction(() => {
      if (!this.#statements.one.get(name)) throw new RegistryError('ERR_IDENTITY_UNKNOWN', `no identity named ${name}`);
      change();
    }).immediate();
    return this.#get(name)!;
  }
}

function toKey(row: KeyRow): RegisteredKey {
  return { keyId: row.key_id, publicJwk: JSON.parse(row.public_jwk) as JWK, addedAt: row.added_at };
}

function toRecord(row: IdentityRow, keys: RegisteredKey[]): IdentityRecord {
  if (!isRole(row.role)) throw new RegistryError('ERR_REGISTRY_CORRUPT', `identity ${row.name} has an unknown role`);
  return {
    name: row.name,
    role: row.role,
    enabled: row.enabled === 1,
    keys,
    cidrs: JSON.parse(row.cidrs) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
