import { assertAdminBinding, startAdmin } from '../admin/admin-server.js';
import { ReachabilityProbe } from '../admin/reachability.js';
import { createProgramMetrics } from '../metrics/registry.js';
import { startClientProxy } from '../client/client-proxy.js';
import type { FrontEndContext, FrontEndLimits } from '../client/front-end-context.js';
import { FrontEndStats } from '../client/front-end-stats.js';
import { ProxyAuth } from '../client/proxy-auth.js';
import { runStdio } from '../client/stdio.js';
import { formatAddress, parseAddress } from '../config/address.js';
import { checkClientExposure, loadClientConfig, proxyCredentials, type ClientConfig } from '../config/client.js';
import { parseForward, type ForwardConfig } from '../config/client-forward.js';
import { loadCredential } from '../config/credential.js';
import { credentialsFile } from '../config/secrets.js';
import { ServerLink } from '../identity/server-link.js';
import { createLogger, type Logger } from '../log/logger.js';
import { adminTokenFromEnv, logLevelFromEnv } from './env.js';
import { toPartyCredential, workloadPartyCredential } from './party-credential.js';
import { isWorkloadCredentialFile, loadWorkloadCredential } from '../config/workload-credential.js';
import { runUntilSignal } from './run-program.js';
import { UsageError } from './usage.js';
import { parseCommandLine } from './args.js';

export const CLIENT_HELP = `Usage: causeway client --config client.yaml [--forward LISTEN=TARGET]...
       causeway client stdio HOST PORT (--config client.yaml | --credentials client.json)

Runs a local forward proxy beside your workloads. One port speaks HTTP CONNECT, plain HTTP proxy
requests and SOCKS5; point tools at it with the standard proxy settings:
  https_proxy=http://127.0.0.1:3128 git clone https://gitlab.internal.acme.net/group/repo.git
  curl -x http://127.0.0.1:3128 https://artifactory.internal.acme.net/
  curl --proxy socks5h://127.0.0.1:3128 https://artifactory.internal.acme.net/
Each connection becomes one tunnel through the server to an agent allowed to reach its target.
Errors: 403 / SOCKS 0x02 denied by ACL or allowlist, 503 (with Retry-After) / 0x03 no agent or
server unreachable, 502 / 0x05 target refused or unreachable, 504 / 0x04 dial timed out; the HTTP
body says which in one line.

'stdio' joins standard input and output to one tunnel, for ssh:
  ssh -o ProxyCommand='causeway client stdio --config client.yaml %h %p' git@git.corp.test
It exits 0 when both directions closed cleanly, else 1 with one line on stderr.

Options:
  --config FILE           client config (YAML)                              (required unless stdio
                                                                            gets --credentials)
  --forward LISTEN=TARGET fixed forward, e.g. 127.0.0.1:2222=git.corp.test:22 (repeatable)
  --credentials FILE      stdio only: the credential file, instead of --config
  --server HOST:PORT      stdio only: override the credential's server address
  --help                  this text

Environment:
  CAUSEWAY_CREDENTIALS_FILE   the credential file; wins over credentials: in client.yaml
  CAUSEWAY_ADMIN_TOKEN_FILE   file holding the admin listener's bearer token (or CAUSEWAY_ADMIN_TOKEN)
  CAUSEWAY_LOG_LEVEL          debug|info|warn|error`;

export async function clientCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: argv,
    options: {
      config: { type: 'string' },
      forward: { type: 'string', multiple: true },
      credentials: { type: 'string' },
      server: { type: 'string' },
      help: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${CLIENT_HELP}\n`);
    return 0;
  }
  if (positionals[0] === 'stdio') {
    const code = await stdioCommand(positionals.slice(1), values);
    // stdin may still be open and the HTTP/2 session closing; neither may keep ssh waiting for us.
    process.exit(code);
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'client');
  if (values.credentials || values.server) throw new UsageError('--credentials and --server are for "client stdio"; put them in client.yaml', 'client');
  if (!values.config) throw new UsageError('--config is required', 'client');
  const loaded = loadClientConfig(values.config);
  const config: ClientConfig = { ...loaded, forwards: [...loaded.forwards, ...(values.forward ?? []).map(forwardFromFlag)] };
  checkClientExposure(config, values.config);
  const log = createLogger('client', logLevelFromEnv());
  if (config.admin) assertAdminBinding(config.admin.host, adminTokenFromEnv());
  const link = startLink(credentialsFile(config.credentials, values.config), config.server ? formatAddress(config.server) : undefined, log);
  const ctx: FrontEndContext = { link, log, auth: new ProxyAuth(proxyCredentials(config.auth)), limits: limitsOf(config), stats: new FrontEndStats() };
  const proxy = await startClientProxy(ctx, config.listen, config.forwards);
  // Listening already: until the first certificate arrives, callers get 503 rather than a refused port.
  await link.start();
  let adminPort: number | undefined;
  let closeAdmin = (): void => undefined;
  if (config.admin) {
    const metrics = createProgramMetrics('client', { certificateNotAfter: () => link.certificate?.notAfter });
    const reachable = new ReachabilityProbe(() => link.channel()).start();
    const admin = await startAdmin(config.admin.host, config.admin.port, {
      notReadyReason: () => link.notReadyReason() ?? reachable.notReadyReason(),
      token: adminTokenFromEnv(),
      metrics,
      json: { '/status': () => ctx.stats.snapshot() },
    });
    adminPort = admin.port;
    closeAdmin = () => {
      reachable.stop();
      admin.server.close();
    };
  }
  log.info(
    {
      event: 'ready',
      port: proxy.port,
      adminPort,
      forwardPorts: proxy.forwardPorts,
      auth: ctx.auth.required,
      proxy: `http://${formatAddress({ host: config.listen.host, port: proxy.port })}`,
    },
    'client proxy listening (HTTP CONNECT, HTTP proxy, SOCKS5)',
  );
  return runUntilSignal(log, async () => {
    proxy.close();
    closeAdmin();
    link.stop();
  });
}

