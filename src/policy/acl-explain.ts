import type { Acl } from './acl.js';
import { decideAcl } from './acl.js';
import type { Decision } from './decision.js';
import { formatDestination, matchesDestination } from './destination.js';
import { formatHostPort, normalizeHost } from './host.js';
import { matchesIdentity } from './identity-pattern.js';
import { isPort } from './port-range.js';

/** How one ACL rule relates to a request. */
export interface RuleTrace {
  readonly rule: number;
  /** The client pattern that matched, if any. */
  readonly client: string | undefined;
  /** The rule's agent patterns, and the one that matched the asked agent, if one was asked. */
  readonly agents: readonly string[];
  readonly agent: string | undefined;
  /** The destination pattern that covered the target, `any` when the rule names none, or undefined. */
  readonly destination: string | undefined;
  /** Whether this rule grants the request (for the asked agent, or for the agents it names). */
  readonly grants: boolean;
}

/** What `causeway policy check` prints: the decision(s) and the rule-by-rule trace. */
export interface AclExplanation {
  readonly target: string;
  /** Set when an agent was named: the exact decision {@link decideAcl} makes for it. */
  readonly decision: Decision | undefined;
  /** Rules that grant the request, in order; the first one decides for any agent it matches. */
  readonly granting: readonly number[];
  readonly rules: readonly RuleTrace[];
}

/**
 * Explains how the ACL treats `client` reaching `host:port` (through `agent` when given), without any
 * traffic: for each rule, which client pattern, agent pattern and destination pattern matched. The
 * decision for a named agent is exactly the one the server makes per stream.
 */
export function explainAcl(acl: Acl, request: { client: string; host: string; port: number; agent?: string | undefined }): AclExplanation {
  const { client, agent, port } = request;
  const host = normalizeHost(request.host);
  const target = host.kind === 'invalid' ? `${request.host}:${port}` : formatHostPort(host.host, port);
  const decision = agent === undefined ? undefined : decideAcl(acl, { client, agent, host: request.host, port });
  if (host.kind === 'invalid' || !isPort(port)) {
    return { target, decision, granting: [], rules: [] };
  }
  const rules = acl.rules.map((rule, i): RuleTrace => {
    const clientMatch = rule.clients.find((p) => matchesIdentity(p, client));
    const agentMatch = agent === undefined ? undefined : rule.agents.find((p) => matchesIdentity(p, agent));
    const destination =
      rule.destinations === undefined ? 'any' : rule.destinations.filter((d) => matchesDestination(d, host, port)).map(formatDestination)[0];
    const grants = clientMatch !== undefined && destination !== undefined && (agent === undefined || agentMatch !== undefined);
    return { rule: i, client: clientMatch, agents: rule.agents, agent: agentMatch, destination, grants };
  });
  return { target, decision, granting: rules.filter((r) => r.grants).map((r) => r.rule), rules };
}
