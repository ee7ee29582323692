import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAddress } from '../config/address.js';
import { loadServerConfig } from '../config/server.js';
import { explainAcl, type AclExplanation } from '../policy/acl-explain.js';
import { compileAcl } from '../policy/acl.js';
import type { Decision } from '../policy/decision.js';
import { openIdentityStore, REGISTRY_FILE } from '../registry/open-identity-store.js';
import { resolveStore } from '../config/store.js';
import { openIdentities } from '../store/open-stores.js';
import { LEGACY_REGISTRY_FILE } from '../registry/legacy-json-registry.js';
import { UsageError } from './usage.js';
import { parseCommandLine } from './args.js';

export const POLICY_HELP = `Usage: causeway policy check --config server.yaml --client ID --target HOST:PORT [--agent ID] [--json]

Explains what the server's ACL decides for a client reaching HOST:PORT, without sending any traffic:
for each agent identity (the one given with --agent, or every agent registered in the server's data
directory) the decision and the rule that made it, then how each rule matched. The ACL is read from the
server config exactly as the server reads it. The agent's own allowlist is not consulted: it has the
last word on every dial.

Options:
  --config FILE    server config (YAML)               (required)
  --client ID      client identity                    (required)
  --target H:P     destination host:port              (required)
  --agent ID       decide for this agent only
  --json           print the explanation as JSON
Exit status: 0 when at least one agent may be used, 1 when the ACL denies, 2 on usage or config errors.`;

interface PolicyCheckReport {
  client: string;
  /** The agent asked about with --agent, if any. */
  agent: string | undefined;
  /** Whether the server's identity registry was found (and identity states are known). */
  registry: boolean;
  target: string;
  agents: { agent: string; enabled: boolean | undefined; decision: Decision }[];
  rules: AclExplanation['rules'];
  allowed: boolean;
}

export async function policyCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === 'help') {
    process.stdout.write(`${POLICY_HELP}\n`);
    return sub ? 0 : 2;
  }
  if (sub !== 'check') throw new UsageError(`unknown subcommand "${sub}"`, 'policy');
  const { values } = parseCommandLine({
    args: rest,
    options: {
      config: { type: 'string' },
      client: { type: 'string' },
      target: { type: 'string' },
      agent: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${POLICY_HELP}\n`);
    return 0;
  }
  if (!values.config) throw new UsageError('--config is required', 'policy');
  if (!values.client) throw new UsageError('--client is required', 'policy');
  if (!values.target) throw new UsageError('--target is required', 'policy');
  const target = parseAddress(values.target);
  if (!target.ok) throw new UsageError(`--target: ${target.problem}`, 'policy');
  const config = loadServerConfig(values.config);
  const acl = compileAcl(config.acl);
  const { host, port } = target.address;

  const hasRegistry = existsSync(join(config.dataDir, REGISTRY_FILE)) || existsSync(join(config.dataDir, LEGACY_REGISTRY_FILE));
  const resolved = resolveStore({ store: config.store, passwordFile: config.storePasswordFile });
  const registry = resolved.target.kind === 'postgres' ? await openIdentities(resolved, config.dataDir) : hasRegistry ? await openIdentityStore(config.dataDir) : undefined;
  const records = (await registry?.list()) ?? [];
  const agentNames = values.agent !== undefined ? [values.agent] : records.filter((r) => r.role === 'agent').map((r) => r.name);
  const client = values.client;
  const agents = agentNames.map((agent) => {
    const decision = explainAcl(acl, { client, agent, host, port }).decision!;
    return { agent, enabled: registry ? records.find((r) => r.name === agent)?.enabled : undefined, decision };
  });
  const overall = explainAcl(acl, { client, host, port, agent: values.agent });
  const allowed = agents.length > 0 ? agents.some((a) => a.decision.allow && !(registry !== undefined && a.enabled !== true)) : overall.granting.length > 0;
  const report: PolicyCheckReport = { client, agent: values.agent, registry: registry !== undefined, target: overall.target, agents, rules: overall.rules, allowed };
  await registry?.close();
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : render(report, agentNames.length === 0));
  return allowed ? 0 : 1;
}

function render(report: PolicyCheckReport, noAgents: boolean): string {
  const lines = [`client ${report.client}`, `target ${report.target}`, ''];
  if (noAgents) lines.push(`${report.registry ? 'no agent identities registered' : 'no identity registry found'}; deciding by the rules alone`);
  for (const { agent, enabled, decision } of report.agents) {
    const state = !report.registry ? '' : enabled === false ? ' (identity disabled: refused before the ACL)' : enabled === undefined ? ' (not a registered identity)' : '';
    lines.push(`${decision.allow ? 'ALLOW' : 'DENY '} via ${agent}${state}`, `      ${decision.reason}`);
  }
  lines.push('', 'rules (in order; the first that grants decides):');
  if (report.rules.length === 0) lines.push('  (none: the ACL denies everything)');
  for (const rule of report.rules) {
    lines.push(
      `  ${rule.rule}: ${rule.grants ? 'grants' : 'does not grant'}`,
      `     client       ${rule.client === undefined ? 'no pattern matches' : `matches ${JSON.stringify(rule.client)}`}`,
      `     agents       ${rule.agents.map((a) => JSON.stringify(a)).join(', ')}${report.agent === undefined ? '' : rule.agent === undefined ? ` (none matches ${report.agent})` : ` (${report.agent} matches ${JSON.stringify(rule.agent)})`}`,
      `     destination  ${rule.destination === undefined ? 'not covered' : rule.destination === 'any' ? 'any (the rule names none)' : `covered by ${rule.destination}`}`,
    );
  }
  lines.push('', report.allowed ? 'verdict: ALLOWED by the ACL (the agent\'s allowlist still decides each dial)' : 'verdict: DENIED by the ACL', '');
  return lines.join('\n');
}
