import type pg from 'pg';
import type { JWK } from 'jose';
import { isRole, type Role } from '../../pki/spiffe.js';
import {
  RegistryError,
  type IdentityRecord,
  type IdentityStore,
  type IssuedCertificate,
  type RegisteredKey,
} from '../../registry/identity-store.js';
import { IDENTITY_CHANNEL } from './change-listener.js';
import { inTransaction, unavailable } from './pool.js';

/** PostgreSQL's code for a unique violation: another replica or admin wrote the same key first. */
const UNIQUE_VIOLATION = '23505';

interface IdentityRow {
  name: string;
  role: string;
  enabled: boolean;
  cidrs: string[];
  created_at: string;
  updated_at: string;
}

interface KeyRow {
  key_id: string;
  identity: string;
  public_jwk: JWK;
  added_at: string;
}

/**
 * The identity registry in a PostgreSQL database shared by every server replica. Reads go to the
 * database each time, so a change committed through one replica (or `causeway identity --store …`) is
 * what the next check on every replica sees; every change also notifies the other replicas (LISTEN/NOTIFY,
{@link ChangeListener}) so they re-check their live tunnels at once. Failures to reach the database reject with
 * `ERR_REGISTRY_UNAVAILABLE`.
 */
export class PgIdentityStore implements IdentityStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly ownsPool = false,
  ) {}

  async list(): Promise<IdentityRecord[]> {
    return this.#run(async (db) => {
      const [identities, keys] = await Promise.all([
        db.query<IdentityRow>('SELECT * FROM identities ORDER BY name'),
        db.query<KeyRow>('SELECT * FROM identity_keys ORDER BY added_at, key_id'),
      ]);
      const byIdentity = new Map<string, RegisteredKey[]>();
      for (const row of keys.rows) {
        const list = byIdentity.get(row.identity) ?? [];
        list.push(toKey(row));
        byIdentity.set(row.identity, list);
      }
      return identities.rows.map((row) => toRecord(row, byIdentity.get(row.name) ?? []));
    });
  }

  get(name: string): Promise<IdentityRecord | undefined> {
    return this.#run((db) => readRecord(db, name));
  }

  findKey(keyId: string): Promise<{ record: IdentityRecord; key: RegisteredKey } | undefined> {
    return this.#run(async (db) => {
      const { rows } = await db.query<KeyRow>('SELECT * FROM identity_keys WHERE key_id = $1', [keyId]);
      const row = rows[0];
      if (!row) return undefined;
      const record = await readRecord(db, row.identity);
      return record ? { record, key: toKey(row) } : undefined;
    });
  }

  create(
    name: string,
    role: Role,
    key: { keyId: string; publicJwk: JWK } | undefined,
    options: { cidrs?: readonly string[]; now?: Date } = {},
  ): Promise<IdentityRecord> {
    const at = (options.now ?? new Date()).toISOString();
    return this.#write(async (db) => {
      const inserted = await db.query(
        `INSERT INTO identities (name, role, enabled, cidrs, created_at, updated_at) VALUES ($1, $2, TRUE, $3, $4, $4)
         ON CONFLICT (name) DO NOTHING`,
        [name, role, JSON.stringify(options.cidrs ?? []), at],
      );
      if (inserted.rowCount === 0) throw new RegistryError('ERR_IDENTITY_EXISTS', `identity ${name} already exists`);
      if (key) await insertKey(db, name, key, at);
      await notifyChange(db, name);
      return (await readRecord(db, name))!;
    });
  }

  setEnabled(name: string, enabled: boolean, now = new Date()): Promise<IdentityRecord> {
    return this.#update(name, (db) => db.query('UPDATE identities SET enabled = $1, updated_at = $2 WHERE name = $3', [enabled, now.toISOString(), name]));
  }

  addKey(name: string, key: { keyId: string; publicJwk: JWK }, now = new Date()): Promise<IdentityRecord> {
    return this.#update(name, async (db) => {
      await insertKey(db, name, key, now.toISOString());
      await touch(db, name, now);
    });
  }

  removeKey(name: string, keyId: string, now = new Date()): Promise<IdentityRecord> {
    return this.#update(name, async (db) => {
      const deleted = await db.query('DELETE FROM identity_keys WHERE key_id = $1 AND identity = $2', [keyId, name]);
      if (deleted.rowCount === 0) throw new RegistryError('ERR_KEY_UNKNOWN', `identity ${name} has no key ${keyId}`);
      await touch(db, name, now);
    });
  }

  setCidrs(name: string, cidrs: readonly string[], now = new Date()): Promise<IdentityRecord> {
    return this.#update(name, (db) =>
      db.query('UPDATE identities SET cidrs = $1, updated_at = $2 WHERE name = $3', [JSON.stringify(cidrs), now.toISOString(), name]),
    );
  }

  recordIssuance(issued: IssuedCertificate, now = new Date()): Promise<void> {
    return this.#write(async (db) => {
      await db.query('DELETE FROM issued_certificates WHERE not_after_ms < $1', [now.getTime()]);
      await db.query(
        `INSERT INTO issued_certificates (serial, identity, key_id, not_after_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT (serial) DO UPDATE SET identity = EXCLUDED.identity, key_id = EXCLUDED.key_id, not_after_ms = EXCLUDED.not_after_ms`,
        [issued.serial.toLowerCase(), issued.identity, issued.keyId, issued.notAfter.getTime()],
      );
    });
  }

  issuance(serial: string): Promise<IssuedCertificate | undefined> {
    return this.#run(async (db) => {
      const { rows } = await db.query<{ serial: string; identity: string; key_id: string; not_after_ms: string }>(
        'SELECT * FROM issued_certificates WHERE serial = $1',
        [serial.toLowerCase()],
      );
      const row = rows[0];
      return row ? { serial: row.serial, identity: row.identity, keyId: row.key_id, notAfter: new Date(Number(row.not_after_ms)) } : undefined;
    });
  }

  /** Ends the pool when this store was given its own; a shared pool is closed by whoever opened it. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  async #run<T>(work: (db: pg.Pool) => Promise<T>): Promise<T> {
    try {
      return await work(this.pool);
    } catch (err) {
      throw unavailable(err, this.url);
    }
  }

  async #write<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.pool, work);
    } catch (err) {
      throw unavailable(err, this.url);
    }
  }

  #update(name: string, change: (db: pg.PoolClient) => Promise<unknown>): Promise<IdentityRecord> {
    return this.#write(async (db) => {
      const { rowCount } = await db.query('SELECT 1 FROM identities WHERE name = $1 FOR UPDATE', [name]);
      if (rowCount === 0) throw new RegistryError('ERR_IDENTITY_UNKNOWN', `no identity named ${name}`);
      await change(db);
      await notifyChange(db, name);
      return (await readRecord(db, name))!;
    });
  }
}

/** Tells every listening replica (at commit, not before) that an identity changed. */
function notifyChange(db: pg.PoolClient, name: string): Promise<unknown> {
  return db.query('SELECT pg_notify($1, $2)', [IDENTITY_CHANNEL, name]);
}

