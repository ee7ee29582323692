import { join } from 'node:path';
import type { IdentityStore } from './identity-store.js';
import { importLegacyRegistry, LEGACY_REGISTRY_FILE } from './legacy-json-registry.js';
import { SqliteIdentityStore } from './sqlite-identity-store.js';

/** File name of the SQLite identity registry inside a server's data directory. */
export const REGISTRY_FILE = 'identities.db';

/**
 * Opens the identity registry of a data directory, creating its schema on first use and importing
 * an earlier version's `identities.json` if one is there.
 */
export async function openIdentityStore(dataDir: string): Promise<IdentityStore> {
  const store = new SqliteIdentityStore(join(dataDir, REGISTRY_FILE));
  try {
    await importLegacyRegistry(join(dataDir, LEGACY_REGISTRY_FILE), store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
