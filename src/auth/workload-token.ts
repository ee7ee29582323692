import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import { AuthError } from './errors.js';
import { DEFAULT_CLOCK_SKEW_S, MAX_TOKEN_BYTES } from './verify-issuance-token.js';

/** Algorithms accepted on workload (OIDC) tokens: asymmetric only; never `none` or HMAC. */
export const WORKLOAD_TOKEN_ALGORITHMS = Object.freeze(['RS256', 'ES256', 'ES384', 'EdDSA'] as const);
/** Longest lifetime (`exp - iat`) accepted on a workload token, in seconds (Kubernetes allows up to a day). */
export const MAX_WORKLOAD_TOKEN_LIFETIME_S = 24 * 3600;

const FORBIDDEN_HEADERS = Object.freeze(['jwk', 'jku', 'x5u', 'x5c', 'crit']);
const REMOTE_JWKS_TIMEOUT_MS = 5000;
const REMOTE_JWKS_COOLDOWN_MS = 30_000;

/** One trusted OIDC issuer and how its tokens map to client identities. */
export interface TrustedIssuer {
  /** `iss`, exactly. */
  readonly issuer: string;
  /** `aud` the token must carry. */
  readonly audience: string;
  /** JWKS: a URL (fetched and cached) or a key set read from a file. */
  readonly jwks: { readonly url: string } | { readonly keys: JSONWebKeySet };
  /** Claim whose value selects the identity, e.g. `sub`. */
  readonly claim: string;
  /** Claim value → client identity, e.g. `system:serviceaccount:sourcegraph:frontend` → `frontend@clients.acme.causeway`. */
  readonly identities: Readonly<Record<string, string>>;
}

/** What an accepted workload token proves. */
export interface VerifiedWorkloadToken {
  readonly identity: string;
  readonly issuer: string;
  readonly claimValue: string;
}

/**
 * Verifies workload tokens from trusted OIDC issuers (Kubernetes projected service-account tokens,
 * cloud workload identity) and maps them to client identities, so a client needs no key file.
 */
export class WorkloadTokenVerifier {
  readonly #issuers = new Map<string, { trusted: TrustedIssuer; keys: JWTVerifyGetKey }>();

  constructor(issuers: readonly TrustedIssuer[]) {
    for (const trusted of issuers) {
      const keys =
        'url' in trusted.jwks
          ? createRemoteJWKSet(new URL(trusted.jwks.url), { timeoutDuration: REMOTE_JWKS_TIMEOUT_MS, cooldownDuration: REMOTE_JWKS_COOLDOWN_MS })
          : createLocalJWKSet(trusted.jwks.keys);
      this.#issuers.set(trusted.issuer, { trusted, keys });
    }
  }

