import { allowed, denied } from './decision.js';
import type { Decision } from './decision.js';
import { matchesDestination, parseDestinationPattern } from './destination.js';
import type { DestinationPattern } from './destination.js';
import { PolicyError } from './errors.js';
import { formatHostPort, normalizeHost } from './host.js';
import { isIdentityPattern, matchesIdentity } from './identity-pattern.js';
import { isPort } from './port-range.js';

/** One ACL rule as written in the server config. */
export interface AclRule {
  /** Client identities or `*` patterns that the rule admits. */
  readonly clients: readonly string[];
  /** Agent identities or `*` patterns the clients may use. */
  readonly agents: readonly string[];
  /** `host:port` patterns; omitted = any destination the agent itself allows. */
  readonly destinations?: readonly string[] | undefined;
}

/** An ACL ready for {@link decideAcl}; build it with {@link compileAcl}. */
export interface Acl {
  readonly rules: readonly CompiledAclRule[];
}

/** A rule with its destination patterns parsed. */
export interface CompiledAclRule {
  readonly clients: readonly string[];
  readonly agents: readonly string[];
  readonly destinations: readonly DestinationPattern[] | undefined;
}

/** What a client asks for on one stream. */
export interface AclRequest {
  readonly client: string;
  readonly agent: string;
  readonly host: string;
  readonly port: number;
}

/**
 * Parses and freezes ACL rules. Throws {@link PolicyError} `ERR_POLICY_INVALID_RULE` naming the rule
 * when a pattern does not parse.
 */
export function compileAcl(rules: readonly AclRule[]): Acl {
  const compiled = rules.map((rule, i): CompiledAclRule => {
    for (const [field, patterns] of [['clients', rule.clients], ['agents', rule.agents]] as const) {
      const bad = patterns.find((p) => !isIdentityPattern(p));
      if (bad !== undefined) throw invalidRule(i, `${field}: ${JSON.stringify(bad)} is not an identity pattern`);
    }
    const destinations = rule.destinations?.map((text) => {
      const pattern = parseDestinationPattern(text);
      if (pattern === undefined) throw invalidRule(i, `destinations: ${JSON.stringify(text)} is not a destination pattern`);
      return Object.freeze(pattern);
    });
    return Object.freeze({
      clients: Object.freeze([...rule.clients]),
      agents: Object.freeze([...rule.agents]),
      destinations: destinations === undefined ? undefined : Object.freeze(destinations),
    });
  });
  return Object.freeze({ rules: Object.freeze(compiled) });
}

/**
 * Decides whether `client` may reach `host:port` through `agent`. Default deny; the first rule that
 * admits the client and the agent and covers the destination allows, and its index is returned.
 * Hosts are compared in canonical form (case-insensitive names, canonical IPs).
 */
export function decideAcl(acl: Acl, request: AclRequest): Decision {
  const { client, agent, port } = request;
  if (!isPort(port)) return denied(`port ${String(port)} is not a valid port`);
  const host = normalizeHost(request.host);
  if (host.kind === 'invalid') return denied(host.reason);

  let pairAdmitted = false;
  for (const [i, rule] of acl.rules.entries()) {
    if (!rule.clients.some((p) => matchesIdentity(p, client))) continue;
    if (!rule.agents.some((p) => matchesIdentity(p, agent))) continue;
    pairAdmitted = true;
    if (rule.destinations === undefined || rule.destinations.some((d) => matchesDestination(d, host, port))) {
      return allowed(`acl rule ${i} lets client "${client}" reach ${formatHostPort(host.host, port)} through agent "${agent}"`, i);
    }
  }
  const target = formatHostPort(host.host, port);
  return pairAdmitted
    ? denied(`no acl rule lets client "${client}" reach ${target} through agent "${agent}"`)
    : denied(`no acl rule lets client "${client}" use agent "${agent}"`);
}

/**
 * The subset of `candidates` (agent identities, in their order) that `client` may use for
 * `host:port`.
 */
export function agentsAllowedFor(acl: Acl, client: string, host: string, port: number, candidates: readonly string[]): string[] {
  return candidates.filter((agent) => decideAcl(acl, { client, agent, host, port }).allow);
}

function invalidRule(index: number, problem: string): PolicyError {
  return new PolicyError('ERR_POLICY_INVALID_RULE', `acl rule ${index}: ${problem}`);
}
