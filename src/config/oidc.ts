import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import type { TrustedIssuer } from '../auth/workload-token.js';
import { expecting } from './describe-value.js';
import { ConfigError } from './errors.js';

const MAX_JWKS_FILE_BYTES = 256 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const httpsOrLoopback = (what: string) =>
  z
    .string({ error: expecting(`${what} URL`) })
    .refine((text) => URL.canParse(text), { error: `expected ${what} URL` })
    .refine(
      (text) => {
        const url = new URL(text);
        return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
      },
      { error: `expected an https:// ${what} URL (http:// only on loopback)` },
    );

/**
 * One entry of the server's `oidc:` list:
 * ```yaml
 * oidc:
 *   - issuer: https://oidc.eks.us-east-1.amazonaws.com/id/ABC   # iss, exactly
 *     audience: causeway                                        # aud the token must carry
 *     jwksUri: https://oidc.eks.us-east-1.amazonaws.com/id/ABC/keys   # or jwksFile: ./jwks.json
 *     claim: sub                                                # default sub
 *     identities:
 *       "system:serviceaccount:sourcegraph:frontend": frontend@clients.acme.causeway
 * ```
 */
export const trustedIssuerSchema = z
  .strictObject({
    issuer: httpsOrLoopback('an issuer'),
    audience: z.string({ error: expecting('the audience tokens carry') }).min(1, { error: 'expected the audience tokens carry' }),
    jwksUri: httpsOrLoopback('a JWKS').optional(),
    jwksFile: z.string({ error: expecting('a JWKS file path') }).min(1).optional(),
    claim: z.string({ error: expecting('a claim name') }).min(1).default('sub'),
    identities: z
      .record(z.string().min(1), z.string({ error: expecting('a client identity') }).regex(/^[^@\s]+@[^@\s]+$/, { error: 'expected a client identity like name@clients.example.causeway' }), {
        error: expecting('a map of claim value to client identity'),
      })
      .refine((map) => Object.keys(map).length > 0, { error: 'expected at least one claim value' }),
  })
  .refine((entry) => (entry.jwksUri === undefined) !== (entry.jwksFile === undefined), {
    error: 'expected exactly one of jwksUri and jwksFile',
  });

export type TrustedIssuerConfig = z.output<typeof trustedIssuerSchema>;

/**
 * Turns validated `oidc:` entries into verifier inputs, reading JWKS files (relative to `baseDir`).
 *
 * @throws {@link ConfigError} when a JWKS file cannot be read or is not a key set.
 */
export function toTrustedIssuers(entries: readonly TrustedIssuerConfig[], baseDir: string): TrustedIssuer[] {
  return entries.map((entry) => ({
    issuer: entry.issuer,
    audience: entry.audience,
    claim: entry.claim,
    identities: { ...entry.identities },
    jwks: entry.jwksUri !== undefined ? { url: entry.jwksUri } : { keys: readJwksFile(isAbsolute(entry.jwksFile!) ? entry.jwksFile! : resolve(baseDir, entry.jwksFile!)) },
  }));
}

function readJwksFile(file: string): JSONWebKeySet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_MISSING', file, 'JWKS file cannot be read', { cause });
  }
  if (text.length > MAX_JWKS_FILE_BYTES) throw new ConfigError('ERR_CONFIG_INVALID', file, `JWKS file exceeds ${MAX_JWKS_FILE_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_YAML', file, 'invalid JSON', { cause });
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'object' || k === null || 'd' in k)) {
    throw new ConfigError('ERR_CONFIG_INVALID', file, 'expected a JWKS ({"keys": [...]}) of public keys');
  }
  return parsed as JSONWebKeySet;
}
