import { rmSync } from 'node:fs';
import { writeNewFile } from '../config/write-new-file.js';
import { join } from 'node:path';
import { audienceFor } from '../auth/audience.js';
import { loadCaPublic } from '../pki/ca.js';
import { generateServiceAccountKey, type ServiceAccountKey } from '../pki/service-account.js';
import type { Role } from '../pki/spiffe.js';
import type { ResolvedStore } from '../config/store.js';
import { openIdentities } from '../store/open-stores.js';

export interface CreateIdentityOptions {
  dataDir: string;
  name: string;
  role: Exclude<Role, 'server'>;
  /** host:port the party dials. */
  server: string;
  /** Name the server's certificate carries. */
  serverName: string;
  /** Where to write the credential file (mode 0600). */
  out: string;
  /** Canonical source networks; empty or absent means any. */
  cidrs?: readonly string[];
  /** The registry to write to; default the SQLite file in dataDir. */
  store?: ResolvedStore | undefined;
}

/**
 * Registers an identity with a new service-account key and writes the party's credential file. The
 * registry keeps only the public key; the credential file is the only copy of the private key.
 */
export async function createIdentity(options: CreateIdentityOptions): Promise<{ keyId: string }> {
  const ca = await loadCaPublic(join(options.dataDir, 'ca'));
  const key = await generateServiceAccountKey();
  // The file first (never over an existing one), then the registry: a failure leaves neither behind.
  writeCredential(ca, options, key);
  const store = await openIdentities(options.store ?? SQLITE, options.dataDir).catch((err: unknown) => {
    rmSync(options.out, { force: true });
    throw err;
  });
  try {
    await store.create(options.name, options.role, { keyId: key.keyId, publicJwk: key.publicJwk }, { cidrs: options.cidrs ?? [] });
  } catch (err) {
    rmSync(options.out, { force: true });
    throw err;
  } finally {
    await store.close();
  }
  return { keyId: key.keyId };
}

/**
 * Adds a new service-account key to an existing identity (key rotation) and writes a credential file
 * for it. The old key stays valid until `identity remove-key`.
 */
export async function addIdentityKey(options: Omit<CreateIdentityOptions, 'role' | 'cidrs'>): Promise<{ keyId: string }> {
  const ca = await loadCaPublic(join(options.dataDir, 'ca'));
  const key = await generateServiceAccountKey();
  const store = await openIdentities(options.store ?? SQLITE, options.dataDir);
  try {
    const record = await store.get(options.name);
    if (!record) throw new Error(`no identity named ${options.name}`);
    writeCredential(ca, { ...options, role: record.role === 'agent' ? 'agent' : 'client' }, key);
    try {
      await store.addKey(options.name, { keyId: key.keyId, publicJwk: key.publicJwk });
    } catch (err) {
      rmSync(options.out, { force: true });
      throw err;
    }
  } finally {
    await store.close();
  }
  return { keyId: key.keyId };
}

const SQLITE: ResolvedStore = { target: { kind: 'sqlite' } };

function writeCredential(ca: { trustDomain: string; rootPem: string }, options: Omit<CreateIdentityOptions, 'cidrs'>, key: ServiceAccountKey): void {
  const credential = {
    version: 1,
    identity: options.name,
    role: options.role,
    keyId: key.keyId,
    privateKey: key.privateJwk,
    server: options.server,
    serverName: options.serverName,
    audience: audienceFor(ca.trustDomain),
    trustDomain: ca.trustDomain,
    caBundle: ca.rootPem,
  };
  try {
    writeNewFile(options.out, `${JSON.stringify(credential, null, 2)}\n`, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`${options.out} already exists; refusing to overwrite it (it may hold another party's only key)`);
    }
    throw err;
  }
}
