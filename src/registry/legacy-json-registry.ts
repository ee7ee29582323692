import { existsSync, readFileSync, renameSync } from 'node:fs';
import type { JWK } from 'jose';
import { isRole } from '../pki/spiffe.js';
import { RegistryError, type IdentityStore } from './identity-store.js';

/** File name of the JSON registry that earlier versions kept in the data directory. */
export const LEGACY_REGISTRY_FILE = 'identities.json';

interface LegacyRecord {
  name: string;
  role: string;
  enabled: boolean;
  keys: { keyId: string; publicJwk: JWK; addedAt?: string }[];
  createdAt?: string;
}

/**
 * Moves identities from an earlier version's `identities.json` into `store` once, then renames the
 * file to `identities.json.migrated` so it is never read again. Returns how many were imported.
 */
export async function importLegacyRegistry(file: string, store: IdentityStore): Promise<number> {
  if (!existsSync(file)) return 0;
  let parsed: { identities?: LegacyRecord[] };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { identities?: LegacyRecord[] };
  } catch (cause) {
    throw new RegistryError('ERR_REGISTRY_CORRUPT', `${file}: not valid JSON`, { cause });
  }
  if (!Array.isArray(parsed.identities)) throw new RegistryError('ERR_REGISTRY_CORRUPT', `${file}: missing "identities" list`);
  let imported = 0;
  for (const legacy of parsed.identities) {
    if (!isRole(legacy.role) || (await store.get(legacy.name))) continue;
    const [first, ...rest] = legacy.keys;
    const now = legacy.createdAt ? new Date(legacy.createdAt) : new Date();
    await store.create(legacy.name, legacy.role, first, { now });
    for (const key of rest) await store.addKey(legacy.name, key, now);
    if (!legacy.enabled) await store.setEnabled(legacy.name, false, now);
    imported++;
  }
  renameSync(file, `${file}.migrated`);
  return imported;
}
