import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import type { JWK } from 'jose';
import { AuthError } from './errors.js';

/** Default lifetime of an issuance token, in seconds. */
export const DEFAULT_ISSUANCE_TOKEN_LIFETIME_S = 120;
/** Longest lifetime (`exp - iat`) a server accepts on an issuance token, in seconds. */
export const MAX_ISSUANCE_TOKEN_LIFETIME_S = 600;

const ISSUANCE_TOKEN_ALG = 'ES256';

/** Options of {@link createIssuanceToken}. */
export interface IssuanceTokenOptions {
  /** The party's identity; becomes `iss` and `sub`. */
  readonly identity: string;
  /** Key id of the service-account key; becomes the `kid` header. */
  readonly keyId: string;
  /** Private JWK of the ES256 service-account key. */
  readonly privateJwk: JWK;
  /** The server's audience; becomes `aud`. */
  readonly audience: string;
  /** RFC 7638 thumbprint of the leaf key the CSR carries; becomes `cnf.jkt`. */
  readonly cnfJkt: string;
  readonly now?: Date;
  readonly lifetimeS?: number;
}

/**
 * Creates the short-lived, single-use JWT with which a party asks for a leaf certificate. It is
 * bound to one leaf key through `cnf.jkt`, so it is worthless with any other CSR.
 *
 * @throws {@link AuthError} `ERR_TOKEN_LIFETIME` when `lifetimeS` is out of range.
 */
export async function createIssuanceToken(options: IssuanceTokenOptions): Promise<string> {
  const lifetimeS = options.lifetimeS ?? DEFAULT_ISSUANCE_TOKEN_LIFETIME_S;
  if (!Number.isSafeInteger(lifetimeS) || lifetimeS <= 0 || lifetimeS > MAX_ISSUANCE_TOKEN_LIFETIME_S) {
    throw new AuthError(
      'ERR_TOKEN_LIFETIME',
      `token lifetime must be between 1 and ${MAX_ISSUANCE_TOKEN_LIFETIME_S} seconds`,
    );
  }
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const key = await importJWK(options.privateJwk, ISSUANCE_TOKEN_ALG);
  return new SignJWT({ cnf: { jkt: options.cnfJkt } })
    .setProtectedHeader({ alg: ISSUANCE_TOKEN_ALG, kid: options.keyId, typ: 'JWT' })
    .setIssuer(options.identity)
    .setSubject(options.identity)
    .setAudience(options.audience)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + lifetimeS)
    .setJti(randomUUID())
    .sign(key);
}