function forwardFromFlag(text: string): ForwardConfig {
  const parsed = parseForward(text);
  if (!parsed.ok) throw new UsageError(`--forward ${text}: ${parsed.problem}`, 'client');
  return parsed.forward;
}

function limitsOf(config: ClientConfig): FrontEndLimits {
  const l = config.limits;
  return {
    maxConnections: l.maxConnections,
    headerBytes: l.headerBytes,
    handshakeTimeoutMs: l.handshakeTimeout,
    idleTimeoutMs: l.idleTimeout,
    keepAliveTimeoutMs: l.keepAliveTimeout,
    dialTimeoutMs: l.dialTimeout,
  };
}

/** A link from a credential file: a service-account key, or a workload (OIDC token) credential. */
function startLink(file: string, serverOverride: string | undefined, log: Logger): ServerLink {
  let credential;
  if (isWorkloadCredentialFile(file)) {
    credential = workloadPartyCredential(loadWorkloadCredential(file));
  } else {
    const loaded = loadCredential(file);
    for (const warning of loaded.warnings) log.warn(warning);
    credential = toPartyCredential(loaded.credential);
  }
  return new ServerLink(credential, { address: serverOverride ?? credential.server, log: log.child({ part: 'link' }) });
}

const DEFAULT_STDIO_DIAL_TIMEOUT_MS = 15_000;

/**
 * `client stdio HOST PORT`: stdout carries the tunnel's bytes, so logs stay quiet (errors only, unless
 * CAUSEWAY_LOG_LEVEL says otherwise) and the outcome is one line. Exit 0 only for a clean close.
 */
async function stdioCommand(args: string[], values: { config?: string; credentials?: string; server?: string; forward?: string[] }): Promise<number> {
  if (args.length !== 2) throw new UsageError('stdio needs HOST PORT', 'client');
  if (values.forward) throw new UsageError('--forward does not apply to stdio', 'client');
  const [host, portText] = args as [string, string];
  const target = parseAddress(host.includes(':') ? `[${host}]:${portText}` : `${host}:${portText}`);
  if (!target.ok) throw new UsageError(`stdio ${host} ${portText}: ${target.problem}`, 'client');
  if (!values.config === !values.credentials) throw new UsageError('stdio needs exactly one of --config or --credentials', 'client');
  let credentials: string;
  let server = values.server;
  let limits: FrontEndLimits;
  if (values.config) {
    const config = loadClientConfig(values.config);
    credentials = credentialsFile(config.credentials, values.config);
    server ??= config.server ? formatAddress(config.server) : undefined;
    limits = limitsOf(config);
  } else {
    credentials = values.credentials!;
    limits = { maxConnections: 1, headerBytes: 0, handshakeTimeoutMs: 0, idleTimeoutMs: 0, keepAliveTimeoutMs: 0, dialTimeoutMs: DEFAULT_STDIO_DIAL_TIMEOUT_MS };
  }
  if (server !== undefined && !parseAddress(server).ok) throw new UsageError(`--server ${server}: expected host:port`, 'client');
  // stderr is the user's terminal under ssh: by default only the one-line outcome goes there.
  const level = logLevelFromEnv();
  const log = createLogger('client', level === 'info' ? 'error' : level);
  const link = startLink(credentials, server, log);
  const fail = (reason: string): number => {
    link.stop();
    process.stderr.write(`causeway client stdio ${host}:${portText}: ${reason}\n`);
    return 1;
  };
  const started = await withDeadline(link.start(), limits.dialTimeoutMs);
  if (!started) return fail(`server-unavailable: could not get a certificate from the server within ${limits.dialTimeoutMs} ms`);
  const ctx: FrontEndContext = { link, log, auth: new ProxyAuth(undefined), limits, stats: new FrontEndStats() };
  const outcome = await runStdio(ctx, target.address.host, target.address.port, process.stdin, process.stdout);
  if (!outcome.ok) return fail(outcome.reason);
  link.stop();
  return 0;
}

async function withDeadline(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
