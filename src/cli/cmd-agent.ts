import { Agent } from '../agent/agent.js';
import { assertAdminBinding, startAdmin } from '../admin/admin-server.js';
import { createProgramMetrics } from '../metrics/registry.js';
import { AuditLog, JsonLinesSink } from '../audit/audit-log.js';
import { loadAgentConfig } from '../config/agent.js';
import { formatAddress } from '../config/address.js';
import { loadCredential } from '../config/credential.js';
import { resolveEgressProxy } from '../config/proxy.js';
import { credentialsFile } from '../config/secrets.js';
import { createLogger } from '../log/logger.js';
import { compileAllowlist } from '../policy/allowlist.js';
import { NameResolver } from '../agent/resolve.js';
import { ownEndpoints } from '../agent/self-endpoints.js';
import { watchPolicy } from './policy-reloader.js';
import { denyCounts } from '../metrics/deny-counter.js';
import { VERSION } from '../version.js';
import { adminTokenFromEnv, logLevelFromEnv } from './env.js';
import { toPartyCredential } from './party-credential.js';
import { runUntilSignal } from './run-program.js';
import { UsageError } from './usage.js';
import { parseCommandLine } from './args.js';

export const AGENT_HELP = `Usage: causeway agent --config agent.yaml

Runs the agent inside the private network. It dials out to the server (no inbound port), and dials only
the host:port entries its allowlist names (default deny). Its own audit records (dials, denies, tunnels)
go to stdout as JSON lines; logs go to stderr.

SIGHUP, or a change to the config file, reloads the allowlist: live tunnels it no longer allows are
closed and audited; a file that does not validate keeps the allowlist in force and logs why.

Connections to the server (never the dials to targets) go through a corporate HTTP proxy when
agent.yaml has proxy: { url: http://proxy:3128 } or, without it, when HTTPS_PROXY (or https_proxy) is
set; NO_PROXY (or no_proxy, or proxy.noProxy) lists server addresses reached directly.

Options:
  --config FILE   agent config (YAML)           (required)
  --help          this text

Environment:
  CAUSEWAY_CREDENTIALS_FILE     the credential file; wins over credentials: in agent.yaml
  CAUSEWAY_ADMIN_TOKEN_FILE     file holding the admin bearer token (or CAUSEWAY_ADMIN_TOKEN)
  CAUSEWAY_PROXY_PASSWORD_FILE  file holding the proxy password; wins over proxy.passwordFile and the URL
  HTTPS_PROXY, NO_PROXY         the egress proxy when agent.yaml has no proxy:
  CAUSEWAY_LOG_LEVEL            debug|info|warn|error`;

export async function agentCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    process.stdout.write(`${AGENT_HELP}\n`);
    return 0;
  }
  if (!values.config) throw new UsageError('--config is required', 'agent');
  const config = loadAgentConfig(values.config);
  const loaded = loadCredential(credentialsFile(config.credentials, values.config));
  const credential = toPartyCredential(loaded.credential);
  const proxy = resolveEgressProxy(config.proxy, values.config);
  const log = createLogger('agent', logLevelFromEnv());
  for (const warning of loaded.warnings) log.warn(warning);
  // The proxy's display form only: its credentials are never logged.
  if (proxy) log.info({ proxy: proxy.display, from: proxy.source, auth: proxy.username !== undefined }, 'connecting to the server through an HTTP proxy');
  const selfPorts: number[] = config.admin && config.admin.port !== 0 ? [config.admin.port] : [];
  if (config.admin) assertAdminBinding(config.admin.host, adminTokenFromEnv());
  const audit = new AuditLog([new JsonLinesSink('stdout')], 'agent');
  const agent = new Agent({
    credential,
    addresses: config.servers ? config.servers.map(formatAddress) : [config.server ? formatAddress(config.server) : credential.server],
    allowlist: compileAllowlist(config.allow),
    resolver: new NameResolver({ hosts: config.dns.hosts, servers: config.dns.servers, timeoutMs: config.dns.timeout }),
    self: () => ownEndpoints(selfPorts),
    dialTimeoutMs: config.limits.dialTimeout,
    maxTunnels: config.limits.maxTunnels,
    idleTimeoutMs: config.limits.idleTimeout,
    keepaliveIntervalMs: config.limits.keepaliveInterval,
    keepaliveTimeoutMs: config.limits.keepaliveTimeout,
    proxy,
    version: VERSION,
    log,
    audit,
  });
  let adminPort: number | undefined;
  let closeAdmin = (): void => undefined;
  if (config.admin) {
    const metrics = createProgramMetrics('agent', { tunnelsActive: () => agent.activeTunnels, certificateNotAfter: () => agent.certificateNotAfter });
    const admin = await startAdmin(config.admin.host, config.admin.port, {
      notReadyReason: () => agent.notReadyReason(),
      token: adminTokenFromEnv(),
      metrics,
      json: {
        '/status': () => ({
          instanceId: agent.instanceId,
          ready: !agent.notReadyReason(),
          tunnels: agent.activeTunnels,
          registrations: agent.registrations(),
          ...(proxy ? { proxy: proxy.display } : {}),
          denies: denyCounts(),
        }),
      },
    });
    adminPort = admin.port;
    selfPorts.splice(0, selfPorts.length, admin.port);
    closeAdmin = () => admin.server.close();
  }
  const reloader = watchPolicy({
    file: values.config,
    what: 'allowlist',
    onResult: (result, reason) => audit.record({ type: 'config.reloaded', file: values.config!, result, ...(reason ? { reason } : {}) }),
    load: () => compileAllowlist(loadAgentConfig(values.config!).allow),
    apply: (allowlist) => {
      const closed = agent.applyAllowlist(allowlist);
      if (closed > 0) log.info({ closed }, 'closed live tunnels the reloaded allowlist no longer allows');
    },
    log,
  });
  log.info({ event: 'ready', adminPort, identity: credential.identity, instanceId: agent.instanceId }, 'agent started');
  agent.start().catch((err: unknown) => log.error({ err: (err as Error).message }, 'agent failed to start'));
  return runUntilSignal(log, async () => {
    reloader.close();
    closeAdmin();
    await agent.drain(config.limits.drainTimeout);
  });
}