async function readRecord(db: pg.Pool | pg.PoolClient, name: string): Promise<IdentityRecord | undefined> {
  const { rows } = await db.query<IdentityRow>('SELECT * FROM identities WHERE name = $1', [name]);
  const row = rows[0];
  if (!row) return undefined;
  const keys = await db.query<KeyRow>('SELECT * FROM identity_keys WHERE identity = $1 ORDER BY added_at, key_id', [name]);
  return toRecord(row, keys.rows.map(toKey));
}

async function insertKey(db: pg.PoolClient, name: string, key: { keyId: string; publicJwk: JWK }, at: string): Promise<void> {
  try {
    await db.query('INSERT INTO identity_keys (key_id, identity, public_jwk, added_at) VALUES ($1, $2, $3, $4)', [
      key.keyId,
      name,
      JSON.stringify(key.publicJwk),
      at,
    ]);
  } catch (err) {
    if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
      throw new RegistryError('ERR_KEY_EXISTS', `key ${key.keyId} is already registered`);
    }
    throw err;
  }
}

function touch(db: pg.PoolClient, name: string, now: Date): Promise<unknown> {
  return db.query('UPDATE identities SET updated_at = $1 WHERE name = $2', [now.toISOString(), name]);
}

function toKey(row: KeyRow): RegisteredKey {
  return { keyId: row.key_id, publicJwk: row.public_jwk, addedAt: row.added_at };
}

function toRecord(row: IdentityRow, keys: RegisteredKey[]): IdentityRecord {
  if (!isRole(row.role)) throw new RegistryError('ERR_REGISTRY_CORRUPT', `identity ${row.name} has an unknown role`);
  return { name: row.name, role: row.role, enabled: row.enabled, keys, cidrs: row.cidrs, createdAt: row.created_at, updatedAt: row.updated_at };
}
