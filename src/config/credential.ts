import { statSync } from 'node:fs';
import { z } from 'zod';
import { dialAddressSchema } from './address.js';
import { expecting } from './describe-value.js';
import { ConfigError } from './errors.js';
import type { Frozen } from './freeze.js';
import { dnsNameSchema, hostSchema } from './host.js';
import { readConfigText } from './read-file.js';
import { validateConfig } from './validate.js';

/** Current version of the credential file format. */
export const CREDENTIAL_VERSION = 1;

/** Permission bits that let group or others at a file. */
const GROUP_OTHER_BITS = 0o077;

/** Base64url of a 32-byte P-256 coordinate or scalar. */
const P256_FIELD = /^[A-Za-z0-9_-]{43}$/;

const NON_EMPTY = (what: string) => z.string({ error: expecting(what) }).min(1, { error: `expected ${what}` });

/**
 * Base64url P-256 field. Its errors never show the value: this is where the private key lives.
 */
const p256Field = (name: string) =>
  z.string({ error: `expected "${name}" as base64url text` }).regex(P256_FIELD, { error: `expected "${name}" as 43 characters of base64url (32 bytes)` });

/** The private key: an EC P-256 JWK with its private scalar `d`. */
export const privateJwkSchema = z.strictObject(
  {
    kty: z.literal('EC', { error: 'expected "kty": "EC"' }),
    crv: z.literal('P-256', { error: 'expected "crv": "P-256"' }),
    x: p256Field('x'),
    y: p256Field('y'),
    d: p256Field('d'),
    kid: z.string().optional(),
    alg: z.literal('ES256', { error: 'expected "alg": "ES256" or no alg' }).optional(),
    use: z.literal('sig', { error: 'expected "use": "sig" or no use' }).optional(),
    key_ops: z.array(z.string()).optional(),
    ext: z.boolean().optional(),
  },
  { error: (issue) => (issue.input === undefined ? 'required' : 'expected an EC P-256 private key as a JWK object') },
);

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * The credential file written by `causeway identity create`, one per agent or client:
 * ```json
 * { "version": 1, "identity": "acme-onprem@agents.acme.causeway", "role": "agent", "keyId": "…",
 *   "privateKey": { "kty": "EC", "crv": "P-256", "x": "…", "y": "…", "d": "…" },
 *   "server": "tunnel.example.com:8443", "serverName": "tunnel.example.com",
 *   "audience": "…", "trustDomain": "acme.causeway", "caBundle": "-----BEGIN CERTIFICATE-----…" }
 * ```
 */
export const credentialSchema = z.strictObject({
  version: z.literal(CREDENTIAL_VERSION, { error: expecting(`version ${CREDENTIAL_VERSION}`) }),
  identity: NON_EMPTY('an identity like "name@agents.example.causeway"').regex(/^[^@\s]+@[^@\s]+$/, {
    error: expecting('an identity like "name@agents.example.causeway"'),
  }),
  role: z.enum(['agent', 'client'], { error: expecting('"agent" or "client"') }),
  keyId: NON_EMPTY('a key id'),
  privateKey: privateJwkSchema,
  /** Where the tunnel server listens. */
  server: dialAddressSchema,
  /** Name the server's certificate must carry (TLS SNI and verification). */
  serverName: hostSchema,
  /** `aud` of the enrolment JWT. */
  audience: NON_EMPTY('the audience the server expects'),
  trustDomain: dnsNameSchema,
  /** PEM certificates that anchor trust in the server. */
  caBundle: z
    .string({ error: expecting('PEM certificates') })
    .regex(PEM_CERTIFICATE, { error: 'expected PEM certificates ("-----BEGIN CERTIFICATE-----…")' }),
});

/** A validated, frozen credential (`server` parsed to host and port). */
export type Credential = Frozen<z.output<typeof credentialSchema>>;

/** The credential file as written to disk. */
export type CredentialFile = z.input<typeof credentialSchema>;

/** A loaded credential and what is worth telling the operator about its file. */
export interface LoadedCredential {
  readonly credential: Credential;
  /** E.g. the file is readable by other users. */
  readonly warnings: readonly string[];
}

/**
 * Reads and validates a credential file. Errors are {@link ConfigError}s with one-line messages
 * that never quote the private key; a file that group or others may access yields a warning.
 */
export function loadCredential(file: string): LoadedCredential {
  const text = readConfigText(file);
  const credential = validateConfig(parseJson(text, file), credentialSchema, file, '.');
  return Object.freeze({ credential, warnings: Object.freeze(permissionWarnings(file)) });
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // The parser's own message quotes the file's text, which holds the private key: never pass it on.
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    const where = position === undefined ? '' : ` at ${lineColumn(text, Number(position))}`;
    throw new ConfigError('ERR_CONFIG_YAML', file, `invalid JSON${where}`);
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length} column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}

function permissionWarnings(file: string): string[] {
  if (process.platform === 'win32') return [];
  const mode = statSync(file).mode & 0o777;
  if ((mode & GROUP_OTHER_BITS) === 0) return [];
  const octal = mode.toString(8).padStart(4, '0');
  return [`${file}: mode ${octal} lets other users read the private key; run "chmod 600 ${file}"`];
}
