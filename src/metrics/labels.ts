/**
 * Label values come from fixed sets: anything else becomes `other`, so a value from the wire can never
 * grow a metric's cardinality.
 */

export const TUNNEL_RESULTS = ['ok', 'denied', 'refused', 'unreachable', 'timeout', 'no_agent', 'error', 'unauthenticated', 'server_unavailable', 'limit'] as const;

export const DENY_RULES = [
  'authn:certificate',
  'identity:disabled',
  'identity:disabled-live',
  'limit:streams',
  'request:malformed-target',
  'acl:no-rule',
  'allowlist:server-summary',
  'allowlist:agent',
  'allowlist:resolved-address',
] as const;

export type DenyRule = (typeof DENY_RULES)[number];

export function resultLabel(value: string): string {
  const normal = value.toLowerCase().replace(/-/g, '_');
  return (TUNNEL_RESULTS as readonly string[]).includes(normal) ? normal : 'other';
}

export function denyRuleLabel(rule: string | undefined): string {
  return rule && (DENY_RULES as readonly string[]).includes(rule) ? rule : 'other';
}

/** Token error codes are a fixed catalogue (`ERR_JWT_EXPIRED` ...); they become `jwt_expired`. */
export function unauthorizedReasonLabel(code: string): string {
  return /^ERR_[A-Z0-9_]{1,40}$/.test(code) ? code.slice(4).toLowerCase() : 'other';
}
