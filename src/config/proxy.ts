import { z } from 'zod';
import { parseNoProxyEntry, parseNoProxyList } from '../policy/no-proxy.js';
import { normalizeHost } from '../policy/host.js';
import type { EgressProxy } from '../protocol/http-connect.js';
import { expecting } from './describe-value.js';
import { durationSchema } from './duration.js';
import { ConfigError } from './errors.js';
import type { Frozen } from './freeze.js';
import { PROXY_PASSWORD_FILE_ENV, readSecretFile } from './secrets.js';

const SECOND = 1_000;
const MAX_NO_PROXY_ENTRIES = 256;
const PROXY_URL = 'a proxy URL like "http://proxy.corp:3128" or "http://user:password@proxy.corp:3128"';

/** What {@link parseProxyUrl} finds in a proxy URL. */
export type ProxyUrlParse =
  | { readonly ok: true; readonly host: string; readonly port: number; readonly username?: string; readonly password?: string }
  | { readonly ok: false; readonly problem: string };

/**
 * Parses `http://[user[:password]@]host:port[/]` (percent-encoded user and password). `HOST:PORT`
 * without a scheme is read as http, as curl and most tools read HTTPS_PROXY. Problems never quote the
 * URL: it may hold a password.
 */
export function parseProxyUrl(text: string): ProxyUrlParse {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, problem: `expected ${PROXY_URL}` };
  }
  if (url.protocol !== 'http:') {
    return { ok: false, problem: `only http:// proxies are supported (the tunnel is TLS end to end inside the CONNECT), not ${url.protocol}//` };
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    return { ok: false, problem: 'expected no path, query or fragment after host:port' };
  }
  if (url.port === '') return { ok: false, problem: 'expected an explicit port, e.g. http://proxy.corp:3128' };
  const host = normalizeHost(url.hostname);
  if (host.kind === 'invalid') return { ok: false, problem: 'expected a host name or IP address for the proxy' };
  let username: string | undefined;
  let password: string | undefined;
  try {
    if (url.username !== '') username = decodeURIComponent(url.username);
    if (url.password !== '') password = decodeURIComponent(url.password);
  } catch {
    return { ok: false, problem: 'the user or password in the proxy URL is not valid percent-encoding' };
  }
  if (username?.includes(':')) return { ok: false, problem: 'a proxy user name cannot hold ":"' };
  return { ok: true, host: host.host, port: Number(url.port), ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) };
}

/**
 * `proxy:` of the agent: the corporate HTTP proxy its connections to the server go through (HTTP
 * CONNECT, then TLS end to end with the server inside it). When absent, `HTTPS_PROXY` / `https_proxy`
 * and `NO_PROXY` / `no_proxy` from the environment are used. Dials to the customer's targets never
 * use it.
 * ```yaml
 * proxy:
 *   url: http://proxy.corp.acme.net:3128       # user:password@ in the URL works too (percent-encoded)
 *   noProxy: [tunnel.internal.acme.net, 10.0.0.0/8]
 *   usernameFile: /etc/causeway/secrets/proxy-user       # optional; for Basic auth
 *   passwordFile: /etc/causeway/secrets/proxy-password   # optional; CAUSEWAY_PROXY_PASSWORD_FILE wins
 *   connectTimeout: 10s
 * ```
 */
export const agentProxySchema = z.strictObject({
  /** `http://host:port` of the proxy, optionally with Basic-auth `user:password@` (never logged). */
  url: z.string({ error: expecting(PROXY_URL) }).superRefine((text, ctx) => {
    const parsed = parseProxyUrl(text);
    // The value is never echoed: it may hold a password.
    if (!parsed.ok) ctx.issues.push({ code: 'custom', input: '', message: parsed.problem });
  }),
  /**
   * Server addresses reached directly, not through the proxy: names (covering the names below them),
   * IPs, CIDRs, each with an optional `:port`; `*` for all. Same syntax as NO_PROXY.
   */
  noProxy: z
    .array(
      z.string({ error: expecting('a host, IP, CIDR or "*"') }).superRefine((text, ctx) => {
        const parsed = parseNoProxyEntry(text.trim());
        if (!parsed.ok) ctx.issues.push({ code: 'custom', input: text, message: parsed.problem.replace(/^NO_PROXY entry/, 'entry') });
      }),
      { error: expecting('a list of hosts, IPs or CIDRs') },
    )
    .max(MAX_NO_PROXY_ENTRIES, { error: `expected at most ${MAX_NO_PROXY_ENTRIES} entries` })
    .default(() => []),
  /** File holding the proxy user name (one line), instead of the URL's. */
  usernameFile: z.string({ error: expecting('a file path') }).min(1, { error: 'expected a file path' }).optional(),
  /** File holding the proxy password (one line), instead of the URL's; CAUSEWAY_PROXY_PASSWORD_FILE wins over it. */
  passwordFile: z.string({ error: expecting('a file path') }).min(1, { error: 'expected a file path' }).optional(),
  /** How long the TCP connect to the proxy and its answer to CONNECT may take. */
  connectTimeout: durationSchema({ min: 100, max: 5 * 60 * SECOND }).prefault('10s'),
});

