import { z } from 'zod';
import { dialAddressSchema, listenAddressSchema } from './address.js';
import { forwardSchema } from './client-forward.js';
import { expecting } from './describe-value.js';
import { durationSchema } from './duration.js';
import type { Frozen } from './freeze.js';
import { integerSchema } from './integer.js';
import { ConfigError } from './errors.js';
import { loadConfigFile } from './load.js';
import { withPathFields } from './path-fields.js';
import { readSecretFile } from './secrets.js';

const SECOND = 1_000;
const MAX_COUNT = 1_000_000;
const MIN_HEADER_BYTES = 1024;
const MAX_HEADER_BYTES = 1024 * 1024;
/** RFC 1929 carries the password in one length byte. */
const MAX_PASSWORD_BYTES = 255;

/** `limits:` of the client. */
export const clientLimitsSchema = z.strictObject({
  /** Concurrent proxied connections. */
  maxConnections: integerSchema(1, MAX_COUNT).default(1000),
  /** Largest proxy request head (CONNECT line and headers) accepted. */
  headerBytes: integerSchema(MIN_HEADER_BYTES, MAX_HEADER_BYTES).default(16384),
  /** How long a proxy client may take to send its request. */
  handshakeTimeout: durationSchema({ min: 1, max: 10 * 60 * SECOND }).prefault('10s'),
  /** A tunnel with no traffic either way for this long is closed; 0 turns the check off. */
  idleTimeout: durationSchema({ min: 0, max: 7 * 24 * 3600 * SECOND }).prefault('15m'),
  /** An idle keep-alive connection of the HTTP proxy is closed after this long. */
  keepAliveTimeout: durationSchema({ min: SECOND, max: 10 * 60 * SECOND }).prefault('30s'),
  /**
   * How long to wait for the server's answer to a tunnel request before 504 / SOCKS 0x04; longer than
   * the server's own dial timeout, so its more precise answer (refused, unreachable) usually wins.
   */
  dialTimeout: durationSchema({ min: SECOND, max: 10 * 60 * SECOND }).prefault('15s'),
});

/** `auth:` of the client: local proxy credentials (HTTP Basic, SOCKS5 username/password). */
export const clientAuthSchema = z
  .strictObject({
    username: z.string({ error: expecting('a user name') }).min(1, { error: 'expected a user name' }).max(255, { error: 'expected at most 255 bytes (the SOCKS5 limit)' }),
    password: z.string({ error: expecting('a password') }).min(1, { error: 'expected a password' }).max(MAX_PASSWORD_BYTES, { error: 'expected at most 255 bytes (the SOCKS5 limit)' }).optional(),
    /** File holding the password instead (a Kubernetes Secret volume, systemd LoadCredential); relative to this file. */
    passwordFile: z.string({ error: expecting('a file path') }).min(1, { error: 'expected a file path' }).optional(),
  })
  .superRefine((auth, ctx) => {
    if (auth.password !== undefined && auth.passwordFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'expected either password or passwordFile, not both' });
    } else if (auth.password === undefined && auth.passwordFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'expected a password (or passwordFile naming a file that holds it)' });
    }
  });

/**
 * The local proxy's user and password, reading `auth.passwordFile` when the password lives there.
 *
 * @throws {@link ConfigError} naming the file (never its contents) when it cannot be read or is too long.
 */
export function proxyCredentials(auth: ClientConfig['auth']): { username: string; password: string } | undefined {
  if (!auth) return undefined;
  if (auth.password !== undefined) return { username: auth.username, password: auth.password };
  const file = auth.passwordFile!;
  const password = readSecretFile(file, 'client proxy password');
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new ConfigError('ERR_CONFIG_INVALID', file, `client proxy password is longer than ${MAX_PASSWORD_BYTES} bytes (the SOCKS5 limit)`);
  }
  return { username: auth.username, password };
}

/**
 * `client.yaml`:
 * ```yaml
 * credentials: ./client.json    # relative to this file
 * server: 127.0.0.1:8443        # optional override of the credential's server address
 * listen: 127.0.0.1:3128        # HTTP CONNECT, HTTP proxy and SOCKS5 on one port
 * forwards: ["127.0.0.1:2222=git.corp.test:22"]   # optional fixed forwards
 * auth: { username: build, passwordFile: ./proxy-password }   # optional local proxy credentials (or password: "…")
 * allowOpenProxy: false         # listening beyond loopback without auth needs this set to true
 * admin: 127.0.0.1:0            # optional
 * limits: { maxConnections: 1000, headerBytes: 16384, handshakeTimeout: 10s, idleTimeout: 15m,
 *           keepAliveTimeout: 30s, dialTimeout: 15s }
 * ```
 */
export const clientConfigSchema = withPathFields(
  z.strictObject({
    /**
     * The credential file written by `identity create` (relative to this file). Optional when the
     * environment variable CAUSEWAY_CREDENTIALS_FILE names it; that variable wins over this key.
     */
    credentials: z.string({ error: expecting('a path to the credential file') }).min(1, { error: 'expected a path to the credential file' }).optional(),
    server: dialAddressSchema.optional(),
    listen: listenAddressSchema.prefault('127.0.0.1:3128'),
    forwards: z.array(forwardSchema, { error: expecting('a list of forwards') }).default([]),
    auth: clientAuthSchema.optional(),
    allowOpenProxy: z.boolean({ error: expecting('true or false') }).default(false),
    admin: listenAddressSchema.optional(),
    limits: clientLimitsSchema.prefault({}),
  }),
  ['credentials', 'auth.passwordFile'],
);

/** A validated, frozen client config (`credentials` absolute when set; durations in ms). */
export type ClientConfig = Frozen<z.output<typeof clientConfigSchema>>;

/** What a client config may be written as, before defaults and parsing. */
export type ClientConfigInput = z.input<typeof clientConfigSchema>;

/** Loads and validates a client config file; see {@link loadConfigFile}. */
export function loadClientConfig(file: string): ClientConfig {
  return loadConfigFile(file, clientConfigSchema);
}

/** Loopback names and ranges: a listener there is reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Refuses a listener beyond loopback that anyone could use: the proxy without `auth`, or any forward
 * (a forward cannot authenticate), unless `allowOpenProxy: true` says the operator means it.
 */
export function checkClientExposure(config: Pick<ClientConfig, 'listen' | 'forwards' | 'auth' | 'allowOpenProxy'>, source: string): void {
  if (config.allowOpenProxy) return;
  if (!config.auth && !isLoopbackHost(config.listen.host)) {
    throw new ConfigError(
      'ERR_CONFIG_INVALID',
      source,
      `listening on ${config.listen.host} without auth would let anyone who reaches it use the tunnel; set auth: {username, password}, listen on 127.0.0.1, or set allowOpenProxy: true`,
      { field: 'listen' },
    );
  }
  config.forwards.forEach((forward, i) => {
    if (isLoopbackHost(forward.listen.host)) return;
    throw new ConfigError(
      'ERR_CONFIG_INVALID',
      source,
      `a forward listening on ${forward.listen.host} is open to anyone who reaches it; listen on 127.0.0.1 or set allowOpenProxy: true`,
      { field: `forwards[${i}]` },
    );
  });
}
