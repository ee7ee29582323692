import { z } from 'zod';
import { listenAddressSchema } from './address.js';
import { aclRuleSchema } from './acl-rule.js';
import { auditConfigSchema } from './audit.js';
import { expecting } from './describe-value.js';
import { durationSchema } from './duration.js';
import type { Frozen } from './freeze.js';
import { hostSchema } from './host.js';
import { integerSchema } from './integer.js';
import { loadConfigFile } from './load.js';
import { trustedIssuerSchema } from './oidc.js';
import { storeSchema } from './store.js';
import { withPathFields } from './path-fields.js';

const SECOND = 1_000;
const DAY = 86_400_000;
const MAX_COUNT = 1_000_000;

/** `limits:` of the server. */
export const serverLimitsSchema = z.strictObject({
  /** Concurrent tunnel streams one identity may hold. */
  maxStreamsPerIdentity: integerSchema(1, MAX_COUNT).default(1000),
  /** How long the server waits for an agent to answer a dial. */
  dialTimeout: durationSchema({ min: 1, max: 10 * 60 * SECOND }).prefault('10s'),
  /** Dials waiting for an agent at once. */
  maxPendingDials: integerSchema(1, MAX_COUNT).default(1000),
  /** On SIGTERM, how long live tunnels may keep running after the server stops taking new ones. */
  drainTimeout: durationSchema({ min: 0, max: 10 * 60 * SECOND }).prefault('30s'),
  /** Idle connections are PINGed this often and dropped when a PING goes unanswered for keepaliveTimeout. */
  keepaliveInterval: durationSchema({ min: 100, max: 10 * 60 * SECOND }).prefault('10s'),
  keepaliveTimeout: durationSchema({ min: 100, max: 10 * 60 * SECOND }).prefault('10s'),
});

/**
 * `server.yaml`:
 * ```yaml
 * listen: 127.0.0.1:8443        # gRPC over mTLS; port 0 = pick one
 * admin: 127.0.0.1:0            # optional admin HTTP; omit to disable
 * dataDir: ./data               # relative to this file; holds ca/ and identities.db
 * serverNames: [localhost, 127.0.0.1, ::1]
 * certLifetime: 24h             # 5s to 30d
 * acl: []                       # default deny
 * limits: { maxStreamsPerIdentity: 1000, dialTimeout: 10s, maxPendingDials: 1000 }
 * audit: { store: sqlite, retention: 30d }   # see config/audit.ts
 * caPassphraseFile: ./ca-pass  # optional: passphrase of encrypted CA keys (mode 0600)
 * store: sqlite                 # or postgres://causeway@db:5432/causeway, shared by replicas (docs/scale-out.md)
 * storePasswordFile: ./db-pass  # optional: the PostgreSQL password (mode 0600); never put it in the URL
 * oidc: []                      # optional: trusted issuers for client workload identity (config/oidc.ts)
 * ```
 */
export const serverConfigSchema = withPathFields(
  z.strictObject({
    listen: listenAddressSchema.prefault('127.0.0.1:8443'),
    admin: listenAddressSchema.optional(),
    dataDir: z.string({ error: expecting('a directory path') }).min(1, { error: 'expected a directory path' }).default('./data'),
    serverNames: z
      .array(hostSchema, { error: expecting('a list of DNS names and IP addresses') })
      .min(1, { error: 'expected at least one name' })
      .prefault(['localhost', '127.0.0.1', '::1']),
    certLifetime: durationSchema({ min: 5 * SECOND, max: 30 * DAY }).prefault('24h'),
    acl: z.array(aclRuleSchema, { error: expecting('a list of acl rules') }).default(() => []),
    limits: serverLimitsSchema.prefault({}),
    /** This server's place among replicas; agents are told both so they can register with every one. */
    replica: z
      .strictObject({
        id: z.string().min(1).max(64).optional(),
        count: integerSchema(1, 64).default(1),
      })
      .prefault({}),
    audit: auditConfigSchema.prefault({}),
    /** Trusted OIDC issuers for client workload identity; see config/oidc.ts. */
    oidc: z.array(trustedIssuerSchema, { error: expecting('a list of trusted issuers') }).optional(),
    /** File holding the passphrase of encrypted CA keys (mode 0600); see config/ca-passphrase.ts. */
    caPassphraseFile: z.string({ error: expecting('a file path') }).min(1, { error: 'expected a file path' }).optional(),
    /** Where identities, used token ids and the audit chain live: sqlite (the default when absent) or a postgres:// URL. */
    store: storeSchema.optional(),
    /** File holding the PostgreSQL password (mode 0600); see config/store.ts. */
    storePasswordFile: z.string({ error: expecting('a file path') }).min(1, { error: 'expected a file path' }).optional(),
  }),
  ['dataDir', 'audit.jsonLinesFile', 'caPassphraseFile', 'storePasswordFile'],
);

/** A validated, frozen server config (`dataDir` absolute; durations in ms). */
export type ServerConfig = Frozen<z.output<typeof serverConfigSchema>>;

/** What a server config may be written as, before defaults and parsing. */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

/** Loads and validates a server config file; see {@link loadConfigFile}. */
export function loadServerConfig(file: string): ServerConfig {
  return loadConfigFile(file, serverConfigSchema);
}
