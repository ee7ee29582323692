import { isAbsolute, resolve, dirname } from 'node:path';
import { z } from 'zod';
import { dialAddressSchema } from './address.js';
import { expecting } from './describe-value.js';
import type { Frozen } from './freeze.js';
import { dnsNameSchema, hostSchema } from './host.js';
import { readConfigText } from './read-file.js';
import { validateConfig } from './validate.js';
import { ConfigError } from './errors.js';

/**
 * A client credential without a key: the client proves who it is with a workload token (a
 * Kubernetes projected service-account token, say) that the platform keeps fresh in `tokenFile`:
 * ```json
 * { "version": 1, "kind": "workload", "role": "client", "tokenFile": "/var/run/secrets/causeway/token",
 *   "server": "tunnel.example.com:8443", "serverName": "tunnel.example.com",
 *   "trustDomain": "acme.causeway", "caBundle": "-----BEGIN CERTIFICATE-----…" }
 * ```
 */
export const workloadCredentialSchema = z.strictObject({
  version: z.literal(1, { error: expecting('version 1') }),
  kind: z.literal('workload', { error: expecting('"workload"') }),
  role: z.literal('client', { error: 'workload identity is for clients only; expected "client"' }),
  tokenFile: z.string({ error: expecting('a path to the token file') }).min(1),
  server: dialAddressSchema,
  serverName: hostSchema,
  trustDomain: dnsNameSchema,
  caBundle: z.string({ error: expecting('PEM certificates') }).regex(/-----BEGIN CERTIFICATE-----/, { error: 'expected PEM certificates' }),
});

export type WorkloadCredential = Frozen<z.output<typeof workloadCredentialSchema>>;

/** True when a credential file's JSON declares `"kind": "workload"`. */
export function isWorkloadCredentialFile(file: string): boolean {
  try {
    return (JSON.parse(readConfigText(file)) as { kind?: unknown })?.kind === 'workload';
  } catch {
    return false;
  }
}

/** Reads and validates a workload credential; `tokenFile` is made absolute against the file's directory. */
export function loadWorkloadCredential(file: string): WorkloadCredential {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readConfigText(file));
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError('ERR_CONFIG_YAML', file, 'invalid JSON', { cause });
  }
  const credential = validateConfig(parsed, workloadCredentialSchema, file, '.');
  const tokenFile = isAbsolute(credential.tokenFile) ? credential.tokenFile : resolve(dirname(file), credential.tokenFile);
  return Object.freeze({ ...credential, tokenFile });
}
