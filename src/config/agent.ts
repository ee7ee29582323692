import { z } from 'zod';
import { dialAddressSchema, listenAddressSchema } from './address.js';
import { expecting } from './describe-value.js';
import { durationSchema } from './duration.js';
import type { Frozen } from './freeze.js';
import { allowHostSchema, dnsNameSchema, dnsServerSchema, ipSchema } from './host.js';
import { integerSchema } from './integer.js';
import { loadConfigFile } from './load.js';
import { withPathFields } from './path-fields.js';
import { portListSchema } from './ports.js';
import { agentProxySchema } from './proxy.js';

const SECOND = 1_000;
const MAX_COUNT = 1_000_000;
const MAX_DNS_SERVERS = 8;

/**
 * One allowlist entry: an exact DNS name, `*.suffix` (one label), `**.suffix` (one or more labels), IP
 * literal or CIDR (canonicalised) and its ports; matches {@link AllowEntry} from `policy/allowlist`.
 */
export const allowEntrySchema = z.strictObject({
  host: allowHostSchema,
  ports: portListSchema,
  /** Let this name dial a loopback address it resolves to. */
  allowLoopback: z.boolean({ error: expecting('true or false') }).default(false),
});

/** `dns:` of the agent. */
export const agentDnsSchema = z.strictObject({
  /** Static name → IP map consulted before the system resolver; names canonicalised. */
  hosts: z.record(dnsNameSchema, ipSchema).default(() => ({})),
  /**
   * Resolvers to ask instead of the system's (`10.0.0.53`, `10.0.0.53:5353`, `[fd00::53]:53`); queried
   * for A and AAAA records directly, bypassing /etc/hosts and nsswitch.
   */
  servers: z.array(dnsServerSchema, { error: expecting('a list of resolver addresses like "10.0.0.53" or "10.0.0.53:5353"') }).max(MAX_DNS_SERVERS, { error: `expected at most ${MAX_DNS_SERVERS} resolvers` }).optional(),
  /** How long one name may take to resolve. */
  timeout: durationSchema({ min: 100, max: 60 * SECOND }).prefault('5s'),
});

/** `limits:` of the agent. */
export const agentLimitsSchema = z.strictObject({
  dialTimeout: durationSchema({ min: 1, max: 10 * 60 * SECOND }).prefault('10s'),
  maxTunnels: integerSchema(1, MAX_COUNT).default(1000),
  /** A tunnel with no byte in either direction for this long is closed. */
  idleTimeout: durationSchema({ min: SECOND, max: 7 * 24 * 3600 * SECOND }).prefault('30m'),
  /** On SIGTERM, how long live tunnels may keep running after the agent stops taking dials. */
  drainTimeout: durationSchema({ min: 0, max: 10 * 60 * SECOND }).prefault('30s'),
  /** An idle connection to the server is PINGed this often... */
  keepaliveInterval: durationSchema({ min: 100, max: 10 * 60 * SECOND }).prefault('10s'),
  /** ...and declared dead (then re-dialled) when a PING goes unanswered this long. */
  keepaliveTimeout: durationSchema({ min: 100, max: 10 * 60 * SECOND }).prefault('10s'),
});

/**
 * `agent.yaml`:
 * ```yaml
 * credentials: ./agent.json     # relative to this file
 * server: 127.0.0.1:8443        # optional override of the credential's server address
 * admin: 127.0.0.1:0            # optional
 * allow:                        # default deny
 *   - host: gitlab.internal.acme.net
 *     ports: [443, 22, "8000-8100"]
 *   - host: "*.build.acme.net"    # exactly one label in front; "**.acme.net" = one or more
 *     ports: [443]
 *   - host: 10.20.0.0/16
 *     ports: ["8000-8100"]
 * dns: { hosts: { git.demo.internal: 127.0.0.1 }, servers: ["10.0.0.53"], timeout: 5s }
 * limits: { dialTimeout: 10s, maxTunnels: 1000 }
 * proxy: { url: http://proxy.corp:3128, noProxy: [] }   # optional egress proxy to the server
 * ```
 */
export const agentConfigSchema = withPathFields(
  z.strictObject({
    /**
     * The credential file written by `identity create` (relative to this file). Optional when the
     * environment variable CAUSEWAY_CREDENTIALS_FILE names it; that variable wins over this key.
     */
    credentials: z.string({ error: expecting('a path to the credential file') }).min(1, { error: 'expected a path to the credential file' }).optional(),
    server: dialAddressSchema.optional(),
    /** Several server replicas: the agent registers with every one (overrides `server`). */
    servers: z.array(dialAddressSchema).min(1).optional(),
    admin: listenAddressSchema.optional(),
    allow: z.array(allowEntrySchema, { error: expecting('a list of allowed hosts') }).default(() => []),
    dns: agentDnsSchema.prefault({}),
    limits: agentLimitsSchema.prefault({}),
    /**
     * The corporate HTTP proxy that connections to the server go through (HTTP CONNECT, optional
     * Basic auth); when absent, HTTPS_PROXY / https_proxy and NO_PROXY / no_proxy are used. See
     * config/proxy.ts.
     */
    proxy: agentProxySchema.optional(),
  }),
  ['credentials', 'proxy.usernameFile', 'proxy.passwordFile'],
);

/** A validated, frozen agent config (`credentials` absolute when set; durations in ms). */
export type AgentConfig = Frozen<z.output<typeof agentConfigSchema>>;

/** What an agent config may be written as, before defaults and parsing. */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

/** Loads and validates an agent config file; see {@link loadConfigFile}. */
export function loadAgentConfig(file: string): AgentConfig {
  return loadConfigFile(file, agentConfigSchema);
}
