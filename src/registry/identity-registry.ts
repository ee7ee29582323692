import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { JWK } from 'jose';
import type { Role } from '../pki/spiffe.js';

export interface RegisteredKey {
  keyId: string;
  publicJwk: JWK;
  addedAt: string;
}

export interface IdentityRecord {
  name: string;
  role: Role;
  enabled: boolean;
  keys: RegisteredKey[];
  createdAt: string;
}

export class RegistryError extends Error {
  constructor(
    readonly code: 'ERR_IDENTITY_EXISTS' | 'ERR_IDENTITY_UNKNOWN' | 'ERR_REGISTRY_CORRUPT' | 'ERR_KEY_UNKNOWN',
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

interface RegistryFile {
  version: 1;
  identities: IdentityRecord[];
}

/**
 * The server's identity registry: who exists, with which role and public keys, and whether enabled.
 * Holds only public keys. Kept in one JSON file that admin commands rewrite atomically; a running
 * server picks up changes through `refresh()` without a restart.
 */
export class IdentityRegistry {
  private records = new Map<string, IdentityRecord>();
  private byKeyId = new Map<string, IdentityRecord>();
  private loadedMtimeMs = -1;

  constructor(readonly file: string) {
    this.refresh();
  }

  /** Re-reads the file if it changed since the last read. Returns true when it did. */
  refresh(): boolean {
    if (!existsSync(this.file)) {
      if (this.loadedMtimeMs !== 0) this.index([]);
      this.loadedMtimeMs = 0;
      return false;
    }
    const mtime = statSync(this.file).mtimeMs;
    if (mtime === this.loadedMtimeMs) return false;
    let parsed: RegistryFile;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8')) as RegistryFile;
    } catch (err) {
      throw new RegistryError('ERR_REGISTRY_CORRUPT', `${this.file}: not valid JSON (${(err as Error).message})`);
    }
    if (!parsed || !Array.isArray(parsed.identities)) {
      throw new RegistryError('ERR_REGISTRY_CORRUPT', `${this.file}: missing "identities" list`);
    }
    this.index(parsed.identities);
    this.loadedMtimeMs = mtime;
    return true;
  }

  private index(records: IdentityRecord[]): void {
    this.records = new Map(records.map((r) => [r.name, r]));
    this.byKeyId = new Map();
    for (const record of records) for (const key of record.keys) this.byKeyId.set(key.keyId, record);
  }

  list(): IdentityRecord[] {
    return [...this.records.values()];
  }

  get(name: string): IdentityRecord | undefined {
    return this.records.get(name);
  }

  /** The identity that owns a key id, and the key. */
  findKey(keyId: string): { record: IdentityRecord; key: RegisteredKey } | undefined {
    const record = this.byKeyId.get(keyId);
    const key = record?.keys.find((k) => k.keyId === keyId);
    return record && key ? { record, key } : undefined;
  }

  create(name: string, role: Role, key: { keyId: string; publicJwk: JWK }, now = new Date()): IdentityRecord {
    if (this.records.has(name)) throw new RegistryError('ERR_IDENTITY_EXISTS', `identity ${name} already exists`);
    const record: IdentityRecord = {
      name,
      role,
      enabled: true,
      keys: [{ ...key, addedAt: now.toISOString() }],
      createdAt: now.toISOString(),
    };
    this.save([...this.records.values(), record]);
    return record;
  }

  setEnabled(name: string, enabled: boolean): IdentityRecord {
    const record = this.require(name);
    const updated = { ...record, enabled };
    this.save(this.list().map((r) => (r.name === name ? updated : r)));
    return updated;
  }

  private require(name: string): IdentityRecord {
    const record = this.records.get(name);
    if (!record) throw new RegistryError('ERR_IDENTITY_UNKNOWN', `no identity named ${name}`);
    return record;
  }

  private save(records: IdentityRecord[]): void {
    const body: RegistryFile = { version: 1, identities: records };
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
    this.index(records);
    this.loadedMtimeMs = statSync(this.file).mtimeMs;
  }
}
