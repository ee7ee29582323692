import { parseArgs } from 'node:util';
import { Agent } from '../agent/agent.js';
import { assertAdminBinding, startAdmin } from '../admin/admin-server.js';
import { createProgramMetrics } from '../metrics/registry.js';
import { AuditLog, JsonLinesSink } from '../audit/audit-log.js';
import { loadAgentConfig } from '../config/agent.js';
import { formatAddress } from '../config/address.js';
import { loadCredential } from '../config/credential.js';
import { createLogger } from '../log/logger.js';
import { compileAllowlist } from '../policy/allowlist.js';
import { VERSION } from '../version.js';
import { adminTokenFromEnv, logLevelFromEnv } from './env.js';
import { toPartyCredential } from './party-credential.js';
import { runUntilSignal } from './run-program.js';
import { UsageError } from './usage.js';

export const AGENT_HELP = `Usage: causeway agent --config agent.yaml

Runs the agent inside the private network. It dials out to the server (no inbound port), and dials only
the host:port entries its allowlist names (default deny). Its own audit records (dials, denies, tunnels)
go to stdout as JSON lines; logs go to stderr.

Options:
  --config FILE   agent config (YAML)           (required)
  --help          this text`;

export async function agentCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    process.stdout.write(`${AGENT_HELP}\n`);
    return 0;
  }
  if (!values.config) throw new UsageError('--config is required', 'agent');
  const config = loadAgentConfig(values.config);
  const loaded = loadCredential(config.credentials);
  const credential = toPartyCredential(loaded.credential);
  const log = createLogger('agent', logLevelFromEnv());
  for (const warning of loaded.warnings) log.warn(warning);
  if (config.admin) assertAdminBinding(config.admin.host, adminTokenFromEnv());
  const agent = new Agent({
    credential,
    address: config.server ? formatAddress(config.server) : credential.server,
    allowlist: compileAllowlist(config.allow),
    hosts: config.dns.hosts,
    dialTimeoutMs: config.limits.dialTimeout,
    maxTunnels: config.limits.maxTunnels,
    idleTimeoutMs: 0,
    version: VERSION,
    log,
    audit: new AuditLog([new JsonLinesSink('stdout')], 'agent'),
  });
  let adminPort: number | undefined;
  let closeAdmin = (): void => undefined;
  if (config.admin) {
    const metrics = createProgramMetrics('agent', { tunnelsActive: () => agent.activeTunnels, certificateNotAfter: () => agent.certificateNotAfter });
    const admin = await startAdmin(config.admin.host, config.admin.port, {
      notReadyReason: () => agent.notReadyReason(),
      token: adminTokenFromEnv(),
      metrics,
      json: { '/status': () => ({ instanceId: agent.instanceId, ready: !agent.notReadyReason(), tunnels: agent.activeTunnels }) },
    });
    adminPort = admin.port;
    closeAdmin = () => admin.server.close();
  }
  log.info({ event: 'ready', adminPort, identity: credential.identity, instanceId: agent.instanceId }, 'agent started');
  agent.start().catch((err: unknown) => log.error({ err: (err as Error).message }, 'agent failed to start'));
  return runUntilSignal(log, async () => {
    agent.stop();
    closeAdmin();
  });
}
