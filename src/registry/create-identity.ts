import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { audienceFor } from '../auth/audience.js';
import { loadCa } from '../pki/ca.js';
import { generateServiceAccountKey } from '../pki/service-account.js';
import type { Role } from '../pki/spiffe.js';
import { IdentityRegistry } from './identity-registry.js';

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
}

/**
 * Registers an identity with a new service-account key and writes the party's credential file. The
 * registry keeps only the public key; the credential file is the only copy of the private key.
 */
export async function createIdentity(options: CreateIdentityOptions): Promise<{ keyId: string }> {
  const ca = await loadCa(join(options.dataDir, 'ca'));
  const registry = new IdentityRegistry(join(options.dataDir, 'identities.json'));
  const key = await generateServiceAccountKey();
  registry.create(options.name, options.role, { keyId: key.keyId, publicJwk: key.publicJwk });
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
  writeFileSync(options.out, `${JSON.stringify(credential, null, 2)}\n`, { mode: 0o600 });
  chmodSync(options.out, 0o600);
  return { keyId: key.keyId };
}
