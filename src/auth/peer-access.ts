import type { Role } from '../pki/spiffe.js';
import type { IdentityRecord, IssuedCertificate } from '../registry/identity-store.js';
import { sourceAllowed } from '../registry/source-cidr.js';

/**
 * Why a party that authenticated is still refused.
 *
 * - `ERR_IDENTITY_UNKNOWN`: the registry has no such identity (it was deleted).
 * - `ERR_IDENTITY_DISABLED`: the identity is disabled.
 * - `ERR_ROLE_MISMATCH`: the registry gives the identity another role than the certificate.
 * - `ERR_CERT_NOT_ISSUED`: the registry has no record of issuing this certificate.
 * - `ERR_KEY_REMOVED`: the key whose token bought this certificate has been removed.
 * - `ERR_SOURCE_NOT_ALLOWED`: the source address lies outside the identity's CIDRs.
 */
export type AccessRefusalCode =
  | 'ERR_IDENTITY_UNKNOWN'
  | 'ERR_IDENTITY_DISABLED'
  | 'ERR_ROLE_MISMATCH'
  | 'ERR_CERT_NOT_ISSUED'
  | 'ERR_KEY_REMOVED'
  | 'ERR_SOURCE_NOT_ALLOWED';

export type AccessDecision =
  | { readonly allow: true }
  | { readonly allow: false; readonly code: AccessRefusalCode; readonly reason: string };

/** What {@link decideAccess} looks at. */
export interface AccessInput {
  readonly identity: string;
  readonly role: Role;
  /** The registry's record of `identity`, if any. */
  readonly record: IdentityRecord | undefined;
  /**
   * For a certificate: the registry's record of issuing it (undefined when there is none). Omit
   * (`'not-a-certificate'`) at issuance, where the token's key was already checked.
   */
  readonly issuance: IssuedCertificate | undefined | 'not-a-certificate';
  /** The remote IP address, as the socket reports it. */
  readonly sourceIp: string | undefined;
}

/**
 * The server's first policy layer, at issuance, on every new stream, and on every sweep of live
 * tunnels: the identity exists with this role and is enabled, the certificate was issued here under a
 * key that is still registered, and the source is inside the identity's CIDRs when it has any.
 */
export function decideAccess(input: AccessInput): AccessDecision {
  const { record, identity } = input;
  if (!record) return refuse('ERR_IDENTITY_UNKNOWN', `identity ${identity} is not registered`);
  if (!record.enabled) return refuse('ERR_IDENTITY_DISABLED', `identity ${identity} is disabled`);
  if (record.role !== input.role) return refuse('ERR_ROLE_MISMATCH', `identity ${identity} is registered as ${record.role}, not ${input.role}`);
  if (input.issuance !== 'not-a-certificate') {
    if (!input.issuance || input.issuance.identity !== identity) {
      return refuse('ERR_CERT_NOT_ISSUED', `certificate of ${identity} is not one this registry issued`);
    }
    const { keyId } = input.issuance;
    if (!keyId.startsWith('oidc:') && !record.keys.some((k) => k.keyId === keyId)) {
      return refuse('ERR_KEY_REMOVED', `key ${keyId} of ${identity} has been removed`);
    }
  }
  if (!sourceAllowed(input.sourceIp, record.cidrs)) {
    return refuse('ERR_SOURCE_NOT_ALLOWED', `source ${input.sourceIp ?? 'unknown'} is outside the networks allowed for ${identity}`);
  }
  return { allow: true };
}

function refuse(code: AccessRefusalCode, reason: string): AccessDecision {
  return { allow: false, code, reason };
}