/** The validated `proxy:` block. */
export type AgentProxyConfig = Frozen<z.output<typeof agentProxySchema>>;

const DEFAULT_CONNECT_TIMEOUT_MS = 10 * SECOND;

/**
 * The proxy the agent's connections to the server go through: `proxy:` from the config when present,
 * else `HTTPS_PROXY` (or `https_proxy`) with `NO_PROXY` (or `no_proxy`); undefined for none. The
 * password comes from `CAUSEWAY_PROXY_PASSWORD_FILE`, `passwordFile`, or the URL, in that order.
 *
 * @throws {@link ConfigError} naming the config file or the variable, never the credentials.
 */
export function resolveEgressProxy(configured: AgentProxyConfig | undefined, source: string, env: NodeJS.ProcessEnv = process.env): EgressProxy | undefined {
  if (configured) {
    const url = parseProxyUrl(configured.url);
    if (!url.ok) throw new ConfigError('ERR_CONFIG_INVALID', source, url.problem, { field: 'proxy.url' });
    const noProxy = parseNoProxyList(configured.noProxy);
    if (!noProxy.ok) throw new ConfigError('ERR_CONFIG_INVALID', source, noProxy.problem, { field: 'proxy.noProxy' });
    const username = configured.usernameFile ? readSecretFile(configured.usernameFile, 'proxy user name') : url.username;
    const passwordFile = env[PROXY_PASSWORD_FILE_ENV] || configured.passwordFile;
    const password = passwordFile ? readSecretFile(passwordFile, 'proxy password') : url.password;
    return egressProxy(url, username, password, noProxy.entries, configured.connectTimeout, `${source}: proxy.url`);
  }
  const [name, value] = firstSet(env, ['HTTPS_PROXY', 'https_proxy']);
  if (name === undefined || value === undefined) return undefined;
  const url = parseProxyUrl(value);
  if (!url.ok) throw new ConfigError('ERR_CONFIG_INVALID', name, url.problem);
  const [noProxyName, noProxyValue] = firstSet(env, ['NO_PROXY', 'no_proxy']);
  const noProxy = parseNoProxyList(noProxyValue === undefined ? [] : [noProxyValue]);
  if (!noProxy.ok) throw new ConfigError('ERR_CONFIG_INVALID', noProxyName ?? 'NO_PROXY', noProxy.problem);
  const passwordFile = env[PROXY_PASSWORD_FILE_ENV];
  const password = passwordFile ? readSecretFile(passwordFile, 'proxy password') : url.password;
  return egressProxy(url, url.username, password, noProxy.entries, DEFAULT_CONNECT_TIMEOUT_MS, name);
}

function egressProxy(
  url: Extract<ProxyUrlParse, { ok: true }>,
  username: string | undefined,
  password: string | undefined,
  noProxy: EgressProxy['noProxy'],
  connectTimeoutMs: number,
  source: string,
): EgressProxy {
  const hostText = url.host.includes(':') ? `[${url.host}]` : url.host;
  return Object.freeze({
    host: url.host,
    port: url.port,
    display: `http://${hostText}:${url.port}`,
    ...(username !== undefined || password !== undefined ? { username: username ?? '', password: password ?? '' } : {}),
    noProxy,
    connectTimeoutMs,
    source,
  });
}

function firstSet(env: NodeJS.ProcessEnv, names: readonly string[]): [string | undefined, string | undefined] {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return [name, value.trim()];
  }
  return [undefined, undefined];
}
