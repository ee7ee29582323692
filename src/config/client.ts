import { z } from 'zod';
import { dialAddressSchema, listenAddressSchema } from './address.js';
import { expecting } from './describe-value.js';
import { durationSchema } from './duration.js';
import type { Frozen } from './freeze.js';
import { integerSchema } from './integer.js';
import { loadConfigFile } from './load.js';
import { withPathFields } from './path-fields.js';

const SECOND = 1_000;
const MAX_COUNT = 1_000_000;
const MIN_HEADER_BYTES = 1024;
const MAX_HEADER_BYTES = 1024 * 1024;

/** `limits:` of the client. */
export const clientLimitsSchema = z.strictObject({
  /** Concurrent proxied connections. */
  maxConnections: integerSchema(1, MAX_COUNT).default(1000),
  /** Largest proxy request head (CONNECT line and headers) accepted. */
  headerBytes: integerSchema(MIN_HEADER_BYTES, MAX_HEADER_BYTES).default(16384),
  /** How long a proxy client may take to send its request. */
  /** A tunnel with no byte in either direction for this long is closed (also reaps peers that vanished silently). */
  idleTimeout: durationSchema({ min: SECOND, max: 7 * 24 * 3600 * SECOND }).prefault('30m'),
  handshakeTimeout: durationSchema({ min: 1, max: 10 * 60 * SECOND }).prefault('10s'),
});

/**
 * `client.yaml`:
 * ```yaml
 * credentials: ./client.json    # relative to this file
 * server: 127.0.0.1:8443        # optional override of the credential's server address
 * listen: 127.0.0.1:3128        # HTTP CONNECT proxy
 * admin: 127.0.0.1:0            # optional
 * limits: { maxConnections: 1000, headerBytes: 16384, handshakeTimeout: 10s }
 * ```
 */
export const clientConfigSchema = withPathFields(
  z.strictObject({
    credentials: z.string({ error: expecting('a path to the credential file') }).min(1, { error: 'expected a path to the credential file' }),
    server: dialAddressSchema.optional(),
    listen: listenAddressSchema.prefault('127.0.0.1:3128'),
    admin: listenAddressSchema.optional(),
    limits: clientLimitsSchema.prefault({}),
  }),
  ['credentials'],
);

/** A validated, frozen client config (`credentials` absolute; durations in ms). */
export type ClientConfig = Frozen<z.output<typeof clientConfigSchema>>;

/** What a client config may be written as, before defaults and parsing. */
export type ClientConfigInput = z.input<typeof clientConfigSchema>;

/** Loads and validates a client config file; see {@link loadConfigFile}. */
export function loadClientConfig(file: string): ClientConfig {
  return loadConfigFile(file, clientConfigSchema);
}