  /** True when `token` claims an issuer this verifier trusts (unverified; only for routing). */
  claimsTrustedIssuer(token: string): boolean {
    if (this.#issuers.size === 0 || token.length > MAX_TOKEN_BYTES) return false;
    try {
      const { iss } = decodeJwt(token);
      return typeof iss === 'string' && this.#issuers.has(iss);
    } catch {
      return false;
    }
  }

  /**
   * Verifies signature (keys from the issuer's JWKS), `iss`, exact `aud`, `exp`/`nbf`/`iat` with the
   * clock skew allowance, a lifetime of at most a day, and maps the claim to an identity.
   *
   * @throws {@link AuthError} `ERR_TOKEN_TOO_LARGE`, `ERR_TOKEN_MALFORMED`, `ERR_TOKEN_ALG`,
   *   `ERR_TOKEN_HEADER`, `ERR_TOKEN_ISSUER`, `ERR_TOKEN_SIGNATURE`, `ERR_TOKEN_EXPIRED`,
   *   `ERR_TOKEN_NOT_YET_VALID`, `ERR_TOKEN_AUDIENCE`, `ERR_TOKEN_LIFETIME`, `ERR_OIDC_JWKS` or
   *   `ERR_OIDC_UNMAPPED`.
   */
  async verify(token: string, options: { now?: Date; clockSkewS?: number } = {}): Promise<VerifiedWorkloadToken> {
    if (Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES) throw new AuthError('ERR_TOKEN_TOO_LARGE', `token exceeds ${MAX_TOKEN_BYTES} bytes`);
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claimed: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      claimed = decodeJwt(token);
    } catch (cause) {
      throw new AuthError('ERR_TOKEN_MALFORMED', 'token is not a compact JWS', { cause });
    }
    if (!(WORKLOAD_TOKEN_ALGORITHMS as readonly unknown[]).includes(header.alg)) throw new AuthError('ERR_TOKEN_ALG', 'token algorithm is not allowed');
    const forbidden = FORBIDDEN_HEADERS.filter((name) => Object.hasOwn(header, name));
    if (forbidden.length > 0) throw new AuthError('ERR_TOKEN_HEADER', `token header must not contain ${forbidden.join(', ')}`);
    const entry = typeof claimed.iss === 'string' ? this.#issuers.get(claimed.iss) : undefined;
    if (!entry) throw new AuthError('ERR_TOKEN_ISSUER', 'token issuer is not trusted');
    const { trusted, keys } = entry;

    const now = options.now ?? new Date();
    const skewS = options.clockSkewS ?? DEFAULT_CLOCK_SKEW_S;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: [...WORKLOAD_TOKEN_ALGORITHMS],
        issuer: trusted.issuer,
        audience: trusted.audience,
        currentDate: now,
        clockTolerance: skewS,
        requiredClaims: ['exp', 'iat'],
      }));
    } catch (error) {
      throw fromJoseError(error);
    }
    const { exp, iat } = payload as { exp: number; iat: number };
    if (iat > now.getTime() / 1000 + skewS) throw new AuthError('ERR_TOKEN_NOT_YET_VALID', 'token is issued in the future');
    if (exp <= iat || exp - iat > MAX_WORKLOAD_TOKEN_LIFETIME_S) {
      throw new AuthError('ERR_TOKEN_LIFETIME', `token lifetime must be at most ${MAX_WORKLOAD_TOKEN_LIFETIME_S} seconds`);
    }
    const value = payload[trusted.claim];
    const identity = typeof value === 'string' && Object.hasOwn(trusted.identities, value) ? trusted.identities[value] : undefined;
    if (identity === undefined) {
      throw new AuthError('ERR_OIDC_UNMAPPED', `token "${trusted.claim}" maps to no client identity`);
    }
    return { identity, issuer: trusted.issuer, claimValue: value as string };
  }
}

function fromJoseError(error: unknown): AuthError {
  if (error instanceof errors.JWTExpired) return new AuthError('ERR_TOKEN_EXPIRED', 'token has expired', { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud':
        return new AuthError('ERR_TOKEN_AUDIENCE', 'token audience is not this server', { cause: error });
      case 'iss':
        return new AuthError('ERR_TOKEN_ISSUER', 'token issuer is not trusted', { cause: error });
      case 'nbf':
        return new AuthError('ERR_TOKEN_NOT_YET_VALID', 'token is not valid yet', { cause: error });
      case 'exp':
      case 'iat':
        return new AuthError('ERR_TOKEN_LIFETIME', `token must carry a numeric "${error.claim}"`, { cause: error });
      default:
        return new AuthError('ERR_TOKEN_MALFORMED', 'token claims are invalid', { cause: error });
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return new AuthError('ERR_TOKEN_SIGNATURE', 'token signature does not verify with the issuer\'s keys', { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new AuthError('ERR_TOKEN_ALG', 'token algorithm is not allowed', { cause: error });
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError('ERR_OIDC_JWKS', 'the issuer\'s keys cannot be fetched', { cause: error });
  }
  if (error instanceof errors.JOSEError) return new AuthError('ERR_TOKEN_MALFORMED', 'token cannot be parsed', { cause: error });
  return new AuthError('ERR_OIDC_JWKS', 'the issuer\'s keys cannot be fetched', { cause: error });
}
