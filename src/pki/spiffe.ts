import { PkiError } from './errors.js';

/** The part a party plays in a trust domain. */
export type Role = 'agent' | 'client' | 'server';

/** Every {@link Role}, in a fixed order. */
export const ROLES: readonly Role[] = Object.freeze(['agent', 'client', 'server']);

const SPIFFE_SCHEME = 'spiffe://';
const MAX_NAME_LENGTH = 255;
const TRUST_DOMAIN_PATTERN = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;
const IDENTITY_PATTERN = /^[A-Za-z0-9._+-]+(?:@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)?$/;

/** Narrows an unknown value to a {@link Role}. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `value` is an acceptable trust domain name (lower-case letters, digits, `.`, `-`, `_`). */
export function isValidTrustDomain(value: string): boolean {
  return value.length <= MAX_NAME_LENGTH && TRUST_DOMAIN_PATTERN.test(value);
}

/**
 * True when `value` is an acceptable identity: an email-like name (`name@domain`) or a bare name,
 * made only of characters that need no escaping in a URI path, a distinguished name or an email SAN.
 */
export function isValidIdentity(value: string): boolean {
  return value.length <= MAX_NAME_LENGTH && IDENTITY_PATTERN.test(value);
}

/**
 * Builds the SPIFFE ID `spiffe://<trustDomain>/<role>/<identity>`.
 *
 * @throws {@link PkiError} `ERR_NAME_INVALID` when a part is not acceptable.
 */
export function spiffeId(trustDomain: string, role: Role, identity: string): string {
  if (!isValidTrustDomain(trustDomain)) {
    throw new PkiError('ERR_NAME_INVALID', 'invalid trust domain');
  }
  if (!isRole(role)) {
    throw new PkiError('ERR_NAME_INVALID', 'invalid role');
  }
  if (!isValidIdentity(identity)) {
    throw new PkiError('ERR_NAME_INVALID', 'invalid identity');
  }
  return `${SPIFFE_SCHEME}${trustDomain}/${role}/${identity}`;
}

/** The parts of a SPIFFE ID issued by this project. */
export interface ParsedSpiffeId {
  trustDomain: string;
  role: Role;
  identity: string;
}

/**
 * Splits a SPIFFE ID built by {@link spiffeId}; returns `undefined` for anything else, including a
 * well-formed SPIFFE ID whose path does not have exactly a known role and a valid identity.
 */
export function parseSpiffeId(uri: string): ParsedSpiffeId | undefined {
  if (!uri.startsWith(SPIFFE_SCHEME)) {
    return undefined;
  }
  const [trustDomain, role, identity, ...rest] = uri.slice(SPIFFE_SCHEME.length).split('/');
  if (
    rest.length > 0 ||
    trustDomain === undefined ||
    identity === undefined ||
    !isValidTrustDomain(trustDomain) ||
    !isRole(role) ||
    !isValidIdentity(identity)
  ) {
    return undefined;
  }
  return { trustDomain, role, identity };
}
